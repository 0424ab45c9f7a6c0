//! The coverage family: radio hotspots prove the area they cover by being heard.
//!
//! ```text
//!  round r: oracle draws from block hash ─▶ drawn hotspots send a Beacon report
//!           (its hash is the beacon id, transmitted on the radio)
//!  hotspots that hear it ─▶ Witness { beacon id, RSSI, SNR, frequency, time }
//!  epoch end: validity rules per witness ─▶ valid witnesses per beacon
//!           ─▶ score = transmit scale × (beacon weight × min(valid, cap)
//!                                        + witness weight × valid witnessings)
//! ```
//!
//! **Draw.** For each round the oracle records a [`BeaconRound`]: the hash of a
//! block sealed when the round began. Whether a hotspot must beacon in a round is
//! [`drawn`]: a hash of the draw, the round and the device id, below the network's
//! `beacon_bps`. The beacon's frequency is likewise drawn from the channel plan
//! ([`beacon_frequency_hz`]). A Beacon report names the round and the draw; its id
//! (the signed report's hash) is what the hotspot transmits, and nobody without the
//! device key can make it, so a witness that names it has heard it (or colludes with
//! the beaconer, which the geometry rules catch).
//!
//! **Validity.** A witness is refused, with a reason, when its beacon was not drawn
//! (unknown or itself refused), it is the beaconer's own or its owner's, it is in the
//! same or an adjacent H3 cell (at `resolution`), farther than `max_range_m`, its
//! RSSI is stronger than free-space path loss allows at the asserted distance for the
//! declared transmit power ([`fspl_centi_db`], plus `gain_margin_db` for antenna gains
//! and measurement error), its frequency is not the beacon's, its reception time is
//! outside the round, it repeats a witness of the same hotspot (duplicate), or it
//! copies another witness's exact measurement (a relay).
//!
//! **Location suspects.** One implausible link proves little (either end may lie,
//! or the radio carried far), so a hotspot is judged on all of its links of the
//! epoch ([`location_suspects`]): most of them out of range of its asserted place,
//! or more too-strong links than any hotspot it is linked with. A suspect's beacons
//! and witnesses are refused for the epoch.
//!
//! **Tally.** A beaconer scores `beacon_weight` per valid witness, up to
//! `max_witnesses_per_beacon`; at most that many of a beacon's valid witnesses
//! (picked by a hash of beacon id and witness key) score `witness_weight`, and none that
//! was drawn in a round of the epoch and sent no valid beacon for it.
//!
//! **Density.** Stacked hotspots do not multiply rewards: every score is multiplied
//! by the hotspot's transmit scale from HIP-17 hex density scaling
//! ([`transmit_scales`]).
//!
//! Arithmetic on scores is integer. Distances are great-circle distances between the
//! asserted H3 cells' centres (h3o gives those as `f64`), rounded to whole metres;
//! path loss is computed from them with an integer logarithm.

use crate::{
    registered, BeaconRound, DeviceInfo, EpochWindow, FamilyOutput, Rejected, ReportBody,
    ScoreRejection, SignedReport, SCORE_ONE,
};
use h3o::{CellIndex, LatLng, Resolution};
use plinth_core::{DeviceId, Hash};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One row of the HIP-17 density table: at H3 resolution `res`, a hex's limit is
/// `min(max, target × max(1, occupied − n + 1))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DensityLevel {
    /// The H3 resolution of the level's hexes.
    pub res: u8,
    /// Occupied neighbouring hexes (k-ring 1, itself included) before the limit grows.
    pub n: u64,
    /// Density at which a hex counts as occupied, and the limit's unit.
    pub target: u64,
    /// The highest limit of a hex.
    pub max: u64,
}

/// Helium's mainnet HIP-17 parameters (res, N, target, max).
pub const HIP17_MAINNET: [DensityLevel; 7] = [
    DensityLevel {
        res: 4,
        n: 1,
        target: 250,
        max: 800,
    },
    DensityLevel {
        res: 5,
        n: 1,
        target: 100,
        max: 400,
    },
    DensityLevel {
        res: 6,
        n: 1,
        target: 25,
        max: 100,
    },
    DensityLevel {
        res: 7,
        n: 2,
        target: 5,
        max: 20,
    },
    DensityLevel {
        res: 8,
        n: 2,
        target: 1,
        max: 4,
    },
    DensityLevel {
        res: 9,
        n: 2,
        target: 1,
        max: 2,
    },
    DensityLevel {
        res: 10,
        n: 2,
        target: 1,
        max: 1,
    },
];

/// A coverage network's parameters (the network's `params` in genesis, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageParams {
    /// Witnesses in the same or an adjacent cell at this H3 resolution as the
    /// beaconer are too close to prove anything.
    pub resolution: u8,
    /// The farthest a witness may be from the beaconer, in metres.
    pub max_range_m: u64,
    /// Beacon rounds per epoch; round `r` covers
    /// `[epoch start + i × epoch_ms / rounds_per_epoch, …)` with `i = r mod rounds_per_epoch`.
    pub rounds_per_epoch: u64,
    /// Chance that a hotspot is drawn to beacon in a round, in basis points.
    pub beacon_bps: u32,
    /// The channel plan: beacons are sent on one of these, drawn per beacon.
    pub channels_hz: Vec<u64>,
    /// The most transmit power (EIRP) a beacon may declare, dBm.
    pub max_tx_power_dbm: i32,
    /// Allowance above free-space reception, dB: receive antenna gain and
    /// measurement error. An RSSI above `tx − FSPL + margin` is refused.
    pub gain_margin_db: i32,
    /// A beaconer earns for at most this many valid witnesses of one beacon.
    pub max_witnesses_per_beacon: u64,
    /// Score per valid witness of a hotspot's beacon (before transmit scale),
    /// in millionths.
    pub beacon_weight: u64,
    /// Score per valid witnessing (before transmit scale), in millionths.
    pub witness_weight: u64,
    /// The HIP-17 density table, coarsest to finest resolution.
    pub density: Vec<DensityLevel>,
    /// Location suspects earn nothing for the epoch (see [`location_suspects`]):
    /// the least number of distinct other hotspots a hotspot's too-strong (or
    /// too-far) links must involve. 0 turns the rule off.
    pub suspect_links: u64,
    /// The share of a hotspot's judged links that must be too far, with at least
    /// `suspect_links` of them, to make it a suspect, basis points.
    pub suspect_far_share_bps: u64,
}

impl Default for CoverageParams {
    fn default() -> Self {
        CoverageParams {
            resolution: 8,
            max_range_m: 40_000,
            rounds_per_epoch: 4,
            beacon_bps: 2_500,
            // US915 sub-band 2 uplink channels.
            channels_hz: (0..8).map(|i| 903_900_000 + 200_000 * i).collect(),
            max_tx_power_dbm: 36,
            gain_margin_db: 6,
            max_witnesses_per_beacon: 14,
            beacon_weight: SCORE_ONE,
            witness_weight: SCORE_ONE,
            density: HIP17_MAINNET.to_vec(),
            suspect_links: 2,
            suspect_far_share_bps: 3_000,
        }
    }
}

impl CoverageParams {
    /// Checks what serde cannot: ranges and the density table's shape.
    pub fn validate(self) -> Result<CoverageParams, String> {
        if self.resolution > 15 {
            return Err(format!(
                "resolution {} is not an H3 resolution",
                self.resolution
            ));
        }
        if self.rounds_per_epoch == 0 || self.rounds_per_epoch > 1_000 {
            return Err("rounds_per_epoch must be 1..=1000".into());
        }
        if self.beacon_bps > 10_000 {
            return Err("beacon_bps must be at most 10000".into());
        }
        if self.channels_hz.is_empty() || self.channels_hz.len() > 64 {
            return Err("channels_hz must list 1 to 64 frequencies".into());
        }
        if self.channels_hz.contains(&0) {
            return Err("channels_hz: a frequency must be positive".into());
        }
        if self.max_range_m == 0 || self.max_range_m > 1_000_000 {
            return Err("max_range_m must be 1..=1000000".into());
        }
        if !(-50..=80).contains(&self.max_tx_power_dbm) || !(0..=40).contains(&self.gain_margin_db)
        {
            return Err("max_tx_power_dbm must be -50..=80 and gain_margin_db 0..=40".into());
        }
        if self.suspect_far_share_bps > 10_000 {
            return Err("suspect_far_share_bps must be at most 10000".into());
        }
        if self.max_witnesses_per_beacon == 0 {
            return Err("max_witnesses_per_beacon must be positive".into());
        }
        if self.beacon_weight > 1_000 * SCORE_ONE || self.witness_weight > 1_000 * SCORE_ONE {
            return Err("beacon_weight and witness_weight must be at most 1000000000".into());
        }
        if self.density.len() > 15 {
            return Err("density: at most 15 levels".into());
        }
        for (i, l) in self.density.iter().enumerate() {
            if l.res > 14 {
                return Err(format!("density: resolution {} must be at most 14", l.res));
            }
            if l.target == 0 || l.max < l.target || l.n == 0 || l.max > 1_000_000 {
                return Err(format!(
                    "density at resolution {}: need 0 < target <= max <= 1000000 and n > 0",
                    l.res
                ));
            }
            if i > 0 && self.density[i - 1].res >= l.res {
                return Err("density: levels must go from coarse to fine resolution".into());
            }
        }
        Ok(self)
    }

    /// The round numbers of an epoch and their windows.
    pub fn rounds_of(&self, window: &EpochWindow) -> Vec<(u64, u64, u64)> {
        let n = self.rounds_per_epoch;
        let len = window.end_ms.saturating_sub(window.start_ms);
        (0..n)
            .map(|i| {
                let start = window.start_ms + len * i / n;
                let end = window.start_ms + len * (i + 1) / n;
                (window.epoch * n + i, start, end)
            })
            .collect()
    }
}

