//! Fixed-point helpers: exact decimal parsing into thousandths, and fractions of
//! [`SCORE_ONE`], all in integers.
//!
//! Network parameters arrive as JSON numbers that may be decimals (`-40.5`).
//! They are parsed from the number's text, digit by digit, so that no float ever
//! takes part in a score: the same text gives the same integer on every machine.

use crate::SCORE_ONE;

/// Why a decimal could not be read as thousandths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a decimal number (or longer than any sane parameter).
    #[error("`{text}` is not a decimal number")]
    NotANumber {
        /// The text as given, cut to its first 64 characters.
        text: String,
    },
    /// More than three significant decimal places.
    #[error("`{text}` has more than 3 decimal places")]
    TooPrecise {
        /// The text as given.
        text: String,
    },
    /// Outside what thousandths in an `i64` can hold.
    #[error("`{text}` is too large")]
    TooLarge {
        /// The text as given.
        text: String,
    },
}

/// The longest number text accepted (far more than any sane parameter needs).
const MAX_DECIMAL_LEN: usize = 64;

/// Parses a JSON-style decimal (`-40.5`, `60`, `1.25e2`) into thousandths,
/// exactly: `"-40.5"` → `-40_500`. More than three significant decimal places
/// is an error rather than a silent rounding.
pub fn parse_milli(text: &str) -> Result<i64, DecimalError> {
    let not_a_number = || DecimalError::NotANumber {
        text: text.chars().take(MAX_DECIMAL_LEN).collect(),
    };
    if text.is_empty() || text.len() > MAX_DECIMAL_LEN {
        return Err(not_a_number());
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(frac)
        || (mantissa.contains('.') && frac.is_empty())
    {
        return Err(not_a_number());
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return Err(not_a_number());
            }
            // At most 64 characters in all, so this fits an i64 unless absurdly long.
            e.parse().map_err(|_| DecimalError::TooLarge {
                text: text.to_string(),
            })?
        }
    };
    // value = digits × 10^(exp − len(frac)); in thousandths, one shift of 3 more.
    let digits = format!("{whole}{frac}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    let trimmed = significant.trim_end_matches('0');
    let mut shift =
        exp as i128 - frac.len() as i128 + 3 + (significant.len() - trimmed.len()) as i128;
    if shift < 0 {
        return Err(DecimalError::TooPrecise {
            text: text.to_string(),
        });
    }
    let too_large = || DecimalError::TooLarge {
        text: text.to_string(),
    };
    // i64 has 19 digits; anything longer cannot fit.
    if trimmed.len() as i128 + shift > 19 {
        return Err(too_large());
    }
    let mut magnitude: i128 = trimmed.parse().map_err(|_| not_a_number())?;
    while shift > 0 {
        magnitude *= 10;
        shift -= 1;
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| too_large())
}

/// Parses a JSON number (integer or decimal) into thousandths from its text form.
pub fn number_milli(n: &serde_json::Number) -> Result<i64, DecimalError> {
    parse_milli(&n.to_string())
}

/// `num / den` as a fraction of [`SCORE_ONE`], rounded down and capped at 1.0;
/// 0 when `den` is 0.
pub fn fraction(num: u64, den: u64) -> u64 {
    if den == 0 {
        return 0;
    }
    (num.min(den) as u128 * SCORE_ONE as u128 / den as u128) as u64
}

/// `a × b` for two fixed-point factors in `[0, SCORE_ONE]`, rounded down.
pub fn mul(a: u64, b: u64) -> u64 {
    (a as u128 * b as u128 / SCORE_ONE as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        for (text, want) in [
            ("0", 0),
            ("-0", 0),
            ("60", 60_000),
            ("-60", -60_000),
            ("-40.5", -40_500),
            ("21.125", 21_125),
            ("0.001", 1),
            ("-0.001", -1),
            ("1.50000", 1_500),
            ("1.25e2", 125_000),
            ("125E-3", 125),
            ("1e-3", 1),
            ("0.0e-50", 0),
            ("9223372036854775.807", i64::MAX),
            ("-9223372036854775.808", i64::MIN),
        ] {
            assert_eq!(parse_milli(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_decimals_are_refused_with_a_reason() {
        for text in [
            "", "-", "abc", "1.", ".5", "1.2.3", "1e", "1e+", "--1", "+1", " 1",
        ] {
            assert!(
                matches!(parse_milli(text), Err(DecimalError::NotANumber { .. })),
                "{text}"
            );
        }
        for text in ["0.0001", "-40.5001", "1e-4"] {
            assert!(
                matches!(parse_milli(text), Err(DecimalError::TooPrecise { .. })),
                "{text}"
            );
        }
        for text in [
            "9223372036854775.808",
            "1e300",
            "1e9223372036854775807",
            "1e99999999999999999999",
        ] {
            assert!(
                matches!(parse_milli(text), Err(DecimalError::TooLarge { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn json_numbers_parse_from_their_text() {
        let v: serde_json::Value = serde_json::from_str("[-40.5, 60, 0.1]").unwrap();
        let n: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| match x {
                serde_json::Value::Number(n) => number_milli(n).unwrap(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(n, vec![-40_500, 60_000, 100]);
    }

    #[test]
    fn fractions_round_down_and_cap() {
        assert_eq!(fraction(1, 3), 333_333);
        assert_eq!(fraction(5, 3), SCORE_ONE);
        assert_eq!(fraction(1, 0), 0);
        assert_eq!(fraction(u64::MAX, u64::MAX), SCORE_ONE);
        assert_eq!(mul(SCORE_ONE / 2, SCORE_ONE / 2), SCORE_ONE / 4);
    }
}
