//! The sensor family: a sensor reports measurements of the physical world; a
//! reading counts when it is fresh, plausible, and agrees with the sensors around it.
//!
//! A reading is valid when its device is registered and active, it is a
//! `Reading` stamped inside the epoch window, not older than `max_age_ms` at the
//! window's end, in the network's `unit`, and within `[min, max]` — checked in
//! that order, each failure a rejection with its reason (`UnknownDevice`,
//! `InactiveDevice`, `WrongKind`, `OutsideEpoch`, `Stale`, `WrongUnit`,
//! `OutOfRange`).
//!
//! ```text
//! value(d)      = lower median of d's valid readings (thousandths of the unit)
//! home(d)       = d's location cell taken to `resolution` (parent; centre child if coarser)
//! neighbours(d) = every other device with a valid reading whose home is home(d)
//!                 or one of its six grid-disk (k = 1) neighbours
//! deviation     = |value(d) − lower median of value(neighbours(d))|
//! agreement     = 1                               if deviation ≤ tolerance
//!               = 0                               if deviation ≥ max_deviation
//!               = (max_deviation − deviation) / (max_deviation − tolerance) otherwise
//!               = 1                               if d has no neighbours (a lone sensor)
//! readings      = min(1, valid readings / expected_readings)
//! stacked(d)    = devices with a valid reading whose location, taken to
//!                 `density_resolution`, is d's cell at that resolution (d included)
//! score         = agreement × readings / stacked(d)   (0 if stacked(d) > max_stacked)
//! ```
//!
//! Devices stacked in one small area (a `density_resolution` cell, default 10:
//! about 15,000 m²) share one device's reward, so that registering many sensors in
//! one place does not multiply rewards; more than `max_stacked` (default 4) in one
//! such cell is the mark of a sybil farm, and earns nothing.
//!
//! all in integers, fixed point [`SCORE_ONE`] = 1.0, each step
//! rounded down. A device whose registered location is not a valid H3 cell has
//! no neighbourhood and scores 0 (the ledger admits only valid cells).
//!
//! Cost: reports are matched to the registry by one sort of their device ids
//! (not a lookup each); devices are grouped by home cell in one sorted list, and
//! each occupied cell gathers its disk's values once and picks the two order
//! statistics its devices' medians (without their own value) can be, in linear
//! time. About O(n log n) overall, in parallel over chunks of reports and over
//! cells; the result does not depend on how the work is split.

use crate::fixed::{fraction, mul, number_milli, DecimalError};
use crate::report::MAX_UNIT_LEN;
use crate::{
    by_device, concat, registered_entry, DeviceInfo, EpochWindow, FamilyOutput, IndexedOutput,
    Rejected, ReportBody, ScoreRejection, SignedReport, CHUNK, SCORE_ONE,
};
use h3o::{CellIndex, Resolution};
use plinth_core::DeviceId;
use rayon::prelude::*;
use serde::Deserialize;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Parameters of the sensor family, from the network's params object. Values
/// are held in thousandths of `unit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SensorParamsJson")]
pub struct SensorParams {
    /// The unit readings must be in (JSON `unit`, required).
    pub unit: String,
    /// Plausibility range, inclusive (JSON `min` and `max` in whole units,
    /// integers or decimals with up to three places; required): its lower end,
    /// thousandths.
    pub min_milli: i64,
    /// The plausibility range's upper end, thousandths (JSON `max`).
    pub max_milli: i64,
    /// H3 resolution of neighbourhoods (JSON `resolution`, default 7).
    pub resolution: Resolution,
    /// A reading more than this before the window's end is stale (JSON
    /// `max_age_ms`; default none: the whole epoch is fresh).
    pub max_age_ms: Option<u64>,
    /// Deviation from the neighbours' median still given full agreement
    /// (default 2000 = 2 units).
    pub tolerance_milli: u64,
    /// Deviation at which agreement reaches 0 (default 10000 = 10 units).
    pub max_deviation_milli: u64,
    /// Valid readings an epoch needs for a full score (default 1).
    pub expected_readings: u64,
    /// Devices in one cell of this resolution share one device's reward (JSON
    /// `density_resolution`, default 10).
    pub density_resolution: Resolution,
    /// More devices than this in one density cell earn nothing (JSON
    /// `max_stacked`, default 4).
    pub max_stacked: u64,
}

/// Why sensor parameters are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SensorParamsError {
    /// The unit is empty or too long.
    #[error("unit must be 1 to {max} bytes, found {len}")]
    Unit {
        /// The unit's length, bytes.
        len: usize,
        /// The longest unit accepted, bytes.
        max: usize,
    },
    /// `min` is not an acceptable decimal.
    #[error("min: {0}")]
    Min(DecimalError),
    /// `max` is not an acceptable decimal.
    #[error("max: {0}")]
    Max(DecimalError),
    /// The range is empty.
    #[error("min ({min_milli} thousandths) is above max ({max_milli} thousandths)")]
    MinAboveMax {
        /// `min`, thousandths.
        min_milli: i64,
        /// `max`, thousandths.
        max_milli: i64,
    },
    /// Not an H3 resolution.
    #[error("resolution must be 0 to 15, found {found}")]
    Resolution {
        /// The resolution given.
        found: u8,
    },
    /// Full agreement would reach beyond the deviation where agreement is 0.
    #[error(
        "tolerance_milli ({tolerance_milli}) is above max_deviation_milli ({max_deviation_milli})"
    )]
    Tolerance {
        /// `tolerance_milli` as given.
        tolerance_milli: u64,
        /// `max_deviation_milli` as given.
        max_deviation_milli: u64,
    },
    /// A count that must be positive is 0.
    #[error("{field} must be at least 1")]
    Zero {
        /// The parameter's name.
        field: &'static str,
    },
}

