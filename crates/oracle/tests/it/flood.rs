//! The oracle's HTTP API under a flood: per-route concurrency limits (503 JSON
//! `busy`), `/v1/manifests` paging, `/v1/rewards` from an index, and an epoch
//! that closes on time while requests pour in.

use crate::common::*;
use plinth_core::Address;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn get(url: &str) -> (u16, serde_json::Value) {
    match ureq::get(url).timeout(Duration::from_secs(10)).call() {
        Ok(r) => (r.status(), r.into_json().unwrap_or_default()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or_default()),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// A bounded flood (16 clients, at most 300 requests each, at most a few
/// seconds) on 127.0.0.1 while an epoch closes: the epoch still closes on time,
/// every answer is JSON (200, or 503 `busy`), reward claims come from the index
/// (they survive the manifest files going away), `/v1/manifests` pages, and a
/// route whose permits are all held answers 503 `busy` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bounded_flood_does_not_delay_the_epoch_close() {
    let devs: Vec<_> = (60..63u8).map(key).collect();
    let regs: Vec<(&str, &plinth_core::Keypair)> = devs.iter().map(|d| ("weather", d)).collect();
    let net = Net::start(&regs).await;
    let clock = net.clock();
    let e = clock.epoch_of(now_ms()) + 1;
    let start = net.genesis_time_ms + e * EPOCH_MS;
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()) + 50)).await;
    let now = now_ms();
    let reports: Vec<_> = devs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            report(
                net.chain,
                d,
                "weather",
                now,
                e,
                1,
                reading(20_000 + i as i64 * 10),
            )
        })
        .collect();
    for v in net.send(&reports).await {
        assert_eq!(v["status"], "accepted", "{v}");
    }

    // Flood from before the epoch ends until its manifest is out (bounded).
    let owner = Address(net.owner.public());
    let urls = Arc::new(vec![
        format!("{}/v1/rewards/{owner}", net.oracle_url),
        format!("{}/v1/manifests", net.oracle_url),
        format!("{}/v1/status", net.oracle_url),
        format!(
            "{}/v1/challenges/{}",
            net.oracle_url,
            plinth_core::DeviceId(devs[0].public())
        ),
    ]);
    let stop_at = Instant::now() + Duration::from_millis(EPOCH_MS + 3_000);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..16)
        .map(|c| {
            let (urls, done, ok, busy) = (urls.clone(), done.clone(), ok.clone(), busy.clone());
            std::thread::spawn(move || {
                for i in 0..300usize {
                    if done.load(Ordering::SeqCst) || Instant::now() > stop_at {
                        break;
                    }
                    let (status, body) = get(&urls[(c + i) % urls.len()]);
                    match status {
                        200 => ok.fetch_add(1, Ordering::SeqCst),
                        503 => {
                            assert_eq!(body["error"]["code"], "busy", "{body}");
                            busy.fetch_add(1, Ordering::SeqCst)
                        }
                        s => panic!("{s}: {body}"),
                    };
                }
            })
        })
        .collect();
    // The closer starts within a second of the end plus the grace period;
    // closing three readings takes well under a second more.
    let due = net.oracle.clock.window(e).end_ms + 300;
    let deadline = due + 3_000;
    while net.oracle.manifest("weather", e).unwrap().is_none() {
        assert!(
            now_ms() < deadline,
            "epoch {e} not closed by {deadline} under load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("a flood client failed");
    }
    assert!(ok.load(Ordering::SeqCst) > 0);

    // Claims are served from the index built as epochs close: they are there
    // without re-reading the manifests (gone from disk here).
    let url = net.oracle_url.clone();
    let claims = tokio::task::spawn_blocking(move || get(&format!("{url}/v1/rewards/{owner}")))
        .await
        .unwrap();
    assert_eq!(claims.0, 200);
    let n_claims = claims.1.as_array().unwrap().len();
    assert!(n_claims >= 1, "{}", claims.1);
    std::fs::remove_dir_all(net.dir.path().join("oracle").join("manifests")).unwrap();
    let url = net.oracle_url.clone();
    let again = tokio::task::spawn_blocking(move || get(&format!("{url}/v1/rewards/{owner}")))
        .await
        .unwrap();
    assert_eq!(again.1.as_array().unwrap().len(), n_claims);

    // Paging: one manifest per page, the next page after the last one seen.
    let url = net.oracle_url.clone();
    let pages = tokio::task::spawn_blocking(move || {
        let all = get(&format!("{url}/v1/manifests")).1;
        let first = get(&format!("{url}/v1/manifests?limit=1")).1;
        let after = format!(
            "{}:{}",
            first[0]["epoch"],
            first[0]["network"].as_str().unwrap()
        );
        let second = get(&format!("{url}/v1/manifests?limit=1&after={after}")).1;
        let bad = get(&format!("{url}/v1/manifests?limit=0"));
        let past = get(&format!("{url}/v1/manifests?after={}", u64::MAX));
        // Any run of digits is a cursor (the documented pattern), beyond u64 too;
        // anything else is a 400.
        let beyond = get(&format!(
            "{url}/v1/manifests?after=78187332488686564039:-&limit=11"
        ));
        let junk = get(&format!("{url}/v1/manifests?after=x1"));
        (all, first, second, bad, past, beyond, junk)
    })
    .await
    .unwrap();
    let (all, first, second, bad, past, beyond, junk) = pages;
    assert_eq!(beyond.0, 200, "{}", beyond.1);
    assert_eq!(beyond.1.as_array().unwrap().len(), 0);
    assert_eq!(
        (junk.0, junk.1["error"]["code"].as_str()),
        (400, Some("bad_after"))
    );
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());
    assert_eq!(first.as_array().unwrap().len(), 1);
    assert_eq!(first[0], all[0]);
    if all.len() > 1 {
        assert_eq!(second.as_array().unwrap().len(), 1);
        assert_eq!(second[0], all[1]);
    } else {
        assert!(second.as_array().unwrap().is_empty());
    }
    assert_eq!(bad.0, 400);
    assert_eq!(bad.1["error"]["code"], "bad_limit");
    assert_eq!(past.1.as_array().unwrap().len(), 0);

    // Hold every permit of /v1/reports with requests whose bodies never finish:
    // the next request is refused at once with a JSON 503.
    let addr = net.oracle_url.trim_start_matches("http://").to_string();
    let held: Vec<std::net::TcpStream> = (0..plinth_oracle::http::MAX_REPORT_REQUESTS_IN_FLIGHT)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            write!(
                s,
                "POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"reports\":"
            )
            .unwrap();
            s
        })
        .collect();
    let (status, body) = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(300));
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let body = br#"{"reports":[]}"#;
        write!(
            s,
            "POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        let status: u16 = answer[9..12].parse().unwrap();
        let json = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, json)
    })
    .await
    .unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"busy\""), "{body}");
    drop(held);
}
