//! The energy family: meters of a local energy market prove what they exported.
//!
//! A meter reports cumulative import and export counters (Wh) at the end of each
//! interval, signed with its key ([`SignedReading`]); the ledger takes readings
//! (anyone may post them) and checks each with [`check_reading`]:
//!
//! - counters only go up, and readings come in interval order;
//! - export only when a panel can produce: at most the meter's declared capacity
//!   times the clear-sky curve of the network's place and the interval
//!   ([`solar`]: none at night), plus a margin;
//! - import at most what a connection of the network's largest capacity carries.
//!
//! When an interval settles, [`zone_outliers`] refuses generators that claim much
//! more of their clear-sky ceiling than their zone's others (clouds cover a
//! neighbourhood; a meter claiming full sun under them is lying). What passes is
//! the meter's **verified generation**: it earns the network's emission share
//! (the oracle scores it from the ledger's record: [`score`]), pays its sales,
//! and yields certificates.

pub mod solar;

use crate::compute::ComputeEarnings;
use plinth_core::{DeviceId, Hash, Signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An energy network's parameters (the network's `params` JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnergyParams {
    /// Length of a trading interval, ms (15 minutes).
    pub interval_ms: u64,
    /// Orders for an interval close this long before it starts (gate closure), ms.
    pub gate_ms: u64,
    /// Readings of an interval are taken until this long after its end; then it
    /// settles (missing readings count as zero), ms.
    pub settle_ms: u64,
    /// A meter's zone is the H3 parent of its location at this resolution (the
    /// feeder or microgrid that can share power).
    pub zone_resolution: u8,
    /// Credits per kWh a seller pays for energy it sold and did not deliver
    /// (and the collateral its offers hold).
    pub penalty_price: u64,
    /// The largest capacity a meter may declare, W (and the most a connection
    /// imports).
    pub max_capacity_w: u64,
    /// The community's latitude, centi-degrees (the clear-sky curve's place).
    pub lat_cdeg: i64,
    /// Its longitude, centi-degrees.
    pub lng_cdeg: i64,
    /// The sun's day in wall-clock ms (a devnet runs days in minutes).
    pub day_ms: u64,
    /// Shifts the sun's calendar, ms.
    pub sun_offset_ms: i64,
    /// Margin over the clear-sky ceiling, basis points.
    pub margin_bps: u64,
    /// A generator whose share of its ceiling exceeds its zone's median by more
    /// than this (basis points of the ceiling) is refused.
    pub zone_tolerance_bps: u64,
    /// Zones with fewer generators than this are not compared.
    pub zone_min_generators: u32,
    /// The most intervals one (standing) order spans.
    pub max_order_intervals: u64,
    /// Verified generation per certificate, Wh (one MWh).
    pub certificate_wh: u64,
    /// Readings and fills one block settles at most (whole zones, at least
    /// one a block): a large network's interval settles over several blocks
    /// instead of stalling one.
    pub settle_budget_per_block: u64,
}

impl Default for EnergyParams {
    fn default() -> Self {
        EnergyParams {
            interval_ms: 900_000,
            gate_ms: 300_000,
            settle_ms: 3_600_000,
            zone_resolution: 8,
            penalty_price: 50_000,
            max_capacity_w: 25_000,
            lat_cdeg: 5_252,
            lng_cdeg: 1_340,
            day_ms: solar::DAY_MS,
            sun_offset_ms: 0,
            margin_bps: 2_000,
            zone_tolerance_bps: 3_000,
            zone_min_generators: 3,
            max_order_intervals: 2_976,
            certificate_wh: 1_000_000,
            settle_budget_per_block: 20_000,
        }
    }
}

impl EnergyParams {
    /// Checks what serde cannot.
    pub fn validate(self) -> Result<EnergyParams, String> {
        if !(10_000..=86_400_000).contains(&self.interval_ms) {
            return Err("interval_ms must be 10000 (10 s) to 86400000 (a day)".into());
        }
        if self.gate_ms > 7 * solar::DAY_MS || self.settle_ms > 7 * solar::DAY_MS {
            return Err("gate_ms and settle_ms must be at most a week".into());
        }
        if self.zone_resolution > 15 {
            return Err("zone_resolution must be an H3 resolution, 0 to 15".into());
        }
        if self.penalty_price == 0 {
            return Err("penalty_price must be positive".into());
        }
        if self.max_capacity_w == 0 || self.max_capacity_w > 100_000_000 {
            return Err("max_capacity_w must be 1 to 100000000 (100 MW)".into());
        }
        if self.lat_cdeg.abs() > 9_000 || self.lng_cdeg.abs() > 18_000 {
            return Err("lat_cdeg must be within ±9000 and lng_cdeg within ±18000".into());
        }
        if !(60_000..=solar::DAY_MS).contains(&self.day_ms) {
            return Err("day_ms must be 60000 to 86400000".into());
        }
        if self.margin_bps > 10_000 || self.zone_tolerance_bps > 10_000 {
            return Err("margin_bps and zone_tolerance_bps must be at most 10000".into());
        }
        if self.certificate_wh == 0 {
            return Err("certificate_wh must be positive".into());
        }
        if self.max_order_intervals == 0 || self.max_order_intervals > 100_000 {
            return Err("max_order_intervals must be 1 to 100000".into());
        }
        if !(1..=10_000_000).contains(&self.settle_budget_per_block) {
            return Err("settle_budget_per_block must be 1 to 10000000".into());
        }
        Ok(self)
    }

    /// The network's sky.
    pub fn sky(&self) -> solar::Sky {
        solar::Sky {
            lat_cdeg: self.lat_cdeg,
            lng_cdeg: self.lng_cdeg,
            day_ms: self.day_ms,
            offset_ms: self.sun_offset_ms,
        }
    }

    /// The intervals of a chain that started at `genesis_ms`.
    pub fn clock(&self, genesis_ms: u64) -> Intervals {
        Intervals {
            genesis_ms,
            interval_ms: self.interval_ms,
            gate_ms: self.gate_ms,
            settle_ms: self.settle_ms,
        }
    }

    /// The most a meter of `capacity_w` may export over interval `[start, end)`.
    pub fn max_export_wh(&self, capacity_w: u64, start_ms: u64, end_ms: u64) -> u64 {
        self.sky()
            .max_export_wh(capacity_w, start_ms, end_ms, self.margin_bps)
    }

    /// The most any meter trades or imports in one interval: the largest
    /// capacity for the whole interval, Wh.
    pub fn max_interval_wh(&self) -> u64 {
        (self.max_capacity_w as u128 * self.interval_ms as u128 / 3_600_000) as u64
    }
}

/// Interval `i` of a network runs `[genesis + i × interval, genesis + (i + 1) ×
/// interval)`; its orders close at `start − gate`, it settles at `end + settle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// The chain's genesis time, ms.
    pub genesis_ms: u64,
    /// The interval's length, ms.
    pub interval_ms: u64,
    /// Gate closure before the start, ms.
    pub gate_ms: u64,
    /// Settlement after the end, ms.
    pub settle_ms: u64,
}

