//! Property: no sequence of transfers, bonds, unbonds and withdraws creates or
//! destroys tokens. Fees move to the proposer, which is an account too.

use crate::common::*;
use plinth_ledger::accounts::Account;
use plinth_ledger::{Call, StakeTarget};
use proptest::prelude::*;
use std::collections::HashMap;

const USERS: u8 = 4;

#[derive(Debug, Clone)]
enum Op {
    Transfer { from: u8, to: u8, amount: u64 },
    Bond { who: u8, device: bool, amount: u64 },
    Unbond { who: u8, device: bool, amount: u64 },
    Withdraw { who: u8 },
    EndBlock,
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1..5_000u64,
        2 => 0..=2 * INITIAL_BALANCE,
        1 => Just(0u64),
        1 => Just(u64::MAX),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..USERS;
    prop_oneof![
        4 => (who.clone(), 0..=USERS, amount())
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        3 => (who.clone(), any::<bool>(), amount())
            .prop_map(|(who, device, amount)| Op::Bond { who, device, amount }),
        3 => (who.clone(), any::<bool>(), amount())
            .prop_map(|(who, device, amount)| Op::Unbond { who, device, amount }),
        2 => who.prop_map(|who| Op::Withdraw { who }),
        2 => Just(Op::EndBlock),
    ]
}

/// Recipient `USERS` is an account that does not exist at genesis.
fn party(i: u8) -> plinth_core::Keypair {
    if i == USERS {
        stranger()
    } else {
        user(i)
    }
}

fn check_invariants(c: &Chain, supply0: u64) {
    assert_eq!(supply(&c.store), supply0, "total supply changed");
    // Each account's `bonded` is the sum of its bond entries, and all bonds add up
    // to the targets' totals.
    let mut bonded_sum = 0u64;
    for (k, v) in c.store.scan(b"acct/") {
        let acct: Account = borsh::from_slice(&v).unwrap();
        let key = plinth_core::PublicKey(k[5..].try_into().unwrap());
        let entries: u64 = c
            .store
            .scan(&plinth_ledger::keys::bond_prefix(&key))
            .iter()
            .map(|(_, v)| borsh::from_slice::<u64>(v).unwrap())
            .sum();
        assert_eq!(acct.bonded, entries);
        bonded_sum += acct.bonded;
    }
    let totals: u64 = c
        .store
        .scan(b"stake/")
        .iter()
        .map(|(_, v)| borsh::from_slice::<u64>(v).unwrap())
        .sum();
    assert_eq!(bonded_sum, totals);
}

fn run(ops: Vec<Op>, fee_extra: u64) -> (usize, usize) {
    let mut c = Chain::new(USERS);
    // Signatures are not what this property is about; skip their checks for speed.
    c.sigs = plinth_ledger::SigCheck::Trusted;
    let supply0 = c.genesis.supply();
    assert_eq!(supply(&c.store), supply0);
    // Every user owns one device to bond to.
    let regs = (0..USERS)
        .map(|i| {
            let u = user(i);
            tx(
                &u,
                0,
                FEE,
                register_call(&addr(&u), &device_key(i), NETWORK, berlin()),
            )
        })
        .collect();
    assert!(c.block(regs).iter().all(|r| r.is_ok()));
    check_invariants(&c, supply0);

    let validator = StakeTarget::Validator(c.proposer());
    let (mut ok, mut failed) = (0, 0);
    let mut block = Vec::new();
    let mut nonces: HashMap<u8, u64> = HashMap::new();
    let mut flush = |c: &mut Chain, block: &mut Vec<_>, nonces: &mut HashMap<u8, u64>| {
        for r in c.block(std::mem::take(block)) {
            if r.is_ok() {
                ok += 1;
            } else {
                failed += 1;
            }
        }
        nonces.clear();
        check_invariants(c, supply0);
    };
    for op in ops {
        let (who, call) = match op {
            Op::EndBlock => {
                flush(&mut c, &mut block, &mut nonces);
                continue;
            }
            Op::Transfer { from, to, amount } => (
                from,
                Call::Transfer {
                    to: addr(&party(to)),
                    amount,
                },
            ),
            Op::Bond {
                who,
                device,
                amount,
            } => {
                let target = if device {
                    StakeTarget::Device(dev_id(&device_key(who)))
                } else {
                    validator
                };
                (who, Call::Bond { target, amount })
            }
            Op::Unbond {
                who,
                device,
                amount,
            } => {
                let target = if device {
                    StakeTarget::Device(dev_id(&device_key(who)))
                } else {
                    validator
                };
                (who, Call::Unbond { target, amount })
            }
            Op::Withdraw { who } => (who, Call::Withdraw),
        };
        let k = user(who);
        let committed = c.nonce(&k);
        let n = nonces.entry(who).or_insert(committed);
        block.push(tx(&k, *n, MIN_FEE + fee_extra, call));
        *n += 1;
    }
    flush(&mut c, &mut block, &mut nonces);
    (ok, failed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn supply_is_conserved(ops in prop::collection::vec(op(), 1..40), fee_extra in 0..50u64) {
        let n = ops.iter().filter(|o| !matches!(o, Op::EndBlock)).count();
        let (ok, failed) = run(ops, fee_extra);
        prop_assert_eq!(ok + failed, n);
    }
}

/// A fixed sequence that exercises every path at least once, so the property
/// above is known to be checking something.
#[test]
fn supply_is_conserved_through_a_full_staking_cycle() {
    let mut ops = vec![
        Op::Transfer {
            from: 0,
            to: USERS,
            amount: 5_000,
        },
        Op::Bond {
            who: 0,
            device: false,
            amount: 10_000,
        },
        Op::Bond {
            who: 1,
            device: true,
            amount: 20_000,
        },
        Op::EndBlock,
        Op::Unbond {
            who: 0,
            device: false,
            amount: 4_000,
        },
        Op::Unbond {
            who: 1,
            device: true,
            amount: 20_000,
        },
        Op::Transfer {
            from: 2,
            to: 3,
            amount: 2 * INITIAL_BALANCE,
        },
    ];
    for _ in 0..UNBONDING_BLOCKS {
        ops.push(Op::EndBlock);
    }
    ops.push(Op::Withdraw { who: 0 });
    ops.push(Op::Withdraw { who: 1 });
    let (ok, failed) = run(ops, 5);
    assert_eq!((ok, failed), (7, 1));
}
