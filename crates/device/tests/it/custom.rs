//! The fleet's vehicles and dashcams against the shipped WebAssembly families
//! (`plinth_families::{vehicles, mapping}`), run by the same host the oracle
//! uses: over four 30 s epochs of rounds every 5 s, honest devices are scored,
//! and each cheat of these families is refused with its code and earns nothing
//! from the second epoch on.

use plinth_core::{Address, DeviceId, EpochClock, Keypair};
use plinth_device::custom::Custom;
use plinth_device::fleet::{self, FleetConfig, FleetNetwork, SimDevice, Strategy};
use plinth_families::{mapping::MAPPING, vehicles::VEHICLES, Shipped};
use plinth_proofs::wasm::{self, EpochInput, WasmFamilyParams};
use plinth_proofs::{DeviceInfo, ScoreRejection, SignedReport};
use std::collections::{BTreeMap, BTreeSet};

const EPOCH_MS: u64 = 30_000;
const INTERVAL_MS: u64 = 5_000;
const GENESIS_MS: u64 = 1_800_000_000_000;
const EPOCHS: u64 = 4;

fn params(m: &Shipped, extra: &str) -> serde_json::Value {
    serde_json::from_str(&format!(
        r#"{{"module":"{}"{extra}}}"#,
        plinth_ledger::compute_types::module_hash(m.bytes)
    ))
    .unwrap()
}

struct Run {
    devices: Vec<SimDevice>,
    owners: Vec<Keypair>,
    /// Per network and epoch, the reports sent.
    sent: BTreeMap<(String, u64), Vec<SignedReport>>,
}

/// A fleet of `count` devices over both networks (a fifth cheating), paired
/// with its owners, played round by round over [`EPOCHS`] epochs.
fn play(count: usize) -> Run {
    let networks = vec![
        FleetNetwork::from_listing("cars", "wasm", &params(&VEHICLES, "")).unwrap(),
        FleetNetwork::from_listing("dashcams", "wasm", &params(&MAPPING, r#","resolution":9"#))
            .unwrap(),
    ];
    assert_eq!(networks[0].custom, Some(Custom::Vehicles));
    assert_eq!(networks[1].custom, Some(Custom::Mapping { resolution: 9 }));
    let cfg = FleetConfig {
        count,
        cheaters_bps: 2_000,
        networks,
        center: (52.52, 13.405),
        spread_deg: 0.03,
        seed: 11,
        chain: plinth_core::Hash::ZERO,
    };
    let mut devices = fleet::build(&cfg);
    let owners: Vec<Keypair> = (0..5u8).map(|i| Keypair::from_seed([i + 1; 32])).collect();
    let owner_of: BTreeMap<DeviceId, Keypair> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                d.id(),
                owners[fleet::owner_index(i, 2, owners.len())].clone(),
            )
        })
        .collect();
    fleet::pair_vehicles(&mut devices, |id| owner_of.get(id).cloned());
    let clock = EpochClock {
        genesis_time_ms: GENESIS_MS,
        epoch_ms: EPOCH_MS,
    };
    let mut sent: BTreeMap<(String, u64), Vec<SignedReport>> = BTreeMap::new();
    // Rounds a little after each 5 s mark, as a fleet started mid-second plays.
    let mut now = GENESIS_MS + 1_234;
    while now < GENESIS_MS + EPOCHS * EPOCH_MS {
        for r in fleet::custom_round(&mut devices, &clock, now, INTERVAL_MS) {
            let key = (r.report.network.clone(), r.report.epoch);
            sent.entry(key).or_default().push(r);
        }
        now += INTERVAL_MS;
    }
    Run {
        devices,
        owners,
        sent,
    }
}

/// The cheats the oracle's admission stops before any family sees them.
fn admitted(s: Strategy) -> bool {
    !matches!(
        s,
        Strategy::Replay | Strategy::ForgedTimestamp | Strategy::WrongKey
    )
}

/// Per epoch: the scores of the network's devices and the codes of the
/// refused reports by strategy.
type Epochs = Vec<(
    BTreeMap<DeviceId, u64>,
    BTreeMap<Strategy, BTreeSet<String>>,
)>;

