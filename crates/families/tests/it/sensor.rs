//! The sensor module against the native family (`plinth_proofs::sensor`): the
//! same scores and the same rejection codes, report by report, on seeded random
//! epochs and on a 100,000-device one; the same parameters refused.

use plinth_core::{Address, DeviceId, Hash, PublicKey, Signature};
use plinth_families::sensor::SENSOR;
use plinth_proofs::sensor::{self, SensorParams};
use plinth_proofs::wasm::{self, EpochInput, WasmFamilyError, WasmFamilyParams};
use plinth_proofs::{DeviceInfo, EpochWindow, Report, ReportBody, SignedReport};
use plinth_wasm::{Module, WasmError};
use std::collections::BTreeMap;
use std::time::Instant;

const START: u64 = 10_000_000;
const WINDOW: EpochWindow = EpochWindow {
    epoch: 3,
    start_ms: START,
    end_ms: START + 3_600_000,
};

/// xorshift64*: a small seeded generator, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn bytes(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for chunk in b.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        b
    }
}

/// The H3 cell of `base` (0..=121) with `digits` (one per resolution from 1):
/// the index layout, so no H3 library is needed. Valid when no digit is 7 and, at
/// a pentagon base cell, no digit is 1.
fn cell(base: u64, digits: &[u8]) -> u64 {
    let mut c = (1u64 << 59) | ((digits.len() as u64) << 52) | (base << 45);
    for r in 1..=15 {
        let d = digits.get(r - 1).map_or(7, |&d| u64::from(d));
        c |= d << (3 * (15 - r));
    }
    c
}

/// Pentagon base cells (a digit 1 is invalid under them).
const PENTAGONS: [u64; 12] = [4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117];

/// A random valid digit under `base`.
fn digit(rng: &mut Rng, base: u64) -> u8 {
    if PENTAGONS.contains(&base) {
        *rng.pick(&[0, 2, 3, 4, 5, 6])
    } else {
        rng.below(7) as u8
    }
}

/// A device location: mostly a fine cell inside one of a few small areas (so
/// that devices have neighbours, share density cells, and sometimes sit on the
/// very same spot), sometimes a coarse cell, sometimes not a cell at all.
fn location(rng: &mut Rng, areas: &[(u64, Vec<u8>)], spots: &mut Vec<u64>) -> u64 {
    let roll = rng.below(100);
    if roll < 3 {
        let any = rng.next();
        return *rng.pick(&[0, 12345, u64::MAX, any]);
    }
    if roll < 20 && !spots.is_empty() {
        return *rng.pick(spots);
    }
    let (base, area) = rng.pick(areas).clone();
    let mut digits = area.clone();
    if roll < 28 {
        // Coarser than the area: 2 to its own resolution.
        digits.truncate(2 + rng.below(area.len() as u64 - 1) as usize);
    } else {
        let res = 6 + rng.below(9) as usize; // 6..=14
        while digits.len() < res {
            digits.push(digit(rng, base));
        }
    }
    let c = cell(base, &digits);
    if rng.chance(5) {
        spots.push(c);
    }
    c
}

fn sign(report: Report) -> SignedReport {
    // The families never look at signatures (the oracle checked them).
    SignedReport {
        report,
        signature: Signature([0; 64]),
    }
}

fn registry(devices: &[(DeviceId, u64, bool)]) -> BTreeMap<DeviceId, DeviceInfo> {
    devices
        .iter()
        .map(|&(id, location, active)| {
            (
                id,
                DeviceInfo {
                    id,
                    owner: Address(PublicKey([7; 32])),
                    location,
                    active,
                },
            )
        })
        .collect()
}

