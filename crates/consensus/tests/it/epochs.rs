//! A validator set that changes: the admin's transaction takes effect at the next
//! validator epoch, where every validator starts a simplex instance with the new
//! set; the removed validator is no longer needed, the added one proposes.

use crate::harness::{admin, seeds, user, validator_key, Net};
use commonware_runtime::{deterministic, Clock as _, Runner as _};
use plinth_core::{Address, Hash};
use plinth_ledger::params::Validator;
use plinth_ledger::{Call, Transaction};
use std::collections::BTreeSet;
use std::time::Duration;

const EPOCH_BLOCKS: u64 = 8;

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::default()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(3_600))),
    )
}

fn set_validators(members: &[usize], nonce: u64) -> Vec<u8> {
    Transaction {
        chain_id: "sim".into(),
        signer: Address(user(admin()).public()),
        nonce,
        fee: 1,
        call: Call::SetValidators {
            validators: members
                .iter()
                .map(|i| Validator {
                    address: Address(validator_key(*i).public()),
                    name: format!("v{i}"),
                })
                .collect(),
        },
    }
    .sign(&user(admin()))
    .encode()
}

fn proposers(net: &Net, via: usize, heights: std::ops::RangeInclusive<u64>) -> BTreeSet<Address> {
    heights
        .map(|h| {
            net.node(via)
                .store
                .block(h)
                .unwrap()
                .unwrap()
                .header
                .proposer
        })
        .collect()
}

fn addr(i: usize) -> Address {
    Address(validator_key(i).public())
}

/// Five nodes, validators 0–3 at genesis and node 4 following. The admin swaps
/// validator 0 for node 4; from the next epoch on node 4 proposes and votes,
/// validator 0 does not, and the chain goes on with validator 0 crashed.
#[test]
fn admin_swaps_a_validator_at_the_epoch_boundary() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_with(context, 5, 4, Some(EPOCH_BLOCKS)).await;
            let everyone = [0, 1, 2, 3, 4];
            net.wait_height(&everyone, 2).await;

            let raw = set_validators(&[1, 2, 3, 4], 0);
            let id: Hash = plinth_ledger::SignedTx::decode(&raw).unwrap().hash();
            let verdict = net.node(1).submit_blocking(vec![raw], true);
            assert!(verdict[0].is_ok(), "{:?}", verdict[0]);
            net.wait_tx(&everyone, id).await;
            let included = net.node(1).store.tx_location(&id).unwrap().unwrap().height;
            let boundary = (included / EPOCH_BLOCKS + 1) * EPOCH_BLOCKS - 1;

            // Two epochs later: the new set has been proposing.
            net.wait_height(&everyone, boundary + 2 * EPOCH_BLOCKS)
                .await;
            let before = proposers(&net, 1, 1..=boundary);
            let after = proposers(&net, 1, boundary + 1..=boundary + 2 * EPOCH_BLOCKS);
            assert!(
                !before.contains(&addr(4)),
                "seed {seed}: node 4 proposed early"
            );
            assert!(
                after.contains(&addr(4)),
                "seed {seed}: node 4 never proposed"
            );
            assert!(
                !after.contains(&addr(0)),
                "seed {seed}: validator 0 still proposes"
            );
            net.assert_same_chain(&everyone);

            // Validator 0 is out of the set: the others finalize without it.
            net.crash(0).await;
            let rest = [1, 2, 3, 4];
            let top = rest.iter().map(|i| net.height(*i)).max().unwrap();
            net.wait_height(&rest, top + 5).await;
            let id = {
                let tx = crate::harness::transfer(0, 1, 0, 5);
                let h = plinth_ledger::SignedTx::decode(&tx).unwrap().hash();
                assert!(net.node(4).submit_blocking(vec![tx], true)[0].is_ok());
                h
            };
            net.wait_tx(&rest, id).await;
            net.assert_same_chain(&rest);
            net.context.sleep(Duration::from_millis(1)).await;
            net.crash_all().await;
        });
    }
}

