//! A simulated radio for the fleet's coverage hotspots: who hears a beacon, and how
//! loud.
//!
//! ```text
//!  PL(d) = FSPL(d, f)                                   d ≤ d0 (free space near the mast)
//!  PL(d) = FSPL(d0, f) + 10·n·log10(d / d0)             d > d0 (log-distance, n ≈ 3)
//!  RSSI  = tx − PL(d) − terrain(a, b) + noise           heard iff RSSI ≥ sensitivity
//!  SNR   = RSSI − noise floor
//! ```
//!
//! `terrain(a, b)` is a fixed loss per link (hills, buildings), 0 to
//! `terrain_max_db`, drawn from the unordered pair of hotspots and the model's seed,
//! so it is the same both ways and on every run. `noise` is drawn per reception:
//! Gaussian with `noise_sigma_db`, clamped at `noise_clamp_sigmas` standard
//! deviations so that a single reception cannot be arbitrarily strong.
//!
//! This is simulation: it computes in `f64` and draws from a seeded RNG. What leaves
//! it, the measurement a hotspot reports, is rounded to hundredths of a dB(m), the
//! integers the verifier reads. With `n > 2` an honest hotspot is always received
//! weaker than free space allows beyond `d0` (by `10·(n − 2)·log10(d / d0)` dB before
//! noise), which is why the verifier's free-space bound does not refuse honest
//! witnesses at the distances it accepts.

use plinth_core::{DeviceId, Hash};
use rand::Rng;

/// A place on Earth, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// Mean Earth radius (IUGG), metres: the same the verifier uses.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl Position {
    /// The place at `lat`, `lon` (degrees).
    pub fn new(lat: f64, lon: f64) -> Self {
        Position { lat, lon }
    }

    /// The centre of an H3 cell.
    pub fn of_cell(cell: u64) -> Option<Position> {
        let ll = h3o::LatLng::from(h3o::CellIndex::try_from(cell).ok()?);
        Some(Position::new(ll.lat(), ll.lng()))
    }

    /// The H3 cell at `res` that holds this place.
    pub fn cell(&self, res: h3o::Resolution) -> u64 {
        let ll = h3o::LatLng::new(self.lat, self.lon).expect("valid coordinates");
        u64::from(ll.to_cell(res))
    }

    /// Great-circle distance, metres.
    pub fn distance_m(&self, other: &Position) -> f64 {
        let (la1, lo1) = (self.lat.to_radians(), self.lon.to_radians());
        let (la2, lo2) = (other.lat.to_radians(), other.lon.to_radians());
        let s1 = ((la2 - la1) / 2.0).sin();
        let s2 = ((lo2 - lo1) / 2.0).sin();
        let h = s1 * s1 + la1.cos() * la2.cos() * s2 * s2;
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }

    /// The place `distance_m` metres away at `bearing_rad` (0 = north, clockwise),
    /// on a sphere.
    pub fn offset(&self, bearing_rad: f64, distance_m: f64) -> Position {
        let d = distance_m / EARTH_RADIUS_M;
        let (la1, lo1) = (self.lat.to_radians(), self.lon.to_radians());
        let la2 = (la1.sin() * d.cos() + la1.cos() * d.sin() * bearing_rad.cos()).asin();
        let lo2 =
            lo1 + (bearing_rad.sin() * d.sin() * la1.cos()).atan2(d.cos() - la1.sin() * la2.sin());
        Position::new(la2.to_degrees(), lo2.to_degrees())
    }
}

/// What a hotspot's radio measured of one beacon, as the verifier reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reception {
    /// Received signal strength, hundredths of dBm.
    pub rssi_centi_dbm: i32,
    /// Signal-to-noise ratio, hundredths of dB.
    pub snr_centi_db: i32,
}

/// The propagation model and the receivers' characteristics.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioModel {
    /// Path-loss exponent beyond `reference_m` (2 = free space; 2.7 to 3.5 is
    /// typical of rooftop-to-rooftop links over suburbs).
    pub path_loss_exponent: f64,
    /// Up to this distance, metres, the path is free space.
    pub reference_m: f64,
    /// The largest per-link terrain loss, dB (drawn uniformly in `[0, max]`).
    pub terrain_max_db: f64,
    /// Standard deviation of per-reception noise (fading, measurement), dB.
    pub noise_sigma_db: f64,
    /// Noise is clamped at this many standard deviations either way.
    pub noise_clamp_sigmas: f64,
    /// Weakest signal a receiver decodes, dBm.
    pub sensitivity_dbm: f64,
    /// The receivers' noise floor, dBm (SNR = RSSI − floor).
    pub noise_floor_dbm: f64,
    /// Seed of the terrain draw.
    pub seed: u64,
}

impl Default for RadioModel {
    fn default() -> Self {
        RadioModel {
            path_loss_exponent: 3.0,
            reference_m: 100.0,
            terrain_max_db: 15.0,
            noise_sigma_db: 4.0,
            noise_clamp_sigmas: 2.5,
            sensitivity_dbm: -125.0,
            noise_floor_dbm: -120.0,
            seed: 0,
        }
    }
}

