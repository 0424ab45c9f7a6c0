use crate::common::*;
use plinth_core::Address;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn wallet_and_device_commands_against_a_live_devnet() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Devnet::start(&tmp.path().join("dn"), free_port());

    let list = net.ok(&["wallet", "list"]);
    assert!(list.contains("alice") && list.contains("bob"), "{list}");
    let bob_addr: Address = net
        .ok(&["wallet", "address", "bob"])
        .trim()
        .parse()
        .unwrap();
    let before = net.balance(&bob_addr);

    let out = net.ok(&["wallet", "transfer", "--from", "alice", "bob", "12.5"]);
    assert!(out.contains("committed"), "{out}");
    assert_eq!(net.balance(&bob_addr), before + 12_500_000);

    // A mistyped address is refused before anything is sent.
    let mut typo = bob_addr.to_string();
    typo.pop();
    typo.push(if bob_addr.to_string().ends_with('q') {
        'p'
    } else {
        'q'
    });
    let out = net.cli(&["wallet", "transfer", "--from", "alice", &typo, "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum"));

    // The balance with a verified state proof; history shows the transfer.
    let out = net.ok(&["wallet", "balance", "bob", "--proof"]);
    assert!(
        out.contains("1000012.5 PLN") && out.contains("proof verified"),
        "{out}"
    );
    let hist: serde_json::Value =
        serde_json::from_str(&net.ok(&["wallet", "history", "bob", "--json"])).unwrap();
    assert_eq!(hist[0]["tx"]["call"]["amount"], 12_500_000);

    // Devices: keygen, register (two signatures), show, list, move, transfer, retire.
    let key_file = tmp.path().join("dev.json");
    let id = net.ok(&["device", "keygen", "--out", key_file.to_str().unwrap()]);
    let id = id.lines().next().unwrap().trim().to_string();
    assert!(id.starts_with("pdev1"));
    net.ok(&[
        "device",
        "register",
        "--from",
        "alice",
        "--key",
        key_file.to_str().unwrap(),
        "--network",
        "weather",
        "--location",
        "52.52,13.40",
    ]);
    let show: serde_json::Value =
        serde_json::from_str(&net.ok(&["device", "show", &id, "--json"])).unwrap();
    assert_eq!(show["network"], "weather");
    assert_eq!(show["status"], "active");
    assert!((show["lat"].as_f64().unwrap() - 52.52).abs() < 0.01);
    let listed = net.ok(&["device", "list", "--owner", "alice"]);
    assert!(listed.contains(&id));
    // Unknown network is refused with its reason.
    let k2 = tmp.path().join("dev2.json");
    net.ok(&["device", "keygen", "--out", k2.to_str().unwrap()]);
    let out = net.cli(&[
        "device",
        "register",
        "--from",
        "alice",
        "--key",
        k2.to_str().unwrap(),
        "--network",
        "nope",
        "--location",
        "1,1",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown_network"));

    net.ok(&[
        "device",
        "update-location",
        "--from",
        "alice",
        &id,
        "--location",
        "-33.86,151.2",
    ]);
    net.ok(&["wallet", "bond", "--from", "alice", "--device", &id, "5"]);
    net.ok(&["device", "transfer", "--from", "alice", &id, "--to", "bob"]);
    net.ok(&["device", "retire", "--from", "bob", &id]);
    let show: serde_json::Value =
        serde_json::from_str(&net.ok(&["device", "show", &id, "--json"])).unwrap();
    assert_eq!(show["owner"], bob_addr.to_string());
    assert_eq!(show["status"], "retired");
    assert_eq!(show["stake"], 5_000_000);
    assert!(show["lat"].as_f64().unwrap() < -33.0);

    // Staking to the validator, then unbonding: the balances show each part.
    let validator = net
        .ok(&["wallet", "address", "validator"])
        .trim()
        .to_string();
    net.ok(&[
        "wallet",
        "bond",
        "--from",
        "carol",
        "--validator",
        &validator,
        "100",
    ]);
    net.ok(&[
        "wallet",
        "unbond",
        "--from",
        "carol",
        "--validator",
        &validator,
        "30",
    ]);
    let acct: serde_json::Value =
        serde_json::from_str(&net.ok(&["wallet", "balance", "carol", "--json"])).unwrap();
    assert_eq!(acct["bonded"], 70_000_000);
    assert_eq!(acct["unbonding"][0]["amount"], 30_000_000);
    let out = net.cli(&["wallet", "withdraw", "--from", "carol"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing_to_withdraw"));
}

#[test]
fn kill_9_during_transfers_loses_no_acknowledged_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_port();
    let mut net = Devnet::start(&dir, port);
    let alice = net.key("alice");
    let carol = Address(net.key("carol").public());
    let carol_before = net.balance(&carol);

    // Stream transfers; each one acknowledged (202) is recorded. Kill -9 mid-stream.
    let stop = Arc::new(AtomicBool::new(false));
    let url = net.url();
    let stop2 = stop.clone();
    let alice2 = alice.clone();
    let streamer = std::thread::spawn(move || {
        let mut acked = Vec::new();
        let mut nonce = 0u64;
        while !stop2.load(Ordering::SeqCst) {
            let tx = transfer(&alice2, nonce, carol, 1_000 + nonce);
            let r = ureq::post(&format!("{url}/v1/txs"))
                .send_json(serde_json::json!({"tx": hex::encode(tx.encode())}));
            match r {
                Ok(resp) if resp.status() == 202 => {
                    acked.push((tx.hash(), 1_000 + nonce));
                    nonce += 1;
                }
                Ok(resp) => panic!("unexpected status {}", resp.status()),
                Err(ureq::Error::Status(code, resp)) => {
                    panic!("refused {code}: {}", resp.into_string().unwrap_or_default())
                }
                Err(_) => break, // the node is gone
            }
        }
        acked
    });
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let reported = net.height();
    let reported_block = net.get(&format!("/v1/blocks/{reported}"));
    net.kill9();
    stop.store(true, Ordering::SeqCst);
    let acked = streamer.join().unwrap();
    assert!(
        acked.len() > 20,
        "only {} transfers acknowledged",
        acked.len()
    );

    // Restart: every reported block is there, unchanged, and the chain goes on.
    let net = Devnet::start(&dir, port);
    assert_eq!(
        net.get(&format!("/v1/blocks/{reported}"))["hash"],
        reported_block["hash"]
    );
    net.wait_height(reported + 3);

    // Every acknowledged transfer gets committed.
    let deadline = Instant::now() + Duration::from_secs(30);
    for (hash, _) in &acked {
        loop {
            let tx = net.get(&format!("/v1/txs/{hash}"));
            if tx["status"] == "committed" {
                break;
            }
            assert_eq!(tx["status"], "pending", "acknowledged {hash} was {tx}");
            assert!(
                Instant::now() < deadline,
                "acknowledged {hash} never committed"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Carol got every acknowledged amount; at most a transfer or two more whose
    // acknowledgement was cut off by the kill (durable but unacknowledged).
    let acked_sum: u64 = acked.iter().map(|(_, a)| a).sum();
    let alice_nonce = net.get(&format!("/v1/accounts/{}", Address(alice.public())))["nonce"]
        .as_u64()
        .unwrap();
    let committed_sum: u64 = (0..alice_nonce).map(|n| 1_000 + n).sum();
    assert!(alice_nonce >= acked.len() as u64);
    assert_eq!(net.balance(&carol), carol_before + committed_sum);
    assert!(committed_sum >= acked_sum);

    // Kill again, then replay every block from genesis: same state root.
    let mut net = net;
    let h = net.height();
    net.wait_height(h + 2);
    net.kill9();
    let out = std::process::Command::new(bin())
        .args(["replay", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("matches"));
}
