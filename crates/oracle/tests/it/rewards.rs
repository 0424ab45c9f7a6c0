use crate::common::*;
use plinth_core::{Address, DeviceId};
use plinth_ledger::rewards::RewardEpoch;
use plinth_oracle::epoch::{compute, EpochSpec};
use plinth_oracle::spool::SpoolBatch;
use std::time::Duration;

async fn ledger_epoch(net: &Net, network: &str, epoch: u64) -> RewardEpoch {
    let url = format!("{}/v1/rewards/{network}/{epoch}", net.node_url);
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let u = url.clone();
        let r = tokio::task::spawn_blocking(move || ureq::get(&u).call().ok())
            .await
            .unwrap();
        if let Some(resp) = r {
            return resp.into_json().unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no manifest on the ledger for {network} {epoch}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// devices report → epoch closes → manifest on the ledger → claim → balance up by
/// exactly the manifest amount; the oracle restarts in the middle of ingest without
/// losing or changing anything; audit passes, and fails once a batch is altered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn report_to_reward_to_balance_with_a_restart_and_an_audit() {
    let devs: Vec<_> = (30..36u8).map(key).collect();
    let regs: Vec<(&str, &plinth_core::Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let mut net = Net::start(&regs).await;
    let clock = net.clock();
    // Wait for the start of a fresh epoch so that all reports land in one.
    let e = clock.epoch_of(now_ms()) + 1;
    let start = net.genesis_time_ms + e * EPOCH_MS;
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()) + 50)).await;

    let mut acked = Vec::new();
    for round in 0..4u64 {
        let now = now_ms();
        let reports: Vec<_> = devs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                // One outlier; the rest agree.
                let v = if i == 5 {
                    45_000
                } else {
                    20_000 + i as i64 * 100
                };
                report(net.chain, d, "weather", now, e, 100 + round, reading(v))
            })
            .collect();
        let verdicts = net.send(&reports).await;
        for (r, v) in reports.iter().zip(&verdicts) {
            assert_eq!(v["status"], "accepted", "{v}");
            acked.push(r.clone());
        }
        if round == 1 {
            net.restart_oracle().await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The epoch closes by itself; its manifest reaches the ledger.
    let on_ledger = ledger_epoch(&net, "weather", e).await;
    assert!(on_ledger.header.total > 0);
    let published = net
        .oracle
        .manifest("weather", e)
        .unwrap()
        .expect("published manifest");
    assert_eq!(published.header, on_ledger.header);
    // The outlier earned less than each honest sensor.
    let amount = |d: &plinth_core::Keypair| {
        published
            .entries
            .iter()
            .find(|x| x.device == DeviceId(d.public()))
            .map(|x| x.amount)
            .unwrap_or(0)
    };
    assert!(amount(&devs[5]) < amount(&devs[0]));

    // Same manifest as from exactly the acknowledged reports: nothing lost, nothing
    // added by the restart.
    let batches: Vec<_> = published
        .batches
        .iter()
        .map(|h| (*h, net.oracle.spool.read(e, h).unwrap()))
        .collect();
    let mut spooled: Vec<_> = batches
        .iter()
        .flat_map(|(_, b)| match b {
            SpoolBatch::Reports(r) => r.clone(),
            _ => vec![],
        })
        .collect();
    spooled.sort_by_key(|r| r.hash());
    acked.sort_by_key(|r| r.hash());
    assert_eq!(spooled, acked);
    let registry = batches
        .iter()
        .find(|(_, b)| matches!(b, SpoolBatch::Registry(_)))
        .cloned()
        .unwrap();
    let fresh = vec![
        (
            plinth_core::Hash::of(b"reports"),
            SpoolBatch::Reports(acked.clone()),
        ),
        registry,
    ];
    let n = net.oracle.network_at("weather", e).unwrap().unwrap().info;
    // Without governance the node's allowance for the epoch is the genesis's.
    assert_eq!(
        n.allowance,
        net.oracle.emission.network_allowance(e, n.share_bps)
    );
    assert_eq!(n.epoch, e);
    let family = plinth_proofs::Family::from_network(&n.family, &n.params.to_string()).unwrap();
    let spec = EpochSpec {
        chain: net.chain,
        network: "weather",
        family: &family,
        window: net.oracle.clock.window(e),
        allowance: net.oracle.emission.network_allowance(e, n.share_bps),
        usage_bps: n.usage_bps,
        wasm: None,
    };
    let expected = compute(&spec, fresh);
    assert_eq!(expected.header.root, on_ledger.header.root);
    assert_eq!(expected.entries, published.entries);

    // Claim one device's reward: the owner's balance grows by exactly its amount.
    let claims = net.oracle.rewards_of(&Address(net.owner.public())).unwrap();
    let c = claims.iter().find(|c| c.epoch == e).unwrap().clone();
    let before = net.balance(&net.owner);
    let nonce = plinth_ledger::accounts::load(
        &plinth_ledger::Overlay::new(&net.node.store.snapshot().unwrap()),
        &Address(net.owner.public()),
    )
    .unwrap()
    .unwrap()
    .nonce;
    let claim = |nonce: u64| {
        plinth_ledger::Transaction {
            chain_id: "oracle-test".into(),
            signer: Address(net.owner.public()),
            nonce,
            fee: 10,
            call: plinth_ledger::Call::Claim {
                network: c.network.clone(),
                epoch: c.epoch,
                index: c.index,
                entry: c.entry,
                proof: c.proof.clone(),
            },
        }
        .sign(&net.owner)
    };
    net.node
        .submit(vec![claim(nonce).encode()])
        .await
        .pop()
        .unwrap()
        .unwrap();
    wait_until(|| net.node.mempool_len() == 0).await;
    assert_eq!(net.balance(&net.owner), before + c.entry.amount - 10);
    // A second claim is refused.
    let again = net
        .node
        .submit(vec![claim(nonce + 1).encode()])
        .await
        .pop()
        .unwrap();
    assert!(again.is_err(), "double claim accepted");

    // Audit: passes over the oracle's API…
    let (node_url, oracle_url) = (net.node_url.clone(), net.oracle_url.clone());
    let report = tokio::task::spawn_blocking(move || {
        plinth_oracle::audit::audit(
            &node_url,
            &oracle_url,
            "weather",
            e,
            plinth_oracle::audit::BatchSource::Oracle,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert!(report.ok, "{:?}", report.problems);
    // …and fails once a spool batch is altered on disk.
    let spool_dir = net.dir.path().join("oracle").join("spool");
    let victim = published
        .batches
        .iter()
        .find(|h| matches!(net.oracle.spool.read(e, h).unwrap(), SpoolBatch::Reports(_)))
        .unwrap();
    let path = spool_dir
        .join(e.to_string())
        .join(format!("{victim}.batch"));
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let (node_url, oracle_url) = (net.node_url.clone(), net.oracle_url.clone());
    let report = tokio::task::spawn_blocking(move || {
        plinth_oracle::audit::audit(
            &node_url,
            &oracle_url,
            "weather",
            e,
            plinth_oracle::audit::BatchSource::Dir(spool_dir),
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&victim.to_string())),
        "{:?}",
        report.problems
    );
}

/// An epoch in which nothing reported is closed on the ledger anyway, with an
/// empty manifest: a leaked oracle key cannot later mint it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_epoch_that_paid_nothing_is_closed_on_the_ledger() {
    let net = Net::start(&[]).await;
    let e = net.clock().epoch_of(now_ms());
    // No device at all: the epoch's manifests pay nothing, but reach the ledger.
    for network in ["weather", "backhaul"] {
        let closed = ledger_epoch(&net, network, e).await;
        assert_eq!((closed.header.total, closed.header.devices), (0, 0));
    }
    // The gauges the alert on late epochs reads: `e` closed, the clock past it,
    // and no epoch long past its cut-off (epochs of 3 s, a grace of 0.3 s).
    let m = &net.oracle.metrics;
    wait_until(|| m.epoch_last_closed.get() >= e as i64).await;
    assert!(m.epoch_current.get() > e as i64);
    assert!(
        m.epoch_close_overdue.get() < 3,
        "{}",
        m.epoch_close_overdue.get()
    );
    // The oracle's own key signs a manifest paying the whole allowance for the
    // epoch: refused, the epoch is closed.
    let entries = vec![plinth_ledger::rewards::ManifestEntry {
        device: DeviceId(key(9).public()),
        owner: Address(key(9).public()),
        amount: 1_000,
    }];
    let header = plinth_ledger::ManifestHeader {
        chain: net.chain,
        network: "weather".into(),
        epoch: e,
        root: plinth_ledger::rewards::manifest_root(&entries),
        total: 1_000,
        devices: 1,
        inputs: plinth_core::Hash::ZERO,
        registry_height: 0,
        awards: plinth_core::Hash::ZERO,
        award_count: 0,
    };
    let signatures = vec![header.sign(&net.oracle_key)];
    let oracle = net.oracle.clone();
    let refused = tokio::task::spawn_blocking(move || {
        oracle.send_tx(plinth_ledger::Call::SubmitManifest { header, signatures })
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        refused.to_string().contains("manifest_exists"),
        "{refused:#}"
    );
}
