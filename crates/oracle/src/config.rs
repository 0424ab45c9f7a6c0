//! How an oracle runs: its data directory, its node, and the timings and limits
//! of its jobs.

use crate::storage::providers::PROVIDERS_AT_ONCE;
use std::path::PathBuf;
use std::time::Duration;

/// How an oracle runs.
#[derive(Debug, Clone)]
pub struct OracleConfig {
    /// Where the spool and the published manifests are kept.
    pub data_dir: PathBuf,
    /// The node's HTTP API (`http://host:port`).
    pub node: String,
    /// How far a report's timestamp may be from the oracle's clock.
    pub max_skew_ms: u64,
    /// How often the device registry is re-read from the node.
    pub registry_refresh: Duration,
    /// How often uptime devices are probed.
    pub probe_interval: Duration,
    /// How long a probed device has to answer.
    pub probe_deadline: Duration,
    /// Wait after an epoch's end before scoring it, for late reports.
    pub close_grace: Duration,
    /// The token price this oracle posts (micro-USD per whole token), if it runs
    /// the price feed (a burn needs a price younger than the chain's
    /// `price_max_age_ms`).
    pub price_micro_usd: Option<u64>,
    /// How often the price is posted.
    pub price_interval: Duration,
    /// The other oracles of the set (their HTTP API), asked to co-sign prices when
    /// the chain needs more signatures than this oracle's own.
    pub peers: Vec<String>,
    /// How far a proposed price may be from this oracle's own for it to co-sign,
    /// in basis points.
    pub price_tolerance_bps: u32,
    /// Storage providers challenged at once; each batch has the network's
    /// `answer_timeout_ms` from its start.
    pub storage_providers_at_once: usize,
    /// How often the peers' spools are read for batches this oracle lacks.
    pub exchange_interval: Duration,
    /// How long after an epoch's cut-off its first proposer proposes (the peers'
    /// last batches reach it meanwhile).
    pub propose_after: Duration,
    /// How long the members wait for an epoch's proposer before the next one in
    /// the epoch's order proposes too.
    pub proposal_timeout: Duration,
    /// Makes this oracle lie, for tests and drills ([`crate::adversary`]).
    pub adversary: Option<crate::adversary::Adversary>,
    /// Writes each closed epoch of every report-based network as a family ABI
    /// input (`<data_dir>/family-inputs/<network>/<epoch>.input`), what
    /// `plinth family test MODULE --inputs DIR` replays.
    pub record_family_inputs: bool,
}

impl OracleConfig {
    /// The defaults, with the data directory and the node's URL.
    pub fn new(data_dir: PathBuf, node: String) -> Self {
        OracleConfig {
            data_dir,
            node,
            max_skew_ms: 30_000,
            registry_refresh: Duration::from_secs(2),
            probe_interval: Duration::from_secs(10),
            probe_deadline: Duration::from_secs(5),
            close_grace: Duration::from_secs(3),
            price_micro_usd: None,
            price_interval: Duration::from_secs(60),
            peers: Vec::new(),
            price_tolerance_bps: 200,
            storage_providers_at_once: PROVIDERS_AT_ONCE,
            exchange_interval: Duration::from_secs(1),
            propose_after: Duration::from_secs(2),
            proposal_timeout: Duration::from_secs(10),
            adversary: None,
            record_family_inputs: false,
        }
    }
}
