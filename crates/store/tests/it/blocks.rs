//! Blocks, receipts, indexes, history and state: written by `commit_block`, read
//! back, and still there after the store is closed and reopened.

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::{tree, Block, Store, TxError};
use plinth_store::{ChainStore, StoreError, TxLocation};

#[test]
fn a_new_store_holds_the_genesis_block_and_state() {
    let c = Chain::new(2);
    let head = c.head();
    assert_eq!(head.height, 0);
    assert_eq!(head.chain_id, CHAIN_ID);
    assert_eq!(head.timestamp_ms, GENESIS_TIME_MS);
    assert_eq!(
        head.parent,
        c.genesis.hash(),
        "genesis' parent names the genesis"
    );
    assert_eq!(head.proposer, addr(&validator_key()));

    let genesis_block = c.store.block(0).unwrap().expect("genesis block");
    assert_eq!(genesis_block.sealed_header(), head);
    assert!(genesis_block.txs.is_empty());
    assert_eq!(c.store.block_height(&head.hash()).unwrap(), Some(0));
    assert_eq!(c.store.receipts(0).unwrap(), Some(vec![]));
    assert_eq!(c.store.block(1).unwrap(), None);
    assert_eq!(c.store.receipts(1).unwrap(), None);
    assert_eq!(c.store.genesis().unwrap(), Some(c.genesis.clone()));

    let snap = c.store.snapshot().unwrap();
    assert_eq!(snap.head(), Some(0));
    assert_eq!(snap.version().unwrap(), Some(0));
    assert_eq!(tree::root(&snap, 0).unwrap(), head.state_root);
    drop(snap);
    for i in 0..2 {
        let a = account(&c.store, &addr(&user(i))).expect("funded at genesis");
        assert_eq!((a.balance, a.nonce), (INITIAL_BALANCE, 0));
    }
    assert_eq!(account(&c.store, &addr(&user(7))), None);
}

#[test]
fn an_empty_store_has_no_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = ChainStore::open(&dir.path().join("empty.redb")).unwrap();
    assert!(matches!(store.head(), Err(StoreError::Empty)));
    assert_eq!(store.genesis().unwrap(), None);
    assert_eq!(store.snapshot().unwrap().head(), None);
    assert_eq!(store.block(0).unwrap(), None);
    assert!(store.pending().unwrap().is_empty());
}

/// What the blocks test commits, to check before and after a reopen.
struct Expect {
    blocks: Vec<Block>,
    /// A transfer rejected inside block 2 (indexed like any other).
    rejected: Hash,
}

fn check(c: &Chain, e: &Expect) {
    let (a, b, d) = (addr(&user(0)), addr(&user(1)), addr(&user(2)));
    let v = addr(&validator_key());
    let last = e.blocks.last().unwrap();
    let head = c.head();
    assert_eq!(head, last.sealed_header());
    assert_eq!(head.height, e.blocks.len() as u64);

    for block in &e.blocks {
        let h = block.header.height;
        assert_eq!(c.store.block(h).unwrap().as_ref(), Some(block));
        assert_eq!(c.store.block_height(&block.hash()).unwrap(), Some(h));
        let receipts = c.store.receipts(h).unwrap().expect("receipts stored");
        assert_eq!(receipts.len(), block.txs.len());
        for (i, (tx, r)) in block.txs.iter().zip(&receipts).enumerate() {
            assert_eq!(r.tx_hash, tx.hash());
            assert_eq!(r.index, i as u32);
            assert_eq!(
                c.store.tx_location(&tx.hash()).unwrap(),
                Some(TxLocation {
                    height: h,
                    index: i as u32
                })
            );
        }
        // Each block's parent is the previous block's header hash.
        let parent = c.store.block(h - 1).unwrap().unwrap();
        assert_eq!(block.header.parent, parent.hash());
    }
    assert_eq!(c.store.block(head.height + 1).unwrap(), None);
    assert_eq!(c.store.block_height(&Hash([7; 32])).unwrap(), None);
    assert_eq!(c.store.tx_location(&Hash([7; 32])).unwrap(), None);

    // The rejected transfer is in block 2 with its error, and changed nothing.
    let loc = c.store.tx_location(&e.rejected).unwrap().unwrap();
    assert_eq!(loc.height, 2);
    let r = &c.store.receipts(2).unwrap().unwrap()[loc.index as usize];
    assert_eq!(r.tx_hash, e.rejected);
    assert!(matches!(r.error, Some(TxError::InsufficientFunds { .. })));
    assert_eq!(r.fee, 0);

    // Balances: a sent 100 + 300, b sent 50 to d and 1_000 to a; 4 fees paid by
    // a (2), b (2); d's over-spend was rejected and charged nothing.
    assert_eq!(
        balance(&c.store, &a),
        INITIAL_BALANCE - 400 - 2 * FEE + 1_000
    );
    assert_eq!(
        balance(&c.store, &b),
        INITIAL_BALANCE + 400 - 50 - 1_000 - 2 * FEE
    );
    assert_eq!(balance(&c.store, &d), INITIAL_BALANCE + 50);
    assert_eq!(balance(&c.store, &v), 4 * FEE);
    assert_eq!(nonce(&c.store, &a), 2);
    assert_eq!(nonce(&c.store, &b), 2);
    assert_eq!(nonce(&c.store, &d), 0);

    // The tree in the store is the one the head header commits to.
    let snap = c.store.snapshot().unwrap();
    assert_eq!(snap.head(), Some(head.height));
    assert_eq!(tree::root(&snap, head.height).unwrap(), head.state_root);
}

