//! Closing an epoch: the spool's batches in, a signed reward manifest out.
//!
//! [`compute`] is pure: given the epoch's batches (reports, probe rounds and the
//! registry snapshot taken at close) it yields the same manifest on any machine, so
//! `plinth oracle audit` runs exactly this code over batches it downloaded.

use crate::spool::{AnswerReceipt, ProbeIssue, SpoolBatch};
use plinth_core::{merkle, DeviceId, Hash};
use plinth_ledger::oracle_set::{awards_root, Award};
#[cfg(doc)]
use plinth_ledger::rewards::manifest_root;
use plinth_ledger::rewards::{ManifestEntry, ManifestHeader};
use plinth_proofs::storage::StorageRound;
use plinth_proofs::wasm::WasmFamilyError;
use plinth_proofs::{
    BeaconRound, DeviceInfo, EpochWindow, Family, ProbeRecord, ReportBody, SignedReport,
};

use std::collections::{BTreeMap, HashMap, HashSet};

/// The registry snapshot lives with the spool that stores it; named here too, where
/// it has always been found.
pub use crate::spool::RegistrySnapshot;

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
    /// The network scored.
    pub network: &'a str,
    /// Its proof family, with its parameters.
    pub family: &'a Family,
    /// The epoch's time window.
    pub window: EpochWindow,
    /// The network's emission for this epoch.
    pub allowance: u64,
    /// The part of the allowance paid by usage (credits earned), in basis points.
    pub usage_bps: u32,
    /// A custom (`wasm`) family's module, loaded from the ledger; `None` for
    /// the native families.
    pub wasm: Option<&'a plinth_wasm::Module>,
}

use plinth_proofs::split::split_amounts;
pub use plinth_proofs::split::{split_rewards, split_usage_capped};
use rayon::prelude::*;

/// One network's inputs in an epoch's batches, sorted by kind.
#[derive(Default)]
struct Inputs {
    reports: Vec<SignedReport>,
    issues: Vec<ProbeIssue>,
    registry: Vec<DeviceInfo>,
    /// The height the registry snapshots name (the highest, if parts disagree).
    registry_height: u64,
    receipts: Vec<AnswerReceipt>,
    rounds: Vec<BeaconRound>,
    storage_rounds: Vec<StorageRound>,
    earnings: Vec<plinth_proofs::compute::ComputeEarnings>,
    /// A custom family's state from the epoch before.
    state: Vec<u8>,
}

/// The registry and storage batches named by the epoch's close records, if it
/// has any.
fn close_record(batches: &[(Hash, SpoolBatch)]) -> Option<HashSet<Hash>> {
    batches
        .iter()
        .filter_map(|(_, b)| match b {
            SpoolBatch::Closed(hs) => Some(hs.iter().copied()),
            _ => None,
        })
        .fold(None, |acc: Option<HashSet<Hash>>, hs| {
            let mut acc = acc.unwrap_or_default();
            acc.extend(hs);
            Some(acc)
        })
}

