//! What executing a block yields: a [`Receipt`] per transaction and an
//! [`Execution`] (the write set, the new state root and the tree nodes) that the
//! node persists with the block.
//!
//! A leaf: it names only error types, so [`crate::state`] (whose
//! [`MemStore`](crate::state::MemStore) commits an execution) and
//! [`crate::genesis`] (which builds the first one) need nothing of the dispatcher.

use crate::error::TxError;
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::TreeUpdateBatch;
use plinth_core::Hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A write set: key → new value, `None` for a deletion.
pub type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The outcome of one transaction in a block.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Receipt {
    /// The transaction's id ([`crate::SignedTx::hash`]).
    pub tx_hash: Hash,
    /// Its position in the block.
    pub index: u32,
    /// Fee charged (zero for a rejected transaction, which changes nothing).
    pub fee: u64,
    /// Why it was rejected; `None` when it applied.
    pub error: Option<TxError>,
}

impl Receipt {
    /// Whether the transaction applied.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// The result of executing a block: receipts, the write set, the new root and the
/// tree nodes to persist with it.
pub struct Execution {
    /// The tree version written: the block's height.
    pub version: u64,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
    /// Every key the block changed.
    pub writes: Writes,
    /// The state root after the block.
    pub state_root: Hash,
    /// The authenticated tree's new nodes.
    pub tree_batch: TreeUpdateBatch,
}
