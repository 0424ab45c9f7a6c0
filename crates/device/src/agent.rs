//! The device agent: sends signed reports on a schedule and answers the oracle's
//! probes. `plinth device run` runs one; the fleet simulator runs many in one
//! process through the same [`crate::DeviceKey`] and [`crate::OracleClient`].

use crate::{now_ms, DeviceKey, OracleClient};
use anyhow::Result;
use plinth_proofs::ReportBody;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the device reports.
#[derive(Debug, Clone)]
pub enum Work {
    /// Heartbeats (uptime networks); probes are answered.
    Uptime,
    /// A reading of `value_milli` thousandths of `unit` (sensor networks).
    Sensor { unit: String, value_milli: i64 },
}

pub struct AgentConfig {
    pub interval: Duration,
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
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next_report {
            let body = match &cfg.work {
                Work::Uptime => ReportBody::Heartbeat,
                Work::Sensor { unit, value_milli } => ReportBody::Reading {
                    value_milli: *value_milli,
                    unit: unit.clone(),
                },
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

fn log_verdicts(v: Result<Vec<crate::Verdict>>) {
    match v {
        Ok(verdicts) => {
            for v in verdicts {
                if v.status == "accepted" {
                    tracing::info!(hash = v.hash.as_deref().unwrap_or(""), "report accepted");
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
