//! The vehicles family through the Rust host (`plinth_proofs::wasm`): honest
//! drivers scored, each cheater refused with its code, streak levels over
//! consecutive epochs with the state carried, the state bounded, and the same
//! input giving the same output bytes.

use plinth_core::{Address, DeviceId, EpochWindow, Hash, Keypair};
use plinth_families::vehicles::{
    sign_pairing, streak_level, unpair_body, Fix, Trip, VehiclesState, STREAK_POINTS, TRIP_KIND,
    UNPAIR_KIND, VEHICLES,
};
use plinth_proofs::wasm::{self, EpochInput, WasmFamilyError, WasmFamilyParams, WasmScored};
use plinth_proofs::{DeviceInfo, Report, ReportBody, ScoreRejection, SignedReport};
use std::collections::BTreeMap;

/// One epoch stands for a week.
const WEEK: u64 = 7 * 24 * 3_600_000;
/// Epoch `e` starts at `BASE + e × WEEK`.
const BASE: u64 = 1_700_000_000_000;

fn window(epoch: u64) -> EpochWindow {
    EpochWindow {
        epoch,
        start_ms: BASE + epoch * WEEK,
        end_ms: BASE + (epoch + 1) * WEEK,
    }
}

fn params(extra: &str) -> WasmFamilyParams {
    let sep = if extra.is_empty() { "" } else { "," };
    WasmFamilyParams::from_json(&format!(
        r#"{{"module":"{}"{sep}{extra}}}"#,
        VEHICLES.hash()
    ))
    .unwrap()
}

/// A device: its key and its registry owner's key.
struct Car {
    key: Keypair,
    owner: Keypair,
    vehicle: [u8; 32],
}

impl Car {
    fn new(i: u8) -> Car {
        Car {
            key: Keypair::from_seed([i; 32]),
            owner: Keypair::from_seed([i.wrapping_add(100); 32]),
            vehicle: *Hash::tagged("test/vin", &[i]).as_bytes(),
        }
    }

    fn id(&self) -> [u8; 32] {
        *self.key.public().as_bytes()
    }

    fn device_id(&self) -> DeviceId {
        DeviceId(self.key.public())
    }

    fn info(&self, active: bool) -> DeviceInfo {
        DeviceInfo {
            id: self.device_id(),
            owner: Address(self.owner.public()),
            location: 0x0872_8300_0000_0000,
            active,
        }
    }

    fn pairing(&self, vehicle: &[u8; 32]) -> [u8; 64] {
        sign_pairing(&self.owner, &self.id(), vehicle)
    }

    /// An honest trip of `fixes` fixes in `epoch`, starting `minute` minutes into
    /// it: north at 40 km/h, a fix every 10 s (111 m), odometer from `odo`.
    fn trip(&self, epoch: u64, minute: u64, fixes: u32, odo: u64) -> Trip {
        let start_ms = window(epoch).start_ms + minute * 60_000;
        Trip {
            vehicle: self.vehicle,
            pairing: self.pairing(&self.vehicle),
            trip_id: start_ms,
            start_ms,
            odometer_start_m: odo,
            odometer_end_m: odo + 111 * u64::from(fixes - 1),
            fixes: (0..fixes)
                .map(|i| Fix {
                    offset_ms: i * 10_000,
                    lat: 52_370_000 + 1_000 * i as i32,
                    lng: 4_890_000,
                    speed_dkmh: 400,
                })
                .collect(),
        }
    }

    fn report(&self, epoch: u64, seq: u64, body: ReportBody) -> SignedReport {
        Report {
            chain: Hash::ZERO,
            device: self.device_id(),
            network: "cars".into(),
            epoch,
            // after any trip of the epoch's first days
            timestamp_ms: window(epoch).start_ms + 3 * 24 * 3_600_000 + seq,
            seq,
            body,
        }
        .sign(&self.key)
    }

    fn send(&self, epoch: u64, seq: u64, trip: &Trip) -> SignedReport {
        self.report(
            epoch,
            seq,
            ReportBody::Custom {
                kind: TRIP_KIND.into(),
                data: trip.encode(),
            },
        )
    }
}