/// One random epoch: `n` registered devices in a few areas (one under a
/// pentagon), their readings, and reports of every kind that must be rejected.
fn epoch(
    rng: &mut Rng,
    n: usize,
    max_reports: u64,
) -> (BTreeMap<DeviceId, DeviceInfo>, Vec<SignedReport>) {
    let mut areas = Vec::new();
    for _ in 0..3 + n / 40 {
        let base = *rng.pick(&[2, 4, 20, 21, 35, 58, 100]);
        let digits: Vec<u8> = (0..6).map(|_| digit(rng, base)).collect();
        areas.push((base, digits));
    }
    let mut spots = Vec::new();
    let mut devices = Vec::with_capacity(n);
    for _ in 0..n {
        let id = DeviceId(PublicKey(rng.bytes()));
        devices.push((id, location(rng, &areas, &mut spots), !rng.chance(7)));
    }
    // A few unregistered senders.
    let strangers: Vec<DeviceId> = (0..1 + n / 20)
        .map(|_| DeviceId(PublicKey(rng.bytes())))
        .collect();
    let mut reports = Vec::new();
    let senders = devices.iter().map(|d| d.0).chain(strangers.iter().copied());
    for id in senders {
        let centre = 20_000 + (rng.below(41) as i64 - 20) * 500;
        let outlier = rng.chance(10);
        for seq in 0..rng.below(max_reports + 1) {
            let mut ts = START + rng.below(3_600_000);
            if rng.chance(4) {
                ts = *rng.pick(&[START - 1, WINDOW.end_ms, WINDOW.end_ms + 5, 0, START]);
            }
            let mut value = centre + rng.below(6_001) as i64 - 3_000;
            if outlier {
                value += 15_000;
            }
            if rng.chance(4) {
                value = *rng.pick(&[60_001, -40_501, i64::MIN, i64::MAX, -40_500, 60_000]);
            }
            let body = match rng.below(100) {
                0..=3 => ReportBody::Heartbeat,
                4..=5 => ReportBody::ProbeAnswer {
                    challenge: Hash([3; 32]),
                },
                6..=9 => ReportBody::Reading {
                    value_milli: value,
                    unit: rng
                        .pick(&["kelvin", "celsiu", "celsiuss", "°C"])
                        .to_string(),
                },
                _ => ReportBody::Reading {
                    value_milli: value,
                    unit: "celsius".into(),
                },
            };
            reports.push(sign(Report {
                chain: Hash::ZERO,
                device: id,
                network: "weather".into(),
                epoch: WINDOW.epoch,
                timestamp_ms: ts,
                seq,
                body,
            }));
        }
    }
    (registry(&devices), reports)
}

