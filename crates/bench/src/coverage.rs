//! `plinth bench coverage`: verifying witnesses and scoring a coverage epoch.
//!
//! Builds one epoch of a coverage network: `hotspots` on a grid 1.2 km apart,
//! 4 beacon rounds in which a quarter of them are drawn (so about one beacon per
//! hotspot), and `witnesses` witnesses per beacon from hotspots 2 to 3 grid steps
//! away (2.4–5.1 km: valid by every rule). Then it measures the coverage family's
//! `score` (every beacon and witness rule, HIP-17 density scaling over Helium's
//! table, the tally) and the whole `epoch::compute` the oracle and auditors run
//! (score, exact split, manifest, merkle root). Signatures are not part of it: the
//! oracle checks them at ingest.

use anyhow::{bail, Result};
use plinth_core::{Address, DeviceId, Hash, PublicKey, Signature};
use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
use plinth_oracle::spool::{RoundIssue, SpoolBatch};
use plinth_proofs::coverage::{self, CoverageParams};
use plinth_proofs::{
    BeaconRound, DeviceInfo, EpochWindow, Family, Report, ReportBody, SignedReport,
};
use std::collections::BTreeMap;
use std::time::Instant;

/// `plinth bench coverage`: witnesses verified per second, and one coverage epoch
/// scored with density scaling.
#[derive(Debug, Clone, clap::Args)]
pub struct CoverageBench {
    /// Hotspots of the epoch.
    #[arg(long, default_value_t = 100_000)]
    pub hotspots: usize,
    /// Witnesses per beacon.
    #[arg(long, default_value_t = 20)]
    pub witnesses: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn fake_key(tag: u8, i: usize) -> PublicKey {
    let mut k = [0u8; 32];
    k[0] = tag;
    k[1..9].copy_from_slice(&(i as u64).to_le_bytes());
    PublicKey(k)
}

/// Peak memory so far, MiB (0 where unknown).
fn peak_rss_mib() -> f64 {
    crate::peak_rss_mib().unwrap_or(0.0)
}

/// Runs the benchmark and prints its result.
pub fn run(b: CoverageBench) -> Result<()> {
    if b.hotspots < 100 || b.witnesses == 0 || b.witnesses > 40 {
        bail!("need at least 100 hotspots and 1 to 40 witnesses per beacon");
    }
    let params = CoverageParams {
        rounds_per_epoch: 4,
        beacon_bps: 2_500,
        ..CoverageParams::default()
    };
    let family = Family::Coverage(params.clone());
    let start_ms = 1_700_000_000_000u64;
    let window = EpochWindow {
        epoch: 0,
        start_ms,
        end_ms: start_ms + 3_600_000,
    };
    eprintln!(
        "generating {} hotspots and their beacons and witnesses…",
        b.hotspots
    );
    let side = (b.hotspots as f64).sqrt().ceil() as usize;
    let spacing_m = 1_200.0;
    let lon_m = 111_195.0 * 40f64.to_radians().cos();
    let mut devices = Vec::with_capacity(b.hotspots);
    for i in 0..b.hotspots {
        let (x, y) = ((i % side) as f64, (i / side) as f64);
        let ll = h3o::LatLng::new(
            40.0 + y * spacing_m / 111_195.0,
            -100.0 + x * spacing_m / lon_m,
        )?;
        devices.push(DeviceInfo {
            id: DeviceId(fake_key(1, i)),
            owner: Address(fake_key(2, i)),
            location: u64::from(ll.to_cell(h3o::Resolution::Twelve)),
            active: true,
        });
    }
    // Witness offsets on the grid: the 16 cells of the ring at distance 2, then
    // the ring at distance 3.
    let mut offsets: Vec<(i64, i64)> = Vec::new();
    for ring in 2..=3i64 {
        for dy in -ring..=ring {
            for dx in -ring..=ring {
                if dx.abs().max(dy.abs()) == ring {
                    offsets.push((dx, dy));
                }
            }
        }
    }
    offsets.truncate(b.witnesses);
    let rounds: Vec<BeaconRound> = params
        .rounds_of(&window)
        .into_iter()
        .map(|(round, s, e)| BeaconRound {
            round,
            start_ms: s,
            end_ms: e,
            height: round,
            draw: Hash::of(&round.to_be_bytes()),
        })
        .collect();
    let report = |device: DeviceId, t: u64, body: ReportBody| SignedReport {
        report: Report {
            chain: plinth_core::Hash::ZERO,
            device,
            network: "bench".into(),
            epoch: 0,
            timestamp_ms: t,
            seq: t,
            body,
        },
        signature: Signature([0; 64]),
    };
    let mut reports = Vec::new();
    let (mut beacons, mut witnesses) = (0u64, 0u64);
    for r in &rounds {
        for (i, d) in devices.iter().enumerate() {
            if !coverage::drawn(&params, r, &d.id) {
                continue;
            }
            let t = r.start_ms + 1_000;
            let beacon = report(
                d.id,
                t,
                ReportBody::Beacon {
                    round: r.round,
                    draw: r.draw,
                    tx_power_centi_dbm: 2_700,
                },
            );
            let id = beacon.hash();
            reports.push(beacon);
            beacons += 1;
            let frequency_hz = coverage::beacon_frequency_hz(&params, r, &d.id);
            let (x, y) = ((i % side) as i64, (i / side) as i64);
            for (k, (dx, dy)) in offsets.iter().enumerate() {
                let (wx, wy) = (x + dx, y + dy);
                if wx < 0 || wy < 0 || wx >= side as i64 {
                    continue;
                }
                let j = (wy as usize) * side + wx as usize;
                if j >= devices.len() {
                    continue;
                }
                reports.push(report(
                    devices[j].id,
                    t + 5 + k as u64,
                    ReportBody::Witness {
                        beacon: id,
                        rssi_centi_dbm: -9_000 - 37 * k as i32 - (i % 1_000) as i32,
                        snr_centi_db: 500 + k as i32,
                        frequency_hz,
                        received_ms: t + 5 + k as u64,
                    },
                ));
                witnesses += 1;
            }
        }
    }
    let registry: BTreeMap<DeviceId, DeviceInfo> =
        devices.iter().map(|d| (d.id, d.clone())).collect();
    let rss_inputs = peak_rss_mib();

    let t = Instant::now();
    let scales = coverage::transmit_scales(&params, &registry);
    let density_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = coverage::score(&params, &window, &registry, &reports, &rounds);
    let score_s = t.elapsed().as_secs_f64();
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    for r in &out.rejections {
        let code = serde_json::to_value(&r.why)?["reason"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        *rejected.entry(code).or_insert(0) += 1;
    }
    if out.rejections.len() as u64 * 100 > witnesses {
        bail!("the generated epoch is not valid enough to measure: {rejected:?}");
    }
    let scaled = scales
        .values()
        .filter(|s| **s < plinth_proofs::SCORE_ONE)
        .count();

    let batches = vec![
        (Hash::of(b"reports"), SpoolBatch::Reports(reports)),
        (
            Hash::of(b"registry"),
            SpoolBatch::Registry(vec![RegistrySnapshot {
                network: "bench".into(),
                height: 0,
                devices,
            }]),
        ),
        (
            Hash::of(b"rounds"),
            SpoolBatch::Rounds(
                rounds
                    .iter()
                    .map(|r| RoundIssue {
                        network: "bench".into(),
                        round: *r,
                    })
                    .collect(),
            ),
        ),
    ];
    let spec = EpochSpec {
        chain: plinth_core::Hash::ZERO,
        network: "bench",
        family: &family,
        window,
        allowance: 1_000_000_000_000,
        usage_bps: 0,
        wasm: None,
    };
    let t = Instant::now();
    let m = compute(&spec, batches);
    let epoch_s = t.elapsed().as_secs_f64();
    if m.header.total != spec.allowance {
        bail!(
            "the manifest pays {} instead of the allowance",
            m.header.total
        );
    }
    let per_s = witnesses as f64 / score_s;
    let result = serde_json::json!({
        "hotspots": b.hotspots,
        "beacons": beacons,
        "witnesses": witnesses,
        "density_seconds": density_s,
        "density_scaled_hotspots": scaled,
        "score_seconds": score_s,
        "witnesses_per_second": per_s,
        "epoch_seconds": epoch_s,
        "paid_devices": m.header.devices,
        "rejected": rejected,
        "root": m.header.root,
        "peak_rss_mib": peak_rss_mib(),
        "peak_rss_mib_inputs": rss_inputs,
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!(
            "plinth bench coverage: {} hotspots, {beacons} beacons, {witnesses} witnesses",
            b.hotspots
        );
        println!("  HIP-17 density scaling           {density_s:>8.2} s ({scaled} hotspots scaled below 1)");
        println!("  score (all rules + density)      {score_s:>8.2} s = {per_s:>10.0} witnesses/s");
        println!("  epoch (score+split+manifest)     {epoch_s:>8.2} s");
        println!("  devices paid                     {:>8}", m.header.devices);
        println!("  rejected                         {rejected:?}");
        println!(
            "  peak memory                      {:>8.1} MiB (inputs: {rss_inputs:.1} MiB)",
            peak_rss_mib()
        );
    }
    Ok(())
}
