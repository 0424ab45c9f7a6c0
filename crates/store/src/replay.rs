//! Re-executing a store's chain: every block from genesis in memory, each
//! checked as a block from elsewhere (seal, transaction root, signatures, state
//! root), then the stored state's root against the replay's. What `plinth
//! replay` runs on a stopped node, and the simulations on every validator.

use crate::{ChainStore, StoreError};
use plinth_core::Hash;
use plinth_ledger::state::MemStore;
use plinth_ledger::{apply_block, LedgerError, SigCheck};

/// A replay that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    /// The height of the last block replayed (the store's head).
    pub height: u64,
    /// The state root after it, equal to the stored state's.
    pub state_root: Hash,
    /// How many transactions the replayed blocks held.
    pub txs: usize,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store has no genesis to start from.
    #[error("the store has no genesis")]
    NoGenesis,
    /// A block below the head is missing (the height).
    #[error("block {0} is missing")]
    MissingBlock(u64),
    /// Executing the genesis gives another state root than the stored block 0's.
    #[error("genesis state root differs from the stored genesis block")]
    GenesisRoot,
    /// Executing the genesis failed.
    #[error("replaying genesis: {0}")]
    Genesis(LedgerError),
    /// A block failed its checks or its execution.
    #[error("replaying block {height}: {source}")]
    Block {
        /// The block's height.
        height: u64,
        /// Why it failed.
        source: LedgerError,
    },
    /// The replayed state differs from the stored state.
    #[error("stored state root {stored} differs from the replayed {replayed}")]
    StateRoot {
        /// The stored state's root.
        stored: Hash,
        /// The replayed state's root.
        replayed: Hash,
    },
}

/// Replays every block of `store` from its genesis.
pub fn replay(store: &ChainStore) -> Result<ReplayReport, ReplayError> {
    let genesis = store.genesis()?.ok_or(ReplayError::NoGenesis)?;
    let mut mem = MemStore::new();
    let exec = genesis.execute(&mem).map_err(ReplayError::Genesis)?;
    mem.commit(&exec);
    let mut parent = store
        .block(0)?
        .ok_or(ReplayError::MissingBlock(0))?
        .sealed_header();
    if parent.state_root != exec.state_root {
        return Err(ReplayError::GenesisRoot);
    }
    let head = store.head()?;
    let mut txs = 0;
    for height in 1..=head.height {
        let block = store
            .block(height)?
            .ok_or(ReplayError::MissingBlock(height))?;
        let exec = apply_block(&mem, &parent, &block, SigCheck::Verify)
            .map_err(|source| ReplayError::Block { height, source })?;
        mem.commit(&exec);
        txs += block.txs.len();
        parent = block.sealed_header();
    }
    let snap = store.snapshot()?;
    let stored = plinth_ledger::tree::root(&snap, head.height)
        .map_err(|e| StoreError::Ledger(LedgerError::Store(e)))?;
    if stored != parent.state_root {
        return Err(ReplayError::StateRoot {
            stored,
            replayed: parent.state_root,
        });
    }
    Ok(ReplayReport {
        height: head.height,
        state_root: parent.state_root,
        txs,
    })
}
