//! Plinth's shared vocabulary: the canonical codec, keys and signatures, hashes,
//! merkle trees, human-readable addresses, epoch arithmetic and family kinds.
//!
//! Everything here is pure: no I/O, no clock, no randomness except what a caller
//! passes in. The ledger, the proof families and every service build on these types,
//! so a transaction, a report or a block encodes to the same bytes everywhere.
//!
//! - [`address`]: bech32m account addresses (`plinth1…`) and device ids (`pdev1…`).
//! - [`codec`]: the canonical binary encoding (borsh) with a size limit on every decode.
//! - [`epoch`]: reward epochs from genesis time and epoch length ([`EpochClock`],
//!   [`EpochWindow`]), overflow-free.
//! - [`family`]: the kinds of proof family a network can name ([`FamilyKind`]).
//! - [`hash`]: blake3 digests, tagged hashing, the chain identity.
//! - [`keys`]: ed25519 key pairs, public keys and signatures, batch verification.
//! - [`memo`]: a bounded, process-wide memo of pure results ([`Memo`]).
//! - [`merkle`]: binary merkle trees with domain-separated leaves and inclusion proofs.
//! - [`sethash`]: an order-independent, incrementally updatable multiset hash
//!   ([`SetHash`], LtHash), the digest of a device registry.

#![warn(missing_docs)]

pub mod address;
pub mod codec;
pub mod epoch;
pub mod family;
pub mod hash;
pub mod keys;
pub mod memo;
pub mod merkle;
pub mod sethash;

pub use address::{Address, AddressError, DeviceId};
pub use codec::{decode, encode, CodecError};
pub use epoch::{EpochClock, EpochWindow};
pub use family::{FamilyKind, UnknownFamily};
pub use hash::{chain_identity, Hash};
pub use keys::{
    batch_size, verify_batch, verify_batch_uncached, verify_each, KeyError, Keypair, PublicKey,
    Signature,
};
pub use memo::Memo;
pub use sethash::SetHash;
