use crate::common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `plinth devnet` with its oracle and fleet: epochs close, manifests reach the
/// ledger, owners' balances grow (the devnet claims for them), the wallet shows
/// rewards, and an audit of a closed epoch passes.
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

    let out = Command::new(bin())
        .args([
            "oracle",
            "audit",
            &epoch.to_string(),
            "--network",
            "weather",
            "--node",
            &net.url(),
            "--oracle",
            &oracle,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit ok"));
}
