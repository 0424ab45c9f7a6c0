//! Block production in two stages, so that a saturated producer keeps both
//! cores busy.
//!
//! ```text
//!  producer thread:  build N ─▶ build N+1 (on N's writes) ─▶ build N+2 …
//!                        │            │ waits for N            │ waits for N+1
//!  commit thread:        └─ commit N ─┴──────── commit N+1 ────┴── …
//! ```
//!
//! A block is built (mempool batch, execution, seal) on top of the block being
//! committed, reading its uncommitted writes through a
//! [`Layered`](plinth_ledger::state::Layered) view and leaving its transactions
//! out; executing on that view gives exactly the writes and state root the
//! block gets on top of the committed parent. Blocks still commit one at a time
//! and in order, each with one atomic store commit, so a crash at any moment
//! leaves the store at a committed block; a block built but not committed is
//! lost, and its transactions are still in the durable mempool.

use crate::upgrade::UpgradeNeeded;
use crate::Node;
use plinth_core::Hash;
use plinth_ledger::state::{Layer, Layered};
use plinth_ledger::{Block, Execution, SealedHeader, TxError};
use plinth_store::StoreError;
use std::collections::HashSet;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// A block committed by [`Node::produce`] or a [`Pipeline`].
#[derive(Debug, Clone)]
pub struct Produced {
    /// Its header and seal.
    pub header: SealedHeader,
    /// How many transactions it holds.
    pub txs: usize,
}

/// A block built and sealed, not committed yet.
pub(crate) struct Built {
    pub(crate) block: Block,
    pub(crate) exec: Execution,
    /// Transactions its execution rejected: left out, dropped when it commits.
    pub(crate) rejected: Vec<(Hash, TxError)>,
    /// The ids of the mempool transactions it took, included or rejected: the
    /// next block leaves them out (the rejected ones are dropped when it commits).
    pub(crate) taken: HashSet<Hash>,
    pub(crate) started: Instant,
}

impl Layer for Built {
    fn execution(&self) -> &Execution {
        &self.exec
    }
}

/// The block being committed, on the commit thread.
struct InFlight {
    built: Arc<Built>,
    commit: JoinHandle<Result<Produced, StoreError>>,
}

/// A node's pipelined block producer: see the [module docs](self). Blocking:
/// use it from one blocking thread; only one producer may run per node.
pub struct Pipeline {
    node: Arc<Node>,
    in_flight: Option<InFlight>,
}

impl Pipeline {
    /// A producer for `node`, with nothing in flight.
    pub fn new(node: Arc<Node>) -> Pipeline {
        Pipeline {
            node,
            in_flight: None,
        }
    }

    /// Builds the next block on top of the one being committed (if any), waits
    /// for that one's commit, then starts committing the new one. Returns the
    /// block whose commit finished. An error (building, or the commit waited
    /// for) stops the pipeline: the block built is not committed.
    pub fn step(&mut self) -> Result<Option<Produced>, StoreError> {
        let built = self.node.build(self.in_flight.as_ref().map(|f| &*f.built));
        let done = self.flush();
        let built = Arc::new(built?);
        let done = done?;
        let node = self.node.clone();
        let committing = built.clone();
        let commit = std::thread::Builder::new()
            .name("block-commit".into())
            .spawn(move || node.commit_built(&committing))?;
        self.in_flight = Some(InFlight { built, commit });
        Ok(done)
    }

