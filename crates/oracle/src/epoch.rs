//! Closing an epoch: the spool's batches in, a signed reward manifest out.
//!
//! [`compute`] is pure: given the epoch's batches (reports, probe rounds and the
//! registry snapshot taken at close) it yields the same manifest on any machine, so
//! `plinth oracle audit` runs exactly this code over batches it downloaded.

use crate::spool::{ProbeIssue, SpoolBatch};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{DeviceId, Hash};
use plinth_ledger::rewards::{manifest_root, ManifestEntry, ManifestHeader};
use plinth_proofs::storage::StorageRound;
use plinth_proofs::{
    BeaconRound, DeviceInfo, EpochWindow, Family, ProbeRecord, ReportBody, SignedReport,
};
use std::collections::{BTreeMap, HashMap};

/// The registry as the oracle saw it when it closed an epoch, per network.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RegistrySnapshot {
    pub network: String,
    pub devices: Vec<DeviceInfo>,
}

/// A manifest as the oracle publishes it: the header the ledger holds, every entry,
/// the batches it was computed from, and what was rejected (the API's
/// [`plinth_api::oracle::Manifest`]).
pub use plinth_api::oracle::Manifest;

/// The hash of a batch list, as put in `ManifestHeader::inputs`.
pub fn inputs_hash(batches: &[Hash]) -> Hash {
    let mut bytes = Vec::with_capacity(batches.len() * 32);
    for b in batches {
        bytes.extend_from_slice(b.as_bytes());
    }
    Hash::tagged("plinth/manifest-inputs", &bytes)
}

/// What [`compute`] needs besides the batches.
pub struct EpochSpec<'a> {
    /// The chain's identity, which the manifest header names.
    pub chain: Hash,
    pub network: &'a str,
    pub family: &'a Family,
    pub window: EpochWindow,
    /// The network's emission for this epoch.
    pub allowance: u64,
    /// The part of the allowance paid by usage (credits earned), in basis points.
    pub usage_bps: u32,
}

/// Splits `allowance` between work and usage: `usage_bps` of it by credits earned
/// (when any device earned some), the rest by work scores. The two parts are split
/// exactly ([`plinth_proofs::split`]) and added up per device.
pub fn split_rewards(
    allowance: u64,
    usage_bps: u32,
    work: &BTreeMap<DeviceId, u64>,
    usage: &BTreeMap<DeviceId, u64>,
) -> BTreeMap<DeviceId, u64> {
    let usage_part = if usage.values().any(|&c| c > 0) {
        (allowance as u128 * u128::from(usage_bps.min(10_000)) / 10_000) as u64
    } else {
        0
    };
    let mut paid = plinth_proofs::split(allowance - usage_part, work);
    for (device, amount) in plinth_proofs::split(usage_part, usage) {
        *paid.entry(device).or_insert(0) += amount;
    }
    paid
}

