use crate::common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `plinth devnet` with its oracle and fleet: epochs close, manifests reach the
/// ledger, owners' balances grow (the devnet claims for them), the wallet shows
/// rewards, and an audit of a closed epoch passes, for built-in families and
/// custom (WebAssembly) ones.
#[test]
fn devnet_pays_rewards_that_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_port();
    let oracle_port = free_port();
    let mqtt_port = free_port();
    let child = Command::new(bin())
        .args([
            "devnet",
            "--block-time",
            "250ms",
            "--epoch-time",
            "6s",
            "--devices",
            "30",
            "--rpc",
        ])
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
    let oracle = format!("http://127.0.0.1:{oracle_port}");
    let alice: plinth_core::Address = net
        .ok(&["wallet", "address", "alice"])
        .trim()
        .parse()
        .unwrap();
    let start_balance = net.balance(&alice);

    // Within a few epochs manifests are on the ledger and alice's balance has grown
    // by claimed weather rewards (the devnet claims for the fleet's owners).
    let deadline = Instant::now() + Duration::from_secs(120);
    let epoch = loop {
        assert!(
            Instant::now() < deadline,
            "no claimed weather rewards for alice within 120 s"
        );
        std::thread::sleep(Duration::from_millis(1000));
        let rows: serde_json::Value = serde_json::from_str(
            &net.ok(&["wallet", "rewards", "alice", "--oracle", &oracle, "--json"]),
        )
        .unwrap();
        let claimed = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["network"] == "weather" && r["claimed"] == true)
            .cloned();
        if let Some(r) = claimed {
            break r["epoch"].as_u64().unwrap();
        }
    };
    assert!(
        net.balance(&alice) > start_balance,
        "claims did not raise alice's balance"
    );
    // Exactly: alice's balance is the start plus every claimed manifest amount,
    // less one minimum fee per transaction she signed (the fleet's registrations of
    // her devices and the claims). Claims keep landing every few seconds, so
    // compare a consistent set of readings.
    let min_fee = net.get("/v1/status")["min_fee"].as_u64().unwrap();
    let genesis = net.get("/v1/genesis");
    let genesis_balance = genesis["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == alice.to_string())
        .unwrap()["balance"]
        .as_u64()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let claimed = |net: &Devnet| -> (u64, u64) {
            let rows: serde_json::Value = serde_json::from_str(
                &net.ok(&["wallet", "rewards", "alice", "--oracle", &oracle, "--json"]),
            )
            .unwrap();
            let c: Vec<u64> = rows
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["claimed"] == true)
                .map(|r| r["amount"].as_u64().unwrap())
                .collect();
            (c.iter().sum(), c.len() as u64)
        };
        let before = claimed(&net);
        let acct = net.get(&format!("/v1/accounts/{alice}"));
        let after = claimed(&net);
        if before == after && acct["next_nonce"] == acct["nonce"] {
            let (sum, n) = after;
            let signed = acct["nonce"].as_u64().unwrap();
            assert_eq!(
                acct["balance"].as_u64().unwrap(),
                genesis_balance + sum - signed * min_fee,
                "{n} claims of {sum}, {signed} transactions signed"
            );
            break;
        }
        assert!(Instant::now() < deadline, "claims never settled");
    }
    assert!(net.get("/v1/supply")["minted"].as_u64().unwrap() > 0);
    let out = net.ok(&["wallet", "rewards", "alice", "--oracle", &oracle]);
    assert!(out.contains("weather"), "{out}");

    audit(&net, &oracle, "weather", epoch);

    // The coverage network: hotspots beacon and witness; an epoch's manifest pays
    // them, its rewards are claimed, and the audit (which also checks each beacon
    // round's draw against the chain) passes.
    let deadline = Instant::now() + Duration::from_secs(90);
    let lora_epoch = loop {
        assert!(
            Instant::now() < deadline,
            "no claimed coverage rewards within 90 s"
        );
        let mut found = None;
        for who in ["alice", "bob", "carol", "dave", "erin"] {
            let rows: serde_json::Value = serde_json::from_str(
                &net.ok(&["wallet", "rewards", who, "--oracle", &oracle, "--json"]),
            )
            .unwrap();
            found = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["network"] == "lora" && r["claimed"] == true)
                .and_then(|r| r["epoch"].as_u64());
            if found.is_some() {
                break;
            }
        }
        if let Some(e) = found {
            break e;
        }
        std::thread::sleep(Duration::from_millis(1000));
    };
    let on_chain = net.get(&format!("/v1/rewards/lora/{lora_epoch}"));
    assert!(
        on_chain["header"]["total"].as_u64().unwrap() > 0,
        "{on_chain}"
    );
    let manifest: serde_json::Value =
        ureq::get(&format!("{oracle}/v1/manifests/lora/{lora_epoch}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
    assert!(
        manifest["batches"].as_array().unwrap().len() >= 2,
        "reports and rounds at least: {manifest}"
    );
    audit(&net, &oracle, "lora", lora_epoch);

    // Parity over recorded devnet epochs: the devnet's oracle records each
    // epoch's family input; `sensor.wasm` (the native sensor family written as
    // WebAssembly) scores every recorded weather epoch, and the exact split of
    // the epoch's allowance by those scores is what the native manifest the
    // ledger paid: the same amount for every device, the same root.
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/../families/sensor.wasm");
    let recorded = dir.join("oracle/family-inputs/weather");
    let run = Command::new(bin())
        .args(["family", "test", module, "--json", "--inputs"])
        .arg(&recorded)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let mut compared = 0;
    for e in out["epochs"].as_array().unwrap() {
        let file = e["file"].as_str().unwrap();
        let epoch: u64 = file.trim_end_matches(".input").parse().unwrap();
        let Some(on_ledger) = get_opt(&format!("{}/v1/rewards/weather/{epoch}", net.url())) else {
            continue; // not paid yet
        };
        assert!(e["error"].is_null(), "{file}: {e}");
        let scores: std::collections::BTreeMap<plinth_core::DeviceId, u64> =
            serde_json::from_value(e["scores"].clone()).unwrap();
        let networks = net.get(&format!("/v1/networks?epoch={epoch}"));
        let allowance = networks
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "weather")
            .and_then(|n| n["allowance"].as_u64())
            .unwrap();
        let paid = plinth_oracle::epoch::split_rewards(allowance, 0, &scores, &Default::default());
        let published: Vec<plinth_ledger::ManifestEntry> = serde_json::from_value(
            ureq::get(&format!("{oracle}/v1/manifests/weather/{epoch}"))
                .call()
                .unwrap()
                .into_json::<serde_json::Value>()
                .unwrap()["entries"]
                .clone(),
        )
        .unwrap();
        let native: std::collections::BTreeMap<_, _> =
            published.iter().map(|x| (x.device, x.amount)).collect();
        let wasm: std::collections::BTreeMap<_, _> =
            paid.into_iter().filter(|(_, a)| *a > 0).collect();
        assert_eq!(
            wasm, native,
            "weather epoch {epoch}: sensor.wasm and the native family differ"
        );
        // The manifest the WebAssembly scores make (the owners are the registry's).
        let from_wasm: Vec<plinth_ledger::ManifestEntry> = published
            .iter()
            .map(|x| plinth_ledger::ManifestEntry {
                amount: wasm[&x.device],
                ..*x
            })
            .collect();
        let root = plinth_ledger::rewards::manifest_root(&from_wasm);
        assert_eq!(
            on_ledger["header"]["root"].as_str().unwrap(),
            root.to_string(),
            "epoch {epoch}"
        );
        compared += 1;
    }
    assert!(
        compared >= 2,
        "{compared} recorded weather epochs compared: {out}"
    );

    // The custom (WebAssembly) families: the vehicles and mapping networks run
    // modules stored on the ledger at genesis; an epoch of each is paid (its
    // honest cars and corroborated dashcams scored by the module) and audits,
    // which re-runs the module over the published spool and the state the
    // previous epoch left.
    for network in ["vehicles", "mapping"] {
        let epoch = paid_epoch_after_first(&net, network, 90);
        audit(&net, &oracle, network, epoch);
    }

    // Bursts: the devnet's keeper posted two on the mapping network, one on the
    // hex the honest dashcams were about to drive through (paid to them by the
    // first manifest awarding it), one 80 km away (refunded after its window).
    let deadline = Instant::now() + Duration::from_secs(120);
    let (paid, refunded) = loop {
        let list: serde_json::Value =
            serde_json::from_str(&net.ok(&["burst", "list", "--network", "mapping", "--json"]))
                .unwrap();
        let of = |credits: u64, status: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|b| b["credits"] == credits && b["status"]["status"] == status)
                .cloned()
        };
        if let (Some(p), Some(r)) = (of(5_000, "paid"), of(1_000, "refunded")) {
            break (p, r);
        }
        assert!(
            Instant::now() < deadline,
            "the demo bursts were not paid and refunded within 120 s: {list}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    let award_epoch = paid["status"]["epoch"].as_u64().unwrap();
    let devices: Vec<String> = paid["status"]["paid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap().to_string())
        .collect();
    assert!(!devices.is_empty() && devices.len() <= 3, "{paid}");
    // The award is in the oracle's manifest of that epoch, under its root.
    let tag = paid["tag"].as_u64().unwrap();
    assert_eq!(paid["tag_hex"], format!("{tag:x}"));
    let proof = get_json(&format!(
        "{oracle}/v1/manifests/mapping/{award_epoch}/awards/{tag}"
    ))
    .expect("the award of the paid burst's hex");
    let awarded: Vec<&str> = proof["award"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(awarded, devices);
    assert!(refunded["status"]["height"].as_u64().is_some());
    let show = net.ok(&["burst", "show", paid["id"].as_str().unwrap()]);
    assert!(show.contains("paid at height"), "{show}");
    // The credits are the mappers' earnings: a later mapping manifest pays them
    // a usage reward.
    let deadline = Instant::now() + Duration::from_secs(60);
    'usage: loop {
        assert!(
            Instant::now() < deadline,
            "no mapping manifest paid the burst's credits as usage within 60 s"
        );
        for e in award_epoch..award_epoch + 12 {
            let Some(m) = get_opt(&format!("{oracle}/v1/manifests/mapping/{e}")) else {
                continue;
            };
            let Some(usage) = m["usage"].as_object() else {
                continue;
            };
            if devices.iter().any(|d| usage.contains_key(d)) {
                let paid_to: Vec<&str> = m["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["device"].as_str().unwrap())
                    .collect();
                assert!(devices.iter().any(|d| paid_to.contains(&d.as_str())));
                break 'usage;
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    // Credits: the devnet oracle's price feed posts $0.50; alice burns 2 tokens
    // ($1.00 = 100,000 credits of $0.00001) and delegates 1,000 to bob.
    let deadline = Instant::now() + Duration::from_secs(30);
    while net.get("/v1/price")["fresh"] != true {
        assert!(Instant::now() < deadline, "no fresh price within 30 s");
        std::thread::sleep(Duration::from_millis(500));
    }
    let burned_before = net.get("/v1/supply")["burned"].as_u64().unwrap();
    net.ok(&["wallet", "credits", "buy", "--from", "alice", "2"]);
    let c: serde_json::Value =
        serde_json::from_str(&net.ok(&["wallet", "credits", "balance", "alice", "--json"]))
            .unwrap();
    assert_eq!(
        (c["own"].as_u64(), c["delegated"].as_u64()),
        (Some(100_000), Some(0))
    );
    net.ok(&[
        "wallet", "credits", "delegate", "--from", "alice", "bob", "1000",
    ]);
    let out = net.ok(&["wallet", "credits", "balance", "bob"]);
    assert!(out.contains("delegated 1000"), "{out}");
    // Bob cannot pass delegated credits on.
    let out = net.cli(&[
        "wallet", "credits", "delegate", "--from", "bob", "carol", "1",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("insufficient credits"));
    // The supply: 2 tokens burned, and per epoch, minted by rewards and burned.
    let s: serde_json::Value =
        serde_json::from_str(&net.ok(&["wallet", "supply", "--json"])).unwrap();
    assert_eq!(
        s["supply"]["burned"].as_u64().unwrap(),
        burned_before + 2_000_000
    );
    let epochs = s["epochs"].as_array().unwrap();
    assert!(
        epochs
            .iter()
            .any(|e| e["burned"].as_u64() >= Some(2_000_000)),
        "{s}"
    );
    assert!(epochs.iter().any(|e| e["minted"].as_u64() > Some(0)), "{s}");
    let out = net.ok(&["wallet", "supply"]);
    // Whole tokens: 2 burned here, and the devnet's demo storage deals bought
    // their credits with a whole number of tokens.
    let burned = burned_before + 2_000_000;
    assert_eq!(burned % 1_000_000, 0);
    assert!(
        out.contains(&format!("burned {}", burned / 1_000_000)) && out.contains("net"),
        "{out}"
    );
}

/// `plinth oracle audit EPOCH --network NETWORK` must pass.
pub fn audit(net: &Devnet, oracle: &str, network: &str, epoch: u64) {
    let out = Command::new(bin())
        .args([
            "oracle",
            "audit",
            &epoch.to_string(),
            "--network",
            network,
            "--node",
            &net.url(),
            "--oracle",
            oracle,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit of {network} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit ok"));
}
