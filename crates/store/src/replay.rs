//! Re-executing a store's chain: every block from genesis in memory, each
//! checked as a block from elsewhere (seal, transaction root, signatures, state
//! root), then the stored state's root against the replay's, and the stored
//! registry index against the digests the replay gives. What `plinth replay`
//! runs on a stopped node, and the simulations on every validator; it also
//! rebuilds the registry index of a store made before the index existed.

use crate::{registry_rows, ChainStore, StoreError};
use plinth_core::Hash;
use plinth_ledger::devices::RegistryDigest;
use plinth_ledger::state::MemStore;
use plinth_ledger::{apply_block, Execution, LedgerError, SigCheck, Store};

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
    /// The stored registry index differs from the digests the replay gives,
    /// first at `height`.
    #[error("the stored registry index differs from the replayed digests at height {height}")]
    RegistryIndex {
        /// The lowest height where they differ.
        height: u64,
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

/// The registry-index rows a replay computes: (height, network, digest).
type Rows = Vec<(u64, String, RegistryDigest)>;

/// Replays every block of `store` from its genesis, and checks its registry
/// index against the replayed digests.
pub fn replay(store: &ChainStore) -> Result<ReplayReport, ReplayError> {
    let (report, rows) = replay_rows(store)?;
    let mut expected: Vec<(u64, String, Hash, u64)> = rows
        .into_iter()
        .map(|(h, n, d)| (h, n, d.set.digest(), d.devices))
        .collect();
    let mut stored = store.registry_index()?;
    expected.sort();
    stored.sort();
    if let Some(height) = first_difference(&expected, &stored) {
        return Err(ReplayError::RegistryIndex { height });
    }
    Ok(report)
}

/// Rebuilds the registry index of `store` by replaying its chain, and marks it
/// complete. Returns how many rows it wrote.
pub fn rebuild_registry_index(store: &ChainStore) -> Result<usize, StoreError> {
    let (_, rows) = replay_rows(store).map_err(|e| match e {
        ReplayError::Store(e) => e,
        other => StoreError::Corrupt {
            what: "chain (replayed to rebuild the registry index)",
            reason: other.to_string(),
        },
    })?;
    store.write_registry_index(&rows)?;
    Ok(rows.len())
}

/// The lowest height at which two sorted row lists differ.
fn first_difference(a: &[(u64, String, Hash, u64)], b: &[(u64, String, Hash, u64)]) -> Option<u64> {
    let differ = a
        .iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map(|(x, y)| x.0.min(y.0));
    differ.or_else(|| match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => Some(b[a.len()].0),
        std::cmp::Ordering::Greater => Some(a[b.len()].0),
        std::cmp::Ordering::Equal => None,
    })
}

/// The rows block `height` adds to the registry index, on top of `mem`.
fn rows_of(
    height: u64,
    exec: &Execution,
    mem: &MemStore,
    out: &mut Rows,
) -> Result<(), StoreError> {
    let rows = registry_rows(height, exec, |k| {
        mem.get(k)
            .map_err(|e| StoreError::Ledger(LedgerError::Store(e)))
    })?;
    out.extend(rows.into_iter().map(|(n, d)| (height, n, d)));
    Ok(())
}

/// Replays every block of `store` from its genesis; returns the report and the
/// registry-index rows the replay computes.
fn replay_rows(store: &ChainStore) -> Result<(ReplayReport, Rows), ReplayError> {
    let genesis = store.genesis()?.ok_or(ReplayError::NoGenesis)?;
    let mut mem = MemStore::new();
    let mut rows = Rows::new();
    let exec = genesis.execute(&mem).map_err(ReplayError::Genesis)?;
    rows_of(0, &exec, &mem, &mut rows)?;
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
        rows_of(height, &exec, &mem, &mut rows)?;
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
    let report = ReplayReport {
        height: head.height,
        state_root: parent.state_root,
        txs,
    };
    Ok((report, rows))
}
