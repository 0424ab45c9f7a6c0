//! The fleet simulator: many devices in one process, honest and cheating, each
//! cheater following a named strategy. The measure of the verifier is how little
//! the cheaters earn.
//!
//! Uptime and sensor devices send a report every interval ([`round`]). Coverage
//! hotspots send no heartbeats: for each beacon round the oracle draws, the drawn
//! hotspots beacon and the hotspots whose simulated radio ([`crate::radio`]) hears a
//! beacon witness it ([`coverage_round`]):
//!
//! ```text
//!  oracle /v1/rounds/{net} ─▶ new BeaconRound ─▶ drawn? ─▶ Beacon report (its hash = beacon id)
//!                                                  │
//!            real positions + radio model ─────────┴─▶ heard? ─▶ Witness reports
//!            colluders: made-up witnesses of their cluster; relays: copies of honest ones
//! ```
//!
//! Every device has a real place (what its radio or sensor sees) and an asserted
//! one (the H3 cell it registers with). They differ only for the location cheats:
//! spoofers assert a place tens of kilometres away, colluders assert places spread
//! over the area while sitting together.

use crate::custom::{Custom, CustomDevice};
use crate::radio::{Position, RadioModel};
use crate::{DeviceKey, EpochClock, OracleClient};
use anyhow::{anyhow, Context, Result};
use plinth_api::NodeClient;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::{Call, SignedTx, Transaction};
use plinth_proofs::coverage::{beacon_frequency_hz, drawn, CoverageParams};
use plinth_proofs::{BeaconRound, Family, ReportBody, SignedReport};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How a simulated device behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Reports what it sees, when it should.
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
    /// One of many devices stacked in a single cell, otherwise honest (sensor,
    /// coverage).
    Stacked,
    /// Asserts a location tens of kilometres from its real one; its radio hears and
    /// is heard at its real place (coverage).
    Spoofer,
    /// One of a cluster of 3 to 5 hotspots sitting in one spot but asserting places
    /// spread over the area; they witness each other's beacons with made-up strong
    /// signals, whether heard or not (coverage).
    Colluder,
    /// Sits far from the others and replays honest hotspots' witnesses as its own:
    /// same beacon, same signal, noise ratio and time (coverage).
    Relay,
    /// Never sends the beacons it is drawn for; witnesses honestly (coverage).
    NoBeacon,
    /// A GPS spoofer: one point of each trip or drive jumps 40 km away (vehicles,
    /// mapping).
    Teleporter,
    /// An emulator without a paired vehicle: its trips carry a pairing signed by
    /// a key that is not its owner's (vehicles).
    Emulator,
    /// Sends its first trip or drive again and again, in new reports (vehicles,
    /// mapping).
    TripReplay,
    /// Invents drives round a circle of its own, far from where anybody else
    /// maps (mapping).
    Fabricator,
}

impl Strategy {
    /// Every cheating strategy.
    pub const CHEATS: [Strategy; 14] = [
        Strategy::Replay,
        Strategy::ForgedTimestamp,
        Strategy::WrongKey,
        Strategy::IgnoresProbes,
        Strategy::Outlier,
        Strategy::Stacked,
        Strategy::Spoofer,
        Strategy::Colluder,
        Strategy::Relay,
        Strategy::NoBeacon,
        Strategy::Teleporter,
        Strategy::Emulator,
        Strategy::TripReplay,
        Strategy::Fabricator,
    ];

    /// The cheats that fit a network: those of its family ([`Strategy::fits`]),
    /// or for a shipped WebAssembly family the generic ones and its own
    /// ([`Custom::cheats`]).
    pub fn cheats_of(net: &FleetNetwork) -> Vec<Strategy> {
        match net.custom {
            // The family's own cheats first: a small fleet shows them.
            Some(c) => c
                .cheats()
                .iter()
                .copied()
                .chain([
                    Strategy::Replay,
                    Strategy::ForgedTimestamp,
                    Strategy::WrongKey,
                ])
                .collect(),
            None => Strategy::CHEATS
                .iter()
                .copied()
                .filter(|s| s.fits(&net.family))
                .collect(),
        }
    }

    /// Whether the strategy applies to a network of this family.
    pub fn fits(&self, family: &str) -> bool {
        use plinth_core::FamilyKind::{Coverage, Sensor, Uptime};
        match self {
            Strategy::IgnoresProbes => family == Uptime,
            Strategy::Outlier => family == Sensor,
            Strategy::Stacked => family == Sensor || family == Coverage,
            Strategy::Spoofer | Strategy::Colluder | Strategy::Relay | Strategy::NoBeacon => {
                family == Coverage
            }
            // Only for the shipped WebAssembly families: see `cheats_of`.
            Strategy::Teleporter
            | Strategy::Emulator
            | Strategy::TripReplay
            | Strategy::Fabricator => false,
            _ => true,
        }
    }
}

/// A network the fleet reports to.
#[derive(Debug, Clone)]
pub struct FleetNetwork {
    /// The network's name.
    pub name: String,
    /// Its proof family.
    pub family: String,
    /// For sensor networks.
    pub unit: String,
    /// For a `wasm` network: the shipped family its module is.
    pub custom: Option<Custom>,
}

impl FleetNetwork {
    /// A network as the node lists it (`GET /v1/networks`: `name`, `family`,
    /// `params`), or `None` if the fleet cannot simulate its devices (storage,
    /// compute, a WebAssembly module it does not know).
    pub fn from_listing(name: &str, family: &str, params: &serde_json::Value) -> Option<Self> {
        let kind: plinth_core::FamilyKind = family.parse().ok()?;
        if !kind.proven_by_reports() {
            return None;
        }
        let custom = match kind {
            plinth_core::FamilyKind::Wasm => Some(Custom::of_params(params)?),
            _ => None,
        };
        Some(FleetNetwork {
            name: name.to_string(),
            family: family.to_string(),
            unit: params["unit"].as_str().unwrap_or("celsius").to_string(),
            custom,
        })
    }
}

/// Where and how to build a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// How many devices.
    pub count: usize,
    /// Share of cheaters, in basis points (1000 = 10%), spread evenly over the
    /// strategies that fit each network.
    pub cheaters_bps: u32,
    /// The networks the devices are spread over.
    pub networks: Vec<FleetNetwork>,
    /// The centre of the fleet's area, `(lat, lon)` degrees.
    pub center: (f64, f64),
    /// Half the side of the square the devices are spread over, in degrees.
    pub spread_deg: f64,
    /// The seed of every random choice (a fleet is rebuilt the same from it).
    pub seed: u64,
    /// The chain the fleet reports for ([`crate::chain_of_node`]).
    pub chain: plinth_core::Hash,
}

