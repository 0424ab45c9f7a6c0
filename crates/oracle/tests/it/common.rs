use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::{Call, Genesis, Transaction};
use plinth_node::{Node, NodeConfig};
use plinth_oracle::{Oracle, OracleConfig};
use plinth_proofs::{Report, ReportBody, SignedReport};
use std::sync::Arc;
use std::time::Duration;

pub const EPOCH_MS: u64 = 3_000;
/// The token price the test oracle posts: $1.50.
pub const PRICE_MICRO_USD: u64 = 1_500_000;

pub fn now_ms() -> u64 {
    plinth_oracle::now_ms()
}

pub fn key(i: u8) -> Keypair {
    Keypair::from_seed([i; 32])
}

/// A node and an oracle, each serving HTTP on a free port.
pub struct Net {
    pub dir: tempfile::TempDir,
    pub node: Arc<Node>,
    pub node_url: String,
    pub oracle: Arc<Oracle>,
    pub oracle_url: String,
    pub owner: Keypair,
    pub oracle_key: Keypair,
    pub genesis_time_ms: u64,
    /// The chain's identity (from its genesis hash), which reports name.
    pub chain: plinth_core::Hash,
    stop: tokio::sync::watch::Sender<bool>,
    oracle_stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = self.oracle_stop.send(true);
    }
}

pub fn genesis(
    genesis_time_ms: u64,
    owner: &Keypair,
    oracle: &Keypair,
    validator: &Keypair,
) -> Genesis {
    Genesis::from_toml(&format!(
        r#"
chain_id = "oracle-test"
genesis_time_ms = {genesis_time_ms}
block_time_ms = 100
[token]
name = "Plinth"
symbol = "PLN"
decimals = 6
[fees]
min_fee = 10
[staking]
unbonding_blocks = 5
[emission]
epoch_ms = {EPOCH_MS}
initial_per_epoch = 1000000
halving_interval_epochs = 0
tail_per_epoch = 0
[oracles]
threshold = 1
members = ["{oracle}"]
[[validators]]
name = "v"
address = "{validator}"
[[accounts]]
address = "{owner}"
balance = 1000000000
[[accounts]]
address = "{oracle}"
balance = 1000000000
[[networks]]
name = "weather"
family = "sensor"
share_bps = 4000
[networks.params]
unit = "celsius"
min = -60
max = 60
[[networks]]
name = "backhaul"
family = "uptime"
share_bps = 4000
[networks.params]
heartbeat_interval_s = 1
[[networks]]
name = "lora"
family = "coverage"
share_bps = 0
[networks.params]
rounds_per_epoch = 3
[[networks]]
name = "storage"
family = "storage"
share_bps = 2000
usage_bps = 5000
[networks.params]
challenge_items = 8
answer_timeout_ms = 2000
[storage]
max_failures = 2
allow_private_endpoints = true
"#,
        owner = Address(owner.public()),
        oracle = Address(oracle.public()),
        validator = Address(validator.public()),
    ))
    .expect("test genesis")
}

/// `owner`'s registration of `dev` in `network` at cell `location`, signed by
/// the device.
pub fn register_call(
    chain: plinth_core::Hash,
    owner: &Keypair,
    network: &str,
    dev: &Keypair,
    location: u64,
) -> Call {
    let id = DeviceId(dev.public());
    let msg = plinth_ledger::devices::registration_message(
        &chain,
        &Address(owner.public()),
        &id,
        network,
        location,
    );
    Call::RegisterDevice {
        device: id,
        network: network.to_string(),
        location,
        device_signature: dev.sign(&msg),
    }
}

/// A cell near Berlin, offset by `i` small steps (neighbours at resolution 7).
pub fn cell(i: u32) -> u64 {
    let ll = h3o::LatLng::new(52.52 + i as f64 * 0.001, 13.40).unwrap();
    u64::from(ll.to_cell(h3o::Resolution::Twelve))
}

impl Net {
    /// Starts a node, registers `devices` (network, key) to the owner, starts an oracle.
    pub async fn start(devices: &[(&str, &Keypair)]) -> Net {
        Net::start_in(tempfile::tempdir().unwrap(), devices, None).await
    }

    pub async fn start_in(
        dir: tempfile::TempDir,
        devices: &[(&str, &Keypair)],
        genesis_time: Option<u64>,
    ) -> Net {
        Net::start_custom(dir, devices, genesis_time, |_| {}, |_| {}).await
    }