impl Intervals {
    /// When interval `i` starts.
    pub fn start(&self, i: u64) -> u64 {
        self.genesis_ms
            .saturating_add(i.saturating_mul(self.interval_ms))
    }

    /// When interval `i` ends.
    pub fn end(&self, i: u64) -> u64 {
        self.start(i.saturating_add(1))
    }

    /// When orders for interval `i` close (and it clears).
    pub fn gate(&self, i: u64) -> u64 {
        self.start(i).saturating_sub(self.gate_ms)
    }

    /// When interval `i` settles.
    pub fn settle(&self, i: u64) -> u64 {
        self.end(i).saturating_add(self.settle_ms)
    }

    /// The interval `t_ms` falls in (before genesis: 0).
    pub fn at(&self, t_ms: u64) -> u64 {
        t_ms.saturating_sub(self.genesis_ms) / self.interval_ms.max(1)
    }

    /// The first interval whose orders are still open at `t_ms`.
    pub fn first_open(&self, t_ms: u64) -> u64 {
        let mut i = self.at(t_ms.saturating_add(self.gate_ms));
        while self.gate(i) <= t_ms {
            i += 1;
        }
        i
    }
}

/// A meter's reading at the end of an interval: its counters since it was made.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct Reading {
    /// The meter.
    pub meter: DeviceId,
    /// The interval it closes.
    pub interval: u64,
    /// Energy taken from the grid so far, Wh.
    pub import_wh: u64,
    /// Energy fed into the grid so far, Wh.
    pub export_wh: u64,
}

/// The domain of a reading's signature.
pub const READING_DOMAIN: &str = "plinth/meter-reading/v1";

impl Reading {
    /// The bytes the meter signs: the domain, the chain and the reading.
    pub fn signing_bytes(&self, chain: &Hash) -> Vec<u8> {
        let mut out = READING_DOMAIN.as_bytes().to_vec();
        out.extend_from_slice(chain.as_bytes());
        out.extend(plinth_core::encode(self));
        out
    }

