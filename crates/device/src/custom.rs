//! Simulated devices of the WebAssembly families this repository ships
//! (`plinth-families`): connected cars of a `vehicles` network sending trips, and
//! dashcams of a `mapping` network sending drives, honest or cheating.
//!
//! Every simulated vehicle and dashcam drives round a circle at a constant speed,
//! so where it is, and its odometer, are functions of the time alone (nothing to
//! keep across restarts). Honest dashcams share a few circular "roads" around
//! the fleet's centre, so that devices of different owners map the same hexes
//! in an epoch (the mapping family pays only corroborated hexes).
//!
//! ```text
//!  round at `now` ─▶ the epoch's window ─▶ the path since the last round, clipped to it
//!                                             │
//!      vehicles: Trip (fixes every second, odometer, the owner's pairing)
//!      mapping:  Drive (points every second as H3 cells, imagery hash)
//!                                             │ cheaters
//!      teleporter: one point 40 km away · emulator: pairing by a key that is not
//!      the owner's · trip replay: its first trip or drive sent again ·
//!      fabricator: drives round its own far-off circle, where nobody corroborates
//! ```

use crate::fleet::Strategy;
use crate::radio::Position;
use crate::EpochClock;
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_families::{mapping, vehicles};
use plinth_proofs::ReportBody;
use rand::{rngs::StdRng, Rng};

/// Which shipped family a `wasm` network runs, as the fleet simulates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Custom {
    /// `plinth_families::vehicles`: trips of paired vehicles.
    Vehicles,
    /// `plinth_families::mapping`: drives over H3 cells at `resolution`.
    Mapping {
        /// The network's `resolution` parameter (default 9).
        resolution: u8,
    },
}

impl Custom {
    /// The shipped family a network's parameters name (`module`, the hash of a
    /// module on the ledger), or `None` for a module the fleet does not know.
    pub fn of_params(params: &serde_json::Value) -> Option<Custom> {
        let params = match params {
            serde_json::Value::String(s) => serde_json::from_str(s).ok()?,
            v => v.clone(),
        };
        let module = params.get("module")?.as_str()?;
        let hash = |bytes: &[u8]| plinth_ledger::compute_types::module_hash(bytes).to_string();
        if module == hash(vehicles::VEHICLES.bytes) {
            Some(Custom::Vehicles)
        } else if module == hash(mapping::MAPPING.bytes) {
            let resolution = params
                .get("resolution")
                .and_then(|r| r.as_u64())
                .map_or(9, |r| r.min(15) as u8);
            Some(Custom::Mapping { resolution })
        } else {
            None
        }
    }

    /// The cheating strategies that fit this family (beside the generic ones:
    /// replayed reports, forged timestamps, a wrong key).
    pub fn cheats(&self) -> &'static [Strategy] {
        match self {
            Custom::Vehicles => &[
                Strategy::Teleporter,
                Strategy::Emulator,
                Strategy::TripReplay,
            ],
            Custom::Mapping { .. } => &[
                Strategy::Teleporter,
                Strategy::TripReplay,
                Strategy::Fabricator,
            ],
        }
    }
}

/// Honest dashcams drive round one of this many roads.
pub const ROADS: u32 = 2;
/// The roads' radii, metres (circles round the fleet's centre).
const ROAD_RADII_M: [f64; ROADS as usize] = [700.0, 1_300.0];
/// How far apart, metres, the honest dashcams of a road drive.
pub const GAP_M: f64 = 120.0;
/// How fast vehicles and dashcams drive, metres per second (54 km/h).
pub const SPEED_M_S: f64 = 15.0;
/// Time between two GPS fixes or track points, ms.
pub const FIX_EVERY_MS: u64 = 1_000;
/// How far a teleporter's jump goes, metres.
pub const TELEPORT_M: f64 = 40_000.0;

/// What a simulated custom device drives and carries.
#[derive(Debug, Clone)]
pub struct CustomDevice {
    /// Its network's family.
    pub kind: Custom,
    /// The centre of the circle it drives round.
    pub center: Position,
    /// The circle's radius, metres.
    pub radius_m: f64,
    /// Where on the circle it was at time 0, radians.
    pub phase: f64,
    /// Vehicles: the vehicle's id.
    pub vehicle: [u8; 32],
    /// Vehicles: the pairing attestation ([`vehicles::sign_pairing`]), set by
    /// [`CustomDevice::pair`] once the owner is known.
    pub pairing: Option<[u8; 64]>,
    /// The id of its last trip or drive (ids strictly increase).
    pub last_id: u64,
    /// Trip replays: the first body it sent.
    pub first: Option<Vec<u8>>,
}

