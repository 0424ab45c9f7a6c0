//! A testnet over TLS end to end: `plinth testnet init --tls` makes a CA and a
//! certificate per node and oracle; the validator serves HTTPS, the oracle reads
//! it and serves HTTPS too; the CLI reaches both with `--ca`, and is refused
//! without it; a device agent reports to the oracle over HTTPS and its epoch's
//! manifest, co-signed by the oracle over HTTPS, lands on the ledger.

use crate::common::{bin, free_range, testnet_init, until};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str], config: &Path) -> Kill {
    Kill(
        Command::new(bin())
            .args(args)
            .arg("--config")
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start plinth"),
    )
}

/// An agent trusting the web roots and the testnet's CA (added by the test).
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .tls_config(plinth_tls::client_config())
        .build()
}

fn get(url: &str) -> Option<serde_json::Value> {
    agent().get(url).call().ok()?.into_json().ok()
}

fn cli(ca: Option<&Path>, node: &str, keystore: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .arg("--node")
        .arg(node)
        .arg("--keystore")
        .arg(keystore)
        .env_remove(plinth_tls::CA_ENV);
    if let Some(ca) = ca {
        cmd.arg("--ca").arg(ca);
    }
    cmd.output().expect("run plinth")
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_testnet_runs_over_tls_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let base = free_range(3);
    let (rpc, p2p, oracle_port) = (base, base + 1, base + 2);
    let printed = testnet_init(
        &dir,
        &[
            "--tls",
            "--validators",
            "1",
            "--oracles",
            "1",
            "--accounts",
            "2",
            "--block-time",
            "200ms",
            "--epoch-time",
            "6s",
            "--rpc-port",
            &rpc.to_string(),
            "--p2p-port",
            &p2p.to_string(),
            "--oracle-port",
            &oracle_port.to_string(),
        ],
    );
    let ca = dir.join("tls/ca.pem");
    assert!(
        printed.contains(&format!(
            "PLINTH_CA_FILE={}",
            ca.canonicalize().unwrap().display()
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("https://127.0.0.1:{rpc}")),
        "{printed}"
    );
    plinth_tls::add_ca_file(&ca).unwrap();

    let _node = start(&["node"], &dir.join("v0/node.toml"));
    let node = format!("https://127.0.0.1:{rpc}");
    until("the validator over HTTPS", 60, || {
        get(&format!("{node}/v1/status"))?["height"]
            .as_u64()
            .filter(|h| *h > 0)
    });
    // Plain HTTP to the HTTPS port gets no answer.
    assert!(ureq::get(&format!("http://127.0.0.1:{rpc}/v1/status"))
        .timeout(Duration::from_secs(5))
        .call()
        .is_err());

    let keystore = dir.join("keystore.json");
    // The CLI with the testnet's CA reads and writes; without it, it is refused
    // with the reason.
    let balance = ok(
        cli(Some(&ca), &node, &keystore, &["wallet", "balance", "alice"]),
        "balance over https",
    );
    assert!(balance.contains("PLN"), "{balance}");
    let refused = cli(None, &node, &keystore, &["wallet", "balance", "alice"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("UnknownIssuer"), "{err}");

    let _oracle = start(&["oracle"], &dir.join("o0/oracle.toml"));
    let oracle = format!("https://127.0.0.1:{oracle_port}");
    until("the oracle over HTTPS", 60, || {
        get(&format!("{oracle}/v1/status"))
    });

    // A device registered over HTTPS reports to the oracle over HTTPS.
    let key = tmp.path().join("dev.json");
    let id = ok(
        cli(
            Some(&ca),
            &node,
            &keystore,
            &["device", "keygen", "--out", key.to_str().unwrap()],
        ),
        "keygen",
    );
    let id = id.lines().next().unwrap().trim().to_string();
    ok(
        cli(
            Some(&ca),
            &node,
            &keystore,
            &[
                "device",
                "register",
                "--from",
                "alice",
                "--key",
                key.to_str().unwrap(),
                "--network",
                "weather",
                "--location",
                "52.52,13.40",
            ],
        ),
        "register over https",
    );
    let mut agent_cmd = Command::new(bin());
    agent_cmd
        .args(["device", "run", "--key"])
        .arg(&key)
        .args(["--oracle", &oracle, "--interval", "1s", "--value", "19.5"])
        .arg("--node")
        .arg(&node)
        .arg("--ca")
        .arg(&ca)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let _device = Kill(agent_cmd.spawn().expect("start the device agent"));

    // The oracle took its reports, and a manifest paying the testnet's only
    // device is on the ledger: the oracle read the chain and submitted over HTTPS.
    until("a paid weather epoch", 120, || {
        let now = get(&format!("{node}/v1/status"))?["epoch"].as_u64()?;
        (1..now).find(|e| {
            get(&format!("{node}/v1/rewards/weather/{e}"))
                .is_some_and(|m| m["header"]["total"].as_u64() > Some(0))
        })
    });
    let device = get(&format!("{node}/v1/devices/{id}")).expect("the device");
    assert_eq!(device["network"], "weather");
}
