//! Storage proofs: a provider's answer to a [`StorageChallenge`], and its check.
//!
//! Each item carries the challenged segment's **bytes** (up to 1 KiB), its leaf and
//! its merkle path to the deal root. The verifier hashes the bytes itself, so a
//! provider that kept only hashes (leaf hashes, chunk hashes, even every inner
//! node) cannot answer: a leaf is a one-way function of the bytes and their
//! position. Answering with a hash alone, or with a digest bound to a nonce, would
//! not do: a hash is static and a nonce-bound digest cannot be checked by a
//! verifier that does not hold the data. Proving 1 KiB segments rather than whole
//! 256 KiB chunks keeps a proof at a few KiB and its check at a few microseconds
//! (one BLAKE3 chunk and one compression per level), while a provider that dropped
//! a fraction `f` of its data still fails each item with probability `f`.

use crate::challenge::{StorageChallenge, MAX_CHALLENGE_ITEMS};
use crate::manifest::{Commitment, Manifest};
use crate::tree::{verify_path, MAX_PATH_LEN, SEGMENT_SIZE};
use plinth_core::{CodecError, Hash};
use rayon::prelude::*;

/// One challenged segment: its bytes, its leaf and its path to the root.
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
pub struct ProofItem {
    /// The segment's file-wide index.
    pub index: u64,
    /// The segment's leaf, as the provider claims it.
    pub leaf: Hash,
    /// The segment's bytes.
    pub segment: Vec<u8>,
    /// The leaf's siblings from the bottom up (see [`crate::tree::MerkleTree::prove`]).
    pub path: Vec<Hash>,
}

/// A provider's answer to one challenge.
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
pub struct StorageProof {
    /// The deal proven.
    pub deal: Hash,
    /// The epoch of the challenge answered.
    pub epoch: u64,
    /// One item per challenged segment, in the challenge's order.
    pub items: Vec<ProofItem>,
}

/// The longest encoded proof: [`MAX_CHALLENGE_ITEMS`] items of a full segment and a
/// path of [`MAX_PATH_LEN`] hashes.
pub const MAX_PROOF_BYTES: usize =
    32 + 8 + 4 + MAX_CHALLENGE_ITEMS * (8 + 32 + 4 + SEGMENT_SIZE + 4 + 32 * MAX_PATH_LEN);

impl StorageProof {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        plinth_core::encode(self)
    }

    /// Decodes a proof received over the network, bounded in size.
    pub fn decode(bytes: &[u8]) -> Result<StorageProof, CodecError> {
        plinth_core::decode(bytes, MAX_PROOF_BYTES)
    }
}

/// Why a proof fails its challenge. Every variant names the segment at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof answers another deal's challenge.
    #[error("the proof is for deal {got}, the challenge for {expected}")]
    WrongDeal {
        /// The challenged deal.
        expected: Hash,
        /// The proof's deal.
        got: Hash,
    },
    /// The proof answers another epoch's challenge.
    #[error("the proof is for epoch {got}, the challenge for {expected}")]
    WrongEpoch {
        /// The challenge's epoch.
        expected: u64,
        /// The proof's epoch.
        got: u64,
    },
    /// A challenged segment is missing.
    #[error("segment {index} was challenged but is not in the proof")]
    MissingItem {
        /// The segment's index.
        index: u64,
    },
    /// A segment that was not challenged is in the proof.
    #[error("segment {index} is in the proof but was not challenged")]
    UnexpectedItem {
        /// The segment's index.
        index: u64,
    },
    /// A segment is in the proof twice.
    #[error("segment {index} is in the proof more than once")]
    DuplicateItem {
        /// The segment's index.
        index: u64,
    },
    /// No such segment in the file.
    #[error("segment {index} is out of range: the file has {count} segments")]
    OutOfRange {
        /// The segment's index.
        index: u64,
        /// The file's segments.
        count: u64,
    },
    /// The segment's length is not the file's there.
    #[error("segment {index} has {got} bytes, the file has {expected} there")]
    WrongLength {
        /// The segment's index.
        index: u64,
        /// The file's length there.
        expected: usize,
        /// The proof's length.
        got: usize,
    },
    /// The segment's bytes do not hash to the leaf the proof claims.
    #[error("segment {index}'s bytes do not hash to the leaf the proof claims")]
    WrongLeaf {
        /// The segment's index.
        index: u64,
    },
    /// The segment's merkle path does not lead to the deal's root.
    #[error("segment {index}'s path does not lead to the deal's root")]
    BadPath {
        /// The segment's index.
        index: u64,
    },
}

