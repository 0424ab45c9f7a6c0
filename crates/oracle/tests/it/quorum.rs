//! Three oracles, threshold 2: each signature earned by recomputing.

use crate::common::*;
use plinth_api::oracle::{Manifest, ManifestProposal};
use plinth_api::OracleClient;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::genesis::GenesisAccount;
use plinth_ledger::{OracleSet, OracleSignature};
use plinth_oracle::adversary::Adversary;
use plinth_oracle::epoch::{compute, inputs_hash, EpochSpec};
use plinth_oracle::spool::{RegistrySnapshot, Spool, SpoolBatch};
use plinth_oracle::{Oracle, OracleConfig};
use plinth_proofs::DeviceInfo;
use std::sync::Arc;
use std::time::Duration;

/// The second and third oracles' keys (the first is the common `key(2)`).
fn keys() -> [Keypair; 3] {
    [key(2), key(4), key(5)]
}

fn quick(cfg: &mut OracleConfig) {
    cfg.exchange_interval = Duration::from_millis(200);
    cfg.propose_after = Duration::from_millis(400);
    cfg.proposal_timeout = Duration::from_millis(2_000);
}

/// A node and three oracles of one set (threshold 2), each reading the others.
struct Trio {
    net: Net,
    others: Vec<(Arc<Oracle>, String, tokio::sync::watch::Sender<bool>)>,
}

impl Trio {
    async fn start(devices: &[(&str, &Keypair)]) -> Trio {
        Trio::start_with(devices, None).await
    }

    /// [`Trio::start`] with the third oracle lying as `liar` says.
    async fn start_with(devices: &[(&str, &Keypair)], liar: Option<Adversary>) -> Trio {
        let ks = keys();
        let l2 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let l3 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let u2 = format!("http://{}", l2.local_addr().unwrap());
        let u3 = format!("http://{}", l3.local_addr().unwrap());
        let members: Vec<Address> = ks.iter().map(|k| Address(k.public())).collect();
        let (p2, p3) = (u2.clone(), u3.clone());
        let m2 = members.clone();
        let net = Net::start_custom(
            tempfile::tempdir().unwrap(),
            devices,
            None,
            move |g| {
                g.oracles = OracleSet {
                    threshold: 2,
                    members: m2.clone(),
                };
                for m in &m2[1..] {
                    g.accounts.push(GenesisAccount {
                        address: *m,
                        balance: 1_000_000_000,
                    });
                }
            },
            move |cfg| {
                quick(cfg);
                cfg.peers = vec![p2, p3];
            },
        )
        .await;
        let mut others = Vec::new();
        for (i, (l, peers)) in [
            (l2, vec![net.oracle_url.clone(), u3.clone()]),
            (l3, vec![net.oracle_url.clone(), u2.clone()]),
        ]
        .into_iter()
        .enumerate()
        {
            others.push(
                start_oracle_with(
                    net.dir.path().join(format!("oracle{}", i + 2)),
                    &net.node_url,
                    &ks[i + 1],
                    Some(l),
                    move |cfg| {
                        quick(cfg);
                        cfg.price_micro_usd = None;
                        cfg.peers = peers;
                        if i == 1 {
                            cfg.adversary = liar;
                        }
                    },
                )
                .await,
            );
        }
        Trio { net, others }
    }

    fn urls(&self) -> Vec<String> {
        let mut u = vec![self.net.oracle_url.clone()];
        u.extend(self.others.iter().map(|o| o.1.clone()));
        u
    }

