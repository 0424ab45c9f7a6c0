//! The mempool's admission check.

use crate::common::*;
use plinth_ledger::{admit, Call, LedgerError, PendingView, StakeTarget, TxError};

fn pay(to: &plinth_core::Keypair, amount: u64) -> Call {
    Call::Transfer {
        to: addr(to),
        amount,
    }
}

fn rejected(r: Result<u64, LedgerError>) -> TxError {
    match r {
        Err(LedgerError::Rejected(e)) => e,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

const NONE: PendingView = PendingView { count: 0, spend: 0 };

#[test]
fn admits_a_good_transaction_and_reports_its_spend() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let p = c.proposer();
    let stx = c.tx(&a, pay(&b, 1_234));
    assert_eq!(admit(&c.store, &stx, NONE, &p).unwrap(), 1_234 + FEE);
    let t = StakeTarget::Validator(p);
    let bond = c.tx(
        &a,
        Call::Bond {
            target: t,
            amount: 50,
        },
    );
    assert_eq!(admit(&c.store, &bond, NONE, &p).unwrap(), 50 + FEE);
    let reg = c.tx(
        &a,
        register_call(&addr(&a), &device_key(0), NETWORK, berlin()),
    );
    assert_eq!(admit(&c.store, &reg, NONE, &p).unwrap(), FEE);

    // Admission writes nothing.
    assert_eq!(account(&c.store, &addr(&a)).unwrap().nonce, 0);
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE);
    assert_eq!(account(&c.store, &p), None);

    // And what it admitted applies in the next block.
    c.ok(stx);
    assert_eq!(c.balance(&addr(&b)), INITIAL_BALANCE + 1_234);
}

#[test]
fn rejects_a_bad_nonce() {
    let c = Chain::new(2);
    let stx = tx(&user(0), 1, FEE, pay(&user(1), 5));
    assert_eq!(
        rejected(admit(&c.store, &stx, NONE, &c.proposer())),
        TxError::BadNonce {
            expected: 0,
            found: 1
        }
    );
}

#[test]
fn rejects_insufficient_funds() {
    let c = Chain::new(2);
    let stx = tx(&user(0), 0, FEE, pay(&user(1), INITIAL_BALANCE));
    assert_eq!(
        rejected(admit(&c.store, &stx, NONE, &c.proposer())),
        TxError::InsufficientFunds {
            needed: INITIAL_BALANCE + FEE,
            available: INITIAL_BALANCE,
        }
    );
}

#[test]
fn rejects_what_execution_would_reject() {
    let c = Chain::new(2);
    let p = c.proposer();
    let s = stranger();
    assert_eq!(
        rejected(admit(&c.store, &tx(&s, 0, FEE, pay(&user(0), 1)), NONE, &p)),
        TxError::UnknownAccount {
            address: addr(&s).to_string()
        }
    );
    assert_eq!(
        rejected(admit(
            &c.store,
            &tx(&user(0), 0, MIN_FEE - 1, pay(&user(1), 1)),
            NONE,
            &p
        )),
        TxError::FeeTooLow {
            min: MIN_FEE,
            found: MIN_FEE - 1
        }
    );
    let d = dev_id(&device_key(3));
    assert_eq!(
        rejected(admit(
            &c.store,
            &tx(&user(0), 0, FEE, Call::RetireDevice { device: d }),
            NONE,
            &p
        )),
        TxError::UnknownDevice {
            device: d.to_string()
        }
    );
    assert_eq!(
        rejected(admit(
            &c.store,
            &tx(&user(0), 0, FEE, Call::Withdraw),
            NONE,
            &p
        )),
        TxError::NothingToWithdraw {
            pending: 0,
            next_release: 0
        }
    );
}

#[test]
fn pending_count_shifts_the_expected_nonce() {
    let c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let p = c.proposer();
    let pending = PendingView {
        count: 3,
        spend: 3 * (FEE + 1),
    };
    assert_eq!(
        admit(&c.store, &tx(&a, 3, FEE, pay(&b, 1)), pending, &p).unwrap(),
        FEE + 1
    );
    for n in [0, 2, 4] {
        assert_eq!(
            rejected(admit(&c.store, &tx(&a, n, FEE, pay(&b, 1)), pending, &p)),
            TxError::BadNonce {
                expected: 3,
                found: n
            }
        );
    }
}

#[test]
fn pending_spend_reduces_the_balance() {
    let c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let p = c.proposer();
    let pending = PendingView {
        count: 1,
        spend: INITIAL_BALANCE - 100,
    };
    // 100 left: a transfer of 75 plus the fee of 25 fits exactly.
    assert_eq!(
        admit(&c.store, &tx(&a, 1, FEE, pay(&b, 75)), pending, &p).unwrap(),
        100
    );
    assert_eq!(
        rejected(admit(&c.store, &tx(&a, 1, FEE, pay(&b, 76)), pending, &p)),
        TxError::InsufficientFunds {
            needed: 101,
            available: 100
        }
    );
    // Without the pending spend the same transfer would be fine (at nonce 0).
    assert!(admit(&c.store, &tx(&a, 0, FEE, pay(&b, 76)), NONE, &p).is_ok());
    // Pending spend beyond the balance leaves nothing, not an underflow.
    let over = PendingView {
        count: 1,
        spend: INITIAL_BALANCE * 2,
    };
    assert_eq!(
        rejected(admit(&c.store, &tx(&a, 1, FEE, Call::Withdraw), over, &p)),
        TxError::InsufficientFunds {
            needed: FEE,
            available: 0
        }
    );
}

#[test]
fn admission_checks_against_the_next_height() {
    let mut c = Chain::new(1);
    let a = user(0);
    let t = StakeTarget::Validator(c.proposer());
    c.ok(c.tx(
        &a,
        Call::Bond {
            target: t,
            amount: 10,
        },
    ));
    c.ok(c.tx(
        &a,
        Call::Unbond {
            target: t,
            amount: 10,
        },
    ));
    let release = c.height() + UNBONDING_BLOCKS;
    c.advance_to(release - 2);
    let w = c.tx(&a, Call::Withdraw);
    assert_eq!(
        rejected(admit(&c.store, &w, NONE, &c.proposer())),
        TxError::NothingToWithdraw {
            pending: 10,
            next_release: release
        }
    );
    c.block(vec![]);
    // The head is release - 1: the next block matures the entry.
    assert_eq!(admit(&c.store, &w, NONE, &c.proposer()).unwrap(), FEE);
    c.ok(w);
}
