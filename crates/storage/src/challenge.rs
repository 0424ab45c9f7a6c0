//! Storage challenges: which segments of a deal a provider must produce in an epoch,
//! drawn from a ledger block hash so that no provider knows them in advance.

use crate::manifest::Manifest;
use plinth_core::{CodecError, Hash};
use std::collections::BTreeSet;

/// The segments a challenge names by default. A provider missing a fraction `f` of
/// its data fails one epoch's challenge with probability at least `1 - (1 - f)^k`.
pub const DEFAULT_CHALLENGE_ITEMS: usize = 4;
/// The most segments one challenge may name.
pub const MAX_CHALLENGE_ITEMS: usize = 64;
/// The longest encoded challenge.
pub const MAX_CHALLENGE_BYTES: usize = 32 + 8 + 4 + 8 * MAX_CHALLENGE_ITEMS;

const CONTEXT: &str = "plinth storage v1 challenge";

/// One epoch's challenge to one deal: the segments (file-wide indices, ascending,
/// distinct) whose bytes and paths the provider must return.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct StorageChallenge {
    /// The deal challenged.
    pub deal: Hash,
    /// The epoch it is challenged for.
    pub epoch: u64,
    /// The segments asked for, ascending.
    pub indices: Vec<u64>,
}

impl StorageChallenge {
    /// The challenge to `deal` in `epoch`, drawn from `seed` (a ledger block hash):
    /// `k` segments of the deal's file (all of them if it has no more than `k`).
    pub fn derive(
        seed: &Hash,
        deal: &Hash,
        epoch: u64,
        manifest: &Manifest,
        k: usize,
    ) -> StorageChallenge {
        StorageChallenge {
            deal: *deal,
            epoch,
            indices: challenge_indices(seed, deal, epoch, manifest.segment_count(), k),
        }
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        plinth_core::encode(self)
    }

    /// Decodes a challenge received over the network; the size bound also bounds
    /// the indices to [`MAX_CHALLENGE_ITEMS`].
    pub fn decode(bytes: &[u8]) -> Result<StorageChallenge, CodecError> {
        plinth_core::decode(bytes, MAX_CHALLENGE_BYTES)
    }
}

/// `min(k, MAX_CHALLENGE_ITEMS, segment_count)` distinct segment indices below
/// `segment_count`, ascending, drawn uniformly from a BLAKE3 stream keyed by
/// `seed`, `deal` and `epoch`. Pure: the same arguments give the same indices on
/// every machine.
pub fn challenge_indices(
    seed: &Hash,
    deal: &Hash,
    epoch: u64,
    segment_count: u64,
    k: usize,
) -> Vec<u64> {
    let k = k.min(MAX_CHALLENGE_ITEMS) as u64;
    if segment_count <= k {
        return (0..segment_count).collect();
    }
    let mut h = blake3::Hasher::new_derive_key(CONTEXT);
    h.update(&seed.0);
    h.update(&deal.0);
    h.update(&epoch.to_le_bytes());
    let mut stream = h.finalize_xof();
    // Rejection sampling: only draws below the largest multiple of `segment_count`
    // count, so every index is equally likely.
    let zone = u64::MAX - u64::MAX % segment_count;
    let mut picked = BTreeSet::new();
    while (picked.len() as u64) < k {
        let mut word = [0u8; 8];
        stream.fill(&mut word);
        let x = u64::from_le_bytes(word);
        if x < zone {
            picked.insert(x % segment_count);
        }
    }
    picked.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_distinct_sorted_in_range() {
        let seed = Hash::of(b"block");
        let deal = Hash::of(b"deal");
        let a = challenge_indices(&seed, &deal, 7, 1000, 4);
        assert_eq!(a, challenge_indices(&seed, &deal, 7, 1000, 4));
        assert_eq!(a.len(), 4);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|&i| i < 1000));
        assert_ne!(a, challenge_indices(&seed, &deal, 8, 1000, 4));
        assert_ne!(a, challenge_indices(&Hash::of(b"other"), &deal, 7, 1000, 4));
        assert_ne!(a, challenge_indices(&seed, &Hash::of(b"other"), 7, 1000, 4));
    }

    #[test]
    fn small_files_are_challenged_whole_and_k_is_capped() {
        let (seed, deal) = (Hash::of(b"s"), Hash::of(b"d"));
        assert_eq!(challenge_indices(&seed, &deal, 0, 3, 4), vec![0, 1, 2]);
        assert_eq!(
            challenge_indices(&seed, &deal, 0, 5, 5),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(
            challenge_indices(&seed, &deal, 0, 1 << 40, 1000).len(),
            MAX_CHALLENGE_ITEMS
        );
    }

    #[test]
    fn every_segment_gets_drawn_about_equally() {
        // 4 of 8 per epoch over 4000 epochs: each index expected 2000 times; a
        // biased or stuck draw would be far off (binomial sd ≈ 32).
        let (seed, deal) = (Hash::of(b"s"), Hash::of(b"d"));
        let mut counts = [0u32; 8];
        for epoch in 0..4000 {
            for i in challenge_indices(&seed, &deal, epoch, 8, 4) {
                counts[i as usize] += 1;
            }
        }
        for c in counts {
            assert!((1800..2200).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn decode_is_bounded() {
        let c = StorageChallenge {
            deal: Hash::of(b"d"),
            epoch: 3,
            indices: vec![1, 5, 9],
        };
        assert_eq!(StorageChallenge::decode(&c.encode()).unwrap(), c);
        let big = StorageChallenge {
            indices: (0..MAX_CHALLENGE_ITEMS as u64 + 1).collect(),
            ..c
        };
        assert!(matches!(
            StorageChallenge::decode(&big.encode()),
            Err(CodecError::TooLarge { .. })
        ));
    }
}