impl CustomDevice {
    /// A device of `kind` following `strategy`, the `k`-th of its network, round
    /// the fleet's `center`.
    pub fn new(
        kind: Custom,
        strategy: Strategy,
        k: usize,
        center: Position,
        rng: &mut StdRng,
    ) -> Self {
        let mut vehicle = [0u8; 32];
        rng.fill(&mut vehicle);
        let random_phase = rng.gen_range(0.0..std::f64::consts::TAU);
        let (center, radius_m, phase) = match (kind, strategy) {
            // Its own circle far from everyone: no other owner maps its hexes.
            (Custom::Mapping { .. }, Strategy::Fabricator) => {
                let bearing = (k as f64 * 2.399_963).rem_euclid(std::f64::consts::TAU);
                (
                    center.offset(bearing, 6_000.0 + 3_000.0 * (k % 5) as f64),
                    400.0,
                    random_phase,
                )
            }
            // Honest dashcams of a road drive close behind each other
            // ([`GAP_M`] apart), as traffic on a busy road does.
            (Custom::Mapping { .. }, _) => {
                let radius = ROAD_RADII_M[k % ROAD_RADII_M.len()];
                let place = (k / ROAD_RADII_M.len()) as f64 * GAP_M / radius;
                (center, radius, place)
            }
            // A car of its own round a home near the centre.
            (Custom::Vehicles, _) => {
                let home = center.offset(
                    rng.gen_range(0.0..std::f64::consts::TAU),
                    rng.gen_range(0.0..3_000.0),
                );
                (home, rng.gen_range(300.0..2_000.0), random_phase)
            }
        };
        CustomDevice {
            kind,
            center,
            radius_m,
            phase,
            vehicle,
            pairing: None,
            last_id: 0,
            first: None,
        }
    }

    /// Pairs the vehicle: the attestation of `owner` (the device's owner on the
    /// chain; an emulator's comes from a key that is not the owner's).
    pub fn pair(
        &mut self,
        device: &DeviceId,
        owner: &Keypair,
        strategy: Strategy,
        ghost: &Keypair,
    ) {
        let signer = match strategy {
            Strategy::Emulator => ghost,
            _ => owner,
        };
        self.pairing = Some(vehicles::sign_pairing(signer, &device.0 .0, &self.vehicle));
    }

    /// Where it is at `t_ms` (ms since the Unix epoch).
    pub fn position(&self, t_ms: u64) -> Position {
        let metres = SPEED_M_S * t_ms as f64 / 1_000.0;
        let angle = self.phase + metres / self.radius_m;
        self.center.offset(angle, self.radius_m)
    }

    /// Its odometer at `t_ms`, metres: the distance driven since time 0.
    pub fn odometer_m(t_ms: u64) -> u64 {
        (SPEED_M_S * t_ms as f64 / 1_000.0) as u64
    }

    /// The body of its report at `now` (its path over the last `interval_ms`,
    /// clipped to the epoch `now` is in), shaped by its strategy; `None` when
    /// there is too little of the epoch behind `now` for a path.
    pub fn body(
        &mut self,
        strategy: Strategy,
        device: &DeviceId,
        clock: &EpochClock,
        now: u64,
        interval_ms: u64,
    ) -> Option<ReportBody> {
        if strategy == Strategy::TripReplay {
            if let Some(first) = &self.first {
                return Some(self.wrap(first.clone()));
            }
        }
        let window = clock.window(clock.epoch_of(now));
        let end = now.checked_sub(1)?;
        let start = now.saturating_sub(interval_ms).max(window.start_ms);
        if end <= start {
            return None;
        }
        let mut times: Vec<u64> = (start..end).step_by(FIX_EVERY_MS as usize).collect();
        times.push(end);
        let id = start.max(self.last_id + 1);
        self.last_id = id;
        // A teleporter's middle point jumps far away (and back).
        let jump = (strategy == Strategy::Teleporter).then_some(times.len() / 2);
        let at = |i: usize, t: u64| {
            let p = self.position(t);
            if Some(i) == jump {
                p.offset(0.0, TELEPORT_M)
            } else {
                p
            }
        };
        let data = match self.kind {
            Custom::Vehicles => {
                let fixes = times
                    .iter()
                    .enumerate()
                    .take(vehicles::MAX_FIXES)
                    .map(|(i, &t)| {
                        let p = at(i, t);
                        vehicles::Fix {
                            offset_ms: (t - start) as u32,
                            lat: (p.lat * 1e6).round() as i32,
                            lng: (p.lon * 1e6).round() as i32,
                            speed_dkmh: (SPEED_M_S * 36.0) as u16,
                        }
                    })
                    .collect();
                vehicles::Trip {
                    vehicle: self.vehicle,
                    pairing: self.pairing.unwrap_or([0; 64]),
                    trip_id: id,
                    start_ms: start,
                    odometer_start_m: Self::odometer_m(start),
                    odometer_end_m: Self::odometer_m(end),
                    fixes,
                }
                .encode()
            }
            Custom::Mapping { resolution } => {
                let res = h3o::Resolution::try_from(resolution).unwrap_or(h3o::Resolution::Nine);
                let points = times
                    .iter()
                    .enumerate()
                    .take(mapping::MAX_POINTS)
                    .map(|(i, &t)| mapping::Point {
                        t_ms: (t - start) as u32,
                        cell: at(i, t).cell(res),
                    })
                    .collect();
                let mut seed = device.0 .0.to_vec();
                seed.extend(id.to_le_bytes());
                mapping::Drive {
                    drive_id: id,
                    start_ms: start,
                    imagery: Hash::tagged("plinth/sim-imagery", &seed).0,
                    points,
                }
                .encode()
            }
        };
        if strategy == Strategy::TripReplay {
            self.first = Some(data.clone());
        }
        Some(self.wrap(data))
    }

    fn wrap(&self, data: Vec<u8>) -> ReportBody {
        let kind = match self.kind {
            Custom::Vehicles => vehicles::TRIP_KIND,
            Custom::Mapping { .. } => mapping::KIND,
        };
        ReportBody::Custom {
            kind: kind.to_string(),
            data,
        }
    }
}
