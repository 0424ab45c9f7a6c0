//! The durable mempool table: what a node acknowledged but has not yet committed.

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::SignedTx;
use std::collections::BTreeMap;

fn entry(tx: &SignedTx) -> (Hash, Vec<u8>) {
    (tx.hash(), tx.encode())
}

fn pending_map(c: &Chain) -> BTreeMap<Hash, Vec<u8>> {
    let list = c.store.pending().unwrap();
    let map: BTreeMap<_, _> = list.iter().cloned().collect();
    assert_eq!(map.len(), list.len(), "no hash is listed twice");
    map
}

#[test]
fn put_pending_remove_pending_and_reopen() {
    let c = Chain::new(2);
    let (ua, b) = (user(0), addr(&user(1)));
    let txs: Vec<SignedTx> = (0..5).map(|n| transfer(&ua, n, &b, 1 + n)).collect();
    assert!(c.store.pending().unwrap().is_empty());

    c.store
        .put_pending(&txs[..3].iter().map(entry).collect::<Vec<_>>())
        .unwrap();
    c.store
        .put_pending(&txs[3..].iter().map(entry).collect::<Vec<_>>())
        .unwrap();
    let all: BTreeMap<_, _> = txs.iter().map(entry).collect();
    assert_eq!(pending_map(&c), all);
    // The stored bytes decode back to the same transactions.
    for (h, bytes) in c.store.pending().unwrap() {
        assert_eq!(SignedTx::decode(&bytes).unwrap().hash(), h);
    }

    // Putting the same entry again does not duplicate it.
    c.store.put_pending(&[entry(&txs[0])]).unwrap();
    assert_eq!(pending_map(&c), all);

    c.store
        .remove_pending(&[txs[1].hash(), txs[3].hash(), Hash([9; 32])])
        .unwrap();
    c.store.remove_pending(&[]).unwrap();
    let left: BTreeMap<_, _> = [&txs[0], &txs[2], &txs[4]].into_iter().map(entry).collect();
    assert_eq!(pending_map(&c), left);

    // Durable: still there after the store is closed and reopened.
    let c = c.reopen();
    assert_eq!(pending_map(&c), left);
    // Pending transactions are not committed state.
    assert_eq!(nonce(&c.store, &addr(&ua)), 0);
    assert_eq!(c.store.tx_location(&txs[0].hash()).unwrap(), None);
}

#[test]
fn commit_block_removes_its_transactions_and_the_dropped_ones() {
    let c = Chain::new(3);
    let (ua, ub, ud) = (user(0), user(1), user(2));
    let to = addr(&user(2));
    let a0 = transfer(&ua, 0, &to, 10);
    let a1 = transfer(&ua, 1, &to, 10);
    let b0 = transfer(&ub, 0, &to, 10);
    let b1 = transfer(&ub, 1, &to, 10);
    let d0 = transfer(&ud, 0, &addr(&ua), 10);
    c.store
        .put_pending(&[&a0, &a1, &b0, &b1, &d0].map(entry))
        .unwrap();

    // Block 1 carries a0 and b0; b1 is reported dropped; a1 and d0 stay pending.
    let (block, receipts) = c.commit_dropping(vec![a0.clone(), b0.clone()], &[b1.hash()]);
    assert!(receipts.iter().all(|r| r.is_ok()));
    assert_eq!(block.txs.len(), 2);
    let left: BTreeMap<_, _> = [&a1, &d0].into_iter().map(entry).collect();
    assert_eq!(pending_map(&c), left);
    assert!(c.store.tx_location(&a0.hash()).unwrap().is_some());
    assert!(c.store.tx_location(&b1.hash()).unwrap().is_none());

    // An empty block with nothing dropped leaves the pool alone.
    c.commit(vec![]);
    assert_eq!(pending_map(&c), left);

    // A transaction rejected inside a block leaves the pool too (it is in the block).
    let bad = transfer(&ud, 1, &to, 10); // wrong nonce: d0 is not committed
    c.store.put_pending(&[entry(&bad)]).unwrap();
    let (_, receipts) = c.commit(vec![a1.clone(), bad.clone()]);
    assert!(receipts[0].is_ok());
    assert!(!receipts[1].is_ok());
    let left: BTreeMap<_, _> = [&d0].into_iter().map(entry).collect();
    assert_eq!(pending_map(&c), left);

    let c = c.reopen();
    assert_eq!(pending_map(&c), left);
}
