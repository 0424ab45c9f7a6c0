//! Order independence: the oracle and an auditor may read the same reports in a
//! different order; the families must give the same output, rejections included.

use crate::common::*;
use plinth_core::Hash;
use plinth_proofs::{Family, ProbeRecord, ReportBody, SignedReport};
use proptest::prelude::*;

/// Reports and a permutation of them.
fn shuffled<T: Clone + std::fmt::Debug>(
    items: impl Strategy<Value = Vec<T>>,
) -> impl Strategy<Value = (Vec<T>, Vec<usize>)> {
    items.prop_flat_map(|v| {
        let n = v.len();
        (Just(v), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
    })
}

fn permute<T: Clone>(v: &[T], order: &[usize]) -> Vec<T> {
    order.iter().map(|&i| v[i].clone()).collect()
}

/// device, ms offset from the window start (some outside), seq, kind.
type Beat = (u32, i64, u64, u8);

fn uptime_report(&(d, offset, seq, kind): &Beat) -> SignedReport {
    let ts = (START as i64 + offset) as u64;
    let body = match kind {
        0..=6 => ReportBody::Heartbeat,
        7 => ReportBody::ProbeAnswer {
            challenge: Hash([seq as u8; 32]),
        },
        _ => ReportBody::Reading {
            value_milli: 1,
            unit: "celsius".into(),
        },
    };
    report(d, ts, seq, body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn uptime_output_does_not_depend_on_order(
        (beats, order) in shuffled(prop::collection::vec(
            // Few seqs and coarse times, so that ties and duplicates happen.
            (0u32..7, (-20i64..640).prop_map(|s| s * 1000), 0u64..4, 0u8..9),
            0..80,
        )),
        probes in prop::collection::vec((0u32..7, 0u8..4, prop::option::of(0u64..10)), 0..20),
        probe_order_seed in any::<prop::sample::Index>(),
    ) {
        let family = Family::from_network("uptime", r#"{"probe_weight_bps": 3000}"#).unwrap();
        let mut devices = registry((0..6u32).map(|i| device(i, inside(berlin()))));
        devices.get_mut(&id(5)).unwrap().active = false;
        // Exact copies too.
        let mut reports: Vec<_> = beats.iter().map(uptime_report).collect();
        reports.extend(beats.iter().take(5).map(uptime_report));
        let order: Vec<usize> = order.into_iter().chain(beats.len()..reports.len()).rev().collect();
        let probes: Vec<ProbeRecord> = probes
            .iter()
            .map(|&(d, c, answered)| ProbeRecord {
                device: id(d),
                challenge: Hash([c; 32]),
                issued_ms: START,
                deadline_ms: START + 5_000,
                answered_ms: answered.map(|s| START + s * 1000),
            })
            .collect();
        let mut other_probes = probes.clone();
        if !other_probes.is_empty() {
            let k = probe_order_seed.index(other_probes.len());
            other_probes.rotate_left(k);
            other_probes.reverse();
        }
        let a = family.score(&WINDOW, &devices, &reports, &probes);
        let b = family.score(&WINDOW, &devices, &permute(&reports, &order), &other_probes);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn sensor_output_does_not_depend_on_order(
        (specs, order) in shuffled(prop::collection::vec(
            (0u32..12, -10i64..610, 0u64..3, 10_000i64..40_000, 0u8..10),
            0..80,
        )),
        spots in prop::collection::vec(0usize..7, 12),
    ) {
        let family = Family::from_network(
            "sensor",
            r#"{"unit": "celsius", "min": 0, "max": 35, "max_age_ms": 500000}"#,
        )
        .unwrap();
        let disk: Vec<h3o::CellIndex> = berlin().grid_disk(1);
        let mut devices = registry((0..11u32).map(|i| device(i, inside(disk[spots[i as usize]]))));
        devices.get_mut(&id(10)).unwrap().active = false;
        let reports: Vec<_> = specs
            .iter()
            .map(|&(d, s, seq, v, kind)| {
                let ts = (START as i64 + s * 1000) as u64;
                match kind {
                    0 => report(d, ts, seq, ReportBody::Heartbeat),
                    1 => reading(d, ts, seq, v, "kelvin"),
                    _ => reading(d, ts, seq, v, "celsius"),
                }
            })
            .collect();
        let a = family.score(&WINDOW, &devices, &reports, &[]);
        let b = family.score(&WINDOW, &devices, &permute(&reports, &order), &[]);
        prop_assert_eq!(a, b);
    }
}