fn draw_word(tag: &str, round: &BeaconRound, device: &DeviceId) -> u64 {
    let mut bytes = Vec::with_capacity(72);
    bytes.extend_from_slice(round.draw.as_bytes());
    bytes.extend_from_slice(&round.round.to_be_bytes());
    bytes.extend_from_slice(device.key().as_bytes());
    let h = Hash::tagged(tag, &bytes);
    u64::from_be_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Whether the round's draw picks `device` to beacon.
pub fn drawn(params: &CoverageParams, round: &BeaconRound, device: &DeviceId) -> bool {
    draw_word("plinth/coverage/draw", round, device) % 10_000 < params.beacon_bps as u64
}

/// The channel a drawn device must beacon on in this round.
pub fn beacon_frequency_hz(params: &CoverageParams, round: &BeaconRound, device: &DeviceId) -> u64 {
    let w = draw_word("plinth/coverage/channel", round, device);
    params.channels_hz[(w % params.channels_hz.len() as u64) as usize]
}

/// `2000 × log10(x)` rounded to an integer, for `x ≥ 1`, with integer arithmetic
/// only (a fixed-point base-2 logarithm with 30 fractional bits).
fn log10_x2000(x: u64) -> i64 {
    assert!(x >= 1);
    let n = 63 - x.leading_zeros() as i64; // floor(log2 x)
                                           // Mantissa in [1, 2) with 62 fractional bits.
    let mut m: u128 = if n <= 62 {
        (x as u128) << (62 - n)
    } else {
        (x as u128) >> (n - 62)
    };
    let mut frac: i128 = 0;
    for i in 0..30 {
        m = (m * m) >> 62;
        if m >= 1u128 << 63 {
            m >>= 1;
            frac |= 1 << (29 - i);
        }
    }
    let log2_q30: i128 = ((n as i128) << 30) | frac;
    // log10(2) to 15 digits.
    const LOG10_2_E15: i128 = 301_029_995_663_981;
    let den: i128 = 1_000_000_000_000_000i128 << 30;
    let num = log2_q30 * 2000 * LOG10_2_E15;
    ((num + den / 2) / den) as i64
}

/// Free-space path loss in hundredths of dB at `distance_m` metres and
/// `frequency_hz`: `20·log10(d) + 20·log10(f) − 147.55` (the constant is
/// `20·log10(4π/c)`). Distances under a metre count as one metre.
///
/// At 1 km and 915 MHz: 60 + 179.23 − 147.55 = 91.68 dB → `9168`.
pub fn fspl_centi_db(distance_m: u64, frequency_hz: u64) -> i64 {
    log10_x2000(distance_m.max(1)) + log10_x2000(frequency_hz.max(1)) - 14_755
}

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance between two H3 cells' centres, whole metres; `None` if
/// either is not a valid cell index.
pub fn distance_m(a: u64, b: u64) -> Option<u64> {
    let a = LatLng::from(CellIndex::try_from(a).ok()?);
    let b = LatLng::from(CellIndex::try_from(b).ok()?);
    Some(haversine_m(a, b))
}

/// Great-circle distance between two points, whole metres (rounded).
pub(crate) fn haversine_m(a: LatLng, b: LatLng) -> u64 {
    let (la1, lo1) = (a.lat_radians(), a.lng_radians());
    let (la2, lo2) = (b.lat_radians(), b.lng_radians());
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((lo2 - lo1) / 2.0).sin();
    let h = s1 * s1 + la1.cos() * la2.cos() * s2 * s2;
    (2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()).round() as u64
}

/// The strongest RSSI (hundredths of dBm) a witness at `distance_m` may report for
/// a beacon declared at `tx_power_centi_dbm` on `frequency_hz`.
pub fn max_rssi_centi_dbm(
    params: &CoverageParams,
    tx_power_centi_dbm: i32,
    distance_m: u64,
    frequency_hz: u64,
) -> i64 {
    tx_power_centi_dbm as i64 + params.gain_margin_db as i64 * 100
        - fspl_centi_db(distance_m, frequency_hz)
}

/// The cell of `location` at `res`: its parent if finer, its centre child if
/// coarser.
fn cell_at(location: u64, res: Resolution) -> Option<CellIndex> {
    let cell = CellIndex::try_from(location).ok()?;
    if cell.resolution() >= res {
        cell.parent(res)
    } else {
        cell.center_child(res)
    }
}

/// Each active hotspot's transmit scale (fixed point, [`SCORE_ONE`] = 1.0) from
/// HIP-17 hex density scaling.
///
/// Hotspots are counted in cells one resolution finer than the finest level. Going
/// from the finest level to the coarsest, a hex's density is the sum of the clipped
/// densities of its children (the cells of the previous, finer step that lie in it);
/// its limit is `min(max, target × max(1, occupied − N + 1))` where `occupied` counts
/// the hexes of its k-ring 1 (itself included) whose density reaches `target`, all
/// densities of the level computed before any is clipped; its clipped density is
/// `min(density, limit)`. A hotspot's scale is the product over the levels of
/// clipped / density of its hex there, rounded down once at the end.
pub fn transmit_scales(
    params: &CoverageParams,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
) -> BTreeMap<DeviceId, u64> {
    let Some(finest) = params.density.last() else {
        return devices
            .values()
            .filter(|d| d.active)
            .map(|d| (d.id, SCORE_ONE))
            .collect();
    };
    let res_of = |r: u8| Resolution::try_from(r).expect("validated resolution");
    let count_res = res_of(finest.res + 1);
    let placed: Vec<(DeviceId, CellIndex)> = devices
        .values()
        .filter(|d| d.active)
        .filter_map(|d| cell_at(d.location, count_res).map(|c| (d.id, c)))
        .collect();
    // The clipped densities of the previous (finer) step; at first, raw counts.
    let mut below: HashMap<CellIndex, u64> = HashMap::new();
    for (_, c) in &placed {
        *below.entry(*c).or_insert(0) += 1;
    }
    // Per level, coarse to fine order of `params.density`, (density, clipped).
    let mut levels: Vec<HashMap<CellIndex, (u64, u64)>> =
        vec![HashMap::new(); params.density.len()];
    for (li, level) in params.density.iter().enumerate().rev() {
        let res = res_of(level.res);
        let mut density: HashMap<CellIndex, u64> = HashMap::new();
        for (cell, d) in &below {
            let parent = cell.parent(res).expect("coarser resolution");
            *density.entry(parent).or_insert(0) += d;
        }
        let mut out = HashMap::with_capacity(density.len());
        for (hex, d) in &density {
            let occupied = hex
                .grid_disk::<Vec<_>>(1)
                .into_iter()
                .filter(|h| density.get(h).is_some_and(|x| *x >= level.target))
                .count() as u64;
            let factor = (occupied + 1).saturating_sub(level.n).max(1);
            let limit = level.max.min(level.target.saturating_mul(factor));
            out.insert(*hex, (*d, (*d).min(limit)));
        }
        below = out.iter().map(|(h, (_, c))| (*h, *c)).collect();
        levels[li] = out;
    }
    const EXTRA: u32 = 40;
    placed
        .into_iter()
        .map(|(id, cell)| {
            let mut s: u128 = (SCORE_ONE as u128) << EXTRA;
            for (li, level) in params.density.iter().enumerate() {
                let hex = cell.parent(res_of(level.res)).expect("coarser resolution");
                let (d, c) = levels[li][&hex];
                s = s * c as u128 / d as u128;
            }
            (id, (s >> EXTRA) as u64)
        })
        .collect()
}

/// SplitMix64's finaliser: a cheap, well-mixed permutation of 64-bit words.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A witness's measurement: RSSI, SNR, reception time.
type Measurement = (i32, i32, u64);

/// What the verifier keeps of an accepted beacon.
struct Beacon {
    round: u64,
    device: DeviceId,
    owner: plinth_core::Address,
    /// The beaconer's asserted cell and its k-ring 1 at `params.resolution`.
    near: [Option<CellIndex>; 7],
    at: LatLng,
    start_ms: u64,
    end_ms: u64,
    frequency_hz: u64,
    /// `tx power + margin − 20·log10(f) + 147.55`, hundredths: the RSSI bound is
    /// this minus `20·log10(distance)`.
    budget_centi: i64,
}

/// The links between hotspots an epoch's witnesses make, as the geometry rules
/// judged them: `(witness, beaconer)` pairs.
#[derive(Debug, Default, Clone)]
pub struct Links {
    /// Per hotspot, how many of its witnesses (as witness or as beaconer) reached
    /// the geometry rules (valid, too close, too far, too strong).
    pub judged: HashMap<DeviceId, u64>,
    /// Refused as too far.
    pub too_far: Vec<(DeviceId, DeviceId)>,
    /// Refused as stronger than free space allows.
    pub too_strong: Vec<(DeviceId, DeviceId)>,
}

impl Links {
    /// Records a witness's link `(witness, beaconer)` as the rules judged it: a
    /// link reached the geometry rules when the witness is valid, too close, too
    /// far or too strong; any other verdict is no link (and `pair` is not called).
    fn note(
        &mut self,
        verdict: &Result<(), ScoreRejection>,
        pair: impl FnOnce() -> (DeviceId, DeviceId),
    ) {
        let refused = match verdict {
            Ok(()) | Err(ScoreRejection::TooClose { .. }) => None,
            Err(ScoreRejection::TooFar { .. }) => Some(&mut self.too_far),
            Err(ScoreRejection::RssiTooStrong { .. }) => Some(&mut self.too_strong),
            Err(_) => return,
        };
        let (a, b) = pair();
        *self.judged.entry(a).or_insert(0) += 1;
        *self.judged.entry(b).or_insert(0) += 1;
        if let Some(list) = refused {
            list.push((a, b));
        }
    }
}

/// Who is linked with whom by `pairs`, both ways, self-links left out.
fn neighbours(pairs: &[(DeviceId, DeviceId)]) -> BTreeMap<DeviceId, HashSet<DeviceId>> {
    let mut adj: BTreeMap<DeviceId, HashSet<DeviceId>> = BTreeMap::new();
    for (a, b) in pairs {
        if a != b {
            adj.entry(*a).or_default().insert(*b);
            adj.entry(*b).or_default().insert(*a);
        }
    }
    adj
}

/// The location suspects of an epoch: hotspots whose asserted place disagrees with
/// what others heard. Two kinds of evidence:
///
/// - **Too far, for most of its links.** Long-range receptions happen, so a few
///   too-far links mean nothing; but a hotspot that has at least `min_links`
///   distinct too-far counterparts, its too-far links making up at least
///   `far_share_bps` of all its judged links, is not where it says (a spoofer's real
///   neighbours are mostly far from its asserted place).
/// - **Too strong.** A signal stronger than free space allows is physically
///   impossible if both places are true, so one end lies. Repeatedly, the hotspot
///   with the most distinct too-strong counterparts (ties: the lowest id) becomes a
///   suspect and its links are dropped, while that count is at least `min_links`.
///   Colluders that fake strong witnesses of each other, or a hotspot heard loud by
///   several honest neighbours it claims to be far from, are picked before any of
///   those neighbours; after them, the neighbours have nothing left against them.
///
/// `min_links` 0 turns both off. Several sybils (at least `min_links`) that fake
/// too-strong witnesses of one honest hotspot, and nothing else, can get it
/// suspected: the price of the rule, and why `min_links` should not be 1.
pub fn location_suspects(links: &Links, min_links: u64, far_share_bps: u64) -> BTreeSet<DeviceId> {
    let mut suspects = BTreeSet::new();
    if min_links == 0 {
        return suspects;
    }
    let mut far_links: HashMap<DeviceId, u64> = HashMap::new();
    for (a, b) in &links.too_far {
        *far_links.entry(*a).or_insert(0) += 1;
        *far_links.entry(*b).or_insert(0) += 1;
    }
    for (d, far) in neighbours(&links.too_far) {
        let total = links.judged.get(&d).copied().unwrap_or(0);
        if far.len() as u64 >= min_links && far_links[&d] * 10_000 >= far_share_bps * total {
            suspects.insert(d);
        }
    }
    let mut adj = neighbours(&links.too_strong);
    for d in &suspects {
        for n in adj.remove(d).unwrap_or_default() {
            if let Some(set) = adj.get_mut(&n) {
                set.remove(d);
            }
        }
    }
    // (degree, reversed id) so that the last element is the most linked, lowest id.
    let mut queue: BTreeSet<(usize, std::cmp::Reverse<DeviceId>)> = adj
        .iter()
        .map(|(d, n)| (n.len(), std::cmp::Reverse(*d)))
        .collect();
    while let Some(&(degree, std::cmp::Reverse(d))) = queue.last() {
        if (degree as u64) < min_links {
            break;
        }
        queue.remove(&(degree, std::cmp::Reverse(d)));
        suspects.insert(d);
        for n in adj.remove(&d).unwrap_or_default() {
            if let Some(set) = adj.get_mut(&n) {
                queue.remove(&(set.len(), std::cmp::Reverse(n)));
                set.remove(&d);
                queue.insert((set.len(), std::cmp::Reverse(n)));
            }
        }
    }
    suspects
}

/// Every witness rule but the duplicate one, in the order they are reported.
fn check_witness(
    params: &CoverageParams,
    beacons: &HashMap<Hash, Beacon>,
    located: &HashMap<DeviceId, (CellIndex, LatLng)>,
    r: &SignedReport,
    info: &DeviceInfo,
) -> Result<(), ScoreRejection> {
    let ReportBody::Witness {
        beacon,
        rssi_centi_dbm,
        frequency_hz,
        received_ms,
        ..
    } = r.report.body
    else {
        return Err(ScoreRejection::WrongKind);
    };
    let b = beacons.get(&beacon).ok_or(ScoreRejection::BeaconNotDrawn)?;
    if b.device == info.id {
        return Err(ScoreRejection::SelfWitness);
    }
    if b.owner == info.owner {
        return Err(ScoreRejection::SameOwner);
    }
    if frequency_hz != b.frequency_hz {
        return Err(ScoreRejection::WrongFrequency {
            expected_hz: b.frequency_hz,
            found_hz: frequency_hz,
        });
    }
    // Received inside the round, and reported after it was received.
    if received_ms < b.start_ms || received_ms >= b.end_ms || r.report.timestamp_ms < received_ms {
        return Err(ScoreRejection::OutsideRound);
    }
    let (home, at) = located.get(&info.id).ok_or(ScoreRejection::UnknownDevice)?;
    if b.near.contains(&Some(*home)) {
        return Err(ScoreRejection::TooClose {
            resolution: params.resolution,
        });
    }
    // Signal strength before range: a signal too strong for the asserted distance
    // is impossible wherever that is (the stronger evidence, for
    // `location_suspects`); a plausible one from too far is merely out of range.
    let distance_m = haversine_m(b.at, *at);
    let max = b.budget_centi - log10_x2000(distance_m.max(1));
    if rssi_centi_dbm as i64 > max {
        return Err(ScoreRejection::RssiTooStrong {
            rssi_centi_dbm,
            max_centi_dbm: max.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
            distance_m,
        });
    }
    if distance_m > params.max_range_m {
        return Err(ScoreRejection::TooFar {
            distance_m,
            max_m: params.max_range_m,
        });
    }
    Ok(())
}

/// Scores one epoch of a coverage network. See the module documentation for the
/// rules; the result does not depend on the order of `reports` or `rounds`.
///
/// The phases, in order (each refuses what it must, with a reason):
///
/// ```text
///  rounds ─▶ epoch_rounds ─────────────────────────────┐
///  reports ─▶ intake ─▶ beacons ─▶ accept_beacons ─────┼─▶ missed_beacons ─┐
///                    └▶ witnesses ─▶ judge_witnesses ─▶ location_suspects ─┴▶ tally ─▶ scaled
/// ```
pub fn score(
    params: &CoverageParams,
    window: &EpochWindow,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &[SignedReport],
    rounds: &[BeaconRound],
) -> FamilyOutput {
    let mut rejected = Vec::new();
    let close_res = Resolution::try_from(params.resolution).expect("validated resolution");
    let by_round = epoch_rounds(params, window, rounds);
    let Intake {
        beacons,
        mut witnesses,
    } = intake(window, devices, reports, &mut rejected);
    let beacons = accept_beacons(params, close_res, &by_round, beacons, &mut rejected);
    sort_witnesses(&mut witnesses);
    let located = locate(devices, close_res);
    let (valid, links) = judge_witnesses(params, &beacons, &located, &witnesses, &mut rejected);
    let suspects = location_suspects(&links, params.suspect_links, params.suspect_far_share_bps);
    reject_suspect_beacons(&beacons, &suspects, &mut rejected);
    let missed = missed_beacons(params, devices, &by_round, &beacons);
    let raw = tally(
        params,
        &beacons,
        &witnesses,
        valid,
        &Verdicts {
            suspects: &suspects,
            missed: &missed,
        },
        &mut rejected,
    );
    FamilyOutput {
        scores: scaled(raw, &transmit_scales(params, devices)),
        rejections: rejected,
    }
    .canonical()
}

/// A report that passed intake, with the registry entry of its device.
type Admitted<'a> = (&'a SignedReport, &'a DeviceInfo);

/// An epoch's reports sorted by kind, once intake has refused the others.
struct Intake<'a> {
    /// Beacon reports, with their ids (the signed reports' hashes).
    beacons: Vec<(&'a SignedReport, Hash, &'a DeviceInfo)>,
    /// Witness reports.
    witnesses: Vec<Admitted<'a>>,
}

