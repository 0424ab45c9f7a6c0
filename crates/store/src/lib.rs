//! Plinth's embedded persistent store, on redb.
//!
//! One redb file holds everything a node must not lose: the latest state, the
//! authenticated tree (latest version only; stale nodes are pruned in the same
//! transaction that makes them stale), blocks, receipts, indexes and the durable
//! mempool. A block, its receipts and its state changes are committed in one redb
//! write transaction with fsync, so after a crash (kill -9 included) the store holds
//! exactly the blocks that were reported committed, never half of one.
//!
//! ```text
//!   state    key → value            (what the ledger reads)
//!   nodes    jmt NodeKey → Node     (the state root's tree)
//!   values   key hash → value       (leaf values, for proofs)
//!   blocks   height → Block         block_hash  hash → height
//!   receipts height → [Receipt]     tx_index    tx hash → (height, index)
//!   history  address ‖ height → [(index, tx hash)]
//!   registry network ‖ "/" ‖ height → (digest, devices)
//!   meta     "genesis" → genesis TOML, "registry_index" → its version
//! ```
//!
//! The registry index holds each network's registry digest
//! ([`plinth_ledger::devices::RegistryDigest`], condensed to its 32-byte digest)
//! at every height where a block changed it, plus one row per network at the
//! genesis, written in the same transaction as the block: the digest at any
//! height `H` is the network's last row at or below `H` ([`ChainStore::registry`]).
//! A store made before the index existed gets it rebuilt by replay when it is
//! opened ([`replay::rebuild_registry_index`]).
//!
//! Accepted transactions not yet in a block live in an append-only log beside the
//! database (the private `mempool_log` module).
//!
//! - [`ChainStore`] (this module): the database, its tables, atomic block commits,
//!   snapshots for readers.
//! - [`replay`]: re-executes the stored chain from genesis and checks it against
//!   the stored state.
//! - `mempool_log`: the durable, append-only log of pending transactions.

#![warn(missing_docs)]

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use plinth_core::{Address, Hash};
use plinth_ledger::devices::RegistryDigest;
use plinth_ledger::execute::block_tx_ids;
use plinth_ledger::{
    keys, Block, BlockHeader, Call, Execution, Genesis, Receipt, SealedHeader, TxError,
};
use redb::{Database, ReadOnlyTable, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Mutex;

mod mempool_log;
pub mod replay;
use mempool_log::MempoolLog;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const BLOCK_HASH: TableDefinition<&[u8], u64> = TableDefinition::new("block_hash");
const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
const TX_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_index");
const HISTORY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("history");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const REGISTRY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("registry_index");

/// The `meta` key naming the registry index's layout version, once it is complete.
const REGISTRY_INDEX_META: &str = "registry_index";
/// The registry index's layout version.
const REGISTRY_INDEX_VERSION: &[u8] = &[1];

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (open, transaction, table, storage or commit).
    #[error("database: {0}")]
    Db(Box<redb::Error>),
    /// Reading or writing a file beside the database (the mempool log) failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value does not decode.
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// What kind of value (block, receipts, …).
        what: &'static str,
        /// Why it does not decode.
        reason: String,
    },
    /// The store holds no chain yet.
    #[error("the store holds no chain yet (no genesis)")]
    Empty,
    /// The store belongs to another chain than the genesis given.
    #[error("the store was created for another genesis (chain `{found}`)")]
    GenesisMismatch {
        /// The chain id of the store's genesis.
        found: String,
    },
    /// The ledger refused something the store was asked to apply or read.
    #[error(transparent)]
    Ledger(#[from] plinth_ledger::LedgerError),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(Box::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

fn corrupt(what: &'static str) -> impl Fn(std::io::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    }
}

fn decode<T: BorshDeserialize>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    borsh::from_slice(bytes).map_err(corrupt(what))
}

fn enc<T: BorshSerialize>(v: &T) -> Vec<u8> {
    plinth_core::encode(v)
}

/// Where a transaction landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxLocation {
    /// The block's height.
    pub height: u64,
    /// The transaction's position in the block, from 0.
    pub index: u32,
}

/// The node's database.
pub struct ChainStore {
    db: Database,
    log: Mutex<MempoolLog>,
}

