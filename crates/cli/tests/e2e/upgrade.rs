//! A software upgrade planned by governance halts a 4-validator testnet: holders
//! lock tokens, one proposes `PlanUpgrade { name: "plinth-upgrade-test",
//! height: H }`, all vote yes and it passes. Every validator stops at H−1 and
//! exits with code 3; the plain binary refuses to start on that state; the
//! binary built with `--features upgrade-test` (which knows the upgrade,
//! `target/debug/plinth-upgrade-test`, built by scripts/test) continues the
//! chain past H, where the ledger records the upgrade as applied. The devnet's
//! single producer halts and continues alike.

use crate::common::{bin, free_range, testnet_init, Devnet};
use plinth_api::NodeClient;
use plinth_core::{Address, Keypair};
use plinth_ledger::governance::{self, Action, ProposalStatus, UpgradePlan, VoteOption};
use plinth_ledger::{Call, Overlay, Transaction};
use plinth_store::ChainStore;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const VALIDATORS: usize = 4;
const UPGRADE: &str = "plinth-upgrade-test";
/// Governance's voting period on this testnet: 30 blocks of 200 ms.
const VOTING_PERIOD: &str = "6s";
const VOTING_BLOCKS: u64 = 30;
/// 100,000 tokens locked by each voter, for 1,000 blocks.
const LOCKED: u64 = 100_000 * 1_000_000;
/// The deposit that opens the vote (the testnet template's minimum).
const DEPOSIT: u64 = plinth_devnet::genesis::MIN_DEPOSIT;

/// `plinth-upgrade-test` beside the `plinth` binary of this build.
fn upgraded_bin() -> PathBuf {
    let path = Path::new(bin()).with_file_name(UPGRADE);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test, which builds it (cargo build -p plinth \
         --features upgrade-test, copied to {UPGRADE} beside target/debug/plinth)",
        path.display()
    );
    path
}

/// Starts validator `i` of the testnet in `dir` with `binary`, its stderr
/// appended to `vN.log` beside the testnet.
fn start(binary: &Path, dir: &Path, i: usize, rpc_port: u16) -> Devnet {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(dir, i))
        .unwrap();
    let child = Command::new(binary)
        .args(["node", "--config"])
        .arg(dir.join(format!("v{i}/node.toml")))
        .env("RUST_LOG", "warn,plinth=info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start plinth node");
    Devnet::adopt(child, dir, rpc_port + i as u16)
}

fn log_path(dir: &Path, i: usize) -> PathBuf {
    dir.with_file_name(format!("v{i}.log"))
}

