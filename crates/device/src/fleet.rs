//! The fleet simulator: many devices in one process, honest and cheating, each
//! cheater following a named strategy. The measure of the verifier is how little
//! the cheaters earn.

use crate::{DeviceKey, EpochClock, OracleClient};
use anyhow::{anyhow, Context, Result};
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::{Call, SignedTx, Transaction};
use plinth_proofs::{ReportBody, SignedReport};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a simulated device behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Honest,
    /// Re-sends an old report (same bytes) and old sequence numbers.
    Replay,
    /// Back- or forward-dates its reports to claim time it did not work.
    ForgedTimestamp,
    /// Reports for a registered device whose key it does not hold.
    WrongKey,
    /// Sends heartbeats but never answers probes (uptime).
    IgnoresProbes,
    /// Reports sensor values far from its neighbours' (sensor).
    Outlier,
    /// One of many devices stacked in a single cell (sensor).
    Stacked,
}

impl Strategy {
    pub const CHEATS: [Strategy; 6] = [
        Strategy::Replay,
        Strategy::ForgedTimestamp,
        Strategy::WrongKey,
        Strategy::IgnoresProbes,
        Strategy::Outlier,
        Strategy::Stacked,
    ];

    /// Whether the strategy applies to a network of this family.
    pub fn fits(&self, family: &str) -> bool {
        match self {
            Strategy::IgnoresProbes => family == "uptime",
            Strategy::Outlier | Strategy::Stacked => family == "sensor",
            _ => true,
        }
    }
}

/// A network the fleet reports to.
#[derive(Debug, Clone)]
pub struct FleetNetwork {
    pub name: String,
    pub family: String,
    /// For sensor networks.
    pub unit: String,
}

/// Where and how to build a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    pub count: usize,
    /// Share of cheaters, in basis points (1000 = 10%), spread evenly over the
    /// strategies that fit each network.
    pub cheaters_bps: u32,
    pub networks: Vec<FleetNetwork>,
    pub center: (f64, f64),
    /// Half the side of the square the devices are spread over, in degrees.
    pub spread_deg: f64,
    pub seed: u64,
}

pub struct SimDevice {
    pub device: DeviceKey,
    pub strategy: Strategy,
    pub family: String,
    pub unit: String,
    pub lat: f64,
    pub lon: f64,
    /// H3 cell at resolution 12.
    pub cell: u64,
    ghost: Keypair,
    first: Option<SignedReport>,
}

impl SimDevice {
    pub fn id(&self) -> DeviceId {
        self.device.id()
    }
}

fn cell_of(lat: f64, lon: f64) -> u64 {
    let ll = h3o::LatLng::new(lat, lon).expect("valid coordinates");
    u64::from(ll.to_cell(h3o::Resolution::Twelve))
}

/// Builds a fleet deterministically from the seed.
pub fn build(cfg: &FleetConfig) -> Vec<SimDevice> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut out = Vec::with_capacity(cfg.count);
    for i in 0..cfg.count {
        let net = &cfg.networks[i % cfg.networks.len()];
        let cheats: Vec<Strategy> = Strategy::CHEATS
            .iter()
            .copied()
            .filter(|s| s.fits(&net.family))
            .collect();
        // Every 10,000/cheaters_bps-th device of a network cheats, strategies in turn.
        let k = i / cfg.networks.len();
        let strategy = if cfg.cheaters_bps > 0
            && !cheats.is_empty()
            && (k as u64 * cfg.cheaters_bps as u64) % 10_000 < cfg.cheaters_bps as u64
        {
            cheats[(k * cfg.cheaters_bps as usize / 10_000) % cheats.len()]
        } else {
            Strategy::Honest
        };
        let (lat, lon) = if strategy == Strategy::Stacked {
            (cfg.center.0, cfg.center.1)
        } else {
            (
                cfg.center.0 + rng.gen_range(-cfg.spread_deg..cfg.spread_deg),
                cfg.center.1 + rng.gen_range(-cfg.spread_deg..cfg.spread_deg),
            )
        };
        let mut seed = [0u8; 32];
        rng.fill(&mut seed);
        let mut ghost = [0u8; 32];
        rng.fill(&mut ghost);
        out.push(SimDevice {
            device: DeviceKey::new(Keypair::from_seed(seed), &net.name),
            strategy,
            family: net.family.clone(),
            unit: net.unit.clone(),
            lat,
            lon,
            cell: cell_of(lat, lon),
            ghost: Keypair::from_seed(ghost),
            first: None,
        });
    }
    out
}

/// The physical quantity honest sensors measure: a smooth field over space
/// (two tenths of a unit per kilometre or so), in thousandths.
pub fn field_milli(lat: f64, lon: f64, center: (f64, f64)) -> i64 {
    15_000 + ((lat - center.0) * 20_000.0) as i64 + ((lon - center.1) * 10_000.0) as i64
}

