//! The Plinth oracle: it ingests signed device reports, keeps them in the spool,
//! probes devices, and at each epoch's end scores the epoch with the network's proof
//! family and puts a reward manifest on the ledger.
//!
//! ```text
//!  reports in: HTTP POST /v1/reports ─┐
//!              MQTT plinth/reports/+ ─┴─▶ ingest: queue ─▶ worker: decode ─▶ signatures
//!  admission:  registry, time, epoch, replay, challenge, round, rate ─▶ verdicts back
//!  spool:      accepted reports, probes, beacon rounds (batches, fsync before ack)
//!  epoch close (end + grace): storage rounds + registry snapshot ─▶ spool
//!              ─▶ epoch::compute (family score, split) ─▶ manifest ─▶ sign ─▶ published
//!  ledger:     SubmitManifest, SettleStorage (every epoch, in order), PostPrice
//! ```
//!
//! Storage networks are closed after every epoch, reports or not; an oracle back
//! from downtime closes every epoch it missed, at most [`MAX_CATCH_UP`] back (see
//! [`storage`]).
//!
//! One [`Oracle`] holds the chain's parameters and each job's own state; the jobs
//! are its modules:
//!
//! - [`ingest`]: submit, the queue and the ingest worker; [`ingest::admission`]:
//!   the checks, [`ingest::state`]: what they remember.
//! - [`rounds`]: probe rounds (uptime) and beacon rounds (coverage), drawn from blocks.
//! - [`spool`]: the durable batches every score is computed from, with the
//!   registry snapshot taken at close.
//! - [`close`]: closing due epochs, publishing and submitting their manifests;
//!   [`epoch`]: the pure computation of a manifest from the spool's batches.
//! - [`manifests`]: published manifests and the index of reward claims.
//! - [`storage`]: storage rounds (challenging providers) and deal settlement.
//! - [`compute`]: spot checks of compute claims (re-executing drawn tasks) and
//!   capacity checks of leases, each co-signed by the set.
//! - [`price`]: the price feed; [`cosign`]: co-signing prices among oracles.
//! - [`peers`]: the other oracles of the set, whose spools are read while an
//!   epoch is open; [`quorum`]: proposing manifests and co-signing the others'
//!   by recomputing them.
//! - [`account`]: transactions from the oracle's account; [`adversary`]: a lying
//!   oracle for tests and drills.
//! - [`audit`]: recomputing published manifests from the spool (`plinth oracle audit`).
//! - [`networks`]: the networks as in force in each reward epoch (share, usage
//!   split, family parameters, allowance), which every epoch's computation reads.
//! - [`chain`]: the node's API as the oracle reads it; [`config`]: how it runs;
//!   [`metrics`]: Prometheus metrics.
//! - [`http`], [`mqtt`]: the oracle's HTTP API and MQTT client; [`run`]: every
//!   task, until shutdown.

#![warn(missing_docs)]

pub mod account;
pub mod adversary;
pub mod audit;
pub mod chain;
pub mod close;
pub mod compute;
pub mod config;
pub mod cosign;
pub mod epoch;
pub mod http;
pub mod ingest;
pub mod manifests;
pub mod metrics;
pub mod networks;
pub mod peers;
pub mod quorum;
// Documented as the broker moves out of it, in flight.
#[allow(missing_docs)]
pub mod mqtt;
pub mod price;
pub mod rounds;
pub mod run;
pub mod spool;
pub mod storage;

pub use config::OracleConfig;
pub use ingest::{Verdict, VerdictStatus};
pub use manifests::RewardClaim;
pub use storage::MAX_CATCH_UP;

