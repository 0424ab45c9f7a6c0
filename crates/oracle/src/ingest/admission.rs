//! Report admission: every check a report must pass before it enters the spool,
//! each failure with a reason the sender gets back and that metrics count. Pure:
//! no I/O, the time comes in as an argument; what the checks read is
//! [`IngestState`].

use super::refusal::Refusal;
use super::state::IngestState;
use crate::chain::NetworkInfo;
use plinth_core::Hash;
use plinth_proofs::{Report, ReportBody, SignedReport};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Epoch arithmetic of the chain (one home: [`plinth_core::epoch`]).
pub use plinth_core::EpochClock as Clock;

/// Admission settings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The chain's identity ([`plinth_core::chain_identity`]): reports for any
    /// other chain are refused.
    pub chain: Hash,
    /// The networks this oracle serves (every network in force in the epochs
    /// it has served; networks are added by proposal, never removed).
    pub networks: HashSet<String>,
    /// The chain's epochs.
    pub clock: Clock,
    /// How far a report's timestamp may be from the oracle's clock.
    pub max_skew_ms: u64,
    /// Reports for an epoch are refused from this long after its end (the closer
    /// scores it a little later, so nothing accepted can miss its manifest).
    pub accept_after_end_ms: u64,
    /// Most reports accepted per device and epoch, per network (as in force in
    /// the epoch the networks were last set for).
    pub max_reports: HashMap<String, u64>,
}

impl Rules {
    /// The rules of an oracle serving `networks` of the chain `chain`: reports
    /// may be `max_skew_ms` from its clock, and are taken until a second before
    /// the closer starts, `close_grace` after an epoch's end.
    pub fn new(
        chain: Hash,
        clock: Clock,
        networks: &[NetworkInfo],
        max_skew_ms: u64,
        close_grace: Duration,
    ) -> anyhow::Result<Rules> {
        let mut rules = Rules {
            chain,
            max_reports: HashMap::new(),
            networks: HashSet::new(),
            clock,
            max_skew_ms,
            // Stop a second before the closer starts (or at the end, for a very
            // short grace), so no accepted report can miss its epoch's manifest.
            accept_after_end_ms: (close_grace.as_millis() as u64).saturating_sub(1_000),
        };
        rules.set_networks(networks)?;
        Ok(rules)
    }

