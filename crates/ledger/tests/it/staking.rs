//! Staking calls: bond (to a device or a validator), unbond, withdraw.

use crate::common::*;
use plinth_ledger::accounts::Unbonding;
use plinth_ledger::keys;
use plinth_ledger::{Call, StakeTarget, TxError};

fn val(c: &Chain) -> StakeTarget {
    StakeTarget::Validator(c.proposer())
}

fn bond(target: StakeTarget, amount: u64) -> Call {
    Call::Bond { target, amount }
}

fn unbond(target: StakeTarget, amount: u64) -> Call {
    Call::Unbond { target, amount }
}

#[test]
fn bond_to_validator() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let t = val(&c);
    c.ok(c.tx(&a, bond(t, 10_000)));
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.balance, INITIAL_BALANCE - 10_000 - FEE);
    assert_eq!(acct.bonded, 10_000);
    assert!(acct.unbonding.is_empty());
    assert_eq!(acct.nonce, 1);
    assert_eq!(acct.total(), INITIAL_BALANCE - FEE);
    assert_eq!(bonded(&c.store, &addr(&a), &t), 10_000);
    assert_eq!(stake_total(&c.store, &t), 10_000);

    // More stake from a and from b accumulates.
    c.ok(c.tx(&a, bond(t, 5_000)));
    c.ok(c.tx(&b, bond(t, 1)));
    assert_eq!(bonded(&c.store, &addr(&a), &t), 15_000);
    assert_eq!(bonded(&c.store, &addr(&b), &t), 1);
    assert_eq!(stake_total(&c.store, &t), 15_001);
    assert_eq!(account(&c.store, &addr(&a)).unwrap().bonded, 15_000);
    assert_eq!(c.balance(&c.proposer()), 3 * FEE);
    assert_eq!(supply(&c.store), 2 * INITIAL_BALANCE);
}

#[test]
fn bond_to_own_device() {
    let mut c = Chain::new(2);
    let (a, d) = (user(0), device_key(0));
    c.register(&a, &d, berlin());
    let t = StakeTarget::Device(dev_id(&d));
    c.ok(c.tx(&a, bond(t, 2_500)));
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.balance, INITIAL_BALANCE - 2_500 - 2 * FEE);
    assert_eq!(acct.bonded, 2_500);
    assert_eq!(bonded(&c.store, &addr(&a), &t), 2_500);
    assert_eq!(stake_total(&c.store, &t), 2_500);
    // A device and a validator bond are kept apart.
    assert_eq!(stake_total(&c.store, &val(&c)), 0);
}

#[test]
fn bond_rejections() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    let t = val(&c);
    c.reject(c.tx(&a, bond(t, 0)), TxError::ZeroAmount);
    c.reject(
        c.tx(&a, bond(t, INITIAL_BALANCE)),
        TxError::InsufficientFunds {
            needed: INITIAL_BALANCE + FEE,
            available: INITIAL_BALANCE,
        },
    );
    let not_validator = addr(&b);
    c.reject(
        c.tx(&a, bond(StakeTarget::Validator(not_validator), 10)),
        TxError::UnknownValidator {
            address: not_validator.to_string(),
        },
    );
    let unknown = dev_id(&device_key(9));
    c.reject(
        c.tx(&a, bond(StakeTarget::Device(unknown), 10)),
        TxError::UnknownDevice {
            device: unknown.to_string(),
        },
    );
    c.register(&a, &d, berlin());
    let dt = StakeTarget::Device(dev_id(&d));
    // Only the owner bonds to a device.
    c.reject(
        c.tx(&b, bond(dt, 10)),
        TxError::NotDeviceOwner {
            device: dev_id(&d).to_string(),
            owner: addr(&a).to_string(),
        },
    );
    c.ok(c.tx(&a, Call::RetireDevice { device: dev_id(&d) }));
    c.reject(
        c.tx(&a, bond(dt, 10)),
        TxError::DeviceRetired {
            device: dev_id(&d).to_string(),
        },
    );
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 0);
    assert_eq!(acct.balance, INITIAL_BALANCE - 2 * FEE);
    assert_eq!(stake_total(&c.store, &t), 0);
    assert_eq!(stake_total(&c.store, &dt), 0);
}

#[test]
fn unbond_moves_stake_into_the_queue() {
    let mut c = Chain::new(1);
    let a = user(0);
    let t = val(&c);
    c.ok(c.tx(&a, bond(t, 10_000)));
    c.ok(c.tx(&a, unbond(t, 4_000)));
    let h = c.height();
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 6_000);
    assert_eq!(
        acct.unbonding,
        vec![Unbonding {
            amount: 4_000,
            release_height: h + UNBONDING_BLOCKS,
        }]
    );
    // Unbonding costs the fee only; the tokens are not free yet.
    assert_eq!(acct.balance, INITIAL_BALANCE - 10_000 - 2 * FEE);
    assert_eq!(acct.total(), INITIAL_BALANCE - 2 * FEE);
    assert_eq!(bonded(&c.store, &addr(&a), &t), 6_000);
    assert_eq!(stake_total(&c.store, &t), 6_000);

    // Unbonding the rest removes the bond entries from state.
    c.ok(c.tx(&a, unbond(t, 6_000)));
    assert_eq!(bonded(&c.store, &addr(&a), &t), 0);
    assert_eq!(stake_total(&c.store, &t), 0);
    assert!(c.store.scan(&keys::bond_prefix(&a.public())).is_empty());
    assert!(c.store.scan(b"stake/").is_empty());
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 0);
    assert_eq!(acct.unbonding_total(), 10_000);
    assert_eq!(acct.unbonding.len(), 2);
}

