//! `plinth replay`: re-executes every block of a node's store from genesis in memory
//! and checks that each block's state root, and the stored state's root, match.
//! Run it on a stopped node to audit its database. The work is
//! [`plinth_store::replay`], which the consensus simulations run too.

use anyhow::{bail, Context, Result};
use plinth_store::ChainStore;
use std::path::Path;

pub use plinth_store::replay::ReplayReport;

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
    Ok(plinth_store::replay::replay(&store)?)
}
