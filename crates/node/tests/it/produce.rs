//! `Node::produce_block`: what goes into a block, what is left out and dropped.

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::SignedTx;
use plinth_ledger::{block::tx_root, tree, TxError};
use plinth_node::{Pipeline, SubmitError};

#[tokio::test(flavor = "multi_thread")]
async fn a_block_commits_the_accepted_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let (ua, ub, uc) = (user(0), user(1), user(2));
    let (a, b, c) = (addr(&ua), addr(&ub), addr(&uc));
    let v = node.validator();
    assert_eq!(v, addr(&validator_key()));
    let genesis_head = node.store.head().unwrap();
    assert_eq!(genesis_head.height, 0);

    let txs = vec![
        transfer(&ua, 0, &b, 1_000),
        transfer(&ua, 1, &c, 2_000),
        transfer(&ub, 0, &c, 500),
    ];
    let verdicts = node.submit(txs.iter().map(|t| t.encode()).collect()).await;
    assert!(verdicts.iter().all(|v| v.is_ok()), "{verdicts:?}");
    let mut events = node.subscribe();

    let header = produce(&node).await;
    assert_eq!(header.height, 1);
    assert_eq!(header.parent, genesis_head.hash());
    assert_eq!(header.proposer, v);
    assert!(header.timestamp_ms >= genesis_head.timestamp_ms);
    assert_eq!(node.store.head().unwrap(), header);
    let block = node.store.block(1).unwrap().unwrap();
    assert_eq!(block.txs, txs);
    assert!(block.verify_seal());
    assert_eq!(header.tx_root, tx_root(&txs));
    let receipts = node.store.receipts(1).unwrap().unwrap();
    assert_eq!(receipts.len(), 3);
    assert!(receipts.iter().all(|r| r.is_ok() && r.fee == FEE));
    let snap = node.store.snapshot().unwrap();
    assert_eq!(tree::root(&snap, 1).unwrap(), header.state_root);
    drop(snap);

    assert_eq!(balance(&node, &a), INITIAL_BALANCE - 3_000 - 2 * FEE);
    assert_eq!(balance(&node, &b), INITIAL_BALANCE + 1_000 - 500 - FEE);
    assert_eq!(balance(&node, &c), INITIAL_BALANCE + 2_500);
    assert_eq!(balance(&node, &v), 3 * FEE);
    assert_eq!((nonce(&node, &a), nonce(&node, &b)), (2, 1));

    // The mempool, durable too, is empty; committed transactions are not "pending".
    assert_eq!(node.mempool_len(), 0);
    assert!(node.store.pending().unwrap().is_empty());
    for t in &txs {
        assert!(node.pending_status(&t.hash()).is_none());
        assert_eq!(
            node.store.tx_location(&t.hash()).unwrap().unwrap().height,
            1
        );
    }
    // Resubmitting a committed transaction is a duplicate.
    match node.submit(vec![txs[0].encode()]).await.remove(0) {
        Err(SubmitError::Duplicate(m)) => assert!(m.contains("committed in block 1"), "{m}"),
        other => panic!("expected Duplicate, got {other:?}"),
    }

    // The block was announced, and counted.
    match events.try_recv().expect("a block event") {
        plinth_node::Event::Block {
            height,
            hash,
            txs,
            state_root,
            ..
        } => {
            assert_eq!(
                (height, hash, txs, state_root),
                (1, header.hash(), 3, header.state_root)
            );
        }
    }
    assert_eq!(node.metrics.height.get(), 1);
    assert_eq!(node.metrics.txs_committed.get(), 3);

    // Empty blocks are produced too, and chain on.
    let next = produce(&node).await;
    assert_eq!(next.height, 2);
    assert_eq!(next.parent, header.hash());
    assert!(node.store.block(2).unwrap().unwrap().txs.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_failing_in_the_block_is_left_out_and_its_successors_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_block_txs = 3;
    let node = open_with(cfg);
    let (ua, ub, uc) = (user(0), user(1), user(2));
    let (a, b, c) = (addr(&ua), addr(&ub), addr(&uc));
    let device = device_key(0);

    // a and b both register the same device: each passes admission on its own (the
    // device is not registered in committed state), but only the first can apply.
    let a_reg = register(&ua, 0, &device);
    let b_reg = register(&ub, 0, &device);
    let b1 = transfer(&ub, 1, &c, 10); // in the same block, after b_reg
    let b2 = transfer(&ub, 2, &c, 10); // beyond this block's 3 transactions
    let c0 = transfer(&uc, 0, &a, 10); // another sender, beyond this block
    let all = [&a_reg, &b_reg, &b1, &b2, &c0];
    for t in all {
        assert_eq!(
            node.submit(vec![t.encode()]).await.remove(0).unwrap(),
            t.hash()
        );
    }
    assert_eq!(node.mempool_len(), 5);
    assert_eq!(node.pending_count(&b, 0), 3);

    let header = produce(&node).await;
    let block = node.store.block(header.height).unwrap().unwrap();
    // Only a's registration made it; the block's root and receipts say so.
    assert_eq!(block.txs, vec![a_reg.clone()]);
    assert_eq!(header.tx_root, tx_root(&block.txs));
    let receipts = node.store.receipts(header.height).unwrap().unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].tx_hash, a_reg.hash());
    assert_eq!(receipts[0].index, 0);
    assert!(receipts[0].is_ok());
    assert_eq!(device_owner(&node, &dev_id(&device)), Some(a));

    // b's registration was rejected: not in the chain, nothing charged.
    assert!(node.store.tx_location(&b_reg.hash()).unwrap().is_none());
    assert_eq!(balance(&node, &b), INITIAL_BALANCE);
    assert_eq!(nonce(&node, &b), 0);
    match node.pending_status(&b_reg.hash()) {
        Some(Err(TxError::DeviceExists { .. })) => {}
        other => panic!("expected DeviceExists, got {other:?}"),
    }
    // b's later transactions can no longer follow: dropped, saying why, whether
    // they were in the block (b1) or not yet (b2).
    for later in [&b1, &b2] {
        assert!(node.store.tx_location(&later.hash()).unwrap().is_none());
        match node.pending_status(&later.hash()) {
            Some(Err(TxError::Malformed { reason })) => {
                assert!(reason.contains(&b_reg.hash().to_string()), "{reason}")
            }
            other => panic!("expected a dropped status, got {other:?}"),
        }
    }
    assert_eq!(node.pending_count(&b, 0), 0);
    // c's transaction waits for the next block, in memory and on disk.
    assert_eq!(node.mempool_len(), 1);
    assert!(matches!(node.pending_status(&c0.hash()), Some(Ok(_))));
    let durable: Vec<Hash> = node
        .store
        .pending()
        .unwrap()
        .iter()
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(durable, vec![c0.hash()]);
    let metrics = node.metrics.render();
    assert!(metrics.contains("reason=\"device_exists\""), "{metrics}");

    // b starts again from its committed nonce.
    let b_again = transfer(&ub, 0, &c, 7);
    assert!(node.submit(vec![b_again.encode()]).await.remove(0).is_ok());
    let header = produce(&node).await;
    let block = node.store.block(header.height).unwrap().unwrap();
    assert_eq!(block.txs, vec![c0.clone(), b_again.clone()]);
    assert_eq!(nonce(&node, &b), 1);
    assert_eq!(balance(&node, &b), INITIAL_BALANCE - 7 - FEE);
    assert_eq!(node.mempool_len(), 0);
    assert!(node.store.pending().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn blocks_hold_at_most_max_block_txs_in_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_block_txs = 2;
    let node = open_with(cfg);
    let to = addr(&user(3));
    let txs = vec![
        transfer(&user(0), 0, &to, 1),
        transfer(&user(1), 0, &to, 1),
        transfer(&user(0), 1, &to, 1),
        transfer(&user(2), 0, &to, 1),
        transfer(&user(1), 1, &to, 1),
    ];
    let verdicts = node.submit(txs.iter().map(|t| t.encode()).collect()).await;
    assert!(verdicts.iter().all(|v| v.is_ok()));
    let mut included = Vec::new();
    for expected_len in [2, 2, 1, 0] {
        let h = produce(&node).await;
        let block = node.store.block(h.height).unwrap().unwrap();
        assert_eq!(block.txs.len(), expected_len);
        included.extend(block.txs);
    }
    assert_eq!(included, txs);
    assert_eq!(balance(&node, &to), INITIAL_BALANCE + 5);
}