    /// Signs the reading with the meter's key.
    pub fn sign(self, chain: &Hash, key: &plinth_core::Keypair) -> SignedReading {
        SignedReading {
            signature: key.sign(&self.signing_bytes(chain)),
            reading: self,
        }
    }
}

/// A reading with the meter's signature.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct SignedReading {
    /// The reading.
    pub reading: Reading,
    /// The meter's signature over [`Reading::signing_bytes`].
    pub signature: Signature,
}

impl SignedReading {
    /// Whether the meter signed it for `chain`.
    pub fn verify(&self, chain: &Hash) -> bool {
        self.reading
            .meter
            .key()
            .verify(&self.reading.signing_bytes(chain), &self.signature)
            .is_ok()
    }
}

/// Why a reading is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ReadingRefusal {
    /// The meter did not sign it.
    #[error("the meter's signature does not verify")]
    BadSignature,
    /// The interval is not over.
    #[error("interval {interval} is not over")]
    IntervalNotOver {
        /// The interval.
        interval: u64,
    },
    /// The interval has settled.
    #[error("interval {interval} has settled: readings for it are no longer taken")]
    IntervalSettled {
        /// The interval.
        interval: u64,
    },
    /// The meter already has a different reading for the interval (a clone).
    #[error("the meter already has a different reading for interval {interval}")]
    ConflictingReading {
        /// The interval.
        interval: u64,
    },
    /// A reading for an interval before the meter's last one.
    #[error("interval {interval} comes before the meter's last reading ({last})")]
    OutOfOrder {
        /// The interval.
        interval: u64,
        /// The meter's last reading's interval.
        last: u64,
    },
    /// A counter is lower than in the meter's last reading.
    #[error("the {counter} counter went back from {last} to {found} Wh")]
    CounterWentBack {
        /// `import` or `export`.
        counter: String,
        /// The last reading's value.
        last: u64,
        /// This reading's.
        found: u64,
    },
    /// Export while the sun is down.
    #[error("{wh} Wh exported while the sun is down")]
    ExportAtNight {
        /// The export in the interval.
        wh: u64,
    },
    /// Export by a meter that declared no generation.
    #[error("{wh} Wh exported by a meter with no generating capacity")]
    ExportWithoutGeneration {
        /// The export in the interval.
        wh: u64,
    },
    /// More export than a clear sky allows the meter's capacity.
    #[error("{wh} Wh exported, above the clear-sky ceiling of {max} Wh")]
    ExportAboveClearSky {
        /// The export in the interval.
        wh: u64,
        /// The ceiling.
        max: u64,
    },
    /// More import than a connection carries.
    #[error("{wh} Wh imported, above the {max} Wh a connection carries in an interval")]
    ImportAboveConnection {
        /// The import in the interval.
        wh: u64,
        /// The most a connection carries.
        max: u64,
    },
    /// Much more of its ceiling than its zone's other generators.
    #[error(
        "{yield_bps} bps of its clear-sky ceiling while its zone's median is {median_bps} bps"
    )]
    DisagreesWithZone {
        /// The meter's share of its ceiling.
        yield_bps: u64,
        /// The zone's median.
        median_bps: u64,
    },
}

impl ReadingRefusal {
    /// The refusal's code (`bad_signature`, `export_at_night`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ReadingRefusal::BadSignature => "bad_signature",
            ReadingRefusal::IntervalNotOver { .. } => "interval_not_over",
            ReadingRefusal::IntervalSettled { .. } => "interval_settled",
            ReadingRefusal::ConflictingReading { .. } => "conflicting_reading",
            ReadingRefusal::OutOfOrder { .. } => "out_of_order",
            ReadingRefusal::CounterWentBack { .. } => "counter_went_back",
            ReadingRefusal::ExportAtNight { .. } => "export_at_night",
            ReadingRefusal::ExportWithoutGeneration { .. } => "export_without_generation",
            ReadingRefusal::ExportAboveClearSky { .. } => "export_above_clear_sky",
            ReadingRefusal::ImportAboveConnection { .. } => "import_above_connection",
            ReadingRefusal::DisagreesWithZone { .. } => "disagrees_with_zone",
        }
    }
}

/// A meter's last accepted reading: the baseline of its next.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct Baseline {
    /// Its interval.
    pub interval: u64,
    /// Its import counter, Wh.
    pub import_wh: u64,
    /// Its export counter, Wh.
    pub export_wh: u64,
}

