//! The devnet's DePIN services beside the node: an embedded MQTT broker, the
//! oracles (peers of each other), storage providers' agents, a simulated device fleet, and a claimer that
//! claims the owners' rewards, so that a newcomer sees rewards flow into balances
//! and can store a file with no setup.

use crate::genesis::{is_oracle_name, oracle_keys, oracle_name, MAKER_NAME};
use crate::keystore::{DeviceKeyFile, Keystore};
use anyhow::{bail, Context, Result};
use plinth_api::node::AccountView;
use plinth_api::NodeClient as Client;
use plinth_core::{Address, DeviceId, Keypair};
use plinth_device::fleet::{FleetConfig, FleetNetwork, FleetRun};
use plinth_ledger::{Call, Transaction};
use plinth_oracle::{Oracle, OracleConfig};
use plinth_storage::agent::{Agent, AgentConfig, Behaviour, RunningAgent};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The token price the devnet's oracle posts: $0.50.
pub const DEVNET_PRICE_MICRO_USD: u64 = 500_000;

/// What the devnet's services are asked for.
pub struct ServicesOptions {
    /// Address of the first oracle's HTTP API; oracle `i` listens on its port + `i`
    /// (each on any free port when it is 0).
    pub oracle_http: SocketAddr,
    /// Address of the embedded MQTT broker.
    pub mqtt: SocketAddr,
    /// Simulated devices of the fleet.
    pub devices: usize,
    /// Share of the fleet that cheats, in basis points.
    pub cheaters_bps: u32,
    /// Time between a simulated device's reports.
    pub report_interval: Duration,
}

/// Running services; dropping stops the oracles, the fleet, the claimer and the
/// storage agents.
pub struct Services {
    /// Base URLs of the oracles' HTTP APIs, in keystore order (`oracle`,
    /// `oracle1`, …).
    pub oracle_urls: Vec<String>,
    /// The broker's URL, `mqtt://HOST:PORT`.
    pub mqtt_url: String,
    /// The devnet's storage providers (none without a storage network).
    pub storage: Vec<StorageProvider>,
    /// The devnet's compute providers (none without a compute network).
    pub compute: Vec<crate::compute::ComputeProvider>,
    stop: Arc<AtomicBool>,
    oracle_stop: tokio::sync::watch::Sender<bool>,
}

impl Services {
    /// The first oracle's URL: the one the explorer and the claimer read.
    pub fn oracle_url(&self) -> &str {
        &self.oracle_urls[0]
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.oracle_stop.send(true);
    }
}

/// The dev accounts that own the fleet (every funded key but the validator, the
/// oracles and the maker).
fn owners(ks: &Keystore) -> Result<Vec<(String, Keypair)>> {
    ks.keys
        .iter()
        .filter(|k| k.name != "validator" && k.name != MAKER_NAME && !is_oracle_name(&k.name))
        .map(|k| Ok((k.name.clone(), ks.key(&k.name)?)))
        .collect()
}

