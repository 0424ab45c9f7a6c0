//! Plinth's proof families: the verification logic of each kind of physical work.
//!
//! ```text
//!  accepted reports (spool order) ─┐
//!  probe records (challenges)     ─┼─▶ Family::score ─▶ FamilyOutput { scores, rejections }
//!  devices (registry at epoch end) ─┤                              │
//!  network params (genesis)       ─┘                 split(emission, scores) ─▶ rewards
//! ```
//!
//! Everything here is pure and deterministic: reports, challenge results and
//! parameters in; scores and rejections (with reasons) out. No clock, no
//! randomness, no floats in results: scores are fixed-point integers where
//! [`SCORE_ONE`] means 1.0. The oracle runs a family at each epoch's end; an
//! auditor runs the same code over the same spool and must get the same scores.
//! The output does not depend on the order of reports or probes: rejections are
//! listed by device, then report hash.
//!
//! A network names its family ([`FamilyKind`]) and parameters in genesis;
//! [`Family::from_network`] sets it up. Families do not check signatures: the
//! oracle does that before a report enters the spool.
//!
//! The families:
//!
//! - [`uptime`]: heartbeat intervals, gated by oracle probes.
//! - [`sensor`]: plausible, fresh readings that agree with neighbouring sensors
//!   in the same or adjacent H3 cells.
//! - [`coverage`]: radio hotspots heard by others (beacons and witnesses), with
//!   geometry and signal rules, location suspects and HIP-17 density scaling.
//! - [`storage`]: proofs of retrievability for storage deals, scored from the
//!   oracle's storage rounds rather than from reports.
//! - [`wasm`]: custom families: a WebAssembly module on the ledger scores the
//!   epoch (the family ABI v1), run in `plinth-wasm` with the pure host
//!   functions [`wasm::HOST`]; reports carry [`ReportBody::Custom`] bodies for it.
//!
//! And what they share:
//!
//! - [`report`]: the signed reports devices send to the oracle.
//! - [`mod@split`]: an epoch's emission split exactly in proportion to scores.
//! - [`fixed`]: fixed-point decimals and fractions, no floats.

#![warn(missing_docs)]

pub mod compute;
pub mod coverage;
pub mod energy;
pub mod fixed;
pub mod report;
pub mod sensor;
pub mod split;
pub mod storage;
pub mod uptime;
pub mod wasm;

pub use coverage::CoverageParams;
pub use report::{Report, ReportBody, SignedReport};
pub use sensor::SensorParams;
pub use split::split;
pub use uptime::UptimeParams;

use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// Fixed-point 1.0 for scores and factors.
pub const SCORE_ONE: u64 = 1_000_000;

/// What a family knows of a device: the ledger's registry entry at epoch end.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device's id (its public key).
    pub id: DeviceId,
    /// The account that registered the device and is paid its rewards.
    pub owner: Address,
    /// H3 cell index of the asserted location.
    pub location: u64,
    /// Whether the device is active; inactive devices' reports are refused.
    pub active: bool,
}

/// The epoch being scored (`[start_ms, end_ms)`), from [`plinth_core::epoch`].
pub use plinth_core::EpochWindow;

/// An oracle probe: a challenge issued to a device and whether (and when) the
/// device answered it with a valid signed `ProbeAnswer`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// The probed device.
    pub device: DeviceId,
    /// The challenge the device must sign.
    pub challenge: Hash,
    /// When the oracle issued the challenge, milliseconds since the Unix epoch.
    pub issued_ms: u64,
    /// The latest answer time that passes the probe.
    pub deadline_ms: u64,
    /// Oracle receipt time of the answer, if one arrived.
    pub answered_ms: Option<u64>,
}