impl Inputs {
    /// Sorts `network`'s part of the batches by kind. The batches are consumed:
    /// reports move into one vector (no copies, which matters for an epoch of a
    /// million devices).
    fn gather(network: &str, batches: Vec<(Hash, SpoolBatch)>) -> Inputs {
        // With a close record, only the registry and storage batches it names count
        // (others are parts of a close that stopped half-way).
        let closed = close_record(&batches);
        let counts = |h: &Hash| closed.as_ref().is_none_or(|c| c.contains(h));
        let mut i = Inputs::default();
        // A report a device sent to two oracles is in two batches: it counts once.
        let mut seen: HashSet<Hash> = HashSet::new();
        let several = batches
            .iter()
            .filter(|(_, b)| matches!(b, SpoolBatch::Reports(_)))
            .count()
            > 1;
        for (h, b) in batches {
            match b {
                SpoolBatch::Reports(mut rs) => {
                    if several {
                        // The hashes on every core; which count, in order.
                        let hashes: Vec<Option<Hash>> = rs
                            .par_iter()
                            .map(|r| (r.report.network == network).then(|| r.hash()))
                            .collect();
                        let mut keep = hashes
                            .into_iter()
                            .map(|h| h.is_some_and(|h| seen.insert(h)));
                        rs.retain(|_| keep.next().unwrap_or(false));
                    } else {
                        rs.retain(|r| r.report.network == network);
                    }
                    if i.reports.is_empty() {
                        i.reports = rs;
                    } else {
                        i.reports.append(&mut rs);
                    }
                }
                SpoolBatch::Probes(mut ps) => i.issues.append(&mut ps),
                SpoolBatch::Rounds(rs) => i.rounds.extend(
                    rs.into_iter()
                        .filter(|r| r.network == network)
                        .map(|r| r.round),
                ),
                SpoolBatch::Storage(rs) if counts(&h) => i
                    .storage_rounds
                    .extend(rs.into_iter().filter(|r| r.network == network)),
                // A network's registry may be split over several snapshots.
                SpoolBatch::Registry(snaps) if counts(&h) => {
                    for s in snaps.into_iter().filter(|s| s.network == network) {
                        i.registry_height = i.registry_height.max(s.height);
                        if i.registry.is_empty() {
                            i.registry = s.devices;
                        } else {
                            i.registry.extend(s.devices);
                        }
                    }
                }
                SpoolBatch::Answered(mut rs) => i.receipts.append(&mut rs),
                SpoolBatch::Earnings(es) if counts(&h) => i
                    .earnings
                    .extend(es.into_iter().filter(|e| e.network == network)),
                SpoolBatch::FamilyStates(fs) if counts(&h) => {
                    if let Some(f) = fs.into_iter().find(|f| f.network == network) {
                        i.state = f.state;
                    }
                }
                SpoolBatch::Storage(_)
                | SpoolBatch::Registry(_)
                | SpoolBatch::Earnings(_)
                | SpoolBatch::FamilyStates(_)
                | SpoolBatch::Closed(_) => {}
            }
        }
        i
    }
}

/// The probes of registered devices, each answered when the oracle received the
/// earliest answer report for its challenge (the oracle's clock: the device's own
/// timestamp is not trusted for latency); by device and challenge, once each.
fn probe_records(
    issues: &[ProbeIssue],
    receipts: &[AnswerReceipt],
    reports: &[SignedReport],
    registered: impl Fn(&DeviceId) -> bool,
) -> Vec<ProbeRecord> {
    if issues.is_empty() {
        return Vec::new();
    }
    let answered: HashSet<(DeviceId, Hash)> = reports
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
        .filter(|p| registered(&p.device))
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
    probes
}

