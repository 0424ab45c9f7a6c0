//! State of blocks that are not final yet.
//!
//! Consensus asks a validator to build on, or vote for, blocks whose parents are
//! notarized but not finalized. The store holds only finalized state, so the
//! executions of such blocks are kept in memory ([`Executions`]) and read through
//! a [`Layered`] view: the finalized snapshot with the executions of the
//! unfinalized ancestors on top, newest first. Executing a block on that view
//! gives exactly the write set, state root and tree nodes it gets when it is
//! later committed on top of its finalized parent, so a finalized block commits
//! the execution computed while voting, without running it again.

use crate::block::{Block, Digest};
use commonware_cryptography::Digestible as _;
use plinth_ledger::state::Layer;
use plinth_ledger::Execution;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A block this validator executed, with the execution.
pub struct Executed {
    /// The block.
    pub block: Block,
    /// Its execution over its parent's state.
    pub exec: Arc<Execution>,
}

impl Layer for Executed {
    fn execution(&self) -> &Execution {
        &self.exec
    }
}

/// A read view: a finalized snapshot, then executions of unfinalized blocks
/// (oldest first) over it.
pub type Layered<'a, S> = plinth_ledger::state::Layered<'a, S, Arc<Executed>>;

/// Executions of unfinalized blocks, by digest. Bounded: the oldest heights go
/// first when it is full (they are re-executed if needed again).
#[derive(Default)]
pub struct Executions {
    inner: Mutex<HashMap<Digest, Arc<Executed>>>,
}

/// Most unfinalized executions kept.
const MAX_EXECUTIONS: usize = 512;

impl Executions {
    /// The execution of the block with `digest`, if kept.
    pub fn get(&self, digest: &Digest) -> Option<Arc<Executed>> {
        self.inner
            .lock()
            .expect("executions lock")
            .get(digest)
            .cloned()
    }

    /// Keeps an execution; when full, first forgets those of the lowest height.
    pub fn insert(&self, executed: Arc<Executed>) {
        let mut map = self.inner.lock().expect("executions lock");
        if map.len() >= MAX_EXECUTIONS {
            let lowest = map
                .values()
                .map(|e| e.block.header().height)
                .min()
                .unwrap_or(0);
            map.retain(|_, e| e.block.header().height > lowest);
        }
        map.insert(executed.block.digest(), executed);
    }

    /// Forgets blocks at or below a finalized height: they are in the store now,
    /// or lost a fork.
    pub fn prune(&self, finalized: u64) {
        self.inner
            .lock()
            .expect("executions lock")
            .retain(|_, e| e.block.header().height > finalized);
    }

    /// How many executions are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("executions lock").len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::{Address, Keypair};
    use plinth_ledger::state::MemStore;
    use plinth_ledger::Store;
    use plinth_ledger::{
        apply_block, block::tx_root, execute, BlockContext, BlockHeader, Call, Genesis,
        SealedHeader, SigCheck, Transaction,
    };

    fn genesis(keys: &[Keypair]) -> Genesis {
        let mut text = String::from(
            "chain_id = \"spec\"\ngenesis_time_ms = 0\nblock_time_ms = 1000\n\
             [token]\nname = \"T\"\nsymbol = \"T\"\ndecimals = 0\n\
             [fees]\nmin_fee = 1\n[staking]\nunbonding_blocks = 10\n",
        );
        for k in keys {
            text.push_str(&format!(
                "[[accounts]]\naddress = \"{}\"\nbalance = 1000000\n",
                Address(k.public())
            ));
        }
        text.push_str(&format!(
            "[[validators]]\naddress = \"{}\"\nname = \"v\"\n",
            Address(keys[0].public())
        ));
        Genesis::from_toml(&text).unwrap()
    }

    fn block_on<S: Store>(
        store: &S,
        parent: &SealedHeader,
        key: &Keypair,
        txs: Vec<plinth_ledger::SignedTx>,
    ) -> (plinth_ledger::Block, Execution) {
        let ctx = BlockContext {
            height: parent.height + 1,
            timestamp_ms: parent.timestamp_ms + 1,
            proposer: Address(key.public()),
        };
        let exec = execute(store, &ctx, &txs, SigCheck::Verify).unwrap();
        let header = BlockHeader {
            chain_id: "spec".into(),
            height: ctx.height,
            parent: parent.hash(),
            timestamp_ms: ctx.timestamp_ms,
            proposer: ctx.proposer,
            tx_root: tx_root(&txs),
            state_root: exec.state_root,
        };
        (plinth_ledger::Block::seal(header, txs, key), exec)
    }

    fn transfer(from: &Keypair, to: &Keypair, nonce: u64) -> plinth_ledger::SignedTx {
        Transaction {
            chain_id: "spec".into(),
            signer: Address(from.public()),
            nonce,
            fee: 1,
            call: Call::Transfer {
                to: Address(to.public()),
                amount: 5,
            },
        }
        .sign(from)
    }

    /// Three blocks executed on layers over a finalized store give the same roots
    /// and, committed one by one, the same store as executing them in turn.
    #[test]
    fn layered_execution_matches_sequential_commits() {
        let keys: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_seed([i; 32])).collect();
        let g = genesis(&keys);
        let mut base = MemStore::new();
        let gexec = g.execute(&base).unwrap();
        base.commit(&gexec);
        let gblock = g.block(gexec.state_root);

        let mut layers: Vec<Arc<Executed>> = Vec::new();
        let mut parent = gblock.sealed_header();
        for i in 0..3u64 {
            let view = Layered::new(&base, &layers);
            let txs = vec![
                transfer(&keys[1], &keys[2], i),
                transfer(&keys[2], &keys[1], i),
            ];
            let (block, exec) = block_on(&view, &parent, &keys[0], txs);
            // A verifier running apply_block on the same view agrees.
            let again = apply_block(&view, &parent, &block, SigCheck::Verify).unwrap();
            assert_eq!(again.state_root, exec.state_root);
            parent = block.sealed_header();
            layers.push(Arc::new(Executed {
                block: Block::new(block).unwrap(),
                exec: Arc::new(exec),
            }));
        }

        // Sequential: commit each layer's execution in order onto the base.
        let mut seq = base.clone();
        for l in &layers {
            seq.commit(&l.exec);
        }
        assert_eq!(
            plinth_ledger::tree::root(&seq, 3).unwrap(),
            layers[2].block.header().state_root
        );

        // And re-executing block 3 on the committed store gives the same root.
        let mut two = base.clone();
        two.commit(&layers[0].exec);
        two.commit(&layers[1].exec);
        let again = apply_block(
            &two,
            &layers[1].block.ledger().sealed_header(),
            layers[2].block.ledger(),
            SigCheck::Verify,
        )
        .unwrap();
        assert_eq!(again.state_root, layers[2].block.header().state_root);
    }
}
