//! Running a node: `plinth node` alone, and the node under `plinth devnet`.
//!
//! [`NodeFileConfig`] is `plinth node`'s configuration file; [`node_parts`] turns it
//! into what a node needs; [`RunningNode`] is a node producing blocks and serving
//! its HTTP API in this process until stopped; [`run_node`] runs one until
//! SIGINT/SIGTERM. A member of a validator set runs under [`crate::validator`].
//!
//! Every node command is handed the upgrades its binary knows
//! ([`plinth_node::upgrade`]): [`open_node`] refuses a chain whose next block
//! needs another, and [`run_until_signal`] stops with
//! [`UpgradeNeeded`](plinth_node::upgrade::UpgradeNeeded) when the chain reaches one.

use crate::keystore::{Keystore, Passphrase};
use anyhow::{bail, Context, Result};
use plinth_core::Keypair;
use plinth_ledger::Genesis;
use plinth_node::explorer::ExplorerConfig;
use plinth_node::{Node, NodeConfig};
use plinth_tls::server::Listener;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The address `plinth node` serves its HTTP API on when its config names none.
pub const DEFAULT_RPC: &str = "127.0.0.1:8645";

/// Reads and validates a genesis file.
pub fn load_genesis(path: &Path) -> Result<Genesis> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Genesis::from_toml(&text).with_context(|| format!("in {}", path.display()))
}

/// Opens the node's store with `config` and refuses to go on, with
/// [`UpgradeNeeded`](plinth_node::upgrade::UpgradeNeeded), when the block after its head needs an upgrade the
/// binary does not know ([`NodeConfig::known_upgrades`]).
pub fn open_node(genesis: Genesis, key: Keypair, config: NodeConfig) -> Result<Arc<Node>> {
    let dir = config.data_dir.clone();
    let node = Node::open(genesis, key, config)
        .with_context(|| format!("opening the chain in {}", dir.display()))?;
    if let Some(needed) = node.upgrade_needed()? {
        return Err(needed.into());
    }
    Ok(node)
}

/// Listens on `addr` for the node's HTTP API.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another node running? choose another with --rpc)")
    })
}

/// Configuration of `plinth node`, from a TOML file with flags on top.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NodeFileConfig {
    /// The genesis file.
    pub genesis: Option<PathBuf>,
    /// A keystore holding the validator's key (named `validator`, or its first).
    pub key: Option<PathBuf>,
    /// A file holding the keystore's passphrase when it is encrypted (e.g. a
    /// systemd credential); else `PLINTH_PASSPHRASE` or the terminal.
    pub passphrase_file: Option<PathBuf>,
    /// Where the chain lives (`.plinth/node` by default).
    pub data_dir: Option<PathBuf>,
    /// Address of the HTTP API ([`DEFAULT_RPC`] by default).
    pub rpc: Option<SocketAddr>,
    /// Time between blocks; the genesis's value when absent.
    pub block_time_ms: Option<u64>,
    /// Present for a member of a validator set (see `plinth testnet init`):
    /// blocks come from consensus among the validators instead of this node alone.
    pub consensus: Option<ConsensusFileConfig>,
    /// Present to serve the HTTP API over HTTPS.
    pub tls: Option<TlsFiles>,
}

/// A server's certificate chain and private key (PEM files): it serves HTTPS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The leaf's private key; refused when group or others may read it.
    pub key: PathBuf,
}

impl TlsFiles {
    /// The server config of these files.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        // Refuses a key file its group or others may read, as for keystores.
        crate::keystore::read_secret_file(&self.key, "TLS private key")?;
        Ok(plinth_tls::server::server_config(&self.cert, &self.key)?)
    }

    /// `--tls-cert` and `--tls-key` over a config file's `[tls]`: both or none.
    pub fn from_flags(
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        file: Option<TlsFiles>,
    ) -> Result<Option<TlsFiles>> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(file),
            _ => bail!("--tls-cert and --tls-key go together"),
        }
    }
}

/// The server config of an optional `[tls]`.
pub fn server_tls(tls: &Option<TlsFiles>) -> Result<Option<Arc<rustls::ServerConfig>>> {
    tls.as_ref().map(TlsFiles::server_config).transpose()
}

/// Listens on `addr` for an HTTP API, over TLS when `tls` says so.
pub async fn bind_http(
    addr: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<Listener> {
    Ok(Listener::new(bind(addr).await?, tls)?)
}

/// A validator set member's networking: where it listens and where every
/// validator of the genesis is.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusFileConfig {
    /// Address of this validator's p2p endpoint.
    pub listen: SocketAddr,
    /// Every validator of the genesis (this one included) and its p2p address.
    pub validators: Vec<ValidatorEntry>,
}

/// One entry of a validator set member's address book.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// The node's validator address (its key).
    pub address: plinth_core::Address,
    /// Where it listens for peers.
    pub p2p: SocketAddr,
}

