//! The model's equations, each a pure function (README, "plinth sim", writes
//! them out; the tests below work each one by hand).
//!
//! Token amounts are integers in the ledger's smallest unit and go through the
//! ledger's own functions; the economic side (demand, prices, decisions) is
//! `f64`, which is not consensus state, and deterministic for a seed.

use crate::scenario::{CohortSpec, Curve, DemandSpec, PriceModel, PriceSpec};
use plinth_ledger::Amount;

/// The demand curve's fiat per epoch at `epoch`, before noise and elasticity:
/// none: 0; logistic: `cap / (1 + e^(−g·(t − midpoint)))`, plus `start`;
/// exponential: `start · e^(g·t)`, capped at `cap` when `cap > 0`.
pub fn demand_curve_usd(d: &DemandSpec, epoch: u64) -> f64 {
    let t = epoch as f64;
    match d.curve {
        Curve::None => 0.0,
        Curve::Logistic => {
            d.start_usd + d.cap_usd / (1.0 + (-d.growth_per_epoch * (t - d.midpoint_epochs)).exp())
        }
        Curve::Exponential => {
            let v = d.start_usd * (d.growth_per_epoch * t).exp();
            if d.cap_usd > 0.0 {
                v.min(d.cap_usd)
            } else {
                v
            }
        }
    }
}

/// Fiat spent on the service in an epoch: the curve times the elasticity
/// factor `price_ratio^(1 − elasticity)` (the quantity falls by
/// `price_ratio^(−elasticity)`, each unit costs `price_ratio`), times the noise
/// factor `e^(noise·z − noise²/2)` (mean 1), for a standard normal `z`.
pub fn demand_usd(d: &DemandSpec, epoch: u64, z: f64) -> f64 {
    let elastic = d.price_ratio.powf(1.0 - d.elasticity);
    let noise = if d.noise > 0.0 {
        (d.noise * z - d.noise * d.noise / 2.0).exp()
    } else {
        1.0
    };
    demand_curve_usd(d, epoch) * elastic * noise
}

/// A token price in µUSD per whole token, as the oracle set posts it
/// (`PricePoint::micro_usd_per_token`): rounded, at least 1.
pub fn micro_usd(price_usd: f64) -> u64 {
    let m = (price_usd * 1e6).round();
    if m < 1.0 {
        1
    } else if m >= u64::MAX as f64 {
        u64::MAX
    } else {
        m as u64
    }
}

/// The tokens (smallest unit) a consumer burns to pay `usd` at
/// `micro_usd_per_token`: `⌈µUSD · 10^decimals / price⌉`, so that the credits
/// the ledger gives for it ([`plinth_ledger::credits::credits_for`]) cover the
/// payment. `None` past the range of an amount.
pub fn tokens_for_usd(usd: f64, micro_usd_per_token: u64, decimals: u8) -> Option<Amount> {
    if usd <= 0.0 {
        return Some(0);
    }
    let micro = (usd * 1e6).floor();
    if micro >= u128::MAX as f64 / 1e20 {
        return None;
    }
    let num = (micro as u128).checked_mul(10u128.checked_pow(u32::from(decimals))?)?;
    let den = u128::from(micro_usd_per_token.max(1));
    u64::try_from(num.div_ceil(den)).ok()
}

/// Tokens (smallest unit) as USD at `price_usd` per whole token.
pub fn usd_of(amount: Amount, price_usd: f64, decimals: u8) -> f64 {
    amount as f64 * price_usd / 10f64.powi(i32::from(decimals))
}

/// Epochs until a device's cost is paid back by its net earnings per epoch:
/// `device_cost / (earnings − running_cost)`, infinite when the net is not
/// positive.
pub fn payback_epochs(device_cost_usd: f64, earnings_usd: f64, running_cost_usd: f64) -> f64 {
    let net = earnings_usd - running_cost_usd;
    if net > 0.0 {
        device_cost_usd / net
    } else {
        f64::INFINITY
    }
}

/// Devices that join a cohort of `count` in an epoch whose expected payback is
/// `payback` epochs: none at or over the hurdle; under it,
/// `⌊max(min_joins, max_join_rate · count) · (1 − payback / hurdle) · u + ½⌋`,
/// `u` uniform in [0.5, 1.5) (operators do not all decide alike).
pub fn joins(c: &CohortSpec, count: u64, payback: f64, u: f64) -> u64 {
    if c.hurdle_epochs <= 0.0 || payback >= c.hurdle_epochs {
        return 0;
    }
    let base = (c.max_join_rate * count as f64).max(c.min_joins as f64);
    let appeal = 1.0 - payback / c.hurdle_epochs;
    (base * appeal * (0.5 + u) + 0.5).floor() as u64
}

