//! A software upgrade planned by governance: no validator proposes, votes for
//! or commits the planned height unless its binary knows the upgrade, so the
//! set stops at height − 1, each validator halted; one that was down catches
//! up to height − 1 and halts there too; restarted with a binary that knows the
//! upgrade, the set goes on and the ledger records it as applied.

use crate::harness::{seeds, signed, Net, GOV_PERIOD_BLOCKS};
use commonware_runtime::{deterministic, Clock as _, Runner as _};
use plinth_core::Hash;
use plinth_ledger::governance::{Action, UpgradePlan, VoteOption};
use plinth_ledger::{keys, Call, Overlay, SignedTx};
use plinth_node::upgrade::UpgradeNeeded;
use std::time::Duration;

const NAME: &str = "sim-upgrade";

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::default()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(3_600))),
    )
}

/// Submits `raw` through validator `via` and waits until `who` committed it.
async fn commit(net: &Net, via: usize, who: &[usize], raw: Vec<u8>) -> u64 {
    let id: Hash = SignedTx::decode(&raw).unwrap().hash();
    let verdict = net.node(via).submit_blocking(vec![raw], true);
    assert!(verdict[0].is_ok(), "{:?}", verdict[0]);
    net.wait_tx(who, id).await;
    net.node(via)
        .store
        .tx_location(&id)
        .unwrap()
        .unwrap()
        .height
}

/// Waits until each of `who` halted for `needed`.
async fn wait_halted(net: &Net, who: &[usize], needed: &UpgradeNeeded) {
    for _ in 0..6_000 {
        if who
            .iter()
            .all(|i| net.node(*i).halt_reason().as_ref() == Some(needed))
        {
            return;
        }
        net.context.sleep(Duration::from_millis(50)).await;
    }
    let reasons: Vec<_> = who.iter().map(|i| net.node(*i).halt_reason()).collect();
    panic!("not all of {who:?} halted for {needed}: {reasons:?}");
}

#[test]
fn a_planned_upgrade_stops_the_set_before_its_height_and_a_knowing_binary_continues() {
    for seed in seeds() {
        runner(seed).start(|context| async move {
            let mut net = Net::start_governed(context, 4).await;
            let all = [0, 1, 2, 3];
            net.wait_height(&all, 2).await;

            // Users 0–3 lock, user 0 proposes the upgrade, everyone votes yes.
            for u in 0..4u8 {
                let lock = Call::GovLock {
                    amount: 10_000,
                    lock_blocks: 100,
                };
                commit(&net, 0, &all, signed(u, 0, lock)).await;
            }
            let height = net.height(0) + GOV_PERIOD_BLOCKS + 20;
            let propose = Call::GovPropose {
                actions: vec![Action::PlanUpgrade {
                    name: NAME.into(),
                    height,
                }],
                description: "sim".into(),
                deposit: 1_000,
                execute_height: None,
            };
            let proposed = commit(&net, 0, &all, signed(0, 1, propose)).await;
            assert!(
                proposed + GOV_PERIOD_BLOCKS + 2 < height,
                "proposed at {proposed}"
            );
            for u in 0..4u8 {
                let vote = Call::GovVote {
                    proposal: 0,
                    option: VoteOption::Yes,
                };
                commit(&net, 0, &all, signed(u, if u == 0 { 2 } else { 1 }, vote)).await;
            }

            // Validator 3 goes down; the other three reach height - 1 and halt.
            net.crash(3).await;
            let needed = UpgradeNeeded {
                name: NAME.into(),
                height,
            };
            wait_halted(&net, &[0, 1, 2], &needed).await;
            net.context.sleep(Duration::from_secs(10)).await;
            for i in 0..3 {
                assert_eq!(net.height(i), height - 1, "validator {i} went past");
            }

            // Back with the same binary, validator 3 catches up to height - 1
            // from its (halted) peers and halts there too.
            net.restart(3).await;
            wait_halted(&net, &[3], &needed).await;
            net.context.sleep(Duration::from_secs(5)).await;
            for i in all {
                assert_eq!(net.height(i), height - 1, "validator {i}");
                assert!(net.node(i).store.block(height).unwrap().is_none());
            }
            net.assert_same_chain(&all);

            // The binary that knows the upgrade continues the chain.
            net.known_upgrades = vec![NAME.into()];
            net.crash_all().await;
            for i in all {
                net.restart(i).await;
            }
            net.wait_height(&all, height + 3).await;
            net.assert_same_chain(&all);
            for i in all {
                assert_eq!(net.node(i).halt_reason(), None);
                let snap = net.node(i).store.snapshot().unwrap();
                let applied: Option<Vec<UpgradePlan>> =
                    Overlay::new(&snap).get_t(keys::UPGRADES_APPLIED).unwrap();
                let plan = UpgradePlan {
                    name: NAME.into(),
                    height,
                    proposal: 0,
                };
                assert_eq!(applied, Some(vec![plan]), "validator {i}");
            }
            net.crash_all().await;
        });
    }
}