/// Why a family did not count a report.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ScoreRejection {
    /// The device is not in the registry.
    UnknownDevice,
    /// The device is registered but not active.
    InactiveDevice,
    /// The report's timestamp is outside the epoch being scored.
    OutsideEpoch,
    /// The report's body is not a kind this family scores.
    WrongKind,
    /// Sensor: a reading in another unit than the network's.
    WrongUnit {
        /// The network's unit.
        expected: String,
        /// The reading's unit.
        found: String,
    },
    /// Sensor: a reading outside the network's plausible range.
    OutOfRange {
        /// The reading, thousandths of the unit.
        value_milli: i64,
        /// The lowest plausible value, thousandths.
        min_milli: i64,
        /// The highest plausible value, thousandths.
        max_milli: i64,
    },
    /// Sensor: a reading older than the network allows at the epoch's end.
    Stale {
        /// The reading's age at the epoch's end, milliseconds.
        age_ms: u64,
        /// The oldest age accepted, milliseconds.
        max_ms: u64,
    },
    /// Uptime: a second heartbeat in an interval already proven.
    DuplicateInterval,
    /// Uptime: an answer to a challenge the oracle did not issue. No family
    /// produces it today (the oracle refuses such answers at ingest); the variant
    /// keeps its place in the encoding.
    UnknownChallenge,
    /// Uptime: an answer after its probe's deadline. No family produces it today
    /// (late answers fail their probe record); the variant keeps its place in the
    /// encoding.
    LateAnswer,
    /// Coverage: a beacon for a round the oracle did not draw.
    UnknownRound,
    /// Coverage: a beacon that names another draw than its round's.
    WrongDraw,
    /// Coverage: a beacon from a hotspot the round's draw did not pick.
    NotDrawn,
    /// Coverage: a second beacon of one hotspot in one round.
    DuplicateBeacon,
    /// Coverage: declared transmit power above the network's maximum.
    TxPowerTooHigh {
        /// The declared power, hundredths of dBm.
        found_centi_dbm: i32,
        /// The network's maximum, hundredths of dBm.
        max_centi_dbm: i32,
    },
    /// Coverage: a witness of a beacon that was not drawn (unknown, or refused).
    BeaconNotDrawn,
    /// Coverage: a hotspot witnessing its own beacon.
    SelfWitness,
    /// Coverage: a witness owned by the beaconer's owner.
    SameOwner,
    /// Coverage: witness in the same or an adjacent H3 cell as the beaconer.
    TooClose {
        /// The H3 resolution at which closeness is judged.
        resolution: u8,
    },
    /// Coverage: witness farther from the beaconer than the network's range.
    TooFar {
        /// The distance between the asserted locations, metres.
        distance_m: u64,
        /// The network's range, metres.
        max_m: u64,
    },
    /// Coverage: a signal stronger than free-space path loss allows at the
    /// asserted distance: the classic sign of a spoofed location.
    RssiTooStrong {
        /// The reported signal strength, hundredths of dBm.
        rssi_centi_dbm: i32,
        /// The strongest plausible signal at that distance, hundredths of dBm.
        max_centi_dbm: i32,
        /// The distance between the asserted locations, metres.
        distance_m: u64,
    },
    /// Coverage: heard on another frequency than the beacon's.
    WrongFrequency {
        /// The beacon's frequency, hertz.
        expected_hz: u64,
        /// The witnessed frequency, hertz.
        found_hz: u64,
    },
    /// Coverage: reception time (or beacon time) outside the beacon's round.
    OutsideRound,
    /// Coverage: a second witness of one beacon by one hotspot.
    DuplicateWitness,
    /// Coverage: the same measurement (signal, noise ratio, time) as another
    /// witness of the beacon: a relay replaying someone else's witness.
    CopiedMeasurement,
    /// Coverage: a beacon or witness of a hotspot whose asserted location
    /// disagrees with too many others' (see `coverage::location_suspects`).
    LocationSuspect,
    /// A custom (`wasm`) family's rejection: its own code and reason.
    Custom {
        /// The family's code: 1 to 32 bytes of `[a-z0-9_]`.
        code: String,
        /// What the family says about it (at most 256 bytes).
        detail: String,
    },
}

/// A beacon round of a coverage network as the oracle drew it: the block whose hash
/// the draw came from (not known before that block), and the round's time window
/// `[start_ms, end_ms)`. Rounds are numbered from 0 across epochs:
/// round `r` belongs to epoch `r / rounds_per_epoch`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct BeaconRound {
    /// The round's number, counted from 0 across epochs.
    pub round: u64,
    /// The round's first timestamp (inclusive).
    pub start_ms: u64,
    /// The first timestamp after the round (exclusive).
    pub end_ms: u64,
    /// The height of the block the draw came from.
    pub height: u64,
    /// The hash of that block: what [`coverage::drawn`] draws from.
    pub draw: Hash,
}

/// One report a family did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Rejected {
    /// The report's hash ([`SignedReport::hash`]).
    pub report: Hash,
    /// The device that sent it.
    pub device: DeviceId,
    /// Why it did not count.
    pub why: ScoreRejection,
}

/// A family's verdict for one epoch.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct FamilyOutput {
    /// Devices with a positive score, by id (fixed point, [`SCORE_ONE`] = 1.0).
    pub scores: BTreeMap<DeviceId, u64>,
    /// The reports not counted, by device then report hash.
    pub rejections: Vec<Rejected>,
}

