//! `plinth replay`: re-executes every block of a node's store from genesis in memory
//! and checks that each block's state root, and the stored state's root, match.
//! Run it on a stopped node to audit its database.

use anyhow::{bail, Context, Result};
use plinth_ledger::state::MemStore;
use plinth_ledger::{apply_block, SigCheck};
use plinth_store::ChainStore;
use std::path::Path;

pub struct ReplayReport {
    pub height: u64,
    pub state_root: plinth_core::Hash,
    pub txs: usize,
}

pub fn replay(data_dir: &Path) -> Result<ReplayReport> {
    let path = data_dir.join("chain.redb");
    if !path.exists() {
        bail!("no chain at {}", path.display());
    }
    let store = ChainStore::open(&path).with_context(|| {
        format!(
            "opening {} (is a node still running on it?)",
            path.display()
        )
    })?;
    let genesis = store.genesis()?.context("the store has no genesis")?;
    let mut mem = MemStore::new();
    let exec = genesis.execute(&mem)?;
    mem.commit(&exec);
    let mut parent = store
        .block(0)?
        .context("genesis block missing")?
        .sealed_header();
    if parent.state_root != exec.state_root {
        bail!("genesis state root differs from the stored genesis block");
    }
    let head = store.head()?;
    let mut txs = 0;
    for h in 1..=head.height {
        let block = store
            .block(h)?
            .with_context(|| format!("block {h} missing"))?;
        let exec = apply_block(&mem, &parent, &block, SigCheck::Verify)
            .with_context(|| format!("replaying block {h}"))?;
        mem.commit(&exec);
        txs += block.txs.len();
        parent = block.sealed_header();
    }
    // The store's own tree must have the same root as the replay.
    let snap = store.snapshot()?;
    let stored_root = plinth_ledger::tree::root(&snap, head.height)?;
    if stored_root != parent.state_root {
        bail!(
            "stored state root {stored_root} differs from the replayed {}",
            parent.state_root
        );
    }
    Ok(ReplayReport {
        height: head.height,
        state_root: parent.state_root,
        txs,
    })
}