    /// Serves `networks` (the current epoch's) too, with their report caps;
    /// networks served before stay served (reports of the epoch before may
    /// still come in). Nothing changes if a cap is invalid.
    pub fn set_networks(&mut self, networks: &[NetworkInfo]) -> anyhow::Result<()> {
        let caps = networks
            .iter()
            .map(|n| {
                Ok((
                    n.name.clone(),
                    n.max_reports_per_epoch(self.clock.epoch_ms)?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (name, cap) in caps {
            self.networks.insert(name.clone());
            self.max_reports.insert(name, cap);
        }
        Ok(())
    }
}

/// Checks signatures of many reports on all cores; one verdict each.
pub fn verify_signatures(reports: &[SignedReport]) -> Vec<bool> {
    reports
        .par_chunks(plinth_core::batch_size(
            reports.len(),
            rayon::current_num_threads(),
        ))
        .flat_map_iter(|chunk| {
            let msgs: Vec<Vec<u8>> = chunk.iter().map(|r| r.report.signing_bytes()).collect();
            let items: Vec<_> = chunk
                .iter()
                .zip(&msgs)
                .map(|(r, m)| (m.as_slice(), *r.report.device.key(), r.signature))
                .collect();
            plinth_core::verify_each(&items)
        })
        .collect()
}

/// Checks one report whose signature is known to be valid (and whose hash is
/// `hash`, [`SignedReport::hash`]) against the oracle's state at `now_ms`. On
/// success the report is remembered. The checks run in a
/// fixed order: the first that fails is the answer.
pub fn admit(
    state: &mut IngestState,
    rules: &Rules,
    r: &SignedReport,
    hash: Hash,
    now_ms: u64,
) -> Result<(), Refusal> {
    let rep = &r.report;
    check_sender(state, rules, rep)?;
    check_time(rules, rep, now_ms)?;
    check_new(state, rep, &hash)?;
    check_body(state, rep, now_ms)?;
    check_rate(state, rules, rep)?;
    state.remember_hashed(r, hash);
    Ok(())
}

/// The chain, the network, and the device: registered there and active.
fn check_sender(state: &IngestState, rules: &Rules, rep: &Report) -> Result<(), Refusal> {
    if rep.chain != rules.chain {
        return Err(Refusal::WrongChain {
            expected: rules.chain.to_string(),
            found: rep.chain.to_string(),
        });
    }
    if !rules.networks.contains(&rep.network) {
        return Err(Refusal::UnknownNetwork {
            network: rep.network.clone(),
        });
    }
    let reg = state
        .registry
        .get(&rep.device)
        .ok_or_else(|| Refusal::UnknownDevice {
            device: rep.device.to_string(),
        })?;
    if reg.network != rep.network {
        return Err(Refusal::WrongNetwork {
            device: rep.device.to_string(),
            registered: reg.network.clone(),
            found: rep.network.clone(),
        });
    }
    if !reg.info.active {
        return Err(Refusal::InactiveDevice {
            device: rep.device.to_string(),
        });
    }
    Ok(())
}

/// The timestamp near the oracle's clock, in the epoch the report names, and
/// that epoch still open.
fn check_time(rules: &Rules, rep: &Report, now_ms: u64) -> Result<(), Refusal> {
    if rep.timestamp_ms.saturating_add(rules.max_skew_ms) < now_ms {
        return Err(Refusal::Stale {
            age_ms: now_ms - rep.timestamp_ms,
            max_ms: rules.max_skew_ms,
        });
    }
    if rep.timestamp_ms > now_ms.saturating_add(rules.max_skew_ms) {
        return Err(Refusal::FromFuture {
            ahead_ms: rep.timestamp_ms - now_ms,
            max_ms: rules.max_skew_ms,
        });
    }
    let expected = rules.clock.epoch_of(rep.timestamp_ms);
    if rep.epoch != expected {
        return Err(Refusal::WrongEpoch {
            expected,
            found: rep.epoch,
        });
    }
    let closes_ms =
        (rules.clock.window(rep.epoch).end_ms).saturating_add(rules.accept_after_end_ms);
    if now_ms >= closes_ms {
        return Err(Refusal::EpochClosed { epoch: rep.epoch });
    }
    Ok(())
}

/// Neither a duplicate nor a replayed sequence number.
fn check_new(state: &IngestState, rep: &Report, hash: &Hash) -> Result<(), Refusal> {
    if state.seen.get(&rep.epoch).is_some_and(|s| s.contains(hash)) {
        return Err(Refusal::Duplicate);
    }
    if let Some(&last) = state.last_seq.get(&rep.device) {
        if rep.seq <= last {
            return Err(Refusal::Replay {
                last,
                found: rep.seq,
            });
        }
    }
    Ok(())
}

/// A probe answer answers a challenge of this device in time; a beacon names a
/// round this oracle drew, with its draw.
fn check_body(state: &IngestState, rep: &Report, now_ms: u64) -> Result<(), Refusal> {
    if let ReportBody::ProbeAnswer { challenge } = &rep.body {
        match state.outstanding.get(challenge) {
            // Timed by the oracle's clock, not the device's timestamp.
            Some(issue) if issue.device == rep.device && now_ms > issue.deadline_ms => {
                return Err(Refusal::ChallengeExpired {
                    challenge: challenge.to_string(),
                    late_ms: now_ms - issue.deadline_ms,
                })
            }
            Some(issue) if issue.device == rep.device => {}
            _ => {
                return Err(Refusal::UnknownChallenge {
                    challenge: challenge.to_string(),
                })
            }
        }
    }
    if let ReportBody::Beacon { round, draw, .. } = &rep.body {
        let known = state
            .rounds
            .get(&rep.network)
            .and_then(|rs| rs.get(round))
            .is_some_and(|r| r.draw == *draw);
        if !known {
            return Err(Refusal::UnknownRound { round: *round });
        }
    }
    Ok(())
}

/// Below the network's most reports per device and epoch.
fn check_rate(state: &IngestState, rules: &Rules, rep: &Report) -> Result<(), Refusal> {
    if let Some(&limit) = rules.max_reports.get(&rep.network) {
        if state
            .accepted
            .get(&(rep.epoch, rep.device))
            .is_some_and(|n| *n >= limit)
        {
            return Err(Refusal::RateLimited {
                device: rep.device.to_string(),
                epoch: rep.epoch,
                limit,
            });
        }
    }
    Ok(())
}