    /// [`Net::start_in`] with the genesis and the oracle's configuration edited.
    pub async fn start_custom(
        dir: tempfile::TempDir,
        devices: &[(&str, &Keypair)],
        genesis_time: Option<u64>,
        edit_genesis: impl FnOnce(&mut Genesis),
        edit_oracle: impl FnOnce(&mut OracleConfig),
    ) -> Net {
        let owner = key(1);
        let oracle_key = key(2);
        let validator = key(3);
        let genesis_time_ms = genesis_time.unwrap_or_else(now_ms);
        let mut g = genesis(genesis_time_ms, &owner, &oracle_key, &validator);
        edit_genesis(&mut g);
        let chain = g.chain();
        let node = Node::open(
            g,
            validator,
            NodeConfig::new(dir.path().join("node"), Duration::from_millis(100)),
        )
        .unwrap();
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(node.clone().run_producer(stop_rx.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let node_url = format!("http://{}", listener.local_addr().unwrap());
        let router = plinth_node::rpc::router(node.clone());
        let mut s2 = stop_rx.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = s2.changed().await;
                })
                .await;
        });
        // Register the devices (skipping ones already there after a restart).
        let mut txs = Vec::new();
        let mut nonce = node_nonce(&node, &owner);
        for (i, (network, dev)) in devices.iter().enumerate() {
            let id = DeviceId(dev.public());
            if plinth_ledger::devices::load(
                &plinth_ledger::Overlay::new(&node.store.snapshot().unwrap()),
                &id,
            )
            .unwrap()
            .is_some()
            {
                continue;
            }
            txs.push(
                Transaction {
                    chain_id: "oracle-test".into(),
                    signer: Address(owner.public()),
                    nonce,
                    fee: 10,
                    call: register_call(chain, &owner, network, dev, cell(i as u32)),
                }
                .sign(&owner)
                .encode(),
            );
            nonce += 1;
        }
        if !txs.is_empty() {
            for v in node.submit(txs).await {
                v.expect("registration accepted");
            }
            wait_until(|| node.mempool_len() == 0).await;
        }
        let (oracle, oracle_url, oracle_stop) = start_oracle_with(
            dir.path().join("oracle"),
            &node_url,
            &oracle_key,
            None,
            edit_oracle,
        )
        .await;
        Net {
            dir,
            node,
            node_url,
            oracle,
            oracle_url,
            owner,
            oracle_key,
            genesis_time_ms,
            chain,
            stop,
            oracle_stop,
        }
    }

    /// Stops the oracle (as a crash would: nothing flushed beyond what it already
    /// made durable) and starts a new one on the same data directory.
    pub async fn restart_oracle(&mut self) {
        self.stop_oracle().await;
        self.resume_oracle(|_| {}).await;
    }

    /// Stops the oracle (as [`Net::restart_oracle`] does), leaving it down.
    pub async fn stop_oracle(&mut self) {
        let _ = self.oracle_stop.send(true);
        self.oracle.shutdown();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// Starts a new oracle on the stopped one's data directory, with the tests'
    /// settings edited by `edit`.
    pub async fn resume_oracle(&mut self, edit: impl FnOnce(&mut OracleConfig)) {
        // On the same address when it is free again, so peers find it there.
        let addr = self.oracle_url.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind(&addr).await.ok();
        let (o, url, stop) = start_oracle_with(
            self.dir.path().join("oracle"),
            &self.node_url,
            &self.oracle_key,
            listener,
            edit,
        )
        .await;
        self.oracle = o;
        self.oracle_url = url;
        self.oracle_stop = stop;
    }

    /// The identity of a look-alike chain: the same genesis (so the same
    /// `chain_id`) but a millisecond later.
    pub fn lookalike_chain(&self) -> plinth_core::Hash {
        let g = genesis(
            self.genesis_time_ms + 1,
            &self.owner,
            &self.oracle_key,
            &key(3),
        );
        assert_eq!(g.chain_id, "oracle-test");
        assert_ne!(g.chain(), self.chain);
        g.chain()
    }

    /// Waits until the current epoch has at least `room_ms` left; returns the
    /// time then and the epoch (reports made now are sent before it closes).
    pub async fn epoch_with_room(&self, room_ms: u64) -> (u64, u64) {
        let clock = self.clock();
        let mut now = now_ms();
        while self.oracle.clock.window(clock.epoch_of(now)).end_ms - now < room_ms {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            now = now_ms();
        }
        (now, clock.epoch_of(now))
    }

    pub fn clock(&self) -> plinth_device::EpochClock {
        plinth_device::EpochClock {
            genesis_time_ms: self.genesis_time_ms,
            epoch_ms: EPOCH_MS,
        }
    }

    /// POSTs hex reports to the oracle; returns (HTTP status, JSON).
    pub async fn post_reports(&self, reports: Vec<String>) -> (u16, serde_json::Value) {
        let url = format!("{}/v1/reports", self.oracle_url);
        let body = serde_json::json!({ "reports": reports });
        tokio::task::spawn_blocking(move || match ureq::post(&url).send_json(body) {
            Ok(r) => (r.status(), r.into_json().unwrap()),
            Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or_default()),
            Err(e) => panic!("{e}"),
        })
        .await
        .unwrap()
    }

    /// `POST /v1/reports` with `body` as `content_type`: the status and the
    /// JSON answer.
    pub async fn post_body(&self, body: Vec<u8>, content_type: &str) -> (u16, serde_json::Value) {
        let url = format!("{}/v1/reports", self.oracle_url);
        let content_type = content_type.to_string();
        tokio::task::spawn_blocking(move || {
            match ureq::post(&url)
                .set("content-type", &content_type)
                .send_bytes(&body)
            {
                Ok(r) => (r.status(), r.into_json().unwrap()),
                Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or_default()),
                Err(e) => panic!("{e}"),
            }
        })
        .await
        .unwrap()
    }

    pub async fn send(&self, reports: &[SignedReport]) -> Vec<serde_json::Value> {
        let (status, body) = self
            .post_reports(reports.iter().map(|r| hex::encode(r.encode())).collect())
            .await;
        assert_eq!(status, 200, "{body}");
        body["results"].as_array().unwrap().clone()
    }

    pub fn balance(&self, who: &Keypair) -> u64 {
        plinth_ledger::accounts::load(
            &plinth_ledger::Overlay::new(&self.node.store.snapshot().unwrap()),
            &Address(who.public()),
        )
        .unwrap()
        .map(|a| a.balance)
        .unwrap_or(0)
    }
}