/// Devices that leave a cohort of `count` whose devices earned less than their
/// running cost `streak` epochs in a row: `⌊count · leave_rate⌋` once the
/// streak reaches `leave_after_epochs`, none before.
pub fn leaves(c: &CohortSpec, count: u64, streak: u32) -> u64 {
    if streak >= c.leave_after_epochs.max(1) {
        ((count as f64 * c.leave_rate).floor() as u64).min(count)
    } else {
        0
    }
}

/// The price of the next epoch. Both models walk geometrically:
/// `ln p' = ln p + (drift − σ²/2)·dt + σ·√dt·z` with `dt` the epoch in years;
/// the endogenous model adds `(buy − sell) / depth`: consumers' purchases of the
/// tokens they burn against operators' sales, in USD, over the market's depth.
/// Never below `floor_usd`.
pub fn next_price(
    p: &PriceSpec,
    price: f64,
    buy_usd: f64,
    sell_usd: f64,
    dt_years: f64,
    z: f64,
) -> f64 {
    let sigma = p.volatility_per_year;
    let mut ln = price.ln()
        + (p.drift_per_year - sigma * sigma / 2.0) * dt_years
        + sigma * dt_years.sqrt() * z;
    if p.model == PriceModel::Endogenous {
        ln += (buy_usd - sell_usd) / p.depth_usd;
    }
    let next = ln.exp();
    if next.is_finite() {
        next.max(p.floor_usd).max(f64::MIN_POSITIVE)
    } else {
        price
    }
}

