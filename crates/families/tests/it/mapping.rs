//! The mapping family through the Rust host (`plinth_proofs::wasm`, with the
//! real H3 host functions): honest mappers paid, invented drives refused,
//! implausible tracks refused by code, replays refused within an epoch and
//! across epochs (the state), freshness carried across epochs, the first-k rule,
//! and the same output for the same input.

use h3o::{LatLng, Resolution};
use plinth_core::{Address, DeviceId, PublicKey, Signature};
use plinth_families::mapping::{Drive, Point, KIND, MAPPING};
use plinth_proofs::wasm::{self, EpochInput, WasmFamilyParams, WasmScored};
use plinth_proofs::{DeviceInfo, EpochWindow, Report, ReportBody, ScoreRejection, SignedReport};
use std::collections::{BTreeMap, BTreeSet};

const BASE: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;
/// 1.0 + the default full freshness bonus (100%): a hex never mapped.
const FULL: u64 = 2_000_000;
const ONE: u64 = 1_000_000;

fn window(epoch: u64) -> EpochWindow {
    EpochWindow {
        epoch,
        start_ms: BASE + epoch * HOUR,
        end_ms: BASE + (epoch + 1) * HOUR,
    }
}

fn key(tag: u8, i: u32) -> PublicKey {
    let mut k = [tag; 32];
    k[..4].copy_from_slice(&i.to_be_bytes());
    PublicKey(k)
}

fn id(i: u32) -> DeviceId {
    DeviceId(key(1, i))
}

/// Device `i` owned by owner `owner`.
fn device(i: u32, owner: u32) -> DeviceInfo {
    DeviceInfo {
        id: id(i),
        owner: Address(key(2, owner)),
        location: 0,
        active: true,
    }
}

fn registry(devices: impl IntoIterator<Item = DeviceInfo>) -> BTreeMap<DeviceId, DeviceInfo> {
    devices.into_iter().map(|d| (d.id, d)).collect()
}

fn custom(i: u32, seq: u64, kind: &str, data: Vec<u8>) -> SignedReport {
    SignedReport {
        report: Report {
            chain: plinth_core::Hash::ZERO,
            device: id(i),
            network: "map".into(),
            epoch: 0,
            timestamp_ms: BASE,
            seq,
            body: ReportBody::Custom {
                kind: kind.into(),
                data,
            },
        },
        signature: Signature([0; 64]),
    }
}

fn report(i: u32, seq: u64, d: &Drive) -> SignedReport {
    custom(i, seq, KIND, d.encode())
}

/// The resolution-9 cells of a street: `n` points 100 m apart heading east from
/// (`lat`, `lng`).
fn street(lat: f64, lng: f64, n: usize) -> Vec<u64> {
    // 0.0015° of longitude at 52.5° N is about 100 m.
    road(lat, lng, n, 0.0015)
}

/// `n` points `step` degrees of longitude apart.
fn road(lat: f64, lng: f64, n: usize, step: f64) -> Vec<u64> {
    (0..n)
        .map(|k| {
            let p = LatLng::new(lat, lng + step * k as f64).unwrap();
            u64::from(p.to_cell(Resolution::Nine))
        })
        .collect()
}

fn berlin(n: usize) -> Vec<u64> {
    street(52.52, 13.40, n)
}

fn hamburg(n: usize) -> Vec<u64> {
    street(53.55, 9.99, n)
}

fn distinct(cells: &[u64]) -> u64 {
    cells.iter().collect::<BTreeSet<_>>().len() as u64
}

/// A drive over `cells`, one point every 10 s (36 km/h), starting `offset_ms`
/// into `epoch`; imagery and id from `tag`.
fn drive(tag: u64, epoch: u64, offset_ms: u64, cells: &[u64]) -> Drive {
    let mut imagery = [0u8; 32];
    imagery[..8].copy_from_slice(&tag.to_le_bytes());
    imagery[31] = 0xaa;
    Drive {
        drive_id: tag,
        start_ms: window(epoch).start_ms + offset_ms,
        imagery,
        points: cells
            .iter()
            .enumerate()
            .map(|(k, &cell)| Point {
                t_ms: 10_000 * k as u32,
                cell,
            })
            .collect(),
    }
}

