//! A proposal changes `weather`'s share and family parameters from the next
//! reward epoch on: the oracle scores every epoch with the values in force in
//! it (the allowance the node reports for it, the family rebuilt from its
//! parameters), the ledger takes both manifests, and the audit recomputes each
//! epoch with its own values.

use crate::common::*;
use plinth_core::Keypair;
use plinth_ledger::governance::{Action, Bounds, GovParams, ParamBounds, VoteOption};
use plinth_ledger::rewards::RewardEpoch;
use plinth_ledger::{Call, Genesis};
use plinth_oracle::audit::{audit, BatchSource};
use std::time::Duration;

/// Blocks of a deposit and a voting period (2 s at the tests' 100 ms blocks).
const PERIOD_BLOCKS: u64 = 20;
/// Tokens locked for voting power, and a proposal's deposit.
const LOCKED: u64 = 100_000_000;
const DEPOSIT: u64 = 1_000;

/// Governance for the test chain: short periods, one voter is the whole power.
fn governance() -> GovParams {
    let any = Bounds {
        min: 0,
        // TOML integers are i64: the widest bound a genesis file holds.
        max: i64::MAX as u64,
    };
    GovParams {
        min_lock_blocks: 1,
        max_lock_blocks: 1_000,
        max_multiplier_bps: 1_000_000,
        min_deposit: DEPOSIT,
        deposit_period_blocks: PERIOD_BLOCKS,
        voting_period_blocks: PERIOD_BLOCKS,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 1_000,
        max_actions: 4,
        max_active_proposals: 4,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: any,
            price_max_age_ms: any,
            storage_max_failures: any,
            storage_max_deal_epochs: any,
            storage_accept_epochs: any,
            tail_per_epoch: any,
        },
    }
}

/// The test genesis with governance and `weather` at 30 % (room for 40 %).
fn with_governance(g: &mut Genesis) {
    g.governance = Some(governance());
    let w = g.networks.iter_mut().find(|n| n.name == "weather").unwrap();
    w.share_bps = 3_000;
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// `weather` as the node reports it in force in `epoch`.
async fn weather_at(net: &Net, epoch: u64) -> plinth_api::node::NetworkView {
    let node = plinth_api::NodeClient::new(&net.node_url);
    blocking(move || {
        node.networks_at(epoch)
            .unwrap()
            .into_iter()
            .find(|n| n.name == "weather")
            .expect("weather")
    })
    .await
}

/// The ledger's manifest of `network` for `epoch`, once there.
async fn on_ledger(net: &Net, network: &str, epoch: u64) -> RewardEpoch {
    let node = plinth_api::NodeClient::new(&net.node_url);
    let network = network.to_string();
    blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(r) = node.reward_epoch(&network, epoch).unwrap() {
                return r;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {network} manifest of epoch {epoch} on the ledger"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
}

/// Waits for the start of the epoch after the current one; returns it.
async fn next_epoch(net: &Net) -> u64 {
    let e = net.clock().epoch_of(now_ms()) + 1;
    let start = net.genesis_time_ms + e * EPOCH_MS;
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()) + 50)).await;
    e
}

/// Sends one `weather` reading from each of `readings` (device, value in
/// thousandths) in `epoch`; every one is accepted (plausibility is the
/// family's, at close).
async fn send_readings(net: &Net, epoch: u64, readings: &[(&Keypair, i64)]) {
    send_readings_to(net, "weather", epoch, readings).await
}

/// [`send_readings`] to `network`.
async fn send_readings_to(net: &Net, network: &str, epoch: u64, readings: &[(&Keypair, i64)]) {
    let now = now_ms();
    let reports: Vec<_> = readings
        .iter()
        .enumerate()
        .map(|(i, (d, v))| {
            report(
                net.chain,
                d,
                network,
                now,
                epoch,
                10 + epoch * 10 + i as u64,
                reading(*v),
            )
        })
        .collect();
    for v in net.send(&reports).await {
        assert_eq!(v["status"], "accepted", "{v}");
    }
}

/// The node's networks as in force in `epoch`.
async fn networks_at(net: &Net, epoch: u64) -> Vec<plinth_api::node::NetworkView> {
    let node = plinth_api::NodeClient::new(&net.node_url);
    blocking(move || node.networks_at(epoch).unwrap()).await
}