impl ChainStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<ChainStore, StoreError> {
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        for t in [STATE, NODES, VALUES, TX_INDEX, HISTORY, REGISTRY] {
            w.open_table(t)?;
        }
        w.open_table(BLOCKS)?;
        w.open_table(RECEIPTS)?;
        w.open_table(BLOCK_HASH)?;
        w.open_table(META)?;
        w.commit()?;
        let log = MempoolLog::open(&path.with_extension("mempool.log"))?;
        Ok(ChainStore {
            db,
            log: Mutex::new(log),
        })
    }

    /// Opens the store and makes sure it holds `genesis`: writes the genesis state
    /// and block on first start; refuses a store made for another genesis.
    pub fn open_with_genesis(path: &Path, genesis: &Genesis) -> Result<ChainStore, StoreError> {
        let store = ChainStore::open(path)?;
        match store.genesis()? {
            Some(existing) if existing.hash() == genesis.hash() => {}
            Some(existing) => {
                return Err(StoreError::GenesisMismatch {
                    found: existing.chain_id,
                })
            }
            None => store.init_genesis(genesis)?,
        }
        if !store.has_registry_index()? {
            replay::rebuild_registry_index(&store)?;
        }
        Ok(store)
    }

    /// Whether the registry index is complete (written since the genesis).
    fn has_registry_index(&self) -> Result<bool, StoreError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        Ok(meta.get(REGISTRY_INDEX_META)?.is_some())
    }

    /// Replaces the registry index with `rows` (height, network, digest) and
    /// marks it complete, in one transaction.
    pub(crate) fn write_registry_index(
        &self,
        rows: &[(u64, String, RegistryDigest)],
    ) -> Result<(), StoreError> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(REGISTRY)?;
            t.retain(|_, _| false)?;
            for (height, network, digest) in rows {
                t.insert(
                    registry_key(network, *height).as_slice(),
                    registry_value(digest).as_slice(),
                )?;
            }
            let mut meta = w.open_table(META)?;
            meta.insert(REGISTRY_INDEX_META, REGISTRY_INDEX_VERSION)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Every row of the registry index: (height, network, digest, devices), by
    /// network then height (for checks: [`replay::replay`] compares them).
    pub fn registry_index(&self) -> Result<Vec<(u64, String, Hash, u64)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(REGISTRY)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let k = k.value();
            let bad = || StoreError::Corrupt {
                what: "registry index",
                reason: "key is not network/height".into(),
            };
            let split = k.len().checked_sub(9).ok_or_else(bad)?;
            let height = u64::from_be_bytes(k[split + 1..].try_into().map_err(|_| bad())?);
            let network = String::from_utf8_lossy(&k[..split]).into_owned();
            let (digest, devices): (Hash, u64) = decode("registry index", v.value())?;
            out.push((height, network, digest, devices));
        }
        Ok(out)
    }

    /// Every network's registry digest as of the block at `height` (the head when
    /// `None`), with that block's time; `None` above the head. Networks in name
    /// order, read in one consistent view; a network without a registry row at
    /// or below `height` (added by proposal, no device yet) is left out.
    pub fn registry(&self, height: Option<u64>) -> Result<Option<RegistryAt>, StoreError> {
        let r = self.db.begin_read()?;
        let blocks = r.open_table(BLOCKS)?;
        let head = blocks.last()?.ok_or(StoreError::Empty)?.0.value();
        let height = height.unwrap_or(head);
        let Some(block) = blocks.get(height)? else {
            return Ok(None);
        };
        // The header leads the block's encoding: decode it alone.
        let header =
            BlockHeader::deserialize(&mut block.value()).map_err(corrupt("block header"))?;
        let state = r.open_table(STATE)?;
        let index = r.open_table(REGISTRY)?;
        let mut networks = Vec::new();
        for item in state.range(keys::NETWORK_PREFIX..)? {
            let (k, _) = item?;
            let Some(name) = k.value().strip_prefix(keys::NETWORK_PREFIX) else {
                break;
            };
            let network = String::from_utf8_lossy(name).into_owned();
            // A network added after the genesis (by proposal) has rows from its
            // first device on: before that it has no registry to list.
            let Some(row) = index
                .range(
                    registry_key(&network, 0).as_slice()
                        ..=registry_key(&network, height).as_slice(),
                )?
                .next_back()
                .transpose()?
            else {
                continue;
            };
            let (digest, devices): (Hash, u64) = decode("registry index", row.1.value())?;
            networks.push(NetworkRegistry {
                network,
                digest,
                devices,
            });
        }
        Ok(Some(RegistryAt {
            height,
            time_ms: header.timestamp_ms,
            networks,
        }))
    }

    fn init_genesis(&self, genesis: &Genesis) -> Result<(), StoreError> {
        let snap = self.snapshot()?;
        let exec = genesis.execute(&snap)?;
        let block = genesis.block(exec.state_root);
        let w = self.db.begin_write()?;
        {
            let mut meta = w.open_table(META)?;
            meta.insert("genesis", genesis.to_toml().as_bytes())?;
            // The genesis block writes the index's first rows: it is complete.
            meta.insert(REGISTRY_INDEX_META, REGISTRY_INDEX_VERSION)?;
        }
        write_block(&w, &block, &exec, &block_tx_ids(&block.txs, &exec))?;
        w.commit()?;
        Ok(())
    }

    /// The genesis this store was created with.
    pub fn genesis(&self) -> Result<Option<Genesis>, StoreError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let Some(text) = meta.get("genesis")? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(text.value()).into_owned();
        Ok(Some(Genesis::from_toml(&text)?))
    }

    /// A consistent read-only view of the latest committed state.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let r = self.db.begin_read()?;
        let head = {
            let blocks = r.open_table(BLOCKS)?;
            let last = blocks.last()?;
            last.map(|(k, _)| k.value())
        };
        Ok(Snapshot {
            state: r.open_table(STATE)?,
            nodes: r.open_table(NODES)?,
            values: r.open_table(VALUES)?,
            tx_index: r.open_table(TX_INDEX)?,
            head,
        })
    }

    /// Persists `block` with its execution, atomically and durably, and drops its
    /// transactions (and `dropped`, rejected ones) from the durable mempool.
    pub fn commit_block(
        &self,
        block: &Block,
        exec: &Execution,
        dropped: &[Hash],
    ) -> Result<(), StoreError> {
        let ids = block_tx_ids(&block.txs, exec);
        let w = self.db.begin_write()?;
        write_block(&w, block, exec, &ids)?;
        w.commit()?;
        // The block is durable; its transactions leave the mempool log.
        let mut gone = ids;
        gone.extend_from_slice(dropped);
        self.log.lock().expect("mempool log lock").remove(&gone)?;
        Ok(())
    }

    /// The latest block's header and seal (its `hash()` is the block's id).
    pub fn head(&self) -> Result<SealedHeader, StoreError> {
        let r = self.db.begin_read()?;
        let blocks = r.open_table(BLOCKS)?;
        let (_, v) = blocks.last()?.ok_or(StoreError::Empty)?;
        // The header and seal only: the head is read for every block built and
        // every status request, and its transactions can be many.
        SealedHeader::of_encoded_block(v.value()).map_err(corrupt("block"))
    }

    /// The block at `height`, if the store has it.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let r = self.db.begin_read()?;
        let blocks = r.open_table(BLOCKS)?;
        blocks
            .get(height)?
            .map(|v| decode("block", v.value()))
            .transpose()
    }

    /// The height of the block with id `hash`, if the store has it.
    pub fn block_height(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_HASH)?;
        Ok(t.get(hash.as_bytes().as_slice())?.map(|v| v.value()))
    }

    /// The receipts of the block at `height`, in transaction order.
    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECEIPTS)?;
        t.get(height)?
            .map(|v| decode("receipts", v.value()))
            .transpose()
    }

    /// Where the transaction with hash `hash` landed, if it is in a block.
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(TX_INDEX)?;
        t.get(hash.as_bytes().as_slice())?
            .map(|v| decode("tx index", v.value()))
            .transpose()
    }

    /// Transactions that touched `addr`, newest first, at most `limit`.
    pub fn history(
        &self,
        addr: &Address,
        limit: usize,
    ) -> Result<Vec<(TxLocation, Hash)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(HISTORY)?;
        let start = addr.key().as_bytes().to_vec();
        let mut end = start.clone();
        end.extend_from_slice(&[0xff; 8]);
        let mut out = Vec::new();
        for item in t.range(start.as_slice()..=end.as_slice())?.rev() {
            let (k, v) = item?;
            let height = u64::from_be_bytes(k.value()[32..40].try_into().expect("key layout"));
            let entries: Vec<(u32, Hash)> = decode("history", v.value())?;
            for (index, hash) in entries.into_iter().rev() {
                if out.len() >= limit {
                    return Ok(out);
                }
                out.push((TxLocation { height, index }, hash));
            }
        }
        Ok(out)
    }

    /// Makes accepted transactions durable before they are acknowledged.
    pub fn put_pending(&self, txs: &[(Hash, Vec<u8>)]) -> Result<(), StoreError> {
        Ok(self.log.lock().expect("mempool log lock").add(txs)?)
    }

    /// Drops transactions from the durable mempool.
    pub fn remove_pending(&self, hashes: &[Hash]) -> Result<(), StoreError> {
        Ok(self.log.lock().expect("mempool log lock").remove(hashes)?)
    }

    /// The durable mempool, to reload after a restart (in no particular order).
    pub fn pending(&self) -> Result<Vec<(Hash, Vec<u8>)>, StoreError> {
        Ok(self.log.lock().expect("mempool log lock").live())
    }
}