/// Starts the broker, the oracles (each with the devnet's price feed), the
/// storage providers, and, with devices asked for and dev accounts to own them,
/// the fleet and the claimer; `dir` holds their state, `ks` the oracles' and
/// owners' keys.
pub async fn start(
    dir: &Path,
    node_url: &str,
    ks: &Keystore,
    opts: ServicesOptions,
) -> Result<Services> {
    let RunningOracles {
        first,
        urls: oracle_urls,
        mqtt_url,
        stop: oracle_stop,
    } = start_oracles(dir, node_url, ks, &opts).await?;

    let owners = owners(ks)?;
    // Owned by the last dev account (its deposits would blur the balances people
    // watch on alice's), and set up before the fleet and the claimer start signing
    // with the same owners, so that their nonces do not race.
    let storage = match owners.last() {
        Some((name, key)) => {
            let (dir, node, owner, name) = (
                dir.to_path_buf(),
                node_url.to_string(),
                key.clone(),
                name.clone(),
            );
            tokio::task::spawn_blocking(move || start_storage_providers(&dir, &node, &owner, &name))
                .await?
                .context("starting the devnet's storage providers")?
        }
        None => Vec::new(),
    };

    // Compute providers: accounts of their own, funded by the same dev account.
    let compute = match owners.last() {
        Some((_, key)) => {
            let (dir, node, funder) = (dir.to_path_buf(), node_url.to_string(), key.clone());
            let rt = tokio::runtime::Handle::current();
            let started = tokio::task::spawn_blocking(move || {
                let providers = crate::compute::start_compute_providers(&dir, &node, &funder, &rt)?;
                if !providers.is_empty() {
                    crate::compute::start_demo_consumer(&dir, &node, &funder)?;
                }
                anyhow::Ok(providers)
            })
            .await?;
            match started {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "the devnet's compute providers did not start");
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };

    // The burst keeper: its own account, funded before the fleet signs with the
    // same dev accounts.
    let keeper = match owners.last() {
        Some((_, key)) => {
            let (dir, node, funder) = (dir.to_path_buf(), node_url.to_string(), key.clone());
            match tokio::task::spawn_blocking(move || {
                crate::bursts::fund_keeper(&dir, &node, &funder)
            })
            .await?
            {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "the devnet's burst keeper did not start");
                    None
                }
            }
        }
        None => None,
    };

    let stop = Arc::new(AtomicBool::new(false));
    // The neighbourhood's homes: accounts of their own, funded by the same dev
    // account before the fleet signs with it; meters made by the genesis maker.
    if let (Some((_, key)), Ok(maker)) = (owners.last(), ks.key(MAKER_NAME)) {
        let (dir, node, funder, stop) = (
            dir.to_path_buf(),
            node_url.to_string(),
            key.clone(),
            stop.clone(),
        );
        let started = tokio::task::spawn_blocking(move || {
            crate::energy::start_homes(&dir, &node, &funder, maker, stop)
        })
        .await?;
        if let Err(e) = started {
            tracing::warn!(error = %format!("{e:#}"), "the devnet's homes did not start");
        }
    }
    let fleet = fleet_config(&first, &opts)?;
    if opts.devices > 0 && !owners.is_empty() {
        start_fleet(
            fleet.clone(),
            node_url,
            &oracle_urls,
            &owners,
            // A devnet made before it had a maker has none (and no network
            // requiring one).
            ks.key(MAKER_NAME).ok(),
            &opts,
            stop.clone(),
        )?;
        start_claimer(node_url, &oracle_urls[0], owners, stop.clone())?;
    }
    if let Some(k) = keeper {
        let demo = (opts.devices > 0).then_some(fleet);
        crate::bursts::start_keeper(node_url, &oracle_urls[0], k, demo, stop.clone())?;
    }
    Ok(Services {
        oracle_urls,
        mqtt_url,
        storage,
        compute,
        stop,
        oracle_stop,
    })
}

/// The devnet's oracles, serving their HTTP APIs and reading the broker.
struct RunningOracles {
    /// The first oracle (whose view of the networks and chain the fleet takes).
    first: Arc<Oracle>,
    /// Base URLs of their HTTP APIs, in keystore order.
    urls: Vec<String>,
    /// The broker they read.
    mqtt_url: String,
    /// Stops them all.
    stop: tokio::sync::watch::Sender<bool>,
}

/// Where oracle `i` listens: `first`'s port + `i`, or any free port when
/// `first`'s is 0.
fn oracle_addr(first: SocketAddr, i: usize) -> Result<SocketAddr> {
    if first.port() == 0 {
        return Ok(first);
    }
    let port = u16::try_from(usize::from(first.port()) + i)
        .ok()
        .context("the oracles' ports run past 65535: choose a lower --oracle-http port")?;
    Ok(SocketAddr::new(first.ip(), port))
}

/// The URLs in `urls` but the `i`th: oracle `i`'s peers.
fn peers_of(urls: &[String], i: usize) -> Vec<String> {
    urls.iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, u)| u.clone())
        .collect()
}