    fn oracle(&self, i: usize) -> Arc<Oracle> {
        match i {
            0 => self.net.oracle.clone(),
            _ => self.others[i - 1].0.clone(),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Waits for the ledger's manifest of (`network`, `epoch`).
async fn on_ledger(net: &Net, network: &str, epoch: u64) -> plinth_ledger::rewards::RewardEpoch {
    let n = plinth_api::NodeClient::new(&net.node_url);
    let network = network.to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (n2, net2) = (n.clone(), network.clone());
        if let Some(r) = blocking(move || n2.reward_epoch(&net2, epoch).unwrap()).await {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no manifest of {network} {epoch} on the ledger"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits for a fresh epoch; returns it.
async fn fresh_epoch(net: &Net) -> u64 {
    let clock = net.clock();
    let e = clock.epoch_of(now_ms()) + 1;
    let start = net.genesis_time_ms + e * EPOCH_MS;
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()) + 50)).await;
    e
}

/// Each of three weather devices reports to a different oracle.
async fn report_to_each(t: &Trio, devs: &[Keypair], e: u64, seq: u64) {
    for (i, (d, url)) in devs.iter().zip(t.urls()).enumerate() {
        let r = report(
            t.net.chain,
            d,
            "weather",
            now_ms(),
            e,
            seq,
            reading(20_000 + i as i64 * 10),
        );
        let c = OracleClient::new(&url);
        let v = blocking(move || c.send(&[r]).unwrap()).await;
        assert_eq!(v[0].status, plinth_oracle::VerdictStatus::Accepted, "{v:?}");
    }
}

/// A proposal of `m` (as computed over `batches`) signed by `key`.
fn proposal(m: &Manifest, key: &Keypair) -> ManifestProposal {
    ManifestProposal {
        header: m.header.clone(),
        batches: m.batches.clone(),
        signature: m.header.sign(key),
    }
}

fn spec_compute(o: &Oracle, epoch: u64, batches: Vec<(Hash, SpoolBatch)>) -> Manifest {
    // The oracle closed the epoch: its networks are kept, no node read here.
    let n = o.network_at("weather", epoch).unwrap().unwrap();
    let family = n.family.clone().unwrap();
    compute(
        &EpochSpec {
            chain: o.chain,
            network: "weather",
            family: &family,
            window: o.clock.window(epoch),
            allowance: o.emission.network_allowance(epoch, n.info.share_bps),
            usage_bps: n.info.usage_bps,
            wasm: None,
        },
        batches,
    )
}

/// The batches a manifest lists, read from the oracle that published it.
async fn batches_of(url: &str, m: &Manifest) -> Vec<(Hash, SpoolBatch)> {
    let c = OracleClient::new(url);
    let (e, list) = (m.header.epoch, m.batches.clone());
    blocking(move || {
        list.iter()
            .map(|h| {
                let bytes = c.spool_batch(e, h, 64 << 20).unwrap();
                (*h, plinth_oracle::spool::decode_batch(h, &bytes).unwrap())
            })
            .collect()
    })
    .await
}

/// Asks the oracle at `url` to co-sign; the refusal's code, or "signed".
async fn ask(url: &str, p: ManifestProposal) -> String {
    let c = OracleClient::new(url);
    blocking(move || match c.cosign_manifest(&p) {
        Ok(_) => "signed".to_string(),
        Err(plinth_api::ClientError::Api { error, .. }) => error.code,
        Err(e) => panic!("{e}"),
    })
    .await
}

/// Reports sent to three different oracles end in one manifest that two of them
/// signed, each recomputing it; every oracle serves the same header.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_to_three_oracles_are_paid_with_two_signatures() {
    let devs: Vec<Keypair> = (40..43u8).map(key).collect();
    let regs: Vec<(&str, &Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let t = Trio::start(&regs).await;
    let e = fresh_epoch(&t.net).await;
    report_to_each(&t, &devs, e, 1).await;
    let paid = on_ledger(&t.net, "weather", e).await;
    assert_eq!(paid.header.devices, 3, "every oracle's reports are paid");
    assert!(paid.header.total > 0);
    assert!(paid.header.registry_height > 0);
    let mut signers = std::collections::BTreeSet::new();
    for url in t.urls() {
        let c = OracleClient::new(&url);
        let m = blocking(move || loop {
            if let Some(m) = c.manifest("weather", e).unwrap() {
                return m;
            }
            std::thread::sleep(Duration::from_millis(200));
        })
        .await;
        assert_eq!(m.header, paid.header, "{url} serves the paid manifest");
        signers.extend(m.signatures.iter().map(|s| s.oracle));
    }
    assert!(signers.len() >= 2, "{signers:?}");
}

/// A member that inflates, drops a competitor's reports, invents reports or
/// scores over a forged registry gets a refusal with its reason from each
/// honest member (recorded in their API and metrics), so its manifest never has
/// the threshold; the honest manifest is the one paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lying_proposals_are_refused_with_their_reasons() {
    let devs: Vec<Keypair> = (50..53u8).map(key).collect();
    let regs: Vec<(&str, &Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let t = Trio::start(&regs).await;
    let e = fresh_epoch(&t.net).await;
    report_to_each(&t, &devs, e, 1).await;
    let paid = on_ledger(&t.net, "weather", e).await;
    let liar = keys()[2].clone();
    let honest = [t.urls()[0].clone(), t.urls()[1].clone()];
    // The honest manifest, and its batches.
    let c0 = OracleClient::new(&honest[0]);
    let m = blocking(move || c0.manifest("weather", e).unwrap().unwrap()).await;
    let batches = batches_of(&honest[0], &m).await;
    let o = t.oracle(0);
    // The liar's own spool for crafted batches, served by its API.
    let liar_foreign = Spool::open(&t.net.dir.path().join("oracle3/foreign")).unwrap();

    // Inflates: a different root and total over the same inputs.
    let mut inflated = m.clone();
    inflated.header.total += 1_000;
    inflated.header.root = Hash::of(b"inflated");
    // Drops: the batch holding the second oracle's device's report left out.
    let dropped_dev = DeviceId(devs[1].public());
    let kept: Vec<(Hash, SpoolBatch)> = batches
        .iter()
        .filter(|(_, b)| match b {
            SpoolBatch::Reports(rs) => !rs.iter().any(|r| r.report.device == dropped_dev),
            _ => true,
        })
        .cloned()
        .collect();
    assert!(kept.len() < batches.len());
    let dropped = spec_compute(&o, e, kept);
    // Invents: a report of a device that is not registered.
    let stranger = key(99);
    let invented_report = report(
        t.net.chain,
        &stranger,
        "weather",
        o.clock.window(e).start_ms + 10,
        e,
        1,
        reading(20_000),
    );
    let invented_batch = SpoolBatch::Reports(vec![invented_report]);
    let ih = liar_foreign.write(e, &invented_batch).unwrap();
    let mut with_invented = batches.clone();
    with_invented.push((ih, invented_batch));
    with_invented.sort_by_key(|(h, _)| *h);
    let invented = spec_compute(&o, e, with_invented);
    // Forged registry: the liar's device added to the snapshot.
    let mut forged_batches: Vec<(Hash, SpoolBatch)> = Vec::new();
    let mut forged_parts = Vec::new();
    for (h, b) in &batches {
        match b {
            SpoolBatch::Registry(snaps) => {
                let mut snaps: Vec<RegistrySnapshot> = snaps.clone();
                for s in snaps.iter_mut().filter(|s| s.network == "weather") {
                    s.devices.push(DeviceInfo {
                        id: DeviceId(stranger.public()),
                        owner: Address(liar.public()),
                        location: cell(7),
                        active: true,
                    });
                }
                let nb = SpoolBatch::Registry(snaps);
                let nh = liar_foreign.write(e, &nb).unwrap();
                forged_parts.push(nh);
                forged_batches.push((nh, nb));
            }
            SpoolBatch::Storage(_) => {
                forged_parts.push(*h);
                forged_batches.push((*h, b.clone()));
            }
            SpoolBatch::Closed(_) => {}
            _ => forged_batches.push((*h, b.clone())),
        }
    }
    forged_parts.sort();
    let closed = SpoolBatch::Closed(forged_parts);
    let ch = liar_foreign.write(e, &closed).unwrap();
    forged_batches.push((ch, closed));
    forged_batches.sort_by_key(|(h, _)| *h);
    let forged = spec_compute(&o, e, forged_batches);
    assert_eq!(inputs_hash(&forged.batches), forged.header.inputs);

    for (what, lie, code) in [
        ("inflated", inflated, "differs"),
        ("dropped", dropped, "omits_batches"),
        ("invented", invented, "invalid_batch"),
        ("forged registry", forged, "registry_mismatch"),
    ] {
        assert_ne!(lie.header, paid.header, "{what}");
        for url in &honest {
            assert_eq!(
                ask(url, proposal(&lie, &liar)).await,
                code,
                "{what} at {url}"
            );
        }
        // Alone, the liar's signature is not enough for the ledger.
        let set = OracleSet {
            threshold: 2,
            members: keys().iter().map(|k| Address(k.public())).collect(),
        };
        let sigs: Vec<OracleSignature> = vec![lie.header.sign(&liar)];
        assert_eq!(set.count_valid(&lie.header, &sigs), 1);
    }
    // Each refusal is recorded with its reason, and counted.
    let c = OracleClient::new(&honest[1]);
    let refusals = blocking(move || c.refusals().unwrap()).await;
    for code in [
        "differs",
        "omits_batches",
        "invalid_batch",
        "registry_mismatch",
    ] {
        let r = refusals
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("{code}: {refusals:?}"));
        assert_eq!(r.proposer, Address(liar.public()));
        assert!(!r.reason.is_empty());
    }
    let metrics = blocking({
        let u = honest[1].clone();
        move || {
            ureq::get(&format!("{u}/metrics"))
                .call()
                .unwrap()
                .into_string()
                .unwrap()
        }
    })
    .await;
    assert!(
        metrics.contains("plinth_oracle_cosign_refusals_total{reason=\"registry_mismatch\"} 1"),
        "{metrics}"
    );
    // The honest manifest still gets an honest co-signature.
    assert_eq!(ask(&honest[1], proposal(&m, &keys()[0])).await, "signed");
    // The ledger holds the honest one.
    let again = on_ledger(&t.net, "weather", e).await;
    assert_eq!(again.header, paid.header);
}

/// A peer's batch holding a report with a bad signature is not taken by the
/// exchange (the receiver re-verifies every report).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_batch_with_a_forged_report_is_not_taken() {
    let devs: Vec<Keypair> = (60..63u8).map(key).collect();
    let regs: Vec<(&str, &Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let t = Trio::start(&regs).await;
    let e = t.net.clock().epoch_of(now_ms());
    let mut r = report(
        t.net.chain,
        &devs[0],
        "weather",
        now_ms(),
        e,
        7,
        reading(20_000),
    );
    r.signature = devs[1].sign(b"not this report");
    let good = report(
        t.net.chain,
        &devs[1],
        "weather",
        now_ms(),
        e,
        7,
        reading(20_000),
    );
    // Written straight into the third oracle's spool, as a lying oracle would.
    let spool = Spool::open(&t.net.dir.path().join("oracle3/spool")).unwrap();
    let bad = spool.write(e, &SpoolBatch::Reports(vec![r])).unwrap();
    let fine = spool.write(e, &SpoolBatch::Reports(vec![good])).unwrap();
    let o = t.oracle(0);
    wait_until(|| o.spool.has(e, &fine)).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!o.spool.has(e, &bad), "the forged batch was taken");
    let metrics = o.metrics.render();
    assert!(
        metrics.contains("plinth_oracle_peer_batches_refused_total"),
        "{metrics}"
    );
}

