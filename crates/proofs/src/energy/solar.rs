//! The clear-sky ceiling on a solar meter's export, in integers.
//!
//! A panel of `capacity_w` under a clear sky gives at most `capacity_w × sin(e)`,
//! `e` the sun's elevation (the panel's rating is at the sun overhead; the air
//! mass and the panel's tilt are left out, which only raise the ceiling a little
//! at low sun, where a margin covers them). The elevation comes from the
//! textbook formulas, in centi-degrees with a sine table (no floats: every node
//! computes the same ceiling):
//!
//! ```text
//!  declination δ = 23.44° × sin(360° × (284 + day of year) / 365)
//!  hour angle  H = 15° × (UTC hour + longitude / 15° − 12)
//!  sin(e)        = sin φ × sin δ + cos φ × cos δ × cos H        (φ: latitude)
//! ```
//!
//! The sun's clock may run faster than the wall's (a devnet's day in minutes):
//! the solar time of a moment `t` is `t × 86,400,000 / day_ms + offset_ms`.

/// sin of 0°, 1°, … 90°, times 10,000.
const SIN_DEG: [i64; 91] = [
    0, 175, 349, 523, 698, 872, 1045, 1219, 1392, 1564, 1736, 1908, 2079, 2250, 2419, 2588, 2756,
    2924, 3090, 3256, 3420, 3584, 3746, 3907, 4067, 4226, 4384, 4540, 4695, 4848, 5000, 5150, 5299,
    5446, 5592, 5736, 5878, 6018, 6157, 6293, 6428, 6561, 6691, 6820, 6947, 7071, 7193, 7314, 7431,
    7547, 7660, 7771, 7880, 7986, 8090, 8192, 8290, 8387, 8480, 8572, 8660, 8746, 8829, 8910, 8988,
    9063, 9135, 9205, 9272, 9336, 9397, 9455, 9511, 9563, 9613, 9659, 9703, 9744, 9781, 9816, 9848,
    9877, 9903, 9925, 9945, 9962, 9976, 9986, 9994, 9998, 10000,
];

/// A real day, ms.
pub const DAY_MS: u64 = 86_400_000;
/// Samples taken over an interval for its ceiling (its ends and three points
/// between).
const SAMPLES: u64 = 5;

/// sin of `a` centi-degrees, times 10,000 (linear between whole degrees).
pub fn sin_cdeg(a: i64) -> i64 {
    let a = a.rem_euclid(36_000);
    let (quarter, r) = (a / 9_000, a % 9_000);
    // sin over the first quarter, mirrored and negated for the others.
    let first = |x: i64| {
        let (d, f) = ((x / 100) as usize, x % 100);
        let lo = SIN_DEG[d];
        let hi = SIN_DEG[(d + 1).min(90)];
        lo + (hi - lo) * f / 100
    };
    match quarter {
        0 => first(r),
        1 => first(9_000 - r),
        2 => -first(r),
        _ => -first(9_000 - r),
    }
}

/// The day of the year (1 January: 1) of day `days` since 1970-01-01, in the
/// Gregorian calendar (H. Hinnant's civil-from-days, in integers).
pub fn day_of_year(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let year = yoe + era * 400;
    // Days since 1 March of `year`.
    let from_march = doe - (365 * yoe + yoe / 4 - yoe / 100);
    if from_march >= 306 {
        // January or February of the next year.
        from_march - 306 + 1
    } else {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        from_march + 59 + i64::from(leap) + 1
    }
}

/// cos of `a` centi-degrees, times 10,000.
pub fn cos_cdeg(a: i64) -> i64 {
    sin_cdeg(a + 9_000)
}

/// Where and on which clock the sun is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sky {
    /// Latitude, centi-degrees (north positive).
    pub lat_cdeg: i64,
    /// Longitude, centi-degrees (east positive).
    pub lng_cdeg: i64,
    /// The sun's day in wall-clock ms ([`DAY_MS`]: real time).
    pub day_ms: u64,
    /// Added to the scaled time: moves the sun's calendar (a devnet starting on
    /// a June morning).
    pub offset_ms: i64,
}

impl Sky {
    /// The solar calendar's time of the wall-clock moment `t_ms`: ms since
    /// 1970-01-01 00:00 UTC on the sun's clock.
    fn solar_ms(&self, t_ms: u64) -> i64 {
        let scaled = t_ms as i128 * DAY_MS as i128 / self.day_ms.max(1) as i128;
        (scaled + self.offset_ms as i128).clamp(0, i64::MAX as i128) as i64
    }

