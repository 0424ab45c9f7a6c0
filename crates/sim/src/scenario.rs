//! Scenarios: what a simulation runs, read from TOML (every key checked by name)
//! or built in (`helium-like`, `no-demand`, `flywheel`, `devnet`).
//!
//! A scenario names its horizon, where issuance comes from (a built-in schedule
//! in `[emission]`, or a genesis file), the token price model, the share of
//! rewards locked, and its networks: each with operator cohorts and a demand
//! curve. [`Scenario::set`] changes one key by its dotted path (what `--sweep`
//! does), and [`Scenario::economy`] joins the scenario to its emission source.

use plinth_ledger::credits::CreditParams;
use plinth_ledger::{Amount, Emission, Genesis};
use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// Why a scenario could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The TOML is malformed, or a key is unknown, missing or of the wrong type
    /// (the message names the key).
    #[error("scenario: {0}")]
    Toml(String),
    /// A value is out of its range.
    #[error("scenario: {key}: {reason}")]
    Invalid {
        /// The key, as a dotted path.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not a built-in scenario's name.
    #[error("no built-in scenario `{0}` (built in: helium-like, no-demand, flywheel, devnet)")]
    UnknownBuiltin(String),
    /// A `--sweep` key or value that does not fit the scenario.
    #[error("sweep {key}: {reason}")]
    Sweep {
        /// The key, as a dotted path.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// A scenario, as its TOML file writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name (printed, and kept in `summary.json`).
    pub name: String,
    /// How long and how fine.
    pub horizon: Horizon,
    /// Monte Carlo runs (`--runs` overrides).
    #[serde(default = "one")]
    pub runs: u64,
    /// Run `i` draws from seed `seed + i` (`--seed` overrides).
    #[serde(default)]
    pub seed: u64,
    /// A built-in emission schedule; absent when a genesis drives issuance.
    #[serde(default)]
    pub emission: Option<ScheduleSpec>,
    /// The token price.
    pub price: PriceSpec,
    /// The share of operators' rewards locked (staking, governance) instead of
    /// held liquid: out of circulation and never sold.
    #[serde(default)]
    pub lock_fraction: f64,
    /// The networks. With a genesis, each names one of the genesis's networks
    /// (those not named have no operators, so they mint nothing); none at all
    /// means [`NetworkSpec::default_for`] for every network of the genesis.
    #[serde(default)]
    pub networks: Vec<NetworkSpec>,
}

fn one() -> u64 {
    1
}

/// The scenario's `[horizon]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// Epochs simulated.
    pub epochs: u64,
    /// Length of an epoch in milliseconds (with a genesis: the genesis's, and
    /// this must be absent or equal).
    #[serde(default)]
    pub epoch_ms: Option<u64>,
}

/// A built-in emission schedule (`[emission]`), the fields of the ledger's
/// [`Emission`] plus what a genesis would otherwise fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Decimal places of a whole token.
    pub decimals: u8,
    /// Tokens (smallest unit) that exist at genesis.
    #[serde(default)]
    pub genesis_supply: Amount,
    /// Emission of epoch 0 (smallest unit).
    pub initial_per_epoch: Amount,
    /// Epochs between halvings (0: never).
    #[serde(default)]
    pub halving_interval_epochs: u64,
    /// The floor of the emission.
    #[serde(default)]
    pub tail_per_epoch: Amount,
    /// Net emissions: the tokens burned in an epoch are minted again in the
    /// next, up to this many (the ledger's `emission.net_emissions_cap_per_epoch`;
    /// 0: off).
    #[serde(default)]
    pub net_emissions_cap_per_epoch: Amount,
    /// The treasury's share of each epoch's emission (basis points).
    #[serde(default)]
    pub treasury_bps: u32,
    /// The fiat price of a credit, µUSD (the ledger's default: 10).
    #[serde(default = "default_credit_micro_usd")]
    pub credit_micro_usd: u64,
}

fn default_credit_micro_usd() -> u64 {
    CreditParams::default().credit_micro_usd
}

