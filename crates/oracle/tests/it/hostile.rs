//! Hostile peers and hostile input: spool batch sizes, per-device report limits,
//! probe timing, private spools.

use crate::common::*;
use plinth_core::{Address, DeviceId, Hash, Keypair, PublicKey};
use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
use plinth_oracle::spool::{AnswerReceipt, ProbeIssue, Spool, SpoolBatch, MAX_BATCH_BYTES};
use plinth_proofs::{DeviceInfo, EpochWindow, Family, ReportBody};
use rayon::prelude::*;
use std::time::Duration;

fn code(v: &serde_json::Value) -> &str {
    v["code"].as_str().unwrap_or("accepted")
}

fn batch_files(spool_dir: &std::path::Path, epoch: u64) -> Vec<u64> {
    std::fs::read_dir(spool_dir.join(epoch.to_string()))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".batch"))
        .map(|e| e.metadata().unwrap().len())
        .collect()
}

/// A registry of two million devices (~146 MB encoded) is written as several
/// batches, each readable back, and together they are the epoch's registry.
#[test]
fn a_registry_of_two_million_devices_is_split_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let owner = Address(key(1).public());
    let a = key(40);
    let b = key(41);
    let mut devices: Vec<DeviceInfo> = (0..2_000_000u32)
        .map(|i| {
            let mut id = [0u8; 32];
            id[8..12].copy_from_slice(&i.to_be_bytes());
            id[0] = 0x40;
            DeviceInfo {
                id: DeviceId(PublicKey(id)),
                owner,
                location: 0,
                active: true,
            }
        })
        .collect();
    for k in [&a, &b] {
        devices.push(DeviceInfo {
            id: DeviceId(k.public()),
            owner,
            location: 0,
            active: true,
        });
    }
    devices.sort_by_key(|d| d.id);
    let snapshot = SpoolBatch::Registry(vec![RegistrySnapshot {
        network: "backhaul".into(),
        height: 0,
        devices,
    }]);
    let mut names = spool.write_all(0, snapshot).unwrap();
    assert!(names.len() >= 3, "{} parts", names.len());
    for size in batch_files(dir.path(), 0) {
        assert!(size as usize <= MAX_BATCH_BYTES, "a batch of {size} bytes");
    }
    let window = EpochWindow {
        epoch: 0,
        start_ms: 0,
        end_ms: 10_000,
    };
    let beats = |k: &Keypair| {
        (0..10)
            .map(|i| {
                report(
                    Hash::ZERO,
                    k,
                    "backhaul",
                    i * 1_000 + 500,
                    0,
                    i + 1,
                    ReportBody::Heartbeat,
                )
            })
            .collect::<Vec<_>>()
    };
    let mut reports = beats(&a);
    reports.extend(beats(&b));
    names.extend(spool.write_all(0, SpoolBatch::Reports(reports)).unwrap());
    // Read back as a restarted oracle (or an auditor) does: every batch.
    let batches: Vec<(Hash, SpoolBatch)> = spool
        .batches(0)
        .unwrap()
        .into_iter()
        .map(|h| (h, spool.read(0, &h).unwrap()))
        .collect();
    assert_eq!(batches.len(), names.len());
    let family = Family::from_network("uptime", r#"{"heartbeat_interval_s": 1}"#).unwrap();
    let m = compute(
        &EpochSpec {
            chain: plinth_core::Hash::ZERO,
            network: "backhaul",
            family: &family,
            window,
            allowance: 1_000,
            usage_bps: 0,
            wasm: None,
        },
        batches,
    );
    // Both devices are found in the registry, whichever part they are in.
    assert_eq!(m.scored, 2, "{:?}", m.rejected);
    assert!(m.rejected.is_empty(), "{:?}", m.rejected);
    assert_eq!(m.header.total, 1_000);
}

