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
