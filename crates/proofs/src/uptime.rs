//! The uptime family: a node proves it is up with heartbeats, and the oracle's
//! probes check that it really answers.
//!
//! The epoch `[start_ms, end_ms)` is cut into intervals of `heartbeat_interval_s`
//! (the last one may be shorter). A device proves an interval with at least one
//! `Heartbeat` report whose timestamp lies in it; a second heartbeat in a proven
//! interval is rejected as a `DuplicateInterval` and counts for nothing. A
//! heartbeat that names this epoch but is stamped just outside the window, in
//! `[start − max_clock_skew_ms, end + max_clock_skew_ms)` (a device clock a little
//! off), counts for the first or last interval; beyond that it is `OutsideEpoch`.
//! Rejections are checked in this order: `UnknownDevice`, `InactiveDevice`,
//! `WrongKind` (a reading), `OutsideEpoch`, `DuplicateInterval`.
//!
//! Each [`ProbeRecord`] is one challenge; it is passed when it was answered by its
//! deadline. With `w = probe_weight_bps / 10_000`:
//!
//! ```text
//! heartbeat_fraction = proven intervals / intervals in the epoch
//! probe_fraction     = probes passed / probes issued   (= 1 if none issued)
//! score              = heartbeat_fraction × ((1 − w) + w × probe_fraction)
//! ```
//!
//! all in fixed point ([`SCORE_ONE`] = 1.0), each step rounded down. Probes gate
//! the heartbeats rather than add to them: heartbeats are the device's own word,
//! probes are the oracle's check of it, so with the default `w = 1` a device that
//! never answers probes earns nothing however many heartbeats it sends. A device
//! the oracle did not probe is neither punished nor rewarded for that.
//!
//! `ProbeAnswer` reports are not scored here: the oracle has already folded them
//! into the probe records, so they are neither counted nor rejected.

use crate::fixed::fraction;
use crate::{
    by_device, concat, registered_entry, DeviceInfo, EpochWindow, FamilyOutput, IndexedOutput,
    ProbeRecord, Rejected, ReportBody, ScoreRejection, SignedReport, CHUNK, SCORE_ONE,
};
use plinth_core::{DeviceId, Hash};
use rayon::prelude::*;
use serde::Deserialize;
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// Basis points in 1.0.
const BPS_ONE: u64 = 10_000;

/// Parameters of the uptime family, from the network's params object; every
/// field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "UptimeParamsJson")]
pub struct UptimeParams {
    /// Length of the intervals a heartbeat proves, in seconds (default 60).
    pub heartbeat_interval_s: u64,
    /// How much the probes gate the heartbeat score, in basis points (default
    /// 10000: the score is heartbeats × probes passed).
    pub probe_weight_bps: u64,
    /// How far outside the window a heartbeat naming this epoch may be stamped
    /// and still count, in milliseconds (default 5000).
    pub max_clock_skew_ms: u64,
}

impl Default for UptimeParams {
    fn default() -> Self {
        UptimeParams {
            heartbeat_interval_s: 60,
            probe_weight_bps: BPS_ONE,
            max_clock_skew_ms: 5_000,
        }
    }
}

/// Why uptime parameters are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UptimeParamsError {
    /// The heartbeat interval is 0 or longer than a year.
    #[error("heartbeat_interval_s must be between 1 and {max}, found {found}")]
    Interval {
        /// The interval given, seconds.
        found: u64,
        /// The longest interval accepted, seconds.
        max: u64,
    },
    /// The probe weight is above 100%.
    #[error("probe_weight_bps must be at most 10000, found {found}")]
    ProbeWeight {
        /// The weight given, basis points.
        found: u64,
    },
}

/// The longest heartbeat interval accepted: a year.
const MAX_INTERVAL_S: u64 = 366 * 24 * 3600;

#[derive(Deserialize)]
#[serde(default)]
struct UptimeParamsJson {
    heartbeat_interval_s: u64,
    probe_weight_bps: u64,
    max_clock_skew_ms: u64,
}

impl Default for UptimeParamsJson {
    fn default() -> Self {
        let d = UptimeParams::default();
        UptimeParamsJson {
            heartbeat_interval_s: d.heartbeat_interval_s,
            probe_weight_bps: d.probe_weight_bps,
            max_clock_skew_ms: d.max_clock_skew_ms,
        }
    }
}