/// Twenty requests of 20,000 reports each, taken by the ingest worker as one
/// group (~74 MB of reports for one epoch): spooled in parts below the read
/// limit; the epoch closes and the oracle restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_requests_of_twenty_thousand_reports_close_and_restart() {
    let devices: Vec<Keypair> = (0..20).map(|i| key(50 + i)).collect();
    let registered: Vec<(&str, &Keypair)> = devices.iter().map(|k| ("lora", k)).collect();
    // Genesis ten epochs back, so that the epoch the reports are for is over.
    let genesis = now_ms() - 10 * EPOCH_MS;
    let mut net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &registered,
        Some(genesis),
        |g| {
            // Only networks with reports are closed (no storage network closes
            // every epoch), and lora takes as many reports as this test sends.
            g.networks.retain(|n| n.family != "storage");
            let lora = g.networks.iter_mut().find(|n| n.name == "lora").unwrap();
            lora.params
                .insert("max_reports_per_epoch".into(), 1_000_000i64.into());
        },
        |_| {},
    )
    .await;
    let e = net.clock().epoch_of(now_ms()) - 3;
    let at = net.oracle.clock.window(e).start_ms + 1_000;
    let raw: Vec<Vec<u8>> = devices
        .par_iter()
        .flat_map_iter(|k| {
            (0..20_000u64).map(move |i| {
                report(
                    net.chain,
                    k,
                    "lora",
                    at,
                    e,
                    i + 1,
                    ReportBody::Witness {
                        beacon: Hash::of(&i.to_le_bytes()),
                        rssi_centi_dbm: -9_000,
                        snr_centi_db: 500,
                        frequency_hz: 868_100_000,
                        received_ms: at,
                    },
                )
                .encode()
            })
        })
        .collect();
    let total: usize = raw.iter().map(Vec::len).sum();
    assert!(total > MAX_BATCH_BYTES, "{total} bytes of reports");
    let o = net.oracle.clone();
    let verdicts = tokio::task::spawn_blocking(move || o.ingest(raw, at + 10))
        .await
        .unwrap();
    assert!(
        verdicts
            .iter()
            .all(|v| v.status == plinth_oracle::VerdictStatus::Accepted),
        "{:?}",
        verdicts.iter().find(|v| v.code.is_some())
    );
    let spool_dir = net.dir.path().join("oracle").join("spool");
    let sizes = batch_files(&spool_dir, e);
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(
        sizes.iter().all(|s| *s as usize <= MAX_BATCH_BYTES),
        "{sizes:?}"
    );
    wait_long("the epoch's manifest", || {
        net.oracle.manifest("lora", e).unwrap().is_some()
    })
    .await;
    // A restarted oracle reads every batch back (replay), and refuses the
    // same reports again as replays.
    net.restart_oracle().await;
    let t = now_ms();
    let again = report(
        net.chain,
        &devices[0],
        "lora",
        t,
        net.clock().epoch_of(t),
        5,
        ReportBody::Heartbeat,
    );
    let v = net.oracle.ingest(vec![again.encode()], t);
    assert_eq!(v[0].code.as_deref(), Some("replay"), "{v:?}");
}

/// A device may have only its network's `max_reports_per_epoch` reports accepted
/// per epoch; more are refused with `rate_limited`, counted, and not spooled.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_beyond_the_per_device_limit_are_rate_limited() {
    let sensor = key(30);
    let other = key(31);
    let net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[("weather", &sensor), ("weather", &other)],
        None,
        |g| {
            let w = g.networks.iter_mut().find(|n| n.name == "weather").unwrap();
            w.params.insert("max_reports_per_epoch".into(), 3i64.into());
        },
        |_| {},
    )
    .await;
    let clock = net.clock();
    let mut now = now_ms();
    while net.oracle.clock.window(clock.epoch_of(now)).end_ms - now < 1_500 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = now_ms();
    }
    let e = clock.epoch_of(now);
    let mine: Vec<_> = (1..=5)
        .map(|s| report(net.chain, &sensor, "weather", now, e, s, reading(20_000)))
        .collect();
    let v = net.send(&mine).await;
    let codes: Vec<&str> = v.iter().map(code).collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "accepted",
            "accepted",
            "rate_limited",
            "rate_limited"
        ]
    );
    assert!(
        v[3]["reason"].as_str().unwrap().contains("3 reports"),
        "{}",
        v[3]
    );
    // Another device has its own allowance.
    let v = net
        .send(&[report(
            net.chain,
            &other,
            "weather",
            now,
            e,
            1,
            reading(20_000),
        )])
        .await;
    assert_eq!(code(&v[0]), "accepted");
    // Counted in metrics; only the accepted ones are in the spool.
    let metrics = net.oracle.metrics.render();
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("rate_limited") && l.trim_end().ends_with(" 2")),
        "{metrics}"
    );
    let mut spooled = 0;
    for h in net.oracle.spool.batches(e).unwrap() {
        if let SpoolBatch::Reports(rs) = net.oracle.spool.read(e, &h).unwrap() {
            spooled += rs
                .iter()
                .filter(|r| r.report.device == DeviceId(sensor.public()))
                .count();
        }
    }
    assert_eq!(spooled, 3);
}

