//! Checks every transaction goes through before its call: signature, chain, nonce,
//! account, fee, funds, duplicates, size.

use crate::common::*;
use plinth_core::Signature;
use plinth_ledger::{Call, SignedTx, Transaction, TxError, MAX_TX_BYTES};

fn pay(to: &plinth_core::Keypair, amount: u64) -> Call {
    Call::Transfer {
        to: addr(to),
        amount,
    }
}

#[test]
fn signature_by_another_key_is_rejected() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    // Claims to be from `a`, signed by `b`.
    let forged = Transaction {
        chain_id: CHAIN_ID.into(),
        signer: addr(&a),
        nonce: 0,
        fee: FEE,
        call: pay(&b, 1_000),
    }
    .sign(&b);
    c.reject(forged, TxError::BadSignature);
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE);
    assert_eq!(c.nonce(&a), 0);
}

#[test]
fn tampered_transaction_is_rejected() {
    let mut c = Chain::new(2);
    let mut stx = c.tx(&user(0), pay(&user(1), 10));
    stx.tx.call = pay(&user(1), 900_000);
    c.reject(stx, TxError::BadSignature);

    let mut stx = c.tx(&user(0), pay(&user(1), 10));
    stx.signature.0[5] ^= 1;
    c.reject(stx, TxError::BadSignature);

    let mut stx = c.tx(&user(0), pay(&user(1), 10));
    stx.signature = Signature([0; 64]);
    c.reject(stx, TxError::BadSignature);
    assert_eq!(c.balance(&addr(&user(1))), INITIAL_BALANCE);
}

#[test]
fn one_bad_signature_does_not_spoil_its_batch() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let mut txs: Vec<SignedTx> = (0..70).map(|n| tx(&a, n, FEE, pay(&b, 1))).collect();
    // Index 33 is forged: its slot's nonce is then never used, so later ones fail
    // on their nonce, but the forged one must fail on its signature.
    txs[33].signature = b.sign(&txs[33].tx.signing_bytes());
    let receipts = c.block(txs);
    for r in &receipts[..33] {
        assert_eq!(r.error, None);
    }
    assert_eq!(receipts[33].error, Some(TxError::BadSignature));
    assert_eq!(
        receipts[34].error,
        Some(TxError::BadNonce {
            expected: 33,
            found: 34
        })
    );
    assert_eq!(c.nonce(&a), 33);
    assert_eq!(c.balance(&addr(&b)), INITIAL_BALANCE + 33);
}

#[test]
fn wrong_chain_is_rejected() {
    let mut c = Chain::new(2);
    let stx = Transaction {
        chain_id: "another-chain".into(),
        signer: addr(&user(0)),
        nonce: 0,
        fee: FEE,
        call: pay(&user(1), 5),
    }
    .sign(&user(0));
    c.reject(
        stx,
        TxError::WrongChain {
            expected: CHAIN_ID.into(),
            found: "another-chain".into(),
        },
    );
}

#[test]
fn wrong_nonce_is_rejected_and_replays_fail() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    c.reject(
        tx(&a, 1, FEE, pay(&b, 5)),
        TxError::BadNonce {
            expected: 0,
            found: 1,
        },
    );
    let first = tx(&a, 0, FEE, pay(&b, 5));
    c.ok(first.clone());
    // The same signed transaction in a later block is a replay.
    c.reject(
        first,
        TxError::BadNonce {
            expected: 1,
            found: 0,
        },
    );
    assert_eq!(c.balance(&addr(&b)), INITIAL_BALANCE + 5);
    assert_eq!(c.nonce(&a), 1);
}

#[test]
fn unknown_account_is_rejected() {
    let mut c = Chain::new(1);
    let s = stranger();
    c.reject(
        tx(&s, 0, FEE, pay(&user(0), 1)),
        TxError::UnknownAccount {
            address: addr(&s).to_string(),
        },
    );
    assert_eq!(account(&c.store, &addr(&s)), None);
}

#[test]
fn fee_below_minimum_is_rejected_and_minimum_is_accepted() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    c.reject(
        tx(&a, 0, MIN_FEE - 1, pay(&b, 5)),
        TxError::FeeTooLow {
            min: MIN_FEE,
            found: MIN_FEE - 1,
        },
    );
    let r = c.one(tx(&a, 0, MIN_FEE, pay(&b, 5)));
    assert_eq!(r.error, None);
    assert_eq!(r.fee, MIN_FEE);
    assert_eq!(c.balance(&c.proposer()), MIN_FEE);
}

#[test]
fn fee_beyond_balance_is_rejected() {
    let mut c = Chain::new(1);
    let s = stranger();
    c.ok(c.tx(&user(0), pay(&s, 5)));
    // Withdraw needs no funds beyond the fee, which the stranger cannot pay.
    c.reject(
        tx(&s, 0, MIN_FEE, Call::Withdraw),
        TxError::InsufficientFunds {
            needed: MIN_FEE,
            available: 5,
        },
    );
    assert_eq!(c.balance(&addr(&s)), 5);
}

#[test]
fn duplicate_in_one_block_is_rejected() {
    let mut c = Chain::new(2);
    let stx = c.tx(&user(0), pay(&user(1), 7));
    let single = c.dry_run(std::slice::from_ref(&stx));
    let receipts = c.block(vec![stx.clone(), stx.clone()]);
    assert_eq!(receipts[0].error, None);
    assert_eq!(receipts[1].error, Some(TxError::Duplicate));
    assert_eq!(receipts[1].fee, 0);
    assert_eq!(receipts[1].index, 1);
    // The duplicate changed nothing: same root as the block without it.
    assert_eq!(c.root(), single.state_root);
    assert_eq!(c.balance(&addr(&user(1))), INITIAL_BALANCE + 7);
    assert_eq!(c.nonce(&user(0)), 1);
}

#[test]
fn rejected_transaction_between_good_ones_changes_nothing() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let good = vec![tx(&a, 0, FEE, pay(&b, 1)), tx(&a, 1, FEE, pay(&b, 2))];
    let without = c.dry_run(&good);
    let bad = tx(&a, 1, FEE, pay(&b, INITIAL_BALANCE));
    let receipts = c.block(vec![good[0].clone(), bad, good[1].clone()]);
    assert_eq!(receipts[0].error, None);
    assert_eq!(
        receipts[1].error,
        Some(TxError::InsufficientFunds {
            needed: INITIAL_BALANCE + FEE,
            available: INITIAL_BALANCE - 1 - FEE,
        })
    );
    assert_eq!(receipts[2].error, None);
    assert_eq!(c.root(), without.state_root);
}

#[test]
fn oversized_transaction_is_rejected() {
    let mut c = Chain::new(1);
    let a = user(0);
    let network = "x".repeat(MAX_TX_BYTES);
    let call = register_call(&addr(&a), &device_key(0), &network, berlin());
    let stx = c.tx(&a, call);
    let size = stx.encode().len() as u64;
    assert!(size > MAX_TX_BYTES as u64);
    c.reject(
        stx,
        TxError::TooLarge {
            size,
            limit: MAX_TX_BYTES as u64,
        },
    );
}