#[test]
fn committed_blocks_are_indexed_and_survive_a_reopen() {
    let c = Chain::new(3);
    let (ua, ub, ud) = (user(0), user(1), user(2));
    let (a, b) = (addr(&ua), addr(&ub));
    let d = addr(&ud);

    let (b1, r1) = c.commit(vec![transfer(&ua, 0, &b, 100), transfer(&ua, 1, &b, 300)]);
    assert!(r1.iter().all(|r| r.is_ok()), "{r1:?}");
    // d holds INITIAL_BALANCE + 50 by then: not enough.
    let rejected = transfer(&ud, 0, &a, INITIAL_BALANCE + 100);
    let (b2, r2) = c.commit(vec![transfer(&ub, 0, &d, 50), rejected.clone()]);
    assert!(r2[0].is_ok());
    assert!(!r2[1].is_ok());
    let (b3, r3) = c.commit(vec![transfer(&ub, 1, &a, 1_000)]);
    assert!(r3[0].is_ok());
    let e = Expect {
        blocks: vec![b1, b2, b3],
        rejected: rejected.hash(),
    };
    check(&c, &e);

    let c = c.reopen();
    check(&c, &e);
    assert_eq!(c.store.genesis().unwrap(), Some(c.genesis.clone()));

    // The reopened store goes on from its head.
    let (b4, r4) = c.commit(vec![transfer(&ua, 2, &b, 1)]);
    assert!(r4[0].is_ok());
    assert_eq!(b4.header.height, 4);
    assert_eq!(b4.header.parent, e.blocks[2].hash());
    assert_eq!(c.head(), b4.sealed_header());
}

#[test]
fn a_store_refuses_another_genesis() {
    let c = Chain::new(2);
    c.commit(vec![transfer(&user(0), 0, &addr(&user(1)), 5)]);
    let path = c.path();
    let head = c.head();
    let Chain { dir, store, .. } = c;
    drop(store);

    let other = genesis_for("another-chain", 2);
    match ChainStore::open_with_genesis(&path, &other) {
        Err(StoreError::GenesisMismatch { found }) => assert_eq!(found, CHAIN_ID),
        Err(e) => panic!("expected GenesisMismatch, got {e}"),
        Ok(_) => panic!("a store must refuse a different genesis"),
    }
    // Same chain id but different balances is another genesis too.
    let mut richer = genesis(2);
    richer.accounts[0].balance += 1;
    assert!(matches!(
        ChainStore::open_with_genesis(&path, &richer),
        Err(StoreError::GenesisMismatch { .. })
    ));
    // The refusals changed nothing.
    let store = ChainStore::open_with_genesis(&path, &genesis(2)).unwrap();
    assert_eq!(store.head().unwrap(), head);
    drop(dir);
}

#[test]
fn history_lists_sender_and_recipient_newest_first() {
    let c = Chain::new(3);
    let (ua, ub, ud) = (user(0), user(1), user(2));
    let (a, b, d) = (addr(&ua), addr(&ub), addr(&ud));

    let t1 = transfer(&ua, 0, &b, 10); // block 1, index 0
    let t2 = transfer(&ud, 0, &d, 10); // block 1, index 1: self-transfer
    c.commit(vec![t1.clone(), t2.clone()]);
    let t3 = transfer(&ub, 0, &d, 5); // block 2, index 0
    c.commit(vec![t3.clone()]);
    c.commit(vec![]); // block 3: empty
    let t4 = transfer(&ud, 1, &a, 1); // block 4, index 0
    let t5 = transfer(&ua, 1, &b, 2); // block 4, index 1
    c.commit(vec![t4.clone(), t5.clone()]);

    let loc = |height, index| TxLocation { height, index };
    assert_eq!(
        c.store.history(&a, 100).unwrap(),
        vec![
            (loc(4, 1), t5.hash()),
            (loc(4, 0), t4.hash()),
            (loc(1, 0), t1.hash())
        ]
    );
    assert_eq!(
        c.store.history(&b, 100).unwrap(),
        vec![
            (loc(4, 1), t5.hash()),
            (loc(2, 0), t3.hash()),
            (loc(1, 0), t1.hash())
        ]
    );
    // A self-transfer is listed once.
    assert_eq!(
        c.store.history(&d, 100).unwrap(),
        vec![
            (loc(4, 0), t4.hash()),
            (loc(2, 0), t3.hash()),
            (loc(1, 1), t2.hash())
        ]
    );
    // The limit keeps the newest.
    assert_eq!(
        c.store.history(&a, 2).unwrap(),
        vec![(loc(4, 1), t5.hash()), (loc(4, 0), t4.hash())]
    );
    assert!(c.store.history(&a, 0).unwrap().is_empty());
    // The validator only received fees: transfers do not list it.
    assert!(c
        .store
        .history(&addr(&validator_key()), 100)
        .unwrap()
        .is_empty());
    assert!(c.store.history(&addr(&user(9)), 100).unwrap().is_empty());
}