impl ProofError {
    /// The segment at fault, if the failure is about one segment.
    pub fn segment(&self) -> Option<u64> {
        match self {
            ProofError::WrongDeal { .. } | ProofError::WrongEpoch { .. } => None,
            ProofError::MissingItem { index }
            | ProofError::UnexpectedItem { index }
            | ProofError::DuplicateItem { index }
            | ProofError::OutOfRange { index, .. }
            | ProofError::WrongLength { index, .. }
            | ProofError::WrongLeaf { index }
            | ProofError::BadPath { index } => Some(*index),
        }
    }
}

/// Checks `proof` against `challenge` for the deal committed to by `manifest`: one
/// item per challenged segment (in any order), each with the segment's exact bytes
/// and a path from their leaf to the root. Pure and allocation-free.
pub fn verify_proof(
    manifest: &Manifest,
    challenge: &StorageChallenge,
    proof: &StorageProof,
) -> Result<(), ProofError> {
    if proof.deal != challenge.deal {
        return Err(ProofError::WrongDeal {
            expected: challenge.deal,
            got: proof.deal,
        });
    }
    if proof.epoch != challenge.epoch {
        return Err(ProofError::WrongEpoch {
            expected: challenge.epoch,
            got: proof.epoch,
        });
    }
    for (n, item) in proof.items.iter().enumerate() {
        if !challenge.indices.contains(&item.index) {
            return Err(ProofError::UnexpectedItem { index: item.index });
        }
        if proof.items[..n].iter().any(|i| i.index == item.index) {
            return Err(ProofError::DuplicateItem { index: item.index });
        }
    }
    let count = manifest.segment_count();
    for &index in &challenge.indices {
        let Some(item) = proof.items.iter().find(|i| i.index == index) else {
            return Err(ProofError::MissingItem { index });
        };
        if index >= count {
            return Err(ProofError::OutOfRange { index, count });
        }
        let expected = manifest.segment_len(index);
        if item.segment.len() != expected {
            return Err(ProofError::WrongLength {
                index,
                expected,
                got: item.segment.len(),
            });
        }
        if manifest.segment_leaf(index, &item.segment) != item.leaf {
            return Err(ProofError::WrongLeaf { index });
        }
        if !verify_path(&manifest.root, index, &item.leaf, &item.path, count) {
            return Err(ProofError::BadPath { index });
        }
    }
    Ok(())
}

/// One proof to check: the deal's manifest, the challenge, the answer.
pub type ProofJob<'a> = (&'a Manifest, &'a StorageChallenge, &'a StorageProof);

/// [`verify_proof`] over many proofs on all cores; results in input order.
pub fn verify_proofs(jobs: &[ProofJob<'_>]) -> Vec<Result<(), ProofError>> {
    jobs.par_iter()
        .map(|(m, c, p)| verify_proof(m, c, p))
        .collect()
}

/// Answers `challenge` from a file held in memory (`data` is the whole file). An
/// index out of range gets no item. Used by tests, benchmarks and simulators; the
/// agent answers from disk.
pub fn prove_from_memory(
    commitment: &Commitment,
    data: &[u8],
    challenge: &StorageChallenge,
) -> StorageProof {
    let m = &commitment.manifest;
    let items = challenge
        .indices
        .iter()
        .filter_map(|&index| {
            let chunk = index / m.segments_per_chunk();
            let start = m.chunk_offset(chunk) as usize;
            let bytes = data.get(start..start + m.chunk_len(chunk))?;
            prove_segment(m, &commitment.chunks, bytes, index)
        })
        .collect();
    StorageProof {
        deal: challenge.deal,
        epoch: challenge.epoch,
        items,
    }
}

/// The proof item of segment `index` from the bytes of the chunk that holds it;
/// `None` when out of range or `chunk` is not that chunk's length.
pub fn prove_segment(
    manifest: &Manifest,
    chunks: &crate::tree::MerkleTree,
    chunk: &[u8],
    index: u64,
) -> Option<ProofItem> {
    let path = manifest.segment_path(chunks, chunk, index)?;
    let within = (index % manifest.segments_per_chunk()) as usize * SEGMENT_SIZE;
    let segment = chunk[within..within + manifest.segment_len(index)].to_vec();
    Some(ProofItem {
        index,
        leaf: manifest.segment_leaf(index, &segment),
        segment,
        path,
    })
}
