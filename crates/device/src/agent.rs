//! The device agent: sends signed reports on a schedule and answers the oracle's
//! probes, or (coverage) beacons in the rounds the oracle draws it for.
//! `plinth device run` runs one; the fleet simulator runs many in one process
//! through the same [`crate::DeviceKey`] and [`crate::OracleClient`].

use crate::{now_ms, DeviceKey, OracleClient};
use anyhow::Result;
use plinth_proofs::coverage::{drawn, CoverageParams};
use plinth_proofs::ReportBody;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the device reports.
#[derive(Debug, Clone)]
pub enum Work {
    /// Heartbeats (uptime networks); probes are answered.
    Uptime,
    /// A reading of `value_milli` thousandths of `unit` (sensor networks).
    Sensor {
        /// The unit of the reading.
        unit: String,
        /// The reading, in thousandths of `unit`.
        value_milli: i64,
    },
    /// Beacons (coverage networks): in each round the oracle draws it for, the
    /// device sends a beacon declaring `tx_power_centi_dbm`. No heartbeats; the
    /// agent has no radio of its own, so it witnesses nothing.
    Coverage {
        /// The coverage network's parameters (from genesis).
        params: CoverageParams,
        /// The transmit power each beacon declares, hundredths of a dBm.
        tx_power_centi_dbm: i32,
    },
}

/// How the agent runs.
pub struct AgentConfig {
    /// How often it reports (uptime, sensor).
    pub interval: Duration,
    /// What it reports.
    pub work: Work,
}

/// Runs until `stop` is set. Logs each verdict; a refused report is logged with
/// its reason and the agent carries on.
pub fn run(
    mut device: DeviceKey,
    oracle: &OracleClient,
    cfg: &AgentConfig,
    stop: &AtomicBool,
) -> Result<()> {
    let clock = oracle.clock()?;
    let mut next_report = Instant::now();
    let mut next_round = 0;
    while !stop.load(Ordering::SeqCst) {
        if let Work::Coverage {
            params,
            tx_power_centi_dbm,
        } = &cfg.work
        {
            match oracle.rounds(&device.network) {
                Ok(rounds) => {
                    let due = crate::fleet::due_rounds(&rounds, &mut next_round, now_ms(), 200);
                    let id = device.id();
                    for r in due.iter().filter(|r| drawn(params, r, &id)) {
                        let body = ReportBody::Beacon {
                            round: r.round,
                            draw: r.draw,
                            tx_power_centi_dbm: *tx_power_centi_dbm,
                        };
                        let at = now_ms().clamp(r.start_ms, r.end_ms.saturating_sub(1));
                        tracing::info!(round = r.round, "drawn: beaconing");
                        log_verdicts(oracle.send(&[device.report(&clock, at, body)]));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot fetch beacon rounds"),
            }
        } else if Instant::now() >= next_report {
            let body = match &cfg.work {
                Work::Sensor { unit, value_milli } => ReportBody::Reading {
                    value_milli: *value_milli,
                    unit: unit.clone(),
                },
                _ => ReportBody::Heartbeat,
            };
            let r = device.report(&clock, now_ms(), body);
            log_verdicts(oracle.send(&[r]));
            next_report += cfg.interval;
        }
        if matches!(cfg.work, Work::Uptime) {
            match oracle.challenges(&device.id()) {
                Ok(challenges) if !challenges.is_empty() => {
                    let answers: Vec<_> = challenges
                        .iter()
                        .map(|c| {
                            device.report(
                                &clock,
                                now_ms(),
                                ReportBody::ProbeAnswer {
                                    challenge: c.challenge,
                                },
                            )
                        })
                        .collect();
                    log_verdicts(oracle.send(&answers));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot fetch challenges"),
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}

fn log_verdicts(v: Result<Vec<crate::Verdict>, plinth_api::ClientError>) {
    match v {
        Ok(verdicts) => {
            for v in verdicts {
                if v.is_accepted() {
                    let hash = v.hash.map(|h| h.to_string()).unwrap_or_default();
                    tracing::info!(hash = %hash, "report accepted");
                } else {
                    tracing::warn!(
                        code = v.code.as_deref().unwrap_or(""),
                        reason = v.reason.as_deref().unwrap_or(""),
                        "report refused"
                    );
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot reach the oracle"),
    }
}
