//! Simulated coverage epochs without network I/O: the fleet's hotspots beacon and
//! witness through the simulated radio ([`coverage_round`]), a stand-in for the
//! oracle's ingest keeps what the oracle would admit, the coverage family scores
//! each epoch and the emission is split. One simulation (150 hotspots, 30%
//! cheating, three epochs of four rounds) is shared by the tests below; it prints
//! each strategy's share and every refused witness by reason.

use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_device::fleet::{
    build, coverage_round, epoch_share, CoverageNet, FleetConfig, FleetNetwork, SimDevice, Strategy,
};
use plinth_device::radio::RadioModel;
use plinth_device::EpochClock;
use plinth_proofs::coverage::{score, CoverageParams};
use plinth_proofs::{split, BeaconRound, DeviceInfo, EpochWindow, ReportBody, SignedReport};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

const NETWORK: &str = "lora";
const EMISSION: u64 = 1_000_000_000;
const EPOCHS: u64 = 3;
const SEED: u64 = 21;

/// The oracle's ingest, as far as these reports need it: a report must be signed by
/// its device's key, fresh (within the oracle's 30 s of its clock), new, and of a
/// higher sequence number than the device's last.
struct Ingest {
    keys: HashMap<DeviceId, Keypair>,
    seen: HashSet<Hash>,
    last_seq: HashMap<DeviceId, u64>,
}

const MAX_SKEW_MS: u64 = 30_000;

impl Ingest {
    fn new(devices: &[SimDevice]) -> Self {
        Ingest {
            keys: devices
                .iter()
                .map(|d| (d.id(), d.device.key.clone()))
                .collect(),
            seen: HashSet::new(),
            last_seq: HashMap::new(),
        }
    }

    /// The reports of `batch`, sent at `now`, that the oracle would accept.
    fn admit(&mut self, batch: Vec<SignedReport>, now: u64) -> Vec<SignedReport> {
        batch
            .into_iter()
            .filter(|r| {
                // Ed25519 signatures are deterministic: signed by the device's key
                // means equal to the key's own signature (and far cheaper to check
                // than a verification in a debug build).
                if self.keys[&r.report.device].sign(&r.report.signing_bytes()) != r.signature {
                    return false;
                }
                if r.report.timestamp_ms.abs_diff(now) > MAX_SKEW_MS || !self.seen.insert(r.hash())
                {
                    return false;
                }
                let last = self.last_seq.entry(r.report.device).or_insert(0);
                if r.report.seq <= *last {
                    return false;
                }
                *last = r.report.seq;
                true
            })
            .collect()
    }
}

/// The registry at epoch end: asserted cells, one owner per device (so the
/// same-owner rule never applies between honest hotspots).
fn registry(devices: &[SimDevice]) -> BTreeMap<DeviceId, DeviceInfo> {
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let info = DeviceInfo {
                id: d.id(),
                owner: Address(Keypair::from_seed(seed).public()),
                location: d.cell,
                active: true,
            };
            (d.id(), info)
        })
        .collect()
}

/// A refused witness: who sent it, whose beacon it named (`None`: a report that
/// was never sent as a beacon), and the reason's name.
type RefusedWitness = (Strategy, Option<Strategy>, String);

struct Outcome {
    /// Amount paid per strategy over all epochs.
    paid: BTreeMap<Strategy, u64>,
    /// Devices per strategy.
    count: BTreeMap<Strategy, u64>,
    refused: BTreeMap<RefusedWitness, u64>,
    /// Witness reports of honest hotspots that the ingest admitted.
    honest_witnesses: u64,
}

impl Outcome {
    /// Share of everything paid, basis points.
    fn share_bps(&self, s: Strategy) -> u64 {
        self.paid.get(&s).copied().unwrap_or(0) * 10_000 / (EMISSION * EPOCHS)
    }

    /// What a device of `s` earned on average, in hundredths of what an honest
    /// hotspot earned on average.
    fn per_device_vs_honest(&self, s: Strategy) -> u64 {
        let per =
            |s: Strategy| self.paid.get(&s).copied().unwrap_or(0) as f64 / self.count[&s] as f64;
        (per(s) * 100.0 / per(Strategy::Honest)).round() as u64
    }