/// Starts the broker and one oracle per oracle key of the keystore (`oracle`,
/// `oracle1`, …), each with its own data dir (`DIR/oracle`, `DIR/oracle1`, …) and
/// port, the devnet's price feed, the broker, and the others as its peers.
async fn start_oracles(
    dir: &Path,
    node_url: &str,
    ks: &Keystore,
    opts: &ServicesOptions,
) -> Result<RunningOracles> {
    crate::mqtt::start_broker(opts.mqtt)?;
    let mqtt_url = format!("mqtt://{}", opts.mqtt);
    let keys = oracle_keys(ks)?;
    if keys.is_empty() {
        bail!("the devnet keystore has no `oracle` key");
    }
    // Every oracle listens before any opens: each one's peers are the others' URLs.
    let mut listeners = Vec::with_capacity(keys.len());
    for i in 0..keys.len() {
        let addr = oracle_addr(opts.oracle_http, i)?;
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr} for oracle {i} (choose another with --oracle-http)")
        })?;
        listeners.push(listener);
    }
    let urls = listeners
        .iter()
        .map(|l| Ok(format!("http://{}", l.local_addr()?)))
        .collect::<Result<Vec<_>>>()?;
    let mut oracles = Vec::with_capacity(keys.len());
    for (i, key) in keys.into_iter().enumerate() {
        let mut config = OracleConfig::new(dir.join(oracle_name(i)), node_url.to_string());
        // The devnet's token trades at $0.50: its oracles run the price feed, so
        // `plinth wallet credits buy` works out of the box (and each can co-sign
        // the others' prices).
        config.price_micro_usd = Some(DEVNET_PRICE_MICRO_USD);
        config.price_interval = Duration::from_secs(30);
        config.peers = peers_of(&urls, i);
        // The first oracle records each epoch as a family input, so `plinth
        // family test MODULE --inputs <dir>/oracle/family-inputs/<network>`
        // replays the devnet's epochs through a custom family.
        config.record_family_inputs = i == 0;
        let oracle: Arc<Oracle> =
            tokio::task::spawn_blocking(move || Oracle::open(config, key)).await??;
        oracles.push(oracle);
    }
    // All open before any runs: the first one's first price finds its peers up.
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    for (oracle, http) in oracles.iter().zip(listeners) {
        tokio::spawn(plinth_oracle::run::run(
            oracle.clone(),
            plinth_oracle::run::Endpoints {
                http: plinth_tls::server::Listener::plain(http)?,
                mqtt: Some(mqtt_url.clone()),
            },
            stop_rx.clone(),
        ));
    }
    Ok(RunningOracles {
        first: oracles.swap_remove(0),
        urls,
        mqtt_url,
        stop,
    })
}

/// Starts the simulated fleet on its own thread, its devices owned by `owners` in
/// turn (those of networks requiring a maker certified by `maker`) and each
/// network's devices spread over `oracle_urls`
/// ([`plinth_device::fleet::home_oracles`]), until `stop`.
fn start_fleet(
    cfg: FleetConfig,
    node_url: &str,
    oracle_urls: &[String],
    owners: &[(String, Keypair)],
    maker: Option<Keypair>,
    opts: &ServicesOptions,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let how = FleetRun {
        node: node_url.to_string(),
        oracle: oracle_urls[0].clone(),
        report_to: oracle_urls.to_vec(),
        owners: owners.iter().map(|(_, k)| k.clone()).collect(),
        interval: opts.report_interval,
        maker,
    };
    std::thread::Builder::new()
        .name("fleet".into())
        .spawn(move || {
            let r = plinth_device::fleet::run(&cfg, &how, &stop, |share| {
                tracing::info!(
                    network = %share.network,
                    epoch = share.epoch,
                    total = share.total,
                    cheaters_bps = share.cheaters_bps(),
                    by_strategy = ?share.by_strategy,
                    "epoch paid the fleet"
                );
            });
            if let Err(e) = r {
                tracing::error!(error = %e, "fleet stopped");
            }
        })?;
    Ok(())
}

/// The devnet's fleet: the networks the oracle scores, round Berlin.
fn fleet_config(oracle: &Oracle, opts: &ServicesOptions) -> Result<FleetConfig> {
    let networks: Vec<FleetNetwork> = oracle
        .current_networks()?
        .views()
        .iter()
        .filter_map(|n| FleetNetwork::from_listing(&n.name, &n.family, &n.params))
        .collect();
    Ok(FleetConfig {
        count: opts.devices,
        cheaters_bps: opts.cheaters_bps,
        networks,
        center: (52.52, 13.405),
        spread_deg: 0.03,
        seed: 7,
        // The chain the oracle read (and checked) from the node.
        chain: oracle.chain,
    })
}