/// The token price model (`[price]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// `exogenous`: a geometric random walk of `drift_per_year` and
    /// `volatility_per_year`; `endogenous`: the walk plus the net of buy and
    /// sell pressure over `depth_usd` (see [`crate::model::next_price`]).
    pub model: PriceModel,
    /// The price at epoch 0, USD per whole token.
    pub start_usd: f64,
    /// Log drift per year.
    #[serde(default)]
    pub drift_per_year: f64,
    /// Log volatility per square-root year.
    #[serde(default)]
    pub volatility_per_year: f64,
    /// Endogenous: the fiat a 1 e-fold price move takes (market depth).
    #[serde(default = "default_depth")]
    pub depth_usd: f64,
    /// Endogenous: the share of their liquid rewards operators sell each epoch.
    #[serde(default = "default_sell")]
    pub sell_fraction: f64,
    /// The price never falls below this (USD), so that credits stay buyable.
    #[serde(default = "default_floor")]
    pub floor_usd: f64,
}

fn default_depth() -> f64 {
    10_000_000.0
}
fn default_sell() -> f64 {
    0.5
}
fn default_floor() -> f64 {
    0.000_001
}

/// Which price model a scenario uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceModel {
    /// A path given by the scenario (drift and volatility).
    Exogenous,
    /// The path moved by burns (buys) against operators' sales.
    Endogenous,
}

/// A network (`[[networks]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Its name (with a genesis: the genesis network's).
    pub name: String,
    /// Share of each epoch's emission, basis points (set by the genesis when
    /// there is one, and then absent here).
    #[serde(default)]
    pub share_bps: Option<u32>,
    /// The part of the share paid by usage, basis points (as `share_bps`).
    #[serde(default)]
    pub usage_bps: Option<u32>,
    /// The operator cohorts.
    pub cohorts: Vec<CohortSpec>,
    /// Demand for the network's service.
    pub demand: DemandSpec,
}

/// An operator cohort (`[[networks.cohorts]]`): devices that share a cost
/// structure and decide alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSpec {
    /// Its name.
    pub name: String,
    /// Devices at epoch 0.
    pub initial: u64,
    /// What a device costs to buy and install, USD.
    pub device_cost_usd: f64,
    /// What a device costs to run per epoch, USD.
    pub running_cost_usd: f64,
    /// Operators join while a device's expected payback is under this many epochs.
    pub hurdle_epochs: f64,
    /// At most this fraction of the cohort's devices join in one epoch.
    pub max_join_rate: f64,
    /// …and at least this many when payback is under the hurdle (a cohort can
    /// start from zero).
    #[serde(default)]
    pub min_joins: u64,
    /// Devices leave once a device's earnings stayed below its running cost this
    /// many epochs in a row…
    pub leave_after_epochs: u32,
    /// …this fraction of them per epoch while it lasts.
    pub leave_rate: f64,
    /// Work score of a device (what the proof family would give it).
    #[serde(default = "one")]
    pub score: u64,
    /// Service a device can deliver per epoch, in USD at the service's price.
    pub capacity_usd: f64,
}

/// Demand for a network's service (`[networks.demand]`), in fiat per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    /// `none`, `logistic` or `exponential`.
    pub curve: Curve,
    /// Fiat demand per epoch at epoch 0, USD (at the reference price).
    #[serde(default)]
    pub start_usd: f64,
    /// Logistic: the ceiling, USD per epoch.
    #[serde(default)]
    pub cap_usd: f64,
    /// Logistic: the epoch of half the ceiling; exponential: unused.
    #[serde(default)]
    pub midpoint_epochs: f64,
    /// Growth rate per epoch (logistic steepness, or exponential rate).
    #[serde(default)]
    pub growth_per_epoch: f64,
    /// The service's price, USD per USD of reference service (1: at reference).
    #[serde(default = "unit")]
    pub price_ratio: f64,
    /// Price elasticity of the quantity demanded (fiat spend scales with
    /// `price_ratio^(1 − elasticity)`).
    #[serde(default)]
    pub elasticity: f64,
    /// Log-normal noise of each epoch's demand (standard deviation).
    #[serde(default)]
    pub noise: f64,
}

