//! Probe rounds and beacon rounds: what the oracle draws from blocks for devices
//! to answer.
//!
//! ```text
//!  probe round  ─▶ a challenge per active uptime device, from the head block's hash
//!  beacon round ─▶ per coverage network, the round `now` falls in, from the head block
//!               ─▶ spool (Probes / Rounds batch, fsync) ─▶ admission's state
//!               ─▶ devices read them (GET /v1/challenges, /v1/rounds) and answer
//! ```
//!
//! A round is written to the spool before admission knows it, and admission's
//! lock is held meanwhile: devices can see nothing the spool does not hold.

use crate::spool::{ProbeIssue, RoundIssue, SpoolBatch};
use crate::Oracle;
use anyhow::Result;
use plinth_core::{DeviceId, Hash};
use std::collections::HashSet;

impl Oracle {
    /// Issues one round of probes to every active device of every uptime network:
    /// each challenge is derived from the head block's hash, so it cannot be known
    /// in advance. The round is written to the spool before devices can see it.
    /// With `only`, probes just those devices (newly registered ones, so that no
    /// device goes unprobed for long).
    pub fn probe_round(
        &self,
        head_hash: Hash,
        now: u64,
        only: Option<&HashSet<DeviceId>>,
    ) -> Result<Vec<ProbeIssue>> {
        let networks = self.networks_at(self.clock.epoch_of(now))?;
        let uptime = networks.of_kind(plinth_core::FamilyKind::Uptime);
        // In a set, one oracle draws each epoch's rounds (crate::peers).
        if uptime.is_empty() || !self.draws(self.clock.epoch_of(now)) {
            return Ok(Vec::new());
        }
        let deadline = now + self.config.probe_deadline.as_millis() as u64;
        let mut state = self.ingest.state();
        let mut issues: Vec<ProbeIssue> = state
            .registry
            .values()
            .filter(|r| r.info.active && uptime.contains(&r.network.as_str()))
            .filter(|r| only.is_none_or(|o| o.contains(&r.info.id)))
            .map(|r| {
                let mut seed = head_hash.0.to_vec();
                seed.extend_from_slice(r.info.id.key().as_bytes());
                seed.extend_from_slice(&now.to_le_bytes());
                ProbeIssue {
                    device: r.info.id,
                    challenge: Hash::tagged("plinth/probe", &seed),
                    issued_ms: now,
                    deadline_ms: deadline,
                }
            })
            .collect();
        issues.sort_by_key(|p| p.device);
        if issues.is_empty() {
            return Ok(issues);
        }
        let epoch = self.clock.epoch_of(now);
        self.spool
            .write_all(epoch, SpoolBatch::Probes(issues.clone()))?;
        state.expect_answers(&issues, now);
        Ok(issues)
    }

    /// Draws the beacon round that `now` falls in for every coverage network (as
    /// in force in the epoch, with that epoch's parameters) that has none yet,
    /// from the head block (`height`, `head_hash`): its hash was not known before
    /// that block. The rounds are written to the spool before devices can see
    /// them. Returns the rounds drawn.
    pub fn beacon_round(&self, height: u64, head_hash: Hash, now: u64) -> Result<Vec<RoundIssue>> {
        let epoch = self.clock.epoch_of(now);
        let networks = self.networks_at(epoch)?;
        let coverage = networks.coverage();
        if coverage.is_empty() || !self.draws(epoch) {
            return Ok(Vec::new());
        }
        let window = self.clock.window(epoch);
        let mut state = self.ingest.state();
        let mut issues = Vec::new();
        for (network, params) in coverage {
            let Some((round, start_ms, end_ms)) = params
                .rounds_of(&window)
                .into_iter()
                .find(|(_, s, e)| *s <= now && now < *e)
            else {
                continue;
            };
            if state.has_round(network, round) {
                continue;
            }
            issues.push(RoundIssue {
                network: network.to_string(),
                round: plinth_proofs::BeaconRound {
                    round,
                    start_ms,
                    end_ms,
                    height,
                    draw: head_hash,
                },
            });
        }
        if issues.is_empty() {
            return Ok(issues);
        }
        self.spool
            .write_all(epoch, SpoolBatch::Rounds(issues.clone()))?;
        // Rounds of epochs that can no longer take reports are of no use.
        state.forget_rounds_before(self.clock.window(epoch.saturating_sub(1)).start_ms);
        for i in &issues {
            state.add_round(i);
        }
        Ok(issues)
    }

    /// The beacon rounds drawn for a coverage network that are still kept (this
    /// epoch's and the previous one's), ascending; `None` if it is not one (in
    /// the latest epoch read: this answers without asking the node).
    pub fn rounds_of(&self, network: &str) -> Option<Vec<plinth_proofs::BeaconRound>> {
        let latest = self.networks.latest()?;
        if !latest.coverage().iter().any(|(n, _)| *n == network) {
            return None;
        }
        Some(self.ingest.state().rounds_of(network))
    }

    /// Whether the current epoch has a coverage network (whose beacon rounds
    /// are drawn).
    pub fn has_coverage(&self) -> Result<bool> {
        Ok(!self.current_networks()?.coverage().is_empty())
    }

    /// Challenges a device may still answer.
    pub fn challenges_for(&self, device: &DeviceId, now: u64) -> Vec<ProbeIssue> {
        self.ingest.state().challenges_for(device, now)
    }
}
