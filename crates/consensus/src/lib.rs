//! Plinth's validator set: the same ledger on several machines, ordered by
//! commonware's simplex BFT consensus.
//!
//! Nothing of consensus is written here. commonware's `simplex` orders block
//! digests and certifies them with the validators' ed25519 signatures; its
//! `marshal` moves whole blocks, delivers finalized ones in height order and
//! backfills what a validator missed from its peers. This crate supplies the
//! application those engines drive:
//!
//! - [`block`]: the ledger's sealed block with commonware's block traits.
//! - [`application`]: build blocks from the mempool, verify blocks by executing
//!   them, persist finalized blocks atomically with their state in the node's
//!   store (idempotent by height).
//! - [`speculative`]: executions of notarized-but-not-final blocks, layered over
//!   the finalized snapshot.
//! - [`gossip`]: transactions accepted by one validator reach every mempool.
//! - [`engine`]: the wiring of one validator over six p2p channels, for any
//!   commonware runtime (deterministic in tests, tokio in `plinth node`).
//! - [`network`]: the real p2p network (authenticated, encrypted, peers from the
//!   configuration's address book).
//!
//! ```text
//!  wallet ─▶ any node ─▶ mempool ─gossip─▶ every mempool
//!                          │
//!            leader: propose(block from mempool) ─▶ simplex votes ─▶ finalization
//!                                                                     │
//!            every validator: marshal ─▶ committer ─▶ redb (block + state, one commit)
//! ```

#![warn(missing_docs)]

pub mod application;
pub mod block;
pub mod engine;
pub mod gossip;
pub mod network;
pub mod speculative;

pub use application::{Ledger, LedgerConfig};
pub use block::Block;
pub use engine::{Channels, Timeouts, ValidatorConfig};