/// Coverage hotspots are spread over at least this half-side, degrees
/// (≈ ±28 km north–south and ±17 km east–west at Berlin's latitude): hotspots hear
/// each other over tens of kilometres, and a tighter field would put every
/// hotspot within earshot of every other and in the same few hexes.
pub const COVERAGE_MIN_SPREAD_DEG: f64 = 0.25;
/// How far a spoofer asserts from its real place, metres (drawn uniformly).
pub const SPOOF_OFFSET_M: (f64, f64) = (30_000.0, 60_000.0);
/// How far from the fleet's centre relays sit, metres (drawn uniformly): inside the
/// networks' default range of the others, too far to hear most of them.
pub const RELAY_DISTANCE_M: (f64, f64) = (60_000.0, 90_000.0);
/// Colluding clusters have 3, 4, 5, 3, … members.
const CLUSTER_SIZES: [u32; 3] = [3, 4, 5];

/// One simulated device.
pub struct SimDevice {
    /// Its identity and report counter.
    pub device: DeviceKey,
    /// How it behaves.
    pub strategy: Strategy,
    /// Its network's proof family.
    pub family: String,
    /// The unit of its readings (sensor).
    pub unit: String,
    /// Where the device really is: what its sensor measures and where its radio
    /// hears and is heard.
    pub lat: f64,
    /// See `lat`.
    pub lon: f64,
    /// The asserted location it registers with: an H3 cell at resolution 12. The
    /// real place's cell, except for spoofers and colluders.
    pub cell: u64,
    /// Colluders: the number of their cluster.
    pub cluster: Option<u32>,
    /// Devices of a shipped WebAssembly family: what they drive and carry.
    pub custom: Option<CustomDevice>,
    ghost: Keypair,
    first: Option<SignedReport>,
}

impl SimDevice {
    /// The device's id.
    pub fn id(&self) -> DeviceId {
        self.device.id()
    }

    /// Where the device really is.
    pub fn position(&self) -> Position {
        Position::new(self.lat, self.lon)
    }

    /// The centre of its asserted cell.
    pub fn asserted(&self) -> Position {
        Position::of_cell(self.cell).expect("a valid cell")
    }
}

fn cell_of(lat: f64, lon: f64) -> u64 {
    Position::new(lat, lon).cell(h3o::Resolution::Twelve)
}

/// The colluding cluster being filled in one network: (number, members so far,
/// where they sit).
type OpenCluster = (u32, u32, Position);

