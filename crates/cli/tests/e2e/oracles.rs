//! Several oracles for one chain: `plinth devnet --oracles 3` runs three in one
//! process, peers of each other, with the fleet spread over them; `plinth testnet
//! init --oracles 3` writes one `oracle.toml` per oracle, and `plinth oracle
//! --config` runs each from its file. Both genesis sets need 2 of the 3.
//!
//! (Rewards with several oracles need the manifest co-signing protocol; what is
//! checked here is the wiring: keys, ports, peers, the genesis set, and prices,
//! which oracles already co-sign.)

use crate::common::*;
use plinth_api::node::{HistoryItem, OraclesView};
use plinth_core::Address;
use plinth_devnet::oracle::OracleFileConfig;
use plinth_ledger::{Call, Genesis};
use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// Reports the oracle at `url` accepted, from its metrics.
fn accepted(url: &str) -> u64 {
    let text = ureq::get(&format!("{url}/metrics"))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("plinth_oracle_reports_accepted_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The signers of every price the ledger applied with more than one signature,
/// from `posters`' transactions (each oracle posts its own).
fn cosigned_price_signers(node: &Devnet, posters: &[Address]) -> BTreeSet<Address> {
    let mut signers = BTreeSet::new();
    for oracle in posters {
        let items: Vec<HistoryItem> =
            serde_json::from_value(node.get(&format!("/v1/accounts/{oracle}/txs"))).unwrap();
        for i in items {
            if let Call::PostPrice { signatures, .. } = &i.tx.call {
                if i.receipt.as_ref().is_some_and(|r| r.is_ok()) && signatures.len() > 1 {
                    signers.extend(signatures.iter().map(|s| s.oracle));
                }
            }
        }
    }
    signers
}

#[test]
fn devnet_runs_three_oracles_as_peers_with_the_fleet_spread_over_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_port();
    let mut child = Command::new(bin())
        .args([
            "devnet",
            "--oracles",
            "3",
            "--devices",
            "9",
            "--cheaters",
            "0%",
        ])
        .args([
            "--block-time",
            "200ms",
            "--rpc",
            &format!("127.0.0.1:{port}"),
        ])
        // Each oracle on any free port; the devnet prints where.
        .args(["--oracle-http", "127.0.0.1:0"])
        .args(["--mqtt", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plinth devnet");
    let printed = Arc::new(Mutex::new(String::new()));
    {
        let (stdout, printed) = (child.stdout.take().unwrap(), printed.clone());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let mut p = printed.lock().unwrap();
                p.push_str(&line);
                p.push('\n');
            }
        });
    }
    let net = Devnet::adopt(child, &dir, port);
    // Everything is printed once the services run.
    let printed = until("the devnet's services", 120, || {
        let p = printed.lock().unwrap();
        p.contains("  fleet ").then(|| p.clone())
    });
    let urls: Vec<String> = ["oracle", "oracle1", "oracle2"]
        .iter()
        .map(|name| {
            printed
                .lines()
                .find_map(|l| {
                    let rest = l.trim().strip_prefix(&format!("{name} "))?;
                    rest.split_whitespace().next()?.strip_suffix("/v1/status")
                })
                .unwrap_or_else(|| panic!("no {name} URL in\n{printed}"))
                .to_string()
        })
        .collect();
    assert!(
        printed.contains("a manifest needs 2 of their signatures"),
        "{printed}"
    );

    // Three oracles, each with its own key (in the devnet keystore, funded), its
    // own data dir, serving its own API.
    let ks = plinth_devnet::keystore::Keystore::load(&net.keystore()).unwrap();
    let mut members = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let status = until("the oracle's status", 30, || {
            get_json(&format!("{url}/v1/status"))
        });
        let address: Address = status["oracle"].as_str().unwrap().parse().unwrap();
        let name = plinth_devnet::genesis::oracle_name(i);
        assert_eq!(ks.resolve(&name).unwrap(), address, "{name}");
        assert_eq!(status["chain_id"], "plinth-devnet");
        assert!(net.balance(&address) > 0, "{name} can pay fees");
        assert!(dir.join(&name).is_dir(), "{name}'s data dir");
        members.push(address);
    }
    let set: OraclesView = serde_json::from_value(net.get("/v1/oracles")).unwrap();
    assert_eq!((set.threshold, &set.members), (2, &members));

    // Every oracle signs a co-signed price the chain applies (posting it or
    // co-signing a peer's): every one of them knows the others. (All three post
    // every 30 s and a price older than one already applied is refused, so which
    // oracle's post lands is a race; but a post carries every co-signature its
    // poster gathered, so any applied post names all three.)
    for (i, address) in members.iter().enumerate() {
        until(&format!("oracle {i} on a co-signed price"), 120, || {
            cosigned_price_signers(&net, &members)
                .contains(address)
                .then_some(())
        });
    }
    // The fleet reports to all three.
    for url in &urls {
        until(&format!("reports accepted by {url}"), 60, || {
            (accepted(url) > 0).then_some(())
        });
    }

    // The chain's oracles are its own: resuming it with another count is refused.
    let mut net = net;
    net.kill9();
    let out = Command::new(bin())
        .args(["devnet", "--oracles", "2", "--devices", "0", "--data-dir"])
        .arg(&dir)
        .args(["--rpc", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("made with 3 oracle(s), not 2"), "{err}");
}