impl TryFrom<UptimeParamsJson> for UptimeParams {
    type Error = UptimeParamsError;

    fn try_from(j: UptimeParamsJson) -> Result<Self, Self::Error> {
        if j.heartbeat_interval_s == 0 || j.heartbeat_interval_s > MAX_INTERVAL_S {
            return Err(UptimeParamsError::Interval {
                found: j.heartbeat_interval_s,
                max: MAX_INTERVAL_S,
            });
        }
        if j.probe_weight_bps > BPS_ONE {
            return Err(UptimeParamsError::ProbeWeight {
                found: j.probe_weight_bps,
            });
        }
        Ok(UptimeParams {
            heartbeat_interval_s: j.heartbeat_interval_s,
            probe_weight_bps: j.probe_weight_bps,
            max_clock_skew_ms: j.max_clock_skew_ms,
        })
    }
}

/// How an epoch is cut into heartbeat intervals.
struct Intervals {
    start_ms: u64,
    end_ms: u64,
    len_ms: u64,
    count: u64,
    epoch: u64,
    skew_ms: u64,
}

impl Intervals {
    fn new(p: &UptimeParams, window: &EpochWindow) -> Intervals {
        // Out-of-range fields (possible when params are built by hand) are
        // clamped rather than trusted.
        let len_ms = p.heartbeat_interval_s.clamp(1, MAX_INTERVAL_S) * 1000;
        Intervals {
            start_ms: window.start_ms,
            end_ms: window.end_ms,
            len_ms,
            count: window
                .end_ms
                .saturating_sub(window.start_ms)
                .div_ceil(len_ms),
            epoch: window.epoch,
            skew_ms: p.max_clock_skew_ms,
        }
    }

    /// The interval a heartbeat proves, if any.
    fn of(&self, r: &SignedReport) -> Option<u64> {
        let ts = r.report.timestamp_ms;
        if self.count == 0 {
            return None;
        }
        if ts >= self.start_ms && ts < self.end_ms {
            return Some((ts - self.start_ms) / self.len_ms);
        }
        if r.report.epoch != self.epoch {
            return None;
        }
        // The window widened by the skew on both sides: [start − skew, end + skew).
        if ts < self.start_ms && self.start_ms - ts <= self.skew_ms {
            Some(0)
        } else if ts >= self.end_ms && ts - self.end_ms < self.skew_ms {
            Some(self.count - 1)
        } else {
            None
        }
    }
}

/// Scores one epoch of an uptime network (see the module docs for the formula).
/// Only active registered devices score; those with score 0 are left out.
pub fn score(
    params: &UptimeParams,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    probes: &[ProbeRecord],
) -> FamilyOutput {
    let devices: Vec<&DeviceInfo> = devices.values().collect();
    score_indexed(params, window, &devices, reports, probes).into_output(&devices)
}

/// [`score`] over a registry slice in id order, each device once
/// ([`crate::sorted_registry`]), with devices named by their index in it.
pub fn score_indexed<D: Borrow<DeviceInfo> + Sync>(
    params: &UptimeParams,
    window: &EpochWindow,
    devices: &[D],
    reports: &[SignedReport],
    probes: &[ProbeRecord],
) -> IndexedOutput {
    let (proven, rejections) = heartbeats(params, window, devices, reports);
    IndexedOutput {
        scores: score_proven(params, window, devices, &proven, probes),
        rejections,
    }
}