/// What `plinth node` runs, from its configuration.
pub struct NodeParts {
    /// The chain's genesis.
    pub genesis: Genesis,
    /// The validator's key.
    pub key: Keypair,
    /// Where the chain lives.
    pub data_dir: PathBuf,
    /// Address of the HTTP API.
    pub rpc: SocketAddr,
    /// Time between blocks.
    pub block_time: Duration,
    /// The HTTPS config, when the API is served over TLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Reads the genesis and the key a configuration names and fills in the defaults.
pub fn node_parts(cfg: &NodeFileConfig) -> Result<NodeParts> {
    let Some(genesis_path) = &cfg.genesis else {
        bail!("no genesis: pass --genesis FILE or set `genesis` in the config file");
    };
    let Some(key_path) = &cfg.key else {
        bail!("no validator key: pass --key FILE (a keystore holding a key named `validator`)");
    };
    let data_dir = cfg
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(".plinth/node"));
    let genesis = load_genesis(genesis_path)?;
    let ks = Keystore::load_with(key_path, Passphrase::from_file(cfg.passphrase_file.clone()))?;
    if !ks.is_encrypted() {
        tracing::warn!(
            keystore = %key_path.display(),
            "the validator key is in an unencrypted development keystore \
             (`plinth wallet --keystore FILE encrypt` encrypts it)"
        );
    }
    let name = match ks.keys.first() {
        _ if ks.contains("validator") => "validator",
        Some(first) => first.name.as_str(),
        None => bail!("the key file {} is empty", key_path.display()),
    };
    let key: Keypair = ks.key(name)?;
    let block_time = Duration::from_millis(cfg.block_time_ms.unwrap_or(genesis.block_time_ms));
    let rpc = cfg
        .rpc
        .unwrap_or_else(|| DEFAULT_RPC.parse().expect("valid"));
    let tls = server_tls(&cfg.tls)?;
    Ok(NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
        tls,
    })
}

/// A node producing blocks and serving its HTTP API (and explorer) in this
/// process, until [`RunningNode::stop`].
pub struct RunningNode {
    /// The node.
    pub node: Arc<Node>,
    /// Base URL of its HTTP API, e.g. `http://127.0.0.1:8645`.
    pub url: String,
    /// The explorer's settings (tell it where the oracle is).
    pub explorer: ExplorerConfig,
    stop: watch::Sender<bool>,
    producer: JoinHandle<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningNode {
    /// Starts block production and the HTTP API on `listener`.
    pub fn start(node: Arc<Node>, listener: Listener) -> Result<RunningNode> {
        let url = listener.url();
        let (stop, stop_rx) = watch::channel(false);
        let producer = tokio::spawn(node.clone().run_producer(stop_rx.clone()));
        let mut stop_for_http = stop_rx;
        let explorer = ExplorerConfig::default();
        let app = plinth_node::rpc::router_with(node.clone(), explorer.clone());
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop_for_http.changed().await;
        });
        let server = tokio::spawn(async move { server.await });
        Ok(RunningNode {
            node,
            url,
            explorer,
            stop,
            producer,
            server,
        })
    }

    /// Finishes the block in progress, stops serving, and returns the height the
    /// chain stopped at.
    pub async fn stop(self) -> Result<u64> {
        let _ = self.stop.send(true);
        let _ = self.producer.await;
        // Open event streams never end by themselves; don't wait for them long.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.server).await;
        Ok(self.node.store.head()?.height)
    }
}

/// `plinth node` without a validator set: produces blocks alone and serves the
/// HTTP API until SIGINT/SIGTERM, or until the next block needs an upgrade
/// other than `known_upgrades` (the binary's).
pub async fn run_node(cfg: NodeFileConfig, known_upgrades: Vec<String>) -> Result<()> {
    let NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
        tls,
    } = node_parts(&cfg)?;
    let config = NodeConfig {
        known_upgrades,
        ..NodeConfig::new(data_dir.clone(), block_time)
    };
    let node = open_node(genesis, key, config)?;
    let listener = bind_http(rpc, tls).await?;
    tracing::info!(url = %listener.url(), data = %data_dir.display(), "node serving");
    println!("rpc {}/v1/status", listener.url());
    let running = RunningNode::start(node, listener)?;
    crate::hints::print_try_on_local_devnet(&running.url, &running.node.genesis.chain_id);
    run_until_signal(running).await
}

/// Waits for SIGINT/SIGTERM, then stops `running`, saying so on stderr. Stops
/// as well, with [`UpgradeNeeded`](plinth_node::upgrade::UpgradeNeeded), once
/// the node halts for an upgrade.
pub async fn run_until_signal(running: RunningNode) -> Result<()> {
    let node = running.node.clone();
    let halted = tokio::select! {
        _ = shutdown_signal() => None,
        needed = node.halted() => Some(needed),
    };
    if halted.is_none() {
        eprintln!("stopping: finishing the block in progress");
    }
    let height = running.stop().await?;
    eprintln!("stopped at height {height}");
    halted.map_or(Ok(()), |needed| Err(needed.into()))
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Parses `1s`, `500ms`, `2m` or a bare number of milliseconds (for flags).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| s.split_at(i))
        .unwrap_or((s, "ms"));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 1s, 500ms)"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s or m)")),
    };
    if d.is_zero() {
        return Err("duration must be positive".into());
    }
    Ok(d)
}

/// The multi-threaded tokio runtime the node commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
