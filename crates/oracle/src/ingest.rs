//! Report admission: every check a report must pass before it enters the spool,
//! each failure with a reason the sender gets back and that metrics count.

use crate::spool::ProbeIssue;
use plinth_core::{DeviceId, Hash};
use plinth_proofs::{DeviceInfo, ReportBody, SignedReport};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    #[error("the report is signed for chain {found}, this oracle serves chain {expected}")]
    WrongChain { expected: String, found: String },
    #[error("report of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed report: {reason}")]
    Malformed { reason: String },
    #[error("this oracle serves no network `{network}`")]
    UnknownNetwork { network: String },
    #[error("device {device} is not registered")]
    UnknownDevice { device: String },
    #[error("device {device} is registered to network `{registered}`, not `{found}`")]
    WrongNetwork {
        device: String,
        registered: String,
        found: String,
    },
    #[error("device {device} is retired")]
    InactiveDevice { device: String },
    #[error("bad signature: not signed by the device's key")]
    BadSignature,
    #[error("stale report: {age_ms} ms old, the limit is {max_ms} ms")]
    Stale { age_ms: u64, max_ms: u64 },
    #[error("report from the future: {ahead_ms} ms ahead, the limit is {max_ms} ms")]
    FromFuture { ahead_ms: u64, max_ms: u64 },
    #[error("report names epoch {found}, but its timestamp is in epoch {expected}")]
    WrongEpoch { expected: u64, found: u64 },
    #[error("epoch {epoch} is closed: its rewards are being or have been computed")]
    EpochClosed { epoch: u64 },
    #[error("duplicate: this report was already accepted")]
    Duplicate,
    #[error("replayed sequence number {found}: the device's last accepted is {last}")]
    Replay { last: u64, found: u64 },
    #[error("no outstanding challenge {challenge} for this device")]
    UnknownChallenge { challenge: String },
    #[error("the oracle could not store the report: {reason}")]
    Unavailable { reason: String },
    #[error("beacon for round {round}, which this oracle did not draw with that block hash")]
    UnknownRound { round: u64 },
    #[error("device {device} already has {limit} reports accepted in epoch {epoch}, the most its network takes from one device")]
    RateLimited {
        device: String,
        epoch: u64,
        limit: u64,
    },
    #[error("challenge {challenge} expired: its deadline passed {late_ms} ms before the oracle received the answer")]
    ChallengeExpired { challenge: String, late_ms: u64 },
}

impl Refusal {
    /// The machine-readable code (`stale`, `bad_signature`, …).
    pub fn code(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "refused".into())
    }
}

/// A registered device as the oracle knows it.
#[derive(Debug, Clone)]
pub struct Registered {
    pub network: String,
    pub info: DeviceInfo,
}

/// Epoch arithmetic of the chain (one home: [`plinth_core::epoch`]).
pub use plinth_core::EpochClock as Clock;

/// What admission remembers between reports.
#[derive(Default)]
pub struct IngestState {
    pub registry: HashMap<DeviceId, Registered>,
    /// Last accepted sequence number per device.
    pub last_seq: HashMap<DeviceId, u64>,
    /// Hashes of accepted reports, per epoch (for duplicate answers).
    pub seen: HashMap<u64, HashSet<Hash>>,
    /// Challenges issued and not yet answered, by challenge.
    pub outstanding: HashMap<Hash, ProbeIssue>,
    /// Reports refused, by (network, epoch) and reason (in memory: for the
    /// epoch's published manifest, not part of the audited computation).
    pub refused: HashMap<(String, u64), std::collections::BTreeMap<String, u64>>,
    /// Beacon rounds drawn, per coverage network, by round number.
    pub rounds: HashMap<String, std::collections::BTreeMap<u64, plinth_proofs::BeaconRound>>,
    /// Reports accepted per (epoch, device), for the per-device limit.
    pub accepted: HashMap<(u64, DeviceId), u64>,
}

impl IngestState {
    /// Remembers an accepted report (also used when replaying the spool on start).
    pub fn remember(&mut self, r: &SignedReport) {
        let d = r.report.device;
        let last = self.last_seq.entry(d).or_insert(0);
        *last = (*last).max(r.report.seq);
        *self.accepted.entry((r.report.epoch, d)).or_insert(0) += 1;
        self.seen
            .entry(r.report.epoch)
            .or_default()
            .insert(r.hash());
        if let ReportBody::ProbeAnswer { challenge } = &r.report.body {
            self.outstanding.remove(challenge);
        }
    }

    /// Forgets duplicate-detection data of epochs before `epoch` (sequence numbers
    /// are kept: they still stop replays).
    pub fn forget_before(&mut self, epoch: u64) {
        self.seen.retain(|e, _| *e >= epoch);
        self.refused.retain(|(_, e), _| *e >= epoch);
        self.accepted.retain(|(e, _), _| *e >= epoch);
    }

    /// Forgets beacon rounds that ended before `end_ms`.
    pub fn forget_rounds_before(&mut self, end_ms: u64) {
        for rounds in self.rounds.values_mut() {
            rounds.retain(|_, r| r.end_ms >= end_ms);
        }
    }

    /// Counts a refusal of a report for `network` (one the oracle serves: the
    /// caller checks) and `epoch`, for epochs near `current` only, so that forged
    /// fields cannot grow the map.
    pub fn refused(&mut self, network: &str, epoch: u64, current: u64, why: &Refusal) {
        if epoch > current + 1 || epoch.saturating_add(2) < current {
            return;
        }
        *self
            .refused
            .entry((network.to_string(), epoch))
            .or_default()
            .entry(why.code())
            .or_insert(0) += 1;
    }
}

/// Admission settings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The chain's identity ([`plinth_core::chain_identity`]): reports for any
    /// other chain are refused.
    pub chain: Hash,
    pub networks: HashSet<String>,
    pub clock: Clock,
    /// How far a report's timestamp may be from the oracle's clock.
    pub max_skew_ms: u64,
    /// Reports for an epoch are refused from this long after its end (the closer
    /// scores it a little later, so nothing accepted can miss its manifest).
    pub accept_after_end_ms: u64,
    /// Most reports accepted per device and epoch, per network.
    pub max_reports: HashMap<String, u64>,
}

/// Checks signatures of many reports on all cores; one verdict each.
pub fn verify_signatures(reports: &[SignedReport]) -> Vec<bool> {
    reports
        .par_chunks(256)
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

/// Checks one report whose signature is known to be valid against the oracle's
/// state at `now_ms`. On success the report is remembered.
pub fn admit(
    state: &mut IngestState,
    rules: &Rules,
    r: &SignedReport,
    now_ms: u64,
) -> Result<(), Refusal> {
    let rep = &r.report;
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
    if state
        .seen
        .get(&rep.epoch)
        .is_some_and(|s| s.contains(&r.hash()))
    {
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
    state.remember(r);
    Ok(())
}