/// Free-space path loss, dB: `20·log10(d) + 20·log10(f) − 147.55`; under a metre
/// counts as one metre (as in the verifier).
pub fn fspl_db(distance_m: f64, frequency_hz: u64) -> f64 {
    20.0 * distance_m.max(1.0).log10() + 20.0 * (frequency_hz.max(1) as f64).log10() - 147.55
}

impl RadioModel {
    /// Path loss at `distance_m`, dB, before terrain and noise.
    pub fn path_loss_db(&self, distance_m: f64, frequency_hz: u64) -> f64 {
        if distance_m <= self.reference_m {
            fspl_db(distance_m, frequency_hz)
        } else {
            fspl_db(self.reference_m, frequency_hz)
                + 10.0 * self.path_loss_exponent * (distance_m / self.reference_m).log10()
        }
    }

    /// The fixed terrain loss of the link between `a` and `b`, dB, in
    /// `[0, terrain_max_db]`; the same for `(a, b)` and `(b, a)`.
    pub fn terrain_loss_db(&self, a: &DeviceId, b: &DeviceId) -> f64 {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut bytes = Vec::with_capacity(72);
        bytes.extend_from_slice(&self.seed.to_be_bytes());
        bytes.extend_from_slice(lo.key().as_bytes());
        bytes.extend_from_slice(hi.key().as_bytes());
        let h = Hash::tagged("plinth/sim/terrain", &bytes);
        let w = u64::from_be_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"));
        // 53 random bits → [0, 1].
        (w >> 11) as f64 / ((1u64 << 53) - 1) as f64 * self.terrain_max_db
    }

    /// One draw of per-reception noise, dB: Gaussian (Box–Muller), clamped.
    pub fn noise_db(&self, rng: &mut impl Rng) -> f64 {
        let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
        let u2: f64 = rng.gen();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let c = self.noise_clamp_sigmas;
        z.clamp(-c, c) * self.noise_sigma_db
    }

    /// The signal strength before noise, dBm.
    pub fn mean_rssi_dbm(
        &self,
        tx_centi_dbm: i32,
        distance_m: f64,
        frequency_hz: u64,
        terrain_db: f64,
    ) -> f64 {
        tx_centi_dbm as f64 / 100.0 - self.path_loss_db(distance_m, frequency_hz) - terrain_db
    }

    /// One reception of a beacon sent at `tx_centi_dbm` from `distance_m` away
    /// over a link with `terrain_db` loss: `None` if it is too weak to decode.
    pub fn receive(
        &self,
        tx_centi_dbm: i32,
        distance_m: f64,
        frequency_hz: u64,
        terrain_db: f64,
        rng: &mut impl Rng,
    ) -> Option<Reception> {
        let rssi = self.mean_rssi_dbm(tx_centi_dbm, distance_m, frequency_hz, terrain_db)
            + self.noise_db(rng);
        if rssi < self.sensitivity_dbm {
            return None;
        }
        Some(Reception {
            rssi_centi_dbm: centi(rssi),
            snr_centi_db: centi(rssi - self.noise_floor_dbm),
        })
    }
}