/// The family's rejections counted by reason.
fn rejection_counts(rejections: &[plinth_proofs::Rejected]) -> BTreeMap<String, u64> {
    let mut rejected = BTreeMap::new();
    for r in rejections {
        if let plinth_proofs::ScoreRejection::Custom { code, .. } = &r.why {
            *rejected.entry(code.clone()).or_insert(0u64) += 1;
            continue;
        }
        let code = serde_json::to_value(&r.why)
            .ok()
            .and_then(|v| v.get("reason").and_then(|c| c.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "rejected".into());
        *rejected.entry(code).or_insert(0u64) += 1;
    }
    rejected
}

/// What a family's scoring yields for the split.
struct Scores {
    /// Work scores.
    work: BTreeMap<DeviceId, u64>,
    /// Credits earned (usage rewards).
    usage: BTreeMap<DeviceId, u64>,
    /// Storage networks: every deal's outcome.
    deals: Vec<plinth_proofs::storage::DealOutcome>,
    /// Storage networks: the most each provider may be paid.
    caps: Option<BTreeMap<DeviceId, u64>>,
    /// A custom family's state for the next epoch.
    state: Vec<u8>,
    /// A custom family's awards.
    awards: Vec<Award>,
    /// A custom family's network: the most each device's usage reward may be.
    usage_caps: Option<BTreeMap<DeviceId, u64>>,
}

/// Scores the epoch with the network's family; counts what it rejected into
/// `rejected`. Only a custom family can fail.
fn score(
    spec: &EpochSpec<'_>,
    inputs: Inputs,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    rejected: &mut BTreeMap<String, u64>,
) -> Result<Scores, WasmFamilyError> {
    let Inputs {
        reports,
        issues,
        receipts,
        rounds,
        mut storage_rounds,
        earnings,
        state,
        ..
    } = inputs;
    let probes = probe_records(&issues, &receipts, &reports, |d| devices.contains_key(d));
    let mut next_state = Vec::new();
    let mut awards = Vec::new();
    // Families are order-independent (their outputs are canonical).
    let out = match spec.family {
        Family::Wasm(p) => {
            let module = spec.wasm.ok_or_else(|| {
                WasmFamilyError::Module(plinth_wasm::WasmError::Invalid(format!(
                    "module {} not loaded",
                    p.module
                )))
            })?;
            let input = plinth_proofs::wasm::EpochInput {
                network: spec.network,
                window: &spec.window,
                devices,
                reports: &reports,
                probes: &probes,
                state: &state,
            };
            let scored = plinth_proofs::wasm::run(module, p, &input)?;
            next_state = scored.state;
            awards = scored
                .awards
                .into_iter()
                .map(|(tag, devices)| Award { tag, devices })
                .collect();
            scored.output
        }
        family => family.score_with_rounds(&spec.window, devices, &reports, &probes, &rounds),
    };
    drop(reports);
    rejected.append(&mut rejection_counts(&out.rejections));
    let scores = match spec.family {
        Family::Storage(p) => {
            // Parts of a round (same seed) in deal order, whatever the batches'.
            storage_rounds.sort_by_key(|r| (r.seed, r.deals.first().map(|d| d.id)));
            let st = plinth_proofs::storage::score(p, devices, &storage_rounds);
            Scores {
                work: st.work,
                usage: st.usage,
                deals: st.outcomes,
                caps: Some(st.caps),
                state: Vec::new(),
                awards: Vec::new(),
                usage_caps: None,
            }
        }
        Family::Compute(_) => {
            let cs = plinth_proofs::compute::score(&earnings, devices);
            Scores {
                work: cs.work,
                usage: cs.usage,
                deals: Vec::new(),
                caps: Some(cs.caps),
                state: Vec::new(),
                awards: Vec::new(),
                usage_caps: None,
            }
        }
        Family::Energy(_) => {
            // Verified generation (the ledger's record) is work; the credits
            // the meters' sales earned are usage, capped at their token value.
            let generation: Vec<(DeviceId, u64)> = earnings
                .iter()
                .filter(|e| e.network == spec.network)
                .flat_map(|e| e.work.iter().copied())
                .collect();
            let es = plinth_proofs::energy::score(&generation, &earnings, devices);
            Scores {
                work: es.work,
                usage: es.usage,
                deals: Vec::new(),
                caps: None,
                state: Vec::new(),
                awards: Vec::new(),
                usage_caps: Some(es.caps),
            }
        }
        Family::Wasm(_) => {
            // Credits the ledger recorded the devices earned (bursts) are usage:
            // each device's usage reward capped at their token value.
            let cs = plinth_proofs::compute::score(&earnings, devices);
            Scores {
                work: out.scores,
                usage: cs.usage,
                deals: Vec::new(),
                caps: None,
                state: next_state,
                awards,
                usage_caps: Some(cs.caps),
            }
        }
        _ => Scores {
            work: out.scores,
            usage: BTreeMap::new(),
            deals: Vec::new(),
            caps: None,
            state: next_state,
            awards: Vec::new(),
            usage_caps: None,
        },
    };
    let unproven = scores.deals.iter().filter(|d| !d.proven).count() as u64;
    if unproven > 0 {
        *rejected.entry("deal_not_proven".into()).or_insert(0) += unproven;
    }
    Ok(scores)
}

/// The epoch's inputs as a custom family module receives them (the family ABI
/// v1 input: `plinth_proofs::wasm::encode_input`), for any report-based network:
/// `params_json` is the network's parameter object. What the oracle records
/// for `plinth family test`.
pub fn family_input(
    spec: &EpochSpec<'_>,
    params_json: &str,
    batches: Vec<(Hash, SpoolBatch)>,
) -> Vec<u8> {
    let mut inputs = Inputs::gather(spec.network, batches);
    let devices: BTreeMap<DeviceId, DeviceInfo> = std::mem::take(&mut inputs.registry)
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let probes = probe_records(&inputs.issues, &inputs.receipts, &inputs.reports, |d| {
        devices.contains_key(d)
    });
    let params = match spec.family {
        Family::Wasm(p) => p.clone(),
        _ => plinth_proofs::wasm::WasmFamilyParams {
            module: Hash::ZERO,
            fuel: 1,
            params: serde_json::from_str::<serde_json::Value>(params_json)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| "{}".into()),
        },
    };
    let input = plinth_proofs::wasm::EpochInput {
        network: spec.network,
        window: &spec.window,
        devices: &devices,
        reports: &inputs.reports,
        probes: &probes,
        state: &inputs.state,
    };
    plinth_proofs::wasm::encode_input(&params, &input).0
}