/// Whether and how a hotspot earns for the witnesses it makes, beyond the
/// per-witness rules: the epoch's location suspects and the hotspots that missed
/// a beacon they were drawn for.
struct Verdicts<'a> {
    /// Hotspots whose beacons and witnesses do not count this epoch.
    suspects: &'a BTreeSet<DeviceId>,
    /// Hotspots that earn no witness credit this epoch.
    missed: &'a HashSet<DeviceId>,
}

/// Round selection: the beacon rounds of `window`'s epoch, by round number. Should
/// the oracle have recorded a round twice, the lowest `(height, draw)` counts.
fn epoch_rounds(
    params: &CoverageParams,
    window: &EpochWindow,
    rounds: &[BeaconRound],
) -> BTreeMap<u64, BeaconRound> {
    let mut by_round: BTreeMap<u64, BeaconRound> = BTreeMap::new();
    for r in rounds {
        if r.round / params.rounds_per_epoch != window.epoch {
            continue;
        }
        by_round
            .entry(r.round)
            .and_modify(|e| {
                if (r.height, r.draw) < (e.height, e.draw) {
                    *e = *r;
                }
            })
            .or_insert(*r);
    }
    by_round
}

/// Intake: refuses reports of unknown or inactive devices, from outside the
/// epoch, or of another kind than beacon and witness; sorts the rest by kind.
fn intake<'a>(
    window: &EpochWindow,
    devices: &'a BTreeMap<DeviceId, DeviceInfo>,
    reports: &'a [SignedReport],
    rejected: &mut Vec<Rejected>,
) -> Intake<'a> {
    let mut sorted = Intake {
        beacons: Vec::new(),
        witnesses: Vec::new(),
    };
    for r in reports {
        let info = match registered(devices, r) {
            Ok(i) => i,
            Err(why) => {
                rejected.push(Rejected::of(r, why));
                continue;
            }
        };
        if !window.contains(r.report.timestamp_ms) {
            rejected.push(Rejected::of(r, ScoreRejection::OutsideEpoch));
            continue;
        }
        match r.report.body {
            ReportBody::Beacon { .. } => sorted.beacons.push((r, r.hash(), info)),
            ReportBody::Witness { .. } => sorted.witnesses.push((r, info)),
            _ => rejected.push(Rejected::of(r, ScoreRejection::WrongKind)),
        }
    }
    sorted
}

