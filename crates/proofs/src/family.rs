//! The proof families and their dispatcher.

use crate::{
    DeviceInfo, EpochWindow, FamilyOutput, ProbeRecord, Rejected, ReportBody, ScoreRejection,
    SignedReport, SCORE_ONE,
};
use plinth_core::DeviceId;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a network's family could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    #[error("unknown proof family `{0}` (known: uptime, sensor)")]
    Unknown(String),
    #[error("bad parameters for the `{family}` family: {reason}")]
    BadParams { family: String, reason: String },
}

/// A network's proof family with its parameters.
#[derive(Debug, Clone)]
pub enum Family {
    Uptime(UptimeParams),
    Sensor(SensorParams),
}

impl Family {
    pub fn from_network(family: &str, params_json: &str) -> Result<Family, FamilyError> {
        let bad = |e: String| FamilyError::BadParams {
            family: family.to_string(),
            reason: e,
        };
        let value: serde_json::Value = if params_json.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(params_json).map_err(|e| bad(e.to_string()))?
        };
        match family {
            "uptime" => serde_json::from_value(value)
                .map(Family::Uptime)
                .map_err(|e| bad(e.to_string())),
            "sensor" => {
                let raw: RawSensorParams =
                    serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
                raw.resolve().map(Family::Sensor).map_err(bad)
            }
            other => Err(FamilyError::Unknown(other.to_string())),
        }
    }

    pub fn score(
        &self,
        window: &EpochWindow,
        devices: &BTreeMap<DeviceId, DeviceInfo>,
        reports: &[SignedReport],
        probes: &[ProbeRecord],
    ) -> FamilyOutput {
        match self {
            Family::Uptime(p) => uptime(p, window, devices, reports, probes),
            Family::Sensor(p) => sensor(p, window, devices, reports),
        }
    }
}

fn reject(out: &mut FamilyOutput, r: &SignedReport, why: ScoreRejection) {
    out.rejections.push(Rejected {
        report: r.hash(),
        device: r.report.device,
        why,
    });
}

/// Common checks: known, active, inside the window.
fn admissible(
    out: &mut FamilyOutput,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    r: &SignedReport,
) -> bool {
    match devices.get(&r.report.device) {
        None => {
            reject(out, r, ScoreRejection::UnknownDevice);
            false
        }
        Some(d) if !d.active => {
            reject(out, r, ScoreRejection::InactiveDevice);
            false
        }
        Some(_)
            if r.report.timestamp_ms < window.start_ms
                || r.report.timestamp_ms >= window.end_ms =>
        {
            reject(out, r, ScoreRejection::OutsideEpoch);
            false
        }
        Some(_) => true,
    }
}

// ---------------------------------------------------------------- uptime

/// Parameters of the uptime family.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct UptimeParams {
    /// One heartbeat in each interval of this length proves the interval.
    pub heartbeat_interval_s: u64,
    /// Share of the score from probes, in basis points.
    pub probe_weight_bps: u64,
}

impl Default for UptimeParams {
    fn default() -> Self {
        UptimeParams {
            heartbeat_interval_s: 60,
            probe_weight_bps: 5_000,
        }
    }
}