#[derive(Deserialize)]
struct SensorParamsJson {
    unit: String,
    min: serde_json::Number,
    max: serde_json::Number,
    #[serde(default = "default_resolution")]
    resolution: u8,
    #[serde(default)]
    max_age_ms: Option<u64>,
    #[serde(default = "default_tolerance")]
    tolerance_milli: u64,
    #[serde(default = "default_max_deviation")]
    max_deviation_milli: u64,
    #[serde(default = "default_expected")]
    expected_readings: u64,
    #[serde(default = "default_density_resolution")]
    density_resolution: u8,
    #[serde(default = "default_max_stacked")]
    max_stacked: u64,
}

fn default_max_stacked() -> u64 {
    4
}

fn default_density_resolution() -> u8 {
    10
}

fn default_resolution() -> u8 {
    7
}
fn default_tolerance() -> u64 {
    2_000
}
fn default_max_deviation() -> u64 {
    10_000
}
fn default_expected() -> u64 {
    1
}

impl TryFrom<SensorParamsJson> for SensorParams {
    type Error = SensorParamsError;

    fn try_from(j: SensorParamsJson) -> Result<Self, Self::Error> {
        if j.unit.is_empty() || j.unit.len() > MAX_UNIT_LEN {
            return Err(SensorParamsError::Unit {
                len: j.unit.len(),
                max: MAX_UNIT_LEN,
            });
        }
        let min_milli = number_milli(&j.min).map_err(SensorParamsError::Min)?;
        let max_milli = number_milli(&j.max).map_err(SensorParamsError::Max)?;
        if min_milli > max_milli {
            return Err(SensorParamsError::MinAboveMax {
                min_milli,
                max_milli,
            });
        }
        let resolution =
            Resolution::try_from(j.resolution).map_err(|_| SensorParamsError::Resolution {
                found: j.resolution,
            })?;
        let density_resolution = Resolution::try_from(j.density_resolution).map_err(|_| {
            SensorParamsError::Resolution {
                found: j.density_resolution,
            }
        })?;
        if j.tolerance_milli > j.max_deviation_milli {
            return Err(SensorParamsError::Tolerance {
                tolerance_milli: j.tolerance_milli,
                max_deviation_milli: j.max_deviation_milli,
            });
        }
        if j.expected_readings == 0 {
            return Err(SensorParamsError::Zero {
                field: "expected_readings",
            });
        }
        if j.max_age_ms == Some(0) {
            return Err(SensorParamsError::Zero {
                field: "max_age_ms",
            });
        }
        Ok(SensorParams {
            unit: j.unit,
            min_milli,
            max_milli,
            resolution,
            max_age_ms: j.max_age_ms,
            tolerance_milli: j.tolerance_milli,
            max_deviation_milli: j.max_deviation_milli,
            expected_readings: j.expected_readings,
            density_resolution,
            max_stacked: j.max_stacked.max(1),
        })
    }
}

impl SensorParams {
    /// Agreement of a value `deviation` thousandths away from its neighbours'
    /// median, as a fraction of [`SCORE_ONE`].
    pub fn agreement(&self, deviation: u64) -> u64 {
        if deviation <= self.tolerance_milli {
            SCORE_ONE
        } else if deviation >= self.max_deviation_milli {
            0
        } else {
            // tolerance < deviation < max_deviation, so the divisor is positive.
            ((self.max_deviation_milli - deviation) as u128 * SCORE_ONE as u128
                / (self.max_deviation_milli - self.tolerance_milli) as u128) as u64
        }
    }

    /// The value of a valid reading from `device` (its registry entry, `None`
    /// if unregistered), or why it is not one.
    fn check(
        &self,
        window: &EpochWindow,
        device: Option<&DeviceInfo>,
        r: &SignedReport,
    ) -> Result<i64, ScoreRejection> {
        registered_entry(device)?;
        let ReportBody::Reading { value_milli, unit } = &r.report.body else {
            return Err(ScoreRejection::WrongKind);
        };
        let ts = r.report.timestamp_ms;
        if ts < window.start_ms || ts >= window.end_ms {
            return Err(ScoreRejection::OutsideEpoch);
        }
        if let Some(max_ms) = self.max_age_ms {
            let age_ms = window.end_ms - ts;
            if age_ms > max_ms {
                return Err(ScoreRejection::Stale { age_ms, max_ms });
            }
        }
        if *unit != self.unit {
            return Err(ScoreRejection::WrongUnit {
                expected: self.unit.clone(),
                found: unit.clone(),
            });
        }
        if *value_milli < self.min_milli || *value_milli > self.max_milli {
            return Err(ScoreRejection::OutOfRange {
                value_milli: *value_milli,
                min_milli: self.min_milli,
                max_milli: self.max_milli,
            });
        }
        Ok(*value_milli)
    }
}