/// One oracle of three stopped: the other two keep paying every epoch; started
/// again, it takes the manifests it missed from its peers and signs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_oracle_does_not_stop_payments_and_catches_up() {
    let devs: Vec<Keypair> = (70..73u8).map(key).collect();
    let regs: Vec<(&str, &Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let mut t = Trio::start(&regs).await;
    t.net.stop_oracle().await;
    let e = fresh_epoch(&t.net).await;
    // Only the two live oracles take reports.
    for (i, d) in devs.iter().enumerate().skip(1) {
        let r = report(
            t.net.chain,
            d,
            "weather",
            now_ms(),
            e,
            1,
            reading(20_000 + i as i64),
        );
        let c = OracleClient::new(&t.urls()[i]);
        blocking(move || c.send(&[r]).unwrap()).await;
    }
    let paid = on_ledger(&t.net, "weather", e).await;
    assert_eq!(paid.header.devices, 2);
    // Back: it takes the missed manifest from a peer, and co-signs later ones.
    let peers = vec![t.others[0].1.clone(), t.others[1].1.clone()];
    t.net
        .resume_oracle(move |cfg| {
            quick(cfg);
            cfg.peers = peers;
        })
        .await;
    let o = t.net.oracle.clone();
    wait_long("the restarted oracle takes the missed manifest", || {
        o.manifest("weather", e)
            .ok()
            .flatten()
            .is_some_and(|m| m.header == paid.header)
    })
    .await;
    let me = o.address();
    let later = fresh_epoch(&t.net).await;
    report_to_each(&t, &devs, later, 2).await;
    on_ledger(&t.net, "weather", later).await;
    wait_long("the restarted oracle signs again", || {
        o.manifest("weather", later)
            .ok()
            .flatten()
            .is_some_and(|m| m.signatures.iter().any(|s| s.oracle == me))
    })
    .await;
}