/// Writes `block`, executed as `exec`, whose transactions' ids are `hashes`.
fn write_block(
    w: &redb::WriteTransaction,
    block: &Block,
    exec: &Execution,
    hashes: &[Hash],
) -> Result<(), StoreError> {
    let height = block.header.height;
    {
        let mut state = w.open_table(STATE)?;
        let rows = registry_rows(height, exec, |k| {
            Ok(state.get(k)?.map(|v| v.value().to_vec()))
        })?;
        let mut index = w.open_table(REGISTRY)?;
        for (network, digest) in rows {
            index.insert(
                registry_key(&network, height).as_slice(),
                registry_value(&digest).as_slice(),
            )?;
        }
        for (k, v) in &exec.writes {
            match v {
                Some(v) => state.insert(k.as_slice(), v.as_slice())?,
                None => state.remove(k.as_slice())?,
            };
        }
    }
    {
        let mut nodes = w.open_table(NODES)?;
        let batch = &exec.tree_batch;
        // Only the latest tree is kept: nodes replaced by this version go now.
        // In key order, as B-tree updates are fastest (each leaf page is
        // visited once rather than at random).
        let mut stale: Vec<Vec<u8>> = batch
            .stale_node_index_batch
            .iter()
            .map(|s| enc(&s.node_key))
            .collect();
        stale.sort_unstable();
        for k in &stale {
            nodes.remove(k.as_slice())?;
        }
        let mut fresh: Vec<(Vec<u8>, Vec<u8>)> = batch
            .node_batch
            .nodes()
            .iter()
            .map(|(k, n)| (enc(k), enc(n)))
            .collect();
        fresh.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (k, n) in &fresh {
            nodes.insert(k.as_slice(), n.as_slice())?;
        }
        let mut values = w.open_table(VALUES)?;
        for ((_, key_hash), v) in batch.node_batch.values() {
            match v {
                Some(v) => values.insert(key_hash.0.as_slice(), v.as_slice())?,
                None => values.remove(key_hash.0.as_slice())?,
            };
        }
    }
    {
        let mut blocks = w.open_table(BLOCKS)?;
        blocks.insert(height, enc(block).as_slice())?;
        let mut by_hash = w.open_table(BLOCK_HASH)?;
        by_hash.insert(block.hash().as_bytes().as_slice(), height)?;
        let mut receipts = w.open_table(RECEIPTS)?;
        receipts.insert(height, enc(&exec.receipts).as_slice())?;
        let mut index = w.open_table(TX_INDEX)?;
        // One history entry per account and block keeps the index small.
        let mut per_account: std::collections::BTreeMap<Address, Vec<(u32, Hash)>> =
            std::collections::BTreeMap::new();
        // The index in key order (ids are random: in block order every insert
        // would land on a different page).
        let mut located: Vec<(Hash, Vec<u8>)> = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let loc = TxLocation {
                    height,
                    index: i as u32,
                };
                (*h, enc(&loc))
            })
            .collect();
        located.sort_unstable_by_key(|l| l.0);
        for (hash, loc) in &located {
            index.insert(hash.as_bytes().as_slice(), loc.as_slice())?;
        }
        for (i, (tx, &hash)) in block.txs.iter().zip(hashes).enumerate() {
            // A transaction its signer did not sign (a proposer's forgery, refused
            // with a receipt) stays out of the signer's history.
            let forged = exec
                .receipts
                .get(i)
                .is_some_and(|r| r.error == Some(TxError::BadSignature));
            if forged {
                continue;
            }
            for addr in touched(tx) {
                per_account.entry(addr).or_default().push((i as u32, hash));
            }
        }
        let mut history = w.open_table(HISTORY)?;
        for (addr, entries) in per_account {
            let mut k = addr.key().as_bytes().to_vec();
            k.extend_from_slice(&height.to_be_bytes());
            history.insert(k.as_slice(), enc(&entries).as_slice())?;
        }
    }
    Ok(())
}