fn unit() -> f64 {
    1.0
}

/// A demand curve's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Curve {
    /// No demand.
    None,
    /// `cap / (1 + e^(−growth·(t − midpoint)))`.
    Logistic,
    /// `start · e^(growth·t)`, capped at `cap_usd` when that is positive.
    Exponential,
}

impl DemandSpec {
    /// No demand.
    pub fn none() -> DemandSpec {
        DemandSpec {
            curve: Curve::None,
            start_usd: 0.0,
            cap_usd: 0.0,
            midpoint_epochs: 0.0,
            growth_per_epoch: 0.0,
            price_ratio: 1.0,
            elasticity: 0.0,
            noise: 0.0,
        }
    }
}

impl NetworkSpec {
    /// The economics a genesis network gets when a scenario names none: one
    /// cohort of 100 devices of $300 that run on $0.05 per epoch, and demand
    /// rising along a logistic curve to $50 per epoch.
    pub fn default_for(name: &str) -> NetworkSpec {
        NetworkSpec {
            name: name.to_string(),
            share_bps: None,
            usage_bps: None,
            cohorts: vec![CohortSpec {
                name: "operators".into(),
                initial: 100,
                device_cost_usd: 300.0,
                running_cost_usd: 0.05,
                hurdle_epochs: 2_000.0,
                max_join_rate: 0.01,
                min_joins: 1,
                leave_after_epochs: 100,
                leave_rate: 0.02,
                score: 1,
                capacity_usd: 1.0,
            }],
            demand: DemandSpec {
                curve: Curve::Logistic,
                start_usd: 0.0,
                cap_usd: 50.0,
                midpoint_epochs: 5_000.0,
                growth_per_epoch: 0.001,
                price_ratio: 1.0,
                elasticity: 0.5,
                noise: 0.1,
            },
        }
    }
}

/// What the ledger's code is driven by in a run: its emission schedule, supply
/// at genesis, token decimals, the credit price, the treasury's share and each
/// network's shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Economy {
    /// The ledger's emission schedule.
    pub emission: Emission,
    /// Tokens at genesis (smallest unit).
    pub genesis_supply: Amount,
    /// Decimal places of a whole token.
    pub decimals: u8,
    /// µUSD per credit.
    pub credit_micro_usd: u64,
    /// The treasury's share (basis points).
    pub treasury_bps: u32,
    /// The simulated networks, with their shares resolved.
    pub networks: Vec<NetworkEconomy>,
}

/// A network of an [`Economy`].
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkEconomy {
    /// Share of each epoch's emission (basis points).
    pub share_bps: u32,
    /// The usage part of the share (basis points).
    pub usage_bps: u32,
    /// Its operators and demand.
    pub spec: NetworkSpec,
}