/// Claims the owners' rewards every 5 s, as their wallets would, until `stop`.
fn start_claimer(
    node_url: &str,
    oracle_url: &str,
    owners: Vec<(String, Keypair)>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let (node, oracle) = (node_url.to_string(), oracle_url.to_string());
    std::thread::Builder::new()
        .name("claimer".into())
        .spawn(move || {
            let mut done = std::collections::HashSet::new();
            while !stop.load(Ordering::SeqCst) {
                for (name, key) in &owners {
                    if let Err(e) = claim_all(&node, &oracle, key, &mut done) {
                        tracing::debug!(owner = %name, error = %e, "claiming failed; will retry");
                    }
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        })?;
    Ok(())
}

/// Submits claims for every unclaimed reward of `key`'s devices (no waiting).
fn claim_all(
    node: &str,
    oracle: &str,
    key: &Keypair,
    done: &mut std::collections::HashSet<(String, u64, u64)>,
) -> Result<()> {
    let owner = Address(key.public());
    let n = plinth_api::NodeClient::new(node);
    let o = plinth_api::OracleClient::new(oracle);
    let claims: Vec<plinth_oracle::RewardClaim> = o.get(&format!("/v1/rewards/{owner}"))?;
    let claims: Vec<_> = claims
        .into_iter()
        .filter(|c| !done.contains(&(c.network.clone(), c.epoch, c.index)))
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    let status = n.status()?;
    let acct: plinth_api::node::AccountView = n.get(&format!("/v1/accounts/{owner}"))?;
    let mut nonce = acct.next_nonce;
    let mut txs = Vec::new();
    for c in claims {
        // Not on the ledger yet: try again next round.
        let Some(claimed) = n.get_opt::<serde_json::Value>(&format!(
            "/v1/rewards/{}/{}/claimed/{}",
            c.network, c.epoch, c.index
        ))?
        else {
            continue;
        };
        let key_of = (c.network.clone(), c.epoch, c.index);
        if claimed["claimed"].as_bool().unwrap_or(false) {
            done.insert(key_of);
            continue;
        }
        done.insert(key_of);
        let tx = plinth_ledger::Transaction {
            chain_id: status.chain_id.clone(),
            signer: owner,
            nonce,
            fee: status.min_fee,
            call: plinth_ledger::Call::Claim {
                network: c.network,
                epoch: c.epoch,
                index: c.index,
                entry: c.entry,
                proof: c.proof,
            },
        }
        .sign(key);
        nonce += 1;
        txs.push(hex::encode(tx.encode()));
    }
    if txs.is_empty() {
        return Ok(());
    }
    let _: serde_json::Value = n.post("/v1/txs/batch", &serde_json::json!({ "txs": txs }))?;
    Ok(())
}

/// How the devnet's storage providers behave, in order: two honest ones and the
/// three cheaters the oracle's challenges must catch (the last takes its data,
/// then goes offline).
pub const STORAGE_BEHAVIOURS: [Behaviour; 5] = [
    Behaviour::Honest,
    Behaviour::Honest,
    Behaviour::DropChunks {
        per_million: 250_000,
    },
    Behaviour::HashesOnly,
    Behaviour::Offline,
];
/// The provider that accepts its demo deal honestly, then stops answering.
const GOES_OFFLINE: usize = 4;
/// The devnet providers' price: credits per started MiB per epoch.
const STORAGE_PRICE: u64 = 10;
/// Collateral per started MiB, and the pool each provider deposits, in whole tokens.
const STORAGE_COLLATERAL_TOKENS: u64 = 1;
const STORAGE_DEPOSIT_TOKENS: u64 = 1_000;
/// Each devnet provider takes at most this many bytes of deals.
const STORAGE_CAPACITY: u64 = 4 << 30;

/// One of the devnet's storage providers: an agent served in this process.
pub struct StorageProvider {
    /// The provider's device.
    pub device: DeviceId,
    /// How it behaves (the cheaters' ways).
    pub behaviour: Behaviour,
    /// Its agent, serving on loopback.
    pub agent: RunningAgent,
}

impl StorageProvider {
    /// The agent's URL, as its offer names it.
    pub fn endpoint(&self) -> String {
        self.agent.url()
    }
}

/// Starts the devnet's storage providers under `<dir>/storage/<i>` (device key,
/// deals, last port), each a device of the chain's storage network owned by
/// `owner` with an offer on the ledger. Keys and ports are kept across restarts;
/// what the ledger already has is not sent again (an offer whose endpoint moved
/// is updated).
fn start_storage_providers(
    dir: &Path,
    node_url: &str,
    owner: &Keypair,
    owner_name: &str,
) -> Result<Vec<StorageProvider>> {
    let client = Client::new(node_url);
    // Receipts name the chain: its identity from the node's genesis hash.
    let chain = plinth_core::chain_identity(&client.status()?.genesis_hash);
    let networks: Vec<serde_json::Value> = client.get("/v1/networks")?;
    let Some(network) = networks
        .iter()
        .find(|n| n["family"] == plinth_ledger::storage::FAMILY)
        .and_then(|n| n["name"].as_str())
        .map(str::to_string)
    else {
        tracing::info!("the chain has no storage network: no storage providers");
        return Ok(Vec::new());
    };
    let mut providers = Vec::with_capacity(STORAGE_BEHAVIOURS.len());
    for (i, behaviour) in STORAGE_BEHAVIOURS.into_iter().enumerate() {
        let home = dir.join("storage").join(i.to_string());
        std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
        let key_path = home.join("device.key.json");
        let key = if key_path.exists() {
            DeviceKeyFile::load(&key_path)?
        } else {
            let k = Keypair::generate();
            DeviceKeyFile::write(&key_path, &k)?;
            k
        };
        let device = DeviceId(key.public());
        let agent = Agent::open(AgentConfig {
            data_dir: home.clone(),
            capacity: STORAGE_CAPACITY,
            // It takes its data while it is up.
            behaviour: if i == GOES_OFFLINE {
                Behaviour::Honest
            } else {
                behaviour
            },
            deals: Some(Arc::new(crate::deals::NodeDealSource::new(
                node_url, device,
            ))),
            receipt_key: Some(plinth_storage::agent::ReceiptKey {
                key: key.clone(),
                chain,
            }),
        })
        .with_context(|| format!("opening storage provider {i} in {}", home.display()))?;
        // The same port as last time keeps the ledger's offer (and open deals) valid.
        let port_path = home.join("port");
        let last: Option<u16> = std::fs::read_to_string(&port_path)
            .ok()
            .and_then(|p| p.trim().parse().ok());
        let running = match last.and_then(|p| {
            plinth_storage::agent::spawn(agent.clone(), &format!("127.0.0.1:{p}"), 1).ok()
        }) {
            Some(r) => r,
            None => plinth_storage::agent::spawn(agent, "127.0.0.1:0", 1)
                .context("starting a storage agent")?,
        };
        std::fs::write(&port_path, running.addr.port().to_string())
            .with_context(|| format!("writing {}", port_path.display()))?;
        providers.push((
            key,
            StorageProvider {
                device,
                behaviour,
                agent: running,
            },
        ));
    }
    register_storage_providers(&client, owner, &network, &providers)?;
    if let Err(e) = open_demo_deals(&client, owner, dir, &providers) {
        tracing::warn!(error = %e, "the devnet's demo storage deals were not opened");
    }
    if let Some((_, p)) = providers.get(GOES_OFFLINE) {
        p.agent.agent.set_behaviour(Behaviour::Offline);
    }
    for (_, p) in &providers {
        tracing::info!(
            device = %p.device,
            endpoint = %p.endpoint(),
            behaviour = ?p.behaviour,
            owner = owner_name,
            network = %network,
            "storage provider"
        );
    }
    Ok(providers.into_iter().map(|(_, p)| p).collect())
}

/// How long the devnet's demo deals run, in epochs.
const DEMO_DEAL_EPOCHS: u64 = 1_000;
/// The size of each demo file: 16 chunks of 64 KiB, so that the provider that
/// drops a quarter of its chunks almost surely (1 − 0.75^16 ≈ 0.99) lost some.
const DEMO_FILE_BYTES: usize = 1024 * 1024;
const DEMO_CHUNK_SIZE: u32 = 64 * 1024;

/// On a new devnet, the providers' owner buys credits and stores a demo file with
/// each provider (`<dir>/storage/demo-<i>.bin`), activating each deal with the
/// provider's receipt, so that the storage network has deals to prove from the
/// next epoch on: the honest providers' deals are paid every epoch, the cheaters'
/// are slashed. On a restart, deals still pending are uploaded and activated.
fn open_demo_deals(
    client: &Client,
    owner: &Keypair,
    dir: &Path,
    providers: &[(Keypair, StorageProvider)],
) -> Result<()> {
    use plinth_ledger::storage::{Deal, DealStatus};
    let signer = Address(owner.public());
    if providers.is_empty() {
        return Ok(());
    }
    // The demo files are the same on every start (a function of the provider's
    // index), so an interrupted setup resumes.
    let mut files = Vec::with_capacity(providers.len());
    for i in 0..providers.len() {
        let path = dir.join("storage").join(format!("demo-{i}.bin"));
        let bytes: Vec<u8> = (0..DEMO_FILE_BYTES as u64)
            .map(|j| ((j.wrapping_mul(0x9E37_79B9) >> 7) as u8) ^ (i as u8).wrapping_mul(31))
            .collect();
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        let commitment = plinth_storage::client::commit_file(&path, DEMO_CHUNK_SIZE)?;
        files.push((path, commitment));
    }
    let status = client.status()?;
    let mut deals: Vec<Deal> = client.get(&format!("/v1/deals?consumer={signer}"))?;
    if deals.is_empty() {
        // The oracle posts its first price as it starts.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let price = loop {
            let p: plinth_api::node::PriceView = client.get("/v1/price")?;
            match p.price {
                Some(point) if p.fresh => break (point, p.credit_micro_usd),
                _ if std::time::Instant::now() > deadline => {
                    bail!("no fresh token price after 30 s")
                }
                _ => std::thread::sleep(Duration::from_millis(250)),
            }
        };
        let per_epoch = STORAGE_PRICE * plinth_ledger::storage::mib(DEMO_FILE_BYTES as u64);
        let credits = per_epoch * DEMO_DEAL_EPOCHS * providers.len() as u64;
        // Tokens for `credits` at the posted price, rounded up to a whole token.
        let unit = 10u128.pow(status.token.decimals as u32);
        let micro_usd = credits as u128 * price.1 as u128;
        let tokens = micro_usd.div_ceil(price.0.micro_usd_per_token as u128);
        let burn = (tokens * unit) as u64;
        submit_all(
            client,
            &status,
            owner,
            vec![Call::BurnForCredits {
                amount: burn,
                to: signer,
            }],
        )?;
        let opens = providers
            .iter()
            .zip(&files)
            .map(|((_, p), (_, c))| Call::OpenDeal {
                provider: p.device,
                manifest: c.manifest,
                epochs: DEMO_DEAL_EPOCHS,
                price_per_epoch: per_epoch,
                min_collateral: 0,
            })
            .collect();
        submit_all(client, &status, owner, opens)?;
        deals = client.get(&format!("/v1/deals?consumer={signer}"))?;
    }
    // Upload what is pending and activate it with the provider's receipt.
    let mut activations = Vec::new();
    for d in deals.iter().filter(|d| d.status == DealStatus::Pending) {
        let Some(i) = providers.iter().position(|(_, p)| p.device == d.provider) else {
            continue;
        };
        let (path, c) = &files[i];
        if c.manifest != d.manifest {
            continue;
        }
        let p = &providers[i].1;
        let agent = plinth_storage::client::StorageClient::new(&p.endpoint());
        agent.open_deal(&d.id, c)?;
        agent.upload(&d.id, c, path)?;
        let chain = plinth_core::chain_identity(&status.genesis_hash);
        let receipt = agent.receipt(&chain, &d.id, &c.manifest, &p.device)?;
        activations.push(Call::ActivateDeal {
            deal: d.id,
            receipt,
        });
        tracing::info!(
            deal = %d.id,
            provider = %p.device,
            behaviour = ?p.behaviour,
            file = %path.display(),
            "demo storage deal"
        );
    }
    submit_all(client, &status, owner, activations)
}

/// Registers the providers' devices and posts their offers, whatever of it the
/// ledger does not have yet; waits for every transaction to commit.
fn register_storage_providers(
    client: &Client,
    owner: &Keypair,
    network: &str,
    providers: &[(Keypair, StorageProvider)],
) -> Result<()> {
    let status = client.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let signer = Address(owner.public());
    // Offers name a registered device, so registrations commit first.
    let mut registrations = Vec::new();
    for (i, (key, p)) in providers.iter().enumerate() {
        if client
            .get_opt::<serde_json::Value>(&format!("/v1/devices/{}", p.device))?
            .is_some()
        {
            continue;
        }
        // A few hundred metres apart in Berlin, beside the fleet.
        let cell = u64::from(
            h3o::LatLng::new(52.52 + 0.004 * i as f64, 13.405 - 0.004 * i as f64)
                .context("a provider's location")?
                .to_cell(h3o::Resolution::Twelve),
        );
        let msg = plinth_ledger::devices::registration_message(
            &plinth_core::chain_identity(&status.genesis_hash),
            &signer,
            &p.device,
            network,
            cell,
        );
        registrations.push(Call::RegisterDevice {
            device: p.device,
            network: network.to_string(),
            location: cell,
            device_signature: key.sign(&msg),
        });
    }
    submit_all(client, &status, owner, registrations)?;
    let mut offers = Vec::new();
    for (_, p) in providers {
        let endpoint = p.endpoint();
        let deposit = match client
            .get_opt::<serde_json::Value>(&format!("/v1/storage/offers/{}", p.device))?
        {
            Some(o) if o["endpoint"] == endpoint.as_str() => continue,
            // The agent moved: new endpoint, same pool.
            Some(_) => 0,
            None => STORAGE_DEPOSIT_TOKENS * unit,
        };
        offers.push(Call::OfferStorage {
            device: p.device,
            endpoint,
            price_per_mib_epoch: STORAGE_PRICE,
            collateral_per_mib: STORAGE_COLLATERAL_TOKENS * unit,
            deposit,
        });
    }
    submit_all(client, &status, owner, offers)
}

/// Signs `calls` with `key` at consecutive nonces, submits them and waits until
/// each is committed.
pub(crate) fn submit_all(
    client: &Client,
    status: &plinth_api::node::StatusView,
    key: &Keypair,
    calls: Vec<Call>,
) -> Result<()> {
    if calls.is_empty() {
        return Ok(());
    }
    let signer = Address(key.public());
    let acct: AccountView = client.get(&format!("/v1/accounts/{signer}"))?;
    let mut hashes = Vec::with_capacity(calls.len());
    for (nonce, call) in (acct.next_nonce..).zip(calls) {
        let tx = Transaction {
            chain_id: status.chain_id.clone(),
            signer,
            nonce,
            fee: status.min_fee,
            call,
        }
        .sign(key);
        let _: serde_json::Value = client.post(
            "/v1/txs",
            &serde_json::json!({ "tx": hex::encode(tx.encode()) }),
        )?;
        hashes.push(tx.hash());
    }
    for hash in hashes {
        wait_committed(client, &hash, Duration::from_secs(60))?;
    }
    Ok(())
}

/// Polls until the transaction is committed; a rejection is an error carrying
/// the ledger's reason.
pub(crate) fn wait_committed(
    client: &Client,
    hash: &plinth_core::Hash,
    timeout: Duration,
) -> Result<()> {
    use plinth_api::node::{TxStatus, TxView};
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let view: TxView = client.get(&format!("/v1/txs/{hash}"))?;
        match view.status {
            TxStatus::Committed => return Ok(()),
            TxStatus::Pending if std::time::Instant::now() <= deadline => {
                std::thread::sleep(Duration::from_millis(200))
            }
            TxStatus::Pending => bail!(
                "transaction {hash} still pending after {}s",
                timeout.as_secs()
            ),
            TxStatus::Rejected => {
                let reason = view
                    .error
                    .map(|e| format!("{} [{}]", e.message, e.code))
                    .unwrap_or_else(|| "unknown reason".into());
                bail!("transaction {hash} was rejected: {reason}")
            }
        }
    }
}