/// Waits for `child` to exit by itself.
fn wait_exit(child: &mut Child, what: &str, secs: u64) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{what} did not stop by itself");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Signs `call` from `key` with `nonce`, submits it to `node` and waits until it
/// is committed; returns its block's height.
fn send(node: &NodeClient, key: &Keypair, nonce: u64, call: Call) -> u64 {
    let chain_id = node.status().expect("status").chain_id;
    let tx = Transaction {
        chain_id,
        signer: Address(key.public()),
        nonce,
        fee: 1000,
        call,
    }
    .sign(key);
    node.submit(&tx).expect("submit");
    node.wait_committed(&tx.hash(), Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{:?}: {e}", tx.tx.call))
        .height
        .expect("committed at a height")
}

fn wait_height(vs: &[Devnet], h: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for v in vs {
        while v.height() < h {
            assert!(Instant::now() < deadline, "{} stuck below {h}", v.url());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `voters` lock tokens, the first proposes the upgrade at a height 40 blocks
/// after the vote of `voting_blocks` ends (proposal 0 of a fresh chain), and
/// all vote yes. Returns the upgrade's height.
fn pass_upgrade(node: &NodeClient, voters: &[Keypair], voting_blocks: u64) -> u64 {
    for key in voters {
        let lock = Call::GovLock {
            amount: LOCKED,
            lock_blocks: 1000,
        };
        send(node, key, 0, lock);
    }
    let height = node.status().expect("status").height + voting_blocks + 40;
    let proposed_at = send(
        node,
        &voters[0],
        1,
        Call::GovPropose {
            actions: vec![Action::PlanUpgrade {
                name: UPGRADE.into(),
                height,
            }],
            description: "Upgrade to the binary that knows plinth-upgrade-test.".into(),
            deposit: DEPOSIT,
            execute_height: None,
        },
    );
    assert!(
        proposed_at + voting_blocks + 5 < height,
        "the proposal came too late ({proposed_at}) for an upgrade at {height}"
    );
    for (i, key) in voters.iter().enumerate() {
        let vote = Call::GovVote {
            proposal: 0,
            option: VoteOption::Yes,
        };
        send(node, key, if i == 0 { 2 } else { 1 }, vote);
    }
    height
}

/// What a node stopped at `height - 1` holds in `store`: that head, the plan
/// of proposal 0 (executed) still waiting. Returns the head's hash.
fn stopped_before(store: &Path, height: u64) -> plinth_core::Hash {
    let store = ChainStore::open(store).unwrap();
    let head = store.head().unwrap();
    assert_eq!(head.height, height - 1, "stopped elsewhere");
    let snapshot = store.snapshot().unwrap();
    let plan = UpgradePlan {
        name: UPGRADE.into(),
        height,
        proposal: 0,
    };
    assert_eq!(governance::upgrade_plan(&snapshot).unwrap(), Some(plan));
    let proposal = governance::proposals::load(&Overlay::new(&snapshot), 0)
        .unwrap()
        .expect("proposal 0");
    assert!(
        matches!(proposal.status, ProposalStatus::Executed { .. }),
        "{:?}",
        proposal.status
    );
    head.hash()
}

/// Runs `binary` with `args` and waits for it to refuse: code 3 and `needed`
/// on stderr.
fn refuses(binary: &Path, args: &[&std::ffi::OsStr], needed: &str) {
    let mut refused = Command::new(binary)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut refused, "the plain binary", 30);
    let stderr = std::io::read_to_string(refused.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(needed), "{stderr}");
}

/// `GET /v1/gov` of a chain past the upgrade: none planned, this one applied.
fn applied(v: &Devnet, height: u64) {
    let gov = v.get("/v1/gov");
    assert!(gov["upgrade"].is_null(), "{gov}");
    assert_eq!(
        gov["upgrades_applied"],
        serde_json::json!([{"name": UPGRADE, "height": height, "proposal": 0}]),
        "{gov}"
    );
}

#[test]
fn a_planned_upgrade_halts_every_validator_and_the_upgraded_binary_continues() {
    let upgraded = upgraded_bin();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("testnet");
    let rpc_port = free_range(VALIDATORS as u16);
    let mut p2p_port = free_range(VALIDATORS as u16);
    while p2p_port.abs_diff(rpc_port) < VALIDATORS as u16 {
        p2p_port = free_range(VALIDATORS as u16);
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
            "--voting-period",
            VOTING_PERIOD,
        ],
    );
    let dir = dir.canonicalize().unwrap();
    let plain = Path::new(bin());
    let mut vs: Vec<Devnet> = (0..VALIDATORS)
        .map(|i| start(plain, &dir, i, rpc_port))
        .collect();
    wait_height(&vs, 2);

    // Four holders lock tokens; alice proposes the upgrade a little after the
    // vote ends, and all four vote yes.
    let node = NodeClient::new(&vs[0].url());
    let voters: Vec<Keypair> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|n| vs[0].key(n))
        .collect();
    let height = pass_upgrade(&node, &voters, VOTING_BLOCKS);

    // Every validator stops at height - 1 by itself, with code 3, saying why.
    let needed = format!("UPGRADE NEEDED: \"{UPGRADE}\" at height {height}");
    for (i, v) in vs.iter_mut().enumerate() {
        let status = wait_exit(&mut v.child, &format!("validator {i}"), 120);
        assert_eq!(status.code(), Some(3), "validator {i}: {status}");
        let log = std::fs::read_to_string(log_path(&dir, i)).unwrap();
        assert!(log.contains(&needed), "validator {i} log:\n{log}");
    }
    let hashes: Vec<plinth_core::Hash> = (0..VALIDATORS)
        .map(|i| stopped_before(&dir.join(format!("v{i}/data/chain.redb")), height))
        .collect();
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");

    // The plain binary refuses to start on that state, with the same message.
    let config = dir.join("v0/node.toml");
    refuses(
        plain,
        &["node".as_ref(), "--config".as_ref(), config.as_ref()],
        &needed,
    );

    // The upgraded binary continues the chain past the height and applies it.
    let vs: Vec<Devnet> = (0..VALIDATORS)
        .map(|i| start(&upgraded, &dir, i, rpc_port))
        .collect();
    wait_height(&vs, height + 3);
    let block = |v: &Devnet| v.get(&format!("/v1/blocks/{height}"))["hash"].clone();
    for v in &vs {
        assert_eq!(block(v), block(&vs[0]), "{} forked at {height}", v.url());
    }
    applied(&vs[0], height);
}

/// Starts `binary`'s devnet (no devices) in `dir`, its stderr appended to
/// `devnet.log` beside it.
fn start_devnet(binary: &Path, dir: &Path, port: u16) -> Devnet {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.with_file_name("devnet.log"))
        .unwrap();
    let child = Command::new(binary)
        .args(["devnet", "--block-time", "200ms", "--devices", "0", "--rpc"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn,plinth=info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start plinth devnet");
    Devnet::adopt(child, dir, port)
}

#[test]
fn a_planned_upgrade_halts_the_devnet_and_the_upgraded_binary_continues() {
    let upgraded = upgraded_bin();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let port = free_range(1);
    let plain = Path::new(bin());
    let mut net = start_devnet(plain, &dir, port);
    let node = NodeClient::new(&net.url());
    let voters: Vec<Keypair> = ["alice", "bob"].iter().map(|n| net.key(n)).collect();
    let voting_blocks = plinth_devnet::genesis::DEVNET_VOTING_BLOCKS;
    let height = pass_upgrade(&node, &voters, voting_blocks);

    let needed = format!("UPGRADE NEEDED: \"{UPGRADE}\" at height {height}");
    let status = wait_exit(&mut net.child, "the devnet", 60);
    assert_eq!(status.code(), Some(3), "{status}");
    let log = std::fs::read_to_string(dir.with_file_name("devnet.log")).unwrap();
    assert!(log.contains(&needed), "{log}");
    stopped_before(&dir.join("chain.redb"), height);

    let args: [&std::ffi::OsStr; 5] = [
        "devnet".as_ref(),
        "--devices".as_ref(),
        "0".as_ref(),
        "--data-dir".as_ref(),
        dir.as_ref(),
    ];
    refuses(plain, &args, &needed);

    let net = start_devnet(&upgraded, &dir, port);
    net.wait_height(height + 3);
    applied(&net, height);
}