/// What an accepted reading adds: the interval's import and export, Wh (both
/// zero when the reading only sets a baseline: the meter's first, or one after a
/// gap, whose counters span more than the interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delta {
    /// Imported in the interval, Wh.
    pub import_wh: u64,
    /// Exported in the interval, Wh.
    pub export_wh: u64,
}

/// Checks reading `r` of a meter of `capacity_w` against its `last` accepted
/// reading, for interval `r.interval` of `clock` (the signature, timing and
/// duplicates are the caller's: they need the ledger).
pub fn check_reading(
    params: &EnergyParams,
    clock: &Intervals,
    capacity_w: u64,
    last: Option<&Baseline>,
    r: &Reading,
) -> Result<Delta, ReadingRefusal> {
    let Some(last) = last else {
        return Ok(Delta::default());
    };
    if r.interval <= last.interval {
        return Err(ReadingRefusal::OutOfOrder {
            interval: r.interval,
            last: last.interval,
        });
    }
    for (counter, before, now) in [
        ("import", last.import_wh, r.import_wh),
        ("export", last.export_wh, r.export_wh),
    ] {
        if now < before {
            return Err(ReadingRefusal::CounterWentBack {
                counter: counter.into(),
                last: before,
                found: now,
            });
        }
    }
    let delta = Delta {
        import_wh: r.import_wh - last.import_wh,
        export_wh: r.export_wh - last.export_wh,
    };
    // After a gap the counters span several intervals: the same limits hold
    // over the whole span.
    let intervals = r.interval - last.interval;
    let connection = params.max_interval_wh().saturating_mul(intervals);
    if delta.import_wh > connection {
        return Err(ReadingRefusal::ImportAboveConnection {
            wh: delta.import_wh,
            max: connection,
        });
    }
    if delta.export_wh > 0 {
        if capacity_w == 0 {
            return Err(ReadingRefusal::ExportWithoutGeneration {
                wh: delta.export_wh,
            });
        }
        let max = if intervals == 1 {
            params.max_export_wh(capacity_w, clock.start(r.interval), clock.end(r.interval))
        } else {
            (last.interval + 1..=r.interval)
                .take(1_000)
                .map(|i| params.max_export_wh(capacity_w, clock.start(i), clock.end(i)))
                .sum()
        };
        if max == 0 {
            return Err(ReadingRefusal::ExportAtNight {
                wh: delta.export_wh,
            });
        }
        if delta.export_wh > max {
            return Err(ReadingRefusal::ExportAboveClearSky {
                wh: delta.export_wh,
                max,
            });
        }
    }
    Ok(if intervals == 1 {
        delta
    } else {
        Delta::default()
    })
}

/// One generator's export in an interval, for the zone comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneGeneration {
    /// The meter.
    pub meter: DeviceId,
    /// Its verified export, Wh.
    pub export_wh: u64,
    /// Its clear-sky ceiling for the interval, Wh (0: not a generator then).
    pub max_wh: u64,
}

/// The generators of one zone's interval that claim much more of their ceiling
/// than the zone's median (with at least `zone_min_generators` generators),
/// with their refusal.
pub fn zone_outliers(
    params: &EnergyParams,
    zone: &[ZoneGeneration],
) -> Vec<(DeviceId, ReadingRefusal)> {
    let yields: Vec<(DeviceId, u64)> = zone
        .iter()
        .filter(|g| g.max_wh > 0)
        .map(|g| {
            let y = g.export_wh as u128 * 10_000 / g.max_wh as u128;
            (g.meter, y.min(u64::MAX as u128) as u64)
        })
        .collect();
    if yields.len() < params.zone_min_generators.max(1) as usize {
        return Vec::new();
    }
    let mut sorted: Vec<u64> = yields.iter().map(|(_, y)| *y).collect();
    sorted.sort_unstable();
    // The lower median: an even zone split between honest and lying halves
    // is judged by the honest.
    let median = sorted[(sorted.len() - 1) / 2];
    yields
        .into_iter()
        .filter(|(_, y)| *y > median + params.zone_tolerance_bps)
        .map(|(meter, y)| {
            (
                meter,
                ReadingRefusal::DisagreesWithZone {
                    yield_bps: y,
                    median_bps: median,
                },
            )
        })
        .collect()
}