/// Beacon validation: one beacon per drawn hotspot per round. Beacons are taken
/// by device, round and id (so of two beacons of a round, the lower id counts);
/// the accepted ones are keyed by id.
fn accept_beacons(
    params: &CoverageParams,
    close_res: Resolution,
    by_round: &BTreeMap<u64, BeaconRound>,
    mut beacons_in: Vec<(&SignedReport, Hash, &DeviceInfo)>,
    rejected: &mut Vec<Rejected>,
) -> HashMap<Hash, Beacon> {
    beacons_in.sort_unstable_by_key(|(r, h, _)| {
        let ReportBody::Beacon { round, .. } = r.report.body else {
            unreachable!()
        };
        (r.report.device, round, *h)
    });
    let mut beacons: HashMap<Hash, Beacon> = HashMap::new();
    let mut last: Option<(DeviceId, u64)> = None;
    for (r, id, info) in &beacons_in {
        match check_beacon(params, by_round, r, info, last) {
            Err(why) => rejected.push(Rejected::of(r, why)),
            Ok((br, cell, tx_power_centi_dbm)) => {
                last = Some((info.id, br.round));
                beacons.insert(
                    *id,
                    Beacon::new(params, close_res, br, info, cell, tx_power_centi_dbm),
                );
            }
        }
    }
    beacons
}

/// Every beacon rule, in the order they are reported. `last` is the (device,
/// round) of the beacon accepted before this one, for the duplicate rule. `Ok`
/// carries the beacon's round, the beaconer's cell and the declared power.
fn check_beacon<'r>(
    params: &CoverageParams,
    by_round: &'r BTreeMap<u64, BeaconRound>,
    r: &SignedReport,
    info: &DeviceInfo,
    last: Option<(DeviceId, u64)>,
) -> Result<(&'r BeaconRound, CellIndex, i32), ScoreRejection> {
    let ReportBody::Beacon {
        round,
        draw,
        tx_power_centi_dbm,
    } = r.report.body
    else {
        return Err(ScoreRejection::WrongKind);
    };
    let br = by_round.get(&round).ok_or(ScoreRejection::UnknownRound)?;
    if br.draw != draw {
        return Err(ScoreRejection::WrongDraw);
    }
    if !drawn(params, br, &info.id) {
        return Err(ScoreRejection::NotDrawn);
    }
    let t = r.report.timestamp_ms;
    if t < br.start_ms || t >= br.end_ms {
        return Err(ScoreRejection::OutsideRound);
    }
    let max = params.max_tx_power_dbm * 100;
    if tx_power_centi_dbm > max {
        return Err(ScoreRejection::TxPowerTooHigh {
            found_centi_dbm: tx_power_centi_dbm,
            max_centi_dbm: max,
        });
    }
    if last == Some((info.id, round)) {
        return Err(ScoreRejection::DuplicateBeacon);
    }
    let cell = CellIndex::try_from(info.location).map_err(|_| ScoreRejection::UnknownDevice)?;
    Ok((br, cell, tx_power_centi_dbm))
}

impl Beacon {
    /// What the witness rules need of a beacon `info`'s hotspot sent in round
    /// `br` from `cell` at the declared power.
    fn new(
        params: &CoverageParams,
        close_res: Resolution,
        br: &BeaconRound,
        info: &DeviceInfo,
        cell: CellIndex,
        tx_power_centi_dbm: i32,
    ) -> Beacon {
        let frequency_hz = beacon_frequency_hz(params, br, &info.id);
        let mut near = [None; 7];
        if let Some(home) = cell_at(info.location, close_res) {
            for (slot, c) in near.iter_mut().zip(home.grid_disk::<Vec<_>>(1)) {
                *slot = Some(c);
            }
        }
        let budget_centi = tx_power_centi_dbm as i64 + params.gain_margin_db as i64 * 100
            - log10_x2000(frequency_hz)
            + 14_755;
        Beacon {
            round: br.round,
            device: info.id,
            owner: info.owner,
            near,
            at: LatLng::from(cell),
            start_ms: br.start_ms,
            end_ms: br.end_ms,
            frequency_hz,
            budget_centi,
        }
    }
}

