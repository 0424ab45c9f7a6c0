//! `plinth sim`: the token-economy simulator (`plinth-sim`) from the command
//! line: a scenario file or a built-in, Monte Carlo runs, sweeps, the output
//! directory (per sweep point a CSV of per-epoch percentiles and an HTML report
//! with SVG charts, and `summary.json`).

use anyhow::{bail, Context, Result};
use clap::Args;
use plinth_ledger::Genesis;
use plinth_sim::{grid, Scenario, Sweep};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `plinth sim SCENARIO`.
#[derive(Args)]
pub struct SimArgs {
    /// A scenario file (TOML), or a built-in: helium-like, no-demand, flywheel,
    /// devnet (the devnet's genesis).
    scenario: String,
    /// Monte Carlo runs (default: the scenario's).
    #[arg(long)]
    runs: Option<u64>,
    /// Base seed: run i draws from seed + i (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Sweep a scenario key over values, e.g. `price.depth_usd=1e6,1e7` or
    /// `networks.hotspots.cohorts.home.device_cost_usd=300,500`; repeat for a grid.
    #[arg(long, value_name = "KEY=A,B,C")]
    sweep: Vec<String>,
    /// Drive issuance from a genesis file (its emission, networks, shares, supply).
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// Where to write the CSVs and summary.json.
    #[arg(long, default_value = "sim-out")]
    out: PathBuf,
    /// Answer a question per run; `burn_equals_emission`: the first epoch whose
    /// burn reaches its emission, with its distribution over runs.
    #[arg(long, value_name = "QUESTION")]
    find: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// `summary.json`.
#[derive(Serialize)]
struct Summary {
    scenario: String,
    runs: u64,
    seed: u64,
    epochs: u64,
    epoch_ms: u64,
    networks: Vec<String>,
    points: Vec<PointOut>,
}

#[derive(Serialize)]
struct PointOut {
    csv: String,
    report: String,
    #[serde(flatten)]
    summary: plinth_sim::PointSummary,
}

impl SimArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        if let Some(q) = &self.find {
            if q != "burn_equals_emission" {
                bail!("--find: unknown question `{q}` (known: burn_equals_emission)");
            }
        }
        let mut scenario = if Path::new(&self.scenario).is_file() {
            let text = std::fs::read_to_string(&self.scenario)
                .with_context(|| format!("reading {}", self.scenario))?;
            Scenario::from_toml(&text).with_context(|| self.scenario.clone())?
        } else if plinth_sim::scenario::BUILTINS.contains(&self.scenario.as_str()) {
            Scenario::builtin(&self.scenario)?
        } else {
            bail!(
                "{}: no such file, and not a built-in scenario (helium-like, no-demand, flywheel, devnet)",
                self.scenario
            );
        };
        if let Some(r) = self.runs {
            scenario.runs = r;
        }
        if let Some(s) = self.seed {
            scenario.seed = s;
        }
        scenario.validate()?;
        let genesis = match (&self.genesis, scenario.name.as_str()) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let g = Genesis::from_toml(&text).with_context(|| path.display().to_string())?;
                // A scenario's own schedule gives way to the genesis's.
                scenario.emission = None;
                Some(g)
            }
            (None, "devnet") if scenario.emission.is_none() => Some(devnet_genesis()?),
            _ => None,
        };
        let sweeps: Vec<Sweep> = self
            .sweep
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
        let points = grid(&scenario, &sweeps)?;
        // Check every point's economy before running any.
        let economies = points
            .iter()
            .map(|p| p.scenario.economy(genesis.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;

        let total_runs = scenario.runs * points.len() as u64;
        let bar = indicatif::ProgressBar::new(total_runs);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} runs ({eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        let started = Instant::now();
        let mut out = Vec::new();
        let mut networks = Vec::new();
        for (i, (point, economy)) in points.iter().zip(&economies).enumerate() {
            let runs = plinth_sim::simulate(
                &point.scenario,
                economy,
                point.scenario.runs,
                point.scenario.seed,
                &|| bar.inc(1),
            )?;
            let csv = format!("point-{i:03}.csv");
            std::fs::write(self.out.join(&csv), runs.percentile_csv())
                .with_context(|| format!("writing {csv}"))?;
            let report = format!("point-{i:03}.html");
            let page = plinth_sim::report::html(&runs, &scenario.name, &point.label)?;
            std::fs::write(self.out.join(&report), page)
                .with_context(|| format!("writing {report}"))?;
            networks = runs.networks.clone();
            out.push(PointOut {
                csv,
                report,
                summary: runs.summary(&point.label),
            });
        }
        bar.finish_and_clear();
        let elapsed = started.elapsed();
        let summary = Summary {
            scenario: scenario.name.clone(),
            runs: scenario.runs,
            seed: scenario.seed,
            epochs: scenario.horizon.epochs,
            epoch_ms: economies[0].emission.epoch_ms,
            networks,
            points: out,
        };
        let json = serde_json::to_string_pretty(&summary)?;
        std::fs::write(self.out.join("summary.json"), format!("{json}\n"))
            .context("writing summary.json")?;
        let steps = total_runs * scenario.horizon.epochs;
        if self.json {
            println!("{json}");
            return Ok(());
        }
        println!(
            "{}: {} point(s) × {} runs × {} epochs in {:.2} s ({:.0} ns per epoch-step, {} threads)",
            scenario.name,
            points.len(),
            scenario.runs,
            scenario.horizon.epochs,
            elapsed.as_secs_f64(),
            elapsed.as_nanos() as f64 / steps as f64,
            rayon::current_num_threads(),
        );
        for p in &summary.points {
            let s = &p.summary;
            println!(
                "  {}: final supply p50 {} (p10 {}, p90 {}), minted p50 {}, burned p50 {}, price p50 ${:.4}  → {}, {}",
                s.label,
                s.final_supply.median,
                s.final_supply.p10,
                s.final_supply.p90,
                s.total_minted.median,
                s.total_burned.median,
                s.final_price_usd.median,
                self.out.join(&p.csv).display(),
                self.out.join(&p.report).display(),
            );
            if self.find.is_some() {
                let r = &s.burn_equals_emission;
                match &r.epoch {
                    Some(e) => println!(
                        "    burn = emission at epoch: min {} p10 {} median {} p90 {} max {}; {} of {} runs never",
                        e.min, e.p10, e.median, e.p90, e.max, r.never, s.runs
                    ),
                    None => println!("    burn = emission: never in all {} runs", s.runs),
                }
            }
        }
        println!("summary: {}", self.out.join("summary.json").display());
        Ok(())
    }
}

/// The devnet's genesis as `plinth devnet` writes it (five funded accounts, one
/// oracle, 30-second epochs); its keys are fresh, which the simulator never reads.
fn devnet_genesis() -> Result<Genesis> {
    let setup =
        plinth_devnet::genesis::new_setup(plinth_devnet::devnet::CHAIN_ID, 5, 1, 1000, 30_000, 0)?;
    Ok(Genesis::from_toml(&setup.genesis_toml)?)
}
