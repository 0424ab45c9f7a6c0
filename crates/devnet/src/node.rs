//! Running a node: `plinth devnet` and `plinth node`.

use crate::genesis_cmd;
use crate::keystore::Keystore;
use anyhow::{bail, Context, Result};
use plinth_core::Keypair;
use plinth_ledger::Genesis;
use plinth_node::{Node, NodeConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses `1s`, `500ms`, `2m` or a bare number of milliseconds.
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

pub struct DevnetOptions {
    pub data_dir: PathBuf,
    pub block_time: Option<Duration>,
    pub rpc: SocketAddr,
    pub accounts: usize,
    /// Epoch length of a new chain.
    pub epoch_time: Duration,
    /// The oracle, broker and fleet beside the node (none with `--devices 0`).
    pub services: Option<crate::services::ServicesOptions>,
}

/// Creates the devnet's files on first start: genesis, keystore (validator, oracle
/// and funded accounts).
fn init_devnet(
    dir: &Path,
    accounts: usize,
    block_time: Option<Duration>,
    epoch_time: Duration,
) -> Result<bool> {
    let genesis_path = dir.join("genesis.toml");
    if genesis_path.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let block_time_ms = block_time.map(|d| d.as_millis() as u64).unwrap_or(1000);
    let setup = genesis_cmd::new_setup(
        "plinth-devnet",
        accounts,
        block_time_ms,
        epoch_time.as_millis() as u64,
        now_ms(),
    )?;
    let mut ks = Keystore::load(&dir.join("keystore.json"))?;
    ks.add("validator", &setup.validator)?;
    ks.add("oracle", &setup.oracle)?;
    for (name, key) in &setup.accounts {
        ks.add(name, key)?;
    }
    ks.save()?;
    // The genesis goes last: its presence marks a complete setup.
    crate::keystore::write_secret_file(&genesis_path, &setup.genesis_toml)?;
    Ok(true)
}

pub async fn devnet(opts: DevnetOptions) -> Result<()> {
    let dir = &opts.data_dir;
    let created = init_devnet(dir, opts.accounts, opts.block_time, opts.epoch_time)?;
    let genesis_path = dir.join("genesis.toml");
    let genesis = load_genesis(&genesis_path)?;
    let ks = Keystore::load(&dir.join("keystore.json"))?;
    let key = ks.key("validator")?;
    let block_time = opts
        .block_time
        .unwrap_or(Duration::from_millis(genesis.block_time_ms));
    let node = Node::open(genesis, key, NodeConfig::new(dir.clone(), block_time))
        .with_context(|| format!("opening the chain in {}", dir.display()))?;
    let listener = bind(opts.rpc).await?;
    let addr = listener.local_addr()?;
    let head = node.store.head()?;
    println!(
        "Plinth devnet ({})",
        if created { "new chain" } else { "resumed" }
    );
    println!(
        "  chain      {} at height {}",
        node.params.chain_id, head.height
    );
    println!(
        "  validator  {} (block every {:?})",
        node.validator(),
        block_time
    );
    println!("  explorer   http://{addr}/");
    println!("  rpc        http://{addr}/v1/status");
    println!("  events     http://{addr}/v1/events");
    println!("  metrics    http://{addr}/metrics");
    println!("  api docs   http://{addr}/v1/openapi.yaml");
    println!("  data       {}", dir.display());
    println!("  keystore   {}", ks.path().display());
    println!(
        "  accounts   {}",
        ks.keys
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let services = opts.services.map(|o| (dir.clone(), ks, o));
    run(node, listener, services).await
}

/// `storage`: whether the devnet runs storage providers to try.
fn banner_tail(storage: bool) {
    println!("Try: plinth wallet balance alice   |   plinth wallet transfer --from alice bob 10");
    println!("     plinth wallet rewards alice   |   plinth device list --owner alice");
    if storage {
        println!("     plinth storage offers         |   plinth storage put FILE --provider DEVICE --epochs 10 --from alice");
    }
    println!("Ctrl-C stops; running the same command again resumes this chain.");
}

pub(crate) fn load_genesis(path: &Path) -> Result<Genesis> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Genesis::from_toml(&text).with_context(|| format!("in {}", path.display()))
}

pub(crate) async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another node running? choose another with --rpc)")
    })
}