/// A validator down across an epoch change restarts in the old epoch, catches
/// up through the boundary (learning the new set from the boundary block it
/// commits) and then votes in the new epoch.
#[test]
fn restart_across_an_epoch_change() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_with(context, 5, 4, Some(EPOCH_BLOCKS)).await;
            let everyone = [0, 1, 2, 3, 4];
            net.wait_height(&everyone, 2).await;
            net.crash(3).await;
            let up = [0, 1, 2, 4];
            let stopped_at = net.node(0).store.head().unwrap().height;

            let raw = set_validators(&[1, 2, 3, 4], 0);
            let id: Hash = plinth_ledger::SignedTx::decode(&raw).unwrap().hash();
            assert!(net.node(2).submit_blocking(vec![raw], true)[0].is_ok());
            net.wait_tx(&up, id).await;
            let included = net.node(2).store.tx_location(&id).unwrap().unwrap().height;
            let boundary = (included / EPOCH_BLOCKS + 1) * EPOCH_BLOCKS - 1;
            net.wait_height(&up, boundary + EPOCH_BLOCKS).await;

            // Validator 3, still at the old epoch, comes back and catches up.
            net.restart(3).await;
            let target = net.height(1) + 2;
            net.wait_height(&[3], target).await;
            assert!(net.height(3) > stopped_at.max(boundary));
            // With validators 0 (out of the set) and 4 down, the new set
            // {1, 2, 3, 4} finalizes only with validator 3's votes.
            net.crash(0).await;
            net.crash(4).await;
            let rest = [1, 2, 3];
            let top = rest.iter().map(|i| net.height(*i)).max().unwrap();
            net.wait_height(&rest, top + 5).await;
            let late = proposers(&net, 1, top + 1..=top + 5);
            assert!(!late.contains(&addr(0)), "seed {seed}");
            net.assert_same_chain(&rest);
            net.crash_all().await;
        });
    }
}

fn set_validators_raw(validators: Vec<Validator>, nonce: u64) -> Vec<u8> {
    Transaction {
        chain_id: "sim".into(),
        signer: Address(user(admin()).public()),
        nonce,
        fee: 1,
        call: Call::SetValidators { validators },
    }
    .sign(&user(admin()))
    .encode()
}

/// Sets consensus could not start an epoch with (a key that is no curve point,
/// a small-order key, no member, a member twice) are refused with a typed
/// error, and the chain finalizes across the next validator-epoch boundaries
/// with the set it has.
#[test]
fn sets_the_engine_cannot_run_are_refused_and_the_chain_goes_on() {
    use plinth_ledger::TxError;
    use plinth_node::SubmitError;
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_with(context, 4, 4, Some(EPOCH_BLOCKS)).await;
            let all = [0, 1, 2, 3];
            net.wait_height(&all, 2).await;
            let member = |i: usize| Validator {
                address: addr(i),
                name: format!("v{i}"),
            };
            let raw_key = |bytes: [u8; 32]| Validator {
                address: Address(plinth_core::PublicKey(bytes)),
                name: "bad".into(),
            };
            let mut not_a_point = [0u8; 32];
            not_a_point[0] = 2;
            let mut identity = [0u8; 32];
            identity[0] = 1;
            let cases: Vec<(Vec<Validator>, TxError)> = vec![
                (
                    vec![member(0), member(1), raw_key(not_a_point)],
                    TxError::InvalidValidatorKey {
                        address: raw_key(not_a_point).address.to_string(),
                    },
                ),
                (
                    vec![member(0), raw_key(identity)],
                    TxError::InvalidValidatorKey {
                        address: raw_key(identity).address.to_string(),
                    },
                ),
                (Vec::new(), TxError::EmptyValidatorSet),
                (
                    vec![member(1), member(2), member(1)],
                    TxError::DuplicateValidator {
                        address: addr(1).to_string(),
                    },
                ),
            ];
            for (i, (set, expected)) in cases.into_iter().enumerate() {
                let verdict = net
                    .node(i % 4)
                    .submit_blocking(vec![set_validators_raw(set, 0)], true);
                match &verdict[0] {
                    Err(SubmitError::Rejected(e)) => assert_eq!(e, &expected, "seed {seed}"),
                    other => panic!("seed {seed}: expected {expected:?}, got {other:?}"),
                }
            }
            // Two boundaries later the chain still finalizes, with its set.
            let top = all.iter().map(|i| net.height(*i)).max().unwrap();
            let past = (top / EPOCH_BLOCKS + 2) * EPOCH_BLOCKS + 2;
            let reached = net
                .wait_height_within(&all, past, Duration::from_secs(300))
                .await;
            assert!(reached, "seed {seed}: stopped before height {past}");
            let proposers = proposers(&net, 0, past - EPOCH_BLOCKS..=past);
            assert!(proposers.len() > 1, "seed {seed}");
            net.assert_same_chain(&all);
            net.crash_all().await;
        });
    }
}