/// What an energy network's epoch pays by: work is the verified generation the
/// ledger recorded (Wh), usage the credits the meters' sales earned (capped at
/// their token value, as for compute).
pub fn score(
    generation: &[(DeviceId, u64)],
    earnings: &[ComputeEarnings],
    devices: &BTreeMap<DeviceId, crate::DeviceInfo>,
) -> crate::compute::ComputeScores {
    let mut s = crate::compute::score(earnings, devices);
    s.work = generation
        .iter()
        .filter(|(d, wh)| *wh > 0 && devices.contains_key(d))
        .map(|(d, wh)| (*d, *wh))
        .collect();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    /// Berlin on the solstice: noon and midnight of 2026-06-21 (UTC), one-hour
    /// intervals from that day's start.
    fn setup() -> (EnergyParams, Intervals) {
        let p = EnergyParams {
            interval_ms: 3_600_000,
            ..EnergyParams::default()
        };
        let clock = p.clock(20_625 * solar::DAY_MS);
        (p, clock)
    }

    fn reading(interval: u64, import_wh: u64, export_wh: u64) -> Reading {
        Reading {
            meter: DeviceId(Keypair::from_seed([1; 32]).public()),
            interval,
            import_wh,
            export_wh,
        }
    }

    fn base(interval: u64) -> Baseline {
        Baseline {
            interval,
            import_wh: 1_000,
            export_wh: 1_000,
        }
    }

    #[test]
    fn readings_are_checked_against_the_sun_and_the_counters() {
        let (p, clock) = setup();
        let check =
            |last: Option<&Baseline>, r: &Reading| check_reading(&p, &clock, 5_000, last, r);
        // The first reading sets a baseline.
        assert_eq!(check(None, &reading(11, 7, 9)), Ok(Delta::default()));
        // 11:00–12:00 UTC: 3 kWh from 5 kW is under the noon sun.
        let ok = check(Some(&base(10)), &reading(11, 1_200, 4_000));
        assert_eq!(
            ok,
            Ok(Delta {
                import_wh: 200,
                export_wh: 3_000
            })
        );
        // Above the clear sky.
        let r = check(Some(&base(10)), &reading(11, 1_000, 8_000));
        assert_eq!(r.unwrap_err().code(), "export_above_clear_sky");
        // At night (23:00–24:00 UTC).
        let r = check(Some(&base(22)), &reading(23, 1_000, 1_010));
        assert_eq!(r, Err(ReadingRefusal::ExportAtNight { wh: 10 }));
        // Counters never go back; readings come in order.
        let r = check(Some(&base(10)), &reading(11, 999, 1_000));
        assert_eq!(r.unwrap_err().code(), "counter_went_back");
        let r = check(Some(&base(11)), &reading(11, 1_000, 1_000));
        assert_eq!(r.unwrap_err().code(), "out_of_order");
        // More import than the largest connection carries.
        let r = check(Some(&base(10)), &reading(11, 1_000 + 25_001, 1_000));
        assert_eq!(r.unwrap_err().code(), "import_above_connection");
        // A consumer exports nothing.
        let r = check_reading(&p, &clock, 0, Some(&base(10)), &reading(11, 1_000, 1_001));
        assert_eq!(r.unwrap_err().code(), "export_without_generation");
        // After a gap the reading only sets a new baseline, within the limits of
        // the whole span.
        assert_eq!(
            check(Some(&base(8)), &reading(11, 1_500, 5_000)),
            Ok(Delta::default())
        );
    }

    #[test]
    fn a_zone_refuses_the_generator_far_above_its_median() {
        let p = EnergyParams::default();
        let m = |i: u8| DeviceId(Keypair::from_seed([i; 32]).public());
        let g = |i: u8, export_wh, max_wh| ZoneGeneration {
            meter: m(i),
            export_wh,
            max_wh,
        };
        let zone = [
            g(1, 400, 1_000),
            g(2, 450, 1_000),
            g(3, 980, 1_000),
            g(4, 0, 0),
        ];
        let out = zone_outliers(&p, &zone);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, m(3));
        assert_eq!(
            out[0].1,
            ReadingRefusal::DisagreesWithZone {
                yield_bps: 9_800,
                median_bps: 4_500
            }
        );
        // Too few generators to compare.
        assert!(zone_outliers(&p, &zone[1..]).is_empty());
    }

    #[test]
    fn params_are_validated() {
        assert!(EnergyParams::default().validate().is_ok());
        let bad = EnergyParams {
            interval_ms: 1_000,
            ..EnergyParams::default()
        };
        assert!(bad.validate().unwrap_err().contains("interval_ms"));
        let bad = EnergyParams {
            lat_cdeg: 9_500,
            ..EnergyParams::default()
        };
        assert!(bad.validate().is_err());
        assert!(
            crate::Family::from_network("energy", r#"{"interval_ms": 900000, "x": 1}"#).is_err()
        );
    }
}
