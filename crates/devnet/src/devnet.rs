//! `plinth devnet`: a whole one-validator network on this machine, in one process.
//!
//! ```text
//!  DATA_DIR/genesis.toml, keystore.json   written on first start (genesis::new_setup)
//!  node ── HTTP API + explorer (rpc) ──┬── oracles 0..N (HTTP, MQTT client) ◀── embedded MQTT broker
//!                                      │     each its own key, data dir and port; peers of each other
//!                                      ├── storage providers' agents (two honest, three cheaters)
//!                                      └── device fleet + claimer (threads, over HTTP;
//!                                          each network's devices spread over the oracles)
//! ```
//!
//! `--oracles N` (1 by default, at most [`MAX_ORACLES`]) makes a new chain whose
//! oracle set is N oracles with a [`majority`](crate::genesis::majority) threshold
//! (2 of 3); a resumed chain runs the oracles it was made with.
//!
//! [`Devnet::start`] starts it all and returns a handle (for tests and other
//! crates); [`run`] is the command: it prints where everything is, runs until
//! SIGINT/SIGTERM and stops.

use crate::genesis::{oracle_keys, oracle_name, MAX_ORACLES};
use crate::hints::{print_try, print_try_on_local_devnet};
use crate::keystore::Keystore;
use crate::node::{bind, load_genesis, open_node, RunningNode};
use crate::services::{Services, ServicesOptions};
use anyhow::{bail, Context, Result};
use plinth_node::NodeConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::hints::CHAIN_ID;

/// What `plinth devnet` is asked for.
pub struct DevnetOptions {
    /// Where the chain, its genesis and its keystore live.
    pub data_dir: PathBuf,
    /// Time between blocks; the genesis's value when absent.
    pub block_time: Option<Duration>,
    /// Address of the node's HTTP API.
    pub rpc: SocketAddr,
    /// Funded development accounts to create on first start.
    pub accounts: usize,
    /// Oracles of a new chain (each its own key, data dir and HTTP port); `None`:
    /// one for a new chain, as many as it was made with for a resumed one.
    pub oracles: Option<usize>,
    /// Epoch length of a new chain.
    pub epoch_time: Duration,
    /// The oracle, broker and fleet beside the node (none with `--devices 0`).
    pub services: Option<ServicesOptions>,
    /// The upgrades the binary knows: the node stops before a planned upgrade's
    /// height unless its name is here ([`plinth_node::upgrade`]).
    pub known_upgrades: Vec<String>,
}

/// A devnet running in this process; [`Devnet::stop`] stops it.
pub struct Devnet {
    /// The node, serving its HTTP API.
    pub node: RunningNode,
    /// The devnet's keystore (validator, oracles, funded accounts).
    pub keystore: Keystore,
    /// Whether this start created the chain (false: resumed it).
    pub created: bool,
    /// The chain's height when it was opened.
    pub start_height: u64,
    /// The services beside the node, once started.
    pub services: Option<Services>,
}