/// Puts witnesses in canonical order: by witness, beacon, then report hash
/// (hashed only to break ties, which only duplicates have).
fn sort_witnesses(witnesses: &mut [Admitted<'_>]) {
    let body_beacon = |r: &SignedReport| match r.report.body {
        ReportBody::Witness { beacon, .. } => beacon,
        _ => unreachable!("only witnesses here"),
    };
    witnesses.sort_unstable_by(|(a, _), (b, _)| {
        (a.report.device, body_beacon(a))
            .cmp(&(b.report.device, body_beacon(b)))
            .then_with(|| a.hash().cmp(&b.hash()))
    });
}

/// Where each device is, at the closeness resolution and as a point.
fn locate(
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    close_res: Resolution,
) -> HashMap<DeviceId, (CellIndex, LatLng)> {
    devices
        .values()
        .filter_map(|info| {
            let cell = CellIndex::try_from(info.location).ok()?;
            Some((
                info.id,
                (cell_at(info.location, close_res)?, LatLng::from(cell)),
            ))
        })
        .collect()
}

/// The witnesses that are valid so far, per beacon: (measurement, index into the
/// sorted witnesses).
type Valid = HashMap<Hash, Vec<(Measurement, usize)>>;

/// Witness validation over `witnesses` in canonical order: every rule but the
/// duplicate one depends on the witness alone and is checked on all cores
/// ([`check_witness`]); the duplicate rule is applied in order after. Returns the
/// valid witnesses and the links the geometry rules judged.
fn judge_witnesses(
    params: &CoverageParams,
    beacons: &HashMap<Hash, Beacon>,
    located: &HashMap<DeviceId, (CellIndex, LatLng)>,
    witnesses: &[Admitted<'_>],
    rejected: &mut Vec<Rejected>,
) -> (Valid, Links) {
    let checks: Vec<Result<(), ScoreRejection>> = witnesses
        .par_iter()
        .map(|(r, info)| check_witness(params, beacons, located, r, info))
        .collect();
    let mut valid = Valid::new();
    let mut last: Option<(DeviceId, Hash)> = None;
    let mut links = Links::default();
    for (i, ((r, info), verdict)) in witnesses.iter().zip(checks).enumerate() {
        let ReportBody::Witness {
            beacon,
            rssi_centi_dbm,
            snr_centi_db,
            received_ms,
            ..
        } = r.report.body
        else {
            unreachable!()
        };
        let verdict = duplicate_rule(verdict, (info.id, beacon), &mut last);
        links.note(&verdict, || (info.id, beacons[&beacon].device));
        match verdict {
            Err(why) => rejected.push(Rejected::of(r, why)),
            Ok(()) => valid
                .entry(beacon)
                .or_default()
                .push(((rssi_centi_dbm, snr_centi_db, received_ms), i)),
        }
    }
    (valid, links)
}

/// The duplicate rule, given the other rules' `verdict` on the witness `key`
/// (witness, beacon): of a hotspot's witnesses of a beacon that pass the beacon,
/// self and owner rules, the first (in canonical order) is judged, the others are
/// duplicates. `last` is the key of the last one judged.
fn duplicate_rule(
    verdict: Result<(), ScoreRejection>,
    key: (DeviceId, Hash),
    last: &mut Option<(DeviceId, Hash)>,
) -> Result<(), ScoreRejection> {
    match verdict {
        Err(
            why @ (ScoreRejection::BeaconNotDrawn
            | ScoreRejection::SelfWitness
            | ScoreRejection::SameOwner),
        ) => Err(why),
        _ if *last == Some(key) => Err(ScoreRejection::DuplicateWitness),
        other => {
            *last = Some(key);
            other
        }
    }
}

/// Refuses the accepted beacons of location suspects, in beacon id order.
fn reject_suspect_beacons(
    beacons: &HashMap<Hash, Beacon>,
    suspects: &BTreeSet<DeviceId>,
    rejected: &mut Vec<Rejected>,
) {
    let mut suspect_beacons: Vec<(&Hash, &Beacon)> = beacons
        .iter()
        .filter(|(_, b)| suspects.contains(&b.device))
        .collect();
    suspect_beacons.sort_unstable_by_key(|(id, _)| **id);
    for (id, b) in suspect_beacons {
        rejected.push(Rejected {
            report: *id,
            device: b.device,
            why: ScoreRejection::LocationSuspect,
        });
    }
}

/// The active hotspots drawn in a round of the epoch that sent no valid beacon for
/// it: they earn no witness credit this epoch (their witnesses still count for
/// the beaconers).
fn missed_beacons(
    params: &CoverageParams,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    by_round: &BTreeMap<u64, BeaconRound>,
    beacons: &HashMap<Hash, Beacon>,
) -> HashSet<DeviceId> {
    let beaconed: HashSet<(DeviceId, u64)> =
        beacons.values().map(|b| (b.device, b.round)).collect();
    devices
        .values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter(|d| d.active)
        .filter(|d| {
            by_round
                .values()
                .any(|r| drawn(params, r, &d.id) && !beaconed.contains(&(d.id, r.round)))
        })
        .map(|d| d.id)
        .collect()
}

/// The tally, per beacon in id order: suspects' witnesses out (all of them, if
/// the beaconer is a suspect), copied measurements out; then the beaconer scores
/// `beacon_weight` per valid witness up to the cap, and up to the cap of the valid
/// witnesses ([`paid_witnesses`]) score `witness_weight`, unless they missed a
/// beacon. Returns unscaled scores.
fn tally(
    params: &CoverageParams,
    beacons: &HashMap<Hash, Beacon>,
    witnesses: &[Admitted<'_>],
    valid: Valid,
    verdicts: &Verdicts<'_>,
    rejected: &mut Vec<Rejected>,
) -> HashMap<DeviceId, u128> {
    let mut raw: HashMap<DeviceId, u128> = HashMap::new();
    let mut valid: Vec<(Hash, Vec<(Measurement, usize)>)> = valid.into_iter().collect();
    valid.sort_unstable_by_key(|(b, _)| *b);
    for (beacon, mut ws) in valid {
        let b = &beacons[&beacon];
        let beacon_suspect = verdicts.suspects.contains(&b.device);
        ws.retain(|(_, idx)| {
            let (r, _) = witnesses[*idx];
            if beacon_suspect || verdicts.suspects.contains(&r.report.device) {
                rejected.push(Rejected::of(r, ScoreRejection::LocationSuspect));
                false
            } else {
                true
            }
        });
        let kept = distinct_measurements(ws, witnesses, rejected);
        let cap = params.max_witnesses_per_beacon as usize;
        *raw.entry(b.device).or_insert(0) +=
            params.beacon_weight as u128 * kept.len().min(cap) as u128;
        for w in paid_witnesses(&beacon, kept, cap) {
            if !verdicts.missed.contains(&w) {
                *raw.entry(w).or_insert(0) += params.witness_weight as u128;
            }
        }
    }
    raw
}

/// The copied-measurement rule on one beacon's valid witnesses `ws`: witnesses
/// that share an exact measurement with another are refused, all of them (which
/// one is the original cannot be told). Returns the witnessing hotspots of the
/// others, in measurement order.
fn distinct_measurements(
    mut ws: Vec<(Measurement, usize)>,
    witnesses: &[Admitted<'_>],
    rejected: &mut Vec<Rejected>,
) -> Vec<DeviceId> {
    ws.sort_unstable();
    let mut kept: Vec<DeviceId> = Vec::new();
    for group in ws.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, idx)] = group {
            kept.push(witnesses[*idx].0.report.device);
        } else {
            for (_, idx) in group {
                let (r, _) = witnesses[*idx];
                rejected.push(Rejected::of(r, ScoreRejection::CopiedMeasurement));
            }
        }
    }
    kept
}

/// The witnesses of `beacon` that earn a witnessing: all of `kept` up to `cap`;
/// beyond it, `cap` of them picked by a hash of the beacon id and the witness key
/// (no witness can choose to be picked).
fn paid_witnesses(beacon: &Hash, mut kept: Vec<DeviceId>, cap: usize) -> Vec<DeviceId> {
    if kept.len() > cap {
        let seed = u64::from_be_bytes(beacon.as_bytes()[..8].try_into().expect("8 bytes"));
        kept.sort_by_cached_key(|w| {
            let k = u64::from_be_bytes(w.key().as_bytes()[..8].try_into().expect("8 bytes"));
            (splitmix64(seed ^ k), *w)
        });
        kept.truncate(cap);
    }
    kept
}

/// Scaling: each raw score times the hotspot's transmit scale (0 for a hotspot
/// without one), capped at `u64::MAX`; zero scores are left out.
fn scaled(
    raw: HashMap<DeviceId, u128>,
    scales: &BTreeMap<DeviceId, u64>,
) -> BTreeMap<DeviceId, u64> {
    raw.into_iter()
        .filter_map(|(device, r)| {
            let scale = scales.get(&device).copied().unwrap_or(0) as u128;
            let s = (r * scale / SCORE_ONE as u128).min(u64::MAX as u128) as u64;
            (s > 0).then_some((device, s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report;
    use plinth_core::{Address, Keypair};

    const WINDOW: EpochWindow = EpochWindow {
        epoch: 5,
        start_ms: 100_000,
        end_ms: 200_000,
    };
    /// Round 20 is the first of epoch 5 with 4 rounds per epoch: [100 000, 125 000).
    const ROUND: BeaconRound = BeaconRound {
        round: 20,
        start_ms: 100_000,
        end_ms: 125_000,
        height: 42,
        draw: Hash([7; 32]),
    };
    const F0: u64 = 903_900_000;

    fn half_drawn() -> CoverageParams {
        CoverageParams {
            beacon_bps: 5_000,
            channels_hz: vec![F0],
            ..CoverageParams::default()
        }
    }

    /// A round like [`ROUND`] whose draw picks every hotspot of `drawn_ids` and
    /// none of `not`: witnesses that were drawn and did not beacon would earn no
    /// witness credit.
    fn round_drawing(p: &CoverageParams, drawn_ids: &[&Hotspot], not: &[&Hotspot]) -> BeaconRound {
        (0u64..)
            .map(|i| BeaconRound {
                draw: Hash::of(&i.to_be_bytes()),
                ..ROUND
            })
            .find(|r| {
                drawn_ids.iter().all(|h| drawn(p, r, &h.info.id))
                    && not.iter().all(|h| !drawn(p, r, &h.info.id))
            })
            .unwrap()
    }

    fn all_drawn() -> CoverageParams {
        CoverageParams {
            beacon_bps: 10_000,
            channels_hz: vec![F0],
            ..CoverageParams::default()
        }
    }

    /// A res-12 cell at `north_m` metres north and `east_m` east of a base point
    /// in the US (lat 40°).
    fn cell(north_m: f64, east_m: f64) -> u64 {
        let lat = 40.0 + north_m / 111_195.0;
        let lon = -100.0 + east_m / (111_195.0 * 40f64.to_radians().cos());
        u64::from(LatLng::new(lat, lon).unwrap().to_cell(Resolution::Twelve))
    }

    struct Hotspot {
        key: Keypair,
        info: DeviceInfo,
    }

    fn hotspot(seed: u8, owner: u8, location: u64) -> Hotspot {
        let key = Keypair::from_seed([seed; 32]);
        Hotspot {
            info: DeviceInfo {
                id: DeviceId(key.public()),
                owner: Address(Keypair::from_seed([200 + owner; 32]).public()),
                location,
                active: true,
            },
            key,
        }
    }

    fn report(h: &Hotspot, t: u64, body: ReportBody) -> SignedReport {
        Report {
            chain: Hash::ZERO,
            device: h.info.id,
            network: "lora".into(),
            epoch: WINDOW.epoch,
            timestamp_ms: t,
            seq: t,
            body,
        }
        .sign(&h.key)
    }

    fn beacon(h: &Hotspot, round: &BeaconRound, tx_dbm: i32) -> SignedReport {
        report(
            h,
            round.start_ms + 10,
            ReportBody::Beacon {
                round: round.round,
                draw: round.draw,
                tx_power_centi_dbm: tx_dbm * 100,
            },
        )
    }

    fn witness(h: &Hotspot, b: &SignedReport, rssi_centi: i32, f: u64, t: u64) -> SignedReport {
        report(
            h,
            t,
            ReportBody::Witness {
                beacon: b.hash(),
                rssi_centi_dbm: rssi_centi,
                snr_centi_db: 500,
                frequency_hz: f,
                received_ms: t,
            },
        )
    }

    fn registry(hs: &[&Hotspot]) -> BTreeMap<DeviceId, DeviceInfo> {
        hs.iter().map(|h| (h.info.id, h.info.clone())).collect()
    }

    fn why_of(out: &FamilyOutput, r: &SignedReport) -> Option<ScoreRejection> {
        out.rejections
            .iter()
            .find(|x| x.report == r.hash())
            .map(|x| x.why.clone())
    }

    #[test]
    fn free_space_path_loss_matches_hand_computed_values() {
        // 20·log10(1000) + 20·log10(915e6) − 147.55 = 60 + 179.2284 − 147.55 = 91.6784 dB
        assert_eq!(fspl_centi_db(1_000, 915_000_000), 9_168);
        // 80 + 179.1243 − 147.55 = 111.5743 dB
        assert_eq!(fspl_centi_db(10_000, 904_100_000), 11_157);
        // 1 m at 1 GHz: 0 + 180 − 147.55 = 32.45 dB
        assert_eq!(fspl_centi_db(1, 1_000_000_000), 3_245);
        // Powers of ten are exact: 2000·log10(10^k) = 2000·k.
        for k in 0..19u32 {
            assert_eq!(log10_x2000(10u64.pow(k)), 2000 * k as i64, "10^{k}");
        }
        assert_eq!(log10_x2000(u64::MAX), 38_532); // 2000 × 19.2659
                                                   // Doubling the distance adds 20·log10(2) = 6.02 dB.
        assert_eq!(
            fspl_centi_db(2_000, 915_000_000) - fspl_centi_db(1_000, 915_000_000),
            602
        );
    }

    #[test]
    fn the_draw_is_deterministic_and_picks_about_beacon_bps() {
        let p = CoverageParams::default(); // 25%
        let ids: Vec<DeviceId> = (0..4000u32)
            .map(|i| {
                let mut s = [0u8; 32];
                s[..4].copy_from_slice(&i.to_le_bytes());
                DeviceId(Keypair::from_seed(s).public())
            })
            .collect();
        let n = ids.iter().filter(|d| drawn(&p, &ROUND, d)).count();
        assert!((800..1200).contains(&n), "{n} of 4000 drawn at 25%");
        let other = BeaconRound {
            draw: Hash([8; 32]),
            ..ROUND
        };
        let same = ids
            .iter()
            .filter(|d| drawn(&p, &ROUND, d) == drawn(&p, &other, d))
            .count();
        assert!(same < 3_500, "another block hash draws other hotspots");
        for d in &ids[..50] {
            assert!(p.channels_hz.contains(&beacon_frequency_hz(&p, &ROUND, d)));
            assert_eq!(drawn(&p, &ROUND, d), drawn(&p, &ROUND, d));
        }
        assert_eq!(
            p.rounds_of(&WINDOW),
            vec![
                (20, 100_000, 125_000),
                (21, 125_000, 150_000),
                (22, 150_000, 175_000),
                (23, 175_000, 200_000)
            ]
        );
    }

    /// A beaconer B and a witness W 5 km north of it, different owners. The
    /// distance between the two res-12 cell centres is 5004 m ± 10 m, so
    /// FSPL at 903.9 MHz = 20·log10(5004) + 20·log10(903.9e6) − 147.55
    /// = 73.99 + 179.12 − 147.55 = 105.56 dB, and with 27 dBm declared and a
    /// 6 dB margin the strongest plausible RSSI is 27 + 6 − 105.56 = −72.56 dBm.
    #[test]
    fn rssi_above_free_space_at_the_asserted_distance_is_refused() {
        let p = half_drawn();
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let w = hotspot(2, 2, cell(5_000.0, 0.0));
        let round = round_drawing(&p, &[&b], &[&w]);
        let d = distance_m(b.info.location, w.info.location).unwrap();
        assert!((4_990..5_020).contains(&d), "{d}");
        let bound = max_rssi_centi_dbm(&p, 2_700, d, F0);
        assert!((-7_259..=-7_253).contains(&bound), "{bound}");
        let bc = beacon(&b, &round, 27);
        let strong = witness(&w, &bc, -6_000, F0, 100_050);
        let devices = registry(&[&b, &w]);
        let out = score(
            &p,
            &WINDOW,
            &devices,
            &[bc.clone(), strong.clone()],
            &[round],
        );
        match why_of(&out, &strong) {
            Some(ScoreRejection::RssiTooStrong {
                rssi_centi_dbm,
                max_centi_dbm,
                distance_m,
            }) => {
                assert_eq!(rssi_centi_dbm, -6_000);
                assert_eq!(max_centi_dbm as i64, bound);
                assert_eq!(distance_m, d);
            }
            other => panic!("{other:?}"),
        }
        assert!(out.scores.is_empty(), "no valid witness, nobody earns");
        // Just under the bound passes; just over does not.
        let ok = witness(&w, &bc, bound as i32, F0, 100_050);
        let out = score(&p, &WINDOW, &devices, &[bc.clone(), ok.clone()], &[round]);
        assert_eq!(why_of(&out, &ok), None);
        assert_eq!(out.scores.len(), 2);
        let over = witness(&w, &bc, bound as i32 + 1, F0, 100_050);
        let out = score(&p, &WINDOW, &devices, &[bc, over.clone()], &[round]);
        assert!(matches!(
            why_of(&out, &over),
            Some(ScoreRejection::RssiTooStrong { .. })
        ));
    }

    #[test]
    fn every_witness_rule_has_its_reason() {
        // No density scaling here: `near` shares b's res-8 hex.
        let p = CoverageParams {
            density: Vec::new(),
            ..half_drawn()
        };
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let w = hotspot(2, 2, cell(5_000.0, 0.0));
        let sibling = hotspot(3, 1, cell(0.0, 5_000.0)); // same owner as b
        let near = hotspot(4, 4, cell(60.0, 0.0)); // same res-8 cell
        let far = hotspot(5, 5, cell(150_000.0, 0.0)); // 150 km > 40 km range
        let twin = hotspot(6, 6, cell(-5_000.0, 0.0));
        let slow = hotspot(7, 7, cell(-5_000.0, -5_000.0));
        let other = hotspot(8, 8, cell(5_000.0, 5_000.0));
        let devices = registry(&[&b, &w, &sibling, &near, &far, &twin, &slow, &other]);
        let round = round_drawing(
            &p,
            &[&b],
            &[&w, &sibling, &near, &far, &twin, &slow, &other],
        );
        let bc = beacon(&b, &round, 27);
        let t = 100_050;
        let good = witness(&w, &bc, -9_000, F0, t);
        let cases: Vec<(SignedReport, ScoreRejection)> = vec![
            (witness(&b, &bc, -9_000, F0, t), ScoreRejection::SelfWitness),
            (
                witness(&sibling, &bc, -9_000, F0, t),
                ScoreRejection::SameOwner,
            ),
            (
                witness(&near, &bc, -9_000, F0, t),
                ScoreRejection::TooClose { resolution: 8 },
            ),
            (
                witness(&twin, &bc, -9_000, F0 + 200_000, t),
                ScoreRejection::WrongFrequency {
                    expected_hz: F0,
                    found_hz: F0 + 200_000,
                },
            ),
            // A second witness of the same beacon by w: the one with the lower
            // report hash counts, the other is a duplicate.
            (
                witness(&w, &bc, -9_100, F0, t),
                ScoreRejection::DuplicateWitness,
            ),
        ];
        let late = witness(&slow, &bc, -9_000, F0, round.end_ms);
        let too_far = witness(&far, &bc, -13_000, F0, t);
        let unknown = {
            let other_beacon = beacon(&w, &round, 27);
            witness(&other, &other_beacon, -9_000, F0, t) // beacon never reported
        };
        let mut reports = vec![
            bc.clone(),
            good.clone(),
            late.clone(),
            too_far.clone(),
            unknown.clone(),
        ];
        reports.extend(cases.iter().map(|(r, _)| r.clone()));
        let out = score(&p, &WINDOW, &devices, &reports, &[round]);
        for (r, want) in &cases {
            if *want == ScoreRejection::DuplicateWitness {
                // Whichever of the two has the higher hash is the duplicate.
                let (a, z) = (good.hash(), r.hash());
                let dup = if a < z { r } else { &good };
                assert_eq!(why_of(&out, dup), Some(ScoreRejection::DuplicateWitness));
            } else {
                assert_eq!(why_of(&out, r).as_ref(), Some(want), "{want:?}");
            }
        }
        assert_eq!(why_of(&out, &late), Some(ScoreRejection::OutsideRound));
        assert!(matches!(
            why_of(&out, &too_far),
            Some(ScoreRejection::TooFar { max_m: 40_000, distance_m }) if distance_m > 149_000
        ));
        assert_eq!(why_of(&out, &unknown), Some(ScoreRejection::BeaconNotDrawn));
        // Exactly one valid witness: w earns one witnessing, b one beacon witness.
        assert_eq!(out.scores.get(&w.info.id), Some(&SCORE_ONE));
        assert_eq!(out.scores.get(&b.info.id), Some(&SCORE_ONE));
        assert_eq!(out.scores.len(), 2);
    }

    #[test]
    fn copied_measurements_earn_nothing() {
        let p = all_drawn();
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let w = hotspot(2, 2, cell(5_000.0, 0.0));
        let relay = hotspot(3, 3, cell(0.0, 8_000.0));
        let devices = registry(&[&b, &w, &relay]);
        let bc = beacon(&b, &ROUND, 27);
        let real = witness(&w, &bc, -9_000, F0, 100_050);
        let copy = witness(&relay, &bc, -9_000, F0, 100_050);
        let out = score(
            &p,
            &WINDOW,
            &devices,
            &[bc, real.clone(), copy.clone()],
            &[ROUND],
        );
        assert_eq!(why_of(&out, &copy), Some(ScoreRejection::CopiedMeasurement));
        assert_eq!(why_of(&out, &real), Some(ScoreRejection::CopiedMeasurement));
        assert!(out.scores.is_empty());
    }

    #[test]
    fn every_beacon_rule_has_its_reason() {
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let c = hotspot(2, 2, cell(5_000.0, 0.0));
        let w = hotspot(3, 3, cell(0.0, 5_000.0));
        let devices = registry(&[&b, &c, &w]);
        let p = all_drawn();
        let unknown_round = BeaconRound { round: 21, ..ROUND };
        let wrong_draw = BeaconRound {
            draw: Hash([9; 32]),
            ..ROUND
        };
        let cases = [
            (beacon(&b, &unknown_round, 27), ScoreRejection::UnknownRound),
            (beacon(&b, &wrong_draw, 27), ScoreRejection::WrongDraw),
            (
                beacon(&c, &ROUND, 37),
                ScoreRejection::TxPowerTooHigh {
                    found_centi_dbm: 3_700,
                    max_centi_dbm: 3_600,
                },
            ),
        ];
        let out_of_round = report(
            &b,
            ROUND.end_ms + 5,
            ReportBody::Beacon {
                round: ROUND.round,
                draw: ROUND.draw,
                tx_power_centi_dbm: 2_700,
            },
        );
        let mut reports: Vec<SignedReport> = cases.iter().map(|(r, _)| r.clone()).collect();
        reports.push(out_of_round.clone());
        let out = score(&p, &WINDOW, &devices, &reports, &[ROUND]);
        for (r, want) in &cases {
            assert_eq!(why_of(&out, r).as_ref(), Some(want));
        }
        assert_eq!(
            why_of(&out, &out_of_round),
            Some(ScoreRejection::OutsideRound)
        );

        // Two beacons of b in one round: the lower hash is the beacon.
        let b1 = beacon(&b, &ROUND, 27);
        let b2 = beacon(&b, &ROUND, 26);
        let (keep, dup) = if b1.hash() < b2.hash() {
            (b1, b2)
        } else {
            (b2, b1)
        };
        let out = score(
            &p,
            &WINDOW,
            &devices,
            &[keep.clone(), dup.clone()],
            &[ROUND],
        );
        assert_eq!(why_of(&out, &dup), Some(ScoreRejection::DuplicateBeacon));
        assert_eq!(why_of(&out, &keep), None);

        // Nobody drawn: the beacon and its witnesses are refused.
        let none = CoverageParams {
            beacon_bps: 0,
            ..all_drawn()
        };
        let bc = beacon(&b, &ROUND, 27);
        let wt = witness(&w, &bc, -9_000, F0, 100_050);
        let out = score(
            &none,
            &WINDOW,
            &devices,
            &[bc.clone(), wt.clone()],
            &[ROUND],
        );
        assert_eq!(why_of(&out, &bc), Some(ScoreRejection::NotDrawn));
        assert_eq!(why_of(&out, &wt), Some(ScoreRejection::BeaconNotDrawn));
    }

    #[test]
    fn earnings_are_capped_per_beacon_and_order_does_not_matter() {
        let p = CoverageParams {
            max_witnesses_per_beacon: 3,
            ..half_drawn()
        };
        let b = hotspot(1, 1, cell(0.0, 0.0));
        // Five witnesses on a circle of 10 km, far enough apart not to be stacked.
        let ws: Vec<Hotspot> = (0..5)
            .map(|i| {
                let a = i as f64 * 1.2;
                hotspot(
                    10 + i as u8,
                    10 + i as u8,
                    cell(10_000.0 * a.cos(), 10_000.0 * a.sin()),
                )
            })
            .collect();
        let mut all: Vec<&Hotspot> = ws.iter().collect();
        all.push(&b);
        let devices = registry(&all);
        let round = round_drawing(&p, &[&b], &[&ws[0], &ws[1], &ws[2], &ws[3], &ws[4]]);
        let bc = beacon(&b, &round, 27);
        let mut reports = vec![bc.clone()];
        for (i, w) in ws.iter().enumerate() {
            reports.push(witness(w, &bc, -11_000 - i as i32, F0, 100_050));
        }
        let out = score(&p, &WINDOW, &devices, &reports, &[round]);
        assert!(out.rejections.is_empty(), "{:?}", out.rejections);
        assert_eq!(out.scores[&b.info.id], 3 * SCORE_ONE);
        // Three of the five witnesses, picked by a hash of beacon id and witness key,
        // earn a witnessing; the other two nothing.
        let paid: Vec<u64> = ws
            .iter()
            .filter_map(|w| out.scores.get(&w.info.id).copied())
            .collect();
        assert_eq!(paid, vec![SCORE_ONE; 3]);
        reports.reverse();
        assert_eq!(score(&p, &WINDOW, &devices, &reports, &[round]), out);
    }

    fn info_at(i: u8, location: u64) -> DeviceInfo {
        hotspot(i, i, location).info
    }

    fn scales_of(params: &CoverageParams, cells: &[u64]) -> Vec<u64> {
        let infos: Vec<DeviceInfo> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| info_at(i as u8 + 1, *c))
            .collect();
        let devices: BTreeMap<DeviceId, DeviceInfo> =
            infos.iter().map(|d| (d.id, d.clone())).collect();
        let s = transmit_scales(params, &devices);
        infos.iter().map(|d| s[&d.id]).collect()
    }

    fn res11_center(c: CellIndex) -> u64 {
        u64::from(c.center_child(Resolution::Eleven).unwrap())
    }

    #[test]
    fn a_lone_hotspot_keeps_its_full_scale() {
        let p = CoverageParams::default();
        assert_eq!(scales_of(&p, &[cell(0.0, 0.0)]), vec![SCORE_ONE]);
    }

    /// Helium's table. Two hotspots in one res-11 cell: at res 10 the hex's
    /// density is 2; only it has density ≥ target 1 in its k-ring, so occupied = 1
    /// and limit = min(max 1, 1 × max(1, 1 − 2 + 1)) = 1: clipped 1, factor 1/2.
    /// At res 9 the density is that clipped 1: limit min(2, 1 × 1) = 1, factor 1;
    /// res 8 likewise; at res 7..4 the density 1 is below target, the limit is
    /// target × 1 ≥ 1, factor 1. Scale 1/2 each.
    #[test]
    fn two_hotspots_in_one_cell_share_one_scale() {
        let p = CoverageParams::default();
        let c = cell(0.0, 0.0);
        assert_eq!(scales_of(&p, &[c, c]), vec![SCORE_ONE / 2; 2]);
    }

    /// Helium's table. Three hotspots in three different res-10 children of one
    /// res-9 hex P. At res 10 each hex has density 1 and limit 1: factor 1. At
    /// res 9 P's density is 1 + 1 + 1 = 3; P's neighbours are empty, occupied = 1,
    /// limit = min(2, 1 × max(1, 1 − 2 + 1)) = 1: factor 1/3. Above, density 1:
    /// factor 1. Scale ⌊10⁶ / 3⌋ = 333 333 each.
    #[test]
    fn three_hotspots_in_one_res9_hex_share_its_limit() {
        let p = CoverageParams::default();
        let parent = CellIndex::try_from(cell(0.0, 0.0))
            .unwrap()
            .parent(Resolution::Nine)
            .unwrap();
        let kids: Vec<CellIndex> = parent.children(Resolution::Ten).take(3).collect();
        let cells: Vec<u64> = kids.into_iter().map(res11_center).collect();
        assert_eq!(scales_of(&p, &cells), vec![333_333; 3]);
    }

    /// One level only: res 9 with N = 2, target 1, max 2 (counted at res 10).
    /// Three mutually adjacent res-9 hexes with two hotspots each: every hex's
    /// k-ring holds 3 hexes of density ≥ 1, so limit = min(2, 1 × (3 − 2 + 1)) = 2
    /// and nothing is clipped: scale 1. The same two hotspots in a hex alone:
    /// occupied 1, limit min(2, 1 × max(1, 0)) = 1, scale 1/2. Neighbours make
    /// room, as HIP-17 intends for evenly spread coverage.
    #[test]
    fn occupied_neighbours_raise_the_limit() {
        let p = CoverageParams {
            density: vec![DensityLevel {
                res: 9,
                n: 2,
                target: 1,
                max: 2,
            }],
            ..CoverageParams::default()
        };
        let h = CellIndex::try_from(cell(0.0, 0.0))
            .unwrap()
            .parent(Resolution::Nine)
            .unwrap();
        let ring: Vec<CellIndex> = h
            .grid_disk::<Vec<_>>(1)
            .into_iter()
            .filter(|c| *c != h)
            .collect();
        let n1 = ring[0];
        let n2 = *ring
            .iter()
            .find(|c| **c != n1 && c.is_neighbor_with(n1).unwrap())
            .unwrap();
        let mut cells = Vec::new();
        for hex in [h, n1, n2] {
            for kid in hex.children(Resolution::Ten).take(2) {
                cells.push(u64::from(kid));
            }
        }
        assert_eq!(scales_of(&p, &cells), vec![SCORE_ONE; 6]);
        assert_eq!(scales_of(&p, &cells[..2]), vec![SCORE_ONE / 2; 2]);
        // The scale does not depend on the devices' order.
        let mut rev = cells.clone();
        rev.reverse();
        assert_eq!(scales_of(&p, &rev), vec![SCORE_ONE; 6]);
    }

    #[test]
    fn stacked_hotspots_do_not_multiply_rewards() {
        let p = half_drawn();
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let spot = cell(5_000.0, 0.0);
        let stack: Vec<Hotspot> = (0..4).map(|i| hotspot(20 + i, 20 + i, spot)).collect();
        let lone = hotspot(30, 30, cell(0.0, 5_000.0));
        let mut all: Vec<&Hotspot> = stack.iter().collect();
        all.push(&b);
        all.push(&lone);
        let devices = registry(&all);
        let round = round_drawing(
            &p,
            &[&b],
            &[&stack[0], &stack[1], &stack[2], &stack[3], &lone],
        );
        let bc = beacon(&b, &round, 27);
        let mut reports = vec![bc.clone(), witness(&lone, &bc, -9_500, F0, 100_050)];
        for (i, s) in stack.iter().enumerate() {
            reports.push(witness(s, &bc, -9_000 - 10 * i as i32, F0, 100_050));
        }
        let out = score(&p, &WINDOW, &devices, &reports, &[round]);
        assert!(out.rejections.is_empty(), "{:?}", out.rejections);
        let stacked: u64 = stack.iter().map(|s| out.scores[&s.info.id]).sum();
        assert_eq!(stacked, SCORE_ONE, "four stacked earn what one would");
        assert_eq!(out.scores[&lone.info.id], SCORE_ONE);
    }

    /// Hand-built too-strong links: S with A, B, C, D; A also with E. Degrees:
    /// S 4, A 2, others 1. With min_links 2, S (4) is picked; its links go, leaving
    /// A and E with 1 each < 2: S alone. With min_links 1: S, then of A and E the
    /// lower id, after which the other has none left.
    ///
    /// Too far: F has 3 too-far counterparts among 6 judged (50% ≥ 33.33%): a
    /// suspect with min_links 2. G has 2 too-far among 10 judged (20%): not.
    #[test]
    fn the_hotspot_most_at_odds_with_others_is_the_suspect() {
        let ids: Vec<DeviceId> = (1..=30u8)
            .map(|i| DeviceId(Keypair::from_seed([i; 32]).public()))
            .collect();
        let (s, a, b, c, d, e) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]);
        let strong = Links {
            judged: HashMap::new(),
            too_far: Vec::new(),
            too_strong: vec![(s, a), (b, s), (s, c), (d, s), (a, e), (s, a)],
        };
        let got = location_suspects(&strong, 2, 3_333);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec![s]);
        let got = location_suspects(&strong, 1, 3_333);
        assert_eq!(got.len(), 2);
        assert!(got.contains(&s) && got.contains(&a.min(e)));
        assert!(location_suspects(&strong, 5, 3_333).is_empty());
        assert!(location_suspects(&strong, 0, 3_333).is_empty());

        let (f, g) = (ids[10], ids[11]);
        let mut far = Links::default();
        for k in 0..6 {
            *far.judged.entry(f).or_insert(0) += 1;
            if k < 3 {
                far.too_far.push((ids[12 + k], f));
            }
        }
        for k in 0..10 {
            *far.judged.entry(g).or_insert(0) += 1;
            if k < 2 {
                far.too_far.push((g, ids[18 + k]));
            }
        }
        let got = location_suspects(&far, 2, 3_333);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec![f]);
    }

    /// A spoofer X asserts a place 150 km away while three honest hotspots witness
    /// its beacon (too far for them) and it witnesses theirs: X has 3 implausible
    /// counterparts, each honest one 1. X earns nothing and its reports are refused
    /// as location suspect; the honest hotspots keep what they earn among
    /// themselves.
    #[test]
    fn a_spoofer_heard_by_many_is_a_location_suspect() {
        let p = CoverageParams {
            beacon_bps: 10_000,
            channels_hz: vec![F0],
            density: Vec::new(),
            ..CoverageParams::default()
        };
        let x = hotspot(1, 1, cell(150_000.0, 0.0));
        let hs: Vec<Hotspot> = (0..3)
            .map(|i| hotspot(10 + i, 10 + i, cell(0.0, 6_000.0 * i as f64)))
            .collect();
        let mut all: Vec<&Hotspot> = hs.iter().collect();
        all.push(&x);
        let devices = registry(&all);
        let xb = beacon(&x, &ROUND, 27);
        let mut reports = vec![xb.clone()];
        let beacons: Vec<SignedReport> = hs.iter().map(|h| beacon(h, &ROUND, 27)).collect();
        reports.extend(beacons.iter().cloned());
        for (i, h) in hs.iter().enumerate() {
            reports.push(witness(h, &xb, -9_000 - i as i32, F0, 100_050));
            reports.push(witness(&x, &beacons[i], -9_100 - i as i32, F0, 100_050));
            for (j, other) in beacons.iter().enumerate() {
                if i != j {
                    reports.push(witness(
                        h,
                        other,
                        -10_000 - 10 * (i * 3 + j) as i32,
                        F0,
                        100_050,
                    ));
                }
            }
        }
        let out = score(&p, &WINDOW, &devices, &reports, &[ROUND]);
        assert_eq!(why_of(&out, &xb), Some(ScoreRejection::LocationSuspect));
        assert!(!out.scores.contains_key(&x.info.id));
        for h in &hs {
            // Two valid witnesses of its beacon, two valid witnessings.
            assert_eq!(out.scores[&h.info.id], 4 * SCORE_ONE, "{out:?}");
        }
    }

    /// Every hotspot is drawn; w witnesses b's beacon but never sends its own: the
    /// witness counts for b, w earns no witness credit.
    #[test]
    fn drawn_hotspots_that_do_not_beacon_earn_no_witness_credit() {
        let p = CoverageParams {
            density: Vec::new(),
            ..all_drawn()
        };
        let b = hotspot(1, 1, cell(0.0, 0.0));
        let w = hotspot(2, 2, cell(5_000.0, 0.0));
        let devices = registry(&[&b, &w]);
        let bc = beacon(&b, &ROUND, 27);
        let wt = witness(&w, &bc, -9_000, F0, 100_050);
        let out = score(&p, &WINDOW, &devices, &[bc.clone(), wt.clone()], &[ROUND]);
        assert!(out.rejections.is_empty());
        assert_eq!(out.scores.get(&b.info.id), Some(&SCORE_ONE));
        assert_eq!(out.scores.get(&w.info.id), None);
        // Once w beacons too, its witnessing pays.
        let wb = beacon(&w, &ROUND, 27);
        let out = score(&p, &WINDOW, &devices, &[bc, wt, wb], &[ROUND]);
        assert_eq!(out.scores.get(&w.info.id), Some(&SCORE_ONE));
    }

    #[test]
    fn params_are_validated() {
        let f = |json: &str| crate::Family::from_network("coverage", json);
        assert!(
            matches!(f("{}"), Ok(crate::Family::Coverage(p)) if p == CoverageParams::default())
        );
        for bad in [
            r#"{"beacon_bps": 10001}"#,
            r#"{"rounds_per_epoch": 0}"#,
            r#"{"channels_hz": []}"#,
            r#"{"density": [{"res": 9, "n": 2, "target": 1, "max": 2}, {"res": 8, "n": 2, "target": 1, "max": 4}]}"#,
            r#"{"density": [{"res": 9, "n": 2, "target": 0, "max": 2}]}"#,
            r#"{"resolution": 16}"#,
            r#"{"unknown": 1}"#,
        ] {
            assert!(f(bad).unwrap_err().is_bad_params(), "{bad}");
        }
    }

    /// A seeded, random epoch of a coverage network in which every rule fires:
    /// scattered and stacked hotspots, shared owners, an inactive and an unknown
    /// device, spoofers (asserted far from where they hear), loud colluders, missed
    /// and duplicate beacons, beacons for unknown rounds or other draws, witnesses
    /// late, on the wrong channel, duplicated or copied, and a round recorded twice.
    fn mixed_epoch(
        seed: u64,
    ) -> (
        CoverageParams,
        BTreeMap<DeviceId, DeviceInfo>,
        Vec<SignedReport>,
        Vec<BeaconRound>,
    ) {
        let mut state = seed;
        let mut next = move || {
            state = splitmix64(state);
            state
        };
        let p = CoverageParams {
            beacon_bps: 4_000,
            channels_hz: vec![F0, F0 + 200_000],
            max_witnesses_per_beacon: 4,
            max_range_m: 25_000,
            ..CoverageParams::default()
        };
        // (hotspot, true position (north, east) in metres).
        let mut hs: Vec<(Hotspot, (f64, f64))> = Vec::new();
        for i in 0..70u8 {
            let pos = if i > 0 && next() % 8 == 0 {
                hs[hs.len() - 1].1 // stacked on the previous one
            } else {
                (
                    (next() % 40_000) as f64 - 20_000.0,
                    (next() % 40_000) as f64 - 20_000.0,
                )
            };
            // Spoofers assert a place 60 km north of where they are.
            let asserted = if i % 17 == 5 {
                (pos.0 + 60_000.0, pos.1)
            } else {
                pos
            };
            let mut h = hotspot(i + 1, (next() % 30) as u8, cell(asserted.0, asserted.1));
            h.info.active = i != 33;
            hs.push((h, pos));
        }
        let loud = |i: usize| i % 23 == 7; // colluders that fake strong witnesses
        let mut devices = registry(&hs.iter().map(|(h, _)| h).collect::<Vec<_>>());
        let stranger = hotspot(250, 3, cell(0.0, 0.0)); // not registered
        devices.remove(&stranger.info.id);

        let mut rounds: Vec<BeaconRound> = p
            .rounds_of(&WINDOW)
            .into_iter()
            .map(|(round, start_ms, end_ms)| BeaconRound {
                round,
                start_ms,
                end_ms,
                height: 100 + round,
                draw: Hash::of(&(seed ^ round).to_be_bytes()),
            })
            .collect();
        // Round 21 recorded twice: the lower (height, draw) counts.
        rounds.push(BeaconRound {
            height: 99,
            draw: Hash::of(b"again"),
            ..rounds[1]
        });
        // A round of another epoch.
        rounds.push(BeaconRound {
            round: 3,
            ..rounds[0]
        });
        let effective: Vec<BeaconRound> = {
            let mut r = rounds[..4].to_vec();
            r[1] = rounds[4];
            r
        };

        let mut reports = Vec::new();
        for br in &effective {
            for (bi, (b, bpos)) in hs.iter().enumerate() {
                let is_drawn = drawn(&p, br, &b.info.id);
                let roll = next() % 100;
                let mut sent = Vec::new();
                if is_drawn && roll < 85 {
                    let tx = if roll < 3 { 40 } else { 27 };
                    sent.push(beacon(b, br, tx));
                    if roll % 19 == 4 {
                        sent.push(beacon(b, br, 26)); // a duplicate
                    }
                } else if !is_drawn && roll < 4 {
                    sent.push(beacon(b, br, 27)); // not drawn
                } else if roll == 99 {
                    let other = BeaconRound {
                        draw: Hash::of(b"forged"),
                        ..*br
                    };
                    sent.push(beacon(b, &other, 27)); // wrong draw
                } else if roll == 98 {
                    let other = BeaconRound {
                        round: br.round + 40,
                        ..*br
                    };
                    sent.push(beacon(b, &other, 27)); // unknown round
                }
                for bc in sent {
                    reports.push(bc.clone());
                    let f = beacon_frequency_hz(&p, br, &b.info.id);
                    let mut last_measure = None;
                    for (wi, (w, wpos)) in hs.iter().enumerate() {
                        let true_m = ((bpos.0 - wpos.0).powi(2) + (bpos.1 - wpos.1).powi(2))
                            .sqrt()
                            .max(1.0) as u64;
                        if wi == bi && next() % 10 != 0 {
                            continue;
                        }
                        if true_m > 30_000 || next() % 2 == 0 {
                            continue;
                        }
                        let rssi = if loud(wi) && loud(bi) {
                            -3_000
                        } else {
                            (2_700 - fspl_centi_db(true_m, f) - (next() % 1_500) as i64) as i32
                        };
                        let roll = next() % 100;
                        let freq = if roll == 0 { F0 + 400_000 } else { f };
                        let t = if roll == 1 {
                            br.end_ms + 5
                        } else {
                            br.start_ms + 20 + next() % 1_000
                        };
                        let mut wr = witness(w, &bc, rssi, freq, t);
                        if roll == 2 {
                            if let Some((rssi, t)) = last_measure {
                                wr = witness(w, &bc, rssi, freq, t); // a relay's copy
                            }
                        }
                        last_measure = Some((rssi, t));
                        if roll == 3 {
                            reports.push(witness(w, &bc, rssi - 10, freq, t)); // duplicate
                        }
                        reports.push(wr);
                    }
                }
            }
        }
        // Reports no coverage rule accepts.
        reports.push(report(&hs[0].0, 100_100, ReportBody::Heartbeat));
        reports.push(report(&stranger, 100_100, ReportBody::Heartbeat));
        reports.push(report(&hs[1].0, WINDOW.end_ms, ReportBody::Heartbeat));
        (p, devices, reports, rounds)
    }

    /// The whole output of `score` on seeded random epochs, recorded: any change to
    /// a score, a rejection or their order shows here.
    #[test]
    fn score_output_matches_the_recorded_digest() {
        let mut seen = BTreeSet::new();
        let mut digests = Vec::new();
        for seed in [1u64, 2, 3] {
            let (p, devices, reports, rounds) = mixed_epoch(seed);
            let out = score(&p, &WINDOW, &devices, &reports, &rounds);
            assert!(out.scores.len() > 20, "{} scores", out.scores.len());
            for r in &out.rejections {
                let name = format!("{:?}", r.why);
                seen.insert(
                    name.split([' ', '{'])
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            digests.push(Hash::of(&plinth_core::encode(&out)).to_string());
        }
        let every: BTreeSet<String> = [
            "BeaconNotDrawn",
            "CopiedMeasurement",
            "DuplicateBeacon",
            "DuplicateWitness",
            "InactiveDevice",
            "LocationSuspect",
            "NotDrawn",
            "OutsideEpoch",
            "OutsideRound",
            "RssiTooStrong",
            "SameOwner",
            "SelfWitness",
            "TooClose",
            "TooFar",
            "TxPowerTooHigh",
            "UnknownDevice",
            "UnknownRound",
            "WrongDraw",
            "WrongFrequency",
            "WrongKind",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(seen, every, "every rule fires");
        assert_eq!(
            digests,
            [
                "9b517ca321a388faca736bcc68eb785b9eaebe8592e3bcf0f4ad82c73a332e57",
                "72e46fcf4dba5b4bff3f50153c4596df93e2324919e8f20f492a587c58993d56",
                "c7c89875dd759f12516937ed0a4c7697ef50032447d0f58e34cc806fbaad432a",
            ]
        );
    }
}
