//! The transfer call.

use crate::common::*;
use plinth_ledger::{Call, TxError};

#[test]
fn transfer_moves_funds_charges_fee_and_bumps_nonce() {
    let mut c = Chain::new(3);
    let (a, b) = (user(0), user(1));
    let stx = c.tx(
        &a,
        Call::Transfer {
            to: addr(&b),
            amount: 1_000,
        },
    );
    let r = c.one(stx);
    assert!(r.is_ok(), "{:?}", r.error);
    assert_eq!(r.fee, FEE);
    assert_eq!(r.index, 0);

    let sa = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(sa.balance, INITIAL_BALANCE - 1_000 - FEE);
    assert_eq!(sa.nonce, 1);
    let sb = account(&c.store, &addr(&b)).unwrap();
    assert_eq!(sb.balance, INITIAL_BALANCE + 1_000);
    assert_eq!(sb.nonce, 0, "receiving does not bump the nonce");
    // The fee goes to the proposer, which had nothing before.
    assert_eq!(c.balance(&c.proposer()), FEE);
    // A third account is untouched.
    assert_eq!(c.balance(&addr(&user(2))), INITIAL_BALANCE);
    assert_eq!(supply(&c.store), 3 * INITIAL_BALANCE);
}

#[test]
fn transfer_creates_the_recipient_account() {
    let mut c = Chain::new(1);
    let to = addr(&stranger());
    assert_eq!(account(&c.store, &to), None);
    let stx = c.tx(&user(0), Call::Transfer { to, amount: 42 });
    c.ok(stx);
    let acct = account(&c.store, &to).unwrap();
    assert_eq!(acct.balance, 42);
    assert_eq!(acct.nonce, 0);

    // The new account can now spend what it received.
    let back = tx(
        &stranger(),
        0,
        MIN_FEE,
        Call::Transfer {
            to: addr(&user(0)),
            amount: 42 - MIN_FEE,
        },
    );
    c.ok(back);
    let acct = account(&c.store, &to).unwrap();
    assert_eq!(acct.balance, 0);
    assert_eq!(acct.nonce, 1);
    assert_eq!(
        c.balance(&addr(&user(0))),
        INITIAL_BALANCE - 42 - FEE + 42 - MIN_FEE
    );
}

#[test]
fn transfer_of_the_whole_balance_and_to_self() {
    let mut c = Chain::new(2);
    let a = user(0);
    // To self: only the fee leaves.
    let stx = c.tx(
        &a,
        Call::Transfer {
            to: addr(&a),
            amount: 500,
        },
    );
    c.ok(stx);
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE - FEE);
    assert_eq!(c.nonce(&a), 1);

    // Everything that is left after the fee.
    let all = c.balance(&addr(&a)) - FEE;
    let stx = c.tx(
        &a,
        Call::Transfer {
            to: addr(&user(1)),
            amount: all,
        },
    );
    c.ok(stx);
    assert_eq!(c.balance(&addr(&a)), 0);
    assert_eq!(c.balance(&addr(&user(1))), INITIAL_BALANCE + all);
    assert_eq!(c.balance(&c.proposer()), 2 * FEE);
}

#[test]
fn several_transfers_in_one_block_apply_in_order() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let txs = (0..5)
        .map(|n| {
            tx(
                &a,
                n,
                FEE,
                Call::Transfer {
                    to: addr(&b),
                    amount: 100 * (n + 1),
                },
            )
        })
        .collect();
    let receipts = c.block(txs);
    assert!(receipts.iter().all(|r| r.is_ok()));
    assert_eq!(
        receipts.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(c.nonce(&a), 5);
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE - 1_500 - 5 * FEE);
    assert_eq!(c.balance(&addr(&b)), INITIAL_BALANCE + 1_500);
    assert_eq!(c.balance(&c.proposer()), 5 * FEE);
}

#[test]
fn proposer_paying_a_fee_gets_it_back() {
    let mut c = Chain::new(1);
    let stx = c.tx(
        &user(0),
        Call::Transfer {
            to: c.proposer(),
            amount: 1_000,
        },
    );
    c.ok(stx);
    let v = c.validator.clone();
    assert_eq!(c.balance(&c.proposer()), 1_000 + FEE);
    let stx = c.tx(
        &v,
        Call::Transfer {
            to: addr(&user(0)),
            amount: 300,
        },
    );
    c.ok(stx);
    // The proposer paid the fee to itself.
    assert_eq!(c.balance(&c.proposer()), 1_000 + FEE - 300);
    assert_eq!(c.nonce(&v), 1);
    assert_eq!(supply(&c.store), INITIAL_BALANCE);
}

#[test]
fn zero_amount_is_rejected() {
    let mut c = Chain::new(2);
    let stx = c.tx(
        &user(0),
        Call::Transfer {
            to: addr(&user(1)),
            amount: 0,
        },
    );
    c.reject(stx, TxError::ZeroAmount);
    assert_eq!(c.nonce(&user(0)), 0);
    assert_eq!(c.balance(&addr(&user(0))), INITIAL_BALANCE);
}

#[test]
fn transfer_beyond_balance_is_rejected() {
    let mut c = Chain::new(2);
    // amount + fee is one more than the balance.
    let stx = c.tx(
        &user(0),
        Call::Transfer {
            to: addr(&user(1)),
            amount: INITIAL_BALANCE - FEE + 1,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientFunds {
            needed: INITIAL_BALANCE + 1,
            available: INITIAL_BALANCE,
        },
    );
    assert_eq!(c.balance(&addr(&user(1))), INITIAL_BALANCE);
    // A huge amount must not overflow into acceptance either.
    let stx = c.tx(
        &user(0),
        Call::Transfer {
            to: addr(&user(1)),
            amount: u64::MAX,
        },
    );
    let r = c.one(stx);
    assert_eq!(r.error, Some(TxError::Overflow));
    assert_eq!(c.balance(&addr(&user(0))), INITIAL_BALANCE);
}