/// One network's registry digest as of a block ([`ChainStore::registry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRegistry {
    /// The network.
    pub network: String,
    /// Its registry digest ([`plinth_core::SetHash::digest`] of the
    /// [`RegistryDigest`]'s set).
    pub digest: Hash,
    /// Devices registered in it, retired ones included.
    pub devices: u64,
}

/// Every network's registry digest as of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAt {
    /// The block's height.
    pub height: u64,
    /// The block's time (Unix milliseconds).
    pub time_ms: u64,
    /// Each network's digest, in name order.
    pub networks: Vec<NetworkRegistry>,
}

/// The registry-index rows block `height` adds: each network whose registry
/// digest the block changed (`old` reads a key's value before the block), and
/// at the genesis every network (an empty digest for one without devices).
pub(crate) fn registry_rows(
    height: u64,
    exec: &Execution,
    old: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, StoreError>,
) -> Result<Vec<(String, RegistryDigest)>, StoreError> {
    let decode_digest = |v: &[u8]| decode::<RegistryDigest>("registry digest", v);
    let mut rows = Vec::new();
    for (k, v) in &exec.writes {
        let name = |prefix: &[u8]| {
            k.strip_prefix(prefix)
                .map(|n| String::from_utf8_lossy(n).into_owned())
        };
        if height == 0 {
            if let (Some(network), Some(_)) = (name(keys::NETWORK_PREFIX), v) {
                let digest = match exec.writes.get(&keys::registry(&network)) {
                    Some(Some(d)) => decode_digest(d)?,
                    _ => RegistryDigest::default(),
                };
                rows.push((network, digest));
            }
        } else if let (Some(network), Some(v)) = (name(keys::REGISTRY_PREFIX), v) {
            if old(k)?.as_deref() != Some(v.as_slice()) {
                rows.push((network, decode_digest(v)?));
            }
        }
    }
    Ok(rows)
}

