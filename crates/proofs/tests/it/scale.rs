//! A million devices: the families must stay well inside an epoch's budget.
//! `cargo test -p plinth-proofs --release --test it -- --ignored --nocapture`

use crate::common::*;
use h3o::{CellIndex, Resolution};
use plinth_proofs::{uptime, ReportBody, SensorParams, UptimeParams};
use std::time::{Duration, Instant};

const DEVICES: u32 = 1_000_000;

/// Limit for one `score` call in release builds (debug builds only report).
const LIMIT: Duration = Duration::from_secs(10);

fn check(what: &str, took: Duration) {
    eprintln!("{what}: {took:?}");
    if !cfg!(debug_assertions) {
        assert!(took < LIMIT, "{what} took {took:?}");
    }
}

/// Scores a million sensors placed over `cells`, three readings each.
fn million_sensors(what: &str, cells: &[CellIndex]) {
    let p: SensorParams = serde_json::from_str(
        r#"{"unit": "celsius", "min": -60, "max": 60, "expected_readings": 3}"#,
    )
    .unwrap();
    let mut devices = Vec::with_capacity(DEVICES as usize);
    let mut reports = Vec::with_capacity(3 * DEVICES as usize);
    for i in 0..DEVICES {
        let cell = cells[i as usize % cells.len()];
        // Spread devices over the cell's res-12 descendants.
        let spot = cell
            .children(Resolution::Twelve)
            .nth((i as usize / cells.len()) % 1000)
            .unwrap();
        devices.push(device(i, spot.into()));
        for k in 0..3u64 {
            let v = 20_000 + ((i as i64 * 7919 + k as i64 * 104_729) % 8_000);
            reports.push(reading(
                i,
                START + k * 100_000 + (i % 1000) as u64,
                k,
                v,
                "celsius",
            ));
        }
    }
    let devices = registry(devices);
    let t = Instant::now();
    let out = plinth_proofs::sensor::score(&p, &WINDOW, &devices, &reports);
    check(what, t.elapsed());
    assert!(out.rejections.is_empty());
    assert!(
        out.scores.len() > DEVICES as usize / 2,
        "{}",
        out.scores.len()
    );
}

#[test]
#[ignore = "slow: a million devices"]
fn a_million_sensors_in_a_thousand_cells_slow_() {
    let cells: Vec<CellIndex> = berlin().grid_disk(18);
    assert!(cells.len() >= 1000);
    million_sensors("1M sensors, ~1000 devices per cell", &cells[..1000]);
}

#[test]
#[ignore = "slow: a million devices"]
fn a_million_sensors_each_in_its_own_cell_slow_() {
    // ~1M res-7 cells: every device has its own neighbourhood cell.
    let cells: Vec<CellIndex> = berlin().grid_disk(578);
    assert!(cells.len() >= DEVICES as usize);
    million_sensors("1M sensors, one per cell", &cells[..DEVICES as usize]);
}

#[test]
#[ignore = "slow: a million devices"]
fn a_million_uptime_nodes_slow_() {
    let devices = registry((0..DEVICES).map(|i| device(i, inside(berlin()))));
    let reports: Vec<_> = (0..DEVICES)
        .flat_map(|i| {
            (0..3u64).map(move |k| {
                report(
                    i,
                    START + k * 200_000 + (i % 1000) as u64,
                    k,
                    ReportBody::Heartbeat,
                )
            })
        })
        .collect();
    let t = Instant::now();
    let out = uptime::score(&UptimeParams::default(), &WINDOW, &devices, &reports, &[]);
    check("1M uptime nodes, 3 heartbeats each", t.elapsed());
    assert_eq!(out.scores.len(), DEVICES as usize);
}
