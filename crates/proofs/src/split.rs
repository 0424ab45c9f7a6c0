//! Splitting an epoch's emission among devices in proportion to their scores, in
//! integers, exactly.
//!
//! Each device first gets `floor(total × score / Σscore)`; the units left over
//! (fewer than the number of devices) go one each to the largest fractional
//! remainders, ties broken by device id. The amounts always sum to `total` (when
//! any score is positive), and the result depends only on the inputs.

use plinth_core::DeviceId;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Splits `total` by `scores`. Devices with zero score get nothing; with no
/// positive score, nothing is paid (an empty map).
pub fn split(total: u64, scores: &BTreeMap<DeviceId, u64>) -> BTreeMap<DeviceId, u64> {
    let values: Vec<u64> = scores.values().copied().collect();
    let Some(amounts) = split_amounts(total, &values) else {
        return BTreeMap::new();
    };
    scores
        .iter()
        .zip(amounts)
        .filter(|((_, s), _)| **s > 0)
        .map(|((id, _), amount)| (*id, amount))
        .collect()
}

/// [`split()`] of scores listed in id order (equal remainders go to the earlier
/// first): each one's amount, in the same order (0 for a zero score); `None`
/// (nothing paid) when `total` is 0 or no score is positive. The floors are
/// computed in parallel, and the units left over go to the largest remainders
/// by one selection, not a sort.
pub fn split_amounts(total: u64, scores: &[u64]) -> Option<Vec<u64>> {
    const CHUNK: usize = 1 << 14;
    let sum: u128 = scores.par_iter().map(|&s| s as u128).sum();
    if sum == 0 || total == 0 {
        return None;
    }
    let small = u64::try_from(sum).ok();
    let floor = |s: u64| -> u128 {
        let exact = total as u128 * s as u128;
        // A 64-bit division where the numbers allow it (much faster).
        match (small, u64::try_from(exact)) {
            (Some(sum), Ok(exact)) => (exact / sum) as u128,
            _ => exact / sum,
        }
    };
    let mut amounts = vec![0u64; scores.len()];
    let paid: u128 = amounts
        .par_chunks_mut(CHUNK)
        .zip(scores.par_chunks(CHUNK))
        .map(|(amounts, scores)| {
            let mut paid = 0u128;
            for (a, &s) in amounts.iter_mut().zip(scores) {
                if s > 0 {
                    let amount = floor(s);
                    *a = amount as u64;
                    paid += amount;
                }
            }
            paid
        })
        .sum();
    let left = total as u128 - paid;
    if left > 0 {
        // (remainder, position) of every positive score.
        let remainder = |i: usize| total as u128 * scores[i] as u128 - amounts[i] as u128 * sum;
        let positive = || (0..scores.len()).into_par_iter().filter(|&i| scores[i] > 0);
        let winners = match small {
            // Remainders are below the sum: 64 bits hold them.
            Some(_) => largest(positive().map(|i| (remainder(i) as u64, i)).collect(), left),
            None => largest(positive().map(|i| (remainder(i), i)).collect(), left),
        };
        for i in winners {
            amounts[i] += 1;
        }
    }
    Some(amounts)
}

