//! `plinth bench epoch`: one epoch of many devices scored, split and committed to
//! a manifest root, through the path the oracle and `plinth oracle audit` run;
//! with `--cosign`, what a co-signer of that manifest adds ([`cosign`]).

pub mod cosign;

use crate::peak_rss_mib;
use anyhow::{bail, Result};
use plinth_core::{Address, DeviceId, Hash, PublicKey, Signature};
use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
use plinth_oracle::spool::SpoolBatch;
use plinth_proofs::{DeviceInfo, Family, Report, ReportBody, SignedReport};
use rayon::prelude::*;
use std::time::Instant;

/// `plinth bench epoch`: score one epoch of many devices and build its manifest.
#[derive(Debug, Clone, clap::Args)]
pub struct EpochBench {
    /// Devices scored, one report each.
    #[arg(long, default_value_t = 1_000_000)]
    pub devices: usize,
    /// sensor or uptime.
    #[arg(long, default_value = "sensor")]
    pub family: String,
    /// Also measure what a co-signer adds: the batches fetched over HTTP and
    /// decoded, every report's signature re-verified (reports are then signed
    /// with real device keys), the registry digest, the recompute.
    #[arg(long)]
    pub cosign: bool,
    /// With `--cosign`: reports per spool batch (one ingest group).
    #[arg(long, default_value_t = 5_000)]
    pub batch_reports: usize,
    /// Also score the same epoch with the family re-implemented as WebAssembly
    /// (`crates/families/sensor.wasm`, sensor only), as a `wasm` network runs
    /// it: the same manifest root is required, and both times are printed.
    #[arg(long, conflicts_with = "cosign")]
    pub wasm: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The network every benchmark device reports to.
const NETWORK: &str = "bench";
/// When the benchmark's epoch 0 starts (Unix milliseconds).
const START_MS: u64 = 1_700_000_000_000;
/// The epoch's length.
const EPOCH_MS: u64 = 3_600_000;
/// The network's allowance for the epoch.
const ALLOWANCE: u64 = 1_000_000_000_000;

/// Scores an epoch of `devices` sensors (or uptime devices) with one report each,
/// through the same `epoch::compute` the oracle and `oracle audit` run: family
/// scores, the exact split, manifest entries and the merkle root. With
/// `--cosign`, then measures a co-signer's checks of the same manifest.
pub fn run(b: EpochBench) -> Result<()> {
    let n = b.devices;
    let (family, params) = match b.family.as_str() {
        "sensor" => ("sensor", r#"{"unit":"celsius","min":-60,"max":60}"#),
        "uptime" => ("uptime", r#"{"heartbeat_interval_s":60}"#),
        other => bail!("no benchmark for family `{other}` (sensor or uptime)"),
    };
    if b.wasm && family != "sensor" {
        bail!("--wasm: only the sensor family has a WebAssembly twin");
    }
    if b.cosign && b.batch_reports == 0 {
        bail!("--batch-reports must be positive");
    }
    let family_impl = Family::from_network(family, params)?;
    eprintln!(
        "generating {n} devices and reports{}…",
        if b.cosign { " (signed)" } else { "" }
    );
    let t = Instant::now();
    let (devices, reports) = generate(n, family, b.cosign)?;
    let (batches, spooled) = if b.cosign {
        let (s, batches) = cosign::Spooled::of(devices, reports, b.batch_reports);
        (batches, Some(s))
    } else {
        (
            vec![
                (Hash::of(b"reports"), SpoolBatch::Reports(reports)),
                (
                    Hash::of(b"registry"),
                    SpoolBatch::Registry(vec![snapshot(devices)]),
                ),
            ],
            None,
        )
    };
    let generation_secs = t.elapsed().as_secs_f64();
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let spec = EpochSpec {
        chain: Hash::ZERO,
        network: NETWORK,
        family: &family_impl,
        window: plinth_proofs::EpochWindow {
            epoch: 0,
            start_ms: START_MS,
            end_ms: START_MS + EPOCH_MS,
        },
        allowance: ALLOWANCE,
        usage_bps: 0,
        wasm: None,
    };
    // The WebAssembly twin scores a copy of the same batches.
    let wasm_batches = b.wasm.then(|| batches.clone());
    let t = Instant::now();
    let m = compute(&spec, batches);
    let secs = t.elapsed().as_secs_f64();
    let rss_after = peak_rss_mib().unwrap_or(0.0);
    let wasm = match wasm_batches {
        Some(batches) => Some(wasm_twin(&spec, params, batches, &m.header.root)?),
        None => None,
    };
    if m.header.total != ALLOWANCE {
        bail!(
            "the manifest pays {} instead of the whole allowance",
            m.header.total
        );
    }
    let cosigned = match spooled {
        Some(s) => {
            eprintln!("co-signing the proposer's manifest…");
            Some(cosign::measure(&spec, &m.header, s)?)
        }
        None => None,
    };
    let mut result = serde_json::json!({
        "family": family,
        "devices": n,
        "seconds": secs,
        "paid_devices": m.header.devices,
        "root": m.header.root,
        "peak_rss_mib": rss_after,
        "peak_rss_mib_before_scoring": rss_before,
        "generation_seconds": generation_secs,
    });
    if let Some(w) = &wasm {
        result["wasm"] = serde_json::json!({
            "seconds": w.seconds,
            "times_native": w.seconds / secs,
            "root": m.header.root,
            "peak_rss_mib": w.peak_rss_mib,
        });
    }
    if let Some(c) = &cosigned {
        result["cosign"] = c.json(secs);
        result["peak_rss_mib_with_cosign"] = peak_rss_mib().unwrap_or(0.0).into();
    }
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!("plinth bench epoch: {n} {family} devices, one report each");
    println!("  inputs generated (not measured)   {generation_secs:>8.2} s");
    println!("  score + split + manifest + root   {secs:>8.2} s");
    println!(
        "  devices paid                      {:>8}",
        m.header.devices
    );
    println!("  root                              {}", m.header.root);
    println!("  peak memory                       {rss_after:>8.1} MiB (inputs alone: {rss_before:.1} MiB)");
    if let Some(w) = &wasm {
        println!(
            "  the same as WebAssembly           {:>8.2} s ({:.2}× native; same root; peak {:.1} MiB)",
            w.seconds,
            w.seconds / secs,
            w.peak_rss_mib
        );
    }
    if let Some(c) = &cosigned {
        c.print(secs);
    }
    Ok(())
}

/// What scoring the epoch with the WebAssembly twin took.
struct WasmTwin {
    seconds: f64,
    peak_rss_mib: f64,
}

/// Scores `batches` with `crates/families/sensor.wasm` and the native sensor's
/// `params`, as the oracle scores a `wasm` network (load, ABI input, run, checked
/// output, split, manifest); fails unless the root is `native_root`.
fn wasm_twin(
    native: &EpochSpec<'_>,
    params: &str,
    batches: Vec<(Hash, SpoolBatch)>,
    native_root: &Hash,
) -> Result<WasmTwin> {
    let sensor = plinth_families::sensor::SENSOR;
    let mut p: serde_json::Map<String, serde_json::Value> = serde_json::from_str(params)?;
    p.insert("module".into(), sensor.hash().to_hex().into());
    // A million devices burn some 12.0 G fuel: the default 50 G is enough, but
    // the benchmark gives room to measure larger epochs.
    p.insert("fuel".into(), 2_000_000_000_000u64.into());
    let family = Family::from_network("wasm", &serde_json::Value::Object(p).to_string())?;
    let module = plinth_proofs::wasm::load(sensor.bytes)?;
    let spec = EpochSpec {
        family: &family,
        wasm: Some(&module),
        ..*native
    };
    eprintln!("scoring the same epoch with sensor.wasm…");
    let t = Instant::now();
    let (m, _state) = plinth_oracle::epoch::try_compute(&spec, batches)?;
    let seconds = t.elapsed().as_secs_f64();
    if m.header.root != *native_root {
        bail!(
            "the WebAssembly sensor's root {} is not the native one's {native_root}",
            m.header.root
        );
    }
    Ok(WasmTwin {
        seconds,
        peak_rss_mib: peak_rss_mib().unwrap_or(0.0),
    })
}

/// `n` devices spread over a ~100 km square at H3 resolution 12, one report each
/// in the epoch. `signed`: real device keys and signatures (what a co-signer
/// re-verifies); otherwise fake ids and zero signatures (scoring does not check
/// signatures: ingest did).
fn generate(n: usize, family: &str, signed: bool) -> Result<(Vec<DeviceInfo>, Vec<SignedReport>)> {
    let owner = Address(crate::key(0xbe, 1).public());
    let side = (n as f64).sqrt().ceil() as usize;
    // Straight into the two vectors: no list of pairs to unzip (which held
    // every device and report twice).
    let mut devices = Vec::with_capacity(n);
    let mut reports = Vec::with_capacity(n);
    (0..n)
        .into_par_iter()
        .map(|i| {
            let key = signed.then(|| crate::key(0xde, i));
            let id = match &key {
                Some(k) => DeviceId(k.public()),
                None => {
                    let mut k = [0u8; 32];
                    k[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    DeviceId(PublicKey(k))
                }
            };
            let (x, y) = ((i % side) as f64, (i / side) as f64);
            let lat = 52.0 + y / side as f64;
            let lon = 13.0 + x / side as f64;
            let cell = h3o::LatLng::new(lat, lon)
                .expect("coordinates in Berlin")
                .to_cell(h3o::Resolution::Twelve);
            let device = DeviceInfo {
                id,
                owner,
                location: u64::from(cell),
                active: true,
            };
            let body = if family == "sensor" {
                ReportBody::Reading {
                    value_milli: 15_000 + (y as i64 * 7) % 3_000,
                    unit: "celsius".into(),
                }
            } else {
                ReportBody::Heartbeat
            };
            let report = Report {
                // No chain: the benchmark's chain identity is zero.
                chain: Hash::ZERO,
                device: id,
                network: NETWORK.into(),
                epoch: 0,
                timestamp_ms: START_MS + 1_000 + (i as u64 % 50_000),
                seq: 1,
                body,
            };
            let report = match &key {
                Some(k) => report.sign(k),
                None => SignedReport {
                    report,
                    signature: Signature([0; 64]),
                },
            };
            (device, report)
        })
        .unzip_into_vecs(&mut devices, &mut reports);
    Ok((devices, reports))
}

/// The registry snapshot of the benchmark's network at height 0.
fn snapshot(devices: Vec<DeviceInfo>) -> RegistrySnapshot {
    RegistrySnapshot {
        network: NETWORK.into(),
        height: 0,
        devices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosigner_recomputes_the_proposers_manifest() {
        for family in ["sensor", "uptime"] {
            let b = EpochBench {
                devices: 300,
                family: family.into(),
                cosign: true,
                batch_reports: 64,
                wasm: false,
                json: family == "uptime",
            };
            run(b).expect("a co-signer recomputes the same header");
        }
    }

    #[test]
    fn the_webassembly_sensor_gives_the_native_root() {
        let b = EpochBench {
            devices: 2_000,
            family: "sensor".into(),
            cosign: false,
            batch_reports: 64,
            wasm: true,
            json: true,
        };
        run(b).expect("the same root from sensor.wasm");
        // The twin is the sensor family's only.
        let uptime = EpochBench {
            family: "uptime".into(),
            ..EpochBench {
                devices: 10,
                family: String::new(),
                cosign: false,
                batch_reports: 1,
                wasm: true,
                json: true,
            }
        };
        assert!(run(uptime).is_err(), "--wasm is for the sensor family only");
    }
}