/// [`try_compute`] for a native family, which cannot fail.
///
/// # Panics
///
/// On a custom (`wasm`) family's failure: use [`try_compute`] for those.
pub fn compute(spec: &EpochSpec<'_>, batches: Vec<(Hash, SpoolBatch)>) -> Manifest {
    try_compute(spec, batches)
        .expect("a native family does not fail")
        .0
}

/// Scores one network's epoch and builds its manifest (unsigned). Batches are
/// `(hash, contents)` of every batch of the epoch; the result depends only on them
/// and `spec`. A custom family's failure (out of fuel, a trap, a bad output)
/// fails the whole epoch: no partial manifest. Also returns the state a custom
/// family hands to the next epoch (empty for native families).
pub fn try_compute(
    spec: &EpochSpec<'_>,
    batches: Vec<(Hash, SpoolBatch)>,
) -> Result<(Manifest, Vec<u8>), WasmFamilyError> {
    let mut list: Vec<Hash> = batches.iter().map(|(h, _)| *h).collect();
    list.sort();
    let mut inputs = Inputs::gather(spec.network, batches);
    if matches!(spec.family, Family::Sensor(_) | Family::Uptime(_)) {
        return Ok((indexed(spec, inputs, list), Vec::new()));
    }
    let devices: BTreeMap<DeviceId, DeviceInfo> = std::mem::take(&mut inputs.registry)
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let registry_height = inputs.registry_height;
    let mut rejected = BTreeMap::new();
    let Scores {
        work,
        usage,
        deals,
        caps,
        state,
        awards,
        usage_caps,
    } = score(spec, inputs, &devices, &mut rejected)?;
    let mut paid = split_usage_capped(
        spec.allowance,
        spec.usage_bps,
        &work,
        &usage,
        usage_caps.as_ref(),
    );
    // Storage and compute providers are paid at most the token value of the
    // credits they earned (self-dealing must not pay: see plinth_proofs::storage).
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
    let m = manifest(
        spec,
        Built {
            list,
            registry_height,
            entries,
            rejected,
            scored: work.len() as u64,
            deals,
            usage,
            awards,
        },
    );
    Ok((m, state))
}

/// What a manifest is made of besides the spec.
struct Built {
    list: Vec<Hash>,
    registry_height: u64,
    entries: Vec<ManifestEntry>,
    rejected: BTreeMap<String, u64>,
    scored: u64,
    deals: Vec<plinth_proofs::storage::DealOutcome>,
    usage: BTreeMap<DeviceId, u64>,
    awards: Vec<Award>,
}

/// The manifest of the entries (its header's root and totals computed here).
fn manifest(spec: &EpochSpec<'_>, b: Built) -> Manifest {
    let header = ManifestHeader {
        chain: spec.chain,
        network: spec.network.to_string(),
        epoch: spec.window.epoch,
        root: entries_root(&b.entries),
        total: b.entries.iter().map(|e| e.amount).sum(),
        devices: b.entries.len() as u64,
        inputs: inputs_hash(&b.list),
        registry_height: b.registry_height,
        awards: awards_root(&b.awards),
        award_count: b.awards.len() as u64,
    };
    Manifest {
        header,
        entries: b.entries,
        batches: b.list,
        signatures: Vec::new(),
        rejected: b.rejected,
        scored: b.scored,
        deals: b.deals,
        usage: b.usage,
        refusals: Vec::new(),
        awards: b.awards,
    }
}

/// Leaves per part of the manifest tree hashed by one task: a power of two, so
/// that each part is a whole subtree.
const ROOT_PART: usize = 1 << 14;