/// The positions of the `k` largest remainders, equal remainders by ascending
/// position (all of them if there are fewer).
fn largest<R: Ord + Copy>(mut remainders: Vec<(R, usize)>, k: u128) -> Vec<usize> {
    let k = usize::try_from(k).map_or(remainders.len(), |k| k.min(remainders.len()));
    if k == 0 {
        return Vec::new();
    }
    // Largest remainder first; equal remainders by ascending position.
    let order = |a: &(R, usize), b: &(R, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    if k < remainders.len() {
        remainders.select_nth_unstable_by(k - 1, order);
    }
    remainders.truncate(k);
    remainders.into_iter().map(|(_, i)| i).collect()
}

/// Splits `allowance` between work and usage: `usage_bps` of it by credits earned
/// (when any device earned some), the rest by work scores. The two parts are split
/// exactly ([`split()`]) and added up per device.
pub fn split_rewards(
    allowance: u64,
    usage_bps: u32,
    work: &BTreeMap<DeviceId, u64>,
    usage: &BTreeMap<DeviceId, u64>,
) -> BTreeMap<DeviceId, u64> {
    split_usage_capped(allowance, usage_bps, work, usage, None)
}

/// [`split_rewards`] with each device's usage reward capped at `usage_caps` (no
/// entry: nothing), when given; what is held back is not minted. A custom
/// family's network pays the credits its devices earned from bursts this way:
/// never more than their token value.
pub fn split_usage_capped(
    allowance: u64,
    usage_bps: u32,
    work: &BTreeMap<DeviceId, u64>,
    usage: &BTreeMap<DeviceId, u64>,
    usage_caps: Option<&BTreeMap<DeviceId, u64>>,
) -> BTreeMap<DeviceId, u64> {
    let usage_part = if usage.values().any(|&c| c > 0) {
        (allowance as u128 * u128::from(usage_bps.min(10_000)) / 10_000) as u64
    } else {
        0
    };
    let mut paid = split(allowance - usage_part, work);
    for (device, amount) in split(usage_part, usage) {
        let amount = match usage_caps {
            Some(caps) => amount.min(caps.get(&device).copied().unwrap_or(0)),
            None => amount,
        };
        *paid.entry(device).or_insert(0) += amount;
    }
    paid
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::{Keypair, PublicKey};
    use proptest::prelude::*;

    fn id(i: u8) -> DeviceId {
        DeviceId(Keypair::from_seed([i; 32]).public())
    }

    #[test]
    fn proportional_with_exact_sum() {
        let scores: BTreeMap<_, _> = [(id(1), 1), (id(2), 1), (id(3), 1)].into();
        let out = split(100, &scores);
        assert_eq!(out.values().sum::<u64>(), 100);
        let mut amounts: Vec<u64> = out.values().copied().collect();
        amounts.sort();
        assert_eq!(amounts, vec![33, 33, 34]);
        let scores: BTreeMap<_, _> = [(id(1), 3), (id(2), 1)].into();
        let out = split(1000, &scores);
        assert_eq!(out[&id(1)], 750);
        assert_eq!(out[&id(2)], 250);
    }

    #[test]
    fn zero_scores_get_nothing() {
        let scores: BTreeMap<_, _> = [(id(1), 0), (id(2), 5)].into();
        let out = split(10, &scores);
        assert_eq!(out.get(&id(1)), None);
        assert_eq!(out[&id(2)], 10);
        assert!(split(10, &[(id(1), 0)].into()).is_empty());
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let scores: BTreeMap<_, _> = [(id(1), u64::MAX), (id(2), u64::MAX)].into();
        let out = split(u64::MAX, &scores);
        assert_eq!(
            out.values().map(|&v| v as u128).sum::<u128>(),
            u64::MAX as u128
        );
    }

    /// The split as it was first written: every remainder sorted.
    fn split_by_sorting(total: u64, scores: &BTreeMap<DeviceId, u64>) -> BTreeMap<DeviceId, u64> {
        let sum: u128 = scores.values().map(|&s| s as u128).sum();
        let mut out = BTreeMap::new();
        if sum == 0 || total == 0 {
            return out;
        }
        let mut paid: u128 = 0;
        let mut remainders: Vec<(u128, DeviceId)> = Vec::new();
        for (id, &s) in scores {
            if s == 0 {
                continue;
            }
            let exact = total as u128 * s as u128;
            paid += exact / sum;
            remainders.push((exact % sum, *id));
            out.insert(*id, (exact / sum) as u64);
        }
        let mut left = total as u128 - paid;
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, id) in remainders {
            if left == 0 {
                break;
            }
            *out.get_mut(&id).unwrap() += 1;
            left -= 1;
        }
        out
    }

    proptest! {
        #[test]
        fn the_same_as_sorting_every_remainder(
            total in prop_oneof![0u64..1_000, 0u64..1_000_000_000_000, Just(u64::MAX)],
            raw in proptest::collection::vec(prop_oneof![0u64..4, 0u64..2_000_000, Just(u64::MAX)], 0..60),
        ) {
            let scores: BTreeMap<DeviceId, u64> = raw
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    let mut k = [0u8; 32];
                    k[..8].copy_from_slice(&(i as u64).to_be_bytes());
                    k[31] = (i * 37 % 251) as u8;
                    (DeviceId(PublicKey(k)), s)
                })
                .collect();
            prop_assert_eq!(split(total, &scores), split_by_sorting(total, &scores));
        }

        #[test]
        fn sums_are_exact_and_order_free(total in 0u64..1_000_000_000_000, raw in proptest::collection::vec(0u64..2_000_000, 1..40)) {
            let scores: BTreeMap<DeviceId, u64> = raw
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    let mut k = [0u8; 32];
                    k[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    (DeviceId(PublicKey(k)), s)
                })
                .collect();
            let out = split(total, &scores);
            if raw.iter().any(|&s| s > 0) {
                prop_assert_eq!(out.values().sum::<u64>(), total);
            } else {
                prop_assert!(out.is_empty());
            }
            // Never more than one unit away from the exact share.
            let sum: u128 = raw.iter().map(|&s| s as u128).sum();
            for (d, &amount) in &out {
                let exact = total as u128 * scores[d] as u128;
                prop_assert!((amount as u128) * sum <= exact + sum);
                prop_assert!((amount as u128) * sum + sum > exact);
            }
        }
    }
}
