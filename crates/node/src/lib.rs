//! A Plinth node: the durable mempool, block production, the HTTP API, events and
//! metrics around the pure ledger.
//!
//! ```text
//!  HTTP POST /v1/txs ─▶ Node::submit ─▶ decode ─▶ verify signatures (parallel)
//!                                         │
//!                          mempool lock: ledger::admit ─▶ Mempool
//!                                         │
//!                          durability thread: one fsync per group of submissions ─▶ 202
//!
//!  every block_time: Mempool::batch ─▶ ledger::execute ─▶ seal ─▶ ChainStore::commit_block
//!                                                                   │
//!                                               SSE /v1/events ◀────┘ metrics, mempool cleanup
//! ```
//!
//! A transaction is acknowledged only once it is durable (in the store's mempool
//! table or in a committed block), so a crash loses no acknowledged transaction.
//!
//! Modules:
//!
//! - [`rpc`]: the HTTP API (`/v1`, server-sent events, metrics) and its router.
//! - [`storage_api`]: the storage part of the API (offers, deals, usage).
//! - [`oracle_api`]: what the oracles read from the chain: the oracle set at an
//!   epoch with its schedule, the registry digests by height.
//! - [`gov_api`]: governance: settings and treasury, proposals with their live
//!   tally and verdict, votes, positions, device makers.
//! - [`bursts_api`]: bursts (`/v1/bursts`), paged.
//! - [`compute_api`]: compute: offers with reputation, orders and bids, leases
//!   settled at the head, modules, jobs with their tasks and claims, the claims
//!   waiting for the oracle set, usage and earnings per epoch.
//! - [`explorer`]: the block explorer's page and endpoints (it proxies the
//!   oracle's manifests).
//! - [`mempool`]: pending transactions, per-sender queues, dropped ones.
//! - [`metrics`]: Prometheus metrics.
//! - [`upgrade`]: software upgrades planned by governance: the node stops before
//!   a planned height whose upgrade its binary does not know.
//! - `query`: what the handlers share (a state snapshot, typed path parsing); a
//!   leaf, so no import cycle runs between the router modules.
//! - [`api`]: the API's JSON shapes, which live in [`plinth_api::node`] (shared
//!   with the clients); the error layers the node and the oracle share are in
//!   `plinth_api::server`.

#![warn(missing_docs)]

/// The API's JSON shapes ([`plinth_api::node`]), under the name the node's users know.
pub use plinth_api::node as api;
pub mod bursts_api;
pub mod compute_api;
pub mod energy_api;
pub mod explorer;
pub mod gov_api;
pub mod mempool;
pub mod metrics;
pub mod oracle_api;
pub mod producer;
mod query;
pub mod rpc;
pub mod storage_api;
pub mod upgrade;

use mempool::Mempool;
use plinth_api::clock::now_ms;
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::{
    accounts,
    block::tx_root_of_ids,
    execute,
    execute::{block_tx_ids, leave_out_rejected},
    state::Layered,
    Block, BlockContext, BlockHeader, ChainParams, Execution, Genesis, LedgerError, Overlay,
    SealedHeader, SigCheck, SignedTx, TxError,
};
use plinth_store::{ChainStore, StoreError};
use producer::Built;
pub use producer::{Pipeline, Produced};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, oneshot, watch};
use upgrade::UpgradeNeeded;

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the chain store lives.
    pub data_dir: PathBuf,
    /// How often a block is produced (single-validator mode).
    pub block_time: Duration,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most transactions waiting in the mempool.
    pub mempool_capacity: usize,
    /// Most transactions one sender may have waiting in the mempool, so that one
    /// busy sender cannot fill it (and admission stays cheap per transaction).
    pub mempool_per_sender: usize,
    /// The upgrades this binary knows (see [`upgrade`]): the node stops before a
    /// planned upgrade's height unless its name is here.
    pub known_upgrades: Vec<String>,
}

/// The default of [`NodeConfig::mempool_per_sender`].
pub const MEMPOOL_PER_SENDER: usize = 1_000;

impl NodeConfig {
    /// The default configuration with `data_dir` and `block_time`.
    pub fn new(data_dir: PathBuf, block_time: Duration) -> Self {
        NodeConfig {
            data_dir,
            block_time,
            max_block_txs: 20_000,
            mempool_capacity: 200_000,
            mempool_per_sender: MEMPOOL_PER_SENDER,
            known_upgrades: Vec::new(),
        }
    }
}