/// [`manifest_root`], with the leaves hashed in parallel: the roots of
/// consecutive parts of `ROOT_PART` (a power of two) leaves are the nodes of the
/// whole tree at that height (an odd node is promoted unchanged at every
/// level, so the last, shorter part reduces to its node too), and the root over
/// them is the root over all the leaves.
fn entries_root(entries: &[ManifestEntry]) -> Hash {
    root_in_parts(entries, ROOT_PART)
}

fn root_in_parts(entries: &[ManifestEntry], part: usize) -> Hash {
    debug_assert!(part.is_power_of_two());
    let roots: Vec<Hash> = entries
        .par_chunks(part)
        .map(|part| {
            let leaves: Vec<Hash> = part.iter().map(ManifestEntry::leaf).collect();
            merkle::root(&leaves)
        })
        .collect();
    merkle::root(&roots)
}

/// [`try_compute`] for the sensor and uptime families, over the registry as a
/// slice in id order ([`plinth_proofs::sorted_registry`]) rather than a map:
/// scores by registry index, the split over a list in id order, and the reports
/// dropped as soon as the family has read them. The same manifest as the
/// map-based path, with less memory and in parallel.
fn indexed(spec: &EpochSpec<'_>, mut inputs: Inputs, list: Vec<Hash>) -> Manifest {
    let registry = plinth_proofs::sorted_registry(std::mem::take(&mut inputs.registry));
    let Inputs {
        reports,
        issues,
        receipts,
        registry_height,
        ..
    } = inputs;
    let (scores, rejections) = match spec.family {
        Family::Sensor(p) => {
            let (valid, rejections) =
                plinth_proofs::sensor::readings(p, &spec.window, &registry, &reports);
            drop(reports);
            let scores = plinth_proofs::sensor::score_readings(p, &registry, valid);
            (scores, rejections)
        }
        Family::Uptime(p) => {
            let probes = probe_records(&issues, &receipts, &reports, |d| {
                registry.binary_search_by(|r| r.id.cmp(d)).is_ok()
            });
            let (proven, rejections) =
                plinth_proofs::uptime::heartbeats(p, &spec.window, &registry, &reports);
            drop(reports);
            let scores =
                plinth_proofs::uptime::score_proven(p, &spec.window, &registry, &proven, &probes);
            (scores, rejections)
        }
        _ => unreachable!("only the sensor and uptime families are scored by index"),
    };
    let rejected = rejection_counts(&rejections);
    drop(rejections);
    // No usage part: these families earn no credits (what `split_usage_capped`
    // does with no usage).
    let values: Vec<u64> = scores.par_iter().map(|s| s.1).collect();
    let amounts = split_amounts(spec.allowance, &values).unwrap_or_default();
    drop(values);
    let entries: Vec<ManifestEntry> = scores
        .par_iter()
        .zip(amounts.par_iter())
        .filter(|(_, amount)| **amount > 0)
        .map(|(&(i, _), &amount)| {
            let d = &registry[i as usize];
            ManifestEntry {
                device: d.id,
                owner: d.owner,
                amount,
            }
        })
        .collect();
    drop(registry);
    manifest(
        spec,
        Built {
            list,
            registry_height,
            entries,
            rejected,
            scored: scores.len() as u64,
            deals: Vec::new(),
            usage: BTreeMap::new(),
            awards: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::{Address, PublicKey};
    use plinth_ledger::rewards::manifest_root;

    fn entries(n: usize) -> Vec<ManifestEntry> {
        (0..n)
            .map(|i| {
                let mut k = [0u8; 32];
                k[..8].copy_from_slice(&(i as u64).to_be_bytes());
                ManifestEntry {
                    device: DeviceId(PublicKey(k)),
                    owner: Address(PublicKey([7; 32])),
                    amount: 1 + i as u64,
                }
            })
            .collect()
    }

    #[test]
    fn the_root_in_parts_is_the_manifest_root() {
        for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100] {
            let e = entries(n);
            for part in [1, 2, 4, 8, 16] {
                assert_eq!(
                    root_in_parts(&e, part),
                    manifest_root(&e),
                    "n={n} part={part}"
                );
            }
        }
        let e = entries(3 * ROOT_PART + 5);
        assert_eq!(entries_root(&e), manifest_root(&e));
    }
}