impl Scenario {
    /// Reads a scenario's TOML; errors name the offending key.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Toml(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// The scenario as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a scenario serialises")
    }

    /// Checks every value's range (keys and types are checked by reading).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.horizon.epochs == 0 || self.horizon.epochs > 10_000_000 {
            return Err(invalid("horizon.epochs", "must be 1 to 10,000,000"));
        }
        if self.horizon.epoch_ms == Some(0) {
            return Err(invalid("horizon.epoch_ms", "must be positive"));
        }
        if self.runs == 0 || self.runs > 1_000_000 {
            return Err(invalid("runs", "must be 1 to 1,000,000"));
        }
        if !(0.0..=1.0).contains(&self.lock_fraction) {
            return Err(invalid("lock_fraction", "must be within 0 to 1"));
        }
        let p = &self.price;
        if !(p.start_usd.is_finite() && p.start_usd > 0.0) {
            return Err(invalid("price.start_usd", "must be positive"));
        }
        finite_nonneg("price.volatility_per_year", p.volatility_per_year)?;
        if !p.drift_per_year.is_finite() {
            return Err(invalid("price.drift_per_year", "must be finite"));
        }
        if !(p.depth_usd.is_finite() && p.depth_usd > 0.0) {
            return Err(invalid("price.depth_usd", "must be positive"));
        }
        fraction("price.sell_fraction", p.sell_fraction)?;
        finite_nonneg("price.floor_usd", p.floor_usd)?;
        if let Some(e) = &self.emission {
            if e.decimals > 18 {
                return Err(invalid("emission.decimals", "must be at most 18"));
            }
            if e.treasury_bps > 10_000 {
                return Err(invalid("emission.treasury_bps", "must be at most 10000"));
            }
            if e.credit_micro_usd == 0 {
                return Err(invalid("emission.credit_micro_usd", "must be positive"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for n in &self.networks {
            let k = |f: &str| format!("networks.{}.{f}", n.name);
            if !names.insert(&n.name) {
                return Err(invalid(format!("networks.{}", n.name), "listed twice"));
            }
            if n.share_bps.is_some_and(|b| b > 10_000) {
                return Err(invalid(k("share_bps"), "must be at most 10000"));
            }
            if n.usage_bps.is_some_and(|b| b > 10_000) {
                return Err(invalid(k("usage_bps"), "must be at most 10000"));
            }
            if n.cohorts.is_empty() || n.cohorts.len() > 64 {
                return Err(invalid(k("cohorts"), "a network has 1 to 64 cohorts"));
            }
            for c in &n.cohorts {
                let k = |f: &str| format!("networks.{}.cohorts.{}.{f}", n.name, c.name);
                finite_nonneg(&k("device_cost_usd"), c.device_cost_usd)?;
                finite_nonneg(&k("running_cost_usd"), c.running_cost_usd)?;
                finite_nonneg(&k("hurdle_epochs"), c.hurdle_epochs)?;
                finite_nonneg(&k("capacity_usd"), c.capacity_usd)?;
                fraction(&k("max_join_rate"), c.max_join_rate)?;
                fraction(&k("leave_rate"), c.leave_rate)?;
                if c.initial > 1_000_000_000_000 {
                    return Err(invalid(k("initial"), "at most 10^12 devices"));
                }
                if c.score == 0 {
                    return Err(invalid(k("score"), "must be positive"));
                }
            }
            let d = &n.demand;
            let k = |f: &str| format!("networks.{}.demand.{f}", n.name);
            finite_nonneg(&k("start_usd"), d.start_usd)?;
            finite_nonneg(&k("cap_usd"), d.cap_usd)?;
            finite_nonneg(&k("noise"), d.noise)?;
            finite_nonneg(&k("elasticity"), d.elasticity)?;
            if !(d.price_ratio.is_finite() && d.price_ratio > 0.0) {
                return Err(invalid(k("price_ratio"), "must be positive"));
            }
            if !d.growth_per_epoch.is_finite() || !d.midpoint_epochs.is_finite() {
                return Err(invalid(k("growth_per_epoch"), "must be finite"));
            }
        }
        Ok(())
    }

    /// Joins the scenario to its emission source: its `[emission]`, or
    /// `genesis` (which then must be the only source).
    pub fn economy(&self, genesis: Option<&Genesis>) -> Result<Economy, ScenarioError> {
        match (genesis, &self.emission) {
            (Some(_), Some(_)) => Err(invalid(
                "emission",
                "a scenario run with a genesis takes its emission from the genesis; remove [emission]",
            )),
            (None, None) => Err(invalid(
                "emission",
                "missing: give an [emission] section or a genesis (--genesis)",
            )),
            (None, Some(s)) => {
                let emission = Emission {
                    epoch_ms: self.horizon.epoch_ms.unwrap_or(DAY_MS),
                    initial_per_epoch: s.initial_per_epoch,
                    halving_interval_epochs: s.halving_interval_epochs,
                    tail_per_epoch: s.tail_per_epoch,
                    net_emissions_cap_per_epoch: s.net_emissions_cap_per_epoch,
                    ..Emission::default()
                };
                let mut networks = Vec::new();
                let mut shares = u64::from(s.treasury_bps);
                for n in &self.networks {
                    let share_bps = n.share_bps.ok_or_else(|| {
                        invalid(
                            format!("networks.{}.share_bps", n.name),
                            "missing (a built-in schedule needs each network's share)",
                        )
                    })?;
                    shares += u64::from(share_bps);
                    networks.push(NetworkEconomy {
                        share_bps,
                        usage_bps: n.usage_bps.unwrap_or(0),
                        spec: n.clone(),
                    });
                }
                if shares > 10_000 {
                    return Err(invalid(
                        "networks.share_bps",
                        format!("the shares and the treasury's add up to {shares}, more than 10000"),
                    ));
                }
                Ok(Economy {
                    emission,
                    genesis_supply: s.genesis_supply,
                    decimals: s.decimals,
                    credit_micro_usd: s.credit_micro_usd,
                    treasury_bps: s.treasury_bps,
                    networks,
                })
            }
            (Some(g), None) => {
                if let Some(ms) = self.horizon.epoch_ms {
                    if ms != g.emission.epoch_ms {
                        return Err(invalid(
                            "horizon.epoch_ms",
                            format!("{ms} differs from the genesis's {}", g.emission.epoch_ms),
                        ));
                    }
                }
                let specs: Vec<NetworkSpec> = if self.networks.is_empty() {
                    g.networks
                        .iter()
                        .map(|n| NetworkSpec::default_for(&n.name))
                        .collect()
                } else {
                    self.networks.clone()
                };
                let mut networks = Vec::new();
                for spec in specs {
                    let gn = g
                        .networks
                        .iter()
                        .find(|n| n.name == spec.name)
                        .ok_or_else(|| {
                            invalid(
                                format!("networks.{}", spec.name),
                                "not a network of the genesis",
                            )
                        })?;
                    if spec.share_bps.is_some() || spec.usage_bps.is_some() {
                        return Err(invalid(
                            format!("networks.{}.share_bps", spec.name),
                            "set by the genesis; remove it from the scenario",
                        ));
                    }
                    networks.push(NetworkEconomy {
                        share_bps: gn.share_bps,
                        usage_bps: gn.usage_bps,
                        spec,
                    });
                }
                Ok(Economy {
                    emission: g.emission.clone(),
                    genesis_supply: g.supply(),
                    decimals: g.token.decimals,
                    credit_micro_usd: g.credits.unwrap_or_default().credit_micro_usd,
                    treasury_bps: g.governance.as_ref().map_or(0, |gv| gv.treasury_bps),
                    networks,
                })
            }
        }
    }

    /// The scenario with the value at dotted `key` set to `value` (parsed as an
    /// integer, a float, a boolean, else a string). An array of tables is
    /// entered by an element's `name` or its index:
    /// `networks.hotspots.cohorts.home.device_cost_usd`, `price.depth_usd`.
    pub fn set(&self, key: &str, value: &str) -> Result<Scenario, ScenarioError> {
        let sweep = |reason: String| ScenarioError::Sweep {
            key: key.to_string(),
            reason,
        };
        let mut root = toml::Value::try_from(self).map_err(|e| sweep(e.to_string()))?;
        let parts: Vec<&str> = key.split('.').collect();
        let (last, path) = parts.split_last().expect("split yields one part");
        let mut at = &mut root;
        for p in path {
            at = match at {
                toml::Value::Table(t) => t
                    .get_mut(*p)
                    .ok_or_else(|| sweep(format!("no key `{p}` here")))?,
                toml::Value::Array(items) => {
                    let i = match p.parse::<usize>() {
                        Ok(i) => i,
                        Err(_) => items
                            .iter()
                            .position(|v| v.get("name").and_then(|n| n.as_str()) == Some(p))
                            .ok_or_else(|| sweep(format!("no element named `{p}`")))?,
                    };
                    items
                        .get_mut(i)
                        .ok_or_else(|| sweep(format!("no element {i}")))?
                }
                _ => return Err(sweep(format!("`{p}` is not inside a table"))),
            };
        }
        let parsed = if let Ok(i) = value.parse::<i64>() {
            toml::Value::Integer(i)
        } else if let Ok(f) = value.parse::<f64>() {
            toml::Value::Float(f)
        } else if let Ok(b) = value.parse::<bool>() {
            toml::Value::Boolean(b)
        } else {
            toml::Value::String(value.to_string())
        };
        let table = at
            .as_table_mut()
            .ok_or_else(|| sweep("the parent is not a table".into()))?;
        // A float key given an integer (`depth_usd=5000000`) stays a float.
        let parsed = match (table.get(*last), parsed) {
            (Some(toml::Value::Float(_)), toml::Value::Integer(i)) => toml::Value::Float(i as f64),
            (_, v) => v,
        };
        table.insert(last.to_string(), parsed);
        let s: Scenario = root
            .try_into()
            .map_err(|e: toml::de::Error| sweep(e.to_string()))?;
        s.validate().map_err(|e| sweep(e.to_string()))?;
        Ok(s)
    }
}

fn finite_nonneg(key: &str, v: f64) -> Result<(), ScenarioError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(key, "must be a finite number ≥ 0"))
    }
}