/// The first half of [`score_indexed`], the only one that needs the reports:
/// the intervals each device proved, as (device index, intervals) by device
/// index, and the reports rejected (in no particular order).
pub fn heartbeats<D: Borrow<DeviceInfo> + Sync>(
    params: &UptimeParams,
    window: &EpochWindow,
    devices: &[D],
    reports: &[SignedReport],
) -> (Vec<(u32, u64)>, Vec<Rejected>) {
    let intervals = Intervals::new(params, window);
    let joined = by_device(devices, reports);
    // Heartbeats that prove some interval: (device, interval, report index), by
    // device.
    let (beats, mut rejected): (Vec<_>, Vec<_>) = joined
        .par_chunks(CHUNK)
        .map(|part| {
            let mut beats: Vec<(u32, u64, u32)> = Vec::with_capacity(part.len());
            let mut rejected = Vec::new();
            for &(device, i) in part {
                let r = &reports[i as usize];
                // Answers were folded into the probe records by the oracle.
                if matches!(r.report.body, ReportBody::ProbeAnswer { .. }) {
                    continue;
                }
                let d = devices.get(device as usize).map(Borrow::borrow);
                let verdict = registered_entry(d).and_then(|_| match r.report.body {
                    ReportBody::Heartbeat => intervals.of(r).ok_or(ScoreRejection::OutsideEpoch),
                    _ => Err(ScoreRejection::WrongKind),
                });
                match verdict {
                    Ok(slot) => beats.push((device, slot, i)),
                    Err(why) => rejected.push(Rejected::of(r, why)),
                }
            }
            (beats, rejected)
        })
        .unzip();
    drop(joined);
    let mut beats = concat(beats);
    // Within an interval the earliest heartbeat counts and the others are
    // duplicates; full ties are broken by the encoding, so the choice does not
    // depend on the order of `reports`.
    let (proven, duplicates): (Vec<_>, Vec<_>) = beats
        .par_chunk_by_mut(|a, b| a.0 == b.0)
        .fold(
            || (Vec::new(), Vec::new()),
            |(mut proven, mut duplicates): (Vec<(u32, u64)>, Vec<Rejected>), group| {
                if group.len() > 1 {
                    group.sort_unstable_by(|a, b| {
                        let (ra, rb) = (&reports[a.2 as usize], &reports[b.2 as usize]);
                        (a.1, ra.report.timestamp_ms, ra.report.seq)
                            .cmp(&(b.1, rb.report.timestamp_ms, rb.report.seq))
                            .then_with(|| ra.encode().cmp(&rb.encode()))
                    });
                }
                let mut count = 0;
                let mut last = None;
                for &(_, slot, i) in group.iter() {
                    if last == Some(slot) {
                        duplicates.push(Rejected::of(
                            &reports[i as usize],
                            ScoreRejection::DuplicateInterval,
                        ));
                    } else {
                        count += 1;
                        last = Some(slot);
                    }
                }
                proven.push((group[0].0, count));
                (proven, duplicates)
            },
        )
        .unzip();
    drop(beats);
    rejected.extend(duplicates);
    (concat(proven), concat(rejected))
}