/// A registry-index key: `network ‖ "/" ‖ height` (big-endian, so a network's
/// rows sort by height; names are `[a-z0-9-]`, so the `/` ends the name).
fn registry_key(network: &str, height: u64) -> Vec<u8> {
    let mut k = network.as_bytes().to_vec();
    k.push(b'/');
    k.extend_from_slice(&height.to_be_bytes());
    k
}

/// A registry-index value: the digest and the device count.
fn registry_value(d: &RegistryDigest) -> Vec<u8> {
    enc(&(d.set.digest(), d.devices))
}

/// The accounts a transaction concerns, for their history.
fn touched(tx: &plinth_ledger::SignedTx) -> Vec<Address> {
    let mut out = vec![tx.tx.signer];
    match &tx.tx.call {
        Call::Transfer { to, .. } => out.push(*to),
        Call::TransferDevice { new_owner, .. } => out.push(*new_owner),
        // A claim pays the entry's owner, whoever submits it.
        Call::Claim { entry, .. } => out.push(entry.owner),
        _ => {}
    }
    out.dedup();
    out
}

/// A state entry: key and value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A consistent read view of committed state; the ledger's [`plinth_ledger::Store`].
pub struct Snapshot {
    state: ReadOnlyTable<&'static [u8], &'static [u8]>,
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
    tx_index: ReadOnlyTable<&'static [u8], &'static [u8]>,
    head: Option<u64>,
}

impl Snapshot {
    /// The head height of this view.
    pub fn head(&self) -> Option<u64> {
        self.head
    }

    /// Where a transaction landed, as of this view.
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        self.tx_index
            .get(hash.as_bytes().as_slice())?
            .map(|v| decode("tx index", v.value()))
            .transpose()
    }

    /// Entries whose key starts with `prefix`, at most `limit`.
    pub fn scan(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.scan_after(prefix, None, limit)
    }

    /// Like [`Snapshot::scan`], starting after the key `after` (for paging).
    pub fn scan_after(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        let start = after.unwrap_or(prefix);
        for item in self.state.range(start..)? {
            let (k, v) = item?;
            if !k.value().starts_with(prefix) || out.len() >= limit {
                break;
            }
            if Some(k.value()) == after {
                continue;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

impl TreeReader for Snapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match self.nodes.get(enc(node_key).as_slice())? {
            None => Ok(None),
            Some(v) => Ok(Some(borsh::from_slice(v.value())?)),
        }
    }

    fn get_value_option(
        &self,
        _max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        // Only the latest version is kept, which is the only one proofs are made at.
        Ok(self
            .values
            .get(key_hash.0.as_slice())?
            .map(|v| v.value().to_vec()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("rightmost leaf is only used by tree restore, which Plinth does not use")
    }
}

impl plinth_ledger::Store for Snapshot {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.state.get(key)?.map(|v| v.value().to_vec()))
    }

    fn version(&self) -> anyhow::Result<Option<Version>> {
        Ok(self.head)
    }
}
