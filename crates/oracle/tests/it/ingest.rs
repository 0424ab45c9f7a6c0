use crate::common::*;
use plinth_core::Hash;
use plinth_proofs::ReportBody;

fn code(v: &serde_json::Value) -> &str {
    v["code"].as_str().unwrap_or("accepted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rejection_reason_through_http() {
    let sensor = key(10);
    let other_net = key(11);
    let retired = key(12);
    let stranger = key(13);
    let mut net = Net::start(&[
        ("weather", &sensor),
        ("backhaul", &other_net),
        ("weather", &retired),
    ])
    .await;
    // Retire one device on the ledger.
    let tx = plinth_ledger::Transaction {
        chain_id: "oracle-test".into(),
        signer: plinth_core::Address(net.owner.public()),
        nonce: 3,
        fee: 10,
        call: plinth_ledger::Call::RetireDevice {
            device: plinth_core::DeviceId(retired.public()),
        },
    }
    .sign(&net.owner);
    net.node
        .submit(vec![tx.encode()])
        .await
        .pop()
        .unwrap()
        .unwrap();
    wait_until(|| net.node.mempool_len() == 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await; // registry refresh

    let clock = net.clock();
    // Early in an epoch (the tests' epochs last 3 s): the reports below are made
    // now and sent a few requests later, which on a slow machine can let a
    // report made at an epoch's end find it closed (`epoch_closed`).
    let (now, e) = net.epoch_with_room(2_000).await;
    let good = report(net.chain, &sensor, "weather", now, e, 1, reading(20_000));

    // Whole-request problems.
    let (status, body) = net.post_reports(vec!["zz".into()]).await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["code"], "malformed");
    let url = format!("{}/v1/reports", net.oracle_url);
    let (status, body) =
        tokio::task::spawn_blocking(move || match ureq::post(&url).send_string("{nope") {
            Err(ureq::Error::Status(c, r)) => (c, r.into_json::<serde_json::Value>().unwrap()),
            other => panic!("{other:?}"),
        })
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "malformed_json");

    let mut forged = good.clone();
    forged.signature = stranger.sign(&good.report.signing_bytes());
    let cases = vec![
        (good.clone(), "accepted"),
        (good.clone(), "duplicate"),
        (
            report(net.chain, &sensor, "weather", now, e, 1, reading(20_001)),
            "replay",
        ),
        (
            report(net.chain, &sensor, "nonet", now, e, 5, reading(1)),
            "unknown_network",
        ),
        (
            report(net.chain, &stranger, "weather", now, e, 1, reading(1)),
            "unknown_device",
        ),
        (
            report(net.chain, &other_net, "weather", now, e, 1, reading(1)),
            "wrong_network",
        ),
        (
            report(net.chain, &retired, "weather", now, e, 1, reading(1)),
            "inactive_device",
        ),
        (forged, "bad_signature"),
        // Validly signed, but for a look-alike chain (same chain_id string,
        // another genesis): it cannot be replayed here.
        (
            report(
                net.lookalike_chain(),
                &sensor,
                "weather",
                now,
                e,
                13,
                reading(1),
            ),
            "wrong_chain",
        ),
        (
            report(
                net.chain,
                &sensor,
                "weather",
                now - 60_000,
                clock.epoch_of(now - 60_000),
                10,
                reading(1),
            ),
            "stale",
        ),
        (
            report(
                net.chain,
                &sensor,
                "weather",
                now + 60_000,
                clock.epoch_of(now + 60_000),
                11,
                reading(1),
            ),
            "from_future",
        ),
        // Timestamps and epochs at the end of a u64 are refused, not overflowed.
        (
            report(
                net.chain,
                &sensor,
                "weather",
                u64::MAX,
                clock.epoch_of(u64::MAX),
                14,
                reading(1),
            ),
            "from_future",
        ),
        (
            report(net.chain, &sensor, "weather", now, u64::MAX, 15, reading(1)),
            "wrong_epoch",
        ),
        (
            report(net.chain, &sensor, "weather", now, e + 1, 12, reading(1)),
            "wrong_epoch",
        ),
        (
            report(
                net.chain,
                &other_net,
                "backhaul",
                now,
                e,
                2,
                ReportBody::ProbeAnswer {
                    challenge: Hash::of(b"never issued"),
                },
            ),
            "unknown_challenge",
        ),
    ];
    for (r, want) in &cases {
        let v = net.send(std::slice::from_ref(r)).await;
        assert_eq!(code(&v[0]), *want, "{}", v[0]);
        if *want != "accepted" {
            assert!(v[0]["reason"].as_str().unwrap().len() > 5);
        }
    }
    // Oversized report bytes.
    let v = net.post_reports(vec!["00".repeat(5_000)]).await.1;
    assert_eq!(v["results"][0]["code"], "too_large");

    // Counted in metrics by reason.
    let url = format!("{}/metrics", net.oracle_url);
    let metrics =
        tokio::task::spawn_blocking(move || ureq::get(&url).call().unwrap().into_string().unwrap())
            .await
            .unwrap();
    for (_, want) in &cases[1..] {
        assert!(
            metrics.contains(&format!("reason=\"{want}\"")),
            "{want} missing from metrics"
        );
    }
    // Every report answered was taken off the ingest queue; the data
    // directory's filesystem is measured at each scrape.
    assert!(
        metrics.contains("plinth_oracle_ingest_queue_reports 0\n"),
        "{metrics}"
    );
    let gauge = |name: &str| -> i64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing from {metrics}"));
        line[name.len() + 1..].parse().unwrap()
    };
    let (free, size) = (
        gauge("plinth_oracle_data_dir_available_bytes"),
        gauge("plinth_oracle_data_dir_size_bytes"),
    );
    assert!(0 < free && free <= size, "{free} of {size}");

    // The accepted report is durable: after a restart of the oracle it is still in
    // the spool and still refused as a duplicate.
    let spooled: Vec<_> = net
        .oracle
        .spool
        .batches(e)
        .unwrap()
        .iter()
        .flat_map(|h| match net.oracle.spool.read(e, h).unwrap() {
            plinth_oracle::spool::SpoolBatch::Reports(r) => r,
            _ => vec![],
        })
        .collect();
    assert_eq!(
        spooled,
        vec![good.clone()],
        "exactly the accepted report is spooled"
    );
    // The restarted oracle takes reports for 30 s after an epoch's end, so that
    // the resent report's 3 s epoch is still open however slow the machine
    // (a closed epoch is answered `epoch_closed` before duplicates are looked at).
    net.stop_oracle().await;
    net.resume_oracle(|cfg| cfg.close_grace = std::time::Duration::from_secs(31))
        .await;
    let v = net.send(&[good]).await;
    assert_eq!(code(&v[0]), "duplicate", "{}", v[0]);
    let v = net
        .send(&[report(
            net.chain,
            &sensor,
            "weather",
            now_ms(),
            clock.epoch_of(now_ms()),
            1,
            reading(20_002),
        )])
        .await;
    assert_eq!(
        code(&v[0]),
        "replay",
        "sequence numbers survive a restart: {}",
        v[0]
    );
}

