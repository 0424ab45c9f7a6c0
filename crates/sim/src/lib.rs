//! Plinth's token-economy simulator: a network's supply, operators, demand and
//! token price years ahead, over the ledger's own code.
//!
//! ```text
//!  scenario.toml | built-in ─▶ Scenario ──(--genesis / [emission])──▶ Economy
//!        │ --sweep key=a,b (grid)                                       │
//!        ▼                                                              ▼
//!  points ─▶ monte::simulate (runs in parallel, seed base+i) ─▶ run::run per epoch:
//!            ledger: Emission::network_allowance, credits::credits_for, Supply::total
//!            proofs: split::split_usage_capped (the manifests' exact split)
//!        ─▶ Runs ─▶ per-epoch percentiles (CSV), summary (JSON), burn = emission
//! ```
//!
//! Amounts are the ledger's integers, so the supply at every epoch is exactly
//! `genesis + minted − burned`; the economics (demand, price, operators'
//! decisions) are `f64` drawn from a ChaCha8 generator per run, so a seed gives
//! the same bytes on every thread count.
//!
//! # Modules
//!
//! - [`scenario`]: the scenario file, built-in scenarios, sweeps, the emission
//!   source ([`Economy`]).
//! - [`model`]: the equations, each a pure function.
//! - [`run`](mod@run): one run, epoch by epoch, over cohorts of operators.
//! - [`monte`]: many runs, percentiles, summaries.
//! - [`report`]: the HTML report, its charts as inline SVG.

#![warn(missing_docs)]

pub mod model;
pub mod monte;
pub mod report;
pub mod run;
pub mod scenario;

pub use monte::{simulate, PointSummary, Runs};
pub use run::{run, RunError, RunSeries};
pub use scenario::{Economy, Scenario, ScenarioError};

/// A sweep: a dotted key and its values (`--sweep key=a,b,c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// The scenario key, dotted ([`Scenario::set`]).
    pub key: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

impl std::str::FromStr for Sweep {
    type Err = ScenarioError;

    fn from_str(s: &str) -> Result<Sweep, ScenarioError> {
        let bad = |reason: &str| ScenarioError::Sweep {
            key: s.to_string(),
            reason: reason.to_string(),
        };
        let (key, values) = s.split_once('=').ok_or_else(|| bad("expected key=a,b,c"))?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if key.is_empty() || values.iter().any(String::is_empty) {
            return Err(bad("expected key=a,b,c with no empty value"));
        }
        Ok(Sweep {
            key: key.trim().to_string(),
            values,
        })
    }
}

/// A point of a sweep grid: its label and its scenario.
#[derive(Debug, Clone)]
pub struct Point {
    /// `key=value` per swept key, joined by `,` (`base` without sweeps).
    pub label: String,
    /// The scenario with those values set.
    pub scenario: Scenario,
}

/// The grid of `sweeps` over `base`: every combination, the first key varying
/// slowest. Each value is checked as the scenario file's would be.
pub fn grid(base: &Scenario, sweeps: &[Sweep]) -> Result<Vec<Point>, ScenarioError> {
    let mut points = vec![Point {
        label: String::new(),
        scenario: base.clone(),
    }];
    for sw in sweeps {
        let mut next = Vec::with_capacity(points.len() * sw.values.len());
        for p in &points {
            for v in &sw.values {
                let sep = if p.label.is_empty() { "" } else { "," };
                next.push(Point {
                    label: format!("{}{sep}{}={v}", p.label, sw.key),
                    scenario: p.scenario.set(&sw.key, v)?,
                });
            }
        }
        points = next;
    }
    if points.len() == 1 && points[0].label.is_empty() {
        points[0].label = "base".into();
    }
    Ok(points)
}