/// Net inflation of an epoch, annualised: `(minted − burned) / supply before ·
/// epochs per year`.
pub fn net_inflation(
    minted: Amount,
    burned: Amount,
    supply_before: Amount,
    epochs_per_year: f64,
) -> f64 {
    if supply_before == 0 {
        return 0.0;
    }
    (minted as f64 - burned as f64) / supply_before as f64 * epochs_per_year
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Curve, DemandSpec, PriceModel, PriceSpec};

    fn demand(curve: Curve) -> DemandSpec {
        DemandSpec {
            curve,
            start_usd: 100.0,
            cap_usd: 1000.0,
            midpoint_epochs: 10.0,
            growth_per_epoch: 0.5,
            ..DemandSpec::none()
        }
    }

    fn cohort() -> CohortSpec {
        CohortSpec {
            name: "c".into(),
            initial: 0,
            device_cost_usd: 100.0,
            running_cost_usd: 1.0,
            hurdle_epochs: 200.0,
            max_join_rate: 0.1,
            min_joins: 5,
            leave_after_epochs: 3,
            leave_rate: 0.25,
            score: 1,
            capacity_usd: 1.0,
        }
    }

    #[test]
    fn logistic_is_half_the_cap_at_the_midpoint() {
        // 100 + 1000 / (1 + e^0) = 600.
        assert_eq!(demand_curve_usd(&demand(Curve::Logistic), 10), 600.0);
        // t = 12: 100 + 1000 / (1 + e^-1) = 100 + 731.0586 = 831.0586.
        let v = demand_curve_usd(&demand(Curve::Logistic), 12);
        assert!((v - 831.058_6).abs() < 1e-4, "{v}");
    }

    #[test]
    fn exponential_grows_then_caps() {
        // 100 · e^(0.5·2) = 271.828…
        let v = demand_curve_usd(&demand(Curve::Exponential), 2);
        assert!((v - 271.828_18).abs() < 1e-4, "{v}");
        // 100 · e^5 = 14,841 > 1,000: capped.
        assert_eq!(demand_curve_usd(&demand(Curve::Exponential), 10), 1000.0);
        assert_eq!(demand_curve_usd(&demand(Curve::None), 10), 0.0);
    }

    #[test]
    fn elasticity_and_noise_scale_the_fiat() {
        let mut d = demand(Curve::Logistic);
        // Price doubled, elasticity 0.5: quantity × 2^-0.5, fiat × 2^0.5.
        d.price_ratio = 2.0;
        d.elasticity = 0.5;
        let v = demand_usd(&d, 10, 0.0);
        assert!((v - 600.0 * 2f64.sqrt()).abs() < 1e-9, "{v}");
        // Unit elasticity: fiat spend does not depend on the price.
        d.elasticity = 1.0;
        assert_eq!(demand_usd(&d, 10, 0.0), 600.0);
        // Noise 0.2 at z = 1: e^(0.2 − 0.02) = 1.197217…
        d.noise = 0.2;
        let v = demand_usd(&d, 10, 1.0);
        assert!((v - 600.0 * 0.18f64.exp()).abs() < 1e-9, "{v}");
    }

    #[test]
    fn tokens_for_usd_covers_the_payment_in_credits() {
        // $12.50 at $1.25 with 6 decimals: 10 tokens = 10,000,000 units.
        assert_eq!(tokens_for_usd(12.5, 1_250_000, 6), Some(10_000_000));
        // $1 at $3: 333,333.33… units, rounded up.
        assert_eq!(tokens_for_usd(1.0, 3_000_000, 6), Some(333_334));
        let credits = plinth_ledger::credits::credits_for(333_334, 3_000_000, 6, 10).unwrap();
        // 333,334 units × $3 = $1.000002 = 100,000 credits of 10 µUSD.
        assert_eq!(credits, 100_000);
        assert_eq!(tokens_for_usd(0.0, 1, 6), Some(0));
        assert_eq!(micro_usd(1.25), 1_250_000);
        assert_eq!(micro_usd(0.0), 1);
    }

    #[test]
    fn payback_joins_and_leaves() {
        // $2 a day against $1 of running cost: $100 back in 100 epochs.
        assert_eq!(payback_epochs(100.0, 2.0, 1.0), 100.0);
        assert_eq!(payback_epochs(100.0, 1.0, 1.0), f64::INFINITY);
        let c = cohort();
        // 1,000 devices, payback 100 of a 200 hurdle, u = 0.5:
        // ⌊max(5, 100) · 0.5 · 1 + ½⌋ = 50.
        assert_eq!(joins(&c, 1000, 100.0, 0.5), 50);
        // From zero devices the floor of 5 applies: ⌊5 · 0.5 · 1 + ½⌋ = 3.
        assert_eq!(joins(&c, 0, 100.0, 0.5), 3);
        assert_eq!(joins(&c, 1000, 200.0, 0.5), 0);
        assert_eq!(leaves(&c, 1000, 2), 0);
        assert_eq!(leaves(&c, 1000, 3), 250);
        assert_eq!(
            leaves(&c, 3, 9),
            0,
            "⌊3 · 0.25⌋ = 0: a cohort never empties by rounding"
        );
    }

    #[test]
    fn price_walks_and_feels_pressure() {
        let mut p = PriceSpec {
            model: PriceModel::Exogenous,
            start_usd: 1.0,
            drift_per_year: 0.1,
            volatility_per_year: 0.0,
            depth_usd: 1000.0,
            sell_fraction: 0.5,
            floor_usd: 0.0,
        };
        // A year of drift 0.1 without volatility: × e^0.1.
        let v = next_price(&p, 2.0, 500.0, 0.0, 1.0, 0.0);
        assert!((v - 2.0 * 0.1f64.exp()).abs() < 1e-12, "{v}");
        // Endogenous: $500 more bought than sold over $1,000 of depth: × e^0.5 more.
        p.model = PriceModel::Endogenous;
        p.drift_per_year = 0.0;
        let v = next_price(&p, 2.0, 700.0, 200.0, 1.0, 0.0);
        assert!((v - 2.0 * 0.5f64.exp()).abs() < 1e-12, "{v}");
        // Volatility 0.2, z = 1 over a quarter year: e^(−0.005 + 0.1).
        p.model = PriceModel::Exogenous;
        p.volatility_per_year = 0.2;
        let v = next_price(&p, 1.0, 0.0, 0.0, 0.25, 1.0);
        assert!((v - 0.095f64.exp()).abs() < 1e-12, "{v}");
        // The floor holds.
        p.floor_usd = 0.5;
        p.model = PriceModel::Endogenous;
        assert_eq!(next_price(&p, 1.0, 0.0, 100_000.0, 1.0, 0.0), 0.5);
    }

    #[test]
    fn inflation_is_annualised() {
        // 10 minted, 4 burned on 1,000 a day: 0.6% a day, 219% a year.
        assert!((net_inflation(10, 4, 1000, 365.0) - 2.19).abs() < 1e-12);
        assert_eq!(net_inflation(10, 4, 0, 365.0), 0.0);
    }
}