#[test]
fn testnet_init_writes_three_oracles_that_run_from_their_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("testnet");
    // Four validators' HTTP and p2p ports, then three oracles'.
    let base = free_range(11);
    let (rpc, p2p, oracle_port) = (base, base + 4, base + 8);
    let printed = testnet_init(
        &dir,
        &[
            "--validators",
            "4",
            "--oracles",
            "3",
            "--rpc-port",
            &rpc.to_string(),
            "--p2p-port",
            &p2p.to_string(),
            "--oracle-port",
            &oracle_port.to_string(),
            "--block-time",
            "200ms",
        ],
    );
    // The files name the directory as init resolved it.
    let dir = dir.canonicalize().unwrap();
    assert!(printed.contains("2 of 3 sign each manifest"), "{printed}");

    // The files: a genesis whose set is the three oracles, 2 of 3; each oracle's
    // own key and config (its node, port and the other two as peers).
    let genesis =
        Genesis::from_toml(&std::fs::read_to_string(dir.join("genesis.toml")).unwrap()).unwrap();
    let shared = plinth_devnet::keystore::Keystore::load(&dir.join("keystore.json")).unwrap();
    let mut members = Vec::new();
    for i in 0..3u16 {
        let path = dir.join(format!("o{i}/oracle.toml"));
        assert!(
            printed.contains(&format!("plinth oracle --config {}", path.display())),
            "{printed}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        // The type `plinth oracle --config` reads, which refuses unknown fields.
        let cfg: OracleFileConfig = toml::from_str(&text).unwrap();
        let api = |port: u16| format!("http://127.0.0.1:{port}");
        assert_eq!(cfg.node, Some(api(rpc + i % 4)));
        assert_eq!(cfg.http, Some(([127, 0, 0, 1], oracle_port + i).into()));
        let mut peers: Vec<String> = (0..3)
            .filter(|j| *j != i)
            .map(|j| api(oracle_port + j))
            .collect();
        peers.sort();
        assert_eq!(cfg.peers, peers);
        assert_eq!(cfg.mqtt, None, "the testnet has no broker");
        assert_eq!(cfg.data_dir, Some(dir.join(format!("o{i}/data"))));
        let key = plinth_devnet::keystore::Keystore::load(cfg.key.as_ref().unwrap())
            .unwrap()
            .key("oracle")
            .unwrap();
        let address = Address(key.public());
        let name = plinth_devnet::genesis::oracle_name(usize::from(i));
        assert_eq!(shared.resolve(&name).unwrap(), address);
        members.push(address);
    }
    assert_eq!(genesis.oracles.threshold, 2);
    assert_eq!(genesis.oracles.members, members);

    // The validators, then each oracle from its file alone.
    let vs: Vec<Devnet> = (0..4)
        .map(|i| {
            let child = Command::new(bin())
                .args(["node", "--config"])
                .arg(dir.join(format!("v{i}/node.toml")))
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start plinth node");
            Devnet::adopt(child, &dir, rpc + i)
        })
        .collect();
    until("the validators' first blocks", 120, || {
        vs.iter().all(|v| v.height() >= 2).then_some(())
    });
    let oracles: Vec<Devnet> = (0..3)
        .map(|i| {
            let child = Command::new(bin())
                .args(["oracle", "--config"])
                .arg(dir.join(format!("o{i}/oracle.toml")))
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start plinth oracle");
            // Waits for its API (`/v1/status`).
            Devnet::adopt(child, &dir.join(format!("o{i}")), oracle_port + i)
        })
        .collect();
    for (o, member) in oracles.iter().zip(&members) {
        let status = o.get("/v1/status");
        assert_eq!(status["oracle"], member.to_string());
        assert_eq!(status["chain_id"], "plinth-testnet");
        assert!(o.dir.join("data").is_dir(), "its data dir");
    }
    let set: OraclesView = serde_json::from_value(vs[0].get("/v1/oracles")).unwrap();
    assert_eq!((set.threshold, set.members), (2, members));
}