/// The second half of [`score_indexed`]: the scores of the registry's active
/// devices from the intervals they proved ([`heartbeats`]) and the probes.
pub fn score_proven<D: Borrow<DeviceInfo> + Sync>(
    params: &UptimeParams,
    window: &EpochWindow,
    devices: &[D],
    proven: &[(u32, u64)],
    probes: &[ProbeRecord],
) -> Vec<(u32, u64)> {
    let intervals = Intervals::new(params, window);
    // One challenge counts once, passed if any record of it was passed.
    let mut challenges: Vec<(u32, Hash, bool)> = probes
        .iter()
        .filter_map(|p| {
            let i = devices
                .binary_search_by(|d| d.borrow().id.cmp(&p.device))
                .ok()?;
            let passed = p.answered_ms.is_some_and(|a| a <= p.deadline_ms);
            devices[i]
                .borrow()
                .active
                .then_some((i as u32, p.challenge, passed))
        })
        .collect();
    // Passed before failed, so that dedup keeps a passed record.
    challenges.sort_unstable_by_key(|a| (a.0, a.1, !a.2));
    challenges.dedup_by(|later, kept| (later.0, later.1) == (kept.0, kept.1));
    // (device, issued, passed), by device.
    let mut probed: Vec<(u32, u64, u64)> = Vec::new();
    for (device, _, passed) in challenges {
        match probed.last_mut() {
            Some(e) if e.0 == device => {
                e.1 += 1;
                e.2 += passed as u64;
            }
            _ => probed.push((device, 1, passed as u64)),
        }
    }

    if intervals.count == 0 {
        // An empty window has nothing to prove.
        return Vec::new();
    }
    let w = params.probe_weight_bps.min(BPS_ONE);
    let starts: Vec<usize> = (0..devices.len()).step_by(CHUNK).collect();
    starts
        .into_par_iter()
        .flat_map_iter(|start| {
            let end = (start + CHUNK).min(devices.len());
            let mut p = proven.partition_point(|e| (e.0 as usize) < start);
            let mut q = probed.partition_point(|e| (e.0 as usize) < start);
            let mut scored = Vec::new();
            for (i, d) in (start..end).zip(&devices[start..end]) {
                if !d.borrow().active {
                    continue;
                }
                let i = i as u32;
                while p < proven.len() && proven[p].0 < i {
                    p += 1;
                }
                while q < probed.len() && probed[q].0 < i {
                    q += 1;
                }
                let intervals_proven = match proven.get(p) {
                    Some(&(d, n)) if d == i => n,
                    _ => 0,
                };
                let heartbeat = fraction(intervals_proven, intervals.count);
                let probe = match probed.get(q) {
                    Some(&(d, issued, passed)) if d == i => fraction(passed, issued),
                    // Not probed: the gate is open.
                    _ => SCORE_ONE,
                };
                let gate = (BPS_ONE - w) as u128 * SCORE_ONE as u128 + w as u128 * probe as u128;
                let s = heartbeat as u128 * gate / (BPS_ONE as u128 * SCORE_ONE as u128);
                debug_assert!(s <= SCORE_ONE as u128);
                if s > 0 {
                    scored.push((i, s as u64));
                }
            }
            scored
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report;
    use plinth_core::{Address, Keypair};
    use proptest::prelude::{prop_oneof, Just};

    const START: u64 = 1_000_000;
    const WINDOW: EpochWindow = EpochWindow {
        epoch: 7,
        start_ms: START,
        end_ms: START + 600_000, // ten minutes: ten 60 s intervals
    };

    fn key(i: u8) -> Keypair {
        Keypair::from_seed([i; 32])
    }

    fn id(i: u8) -> DeviceId {
        DeviceId(key(i).public())
    }

    fn devices(active: &[u8], retired: &[u8]) -> BTreeMap<DeviceId, DeviceInfo> {
        let info = |i: u8, active: bool| DeviceInfo {
            id: id(i),
            owner: Address(key(100).public()),
            location: 0,
            active,
        };
        active
            .iter()
            .map(|&i| info(i, true))
            .chain(retired.iter().map(|&i| info(i, false)))
            .map(|d| (d.id, d))
            .collect()
    }

    fn report(i: u8, ts: u64, seq: u64, body: ReportBody) -> SignedReport {
        Report {
            chain: Hash::ZERO,
            device: id(i),
            network: "backhaul".into(),
            epoch: 7,
            timestamp_ms: ts,
            seq,
            body,
        }
        .sign(&key(i))
    }

    fn beat(i: u8, ts: u64) -> SignedReport {
        report(i, ts, ts, ReportBody::Heartbeat)
    }

    fn probe(i: u8, n: u8, answered: Option<u64>) -> ProbeRecord {
        ProbeRecord {
            device: id(i),
            challenge: Hash([n; 32]),
            issued_ms: START,
            deadline_ms: START + 5_000,
            answered_ms: answered,
        }
    }

    /// The uptime family as it was written over a `BTreeMap` registry, one
    /// lookup per report and device: what the indexed scoring must give.
    mod by_map {
        use super::super::*;
        use crate::registered;

        pub(super) fn score(
            params: &UptimeParams,
            window: &EpochWindow,
            devices: &BTreeMap<DeviceId, DeviceInfo>,
            reports: &[SignedReport],
            probes: &[ProbeRecord],
        ) -> FamilyOutput {
            let mut out = FamilyOutput::default();
            let intervals = Intervals::new(params, window);

            // Heartbeats that prove some interval: (device, interval, report index).
            let mut beats: Vec<(DeviceId, u64, usize)> = Vec::new();
            for (i, r) in reports.iter().enumerate() {
                // Answers were folded into the probe records by the oracle.
                if matches!(r.report.body, ReportBody::ProbeAnswer { .. }) {
                    continue;
                }
                let verdict = registered(devices, r).and_then(|_| match r.report.body {
                    ReportBody::Heartbeat => intervals.of(r).ok_or(ScoreRejection::OutsideEpoch),
                    _ => Err(ScoreRejection::WrongKind),
                });
                match verdict {
                    Ok(slot) => beats.push((r.report.device, slot, i)),
                    Err(why) => out.rejections.push(Rejected::of(r, why)),
                }
            }
            // Within an interval the earliest heartbeat counts and the others are
            // duplicates; full ties are broken by the encoding, so the choice does not
            // depend on the order of `reports`.
            beats.sort_unstable_by(|a, b| {
                let (ra, rb) = (&reports[a.2].report, &reports[b.2].report);
                (a.0, a.1, ra.timestamp_ms, ra.seq)
                    .cmp(&(b.0, b.1, rb.timestamp_ms, rb.seq))
                    .then_with(|| reports[a.2].encode().cmp(&reports[b.2].encode()))
            });
            let mut proven: BTreeMap<DeviceId, u64> = BTreeMap::new();
            let mut last: Option<(DeviceId, u64)> = None;
            for &(device, slot, i) in &beats {
                if last == Some((device, slot)) {
                    out.rejections
                        .push(Rejected::of(&reports[i], ScoreRejection::DuplicateInterval));
                } else {
                    *proven.entry(device).or_default() += 1;
                    last = Some((device, slot));
                }
            }

            // One challenge counts once, passed if any record of it was passed.
            let mut challenges: Vec<(DeviceId, Hash, bool)> = probes
                .iter()
                .filter(|p| devices.get(&p.device).is_some_and(|d| d.active))
                .map(|p| {
                    let passed = p.answered_ms.is_some_and(|a| a <= p.deadline_ms);
                    (p.device, p.challenge, passed)
                })
                .collect();
            // Passed before failed, so that dedup keeps a passed record.
            challenges.sort_unstable_by_key(|a| (a.0, a.1, !a.2));
            challenges.dedup_by(|later, kept| (later.0, later.1) == (kept.0, kept.1));
            let mut probed: BTreeMap<DeviceId, (u64, u64)> = BTreeMap::new();
            for (device, _, passed) in challenges {
                let e = probed.entry(device).or_default();
                e.0 += 1;
                e.1 += passed as u64;
            }

            if intervals.count == 0 {
                // An empty window has nothing to prove.
                return out.canonical();
            }
            let w = params.probe_weight_bps.min(BPS_ONE);
            let mut scored: Vec<(DeviceId, u64)> = Vec::new();
            for (id, _) in devices.iter().filter(|(_, d)| d.active) {
                let heartbeat = fraction(proven.get(id).copied().unwrap_or(0), intervals.count);
                let probe = match probed.get(id) {
                    Some(&(issued, passed)) => fraction(passed, issued),
                    // Not probed: the gate is open.
                    None => SCORE_ONE,
                };
                let gate = (BPS_ONE - w) as u128 * SCORE_ONE as u128 + w as u128 * probe as u128;
                let s = heartbeat as u128 * gate / (BPS_ONE as u128 * SCORE_ONE as u128);
                debug_assert!(s <= SCORE_ONE as u128);
                if s > 0 {
                    scored.push((*id, s as u64));
                }
            }
            out.scores = scored.into_iter().collect();
            out.canonical()
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn the_same_as_one_lookup_per_report(
            registered in proptest::collection::vec((0u8..10, proptest::bool::weighted(0.8)), 0..10),
            sent in proptest::collection::vec((0u8..12, 0u8..8, 0u64..700, 0u64..3), 0..40),
            probed in proptest::collection::vec((0u8..12, 0u8..3, proptest::option::of(0u64..10_000)), 0..12),
            interval in prop_oneof![Just(60u64), Just(1), Just(7_200)],
            weight in prop_oneof![Just(10_000u64), 0u64..10_000],
            empty in proptest::bool::weighted(0.1),
        ) {
            let mut devices = BTreeMap::new();
            for &(i, active) in &registered {
                devices.insert(id(i), DeviceInfo { id: id(i), owner: Address(key(100).public()), location: 0, active });
            }
            let reports: Vec<SignedReport> = sent
                .iter()
                .map(|&(i, kind, at, seq)| {
                    let body = match kind {
                        0 => ReportBody::ProbeAnswer { challenge: Hash([1; 32]) },
                        1 => ReportBody::Reading { value_milli: 1, unit: "celsius".into() },
                        _ => ReportBody::Heartbeat,
                    };
                    // Some before and after the window, some in the skew.
                    report(i, START - 10_000 + at * 1_000, seq, body)
                })
                .collect();
            let probes: Vec<ProbeRecord> = probed.iter().map(|&(i, n, answered)| probe(i, n, answered.map(|a| START + a))).collect();
            let p = UptimeParams { heartbeat_interval_s: interval, probe_weight_bps: weight, ..UptimeParams::default() };
            let window = if empty { EpochWindow { end_ms: START, ..WINDOW } } else { WINDOW };
            proptest::prop_assert_eq!(
                score(&p, &window, &devices, &reports, &probes),
                by_map::score(&p, &window, &devices, &reports, &probes)
            );
        }
    }

    fn reasons(out: &FamilyOutput) -> Vec<(DeviceId, ScoreRejection)> {
        let mut v: Vec<_> = out
            .rejections
            .iter()
            .map(|r| (r.device, r.why.clone()))
            .collect();
        v.sort_by_key(|(d, w)| (*d, format!("{w:?}")));
        v
    }

    #[test]
    fn heartbeat_intervals_counted_by_hand() {
        let p = UptimeParams {
            probe_weight_bps: 0,
            ..Default::default()
        };
        // Device 1: intervals 0, 1, 9 (the boundary 60 s belongs to interval 1).
        // Device 2: every interval.
        let mut reports = vec![
            beat(1, START),
            beat(1, START + 60_000),
            beat(1, START + 599_999),
        ];
        reports.extend((0..10).map(|k| beat(2, START + k * 60_000 + 30_000)));
        let out = score(&p, &WINDOW, &devices(&[1, 2, 3], &[]), &reports, &[]);
        assert_eq!(out.scores[&id(1)], 300_000);
        assert_eq!(out.scores[&id(2)], SCORE_ONE);
        assert!(!out.scores.contains_key(&id(3)), "no heartbeat, no score");
        assert!(out.rejections.is_empty());
    }

    #[test]
    fn a_partial_last_interval_is_an_interval() {
        // 150 s at 60 s: intervals [0,60) [60,120) [120,150): three.
        let w = EpochWindow {
            end_ms: START + 150_000,
            ..WINDOW
        };
        let p = UptimeParams {
            probe_weight_bps: 0,
            ..Default::default()
        };
        let out = score(
            &p,
            &w,
            &devices(&[1], &[]),
            &[beat(1, START + 149_000)],
            &[],
        );
        assert_eq!(out.scores[&id(1)], 333_333);
    }

    #[test]
    fn a_second_heartbeat_in_an_interval_is_a_duplicate() {
        let p = UptimeParams {
            probe_weight_bps: 0,
            ..Default::default()
        };
        let first = beat(1, START + 1_000);
        let second = beat(1, START + 2_000);
        let out = score(
            &p,
            &WINDOW,
            &devices(&[1], &[]),
            &[second.clone(), first],
            &[],
        );
        assert_eq!(out.scores[&id(1)], 100_000);
        assert_eq!(out.rejections.len(), 1);
        // The later one is the duplicate, whatever the input order.
        assert_eq!(out.rejections[0].report, second.hash());
        assert_eq!(out.rejections[0].why, ScoreRejection::DuplicateInterval);
    }

    #[test]
    fn every_rejection_reason() {
        let p = UptimeParams::default();
        let reports = vec![
            beat(9, START),                  // not registered
            beat(2, START),                  // retired
            beat(1, START - 60_000),         // before the window
            beat(1, WINDOW.end_ms + 60_000), // after it
            report(
                1,
                START,
                1,
                ReportBody::Reading {
                    value_milli: 1,
                    unit: "x".into(),
                },
            ),
            // Answers are the oracle's business: not rejected, not counted.
            report(
                1,
                START,
                2,
                ReportBody::ProbeAnswer {
                    challenge: Hash([1; 32]),
                },
            ),
            report(
                9,
                START,
                2,
                ReportBody::ProbeAnswer {
                    challenge: Hash([1; 32]),
                },
            ),
        ];
        let out = score(&p, &WINDOW, &devices(&[1], &[2]), &reports, &[]);
        assert_eq!(reasons(&out), {
            let mut v = vec![
                (id(9), ScoreRejection::UnknownDevice),
                (id(2), ScoreRejection::InactiveDevice),
                (id(1), ScoreRejection::OutsideEpoch),
                (id(1), ScoreRejection::OutsideEpoch),
                (id(1), ScoreRejection::WrongKind),
            ];
            v.sort_by_key(|(d, w)| (*d, format!("{w:?}")));
            v
        });
        assert!(out.scores.is_empty());
    }

    #[test]
    fn small_clock_skew_at_the_edges_is_tolerated() {
        let p = UptimeParams {
            probe_weight_bps: 0,
            ..Default::default()
        };
        let mut early = beat(1, START - 5_000);
        let late = beat(1, WINDOW.end_ms + 4_999);
        let too_early = beat(2, START - 5_001);
        let out = score(
            &p,
            &WINDOW,
            &devices(&[1, 2], &[]),
            &[early.clone(), late, too_early],
            &[],
        );
        assert_eq!(out.scores[&id(1)], 200_000, "intervals 0 and 9");
        assert_eq!(reasons(&out), vec![(id(2), ScoreRejection::OutsideEpoch)]);
        // Only for a heartbeat that names this epoch.
        early.report.epoch = 6;
        let out = score(&p, &WINDOW, &devices(&[1], &[]), &[early], &[]);
        assert_eq!(reasons(&out), vec![(id(1), ScoreRejection::OutsideEpoch)]);
    }

    #[test]
    fn probes_passed_late_and_missing() {
        let p = UptimeParams::default(); // w = 1: score = heartbeats × probes
                                         // Device 1: all intervals; probes: one on time, one exactly at the
                                         // deadline, one late, one never answered → 1.0 × 2/4.
        let reports: Vec<_> = (0..10).map(|k| beat(1, START + k * 60_000)).collect();
        let probes = vec![
            probe(1, 1, Some(START + 100)),
            probe(1, 2, Some(START + 5_000)),
            probe(1, 3, Some(START + 5_001)),
            probe(1, 4, None),
            // Device 2 has no heartbeat but answers every probe: 0 × 1.
            probe(2, 1, Some(START + 1)),
            // Probes of unknown devices are ignored.
            probe(9, 1, Some(START + 1)),
        ];
        let out = score(&p, &WINDOW, &devices(&[1, 2, 3], &[]), &reports, &probes);
        assert_eq!(out.scores[&id(1)], 500_000);
        assert!(!out.scores.contains_key(&id(2)));
        assert!(!out.scores.contains_key(&id(9)));
    }

    #[test]
    fn an_unprobed_device_is_scored_on_heartbeats_alone() {
        let p = UptimeParams {
            probe_weight_bps: 8_000,
            ..Default::default()
        };
        let reports: Vec<_> = (0..7).map(|k| beat(1, START + k * 60_000)).collect();
        let out = score(&p, &WINDOW, &devices(&[1], &[]), &reports, &[]);
        assert_eq!(out.scores[&id(1)], 700_000);
        // The same device, probed and failing every probe: 0.7 × 0.2.
        let out = score(
            &p,
            &WINDOW,
            &devices(&[1], &[]),
            &reports,
            &[probe(1, 1, None)],
        );
        assert_eq!(out.scores[&id(1)], 140_000);
    }

    #[test]
    fn a_repeated_probe_record_counts_once() {
        let p = UptimeParams {
            probe_weight_bps: BPS_ONE,
            ..Default::default()
        };
        let probes = vec![
            probe(1, 1, None),
            probe(1, 1, Some(START)),
            probe(1, 2, None),
        ];
        let beats: Vec<_> = (0..10).map(|k| beat(1, START + k * 60_000)).collect();
        let out = score(&p, &WINDOW, &devices(&[1], &[]), &beats, &probes);
        assert_eq!(out.scores[&id(1)], 500_000);
    }

    #[test]
    fn an_empty_window_scores_nothing() {
        let w = EpochWindow {
            end_ms: START,
            ..WINDOW
        };
        let out = score(
            &UptimeParams::default(),
            &w,
            &devices(&[1], &[]),
            &[beat(1, START)],
            &[probe(1, 1, Some(START))],
        );
        assert!(out.scores.is_empty());
        assert_eq!(reasons(&out), vec![(id(1), ScoreRejection::OutsideEpoch)]);
    }

    #[test]
    fn params_parse_with_defaults_and_limits() {
        let p: UptimeParams = serde_json::from_str("{}").unwrap();
        assert_eq!(p, UptimeParams::default());
        let p: UptimeParams =
            serde_json::from_str(r#"{"heartbeat_interval_s": 5, "probe_weight_bps": 2500}"#)
                .unwrap();
        assert_eq!(p.heartbeat_interval_s, 5);
        assert_eq!(p.probe_weight_bps, 2_500);
        assert_eq!(p.max_clock_skew_ms, 5_000);
        for bad in [
            r#"{"heartbeat_interval_s": 0}"#,
            r#"{"probe_weight_bps": 10001}"#,
            r#"{"heartbeat_interval_s": -1}"#,
            r#"{"heartbeat_interval_s": "60"}"#,
        ] {
            assert!(serde_json::from_str::<UptimeParams>(bad).is_err(), "{bad}");
        }
    }
}