/// Replays the node's chain from genesis on a fresh in-memory store, checking
/// every block's state root and receipts; returns the replayed store.
fn replay(node: &plinth_node::Node) -> plinth_ledger::state::MemStore {
    let mut mem = plinth_ledger::state::MemStore::new();
    let g = genesis().execute(&mem).unwrap();
    mem.commit(&g);
    let head = node.store.head().unwrap().height;
    for h in 1..=head {
        let block = node.store.block(h).unwrap().unwrap();
        let parent = node.store.block(h - 1).unwrap().unwrap().sealed_header();
        let exec =
            plinth_ledger::apply_block(&mem, &parent, &block, plinth_ledger::SigCheck::Verify)
                .unwrap_or_else(|e| panic!("block {h} does not replay: {e}"));
        assert_eq!(exec.state_root, block.header.state_root, "block {h}");
        assert_eq!(
            Some(exec.receipts.clone()),
            node.store.receipts(h).unwrap(),
            "block {h}"
        );
        mem.commit(&exec);
    }
    mem
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pipelined_producer_commits_what_one_block_at_a_time_commits() {
    // The same transactions, in blocks of at most 3: one node builds each block
    // while the one before commits, the other builds and commits in turn.
    let txs: Vec<SignedTx> = (0..7u64)
        .flat_map(|n| {
            (0..USERS).map(move |i| {
                let to = addr(&user((i + 1) % USERS));
                transfer(&user(i), n, &to, 1 + n * 10 + u64::from(i))
            })
        })
        .collect();
    // Two that pass admission, of which only the first applies: users 2 and 3
    // register the same device, each after its transfers.
    let device = device_key(0);
    let (reg, twice) = (
        register(&user(2), 7, &device),
        register(&user(3), 7, &device),
    );
    let mut balances = Vec::new();
    for pipelined in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.max_block_txs = 3;
        let node = open_with(cfg);
        let mut all: Vec<Vec<u8>> = txs.iter().map(|t| t.encode()).collect();
        all.extend([reg.encode(), twice.encode()]);
        let verdicts = node.submit(all).await;
        assert!(verdicts.iter().all(|v| v.is_ok()), "{verdicts:?}");
        let n = node.clone();
        let (blocks, layered) = tokio::task::spawn_blocking(move || {
            let (mut blocks, mut layered) = (0, 0);
            if pipelined {
                let mut p = Pipeline::new(n.clone());
                while n.mempool_len() > p.in_flight_taken() {
                    layered += usize::from(p.in_flight_taken() > 0);
                    blocks += usize::from(p.step().unwrap().is_some());
                }
                blocks += usize::from(p.flush().unwrap().is_some());
                assert!(p.flush().unwrap().is_none(), "nothing left in flight");
            } else {
                while n.mempool_len() > 0 {
                    n.produce().unwrap();
                    blocks += 1;
                }
            }
            (blocks, layered)
        })
        .await
        .unwrap();
        assert_eq!(
            blocks,
            (txs.len() + 2).div_ceil(3),
            "pipelined: {pipelined}"
        );
        if pipelined {
            assert_eq!(
                layered,
                blocks - 1,
                "each block after the first was built on one in flight"
            );
        }
        // Every transfer and the first registration committed once, in order; the
        // second registration left out and dropped.
        let mut committed = Vec::new();
        for h in 1..=node.store.head().unwrap().height {
            committed.extend(node.store.block(h).unwrap().unwrap().txs);
        }
        assert_eq!(committed.len(), txs.len() + 1);
        let mut sorted = committed.clone();
        sorted.sort_by_key(|t| (t.tx.signer, t.tx.nonce));
        let mut expected = txs.clone();
        expected.push(reg.clone());
        expected.sort_by_key(|t| (t.tx.signer, t.tx.nonce));
        assert_eq!(sorted, expected);
        assert!(
            matches!(node.pending_status(&twice.hash()), Some(Err(_))),
            "{:?}",
            node.pending_status(&twice.hash())
        );
        assert_eq!(device_owner(&node, &dev_id(&device)), Some(addr(&user(2))));
        assert_eq!(node.mempool_len(), 0);
        assert!(node.store.pending().unwrap().is_empty());
        // The roots the pipelined node sealed are the ones a replay computes.
        replay(&node);
        balances.push(
            (0..USERS)
                .map(|i| balance(&node, &addr(&user(i))))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(balances[0], balances[1]);
}
