//! Transactions accepted but not yet in a block.
//!
//! Admission requires each sender's transactions to arrive in nonce order with no
//! gaps, so arrival order is also a valid execution order and the producer can take
//! transactions first-in, first-out.

use plinth_core::{Address, Hash};
use plinth_ledger::{Amount, PendingView, SignedTx, TxError};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub struct Entry {
    pub tx: SignedTx,
    /// Fee plus what the call spends.
    pub spend: Amount,
    seq: u64,
}

/// The pool. Bounded by count; a full pool refuses new transactions.
pub struct Mempool {
    entries: HashMap<Hash, Entry>,
    by_sender: HashMap<Address, BTreeMap<u64, Hash>>,
    order: BTreeMap<u64, Hash>,
    next_seq: u64,
    capacity: usize,
    /// Recently dropped transactions and why, for status queries (bounded).
    dropped: HashMap<Hash, TxError>,
    dropped_order: VecDeque<Hash>,
}

const DROPPED_MEMORY: usize = 100_000;

impl Mempool {
    pub fn new(capacity: usize) -> Self {
        Mempool {
            entries: HashMap::new(),
            by_sender: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            capacity,
            dropped: HashMap::new(),
            dropped_order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.entries.contains_key(hash)
    }

    pub fn get(&self, hash: &Hash) -> Option<&SignedTx> {
        self.entries.get(hash).map(|e| &e.tx)
    }

    /// Why a transaction was dropped, if it was recently.
    pub fn dropped(&self, hash: &Hash) -> Option<&TxError> {
        self.dropped.get(hash)
    }

    /// What `sender` has pending at or above its committed nonce.
    pub fn pending_view(&self, sender: &Address, committed_nonce: u64) -> PendingView {
        let mut view = PendingView::default();
        if let Some(txs) = self.by_sender.get(sender) {
            for hash in txs.range(committed_nonce..).map(|(_, h)| h) {
                view.count += 1;
                view.spend = view.spend.saturating_add(self.entries[hash].spend);
            }
        }
        view
    }

    pub fn insert(&mut self, tx: SignedTx, spend: Amount) {
        let hash = tx.hash();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, hash);
        self.by_sender
            .entry(tx.tx.signer)
            .or_default()
            .insert(tx.tx.nonce, hash);
        self.entries.insert(hash, Entry { tx, spend, seq });
    }

    /// Up to `max` transactions in arrival order.
    pub fn batch(&self, max: usize) -> Vec<SignedTx> {
        self.order
            .values()
            .take(max)
            .map(|h| self.entries[h].tx.clone())
            .collect()
    }

    fn remove(&mut self, hash: &Hash) -> Option<Entry> {
        let entry = self.entries.remove(hash)?;
        self.order.remove(&entry.seq);
        let sender = entry.tx.tx.signer;
        if let Some(txs) = self.by_sender.get_mut(&sender) {
            txs.remove(&entry.tx.tx.nonce);
            if txs.is_empty() {
                self.by_sender.remove(&sender);
            }
        }
        Some(entry)
    }

    /// Removes transactions that made it into a block.
    pub fn remove_included(&mut self, hashes: impl IntoIterator<Item = Hash>) {
        for h in hashes {
            self.remove(&h);
        }
    }

    /// Drops a rejected transaction and, since their nonces can no longer follow,
    /// every later one of the same sender. Returns all dropped hashes.
    pub fn drop_rejected(&mut self, hash: &Hash, error: TxError) -> Vec<Hash> {
        let Some(entry) = self.remove(hash) else {
            return Vec::new();
        };
        let mut out = vec![*hash];
        self.remember(*hash, error);
        let sender = entry.tx.tx.signer;
        let later: Vec<Hash> = self
            .by_sender
            .get(&sender)
            .map(|txs| txs.range(entry.tx.tx.nonce..).map(|(_, h)| *h).collect())
            .unwrap_or_default();
        for h in later {
            if self.remove(&h).is_some() {
                self.remember(
                    h,
                    TxError::Malformed {
                        reason: format!(
                            "dropped: an earlier transaction of its sender ({hash}) was rejected"
                        ),
                    },
                );
                out.push(h);
            }
        }
        out
    }

    fn remember(&mut self, hash: Hash, error: TxError) {
        if self.dropped_order.len() >= DROPPED_MEMORY {
            if let Some(old) = self.dropped_order.pop_front() {
                self.dropped.remove(&old);
            }
        }
        self.dropped_order.push_back(hash);
        self.dropped.insert(hash, error);
    }
}