fn params(own: &str) -> WasmFamilyParams {
    let sep = if own.is_empty() { "" } else { "," };
    WasmFamilyParams::from_json(&format!(r#"{{"module":"{}"{sep}{own}}}"#, MAPPING.hash())).unwrap()
}

fn run_with(
    own: &str,
    epoch: u64,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    state: &[u8],
) -> Result<WasmScored, wasm::WasmFamilyError> {
    let m = wasm::load(MAPPING.bytes).unwrap();
    wasm::run(
        &m,
        &params(own),
        &EpochInput {
            network: "map",
            window: &window(epoch),
            devices,
            reports,
            probes: &[],
            state,
        },
    )
}

fn run(
    epoch: u64,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    state: &[u8],
) -> WasmScored {
    run_with("", epoch, devices, reports, state).unwrap()
}

fn score(s: &WasmScored, i: u32) -> u64 {
    s.output.scores.get(&id(i)).copied().unwrap_or(0)
}

/// Each rejected report's hash with its code.
fn codes(s: &WasmScored) -> BTreeMap<plinth_core::Hash, String> {
    s.output
        .rejections
        .iter()
        .map(|r| match &r.why {
            ScoreRejection::Custom { code, .. } => (r.report, code.clone()),
            other => panic!("not a custom rejection: {other:?}"),
        })
        .collect()
}

fn code_of(s: &WasmScored, r: &SignedReport) -> Option<String> {
    codes(s).get(&r.hash()).cloned()
}

/// The state's hexes (cell → last epoch) and drive count (mapping/README.md).
fn read_state(state: &[u8]) -> (BTreeMap<u64, u64>, usize) {
    if state.is_empty() {
        return (BTreeMap::new(), 0);
    }
    assert_eq!(state[0], 1);
    let u32_at = |o: usize| u32::from_le_bytes(state[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(state[o..o + 8].try_into().unwrap());
    let nh = u32_at(1);
    let hexes = (0..nh)
        .map(|k| (u64_at(5 + 16 * k), u64_at(13 + 16 * k)))
        .collect();
    let at = 5 + 16 * nh;
    let nd = u32_at(at);
    assert_eq!(state.len(), at + 4 + 80 * nd);
    (hexes, nd)
}

#[test]
fn honest_mappers_of_one_street_are_paid_for_every_hex_they_share() {
    let devices = registry([device(1, 1), device(2, 2)]);
    let street = berlin(30);
    let reports = [
        report(1, 0, &drive(11, 0, 0, &street)),
        report(2, 0, &drive(21, 0, 60_000, &street[..15])),
    ];
    let s = run(0, &devices, &reports, &[]);
    assert!(s.output.rejections.is_empty(), "{:?}", s.output.rejections);
    // Corroborated: the hexes both drove (device 2's); never mapped: the full bonus.
    let shared = distinct(&street[..15]);
    assert!(shared >= 4 && distinct(&street) > shared, "{shared}");
    assert_eq!(score(&s, 1), FULL * shared);
    assert_eq!(score(&s, 2), FULL * shared);
    // Only corroborated hexes enter the state; both drives are remembered.
    let (hexes, drives) = read_state(&s.state);
    assert_eq!(hexes.len() as u64, shared);
    assert!(hexes.values().all(|&e| e == 0));
    assert_eq!(drives, 2);
    // Each corroborated hex is awarded to its mappers (what a burst pays).
    let mut both = vec![id(1), id(2)];
    both.sort();
    assert_eq!(
        s.awards.iter().map(|(cell, _)| *cell).collect::<Vec<_>>(),
        hexes.keys().copied().collect::<Vec<_>>()
    );
    assert!(s.awards.iter().all(|(_, ds)| *ds == both));
}

#[test]
fn invented_drives_where_nobody_else_maps_earn_nothing() {
    // Devices 1 and 2 (owners 1, 2) drive Berlin; device 3 (owner 3) invents a
    // drive in Hamburg; devices 4 and 5, both of owner 4, "corroborate" each other
    // on another Hamburg street.
    let devices = registry([
        device(1, 1),
        device(2, 2),
        device(3, 3),
        device(4, 4),
        device(5, 4),
    ]);
    let other = street(53.60, 10.05, 20);
    let reports = [
        report(1, 0, &drive(11, 0, 0, &berlin(20))),
        report(2, 0, &drive(21, 0, 0, &berlin(20))),
        report(3, 0, &drive(31, 0, 0, &hamburg(20))),
        report(4, 0, &drive(41, 0, 0, &other)),
        report(5, 0, &drive(51, 0, 0, &other)),
    ];
    let s = run(0, &devices, &reports, &[]);
    for r in &reports[2..] {
        assert_eq!(code_of(&s, r).as_deref(), Some("uncorroborated"));
    }
    assert_eq!(s.output.rejections.len(), 3);
    assert_eq!(
        s.output.scores.keys().copied().collect::<Vec<_>>(),
        vec![id(1), id(2)]
    );
    assert_eq!(score(&s, 1), FULL * distinct(&berlin(20)));

    // A drive that crosses one real street earns that street's hexes only.
    let mut cells = berlin(20);
    let invented = street(52.52, 13.43, 20); // on from where the others stopped
    cells.extend(&invented);
    let reports = [
        report(1, 0, &drive(11, 0, 0, &berlin(20))),
        report(3, 0, &drive(31, 0, 0, &cells)),
    ];
    let s = run(0, &devices, &reports, &[]);
    assert!(s.output.rejections.is_empty(), "{:?}", s.output.rejections);
    let real = distinct(&berlin(20));
    assert_eq!(score(&s, 3), FULL * real);
    assert_eq!(score(&s, 1), FULL * real);
}

#[test]
fn implausible_tracks_are_refused_by_code() {
    let devices = registry([device(1, 1), device(2, 2), device(3, 3)]);
    let berlin = berlin(10);
    let honest = drive(21, 0, 0, &berlin);
    // Teleport: Berlin to Hamburg (~250 km) in 10 s.
    let mut cells = berlin.clone();
    cells.extend(hamburg(5));
    let teleport = drive(1, 0, 0, &cells);
    // A slow jump: 5 km in 10 minutes (30 km/h) is no continuous track.
    let mut slow = drive(2, 0, 0, &berlin);
    slow.points.push(Point {
        t_ms: slow.points.last().unwrap().t_ms + 600_000,
        cell: street(52.52, 13.47, 1)[0],
    });
    // Times going backwards, a point after the epoch, a cell at resolution 8, a
    // track of one point, trailing bytes, another kind, an unknown version.
    let mut backwards = drive(3, 0, 0, &berlin);
    backwards.points[4].t_ms = backwards.points[3].t_ms;
    let late = drive(4, 0, HOUR - 20_000, &berlin);
    let mut coarse = drive(5, 0, 0, &berlin);
    coarse.points[2].cell = u64::from(
        LatLng::new(52.52, 13.40)
            .unwrap()
            .to_cell(Resolution::Eight),
    );
    let mut invalid = drive(6, 0, 0, &berlin);
    invalid.points[2].cell = 12345;
    let single = drive(7, 0, 0, &berlin[..1]);
    let mut trailing = drive(8, 0, 0, &berlin).encode();
    trailing.push(0);
    let mut version = drive(9, 0, 0, &berlin).encode();
    version[0] = 2;
    let too_many = drive(10, 0, 0, &[berlin[0]; 257]);
    let cases: Vec<(SignedReport, &str)> = vec![
        (report(1, 0, &teleport), "too_fast"),
        (report(1, 1, &slow), "gap"),
        (report(1, 2, &backwards), "bad_timing"),
        (report(1, 3, &late), "outside_epoch"),
        (report(1, 4, &coarse), "bad_cell"),
        (report(1, 5, &invalid), "bad_cell"),
        (report(1, 6, &single), "malformed"),
        (custom(1, 7, KIND, trailing), "malformed"),
        (custom(1, 8, KIND, version), "malformed"),
        (report(1, 9, &too_many), "malformed"),
        (
            custom(1, 10, "trip", drive(11, 0, 0, &berlin).encode()),
            "not_a_drive",
        ),
    ];
    let mut reports: Vec<SignedReport> = cases.iter().map(|(r, _)| r.clone()).collect();
    reports.push(report(2, 0, &honest));
    let mut inactive = devices.clone();
    inactive.get_mut(&id(3)).unwrap().active = false;
    let sleeper = report(3, 0, &drive(31, 0, 0, &berlin));
    reports.push(sleeper.clone());
    let s = run(0, &inactive, &reports, &[]);
    for (r, want) in &cases {
        assert_eq!(code_of(&s, r).as_deref(), Some(*want), "{want}");
    }
    assert_eq!(code_of(&s, &sleeper).as_deref(), Some("inactive"));
    // Nothing of device 1 stands, so the honest drive is uncorroborated too.
    assert_eq!(
        code_of(&s, &reports[cases.len()]).as_deref(),
        Some("uncorroborated")
    );
    assert!(s.output.scores.is_empty());

    // Speed is measured between cell centres less a cell's slack (~450 m at
    // resolution 9): points 5 km apart (0.075° of longitude) every 10 s (1,800
    // km/h) are too fast; every 150 s (120 km/h) they pass at 150 km/h, not at 80.
    let highway = road(52.52, 13.0, 8, 0.075);
    let lax = r#""max_gap_m":10000,"max_gap_ms":200000"#;
    let paced = |every_ms: u32, tag: u64| {
        let mut d = drive(tag, 0, 0, &highway);
        for (k, p) in d.points.iter_mut().enumerate() {
            p.t_ms = every_ms * k as u32;
        }
        d
    };
    let pair = |every_ms| {
        [
            report(1, 0, &paced(every_ms, 1)),
            report(2, 0, &paced(every_ms, 2)),
        ]
    };
    let s = run_with(lax, 0, &devices, &pair(10_000), &[]).unwrap();
    assert_eq!(code_of(&s, &pair(10_000)[0]).as_deref(), Some("too_fast"));
    let s = run_with(lax, 0, &devices, &pair(150_000), &[]).unwrap();
    assert!(s.output.rejections.is_empty(), "{:?}", s.output.rejections);
    assert_eq!(score(&s, 1), FULL * distinct(&highway));
    let slow_limit = format!(r#"{lax},"max_speed_kmh":80"#);
    let s = run_with(&slow_limit, 0, &devices, &pair(150_000), &[]).unwrap();
    assert_eq!(code_of(&s, &pair(150_000)[1]).as_deref(), Some("too_fast"));
    // The default gap (2 km, 120 s) refuses the same highway at any pace.
    let s = run(0, &devices, &pair(150_000), &[]);
    assert_eq!(code_of(&s, &pair(150_000)[0]).as_deref(), Some("gap"));
}

#[test]
fn replayed_drives_are_refused_in_the_epoch_and_across_epochs() {
    let devices = registry([device(1, 1), device(2, 2), device(3, 3)]);
    let street = berlin(12);
    let first = drive(11, 0, 0, &street);
    // The same drive id again (other imagery), the same imagery again (other id).
    let mut same_id = drive(11, 0, 200_000, &street);
    same_id.imagery[0] ^= 1;
    let mut same_imagery = drive(12, 0, 400_000, &street);
    same_imagery.imagery = first.imagery;
    let r = [
        report(1, 0, &first),
        report(1, 1, &same_id),
        report(1, 2, &same_imagery),
        report(2, 0, &drive(21, 0, 0, &street)),
    ];
    let s = run(0, &devices, &r, &[]);
    assert_eq!(code_of(&s, &r[0]), None);
    assert_eq!(code_of(&s, &r[1]).as_deref(), Some("replayed"));
    assert_eq!(code_of(&s, &r[2]).as_deref(), Some("replayed"));
    assert_eq!(s.output.rejections.len(), 2);
    assert_eq!(score(&s, 1), FULL * distinct(&street));

    // One imagery from two devices: nobody's.
    let mut stolen = drive(31, 0, 0, &street);
    stolen.imagery = first.imagery;
    let r2 = [
        report(1, 0, &first),
        report(2, 0, &drive(21, 0, 0, &street)),
        report(3, 0, &stolen),
    ];
    let s2 = run(0, &devices, &r2, &[]);
    assert_eq!(code_of(&s2, &r2[0]).as_deref(), Some("replayed"));
    assert_eq!(code_of(&s2, &r2[2]).as_deref(), Some("replayed"));
    assert_eq!(score(&s2, 1), 0);
    assert_eq!(score(&s2, 3), 0);

    // Next epoch, with the state: the same drive id, or the imagery, again (with
    // times moved into the new epoch) is a replay; a new drive is not.
    let mut again_id = drive(11, 1, 0, &street);
    again_id.imagery[5] = 7;
    let again_imagery = Drive {
        drive_id: 99,
        ..drive(11, 1, 0, &street)
    };
    let r3 = [
        report(1, 3, &again_id),
        report(1, 4, &again_imagery),
        report(2, 1, &drive(22, 1, 0, &street)),
        report(3, 1, &drive(32, 1, 0, &street)),
    ];
    let s3 = run(1, &devices, &r3, &s.state);
    assert_eq!(code_of(&s3, &r3[0]).as_deref(), Some("replayed"));
    assert_eq!(code_of(&s3, &r3[1]).as_deref(), Some("replayed"));
    assert_eq!(s3.output.rejections.len(), 2);
    // Without the state neither would be: the state is what refuses them.
    let fresh = run(1, &devices, &r3, &[]);
    assert!(fresh.output.rejections.is_empty());
    // The memory fades after replay_epochs.
    let late = run_with(r#""replay_epochs":1"#, 1, &devices, &r3, &s.state).unwrap();
    assert!(late.output.rejections.is_empty());
}

#[test]
fn a_hex_unmapped_for_n_epochs_pays_more() {
    let devices = registry([device(1, 1), device(2, 2)]);
    let a = berlin(10);
    let b = hamburg(10);
    let both = |epoch: u64, cells: &[u64], tag: u64| {
        vec![
            report(1, epoch, &drive(tag, epoch, 0, cells)),
            report(2, epoch, &drive(tag + 1000, epoch, 0, cells)),
        ]
    };
    let (na, nb) = (distinct(&a), distinct(&b));
    // Epoch 0: A new. 1: A again (mapped last epoch: no bonus), B new.
    let s0 = run(0, &devices, &both(0, &a, 1), &[]);
    assert_eq!(score(&s0, 1), FULL * na);
    let mut r1 = both(1, &a, 2);
    r1.extend(both(1, &b, 3).into_iter().map(|mut r| {
        r.report.seq += 100;
        r
    }));
    let s1 = run(1, &devices, &r1, &s0.state);
    assert!(
        s1.output.rejections.is_empty(),
        "{:?}",
        s1.output.rejections
    );
    assert_eq!(score(&s1, 1), ONE * na + FULL * nb);
    // Only B from here on; A's bonus grows by a quarter (stale_epochs 4) per
    // unmapped epoch. Epochs 2, 3 map B; epoch 4 maps A: 2 epochs unmapped.
    let mut state = s1.state.clone();
    for e in 2..4 {
        state = run(e, &devices, &both(e, &b, 10 + e), &state).state;
    }
    let s4 = run(4, &devices, &both(4, &a, 20), &state);
    assert_eq!(score(&s4, 1), (ONE + FULL) / 2 * na);
    // A, now last mapped in 4, unmapped through 5..=9 (more than 4 epochs, and
    // epochs with no report at all carry the state on): the full bonus.
    let mut state = s4.state.clone();
    for e in 5..10 {
        state = run(e, &devices, &[], &state).state;
    }
    assert_eq!(read_state(&state).0.get(&a[0]), Some(&4));
    let s10 = run(10, &devices, &both(10, &a, 30), &state);
    assert_eq!(score(&s10, 1), FULL * na);
    // The state forgets a hex horizon_epochs after its last mapping (B: 3, A: 4).
    let forgot = run_with(r#""horizon_epochs":5"#, 8, &devices, &[], &s4.state).unwrap();
    assert_eq!(read_state(&forgot.state).0.get(&a[0]), Some(&4));
    assert_eq!(read_state(&forgot.state).0.get(&b[0]), None);
    // The bonus is a parameter.
    let s = run_with(
        r#""stale_bonus_bps":5000,"stale_epochs":2"#,
        4,
        &devices,
        &both(4, &a, 20),
        &state_after(&devices, &a, 2),
    )
    .unwrap();
    assert_eq!(
        score(&s, 1),
        (ONE + ONE / 4) * na,
        "1 of 2 epochs unmapped: half of 50%"
    );
}

/// The state after both devices mapped `cells` in epoch `epoch`.
fn state_after(devices: &BTreeMap<DeviceId, DeviceInfo>, cells: &[u64], epoch: u64) -> Vec<u8> {
    let r = [
        report(1, 500, &drive(500, epoch, 0, cells)),
        report(2, 500, &drive(501, epoch, 0, cells)),
    ];
    run(epoch, devices, &r, &[]).state
}

#[test]
fn the_first_k_mappers_of_a_hex_earn_its_value_later_ones_less() {
    let devices = registry((1..=5).map(|i| device(i, i)));
    let street = berlin(6);
    let n = distinct(&street);
    // Start times: device 5 first, then 4, then 2 and 3 together (a tie: by
    // id, 2 first), then 1. So 5, 4 and 2 are the first three everywhere.
    let start = [
        (5, 0),
        (4, 60_000),
        (2, 120_000),
        (3, 120_000),
        (1, 180_000),
    ];
    let reports: Vec<SignedReport> = start
        .iter()
        .map(|&(i, at)| report(i, 0, &drive(u64::from(i), 0, at, &street)))
        .collect();
    let s = run_with(r#""first_k":3,"late_bps":2500"#, 0, &devices, &reports, &[]).unwrap();
    assert!(s.output.rejections.is_empty());
    for (rank, &(i, _)) in start.iter().enumerate() {
        let want = if rank < 3 { FULL * n } else { FULL / 4 * n };
        assert_eq!(score(&s, i), want, "device {i} ranked {rank}");
    }
    // The awards name the first three, whatever pays later ones.
    let mut first = vec![id(5), id(4), id(2)];
    first.sort();
    assert_eq!(s.awards.len() as u64, n);
    assert!(
        s.awards.iter().all(|(_, ds)| *ds == first),
        "{:?}",
        s.awards
    );
    // Defaults: first_k 3, later ones nothing (no score at all).
    let s = run(0, &devices, &reports, &[]);
    assert_eq!(s.output.scores.len(), 3);
    assert!(s.output.rejections.is_empty());
}

#[test]
fn the_same_input_gives_the_same_output_and_state() {
    let devices = registry([device(1, 1), device(2, 2), device(3, 3)]);
    let reports = vec![
        report(1, 0, &drive(1, 0, 0, &berlin(40))),
        report(2, 0, &drive(2, 0, 5_000, &berlin(25))),
        report(3, 0, &drive(3, 0, 0, &hamburg(10))),
        report(3, 1, &drive(4, 0, 0, &[berlin(1)[0], hamburg(1)[0]])),
    ];
    let a = run(0, &devices, &reports, &[]);
    let mut shuffled = reports.clone();
    shuffled.reverse();
    let b = run(0, &devices, &shuffled, &[]);
    assert_eq!(a, b);
    assert!(!a.output.scores.is_empty() && !a.output.rejections.is_empty());
    let a2 = run(1, &devices, &[], &a.state);
    let b2 = run(1, &devices, &[], &b.state);
    assert_eq!(a2, b2);
}

#[test]
fn bad_parameters_and_a_bad_state_fail_the_epoch() {
    let devices = registry([device(1, 1)]);
    for bad in [
        r#""resolution":16"#,
        r#""first_k":0"#,
        r#""late_bps":10001"#,
        r#""horizon_epochs":4"#,
        r#""max_speed_kmh":"fast""#,
    ] {
        let e = run_with(bad, 0, &devices, &[], &[]).unwrap_err();
        assert_eq!(e.code(), "task_failed:2", "{bad}");
    }
    for state in [
        &[1u8][..],
        &[2, 0, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ] {
        let e = run_with("", 0, &devices, &[], state).unwrap_err();
        assert_eq!(e.code(), "task_failed:4", "{state:?}");
    }
    assert!(run_with("", 0, &devices, &[], &[1, 0, 0, 0, 0, 0, 0, 0, 0]).is_ok());
}

#[test]
fn a_busy_epoch_fits_the_default_fuel() {
    // 2,000 devices of 2,000 owners, each one drive of 256 points along one of
    // 100 streets (so every hex is corroborated, 20 mappers a hex).
    let devices = registry((0..2_000).map(|i| device(i, i)));
    let streets: Vec<Vec<u64>> = (0..100)
        .map(|s| street(52.0 + 0.01 * f64::from(s), 13.0, 256))
        .collect();
    let reports: Vec<SignedReport> = (0..2_000u32)
        .map(|i| {
            let d = drive(
                u64::from(i),
                0,
                u64::from(i) * 100,
                &streets[(i % 100) as usize],
            );
            report(i, 0, &d)
        })
        .collect();
    let s = run(0, &devices, &reports, &[]);
    assert!(s.output.rejections.is_empty());
    assert_eq!(
        s.output.scores.len(),
        300,
        "the first 3 of each street's hexes"
    );
    eprintln!("fuel {} state {}", s.fuel_used, s.state.len());
    // mapping/README.md quotes this (per full drive).
    assert!(s.fuel_used < wasm::DEFAULT_FUEL / 10, "{}", s.fuel_used);
}