/// Creates the devnet's files on first start: genesis, keystore (validator,
/// `oracles` oracles and funded accounts). Returns whether it did.
pub fn init(
    dir: &Path,
    accounts: usize,
    oracles: usize,
    block_time: Option<Duration>,
    epoch_time: Duration,
) -> Result<bool> {
    let genesis_path = dir.join("genesis.toml");
    if genesis_path.exists() {
        return Ok(false);
    }
    if !(1..=MAX_ORACLES).contains(&oracles) {
        bail!("--oracles must be 1 to {MAX_ORACLES}, not {oracles}");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let block_time_ms = block_time.map(|d| d.as_millis() as u64).unwrap_or(1000);
    let setup = crate::genesis::new_setup(
        CHAIN_ID,
        accounts,
        oracles,
        block_time_ms,
        epoch_time.as_millis() as u64,
        plinth_oracle::now_ms(),
    )?;
    setup.save_keys(&dir.join("keystore.json"))?;
    // The genesis goes last: its presence marks a complete setup.
    crate::keystore::write_secret_file(&genesis_path, &setup.genesis_toml)?;
    Ok(true)
}

impl Devnet {
    /// Creates the chain on first start, opens it, and starts the node and its
    /// HTTP API; the services are started by [`Devnet::start_services`].
    pub async fn open(opts: &DevnetOptions) -> Result<Devnet> {
        let dir = &opts.data_dir;
        let created = init(
            dir,
            opts.accounts,
            opts.oracles.unwrap_or(1),
            opts.block_time,
            opts.epoch_time,
        )?;
        let genesis = load_genesis(&dir.join("genesis.toml"))?;
        let keystore = Keystore::load(&dir.join("keystore.json"))?;
        let made_with = oracle_keys(&keystore)?.len();
        match opts.oracles {
            Some(n) if n != made_with => bail!(
                "the devnet in {} was made with {made_with} oracle(s), not {n}: drop --oracles \
                 to resume it, or choose a new --data-dir",
                dir.display()
            ),
            _ => {}
        }
        let key = keystore.key("validator")?;
        let block_time = opts
            .block_time
            .unwrap_or(Duration::from_millis(genesis.block_time_ms));
        let config = NodeConfig {
            known_upgrades: opts.known_upgrades.clone(),
            ..NodeConfig::new(dir.clone(), block_time)
        };
        let node = open_node(genesis, key, config)?;
        let listener = plinth_tls::server::Listener::plain(bind(opts.rpc).await?)?;
        let start_height = node.store.head()?.height;
        Ok(Devnet {
            node: RunningNode::start(node, listener)?,
            keystore,
            created,
            start_height,
            services: None,
        })
    }

    /// Starts the oracle, the broker, the storage providers and the fleet, which
    /// talk to the node over its public API.
    pub async fn start_services(&mut self, dir: &Path, opts: ServicesOptions) -> Result<()> {
        let s = crate::services::start(dir, &self.node.url, &self.keystore, opts).await?;
        // The explorer shows the first oracle's manifests (and their co-signers).
        self.node.explorer.set_oracle(s.oracle_url());
        self.services = Some(s);
        Ok(())
    }

    /// [`Devnet::open`], then the services the options ask for.
    pub async fn start(opts: DevnetOptions) -> Result<Devnet> {
        let mut devnet = Devnet::open(&opts).await?;
        if let Some(s) = opts.services {
            devnet.start_services(&opts.data_dir, s).await?;
        }
        Ok(devnet)
    }

    /// Stops the services, then the node; returns the height the chain stopped at.
    pub async fn stop(self) -> Result<u64> {
        drop(self.services);
        self.node.stop().await
    }
}

/// `plinth devnet`: starts the devnet, says where everything is, and runs until
/// SIGINT/SIGTERM.
pub async fn run(opts: DevnetOptions) -> Result<()> {
    let mut devnet = Devnet::open(&opts).await?;
    print_node(&devnet, &opts);
    if let Some(s) = opts.services {
        devnet.start_services(&opts.data_dir, s).await?;
    }
    match &devnet.services {
        Some(s) => print_services(&devnet, s, &opts.data_dir),
        None => print_try_on_local_devnet(&devnet.node.url, &devnet.node.node.genesis.chain_id),
    }
    let Devnet { node, services, .. } = devnet;
    let result = crate::node::run_until_signal(node).await;
    drop(services);
    result
}

fn print_node(devnet: &Devnet, opts: &DevnetOptions) {
    let node = &devnet.node.node;
    let addr = devnet.node.url.trim_start_matches("http://");
    let ks = &devnet.keystore;
    println!(
        "Plinth devnet ({})",
        if devnet.created {
            "new chain"
        } else {
            "resumed"
        }
    );
    println!(
        "  chain      {} at height {}",
        node.params.chain_id, devnet.start_height
    );
    println!(
        "  validator  {} (block every {:?})",
        node.validator(),
        opts.block_time
            .unwrap_or(Duration::from_millis(node.genesis.block_time_ms))
    );
    println!("  explorer   http://{addr}/");
    println!("  rpc        http://{addr}/v1/status");
    println!("  events     http://{addr}/v1/events");
    println!("  metrics    http://{addr}/metrics");
    println!("  api docs   http://{addr}/v1/openapi.yaml");
    println!("  data       {}", opts.data_dir.display());
    println!("  keystore   {}", ks.path().display());
    println!(
        "  accounts   {}",
        ks.keys
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn print_services(devnet: &Devnet, s: &Services, dir: &Path) {
    for (i, url) in s.oracle_urls.iter().enumerate() {
        println!("  {:<10} {url}/v1/status", oracle_name(i));
    }
    let n = s.oracle_urls.len();
    if n > 1 {
        let set = &devnet.node.node.genesis.oracles;
        println!(
            "  oracle set {n} oracles, peers of each other; a manifest needs {} of their signatures",
            set.threshold
        );
    }
    println!(
        "  mqtt       {} (devices publish to plinth/reports/<device id>; no topic ACLs: loopback only)",
        s.mqtt_url
    );
    println!(
        "  fleet      simulated devices report every 5 s{}; an epoch lasts {} s",
        if n > 1 {
            format!(" (each network's devices spread over the {n} oracles)")
        } else {
            String::new()
        },
        devnet.node.node.params.emission.epoch_ms / 1000
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
    for p in &s.compute {
        println!(
            "  compute    provider {} at {} ({})",
            p.device,
            p.agent.endpoint(),
            match p.behaviour {
                plinth_compute::Behaviour::Honest => "honest".to_string(),
                b => format!("cheats: {b}"),
            }
        );
    }
    if !s.compute.is_empty() {
        println!(
            "  render     the demo scene renders on the compute network; the picture lands at {}",
            crate::compute::demo_frame_path(dir).display()
        );
    }
    print_try(!s.storage.is_empty(), !s.compute.is_empty());
}
