//! Restarts: acknowledged transactions survive a crash before their block, and
//! the reopened node goes on from its head.

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::SignedTx;
use plinth_store::ChainStore;
use std::collections::BTreeSet;

fn hash_set(txs: &[&SignedTx]) -> BTreeSet<Hash> {
    txs.iter().map(|t| t.hash()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_transactions_survive_a_restart_and_get_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (ua, ub, uc) = (user(0), user(1), user(2));
    let (a, b, c) = (addr(&ua), addr(&ub), addr(&uc));
    let a0 = transfer(&ua, 0, &c, 100);
    let a1 = transfer(&ua, 1, &c, 200);
    let b0 = transfer(&ub, 0, &a, 300);

    let node = open(dir.path());
    let first = produce(&node).await; // some history before the crash
    assert_eq!(first.height, 1);
    let verdicts = node
        .submit(vec![a0.encode(), a1.encode(), b0.encode()])
        .await;
    assert!(verdicts.iter().all(|v| v.is_ok()), "{verdicts:?}");
    // Crash after the acknowledgement, before any block: nothing but the store's
    // mempool table keeps them.
    drop(node);

    let node = open(dir.path());
    assert_eq!(
        node.store.head().unwrap(),
        first,
        "the chain is where it was"
    );
    assert_eq!(node.mempool_len(), 3);
    for t in [&a0, &a1, &b0] {
        match node.pending_status(&t.hash()) {
            Some(Ok(tx)) => assert_eq!(&tx, t),
            other => panic!("expected {} pending, got {other:?}", t.hash()),
        }
    }
    assert_eq!(node.pending_count(&a, 0), 2);
    assert_eq!(node.pending_count(&b, 0), 1);
    let durable: BTreeSet<Hash> = node
        .store
        .pending()
        .unwrap()
        .iter()
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(durable, hash_set(&[&a0, &a1, &b0]));
    // The reloaded mempool still judges new submissions: a's next nonce is 2.
    let a2 = transfer(&ua, 2, &c, 1);
    assert!(node.submit(vec![a1.encode()]).await.remove(0).is_err());
    assert!(node.submit(vec![a2.encode()]).await.remove(0).is_ok());

    let header = produce(&node).await;
    assert_eq!(header.height, 2);
    assert_eq!(header.parent, first.hash());
    let block = node.store.block(2).unwrap().unwrap();
    let included: BTreeSet<Hash> = block.txs.iter().map(|t| t.hash()).collect();
    assert_eq!(included, hash_set(&[&a0, &a1, &b0, &a2]));
    // Each sender's transactions in nonce order.
    let pos = |t: &SignedTx| block.txs.iter().position(|x| x == t).unwrap();
    assert!(pos(&a0) < pos(&a1) && pos(&a1) < pos(&a2));
    assert_eq!(balance(&node, &c), INITIAL_BALANCE + 301);
    assert_eq!(balance(&node, &a), INITIAL_BALANCE - 301 - 3 * FEE + 300);
    assert_eq!(node.mempool_len(), 0);
    assert!(node.store.pending().unwrap().is_empty());
    drop(node);

    // Nothing comes back after a clean restart; the metrics start from the head.
    let node = open(dir.path());
    assert_eq!(node.mempool_len(), 0);
    assert_eq!(node.store.head().unwrap(), header);
    assert_eq!(nonce(&node, &a), 3);
    assert_eq!(
        node.metrics.height.get(),
        2,
        "chain height metric after restart"
    );
    assert!(node.metrics.render().contains("plinth_chain_height 2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_entries_of_the_durable_mempool_are_discarded_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (ua, ub) = (user(0), user(1));
    let b = addr(&ub);
    let a0 = transfer(&ua, 0, &b, 1);
    let a1 = transfer(&ua, 1, &b, 1);

    let node = open(dir.path());
    assert!(node.submit(vec![a0.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    assert!(node.submit(vec![a1.encode()]).await.remove(0).is_ok());
    drop(node);

    // Behind the node's back: an entry for an already committed transaction (as a
    // crash between a commit and the mempool cleanup could leave), one whose nonce
    // no longer fits, and bytes that are not a transaction.
    let gap = transfer(&ub, 5, &addr(&ua), 1);
    let garbage = Hash([0xEE; 32]);
    {
        let path = dir.path().join("chain.redb");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let store = loop {
            match ChainStore::open(&path) {
                Ok(s) => break s,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(e) => panic!("{e}"),
            }
        };
        store
            .put_pending(&[
                (a0.hash(), a0.encode()),
                (gap.hash(), gap.encode()),
                (garbage, vec![1, 2, 3]),
            ])
            .unwrap();
        assert_eq!(store.pending().unwrap().len(), 4);
    }

    let node = open(dir.path());
    assert_eq!(node.mempool_len(), 1);
    assert!(matches!(node.pending_status(&a1.hash()), Some(Ok(_))));
    assert!(node.pending_status(&a0.hash()).is_none());
    assert!(node.pending_status(&gap.hash()).is_none());
    let durable: Vec<Hash> = node
        .store
        .pending()
        .unwrap()
        .iter()
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(
        durable,
        vec![a1.hash()],
        "stale entries are removed from disk"
    );
    let header = produce(&node).await;
    assert_eq!(
        node.store.block(header.height).unwrap().unwrap().txs,
        vec![a1]
    );
}