/// Why a submitted transaction was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The ledger refused it.
    #[error(transparent)]
    Rejected(TxError),
    /// It is pending or committed already.
    #[error("duplicate transaction: {0}")]
    Duplicate(String),
    /// The mempool holds as many transactions as it may.
    #[error("mempool full ({0} transactions); try again later")]
    MempoolFull(usize),
    /// Its sender has as many transactions pending as one sender may.
    #[error("{sender} already has {limit} transactions pending, the most one sender may; wait for some to commit")]
    SenderQueueFull {
        /// The sender.
        sender: Address,
        /// The per-sender limit.
        limit: usize,
    },
    /// The node failed (storage, a stopped thread).
    #[error("internal error: {0}")]
    Internal(String),
}

/// A server-sent event of `/v1/events` ([`plinth_api::node::Event`]).
pub use plinth_api::node::Event;

type Durable = (Vec<(Hash, Vec<u8>)>, oneshot::Sender<Result<(), String>>);

/// A running node's shared state.
pub struct Node {
    /// The chain store.
    pub store: Arc<ChainStore>,
    /// The chain's genesis.
    pub genesis: Genesis,
    /// Its hash.
    pub genesis_hash: Hash,
    /// The chain parameters from genesis.
    pub params: ChainParams,
    /// How the node runs.
    pub config: NodeConfig,
    /// Its metrics.
    pub metrics: metrics::Metrics,
    key: Keypair,
    mempool: Mutex<Mempool>,
    events: broadcast::Sender<Event>,
    /// To the durability thread; `None` once the node is shutting down.
    durable: Mutex<Option<mpsc::Sender<Durable>>>,
    durability_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Where accepted transactions go to be gossiped to other validators, when
    /// the node runs in a validator set.
    gossip: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Vec<Vec<u8>>>>>,
    /// Set once the node stopped for an upgrade its binary does not know.
    halt: watch::Sender<Option<UpgradeNeeded>>,
}

impl Drop for Node {
    /// Stops the durability thread and waits for it, so that the store (and its
    /// file lock) is released when the node is gone.
    fn drop(&mut self) {
        if let Ok(mut tx) = self.durable.lock() {
            tx.take();
        }
        if let Some(handle) = self
            .durability_thread
            .lock()
            .ok()
            .and_then(|mut h| h.take())
        {
            let _ = handle.join();
        }
    }
}

