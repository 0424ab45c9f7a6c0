//! A 4-validator testnet of real `plinth node` processes on loopback: transfers
//! submitted to different validators, one validator SIGKILLed and restarted; every
//! validator ends with the same blocks, state root and balances. Then the admin
//! swaps a validator for the spare node through the wallet.

use crate::common::{bin, free_range, testnet_init, Devnet};
use plinth_core::{Address, Keypair};
use plinth_ledger::{Call, SignedTx, Transaction};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VALIDATORS: usize = 4;
/// The validators and one spare node, a follower until the admin adds it.
const NODES: usize = 5;
const EPOCH_BLOCKS: u64 = 20;

fn start_validator(dir: &Path, i: usize, rpc_port: u16) -> Devnet {
    let child = Command::new(bin())
        .args(["node", "--config"])
        .arg(dir.join(format!("v{i}/node.toml")))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plinth node");
    // The testnet's keystore (funded accounts) is in the testnet directory.
    Devnet::adopt(child, dir, rpc_port + i as u16)
}

fn transfer(from: &Keypair, nonce: u64, to: Address, amount: u64) -> SignedTx {
    Transaction {
        chain_id: "plinth-testnet".into(),
        signer: Address(from.public()),
        nonce,
        fee: 1000,
        call: Call::Transfer { to, amount },
    }
    .sign(from)
}

fn submit(v: &Devnet, tx: &SignedTx) {
    let (code, body) = v.submit(tx);
    assert_eq!(code, 202, "submit to {}: {body}", v.url());
}