#[test]
fn bond_and_unbond_everything_in_one_block() {
    let mut c = Chain::new(1);
    let a = user(0);
    let t = val(&c);
    let receipts = c.block(vec![
        tx(&a, 0, FEE, bond(t, 777)),
        tx(&a, 1, FEE, unbond(t, 777)),
    ]);
    assert!(receipts.iter().all(|r| r.is_ok()), "{receipts:?}");
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 0);
    assert_eq!(acct.unbonding_total(), 777);
    assert_eq!(stake_total(&c.store, &t), 0);
}

#[test]
fn unbond_from_a_retired_device_is_allowed() {
    let mut c = Chain::new(1);
    let (a, d) = (user(0), device_key(0));
    c.register(&a, &d, berlin());
    let dt = StakeTarget::Device(dev_id(&d));
    c.ok(c.tx(&a, bond(dt, 900)));
    c.ok(c.tx(&a, Call::RetireDevice { device: dev_id(&d) }));
    c.ok(c.tx(&a, unbond(dt, 900)));
    assert_eq!(stake_total(&c.store, &dt), 0);
    assert_eq!(account(&c.store, &addr(&a)).unwrap().unbonding_total(), 900);
}

#[test]
fn unbond_rejections() {
    let mut c = Chain::new(2);
    let (a, b) = (user(0), user(1));
    let t = val(&c);
    c.reject(c.tx(&a, unbond(t, 0)), TxError::ZeroAmount);
    c.reject(
        c.tx(&a, unbond(t, 1)),
        TxError::InsufficientBond {
            bonded: 0,
            requested: 1,
        },
    );
    c.ok(c.tx(&a, bond(t, 100)));
    c.ok(c.tx(&b, bond(t, 1_000)));
    // Someone else's stake on the same target is not mine to unbond.
    c.reject(
        c.tx(&a, unbond(t, 101)),
        TxError::InsufficientBond {
            bonded: 100,
            requested: 101,
        },
    );
    // Up to MAX_UNBONDING entries at once.
    c.ok(c.tx(&a, unbond(t, 10)));
    c.ok(c.tx(&a, unbond(t, 20)));
    c.reject(
        c.tx(&a, unbond(t, 30)),
        TxError::TooManyUnbonding {
            limit: MAX_UNBONDING,
        },
    );
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 70);
    assert_eq!(acct.unbonding_total(), 30);
    assert_eq!(stake_total(&c.store, &t), 1_070);

    // Withdrawing the matured entries makes room again.
    c.advance_to(c.height() + UNBONDING_BLOCKS);
    c.ok(c.tx(&a, Call::Withdraw));
    c.ok(c.tx(&a, unbond(t, 30)));
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.bonded, 40);
    assert_eq!(acct.unbonding.len(), 1);
}

#[test]
fn withdraw_only_after_the_unbonding_period() {
    let mut c = Chain::new(1);
    let a = user(0);
    let t = val(&c);
    c.reject(
        c.tx(&a, Call::Withdraw),
        TxError::NothingToWithdraw {
            pending: 0,
            next_release: 0,
        },
    );
    c.ok(c.tx(&a, bond(t, 5_000)));
    c.ok(c.tx(&a, unbond(t, 3_000)));
    let release = c.height() + UNBONDING_BLOCKS;
    // Every block before the release height refuses.
    while c.height() + 1 < release {
        c.reject(
            c.tx(&a, Call::Withdraw),
            TxError::NothingToWithdraw {
                pending: 3_000,
                next_release: release,
            },
        );
    }
    let before = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(c.height() + 1, release);
    c.ok(c.tx(&a, Call::Withdraw));
    let after = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(after.balance, before.balance + 3_000 - FEE);
    assert!(after.unbonding.is_empty());
    assert_eq!(after.bonded, 2_000);
    assert_eq!(after.total(), before.total() - FEE);

    // Nothing left to withdraw.
    c.reject(
        c.tx(&a, Call::Withdraw),
        TxError::NothingToWithdraw {
            pending: 0,
            next_release: 0,
        },
    );
}

#[test]
fn withdraw_releases_only_matured_entries() {
    let mut c = Chain::new(1);
    let a = user(0);
    let t = val(&c);
    c.ok(c.tx(&a, bond(t, 1_000)));
    c.ok(c.tx(&a, unbond(t, 100)));
    let first = c.height() + UNBONDING_BLOCKS;
    c.block(vec![]);
    c.ok(c.tx(&a, unbond(t, 200)));
    let second = c.height() + UNBONDING_BLOCKS;
    assert_eq!(second, first + 2);
    c.advance_to(first - 1);
    let before = c.balance(&addr(&a));
    c.ok(c.tx(&a, Call::Withdraw));
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert_eq!(acct.balance, before + 100 - FEE);
    assert_eq!(
        acct.unbonding,
        vec![Unbonding {
            amount: 200,
            release_height: second,
        }]
    );
    c.reject(
        c.tx(&a, Call::Withdraw),
        TxError::NothingToWithdraw {
            pending: 200,
            next_release: second,
        },
    );
    c.ok(c.tx(&a, Call::Withdraw));
    let acct = account(&c.store, &addr(&a)).unwrap();
    assert!(acct.unbonding.is_empty());
    assert_eq!(acct.bonded, 700);
    assert_eq!(acct.balance, INITIAL_BALANCE - 700 - 5 * FEE);
}
