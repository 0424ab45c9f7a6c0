//! Transactions accepted but not yet in a block.
//!
//! Admission requires each sender's transactions to arrive in nonce order with no
//! gaps, so arrival order is also a valid execution order and the producer can take
//! transactions first-in, first-out.
//!
//! One sender holds at most `per_sender` pending transactions, and what admission
//! reads about a sender's queue ([`Mempool::pending_view`]) comes from running
//! totals, so admitting a transaction costs the same however long its sender's
//! queue is (admission runs under the node's mempool lock).

use plinth_core::{Address, Hash};
use plinth_ledger::{Amount, PendingView, SignedTx, TxError};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// A pending transaction.
pub struct Entry {
    /// The transaction.
    pub tx: SignedTx,
    /// Fee plus what the call spends.
    pub spend: Amount,
    /// Written to the durable mempool; only durable transactions go into blocks, so
    /// that a block never races the write that makes its transactions durable.
    durable: bool,
    seq: u64,
}

/// One sender's pending transactions by nonce, with the totals admission needs.
#[derive(Default)]
struct SenderQueue {
    by_nonce: BTreeMap<u64, Hash>,
    /// The sum of the entries' spend; a u128 never saturates, so removing an
    /// entry subtracts exactly what adding it added.
    spend: u128,
}

/// The pool. Bounded by count, overall and per sender; a full pool refuses new
/// transactions.
pub struct Mempool {
    entries: HashMap<Hash, Entry>,
    by_sender: HashMap<Address, SenderQueue>,
    order: BTreeMap<u64, Hash>,
    next_seq: u64,
    capacity: usize,
    per_sender: usize,
    /// Recently dropped transactions and why, for status queries (bounded).
    dropped: HashMap<Hash, TxError>,
    dropped_order: VecDeque<Hash>,
    /// Entries `pending_view` stepped over (tests check it stays flat).
    #[cfg(test)]
    view_steps: std::cell::Cell<u64>,
}

const DROPPED_MEMORY: usize = 100_000;

impl Mempool {
    /// A pool of at most `capacity` transactions, `per_sender` from any one sender.
    pub fn new(capacity: usize, per_sender: usize) -> Self {
        Mempool {
            entries: HashMap::new(),
            by_sender: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            capacity,
            per_sender,
            dropped: HashMap::new(),
            dropped_order: VecDeque::new(),
            #[cfg(test)]
            view_steps: std::cell::Cell::new(0),
        }
    }

    /// Transactions in the pool.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the pool holds as many transactions as it may.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    /// The most transactions one sender may have pending.
    pub fn per_sender(&self) -> usize {
        self.per_sender
    }

    /// Whether `sender` already has as many pending transactions as it may.
    pub fn sender_is_full(&self, sender: &Address) -> bool {
        self.by_sender
            .get(sender)
            .is_some_and(|q| q.by_nonce.len() >= self.per_sender)
    }