fn node_nonce(node: &Node, who: &Keypair) -> u64 {
    plinth_ledger::accounts::load(
        &plinth_ledger::Overlay::new(&node.store.snapshot().unwrap()),
        &Address(who.public()),
    )
    .unwrap()
    .map(|a| a.nonce)
    .unwrap_or(0)
}

/// Starts an oracle on `data_dir` with the tests' settings edited by `edit`,
/// serving on `listener` (a free port when `None`).
pub async fn start_oracle_with(
    data_dir: std::path::PathBuf,
    node_url: &str,
    key: &Keypair,
    listener: Option<tokio::net::TcpListener>,
    edit: impl FnOnce(&mut OracleConfig),
) -> (Arc<Oracle>, String, tokio::sync::watch::Sender<bool>) {
    let mut cfg = OracleConfig::new(data_dir, node_url.to_string());
    cfg.close_grace = Duration::from_millis(300);
    cfg.probe_interval = Duration::from_millis(500);
    cfg.probe_deadline = Duration::from_millis(400);
    cfg.registry_refresh = Duration::from_millis(300);
    cfg.max_skew_ms = 10_000;
    cfg.price_micro_usd = Some(PRICE_MICRO_USD);
    cfg.price_interval = Duration::from_millis(500);
    edit(&mut cfg);
    let k = key.clone();
    let oracle = tokio::task::spawn_blocking(move || Oracle::open(cfg, k))
        .await
        .unwrap()
        .unwrap();
    let listener = match listener {
        Some(l) => l,
        None => tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(plinth_oracle::run::run(
        oracle.clone(),
        plinth_oracle::run::Endpoints {
            http: plinth_tls::server::Listener::plain(listener).unwrap(),
            mqtt: None,
        },
        stop_rx,
    ));
    (oracle, url, stop)
}

pub async fn wait_until(mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A signed report from `dev` for `chain`.
pub fn report(
    chain: plinth_core::Hash,
    dev: &Keypair,
    network: &str,
    ts: u64,
    epoch: u64,
    seq: u64,
    body: ReportBody,
) -> SignedReport {
    Report {
        chain,
        device: DeviceId(dev.public()),
        network: network.into(),
        epoch,
        timestamp_ms: ts,
        seq,
        body,
    }
    .sign(dev)
}

pub fn reading(v: i64) -> ReportBody {
    ReportBody::Reading {
        value_milli: v,
        unit: "celsius".into(),
    }
}

/// Submits `calls` signed by `signer` with consecutive nonces in one go, waits
/// until all are committed and checks that none failed; returns the first nonce.
pub async fn submit_all(net: &Net, signer: &Keypair, calls: Vec<Call>) -> u64 {
    let who = Address(signer.public());
    let first = node_nonce(&net.node, signer);
    let txs: Vec<_> = calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| {
            Transaction {
                chain_id: "oracle-test".into(),
                signer: who,
                nonce: first + i as u64,
                fee: 10,
                call,
            }
            .sign(signer)
        })
        .collect();
    let hashes: Vec<plinth_core::Hash> = txs.iter().map(|t| t.hash()).collect();
    for v in net
        .node
        .submit(txs.iter().map(|t| t.encode()).collect())
        .await
    {
        v.expect("accepted");
    }
    wait_until(|| {
        hashes
            .iter()
            .all(|h| net.node.store.tx_location(h).unwrap().is_some())
    })
    .await;
    for h in &hashes {
        let at = net.node.store.tx_location(h).unwrap().unwrap();
        let receipt = &net.node.store.receipts(at.height).unwrap().unwrap()[at.index as usize];
        assert!(receipt.error.is_none(), "{:?}", receipt.error);
    }
    first
}

/// [`submit_all`] of one call; returns its nonce.
pub async fn submit(net: &Net, signer: &Keypair, call: Call) -> u64 {
    submit_all(net, signer, vec![call]).await
}

/// A storage deal as the node's ledger holds it.
pub fn deal(net: &Net, id: &plinth_core::Hash) -> plinth_ledger::storage::Deal {
    plinth_ledger::storage::deal(
        &plinth_ledger::Overlay::new(&net.node.store.snapshot().unwrap()),
        id,
    )
    .unwrap()
    .expect("deal on the ledger")
}

/// Polls `f` until it holds, for at most 90 s (several epochs).
pub async fn wait_long(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
