//! `plinth oracle audit`: recompute an epoch from its spool batches and check the
//! root on the ledger. Anyone can run it: it needs only the node's and the oracle's
//! public APIs (or a local copy of the spool).
//!
//! For a storage network it also checks the round's seed (exactly the first block
//! sealed at or after the epoch's end), the deal outcomes the oracle published
//! against the recomputed ones, and the ledger's settlement counters for the epoch
//! (`GET /v1/storage/usage/{network}/{epoch}`: deals proven and failed, credits
//! used) against the recomputed outcomes. A storage epoch that paid nothing (every
//! deal failed, say: the epochs that slash) has no manifest on the ledger; it is
//! audited against the oracle's published manifest and the settlement counters.

use crate::chain::{node_client, NetworkInfo};
use crate::epoch::{inputs_hash, try_compute, Manifest};
use crate::networks::EpochNetworks;
use crate::spool::{decode_batch, SpoolBatch, MAX_BATCH_BYTES};
use anyhow::{anyhow, bail, Context, Result};
use plinth_api::{NodeClient, OracleClient};
use plinth_core::Hash;
use plinth_ledger::rewards::{ManifestHeader, RewardEpoch};
use plinth_ledger::storage::{Deal, DealStatus, EpochUsage};
use plinth_proofs::storage::DealOutcome;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// What an audit found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The network audited.
    pub network: String,
    /// The epoch audited.
    pub epoch: u64,
    /// The spool batches recomputed from.
    pub batches: usize,
    /// The ledger's manifest root and total; `None` when the ledger holds no
    /// manifest (a storage epoch that paid nothing).
    pub ledger_root: Option<Hash>,
    /// The root recomputed from the batches.
    pub recomputed_root: Hash,
    /// The ledger's manifest total (see `ledger_root`).
    pub ledger_total: Option<u64>,
    /// The total recomputed from the batches.
    pub recomputed_total: u64,
    /// Storage networks: the recomputed deal outcomes beside the ledger's
    /// settlement counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement: Option<SettlementAudit>,
    /// True when everything matched.
    pub ok: bool,
    /// Every mismatch found, in words.
    pub problems: Vec<String>,
}

/// A storage epoch's settlement: what the recomputed outcomes say and what the
/// ledger applied.
#[derive(Debug, Clone, Serialize)]
pub struct SettlementAudit {
    /// Deals proven, recomputed.
    pub proven: u64,
    /// Deals failed, recomputed.
    pub failed: u64,
    /// Credits the proven deals earned (their price for the epoch).
    pub credits_used: u64,
    /// Recomputed outcomes the ledger could not apply: their deal ended (slashed)
    /// in an earlier epoch.
    pub ended_before: u64,
    /// Deals proven, as the ledger counted them.
    pub ledger_proven: u64,
    /// Deals failed, as the ledger counted them.
    pub ledger_failed: u64,
    /// Credits used, as the ledger counted them.
    pub ledger_credits_used: u64,
}

/// Where the spool batches come from.
pub enum BatchSource {
    /// The oracle's HTTP API.
    Oracle,
    /// A local spool directory (`<dir>/<epoch>/<hash>.batch`).
    Dir(PathBuf),
}