/// Hundredths, rounded, saturating.
pub fn centi(x: f64) -> i32 {
    (x * 100.0).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;
    use plinth_proofs::coverage::{max_rssi_centi_dbm, CoverageParams};
    use rand::{rngs::StdRng, SeedableRng};

    fn id(i: u8) -> DeviceId {
        DeviceId(Keypair::from_seed([i; 32]).public())
    }

    #[test]
    fn path_loss_is_free_space_near_and_log_distance_beyond() {
        let m = RadioModel::default();
        // FSPL at 1 km, 915 MHz: 60 + 179.23 − 147.55 = 91.68 dB (the verifier's
        // worked example).
        assert!((fspl_db(1_000.0, 915_000_000) - 91.68).abs() < 0.01);
        // Below d0 the model is free space.
        assert_eq!(
            m.path_loss_db(50.0, 915_000_000),
            fspl_db(50.0, 915_000_000)
        );
        // At 1 km with n = 3: FSPL(100 m) = 71.68, plus 30 × log10(10) = 30 → 101.68.
        assert!((m.path_loss_db(1_000.0, 915_000_000) - 101.68).abs() < 0.01);
        // 10 km: 71.68 + 30 × 2 = 131.68.
        assert!((m.path_loss_db(10_000.0, 915_000_000) - 131.68).abs() < 0.01);
    }

    #[test]
    fn terrain_is_per_link_symmetric_and_bounded() {
        let m = RadioModel::default();
        let mut seen = Vec::new();
        for i in 0..40u8 {
            for j in (i + 1)..40 {
                let t = m.terrain_loss_db(&id(i), &id(j));
                assert_eq!(t, m.terrain_loss_db(&id(j), &id(i)));
                assert!((0.0..=15.0).contains(&t));
                seen.push(t);
            }
        }
        // Spread over the range, not one value.
        assert!(seen.iter().any(|t| *t < 3.0) && seen.iter().any(|t| *t > 12.0));
        // Another seed, another landscape.
        let other = RadioModel {
            seed: 1,
            ..RadioModel::default()
        };
        assert_ne!(
            m.terrain_loss_db(&id(1), &id(2)),
            other.terrain_loss_db(&id(1), &id(2))
        );
    }

    #[test]
    fn noise_is_clamped_and_centred() {
        let m = RadioModel::default();
        let mut rng = StdRng::seed_from_u64(3);
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|_| m.noise_db(&mut rng)).collect();
        assert!(draws.iter().all(|x| x.abs() <= 10.0 + 1e-9));
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.2, "mean {mean}");
        // Slightly under σ = 4 because of the clamp.
        assert!((3.6..4.1).contains(&var.sqrt()), "sd {}", var.sqrt());
    }

    #[test]
    fn receptions_are_deterministic_given_the_seed() {
        let m = RadioModel::default();
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..100)
                .map(|i| {
                    m.receive(
                        2_700,
                        1_000.0 + 300.0 * i as f64,
                        904_100_000,
                        5.0,
                        &mut rng,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn honest_hotspots_are_not_always_heard() {
        let m = RadioModel::default();
        let mut rng = StdRng::seed_from_u64(4);
        let f = 904_300_000;
        let heard = |d: f64, rng: &mut StdRng| {
            (0..1_000)
                .filter(|_| m.receive(2_700, d, f, 7.5, rng).is_some())
                .count()
        };
        // Mean RSSI at 2 km: 27 − (71.7 + 39.0) − 7.5 ≈ −91 dBm: always heard.
        assert_eq!(heard(2_000.0, &mut rng), 1_000);
        // At 25 km: 27 − (71.7 + 72.0) − 7.5 ≈ −124 dBm: about half the time.
        let h = heard(25_000.0, &mut rng);
        assert!((200..800).contains(&h), "heard {h} of 1000 at 25 km");
        // At 80 km: ≈ −139 dBm, beyond even the strongest noise draw.
        assert_eq!(heard(80_000.0, &mut rng), 0);
        // SNR is RSSI over the noise floor.
        let r = m.receive(2_700, 2_000.0, f, 0.0, &mut rng).unwrap();
        assert_eq!(r.snr_centi_db, r.rssi_centi_dbm + 12_000);
    }

    /// An honest witness never exceeds the verifier's free-space bound at the
    /// distances the verifier accepts (beyond the adjacent res-8 cells, ≥ ~1 km).
    #[test]
    fn honest_receptions_stay_under_the_free_space_bound() {
        let m = RadioModel::default();
        let params = CoverageParams::default();
        let mut rng = StdRng::seed_from_u64(5);
        // A landscape of links, and distances log-uniform over 1 to 60 km (the
        // short links are where the bound is tightest).
        let terrain: Vec<f64> = (0..200u8)
            .map(|i| m.terrain_loss_db(&id(i), &id(i.wrapping_mul(7).wrapping_add(1))))
            .collect();
        let mut received = 0;
        let mut closest = i64::MIN;
        for i in 0..30_000usize {
            let d = 1_000.0 * 60f64.powf(rng.gen::<f64>());
            let f = params.channels_hz[i % params.channels_hz.len()];
            let tx = 2_700 + (i % 10) as i32 * 100; // 27 to 36 dBm
            if let Some(r) = m.receive(tx, d, f, terrain[i % terrain.len()], &mut rng) {
                received += 1;
                let max = max_rssi_centi_dbm(&params, tx, d.round() as u64, f);
                assert!(
                    (r.rssi_centi_dbm as i64) <= max,
                    "honest RSSI {} above the bound {max} at {d} m",
                    r.rssi_centi_dbm
                );
                closest = closest.max(r.rssi_centi_dbm as i64 - max);
            }
        }
        assert!(received > 15_000, "only {received} receptions");
        // With n = 3 the headroom is at least 10·log10(d/d0) + margin − 2.5σ
        // = 10 + 6 − 10 = 6 dB at 1 km.
        assert!(closest <= -590, "closest approach {closest} centi-dB");
    }

    #[test]
    fn positions_offset_and_measure_consistently() {
        let berlin = Position::new(52.52, 13.405);
        for k in 0..8 {
            let b = k as f64 * std::f64::consts::FRAC_PI_4;
            let p = berlin.offset(b, 40_000.0);
            assert!((berlin.distance_m(&p) - 40_000.0).abs() < 1.0);
        }
        // A res-12 cell's centre is within a few metres of the place.
        let c = Position::of_cell(berlin.cell(h3o::Resolution::Twelve)).unwrap();
        assert!(berlin.distance_m(&c) < 15.0);
    }
}