/// score = heartbeat_fraction × (1 − w) + probe_fraction × w, where
/// heartbeat_fraction is the share of the epoch's intervals proven by a heartbeat
/// and probe_fraction the share of probes answered by their deadline (equal to
/// heartbeat_fraction for a device the oracle did not probe).
pub fn uptime(
    p: &UptimeParams,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    probes: &[ProbeRecord],
) -> FamilyOutput {
    let mut out = FamilyOutput::default();
    let interval_ms = p.heartbeat_interval_s.max(1) * 1000;
    let total = (window.end_ms - window.start_ms)
        .div_ceil(interval_ms)
        .max(1);
    let mut proven: BTreeMap<DeviceId, BTreeSet<u64>> = BTreeMap::new();
    for r in reports {
        if !admissible(&mut out, window, devices, r) {
            continue;
        }
        match &r.report.body {
            ReportBody::Heartbeat => {
                let slot = (r.report.timestamp_ms - window.start_ms) / interval_ms;
                if !proven.entry(r.report.device).or_default().insert(slot) {
                    reject(&mut out, r, ScoreRejection::DuplicateInterval);
                }
            }
            ReportBody::ProbeAnswer { .. } => {}
            ReportBody::Reading { .. } => reject(&mut out, r, ScoreRejection::WrongKind),
        }
    }
    let mut issued: BTreeMap<DeviceId, (u64, u64)> = BTreeMap::new();
    for pr in probes {
        let e = issued.entry(pr.device).or_default();
        e.0 += 1;
        if pr.answered_ms.is_some_and(|a| a <= pr.deadline_ms) {
            e.1 += 1;
        }
    }
    let w = p.probe_weight_bps.min(10_000);
    for (id, d) in devices {
        if !d.active {
            continue;
        }
        let hb = proven
            .get(id)
            .map(|s| s.len() as u64)
            .unwrap_or(0)
            .min(total)
            * SCORE_ONE
            / total;
        let pf = match issued.get(id) {
            Some(&(n, ok)) if n > 0 => ok * SCORE_ONE / n,
            _ => hb,
        };
        let score = (hb * (10_000 - w) + pf * w) / 10_000;
        if score > 0 {
            out.scores.insert(*id, score);
        }
    }
    out
}

// ---------------------------------------------------------------- sensor

#[derive(Debug, Clone, Deserialize)]
struct RawSensorParams {
    unit: String,
    min: serde_json::Number,
    max: serde_json::Number,
    #[serde(default = "default_resolution")]
    resolution: u8,
    #[serde(default = "default_tolerance")]
    tolerance_milli: i64,
    #[serde(default = "default_max_deviation")]
    max_deviation_milli: i64,
    #[serde(default = "default_expected")]
    expected_readings: u64,
}

fn default_resolution() -> u8 {
    7
}
fn default_tolerance() -> i64 {
    2_000
}
fn default_max_deviation() -> i64 {
    10_000
}
fn default_expected() -> u64 {
    1
}

/// Parses a JSON number (integer or decimal) into thousandths, without floats.
pub fn to_milli(n: &serde_json::Number) -> Result<i64, String> {
    let s = n.to_string();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    if s.contains(['e', 'E']) {
        return Err(format!("`{n}`: exponents are not supported"));
    }
    let (w, f) = s.split_once('.').unwrap_or((s, ""));
    if f.len() > 3 {
        return Err(format!("`{n}` has more than 3 decimals"));
    }
    let w: i64 = w.parse().map_err(|_| format!("`{n}` is not a number"))?;
    let f: i64 = if f.is_empty() {
        0
    } else {
        format!("{f:0<3}")
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?
    };
    let v = w
        .checked_mul(1000)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(|| format!("`{n}` is too large"))?;
    Ok(if neg { -v } else { v })
}

/// Parameters of the sensor family (values in thousandths of `unit`).
#[derive(Debug, Clone)]
pub struct SensorParams {
    pub unit: String,
    pub min_milli: i64,
    pub max_milli: i64,
    /// H3 resolution of neighbourhoods: a cell and its ring of six.
    pub resolution: h3o::Resolution,
    pub tolerance_milli: i64,
    pub max_deviation_milli: i64,
    pub expected_readings: u64,
}

impl RawSensorParams {
    fn resolve(self) -> Result<SensorParams, String> {
        let min_milli = to_milli(&self.min)?;
        let max_milli = to_milli(&self.max)?;
        if min_milli > max_milli {
            return Err("min is above max".into());
        }
        if self.tolerance_milli < 0 || self.max_deviation_milli <= self.tolerance_milli {
            return Err("need 0 <= tolerance_milli < max_deviation_milli".into());
        }
        Ok(SensorParams {
            unit: self.unit,
            min_milli,
            max_milli,
            resolution: h3o::Resolution::try_from(self.resolution).map_err(|e| e.to_string())?,
            tolerance_milli: self.tolerance_milli,
            max_deviation_milli: self.max_deviation_milli,
            expected_readings: self.expected_readings.max(1),
        })
    }
}

