//! Plinth's storage network: a consumer's file committed as a merkle root, kept by
//! a provider's agent, and checked every epoch by challenges on random segments.
//!
//! ```text
//!  client::put ── Commitment::of_reader ──▶ Manifest {root, size, chunk_size} ──▶ ledger deal
//!        │                                                                          │
//!        └─ PUT manifest + chunk hashes, then chunks ─▶ agent (disk, fsync) ◀── DealSource
//!                                                         │      ▲
//!  client::get ◀── chunks, each checked against the root ─┘      │ StorageChallenge
//!                                                                │ (block hash, deal, epoch)
//!  oracle ── StorageChallenge::derive ──▶ POST prove ──▶ StorageProof ──▶ verify_proof
//! ```
//!
//! - [`tree`]: the merkle tree (BLAKE3's own, keyed): the root of a file is
//!   `blake3::keyed_hash(&tree::KEY, file)`; paths and their check.
//! - [`manifest`]: a deal's [`Manifest`] (root, size, chunk size), chunk checks, and
//!   [`Commitment`] (manifest plus the tree over chunk hashes).
//! - [`challenge`] and [`proof`]: [`StorageChallenge`] drawn from a block hash,
//!   [`StorageProof`] carrying the challenged segments' bytes, [`verify_proof`].
//! - `agent` and `client` (feature `agent`, off by default): the provider's HTTP
//!   agent, which stores deals on disk, serves them and answers challenges, with the
//!   cheating behaviours the fleet simulator needs; and the blocking client.
//!
//! A deal's life in the pure part, as the client, the agent and the oracle see it:
//!
//! ```
//! use plinth_core::Hash;
//! use plinth_storage::{prove_from_memory, verify_proof, Commitment, StorageChallenge, CHUNK_SIZE};
//!
//! let file = vec![7u8; 600_000];
//! // The client commits to the file; the manifest goes into the ledger's deal.
//! let commitment = Commitment::of_bytes(&file, CHUNK_SIZE).unwrap();
//! let manifest = commitment.manifest;
//! assert_eq!(manifest.root.0, *blake3::keyed_hash(&plinth_storage::tree::KEY, &file).as_bytes());
//! // Each epoch the oracle draws a challenge from a block hash…
//! let deal = Hash::of(b"deal id");
//! let challenge = StorageChallenge::derive(&Hash::of(b"block hash"), &deal, 1, &manifest, 4);
//! // …the provider answers from its data (the agent: from disk)…
//! let proof = prove_from_memory(&commitment, &file, &challenge);
//! // …and the oracle checks the answer against the deal's root.
//! verify_proof(&manifest, &challenge, &proof).unwrap();
//! ```
//!
//! Everything but `agent` and `client` is pure: no I/O but a caller's `Read`, no
//! clock, no randomness but the seed passed in.

#![warn(missing_docs)]

#[cfg(feature = "agent")]
pub mod agent;
pub mod challenge;
#[cfg(feature = "agent")]
pub mod client;
pub mod manifest;
pub mod proof;
pub mod tree;

pub use challenge::{
    challenge_indices, StorageChallenge, DEFAULT_CHALLENGE_ITEMS, MAX_CHALLENGE_ITEMS,
};
pub use manifest::{
    receipt_message, ChunkError, CommitError, Commitment, HashListError, Manifest, ManifestError,
    CHUNK_SIZE, MAX_CHUNKS, MAX_CHUNK_SIZE, MAX_DEAL_SIZE,
};
pub use proof::{
    prove_from_memory, prove_segment, verify_proof, verify_proofs, ProofError, ProofItem,
    StorageProof, MAX_PROOF_BYTES,
};
pub use tree::{verify_path, MerkleTree, SEGMENT_SIZE};