/// Builds a fleet deterministically from the seed.
pub fn build(cfg: &FleetConfig) -> Vec<SimDevice> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut out = Vec::with_capacity(cfg.count);
    let center = Position::new(cfg.center.0, cfg.center.1);
    let mut clusters: BTreeMap<&str, OpenCluster> = BTreeMap::new();
    let mut next_cluster = 0u32;
    for i in 0..cfg.count {
        let net = &cfg.networks[i % cfg.networks.len()];
        let cheats = Strategy::cheats_of(net);
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
        let spread = if net.family == plinth_core::FamilyKind::Coverage {
            cfg.spread_deg.max(COVERAGE_MIN_SPREAD_DEG)
        } else {
            cfg.spread_deg
        };
        let anywhere = |rng: &mut StdRng| {
            Position::new(
                cfg.center.0 + rng.gen_range(-spread..spread),
                cfg.center.1 + rng.gen_range(-spread..spread),
            )
        };
        let mut cluster = None;
        let (real, asserted) = match strategy {
            Strategy::Stacked => (center, center),
            Strategy::Spoofer => {
                let real = anywhere(&mut rng);
                let bearing = rng.gen_range(0.0..std::f64::consts::TAU);
                let d = rng.gen_range(SPOOF_OFFSET_M.0..SPOOF_OFFSET_M.1);
                (real, real.offset(bearing, d))
            }
            Strategy::Relay => {
                let bearing = rng.gen_range(0.0..std::f64::consts::TAU);
                let d = rng.gen_range(RELAY_DISTANCE_M.0..RELAY_DISTANCE_M.1);
                let at = center.offset(bearing, d);
                (at, at)
            }
            Strategy::Colluder => {
                let open = clusters
                    .get(net.name.as_str())
                    .copied()
                    .filter(|(n, members, _)| {
                        *members < CLUSTER_SIZES[*n as usize % CLUSTER_SIZES.len()]
                    });
                let (n, members, spot) = match open {
                    Some(c) => c,
                    None => {
                        next_cluster += 1;
                        (next_cluster - 1, 0, anywhere(&mut rng))
                    }
                };
                clusters.insert(net.name.as_str(), (n, members + 1, spot));
                cluster = Some(n);
                (spot, anywhere(&mut rng))
            }
            _ => {
                let at = anywhere(&mut rng);
                (at, at)
            }
        };
        let custom = net
            .custom
            .map(|c| CustomDevice::new(c, strategy, k, center, &mut rng));
        let mut seed = [0u8; 32];
        rng.fill(&mut seed);
        let mut ghost = [0u8; 32];
        rng.fill(&mut ghost);
        out.push(SimDevice {
            device: DeviceKey::new(Keypair::from_seed(seed), &net.name, cfg.chain),
            strategy,
            family: net.family.clone(),
            unit: net.unit.clone(),
            lat: real.lat,
            lon: real.lon,
            cell: cell_of(asserted.lat, asserted.lon),
            cluster,
            custom,
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
/// holds each owner's next nonce and is advanced. With `maker`, each device is
/// registered as made by it (the maker's certificate over its key), as networks
/// that require a maker take them.
pub fn registrations(
    devices: &[SimDevice],
    owners: &[Keypair],
    nonces: &mut [u64],
    chain_id: &str,
    fee: u64,
    maker: Option<&Keypair>,
) -> Vec<SignedTx> {
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let o = i % owners.len();
            let owner = Address(owners[o].public());
            let id = d.id();
            let msg = plinth_ledger::devices::registration_message(
                &d.device.chain,
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
                call: match maker {
                    Some(m) => Call::RegisterMadeDevice {
                        device: id,
                        network: d.device.network.clone(),
                        location: d.cell,
                        device_signature: d.device.key.sign(&msg),
                        maker: Address(m.public()),
                        maker_signature: crate::maker::sign_device(m, &id),
                    },
                    None => Call::RegisterDevice {
                        device: id,
                        network: d.device.network.clone(),
                        location: d.cell,
                        device_signature: d.device.key.sign(&msg),
                    },
                },
            }
            .sign(&owners[o]);
            nonces[o] += 1;
            tx
        })
        .collect()
}

/// A report of `body` made at `now`, shaped by the device's strategy (the generic
/// cheats: back-dating, a key it does not hold, re-sending its first report).
fn shaped(d: &mut SimDevice, clock: &EpochClock, now: u64, body: ReportBody) -> SignedReport {
    match d.strategy {
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
    }
}

/// One round of reports from every uptime and sensor device at `now`, shaped by
/// its strategy. Coverage hotspots send none: see [`coverage_round`].
pub fn round(
    devices: &mut [SimDevice],
    clock: &EpochClock,
    now: u64,
    center: (f64, f64),
    rng: &mut StdRng,
) -> Vec<SignedReport> {
    let mut out = Vec::with_capacity(devices.len());
    for d in devices
        .iter_mut()
        .filter(|d| d.family != plinth_core::FamilyKind::Coverage && d.custom.is_none())
    {
        let body = if d.family == plinth_core::FamilyKind::Sensor {
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
        out.push(shaped(d, clock, now, body));
    }
    out
}

/// One round of trips and drives from every device of a shipped WebAssembly
/// family at `now`: each its path over the last `interval_ms` (clipped to the
/// epoch), shaped by its strategy ([`CustomDevice::body`]) and, for the generic
/// cheats, by [`shaped`].
pub fn custom_round(
    devices: &mut [SimDevice],
    clock: &EpochClock,
    now: u64,
    interval_ms: u64,
) -> Vec<SignedReport> {
    let mut out = Vec::new();
    for d in devices.iter_mut() {
        let id = d.id();
        let strategy = d.strategy;
        let Some(c) = d.custom.as_mut() else { continue };
        if let Some(body) = c.body(strategy, &id, clock, now, interval_ms) {
            out.push(shaped(d, clock, now, body));
        }
    }
    out
}

/// Pairs the fleet's vehicles with their owners' attestations: `owner_of`
/// gives a device's owner key (an emulator signs with a key of its own).
pub fn pair_vehicles(devices: &mut [SimDevice], owner_of: impl Fn(&DeviceId) -> Option<Keypair>) {
    for d in devices.iter_mut() {
        let id = d.id();
        let (strategy, ghost) = (d.strategy, d.ghost.clone());
        if let Some(c) = d.custom.as_mut().filter(|c| c.kind == Custom::Vehicles) {
            if let Some(owner) = owner_of(&id) {
                c.pair(&id, &owner, strategy, &ghost);
            }
        }
    }
}

/// Where the honest dashcams of mapping network `network` will be at `t_ms`: the
/// H3 cell (at the network's resolution) of the trailing honest dashcam of the
/// road with the most honest dashcams (at least two, so that another device
/// corroborates the hex). A burst on it is earned when that traffic passes.
/// `None` when the fleet has no such road.
pub fn mapped_cell_at(cfg: &FleetConfig, network: &str, t_ms: u64) -> Option<u64> {
    let fleet = build(cfg);
    let mut roads: BTreeMap<u64, Vec<&CustomDevice>> = BTreeMap::new();
    for d in &fleet {
        if d.device.network != network || d.strategy != Strategy::Honest {
            continue;
        }
        if let Some(
            c @ CustomDevice {
                kind: Custom::Mapping { .. },
                ..
            },
        ) = &d.custom
        {
            roads.entry(c.radius_m.to_bits()).or_default().push(c);
        }
    }
    let road = roads
        .values()
        .filter(|r| r.len() >= 2)
        .max_by_key(|r| r.len())?;
    let trailing = road.iter().min_by(|a, b| a.phase.total_cmp(&b.phase))?;
    let Custom::Mapping { resolution } = trailing.kind else {
        return None;
    };
    let res = h3o::Resolution::try_from(resolution).ok()?;
    Some(trailing.position(t_ms).cell(res))
}

/// Which of `owners` owns device `i` of a fleet spread over `networks`: the
/// `k`-th device of each network (`i = k·networks + n`) goes to owner
/// `k mod owners`, so that every network's devices belong to every owner (the
/// mapping family pays only hexes that devices of two owners map).
pub fn owner_index(i: usize, networks: usize, owners: usize) -> usize {
    (i / networks.max(1)) % owners.max(1)
}

/// A coverage network as the fleet simulates it: its parameters (from genesis) and
/// the radio its hotspots share.
#[derive(Debug, Clone)]
pub struct CoverageNet {
    /// The network's name.
    pub name: String,
    /// Its parameters.
    pub params: CoverageParams,
    /// The radio its hotspots share.
    pub radio: RadioModel,
}

/// The transmit power (EIRP) the fleet's hotspots send beacons at and declare,
/// hundredths of dBm: 27 dBm, a typical LoRa hotspot (capped at the network's
/// maximum).
pub const TX_POWER_CENTI_DBM: i32 = 2_700;

/// The most milliseconds between a beacon leaving and a witness logging it
/// (airtime and processing).
pub const RECEIVE_DELAY_MS: u64 = 20;

/// Made-up signal strengths colluders report for each other, hundredths of dBm:
/// the strong readings of hotspots that sit together.
const COLLUDER_RSSI_CENTI_DBM: (i32, i32) = (-7_000, -4_000);

/// A beacon on the air.
struct OnAir {
    sender: usize,
    id: Hash,
    frequency_hz: u64,
    tx_centi_dbm: i32,
    sent_ms: u64,
}

/// One beacon round of a coverage network at `now`: the reports its hotspots send.
///
/// Drawn hotspots ([`drawn`]) beacon, except [`Strategy::NoBeacon`]; the beacon goes
/// out at `now` (kept inside the round) on its drawn channel. Every other hotspot
/// of the network whose radio hears it from its real place ([`RadioModel`]) sends a
/// witness with what it measured, received a few milliseconds later. Colluders
/// witness every beacon of their cluster with a made-up strong signal instead, and
/// each relay copies one honest witness of every beacon that has one. The generic
/// cheats (replay, forged timestamp, wrong key) shape their reports as in
/// [`round`].
///
/// Pure given its inputs: the same devices, round, `now` and RNG state give the
/// same reports. Reports come out in the order they were made, so each device's
/// sequence numbers increase along the list. Cost: one distance per (beacon,
/// hotspot) pair; links too long to be heard even in the best case are skipped
/// before any terrain or noise is drawn.
pub fn coverage_round(
    devices: &mut [SimDevice],
    net: &CoverageNet,
    clock: &EpochClock,
    round: &BeaconRound,
    now: u64,
    rng: &mut StdRng,
) -> Vec<SignedReport> {
    let params = &net.params;
    let radio = &net.radio;
    let members: Vec<usize> = (0..devices.len())
        .filter(|&i| {
            devices[i].family == plinth_core::FamilyKind::Coverage
                && devices[i].device.network == net.name
        })
        .collect();
    let positions: Vec<Position> = devices.iter().map(SimDevice::position).collect();
    let latest_ms = round
        .end_ms
        .saturating_sub(1 + RECEIVE_DELAY_MS)
        .max(round.start_ms);
    let sent_ms = now.clamp(round.start_ms, latest_ms);
    let tx_centi_dbm = TX_POWER_CENTI_DBM.min(params.max_tx_power_dbm.saturating_mul(100));
    let mut out = Vec::new();

    let mut on_air = Vec::new();
    for &i in &members {
        let d = &mut devices[i];
        if d.strategy == Strategy::NoBeacon || !drawn(params, round, &d.id()) {
            continue;
        }
        let body = ReportBody::Beacon {
            round: round.round,
            draw: round.draw,
            tx_power_centi_dbm: tx_centi_dbm,
        };
        let r = shaped(d, clock, sent_ms, body);
        on_air.push(OnAir {
            sender: i,
            id: r.hash(),
            frequency_hz: beacon_frequency_hz(params, round, &d.id()),
            tx_centi_dbm,
            sent_ms,
        });
        out.push(r);
    }

    // The best case any link can have: no terrain, the strongest noise draw.
    let best_noise_db = radio.noise_clamp_sigmas * radio.noise_sigma_db;
    for b in &on_air {
        let sender_id = devices[b.sender].id();
        let sender_cluster = match devices[b.sender].strategy {
            Strategy::Colluder => devices[b.sender].cluster,
            _ => None,
        };
        let witness = |rssi_centi_dbm, snr_centi_db, received_ms| ReportBody::Witness {
            beacon: b.id,
            rssi_centi_dbm,
            snr_centi_db,
            frequency_hz: b.frequency_hz,
            received_ms,
        };
        let mut witnessed = BTreeSet::new();
        // Honest measurements of this beacon, for relays to copy.
        let mut honest: Vec<(i32, i32, u64)> = Vec::new();
        for &w in &members {
            let wd = &devices[w];
            if w == b.sender || (sender_cluster.is_some() && wd.cluster == sender_cluster) {
                continue;
            }
            let distance_m = positions[w].distance_m(&positions[b.sender]);
            if radio.mean_rssi_dbm(b.tx_centi_dbm, distance_m, b.frequency_hz, 0.0) + best_noise_db
                < radio.sensitivity_dbm
            {
                continue;
            }
            let terrain = radio.terrain_loss_db(&wd.id(), &sender_id);
            let Some(rx) = radio.receive(b.tx_centi_dbm, distance_m, b.frequency_hz, terrain, rng)
            else {
                continue;
            };
            let received_ms = b.sent_ms + rng.gen_range(1..=RECEIVE_DELAY_MS);
            if wd.strategy == Strategy::Honest {
                honest.push((rx.rssi_centi_dbm, rx.snr_centi_db, received_ms));
            }
            let body = witness(rx.rssi_centi_dbm, rx.snr_centi_db, received_ms);
            out.push(shaped(&mut devices[w], clock, received_ms, body));
            witnessed.insert(w);
        }
        if sender_cluster.is_some() {
            for &w in &members {
                if w != b.sender && devices[w].cluster == sender_cluster {
                    let rssi = rng.gen_range(COLLUDER_RSSI_CENTI_DBM.0..=COLLUDER_RSSI_CENTI_DBM.1);
                    let snr = rssi - crate::radio::centi(radio.noise_floor_dbm);
                    let received_ms = b.sent_ms + rng.gen_range(1..=RECEIVE_DELAY_MS);
                    let body = witness(rssi, snr, received_ms);
                    out.push(shaped(&mut devices[w], clock, received_ms, body));
                }
            }
        }
        if !honest.is_empty() {
            for &w in &members {
                if devices[w].strategy == Strategy::Relay
                    && w != b.sender
                    && !witnessed.contains(&w)
                {
                    let (rssi, snr, received_ms) = honest[rng.gen_range(0..honest.len())];
                    let body = witness(rssi, snr, received_ms);
                    out.push(shaped(&mut devices[w], clock, received_ms, body));
                }
            }
        }
    }
    out
}

/// The rounds of `rounds` (ascending) to play now, advancing `next` (the first
/// round number not yet played or skipped). A round still running with at least
/// `guard_ms` left is played; one that ended (or nearly) is skipped for good,
/// since its reports would be refused as outside the round; one not started yet
/// waits.
pub fn due_rounds(
    rounds: &[BeaconRound],
    next: &mut u64,
    now: u64,
    guard_ms: u64,
) -> Vec<BeaconRound> {
    let mut due = Vec::new();
    for r in rounds {
        if r.round < *next {
            continue;
        }
        if now < r.start_ms {
            break;
        }
        if now.saturating_add(guard_ms) < r.end_ms {
            due.push(*r);
        }
        *next = r.round + 1;
    }
    due
}

/// Which of `oracles` oracles each device reports to: device `i`, the `k`-th of
/// network `n` of `networks` (`i = k·networks + n`), to oracle `(n + k) mod
/// oracles`, so that every network's devices are spread over every oracle.
pub fn home_oracles(
    devices: &[SimDevice],
    networks: usize,
    oracles: usize,
) -> BTreeMap<DeviceId, usize> {
    let networks = networks.max(1);
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id(), (i % networks + i / networks) % oracles.max(1)))
        .collect()
}