fn score(run: &Run, network: &str, module: &Shipped, extra: &str) -> Epochs {
    let clock = EpochClock {
        genesis_time_ms: GENESIS_MS,
        epoch_ms: EPOCH_MS,
    };
    let strategy: BTreeMap<DeviceId, Strategy> =
        run.devices.iter().map(|d| (d.id(), d.strategy)).collect();
    let registry: BTreeMap<DeviceId, DeviceInfo> = run
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.device.network == network)
        .map(|(i, d)| {
            let owner = &run.owners[fleet::owner_index(i, 2, run.owners.len())];
            (
                d.id(),
                DeviceInfo {
                    id: d.id(),
                    owner: Address(owner.public()),
                    location: d.cell,
                    active: true,
                },
            )
        })
        .collect();
    let p = WasmFamilyParams::from_json(&params(module, extra).to_string()).unwrap();
    let loaded = wasm::load(module.bytes).unwrap();
    let mut state = Vec::new();
    let mut out = Vec::new();
    for epoch in 0..EPOCHS {
        let reports: Vec<SignedReport> = run
            .sent
            .get(&(network.to_string(), epoch))
            .into_iter()
            .flatten()
            .filter(|r| admitted(strategy[&r.report.device]))
            .cloned()
            .collect();
        let scored = wasm::run(
            &loaded,
            &p,
            &EpochInput {
                network,
                window: &clock.window(epoch),
                devices: &registry,
                reports: &reports,
                probes: &[],
                state: &state,
            },
        )
        .unwrap_or_else(|e| panic!("{network} epoch {epoch}: {e}"));
        state = scored.state.clone();
        let device_of: BTreeMap<_, _> = reports
            .iter()
            .map(|r| (r.hash(), r.report.device))
            .collect();
        let mut codes: BTreeMap<Strategy, BTreeSet<String>> = BTreeMap::new();
        for r in &scored.output.rejections {
            let ScoreRejection::Custom { code, .. } = &r.why else {
                panic!("not a custom rejection: {:?}", r.why);
            };
            codes
                .entry(strategy[&device_of[&r.report]])
                .or_default()
                .insert(code.clone());
        }
        out.push((scored.output.scores.clone(), codes));
    }
    out
}

fn of(run: &Run, network: &str, s: Strategy) -> Vec<DeviceId> {
    run.devices
        .iter()
        .filter(|d| d.device.network == network && d.strategy == s)
        .map(|d| d.id())
        .collect()
}

#[test]
fn honest_cars_earn_and_every_vehicle_cheat_is_refused_from_the_second_epoch() {
    let run = play(100);
    let epochs = score(&run, "cars", &VEHICLES, "");
    let honest = of(&run, "cars", Strategy::Honest);
    assert!(honest.len() >= 35, "{} honest cars", honest.len());
    for (epoch, (scores, codes)) in epochs.iter().enumerate() {
        for d in &honest {
            assert!(
                scores.get(d).is_some_and(|s| *s > 0),
                "epoch {epoch}: honest car {d} unpaid"
            );
        }
        assert!(
            !codes.contains_key(&Strategy::Honest),
            "epoch {epoch}: {codes:?}"
        );
        for s in [Strategy::Teleporter, Strategy::Emulator] {
            assert!(!of(&run, "cars", s).is_empty(), "no {s:?} in the fleet");
            for d in of(&run, "cars", s) {
                assert_eq!(scores.get(&d), None, "epoch {epoch}: {s:?} paid");
            }
        }
        assert_eq!(
            codes[&Strategy::Teleporter],
            BTreeSet::from(["teleport".to_string()])
        );
        assert_eq!(
            codes[&Strategy::Emulator],
            BTreeSet::from(["not_paired".to_string()])
        );
        // A trip replayer's first trip is a real one; every copy is refused.
        let replays = &codes[&Strategy::TripReplay];
        assert!(
            replays
                .iter()
                .all(|c| c == "replayed_trip" || c == "out_of_window"),
            "epoch {epoch}: {replays:?}"
        );
        if epoch >= 1 {
            for d in of(&run, "cars", Strategy::TripReplay) {
                assert_eq!(scores.get(&d), None, "epoch {epoch}: a trip replayer paid");
            }
        }
    }
    // Streaks grow: the fourth connected epoch reaches level 1 (1,000 points).
    let (last, _) = &epochs[EPOCHS as usize - 1];
    for d in &honest {
        assert!(last[d] >= 1_000, "{d}: {}", last[d]);
    }
}

