//! What admission remembers between reports, under one lock: the registry, what
//! each device sent, and the challenges and beacon rounds answers must match.

use super::refusal::Refusal;
use crate::spool::{ProbeIssue, RegistrySnapshot, RoundIssue};
use plinth_core::{DeviceId, Hash};
use plinth_proofs::{BeaconRound, DeviceInfo, ReportBody, SignedReport};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A registered device as the oracle knows it.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The network it is registered to.
    pub network: String,
    /// Its id, owner, location and status.
    pub info: DeviceInfo,
}

/// What admission remembers between reports: the registry, what each device
/// sent, and the challenges and beacon rounds that answers and beacons must
/// match (issued by [`crate::rounds`], under the same lock, so that admission
/// sees a challenge or a round at once and never half of one).
#[derive(Default)]
pub struct IngestState {
    /// Registered devices, by id (re-read from the node).
    pub registry: HashMap<DeviceId, Registered>,
    /// Last accepted sequence number per device.
    pub last_seq: HashMap<DeviceId, u64>,
    /// Hashes of accepted reports, per epoch (for duplicate answers).
    pub seen: HashMap<u64, HashSet<Hash>>,
    /// Challenges issued and not yet answered, by challenge.
    pub outstanding: HashMap<Hash, ProbeIssue>,
    /// Reports refused, by (network, epoch) and reason (in memory: for the
    /// epoch's published manifest, not part of the audited computation).
    pub refused: HashMap<(String, u64), BTreeMap<String, u64>>,
    /// Beacon rounds drawn, per coverage network, by round number.
    pub rounds: HashMap<String, BTreeMap<u64, BeaconRound>>,
    /// Reports accepted per (epoch, device), for the per-device limit.
    pub accepted: HashMap<(u64, DeviceId), u64>,
    /// The height of the block whose registry [`IngestState::registry`] is, when
    /// it was checked against the ledger's registry digests (0: not checked).
    pub registry_height: u64,
    /// The networks of the ledger's registry at `registry_height` (every
    /// network the chain has there, those added by proposal included): the
    /// networks an epoch's registry snapshot covers.
    pub registry_networks: Vec<String>,
}

impl IngestState {
    /// Remembers an accepted report (also used when replaying the spool on start).
    pub fn remember(&mut self, r: &SignedReport) {
        self.remember_hashed(r, r.hash());
    }

    /// [`IngestState::remember`] of a report whose hash is known.
    pub fn remember_hashed(&mut self, r: &SignedReport, hash: Hash) {
        let d = r.report.device;
        let last = self.last_seq.entry(d).or_insert(0);
        *last = (*last).max(r.report.seq);
        *self.accepted.entry((r.report.epoch, d)).or_insert(0) += 1;
        self.seen.entry(r.report.epoch).or_default().insert(hash);
        if let ReportBody::ProbeAnswer { challenge } = &r.report.body {
            self.outstanding.remove(challenge);
        }
    }

    /// Takes back what [`IngestState::remember`] counted of reports whose group
    /// could not be stored (latest first).
    pub fn forget(&mut self, undo: Vec<Remembered>) {
        for u in undo.into_iter().rev() {
            match u.prev_seq {
                Some(p) => self.last_seq.insert(u.device, p),
                None => self.last_seq.remove(&u.device),
            };
            if let Some(s) = self.seen.get_mut(&u.epoch) {
                s.remove(&u.hash);
            }
            if let Some(n) = self.accepted.get_mut(&(u.epoch, u.device)) {
                *n = n.saturating_sub(1);
            }
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

    /// Reports refused for `network` in `epoch`, by reason.
    pub fn refused_in(&self, network: &str, epoch: u64) -> Option<&BTreeMap<String, u64>> {
        self.refused.get(&(network.to_string(), epoch))
    }

    /// Makes `issues` the challenges devices may answer, beside those issued
    /// before whose deadline has not passed at `now`.
    pub fn expect_answers(&mut self, issues: &[ProbeIssue], now: u64) {
        // Expired challenges can no longer be answered.
        self.outstanding.retain(|_, p| p.deadline_ms >= now);
        for p in issues {
            self.outstanding.insert(p.challenge, p.clone());
        }
    }

    /// Challenges `device` may still answer at `now`, oldest first.
    pub fn challenges_for(&self, device: &DeviceId, now: u64) -> Vec<ProbeIssue> {
        let mut out: Vec<ProbeIssue> = self
            .outstanding
            .values()
            .filter(|p| p.device == *device && p.deadline_ms >= now)
            .cloned()
            .collect();
        out.sort_by_key(|p| p.issued_ms);
        out
    }

    /// Whether round `round` of `network` was drawn.
    pub fn has_round(&self, network: &str, round: u64) -> bool {
        self.rounds
            .get(network)
            .is_some_and(|m| m.contains_key(&round))
    }

    /// Remembers a drawn beacon round (the first drawn, if one is there).
    pub fn add_round(&mut self, r: &RoundIssue) {
        self.rounds
            .entry(r.network.clone())
            .or_default()
            .entry(r.round.round)
            .or_insert(r.round);
    }

    /// `network`'s beacon rounds still kept, ascending.
    pub fn rounds_of(&self, network: &str) -> Vec<BeaconRound> {
        self.rounds
            .get(network)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    /// Replaces the registry; returns the active devices that were not in it.
    pub fn set_registry(&mut self, registry: HashMap<DeviceId, Registered>) -> HashSet<DeviceId> {
        let new = registry
            .values()
            .filter(|r| r.info.active && !self.registry.contains_key(&r.info.id))
            .map(|r| r.info.id)
            .collect();
        self.registry = registry;
        new
    }

    /// The registry of each of `networks` (devices by id), by network name: what
    /// an epoch is closed against.
    pub fn registry_snapshots<'a>(
        &self,
        height: u64,
        networks: impl IntoIterator<Item = &'a str>,
    ) -> Vec<RegistrySnapshot> {
        let mut snaps: Vec<RegistrySnapshot> = networks
            .into_iter()
            .map(|network| {
                let mut devices: Vec<DeviceInfo> = self
                    .registry
                    .values()
                    .filter(|r| r.network == network)
                    .map(|r| r.info.clone())
                    .collect();
                devices.sort_by_key(|d| d.id);
                RegistrySnapshot {
                    network: network.to_string(),
                    height,
                    devices,
                }
            })
            .collect();
        snaps.sort_by(|a, b| a.network.cmp(&b.network));
        snaps
    }
}

/// What [`IngestState::remember`] changed for one report, to take it back with
/// [`IngestState::forget`].
#[derive(Debug, Clone)]
pub struct Remembered {
    /// The device.
    pub device: DeviceId,
    /// Its last accepted sequence number before the report.
    pub prev_seq: Option<u64>,
    /// The report's epoch.
    pub epoch: u64,
    /// The report's hash.
    pub hash: Hash,
}
