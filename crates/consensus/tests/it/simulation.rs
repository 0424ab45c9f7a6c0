//! Deterministic simulations of a 4-validator set: every scenario runs under
//! commonware's deterministic runtime (virtual time, seeded scheduling and
//! network jitter) for each seed of [`seeds`]; a failing seed reproduces.
//! `PLINTH_SIM_SEEDS=50 cargo test -p plinth-consensus --test it` runs more.

use crate::harness::{seeds, transfer, Net, USER_BALANCE};
use commonware_runtime::{deterministic, Clock as _, Runner as _};
use plinth_core::Hash;
use plinth_ledger::SignedTx;
use std::time::Duration;

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::default()
            .with_seed(seed)
            // Virtual time: a stuck scenario fails instead of hanging CI.
            .with_timeout(Some(Duration::from_secs(3_600))),
    )
}

fn hash(raw: &[u8]) -> Hash {
    SignedTx::decode(raw).expect("valid tx").hash()
}

/// Submits `tx` to validator `via` and returns its id.
fn submit(net: &Net, via: usize, tx: Vec<u8>) -> Hash {
    let h = hash(&tx);
    let verdicts = net.node(via).submit_blocking(vec![tx], true);
    assert!(
        verdicts[0].is_ok(),
        "validator {via} refused a transfer: {:?}",
        verdicts[0]
    );
    h
}

/// Four validators finalize blocks holding transfers submitted to different
/// validators, and end with the same chain and state root.
#[test]
fn four_validators_finalize_and_agree() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start(context, 4).await;
            let all = [0, 1, 2, 3];
            // User u sends through validator u % 4; gossip spreads the transfers.
            let mut ids = Vec::new();
            for round in 0..3u64 {
                for u in 0..4u8 {
                    ids.push(submit(&net, u as usize % 4, transfer(u, u + 4, round, 10)));
                }
                net.context.sleep(Duration::from_millis(150)).await;
            }
            for id in ids {
                net.wait_tx(&all, id).await;
            }
            let target = net.height(0) + 3;
            net.wait_height(&all, target).await;
            net.assert_same_chain(&all);
            for v in all {
                for u in 0..4u8 {
                    assert_eq!(net.balance(v, u), USER_BALANCE - 3 * 11, "seed {seed}");
                    assert_eq!(net.balance(v, u + 4), USER_BALANCE + 3 * 10, "seed {seed}");
                }
            }
            // Every validator proposed some of the blocks (round-robin leaders).
            let proposers: std::collections::BTreeSet<_> = (1..=target)
                .map(|h| net.node(0).store.block(h).unwrap().unwrap().header.proposer)
                .collect();
            assert!(proposers.len() > 1, "seed {seed}: one proposer only");
            net.crash_all().await;
        });
    }
}

/// With one validator crashed, the other three (a quorum) keep finalizing,
/// including transactions submitted to them.
#[test]
fn one_crashed_keeps_finalizing() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start(context, 4).await;
            net.wait_height(&[0, 1, 2, 3], 3).await;
            net.crash(3).await;
            let live = [0, 1, 2];
            let at_crash = live.iter().map(|i| net.height(*i)).max().unwrap();
            let id = submit(&net, 1, transfer(1, 2, 0, 500));
            net.wait_tx(&live, id).await;
            net.wait_height(&live, at_crash + 10).await;
            net.assert_same_chain(&live);
            for v in live {
                assert_eq!(net.balance(v, 2), USER_BALANCE + 500, "seed {seed}");
            }
            net.crash_all().await;
        });
    }
}

/// A 2–2 partition leaves no quorum: finalization stops and nothing forks; once
/// the network heals, all four finalize again on one chain.
#[test]
fn partition_stops_without_fork_and_heals() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start(context, 4).await;
            let all = [0, 1, 2, 3];
            net.wait_height(&all, 3).await;
            for a in [0, 1] {
                for b in [2, 3] {
                    net.unlink(a, b).await;
                }
            }
            // Transfers keep arriving on both sides.
            let left = submit(&net, 0, transfer(0, 1, 0, 7));
            let right = submit(&net, 3, transfer(2, 3, 0, 9));
            // Blocks already voted on may still finalize; then nothing does.
            net.context.sleep(Duration::from_secs(5)).await;
            let stalled: Vec<u64> = all.iter().map(|i| net.height(*i)).collect();
            net.context.sleep(Duration::from_secs(30)).await;
            let after: Vec<u64> = all.iter().map(|i| net.height(*i)).collect();
            assert_eq!(stalled, after, "seed {seed}: finalized without a quorum");
            net.assert_same_chain(&all);

            net.link_all().await;
            let top = *after.iter().max().unwrap();
            net.wait_height(&all, top + 5).await;
            net.wait_tx(&all, left).await;
            net.wait_tx(&all, right).await;
            net.assert_same_chain(&all);
            for v in all {
                assert_eq!(net.balance(v, 1), USER_BALANCE + 7, "seed {seed}");
                assert_eq!(net.balance(v, 3), USER_BALANCE + 9, "seed {seed}");
            }
            net.crash_all().await;
        });
    }
}