use anyhow::{Context, Result};
use cosign::OracleSetCache;
use ingest::{Clock, Ingest, Rules};
use manifests::ManifestStore;
use plinth_api::NodeClient;
use plinth_core::{DeviceId, Hash, Keypair};
use spool::Spool;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running oracle: the chain's fixed parameters as read at start, the
/// networks by epoch ([`networks`]), and the state of each of its jobs.
pub struct Oracle {
    /// How it runs.
    pub config: OracleConfig,
    /// The chain's id (transactions name it).
    pub chain_id: String,
    /// The chain's identity ([`plinth_core::chain_identity`] of its genesis hash):
    /// reports must name it, and every message this oracle signs does.
    pub chain: Hash,
    /// The chain's epochs.
    pub clock: Clock,
    /// Accepted reports, probes, rounds and close inputs, by epoch.
    pub spool: Spool,
    /// Prometheus metrics.
    pub metrics: metrics::Metrics,
    /// The node it reads the chain from and sends transactions to.
    pub node: NodeClient,
    /// The genesis's emission schedule: how old a manifest the ledger still
    /// takes. What an epoch pays comes from the node, per epoch
    /// ([`Oracle::networks_at`]): governance changes the emission's tail.
    pub emission: plinth_ledger::emission::Emission,
    /// The token's decimals (for the token value of credits).
    pub decimals: u8,
    /// Whether storage endpoints may be private addresses (genesis
    /// `storage.allow_private_endpoints`).
    pub allow_private_endpoints: bool,
    key: Keypair,
    /// The networks of each epoch, as read from the node.
    networks: networks::NetworkSchedule,
    /// The ingest job: admission's rules and state, the queue to its worker.
    ingest: Ingest,
    /// The account: held while building and sending a transaction, so that two
    /// never take the same nonce.
    tx_lock: Mutex<()>,
    /// The storage job: settlements sent and made, abandoned deals closed.
    settlements: storage::Settlements,
    /// The price feed: the chain's oracle set as last read (for co-signing).
    oracle_set: OracleSetCache,
    /// Published manifests and every owner's reward claims.
    manifests: ManifestStore,
    /// Batches fetched to check other members' proposals (their close batches
    /// among them), apart from the spool this oracle closes from.
    foreign: Spool,
    /// The other oracles: addresses, liveness, batches refused.
    peers: peers::Peers,
    /// The co-signing job: oracle sets, proposals, refusals.
    quorum: quorum::Quorum,
    /// The compute job: modules, verdicts sent, capacity checks.
    compute: compute::ComputeState,
}

/// The oracle's clock: milliseconds since the Unix epoch (the one wall clock,
/// [`plinth_api::clock::now_ms`]).
pub use plinth_api::clock::now_ms;

impl Oracle {
    /// Connects to the node (waiting for it), opens the spool and replays its
    /// recent epochs so that replays and duplicates stay refused after a restart.
    pub fn open(config: OracleConfig, key: Keypair) -> Result<Arc<Oracle>> {
        let node = chain::node_client(&config.node);
        let status = retry(|| Ok(node.status()?)).context("reading the chain's status")?;
        let schedule = networks::NetworkSchedule::default();
        let networks = retry(|| schedule.at(&node, status.epoch))?.views();
        let genesis = retry(|| Ok(node.genesis()?))?;
        if genesis.hash() != status.genesis_hash {
            anyhow::bail!(
                "the node's genesis hashes to {}, but its status names genesis {}",
                genesis.hash(),
                status.genesis_hash
            );
        }
        let chain = genesis.chain();
        let clock = Clock {
            genesis_time_ms: status.genesis_time_ms,
            epoch_ms: status.epoch_ms,
        };
        let spool = Spool::open(&config.data_dir.join("spool"))?;
        let foreign = Spool::open(&config.data_dir.join("foreign"))?;
        let rules = Rules::new(
            chain,
            clock,
            &networks,
            config.max_skew_ms,
            config.close_grace,
        )?;
        let manifests = ManifestStore::open(
            &config.data_dir.join("manifests"),
            networks.iter().map(|n| n.name.as_str()),
        )?;
        let oracle = Arc::new(Oracle {
            chain_id: status.chain_id,
            chain,
            clock,
            networks: schedule,
            spool,
            metrics: metrics::Metrics::new(),
            node,
            emission: genesis.emission.clone(),
            decimals: genesis.token.decimals,
            allow_private_endpoints: genesis.storage.unwrap_or_default().allow_private_endpoints,
            key,
            ingest: Ingest::new(rules),
            tx_lock: Mutex::new(()),
            settlements: Default::default(),
            oracle_set: Default::default(),
            manifests,
            foreign,
            peers: Default::default(),
            quorum: Default::default(),
            compute: compute::ComputeState::new(),
            config,
        });
        oracle.ingest.replay(&oracle.spool, now_ms())?;
        // Devices known at start are probed by the regular rounds.
        oracle.refresh_registry()?;
        let rx = oracle.ingest.open_queue();
        let worker = oracle.clone();
        std::thread::Builder::new()
            .name("oracle-ingest".into())
            .spawn(move || {
                ingest::work(rx, &worker.metrics.ingest_queue, |checked| {
                    worker
                        .ingest
                        .ingest_checked(&worker.spool, &worker.metrics, checked, now_ms())
                })
            })?;
        Ok(oracle)
    }