impl Rejected {
    /// A rejection of `report` for `why`.
    pub fn of(report: &SignedReport, why: ScoreRejection) -> Rejected {
        Rejected {
            report: report.hash(),
            device: report.report.device,
            why,
        }
    }
}

impl FamilyOutput {
    /// Puts the rejections in canonical order (by device, then report hash), so
    /// that the whole output, not only the scores, is independent of input order.
    fn canonical(mut self) -> FamilyOutput {
        self.rejections
            .sort_unstable_by_key(|r| (r.device, r.report));
        self
    }
}

/// The checks every family makes first, in this order: the device is registered,
/// it is active. `Ok` carries the registry entry.
fn registered<'a>(
    devices: &'a BTreeMap<DeviceId, DeviceInfo>,
    r: &SignedReport,
) -> Result<&'a DeviceInfo, ScoreRejection> {
    match devices.get(&r.report.device) {
        None => Err(ScoreRejection::UnknownDevice),
        Some(d) if !d.active => Err(ScoreRejection::InactiveDevice),
        Some(d) => Ok(d),
    }
}

/// [`registered`] for a device already looked up (`None`: not in the registry).
fn registered_entry(d: Option<&DeviceInfo>) -> Result<&DeviceInfo, ScoreRejection> {
    match d {
        None => Err(ScoreRejection::UnknownDevice),
        Some(d) if !d.active => Err(ScoreRejection::InactiveDevice),
        Some(d) => Ok(d),
    }
}

/// The index a report's device has in a registry slice when it is not
/// registered (see [`by_device`]).
const UNREGISTERED: u32 = u32::MAX;

/// Reports and devices handled at once by one parallel task.
const CHUNK: usize = 1 << 14;

/// The registry as the indexed scoring functions take it ([`sensor::score_indexed`],
/// [`uptime::score_indexed`]): each device once, in ascending id order. Where an
/// id is listed more than once the last entry counts, as when the list is
/// collected into a `BTreeMap`.
pub fn sorted_registry(mut devices: Vec<DeviceInfo>) -> Vec<DeviceInfo> {
    if devices.par_windows(2).all(|w| w[0].id < w[1].id) {
        return devices;
    }
    // A stable sort: an id's entries keep their order, and the last is kept.
    devices.par_sort_by_key(|d| words(&d.id));
    let n = devices.len();
    let mut kept = 0;
    for i in 0..n {
        if i + 1 < n && devices[i + 1].id == devices[i].id {
            continue;
        }
        devices.swap(kept, i);
        kept += 1;
    }
    devices.truncate(kept);
    devices
}

/// A family's verdict over a registry slice in id order ([`sorted_registry`]):
/// what [`FamilyOutput`] holds, with devices named by their index in the slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedOutput {
    /// Devices with a positive score: (index in the registry, score), by index
    /// (so by id).
    pub scores: Vec<(u32, u64)>,
    /// The reports not counted, in no particular order.
    pub rejections: Vec<Rejected>,
}

impl IndexedOutput {
    /// The output with devices named by id, as [`Family::score`] gives it.
    pub fn into_output<D: Borrow<DeviceInfo>>(self, devices: &[D]) -> FamilyOutput {
        FamilyOutput {
            scores: self
                .scores
                .into_iter()
                .map(|(i, s)| (devices[i as usize].borrow().id, s))
                .collect(),
            rejections: self.rejections,
        }
        .canonical()
    }
}

/// A device id as four big-endian words: ordered as the id's bytes are, and
/// compared without a call to `memcmp` (what sorting millions of ids spends
/// its time in).
fn words(id: &DeviceId) -> (u64, u64, u64, u64) {
    let b = &id.0 .0;
    let w = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    (w(0), w(8), w(16), w(24))
}

/// Every report's device found in `devices` (in id order, each once): `(index
/// of the device or [`UNREGISTERED`], index of the report)`, in the order of the
/// devices' ids, then of the reports. One sort of the reports' ids and one walk
/// of the registry, not a lookup per report.
///
/// # Panics
///
/// With 2³² − 1 devices or reports or more.
fn by_device<D: Borrow<DeviceInfo> + Sync>(
    devices: &[D],
    reports: &[SignedReport],
) -> Vec<(u32, u32)> {
    assert!(
        devices.len() < UNREGISTERED as usize && reports.len() < u32::MAX as usize,
        "fewer than 2^32 - 1 devices and reports"
    );
    let mut keys: Vec<((u64, u64, u64, u64), u32)> = reports
        .par_iter()
        .enumerate()
        .map(|(i, r)| (words(&r.report.device), i as u32))
        .collect();
    keys.par_sort_unstable();
    let mut out = vec![(UNREGISTERED, 0u32); keys.len()];
    out.par_chunks_mut(CHUNK)
        .zip(keys.par_chunks(CHUNK))
        .for_each(|(out, keys)| {
            let id = |p: usize| words(&devices[p].borrow().id);
            let mut p = devices.partition_point(|d| words(&d.borrow().id) < keys[0].0);
            for (slot, (device, report)) in out.iter_mut().zip(keys) {
                while p < devices.len() && id(p) < *device {
                    p += 1;
                }
                let found = p < devices.len() && id(p) == *device;
                *slot = (if found { p as u32 } else { UNREGISTERED }, *report);
            }
        });
    out
}