/// A devnet of three oracles (2 of 3 sign) pays epochs of its custom networks:
/// `vehicles` and `mapping` run WebAssembly modules stored at genesis, and
/// every co-signer recomputes the proposer's manifest by running the module
/// itself, with the family state the epoch before left (a state that differs
/// from its own is refused). An epoch of each, after the first, is paid on the
/// ledger and audits against another member's spool.
#[test]
fn three_oracles_cosign_the_custom_families_epochs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_port();
    let base = free_range(3);
    let child = Command::new(bin())
        .args([
            "devnet",
            "--oracles",
            "3",
            "--devices",
            "20",
            "--cheaters",
            "0%",
        ])
        .args(["--block-time", "200ms", "--epoch-time", "6s"])
        .args(["--rpc", &format!("127.0.0.1:{port}")])
        .args(["--oracle-http", &format!("127.0.0.1:{base}")])
        .args(["--mqtt", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plinth devnet");
    let net = Devnet::adopt(child, &dir, port);
    let members: Vec<Address> = serde_json::from_value::<OraclesView>(net.get("/v1/oracles"))
        .unwrap()
        .members;
    assert_eq!(members.len(), 3);
    for network in ["vehicles", "mapping"] {
        let epoch = paid_epoch_after_first(&net, network, 150);
        // Signed by at least two members (the proposer's copy, whichever
        // member proposed), each signature checked here against the ledger's header.
        let on_ledger: plinth_ledger::rewards::RewardEpoch =
            serde_json::from_value(net.get(&format!("/v1/rewards/{network}/{epoch}"))).unwrap();
        let msg = on_ledger.header.signing_bytes();
        let most = until("a published manifest with its signatures", 30, || {
            (0..3)
                .filter_map(|i| {
                    get_json(&format!(
                        "http://127.0.0.1:{}/v1/manifests/{network}/{epoch}",
                        base + i
                    ))
                })
                .map(|m| {
                    let sigs: Vec<plinth_ledger::OracleSignature> =
                        serde_json::from_value(m["signatures"].clone()).unwrap_or_default();
                    sigs.iter()
                        .filter(|s| {
                            members.contains(&s.oracle)
                                && s.oracle.key().verify(&msg, &s.signature).is_ok()
                        })
                        .map(|s| s.oracle)
                        .collect::<BTreeSet<Address>>()
                        .len()
                })
                .max()
                .filter(|n| *n >= 2)
        });
        assert!(most >= 2);
        // The audit reads a second member's spool and re-runs the module.
        crate::rewards::audit(
            &net,
            &format!("http://127.0.0.1:{}", base + 1),
            network,
            epoch,
        );
    }
}
