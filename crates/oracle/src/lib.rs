//! The Plinth oracle: it ingests signed device reports, keeps them in the spool,
//! probes devices, and at each epoch's end scores the epoch with the network's proof
//! family and puts a reward manifest on the ledger.
//!
//! ```text
//!  HTTP POST /v1/reports ─┐
//!  MQTT plinth/reports/+ ─┴─▶ queue ─▶ ingest worker: decode ─▶ signatures (all cores)
//!                                        ─▶ admit (registry, freshness, epoch, replay)
//!                                        ─▶ spool batch (fsync) ─▶ verdicts back
//!  probe rounds ─▶ challenges from the head block hash ─▶ spool (probe batches)
//!  epoch end ─▶ storage rounds (challenges seeded by the first block after the end)
//!            ─▶ spool batches ─▶ family::score ─▶ split ─▶ manifest ─▶ sign ─▶ ledger
//!            ─▶ storage networks: SettleStorage (every epoch, in order)
//! ```
//!
//! Storage networks are closed after every epoch, reports or not; an oracle back
//! from downtime closes every epoch it missed, at most [`MAX_CATCH_UP`] back (see
//! [`storage`]).

pub mod audit;
pub mod chain;
pub mod cosign;
pub mod epoch;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod mqtt;
pub mod run;
pub mod spool;
pub mod storage;

use anyhow::{Context, Result};
use chain::NetworkInfo;
use ingest::{Clock, IngestState, Refusal, Registered, Rules};
use plinth_api::node::OraclesView;
use plinth_api::NodeClient;
use plinth_core::{Hash, Keypair};
use plinth_proofs::SignedReport;
use spool::{ProbeIssue, RoundIssue, Spool, SpoolBatch};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How an oracle runs.
#[derive(Debug, Clone)]
pub struct OracleConfig {
    pub data_dir: PathBuf,
    pub node: String,
    /// How far a report's timestamp may be from the oracle's clock.
    pub max_skew_ms: u64,
    /// How often the device registry is re-read from the node.
    pub registry_refresh: Duration,
    /// How often uptime devices are probed, and how long they have to answer.
    pub probe_interval: Duration,
    pub probe_deadline: Duration,
    /// Wait after an epoch's end before scoring it, for late reports.
    pub close_grace: Duration,
    /// The token price this oracle posts (micro-USD per whole token), if it runs
    /// the price feed, and how often (a burn needs a price younger than the
    /// chain's `price_max_age_ms`).
    pub price_micro_usd: Option<u64>,
    pub price_interval: Duration,
    /// The other oracles of the set (their HTTP API), asked to co-sign prices when
    /// the chain needs more signatures than this oracle's own.
    pub peers: Vec<String>,
    /// How far a proposed price may be from this oracle's own for it to co-sign,
    /// in basis points.
    pub price_tolerance_bps: u32,
    /// Storage providers challenged at once; each batch has the network's
    /// `answer_timeout_ms` from its start.
    pub storage_providers_at_once: usize,
}

impl OracleConfig {
    pub fn new(data_dir: PathBuf, node: String) -> Self {
        OracleConfig {
            data_dir,
            node,
            max_skew_ms: 30_000,
            registry_refresh: Duration::from_secs(2),
            probe_interval: Duration::from_secs(10),
            probe_deadline: Duration::from_secs(5),
            close_grace: Duration::from_secs(3),
            price_micro_usd: None,
            price_interval: Duration::from_secs(60),
            peers: Vec::new(),
            price_tolerance_bps: 200,
            storage_providers_at_once: storage::PROVIDERS_AT_ONCE,
        }
    }
}

/// The answer for one report (the API's [`plinth_api::oracle::Verdict`]).
pub use plinth_api::oracle::{Verdict, VerdictStatus};

/// The verdict of a report refused for `r`.
fn refused(hash: Option<Hash>, r: &Refusal) -> Verdict {
    Verdict::rejected(hash, r.code(), r.to_string())
}

type Job = (Vec<Vec<u8>>, oneshot::Sender<Vec<Verdict>>);