/// Answers every outstanding challenge of the devices that answer probes, each
/// device's read from its oracle (`home`, as [`home_oracles`] assigns them; the
/// first oracle for a device not in it).
pub fn answer_probes(
    devices: &mut [SimDevice],
    oracles: &[OracleClient],
    home: &BTreeMap<DeviceId, usize>,
    clock: &EpochClock,
    now: u64,
) -> Result<Vec<SignedReport>> {
    let mut out = Vec::new();
    for d in devices
        .iter_mut()
        .filter(|d| d.family == plinth_core::FamilyKind::Uptime)
    {
        let oracle = &oracles[home.get(&d.id()).copied().unwrap_or(0)];
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

/// Sends each report to its device's oracle (`home`, as [`home_oracles`]
/// assigns them; the first oracle for a device not in it), in chunks; returns the verdicts of the oracles
/// reached and logs the others.
fn send_home(
    oracles: &[OracleClient],
    home: &BTreeMap<DeviceId, usize>,
    reports: &[SignedReport],
) -> Vec<crate::Verdict> {
    let mut by_oracle: Vec<Vec<SignedReport>> = vec![Vec::new(); oracles.len()];
    for r in reports {
        let i = home.get(&r.report.device).copied().unwrap_or(0);
        by_oracle[i].push(r.clone());
    }
    let mut verdicts = Vec::new();
    for (oracle, reports) in oracles.iter().zip(by_oracle) {
        for chunk in reports.chunks(5_000) {
            match oracle.send(chunk) {
                Ok(v) => verdicts.extend(v),
                Err(e) => tracing::warn!(error = %e, "fleet cannot reach an oracle"),
            }
        }
    }
    verdicts
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

/// What one epoch of `network` paid the fleet, by strategy: every strategy the
/// network's devices follow is listed, with 0 where it earned nothing (a cheat that
/// earns nothing is the result worth showing).
pub fn epoch_share(
    devices: &[SimDevice],
    network: &str,
    epoch: u64,
    total: u64,
    paid: &BTreeMap<DeviceId, u64>,
) -> EpochShare {
    let mut by_strategy: BTreeMap<Strategy, u64> = devices
        .iter()
        .filter(|d| d.device.network == network)
        .map(|d| (d.strategy, 0))
        .collect();
    for (s, a) in share_by_strategy(devices, paid) {
        *by_strategy.entry(s).or_insert(0) += a;
    }
    EpochShare {
        network: network.to_string(),
        epoch,
        total,
        by_strategy,
    }
}

/// Submits transactions to a node in batches; fails on any refusal.
pub fn submit_txs(node: &str, txs: &[SignedTx]) -> Result<()> {
    let node = NodeClient::with_timeout(node, SUBMIT_TIMEOUT);
    for chunk in txs.chunks(5_000) {
        let resp = node.submit_batch(chunk)?;
        if let Some(err) = resp.results.iter().find_map(|r| r.error.as_ref()) {
            return Err(anyhow!("a registration was refused: {err}"));
        }
    }
    Ok(())
}

/// How long a batch of registrations may take to become durable.
const SUBMIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// How a running fleet reaches the network.
pub struct FleetRun {
    /// The node's API.
    pub node: String,
    /// The oracle's API: its clock, beacon rounds and manifests.
    pub oracle: String,
    /// The oracles the devices report to (see [`home_oracles`]): each device sends
    /// its reports and probe answers to, and reads its challenges from, one of
    /// them; empty: every device to `oracle`.
    pub report_to: Vec<String>,
    /// Accounts that own (and register) the fleet's devices, in turn.
    pub owners: Vec<Keypair>,
    /// How often uptime and sensor devices report.
    pub interval: std::time::Duration,
    /// An approved maker's key: it certifies the devices of networks that
    /// require a maker (without it the fleet refuses to start on such a network).
    pub maker: Option<Keypair>,
}

/// What one closed epoch paid the fleet, by strategy.
#[derive(Debug, Clone, Serialize)]
pub struct EpochShare {
    /// The network.
    pub network: String,
    /// The epoch.
    pub epoch: u64,
    /// What the epoch's manifest paid in all.
    pub total: u64,
    /// What it paid the fleet's devices, by strategy.
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

/// A coverage round is played only with at least this long left in it: the
/// beacon and its witnesses must be timestamped inside the round.
const ROUND_GUARD_MS: u64 = 200;

/// The fleet's coverage networks with their parameters, read from the node's
/// `GET /v1/networks` (entries with `name`, `family`, `params`).
fn coverage_networks(node: &NodeClient, cfg: &FleetConfig) -> Result<Vec<CoverageNet>> {
    let wanted: Vec<&FleetNetwork> = cfg
        .networks
        .iter()
        .filter(|n| n.family == plinth_core::FamilyKind::Coverage)
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let listed = node.networks().context("the node's networks")?;
    wanted
        .into_iter()
        .map(|n| {
            let entry = listed
                .iter()
                .find(|e| e.name == n.name)
                .with_context(|| format!("the chain has no network `{}`", n.name))?;
            let params = match &entry.params {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let family = Family::from_kind(plinth_core::FamilyKind::Coverage, &params)
                .with_context(|| format!("parameters of coverage network `{}`", n.name))?;
            let Family::Coverage(params) = family else {
                return Err(anyhow!("`{}` is not a coverage network", n.name));
            };
            Ok(CoverageNet {
                name: n.name.clone(),
                params,
                radio: RadioModel {
                    seed: cfg.seed,
                    ..RadioModel::default()
                },
            })
        })
        .collect()
}

/// Registers the fleet on the chain (waiting until the node has every device),
/// then reports every `interval` until `stop` (uptime and sensor devices), plays
/// every coverage round the oracle draws as it starts (coverage hotspots), and
/// calls `on_epoch` for each manifest the oracle publishes.
pub fn run(
    cfg: &FleetConfig,
    how: &FleetRun,
    stop: &std::sync::atomic::AtomicBool,
    mut on_epoch: impl FnMut(&EpochShare),
) -> Result<()> {
    use std::sync::atomic::Ordering;
    let node = NodeClient::new(&how.node);
    let status = node.status().context("node status")?;
    let chain_id = status.chain_id.clone();
    let chain = status.chain();
    if chain != cfg.chain {
        return Err(anyhow!(
            "the fleet was built for chain {}, but the node serves chain {chain}",
            cfg.chain
        ));
    }
    let fee = status.min_fee;
    let mut devices = build(cfg);

    // Register what is not registered yet (a restarted fleet re-uses its seed).
    // Each device's owner: the chain's for a registered one, the one it is
    // registered with below otherwise (vehicles carry their owner's pairing).
    let mut missing = Vec::new();
    let mut owner_of: BTreeMap<DeviceId, Address> = BTreeMap::new();
    for (i, d) in devices.iter().enumerate() {
        match node.device(&d.id())? {
            Some(dev) => {
                owner_of.insert(d.id(), dev.owner);
            }
            None => {
                missing.push(i);
                let o = owner_index(i, cfg.networks.len(), how.owners.len());
                owner_of.insert(d.id(), Address(how.owners[o].public()));
            }
        }
    }
    if !missing.is_empty() {
        let made: std::collections::BTreeSet<String> = node
            .networks()
            .context("the node's networks")?
            .into_iter()
            .filter(|n| n.require_maker)
            .map(|n| n.name)
            .collect();
        if how.maker.is_none() {
            if let Some(d) = missing
                .iter()
                .map(|&i| &devices[i])
                .find(|d| made.contains(&d.device.network))
            {
                return Err(anyhow!(
                    "network `{}` takes only devices made by an approved maker: give the \
                     fleet a maker's key",
                    d.device.network
                ));
            }
        }
        let mut nonces = Vec::with_capacity(how.owners.len());
        for o in &how.owners {
            let a = node
                .account(&Address(o.public()))
                .context("owner account")?;
            nonces.push(a.next_nonce);
        }
        // Keep the owner assignment stable: device i belongs to owner_index(i).
        let mut txs = Vec::new();
        for &i in &missing {
            let o = owner_index(i, cfg.networks.len(), how.owners.len());
            let mut n = [nonces[o]];
            let tx = registrations(
                std::slice::from_ref(&devices[i]),
                std::slice::from_ref(&how.owners[o]),
                &mut n,
                &chain_id,
                fee,
                how.maker
                    .as_ref()
                    .filter(|_| made.contains(&devices[i].device.network)),
            );
            nonces[o] = n[0];
            txs.extend(tx);
        }
        submit_txs(&how.node, &txs)?;
        let last = &devices[*missing.last().expect("non-empty")];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while node.device(&last.id())?.is_none() {
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

    if devices.iter().any(|d| d.custom.is_some()) {
        pair_vehicles(&mut devices, |id| {
            let owner = owner_of.get(id)?;
            how.owners
                .iter()
                .find(|k| Address(k.public()) == *owner)
                .cloned()
        });
    }

    let oracle = OracleClient::new(&how.oracle);
    let clock = oracle.clock()?;
    let reporters: Vec<OracleClient> = match how.report_to.is_empty() {
        true => vec![OracleClient::new(&how.oracle)],
        false => how.report_to.iter().map(|u| OracleClient::new(u)).collect(),
    };
    let home = home_oracles(&devices, cfg.networks.len(), reporters.len());
    let coverage = coverage_networks(&node, cfg)?;
    // Per coverage network, the first round not yet played.
    let mut next_round: BTreeMap<String, u64> = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ 0x5eed);
    let mut reported: std::collections::BTreeSet<(String, u64)> = Default::default();
    let mut next = std::time::Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if std::time::Instant::now() >= next {
            let now = crate::now_ms();
            let mut reports = round(&mut devices, &clock, now, cfg.center, &mut rng);
            reports.extend(custom_round(
                &mut devices,
                &clock,
                now,
                how.interval.as_millis() as u64,
            ));
            send_home(&reporters, &home, &reports);
            next += how.interval;
        }
        for net in &coverage {
            let rounds = match oracle.rounds(&net.name) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(network = %net.name, error = %e, "fleet cannot fetch beacon rounds");
                    continue;
                }
            };
            let next = next_round.entry(net.name.clone()).or_insert(0);
            for r in due_rounds(&rounds, next, crate::now_ms(), ROUND_GUARD_MS) {
                let reports =
                    coverage_round(&mut devices, net, &clock, &r, crate::now_ms(), &mut rng);
                let mut refused: BTreeMap<String, usize> = BTreeMap::new();
                let verdicts = send_home(&reporters, &home, &reports);
                for v in verdicts.into_iter().filter(|v| !v.is_accepted()) {
                    *refused.entry(v.code.unwrap_or_default()).or_insert(0) += 1;
                }
                tracing::debug!(
                    network = %net.name,
                    round = r.round,
                    reports = reports.len(),
                    refused = ?refused,
                    "coverage round played"
                );
            }
        }
        let now = crate::now_ms();
        match answer_probes(&mut devices, &reporters, &home, &clock, now) {
            Ok(answers) if !answers.is_empty() => {
                send_home(&reporters, &home, &answers);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "fleet cannot fetch challenges"),
        }
        // Report manifests as they appear.
        for item in oracle.manifests(&Default::default())? {
            let (network, epoch) = (item.network, item.epoch);
            if !reported.insert((network.clone(), epoch)) {
                continue;
            }
            if let Some(m) = oracle.manifest(&network, epoch)? {
                let paid: BTreeMap<DeviceId, u64> =
                    m.entries.iter().map(|e| (e.device, e.amount)).collect();
                on_epoch(&epoch_share(
                    &devices,
                    &network,
                    epoch,
                    m.header.total,
                    &paid,
                ));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(1000));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(count: usize, cheaters_bps: u32, family: &str) -> FleetConfig {
        FleetConfig {
            count,
            cheaters_bps,
            networks: vec![FleetNetwork {
                name: "net".into(),
                family: family.into(),
                unit: "celsius".into(),
                custom: None,
            }],
            center: (52.52, 13.405),
            spread_deg: 0.03,
            seed: 3,
            chain: plinth_core::Hash::ZERO,
        }
    }

    fn coverage_net(params: CoverageParams) -> CoverageNet {
        CoverageNet {
            name: "net".into(),
            params,
            radio: RadioModel::default(),
        }
    }

    const CLOCK: EpochClock = EpochClock {
        genesis_time_ms: 1_700_000_000_000,
        epoch_ms: 3_600_000,
    };

    fn round_at(round: u64, draw: u8) -> BeaconRound {
        let start_ms = CLOCK.genesis_time_ms + round * 900_000;
        BeaconRound {
            round,
            start_ms,
            end_ms: start_ms + 900_000,
            height: 10 + round,
            draw: Hash::of(&[draw]),
        }
    }

    #[test]
    fn every_network_is_spread_over_every_oracle() {
        let devices = build(&config(9, 0, "sensor"));
        let home = home_oracles(&devices, 3, 3);
        let of: Vec<usize> = devices.iter().map(|d| home[&d.id()]).collect();
        assert_eq!(of, [0, 1, 2, 1, 2, 0, 2, 0, 1]);
        for n in 0..3 {
            let mut oracles: Vec<usize> = (0..3).map(|k| of[k * 3 + n]).collect();
            oracles.sort();
            assert_eq!(oracles, [0, 1, 2], "network {n}");
        }
        assert!(home_oracles(&devices, 3, 1).values().all(|&o| o == 0));
    }

    #[test]
    fn strategies_fit_their_families() {
        let fitting = |family: &str| -> Vec<Strategy> {
            Strategy::CHEATS
                .iter()
                .copied()
                .filter(|s| s.fits(family))
                .collect()
        };
        use Strategy::*;
        assert_eq!(
            fitting("uptime"),
            [Replay, ForgedTimestamp, WrongKey, IgnoresProbes]
        );
        assert_eq!(
            fitting("sensor"),
            [Replay, ForgedTimestamp, WrongKey, Outlier, Stacked]
        );
        assert_eq!(
            fitting("coverage"),
            [
                Replay,
                ForgedTimestamp,
                WrongKey,
                Stacked,
                Spoofer,
                Colluder,
                Relay,
                NoBeacon
            ]
        );
        assert_eq!(
            serde_json::to_string(&[NoBeacon, Spoofer]).unwrap(),
            r#"["no_beacon","spoofer"]"#
        );
    }

    #[test]
    fn coverage_cheaters_are_placed_as_their_strategy_says() {
        let devices = build(&config(400, 5_000, "coverage"));
        let center = Position::new(52.52, 13.405);
        let mut clusters: BTreeMap<u32, Vec<&SimDevice>> = BTreeMap::new();
        for d in &devices {
            let off = d.position().distance_m(&d.asserted());
            match d.strategy {
                Strategy::Spoofer => {
                    assert!((29_000.0..61_000.0).contains(&off), "spoofed by {off} m")
                }
                Strategy::Colluder => clusters.entry(d.cluster.unwrap()).or_default().push(d),
                Strategy::Relay => {
                    let far = center.distance_m(&d.position());
                    assert!((59_000.0..91_000.0).contains(&far), "relay {far} m out");
                    assert!(off < 15.0);
                }
                Strategy::Stacked => assert_eq!(d.cell, devices_stack_cell(&devices)),
                _ => {
                    // Honest places: the asserted cell is where the device is,
                    // spread over the coverage area (not the sensor spread).
                    assert!(off < 15.0);
                    assert!((d.lat - 52.52).abs() <= COVERAGE_MIN_SPREAD_DEG);
                }
            }
            if d.strategy != Strategy::Colluder {
                assert_eq!(d.cluster, None);
            }
        }
        // Clusters of 3 to 5 hotspots in one spot, asserting spread-out places (the
        // last may be short: the fleet ran out of colluders).
        assert!(clusters.len() >= 5);
        let last = *clusters.keys().last().unwrap();
        for (n, members) in &clusters {
            assert!(members.len() <= 5 && (members.len() >= 3 || *n == last));
            let spot = members[0].position();
            let asserted: BTreeSet<u64> = members.iter().map(|m| m.cell).collect();
            assert_eq!(asserted.len(), members.len());
            for m in members {
                assert_eq!(m.position(), spot);
            }
        }
    }

    fn devices_stack_cell(devices: &[SimDevice]) -> u64 {
        devices
            .iter()
            .find(|d| d.strategy == Strategy::Stacked)
            .unwrap()
            .cell
    }

    #[test]
    fn sensor_and_uptime_devices_are_where_they_say() {
        for family in ["sensor", "uptime"] {
            for d in build(&config(200, 3_000, family)) {
                assert_eq!(d.cell, cell_of(d.lat, d.lon));
                assert!((d.lat - 52.52).abs() <= 0.03);
            }
        }
    }

    #[test]
    fn coverage_hotspots_send_no_heartbeats() {
        let mut cfg = config(30, 0, "coverage");
        cfg.networks.push(FleetNetwork {
            name: "up".into(),
            family: "uptime".into(),
            unit: String::new(),
            custom: None,
        });
        let mut devices = build(&cfg);
        let mut rng = StdRng::seed_from_u64(1);
        let reports = round(
            &mut devices,
            &CLOCK,
            CLOCK.genesis_time_ms + 5,
            cfg.center,
            &mut rng,
        );
        assert_eq!(reports.len(), 15);
        assert!(reports.iter().all(|r| r.report.network == "up"));
    }

    /// One round with every kind of hotspot: who beacons, who witnesses what, and
    /// that each report is one the verifier can place in the round.
    #[test]
    fn a_coverage_round_beacons_and_witnesses() {
        let mut devices = build(&config(200, 4_000, "coverage"));
        let params = CoverageParams {
            beacon_bps: 3_000,
            ..CoverageParams::default()
        };
        let net = coverage_net(params.clone());
        let r = round_at(40, 1);
        let now = r.start_ms + 2_000;
        let mut rng = StdRng::seed_from_u64(5);
        let reports = coverage_round(&mut devices, &net, &CLOCK, &r, now, &mut rng);

        let by_id: BTreeMap<DeviceId, &SimDevice> = devices.iter().map(|d| (d.id(), d)).collect();
        let mut beacons: BTreeMap<Hash, DeviceId> = BTreeMap::new();
        let mut witnesses: Vec<(&SimDevice, Hash, i32, i32, u64, u64)> = Vec::new();
        let mut last_seq: BTreeMap<DeviceId, u64> = BTreeMap::new();
        for rep in &reports {
            let d = by_id[&rep.report.device];
            // Sequence numbers increase along the list (the oracle refuses a
            // sequence number at or below the device's last).
            let last = last_seq.entry(d.id()).or_insert(0);
            assert!(d.strategy == Strategy::Replay || rep.report.seq > *last);
            *last = rep.report.seq;
            match rep.report.body {
                ReportBody::Beacon {
                    round,
                    draw,
                    tx_power_centi_dbm,
                } => {
                    assert!(drawn(&params, &r, &d.id()));
                    assert_ne!(d.strategy, Strategy::NoBeacon);
                    if d.strategy == Strategy::Honest {
                        assert_eq!((round, draw), (r.round, r.draw));
                        assert_eq!(tx_power_centi_dbm, TX_POWER_CENTI_DBM);
                        assert_eq!(rep.report.timestamp_ms, now);
                        assert!(rep.verify_signature());
                    }
                    beacons.insert(rep.hash(), d.id());
                }
                ReportBody::Witness {
                    beacon,
                    rssi_centi_dbm,
                    snr_centi_db,
                    frequency_hz,
                    received_ms,
                } => {
                    let sender = beacons[&beacon];
                    assert_ne!(sender, d.id());
                    assert_eq!(frequency_hz, beacon_frequency_hz(&params, &r, &sender));
                    assert!(received_ms > now && received_ms <= now + RECEIVE_DELAY_MS);
                    witnesses.push((d, beacon, rssi_centi_dbm, snr_centi_db, received_ms, 0));
                }
                _ => panic!("a coverage hotspot sent {:?}", rep.report.body),
            }
        }
        // Every drawn hotspot beacons, but those that never do.
        for d in &devices {
            let sent = beacons.values().any(|b| *b == d.id());
            let should = drawn(&params, &r, &d.id()) && d.strategy != Strategy::NoBeacon;
            assert_eq!(sent, should, "{:?}", d.strategy);
        }
        assert!(beacons.len() > 40);
        let honest: Vec<_> = witnesses
            .iter()
            .filter(|w| w.0.strategy == Strategy::Honest)
            .collect();
        // Heard by many, not by all.
        let honest_count = devices
            .iter()
            .filter(|d| d.strategy == Strategy::Honest)
            .count();
        assert!(honest.len() > beacons.len() * honest_count / 10);
        assert!(honest.len() < beacons.len() * honest_count * 9 / 10);
        for w in &witnesses {
            let sender = by_id[&beacons[&w.1]];
            match w.0.strategy {
                // Relays copy (or, rarely, really hear): checked below.
                Strategy::Relay => {}
                // Colluders report their mates' beacons loud.
                Strategy::Colluder if sender.cluster == w.0.cluster => {
                    assert!((-7_000..=-4_000).contains(&w.2));
                }
                _ => {
                    assert!(w.2 >= -12_500, "below sensitivity: {}", w.2);
                    assert_eq!(w.3, w.2 + 12_000);
                }
            }
        }
        // Each relay witnesses every beacon an honest hotspot heard, once, by
        // copying an honest witness exactly unless its own radio heard it.
        let mut copies = 0;
        for relay in devices.iter().filter(|d| d.strategy == Strategy::Relay) {
            for (id, sender) in &beacons {
                if *sender == relay.id() || !honest.iter().any(|h| h.1 == *id) {
                    continue;
                }
                let mine: Vec<_> = witnesses
                    .iter()
                    .filter(|w| w.0.id() == relay.id() && w.1 == *id)
                    .collect();
                assert_eq!(mine.len(), 1);
                let w = mine[0];
                if honest
                    .iter()
                    .any(|h| (h.1, h.2, h.3, h.4) == (w.1, w.2, w.3, w.4))
                {
                    copies += 1;
                }
            }
        }
        assert!(copies > beacons.len());
        // Every colluder witnesses each beacon of its cluster.
        for (id, sender) in &beacons {
            let s = by_id[sender];
            if s.strategy != Strategy::Colluder {
                continue;
            }
            for mate in devices
                .iter()
                .filter(|m| m.cluster == s.cluster && m.id() != *sender)
            {
                assert!(witnesses
                    .iter()
                    .any(|w| w.0.id() == mate.id() && w.1 == *id));
            }
        }
    }

    #[test]
    fn a_coverage_round_is_deterministic_given_its_inputs() {
        let net = coverage_net(CoverageParams::default());
        let r = round_at(7, 2);
        let play = || {
            let mut devices = build(&config(120, 3_000, "coverage"));
            let mut rng = StdRng::seed_from_u64(8);
            coverage_round(&mut devices, &net, &CLOCK, &r, r.start_ms + 100, &mut rng)
        };
        let a = play();
        assert!(!a.is_empty());
        assert_eq!(a, play());
    }

    #[test]
    fn a_late_call_keeps_reports_inside_the_round() {
        let mut devices = build(&config(100, 0, "coverage"));
        let net = coverage_net(CoverageParams {
            beacon_bps: 10_000,
            ..CoverageParams::default()
        });
        let r = round_at(3, 3);
        let mut rng = StdRng::seed_from_u64(1);
        let reports = coverage_round(&mut devices, &net, &CLOCK, &r, r.end_ms + 5_000, &mut rng);
        assert!(!reports.is_empty());
        for rep in &reports {
            assert!((r.start_ms..r.end_ms).contains(&rep.report.timestamp_ms));
            if let ReportBody::Witness { received_ms, .. } = rep.report.body {
                assert!((r.start_ms..r.end_ms).contains(&received_ms));
            }
        }
    }

    #[test]
    fn due_rounds_play_running_rounds_once_and_skip_ended_ones() {
        let rounds: Vec<BeaconRound> = (10..14).map(|i| round_at(i, i as u8)).collect();
        let mut next = 0;
        // In round 12: 10 and 11 are over (skipped), 12 is played, 13 waits.
        let now = rounds[2].start_ms + 1_000;
        assert_eq!(due_rounds(&rounds, &mut next, now, 200), vec![rounds[2]]);
        assert_eq!(next, 13);
        // Played once only.
        assert_eq!(due_rounds(&rounds, &mut next, now + 1_000, 200), vec![]);
        // Too close to its end to fit a beacon and its witnesses: skipped.
        let now = rounds[3].end_ms - 100;
        assert_eq!(due_rounds(&rounds, &mut next, now, 200), vec![]);
        assert_eq!(next, 14);
    }

    #[test]
    fn epoch_share_lists_every_strategy_of_the_network() {
        let devices = build(&config(100, 5_000, "coverage"));
        let honest = devices
            .iter()
            .find(|d| d.strategy == Strategy::Honest)
            .unwrap();
        let spoofer = devices
            .iter()
            .find(|d| d.strategy == Strategy::Spoofer)
            .unwrap();
        let paid = BTreeMap::from([(honest.id(), 900), (spoofer.id(), 100)]);
        let share = epoch_share(&devices, "net", 4, 1_000, &paid);
        assert_eq!(share.by_strategy[&Strategy::Honest], 900);
        assert_eq!(share.by_strategy[&Strategy::Spoofer], 100);
        assert_eq!(share.by_strategy[&Strategy::Colluder], 0);
        assert_eq!(share.by_strategy.len(), 9);
        assert_eq!(share.cheaters_bps(), 1_000);
        assert!(epoch_share(&devices, "other", 4, 0, &BTreeMap::new())
            .by_strategy
            .is_empty());
    }
}