/// Vectors made by parallel tasks, joined in order.
fn concat<T>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for mut p in parts {
        out.append(&mut p);
    }
    out
}

/// The largest parameter document accepted, in bytes.
pub const MAX_PARAMS_BYTES: usize = 8 * 1024;

/// The family names [`Family::from_network`] knows: the [`FamilyKind`]s' names.
pub const FAMILY_NAMES: &[&str] = &[
    FamilyKind::Uptime.name(),
    FamilyKind::Sensor.name(),
    FamilyKind::Coverage.name(),
    FamilyKind::Storage.name(),
    FamilyKind::Compute.name(),
    FamilyKind::Wasm.name(),
    FamilyKind::Energy.name(),
];

/// The kinds of proof family, from [`plinth_core::family`].
pub use plinth_core::{FamilyKind, UnknownFamily};

/// Why a network's proof family could not be set up from its name and parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    /// The network names a family this build does not have.
    #[error(
        "unknown proof family `{name}` (known: uptime, sensor, coverage, storage, compute, wasm)"
    )]
    UnknownFamily {
        /// The name, cut to its first 64 characters.
        name: String,
    },
    /// The parameter document is larger than [`MAX_PARAMS_BYTES`].
    #[error("parameters of the `{family}` family are {size} bytes, the limit is {limit} bytes")]
    ParamsTooLarge {
        /// The family's name.
        family: String,
        /// The document's size, bytes.
        size: usize,
        /// The largest size accepted, bytes.
        limit: usize,
    },
    /// The parameters do not parse, or fail the family's checks.
    #[error("bad parameters for the `{family}` family: {reason}")]
    BadParams {
        /// The family's name.
        family: String,
        /// What is wrong with them.
        reason: String,
    },
}

impl From<UnknownFamily> for FamilyError {
    fn from(e: UnknownFamily) -> FamilyError {
        FamilyError::UnknownFamily { name: e.name }
    }
}

impl FamilyError {
    /// The network names a family this build does not have.
    pub fn is_unknown_family(&self) -> bool {
        matches!(self, FamilyError::UnknownFamily { .. })
    }

    /// The family is known but its parameters are not acceptable.
    pub fn is_bad_params(&self) -> bool {
        matches!(
            self,
            FamilyError::BadParams { .. } | FamilyError::ParamsTooLarge { .. }
        )
    }
}

/// A network's proof family with its parameters, ready to score epochs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Family {
    /// Heartbeat intervals and oracle probes: [`uptime::score`].
    Uptime(UptimeParams),
    /// Plausible, fresh readings that agree with neighbours': [`sensor::score`].
    Sensor(SensorParams),
    /// Beacons and witnesses of radio hotspots: [`coverage::score`].
    Coverage(CoverageParams),
    /// Scored from storage rounds with [`storage::score`], not from reports.
    Storage(storage::StorageFamilyParams),
    /// Proven by capacity checks and spot checks, not reports: see [`compute`].
    Compute(compute::ComputeFamilyParams),
    /// A WebAssembly module on the ledger scores the epoch: see [`wasm`]. (The
    /// module's bytes come from the ledger, so [`wasm::run`] scores it, not
    /// [`Family::score_with_rounds`].)
    Wasm(wasm::WasmFamilyParams),
    /// Meters' readings, checked and settled by the ledger; scored from its
    /// record of verified generation: see [`energy`].
    Energy(energy::EnergyParams),
}

impl Family {
    /// Sets up the family a network names, from the network's parameter object
    /// (JSON, as the ledger stores it). An empty document or `null` means "all
    /// defaults".
    ///
    /// ```
    /// use plinth_proofs::Family;
    /// let f = Family::from_network("sensor", r#"{"unit": "celsius", "min": -40.5, "max": 60}"#)
    ///     .unwrap();
    /// let Family::Sensor(p) = f else { unreachable!() };
    /// assert_eq!((p.min_milli, p.max_milli), (-40_500, 60_000));
    /// assert!(Family::from_network("weather", "{}").unwrap_err().is_unknown_family());
    /// ```
    pub fn from_network(family_name: &str, params_json: &str) -> Result<Family, FamilyError> {
        Family::from_kind(FamilyKind::parse(family_name)?, params_json)
    }