/// A running oracle.
pub struct Oracle {
    pub config: OracleConfig,
    pub chain_id: String,
    /// The chain's identity ([`plinth_core::chain_identity`] of its genesis hash):
    /// reports must name it, and every message this oracle signs does.
    pub chain: Hash,
    pub clock: Clock,
    pub networks: Vec<NetworkInfo>,
    pub spool: Spool,
    pub metrics: metrics::Metrics,
    pub node: NodeClient,
    pub emission: plinth_ledger::emission::Emission,
    /// The token's decimals (for the token value of credits).
    pub decimals: u8,
    /// Coverage networks and their parameters (they get beacon rounds).
    pub coverage: Vec<(String, plinth_proofs::CoverageParams)>,
    /// Storage networks and their parameters (they get storage rounds).
    pub storage: Vec<(String, plinth_proofs::storage::StorageFamilyParams)>,
    key: Keypair,
    rules: Rules,
    state: Mutex<IngestState>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    /// Held while building and sending a transaction, so that two never take the
    /// same nonce.
    tx_lock: Mutex<()>,
    /// Storage epochs whose deals the ledger has settled: `(network, epoch)`.
    settled: Mutex<std::collections::HashSet<(String, u64)>>,
    /// Settlement transactions sent per storage epoch, not sent again while one
    /// is pending.
    settlements_sent: Mutex<HashMap<(String, u64), storage::SentSettlement>>,
    /// The epoch in which abandoned deals were last closed.
    deals_swept: Mutex<Option<u64>>,
    /// Whether storage endpoints may be private addresses (genesis
    /// `storage.allow_private_endpoints`).
    pub allow_private_endpoints: bool,
    /// The chain's oracle set as last read (for co-signing), and when.
    oracle_set: Mutex<Option<(std::time::Instant, OraclesView)>>,
    /// Published manifests and every owner's reward claims, built once at start
    /// and kept up to date as epochs close, so that HTTP requests never re-read
    /// the manifests.
    index: std::sync::RwLock<ManifestIndex>,
}

/// What [`Oracle::manifests`] and [`Oracle::rewards_of`] answer from.
#[derive(Default)]
struct ManifestIndex {
    /// `(epoch, network)` of every published manifest.
    list: std::collections::BTreeSet<(u64, String)>,
    /// Each owner's claims, in manifest order.
    rewards: HashMap<plinth_core::Address, Vec<RewardClaim>>,
}

impl ManifestIndex {
    fn add(&mut self, network: &str, epoch: u64, m: &epoch::Manifest) {
        if !self.list.insert((epoch, network.to_string())) {
            return;
        }
        let leaves: Vec<Hash> = m.entries.iter().map(|e| e.leaf()).collect();
        for (i, entry) in m.entries.iter().enumerate() {
            if let Some(proof) = plinth_core::merkle::prove(&leaves, i) {
                self.rewards
                    .entry(entry.owner)
                    .or_default()
                    .push(RewardClaim {
                        network: network.to_string(),
                        epoch,
                        index: i as u64,
                        entry: *entry,
                        proof,
                    });
            }
        }
    }
}

/// How many epochs back an oracle that was down still challenges and settles
/// storage deals (the ledger settles each deal's epochs in order); deals that
/// ended before that are closed instead.
pub const MAX_CATCH_UP: u64 = 64;

pub use plinth_api::clock::now_ms;

impl Oracle {
    /// Connects to the node (waiting for it), opens the spool and replays its
    /// recent epochs so that replays and duplicates stay refused after a restart.
    pub fn open(config: OracleConfig, key: Keypair) -> Result<Arc<Oracle>> {
        let node = chain::node_client(&config.node);
        let status = retry(|| Ok(node.status()?)).context("reading the chain's status")?;
        let networks = retry(|| Ok(node.networks()?))?;
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
        let mut max_reports = HashMap::new();
        for n in &networks {
            max_reports.insert(n.name.clone(), n.max_reports_per_epoch(clock.epoch_ms)?);
        }
        let rules = Rules {
            chain,
            max_reports,
            networks: networks.iter().map(|n| n.name.clone()).collect(),
            clock,
            max_skew_ms: config.max_skew_ms,
            // Stop a second before the closer starts (or at the end, for a very
            // short grace), so no accepted report can miss its epoch's manifest.
            accept_after_end_ms: (config.close_grace.as_millis() as u64).saturating_sub(1_000),
        };
        let mut coverage = Vec::new();
        let mut storage = Vec::new();
        for n in networks
            .iter()
            .filter(|n| n.family == "coverage" || n.family == plinth_ledger::storage::FAMILY)
        {
            let family = n
                .family()
                .with_context(|| format!("network `{}`", n.name))?;
            match family {
                plinth_proofs::Family::Coverage(p) => coverage.push((n.name.clone(), p)),
                plinth_proofs::Family::Storage(p) => storage.push((n.name.clone(), p)),
                _ => {}
            }
        }
        let oracle = Arc::new(Oracle {
            coverage,
            storage,
            chain_id: status.chain_id,
            chain,
            clock,
            networks,
            spool,
            metrics: metrics::Metrics::new(),
            node,
            emission: genesis.emission.clone(),
            decimals: genesis.token.decimals,
            allow_private_endpoints: genesis.storage.unwrap_or_default().allow_private_endpoints,
            key,
            rules,
            state: Mutex::new(IngestState::default()),
            queue: Mutex::new(None),
            tx_lock: Mutex::new(()),
            settled: Mutex::new(Default::default()),
            settlements_sent: Mutex::new(HashMap::new()),
            deals_swept: Mutex::new(None),
            oracle_set: Mutex::new(None),
            index: Default::default(),
            config,
        });
        oracle.load_manifest_index()?;
        oracle.replay_spool()?;
        // Devices known at start are probed by the regular rounds.
        oracle.refresh_registry()?;
        let (tx, rx) = mpsc::channel::<Job>();
        *oracle.queue.lock().expect("queue lock") = Some(tx);
        let worker = oracle.clone();
        std::thread::Builder::new()
            .name("oracle-ingest".into())
            .spawn(move || worker.ingest_loop(rx))?;
        Ok(oracle)
    }