/// The cell whose disk is a device's neighbourhood: its location taken to
/// `resolution` (the parent, or the centre child of a coarser cell).
pub fn home_cell(location: u64, resolution: Resolution) -> Option<CellIndex> {
    let cell = CellIndex::try_from(location).ok()?;
    if cell.resolution() >= resolution {
        cell.parent(resolution)
    } else {
        cell.center_child(resolution)
    }
}

/// Fills `out` with `cell` and its grid-disk neighbours at distance 1.
fn disk(cell: CellIndex, out: &mut Vec<u64>) {
    out.clear();
    for c in cell.grid_disk_fast(1) {
        match c {
            Some(c) => out.push(c.into()),
            None => {
                // Pentagon distortion: the slow path is always right.
                out.clear();
                out.extend(cell.grid_disk_safe(1).map(u64::from));
                return;
            }
        }
    }
}

/// The lower median of `sorted` with one occurrence of `own` (which it holds)
/// removed; `None` if nothing is left. (The definition [`median_pair`] is
/// tested against.)
#[cfg(test)]
fn median_without(sorted: &[i64], own: i64) -> Option<i64> {
    let m = sorted.len();
    if m < 2 {
        return None;
    }
    // Without one `own`, m − 1 values; their lower median has index j.
    let j = (m - 2) / 2;
    let at = sorted.partition_point(|&x| x < own);
    Some(if at > j { sorted[j] } else { sorted[j + 1] })
}

/// Scores one epoch of a sensor network (see the module docs for the formula).
pub fn score(
    params: &SensorParams,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
) -> FamilyOutput {
    let devices: Vec<&DeviceInfo> = devices.values().collect();
    score_indexed(params, window, &devices, reports).into_output(&devices)
}

/// [`score`] over a registry slice in id order, each device once
/// ([`crate::sorted_registry`]), with devices named by their index in it.
pub fn score_indexed<D: Borrow<DeviceInfo> + Sync>(
    params: &SensorParams,
    window: &EpochWindow,
    devices: &[D],
    reports: &[SignedReport],
) -> IndexedOutput {
    let (valid, rejections) = readings(params, window, devices, reports);
    IndexedOutput {
        scores: score_readings(params, devices, valid),
        rejections,
    }
}

/// The first half of [`score_indexed`], the only one that needs the reports:
/// the valid readings as (device index, value), by device index (a device's
/// readings together), and the reports rejected (in no particular order).
pub fn readings<D: Borrow<DeviceInfo> + Sync>(
    params: &SensorParams,
    window: &EpochWindow,
    devices: &[D],
    reports: &[SignedReport],
) -> (Vec<(u32, i64)>, Vec<Rejected>) {
    let joined = by_device(devices, reports);
    let (valid, rejected): (Vec<_>, Vec<_>) = joined
        .par_chunks(CHUNK)
        .map(|part| {
            let mut valid = Vec::with_capacity(part.len());
            let mut rejected = Vec::new();
            for &(device, i) in part {
                let r = &reports[i as usize];
                let d = devices.get(device as usize).map(Borrow::borrow);
                match params.check(window, d, r) {
                    Ok(v) => valid.push((device, v)),
                    Err(why) => rejected.push(Rejected::of(r, why)),
                }
            }
            (valid, rejected)
        })
        .unzip();
    drop(joined);
    (concat(valid), concat(rejected))
}

/// One device with a valid reading.
struct Sensor {
    /// The lower median of its valid readings.
    value: i64,
    /// Its home cell ([`home_cell`] at `resolution`); 0 (no cell) if none.
    home: u64,
    /// Its cell at `density_resolution`; 0 if none.
    crowd: u64,
    /// Its index in the registry.
    device: u32,
    /// How many valid readings it sent.
    readings: u32,
}

/// The lower median of `values` without one occurrence of `own` is `a` if
/// `a < own`, else `b`: `(a, b)` are the values of index `j` and `j + 1` in
/// sorted order, `j = (len − 2) / 2`.
/// `None` for fewer than two values. Reorders `values`.
fn median_pair(values: &mut [i64]) -> Option<(i64, i64)> {
    let m = values.len();
    if m < 2 {
        return None;
    }
    let (_, a, above) = values.select_nth_unstable((m - 2) / 2);
    let a = *a;
    let b = *above.iter().min().expect("at least one value above");
    Some((a, b))
}