/// Registration transactions for the fleet, owners assigned in turn; `nonces`
/// holds each owner's next nonce and is advanced.
pub fn registrations(
    devices: &[SimDevice],
    owners: &[Keypair],
    nonces: &mut [u64],
    chain_id: &str,
    fee: u64,
) -> Vec<SignedTx> {
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let o = i % owners.len();
            let owner = Address(owners[o].public());
            let id = d.id();
            let msg = plinth_ledger::devices::registration_message(
                chain_id,
                &owner,
                &id,
                &d.device.network,
                d.cell,
            );
            let tx = Transaction {
                chain_id: chain_id.to_string(),
                signer: owner,
                nonce: nonces[o],
                fee,
                call: Call::RegisterDevice {
                    device: id,
                    network: d.device.network.clone(),
                    location: d.cell,
                    device_signature: d.device.key.sign(&msg),
                },
            }
            .sign(&owners[o]);
            nonces[o] += 1;
            tx
        })
        .collect()
}

/// One round of reports from every device at `now`, shaped by its strategy.
pub fn round(
    devices: &mut [SimDevice],
    clock: &EpochClock,
    now: u64,
    center: (f64, f64),
    rng: &mut StdRng,
) -> Vec<SignedReport> {
    let mut out = Vec::with_capacity(devices.len());
    for d in devices.iter_mut() {
        let body = if d.family == "sensor" {
            let mut v = field_milli(d.lat, d.lon, center) + rng.gen_range(-300..=300);
            if d.strategy == Strategy::Outlier {
                v += 30_000;
            }
            ReportBody::Reading {
                value_milli: v,
                unit: d.unit.clone(),
            }
        } else {
            ReportBody::Heartbeat
        };
        let r = match d.strategy {
            Strategy::ForgedTimestamp => {
                // Back-dated by ten minutes: claims work it did not do.
                d.device.report(clock, now.saturating_sub(600_000), body)
            }
            Strategy::WrongKey => {
                let mut r = d.device.report(clock, now, body);
                r.signature = d.ghost.sign(&r.report.signing_bytes());
                r
            }
            Strategy::Replay => match &d.first {
                Some(first) => first.clone(),
                None => {
                    let r = d.device.report(clock, now, body);
                    d.first = Some(r.clone());
                    r
                }
            },
            _ => d.device.report(clock, now, body),
        };
        out.push(r);
    }
    out
}

/// Answers every outstanding challenge of the devices that answer probes.
pub fn answer_probes(
    devices: &mut [SimDevice],
    oracle: &OracleClient,
    clock: &EpochClock,
    now: u64,
) -> Result<Vec<SignedReport>> {
    let mut out = Vec::new();
    for d in devices.iter_mut().filter(|d| d.family == "uptime") {
        if matches!(
            d.strategy,
            Strategy::IgnoresProbes | Strategy::WrongKey | Strategy::Replay
        ) {
            continue;
        }
        for c in oracle.challenges(&d.id())? {
            out.push(d.device.report(
                clock,
                now,
                ReportBody::ProbeAnswer {
                    challenge: c.challenge,
                },
            ));
        }
    }
    Ok(out)
}

/// Sums a manifest's amounts by strategy.
pub fn share_by_strategy(
    devices: &[SimDevice],
    paid: &BTreeMap<DeviceId, u64>,
) -> BTreeMap<Strategy, u64> {
    let by_id: BTreeMap<DeviceId, Strategy> =
        devices.iter().map(|d| (d.id(), d.strategy)).collect();
    let mut out = BTreeMap::new();
    for (id, amount) in paid {
        if let Some(s) = by_id.get(id) {
            *out.entry(*s).or_insert(0) += amount;
        }
    }
    out
}

/// Submits transactions to a node in batches; fails on any refusal.
pub fn submit_txs(node: &str, txs: &[SignedTx]) -> Result<()> {
    let agent = ureq::AgentBuilder::new().build();
    for chunk in txs.chunks(5_000) {
        let body = serde_json::json!({"txs": chunk.iter().map(|t| hex::encode(t.encode())).collect::<Vec<_>>()});
        let resp: serde_json::Value = agent
            .post(&format!("{}/v1/txs/batch", node.trim_end_matches('/')))
            .send_json(body)
            .map_err(|e| anyhow!("node {node}: {e}"))?
            .into_json()
            .context("reading the node's answer")?;
        if let Some(err) = resp["results"]
            .as_array()
            .and_then(|r| r.iter().find(|v| v.get("error").is_some()))
        {
            return Err(anyhow!("a registration was refused: {}", err["error"]));
        }
    }
    Ok(())
}

/// How a running fleet reaches the network.
pub struct FleetRun {
    pub node: String,
    pub oracle: String,
    /// Accounts that own (and register) the fleet's devices, in turn.
    pub owners: Vec<Keypair>,
    pub interval: std::time::Duration,
}

/// What one closed epoch paid the fleet, by strategy.
#[derive(Debug, Clone, Serialize)]
pub struct EpochShare {
    pub network: String,
    pub epoch: u64,
    pub total: u64,
    pub by_strategy: BTreeMap<Strategy, u64>,
}