/// Scores one network's epoch and builds its manifest (unsigned). Batches are
/// `(hash, contents)` of every batch of the epoch; the result depends only on them
/// and `spec`.
pub fn compute(spec: &EpochSpec<'_>, batches: Vec<(Hash, SpoolBatch)>) -> Manifest {
    let mut list: Vec<Hash> = batches.iter().map(|(h, _)| *h).collect();
    list.sort();
    // With a close record, only the registry and storage batches it names count
    // (others are parts of a close that stopped half-way).
    let closed: Option<std::collections::HashSet<Hash>> = batches
        .iter()
        .filter_map(|(_, b)| match b {
            SpoolBatch::Closed(hs) => Some(hs.iter().copied()),
            _ => None,
        })
        .fold(None, |acc: Option<std::collections::HashSet<Hash>>, hs| {
            let mut acc = acc.unwrap_or_default();
            acc.extend(hs);
            Some(acc)
        });
    let counts = |h: &Hash| closed.as_ref().is_none_or(|c| c.contains(h));
    // The batches are consumed: reports move into one vector (no copies, which
    // matters for an epoch of a million devices).
    let mut reports: Vec<SignedReport> = Vec::new();
    let mut issues: Vec<ProbeIssue> = Vec::new();
    let mut registry: Vec<DeviceInfo> = Vec::new();
    let mut receipts: Vec<crate::spool::AnswerReceipt> = Vec::new();
    let mut rounds: Vec<BeaconRound> = Vec::new();
    let mut storage_rounds: Vec<StorageRound> = Vec::new();
    for (h, b) in batches {
        match b {
            SpoolBatch::Reports(mut rs) => {
                rs.retain(|r| r.report.network == spec.network);
                if reports.is_empty() {
                    reports = rs;
                } else {
                    reports.append(&mut rs);
                }
            }
            SpoolBatch::Probes(mut ps) => issues.append(&mut ps),
            SpoolBatch::Rounds(rs) => rounds.extend(
                rs.into_iter()
                    .filter(|r| r.network == spec.network)
                    .map(|r| r.round),
            ),
            SpoolBatch::Storage(rs) if counts(&h) => {
                storage_rounds.extend(rs.into_iter().filter(|r| r.network == spec.network))
            }
            // A network's registry may be split over several snapshots.
            SpoolBatch::Registry(snaps) if counts(&h) => {
                for s in snaps.into_iter().filter(|s| s.network == spec.network) {
                    registry.extend(s.devices);
                }
            }
            SpoolBatch::Answered(mut rs) => receipts.append(&mut rs),
            SpoolBatch::Storage(_) | SpoolBatch::Registry(_) | SpoolBatch::Closed(_) => {}
        }
    }
    let devices: BTreeMap<DeviceId, DeviceInfo> = registry.into_iter().map(|d| (d.id, d)).collect();
    // A probe is answered when the oracle received the earliest answer report
    // for its challenge (the oracle's clock: the device's own timestamp is not
    // trusted for latency).
    let answered: std::collections::HashSet<(DeviceId, Hash)> = reports
        .iter()
        .filter_map(|r| match &r.report.body {
            ReportBody::ProbeAnswer { challenge } => Some((r.report.device, *challenge)),
            _ => None,
        })
        .collect();
    let mut answers: HashMap<(DeviceId, Hash), u64> = HashMap::new();
    for rc in receipts
        .iter()
        .filter(|rc| answered.contains(&(rc.device, rc.challenge)))
    {
        let e = answers
            .entry((rc.device, rc.challenge))
            .or_insert(rc.received_ms);
        *e = (*e).min(rc.received_ms);
    }
    let mut probes: Vec<ProbeRecord> = issues
        .iter()
        .filter(|p| devices.contains_key(&p.device))
        .map(|p| ProbeRecord {
            device: p.device,
            challenge: p.challenge,
            issued_ms: p.issued_ms,
            deadline_ms: p.deadline_ms,
            answered_ms: answers.get(&(p.device, p.challenge)).copied(),
        })
        .collect();
    probes.sort_by_key(|p| (p.device, p.challenge));
    probes.dedup_by(|a, b| a.device == b.device && a.challenge == b.challenge);
    // Families are order-independent (their outputs are canonical).
    let out = spec
        .family
        .score_with_rounds(&spec.window, &devices, &reports, &probes, &rounds);
    drop(reports);
    let mut rejected = BTreeMap::new();
    for r in &out.rejections {
        let code = serde_json::to_value(&r.why)
            .ok()
            .and_then(|v| v.get("reason").and_then(|c| c.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "rejected".into());
        *rejected.entry(code).or_insert(0u64) += 1;
    }
    let (scores, usage, deals, caps) = match spec.family {
        Family::Storage(p) => {
            // Parts of a round (same seed) in deal order, whatever the batches'.
            storage_rounds.sort_by_key(|r| (r.seed, r.deals.first().map(|d| d.id)));
            let st = plinth_proofs::storage::score(p, &devices, &storage_rounds);
            (st.work, st.usage, st.outcomes, Some(st.caps))
        }
        _ => (out.scores, BTreeMap::new(), Vec::new(), None),
    };
    let unproven = deals.iter().filter(|d| !d.proven).count() as u64;
    if unproven > 0 {
        *rejected.entry("deal_not_proven".into()).or_insert(0) += unproven;
    }
    let mut paid = split_rewards(spec.allowance, spec.usage_bps, &scores, &usage);
    // Storage providers are paid at most what their deals paid (self-dealing must
    // not pay: see plinth_proofs::storage).
    if let Some(caps) = &caps {
        plinth_proofs::storage::apply_caps(&mut paid, caps);
    }
    let entries: Vec<ManifestEntry> = paid
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .filter_map(|(device, amount)| {
            devices.get(&device).map(|d| ManifestEntry {
                device,
                owner: d.owner,
                amount,
            })
        })
        .collect();
    let header = ManifestHeader {
        chain: spec.chain,
        network: spec.network.to_string(),
        epoch: spec.window.epoch,
        root: manifest_root(&entries),
        total: entries.iter().map(|e| e.amount).sum(),
        devices: entries.len() as u64,
        inputs: inputs_hash(&list),
    };
    Manifest {
        header,
        entries,
        batches: list,
        signatures: Vec::new(),
        rejected,
        scored: scores.len() as u64,
        deals,
        usage,
    }
}