fn fraction(key: &str, v: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(key, "must be within 0 to 1"))
    }
}

/// The names of the built-in scenarios.
pub const BUILTINS: &[&str] = &["helium-like", "no-demand", "flywheel", "devnet"];

/// HNT-like decimals of the `helium-like` token.
pub const HELIUM_DECIMALS: u8 = 8;

/// `helium-like`'s emission per daily epoch: 5,000,000 tokens a month of 30 days,
/// in the smallest unit, rounded down.
pub const HELIUM_PER_EPOCH: Amount = 5_000_000 * 100_000_000 / 30;

/// `helium-like`'s halving interval: two years of daily epochs.
pub const HELIUM_HALVING_EPOCHS: u64 = 730;

impl Scenario {
    /// A built-in scenario by name. `devnet` needs the devnet's genesis (the
    /// caller builds it: `plinth_devnet::genesis::template`) and runs with it.
    pub fn builtin(name: &str) -> Result<Scenario, ScenarioError> {
        let text = match name {
            "helium-like" => HELIUM_LIKE,
            "no-demand" => NO_DEMAND,
            "flywheel" => FLYWHEEL,
            "devnet" => DEVNET,
            other => return Err(ScenarioError::UnknownBuiltin(other.to_string())),
        };
        Scenario::from_toml(text)
    }
}