impl EpochShare {
    /// Share of the epoch paid to cheaters, in basis points.
    pub fn cheaters_bps(&self) -> u64 {
        let cheat: u64 = self
            .by_strategy
            .iter()
            .filter(|(s, _)| **s != Strategy::Honest)
            .map(|(_, a)| a)
            .sum();
        if self.total == 0 {
            0
        } else {
            (cheat as u128 * 10_000 / self.total as u128) as u64
        }
    }
}

fn get_json(agent: &ureq::Agent, url: &str) -> Result<Option<serde_json::Value>> {
    match agent.get(url).call() {
        Ok(r) => Ok(Some(r.into_json()?)),
        Err(ureq::Error::Status(404, _)) => Ok(None),
        Err(e) => Err(anyhow!("{url}: {e}")),
    }
}

/// Registers the fleet on the chain (waiting until the node has every device),
/// then reports every `interval` until `stop`; calls `on_epoch` for each manifest
/// the oracle publishes.
pub fn run(
    cfg: &FleetConfig,
    how: &FleetRun,
    stop: &std::sync::atomic::AtomicBool,
    mut on_epoch: impl FnMut(&EpochShare),
) -> Result<()> {
    use std::sync::atomic::Ordering;
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let node = how.node.trim_end_matches('/');
    let status = get_json(&agent, &format!("{node}/v1/status"))?.context("node status")?;
    let chain_id = status["chain_id"].as_str().unwrap_or_default().to_string();
    let fee = status["min_fee"].as_u64().unwrap_or(0);
    let mut devices = build(cfg);

    // Register what is not registered yet (a restarted fleet re-uses its seed).
    let mut missing = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        if get_json(&agent, &format!("{node}/v1/devices/{}", d.id()))?.is_none() {
            missing.push(i);
        }
    }
    if !missing.is_empty() {
        let mut nonces = Vec::with_capacity(how.owners.len());
        for o in &how.owners {
            let a = get_json(
                &agent,
                &format!("{node}/v1/accounts/{}", Address(o.public())),
            )?
            .context("owner account")?;
            nonces.push(a["next_nonce"].as_u64().unwrap_or(0));
        }
        // Keep the owner assignment stable: device i belongs to owner i % owners.
        let mut txs = Vec::new();
        for &i in &missing {
            let o = i % how.owners.len();
            let mut n = [nonces[o]];
            let tx = registrations(
                std::slice::from_ref(&devices[i]),
                std::slice::from_ref(&how.owners[o]),
                &mut n,
                &chain_id,
                fee,
            );
            nonces[o] = n[0];
            txs.extend(tx);
        }
        submit_txs(node, &txs)?;
        let last = &devices[*missing.last().expect("non-empty")];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while get_json(&agent, &format!("{node}/v1/devices/{}", last.id()))?.is_none() {
            if std::time::Instant::now() > deadline {
                return Err(anyhow!(
                    "the fleet's registrations did not commit within 60 s"
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        tracing::info!(devices = missing.len(), "fleet registered");
        // Let the oracle's registry (re-read every few seconds) learn the devices.
        std::thread::sleep(std::time::Duration::from_secs(3));
    }

    let oracle = OracleClient::new(&how.oracle);
    let clock = oracle.clock()?;
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ 0x5eed);
    let mut reported: std::collections::BTreeSet<(String, u64)> = Default::default();
    let mut next = std::time::Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if std::time::Instant::now() >= next {
            let now = crate::now_ms();
            let reports = round(&mut devices, &clock, now, cfg.center, &mut rng);
            for chunk in reports.chunks(5_000) {
                if let Err(e) = oracle.send(chunk) {
                    tracing::warn!(error = %e, "fleet cannot reach the oracle");
                }
            }
            next += how.interval;
        }
        let now = crate::now_ms();
        match answer_probes(&mut devices, &oracle, &clock, now) {
            Ok(answers) if !answers.is_empty() => {
                let _ = oracle.send(&answers);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "fleet cannot fetch challenges"),
        }
        // Report manifests as they appear.
        if let Some(list) = get_json(
            &agent,
            &format!("{}/v1/manifests", how.oracle.trim_end_matches('/')),
        )? {
            for item in list.as_array().cloned().unwrap_or_default() {
                let network = item["network"].as_str().unwrap_or_default().to_string();
                let epoch = item["epoch"].as_u64().unwrap_or(0);
                if !reported.insert((network.clone(), epoch)) {
                    continue;
                }
                if let Some(m) = get_json(
                    &agent,
                    &format!(
                        "{}/v1/manifests/{network}/{epoch}",
                        how.oracle.trim_end_matches('/')
                    ),
                )? {
                    let mut paid = BTreeMap::new();
                    for e in m["entries"].as_array().cloned().unwrap_or_default() {
                        if let (Ok(id), Some(a)) = (
                            e["device"].as_str().unwrap_or_default().parse::<DeviceId>(),
                            e["amount"].as_u64(),
                        ) {
                            paid.insert(id, a);
                        }
                    }
                    on_epoch(&EpochShare {
                        network,
                        epoch,
                        total: m["header"]["total"].as_u64().unwrap_or(0),
                        by_strategy: share_by_strategy(&devices, &paid),
                    });
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(1000));
    }
    Ok(())
}
