//! Plinth's ledger: a deterministic state machine over a key-value [`Store`].
//!
//! ```text
//!   Block ──▶ verify header ──▶ verify signatures (batched, parallel)
//!                                  │
//!                                  ▼
//!           for each tx: Overlay ─ apply_tx ─▶ commit to block overlay | reject (typed error)
//!                                  │
//!                                  ▼
//!        write set ──▶ Jellyfish Merkle Tree ──▶ state root + tree nodes to persist
//! ```
//!
//! The crate does no I/O and knows no async runtime: the node hands it a [`Store`]
//! (a snapshot of committed state) and persists the [`Execution`] it returns. There is
//! no clock and no randomness: the block's timestamp and height come in with the block.
//! Amounts are `u64` in the token's smallest unit with checked arithmetic.
//!
//! Modules follow the ledger's domains: [`accounts`], [`devices`], [`staking`],
//! [`emission`] (schedule and supply) and [`rewards`] (oracle-signed epoch manifests,
//! merkle-proof claims); [`tx`] holds the signed envelope and [`block`] the block
//! format.

pub mod accounts;
pub mod block;
pub mod credits;
pub mod devices;
pub mod emission;
pub mod error;
pub mod execute;
pub mod genesis;
pub mod keys;
pub mod params;
pub mod rewards;
pub mod staking;
pub mod state;
pub mod storage;
pub mod tree;
pub mod tx;
pub mod validators;

pub use block::{block_hash, Block, BlockHeader, Receipt, SealedHeader};
pub use emission::{Emission, Supply};
pub use error::{LedgerError, TxError};
pub use execute::{admit, apply_block, execute, BlockContext, Execution, PendingView, SigCheck};
pub use genesis::Genesis;
pub use params::ChainParams;
pub use rewards::{ManifestEntry, ManifestHeader, OracleSet, OracleSignature, RewardEpoch};
pub use state::{Overlay, Store};
pub use tx::{Call, SignedTx, StakeTarget, Transaction};

/// Amounts in the token's smallest unit.
pub type Amount = u64;

/// The largest encoded transaction the ledger accepts. Sized so that a reward
/// manifest with the most oracle signatures (64 × 96 bytes) fits.
pub const MAX_TX_BYTES: usize = 8 * 1024;
