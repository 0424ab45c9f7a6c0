//! `plinth bench epoch`: one epoch of many devices scored, split and committed to
//! a manifest root, through the path the oracle and `plinth oracle audit` run.

use crate::peak_rss_mib;
use anyhow::{bail, Result};
use plinth_core::Address;
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
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Scores an epoch of `devices` sensors (or uptime devices) with one report each,
/// through the same `epoch::compute` the oracle and `oracle audit` run: family
/// scores, the exact split, manifest entries and the merkle root.
pub fn run(b: EpochBench) -> Result<()> {
    use plinth_core::{DeviceId, PublicKey, Signature};
    use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
    use plinth_oracle::spool::SpoolBatch;
    use plinth_proofs::{DeviceInfo, Family, Report, ReportBody, SignedReport};

    let n = b.devices;
    let (family, params) = match b.family.as_str() {
        "sensor" => ("sensor", r#"{"unit":"celsius","min":-60,"max":60}"#),
        "uptime" => ("uptime", r#"{"heartbeat_interval_s":60}"#),
        other => bail!("no benchmark for family `{other}` (sensor or uptime)"),
    };
    let family_impl = Family::from_network(family, params)?;
    eprintln!("generating {n} devices and reports…");
    let start_ms = 1_700_000_000_000u64;
    let owner = Address(crate::key(0xbe, 1).public());
    // Spread devices over a ~100 km square at H3 resolution 12; fake device ids
    // (scoring does not check signatures: ingest did).
    let side = (n as f64).sqrt().ceil() as usize;
    let mut devices = Vec::with_capacity(n);
    let mut reports = Vec::with_capacity(n);
    for i in 0..n {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let id = DeviceId(PublicKey(k));
        let (x, y) = ((i % side) as f64, (i / side) as f64);
        let lat = 52.0 + y / side as f64;
        let lon = 13.0 + x / side as f64;
        let cell = h3o::LatLng::new(lat, lon)?.to_cell(h3o::Resolution::Twelve);
        devices.push(DeviceInfo {
            id,
            owner,
            location: u64::from(cell),
            active: true,
        });
        let body = if family == "sensor" {
            ReportBody::Reading {
                value_milli: 15_000 + (y as i64 * 7) % 3_000,
                unit: "celsius".into(),
            }
        } else {
            ReportBody::Heartbeat
        };
        reports.push(SignedReport {
            report: Report {
                // Scoring alone: no chain checks it.
                chain: plinth_core::Hash::ZERO,
                device: id,
                network: "bench".into(),
                epoch: 0,
                timestamp_ms: start_ms + 1_000 + (i as u64 % 50_000),
                seq: 1,
                body,
            },
            signature: Signature([0; 64]),
        });
    }
    let batches = vec![
        (
            plinth_core::Hash::of(b"reports"),
            SpoolBatch::Reports(reports),
        ),
        (
            plinth_core::Hash::of(b"registry"),
            SpoolBatch::Registry(vec![RegistrySnapshot {
                network: "bench".into(),
                height: 0,
                devices,
            }]),
        ),
    ];
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let spec = EpochSpec {
        chain: plinth_core::Hash::ZERO,
        network: "bench",
        family: &family_impl,
        window: plinth_proofs::EpochWindow {
            epoch: 0,
            start_ms,
            end_ms: start_ms + 3_600_000,
        },
        allowance: 1_000_000_000_000,
        usage_bps: 0,
    };
    let t = Instant::now();
    let m = compute(&spec, batches);
    let secs = t.elapsed().as_secs_f64();
    let rss_after = peak_rss_mib().unwrap_or(0.0);
    if m.header.total != 1_000_000_000_000 {
        bail!(
            "the manifest pays {} instead of the whole allowance",
            m.header.total
        );
    }
    let result = serde_json::json!({
        "family": family,
        "devices": n,
        "seconds": secs,
        "paid_devices": m.header.devices,
        "root": m.header.root,
        "peak_rss_mib": rss_after,
        "peak_rss_mib_before_scoring": rss_before,
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench epoch: {n} {family} devices, one report each");
        println!("  score + split + manifest + root   {secs:>8.2} s");
        println!(
            "  devices paid                      {:>8}",
            m.header.devices
        );
        println!("  root                              {}", m.header.root);
        println!("  peak memory                       {rss_after:>8.1} MiB (inputs alone: {rss_before:.1} MiB)");
    }
    Ok(())
}