/// Waits until every validator in `vs` has the transaction in a block.
fn wait_committed(vs: &[&Devnet], tx: &SignedTx) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for v in vs {
        loop {
            // 404 until the transaction reaches this validator (by gossip or in a block).
            let status = match ureq::get(&format!("{}/v1/txs/{}", v.url(), tx.hash())).call() {
                Ok(r) => r.into_json::<serde_json::Value>().unwrap()["status"].clone(),
                Err(ureq::Error::Status(404, _)) => serde_json::Value::Null,
                Err(e) => panic!("GET tx from {}: {e}", v.url()),
            };
            if status == "committed" {
                break;
            }
            assert_ne!(status, "rejected", "{} rejected {}", v.url(), tx.hash());
            assert!(
                Instant::now() < deadline,
                "{} did not commit {} (status {status})",
                v.url(),
                tx.hash()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn wait_height(vs: &[&Devnet], h: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for v in vs {
        while v.height() < h {
            assert!(
                Instant::now() < deadline,
                "{} stuck below height {h}",
                v.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn four_validators_survive_a_kill9_agree_and_change_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("testnet");
    let rpc_port = free_range(NODES as u16);
    let mut p2p_port = free_range(NODES as u16);
    while p2p_port.abs_diff(rpc_port) < NODES as u16 {
        p2p_port = free_range(NODES as u16);
    }
    testnet_init(
        &dir,
        &[
            "--validators",
            "4",
            "--rpc-port",
            &rpc_port.to_string(),
            "--p2p-port",
            &p2p_port.to_string(),
            "--block-time",
            "200ms",
            "--spares",
            "1",
            "--epoch-blocks",
            &EPOCH_BLOCKS.to_string(),
            // The set changes through the admin's `set-validators`.
            "--bootstrap-admin",
        ],
    );
    let mut vs: Vec<Devnet> = (0..NODES)
        .map(|i| start_validator(&dir, i, rpc_port))
        .collect();
    {
        let all: Vec<&Devnet> = vs.iter().collect();
        wait_height(&all, 3);
    }

    // Four senders, each through its own validator; the receiver gets everything.
    let senders: Vec<Keypair> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|n| vs[0].key(n))
        .collect();
    let receiver = Address(vs[0].key("erin").public());
    let start_balance = vs[0].balance(&receiver);
    let mut nonces = [0u64; 4];
    let mut sent = 0u64;
    let mut last = Vec::new();
    for _ in 0..3 {
        for (s, key) in senders.iter().enumerate() {
            let tx = transfer(key, nonces[s], receiver, 1_000);
            submit(&vs[s], &tx);
            nonces[s] += 1;
            sent += 1_000;
            last.push(tx);
        }
    }
    {
        let all: Vec<&Devnet> = vs.iter().collect();
        for tx in &last {
            wait_committed(&all, tx);
        }
    }

    // SIGKILL validator 3; the other three keep finalizing transfers.
    vs[3].kill9();
    let live: Vec<&Devnet> = vs[..3].iter().collect();
    let killed_at = vs[0].height();
    let mut during = Vec::new();
    for _ in 0..3 {
        for (s, key) in senders.iter().enumerate().take(3) {
            let tx = transfer(key, nonces[s], receiver, 1_000);
            submit(&vs[s], &tx);
            nonces[s] += 1;
            sent += 1_000;
            during.push(tx);
        }
    }
    for tx in &during {
        wait_committed(&live, tx);
    }
    wait_height(&live, killed_at + 20);

    // Validator 3 comes back from its data directory and catches up.
    vs[3] = start_validator(&dir, 3, rpc_port);
    let target = vs[0].height();
    let all: Vec<&Devnet> = vs.iter().collect();
    wait_height(&all, target);
    for tx in &during {
        wait_committed(&[&vs[3]], tx);
    }
    let tx = transfer(&senders[3], nonces[3], receiver, 1_000);
    submit(&vs[3], &tx);
    sent += 1_000;
    wait_committed(&all, &tx);

    // Same chain everywhere: the block at a common height, its state root, and
    // the balances each validator serves.
    let common = all.iter().map(|v| v.height()).max().unwrap();
    wait_height(&all, common);
    let reference = vs[0].get(&format!("/v1/blocks/{common}"));
    for v in &all {
        let b = v.get(&format!("/v1/blocks/{common}"));
        assert_eq!(
            b["hash"],
            reference["hash"],
            "{} forked at {common}",
            v.url()
        );
        assert_eq!(b["header"]["state_root"], reference["header"]["state_root"]);
        assert_eq!(v.balance(&receiver), start_balance + sent, "{}", v.url());
    }
    let proposers: std::collections::BTreeSet<String> = (1..=common)
        .map(|h| vs[0].get(&format!("/v1/blocks/{h}"))["header"]["proposer"].to_string())
        .collect();
    assert_eq!(
        proposers.len(),
        VALIDATORS,
        "every validator proposed blocks"
    );

    // The admin makes the spare node (4) a validator in place of validator 0,
    // with the wallet, through the spare's own API.
    let address = |i: usize| {
        vs[i].get("/v1/status")["validator"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut args: Vec<String> = ["wallet", "set-validators", "--from", "admin"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([1, 2, 3, 4].iter().map(|i| format!("v{i}={}", address(*i))));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vs[4].ok(&args);
    let included: u64 = out
        .split("in block ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected wallet output: {out}"));
    let boundary = (included / EPOCH_BLOCKS + 1) * EPOCH_BLOCKS - 1;
    let all: Vec<&Devnet> = vs.iter().collect();
    wait_height(&all, boundary + EPOCH_BLOCKS);
    let after: std::collections::BTreeSet<String> = (boundary + 1..=boundary + EPOCH_BLOCKS)
        .map(|h| {
            vs[1].get(&format!("/v1/blocks/{h}"))["header"]["proposer"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(after.contains(&address(4)), "the new validator proposes");
    assert!(
        !after.contains(&address(0)),
        "the removed validator does not"
    );

    // Validator 0 is no longer needed: kill it, the new set goes on.
    vs[0].kill9();
    let rest: Vec<&Devnet> = vs[1..].iter().collect();
    let top = rest.iter().map(|v| v.height()).max().unwrap();
    wait_height(&rest, top + 5);
    let tx = transfer(&senders[0], nonces[0], receiver, 1_000);
    submit(&vs[4], &tx);
    wait_committed(&rest, &tx);
}