fn registry<'a>(cars: impl IntoIterator<Item = &'a Car>) -> BTreeMap<DeviceId, DeviceInfo> {
    cars.into_iter()
        .map(|c| (c.device_id(), c.info(true)))
        .collect()
}

fn run_with(
    p: &WasmFamilyParams,
    epoch: u64,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    state: &[u8],
) -> Result<WasmScored, WasmFamilyError> {
    let module = wasm::load(VEHICLES.bytes).expect("the vehicles module loads");
    wasm::run(
        &module,
        p,
        &EpochInput {
            network: "cars",
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
    run_with(&params(""), epoch, devices, reports, state).expect("the epoch scores")
}

fn score(out: &WasmScored, car: &Car) -> Option<u64> {
    out.output.scores.get(&car.device_id()).copied()
}

/// The code each rejected report got.
fn codes(out: &WasmScored) -> BTreeMap<Hash, String> {
    out.output
        .rejections
        .iter()
        .map(|r| match &r.why {
            ScoreRejection::Custom { code, .. } => (r.report, code.clone()),
            other => panic!("not a custom rejection: {other:?}"),
        })
        .collect()
}

fn code_of(out: &WasmScored, report: &SignedReport) -> Option<String> {
    codes(out).get(&report.hash()).cloned()
}

fn state(out: &WasmScored) -> VehiclesState {
    VehiclesState::decode(&out.state).expect("the state decodes")
}

#[test]
fn honest_drivers_are_scored_for_their_fixes_up_to_the_caps() {
    let cars: Vec<Car> = (1..=3).map(Car::new).collect();
    let devices = registry(&cars);
    let reports = vec![
        // 50 + 50 fixes: 1,000 quality points
        cars[0].send(1, 1, &cars[0].trip(1, 0, 50, 1_000)),
        cars[0].send(1, 2, &cars[0].trip(1, 60, 50, 10_000)),
        // 150 fixes, 100 counted
        cars[1].send(1, 1, &cars[1].trip(1, 0, 150, 0)),
        // three trips of 100: capped at 2,000
        cars[2].send(1, 1, &cars[2].trip(1, 0, 100, 0)),
        cars[2].send(1, 2, &cars[2].trip(1, 30, 100, 20_000)),
        cars[2].send(1, 3, &cars[2].trip(1, 60, 100, 40_000)),
    ];
    let out = run(1, &devices, &reports, &[]);
    assert!(out.output.rejections.is_empty(), "{:?}", out.output);
    // first connected epoch: streak 1, level 0, no streak points
    assert_eq!(score(&out, &cars[0]), Some(1_000));
    assert_eq!(score(&out, &cars[1]), Some(1_000));
    assert_eq!(score(&out, &cars[2]), Some(2_000));
    let s = state(&out);
    assert_eq!(s.epoch, 1);
    assert_eq!(s.vehicles.len(), 3);
    let v = s.vehicle(&cars[0].vehicle).unwrap();
    assert_eq!((v.device, v.streak, v.last_epoch), (cars[0].id(), 1, 1));
    assert_eq!(v.odometer_m, 10_000 + 111 * 49);
    assert_eq!(v.last_trip, window(1).start_ms + 3_600_000);

    // The family's own parameters change the points.
    let out = run_with(
        &params(r#""points_per_fix":1,"quality_cap":70"#),
        1,
        &devices,
        &reports,
        &[],
    )
    .unwrap();
    assert_eq!(score(&out, &cars[0]), Some(70));
    assert_eq!(score(&out, &cars[1]), Some(70));
}

#[test]
fn every_cheater_is_refused_with_its_code_and_honest_drivers_still_scored() {
    let cars: Vec<Car> = (1..=12).map(Car::new).collect();
    let mut devices = registry(&cars);
    devices.insert(cars[11].device_id(), cars[11].info(false));
    let mut reports = Vec::new();
    let mut expect: Vec<(SignedReport, &str)> = Vec::new();

    // 0: honest
    let honest = cars[0].send(1, 1, &cars[0].trip(1, 0, 20, 0));
    reports.push(honest.clone());

    // 1: a GPS spoofer teleports 50 km between two fixes 10 s apart
    let mut t = cars[1].trip(1, 0, 20, 0);
    for f in &mut t.fixes[10..] {
        f.lat += 450_000;
    }
    expect.push((cars[1].send(1, 1, &t), "teleport"));

    // 2: a speed above max_speed_kmh (300 km/h)
    let mut t = cars[2].trip(1, 0, 20, 0);
    t.fixes[5].speed_dkmh = 3_000;
    expect.push((cars[2].send(1, 1, &t), "over_speed"));

    // 3: the odometer going back within the trip
    let mut t = cars[3].trip(1, 0, 20, 5_000);
    t.odometer_end_m = 4_999;
    expect.push((cars[3].send(1, 1, &t), "odometer_back"));

    // 4: the same trip twice in the epoch: the first counts
    let t = cars[4].trip(1, 0, 20, 0);
    let first = cars[4].send(1, 1, &t);
    reports.push(first.clone());
    expect.push((cars[4].send(1, 2, &t), "replayed_trip"));

    // 5: an emulator without a paired vehicle: a pairing signed by the device key
    // itself, and one of zeroes
    let mut t = cars[5].trip(1, 0, 20, 0);
    t.pairing = sign_pairing(&cars[5].key, &cars[5].id(), &cars[5].vehicle);
    expect.push((cars[5].send(1, 1, &t), "not_paired"));
    let mut t = cars[5].trip(1, 30, 20, 0);
    t.pairing = [0; 64];
    expect.push((cars[5].send(1, 2, &t), "not_paired"));

    // 6: a pairing copied from another device (car 0's, for car 0's vehicle)
    let mut t = cars[0].trip(1, 0, 20, 0);
    t.trip_id += 1;
    expect.push((cars[6].send(1, 1, &t), "not_paired"));

    // 7 and 8: one (new) vehicle on two devices, both validly paired: neither counts
    let shared = *Hash::tagged("test/vin", b"shared").as_bytes();
    for (c, minute) in [(&cars[7], 0), (&cars[8], 90)] {
        let mut t = c.trip(1, minute, 20, 0);
        t.vehicle = shared;
        t.pairing = c.pairing(&shared);
        expect.push((c.send(1, 1, &t), "vehicle_conflict"));
    }

    // 9: one device, two vehicles: the first counts
    let t = cars[9].trip(1, 0, 20, 0);
    let first_vehicle = cars[9].send(1, 1, &t);
    reports.push(first_vehicle.clone());
    let mut t = cars[9].trip(1, 60, 20, 0);
    t.vehicle = [9; 32];
    t.pairing = cars[9].pairing(&[9; 32]);
    expect.push((cars[9].send(1, 2, &t), "multiple_vehicles"));

    // 10: not a trip, a malformed trip, a trip of one fix, a trip of another epoch
    expect.push((cars[10].report(1, 1, ReportBody::Heartbeat), "not_a_trip"));
    expect.push((
        cars[10].report(
            1,
            2,
            ReportBody::Custom {
                kind: "drive".into(),
                data: cars[10].trip(1, 0, 20, 0).encode(),
            },
        ),
        "not_a_trip",
    ));
    let mut data = cars[10].trip(1, 0, 20, 0).encode();
    data.pop();
    expect.push((
        cars[10].report(
            1,
            3,
            ReportBody::Custom {
                kind: TRIP_KIND.into(),
                data,
            },
        ),
        "malformed",
    ));
    expect.push((cars[10].send(1, 4, &cars[10].trip(1, 0, 1, 0)), "malformed"));
    let mut t = cars[10].trip(1, 0, 20, 0);
    t.fixes[3].offset_ms = t.fixes[2].offset_ms;
    expect.push((cars[10].send(1, 5, &t), "malformed"));
    let mut t = cars[10].trip(1, 0, 20, 0);
    t.fixes[3].lat = 90_000_001;
    expect.push((cars[10].send(1, 6, &t), "malformed"));
    expect.push((
        cars[10].send(1, 7, &cars[10].trip(0, 0, 20, 0)),
        "out_of_window",
    ));
    // a trip that ends after the report was made
    expect.push((
        cars[10].send(1, 8, &cars[10].trip(1, 5 * 24 * 60, 20, 0)),
        "out_of_window",
    ));

    // 11: an inactive device
    expect.push((
        cars[11].send(1, 1, &cars[11].trip(1, 0, 20, 0)),
        "inactive_device",
    ));

    reports.extend(expect.iter().map(|(r, _)| r.clone()));
    let out = run(1, &devices, &reports, &[]);
    let got = codes(&out);
    for (r, code) in &expect {
        assert_eq!(
            got.get(&r.hash()).map(String::as_str),
            Some(*code),
            "report of device {}",
            r.report.device
        );
    }
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for r in [&honest, &first, &first_vehicle] {
        assert!(!got.contains_key(&r.hash()));
    }
    // each rejection says why
    for r in &out.output.rejections {
        let ScoreRejection::Custom { detail, .. } = &r.why else {
            unreachable!()
        };
        assert!(!detail.is_empty(), "{r:?}");
    }
    let scored: Vec<DeviceId> = out.output.scores.keys().copied().collect();
    let mut want = vec![
        cars[0].device_id(),
        cars[4].device_id(),
        cars[9].device_id(),
    ];
    want.sort();
    assert_eq!(scored, want);
    assert_eq!(score(&out, &cars[4]), Some(200));
    // nothing of a refused trip reaches the state
    let s = state(&out);
    assert_eq!(s.vehicles.len(), 3);
    assert!(s.vehicle(&shared).is_none());
}

#[test]
fn a_lower_speed_limit_refuses_what_the_default_allows() {
    let car = Car::new(1);
    let devices = registry([&car]);
    // 40 km/h fixes, 111 m in 10 s
    let r = car.send(1, 1, &car.trip(1, 0, 20, 0));
    let out = run(1, &devices, std::slice::from_ref(&r), &[]);
    assert!(out.output.rejections.is_empty());
    let out = run_with(
        &params(r#""max_speed_kmh":30"#),
        1,
        &devices,
        std::slice::from_ref(&r),
        &[],
    )
    .unwrap();
    assert_eq!(code_of(&out, &r).as_deref(), Some("over_speed"));
    // speeds within the limit but fixes too far apart: 111 m in 10 s at most
    // 30 km/h (83 m) plus 20 m of slack
    let mut t = car.trip(1, 0, 20, 0);
    for f in &mut t.fixes {
        f.speed_dkmh = 250;
    }
    let r = car.send(1, 1, &t);
    let p = params(r#""gps_slack_m":20,"max_speed_kmh":30"#);
    let out = run_with(&p, 1, &devices, std::slice::from_ref(&r), &[]).unwrap();
    assert_eq!(code_of(&out, &r).as_deref(), Some("teleport"));
    let p = params(r#""gps_slack_m":40,"max_speed_kmh":30"#);
    let out = run_with(&p, 1, &devices, std::slice::from_ref(&r), &[]).unwrap();
    assert!(out.output.rejections.is_empty());
}

#[test]
fn odometers_trip_ids_and_pairings_hold_across_epochs_through_the_state() {
    let a = Car::new(1);
    let b = Car::new(2);
    let devices = registry([&a, &b]);
    let e1 = run(1, &devices, &[a.send(1, 1, &a.trip(1, 0, 20, 10_000))], &[]);
    assert_eq!(state(&e1).vehicle(&a.vehicle).unwrap().odometer_m, 12_109);

    // epoch 2: the odometer below the last known, a trip id already counted
    let back = a.send(2, 2, &a.trip(2, 0, 20, 12_000));
    let mut t = a.trip(2, 30, 20, 13_000);
    t.trip_id = window(1).start_ms;
    let replay = a.send(2, 3, &t);
    // b claims a's vehicle (validly signed by b's owner) while a still reports it
    let mut t = b.trip(2, 0, 20, 20_000);
    t.vehicle = a.vehicle;
    t.pairing = b.pairing(&a.vehicle);
    let thief = b.send(2, 1, &t);
    let good = a.send(2, 4, &a.trip(2, 60, 20, 12_200));
    let out = run(
        2,
        &devices,
        &[back.clone(), replay.clone(), thief.clone(), good],
        &e1.state,
    );
    assert_eq!(code_of(&out, &back).as_deref(), Some("odometer_back"));
    assert_eq!(code_of(&out, &replay).as_deref(), Some("replayed_trip"));
    assert_eq!(code_of(&out, &thief).as_deref(), Some("vehicle_conflict"));
    assert_eq!(out.output.rejections.len(), 3);
    assert_eq!(score(&out, &a), Some(200));
    assert_eq!(score(&out, &b), None);
    let v = *state(&out).vehicle(&a.vehicle).unwrap();
    assert_eq!(
        (v.device, v.streak, v.odometer_m),
        (a.id(), 2, 12_200 + 2_109)
    );

    // epoch 3: a is gone; b alone takes the vehicle (re-pairing): the streak
    // restarts, the vehicle's odometer and trip ids still hold
    let mut t = b.trip(3, 0, 20, 14_000);
    t.vehicle = a.vehicle;
    t.pairing = b.pairing(&a.vehicle);
    let back = b.send(3, 1, &t);
    let mut t = b.trip(3, 30, 20, 14_309);
    t.vehicle = a.vehicle;
    t.pairing = b.pairing(&a.vehicle);
    let ok = b.send(3, 2, &t);
    let out = run(3, &devices, &[back.clone(), ok], &out.state);
    assert_eq!(code_of(&out, &back).as_deref(), Some("odometer_back"));
    assert_eq!(score(&out, &b), Some(200));
    let v = *state(&out).vehicle(&a.vehicle).unwrap();
    assert_eq!((v.device, v.streak), (b.id(), 1));

    // The incumbent rule needs a state: without one, the same two claims refuse both.
    let mut t = b.trip(2, 0, 20, 20_000);
    t.vehicle = a.vehicle;
    t.pairing = b.pairing(&a.vehicle);
    let thief = b.send(2, 1, &t);
    let honest = a.send(2, 4, &a.trip(2, 60, 20, 12_200));
    let out = run(2, &devices, &[thief.clone(), honest.clone()], &[]);
    assert_eq!(code_of(&out, &thief).as_deref(), Some("vehicle_conflict"));
    assert_eq!(code_of(&out, &honest).as_deref(), Some("vehicle_conflict"));
    assert!(out.output.scores.is_empty());
}

impl Car {
    /// An unpair report of this device from `vehicle`, signed by its owner for
    /// `signed_for` (the report's epoch, unless a replay is wanted).
    fn unpair(&self, epoch: u64, seq: u64, vehicle: &[u8; 32], signed_for: u64) -> SignedReport {
        self.report(
            epoch,
            seq,
            ReportBody::Custom {
                kind: UNPAIR_KIND.into(),
                data: unpair_body(&self.owner, &self.id(), vehicle, signed_for),
            },
        )
    }

    /// An honest trip with another vehicle, paired by this device's owner.
    fn trip_with(&self, vehicle: [u8; 32], epoch: u64, minute: u64, odo: u64) -> Trip {
        let mut t = self.trip(epoch, minute, 20, odo);
        t.vehicle = vehicle;
        t.pairing = self.pairing(&vehicle);
        t
    }
}

#[test]
fn unpairing_releases_the_vehicle_and_a_device_moves_to_another_after_its_cooldown() {
    let a = Car::new(1);
    let b = Car::new(2);
    let devices = registry([&a, &b]);
    let other = *Hash::tagged("test/vin", b"second car").as_bytes();
    let e1 = run(1, &devices, &[a.send(1, 1, &a.trip(1, 0, 20, 10_000))], &[]);

    // Epoch 2: a's owner unpairs it; a replayed (epoch 1) unpairing, one by a
    // device that holds nothing and a short one are refused; b takes the released
    // vehicle at once; a's trips with another car wait out the cooldown.
    let unpair = a.unpair(2, 1, &a.vehicle, 2);
    let replayed = a.unpair(2, 2, &a.vehicle, 1);
    let not_holder = b.unpair(2, 1, &b.vehicle, 2);
    let mut short = b.unpair(2, 2, &b.vehicle, 2);
    if let ReportBody::Custom { data, .. } = &mut short.report.body {
        data.pop();
    }
    let short = b.report(2, 2, short.report.body);
    let moved = a.send(2, 3, &a.trip_with(other, 2, 10, 0));
    let takes = b.send(2, 3, &b.trip_with(a.vehicle, 2, 20, 12_200));
    let reports = [
        unpair.clone(),
        replayed.clone(),
        not_holder.clone(),
        short.clone(),
        moved.clone(),
        takes.clone(),
    ];
    let e2 = run(2, &devices, &reports, &e1.state);
    assert_eq!(code_of(&e2, &unpair), None, "{:?}", e2.output);
    assert_eq!(code_of(&e2, &replayed).as_deref(), Some("not_paired"));
    assert_eq!(code_of(&e2, &not_holder).as_deref(), Some("not_holder"));
    assert_eq!(code_of(&e2, &short).as_deref(), Some("malformed"));
    assert_eq!(code_of(&e2, &moved).as_deref(), Some("pairing_cooldown"));
    assert_eq!(code_of(&e2, &takes), None);
    assert_eq!(score(&e2, &a), None);
    assert_eq!(score(&e2, &b), Some(200));
    let v = *state(&e2).vehicle(&a.vehicle).unwrap();
    assert_eq!((v.device, v.streak, v.last_epoch), (b.id(), 1, 2));

    // Without the cooldown, a would have moved at once.
    let no_cooldown = run_with(
        &params(r#""repair_cooldown":0"#),
        2,
        &devices,
        &reports,
        &e1.state,
    )
    .unwrap();
    assert_eq!(code_of(&no_cooldown, &moved), None);
    assert_eq!(score(&no_cooldown, &a), Some(200));

    // Unpaired, a vehicle whose device stays silent has no holder: a second
    // claimant next epoch takes it (no vehicle_conflict with the unpaired one).
    let e2b = run(2, &devices, &[a.unpair(2, 1, &a.vehicle, 2)], &e1.state);
    assert!(e2b.output.rejections.is_empty());
    let v = *state(&e2b).vehicle(&a.vehicle).unwrap();
    assert_eq!((v.device, v.streak, v.odometer_m), (a.id(), 0, 12_109));
    let e3 = run(
        3,
        &devices,
        &[b.send(3, 1, &b.trip_with(a.vehicle, 3, 0, 12_109))],
        &e2b.state,
    );
    assert_eq!(score(&e3, &b), Some(200));
    // An odometer below the vehicle's last one is still refused after unpairing.
    let e3 = run(
        3,
        &devices,
        &[b.send(3, 1, &b.trip_with(a.vehicle, 3, 0, 100))],
        &e2b.state,
    );
    assert!(e3.output.scores.is_empty());

    // The cooldown runs from a's last connected epoch (1), unpaired or not,
    // while the state names a for that vehicle: epoch 3 is in it (2 epochs),
    // epoch 4 is not.
    let e3 = run(
        3,
        &devices,
        &[a.send(3, 1, &a.trip_with(other, 3, 0, 0))],
        &e2b.state,
    );
    assert_eq!(e3.output.rejections.len(), 1);
    assert_eq!(e3.output.rejections[0].device, a.device_id());
    let e4 = run(
        4,
        &devices,
        &[a.send(4, 1, &a.trip_with(other, 4, 0, 0))],
        &e3.state,
    );
    assert!(e4.output.rejections.is_empty(), "{:?}", e4.output);
    assert_eq!(score(&e4, &a), Some(200));
    let v = *state(&e4).vehicle(&other).unwrap();
    assert_eq!((v.device, v.streak), (a.id(), 1));
}

/// The streak the README's rules give after a history of connected epochs.
fn model_streak(connected: &[u64]) -> u32 {
    const FIRST: [u32; 4] = [0, 4, 21, 36];
    let mut streak = 0u32;
    let mut last: Option<u64> = None;
    for &e in connected {
        if let Some(l) = last {
            let drops = (e - l - 1) / 3;
            if drops > 0 {
                let level = streak_level(streak).saturating_sub(drops as usize);
                streak = FIRST[level];
            }
        }
        streak += 1;
        last = Some(e);
    }
    streak
}

#[test]
fn streak_levels_grow_over_consecutive_epochs_and_fall_every_third_missed_one() {
    let car = Car::new(1);
    let devices = registry([&car]);
    let mut state_bytes = Vec::new();
    let mut connected = Vec::new();
    let mut odo = 0;
    let mut seen = Vec::new();
    // connected 1..=40, missed 41..=43 and 45..=50, connected 44 and 51, 52
    let epochs: Vec<u64> = (1..=40).chain([44, 51, 52]).collect();
    for e in epochs {
        let trip = car.trip(e, 0, 2, odo);
        odo = trip.odometer_end_m;
        let out = run(e, &devices, &[car.send(e, e, &trip)], &state_bytes);
        connected.push(e);
        let streak = model_streak(&connected);
        let level = streak_level(streak);
        // 2 fixes: 20 quality points
        assert_eq!(
            score(&out, &car),
            Some(STREAK_POINTS[level] + 20),
            "epoch {e}"
        );
        assert_eq!(
            state(&out).vehicle(&car.vehicle).unwrap().streak,
            streak,
            "epoch {e}"
        );
        seen.push((e, streak, level));
        state_bytes = out.state;
    }
    let at = |e: u64| seen.iter().find(|s| s.0 == e).map(|s| (s.1, s.2)).unwrap();
    // DIMO's levels: 0, 1,000, 2,000, 3,000 points at 0, 4, 21, 36 connected epochs
    assert_eq!(at(3), (3, 0));
    assert_eq!(at(4), (4, 1));
    assert_eq!(at(20), (20, 1));
    assert_eq!(at(21), (21, 2));
    assert_eq!(at(35), (35, 2));
    assert_eq!(at(36), (36, 3));
    assert_eq!(at(40), (40, 3));
    // three missed (41..=43): one level lost, the streak at the start of level 2
    assert_eq!(at(44), (22, 2));
    // six missed (45..=50): two levels lost
    assert_eq!(at(51), (1, 0));
    assert_eq!(at(52), (2, 0));

    // one or two missed epochs pause the streak
    assert_eq!(model_streak(&[1, 2, 3, 5]), 4);
    assert_eq!(model_streak(&[1, 2, 3, 6]), 4);
    assert_eq!(model_streak(&[1, 2, 3, 7]), 1);
}

#[test]
fn the_state_forgets_vehicles_not_seen_for_forget_after_epochs() {
    let a = Car::new(1);
    let b = Car::new(2);
    let devices = registry([&a, &b]);
    let p = params(r#""forget_after":3"#);
    let out = run_with(&p, 1, &devices, &[a.send(1, 1, &a.trip(1, 0, 5, 0))], &[]).unwrap();
    let mut st = out.state;
    for e in 2..=4 {
        let trip = b.trip(e, 0, 5, e * 1_000);
        let out = run_with(&p, e, &devices, &[b.send(e, e, &trip)], &st).unwrap();
        let s = state(&out);
        assert_eq!(s.epoch, e);
        // a's vehicle is kept while e − 1 < 3
        assert_eq!(s.vehicle(&a.vehicle).is_some(), e - 1 < 3, "epoch {e}");
        assert!(s.vehicle(&b.vehicle).is_some());
        st = out.state;
    }
    // forgotten: an odometer below the old one counts again
    let out = run_with(&p, 5, &devices, &[a.send(5, 1, &a.trip(5, 0, 5, 0))], &st).unwrap();
    assert_eq!(score(&out, &a), Some(50));
    assert_eq!(state(&out).vehicle(&a.vehicle).unwrap().streak, 1);
}

#[test]
fn a_state_or_parameters_that_do_not_decode_fail_the_epoch() {
    let car = Car::new(1);
    let devices = registry([&car]);
    let reports = [car.send(1, 1, &car.trip(1, 0, 5, 0))];
    let good = run(1, &devices, &reports, &[]).state;
    let mut cut = good.clone();
    cut.pop();
    for bad in [vec![1], cut, [&[2, 0, 0, 0][..], &good[4..]].concat()] {
        let e = run_with(&params(""), 2, &devices, &reports, &bad).unwrap_err();
        assert_eq!(e.code(), "task_failed:4", "{bad:?}");
    }
    for bad in [
        r#""max_speed_kmh":0"#,
        r#""max_speed_kmh":"fast""#,
        r#""fixes_per_trip_cap":241"#,
        r#""forget_after":-1"#,
    ] {
        let e = run_with(&params(bad), 1, &devices, &reports, &[]).unwrap_err();
        assert_eq!(e.code(), "task_failed:2", "{bad}");
    }
}

#[test]
fn the_same_input_gives_the_same_output_bytes() {
    let cars: Vec<Car> = (1..=4).map(Car::new).collect();
    let devices = registry(&cars);
    let mut t = cars[3].trip(1, 0, 30, 0);
    t.fixes[7].lat += 900_000;
    let reports = vec![
        cars[0].send(1, 1, &cars[0].trip(1, 0, 200, 0)),
        cars[1].send(1, 1, &cars[1].trip(1, 0, 30, 0)),
        cars[1].send(1, 2, &cars[1].trip(1, 0, 30, 0)),
        cars[2].send(1, 1, &cars[2].trip(1, 10, 240, 0)),
        cars[3].send(1, 1, &t),
    ];
    let first = run(1, &devices, &reports, &[]);
    let p = params("");
    let module = wasm::load(VEHICLES.bytes).unwrap();
    let mut outputs = Vec::new();
    for order in [reports.clone(), reports.iter().rev().cloned().collect()] {
        let w = window(1);
        let (input, _) = wasm::encode_input(
            &p,
            &EpochInput {
                network: "cars",
                window: &w,
                devices: &devices,
                reports: &order,
                probes: &[],
                state: &[],
            },
        );
        let out = module
            .call(wasm::SCORE_ENTRY, &input, 1, p.fuel)
            .expect("runs");
        outputs.push((out.output, out.fuel_used));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(!outputs[0].0.is_empty());
    assert_eq!(first, run(1, &devices, &reports, &[]));
}

#[test]
fn the_state_stays_under_16_mib_dropping_the_vehicles_connected_longest_ago() {
    const MAX: u32 = 180_000;
    // a full state: vehicle i last connected in epoch 10 + i % 7
    let mut bytes = 1u32.to_le_bytes().to_vec();
    bytes.extend(20u64.to_le_bytes());
    bytes.extend(MAX.to_le_bytes());
    for i in 0..MAX {
        let mut vehicle = [0xff; 32];
        vehicle[..4].copy_from_slice(&i.to_be_bytes());
        bytes.extend(vehicle);
        bytes.extend([1; 32]);
        bytes.extend((10 + u64::from(i % 7)).to_le_bytes());
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(5u64.to_le_bytes());
        bytes.extend(100u64.to_le_bytes());
    }
    let car = Car::new(1);
    let devices = registry([&car]);
    let out = run(
        21,
        &devices,
        &[car.send(21, 1, &car.trip(21, 0, 2, 0))],
        &bytes,
    );
    assert_eq!(score(&out, &car), Some(20));
    assert!(out.state.len() <= wasm::MAX_STATE_BYTES);
    let s = state(&out);
    assert_eq!(s.vehicles.len(), MAX as usize);
    assert!(s.vehicle(&car.vehicle).is_some());
    // one entry of the oldest epoch (10) went: the one with the highest id
    let oldest: Vec<&_> = s.vehicles.iter().filter(|v| v.last_epoch == 10).collect();
    assert_eq!(oldest.len(), (MAX as usize).div_ceil(7) - 1);
    let mut gone = [0xff; 32];
    gone[..4].copy_from_slice(&(MAX - 1 - (MAX - 1) % 7).to_be_bytes());
    assert!(s.vehicle(&gone).is_none());
    // one entry more than that is not a state
    bytes[12..16].copy_from_slice(&(MAX + 1).to_le_bytes());
    bytes.extend(&bytes[16..16 + 92].to_vec());
    let e = run_with(&params(""), 21, &devices, &[], &bytes).unwrap_err();
    assert_eq!(e.code(), "task_failed:4");
}

#[test]
fn a_full_trip_costs_under_a_million_fuel() {
    // 240 fixes: ~0.8 M fuel (the pairing check 21,000, each fix ~3,200), so the
    // default 50 G fuel scores some 60,000 full trips an epoch
    let car = Car::new(1);
    let devices = registry([&car]);
    let out = run(1, &devices, &[car.send(1, 1, &car.trip(1, 0, 240, 0))], &[]);
    assert_eq!(score(&out, &car), Some(1_000));
    assert!(out.fuel_used < 1_000_000, "{}", out.fuel_used);
}