/// `helium-like`: HIP-20's shape (5M tokens a month, halving every two years,
/// net emissions re-minting up to 1,643 tokens a day of what was burned), daily
/// epochs for ten years, hotspots paid 100% of the emission, data demand growing
/// along a logistic curve, an endogenous price. The default scenario.
pub const HELIUM_LIKE: &str = r#"
name = "helium-like"
runs = 100
seed = 1
lock_fraction = 0.3

[horizon]
epochs = 3650
epoch_ms = 86400000

[emission]
decimals = 8
genesis_supply = 0
initial_per_epoch = 16666666666666
halving_interval_epochs = 730
tail_per_epoch = 0
net_emissions_cap_per_epoch = 164300000000

[price]
model = "endogenous"
start_usd = 5.0
drift_per_year = 0.0
volatility_per_year = 0.6
depth_usd = 20000000.0
sell_fraction = 0.5

[[networks]]
name = "hotspots"
share_bps = 10000
usage_bps = 2000

[[networks.cohorts]]
name = "home"
initial = 20000
device_cost_usd = 500.0
running_cost_usd = 0.15
hurdle_epochs = 540.0
max_join_rate = 0.01
min_joins = 50
leave_after_epochs = 60
leave_rate = 0.02
capacity_usd = 0.5

[[networks.cohorts]]
name = "pro"
initial = 2000
device_cost_usd = 2500.0
running_cost_usd = 1.0
hurdle_epochs = 365.0
max_join_rate = 0.005
min_joins = 5
leave_after_epochs = 30
leave_rate = 0.03
score = 4
capacity_usd = 5.0