/// Random sensor parameters (JSON), defaults often left out.
fn random_params(rng: &mut Rng) -> String {
    let mut fields = vec![r#""unit":"celsius""#.to_string()];
    fields.push(format!(
        r#""min":{}"#,
        rng.pick(&["-40.5", "-40", "0", "-1e1", "15.25"])
    ));
    fields.push(format!(
        r#""max":{}"#,
        rng.pick(&["60", "45.5", "6e1", "60.000"])
    ));
    let optional: [(&str, &[&str]); 7] = [
        ("resolution", &["5", "6", "7", "8", "9"]),
        ("density_resolution", &["8", "9", "10", "11", "12", "6"]),
        ("max_age_ms", &["null", "600000", "1800000", "1"]),
        ("expected_readings", &["1", "2", "3", "7"]),
        ("max_stacked", &["0", "1", "2", "4", "100"]),
        ("tolerance_milli", &["0", "500", "1000", "2000"]),
        (
            "max_deviation_milli",
            &["2000", "7000", "10000", "18446744073709551615"],
        ),
    ];
    for (key, values) in optional {
        if rng.chance(50) {
            fields.push(format!(r#""{key}":{}"#, rng.pick(values)));
        }
    }
    if rng.chance(20) {
        fields.push(r#""note":{"a":[1,"}"],"b":null}"#.into());
    }
    format!("{{{}}}", fields.join(","))
}

/// The network's parameters with the module named, as a network holds them.
fn with_module(params: &str) -> WasmFamilyParams {
    let mut v: serde_json::Value = serde_json::from_str(params).unwrap();
    v["module"] = SENSOR.hash().to_string().into();
    WasmFamilyParams::from_json(&v.to_string()).unwrap()
}

fn run(
    module: &Module,
    params: &str,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
) -> Result<wasm::WasmScored, WasmFamilyError> {
    wasm::run(
        module,
        &with_module(params),
        &EpochInput {
            network: "weather",
            window: &WINDOW,
            devices,
            reports,
            probes: &[],
            state: &[],
        },
    )
}

/// A native rejection's code: the snake_case name of its reason.
fn native_code(why: &plinth_proofs::ScoreRejection) -> String {
    serde_json::to_value(why).unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Scores both ways and compares; returns (scores, rejections, fuel).
fn compare(
    module: &Module,
    params: &str,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
) -> (usize, usize, u64) {
    let p: SensorParams = serde_json::from_str(params).unwrap();
    let native = sensor::score(&p, &WINDOW, devices, reports);
    let got = run(module, params, devices, reports).unwrap();
    assert_eq!(got.output.scores, native.scores, "scores, params {params}");
    let codes = |r: &[plinth_proofs::Rejected], custom: bool| -> BTreeMap<Hash, String> {
        r.iter()
            .map(|r| {
                let code = match &r.why {
                    plinth_proofs::ScoreRejection::Custom { code, .. } if custom => code.clone(),
                    why => {
                        assert!(!custom, "{why:?}");
                        native_code(why)
                    }
                };
                (r.report, code)
            })
            .collect()
    };
    assert_eq!(
        codes(&got.output.rejections, true),
        codes(&native.rejections, false),
        "rejections, params {params}"
    );
    assert_eq!(got.output.rejections.len(), native.rejections.len());
    assert!(got.state.is_empty());
    (native.scores.len(), native.rejections.len(), got.fuel_used)
}

#[test]
fn random_epochs_score_as_the_native_family() {
    let module = wasm::load(SENSOR.bytes).unwrap();
    let mut rng = Rng(0x5EED_0001);
    let (mut scored, mut rejected, mut partial) = (0, 0, 0);
    for round in 0..400 {
        let n = 1 + rng.below(if round % 10 == 0 { 300 } else { 40 }) as usize;
        let (devices, reports) = epoch(&mut rng, n, 4);
        let params = random_params(&mut rng);
        let (s, r, _) = compare(&module, &params, &devices, &reports);
        scored += s;
        rejected += r;
        let p: SensorParams = serde_json::from_str(&params).unwrap();
        partial += sensor::score(&p, &WINDOW, &devices, &reports)
            .scores
            .values()
            .filter(|&&v| v != plinth_proofs::SCORE_ONE)
            .count();
    }
    // The epochs exercised something: scores, partial scores, rejections.
    assert!(
        scored > 2_000 && partial > 500 && rejected > 2_000,
        "{scored} {partial} {rejected}"
    );
}

#[test]
fn an_empty_epoch_and_a_lone_sensor() {
    let module = wasm::load(SENSOR.bytes).unwrap();
    let params = r#"{"unit":"celsius","min":-40.5,"max":60}"#;
    let devices = BTreeMap::new();
    let (scored, rejected, _) = compare(&module, params, &devices, &[]);
    assert_eq!((scored, rejected), (0, 0));
    let id = DeviceId(PublicKey([1; 32]));
    let devices = registry(&[(id, cell(20, &[1, 2, 3, 4, 5, 6, 0, 1, 2]), true)]);
    let reports = vec![sign(Report {
        chain: Hash::ZERO,
        device: id,
        network: "weather".into(),
        epoch: 3,
        timestamp_ms: START,
        seq: 1,
        body: ReportBody::Reading {
            value_milli: 20_000,
            unit: "celsius".into(),
        },
    })];
    let out = run(&module, params, &devices, &reports).unwrap();
    assert_eq!(out.output.scores[&id], plinth_proofs::SCORE_ONE);
    compare(&module, params, &devices, &reports);
}

#[test]
fn parameters_the_native_family_refuses_fail_the_epoch_with_code_2() {
    let module = wasm::load(SENSOR.bytes).unwrap();
    let mut rng = Rng(7);
    let (devices, reports) = epoch(&mut rng, 30, 3);
    let cases = [
        // Refused natively.
        r#"{"min":0,"max":1}"#,
        r#"{"unit":"","min":0,"max":1}"#,
        r#"{"unit":"abcdefghijklmnopq","min":0,"max":1}"#,
        r#"{"unit":7,"min":0,"max":1}"#,
        r#"{"unit":"c","max":1}"#,
        r#"{"unit":"c","min":0}"#,
        r#"{"unit":"c","min":2,"max":1}"#,
        r#"{"unit":"c","min":0.0001,"max":1}"#,
        r#"{"unit":"c","min":1e-4,"max":1}"#,
        r#"{"unit":"c","min":"0","max":1}"#,
        r#"{"unit":"c","min":null,"max":1}"#,
        r#"{"unit":"c","min":0,"max":1e30}"#,
        r#"{"unit":"c","min":0,"max":9223372036854775.808}"#,
        r#"{"unit":"c","min":0,"max":1,"resolution":16}"#,
        r#"{"unit":"c","min":0,"max":1,"resolution":256}"#,
        r#"{"unit":"c","min":0,"max":1,"resolution":-1}"#,
        r#"{"unit":"c","min":0,"max":1,"resolution":7.0}"#,
        r#"{"unit":"c","min":0,"max":1,"density_resolution":16}"#,
        r#"{"unit":"c","min":0,"max":1,"tolerance_milli":3,"max_deviation_milli":2}"#,
        r#"{"unit":"c","min":0,"max":1,"tolerance_milli":-1}"#,
        r#"{"unit":"c","min":0,"max":1,"tolerance_milli":null}"#,
        r#"{"unit":"c","min":0,"max":1,"expected_readings":0}"#,
        r#"{"unit":"c","min":0,"max":1,"max_age_ms":0}"#,
        r#"{"unit":"c","min":0,"max":1,"max_age_ms":"1"}"#,
        r#"{"unit":"c","min":0,"max":1,"max_stacked":18446744073709551616}"#,
        // Accepted natively.
        r#"{"unit":"c","min":0,"max":1}"#,
        r#"{"unit":"celsius","min":-0,"max":0.5e2,"max_age_ms":null}"#,
        r#"{"unit":"celsius","min":-40.5,"max":60,"resolution":0,"density_resolution":15}"#,
        r#"{"unit":"celsius","min":-9223372036854775.808,"max":9223372036854775.807}"#,
        r#"{"unit":"celsius","min":-40.5,"max":60,"max_age_ms":18446744073709551615,"expected_readings":18446744073709551615}"#,
        r#"{"unit":"celsius","min":-40.5,"max":60,"tolerance_milli":18446744073709551615,"max_deviation_milli":18446744073709551615}"#,
        r#"{"unit":"celsius","min":-40.5,"max":60,"tolerance_milli":0,"max_deviation_milli":18446744073709551615}"#,
        r#"{"unit":"celsius","min":1.5e1,"max":1500e-2,"extra":[{"unit":"x"}]}"#,
        r#"{"unit":"c\"e\\l\u00b0","min":0,"max":1}"#,
        r#"{"unit":"°C","min":0,"max":1}"#,
    ];
    let mut accepted = 0;
    for params in cases {
        match serde_json::from_str::<SensorParams>(params) {
            Ok(_) => {
                compare(&module, params, &devices, &reports);
                accepted += 1;
            }
            Err(e) => {
                let got = run(&module, params, &devices, &reports).unwrap_err();
                assert_eq!(
                    got,
                    WasmFamilyError::Module(WasmError::TaskFailed(2)),
                    "{params} ({e})"
                );
            }
        }
    }
    assert!(accepted >= 9, "{accepted}");
}

#[test]
fn a_hundred_thousand_devices_score_as_the_native_family() {
    let module = wasm::load(SENSOR.bytes).unwrap();
    let mut rng = Rng(0x100_000);
    let t = Instant::now();
    let (devices, reports) = epoch(&mut rng, 100_000, 3);
    let made = t.elapsed();
    let params =
        r#"{"unit":"celsius","min":-40.5,"max":60,"max_age_ms":3000000,"expected_readings":2}"#;
    let t = Instant::now();
    let (scored, rejected, fuel) = compare(&module, params, &devices, &reports);
    println!(
        "100,000 devices, {} reports: {scored} scored, {rejected} rejected, {fuel} fuel; made in {made:?}, both scored in {:?}",
        reports.len(),
        t.elapsed()
    );
    assert!(scored > 20_000, "{scored}");
}

/// The size the family is designed for: a million devices (about 1.6 million
/// reports) within the default fuel and the 2 GiB memory. Slow in a debug build
/// (the native side mostly): `cargo test -p plinth-families -- --ignored`.
#[test]
#[ignore]
fn a_million_devices_score_as_the_native_family_within_the_default_fuel() {
    let module = wasm::load(SENSOR.bytes).unwrap();
    let mut rng = Rng(0x1_000_000);
    let (devices, reports) = epoch(&mut rng, 1_000_000, 3);
    let params = r#"{"unit":"celsius","min":-40.5,"max":60,"expected_readings":2}"#;
    let t = Instant::now();
    let (scored, rejected, fuel) = compare(&module, params, &devices, &reports);
    println!(
        "1,000,000 devices, {} reports: {scored} scored, {rejected} rejected, {fuel} fuel; both scored in {:?}",
        reports.len(),
        t.elapsed()
    );
    assert!(fuel < wasm::DEFAULT_FUEL / 2, "{fuel}");
}