    /// Whether the transaction `hash` is pending.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.entries.contains_key(hash)
    }

    /// The pending transaction `hash`.
    pub fn get(&self, hash: &Hash) -> Option<&SignedTx> {
        self.entries.get(hash).map(|e| &e.tx)
    }

    /// Why a transaction was dropped, if it was recently.
    pub fn dropped(&self, hash: &Hash) -> Option<&TxError> {
        self.dropped.get(hash)
    }

    /// What `sender` has pending at or above its committed nonce: the queue's
    /// running totals, less any entries below that nonce (stale ones another
    /// block overtook, dropped at its commit; normally none), so the cost does
    /// not grow with the queue.
    pub fn pending_view(&self, sender: &Address, committed_nonce: u64) -> PendingView {
        let Some(q) = self.by_sender.get(sender) else {
            return PendingView::default();
        };
        let mut count = q.by_nonce.len() as u64;
        let mut spend = q.spend;
        for (_, hash) in q.by_nonce.range(..committed_nonce) {
            #[cfg(test)]
            self.view_steps.set(self.view_steps.get() + 1);
            count -= 1;
            spend -= u128::from(self.entries[hash].spend);
        }
        PendingView {
            count,
            spend: u64::try_from(spend).unwrap_or(u64::MAX),
        }
    }

    /// Adds a transaction that is already durable.
    pub fn insert(&mut self, tx: SignedTx, spend: Amount) {
        let hash = tx.hash();
        self.add(tx, hash, spend, true);
    }

    /// Adds a transaction whose durable write is still under way; it is held back
    /// from blocks until [`Mempool::mark_durable`].
    pub fn insert_unsynced(&mut self, tx: SignedTx, spend: Amount) {
        let hash = tx.hash();
        self.add(tx, hash, spend, false);
    }

    /// [`Mempool::insert_unsynced`] of a transaction whose id is `hash`.
    pub fn insert_unsynced_hashed(&mut self, tx: SignedTx, hash: Hash, spend: Amount) {
        self.add(tx, hash, spend, false);
    }

    /// Marks transactions as written to the durable mempool (they may go into
    /// blocks from now on).
    pub fn mark_durable(&mut self, hashes: &[Hash]) {
        for h in hashes {
            if let Some(e) = self.entries.get_mut(h) {
                e.durable = true;
            }
        }
    }

    fn add(&mut self, tx: SignedTx, hash: Hash, spend: Amount, durable: bool) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, hash);
        let queue = self.by_sender.entry(tx.tx.signer).or_default();
        if let Some(old) = queue.by_nonce.insert(tx.tx.nonce, hash) {
            // Admission never lets two transactions of a sender share a nonce;
            // should one replace another all the same, the totals follow.
            if let Some(e) = self.entries.remove(&old) {
                queue.spend -= u128::from(e.spend);
                self.order.remove(&e.seq);
            }
        }
        queue.spend += u128::from(spend);
        self.entries.insert(
            hash,
            Entry {
                tx,
                spend,
                durable,
                seq,
            },
        );
    }

    /// Up to `max` durable transactions in arrival order. A sender's transactions
    /// after one that is not durable yet wait with it, so nonces stay in order.
    pub fn batch(&self, max: usize) -> Vec<SignedTx> {
        self.batch_skipping(max, &HashSet::new())
    }

    /// [`Mempool::batch`] without the transactions `skip` names: those of a
    /// block built but not yet committed, which the next block builds on.
    pub fn batch_skipping(&self, max: usize, skip: &HashSet<Hash>) -> Vec<SignedTx> {
        let mut held: HashSet<Address> = HashSet::new();
        let mut out = Vec::new();
        for h in self.order.values() {
            if out.len() >= max {
                break;
            }
            if !skip.is_empty() && skip.contains(h) {
                continue;
            }
            let e = &self.entries[h];
            let sender = e.tx.tx.signer;
            if !e.durable {
                held.insert(sender);
                continue;
            }
            if held.is_empty() || !held.contains(&sender) {
                out.push(e.tx.clone());
            }
        }
        out
    }

    fn remove(&mut self, hash: &Hash) -> Option<Entry> {
        let entry = self.entries.remove(hash)?;
        self.order.remove(&entry.seq);
        let sender = entry.tx.tx.signer;
        if let Some(q) = self.by_sender.get_mut(&sender) {
            if q.by_nonce.get(&entry.tx.tx.nonce) == Some(hash) {
                q.by_nonce.remove(&entry.tx.tx.nonce);
                q.spend -= u128::from(entry.spend);
            }
            if q.by_nonce.is_empty() {
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
            .map(|q| {
                q.by_nonce
                    .range(entry.tx.tx.nonce..)
                    .map(|(_, h)| *h)
                    .collect()
            })
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

    /// Drops `sender`'s transactions below its committed nonce: another transaction
    /// took their nonce, so they can never apply. Returns the dropped hashes.
    pub fn drop_stale(&mut self, sender: &Address, committed_nonce: u64) -> Vec<Hash> {
        let stale: Vec<(u64, Hash)> = self
            .by_sender
            .get(sender)
            .map(|q| {
                q.by_nonce
                    .range(..committed_nonce)
                    .map(|(n, h)| (*n, *h))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for (nonce, h) in stale {
            if self.remove(&h).is_some() {
                self.remember(
                    h,
                    TxError::BadNonce {
                        expected: committed_nonce,
                        found: nonce,
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

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;
    use plinth_ledger::{Call, Transaction};

    fn key(i: u8) -> Keypair {
        Keypair::from_seed([i + 1; 32])
    }

    fn tx(from: u8, nonce: u64) -> SignedTx {
        Transaction {
            chain_id: "mempool-test".into(),
            signer: Address(key(from).public()),
            nonce,
            fee: 10,
            call: Call::Transfer {
                to: Address(key(99).public()),
                amount: 1,
            },
        }
        .sign(&key(from))
    }

    fn hashes(txs: &[SignedTx]) -> Vec<Hash> {
        txs.iter().map(|t| t.hash()).collect()
    }

    fn sender(i: u8) -> Address {
        Address(key(i).public())
    }

    #[test]
    fn batch_is_first_in_first_out_across_senders() {
        let mut pool = Mempool::new(100, 100);
        assert!(pool.is_empty());
        let arrivals = vec![tx(0, 0), tx(1, 0), tx(0, 1), tx(2, 0), tx(1, 1), tx(0, 2)];
        for (i, t) in arrivals.iter().enumerate() {
            pool.insert(t.clone(), 11 + i as u64);
        }
        assert_eq!(pool.len(), 6);
        assert!(!pool.is_empty());
        assert_eq!(hashes(&pool.batch(100)), hashes(&arrivals));
        assert_eq!(hashes(&pool.batch(3)), hashes(&arrivals[..3]));
        assert!(pool.batch(0).is_empty());
        // Skipping the transactions of a block in flight: the next ones, up to max.
        let skip: HashSet<Hash> = hashes(&arrivals[..2]).into_iter().collect();
        assert_eq!(
            hashes(&pool.batch_skipping(3, &skip)),
            hashes(&arrivals[2..5])
        );
        assert_eq!(
            hashes(&pool.batch_skipping(100, &skip)),
            hashes(&arrivals[2..])
        );
        // batch only reads.
        assert_eq!(pool.len(), 6);
        for t in &arrivals {
            assert!(pool.contains(&t.hash()));
            assert_eq!(pool.get(&t.hash()), Some(t));
        }
        let stranger = tx(5, 0).hash();
        assert!(!pool.contains(&stranger));
        assert_eq!(pool.get(&stranger), None);

        // Removing from the middle keeps the others' order; later arrivals go last.
        pool.remove_included([arrivals[1].hash(), arrivals[3].hash()]);
        let late = tx(3, 0);
        pool.insert(late.clone(), 10);
        let expected = vec![
            arrivals[0].clone(),
            arrivals[2].clone(),
            arrivals[4].clone(),
            arrivals[5].clone(),
            late,
        ];
        assert_eq!(hashes(&pool.batch(100)), hashes(&expected));
    }

    #[test]
    fn transactions_wait_for_durability_and_hold_their_senders_later_ones() {
        let mut pool = Mempool::new(100, 100);
        let (a0, a1, b0) = (tx(0, 0), tx(0, 1), tx(1, 0));
        pool.insert_unsynced(a0.clone(), 1);
        pool.insert(a1.clone(), 1);
        pool.insert_unsynced(b0.clone(), 1);
        // a1 is durable but must not run before a0.
        assert!(pool.batch(10).is_empty());
        pool.mark_durable(&[b0.hash()]);
        assert_eq!(hashes(&pool.batch(10)), vec![b0.hash()]);
        pool.mark_durable(&[a0.hash()]);
        assert_eq!(
            hashes(&pool.batch(10)),
            vec![a0.hash(), a1.hash(), b0.hash()]
        );
    }

    #[test]
    fn stale_nonces_are_dropped_with_the_reason_and_later_ones_kept() {
        let mut pool = Mempool::new(100, 100);
        let (a0, a1, a2, b0) = (tx(0, 0), tx(0, 1), tx(0, 2), tx(1, 0));
        for t in [&a0, &a1, &a2, &b0] {
            pool.insert(t.clone(), 1);
        }
        // Another validator's block used nonces 0 and 1 of sender 0.
        let dropped = pool.drop_stale(&sender(0), 2);
        assert_eq!(dropped, vec![a0.hash(), a1.hash()]);
        assert_eq!(hashes(&pool.batch(10)), vec![a2.hash(), b0.hash()]);
        assert_eq!(
            pool.dropped(&a0.hash()),
            Some(&TxError::BadNonce {
                expected: 2,
                found: 0
            })
        );
        assert!(pool.drop_stale(&sender(1), 0).is_empty());
    }

    #[test]
    fn pending_view_counts_nonces_from_the_committed_one_and_sums_spend() {
        let mut pool = Mempool::new(100, 100);
        pool.insert(tx(0, 3), 100);
        pool.insert(tx(1, 0), 7);
        pool.insert(tx(0, 4), 200);
        pool.insert(tx(0, 5), 300);

        let v = pool.pending_view(&sender(0), 3);
        assert_eq!((v.count, v.spend), (3, 600));
        // Nonces below the committed one (already in a block) do not count.
        let v = pool.pending_view(&sender(0), 4);
        assert_eq!((v.count, v.spend), (2, 500));
        let v = pool.pending_view(&sender(0), 5);
        assert_eq!((v.count, v.spend), (1, 300));
        let v = pool.pending_view(&sender(0), 6);
        assert_eq!((v.count, v.spend), (0, 0));
        let v = pool.pending_view(&sender(0), 0);
        assert_eq!((v.count, v.spend), (3, 600));
        let v = pool.pending_view(&sender(1), 0);
        assert_eq!((v.count, v.spend), (1, 7));
        let v = pool.pending_view(&sender(2), 0);
        assert_eq!((v.count, v.spend), (0, 0));

        // Spend saturates rather than overflowing.
        pool.insert(tx(2, 0), u64::MAX);
        pool.insert(tx(2, 1), 5);
        assert_eq!(pool.pending_view(&sender(2), 0).spend, u64::MAX);
    }

    #[test]
    fn remove_included_forgets_transactions_everywhere() {
        let mut pool = Mempool::new(100, 100);
        let (a0, a1, b0) = (tx(0, 0), tx(0, 1), tx(1, 0));
        pool.insert(a0.clone(), 10);
        pool.insert(a1.clone(), 20);
        pool.insert(b0.clone(), 30);

        pool.remove_included([a0.hash(), b0.hash(), tx(7, 7).hash()]);
        assert_eq!(pool.len(), 1);
        assert!(!pool.contains(&a0.hash()));
        assert!(!pool.contains(&b0.hash()));
        assert!(pool.contains(&a1.hash()));
        assert_eq!(hashes(&pool.batch(10)), vec![a1.hash()]);
        let v = pool.pending_view(&sender(0), 0);
        assert_eq!((v.count, v.spend), (1, 20));
        assert_eq!(pool.pending_view(&sender(1), 0).count, 0);
        // Included is not dropped: no reason is remembered.
        assert_eq!(pool.dropped(&a0.hash()), None);

        // Removing twice is harmless.
        pool.remove_included([a0.hash()]);
        pool.remove_included([a1.hash()]);
        assert!(pool.is_empty());
        assert!(pool.batch(10).is_empty());
    }

    #[test]
    fn drop_rejected_drops_the_senders_later_transactions_with_reasons() {
        let mut pool = Mempool::new(100, 100);
        let a: Vec<SignedTx> = (0..4).map(|n| tx(0, n)).collect();
        let b0 = tx(1, 0);
        pool.insert(a[0].clone(), 1);
        pool.insert(a[1].clone(), 1);
        pool.insert(b0.clone(), 1);
        pool.insert(a[2].clone(), 1);
        pool.insert(a[3].clone(), 1);

        let err = TxError::InsufficientFunds {
            needed: 5,
            available: 1,
        };
        let out = pool.drop_rejected(&a[1].hash(), err.clone());
        assert_eq!(out, vec![a[1].hash(), a[2].hash(), a[3].hash()]);
        // The earlier transaction of the sender and the other sender's stay.
        assert_eq!(hashes(&pool.batch(10)), vec![a[0].hash(), b0.hash()]);
        assert_eq!(pool.pending_view(&sender(0), 0).count, 1);

        assert_eq!(pool.dropped(&a[1].hash()), Some(&err));
        for later in &a[2..] {
            match pool.dropped(&later.hash()) {
                Some(TxError::Malformed { reason }) => {
                    assert!(reason.contains("dropped"), "{reason}");
                    assert!(reason.contains(&a[1].hash().to_string()), "{reason}");
                }
                other => panic!("expected a cascade reason, got {other:?}"),
            }
        }
        assert_eq!(pool.dropped(&a[0].hash()), None);
        assert_eq!(pool.dropped(&b0.hash()), None);

        // Unknown (or already dropped) transactions: nothing happens.
        assert!(pool
            .drop_rejected(&a[1].hash(), TxError::BadSignature)
            .is_empty());
        assert_eq!(pool.dropped(&a[1].hash()), Some(&err));
        assert!(pool
            .drop_rejected(&tx(9, 0).hash(), TxError::BadSignature)
            .is_empty());
        assert_eq!(pool.dropped(&tx(9, 0).hash()), None);
        assert_eq!(pool.len(), 2);

        // The last transaction of a sender drops alone.
        assert_eq!(
            pool.drop_rejected(&b0.hash(), TxError::BadSignature),
            vec![b0.hash()]
        );
        assert_eq!(pool.dropped(&b0.hash()), Some(&TxError::BadSignature));
        assert_eq!(hashes(&pool.batch(10)), vec![a[0].hash()]);
    }

    #[test]
    fn dropped_reasons_are_bounded() {
        let mut pool = Mempool::new(1, 1);
        let h = |i: u64| {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&i.to_le_bytes());
            Hash(b)
        };
        let n = DROPPED_MEMORY as u64 + 10;
        for i in 0..n {
            pool.remember(h(i), TxError::Duplicate);
        }
        assert_eq!(pool.dropped.len(), DROPPED_MEMORY);
        assert_eq!(pool.dropped_order.len(), DROPPED_MEMORY);
        for i in 0..10 {
            assert_eq!(pool.dropped(&h(i)), None, "oldest reasons are forgotten");
        }
        assert_eq!(pool.dropped(&h(10)), Some(&TxError::Duplicate));
        assert_eq!(pool.dropped(&h(n - 1)), Some(&TxError::Duplicate));
    }

    #[test]
    fn capacity_bounds_the_pool() {
        let mut pool = Mempool::new(2, 2);
        assert!(!pool.is_full());
        pool.insert(tx(0, 0), 1);
        assert!(!pool.is_full());
        pool.insert(tx(1, 0), 1);
        assert!(pool.is_full());
        pool.remove_included([tx(0, 0).hash()]);
        assert!(!pool.is_full());
        pool.drop_rejected(&tx(1, 0).hash(), TxError::BadSignature);
        assert!(pool.is_empty());

        let mut none = Mempool::new(0, 0);
        assert!(none.is_full(), "a zero-capacity pool is always full");
        none.remove_included([]);
        assert!(none.is_full());
    }

    #[test]
    fn a_sender_is_full_at_its_cap_and_others_are_not() {
        let mut pool = Mempool::new(100, 3);
        assert_eq!(pool.per_sender(), 3);
        for n in 0..3 {
            assert!(!pool.sender_is_full(&sender(0)));
            pool.insert(tx(0, n), 1);
        }
        assert!(pool.sender_is_full(&sender(0)));
        assert!(!pool.sender_is_full(&sender(1)));
        // Room again once one commits.
        pool.remove_included([tx(0, 0).hash()]);
        assert!(!pool.sender_is_full(&sender(0)));
    }

    /// The view admission reads is kept as running totals: it steps over no
    /// entry however long the queue, and stays exact through removals, drops
    /// and stale entries (which it steps over, one each, until dropped).
    #[test]
    fn pending_view_does_not_walk_the_queue() {
        let n = 2_000u64;
        let mut pool = Mempool::new(10_000, 10_000);
        for nonce in 0..n {
            pool.insert(tx(0, nonce), nonce + 1);
        }
        let total: u64 = (1..=n).sum();
        let v = pool.pending_view(&sender(0), 0);
        assert_eq!((v.count, v.spend), (n, total));
        for _ in 0..100 {
            pool.pending_view(&sender(0), 0);
        }
        assert_eq!(pool.view_steps.get(), 0, "the view walked the queue");

        // Included transactions leave the totals.
        pool.remove_included([tx(0, 0).hash(), tx(0, 1).hash()]);
        let v = pool.pending_view(&sender(0), 2);
        assert_eq!((v.count, v.spend), (n - 2, total - 3));
        assert_eq!(pool.view_steps.get(), 0);

        // Two stale entries (another block used their nonces) are stepped over
        // until dropped, then the view is flat again.
        let v = pool.pending_view(&sender(0), 4);
        assert_eq!((v.count, v.spend), (n - 4, total - 3 - 3 - 4));
        assert_eq!(pool.view_steps.get(), 2);
        pool.drop_stale(&sender(0), 4);
        let v = pool.pending_view(&sender(0), 4);
        assert_eq!((v.count, v.spend), (n - 4, total - 10));
        assert_eq!(pool.view_steps.get(), 2);

        // A rejection drops the rest of the queue, and the totals with it.
        pool.drop_rejected(&tx(0, 10).hash(), TxError::BadSignature);
        let v = pool.pending_view(&sender(0), 4);
        assert_eq!((v.count, v.spend), (6, (5..=10).sum::<u64>()));
        assert_eq!(pool.view_steps.get(), 2);
    }
}
