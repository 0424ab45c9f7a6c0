//! The [`Store`] the ledger reads and the [`Overlay`] it writes into.
//!
//! The ledger never writes to the store: it collects a block's writes in an overlay
//! (with a nested per-transaction layer, so a rejected transaction is dropped whole)
//! and returns them; the node persists them atomically with the block.

use crate::error::LedgerError;
use crate::outcome::Execution;
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use std::collections::{BTreeMap, HashMap};

/// A read-only view of committed state: the latest value of each key, plus the
/// authenticated tree's nodes (through [`TreeReader`]).
pub trait Store: TreeReader {
    /// The latest committed value of `key`.
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>>;
    /// The latest committed tree version (the head height), or `None` before genesis.
    fn version(&self) -> anyhow::Result<Option<Version>>;
}

/// An execution a [`Layered`] view reads through: a block executed but not yet
/// in the store.
pub trait Layer {
    /// The execution.
    fn execution(&self) -> &Execution;
}

impl Layer for Execution {
    fn execution(&self) -> &Execution {
        self
    }
}

impl<T: Layer + ?Sized> Layer for std::sync::Arc<T> {
    fn execution(&self) -> &Execution {
        (**self).execution()
    }
}

impl<T: Layer + ?Sized> Layer for &T {
    fn execution(&self) -> &Execution {
        (**self).execution()
    }
}

/// A read view: a committed store with the executions of blocks not yet
/// committed (oldest first) over it. Executing a block on it gives exactly the
/// write set, state root and tree nodes the block gets when it executes after
/// those blocks are committed; so a block can be built, or checked, before its
/// parent is durable (the pipelined producer, a validator voting on blocks that
/// are not final).
pub struct Layered<'a, S: Store, L: Layer> {
    base: &'a S,
    layers: &'a [L],
}

impl<'a, S: Store, L: Layer> Layered<'a, S, L> {
    /// A view of `base` with `layers` (oldest first) applied over it.
    pub fn new(base: &'a S, layers: &'a [L]) -> Self {
        Layered { base, layers }
    }
}

impl<S: Store, L: Layer> TreeReader for Layered<'_, S, L> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        for l in self.layers.iter().rev() {
            if let Some(n) = l.execution().tree_batch.node_batch.nodes().get(node_key) {
                return Ok(Some(n.clone()));
            }
        }
        self.base.get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for l in self.layers.iter().rev() {
            let exec = l.execution();
            if exec.version > max_version {
                continue;
            }
            if let Some(v) = exec
                .tree_batch
                .node_batch
                .values()
                .get(&(exec.version, key_hash))
            {
                return Ok(v.clone());
            }
        }
        self.base.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("rightmost leaf is only used by tree restore, which Plinth does not use")
    }
}

impl<S: Store, L: Layer> Store for Layered<'_, S, L> {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        for l in self.layers.iter().rev() {
            if let Some(v) = l.execution().writes.get(key) {
                return Ok(v.clone());
            }
        }
        self.base.get(key)
    }

    fn version(&self) -> anyhow::Result<Option<Version>> {
        match self.layers.last() {
            Some(l) => Ok(Some(l.execution().version)),
            None => self.base.version(),
        }
    }
}

/// A write set lives with what executing yields ([`crate::outcome`]).
pub use crate::outcome::Writes;

/// Uncommitted writes over a [`Store`].
pub struct Overlay<'s, S: Store> {
    store: &'s S,
    block: Writes,
    tx: Writes,
}

impl<'s, S: Store> Overlay<'s, S> {
    /// An empty overlay over `store`.
    pub fn new(store: &'s S) -> Self {
        Overlay {
            store,
            block: Writes::new(),
            tx: Writes::new(),
        }
    }

    /// The current value of `key`: this transaction's writes, then the block's, then the store.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        if let Some(v) = self.tx.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.block.get(key) {
            return Ok(v.clone());
        }
        Ok(self.store.get(key)?)
    }

    /// Reads and decodes a typed value.
    pub fn get_t<T: BorshDeserialize>(&self, key: &[u8]) -> Result<Option<T>, LedgerError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => borsh::from_slice(&bytes)
                .map(Some)
                .map_err(|e| LedgerError::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: e.to_string(),
                }),
        }
    }

    /// Reads and decodes a typed value; its default when `key` is not set.
    pub fn get_or_default<T: BorshDeserialize + Default>(
        &self,
        key: &[u8],
    ) -> Result<T, LedgerError> {
        Ok(self.get_t(key)?.unwrap_or_default())
    }

    /// Writes `key` in the current transaction.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.tx.insert(key, Some(value));
    }

    /// Writes a value's canonical encoding.
    pub fn put_t<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.put(key, plinth_core::encode(value));
    }

    /// Deletes `key` in the current transaction.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.tx.insert(key, None);
    }

    /// Keeps the current transaction's writes.
    pub fn commit_tx(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Drops the current transaction's writes.
    pub fn discard_tx(&mut self) {
        self.tx.clear();
    }

    /// The committed writes of the block so far.
    pub fn into_writes(mut self) -> Writes {
        self.commit_tx();
        self.block
    }

    /// The store underneath.
    pub fn store(&self) -> &'s S {
        self.store
    }
}

/// An in-memory [`Store`] for tests, simulators and replays.
#[derive(Default, Clone)]
pub struct MemStore {
    state: BTreeMap<Vec<u8>, Vec<u8>>,
    nodes: HashMap<NodeKey, Node>,
    values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
    version: Option<Version>,
    latest_only: bool,
}

impl MemStore {
    /// An empty store (no genesis yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that, like `plinth-store`, keeps only the latest tree: the
    /// nodes each version replaces go, and each key keeps only its latest value
    /// (for chains of millions of keys in memory, e.g. `plinth bench`). Proofs
    /// are then only possible at the latest version.
    pub fn latest_only() -> Self {
        MemStore {
            latest_only: true,
            ..Self::default()
        }
    }

    /// Applies an execution's writes and tree nodes (what a persistent store does in
    /// one transaction).
    pub fn commit(&mut self, exec: &Execution) {
        if self.latest_only {
            for stale in &exec.tree_batch.stale_node_index_batch {
                self.nodes.remove(&stale.node_key);
            }
            for (version, key_hash) in exec.tree_batch.node_batch.values().keys() {
                let old: Vec<(KeyHash, Version)> = self
                    .values
                    .range((*key_hash, 0)..(*key_hash, *version))
                    .map(|(k, _)| *k)
                    .collect();
                for k in old {
                    self.values.remove(&k);
                }
            }
        }
        for (k, v) in &exec.writes {
            match v {
                Some(v) => self.state.insert(k.clone(), v.clone()),
                None => self.state.remove(k),
            };
        }
        for (k, n) in exec.tree_batch.node_batch.nodes() {
            self.nodes.insert(k.clone(), n.clone());
        }
        for ((version, key_hash), v) in exec.tree_batch.node_batch.values() {
            self.values.insert((*key_hash, *version), v.clone());
        }
        self.version = Some(exec.version);
    }

    /// All keys with `prefix`, in order.
    pub fn scan(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl TreeReader for MemStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .values
            .range((key_hash, 0)..=(key_hash, max_version))
            .next_back()
            .and_then(|(_, v)| v.clone()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("rightmost leaf is only used by tree restore, which Plinth does not use")
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.state.get(key).cloned())
    }

    fn version(&self) -> anyhow::Result<Option<Version>> {
        Ok(self.version)
    }
}