/// Reports refused at ingest are published with the epoch's manifest, by reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_binary_body_gets_the_verdicts_a_json_body_gets() {
    use plinth_oracle::http::{frame_reports, MAX_REPORTS, REPORTS_BINARY};
    let sensor = key(10);
    let stranger = key(13);
    let net = Net::start(&[("weather", &sensor)]).await;
    let (now, e) = net.epoch_with_room(2_000).await;
    let mk = |seq, milli| report(net.chain, &sensor, "weather", now, e, seq, reading(milli));
    let (first, second) = (mk(1, 20_000), mk(2, 20_500));
    let mut forged = mk(3, 1);
    forged.signature = stranger.sign(&forged.report.signing_bytes());
    let frames: Vec<Vec<u8>> = vec![
        first.encode(),
        vec![1, 2, 3],
        forged.encode(),
        vec![0; 5_000],
        second.encode(),
        first.encode(),
    ];
    // Parameters after the type are allowed.
    let (status, body) = net
        .post_body(frame_reports(&frames), &format!("{REPORTS_BINARY}; v=1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 2);
    let v = body["results"].as_array().unwrap();
    let codes: Vec<&str> = v.iter().map(code).collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "malformed",
            "bad_signature",
            "too_large",
            "accepted",
            "duplicate"
        ]
    );
    // The hashes are the reports' own, as the JSON body's are.
    assert_eq!(v[0]["hash"], first.hash().to_string());
    assert_eq!(v[4]["hash"], second.hash().to_string());
    assert_eq!(v[2]["hash"], forged.hash().to_string());
    assert!(v[1].get("hash").is_none());
    let json = net.send(std::slice::from_ref(&second)).await;
    assert_eq!(code(&json[0]), "duplicate");
    assert_eq!(json[0]["hash"], v[4]["hash"]);

    // A body that ends inside a frame is refused whole, and nothing in it counts.
    let third = mk(4, 21_000);
    let mut cut = frame_reports(&[third.encode()]);
    cut.pop();
    let (status, body) = net.post_body(cut, REPORTS_BINARY).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "malformed_body");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ends inside report 0"));
    let (status, body) = net.post_body(vec![7, 0, 0], REPORTS_BINARY).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &"malformed_body".into())
    );
    assert_eq!(
        code(&net.send(std::slice::from_ref(&third)).await[0]),
        "accepted"
    );
    // More reports than a request may carry.
    let empty: Vec<Vec<u8>> = vec![vec![]; MAX_REPORTS + 1];
    let (status, body) = net.post_body(frame_reports(&empty), REPORTS_BINARY).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_many_reports");
    // An empty body is an empty list.
    let (status, body) = net.post_body(vec![], REPORTS_BINARY).await;
    assert_eq!((status, &body["accepted"]), (200, &0.into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_are_published_with_the_epochs_manifest() {
    let sensor = key(14);
    let stranger = key(15);
    let net = Net::start(&[("weather", &sensor)]).await;
    // Not in the last second of an epoch, so the reports land before it closes.
    let (now, e) = net.epoch_with_room(1_000).await;
    let good = report(net.chain, &sensor, "weather", now, e, 1, reading(20_000));
    let mut forged = report(net.chain, &sensor, "weather", now, e, 2, reading(20_000));
    forged.signature = stranger.sign(&forged.report.signing_bytes());
    let v = net.send(&[good.clone(), good, forged]).await;
    assert_eq!(v[0]["status"], "accepted");
    wait_until(|| net.oracle.manifest("weather", e).unwrap().is_some()).await;
    let m = net.oracle.manifest("weather", e).unwrap().unwrap();
    assert_eq!(m.rejected.get("duplicate"), Some(&1), "{:?}", m.rejected);
    assert_eq!(
        m.rejected.get("bad_signature"),
        Some(&1),
        "{:?}",
        m.rejected
    );
}