/// The second half of [`score_indexed`]: the scores of the valid readings
/// [`readings`] found. Each occupied home cell gathers its disk's values once
/// and picks the two order statistics the median without one value can be; the
/// cells are scored in parallel.
pub fn score_readings<D: Borrow<DeviceInfo> + Sync>(
    params: &SensorParams,
    devices: &[D],
    mut valid: Vec<(u32, i64)>,
) -> Vec<(u32, u64)> {
    let cell = |location: u64, resolution: Resolution| {
        home_cell(location, resolution).map_or(0, u64::from)
    };
    let sensors: Vec<Sensor> = valid
        .par_chunk_by_mut(|a, b| a.0 == b.0)
        .map(|group| {
            group.sort_unstable();
            let device = group[0].0;
            let location = devices[device as usize].borrow().location;
            Sensor {
                value: group[(group.len() - 1) / 2].1,
                home: cell(location, params.resolution),
                crowd: cell(location, params.density_resolution),
                device,
                readings: group.len() as u32,
            }
        })
        .collect();
    drop(valid);

    // How many scored devices share each density cell (1 without a cell).
    let stacked: Vec<AtomicU32> = (0..sensors.len()).map(|_| AtomicU32::new(1)).collect();
    let mut crowds: Vec<(u64, u32)> = sensors
        .par_iter()
        .enumerate()
        .filter(|(_, s)| s.crowd != 0)
        .map(|(i, s)| (s.crowd, i as u32))
        .collect();
    crowds.par_sort_unstable();
    crowds.par_chunk_by(|a, b| a.0 == b.0).for_each(|run| {
        for &(_, i) in run {
            stacked[i as usize].store(run.len() as u32, Ordering::Relaxed);
        }
    });
    drop(crowds);

    // (home cell, value, index into `sensors`), by cell.
    let mut homes: Vec<(u64, i64, u32)> = sensors
        .par_iter()
        .enumerate()
        .filter(|(_, s)| s.home != 0)
        .map(|(i, s)| (s.home, s.value, i as u32))
        .collect();
    homes.par_sort_unstable_by_key(|h| h.0);
    // Occupied cells: (cell, start, end) of their run in `homes`.
    let mut cells: Vec<(u64, usize, usize)> = Vec::new();
    for (i, h) in homes.iter().enumerate() {
        match cells.last_mut() {
            Some(c) if c.0 == h.0 => c.2 = i + 1,
            _ => cells.push((h.0, i, i + 1)),
        }
    }

    let scores: Vec<AtomicU64> = (0..sensors.len()).map(|_| AtomicU64::new(0)).collect();
    cells.par_iter().for_each_init(
        || (Vec::with_capacity(7), Vec::new()),
        |(ring, around), &(cell, start, end)| {
            disk(
                CellIndex::try_from(cell).expect("a home is a valid cell"),
                ring,
            );
            around.clear();
            for n in ring.iter() {
                if let Ok(k) = cells.binary_search_by_key(n, |c| c.0) {
                    let (_, s, e) = cells[k];
                    around.extend(homes[s..e].iter().map(|h| h.1));
                }
            }
            let pair = median_pair(around);
            for &(_, value, i) in &homes[start..end] {
                let s = &sensors[i as usize];
                let agreement = match pair {
                    None => SCORE_ONE,
                    Some((a, b)) => {
                        let median = if a < value { a } else { b };
                        params.agreement(value.abs_diff(median))
                    }
                };
                let readings = fraction(u64::from(s.readings), params.expected_readings.max(1));
                let crowd = u64::from(stacked[i as usize].load(Ordering::Relaxed));
                let score = if crowd > params.max_stacked {
                    0
                } else {
                    mul(agreement, readings) / crowd
                };
                scores[i as usize].store(score, Ordering::Relaxed);
            }
        },
    );
    sensors
        .par_iter()
        .zip(scores.par_iter())
        .filter_map(|(s, score)| {
            let score = score.load(Ordering::Relaxed);
            (score > 0).then_some((s.device, score))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report;
    use plinth_core::{Address, Keypair};

    const START: u64 = 10_000_000;
    const WINDOW: EpochWindow = EpochWindow {
        epoch: 3,
        start_ms: START,
        end_ms: START + 3_600_000,
    };

    fn key(i: u8) -> Keypair {
        Keypair::from_seed([i; 32])
    }

    fn id(i: u8) -> DeviceId {
        DeviceId(key(i).public())
    }

    fn params() -> SensorParams {
        serde_json::from_str(r#"{"unit": "celsius", "min": -40.5, "max": 60}"#).unwrap()
    }

    /// A resolution-7 cell in Berlin and cells around it.
    fn berlin() -> CellIndex {
        h3o::LatLng::new(52.52, 13.40)
            .unwrap()
            .to_cell(Resolution::Seven)
    }

    /// A res-12 location inside the res-7 cell `c`, in a different
    /// density (res-10) cell at each call, so that test sensors are not stacked
    /// unless a test puts them on one spot on purpose.
    fn inside(c: CellIndex) -> u64 {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, Ordering::Relaxed) % 343;
        let ten = c.children(Resolution::Ten).nth(k).unwrap();
        ten.center_child(Resolution::Twelve).unwrap().into()
    }

    fn neighbour_of(c: CellIndex) -> CellIndex {
        c.grid_ring::<Vec<_>>(1)[0]
    }

    fn far_from(c: CellIndex) -> CellIndex {
        c.grid_ring::<Vec<_>>(3)[0]
    }

    fn registry(at: &[(u8, u64)]) -> BTreeMap<DeviceId, DeviceInfo> {
        at.iter()
            .map(|&(i, location)| {
                (
                    id(i),
                    DeviceInfo {
                        id: id(i),
                        owner: Address(key(200).public()),
                        location,
                        active: true,
                    },
                )
            })
            .collect()
    }

    fn report(i: u8, ts: u64, seq: u64, body: ReportBody) -> SignedReport {
        Report {
            chain: plinth_core::Hash::ZERO,
            device: id(i),
            network: "weather".into(),
            epoch: 3,
            timestamp_ms: ts,
            seq,
            body,
        }
        .sign(&key(i))
    }

    fn reading(i: u8, seq: u64, value_milli: i64) -> SignedReport {
        report(
            i,
            START + seq * 1_000,
            seq,
            ReportBody::Reading {
                value_milli,
                unit: "celsius".into(),
            },
        )
    }

    /// The sensor family as it was written over a `BTreeMap` registry, one lookup
    /// per report: what the indexed scoring must give, output for output.
    mod by_map {
        use super::super::*;
        use crate::registered;

        fn check_by_map(
            params: &SensorParams,
            window: &EpochWindow,
            devices: &BTreeMap<DeviceId, DeviceInfo>,
            r: &SignedReport,
        ) -> Result<i64, ScoreRejection> {
            let d = registered(devices, r)?;
            params.check(window, Some(d), r)
        }

        fn median_without(sorted: &[i64], own: i64) -> Option<i64> {
            super::super::median_without(sorted, own)
        }

        pub(super) fn score(
            params: &SensorParams,
            window: &EpochWindow,
            devices: &BTreeMap<DeviceId, DeviceInfo>,
            reports: &[SignedReport],
        ) -> FamilyOutput {
            let mut out = FamilyOutput::default();
            let mut valid: Vec<(DeviceId, i64)> = Vec::with_capacity(reports.len());
            for r in reports {
                match check_by_map(params, window, devices, r) {
                    Ok(v) => valid.push((r.report.device, v)),
                    Err(why) => out.rejections.push(Rejected::of(r, why)),
                }
            }
            valid.sort_unstable();

            // One entry per device with a valid reading (its value lives in `homes`).
            struct Sensor {
                id: DeviceId,
                readings: u64,
                /// The device's cell at `density_resolution`.
                crowd: Option<u64>,
            }
            let mut sensors: Vec<Sensor> = Vec::new();
            // (home cell, value, index into `sensors`), for devices with a valid home.
            let mut homes: Vec<(u64, i64, usize)> = Vec::new();
            for group in valid.chunk_by(|a, b| a.0 == b.0) {
                let id = group[0].0;
                let value = group[(group.len() - 1) / 2].1;
                let location = devices.get(&id).map(|d| d.location);
                if let Some(home) = location.and_then(|l| home_cell(l, params.resolution)) {
                    homes.push((home.into(), value, sensors.len()));
                }
                sensors.push(Sensor {
                    id,
                    readings: group.len() as u64,
                    crowd: location
                        .and_then(|l| home_cell(l, params.density_resolution))
                        .map(u64::from),
                });
            }
            homes.sort_unstable();
            // How many scored devices share each density cell.
            let mut crowds: Vec<u64> = sensors.iter().filter_map(|s| s.crowd).collect();
            crowds.sort_unstable();
            let stacked = |c: Option<u64>| -> u64 {
                c.map(|c| {
                    let lo = crowds.partition_point(|x| *x < c);
                    let hi = crowds.partition_point(|x| *x <= c);
                    (hi - lo) as u64
                })
                .unwrap_or(1)
                .max(1)
            };

            // Occupied cells: (cell, start, end) of their run in `homes`.
            let mut cells: Vec<(u64, usize, usize)> = Vec::new();
            for (i, h) in homes.iter().enumerate() {
                match cells.last_mut() {
                    Some(c) if c.0 == h.0 => c.2 = i + 1,
                    _ => cells.push((h.0, i, i + 1)),
                }
            }

            let mut scores: Vec<(DeviceId, u64)> = Vec::with_capacity(sensors.len());
            let mut ring: Vec<u64> = Vec::with_capacity(7);
            let mut around: Vec<i64> = Vec::new();
            for &(cell, start, end) in &cells {
                disk(
                    CellIndex::try_from(cell).expect("a home is a valid cell"),
                    &mut ring,
                );
                around.clear();
                for n in &ring {
                    if let Ok(k) = cells.binary_search_by_key(n, |c| c.0) {
                        let (_, s, e) = cells[k];
                        around.extend(homes[s..e].iter().map(|h| h.1));
                    }
                }
                around.sort_unstable();
                for &(_, value, idx) in &homes[start..end] {
                    let s = &sensors[idx];
                    let agreement = match median_without(&around, value) {
                        None => SCORE_ONE,
                        Some(median) => params.agreement(value.abs_diff(median)),
                    };
                    let readings = fraction(s.readings, params.expected_readings.max(1));
                    let crowd = stacked(s.crowd);
                    let score = if crowd > params.max_stacked {
                        0
                    } else {
                        mul(agreement, readings) / crowd
                    };
                    if score > 0 {
                        scores.push((s.id, score));
                    }
                }
            }
            out.scores = scores.into_iter().collect();
            out.canonical()
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn the_same_as_one_lookup_per_report(
            registered in proptest::collection::vec((0u8..14, 0usize..6, proptest::bool::weighted(0.85)), 0..14),
            sent in proptest::collection::vec((0u8..16, 0u8..10, -70_000i64..70_000, 0u64..4_000), 0..40),
            max_age in proptest::option::of(1u64..3_700_000),
            expected in 1u64..3,
            max_stacked in 1u64..4,
        ) {
            let c = berlin();
            let spots = [
                inside(c),
                inside(c),
                inside(neighbour_of(c)),
                inside(far_from(c)),
                0,
                inside(c),
            ];
            let mut devices = BTreeMap::new();
            for &(i, spot, active) in &registered {
                // The same spot twice for some: stacked devices.
                let location = if spot == 5 { spots[0] } else { spots[spot] };
                devices.insert(id(i), DeviceInfo { id: id(i), owner: Address(key(200).public()), location, active });
            }
            let reports: Vec<SignedReport> = sent
                .iter()
                .enumerate()
                .map(|(seq, &(i, kind, value, at))| {
                    let body = match kind {
                        0 => ReportBody::Heartbeat,
                        1 => ReportBody::Reading { value_milli: value, unit: "kelvin".into() },
                        // Some out of range, most in.
                        2 => ReportBody::Reading { value_milli: value, unit: "celsius".into() },
                        _ => ReportBody::Reading { value_milli: value / 10, unit: "celsius".into() },
                    };
                    report(i, START - 50_000 + at * 1_000, seq as u64, body)
                })
                .collect();
            let mut p = params();
            p.max_age_ms = max_age;
            p.expected_readings = expected;
            p.max_stacked = max_stacked;
            proptest::prop_assert_eq!(
                score(&p, &WINDOW, &devices, &reports),
                by_map::score(&p, &WINDOW, &devices, &reports)
            );
        }

        #[test]
        fn the_median_pair_picks_the_median_without(mut values in proptest::collection::vec(-5i64..5, 0..12)) {
            values.sort_unstable();
            let pair = median_pair(&mut values.clone());
            for &own in &values {
                let picked = pair.map(|(a, b)| if a < own { a } else { b });
                proptest::prop_assert_eq!(picked, median_without(&values, own));
            }
        }
    }

    #[test]
    fn an_outlier_scores_zero_and_agreeing_neighbours_full() {
        let home = berlin();
        let devices = registry(&[
            (1, inside(home)),
            (2, inside(neighbour_of(home))),
            (3, inside(home)),
        ]);
        let reports = vec![
            reading(1, 1, 20_000),
            reading(2, 1, 20_500),
            reading(3, 1, 50_000), // 30 units off
        ];
        let out = score(&params(), &WINDOW, &devices, &reports);
        // 1: neighbours {20.5, 50} → lower median 20.5, 0.5 off → full.
        // 2: neighbours {20, 50} → 20, 0.5 off → full.
        // 3: neighbours {20, 20.5} → 20, 30 off → 0, left out.
        assert_eq!(out.scores.get(&id(1)), Some(&SCORE_ONE));
        assert_eq!(out.scores.get(&id(2)), Some(&SCORE_ONE));
        assert_eq!(out.scores.get(&id(3)), None);
        assert!(out.rejections.is_empty());
    }

    #[test]
    fn agreement_falls_linearly_between_tolerance_and_max_deviation() {
        let home = berlin();
        let devices = registry(&[(1, inside(home)), (2, inside(home)), (3, inside(home))]);
        // 3 is 6 units off {20, 20}: (10 − 6) / (10 − 2) = 0.5.
        let reports = vec![
            reading(1, 1, 20_000),
            reading(2, 1, 20_000),
            reading(3, 1, 26_000),
        ];
        let out = score(&params(), &WINDOW, &devices, &reports);
        assert_eq!(out.scores[&id(3)], 500_000);
        assert_eq!(out.scores[&id(1)], SCORE_ONE);
        let p = params();
        assert_eq!(p.agreement(2_000), SCORE_ONE);
        assert_eq!(p.agreement(2_001), 999_875);
        assert_eq!(p.agreement(9_999), 125);
        assert_eq!(p.agreement(10_000), 0);
        assert_eq!(p.agreement(u64::MAX), 0);
    }

    #[test]
    fn sensors_beyond_the_ring_are_not_neighbours() {
        let home = berlin();
        let devices = registry(&[(1, inside(home)), (2, inside(far_from(home)))]);
        let reports = vec![reading(1, 1, 20_000), reading(2, 1, 50_000)];
        let out = score(&params(), &WINDOW, &devices, &reports);
        // Each is lone: full agreement.
        assert_eq!(out.scores[&id(1)], SCORE_ONE);
        assert_eq!(out.scores[&id(2)], SCORE_ONE);
    }

    #[test]
    fn a_lone_sensor_is_scored_on_range_and_readings_only() {
        let p = SensorParams {
            expected_readings: 4,
            ..params()
        };
        let devices = registry(&[(1, inside(berlin()))]);
        let reports = vec![
            reading(1, 1, 59_000),
            reading(1, 2, -40_500), // min itself is plausible
            reading(1, 3, 60_000),  // and max
            reading(1, 4, 60_001),  // out of range, not counted
        ];
        let out = score(&p, &WINDOW, &devices, &reports);
        assert_eq!(out.scores[&id(1)], 750_000);
        assert_eq!(out.rejections.len(), 1);
        // More readings than expected do not score above 1.
        let reports: Vec<_> = (1..=9).map(|s| reading(1, s, 20_000)).collect();
        assert_eq!(
            score(&p, &WINDOW, &devices, &reports).scores[&id(1)],
            SCORE_ONE
        );
    }

    #[test]
    fn a_device_value_is_the_lower_median_of_its_readings() {
        let home = berlin();
        let devices = registry(&[(1, inside(home)), (2, inside(home)), (3, inside(home))]);
        let mut reports = vec![reading(1, 1, 20_000)];
        // Even count: lower median 20 (upper 30 or mean 25 would lose agreement).
        for (s, v) in [(1, 40_000), (2, 10_000), (3, 30_000), (4, 20_000)] {
            reports.push(reading(2, s, v));
        }
        // Odd count: median 26 → 6 off the others' lower median 20 → 0.5.
        for (s, v) in [(1, 30_000), (2, 10_000), (3, 26_000)] {
            reports.push(reading(3, s, v));
        }
        let out = score(&params(), &WINDOW, &devices, &reports);
        assert_eq!(out.scores[&id(2)], SCORE_ONE);
        assert_eq!(out.scores[&id(3)], 500_000);
    }

    #[test]
    fn stacked_devices_do_not_count_themselves() {
        let spot = inside(berlin());
        // Two devices on the same spot 10 units apart: each one's only neighbour
        // is the other, so both are at max deviation. Counting itself, each would
        // have found a median equal to its own value.
        let devices = registry(&[(1, spot), (2, spot)]);
        let reports = vec![reading(1, 1, 20_000), reading(2, 1, 30_000)];
        assert!(score(&params(), &WINDOW, &devices, &reports)
            .scores
            .is_empty());
        // Equal values stacked: removing one's own value leaves the other's, so
        // both agree fully — and, stacked in one density cell, share one reward.
        let reports = vec![reading(1, 1, 20_000), reading(2, 1, 20_000)];
        let out = score(&params(), &WINDOW, &devices, &reports);
        assert_eq!(out.scores[&id(1)], SCORE_ONE / 2);
        assert_eq!(out.scores[&id(2)], SCORE_ONE / 2);
        // Four stacked earn what one honest sensor beside them earns; ten stacked
        // (more than max_stacked) earn nothing.
        let honest = inside(berlin());
        for (n, want) in [(4u8, SCORE_ONE), (10, 0)] {
            let mut at: Vec<(u8, u64)> = (10..10 + n).map(|i| (i, spot)).collect();
            at.push((30, honest));
            let devices = registry(&at);
            let reports: Vec<_> = (10..10 + n)
                .chain([30])
                .map(|i| reading(i, 1, 20_000))
                .collect();
            let out = score(&params(), &WINDOW, &devices, &reports);
            let sybils: u64 = (10..10 + n)
                .map(|i| out.scores.get(&id(i)).copied().unwrap_or(0))
                .sum();
            assert_eq!(sybils, want, "{n} stacked");
            assert_eq!(out.scores[&id(30)], SCORE_ONE);
        }
        // Three stacked, one outlier.
        let devices = registry(&[(1, spot), (2, spot), (3, spot)]);
        let reports = vec![
            reading(1, 1, 20_000),
            reading(2, 1, 20_000),
            reading(3, 1, 35_000),
        ];
        let out = score(&params(), &WINDOW, &devices, &reports);
        assert_eq!(out.scores.len(), 2);
        assert!(!out.scores.contains_key(&id(3)));
    }

    #[test]
    fn a_coarse_location_joins_the_neighbourhood_of_its_centre() {
        let home = berlin();
        let coarse = home.parent(Resolution::Five).unwrap();
        let centre = coarse.center_child(Resolution::Seven).unwrap();
        let devices = registry(&[(1, coarse.into()), (2, inside(centre))]);
        let reports = vec![reading(1, 1, 20_000), reading(2, 1, 50_000)];
        assert!(score(&params(), &WINDOW, &devices, &reports)
            .scores
            .is_empty());
    }

    #[test]
    fn an_invalid_location_scores_nothing() {
        let devices = registry(&[(1, 12345)]);
        let out = score(&params(), &WINDOW, &devices, &[reading(1, 1, 20_000)]);
        assert!(out.scores.is_empty());
    }

    #[test]
    fn every_rejection_reason() {
        let p = SensorParams {
            max_age_ms: Some(600_000),
            ..params()
        };
        let mut devices = registry(&[(1, inside(berlin())), (2, inside(berlin()))]);
        devices.get_mut(&id(2)).unwrap().active = false;
        let fresh = WINDOW.end_ms - 600_000;
        let at = |i: u8, ts: u64, seq: u64, v: i64, unit: &str| {
            report(
                i,
                ts,
                seq,
                ReportBody::Reading {
                    value_milli: v,
                    unit: unit.into(),
                },
            )
        };
        let cases = vec![
            (
                at(9, fresh, 1, 20_000, "celsius"),
                ScoreRejection::UnknownDevice,
            ),
            (
                at(2, fresh, 1, 20_000, "celsius"),
                ScoreRejection::InactiveDevice,
            ),
            (
                report(1, fresh, 2, ReportBody::Heartbeat),
                ScoreRejection::WrongKind,
            ),
            (
                report(
                    1,
                    fresh,
                    3,
                    ReportBody::ProbeAnswer {
                        challenge: plinth_core::Hash::ZERO,
                    },
                ),
                ScoreRejection::WrongKind,
            ),
            (
                at(1, START - 1, 4, 20_000, "celsius"),
                ScoreRejection::OutsideEpoch,
            ),
            (
                at(1, WINDOW.end_ms, 5, 20_000, "celsius"),
                ScoreRejection::OutsideEpoch,
            ),
            (
                at(1, fresh - 1, 6, 20_000, "celsius"),
                ScoreRejection::Stale {
                    age_ms: 600_001,
                    max_ms: 600_000,
                },
            ),
            (
                at(1, fresh, 7, 20_000, "kelvin"),
                ScoreRejection::WrongUnit {
                    expected: "celsius".into(),
                    found: "kelvin".into(),
                },
            ),
            (
                at(1, fresh, 8, -40_501, "celsius"),
                ScoreRejection::OutOfRange {
                    value_milli: -40_501,
                    min_milli: -40_500,
                    max_milli: 60_000,
                },
            ),
        ];
        let reports: Vec<_> = cases.iter().map(|(r, _)| r.clone()).collect();
        let out = score(&p, &WINDOW, &devices, &reports);
        assert!(out.scores.is_empty());
        assert_eq!(out.rejections.len(), cases.len());
        for (r, why) in &cases {
            let got = out
                .rejections
                .iter()
                .find(|x| x.report == r.hash())
                .expect("rejected");
            assert_eq!(&got.why, why);
            assert_eq!(got.device, r.report.device);
        }
        // The freshest valid reading on the boundary counts.
        let ok = at(1, fresh, 9, 20_000, "celsius");
        let out = score(&p, &WINDOW, &devices, &[ok]);
        assert_eq!(out.scores[&id(1)], SCORE_ONE);
    }

    #[test]
    fn median_without_own_value() {
        assert_eq!(median_without(&[5], 5), None);
        assert_eq!(median_without(&[1, 5], 5), Some(1));
        assert_eq!(median_without(&[1, 5], 1), Some(5));
        // {1, 2, 3, 4} minus 1 → {2, 3, 4} → 3; minus 4 → {1, 2, 3} → 2.
        assert_eq!(median_without(&[1, 2, 3, 4], 1), Some(3));
        assert_eq!(median_without(&[1, 2, 3, 4], 4), Some(2));
        // {1, 2, 2, 9} minus 2 → {1, 2, 9} → 2.
        assert_eq!(median_without(&[1, 2, 2, 9], 2), Some(2));
        // Minus one value of an even remainder takes the lower median.
        assert_eq!(median_without(&[1, 2, 3, 4, 5], 5), Some(2));
    }

    #[test]
    fn params_parse_decimals_defaults_and_errors() {
        let p = params();
        assert_eq!(p.unit, "celsius");
        assert_eq!((p.min_milli, p.max_milli), (-40_500, 60_000));
        assert_eq!(p.resolution, Resolution::Seven);
        assert_eq!(p.max_age_ms, None);
        assert_eq!((p.tolerance_milli, p.max_deviation_milli), (2_000, 10_000));
        assert_eq!(p.expected_readings, 1);
        let p: SensorParams = serde_json::from_str(
            r#"{"unit": "pm25", "min": 0, "max": 999.999, "resolution": 9,
                "max_age_ms": 60000, "tolerance_milli": 500,
                "max_deviation_milli": 500, "expected_readings": 12}"#,
        )
        .unwrap();
        assert_eq!(p.max_milli, 999_999);
        assert_eq!(p.resolution, Resolution::Nine);
        assert_eq!(p.agreement(500), SCORE_ONE);
        assert_eq!(p.agreement(501), 0);
        for (bad, says) in [
            (r#"{"min": 0, "max": 1}"#, "unit"),
            (r#"{"unit": "", "min": 0, "max": 1}"#, "unit"),
            (r#"{"unit": "c", "max": 1}"#, "min"),
            (r#"{"unit": "c", "min": 2, "max": 1}"#, "above max"),
            (r#"{"unit": "c", "min": 0.0001, "max": 1}"#, "3 decimal"),
            (r#"{"unit": "c", "min": "0", "max": 1}"#, "invalid type"),
            (
                r#"{"unit": "c", "min": 0, "max": 1, "resolution": 16}"#,
                "resolution",
            ),
            (
                r#"{"unit": "c", "min": 0, "max": 1, "tolerance_milli": 3, "max_deviation_milli": 2}"#,
                "tolerance",
            ),
            (
                r#"{"unit": "c", "min": 0, "max": 1, "expected_readings": 0}"#,
                "expected",
            ),
            (
                r#"{"unit": "c", "min": 0, "max": 1, "max_age_ms": 0}"#,
                "max_age",
            ),
        ] {
            let e = serde_json::from_str::<SensorParams>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