/// A lying oracle running as a member, in each way it can lie: in every epoch
/// the ledger pays the honest manifest (when the liar is the epoch's first
/// proposer, the next member proposes after the timeout), and the liar's own
/// proposals carry the honest members' refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lying_member_never_gets_its_manifest_paid() {
    for (liar, code) in [
        (Adversary::Inflate, "differs"),
        (Adversary::ForgeRegistry, "registry_mismatch"),
        (Adversary::Invent, "invalid_batch"),
        (Adversary::Drop, "omits_batches"),
    ] {
        let devs: Vec<Keypair> = (80..83u8).map(key).collect();
        let regs: Vec<(&str, &Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
        let t = Trio::start_with(&regs, Some(liar)).await;
        let liar_addr = Address(keys()[2].public());
        // Three epochs: the liar is the first proposer of one of them.
        let first = fresh_epoch(&t.net).await;
        let mut refused = false;
        for e in first..first + 3 {
            if e > first {
                fresh_epoch(&t.net).await;
            }
            report_to_each(&t, &devs, e, 1 + e - first).await;
        }
        for e in first..first + 3 {
            let paid = on_ledger(&t.net, "weather", e).await;
            let honest = t.oracle(0);
            wait_long("the honest oracle holds the paid manifest", || {
                honest.manifest("weather", e).ok().flatten().is_some()
            })
            .await;
            let h = honest.manifest("weather", e).unwrap().unwrap();
            assert_eq!(
                paid.header, h.header,
                "{liar:?} epoch {e}: the honest manifest is paid"
            );
            assert_eq!(paid.header.devices, 3);
            if let Some(m) = t.oracle(2).manifest("weather", e).unwrap() {
                if m.header != paid.header {
                    assert!(
                        m.refusals.iter().all(|r| r.code == code),
                        "{liar:?}: {:?}",
                        m.refusals
                    );
                    refused |= m.refusals.len() == 2;
                    assert!(m.signatures.iter().all(|s| s.oracle == liar_addr));
                }
            }
        }
        assert!(refused, "{liar:?}: the liar proposed and both refused");
    }
}