fn lower_median(sorted: &[i64]) -> i64 {
    sorted[(sorted.len() - 1) / 2]
}

/// Each device's value is the (lower) median of its valid readings; its agreement
/// compares that value with the median of its neighbours' values (same cell and
/// the six around it at `resolution`, itself excluded): 1.0 within tolerance, 0 at
/// max deviation, linear between; a lone sensor agrees fully. Devices stacked in
/// one cell share one device's reward: the score is divided by the number of
/// reporting devices in the device's own cell.
/// score = agreement × min(1, readings / expected) / devices_in_cell.
pub fn sensor(
    p: &SensorParams,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
) -> FamilyOutput {
    let mut out = FamilyOutput::default();
    let mut readings: BTreeMap<DeviceId, Vec<i64>> = BTreeMap::new();
    for r in reports {
        if !admissible(&mut out, window, devices, r) {
            continue;
        }
        match &r.report.body {
            ReportBody::Reading { value_milli, unit } => {
                if *unit != p.unit {
                    reject(
                        &mut out,
                        r,
                        ScoreRejection::WrongUnit {
                            expected: p.unit.clone(),
                            found: unit.clone(),
                        },
                    );
                } else if *value_milli < p.min_milli || *value_milli > p.max_milli {
                    reject(
                        &mut out,
                        r,
                        ScoreRejection::OutOfRange {
                            value_milli: *value_milli,
                            min_milli: p.min_milli,
                            max_milli: p.max_milli,
                        },
                    );
                } else {
                    readings
                        .entry(r.report.device)
                        .or_default()
                        .push(*value_milli);
                }
            }
            _ => reject(&mut out, r, ScoreRejection::WrongKind),
        }
    }
    // Per-device values, and per-cell sorted value lists.
    let mut values: BTreeMap<DeviceId, (i64, u64, u64)> = BTreeMap::new(); // value, count, cell
    let mut cells: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for (id, mut vs) in readings {
        vs.sort_unstable();
        let v = lower_median(&vs);
        let cell = h3o::CellIndex::try_from(devices[&id].location)
            .ok()
            .and_then(|c| c.parent(p.resolution).or(Some(c)))
            .map(u64::from)
            .unwrap_or(0);
        values.insert(id, (v, vs.len() as u64, cell));
        cells.entry(cell).or_default().push(v);
    }
    for vs in cells.values_mut() {
        vs.sort_unstable();
    }
    // Devices stacked in one registered cell share one device's reward.
    let mut stacked: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for id in values.keys() {
        *stacked.entry(devices[id].location).or_default() += 1;
    }
    for (id, (v, n, cell)) in &values {
        // Neighbour values: the cell and its ring, minus this device's own value.
        let mut neigh: Vec<i64> = Vec::new();
        let ring: Vec<u64> = h3o::CellIndex::try_from(*cell)
            .map(|c| c.grid_disk_safe(1).map(u64::from).collect())
            .unwrap_or_else(|_| vec![*cell]);
        for c in ring {
            if let Some(vs) = cells.get(&c) {
                neigh.extend_from_slice(vs);
            }
        }
        if let Some(pos) = neigh.iter().position(|x| x == v) {
            neigh.swap_remove(pos);
        }
        let agreement = if neigh.is_empty() {
            SCORE_ONE
        } else {
            neigh.sort_unstable();
            let dev = (v - lower_median(&neigh)).unsigned_abs() as i64;
            if dev <= p.tolerance_milli {
                SCORE_ONE
            } else if dev >= p.max_deviation_milli {
                0
            } else {
                ((p.max_deviation_milli - dev) as u64) * SCORE_ONE
                    / ((p.max_deviation_milli - p.tolerance_milli) as u64)
            }
        };
        let readings_factor = (*n).min(p.expected_readings) * SCORE_ONE / p.expected_readings;
        let share = stacked[&devices[id].location].max(1);
        let score = agreement * readings_factor / SCORE_ONE / share;
        if score > 0 {
            out.scores.insert(*id, score);
        }
    }
    out
}