/// Networks without the parameter get their family's default, which is what
/// the family can use in an epoch.
#[test]
fn the_default_report_limit_follows_the_family() {
    let net = |family: &str, params: serde_json::Value| plinth_oracle::chain::NetworkInfo {
        name: "n".into(),
        family: family.into(),
        params,
        share_bps: 0,
        usage_bps: 0,
        require_maker: false,
        epoch: 0,
        allowance: 0,
    };
    let uptime = net("uptime", serde_json::json!({"heartbeat_interval_s": 10}));
    // 30 s: 2 × (3 + 1) heartbeats, 30 probe answers, 64 to spare.
    assert_eq!(uptime.max_reports_per_epoch(30_000).unwrap(), 102);
    let storage = net("storage", serde_json::json!({}));
    assert_eq!(storage.max_reports_per_epoch(30_000).unwrap(), 64);
    let set = net(
        "uptime",
        serde_json::json!({"heartbeat_interval_s": 10, "max_reports_per_epoch": 7}),
    );
    assert_eq!(set.max_reports_per_epoch(30_000).unwrap(), 7);
    // The family still parses with the oracle's parameter beside its own.
    assert!(matches!(set.family().unwrap(), Family::Uptime(_)));
    let bad = net("uptime", serde_json::json!({"max_reports_per_epoch": 0}));
    assert!(bad.max_reports_per_epoch(30_000).is_err());
}

/// A probe answer's latency is the oracle's: an answer that claims (by its own
/// timestamp) to be on time but reached the oracle after the deadline fails.
#[test]
fn probe_answers_are_timed_by_the_oracle() {
    let dev = key(60);
    let owner = Address(key(1).public());
    let window = EpochWindow {
        epoch: 0,
        start_ms: 0,
        end_ms: 10_000,
    };
    let challenge = Hash::of(b"challenge");
    let issue = ProbeIssue {
        device: DeviceId(dev.public()),
        challenge,
        issued_ms: 2_000,
        deadline_ms: 2_500,
    };
    let mut reports: Vec<_> = (0..10)
        .map(|i| {
            report(
                Hash::ZERO,
                &dev,
                "backhaul",
                i * 1_000 + 500,
                0,
                i + 1,
                ReportBody::Heartbeat,
            )
        })
        .collect();
    // The device stamps its answer 10 ms after the challenge.
    reports.push(report(
        Hash::ZERO,
        &dev,
        "backhaul",
        2_010,
        0,
        20,
        ReportBody::ProbeAnswer { challenge },
    ));
    let family = Family::from_network("uptime", r#"{"heartbeat_interval_s": 1}"#).unwrap();
    let manifest = |received_ms: u64| {
        let batches = vec![
            (
                Hash::of(b"registry"),
                SpoolBatch::Registry(vec![RegistrySnapshot {
                    network: "backhaul".into(),
                    height: 0,
                    devices: vec![DeviceInfo {
                        id: DeviceId(dev.public()),
                        owner,
                        location: 0,
                        active: true,
                    }],
                }]),
            ),
            (Hash::of(b"probes"), SpoolBatch::Probes(vec![issue.clone()])),
            (Hash::of(b"reports"), SpoolBatch::Reports(reports.clone())),
            (
                Hash::of(b"answered"),
                SpoolBatch::Answered(vec![AnswerReceipt {
                    device: DeviceId(dev.public()),
                    challenge,
                    received_ms,
                }]),
            ),
        ];
        compute(
            &EpochSpec {
                chain: plinth_core::Hash::ZERO,
                network: "backhaul",
                family: &family,
                window,
                allowance: 1_000,
                usage_bps: 0,
                wasm: None,
            },
            batches,
        )
    };
    assert_eq!(manifest(2_100).header.total, 1_000, "received in time");
    assert_eq!(
        manifest(2_600).header.total,
        0,
        "received after the deadline"
    );
}

/// At ingest, an answer after the deadline is refused by the oracle's clock
/// whatever the report's timestamp, and challenges of an earlier run are not
/// outstanding again after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn late_answers_and_challenges_from_before_a_restart_are_refused() {
    let dev = key(61);
    let mut net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[("backhaul", &dev)],
        None,
        |_| {},
        // No probe rounds of its own during the test.
        |c| c.probe_interval = Duration::from_secs(3600),
    )
    .await;
    let id = DeviceId(dev.public());
    let only: std::collections::HashSet<_> = [id].into();
    let mut now = now_ms();
    while net.oracle.clock.window(net.clock().epoch_of(now)).end_ms - now < 1_500 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = now_ms();
    }
    let e = net.clock().epoch_of(now);
    let issued = net
        .oracle
        .probe_round(Hash::of(b"head"), now, Some(&only))
        .unwrap();
    let p = issued.iter().find(|p| p.device == id).unwrap().clone();
    // Stamped on time, received late.
    let answer = report(
        net.chain,
        &dev,
        "backhaul",
        p.issued_ms + 5,
        e,
        1,
        ReportBody::ProbeAnswer {
            challenge: p.challenge,
        },
    );
    let v = net
        .oracle
        .ingest(vec![answer.encode()], p.deadline_ms + 200);
    assert_eq!(v[0].code.as_deref(), Some("challenge_expired"), "{v:?}");

    // After a restart, a challenge of the earlier run is not outstanding,
    // even to a clock that claims the deadline has not passed.
    let mut later = now_ms();
    while net.oracle.clock.window(net.clock().epoch_of(later)).end_ms - later < 1_500 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        later = now_ms();
    }
    let e2 = net.clock().epoch_of(later);
    let issued = net
        .oracle
        .probe_round(Hash::of(b"head 2"), later, Some(&only))
        .unwrap();
    let p2 = issued.iter().find(|p| p.device == id).unwrap().clone();
    tokio::time::sleep(Duration::from_millis(
        (p2.deadline_ms + 50).saturating_sub(now_ms()),
    ))
    .await;
    net.restart_oracle().await;
    assert!(net.oracle.challenges_for(&id, p2.issued_ms).is_empty());
    let answer = report(
        net.chain,
        &dev,
        "backhaul",
        p2.issued_ms + 5,
        e2,
        2,
        ReportBody::ProbeAnswer {
            challenge: p2.challenge,
        },
    );
    let v = net.oracle.ingest(vec![answer.encode()], p2.issued_ms + 10);
    assert_eq!(v[0].code.as_deref(), Some("unknown_challenge"), "{v:?}");
}

