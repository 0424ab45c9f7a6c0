//! Plinth's shared vocabulary: the canonical codec, keys and signatures, hashes,
//! merkle trees, human-readable addresses and epoch arithmetic.
//!
//! Everything here is pure: no I/O, no clock, no randomness except what a caller
//! passes in. The ledger, the proof families and every service build on these types,
//! so a transaction, a report or a block encodes to the same bytes everywhere.

pub mod address;
pub mod codec;
pub mod epoch;
pub mod family;
pub mod hash;
pub mod keys;
pub mod merkle;

pub use address::{Address, AddressError, DeviceId};
pub use codec::{decode, encode, CodecError};
pub use epoch::{EpochClock, EpochWindow};
pub use family::{FamilyKind, UnknownFamily};
pub use hash::{chain_identity, Hash};
pub use keys::{verify_batch, verify_each, KeyError, Keypair, PublicKey, Signature};
