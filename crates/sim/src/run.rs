//! One run: every epoch of a scenario, over the ledger's code.
//!
//! ```text
//!  per epoch e, per network:
//!    demand (curve · elasticity · noise) ─▶ served = min(demand, capacity)
//!        ─▶ tokens burned = ⌈µUSD·10^dec / price⌉ ─▶ credits (ledger: credits_for)
//!    allowance (ledger: Emission::allowance_with, the schedule plus net
//!        emissions' re-mint of the epoch before's burn) ─▶ exact split by work and
//!        usage (proofs: split_usage_capped) ─▶ minted to each cohort
//!  treasury (ledger: allowance_with of treasury_bps) ─▶ minted
//!  Supply { genesis, minted, burned } ─▶ total (ledger: Supply::total)
//!  operators: earnings vs running cost, payback vs hurdle ─▶ joins, leaves
//!  price ─▶ next price (walk, plus burns' buys against operators' sales)
//! ```
//!
//! Cohorts: a cohort is a count of alike devices with a mean age and a mean net
//! position (what the average device earned less its costs), not one object per
//! device: an epoch costs the same for a thousand devices as for a million.

use crate::model;
use crate::scenario::{Economy, Scenario, DAY_MS};
use plinth_core::{DeviceId, PublicKey};
use plinth_ledger::{Amount, Supply};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The supply would leave the range of an amount (the ledger refuses such a
    /// mint with `Overflow`).
    #[error("epoch {epoch}: the supply overflows an amount")]
    Overflow {
        /// The epoch.
        epoch: u64,
    },
}

/// The integer series of a run, per epoch, in this order.
pub const INT_METRICS: &[&str] = &[
    "supply",
    "minted",
    "burned",
    "credits_burned",
    "circulating",
];
/// The float series of a run, per epoch, in this order.
pub const FLOAT_METRICS: &[&str] = &["price_usd", "net_inflation", "demand_usd"];
/// Per network (after the above): integers.
pub const NETWORK_INT_METRICS: &[&str] = &["operators"];
/// Per network: floats.
pub const NETWORK_FLOAT_METRICS: &[&str] = &["roi", "payback_epochs"];

/// What a run recorded: per epoch, `ints` then `floats` in the metric orders
/// above (the network metrics per network, in the scenario's order).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSeries {
    /// Epochs recorded.
    pub epochs: u64,
    /// Integers per epoch.
    pub ints_per_epoch: usize,
    /// Floats per epoch.
    pub floats_per_epoch: usize,
    /// `epochs × ints_per_epoch` integers.
    pub ints: Vec<u64>,
    /// `epochs × floats_per_epoch` floats.
    pub floats: Vec<f64>,
    /// The supply record at the end, as the ledger keeps it.
    pub supply: Supply,
    /// Where the tokens are at the end (genesis holders and buyers, operators'
    /// liquid and locked rewards, treasury): they add up to the supply's total.
    pub holdings: Holdings,
}

/// Every token's holder, in the smallest unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Genesis holders, and whoever bought tokens on the market.
    pub market: Amount,
    /// Operators' rewards held liquid.
    pub operators_liquid: Amount,
    /// Operators' rewards locked (staking, governance).
    pub operators_locked: Amount,
    /// The treasury.
    pub treasury: Amount,
}

impl Holdings {
    /// Σ holdings (`None` past the range of an amount).
    pub fn total(&self) -> Option<Amount> {
        self.market
            .checked_add(self.operators_liquid)?
            .checked_add(self.operators_locked)?
            .checked_add(self.treasury)
    }
}

impl RunSeries {
    /// Integer metric `m` at `epoch`.
    pub fn int(&self, epoch: u64, m: usize) -> u64 {
        self.ints[epoch as usize * self.ints_per_epoch + m]
    }

    /// Float metric `m` at `epoch`.
    pub fn float(&self, epoch: u64, m: usize) -> f64 {
        self.floats[epoch as usize * self.floats_per_epoch + m]
    }

    /// The first epoch whose burn reached its emission (burned > 0 and burned ≥
    /// minted), if any.
    pub fn burn_equals_emission(&self) -> Option<u64> {
        (0..self.epochs).find(|&e| {
            let (minted, burned) = (self.int(e, 1), self.int(e, 2));
            burned > 0 && burned >= minted
        })
    }
}

/// A cohort's state.
#[derive(Debug, Clone)]
struct Cohort {
    count: u64,
    /// Mean age of its devices, epochs.
    age: f64,
    /// Mean net position of a device: earnings less running and device cost, USD.
    net_usd: f64,
    /// Epochs in a row its devices earned less than their running cost.
    streak: u32,
    /// The last epoch's payback, epochs.
    payback: f64,
}