    /// The oracle's address (it signs manifests and pays their fees).
    pub fn address(&self) -> plinth_core::Address {
        plinth_core::Address(self.key.public())
    }

    pub fn key(&self) -> &Keypair {
        &self.key
    }

    pub fn network(&self, name: &str) -> Option<&NetworkInfo> {
        self.networks.iter().find(|n| n.name == name)
    }

    fn replay_spool(&self) -> Result<()> {
        let now = now_ms();
        let current = self.clock.epoch_of(now);
        let mut state = self.state.lock().expect("state lock");
        let mut reports = 0;
        for epoch in self.spool.epochs()? {
            // Probes before reports, so that an answer read later removes its
            // challenge whatever the batches' (hash) order.
            let batches: Vec<SpoolBatch> = self
                .spool
                .batches(epoch)?
                .iter()
                .map(|h| self.spool.read(epoch, h))
                .collect::<Result<_, _>>()?;
            for b in &batches {
                // Challenges of an earlier run whose deadline has passed are not
                // outstanding again.
                if let SpoolBatch::Probes(ps) = b {
                    for p in ps.iter().filter(|p| p.deadline_ms >= now) {
                        state.outstanding.insert(p.challenge, p.clone());
                    }
                }
            }
            for b in &batches {
                if let SpoolBatch::Rounds(rs) = b {
                    for r in rs {
                        state
                            .rounds
                            .entry(r.network.clone())
                            .or_default()
                            .entry(r.round.round)
                            .or_insert(r.round);
                    }
                }
            }
            for b in &batches {
                if let SpoolBatch::Reports(rs) = b {
                    for r in rs {
                        state.remember(r);
                    }
                    reports += rs.len();
                }
            }
        }
        state.forget_before(current.saturating_sub(2));
        tracing::info!(reports, "spool replayed");
        Ok(())
    }

    /// Re-reads the device registry from the node.
    /// Returns the active devices that were not in the registry before.
    pub fn refresh_registry(&self) -> Result<std::collections::HashSet<plinth_core::DeviceId>> {
        let devices = chain::registry(&self.node)?;
        let mut registry = HashMap::with_capacity(devices.len());
        for (network, info) in devices {
            registry.insert(info.id, Registered { network, info });
        }
        self.metrics.registry_devices.set(registry.len() as i64);
        let mut state = self.state.lock().expect("state lock");
        let new = registry
            .values()
            .filter(|r| r.info.active && !state.registry.contains_key(&r.info.id))
            .map(|r| r.info.id)
            .collect();
        state.registry = registry;
        Ok(new)
    }

    /// Submits raw reports; returns one verdict each once accepted ones are durable.
    pub async fn submit(&self, raw: Vec<Vec<u8>>) -> Vec<Verdict> {
        let n = raw.len();
        let (tx, rx) = oneshot::channel();
        let sent = self
            .queue
            .lock()
            .expect("queue lock")
            .as_ref()
            .map(|q| q.send((raw, tx)).is_ok())
            .unwrap_or(false);
        let unavailable = |why: &str| {
            vec![
                refused(
                    None,
                    &Refusal::Unavailable {
                        reason: why.to_string()
                    }
                );
                n
            ]
        };
        if !sent {
            return unavailable("the oracle is shutting down");
        }
        rx.await
            .unwrap_or_else(|_| unavailable("the ingest worker stopped"))
    }

