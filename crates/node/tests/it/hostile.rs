//! Hostile proposers and busy senders: a forged copy of a pending transaction
//! in someone else's block does not erase the real one, and one sender cannot
//! fill the mempool.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use plinth_core::Hash;
use plinth_ledger::block::tx_root;
use plinth_ledger::execute::{execute, BlockContext};
use plinth_ledger::{apply_block, Block, BlockHeader, SigCheck, SignedTx, TxError};
use plinth_node::api::ErrorBody;
use plinth_node::{rpc::router, SubmitError};
use tower::ServiceExt;

/// A block on the node's head, sealed by the validator, carrying `txs` as given
/// (what a byzantine leader would propose), checked the way a verifier checks it.
fn hostile_block(
    node: &plinth_node::Node,
    txs: Vec<SignedTx>,
) -> (Block, plinth_ledger::Execution) {
    let head = node.store.head().unwrap();
    let snapshot = node.store.snapshot().unwrap();
    let ctx = BlockContext {
        height: head.height + 1,
        timestamp_ms: head.timestamp_ms + 1,
        proposer: addr(&validator_key()),
    };
    let exec = execute(&snapshot, &ctx, &txs, SigCheck::Verify).unwrap();
    let header = BlockHeader {
        chain_id: CHAIN_ID.into(),
        height: ctx.height,
        parent: head.hash(),
        timestamp_ms: ctx.timestamp_ms,
        proposer: ctx.proposer,
        tx_root: tx_root(&txs),
        state_root: exec.state_root,
    };
    let block = Block::seal(header, txs, &validator_key());
    // Every validator would accept it: the forged transaction only fails.
    let checked = apply_block(&snapshot, &head, &block, SigCheck::Verify).unwrap();
    assert_eq!(checked.state_root, exec.state_root);
    (block, checked)
}

/// A leader puts the victim's pending transaction in its block with a forged
/// signature. The copy fails in the block (and pays nothing); the real one, a
/// different transaction by id, stays pending, is not "already committed", and
/// commits in the next block.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_copy_in_a_block_does_not_erase_the_pending_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let (victim, to) = (user(0), addr(&user(1)));
    let real = transfer(&victim, 0, &to, 500);
    let verdicts = node.submit(vec![real.encode()]).await;
    assert_eq!(verdicts[0].as_ref().unwrap(), &real.hash());

    let mut forged = real.clone();
    forged.signature = user(2).sign(&real.tx.signing_bytes());
    assert_ne!(forged.hash(), real.hash(), "the id covers the signature");
    let (block, exec) = hostile_block(&node, vec![forged.clone()]);
    assert_eq!(exec.receipts[0].tx_hash, forged.hash());
    assert_eq!(exec.receipts[0].error, Some(TxError::BadSignature));
    let node2 = node.clone();
    tokio::task::spawn_blocking(move || node2.commit_finalized(&block, &exec))
        .await
        .unwrap()
        .unwrap();

    // The real one is still pending, not known as committed, not in the
    // victim's history; submitting it again is a duplicate of a pending one.
    match node.pending_status(&real.hash()) {
        Some(Ok(tx)) => assert_eq!(tx, real),
        other => panic!("the real transaction should be pending, got {other:?}"),
    }
    assert_eq!(node.store.tx_location(&real.hash()).unwrap(), None);
    assert!(node.store.tx_location(&forged.hash()).unwrap().is_some());
    assert!(node
        .store
        .history(&addr(&victim), 10)
        .unwrap()
        .iter()
        .all(|(_, h)| *h != forged.hash()));
    match &node.submit(vec![real.encode()]).await[0] {
        Err(SubmitError::Duplicate(reason)) => assert!(reason.contains("pending"), "{reason}"),
        other => panic!("expected a pending duplicate, got {other:?}"),
    }

    let header = produce(&node).await;
    let loc = node.store.tx_location(&real.hash()).unwrap().unwrap();
    assert_eq!(loc.height, header.height);
    let receipts = node.store.receipts(header.height).unwrap().unwrap();
    assert_eq!(receipts[loc.index as usize].tx_hash, real.hash());
    assert_eq!(receipts[loc.index as usize].error, None);
    assert_eq!(balance(&node, &to), INITIAL_BALANCE + 500);
}

/// A sender at its cap is refused with a typed error, over the API a 429 with
/// a JSON body naming the sender and the limit; other senders are not affected,
/// and the sender has room again once its transactions commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_sender_at_its_cap_is_refused_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.mempool_per_sender = 3;
    let node = open_with(cfg);
    let (a, to) = (user(0), addr(&user(3)));
    let txs: Vec<SignedTx> = (0..5).map(|n| transfer(&a, n, &to, 1)).collect();
    let verdicts = node
        .submit(txs[..4].iter().map(|t| t.encode()).collect())
        .await;
    assert!(verdicts[..3].iter().all(|v| v.is_ok()), "{verdicts:?}");
    match &verdicts[3] {
        Err(SubmitError::SenderQueueFull { sender, limit }) => {
            assert_eq!((*sender, *limit), (addr(&a), 3));
        }
        other => panic!("expected SenderQueueFull, got {other:?}"),
    }
    // Another sender still gets in.
    let other = transfer(&user(1), 0, &to, 1);
    assert!(node.submit(vec![other.encode()]).await[0].is_ok());

    let app = router(node.clone());
    let req = Request::post("/v1/txs")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({ "tx": hex::encode(txs[3].encode()) }).to_string(),
        ))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "sender_queue_full");
    let details = e.error.details.unwrap();
    assert_eq!(details["sender"], addr(&a).to_string());
    assert_eq!(details["limit"], 3);

    produce(&node).await;
    let hashes: Vec<Hash> = node
        .submit(vec![txs[3].encode(), txs[4].encode()])
        .await
        .into_iter()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(hashes, vec![txs[3].hash(), txs[4].hash()]);
}
