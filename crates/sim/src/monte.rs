//! Monte Carlo: many runs of a scenario (run `i` draws from seed `base + i`),
//! in parallel over runs, and what they add up to: per-epoch percentiles across
//! runs (the CSV) and a summary.
//!
//! Runs share nothing and are collected in run order, and the percentiles are
//! computed from the collected runs, so the bytes written do not depend on the
//! number of threads.

use crate::run::{self, RunError, RunSeries};
use crate::run::{FLOAT_METRICS, INT_METRICS, NETWORK_FLOAT_METRICS, NETWORK_INT_METRICS};
use crate::scenario::{Economy, Scenario};
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;

/// The percentiles the CSV gives of each metric.
pub const PERCENTILES: &[(&str, f64)] = &[("p10", 0.10), ("p50", 0.50), ("p90", 0.90)];

/// Every run of one scenario.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The networks' names, in the series' order.
    pub networks: Vec<String>,
    /// The base seed.
    pub seed: u64,
    /// Each run's series, in run order.
    pub runs: Vec<RunSeries>,
}

/// Runs `runs` runs of `scenario` over `economy` from seed `seed`, in parallel
/// on the current rayon pool; `progress` is called once per finished run.
pub fn simulate(
    scenario: &Scenario,
    economy: &Economy,
    runs: u64,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Runs, RunError> {
    let series = (0..runs)
        .into_par_iter()
        .map(|i| {
            let r = run::run(scenario, economy, seed.wrapping_add(i));
            progress();
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Runs {
        networks: economy
            .networks
            .iter()
            .map(|n| n.spec.name.clone())
            .collect(),
        seed,
        runs: series,
    })
}

/// The value at quantile `q` of sorted `v` (nearest rank: index `round(q·(n−1))`).
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> T {
    let i = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

impl Runs {
    /// The CSV's column names (after `epoch`): each metric's percentiles.
    pub fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = INT_METRICS.iter().map(|s| s.to_string()).collect();
        for n in &self.networks {
            for m in NETWORK_INT_METRICS {
                names.push(format!("{m}.{n}"));
            }
        }
        names.extend(FLOAT_METRICS.iter().map(|s| s.to_string()));
        for n in &self.networks {
            for m in NETWORK_FLOAT_METRICS {
                names.push(format!("{m}.{n}"));
            }
        }
        names
    }

    /// Per-epoch percentiles across runs, as CSV: `epoch` then, for every
    /// metric, its `_p10`, `_p50` and `_p90`. Integers stay exact integers (a
    /// percentile is one run's value); floats are written as Rust prints them
    /// (shortest round-trip form).
    pub fn percentile_csv(&self) -> String {
        let first = &self.runs[0];
        let (ni, nf) = (first.ints_per_epoch, first.floats_per_epoch);
        let mut out = String::from("epoch");
        for m in self.metric_names() {
            for (p, _) in PERCENTILES {
                write!(out, ",{m}_{p}").expect("writing to a String");
            }
        }
        out.push('\n');
        // Epochs in parallel, joined in order.
        let rows: Vec<String> = (0..first.epochs)
            .into_par_iter()
            .map(|e| {
                let mut row = e.to_string();
                let mut ints: Vec<u64> = Vec::with_capacity(self.runs.len());
                for m in 0..ni {
                    ints.clear();
                    ints.extend(self.runs.iter().map(|r| r.int(e, m)));
                    ints.sort_unstable();
                    for (_, q) in PERCENTILES {
                        write!(row, ",{}", quantile(&ints, *q)).expect("writing to a String");
                    }
                }
                let mut floats: Vec<f64> = Vec::with_capacity(self.runs.len());
                for m in 0..nf {
                    floats.clear();
                    floats.extend(self.runs.iter().map(|r| r.float(e, m)));
                    floats.sort_unstable_by(f64::total_cmp);
                    for (_, q) in PERCENTILES {
                        write!(row, ",{}", quantile(&floats, *q)).expect("writing to a String");
                    }
                }
                row.push('\n');
                row
            })
            .collect();
        for r in rows {
            out.push_str(&r);
        }
        out
    }

    /// Per run, the first epoch whose burn reached its emission.
    pub fn burn_equals_emission(&self) -> Vec<Option<u64>> {
        self.runs
            .iter()
            .map(RunSeries::burn_equals_emission)
            .collect()
    }

    /// The summary of the runs.
    pub fn summary(&self, label: &str) -> PointSummary {
        let last = self.runs[0].epochs - 1;
        let mut supply: Vec<u64> = self.runs.iter().map(|r| r.int(last, 0)).collect();
        supply.sort_unstable();
        let mut minted: Vec<u64> = self.runs.iter().map(|r| r.supply.minted).collect();
        minted.sort_unstable();
        let mut burned: Vec<u64> = self.runs.iter().map(|r| r.supply.burned).collect();
        burned.sort_unstable();
        let mut price: Vec<f64> = self.runs.iter().map(|r| r.float(last, 0)).collect();
        price.sort_unstable_by(f64::total_cmp);
        PointSummary {
            label: label.to_string(),
            runs: self.runs.len() as u64,
            seed: self.seed,
            epochs: last + 1,
            final_supply: Spread::of(&supply),
            total_minted: Spread::of(&minted),
            total_burned: Spread::of(&burned),
            final_price_usd: Spread::of(&price),
            burn_equals_emission: Reach::of(&self.burn_equals_emission()),
        }
    }
}

/// min, p10, median, p90, max of sorted values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread<T> {
    /// The least.
    pub min: T,
    /// The 10th percentile.
    pub p10: T,
    /// The median.
    pub median: T,
    /// The 90th percentile.
    pub p90: T,
    /// The greatest.
    pub max: T,
}

impl<T: Copy> Spread<T> {
    /// The spread of sorted, non-empty `v`.
    pub fn of(v: &[T]) -> Spread<T> {
        Spread {
            min: v[0],
            p10: quantile(v, 0.1),
            median: quantile(v, 0.5),
            p90: quantile(v, 0.9),
            max: v[v.len() - 1],
        }
    }
}

/// When runs reached a threshold: the spread of the epoch over the runs that
/// did, and how many never did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reach {
    /// The spread of the epoch among the runs that reached it (`None`: none did).
    pub epoch: Option<Spread<u64>>,
    /// Runs that reached it.
    pub reached: u64,
    /// Runs that never did within the horizon.
    pub never: u64,
}

impl Reach {
    /// From each run's epoch (or never).
    pub fn of(per_run: &[Option<u64>]) -> Reach {
        let mut hit: Vec<u64> = per_run.iter().flatten().copied().collect();
        hit.sort_unstable();
        Reach {
            epoch: (!hit.is_empty()).then(|| Spread::of(&hit)),
            reached: hit.len() as u64,
            never: (per_run.len() - hit.len()) as u64,
        }
    }
}

/// One sweep point's summary (an entry of `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointSummary {
    /// The sweep values (`key=value` joined by `,`; `base` without a sweep).
    pub label: String,
    /// Runs.
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Epochs per run.
    pub epochs: u64,
    /// Supply at the last epoch (smallest unit).
    pub final_supply: Spread<u64>,
    /// Minted over the horizon.
    pub total_minted: Spread<u64>,
    /// Burned over the horizon.
    pub total_burned: Spread<u64>,
    /// The token price at the last epoch.
    pub final_price_usd: Spread<f64>,
    /// The first epoch whose burn reached its emission.
    pub burn_equals_emission: Reach,
}