impl Node {
    /// Opens the node's store (creating the chain from `genesis` on first start) and
    /// reloads the durable mempool.
    pub fn open(
        genesis: Genesis,
        key: Keypair,
        config: NodeConfig,
    ) -> Result<Arc<Node>, StoreError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Arc::new(ChainStore::open_with_genesis(
            &config.data_dir.join("chain.redb"),
            &genesis,
        )?);
        let (durable_tx, durable_rx) = mpsc::channel::<Durable>();
        let writer = store.clone();
        let durability_thread = std::thread::Builder::new()
            .name("mempool-durability".into())
            .spawn(move || durability_loop(writer, durable_rx))?;
        let node = Arc::new(Node {
            genesis_hash: genesis.hash(),
            params: genesis.params(),
            genesis,
            metrics: metrics::Metrics::new(),
            key,
            mempool: Mutex::new(Mempool::new(
                config.mempool_capacity,
                config.mempool_per_sender,
            )),
            events: broadcast::channel(1024).0,
            durable: Mutex::new(Some(durable_tx)),
            durability_thread: Mutex::new(Some(durability_thread)),
            gossip: Mutex::new(None),
            halt: watch::channel(None).0,
            store,
            config,
        });
        node.reload_mempool()?;
        // The height gauge otherwise reads 0 after a restart until the next block.
        node.metrics.height.set(node.store.head()?.height as i64);
        Ok(node)
    }

    /// This node's validator address.
    pub fn validator(&self) -> Address {
        Address(self.key.public())
    }

    /// Whether a binary knowing [`NodeConfig::known_upgrades`] must stop before
    /// executing block `height` on `state` (the state that block builds on).
    pub fn upgrade_needed_at<S: plinth_ledger::Store>(
        &self,
        state: &S,
        height: u64,
    ) -> Result<Option<UpgradeNeeded>, LedgerError> {
        upgrade::needed(state, height, &self.config.known_upgrades)
    }

    /// Whether this binary must stop before the block after the committed head
    /// (a node refuses to start, and stops producing, when it must).
    pub fn upgrade_needed(&self) -> Result<Option<UpgradeNeeded>, StoreError> {
        let snapshot = self.store.snapshot()?;
        let next = snapshot.head().unwrap_or(0) + 1;
        Ok(self.upgrade_needed_at(&snapshot, next)?)
    }

    /// Stops the node for `reason`: says so once (`UPGRADE NEEDED: …`), and
    /// wakes [`Node::halted`]. Block production stops; a validator stops
    /// proposing, voting and committing at the height.
    pub fn halt(&self, reason: UpgradeNeeded) {
        self.halt.send_if_modified(|h| {
            if h.is_some() {
                return false;
            }
            tracing::error!("{reason}: this binary does not know the upgrade; stopping");
            *h = Some(reason);
            true
        });
    }

    /// Why the node stopped for an upgrade ([`Node::halt`]), if it did.
    pub fn halt_reason(&self) -> Option<UpgradeNeeded> {
        self.halt.borrow().clone()
    }

    /// Waits until the node stops for an upgrade ([`Node::halt`]); returns why.
    pub async fn halted(&self) -> UpgradeNeeded {
        let mut rx = self.halt.subscribe();
        // The sender lives as long as the node, so waiting cannot fail.
        let reason = rx.wait_for(Option::is_some).await.map(|h| h.clone());
        match reason {
            Ok(Some(reason)) => reason,
            _ => std::future::pending().await,
        }
    }

    /// The node's events (committed blocks) from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Transactions in the mempool.
    pub fn mempool_len(&self) -> usize {
        self.mempool.lock().expect("mempool lock").len()
    }

    /// A pending transaction, or why it was dropped.
    pub fn pending_status(&self, hash: &Hash) -> Option<Result<SignedTx, TxError>> {
        let pool = self.mempool.lock().expect("mempool lock");
        if let Some(tx) = pool.get(hash) {
            return Some(Ok(tx.clone()));
        }
        pool.dropped(hash).map(|e| Err(e.clone()))
    }

    /// What `addr` has waiting in the mempool above its committed nonce.
    pub fn pending_count(&self, addr: &Address, committed_nonce: u64) -> u64 {
        self.mempool
            .lock()
            .expect("mempool lock")
            .pending_view(addr, committed_nonce)
            .count
    }

    fn reload_mempool(&self) -> Result<(), StoreError> {
        let stored = self.store.pending()?;
        if stored.is_empty() {
            return Ok(());
        }
        // Admission wants each sender's transactions in nonce order.
        let mut stale = Vec::new();
        let mut txs = Vec::new();
        for (hash, bytes) in stored {
            match SignedTx::decode(&bytes) {
                Ok(tx) => txs.push((tx, hash, bytes)),
                Err(_) => stale.push(hash),
            }
        }
        txs.sort_by_key(|(tx, _, _)| (tx.tx.signer, tx.tx.nonce));
        let hashes: Vec<Hash> = txs.iter().map(|(_, h, _)| *h).collect();
        let results = self.admit_batch(txs.into_iter().map(|(_, _, b)| b).collect());
        // They came from the durable mempool: they are durable already.
        let reloaded: Vec<Hash> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(_, h, _)| *h))
            .collect();
        self.mempool
            .lock()
            .expect("mempool lock")
            .mark_durable(&reloaded);
        // Entries that no longer apply (already committed, or superseded) go.
        stale.extend(
            hashes
                .iter()
                .zip(&results)
                .filter(|(_, r)| r.is_err())
                .map(|(h, _)| *h),
        );
        self.store.remove_pending(&stale)?;
        tracing::info!(
            reloaded = self.mempool_len(),
            discarded = stale.len(),
            "durable mempool reloaded"
        );
        Ok(())
    }

    /// Checks and admits raw transactions; returns one verdict each. Does not make
    /// them durable (see [`Node::submit`]).
    fn admit_batch(&self, raw: Vec<Vec<u8>>) -> Vec<Verdict> {
        let decoded: Vec<Result<SignedTx, TxError>> =
            raw.iter().map(|b| SignedTx::decode(b)).collect();
        let ok_txs: Vec<SignedTx> = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok().cloned())
            .collect();
        // Each transaction's id once (the raw bytes decoded are its encoding
        // only if canonical, so it is hashed from its encoding).
        let ok_hashes = plinth_ledger::execute::tx_ids(&ok_txs);
        let mut sig_ok =
            plinth_ledger::execute::verify_signatures_hashed(&ok_txs, &ok_hashes).into_iter();
        let mut ok_hashes = ok_hashes.into_iter();

        let mut pool = self.mempool.lock().expect("mempool lock");
        let snapshot = match self.store.snapshot() {
            Ok(s) => s,
            Err(e) => {
                return raw
                    .iter()
                    .map(|_| Err(SubmitError::Internal(e.to_string())))
                    .collect()
            }
        };
        let proposer = self.validator();
        let next_height = snapshot.head().unwrap_or(0) + 1;
        let mut out = Vec::with_capacity(raw.len());
        for (bytes, d) in raw.into_iter().zip(decoded) {
            let verdict = (|| {
                let stx = d.map_err(SubmitError::Rejected)?;
                let hash = ok_hashes.next().expect("one id per decoded transaction");
                if !sig_ok.next().unwrap_or(false) {
                    return Err(SubmitError::Rejected(TxError::BadSignature));
                }
                if pool.contains(&hash) {
                    return Err(SubmitError::Duplicate("already pending".into()));
                }
                if let Some(loc) = snapshot
                    .tx_location(&hash)
                    .map_err(|e| SubmitError::Internal(e.to_string()))?
                {
                    return Err(SubmitError::Duplicate(format!(
                        "already committed in block {}",
                        loc.height
                    )));
                }
                if pool.is_full() {
                    return Err(SubmitError::MempoolFull(pool.len()));
                }
                if pool.sender_is_full(&stx.tx.signer) {
                    return Err(SubmitError::SenderQueueFull {
                        sender: stx.tx.signer,
                        limit: pool.per_sender(),
                    });
                }
                let committed_nonce = accounts::load(&Overlay::new(&snapshot), &stx.tx.signer)
                    .map_err(|e| SubmitError::Internal(e.to_string()))?
                    .map(|a| a.nonce)
                    .unwrap_or(0);
                let pending = pool.pending_view(&stx.tx.signer, committed_nonce);
                let spend = match plinth_ledger::execute::admit_with(
                    &snapshot,
                    &self.params,
                    next_height,
                    &stx,
                    pending,
                    &proposer,
                ) {
                    Ok(spend) => spend,
                    Err(LedgerError::Rejected(e)) => return Err(SubmitError::Rejected(e)),
                    Err(e) => return Err(SubmitError::Internal(e.to_string())),
                };
                pool.insert_unsynced_hashed(stx.clone(), hash, spend);
                Ok((stx, hash, bytes))
            })();
            if let Err(e) = &verdict {
                self.metrics.tx_rejected(e);
            }
            out.push(verdict);
        }
        self.metrics.mempool_size.set(pool.len() as i64);
        out
    }

    /// Submits raw transactions: decode, signature check, admission against state
    /// and the mempool, then durability. Returns when every accepted transaction is
    /// durable, with one verdict each (the transaction id, or why it was refused).
    pub async fn submit(self: &Arc<Self>, raw: Vec<Vec<u8>>) -> Vec<Result<Hash, SubmitError>> {
        let node = self.clone();
        let verdicts = match tokio::task::spawn_blocking(move || node.admit_batch(raw)).await {
            Ok(v) => v,
            Err(e) => return vec![Err(SubmitError::Internal(e.to_string()))],
        };
        let accepted = accepted_txs(&verdicts);
        let durable = if accepted.is_empty() {
            Ok(())
        } else {
            let (done_tx, done_rx) = oneshot::channel();
            let hashes: Vec<Hash> = accepted.iter().map(|(h, _)| *h).collect();
            let sender = self.durable.lock().expect("durable lock").clone();
            let sent = sender.is_some_and(|s| s.send((accepted, done_tx)).is_ok());
            let result = if sent {
                done_rx
                    .await
                    .unwrap_or_else(|_| Err("durability thread stopped".into()))
            } else {
                Err("durability thread stopped".into())
            };
            self.settle_durability(hashes, result.is_ok());
            result
        };
        if durable.is_ok() {
            self.gossip(&verdicts);
        }
        outcomes(verdicts, &durable)
    }

    /// Marks `hashes` durable in the mempool, or drops them when they could not be
    /// made durable.
    fn settle_durability(&self, hashes: Vec<Hash>, durable: bool) {
        let mut pool = self.mempool.lock().expect("mempool lock");
        if durable {
            pool.mark_durable(&hashes);
        } else {
            pool.remove_included(hashes);
        }
    }

    /// Hands accepted transactions to the gossip channel, if there is one.
    fn gossip(&self, verdicts: &[Verdict]) {
        let accepted: Vec<Vec<u8>> = verdicts
            .iter()
            .filter_map(|v| v.as_ref().ok().map(|(_, _, b)| b.clone()))
            .collect();
        if accepted.is_empty() {
            return;
        }
        if let Some(tx) = self.gossip.lock().expect("gossip lock").as_ref() {
            let _ = tx.send(accepted);
        }
    }

    /// Sends every transaction this node accepts from now on (through
    /// [`Node::submit`] or [`Node::submit_blocking`] with `gossip`) to `sink`, for
    /// a validator set's transaction gossip.
    pub fn set_gossip(&self, sink: tokio::sync::mpsc::UnboundedSender<Vec<Vec<u8>>>) {
        *self.gossip.lock().expect("gossip lock") = Some(sink);
    }

    /// [`Node::submit`] without an async runtime: admits and makes durable on the
    /// calling thread. Transactions received by gossip come in here with `gossip`
    /// false, so they are not sent on again.
    pub fn submit_blocking(
        &self,
        raw: Vec<Vec<u8>>,
        gossip: bool,
    ) -> Vec<Result<Hash, SubmitError>> {
        let verdicts = self.admit_batch(raw);
        let accepted = accepted_txs(&verdicts);
        let hashes: Vec<Hash> = accepted.iter().map(|(h, _)| *h).collect();
        let durable = if accepted.is_empty() {
            Ok(())
        } else {
            self.store.put_pending(&accepted).map_err(|e| e.to_string())
        };
        self.settle_durability(hashes, durable.is_ok());
        if gossip && durable.is_ok() {
            self.gossip(&verdicts);
        }
        outcomes(verdicts, &durable)
    }

    /// Up to `max` pending transactions, ready for a block, in arrival order.
    pub fn mempool_batch(&self, max: usize) -> Vec<SignedTx> {
        self.mempool.lock().expect("mempool lock").batch(max)
    }

    /// Drops transactions a block being built left out as rejected, and every
    /// later one of their senders (their nonces can no longer follow); each keeps
    /// its reason for `GET /v1/txs/{hash}`. Blocking.
    pub fn drop_rejected(&self, rejected: Vec<(Hash, TxError)>) -> Result<(), StoreError> {
        if rejected.is_empty() {
            return Ok(());
        }
        let mut dropped = Vec::new();
        {
            let mut pool = self.mempool.lock().expect("mempool lock");
            for (h, e) in rejected {
                self.metrics.tx_rejected(&SubmitError::Rejected(e.clone()));
                dropped.extend(pool.drop_rejected(&h, e));
            }
            self.metrics.mempool_size.set(pool.len() as i64);
        }
        self.store.remove_pending(&dropped)
    }

    /// Signs a block header as this node's validator.
    pub fn seal(&self, header: BlockHeader, txs: Vec<SignedTx>) -> Block {
        Block::seal(header, txs, &self.key)
    }

    /// Seals and commits one block from the mempool. Blocking: call from a blocking
    /// thread.
    pub fn produce_block(&self) -> Result<SealedHeader, StoreError> {
        self.produce().map(|p| p.header)
    }

    /// [`Node::produce_block`], also saying how many transactions the block holds.
    pub fn produce(&self) -> Result<Produced, StoreError> {
        let built = self.build(None)?;
        self.commit_built(&built)
    }

    /// The state the block after `parent` builds on: the committed snapshot and,
    /// while `parent` (built, not committed yet) has not reached it, `parent`
    /// as a layer over it.
    fn state_after<'p>(
        &self,
        parent: Option<&'p Built>,
    ) -> Result<(plinth_store::Snapshot, Vec<&'p Built>), StoreError> {
        let snapshot = self.store.snapshot()?;
        let layers = match parent {
            Some(p) if snapshot.head() != Some(p.block.header.height) => {
                // One producer: the parent's own parent is committed.
                debug_assert_eq!(snapshot.head(), Some(p.block.header.height - 1));
                vec![p]
            }
            _ => Vec::new(),
        };
        Ok((snapshot, layers))
    }

    /// Builds, executes and seals the next block from the mempool, on top of the
    /// committed head or, when given, of `parent` (built but perhaps not yet
    /// committed: its transactions stay out of this block). Commits nothing.
    fn build(&self, parent: Option<&Built>) -> Result<Built, StoreError> {
        let started = std::time::Instant::now();
        let candidates = {
            let pool = self.mempool.lock().expect("mempool lock");
            match parent {
                Some(p) => pool.batch_skipping(self.config.max_block_txs, &p.taken),
                None => pool.batch(self.config.max_block_txs),
            }
        };
        let head = match parent {
            Some(p) => p.block.sealed_header(),
            None => self.store.head()?,
        };
        let (snapshot, layers) = self.state_after(parent)?;
        let view = Layered::new(&snapshot, &layers);
        let ctx = BlockContext {
            height: head.height + 1,
            timestamp_ms: now_ms().max(head.timestamp_ms),
            proposer: self.validator(),
        };
        let mut exec = execute(&view, &ctx, &candidates, SigCheck::Trusted)?;
        drop(snapshot);
        let (included, rejected) = leave_out_rejected(&mut exec, candidates);
        let ids = block_tx_ids(&included, &exec);
        let header = BlockHeader {
            chain_id: self.params.chain_id.clone(),
            height: ctx.height,
            parent: head.hash(),
            timestamp_ms: ctx.timestamp_ms,
            proposer: ctx.proposer,
            tx_root: tx_root_of_ids(&ids),
            state_root: exec.state_root,
        };
        let taken = ids
            .into_iter()
            .chain(rejected.iter().map(|(h, _)| *h))
            .collect();
        Ok(Built {
            block: Block::seal(header, included, &self.key),
            exec,
            rejected,
            taken,
            started,
        })
    }

    /// Commits a block [`Node::build`] built (its parent must be committed).
    fn commit_built(&self, built: &Built) -> Result<Produced, StoreError> {
        self.commit(
            &built.block,
            &built.exec,
            built.rejected.clone(),
            built.started,
        )?;
        Ok(Produced {
            txs: built.block.txs.len(),
            header: built.block.sealed_header(),
        })
    }

    /// Persists a block finalized by a validator set, with its execution (which the
    /// caller checked against the block's state root), and cleans the mempool up.
    /// Blocking: call from a blocking thread.
    pub fn commit_finalized(&self, block: &Block, exec: &Execution) -> Result<(), StoreError> {
        self.commit(block, exec, Vec::new(), std::time::Instant::now())
    }

    /// The shared end of block production and finalization: one atomic store
    /// commit, then the mempool, metrics and events follow.
    fn commit(
        &self,
        block: &Block,
        exec: &Execution,
        rejected: Vec<(Hash, TxError)>,
        started: std::time::Instant,
    ) -> Result<(), StoreError> {
        let header = &block.header;
        let mut rejected_hashes: Vec<Hash> = rejected.iter().map(|(h, _)| *h).collect();
        // Receipts with an error (possible in blocks from other proposers) drop their
        // transactions like rejections here.
        let mut rejected = rejected;
        for r in &exec.receipts {
            if let Some(e) = &r.error {
                rejected_hashes.push(r.tx_hash);
                rejected.push((r.tx_hash, e.clone()));
            }
        }
        self.store.commit_block(block, exec, &rejected_hashes)?;

        let mut cascade = Vec::new();
        {
            let mut pool = self.mempool.lock().expect("mempool lock");
            pool.remove_included(block_tx_ids(&block.txs, exec));
            for (h, e) in rejected {
                self.metrics.tx_rejected(&SubmitError::Rejected(e.clone()));
                cascade.extend(pool.drop_rejected(&h, e).into_iter().skip(1));
            }
            // Another validator's block can use a nonce a different pending
            // transaction of the same sender was waiting for; those can never apply.
            if header.proposer != self.validator() {
                let snapshot = self.store.snapshot()?;
                let state = Overlay::new(&snapshot);
                let mut senders: Vec<Address> = block.txs.iter().map(|t| t.tx.signer).collect();
                senders.sort();
                senders.dedup();
                for sender in senders {
                    let nonce = accounts::load(&state, &sender)?
                        .map(|a| a.nonce)
                        .unwrap_or(0);
                    cascade.extend(pool.drop_stale(&sender, nonce));
                }
            }
            self.metrics.mempool_size.set(pool.len() as i64);
        }
        if !cascade.is_empty() {
            self.store.remove_pending(&cascade)?;
        }
        self.metrics.block_committed(block, started.elapsed());
        let _ = self.events.send(Event::Block {
            height: header.height,
            hash: block.hash(),
            timestamp_ms: header.timestamp_ms,
            txs: block.txs.len(),
            state_root: header.state_root,
        });
        Ok(())
    }

    /// Produces a block every `block_time` until `shutdown` turns true, or until
    /// the next block needs an upgrade this binary does not know ([`Node::halt`]).
    /// Pipelined ([`Pipeline`]): under load, a block commits while the next one
    /// is built; each is committed as soon as it is built.
    pub async fn run_producer(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        /// What one turn of the producer did.
        enum Turn {
            Produced(Option<Produced>),
            Halt(UpgradeNeeded),
            Failed(StoreError),
        }
        let mut interval = tokio::time::interval(self.config.block_time);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        let mut pipeline = Pipeline::new(self.clone());
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
            let turn = tokio::task::spawn_blocking(move || {
                // Only this pipeline produces, so the head cannot move past the check.
                let turn = match pipeline.upgrade_needed() {
                    Ok(Some(reason)) => Turn::Halt(reason),
                    Ok(None) => match pipeline.step() {
                        Ok(done) => Turn::Produced(done),
                        Err(e) => Turn::Failed(e),
                    },
                    Err(e) => Turn::Failed(e),
                };
                (pipeline, turn)
            })
            .await;
            match turn {
                Ok((p, Turn::Produced(done))) => {
                    pipeline = p;
                    if let Some(done) = done {
                        tracing::debug!(height = done.header.height, "block committed");
                    }
                }
                Ok((p, Turn::Halt(reason))) => {
                    let _ = tokio::task::spawn_blocking(move || drop(p)).await;
                    self.halt(reason);
                    return;
                }
                Ok((p, Turn::Failed(e))) => {
                    let _ = tokio::task::spawn_blocking(move || drop(p)).await;
                    tracing::error!(error = %e, "block production failed; stopping");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "block production panicked; stopping");
                    return;
                }
            }
        }
        // The block being committed is finished before the producer returns.
        match tokio::task::spawn_blocking(move || pipeline.flush()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "committing the last block failed"),
            Err(e) => tracing::error!(error = %e, "committing the last block panicked"),
        }
    }
}