    /// Waits for the block being committed, if any; returns it once durable.
    pub fn flush(&mut self) -> Result<Option<Produced>, StoreError> {
        match self.in_flight.take() {
            None => Ok(None),
            Some(f) => match f.commit.join() {
                Ok(done) => done.map(Some),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        }
    }

    /// How many mempool transactions the block being committed took, included
    /// or rejected (0 when none is in flight): they leave the mempool when it
    /// commits, and the next block does not take them again.
    pub fn in_flight_taken(&self) -> usize {
        self.in_flight
            .as_ref()
            .map(|f| f.built.taken.len())
            .unwrap_or(0)
    }

    /// Whether a binary knowing [`crate::NodeConfig::known_upgrades`] must stop
    /// before the next block this pipeline would build.
    pub fn upgrade_needed(&self) -> Result<Option<UpgradeNeeded>, StoreError> {
        let parent = self.in_flight.as_ref().map(|f| &*f.built);
        let (snapshot, layers) = self.node.state_after(parent)?;
        let next = match parent {
            Some(p) => p.block.header.height + 1,
            None => snapshot.head().unwrap_or(0) + 1,
        };
        let view = Layered::new(&snapshot, &layers);
        Ok(self.node.upgrade_needed_at(&view, next)?)
    }
}

impl Drop for Pipeline {
    /// Waits for the block being committed: a pipeline dropped (on shutdown)
    /// leaves no commit running behind it.
    fn drop(&mut self) {
        if let Some(f) = self.in_flight.take() {
            let _ = f.commit.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Node, NodeConfig};
    use plinth_core::{Address, Keypair};
    use plinth_ledger::{tree, Call, Genesis, Transaction};
    use std::time::Duration;

    /// A block built on its parent while the parent is not committed reads the
    /// parent's writes through the layer: it takes the next nonces, and its root
    /// is the one the committed chain has.
    #[test]
    fn a_block_builds_on_a_parent_not_yet_committed() {
        let (v, alice, bob) = (
            Keypair::from_seed([1; 32]),
            Keypair::from_seed([2; 32]),
            Keypair::from_seed([3; 32]),
        );
        let genesis = Genesis::from_toml(&format!(
            "chain_id = \"pipe\"\ngenesis_time_ms = 0\nblock_time_ms = 1000\n\
             [token]\nname = \"T\"\nsymbol = \"T\"\ndecimals = 0\n\
             [fees]\nmin_fee = 1\n[staking]\nunbonding_blocks = 10\n\
             [[accounts]]\naddress = \"{}\"\nbalance = 1000\n\
             [[validators]]\nname = \"v\"\naddress = \"{}\"\n",
            Address(alice.public()),
            Address(v.public())
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig::new(dir.path().to_path_buf(), Duration::from_secs(1));
        config.max_block_txs = 2;
        let node = Node::open(genesis, v, config).unwrap();
        let txs: Vec<Vec<u8>> = (0..4u64)
            .map(|nonce| {
                Transaction {
                    chain_id: "pipe".into(),
                    signer: Address(alice.public()),
                    nonce,
                    fee: 1,
                    call: Call::Transfer {
                        to: Address(bob.public()),
                        amount: 100 + nonce,
                    },
                }
                .sign(&alice)
                .encode()
            })
            .collect();
        assert!(node.submit_blocking(txs, false).iter().all(|v| v.is_ok()));

        let first = node.build(None).unwrap();
        let (_, layers) = node.state_after(Some(&first)).unwrap();
        assert_eq!(layers.len(), 1, "the parent is not in the store yet");
        let second = node.build(Some(&first)).unwrap();
        let nonces = |b: &super::Built| b.block.txs.iter().map(|t| t.tx.nonce).collect::<Vec<_>>();
        assert_eq!((nonces(&first), nonces(&second)), (vec![0, 1], vec![2, 3]));
        assert_eq!(second.block.header.parent, first.block.hash());
        assert!(second.exec.receipts.iter().all(|r| r.is_ok()));

        node.commit_built(&first).unwrap();
        let (_, layers) = node.state_after(Some(&first)).unwrap();
        assert!(layers.is_empty(), "committed: read from the store");
        node.commit_built(&second).unwrap();
        let snapshot = node.store.snapshot().unwrap();
        assert_eq!(
            tree::root(&snapshot, 2).unwrap(),
            second.block.header.state_root
        );
        assert_eq!(node.mempool_len(), 0);
        let bob_balance = plinth_ledger::accounts::load(
            &plinth_ledger::Overlay::new(&snapshot),
            &Address(bob.public()),
        )
        .unwrap()
        .map(|a| a.balance);
        assert_eq!(bob_balance, Some(100 + 101 + 102 + 103));
    }
}