/// Passes the chain's first proposal, `actions`, with the owner's locked
/// tokens (the whole voting power); returns the first epoch whose networks
/// show it executed (`done`), once the node reports it for the next epoch.
async fn pass(
    net: &Net,
    actions: Vec<Action>,
    done: impl Fn(&[plinth_api::node::NetworkView]) -> bool,
) -> u64 {
    let owner = key(1);
    let proposed_in = net.clock().epoch_of(now_ms());
    submit(
        net,
        &owner,
        Call::GovLock {
            amount: LOCKED,
            lock_blocks: 1_000,
        },
    )
    .await;
    submit(
        net,
        &owner,
        Call::GovPropose {
            actions,
            description: "a test proposal".into(),
            deposit: DEPOSIT,
            execute_height: None,
        },
    )
    .await;
    submit(
        net,
        &owner,
        Call::GovVote {
            proposal: 0,
            option: VoteOption::Yes,
        },
    )
    .await;
    // Executed at the end of the voting period, in force from the next epoch.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let next = loop {
        let e = net.clock().epoch_of(now_ms()) + 1;
        if done(&networks_at(net, e).await) {
            break e;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the proposal was not executed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut first = next;
    while first > proposed_in && done(&networks_at(net, first - 1).await) {
        first -= 1;
    }
    assert!(first > proposed_in, "a change applies from a later epoch");
    first
}

/// Waits for the start of an epoch at or after `epoch`; returns it.
async fn epoch_from(net: &Net, epoch: u64) -> u64 {
    loop {
        let e = next_epoch(net).await;
        if e >= epoch {
            return e;
        }
    }
}

/// Audits `weather`'s `epoch` through the node's and the oracle's APIs.
async fn audit_ok(net: &Net, epoch: u64) {
    let (node, oracle) = (net.node_url.clone(), net.oracle_url.clone());
    let r = blocking(move || audit(&node, &oracle, "weather", epoch, BatchSource::Oracle).unwrap())
        .await;
    assert!(r.ok, "audit of epoch {epoch}: {:?}", r.problems);
}

/// `weather` at 30 % then, by proposal, 40 % with readings plausible up to
/// 10 °C: the epoch before the change pays 30 % to both sensors, the epoch of
/// the change pays 40 % to the one whose reading the new range admits; both
/// audit, also from an oracle restarted after the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_share_and_params_changed_by_proposal_apply_from_the_next_epoch() {
    let (a, b) = (key(60), key(61));
    let mut net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[("weather", &a), ("weather", &b)],
        None,
        with_governance,
        |_| {},
    )
    .await;

    // Before: 20 °C is plausible (max 60), both sensors are paid the 30 %
    // share's allowance between them.
    let before = next_epoch(&net).await;
    send_readings(&net, before, &[(&a, 20_000), (&b, 20_500)]).await;
    let old = weather_at(&net, before).await;
    assert_eq!((old.share_bps, old.epoch), (3_000, before));
    assert_eq!(old.allowance, 1_000_000 * 3_000 / 10_000);

    // The proposal: 40 % and a plausible range up to 10 °C.
    let changed = pass(
        &net,
        vec![
            Action::SetNetworkShare {
                network: "weather".into(),
                share_bps: 4_000,
                usage_bps: 0,
            },
            Action::SetFamilyParams {
                network: "weather".into(),
                params_json: r#"{"max":10,"min":-60,"unit":"celsius"}"#.into(),
            },
        ],
        |ns| {
            ns.iter()
                .any(|n| n.name == "weather" && n.share_bps == 4_000)
        },
    )
    .await;
    // Every epoch until the change keeps its old values (the manifest of
    // `before` is scored with them, whenever it closes).
    assert_eq!(weather_at(&net, changed - 1).await.share_bps, 3_000);
    let paid_before = on_ledger(&net, "weather", before).await;
    assert_eq!(paid_before.header.total, old.allowance);

    // After: the node reports the new share, allowance and parameters for the
    // epoch; 20 °C is out of range now, 5 °C is paid the whole new allowance.
    let after = epoch_from(&net, changed).await;
    let new = weather_at(&net, after).await;
    assert_eq!((new.share_bps, new.epoch), (4_000, after));
    assert_eq!(new.allowance, 1_000_000 * 4_000 / 10_000);
    assert_eq!(new.params["max"], 10);
    send_readings(&net, after, &[(&a, 5_000), (&b, 20_000)]).await;
    let paid_after = on_ledger(&net, "weather", after).await;
    assert_eq!(paid_after.header.total, new.allowance);
    assert!(paid_after.header.total > paid_before.header.total);
    let m = net.oracle.manifest("weather", after).unwrap().unwrap();
    assert_eq!(m.header, paid_after.header);
    assert_eq!(
        m.entries.len(),
        1,
        "only the plausible reading is paid: {:?}",
        m.entries
    );
    assert_eq!(m.entries[0].device, plinth_core::DeviceId(a.public()));
    assert!(
        m.rejected.keys().any(|k| k.contains("range")),
        "20 °C is refused under the new range: {:?}",
        m.rejected
    );

    // Each epoch audits with its own values, before and after the change; also
    // from an oracle restarted after it (nothing read at start is used).
    audit_ok(&net, before).await;
    audit_ok(&net, after).await;
    net.restart_oracle().await;
    audit_ok(&net, before).await;
    let o = net.oracle.clone();
    let before_again = blocking(move || o.networks_at(before).unwrap()).await;
    let w = before_again.get("weather").unwrap();
    assert_eq!((w.info.share_bps, w.info.allowance), (3_000, old.allowance));
}