/// A validator that was down while the others finalized many blocks restarts
/// from its store and journals, backfills the missing blocks from its peers,
/// and then follows the chain.
#[test]
fn restarted_validator_catches_up() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start(context, 4).await;
            let all = [0, 1, 2, 3];
            net.wait_height(&all, 3).await;
            net.crash(2).await;
            let live = [0, 1, 3];
            let mut ids = Vec::new();
            for n in 0..5u64 {
                ids.push(submit(&net, 0, transfer(0, 5, n, 3)));
            }
            for id in &ids {
                net.wait_tx(&live, *id).await;
            }
            let behind = net.height(0) + 20;
            net.wait_height(&live, behind).await;

            net.restart(2).await;
            net.wait_height(&[2], behind + 5).await;
            for id in ids {
                net.wait_tx(&[2], id).await;
            }
            let id = submit(&net, 2, transfer(6, 7, 0, 4));
            net.wait_tx(&all, id).await;
            net.assert_same_chain(&all);
            for v in all {
                assert_eq!(net.balance(v, 5), USER_BALANCE + 15, "seed {seed}");
                assert_eq!(net.balance(v, 7), USER_BALANCE + 4, "seed {seed}");
            }
            net.crash_all().await;
        });
    }
}

/// A node outside the validator set never proposes: a transfer submitted to it
/// while it was cut off reaches the validators when it reconnects, because
/// pending transactions are gossiped again.
#[test]
fn follower_submission_reaches_the_validators_after_a_disconnect() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_with(context, 5, 4, None).await;
            let everyone = [0, 1, 2, 3, 4];
            net.wait_height(&everyone, 2).await;
            for v in 0..4 {
                net.unlink(4, v).await;
            }
            let id = submit(&net, 4, transfer(3, 2, 0, 77));
            net.context.sleep(Duration::from_secs(1)).await;
            net.link_all().await;
            net.wait_tx(&everyone, id).await;
            net.assert_same_chain(&everyone);
            for v in everyone {
                assert_eq!(net.balance(v, 2), USER_BALANCE + 77, "seed {seed}");
            }
            net.crash_all().await;
        });
    }
}

/// A byzantine leader (validator 3) sends, of each block it proposes, one
/// honest validator a copy under the same header with a garbage seal or with a
/// transaction's signature replaced. A digest covers the whole block, so such a
/// copy is another block nobody votes for, or no block at all: no honest
/// validator stores it, every one keeps finalizing the one chain, and replaying
/// each store (`plinth replay`) passes.
#[test]
fn a_leader_sending_different_bodies_under_one_header_stops_no_one() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_byzantine(context, 4, 3).await;
            let honest = [0, 1, 2];
            let all = [0, 1, 2, 3];
            // Transfers keep coming, so blocks have bodies to forge.
            let mut ids = Vec::new();
            for round in 0..12u64 {
                for u in 0..4u8 {
                    ids.push(submit(&net, u as usize % 3, transfer(u, u + 4, round, 10)));
                }
                net.context.sleep(Duration::from_millis(250)).await;
            }
            let target = net.height(0) + 10;
            let reached = net
                .wait_height_within(&honest, target, Duration::from_secs(300))
                .await;
            let heights: Vec<u64> = all.iter().map(|i| net.height(*i)).collect();
            assert!(
                reached,
                "seed {seed}: an honest validator stopped (heights {heights:?}, target {target})"
            );
            for id in ids {
                net.wait_tx(&all, id).await;
            }
            assert!(
                net.forged.seals() > 0 && net.forged.signatures() > 0,
                "seed {seed}: the leader forged {} seals and {} signatures",
                net.forged.seals(),
                net.forged.signatures()
            );
            let common = net.assert_same_chain(&all);
            for v in all {
                for u in 0..4u8 {
                    assert_eq!(net.balance(v, u), USER_BALANCE - 12 * 11, "seed {seed}");
                }
            }
            net.crash_all().await;
            for v in all {
                let report = net
                    .replay(v)
                    .await
                    .unwrap_or_else(|e| panic!("seed {seed}: validator {v} does not replay: {e}"));
                assert!(report.height >= common, "seed {seed}");
            }
        });
    }
}