    /// Sets up a family of kind `kind` from its parameter object, as
    /// [`Family::from_network`] does.
    pub fn from_kind(kind: FamilyKind, params_json: &str) -> Result<Family, FamilyError> {
        let family_name = kind.name();
        if params_json.len() > MAX_PARAMS_BYTES {
            return Err(FamilyError::ParamsTooLarge {
                family: family_name.to_string(),
                size: params_json.len(),
                limit: MAX_PARAMS_BYTES,
            });
        }
        let text = match params_json.trim() {
            "" | "null" => "{}",
            t => t,
        };
        let bad = |e: serde_json::Error| FamilyError::BadParams {
            family: family_name.to_string(),
            reason: e.to_string(),
        };
        let invalid = |reason: String| FamilyError::BadParams {
            family: family_name.to_string(),
            reason,
        };
        match kind {
            FamilyKind::Uptime => serde_json::from_str(text).map(Family::Uptime).map_err(bad),
            FamilyKind::Sensor => serde_json::from_str(text).map(Family::Sensor).map_err(bad),
            FamilyKind::Storage => serde_json::from_str::<storage::StorageFamilyParams>(text)
                .map_err(bad)
                .and_then(|p| p.validate().map_err(invalid))
                .map(Family::Storage),
            FamilyKind::Coverage => serde_json::from_str::<CoverageParams>(text)
                .map_err(bad)
                .and_then(|p| p.validate().map_err(invalid))
                .map(Family::Coverage),
            FamilyKind::Compute => serde_json::from_str::<compute::ComputeFamilyParams>(text)
                .map_err(bad)
                .and_then(|p| p.validate().map_err(invalid))
                .map(Family::Compute),
            FamilyKind::Wasm => wasm::WasmFamilyParams::from_json(text).map(Family::Wasm),
            FamilyKind::Energy => serde_json::from_str::<energy::EnergyParams>(text)
                .map_err(bad)
                .and_then(|p| p.validate().map_err(invalid))
                .map(Family::Energy),
        }
    }

    /// The family's kind.
    pub fn kind(&self) -> FamilyKind {
        match self {
            Family::Uptime(_) => FamilyKind::Uptime,
            Family::Sensor(_) => FamilyKind::Sensor,
            Family::Coverage(_) => FamilyKind::Coverage,
            Family::Storage(_) => FamilyKind::Storage,
            Family::Compute(_) => FamilyKind::Compute,
            Family::Wasm(_) => FamilyKind::Wasm,
            Family::Energy(_) => FamilyKind::Energy,
        }
    }

    /// The family's name, as networks name it.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Scores one epoch. `probes` are used by the uptime family only; a coverage
    /// network needs its beacon rounds: use [`Family::score_with_rounds`].
    pub fn score(
        &self,
        window: &EpochWindow,
        devices: &BTreeMap<DeviceId, DeviceInfo>,
        reports: &[SignedReport],
        probes: &[ProbeRecord],
    ) -> FamilyOutput {
        self.score_with_rounds(window, devices, reports, probes, &[])
    }

    /// Scores one epoch with everything the oracle recorded: `probes` (uptime)
    /// and beacon `rounds` (coverage).
    pub fn score_with_rounds(
        &self,
        window: &EpochWindow,
        devices: &BTreeMap<DeviceId, DeviceInfo>,
        reports: &[SignedReport],
        probes: &[ProbeRecord],
        rounds: &[BeaconRound],
    ) -> FamilyOutput {
        match self {
            Family::Uptime(p) => uptime::score(p, window, devices, reports, probes),
            Family::Sensor(p) => sensor::score(p, window, devices, reports),
            Family::Coverage(p) => coverage::score(p, window, devices, reports, rounds),
            // Storage deals are proven by storage rounds, not reports.
            Family::Storage(_) => FamilyOutput::default(),
            // Compute providers are proven by the oracle's checks, not reports.
            Family::Compute(_) => FamilyOutput::default(),
            // Needs the module's bytes: see `wasm::run`.
            Family::Wasm(_) => FamilyOutput::default(),
            // Meters' readings go to the ledger: see `energy::score`.
            Family::Energy(_) => FamilyOutput::default(),
        }
    }
}