/// The id a cohort's devices are scored under in the split (one per cohort).
fn cohort_id(i: usize) -> DeviceId {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&(i as u64).to_be_bytes());
    DeviceId(PublicKey(key))
}

/// A standard normal draw (Box–Muller; one of the pair is used).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Runs `scenario` over `economy` with `seed`.
pub fn run(scenario: &Scenario, economy: &Economy, seed: u64) -> Result<RunSeries, RunError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let epochs = scenario.horizon.epochs;
    let nets = &economy.networks;
    let ints_per_epoch = INT_METRICS.len() + nets.len() * NETWORK_INT_METRICS.len();
    let floats_per_epoch = FLOAT_METRICS.len() + nets.len() * NETWORK_FLOAT_METRICS.len();
    let mut ints = Vec::with_capacity(epochs as usize * ints_per_epoch);
    let mut floats = Vec::with_capacity(epochs as usize * floats_per_epoch);
    let epoch_years = economy.emission.epoch_ms as f64 / (365.0 * DAY_MS as f64);
    let epochs_per_year = 1.0 / epoch_years;
    let dec = economy.decimals;
    let lock = scenario.lock_fraction;
    let sell_fraction = scenario.price.sell_fraction;

    let mut supply = Supply {
        genesis: economy.genesis_supply,
        ..Supply::default()
    };
    let mut holdings = Holdings {
        market: economy.genesis_supply,
        ..Holdings::default()
    };
    let mut price = scenario.price.start_usd;
    let mut cohorts: Vec<Vec<Cohort>> = nets
        .iter()
        .map(|n| {
            n.spec
                .cohorts
                .iter()
                .map(|c| Cohort {
                    count: c.initial,
                    age: 0.0,
                    net_usd: -c.device_cost_usd,
                    streak: 0,
                    payback: f64::INFINITY,
                })
                .collect()
        })
        .collect();
    let mut work = BTreeMap::new();
    let mut usage = BTreeMap::new();
    // Burned in the epoch before: what net emissions mint again.
    let mut burned_before: Amount = 0;

    for epoch in 0..epochs {
        // The ledger's `schedule::reminted_at`: nothing in epoch 0.
        let reminted = economy.emission.reminted(burned_before);
        let total_before = supply.total().ok_or(RunError::Overflow { epoch })?;
        let price_micro = model::micro_usd(price);
        let mut minted: Amount = 0;
        let mut burned: Amount = 0;
        let mut credits_burned: u64 = 0;
        let mut demand_total = 0.0;
        let mut buy_usd = 0.0;
        let mut sell_usd = 0.0;
        for (ni, net) in nets.iter().enumerate() {
            let spec = &net.spec;
            // Demand, served up to the network's capacity, paid for by burning.
            let z = normal(&mut rng);
            let demand = model::demand_usd(&spec.demand, epoch, z);
            let capacity: f64 = spec
                .cohorts
                .iter()
                .zip(&cohorts[ni])
                .map(|(c, s)| c.capacity_usd * s.count as f64)
                .sum();
            let served = demand.min(capacity);
            demand_total += demand;
            let available = holdings.market.saturating_add(holdings.operators_liquid);
            let wanted = model::tokens_for_usd(served, price_micro, dec)
                .ok_or(RunError::Overflow { epoch })?;
            let amount = wanted.min(available);
            // The ledger refuses a burn worth less than a credit (BurnTooSmall).
            let credits = plinth_ledger::credits::credits_for(
                amount,
                price_micro,
                dec,
                economy.credit_micro_usd,
            )
            .unwrap_or(0);
            if credits > 0 {
                supply.burned = supply
                    .burned
                    .checked_add(amount)
                    .ok_or(RunError::Overflow { epoch })?;
                // Consumers buy on the market what they burn (from operators'
                // liquid rewards once the market's float is gone).
                let from_market = amount.min(holdings.market);
                holdings.market -= from_market;
                holdings.operators_liquid -= amount - from_market;
                burned += amount;
                credits_burned = credits_burned.saturating_add(credits);
                buy_usd += model::usd_of(amount, price, dec);
            }
            // The network's allowance, split exactly by work and usage as the
            // oracle splits every manifest; a network without devices mints nothing.
            let allowance = economy
                .emission
                .allowance_with(epoch, net.share_bps, reminted);
            work.clear();
            usage.clear();
            for (ci, (c, s)) in spec.cohorts.iter().zip(&cohorts[ni]).enumerate() {
                if s.count == 0 {
                    continue;
                }
                let id = cohort_id(ci);
                work.insert(id, s.count.saturating_mul(c.score));
                let share = if capacity > 0.0 {
                    (credits as f64 * c.capacity_usd * s.count as f64 / capacity).floor() as u64
                } else {
                    0
                };
                usage.insert(id, share);
            }
            let paid = plinth_proofs::split::split_usage_capped(
                allowance,
                net.usage_bps,
                &work,
                &usage,
                None,
            );
            for (ci, (c, s)) in spec.cohorts.iter().zip(cohorts[ni].iter_mut()).enumerate() {
                let reward = paid.get(&cohort_id(ci)).copied().unwrap_or(0);
                minted = minted
                    .checked_add(reward)
                    .ok_or(RunError::Overflow { epoch })?;
                let locked = (reward as f64 * lock).floor() as Amount;
                let liquid = reward - locked;
                holdings.operators_locked = holdings
                    .operators_locked
                    .checked_add(locked)
                    .ok_or(RunError::Overflow { epoch })?;
                holdings.operators_liquid = holdings
                    .operators_liquid
                    .checked_add(liquid)
                    .ok_or(RunError::Overflow { epoch })?;
                // Operators sell part of their liquid rewards to the market.
                let sold = (liquid as f64 * sell_fraction).floor() as Amount;
                holdings.operators_liquid -= sold;
                holdings.market += sold;
                sell_usd += model::usd_of(sold, price, dec);
                // The cohort's decisions.
                if s.count == 0 {
                    s.payback = f64::INFINITY;
                } else {
                    let earned = model::usd_of(reward, price, dec) / s.count as f64;
                    s.net_usd += earned - c.running_cost_usd;
                    s.age += 1.0;
                    s.streak = if earned < c.running_cost_usd {
                        s.streak.saturating_add(1)
                    } else {
                        0
                    };
                    s.payback =
                        model::payback_epochs(c.device_cost_usd, earned, c.running_cost_usd);
                }
                // A newcomer expects what a device earned this epoch, shared
                // with one more device.
                let expected = model::usd_of(reward, price, dec) / (s.count + 1) as f64;
                let expected_payback =
                    model::payback_epochs(c.device_cost_usd, expected, c.running_cost_usd);
                let u: f64 = rng.gen();
                let join = model::joins(c, s.count, expected_payback, u);
                let leave = model::leaves(c, s.count, s.streak);
                let stay = s.count - leave;
                let count = stay.saturating_add(join);
                if count > 0 {
                    // Newcomers are new and have paid for their device.
                    s.age = s.age * stay as f64 / count as f64;
                    s.net_usd =
                        (s.net_usd * stay as f64 - c.device_cost_usd * join as f64) / count as f64;
                }
                s.count = count;
            }
        }
        // The treasury's share, minted as the ledger mints it each epoch.
        let treasury = economy
            .emission
            .allowance_with(epoch, economy.treasury_bps, reminted);
        minted = minted
            .checked_add(treasury)
            .ok_or(RunError::Overflow { epoch })?;
        holdings.treasury = holdings
            .treasury
            .checked_add(treasury)
            .ok_or(RunError::Overflow { epoch })?;
        // Minted tokens are claimed in the epoch: straight to the holders above.
        supply.minted = supply
            .minted
            .checked_add(minted)
            .ok_or(RunError::Overflow { epoch })?;
        let total = supply.total().ok_or(RunError::Overflow { epoch })?;
        debug_assert_eq!(holdings.total(), Some(total));

        burned_before = burned;
        ints.extend_from_slice(&[
            total,
            minted,
            burned,
            credits_burned,
            total - holdings.operators_locked,
        ]);
        floats.extend_from_slice(&[
            price,
            model::net_inflation(minted, burned, total_before, epochs_per_year),
            demand_total,
        ]);
        for (ni, net) in nets.iter().enumerate() {
            let count: u64 = cohorts[ni].iter().map(|s| s.count).sum();
            ints.push(count);
            let (mut roi, mut payback) = (0.0, 0.0);
            if count > 0 {
                for (c, s) in net.spec.cohorts.iter().zip(&cohorts[ni]) {
                    let w = s.count as f64 / count as f64;
                    if c.device_cost_usd > 0.0 {
                        roi += w * s.net_usd / c.device_cost_usd;
                    }
                    payback += w * s.payback.min(1e9);
                }
            } else {
                payback = 1e9;
            }
            floats.push(roi);
            floats.push(payback);
        }
        let z = normal(&mut rng);
        price = model::next_price(&scenario.price, price, buy_usd, sell_usd, epoch_years, z);
    }
    Ok(RunSeries {
        epochs,
        ints_per_epoch,
        floats_per_epoch,
        ints,
        floats,
        supply,
        holdings,
    })
}
