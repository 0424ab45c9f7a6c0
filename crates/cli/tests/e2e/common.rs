use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::{Call, SignedTx, Transaction};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    // Devnets started by tests skip the demo render (a CPU-heavy job) unless a
    // test asks for it on its own command (the compute tests do).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::env::set_var("PLINTH_DEVNET_DEMO_RENDER", "0"));
    env!("CARGO_BIN_EXE_plinth")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A base port with `n` free ports from it, below Linux's ephemeral range (32768
/// and up by default): outgoing connections of this and the other tests take
/// ephemeral local ports, and one of them landing on a process's port while it is
/// down would keep it from listening again after its restart.
pub fn free_range(n: u16) -> u16 {
    for _ in 0..200 {
        let base = 10_000 + (rand::random::<u16>() % 22_000);
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

/// A devnet process; killed (SIGKILL) on drop if still running.
pub struct Devnet {
    pub child: Child,
    pub dir: PathBuf,
    pub port: u16,
}

impl Devnet {
    pub fn start(dir: &Path, port: u16) -> Devnet {
        Devnet::start_with(dir, port, &[])
    }

    /// Like [`Devnet::start`], with extra `plinth devnet` flags (e.g.
    /// `["--epoch-time", "8s"]`).
    pub fn start_with(dir: &Path, port: u16, extra: &[&str]) -> Devnet {
        let child = Command::new(bin())
            .args(["devnet", "--block-time", "200ms", "--devices", "0", "--rpc"])
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .arg("--data-dir")
            .arg(dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start plinth devnet");
        let d = Devnet {
            child,
            dir: dir.to_path_buf(),
            port,
        };
        d.wait_ready();
        d
    }

    /// Wraps an already started devnet process.
    pub fn adopt(child: Child, dir: &Path, port: u16) -> Devnet {
        let d = Devnet {
            child,
            dir: dir.to_path_buf(),
            port,
        };
        d.wait_ready();
        d
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/v1/status", self.url()))
                .call()
                .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("devnet did not come up on port {}", self.port);
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    pub fn keystore(&self) -> PathBuf {
        self.dir.join("keystore.json")
    }

    /// Runs a CLI command against this devnet.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .arg("--node")
            .arg(self.url())
            .arg("--keystore")
            .arg(self.keystore())
            .output()
            .expect("run plinth")
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "plinth {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn get(&self, path: &str) -> serde_json::Value {
        ureq::get(&format!("{}{}", self.url(), path))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_json()
            .unwrap()
    }

    pub fn height(&self) -> u64 {
        self.get("/v1/status")["height"].as_u64().unwrap()
    }

    pub fn wait_height(&self, h: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.height() < h {
            assert!(Instant::now() < deadline, "chain stuck below height {h}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn balance(&self, addr: &Address) -> u64 {
        self.get(&format!("/v1/accounts/{addr}"))["balance"]
            .as_u64()
            .unwrap()
    }

    pub fn key(&self, name: &str) -> Keypair {
        let ks: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.keystore()).unwrap()).unwrap();
        let entry = ks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("no key {name}"));
        Keypair::from_hex(entry["secret"].as_str().unwrap()).unwrap()
    }

    /// POSTs a raw body to /v1/txs; returns status and JSON body.
    pub fn post_raw(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        let r = ureq::post(&format!("{}{}", self.url(), path))
            .set("content-type", "application/json")
            .send_string(body);
        match r {
            Ok(resp) => (resp.status(), resp.into_json().unwrap()),
            Err(ureq::Error::Status(code, resp)) => (code, resp.into_json().unwrap()),
            Err(e) => panic!("POST {path}: {e}"),
        }
    }

    pub fn submit(&self, tx: &SignedTx) -> (u16, serde_json::Value) {
        self.post_raw(
            "/v1/txs",
            &serde_json::json!({"tx": hex::encode(tx.encode())}).to_string(),
        )
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn transfer(from: &Keypair, nonce: u64, to: Address, amount: u64) -> SignedTx {
    Transaction {
        chain_id: "plinth-devnet".into(),
        signer: Address(from.public()),
        nonce,
        fee: 1000,
        call: Call::Transfer { to, amount },
    }
    .sign(from)
}

/// Polls `f` every 250 ms until it returns `Some`, for at most `secs` seconds.
pub fn until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// GET of a JSON body; `None` on any error.
pub fn get_json(url: &str) -> Option<serde_json::Value> {
    ureq::get(url).call().ok()?.into_json().ok()
}

/// GET that maps 404 to `None`.
pub fn get_opt(url: &str) -> Option<serde_json::Value> {
    match ureq::get(url).call() {
        Ok(r) => Some(r.into_json().unwrap()),
        Err(ureq::Error::Status(404, _)) => None,
        Err(e) => panic!("GET {url}: {e}"),
    }
}

/// Registers `keys` as `weather` sensors of `owner`, ~220 m apart near Berlin (one
/// per density cell, yet neighbours for agreement), and waits until every
/// registration is committed.
pub fn register_sensors(net: &Devnet, owner: &Keypair, keys: &[Keypair]) {
    let status = net.get("/v1/status");
    let chain_id = status["chain_id"].as_str().unwrap().to_string();
    let fee = status["min_fee"].as_u64().unwrap();
    let owner_addr = Address(owner.public());
    let first_nonce = net.get(&format!("/v1/accounts/{owner_addr}"))["next_nonce"]
        .as_u64()
        .unwrap();
    let mut hashes = Vec::new();
    for (i, dev) in keys.iter().enumerate() {
        let id = DeviceId(dev.public());
        let location = u64::from(
            h3o::LatLng::new(52.52 + i as f64 * 0.002, 13.40)
                .unwrap()
                .to_cell(h3o::Resolution::Twelve),
        );
        let msg = plinth_ledger::devices::registration_message(
            &plinth_core::chain_identity(
                &status["genesis_hash"].as_str().unwrap().parse().unwrap(),
            ),
            &owner_addr,
            &id,
            "weather",
            location,
        );
        let tx = Transaction {
            chain_id: chain_id.clone(),
            signer: owner_addr,
            nonce: first_nonce + i as u64,
            fee,
            call: Call::RegisterDevice {
                device: id,
                network: "weather".into(),
                location,
                device_signature: dev.sign(&msg),
            },
        }
        .sign(owner);
        let (code, body) = net.submit(&tx);
        assert_eq!(code, 202, "registration refused: {body}");
        hashes.push(tx.hash());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for h in hashes {
        while net.get(&format!("/v1/txs/{h}"))["status"] != "committed" {
            assert!(Instant::now() < deadline, "registration {h} not committed");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Runs `plinth testnet init --out DIR` with `args`; its printed output. Fails the
/// test with init's error when it fails.
pub fn testnet_init(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(bin())
        .args(["testnet", "init", "--out"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "testnet init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The first epoch after the first (2 or later) whose `network` manifest the
/// ledger paid with a total above 0, waiting up to `secs` seconds. Epoch 0 and
/// 1 are skipped so that a custom family's epoch starts from a state the one
/// before left.
pub fn paid_epoch_after_first(net: &Devnet, network: &str, secs: u64) -> u64 {
    until(
        &format!("a paid {network} epoch after the first"),
        secs,
        || {
            let now = net.get("/v1/status")["epoch"].as_u64()?;
            (2..now).find(|e| {
                get_opt(&format!("{}/v1/rewards/{network}/{e}", net.url()))
                    .is_some_and(|m| m["header"]["total"].as_u64() > Some(0))
            })
        },
    )
}
