//! The devnet's DePIN services beside the node: an embedded MQTT broker, the
//! oracle, a simulated device fleet, and a claimer that claims the fleet owners'
//! rewards, so that a newcomer sees rewards flow into balances with no setup.

use crate::keystore::Keystore;
use anyhow::{Context, Result};
use plinth_core::{Address, Keypair};
use plinth_device::fleet::{FleetConfig, FleetNetwork, FleetRun};

/// The token price the devnet's oracle posts: $0.50.
pub const DEVNET_PRICE_MICRO_USD: u64 = 500_000;
use plinth_oracle::{Oracle, OracleConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct ServicesOptions {
    pub oracle_http: SocketAddr,
    pub mqtt: SocketAddr,
    pub devices: usize,
    pub cheaters_bps: u32,
    pub report_interval: Duration,
}

/// Running services; dropping stops the fleet and the claimer.
pub struct Services {
    pub oracle_url: String,
    pub mqtt_url: String,
    stop: Arc<AtomicBool>,
    oracle_stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.oracle_stop.send(true);
    }
}

/// The dev accounts that own the fleet (every funded key but the validator and
/// the oracle).
fn owners(ks: &Keystore) -> Result<Vec<(String, Keypair)>> {
    ks.keys
        .iter()
        .filter(|k| k.name != "validator" && k.name != "oracle")
        .map(|k| Ok((k.name.clone(), ks.key(&k.name)?)))
        .collect()
}

pub async fn start(
    dir: &Path,
    node_url: &str,
    ks: &Keystore,
    opts: ServicesOptions,
) -> Result<Services> {
    plinth_oracle::mqtt::start_broker(opts.mqtt)?;
    let mqtt_url = format!("mqtt://{}", opts.mqtt);
    let key = ks
        .key("oracle")
        .context("the devnet keystore has no `oracle` key")?;
    let mut config = OracleConfig::new(dir.join("oracle"), node_url.to_string());
    // The devnet's token trades at $0.50: its oracle runs the price feed, so
    // `plinth wallet credits buy` works out of the box.
    config.price_micro_usd = Some(DEVNET_PRICE_MICRO_USD);
    config.price_interval = Duration::from_secs(30);
    let oracle: Arc<Oracle> =
        tokio::task::spawn_blocking(move || Oracle::open(config, key)).await??;
    let listener = tokio::net::TcpListener::bind(opts.oracle_http)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (choose another with --oracle-http)",
                opts.oracle_http
            )
        })?;
    let oracle_url = format!("http://{}", listener.local_addr()?);
    let (oracle_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(plinth_oracle::run::run(
        oracle.clone(),
        plinth_oracle::run::Endpoints {
            http: listener,
            mqtt: Some(mqtt_url.clone()),
        },
        stop_rx,
    ));

    let stop = Arc::new(AtomicBool::new(false));
    let owners = owners(ks)?;
    if opts.devices > 0 && !owners.is_empty() {
        let networks: Vec<FleetNetwork> = oracle
            .networks
            .iter()
            .filter(|n| ["sensor", "uptime", "coverage"].contains(&n.family.as_str()))
            .map(|n| FleetNetwork {
                name: n.name.clone(),
                family: n.family.clone(),
                unit: n.params["unit"].as_str().unwrap_or("celsius").to_string(),
            })
            .collect();
        let cfg = FleetConfig {
            count: opts.devices,
            cheaters_bps: opts.cheaters_bps,
            networks,
            center: (52.52, 13.405),
            spread_deg: 0.03,
            seed: 7,
        };
        let how = FleetRun {
            node: node_url.to_string(),
            oracle: oracle_url.clone(),
            owners: owners.iter().map(|(_, k)| k.clone()).collect(),
            interval: opts.report_interval,
        };
        let s = stop.clone();
        std::thread::Builder::new()
            .name("fleet".into())
            .spawn(move || {
                let r = plinth_device::fleet::run(&cfg, &how, &s, |share| {
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
        // Claim for the owners, as their wallets would.
        let s = stop.clone();
        let node = node_url.to_string();
        let oracle_url2 = oracle_url.clone();
        std::thread::Builder::new().name("claimer".into()).spawn(move || {
            let mut done = std::collections::HashSet::new();
            while !s.load(Ordering::SeqCst) {
                for (name, key) in &owners {
                    if let Err(e) = claim_all(&node, &oracle_url2, key, &mut done) {
                        tracing::debug!(owner = %name, error = %e, "claiming failed; will retry");
                    }
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        })?;
    }
    Ok(Services {
        oracle_url,
        mqtt_url,
        stop,
        oracle_stop,
    })
}

/// Submits claims for every unclaimed reward of `key`'s devices (no waiting).
fn claim_all(
    node: &str,
    oracle: &str,
    key: &Keypair,
    done: &mut std::collections::HashSet<(String, u64, u64)>,
) -> Result<()> {
    let owner = Address(key.public());
    let n = plinth_oracle::chain::NodeClient::new(node);
    let o = plinth_oracle::chain::NodeClient::new(oracle);
    let claims: Vec<plinth_oracle::RewardClaim> = o.get(&format!("/v1/rewards/{owner}"))?;
    let claims: Vec<_> = claims
        .into_iter()
        .filter(|c| !done.contains(&(c.network.clone(), c.epoch, c.index)))
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    let status = n.status()?;
    let acct: plinth_node::api::AccountView = n.get(&format!("/v1/accounts/{owner}"))?;
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