    fn ingest_loop(&self, rx: mpsc::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut jobs = vec![first];
            while let Ok(more) = rx.try_recv() {
                jobs.push(more);
            }
            let sizes: Vec<usize> = jobs.iter().map(|(r, _)| r.len()).collect();
            let mut all = Vec::with_capacity(sizes.iter().sum());
            let mut replies = Vec::with_capacity(jobs.len());
            for (raw, reply) in jobs {
                all.extend(raw);
                replies.push(reply);
            }
            let mut verdicts = self.ingest(all, now_ms()).into_iter();
            for (size, reply) in sizes.into_iter().zip(replies) {
                let _ = reply.send(verdicts.by_ref().take(size).collect());
            }
        }
    }

    /// The whole admission of a group of reports at `now_ms`: decode, signatures,
    /// rules, then one durable spool batch per epoch.
    pub fn ingest(&self, raw: Vec<Vec<u8>>, now: u64) -> Vec<Verdict> {
        let decoded: Vec<Result<SignedReport, Refusal>> = raw
            .iter()
            .map(|b| {
                SignedReport::decode(b).map_err(|e| match e {
                    plinth_proofs::report::ReportDecodeError::TooLarge { size, limit } => {
                        Refusal::TooLarge { size, limit }
                    }
                    plinth_proofs::report::ReportDecodeError::Malformed(reason) => {
                        Refusal::Malformed { reason }
                    }
                })
            })
            .collect();
        let ok: Vec<SignedReport> = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok().cloned())
            .collect();
        let mut sig_ok = ingest::verify_signatures(&ok).into_iter();

        let mut state = self.state.lock().expect("state lock");
        let mut verdicts = Vec::with_capacity(raw.len());
        let mut accepted: HashMap<u64, Vec<SignedReport>> = HashMap::new();
        let mut undo: Vec<(plinth_core::DeviceId, Option<u64>, u64, Hash)> = Vec::new();
        for d in decoded {
            let v = match d {
                Err(r) => Err((None, r)),
                Ok(rep) => {
                    let hash = rep.hash();
                    let verdict = if !sig_ok.next().unwrap_or(false) {
                        Err(Refusal::BadSignature)
                    } else {
                        let prev = state.last_seq.get(&rep.report.device).copied();
                        ingest::admit(&mut state, &self.rules, &rep, now).map(|()| prev)
                    };
                    match verdict {
                        Ok(prev) => {
                            undo.push((rep.report.device, prev, rep.report.epoch, hash));
                            accepted.entry(rep.report.epoch).or_default().push(rep);
                            Ok(hash)
                        }
                        Err(r) => {
                            // Counted per network and epoch for the epoch's manifest.
                            if self.rules.networks.contains(&rep.report.network) {
                                let current = self.clock.epoch_of(now);
                                state.refused(&rep.report.network, rep.report.epoch, current, &r);
                            }
                            Err((Some(hash), r))
                        }
                    }
                }
            };
            verdicts.push(v);
        }
        // Durable before acknowledged: per epoch, when probe answers were received
        // (first: an answer without its receipt is not counted), then the reports,
        // in parts small enough to be read back.
        let mut failure = None;
        let mut epochs: Vec<_> = accepted.into_iter().collect();
        epochs.sort_by_key(|(e, _)| *e);
        for (epoch, reports) in epochs {
            let receipts: Vec<spool::AnswerReceipt> = reports
                .iter()
                .filter_map(|r| match &r.report.body {
                    plinth_proofs::ReportBody::ProbeAnswer { challenge } => {
                        Some(spool::AnswerReceipt {
                            device: r.report.device,
                            challenge: *challenge,
                            received_ms: now,
                        })
                    }
                    _ => None,
                })
                .collect();
            if !receipts.is_empty() {
                if let Err(e) = self.spool.write_all(epoch, SpoolBatch::Answered(receipts)) {
                    failure = Some(e.to_string());
                    break;
                }
            }
            for r in &reports {
                self.metrics
                    .accepted
                    .get_or_create(&metrics::KindLabel {
                        network: r.report.network.clone(),
                        kind: r.report.body.kind().into(),
                    })
                    .inc();
            }
            match self.spool.write_all(epoch, SpoolBatch::Reports(reports)) {
                Ok(parts) => {
                    self.metrics.spool_batches.inc_by(parts.len() as u64);
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(reason) = &failure {
            tracing::error!(%reason, "spool write failed; refusing the group");
            for (device, prev, epoch, hash) in undo.into_iter().rev() {
                match prev {
                    Some(p) => state.last_seq.insert(device, p),
                    None => state.last_seq.remove(&device),
                };
                if let Some(s) = state.seen.get_mut(&epoch) {
                    s.remove(&hash);
                }
                if let Some(n) = state.accepted.get_mut(&(epoch, device)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        drop(state);
        verdicts
            .into_iter()
            .map(|v| {
                let out = match (v, &failure) {
                    (Ok(hash), None) => Verdict::accepted(hash),
                    (Ok(hash), Some(reason)) => refused(
                        Some(hash),
                        &Refusal::Unavailable {
                            reason: reason.clone(),
                        },
                    ),
                    (Err((hash, r)), _) => refused(hash, &r),
                };
                if let Some(code) = &out.code {
                    self.metrics
                        .rejected
                        .get_or_create(&metrics::ReasonLabel {
                            reason: code.clone(),
                        })
                        .inc();
                }
                out
            })
            .collect()
    }

    /// Issues one round of probes to every active device of every uptime network:
    /// each challenge is derived from the head block's hash, so it cannot be known
    /// in advance. The round is written to the spool before devices can see it.
    /// With `only`, probes just those devices (newly registered ones, so that no
    /// device goes unprobed for long).
    pub fn probe_round(
        &self,
        head_hash: Hash,
        now: u64,
        only: Option<&std::collections::HashSet<plinth_core::DeviceId>>,
    ) -> Result<Vec<ProbeIssue>> {
        let uptime: Vec<&str> = self
            .networks
            .iter()
            .filter(|n| n.family == "uptime")
            .map(|n| n.name.as_str())
            .collect();
        if uptime.is_empty() {
            return Ok(Vec::new());
        }
        let deadline = now + self.config.probe_deadline.as_millis() as u64;
        let mut state = self.state.lock().expect("state lock");
        let mut issues: Vec<ProbeIssue> = state
            .registry
            .values()
            .filter(|r| r.info.active && uptime.contains(&r.network.as_str()))
            .filter(|r| only.is_none_or(|o| o.contains(&r.info.id)))
            .map(|r| {
                let mut seed = head_hash.0.to_vec();
                seed.extend_from_slice(r.info.id.key().as_bytes());
                seed.extend_from_slice(&now.to_le_bytes());
                ProbeIssue {
                    device: r.info.id,
                    challenge: Hash::tagged("plinth/probe", &seed),
                    issued_ms: now,
                    deadline_ms: deadline,
                }
            })
            .collect();
        issues.sort_by_key(|p| p.device);
        if issues.is_empty() {
            return Ok(issues);
        }
        let epoch = self.clock.epoch_of(now);
        self.spool
            .write_all(epoch, SpoolBatch::Probes(issues.clone()))?;
        // Expired challenges can no longer be answered.
        state.outstanding.retain(|_, p| p.deadline_ms >= now);
        for p in &issues {
            state.outstanding.insert(p.challenge, p.clone());
        }
        Ok(issues)
    }

    /// Draws the beacon round that `now` falls in for every coverage network that
    /// has none yet, from the head block (`height`, `head_hash`): its hash was not
    /// known before that block. The rounds are written to the spool before devices
    /// can see them. Returns the rounds drawn.
    pub fn beacon_round(&self, height: u64, head_hash: Hash, now: u64) -> Result<Vec<RoundIssue>> {
        if self.coverage.is_empty() {
            return Ok(Vec::new());
        }
        let epoch = self.clock.epoch_of(now);
        let window = self.clock.window(epoch);
        let mut state = self.state.lock().expect("state lock");
        let mut issues = Vec::new();
        for (network, params) in &self.coverage {
            let Some((round, start_ms, end_ms)) = params
                .rounds_of(&window)
                .into_iter()
                .find(|(_, s, e)| *s <= now && now < *e)
            else {
                continue;
            };
            if state
                .rounds
                .get(network)
                .is_some_and(|m| m.contains_key(&round))
            {
                continue;
            }
            issues.push(RoundIssue {
                network: network.clone(),
                round: plinth_proofs::BeaconRound {
                    round,
                    start_ms,
                    end_ms,
                    height,
                    draw: head_hash,
                },
            });
        }
        if issues.is_empty() {
            return Ok(issues);
        }
        self.spool
            .write_all(epoch, SpoolBatch::Rounds(issues.clone()))?;
        // Rounds of epochs that can no longer take reports are of no use.
        state.forget_rounds_before(self.clock.window(epoch.saturating_sub(1)).start_ms);
        for i in &issues {
            state
                .rounds
                .entry(i.network.clone())
                .or_default()
                .insert(i.round.round, i.round);
        }
        Ok(issues)
    }

    /// The beacon rounds drawn for a coverage network that are still kept (this
    /// epoch's and the previous one's), ascending; `None` if it is not one.
    pub fn rounds_of(&self, network: &str) -> Option<Vec<plinth_proofs::BeaconRound>> {
        if !self.coverage.iter().any(|(n, _)| n == network) {
            return None;
        }
        let state = self.state.lock().expect("state lock");
        Some(
            state
                .rounds
                .get(network)
                .map(|m| m.values().copied().collect())
                .unwrap_or_default(),
        )
    }

    /// Challenges a device may still answer.
    pub fn challenges_for(&self, device: &plinth_core::DeviceId, now: u64) -> Vec<ProbeIssue> {
        let state = self.state.lock().expect("state lock");
        let mut out: Vec<ProbeIssue> = state
            .outstanding
            .values()
            .filter(|p| p.device == *device && p.deadline_ms >= now)
            .cloned()
            .collect();
        out.sort_by_key(|p| p.issued_ms);
        out
    }

    /// Stops the ingest worker once queued work is done.
    pub fn shutdown(&self) {
        self.queue.lock().expect("queue lock").take();
    }
}

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

/// A claimable reward: one manifest entry with its proof (the API's
/// [`plinth_api::oracle::RewardClaim`]).
pub use plinth_api::oracle::RewardClaim;

impl Oracle {
    fn manifest_path(&self, network: &str, epoch: u64) -> PathBuf {
        self.config
            .data_dir
            .join("manifests")
            .join(network)
            .join(format!("{epoch}.json"))
    }

    /// A published manifest.
    pub fn manifest(&self, network: &str, epoch: u64) -> Result<Option<epoch::Manifest>> {
        let path = self.manifest_path(network, epoch);
        match std::fs::read(&path) {
            Ok(bytes) => {
                Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                    format!("reading manifest {}", path.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads every manifest on disk into the index (once, at start).
    fn load_manifest_index(&self) -> Result<()> {
        let dir = self.config.data_dir.join("manifests");
        let mut index = self.index.write().expect("index lock");
        for n in &self.networks {
            let Ok(entries) = std::fs::read_dir(dir.join(&n.name)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(epoch) = name.strip_suffix(".json").and_then(|s| s.parse().ok()) {
                    if let Some(m) = self.manifest(&n.name, epoch)? {
                        index.add(&n.name, epoch, &m);
                    }
                }
            }
        }
        Ok(())
    }

    /// Every published manifest's (network, epoch), ascending by epoch.
    pub fn manifests(&self) -> Result<Vec<(String, u64)>> {
        Ok(self.manifests_page(None, usize::MAX))
    }

    /// At most `limit` published manifests' (network, epoch), ascending by
    /// (epoch, network), strictly after `after`.
    pub fn manifests_page(&self, after: Option<(u64, String)>, limit: usize) -> Vec<(String, u64)> {
        use std::ops::Bound;
        let index = self.index.read().expect("index lock");
        let from = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        index
            .list
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(e, n)| (n.clone(), *e))
            .collect()
    }

    /// Every reward entry of `owner`'s devices, with proofs (from the index).
    pub fn rewards_of(&self, owner: &plinth_core::Address) -> Result<Vec<RewardClaim>> {
        Ok(self
            .index
            .read()
            .expect("index lock")
            .rewards
            .get(owner)
            .cloned()
            .unwrap_or_default())
    }

    /// The newest epoch with a published manifest for `network`.
    fn last_manifest_epoch(&self, network: &str) -> Option<u64> {
        let dir = self.config.data_dir.join("manifests").join(network);
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".json")
                    .and_then(|s| s.parse::<u64>().ok())
            })
            .max()
    }

    /// The epochs storage networks must still be challenged and settled for,
    /// before `current`: every epoch after the last one with a manifest of every
    /// storage network, up to `current - 1`, at most [`MAX_CATCH_UP`] back.
    pub fn storage_epochs_due(&self, current: u64) -> std::ops::Range<u64> {
        let networks = self.storage_networks();
        if networks.is_empty() || current == 0 {
            return 0..0;
        }
        let oldest = current.saturating_sub(MAX_CATCH_UP);
        let from = networks
            .iter()
            .map(|(n, _)| self.last_manifest_epoch(n).map_or(0, |e| e + 1))
            .min()
            .unwrap_or(0);
        from.max(oldest)..current
    }

    /// The epochs reward manifests are still due for, before `current`: every epoch
    /// after the last one with a manifest of every scored network, up to
    /// `current - 1`, at most `manifest_max_age_epochs` back (the ledger refuses
    /// older ones). Each is closed, reports or not, with an empty manifest if it
    /// paid nothing: an epoch left open on the ledger is one a leaked oracle key
    /// could still mint for itself.
    pub fn reward_epochs_due(&self, current: u64) -> std::ops::Range<u64> {
        let scored: Vec<&NetworkInfo> = self
            .networks
            .iter()
            .filter(|n| {
                plinth_proofs::Family::from_network(&n.family, &n.params.to_string()).is_ok()
            })
            .collect();
        if scored.is_empty() || current == 0 {
            return 0..0;
        }
        let oldest = current.saturating_sub(self.emission.manifest_max_age_epochs);
        let from = scored
            .iter()
            .map(|n| self.last_manifest_epoch(&n.name).map_or(0, |e| e + 1))
            .min()
            .unwrap_or(0);
        from.max(oldest)..current
    }

    /// Closes every epoch whose end (plus the grace period) has passed and that has
    /// no manifest yet, and (re)submits manifests the ledger does not hold.
    /// Every network's epochs are closed, reports or not (see
    /// [`Oracle::reward_epochs_due`]).
    /// Storage networks are challenged after every epoch, reports or not: every
    /// epoch missed while the oracle was down is closed, in order (see
    /// [`Oracle::storage_epochs_due`]); then deals that ended too long ago to be
    /// settled are closed on the ledger. Blocking.
    pub fn close_due_epochs(&self, now: u64) -> Result<Vec<(String, u64)>> {
        let grace = self.config.close_grace.as_millis() as u64;
        let mut closed = Vec::new();
        let mut epochs = self.spool.epochs()?;
        let current = self.clock.epoch_of(now);
        epochs.extend(self.storage_epochs_due(current));
        epochs.extend(self.reward_epochs_due(current));
        epochs.sort();
        epochs.dedup();
        for epoch in epochs {
            if self.clock.window(epoch).end_ms.saturating_add(grace) > now {
                continue;
            }
            for n in self.networks.clone() {
                match self.manifest(&n.name, epoch)? {
                    Some(m) => self.ensure_submitted(&m)?,
                    None => {
                        if let Some(m) = self.close(&n, epoch)? {
                            self.ensure_submitted(&m)?;
                            closed.push((n.name.clone(), epoch));
                        }
                    }
                }
            }
            self.state.lock().expect("state lock").forget_before(epoch);
        }
        if current > 0 && !self.storage_networks().is_empty() {
            self.close_abandoned_deals(current);
        }
        Ok(closed)
    }

    /// The epoch's batches, writing the registry snapshot and the storage rounds
    /// first if the epoch has none yet (so every network of the epoch is scored
    /// against the same ones). Both may take several batches (each below the
    /// spool's read limit); a [`SpoolBatch::Closed`] batch written after them
    /// names them, and until it exists the close is redone from scratch (parts
    /// left by an attempt that stopped half-way are removed: no manifest names
    /// them).
    fn epoch_batches(&self, epoch: u64) -> Result<Vec<(Hash, SpoolBatch)>> {
        let batches: Vec<(Hash, SpoolBatch)> = self
            .spool
            .batches(epoch)?
            .into_iter()
            .map(|h| self.spool.read(epoch, &h).map(|b| (h, b)))
            .collect::<Result<_, _>>()?;
        if batches
            .iter()
            .any(|(_, b)| matches!(b, SpoolBatch::Closed(_)))
        {
            return Ok(batches);
        }
        for (h, b) in &batches {
            if matches!(b, SpoolBatch::Registry(_) | SpoolBatch::Storage(_)) {
                self.spool.remove(epoch, h)?;
            }
        }
        drop(batches);
        // Storage rounds go first: taking them may fail (no block after the
        // epoch's end yet), and then nothing of the epoch is written.
        let mut rounds = Vec::new();
        for (network, params) in self.storage_networks() {
            rounds.push(self.take_storage_round(network, params, epoch)?);
        }
        let mut written = Vec::new();
        if !rounds.is_empty() {
            written.extend(self.spool.write_all(epoch, SpoolBatch::Storage(rounds))?);
        }
        self.refresh_registry()?;
        let state = self.state.lock().expect("state lock");
        let mut snaps: Vec<epoch::RegistrySnapshot> = self
            .networks
            .iter()
            .map(|n| {
                let mut devices: Vec<_> = state
                    .registry
                    .values()
                    .filter(|r| r.network == n.name)
                    .map(|r| r.info.clone())
                    .collect();
                devices.sort_by_key(|d| d.id);
                epoch::RegistrySnapshot {
                    network: n.name.clone(),
                    devices,
                }
            })
            .collect();
        snaps.sort_by(|a, b| a.network.cmp(&b.network));
        drop(state);
        written.extend(self.spool.write_all(epoch, SpoolBatch::Registry(snaps))?);
        written.sort();
        self.spool.write_all(epoch, SpoolBatch::Closed(written))?;
        self.spool
            .batches(epoch)?
            .into_iter()
            .map(|h| self.spool.read(epoch, &h).map(|b| (h, b)))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    /// Scores one network's epoch, signs the manifest and publishes it (file).
    fn close(&self, n: &NetworkInfo, epoch: u64) -> Result<Option<epoch::Manifest>> {
        let family = match n.family() {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(network = %n.name, error = %e, "network not scored");
                return Ok(None);
            }
        };
        let batches = self.epoch_batches(epoch)?;
        let spec = epoch::EpochSpec {
            chain: self.chain,
            network: &n.name,
            family: &family,
            window: self.clock.window(epoch),
            allowance: self.emission.network_allowance(epoch, n.share_bps),
            usage_bps: n.usage_bps,
        };
        let mut m = epoch::compute(&spec, batches);
        // Reports refused at ingest (not in the spool, so not part of the audited
        // computation) are published beside the family's rejections.
        if let Some(refused) = self
            .state
            .lock()
            .expect("state lock")
            .refused
            .get(&(n.name.clone(), epoch))
        {
            for (code, count) in refused {
                *m.rejected.entry(code.clone()).or_insert(0) += count;
            }
        }
        m.signatures.push(m.header.sign(&self.key));
        let path = self.manifest_path(&n.name, epoch);
        std::fs::create_dir_all(path.parent().expect("manifest dir"))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&m)?)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        self.index
            .write()
            .expect("index lock")
            .add(&n.name, epoch, &m);
        self.metrics.epochs_closed.inc();
        tracing::info!(
            network = %n.name, epoch, devices = m.header.devices, total = m.header.total,
            root = %m.header.root, "epoch closed"
        );
        Ok(Some(m))
    }

    /// Settles a storage manifest's deals, and puts the manifest on the ledger
    /// unless it is there already or too old for the ledger to take. A manifest
    /// that pays nothing goes too: it closes its epoch on the ledger for good.
    fn ensure_submitted(&self, m: &epoch::Manifest) -> Result<()> {
        self.ensure_settled(m)?;
        let current = self.clock.epoch_of(now_ms());
        if self.emission.manifest_too_old(m.header.epoch, current) {
            return Ok(());
        }
        if self
            .node
            .reward_epoch(&m.header.network, m.header.epoch)?
            .is_some()
        {
            return Ok(());
        }
        let tx = self
            .send_tx(plinth_ledger::Call::SubmitManifest {
                header: m.header.clone(),
                signatures: m.signatures.clone(),
            })
            .context("submitting the manifest")?;
        tracing::info!(network = %m.header.network, epoch = m.header.epoch, tx = %tx, "manifest submitted");
        Ok(())
    }

    /// Signs `call` from the oracle's account with its next nonce and the minimum
    /// fee, and submits it; returns the transaction's hash.
    pub fn send_tx(&self, call: plinth_ledger::Call) -> Result<Hash> {
        let _guard = self.tx_lock.lock().expect("tx lock");
        let status = self.node.status()?;
        let acct = self.node.account(&self.address())?;
        let tx = plinth_ledger::Transaction {
            chain_id: self.chain_id.clone(),
            signer: self.address(),
            nonce: acct.next_nonce,
            fee: status.min_fee,
            call,
        }
        .sign(&self.key);
        self.node.submit(&tx)?;
        Ok(tx.hash())
    }

    /// Posts the configured token price, observed at `now`: signed by this oracle
    /// and, when the chain's oracle set needs more signatures, co-signed by peers
    /// (`config.peers`, asked with this oracle's own signature over the price)
    /// whose own price is within their tolerance. Refuses to send a price with
    /// fewer signatures than the set's threshold.
    pub fn post_price(&self, now: u64) -> Result<Option<Hash>> {
        let Some(micro_usd) = self.config.price_micro_usd else {
            return Ok(None);
        };
        let point = plinth_ledger::credits::PricePoint {
            chain: self.chain,
            micro_usd_per_token: micro_usd,
            timestamp_ms: now,
        };
        let set = self.node.oracles()?;
        let own = point.sign(&self.key);
        let mut signatures = vec![own];
        let mut refusals = Vec::new();
        if (signatures.len() as u32) < set.threshold {
            let (got, refused) = cosign::gather(&self.config.peers, &point, &own, &set.members);
            signatures.extend(got);
            refusals = refused;
        }
        if (signatures.len() as u32) < set.threshold {
            anyhow::bail!(
                "{} of the {} signatures the chain needs for a price{}",
                signatures.len(),
                set.threshold,
                if refusals.is_empty() {
                    " (no peers configured: pass --peer URL for each other oracle)".to_string()
                } else {
                    format!("; peers: {}", refusals.join("; "))
                }
            );
        }
        signatures.truncate(set.threshold.max(1) as usize);
        let tx = self
            .send_tx(plinth_ledger::Call::PostPrice {
                price: point,
                signatures,
            })
            .context("posting the price")?;
        tracing::info!(micro_usd, tx = %tx, "price posted");
        Ok(Some(tx))
    }
}
