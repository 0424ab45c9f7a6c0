//! Token amounts as people type and read them: decimal strings in whole tokens,
//! converted exactly to the smallest unit (no floats).

use anyhow::{bail, Result};

/// Parses `"12.5"` with `decimals` places into the smallest unit.
pub fn parse(s: &str, decimals: u8) -> Result<u64> {
    let s = s.trim().replace('_', "");
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        bail!("`{s}` is not an amount");
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        bail!("`{s}` is not an amount: use digits and at most one `.`");
    }
    if frac.len() > decimals as usize {
        bail!("`{s}` has more than {decimals} decimal places");
    }
    let scale = 10u64.pow(decimals as u32);
    let w: u64 = if whole.is_empty() { 0 } else { whole.parse()? };
    let f: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>()? * 10u64.pow((decimals as usize - frac.len()) as u32)
    };
    w.checked_mul(scale)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(|| anyhow::anyhow!("`{s}` is too large"))
}

/// Formats a smallest-unit amount as a decimal string.
pub fn format(amount: u64, decimals: u8) -> String {
    format_wide(u128::from(amount), decimals)
}

/// [`format`] for amounts past `u64` (voting power in token units).
pub fn format_wide(amount: u128, decimals: u8) -> String {
    if decimals == 0 {
        return amount.to_string();
    }
    let scale = 10u128.pow(decimals as u32);
    let frac = format!("{:0width$}", amount % scale, width = decimals as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", amount / scale)
    } else {
        format!("{}.{}", amount / scale, frac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(parse("12.5", 6).unwrap(), 12_500_000);
        assert_eq!(parse("0.000001", 6).unwrap(), 1);
        assert_eq!(parse("1_000", 0).unwrap(), 1000);
        assert!(parse("0.0000001", 6).is_err());
        assert!(parse("1e5", 6).is_err());
        assert!(parse("-1", 6).is_err());
        assert!(parse("99999999999999999999", 6).is_err());
        assert_eq!(format(12_500_000, 6), "12.5");
        assert_eq!(format(1, 6), "0.000001");
        assert_eq!(format(3_000_000, 6), "3");
        assert_eq!(
            format_wide(u128::MAX, 6),
            "340282366920938463463374607431768.211455"
        );
    }
}