    fn print(&self) {
        println!("strategy         devices    share   per device (honest = 100)");
        for (s, a) in &self.paid {
            println!(
                "{:<16} {:>7} {:>7.2}%   {:>4}",
                format!("{s:?}"),
                self.count[s],
                *a as f64 * 100.0 / (EMISSION * EPOCHS) as f64,
                self.per_device_vs_honest(*s)
            );
        }
        println!(
            "witnesses by honest hotspots admitted: {}",
            self.honest_witnesses
        );
        for ((s, by, why), n) in &self.refused {
            let by = by.map_or("a non-beacon".to_string(), |b| format!("{b:?}"));
            println!("  refused: {n:>5} witnesses by {s:?} of {by} beacons: {why}");
        }
    }
}

/// Plays `EPOCHS` epochs of `params.rounds_per_epoch` rounds with random draws.
fn simulate() -> Outcome {
    let mut devices = build(&FleetConfig {
        count: 150,
        cheaters_bps: 3_000,
        networks: vec![FleetNetwork {
            name: NETWORK.into(),
            family: "coverage".into(),
            unit: String::new(),
            custom: None,
        }],
        center: (52.52, 13.405),
        spread_deg: 0.03,
        seed: SEED,
        chain: plinth_core::Hash::ZERO,
    });
    let params = CoverageParams::default();
    let net = CoverageNet {
        name: NETWORK.into(),
        params: params.clone(),
        radio: RadioModel {
            seed: SEED,
            ..RadioModel::default()
        },
    };
    let clock = EpochClock {
        genesis_time_ms: 1_700_000_000_000,
        epoch_ms: 3_600_000,
    };
    let registry = registry(&devices);
    let strategy_of: BTreeMap<DeviceId, Strategy> =
        devices.iter().map(|d| (d.id(), d.strategy)).collect();
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut ingest = Ingest::new(&devices);
    let mut out = Outcome {
        paid: BTreeMap::new(),
        count: BTreeMap::new(),
        refused: BTreeMap::new(),
        honest_witnesses: 0,
    };
    for d in &devices {
        *out.count.entry(d.strategy).or_insert(0) += 1;
    }
    for epoch in 10..10 + EPOCHS {
        let start_ms = clock.genesis_time_ms + epoch * clock.epoch_ms;
        let window = EpochWindow {
            epoch,
            start_ms,
            end_ms: start_ms + clock.epoch_ms,
        };
        let rounds: Vec<BeaconRound> = params
            .rounds_of(&window)
            .into_iter()
            .map(|(round, start_ms, end_ms)| BeaconRound {
                round,
                start_ms,
                end_ms,
                height: 1_000 + round,
                draw: Hash::of(&rng.gen::<[u8; 32]>()),
            })
            .collect();
        let mut beaconer: HashMap<Hash, Strategy> = HashMap::new();
        let mut admitted = Vec::new();
        for r in &rounds {
            let now = r.start_ms + rng.gen_range(500..5_000);
            let sent = coverage_round(&mut devices, &net, &clock, r, now, &mut rng);
            for b in &sent {
                if let ReportBody::Beacon { .. } = b.report.body {
                    beaconer.insert(b.hash(), strategy_of[&b.report.device]);
                }
            }
            admitted.extend(ingest.admit(sent, now));
        }
        let witnessed: HashMap<Hash, Hash> = admitted
            .iter()
            .filter_map(|r| match r.report.body {
                ReportBody::Witness { beacon, .. } => Some((r.hash(), beacon)),
                _ => None,
            })
            .collect();
        out.honest_witnesses += admitted
            .iter()
            .filter(|r| {
                witnessed.contains_key(&r.hash())
                    && strategy_of[&r.report.device] == Strategy::Honest
            })
            .count() as u64;
        let scored = score(&params, &window, &registry, &admitted, &rounds);
        for rej in &scored.rejections {
            if let Some(beacon) = witnessed.get(&rej.report) {
                let why = format!("{:?}", rej.why);
                let why = why.split([' ', '{']).next().unwrap_or("").to_string();
                let by = beaconer.get(beacon).copied();
                *out.refused
                    .entry((strategy_of[&rej.device], by, why))
                    .or_insert(0) += 1;
            }
        }
        let paid = split(EMISSION, &scored.scores);
        let share = epoch_share(&devices, NETWORK, epoch, EMISSION, &paid);
        for (s, a) in share.by_strategy {
            *out.paid.entry(s).or_insert(0) += a;
        }
    }
    out.print();
    out
}