#[test]
fn honest_dashcams_corroborate_each_other_and_mapping_cheats_earn_nothing() {
    let run = play(100);
    let epochs = score(&run, "dashcams", &MAPPING, r#","resolution":9"#);
    let honest = of(&run, "dashcams", Strategy::Honest);
    for (epoch, (scores, codes)) in epochs.iter().enumerate() {
        let paid = honest.iter().filter(|d| scores.contains_key(d)).count();
        // Honest dashcams share two roads: nearly all of them are corroborated.
        assert!(
            paid * 10 >= honest.len() * 9,
            "epoch {epoch}: {paid} of {} paid",
            honest.len()
        );
        for s in [Strategy::Teleporter, Strategy::Fabricator] {
            assert!(!of(&run, "dashcams", s).is_empty(), "no {s:?} in the fleet");
            for d in of(&run, "dashcams", s) {
                assert_eq!(scores.get(&d), None, "epoch {epoch}: {s:?} paid");
            }
        }
        assert_eq!(
            codes[&Strategy::Teleporter],
            BTreeSet::from(["too_fast".to_string()])
        );
        assert_eq!(
            codes[&Strategy::Fabricator],
            BTreeSet::from(["uncorroborated".to_string()])
        );
        let replays = &codes[&Strategy::TripReplay];
        assert!(
            replays
                .iter()
                .all(|c| c == "replayed" || c == "outside_epoch"),
            "epoch {epoch}: {replays:?}"
        );
        if epoch >= 1 {
            for d in of(&run, "dashcams", Strategy::TripReplay) {
                assert_eq!(scores.get(&d), None, "epoch {epoch}: a drive replayer paid");
            }
        }
    }
}

#[test]
fn the_fleet_simulates_the_networks_it_knows_and_spreads_owners_over_each() {
    let vehicles = params(&VEHICLES, "");
    let listed = |family: &str, params: &serde_json::Value| {
        FleetNetwork::from_listing("n", family, params).map(|n| n.custom)
    };
    assert_eq!(listed("wasm", &vehicles), Some(Some(Custom::Vehicles)));
    // The node may list parameters as a JSON string.
    assert_eq!(
        listed("wasm", &serde_json::Value::String(vehicles.to_string())),
        Some(Some(Custom::Vehicles))
    );
    assert_eq!(
        listed("wasm", &params(&MAPPING, r#","resolution":10"#)),
        Some(Some(Custom::Mapping { resolution: 10 }))
    );
    let unknown = serde_json::json!({ "module": plinth_core::Hash::ZERO.to_hex() });
    assert_eq!(
        listed("wasm", &unknown),
        None,
        "a module the fleet cannot simulate"
    );
    assert_eq!(listed("storage", &serde_json::json!({})), None);
    assert_eq!(listed("compute", &serde_json::json!({})), None);
    assert_eq!(
        listed("sensor", &serde_json::json!({"unit": "celsius"})),
        Some(None)
    );
    assert_eq!(listed("nonsense", &serde_json::json!({})), None);

    // Device i = k·networks + n belongs to owner k mod owners: every network's
    // devices are spread over every owner, whatever the counts.
    for (networks, owners) in [(5, 5), (7, 5), (2, 4), (1, 3)] {
        for n in 0..networks {
            let of_network: BTreeSet<usize> = (0..owners)
                .map(|k| fleet::owner_index(k * networks + n, networks, owners))
                .collect();
            assert_eq!(
                of_network.len(),
                owners,
                "{networks} networks, {owners} owners"
            );
        }
    }
}