/// Audits `network`'s `epoch`: recomputes its manifest from the spool batches
/// (from `source`) and compares it with the ledger's and the oracle's published
/// one; for coverage, checks the beacon draws; for storage, the seeds, the deal
/// outcomes and the ledger's settlement counters.
pub fn audit(
    node_url: &str,
    oracle_url: &str,
    network: &str,
    epoch: u64,
    source: BatchSource,
) -> Result<AuditReport> {
    let node = node_client(node_url);
    let oracle = OracleClient::new(oracle_url);
    let genesis = node.genesis()?;
    // The network as in force in the epoch (its share, usage split, family
    // parameters and allowance then), as its oracles scored it.
    let (networks, _) = EpochNetworks::read(&node, epoch)?;
    let n = networks
        .get(network)
        .ok_or_else(|| anyhow!("the chain has no network `{network}` in epoch {epoch}"))?;
    let storage = n.info.family == plinth_ledger::storage::FAMILY;
    let mut problems = Vec::new();
    let (on_ledger, published) =
        manifests_to_audit(&node, &oracle, network, epoch, storage, &mut problems)?;
    let batches = fetch_batches(&source, &oracle, epoch, &published.batches, &mut problems)?;
    if batches.len() != published.batches.len() {
        return Ok(report(
            network,
            epoch,
            on_ledger.as_ref(),
            &published.header,
            None,
            batches.len(),
            problems,
        ));
    }
    let window = genesis
        .emission
        .clock(genesis.genesis_time_ms)
        .window(epoch);
    let spec = n.spec(genesis.chain(), window).ok_or_else(|| {
        anyhow!(
            "network `{network}` is not scored in epoch {epoch}: {}",
            n.family.clone().err().unwrap_or_default()
        )
    })?;
    let prices = check_rounds(
        &node,
        &n.info,
        &spec.window,
        genesis.block_time_ms,
        &batches,
        &mut problems,
    );
    let snaps: Vec<&crate::spool::RegistrySnapshot> = batches
        .iter()
        .filter_map(|(_, b)| match b {
            SpoolBatch::Registry(s) => Some(s.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    if let Err(reason) = crate::quorum::check_registry(&node, spec.window.end_ms, &snaps) {
        problems.push(format!(
            "the registry snapshot is not the ledger's registry: {reason}"
        ));
    }
    let earnings: Vec<&plinth_proofs::compute::ComputeEarnings> = batches
        .iter()
        .filter_map(|(_, b)| match b {
            SpoolBatch::Earnings(es) => Some(es.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    if let Some(whole) = crate::compute::merged_earnings(network, earnings) {
        if let Err(reason) = crate::compute::check_earnings(&node, &whole) {
            problems.push(format!(
                "the compute earnings are not the ledger's: {reason}"
            ));
        }
    }
    let count = batches.len();
    let (recomputed, _state) = try_compute(&spec, batches)
        .map_err(|e| anyhow!("the family failed on the published inputs: {e}"))?;
    let mut r = report(
        network,
        epoch,
        on_ledger.as_ref(),
        &published.header,
        Some(&recomputed),
        count,
        problems,
    );
    if storage {
        if recomputed.deals != published.deals {
            r.problems.push(
                "the recomputed deal outcomes differ from the ones the oracle published (and settled)"
                    .into(),
            );
        }
        r.settlement = check_settlement(
            &node,
            network,
            epoch,
            &recomputed.deals,
            &prices,
            &mut r.problems,
        );
        r.ok = r.problems.is_empty();
    }
    Ok(r)
}

/// The ledger's manifest header for the epoch (`None` for a storage epoch that
/// paid nothing, which the ledger holds no manifest for) and the oracle's
/// published manifest; a batch list that is not the one the manifest names is a
/// problem.
fn manifests_to_audit(
    node: &NodeClient,
    oracle: &OracleClient,
    network: &str,
    epoch: u64,
    storage: bool,
    problems: &mut Vec<String>,
) -> Result<(Option<ManifestHeader>, Manifest)> {
    let on_ledger: Option<RewardEpoch> = node.get_opt(&format!("/v1/rewards/{network}/{epoch}"))?;
    let published: Manifest = oracle
        .manifest(network, epoch)?
        .ok_or_else(|| anyhow!("the oracle publishes no manifest for `{network}` epoch {epoch}"))?;
    // Without a manifest on the ledger only a storage epoch that paid nothing can
    // be audited (its settlements are on the ledger); it is checked against the
    // oracle's published manifest.
    if on_ledger.is_none() && !(storage && published.header.total == 0) {
        bail!("the ledger holds no manifest for `{network}` epoch {epoch}");
    }
    let on_ledger = on_ledger.map(|r| r.header);
    match &on_ledger {
        Some(h) if inputs_hash(&published.batches) != h.inputs => problems
            .push("the published batch list is not the one the ledger's manifest names".into()),
        None if inputs_hash(&published.batches) != published.header.inputs => problems
            .push("the published batch list is not the one the published manifest names".into()),
        _ => {}
    }
    Ok((on_ledger, published))
}

/// The batches `hashes` of `epoch`, from `source`, each checked against its
/// hash: one that does not decode is a problem, and is left out.
fn fetch_batches(
    source: &BatchSource,
    oracle: &OracleClient,
    epoch: u64,
    hashes: &[Hash],
    problems: &mut Vec<String>,
) -> Result<Vec<(Hash, SpoolBatch)>> {
    let mut batches = Vec::with_capacity(hashes.len());
    for h in hashes {
        let bytes = match source {
            BatchSource::Dir(dir) => {
                std::fs::read(dir.join(epoch.to_string()).join(format!("{h}.batch")))
                    .with_context(|| format!("reading batch {h}"))?
            }
            // One byte over the limit is enough for the decoder to refuse it.
            BatchSource::Oracle => match oracle.spool_batch(epoch, h, MAX_BATCH_BYTES as u64 + 1) {
                Ok(bytes) => bytes,
                Err(e @ plinth_api::ClientError::TooLarge { .. }) => {
                    problems.push(format!("batch {h}: {e}"));
                    continue;
                }
                Err(e) => return Err(anyhow!("fetching batch {h}: {e}")),
            },
        };
        match decode_batch(h, &bytes) {
            Ok(b) => batches.push((*h, b)),
            Err(e) => problems.push(format!("batch {h}: {e}")),
        }
    }
    Ok(batches)
}

/// Checks the rounds the oracle drew from blocks: a coverage network's beacon
/// draws, a storage network's seeds. Returns each deal's price in a storage
/// network's rounds (for the credits used; empty for other networks).
fn check_rounds(
    node: &NodeClient,
    n: &NetworkInfo,
    window: &plinth_proofs::EpochWindow,
    block_time_ms: u64,
    batches: &[(Hash, SpoolBatch)],
    problems: &mut Vec<String>,
) -> HashMap<Hash, u64> {
    let network = n.name.as_str();
    if n.family == plinth_core::FamilyKind::Coverage {
        check_draws(node, network, window, block_time_ms, batches, problems);
    }
    let mut prices: HashMap<Hash, u64> = HashMap::new();
    if n.family == plinth_ledger::storage::FAMILY {
        check_storage_seeds(node, network, window, batches, problems);
        prices = deal_prices(network, batches);
    }
    prices
}

/// Each deal's price in the epoch's storage rounds of `network` (for the credits
/// used).
fn deal_prices(network: &str, batches: &[(Hash, SpoolBatch)]) -> HashMap<Hash, u64> {
    let mut prices: HashMap<Hash, u64> = HashMap::new();
    for (_, b) in batches {
        if let SpoolBatch::Storage(rounds) = b {
            for r in rounds.iter().filter(|r| r.network == network) {
                for d in &r.deals {
                    prices.entry(d.id).or_insert(d.price_per_epoch);
                }
            }
        }
    }
    prices
}

/// Compares the recomputed deal outcomes of a storage epoch with what the ledger
/// applied (its usage counters for the epoch). An outcome for a deal that ended in
/// an earlier epoch (slashed while this epoch's round was already taken) cannot
/// apply and is not counted; a deal still waiting for this epoch's settlement is a
/// problem.
fn check_settlement(
    node: &NodeClient,
    network: &str,
    epoch: u64,
    outcomes: &[DealOutcome],
    prices: &HashMap<Hash, u64>,
    problems: &mut Vec<String>,
) -> Option<SettlementAudit> {
    let usage: EpochUsage = match node.get(&format!("/v1/storage/usage/{network}/{epoch}")) {
        Ok(u) => u,
        Err(e) => {
            problems.push(format!("reading the ledger's storage usage: {e}"));
            return None;
        }
    };
    let tally = |applied: &dyn Fn(&DealOutcome) -> bool| {
        let mut t = (0u64, 0u64, 0u64);
        for o in outcomes.iter().filter(|o| applied(o)) {
            if o.proven {
                t.0 += 1;
                t.2 =
                    t.2.saturating_add(prices.get(&o.deal).copied().unwrap_or(0));
            } else {
                t.1 += 1;
            }
        }
        t
    };
    let ledger = (usage.proven, usage.failed, usage.credits_used);
    let mut counted = tally(&|_| true);
    let mut ended_before = 0;
    if counted != ledger {
        // Look at each deal: which outcomes could the ledger apply?
        let mut ended: std::collections::HashSet<Hash> = Default::default();
        for o in outcomes {
            let d: Option<Deal> = match node.get_opt(&format!("/v1/deals/{}", o.deal)) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(format!("reading deal {}: {e}", o.deal));
                    return None;
                }
            };
            match d {
                None => problems.push(format!(
                    "deal {} of the storage round is unknown to the ledger",
                    o.deal
                )),
                Some(d) if d.next_epoch > epoch => {}
                Some(d) if d.status == DealStatus::Active => problems.push(format!(
                    "deal {} is not settled for epoch {epoch} yet (its next epoch is {})",
                    o.deal, d.next_epoch
                )),
                Some(_) => {
                    ended.insert(o.deal);
                }
            }
        }
        ended_before = ended.len() as u64;
        counted = tally(&|o| !ended.contains(&o.deal));
        if counted != ledger {
            problems.push(format!(
                "the ledger settled epoch {epoch} with {} proven and {} failed deals ({} credits used), \
                 the recomputed outcomes have {} proven and {} failed ({} credits)",
                ledger.0, ledger.1, ledger.2, counted.0, counted.1, counted.2
            ));
        }
    }
    Some(SettlementAudit {
        proven: counted.0,
        failed: counted.1,
        credits_used: counted.2,
        ended_before,
        ledger_proven: usage.proven,
        ledger_failed: usage.failed,
        ledger_credits_used: usage.credits_used,
    })
}

/// How long before its round a block may have been sealed and still serve as the
/// round's draw: the oracle draws at the round's start from the head it sees.
pub fn draw_freshness_ms(block_time_ms: u64) -> u64 {
    (5 * block_time_ms).max(10_000)
}

/// Checks that every beacon round of the epoch drew from a real block of the chain,
/// sealed shortly before or during the round: the oracle cannot pick a draw that
/// suits it from the chain's history, nor invent one.
fn check_draws(
    node: &NodeClient,
    network: &str,
    window: &plinth_proofs::EpochWindow,
    block_time_ms: u64,
    batches: &[(Hash, crate::spool::SpoolBatch)],
    problems: &mut Vec<String>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (_, b) in batches {
        let crate::spool::SpoolBatch::Rounds(rs) = b else {
            continue;
        };
        for r in rs.iter().filter(|r| r.network == network) {
            let r = r.round;
            if !seen.insert((r.round, r.height, r.draw)) {
                continue;
            }
            if r.start_ms < window.start_ms || r.end_ms > window.end_ms {
                problems.push(format!("beacon round {} lies outside the epoch", r.round));
                continue;
            }
            let block: Option<serde_json::Value> =
                match node.get_opt(&format!("/v1/blocks/{}", r.height)) {
                    Ok(b) => b,
                    Err(e) => {
                        problems.push(format!("beacon round {}: {e}", r.round));
                        continue;
                    }
                };
            let Some(block) = block else {
                problems.push(format!(
                    "beacon round {} drew from block {}, which the chain does not have",
                    r.round, r.height
                ));
                continue;
            };
            if block["hash"].as_str() != Some(r.draw.to_string().as_str()) {
                problems.push(format!(
                    "beacon round {} names draw {} but block {} is {}",
                    r.round, r.draw, r.height, block["hash"]
                ));
                continue;
            }
            let t = block["header"]["timestamp_ms"].as_u64().unwrap_or(0);
            if t >= r.end_ms || t + draw_freshness_ms(block_time_ms) < r.start_ms {
                problems.push(format!(
                    "beacon round {} [{}, {}) drew from block {} sealed at {t}: not fresh",
                    r.round, r.start_ms, r.end_ms, r.height
                ));
            }
        }
    }
}

/// Checks that every storage round of the epoch was seeded by the first block of
/// the chain sealed at or after the epoch's end: no provider could know its
/// challenges while the epoch ran, and the oracle could not choose among blocks.
fn check_storage_seeds(
    node: &NodeClient,
    network: &str,
    window: &plinth_proofs::EpochWindow,
    batches: &[(Hash, crate::spool::SpoolBatch)],
    problems: &mut Vec<String>,
) {
    for (_, b) in batches {
        let crate::spool::SpoolBatch::Storage(rounds) = b else {
            continue;
        };
        for r in rounds.iter().filter(|r| r.network == network) {
            if r.epoch != window.epoch {
                problems.push(format!(
                    "a storage round of epoch {} is filed under epoch {}",
                    r.epoch, window.epoch
                ));
                continue;
            }
            let block: serde_json::Value =
                match node.get_opt(&format!("/v1/blocks/{}", r.seed_height)) {
                    Ok(Some(b)) => b,
                    Ok(None) => {
                        problems.push(format!(
                        "the storage round was seeded by block {}, which the chain does not have",
                        r.seed_height
                    ));
                        continue;
                    }
                    Err(e) => {
                        problems.push(format!("storage round seed: {e}"));
                        continue;
                    }
                };
            if block["hash"].as_str() != Some(r.seed.to_string().as_str()) {
                problems.push(format!(
                    "the storage round names seed {} but block {} is {}",
                    r.seed, r.seed_height, block["hash"]
                ));
                continue;
            }
            let t = block["header"]["timestamp_ms"].as_u64().unwrap_or(0);
            if t < window.end_ms {
                problems.push(format!(
                    "the storage round was seeded by block {} sealed at {t}, before the epoch's end {}",
                    r.seed_height, window.end_ms
                ));
                continue;
            }
            if r.seed_height == 0 {
                continue;
            }
            let before = r.seed_height - 1;
            match node.get_opt::<serde_json::Value>(&format!("/v1/blocks/{before}")) {
                Ok(Some(b)) => {
                    let t = b["header"]["timestamp_ms"].as_u64().unwrap_or(u64::MAX);
                    if t >= window.end_ms {
                        problems.push(format!(
                            "the storage round was seeded by block {}, but block {before} (sealed at {t}) \
                             is the first at or after the epoch's end {}",
                            r.seed_height, window.end_ms
                        ));
                    }
                }
                Ok(None) => problems.push(format!(
                    "the chain does not have block {before}, below the storage round's seed"
                )),
                Err(e) => problems.push(format!("storage round seed: {e}")),
            }
        }
    }
}

/// The report: the recomputed header is compared with the ledger's, or with the
/// published one when the ledger holds none.
fn report(
    network: &str,
    epoch: u64,
    on_ledger: Option<&ManifestHeader>,
    published: &ManifestHeader,
    recomputed: Option<&Manifest>,
    batches: usize,
    mut problems: Vec<String>,
) -> AuditReport {
    let (root, total) = recomputed
        .map(|m| (m.header.root, m.header.total))
        .unwrap_or((Hash::ZERO, 0));
    if let Some(m) = recomputed {
        let (expected, whose) = match on_ledger {
            Some(h) => (h, "the ledger's"),
            None => (published, "the published one (the ledger holds none)"),
        };
        if m.header != *expected {
            problems.push(format!(
                "recomputed manifest differs from {whose}: root {} vs {}, total {} vs {}, devices {} vs {}",
                m.header.root,
                expected.root,
                m.header.total,
                expected.total,
                m.header.devices,
                expected.devices
            ));
        }
    }
    AuditReport {
        network: network.to_string(),
        epoch,
        batches,
        ledger_root: on_ledger.map(|h| h.root),
        recomputed_root: root,
        ledger_total: on_ledger.map(|h| h.total),
        recomputed_total: total,
        settlement: None,
        ok: problems.is_empty() && recomputed.is_some(),
        problems,
    }
}

/// Fails unless the report is clean (for scripts).
pub fn require_ok(r: &AuditReport) -> Result<()> {
    if !r.ok {
        bail!(
            "audit of `{}` epoch {} failed: {}",
            r.network,
            r.epoch,
            r.problems.join("; ")
        );
    }
    Ok(())
}