/// One admission verdict: the decoded transaction with its id and bytes, or why
/// it was refused.
type Verdict = Result<(SignedTx, Hash, Vec<u8>), SubmitError>;

/// The accepted transactions of `verdicts`: id and bytes, to make durable.
fn accepted_txs(verdicts: &[Verdict]) -> Vec<(Hash, Vec<u8>)> {
    verdicts
        .iter()
        .filter_map(|v| v.as_ref().ok().map(|(_, h, b)| (*h, b.clone())))
        .collect()
}

/// What a submitter hears for each verdict once durability is settled: the id of
/// an accepted transaction, or why it is not in the mempool.
fn outcomes(
    verdicts: Vec<Verdict>,
    durable: &Result<(), String>,
) -> Vec<Result<Hash, SubmitError>> {
    verdicts
        .into_iter()
        .map(|v| match v {
            Ok((_, hash, _)) => match durable {
                Ok(()) => Ok(hash),
                Err(e) => Err(SubmitError::Internal(format!("could not persist: {e}"))),
            },
            Err(e) => Err(e),
        })
        .collect()
}

/// Writes accepted transactions to the durable mempool, one fsync for everything
/// queued at the time.
fn durability_loop(store: Arc<ChainStore>, rx: mpsc::Receiver<Durable>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while let Ok(more) = rx.try_recv() {
            group.push(more);
        }
        let all: Vec<(Hash, Vec<u8>)> = group.iter().flat_map(|(txs, _)| txs.clone()).collect();
        let result = store.put_pending(&all).map_err(|e| e.to_string());
        for (_, done) in group {
            let _ = done.send(result.clone());
        }
    }
}