[networks.demand]
curve = "logistic"
start_usd = 2000.0
cap_usd = 400000.0
midpoint_epochs = 2000.0
growth_per_epoch = 0.004
elasticity = 0.3
noise = 0.15
"#;

/// `no-demand`: rewards only, nobody buys the service: the inflation the
/// seeds warn about, and operators leaving as the price sinks.
pub const NO_DEMAND: &str = r#"
name = "no-demand"
runs = 100
seed = 1

[horizon]
epochs = 3650
epoch_ms = 86400000

[emission]
decimals = 6
genesis_supply = 1000000000000000
initial_per_epoch = 1000000000000
halving_interval_epochs = 1460
tail_per_epoch = 50000000000

[price]
model = "endogenous"
start_usd = 1.0
volatility_per_year = 0.5
depth_usd = 5000000.0
sell_fraction = 0.6

[[networks]]
name = "sensors"
share_bps = 10000

[[networks.cohorts]]
name = "operators"
initial = 10000
device_cost_usd = 200.0
running_cost_usd = 0.1
hurdle_epochs = 365.0
max_join_rate = 0.01
min_joins = 10
leave_after_epochs = 30
leave_rate = 0.03
capacity_usd = 1.0

[networks.demand]
curve = "none"
"#;

/// `flywheel`: supply first, demand later: two networks, demand arriving
/// along logistic curves years in, burns overtaking emission.
pub const FLYWHEEL: &str = r#"
name = "flywheel"
runs = 100
seed = 1
lock_fraction = 0.2

[horizon]
epochs = 3650
epoch_ms = 86400000

[emission]
decimals = 6
genesis_supply = 500000000000000
initial_per_epoch = 500000000000
halving_interval_epochs = 730
tail_per_epoch = 20000000000
treasury_bps = 1000

[price]
model = "endogenous"
start_usd = 0.5
volatility_per_year = 0.4
depth_usd = 10000000.0
sell_fraction = 0.5

[[networks]]
name = "coverage"
share_bps = 6000
usage_bps = 3000

[[networks.cohorts]]
name = "hotspots"
initial = 5000
device_cost_usd = 400.0
running_cost_usd = 0.1
hurdle_epochs = 540.0
max_join_rate = 0.01
min_joins = 20
leave_after_epochs = 60
leave_rate = 0.02
capacity_usd = 2.0

[networks.demand]
curve = "logistic"
start_usd = 0.0
cap_usd = 300000.0
midpoint_epochs = 1500.0
growth_per_epoch = 0.006
elasticity = 0.4
noise = 0.1

[[networks]]
name = "storage"
share_bps = 3000
usage_bps = 5000

[[networks.cohorts]]
name = "providers"
initial = 500
device_cost_usd = 3000.0
running_cost_usd = 1.5
hurdle_epochs = 730.0
max_join_rate = 0.01
min_joins = 2
leave_after_epochs = 30
leave_rate = 0.05
capacity_usd = 50.0

[networks.demand]
curve = "exponential"
start_usd = 100.0
cap_usd = 200000.0
growth_per_epoch = 0.003
elasticity = 0.5
noise = 0.1
"#;

/// `devnet`: the devnet's genesis (its 30-second epochs, its networks and
/// shares), a week of epochs, each network with [`NetworkSpec::default_for`].
pub const DEVNET: &str = r#"
name = "devnet"
runs = 20
seed = 1

[horizon]
epochs = 20160

[price]
model = "exogenous"
start_usd = 1.0
volatility_per_year = 0.5
"#;
