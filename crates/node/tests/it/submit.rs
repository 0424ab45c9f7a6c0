//! `Node::submit`: what is accepted, what is refused and why.

use crate::common::*;
use plinth_core::{Hash, Keypair};
use plinth_ledger::{Call, SignedTx, Transaction, TxError};
use plinth_node::SubmitError;
use std::sync::Arc;

async fn one(node: &Arc<plinth_node::Node>, tx: &SignedTx) -> Result<Hash, SubmitError> {
    let mut v = node.submit(vec![tx.encode()]).await;
    assert_eq!(v.len(), 1);
    v.remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn good_transactions_are_accepted_and_bad_ones_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let (ua, ub) = (user(0), user(1));
    let b = addr(&ub);

    let good = transfer(&ua, 0, &b, 100);
    assert_eq!(one(&node, &good).await.unwrap(), good.hash());
    assert_eq!(node.mempool_len(), 1);
    match node.pending_status(&good.hash()) {
        Some(Ok(tx)) => assert_eq!(tx, good),
        other => panic!("expected pending, got {other:?}"),
    }
    // Acknowledged means durable.
    let durable = node.store.pending().unwrap();
    assert_eq!(durable, vec![(good.hash(), good.encode())]);

    // The same transaction again.
    match one(&node, &good).await {
        Err(SubmitError::Duplicate(m)) => assert!(m.contains("pending"), "{m}"),
        other => panic!("expected Duplicate, got {other:?}"),
    }

    // A nonce that skips ahead: the expected one counts the pending transaction.
    match one(&node, &transfer(&ua, 5, &b, 1)).await {
        Err(SubmitError::Rejected(TxError::BadNonce { expected, found })) => {
            assert_eq!((expected, found), (1, 5))
        }
        other => panic!("expected BadNonce, got {other:?}"),
    }
    // A nonce already used by the pending transaction (a different transaction).
    assert!(matches!(
        one(&node, &transfer(&ua, 0, &b, 999)).await,
        Err(SubmitError::Rejected(TxError::BadNonce {
            expected: 1,
            found: 0
        }))
    ));

    // Signed by someone else.
    let forged = Transaction {
        chain_id: CHAIN_ID.into(),
        signer: addr(&ua),
        nonce: 1,
        fee: FEE,
        call: Call::Transfer { to: b, amount: 1 },
    }
    .sign(&ub);
    assert!(matches!(
        one(&node, &forged).await,
        Err(SubmitError::Rejected(TxError::BadSignature))
    ));
    // A flipped signature bit.
    let mut flipped = transfer(&ua, 1, &b, 1);
    flipped.signature.0[5] ^= 1;
    assert!(matches!(
        one(&node, &flipped).await,
        Err(SubmitError::Rejected(TxError::BadSignature))
    ));

    // Not a transaction at all.
    let verdicts = node.submit(vec![vec![1, 2, 3]]).await;
    assert!(matches!(
        verdicts.as_slice(),
        [Err(SubmitError::Rejected(TxError::Malformed { .. }))]
    ));

    // Another chain, a fee below the minimum, an unknown sender.
    let wrong_chain = Transaction {
        chain_id: "elsewhere".into(),
        signer: addr(&ua),
        nonce: 1,
        fee: FEE,
        call: Call::Transfer { to: b, amount: 1 },
    }
    .sign(&ua);
    assert!(matches!(
        one(&node, &wrong_chain).await,
        Err(SubmitError::Rejected(TxError::WrongChain { .. }))
    ));
    assert!(matches!(
        one(&node, &signed(&ua, 1, MIN_FEE - 1, Call::Transfer { to: b, amount: 1 })).await,
        Err(SubmitError::Rejected(TxError::FeeTooLow { min: MIN_FEE, found })) if found == MIN_FEE - 1
    ));
    let stranger = Keypair::from_seed([0x55; 32]);
    assert!(matches!(
        one(&node, &transfer(&stranger, 0, &b, 1)).await,
        Err(SubmitError::Rejected(TxError::UnknownAccount { .. }))
    ));

    // The balance must also cover what is already pending: a has spent 100 + FEE.
    let available = INITIAL_BALANCE - 100 - FEE;
    match one(&node, &transfer(&ua, 1, &b, available - FEE + 1)).await {
        Err(SubmitError::Rejected(TxError::InsufficientFunds {
            needed,
            available: a,
        })) => {
            assert_eq!(needed, available + 1);
            assert_eq!(a, available);
        }
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    // Exactly what is left is fine.
    let drain = transfer(&ua, 1, &b, available - FEE);
    assert_eq!(one(&node, &drain).await.unwrap(), drain.hash());

    // None of the refusals entered the mempool.
    assert_eq!(node.mempool_len(), 2);
    assert_eq!(node.store.pending().unwrap().len(), 2);
    assert_eq!(node.pending_count(&addr(&ua), 0), 2);
    assert!(node.pending_status(&forged.hash()).is_none());

    // The refusals are counted by reason.
    let metrics = node.metrics.render();
    assert!(metrics.contains("reason=\"bad_nonce\""), "{metrics}");
    assert!(metrics.contains("reason=\"bad_signature\""), "{metrics}");
    assert!(metrics.contains("reason=\"duplicate\""), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_gets_one_verdict_per_transaction_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let (ua, ub) = (user(0), user(1));
    let b = addr(&ub);
    let a0 = transfer(&ua, 0, &b, 1);
    let a1 = transfer(&ua, 1, &b, 1);
    let gap = transfer(&ua, 3, &b, 1);
    let b0 = transfer(&ub, 0, &addr(&ua), 1);
    let verdicts = node
        .submit(vec![
            a0.encode(),
            gap.encode(),
            a1.encode(),
            b"junk".to_vec(),
            a1.encode(),
            b0.encode(),
        ])
        .await;
    assert_eq!(verdicts.len(), 6);
    assert_eq!(verdicts[0].as_ref().unwrap(), &a0.hash());
    assert!(matches!(
        verdicts[1],
        Err(SubmitError::Rejected(TxError::BadNonce {
            expected: 1,
            found: 3
        }))
    ));
    // Transactions of one sender in one batch see each other.
    assert_eq!(verdicts[2].as_ref().unwrap(), &a1.hash());
    assert!(matches!(
        verdicts[3],
        Err(SubmitError::Rejected(TxError::Malformed { .. }))
    ));
    assert!(matches!(verdicts[4], Err(SubmitError::Duplicate(_))));
    assert_eq!(verdicts[5].as_ref().unwrap(), &b0.hash());
    assert_eq!(node.mempool_len(), 3);
    // Arrival order is the block order.
    let header = produce(&node).await;
    let block = node.store.block(header.height).unwrap().unwrap();
    let order: Vec<Hash> = block.txs.iter().map(|t| t.hash()).collect();
    assert_eq!(order, vec![a0.hash(), a1.hash(), b0.hash()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_mempool_refuses_more() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.mempool_capacity = 2;
    let node = open_with(cfg);
    let b = addr(&user(1));
    let txs: Vec<SignedTx> = (0..3).map(|n| transfer(&user(0), n, &b, 1)).collect();
    let verdicts = node.submit(txs.iter().map(|t| t.encode()).collect()).await;
    assert!(verdicts[0].is_ok() && verdicts[1].is_ok());
    match &verdicts[2] {
        Err(SubmitError::MempoolFull(n)) => assert_eq!(*n, 2),
        other => panic!("expected MempoolFull, got {other:?}"),
    }
    assert_eq!(node.mempool_len(), 2);
    // A block makes room again.
    produce(&node).await;
    assert_eq!(node.mempool_len(), 0);
    assert!(one(&node, &txs[2]).await.is_ok());
}