/// Configuration of `plinth node`, from a TOML file with flags on top.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NodeFileConfig {
    pub genesis: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub rpc: Option<SocketAddr>,
    pub block_time_ms: Option<u64>,
    /// Present for a member of a validator set (see `plinth testnet init`):
    /// blocks come from consensus among the validators instead of this node alone.
    pub consensus: Option<ConsensusFileConfig>,
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

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    pub address: plinth_core::Address,
    pub p2p: SocketAddr,
}

/// What `plinth node` runs, from its configuration.
pub(crate) struct NodeParts {
    pub genesis: Genesis,
    pub key: Keypair,
    pub data_dir: PathBuf,
    pub rpc: SocketAddr,
    pub block_time: Duration,
}

pub(crate) fn node_parts(cfg: &NodeFileConfig) -> Result<NodeParts> {
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
    let ks = Keystore::load(key_path)?;
    let key: Keypair = ks.key("validator").or_else(|_| {
        ks.keys
            .first()
            .context("the key file is empty")
            .and_then(|k| ks.key(&k.name))
    })?;
    let block_time = Duration::from_millis(cfg.block_time_ms.unwrap_or(genesis.block_time_ms));
    let rpc = cfg
        .rpc
        .unwrap_or_else(|| "127.0.0.1:8645".parse().expect("valid"));
    Ok(NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
    })
}

pub async fn node(cfg: NodeFileConfig) -> Result<()> {
    let NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
    } = node_parts(&cfg)?;
    let node = Node::open(genesis, key, NodeConfig::new(data_dir.clone(), block_time))?;
    let listener = bind(rpc).await?;
    tracing::info!(addr = %listener.local_addr()?, data = %data_dir.display(), "node serving");
    println!("rpc http://{}/v1/status", listener.local_addr()?);
    run(node, listener, None).await
}

async fn run(
    node: Arc<Node>,
    listener: tokio::net::TcpListener,
    services: Option<(PathBuf, Keystore, crate::services::ServicesOptions)>,
) -> Result<()> {
    let node_url = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let producer = tokio::spawn(node.clone().run_producer(stop_rx.clone()));
    let mut stop_for_http = stop_rx.clone();
    let explorer = plinth_node::explorer::ExplorerConfig::default();
    let app = plinth_node::rpc::router_with(node.clone(), explorer.clone());
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_for_http.changed().await;
    });
    let server = tokio::spawn(async move { server.await });
    // The oracle and the fleet talk to the node over its public API, now up.
    let _services = match services {
        Some((dir, ks, opts)) => {
            let s = crate::services::start(&dir, &node_url, &ks, opts).await?;
            explorer.set_oracle(s.oracle_url.clone());
            println!("  oracle     {}/v1/status", s.oracle_url);
            println!(
                "  mqtt       {} (devices publish to plinth/reports/<device id>; no topic ACLs: loopback only)",
                s.mqtt_url
            );
            println!(
                "  fleet      simulated devices report every 5 s; an epoch lasts {} s",
                node.params.emission.epoch_ms / 1000
            );
            for p in &s.storage {
                println!(
                    "  storage    provider {} at {} ({})",
                    p.device,
                    p.endpoint(),
                    match p.behaviour {
                        plinth_storage::agent::Behaviour::Honest => "honest".to_string(),
                        b => format!("cheats: {b:?}"),
                    }
                );
            }
            banner_tail(!s.storage.is_empty());
            Some(s)
        }
        None => {
            if node_url.contains("127.0.0.1") && node.genesis.chain_id == "plinth-devnet" {
                banner_tail(false);
            }
            None
        }
    };
    shutdown_signal().await;
    eprintln!("stopping: finishing the block in progress");
    let _ = stop_tx.send(true);
    let _ = producer.await;
    // Open event streams never end by themselves; don't wait for them long.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    let head = node.store.head()?;
    eprintln!("stopped at height {}", head.height);
    Ok(())
}

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
