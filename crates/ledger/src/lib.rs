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
//! # Modules
//!
//! The dispatcher and the layers below it:
//!
//! - [`execute`](mod@execute): the dispatcher. Executes blocks (signatures, each transaction's
//!   nonce and fee, its call routed to the module that owns it, the state root)
//!   and admits transactions to the mempool. The only module that imports the
//!   modules handling calls.
//! - [`context`]: what call handlers share with the dispatcher: the block's
//!   context, a transaction's context, the failure type.
//! - [`outcome`]: what executing yields: receipts, the write set, the new root.
//! - [`tx`]: the signed transaction and the wire list of [`Call`]s, each mapped to
//!   the module that owns it.
//! - [`block`]: the block format, its seal and its id.
//! - [`genesis`]: the genesis file and the state it builds.
//! - [`params`]: chain parameters, networks and validators as the genesis fixes
//!   them.
//! - [`state`]: the [`Store`] the ledger reads and the [`Overlay`] it writes into.
//! - [`tree`]: the state root (a Jellyfish Merkle Tree) and state proofs.
//! - [`keys`]: the key layout of ledger state.
//! - [`error`]: typed errors of transactions and blocks.
//!
//! The domains, each owning its calls (an `apply` the dispatcher calls) and their
//! handlers:
//!
//! - [`accounts`]: balances and nonces; transfers.
//! - [`devices`]: device registration, transfer, location, retirement, and each
//!   network's registry digest ([`devices::RegistryDigest`], a `SetHash`).
//! - [`staking`]: bonds on devices and validators, unbonding, withdrawal.
//! - [`validators`]: the validator set and its changes at epoch boundaries.
//! - [`emission`]: the emission schedule and the supply record.
//! - [`oracle_set`]: the oracle set, its schedule (which set is in force at an
//!   epoch) and the messages it signs (reward manifests, prices, storage
//!   settlements) with the checks of their signatures.
//! - `oracle_schedule`: changes of the oracle set by transaction
//!   ([`Call::SetOracleSet`], by the validator admin), effective from a named epoch.
//! - [`rewards`]: oracle-signed epoch manifests, claimed with merkle proofs.
//! - [`credits`]: burn-and-mint credits at the oracle-posted price.
//! - [`storage`]: storage offers and deals, settled by the oracle set.
//! - [`gov_types`]: governance records and settings (a leaf, so that calls can
//!   carry actions and votes).
//! - [`governance`]: locked-token positions, proposals, votes and tallies, the
//!   actions passed proposals apply (parameters by epoch, treasury, makers,
//!   upgrade plans).
//! - [`compute`], [`compute_types`]: the compute market and verified jobs.
//! - [`bursts`]: credits on a custom family's tag, paid to the devices of an award
//!   proven under a manifest's awards root, or refunded after the deadline.
//!
//! Imports point one way (no cycle; only `execute` imports the domains, and no
//! module imports `execute`):
//!
//! ```text
//!   execute ──▶ accounts devices staking validators rewards credits storage oracle_schedule
//!      │          │ each imports tx and context (rewards, credits, storage,
//!      ▼          ▼ oracle_schedule also oracle_set), and the leaves below
//!   block ─▶ tx ─▶ oracle_set ─▶ context ─▶ params emission state outcome keys error
//! ```

#![warn(missing_docs)]

pub mod accounts;
pub mod block;
pub mod bursts;
pub mod compute;
pub mod compute_types;
pub mod context;
pub mod credits;
pub mod devices;
pub mod emission;
pub mod energy;
pub mod error;
pub mod execute;
pub mod genesis;
pub mod gov_types;
pub mod governance;
pub mod keys;
mod oracle_schedule;
pub mod oracle_set;
pub mod outcome;
pub mod params;
pub mod rewards;
pub mod staking;
pub mod state;
pub mod storage;
pub mod tree;
pub mod tx;
pub mod validators;

pub use block::{block_hash, Block, BlockHeader, SealedHeader};
pub use context::BlockContext;
pub use emission::{Emission, Supply};
pub use error::{LedgerError, TxError};
pub use execute::{admit, apply_block, execute, PendingView, SigCheck};
pub use genesis::Genesis;
pub use oracle_set::{ManifestEntry, ManifestHeader, OracleSet, OracleSignature};
pub use outcome::{Execution, Receipt};
pub use params::ChainParams;
pub use rewards::RewardEpoch;
pub use state::{Overlay, Store};
pub use tx::{Call, SignedTx, StakeTarget, Transaction};

/// Amounts in the token's smallest unit.
pub type Amount = u64;

/// The largest encoded transaction the ledger accepts. Sized so that a reward
/// manifest with the most oracle signatures (64 × 96 bytes) fits.
pub const MAX_TX_BYTES: usize = 8 * 1024;