async fn get_json(url: String) -> (u16, serde_json::Value) {
    tokio::task::spawn_blocking(move || match ureq::get(&url).call() {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    })
    .await
    .unwrap()
}

/// The spool of an epoch that may still take reports is not published (its
/// beacons and readings could be copied); once the epoch is closed it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_spool_of_an_open_epoch_is_not_published() {
    let net = Net::start(&[]).await;
    let e = net.clock().epoch_of(now_ms());
    let (status, body) = get_json(format!("{}/v1/spool/{e}", net.oracle_url)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "epoch_open");
    let zero = Hash::of(b"any batch");
    let (status, body) = get_json(format!("{}/v1/spool/{e}/{zero}", net.oracle_url)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "epoch_open");
    let (status, _) = get_json(format!("{}/v1/spool/{}", net.oracle_url, e + 5)).await;
    assert_eq!(status, 403, "a future epoch is open too");
    // Epochs whose window lies beyond a u64 are answered, not a dropped connection.
    for far in [u64::MAX, u64::MAX - 1] {
        let (status, body) = get_json(format!("{}/v1/spool/{far}", net.oracle_url)).await;
        assert_eq!(status, 403, "{body}");
        let (status, body) = get_json(format!("{}/v1/spool/{far}/{zero}", net.oracle_url)).await;
        assert_eq!(status, 403, "{body}");
    }
    let closes = net.oracle.clock.window(e).end_ms + 400;
    tokio::time::sleep(Duration::from_millis(closes.saturating_sub(now_ms()))).await;
    let (status, body) = get_json(format!("{}/v1/spool/{e}", net.oracle_url)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.is_array());
}

/// Storage endpoints that are (or resolve to) private addresses are not
/// contacted unless the genesis allows them; what a provider answers on error
/// is recorded as a short code only.
#[test]
fn private_storage_endpoints_are_not_contacted_and_errors_are_codes() {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = format!(
                r#"{{"error":{{"code":"{}","message":"{}"}}}}"#,
                "x".repeat(100),
                "internal details ".repeat(50)
            );
            let _ = write!(
                s,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let manifest = plinth_storage::Manifest {
        root: Hash::of(b"root"),
        size: 4096,
        chunk_size: 1024,
    };
    let deal = Hash::of(b"deal");
    let job = (
        deal,
        plinth_storage::StorageChallenge::derive(&Hash::of(b"seed"), &deal, 0, &manifest, 4),
    );
    let ask = |endpoint: String, allow_private: bool| {
        plinth_oracle::storage::ask_providers_checked(
            &[(Some(endpoint), vec![job.clone()])],
            Duration::from_secs(5),
            4,
            allow_private,
        )
        .pop()
        .unwrap()
    };
    for endpoint in [
        format!("http://127.0.0.1:{port}"),
        // A name that resolves to a private address (as a rebinding name would).
        format!("http://localhost:{port}"),
    ] {
        let a = ask(endpoint.clone(), false);
        assert!(a.proof.is_none());
        assert_eq!(a.error.as_deref(), Some("private_address"), "{endpoint}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a private endpoint was contacted"
    );
    // Allowed (devnet): contacted, and its error body is not copied.
    let a = ask(format!("http://127.0.0.1:{port}"), true);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(a.error.as_deref(), Some("refused_500"));
}
