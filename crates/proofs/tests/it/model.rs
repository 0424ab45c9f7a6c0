//! The sensor family against a plain model of its rules: every pair of devices
//! compared by H3 grid distance, every median computed from scratch. The family's
//! grouped, sorted computation must give exactly the same scores.

use crate::common::*;
use h3o::CellIndex;
use plinth_core::DeviceId;
use plinth_proofs::sensor::{home_cell, score, SensorParams};
use plinth_proofs::{DeviceInfo, ReportBody, SignedReport, SCORE_ONE};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn model(
    p: &SensorParams,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
) -> BTreeMap<DeviceId, u64> {
    let mut values: BTreeMap<DeviceId, Vec<i64>> = BTreeMap::new();
    for r in reports {
        let ok_device = devices.get(&r.report.device).is_some_and(|d| d.active);
        let ts = r.report.timestamp_ms;
        if let ReportBody::Reading { value_milli, unit } = &r.report.body {
            if ok_device
                && (WINDOW.start_ms..WINDOW.end_ms).contains(&ts)
                && p.max_age_ms.is_none_or(|m| WINDOW.end_ms - ts <= m)
                && *unit == p.unit
                && (p.min_milli..=p.max_milli).contains(value_milli)
            {
                values
                    .entry(r.report.device)
                    .or_default()
                    .push(*value_milli);
            }
        }
    }
    let lower_median = |mut v: Vec<i64>| {
        v.sort();
        v[(v.len() - 1) / 2]
    };
    let sensors: Vec<(DeviceId, i64, u64, Option<CellIndex>)> = values
        .into_iter()
        .map(|(d, v)| {
            let n = v.len() as u64;
            let home = home_cell(devices[&d].location, p.resolution);
            (d, lower_median(v), n, home)
        })
        .collect();
    let mut out = BTreeMap::new();
    for (d, value, n, home) in &sensors {
        let Some(home) = home else { continue };
        let neighbours: Vec<i64> = sensors
            .iter()
            .filter(|(o, _, _, h)| {
                o != d && h.is_some_and(|h| h.grid_distance(*home).is_ok_and(|k| k <= 1))
            })
            .map(|s| s.1)
            .collect();
        let agreement = if neighbours.is_empty() {
            SCORE_ONE
        } else {
            p.agreement(value.abs_diff(lower_median(neighbours)))
        };
        let readings = (*n).min(p.expected_readings) * SCORE_ONE / p.expected_readings;
        // Devices in one density cell share one device's reward.
        let crowd = |d: &DeviceId| home_cell(devices[d].location, p.density_resolution);
        let stacked = sensors
            .iter()
            .filter(|(o, ..)| crowd(o).is_some() && crowd(o) == crowd(d))
            .count()
            .max(1) as u64;
        let s = if stacked > p.max_stacked {
            0
        } else {
            agreement * readings / SCORE_ONE / stacked
        };
        if s > 0 {
            out.insert(*d, s);
        }
    }
    out
}

/// One generated reading: device, seconds into the window, value, plausible unit.
type Spec = (u32, u64, i64, bool);

fn readings() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (
            0u32..16,
            0u64..700,
            5_000i64..45_000,
            prop::bool::weighted(0.95),
        ),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn the_family_matches_the_model(
        specs in readings(),
        // Where each of the 16 devices sits: a cell of the disk of radius 2.
        spots in prop::collection::vec(0usize..19, 16),
        coarse in 0u32..16,
        expected in 1u64..4,
        max_age_s in prop::option::of(100u64..600),
    ) {
        let p: SensorParams = serde_json::from_str(&format!(
            r#"{{"unit": "celsius", "min": -10, "max": 40, "expected_readings": {expected}
                {}}}"#,
            max_age_s.map(|s| format!(r#", "max_age_ms": {}"#, s * 1000)).unwrap_or_default()
        )).unwrap();
        let disk: Vec<CellIndex> = berlin().grid_disk(2);
        let devices = registry((0..16u32).map(|i| {
            let cell = disk[spots[i as usize]];
            // One device asserts a coarser cell than the neighbourhoods.
            let location = if i == coarse {
                cell.parent(h3o::Resolution::Six).unwrap().into()
            } else {
                inside(cell)
            };
            device(i, location)
        }));
        let reports: Vec<_> = specs
            .iter()
            .enumerate()
            .map(|(seq, &(d, s, v, ok))| {
                reading(d, START + s * 1000, seq as u64, v, if ok { "celsius" } else { "kelvin" })
            })
            .collect();
        let out = score(&p, &WINDOW, &devices, &reports);
        prop_assert_eq!(out.scores, model(&p, &devices, &reports));
    }
}