    /// The oracle's address (it signs manifests and pays their fees).
    pub fn address(&self) -> plinth_core::Address {
        plinth_core::Address(self.key.public())
    }

    /// The oracle's key.
    pub fn key(&self) -> &Keypair {
        &self.key
    }

    /// Submits raw reports; returns one verdict each once accepted ones are durable.
    pub async fn submit<B>(&self, raw: Vec<B>) -> Vec<Verdict>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
    {
        self.ingest.submit(raw, &self.metrics.ingest_queue).await
    }

    /// The whole admission of a group of reports at `now`: decode, signatures,
    /// rules, then one durable spool batch per epoch (see [`Ingest::ingest`]).
    pub fn ingest(&self, raw: Vec<Vec<u8>>, now: u64) -> Vec<Verdict> {
        self.ingest.ingest(&self.spool, &self.metrics, raw, now)
    }

    /// Re-reads the device registry from the node.
    /// Returns the active devices that were not in the registry before.
    pub fn refresh_registry(&self) -> Result<HashSet<DeviceId>> {
        let devices = chain::registry(&self.node)?;
        Ok(self.ingest.set_registry(devices, &self.metrics))
    }

    /// Re-reads the device registry and checks it against the ledger's registry
    /// digests at the head, so that an epoch's snapshot names a height whose
    /// registry it is (what co-signers and audits check), a block at or after
    /// `min_time_ms`. The registry can change while it is read: then it is read
    /// again, a few times.
    pub fn refresh_registry_checked(&self, min_time_ms: u64) -> Result<()> {
        let mut last = String::new();
        for _ in 0..5 {
            let devices = chain::registry(&self.node)?;
            let view = self.node.registry(None)?;
            let mut by_network: std::collections::BTreeMap<&str, Vec<&plinth_proofs::DeviceInfo>> =
                Default::default();
            for (n, d) in &devices {
                by_network.entry(n.as_str()).or_default().push(d);
            }
            match quorum::matching_registry(&view, by_network) {
                // A snapshot of an epoch is taken at a block after its end.
                Ok(_) if view.time_ms < min_time_ms => anyhow::bail!(
                    "no block after {min_time_ms} ms yet (the head is at {} ms)",
                    view.time_ms
                ),
                Ok(_) => {
                    self.ingest.set_registry(devices, &self.metrics);
                    let mut state = self.ingest.state();
                    state.registry_height = view.height;
                    state.registry_networks =
                        view.networks.iter().map(|n| n.network.clone()).collect();
                    return Ok(());
                }
                Err(reason) => last = reason,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        anyhow::bail!("the registry read from the node does not match the ledger's digests: {last}")
    }

    /// Stops the ingest worker once queued work is done.
    pub fn shutdown(&self) {
        self.ingest.shutdown();
    }
}

/// Calls `f` until it succeeds, 50 times at most, 200 ms apart.
fn retry<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut last = None;
    for _ in 0..50 {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(last.expect("at least one try"))
}