fn outcome() -> &'static Outcome {
    static OUTCOME: OnceLock<Outcome> = OnceLock::new();
    OUTCOME.get_or_init(simulate)
}

#[test]
fn honest_hotspots_earn_the_large_majority() {
    let o = outcome();
    // 105 of 150 hotspots are honest; they take well over 80% of the emission.
    assert!(
        o.share_bps(Strategy::Honest) >= 8_000,
        "honest share {} bps",
        o.share_bps(Strategy::Honest)
    );
    // The generic cheats: refused at ingest (wrong key; back-dated, so stale), or
    // their replayed beacon counts once at most.
    assert_eq!(o.share_bps(Strategy::WrongKey), 0);
    assert_eq!(o.share_bps(Strategy::ForgedTimestamp), 0);
    assert!(o.per_device_vs_honest(Strategy::Replay) <= 5);
    // Stacked hotspots share one cell's density: together they earn about what
    // one hotspot there would.
    assert!(o.per_device_vs_honest(Strategy::Stacked) <= 35);
    // Relays' copies are refused; what they keep is their own (genuine, far away)
    // beacons heard now and then.
    assert!(o.per_device_vs_honest(Strategy::Relay) <= 30);
}

/// The simulated radio and the verifier agree on physics: an honest hotspot's
/// witness of an honest beacon is never refused as too strong. It is refused for
/// being too close to the beaconer (a geometry rule that does not depend on the
/// measurement), beyond the network's 40 km range (the simulated radio, with its
/// noise, now and then carries farther), because a relay copied its exact
/// measurement (which refuses both copies), or, rarely, because a hotspot at the
/// edge of the field has most of its links too far and is taken for a location
/// suspect. All of that together stays under 5% of honest witnesses.
#[test]
fn honest_witnesses_of_honest_beacons_are_rarely_refused_and_never_as_too_strong() {
    let o = outcome();
    let refused: Vec<_> = o
        .refused
        .iter()
        .filter(|((s, by, _), _)| *s == Strategy::Honest && *by == Some(Strategy::Honest))
        .collect();
    for ((_, _, why), n) in &refused {
        assert!(
            ["TooClose", "CopiedMeasurement", "TooFar", "LocationSuspect"].contains(&why.as_str()),
            "{n} honest witnesses of honest beacons refused: {why}"
        );
    }
    let n: u64 = refused.iter().map(|(_, n)| **n).sum();
    assert!(
        n * 20 < o.honest_witnesses,
        "{n} of {} refused",
        o.honest_witnesses
    );
}

/// Location cheats: spoofers (asserting a place 30-60 km from where they are) have
/// most of their links out of range of their asserted place and are location
/// suspects; relays' copies are out of range too. Colluders are caught when two or
/// more of them fake strong witnesses of one another in an epoch; what the rest
/// earn is their real radio traffic under false places within range, which no
/// single link can disprove: they stay well below an honest hotspot.
#[test]
fn location_cheats_earn_far_less_than_honest_hotspots() {
    let o = outcome();
    assert!(o.per_device_vs_honest(Strategy::Spoofer) <= 10);
    assert!(o.per_device_vs_honest(Strategy::Relay) <= 10);
    assert!(o.per_device_vs_honest(Strategy::Colluder) <= 70);
    // Drawn but silent: they lose their beacon earnings and the epoch's witness
    // credit.
    assert!(o.per_device_vs_honest(Strategy::NoBeacon) <= 30);
}
