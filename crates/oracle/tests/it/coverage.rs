//! Beacon rounds of a coverage network: drawn from the head block, spooled before
//! devices see them, served to devices, checked at ingest, kept across a restart.

use crate::common::*;
use plinth_core::{DeviceId, Hash};
use plinth_oracle::spool::SpoolBatch;
use plinth_proofs::{BeaconRound, Report, ReportBody, SignedReport};
use std::time::Duration;

fn get(url: &str) -> (u16, serde_json::Value) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or_default()),
        Err(e) => panic!("{url}: {e}"),
    }
}

async fn rounds(net: &Net) -> Vec<BeaconRound> {
    let url = format!("{}/v1/rounds/lora", net.oracle_url);
    let (status, body) = tokio::task::spawn_blocking(move || get(&url))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body["rounds"].clone()).unwrap()
}

fn beacon(net: &Net, key: &plinth_core::Keypair, seq: u64, round: u64, draw: Hash) -> SignedReport {
    let now = now_ms();
    Report {
        chain: net.chain,
        device: DeviceId(key.public()),
        network: "lora".into(),
        epoch: net.clock().epoch_of(now),
        timestamp_ms: now,
        seq,
        body: ReportBody::Beacon {
            round,
            draw,
            tx_power_centi_dbm: 2_700,
        },
    }
    .sign(key)
}

#[tokio::test(flavor = "multi_thread")]
async fn beacon_rounds_are_drawn_from_blocks_served_and_survive_a_restart() {
    let hotspot = key(10);
    let mut net = Net::start(&[("lora", &hotspot)]).await;

    // Rounds appear within a round's length (1 s) of the oracle starting.
    let mut drawn = Vec::new();
    for _ in 0..50 {
        drawn = rounds(&net).await;
        if !drawn.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = *drawn.last().expect("a round was drawn");
    assert_eq!(r.end_ms - r.start_ms, EPOCH_MS / 3);
    assert_eq!(r.round / 3, net.clock().epoch_of(r.start_ms));
    // The draw is the hash of the block at the recorded height.
    let url = format!("{}/v1/blocks/{}", net.node_url, r.height);
    let (status, block) = tokio::task::spawn_blocking(move || get(&url))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        block["hash"].as_str().unwrap(),
        r.draw.to_string(),
        "{block}"
    );

    // The round is in the spool of its epoch.
    let epoch = r.round / 3;
    let spooled: Vec<BeaconRound> = net
        .oracle
        .spool
        .batches(epoch)
        .unwrap()
        .iter()
        .filter_map(|h| match net.oracle.spool.read(epoch, h).unwrap() {
            SpoolBatch::Rounds(rs) => Some(rs),
            _ => None,
        })
        .flatten()
        .filter(|i| i.network == "lora")
        .map(|i| i.round)
        .collect();
    assert!(spooled.contains(&r), "{spooled:?}");

    // Ingest: a beacon must name a drawn round and its draw.
    let v = net
        .send(&[beacon(&net, &hotspot, 1, r.round, r.draw)])
        .await;
    assert_eq!(v[0]["status"], "accepted", "{v:?}");
    let v = net
        .send(&[beacon(&net, &hotspot, 2, r.round, Hash([1; 32]))])
        .await;
    assert_eq!(v[0]["code"], "unknown_round", "{v:?}");
    let v = net
        .send(&[beacon(&net, &hotspot, 3, r.round + 1_000, r.draw)])
        .await;
    assert_eq!(v[0]["code"], "unknown_round", "{v:?}");

    // Only coverage networks have rounds.
    let url = format!("{}/v1/rounds/weather", net.oracle_url);
    let (status, body) = tokio::task::spawn_blocking(move || get(&url))
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "unknown_network");

    // After a restart the oracle still knows the round (from its spool).
    net.restart_oracle().await;
    let after = rounds(&net).await;
    assert!(after.contains(&r), "{after:?}");
    let v = net
        .send(&[beacon(&net, &hotspot, 4, r.round, r.draw)])
        .await;
    assert_eq!(v[0]["status"], "accepted", "{v:?}");
}