/// A network added by proposal: devices register at once, the oracle admits
/// their reports and closes the network's epochs from then on (its allowance is
/// 0 until the epoch after the proposal's, then its share's), while it keeps
/// closing and auditing the other networks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_network_added_by_proposal_is_scored_from_its_first_epoch() {
    let w = key(62);
    let net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[("weather", &w)],
        None,
        with_governance,
        |_| {},
    )
    .await;
    // An epoch paid before the network exists.
    let first = next_epoch(&net).await;
    send_readings(&net, first, &[(&w, 20_000)]).await;
    on_ledger(&net, "weather", first).await;
    let changed = pass(
        &net,
        vec![Action::AddNetwork {
            name: "air".into(),
            family: "sensor".into(),
            params_json: r#"{"max":60,"min":-60,"unit":"celsius"}"#.into(),
            share_bps: 1_000,
            usage_bps: 0,
            require_maker: false,
        }],
        |ns| ns.iter().any(|n| n.name == "air" && n.share_bps == 1_000),
    )
    .await;
    // Before its share is in force the network is listed with nothing to pay.
    let early = networks_at(&net, changed - 1).await;
    let air = early.iter().find(|n| n.name == "air").expect("air listed");
    assert_eq!((air.share_bps, air.allowance), (0, 0));

    let (a, owner) = (key(63), key(1));
    submit(
        &net,
        &owner,
        register_call(net.chain, &owner, "air", &a, cell(7)),
    )
    .await;
    let e = epoch_from(&net, changed).await;
    // Admission serves the new network (it re-reads the current epoch's networks).
    tokio::time::sleep(Duration::from_millis(500)).await;
    send_readings_to(&net, "air", e, &[(&a, 21_000)]).await;
    send_readings(&net, e, &[(&w, 20_000)]).await;
    let paid = on_ledger(&net, "air", e).await;
    assert_eq!(paid.header.total, 1_000_000 * 1_000 / 10_000);
    assert_eq!(paid.header.devices, 1);
    let weather = on_ledger(&net, "weather", e).await;
    assert_eq!(weather.header.total, 1_000_000 * 3_000 / 10_000);
    audit_ok(&net, e).await;
    // The epoch before the network existed still audits: the ledger's registry
    // at its snapshot's height has no `air` to list.
    audit_ok(&net, first).await;
    let (node, oracle) = (net.node_url.clone(), net.oracle_url.clone());
    let r = blocking(move || audit(&node, &oracle, "air", e, BatchSource::Oracle).unwrap()).await;
    assert!(r.ok, "audit of air epoch {e}: {:?}", r.problems);
}