    /// sin of the sun's elevation at `t_ms`, times 10,000 (negative: below the
    /// horizon).
    pub fn sin_elevation(&self, t_ms: u64) -> i64 {
        let s = self.solar_ms(t_ms);
        let (day, time) = (s / DAY_MS as i64, s % DAY_MS as i64);
        let decl = 2_344 * sin_cdeg(36_000 * (284 + day_of_year(day)) / 365) / 10_000;
        let hour_angle = time * 36_000 / DAY_MS as i64 + self.lng_cdeg - 18_000;
        let (sp, cp) = (sin_cdeg(self.lat_cdeg), cos_cdeg(self.lat_cdeg));
        let (sd, cd) = (sin_cdeg(decl), cos_cdeg(decl));
        (sp * sd + cp * cd * cos_cdeg(hour_angle) / 10_000) / 10_000
    }

    /// The most a clear sky lets a panel of `capacity_w` export over
    /// `[start_ms, end_ms)`, Wh: the highest of a few samples' power over the
    /// whole interval, plus `margin_bps`; zero when the sun is down throughout.
    pub fn max_export_wh(
        &self,
        capacity_w: u64,
        start_ms: u64,
        end_ms: u64,
        margin_bps: u64,
    ) -> u64 {
        let span = end_ms.saturating_sub(start_ms);
        let best = (0..SAMPLES)
            .map(|k| self.sin_elevation(start_ms + span * k / (SAMPLES - 1)))
            .max()
            .unwrap_or(0)
            .max(0) as u128;
        let wh = capacity_w as u128 * best * span as u128 * (10_000 + margin_bps as u128)
            / (10_000 * 3_600_000 * 10_000);
        wh.min(u64::MAX as u128) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_of_the_year_follow_the_calendar() {
        assert_eq!(day_of_year(0), 1); // 1970-01-01
        assert_eq!(day_of_year(20_454), 1); // 2026-01-01
        assert_eq!(day_of_year(20_625), 172); // 2026-06-21
        assert_eq!(day_of_year(20_818), 365); // 2026-12-31
        assert_eq!(day_of_year(19_782), 60); // 2024-02-29
        assert_eq!(day_of_year(19_783), 61); // 2024-03-01
        assert_eq!(day_of_year(20_088), 366); // 2024-12-31
    }

    #[test]
    fn the_sine_table_matches_known_values() {
        assert_eq!(sin_cdeg(0), 0);
        assert_eq!(sin_cdeg(3_000), 5_000);
        assert_eq!(sin_cdeg(9_000), 10_000);
        assert_eq!(sin_cdeg(15_000), 5_000);
        assert_eq!(sin_cdeg(21_000), -5_000);
        assert_eq!(sin_cdeg(-3_000), -5_000);
        assert_eq!(cos_cdeg(6_000), 5_000);
        assert_eq!(sin_cdeg(3_050), (5_000 + 5_150) / 2);
    }

    const BERLIN: Sky = Sky {
        lat_cdeg: 5_252,
        lng_cdeg: 1_340,
        day_ms: DAY_MS,
        offset_ms: 0,
    };

    fn at(day_start: u64, hours: u64, minutes: u64) -> u64 {
        day_start + hours * 3_600_000 + minutes * 60_000
    }

    #[test]
    fn the_sun_is_high_at_noon_in_june_and_down_at_midnight() {
        // 2026-06-21 is day 20625 since 1970.
        let june = 20_625 * DAY_MS;
        // Solar noon in Berlin is about 11:06 UTC; the sun stands about 61°
        // high (sin 0.87) at the solstice.
        let noon = BERLIN.sin_elevation(at(june, 11, 6));
        assert!((8_500..=8_900).contains(&noon), "{noon}");
        assert!(BERLIN.sin_elevation(at(june, 23, 0)) < 0);
        // December: about 14° (sin 0.24) at noon.
        let december = (20_625 + 183) * DAY_MS;
        let noon = BERLIN.sin_elevation(at(december, 11, 6));
        assert!((2_100..=2_700).contains(&noon), "{noon}");
    }

    #[test]
    fn the_ceiling_is_zero_at_night_and_capacity_bounded_by_day() {
        let june = 20_625 * DAY_MS;
        let q = 15 * 60_000;
        assert_eq!(
            BERLIN.max_export_wh(5_000, at(june, 23, 0), at(june, 23, 0) + q, 2_000),
            0
        );
        // 5 kW for a quarter hour at noon: at most 1,250 Wh, here 87% + 20%.
        let noon = BERLIN.max_export_wh(5_000, at(june, 11, 0), at(june, 11, 0) + q, 2_000);
        assert!((1_250..=1_400).contains(&noon), "{noon}");
    }

    #[test]
    fn a_fast_sun_runs_a_day_in_day_ms() {
        // A 24-minute day whose solar time starts at noon.
        let sky = Sky {
            day_ms: 1_440_000,
            offset_ms: 20_625 * DAY_MS as i64 + 11 * 3_600_000,
            ..BERLIN
        };
        assert!(sky.sin_elevation(0) > 8_000);
        // Twelve minutes later it is about midnight.
        assert!(sky.sin_elevation(720_000) < 0);
        // And a day later noon again.
        assert_eq!(
            sky.sin_elevation(1_440_000) / 100,
            sky.sin_elevation(0) / 100
        );
    }
}
