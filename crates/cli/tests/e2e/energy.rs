//! The devnet's neighbourhood (issue 18): fifty homes trade solar power on the
//! `solar` network; zones clear at one price, intervals settle against the
//! meters' readings, generation is certified and paid, and each cheater loses
//! over the intervals it cheats in (the night exporter's: the devnet's night).
use crate::common::*;
use plinth_devnet::energy::{homes, EnergyStrategy, CENTER, ENERGY_NETWORK};
use std::process::{Command, Stdio};

#[test]
fn the_neighbourhood_clears_settles_and_its_cheaters_lose() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_port();
    let oracle_port = free_port();
    let mqtt_port = free_port();
    let child = Command::new(bin())
        .args(["devnet", "--block-time", "250ms", "--epoch-time", "6s"])
        .args(["--devices", "10", "--rpc"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--oracle-http")
        .arg(format!("127.0.0.1:{oracle_port}"))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{mqtt_port}"))
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let net = Devnet::adopt(child, &dir, port);
    let market = format!("/v1/energy/{ENERGY_NETWORK}/market");
    let zone_res = net.get(&market)["params"]["zone_resolution"]
        .as_u64()
        .unwrap() as u8;
    let hs = homes(CENTER, zone_res).unwrap();
    let meter_of = |s: EnergyStrategy| hs.iter().find(|h| h.strategy == s).unwrap().meter();

    // Both zones clear at a price, with energy traded.
    until("both zones cleared with trades", 240, || {
        let m = net.get(&market);
        let traded = m["last_cleared"]
            .as_array()?
            .iter()
            .filter(|z| z["price"].as_u64() > Some(0) && z["volume_wh"].as_u64() > Some(0))
            .count();
        (traded == 2).then_some(())
    });
    // Intervals settle against the readings: energy delivered and paid for.
    until("a settled interval with delivered energy", 180, || {
        let cs = net.get(&format!("/v1/energy/{ENERGY_NETWORK}/clearings?limit=1000"));
        cs.as_array()?
            .iter()
            .any(|c| {
                c["settled"]["delivered_wh"].as_u64() > Some(0)
                    && c["settled"]["paid"].as_u64() > Some(0)
            })
            .then_some(())
    });
    // A consumer's standing bid: its settlements in the CLI.
    let consumer = hs
        .iter()
        .find(|h| h.capacity_w == 0 && h.strategy == EnergyStrategy::Honest)
        .unwrap();
    let settled: serde_json::Value = until("a consumer's paid settlement", 120, || {
        let out = net.ok(&[
            "energy",
            "settlements",
            &consumer.meter().to_string(),
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).ok()?;
        v.as_array()?
            .iter()
            .any(|t| t["paid"].as_u64() > Some(0))
            .then_some(v)
    });
    assert!(settled
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["side"] == "bid"));

    // The cheaters: the over-seller and the two-zone seller's panel-less meter
    // pay for what they did not deliver; the clone's second readings are refused.
    let penalised = |id: plinth_core::DeviceId| {
        let ts = net.get(&format!("/v1/energy/meters/{id}/trades?limit=1000"));
        ts.as_array()
            .is_some_and(|a| a.iter().any(|t| t["penalty"].as_u64() > Some(0)))
    };
    until("the over-seller penalised", 120, || {
        penalised(meter_of(EnergyStrategy::OverSeller)).then_some(())
    });
    until("the two-zone seller's second meter penalised", 120, || {
        penalised(hs[50].meter()).then_some(())
    });
    let clone = net.get(&format!(
        "/v1/energy/meters/{}",
        meter_of(EnergyStrategy::Cloned)
    ));
    assert!(clone["refused"].as_u64() > Some(0), "{clone}");
    assert_eq!(clone["last_refusal"]["code"], "conflicting_reading");

    // Verified generation is certified…
    until("a certificate", 180, || {
        let cs = net.get("/v1/energy/certificates?limit=10");
        (!cs.as_array()?.is_empty()).then_some(())
    });
    let certs = net.ok(&["energy", "certificates", "list", "--json"]);
    assert!(certs.contains("\"wh\": 50"), "{certs}");
    // …and paid by the network's manifests: an epoch with generation has a
    // manifest on the ledger paying it.
    until("a manifest paying verified generation", 180, || {
        let head = net.get("/v1/status")["epoch"].as_u64()?;
        (1..head).rev().take(30).find(|e| {
            let g = net.get(&format!("/v1/energy/{ENERGY_NETWORK}/generation/{e}"));
            let has = g.as_array().is_some_and(|a| !a.is_empty());
            let url = format!("{}/v1/rewards/{ENERGY_NETWORK}/{e}", net.url());
            has && get_json(&url).is_some_and(|r| r["header"]["total"].as_u64() > Some(0))
        })
    });

    // What cheating gained each cheater — what its meters were paid minus what
    // their deviations cost, over the intervals in which it cheated — is
    // negative; the honest homes come out ahead. The night exporter cheats only
    // at night (by day it is an honest home): the devnet's sun sets in interval
    // 7, and its first night sale settles about four minutes in.
    let node = plinth_api::NodeClient::new(&net.url());
    let gains = until("the night exporter's night sales settled", 300, || {
        let g = plinth_devnet::energy::gains(&node, &hs).ok()?;
        let done = g[&EnergyStrategy::NightExporter].cheating_intervals > 0;
        if !done {
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        done.then_some(g)
    });
    eprintln!(
        "gains by strategy: {}",
        serde_json::to_string(&gains).unwrap()
    );
    for s in [
        EnergyStrategy::NightExporter,
        EnergyStrategy::OverSeller,
        EnergyStrategy::TwoZone,
        EnergyStrategy::Cloned,
    ] {
        let g = gains[&s];
        assert!(
            g.cheating < 0 && g.cheating_intervals > 0,
            "{s:?} gained {g:?}"
        );
    }
    assert!(gains[&EnergyStrategy::Honest].total > 0, "{gains:?}");
    let m = net.ok(&["energy", "market", ENERGY_NETWORK]);
    assert!(m.contains("balancing"), "{m}");
}
