//! `plinth oracle audit`: recompute an epoch from its spool batches and check the
//! root on the ledger. Anyone can run it: it needs only the node's and the oracle's
//! public APIs (or a local copy of the spool).

use crate::chain::{NetworkInfo, NodeClient};
use crate::epoch::{compute, inputs_hash, EpochSpec, Manifest};
use crate::spool::decode_batch;
use anyhow::{anyhow, bail, Context, Result};
use plinth_core::Hash;
use plinth_ledger::rewards::RewardEpoch;
use serde::Serialize;
use std::path::PathBuf;

/// What an audit found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub network: String,
    pub epoch: u64,
    pub batches: usize,
    pub ledger_root: Hash,
    pub recomputed_root: Hash,
    pub ledger_total: u64,
    pub recomputed_total: u64,
    /// True when everything matched.
    pub ok: bool,
    pub problems: Vec<String>,
}

/// Where the spool batches come from.
pub enum BatchSource {
    /// The oracle's HTTP API.
    Oracle,
    /// A local spool directory (`<dir>/<epoch>/<hash>.batch`).
    Dir(PathBuf),
}

pub fn audit(
    node_url: &str,
    oracle_url: &str,
    network: &str,
    epoch: u64,
    source: BatchSource,
) -> Result<AuditReport> {
    let node = NodeClient::new(node_url);
    let oracle = NodeClient::new(oracle_url);
    let genesis: plinth_ledger::Genesis = node.get("/v1/genesis")?;
    let networks: Vec<NetworkInfo> = node.networks()?;
    let n = networks
        .iter()
        .find(|n| n.name == network)
        .ok_or_else(|| anyhow!("the chain has no network `{network}`"))?;
    let on_ledger: RewardEpoch = node
        .get_opt(&format!("/v1/rewards/{network}/{epoch}"))?
        .ok_or_else(|| anyhow!("the ledger holds no manifest for `{network}` epoch {epoch}"))?;
    let published: Manifest = oracle
        .get_opt(&format!("/v1/manifests/{network}/{epoch}"))?
        .ok_or_else(|| anyhow!("the oracle publishes no manifest for `{network}` epoch {epoch}"))?;

    let mut problems = Vec::new();
    if inputs_hash(&published.batches) != on_ledger.header.inputs {
        problems.push("the published batch list is not the one the ledger's manifest names".into());
    }
    let agent = ureq::AgentBuilder::new().build();
    let mut batches = Vec::with_capacity(published.batches.len());
    for h in &published.batches {
        let bytes = match &source {
            BatchSource::Dir(dir) => {
                std::fs::read(dir.join(epoch.to_string()).join(format!("{h}.batch")))
                    .with_context(|| format!("reading batch {h}"))?
            }
            BatchSource::Oracle => {
                let resp = agent
                    .get(&format!("{}/v1/spool/{epoch}/{h}", oracle.base()))
                    .call()
                    .map_err(|e| anyhow!("fetching batch {h}: {e}"))?;
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut resp.into_reader(), &mut buf)?;
                buf
            }
        };
        match decode_batch(h, &bytes) {
            Ok(b) => batches.push((*h, b)),
            Err(e) => problems.push(format!("batch {h}: {e}")),
        }
    }
    if batches.len() != published.batches.len() {
        return Ok(report(
            network,
            epoch,
            &on_ledger,
            None,
            batches.len(),
            problems,
        ));
    }
    let family = plinth_proofs::Family::from_network(&n.family, &n.params.to_string())
        .map_err(|e| anyhow!("network `{network}`: {e}"))?;
    let start_ms = genesis.genesis_time_ms + epoch * genesis.emission.epoch_ms;
    let spec = EpochSpec {
        chain_id: &genesis.chain_id,
        network,
        family: &family,
        window: plinth_proofs::EpochWindow {
            epoch,
            start_ms,
            end_ms: start_ms + genesis.emission.epoch_ms,
        },
        allowance: genesis.emission.network_allowance(epoch, n.share_bps),
        usage_bps: n.usage_bps,
    };
    if n.family == "coverage" {
        check_draws(
            &node,
            network,
            &spec.window,
            genesis.block_time_ms,
            &batches,
            &mut problems,
        );
    }
    if n.family == plinth_ledger::storage::FAMILY {
        check_storage_seeds(&node, network, &spec.window, &batches, &mut problems);
    }
    let count = batches.len();
    let recomputed = compute(&spec, batches);
    Ok(report(
        network,
        epoch,
        &on_ledger,
        Some(&recomputed),
        count,
        problems,
    ))
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

/// Checks that every storage round of the epoch was seeded by a real block of the
/// chain sealed after the epoch's end, so no provider could know its challenges
/// while the epoch ran.
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
            }
        }
    }
}

fn report(
    network: &str,
    epoch: u64,
    on_ledger: &RewardEpoch,
    recomputed: Option<&Manifest>,
    batches: usize,
    mut problems: Vec<String>,
) -> AuditReport {
    let (root, total) = recomputed
        .map(|m| (m.header.root, m.header.total))
        .unwrap_or((Hash::ZERO, 0));
    if let Some(m) = recomputed {
        if m.header != on_ledger.header {
            problems.push(format!(
                "recomputed manifest differs from the ledger's: root {} vs {}, total {} vs {}, devices {} vs {}",
                m.header.root,
                on_ledger.header.root,
                m.header.total,
                on_ledger.header.total,
                m.header.devices,
                on_ledger.header.devices
            ));
        }
    }
    AuditReport {
        network: network.to_string(),
        epoch,
        batches,
        ledger_root: on_ledger.header.root,
        recomputed_root: root,
        ledger_total: on_ledger.header.total,
        recomputed_total: total,
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
