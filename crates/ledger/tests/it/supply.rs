//! Property: no sequence of transfers, bonds, unbonds, withdraws, reward manifests
//! and claims creates or destroys tokens outside the supply record: the accounts'
//! holdings plus the unclaimed rewards always equal `genesis + minted − burned`, and
//! only accepted manifests mint. Fees move to the proposer, which is an account too.

use crate::common::*;
use plinth_ledger::accounts::Account;
use plinth_ledger::rewards::ManifestEntry;
use plinth_ledger::{Call, StakeTarget};
use proptest::prelude::*;
use std::collections::HashMap;

const USERS: u8 = 4;

#[derive(Debug, Clone)]
enum Op {
    Transfer {
        from: u8,
        to: u8,
        amount: u64,
    },
    Bond {
        who: u8,
        device: bool,
        amount: u64,
    },
    Unbond {
        who: u8,
        device: bool,
        amount: u64,
    },
    Withdraw {
        who: u8,
    },
    /// A manifest for the epoch `back` epochs before the last finished one, paying
    /// `amounts` to parties; `extra` is added to the signed total (a bad oracle).
    Manifest {
        who: u8,
        back: u64,
        amounts: Vec<(u8, u64)>,
        extra: u64,
    },
    /// A claim of entry `entry` of the `manifest`-th manifest built so far (accepted
    /// or not), possibly with a tampered amount.
    Claim {
        who: u8,
        manifest: usize,
        entry: usize,
        tamper: bool,
    },
    /// Produce blocks until the current epoch is over.
    NextEpoch,
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
        2 => who.clone().prop_map(|who| Op::Withdraw { who }),
        2 => (
            who.clone(),
            0..3u64,
            prop::collection::vec((0..=USERS, 0..30_000u64), 0..4),
            prop_oneof![3 => Just(0u64), 1 => 0..20_000u64],
        )
            .prop_map(|(who, back, amounts, extra)| Op::Manifest { who, back, amounts, extra }),
        4 => (who, 0..8usize, 0..4usize, prop::bool::weighted(0.2))
            .prop_map(|(who, manifest, entry, tamper)| Op::Claim { who, manifest, entry, tamper }),
        1 => Just(Op::NextEpoch),
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
    let s = supply_record(&c.store);
    assert_eq!(s.genesis, supply0);
    assert_eq!(
        supply(&c.store) + s.unclaimed,
        s.genesis + s.minted - s.burned,
        "tokens appeared or vanished outside the supply record"
    );
    // Every accepted manifest minted its total; what is unclaimed is what its
    // entries have not paid out yet.
    let (mut minted, mut unclaimed) = (0u64, 0u64);
    for (_, v) in c.store.scan(b"rwd/") {
        if let Ok(r) = borsh::from_slice::<plinth_ledger::RewardEpoch>(&v) {
            assert!(r.claimed <= r.header.total);
            minted += r.header.total;
            unclaimed += r.header.total - r.claimed;
        }
    }
    assert_eq!((s.minted, s.unclaimed), (minted, unclaimed));
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

/// Runs `ops`; returns how many transactions succeeded, failed, and were not built
/// (claims with no manifest to claim from).
fn run(ops: Vec<Op>, fee_extra: u64) -> (usize, usize, usize) {
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
    // Every manifest built, accepted or not: (epoch, entries).
    let mut manifests: Vec<(u64, Vec<ManifestEntry>)> = Vec::new();
    let (mut ok, mut failed, mut skipped) = (0, 0, 0);
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
            Op::NextEpoch => {
                flush(&mut c, &mut block, &mut nonces);
                let epoch = c.next_epoch();
                while c.next_epoch() == epoch {
                    flush(&mut c, &mut block, &mut nonces);
                }
                continue;
            }
            Op::Manifest {
                who,
                back,
                amounts,
                extra,
            } => {
                // The last finished epoch, or epoch 0 (then refused as not over).
                let epoch = c.next_epoch().saturating_sub(1 + back);
                let es: Vec<ManifestEntry> = amounts
                    .iter()
                    .enumerate()
                    .map(|(i, (to, amount))| ManifestEntry {
                        device: dev_id(&device_key(i as u8)),
                        owner: addr(&party(*to)),
                        amount: *amount,
                    })
                    .collect();
                let mut header = manifest_header(NETWORK, epoch, &es);
                header.total += extra;
                manifests.push((epoch, es));
                (who, submit_call(&header, &[0, 2]))
            }
            Op::Claim {
                who,
                manifest,
                entry,
                tamper,
            } => {
                let Some((epoch, es)) = manifests
                    .get(manifest % manifests.len().max(1))
                    .filter(|(_, es)| !es.is_empty())
                else {
                    skipped += 1;
                    continue;
                };
                let mut call = claim_call(NETWORK, *epoch, es, entry % es.len());
                if let (true, Call::Claim { entry, .. }) = (tamper, &mut call) {
                    entry.amount += 1;
                }
                (who, call)
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
    (ok, failed, skipped)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn supply_is_conserved(ops in prop::collection::vec(op(), 1..40), fee_extra in 0..50u64) {
        let (ok, failed, skipped) = run(ops.clone(), fee_extra);
        let n = ops.iter().filter(|o| !matches!(o, Op::EndBlock | Op::NextEpoch)).count();
        prop_assert_eq!(ok + failed + skipped, n);
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
    let (ok, failed, _) = run(ops, 5);
    assert_eq!((ok, failed), (7, 1));
}

/// A fixed sequence through the reward paths: a manifest, good and tampered claims,
/// a double claim, a manifest over the allowance, one for an epoch not yet over.
#[test]
fn supply_is_conserved_through_manifests_and_claims() {
    let ops = vec![
        // Epoch 0 is not over yet.
        Op::Manifest {
            who: 0,
            back: 0,
            amounts: vec![(1, 100)],
            extra: 0,
        },
        Op::NextEpoch,
        Op::Manifest {
            who: 0,
            back: 0,
            amounts: vec![(1, 100), (USERS, 250), (2, 0)],
            extra: 0,
        },
        Op::EndBlock,
        Op::Claim {
            who: 3,
            manifest: 1,
            entry: 1,
            tamper: false,
        },
        Op::Claim {
            who: 3,
            manifest: 1,
            entry: 0,
            tamper: true,
        },
        Op::EndBlock,
        Op::Claim {
            who: 2,
            manifest: 1,
            entry: 1,
            tamper: false,
        },
        Op::Claim {
            who: 1,
            manifest: 1,
            entry: 0,
            tamper: false,
        },
        Op::NextEpoch,
        // Over the 50,000 allowance.
        Op::Manifest {
            who: 1,
            back: 0,
            amounts: vec![(0, 30_000), (1, 20_000)],
            extra: 1,
        },
    ];
    let (ok, failed, skipped) = run(ops, 0);
    assert_eq!((ok, failed, skipped), (3, 4, 0));
}
