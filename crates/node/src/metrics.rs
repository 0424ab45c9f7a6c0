//! Prometheus metrics, served at `/metrics`.

use crate::SubmitError;
use plinth_ledger::Block;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The label of a rejected-transaction count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The rejection's code ([`error_code`]).
    pub reason: String,
}

/// The node's metrics (served at `/metrics`).
pub struct Metrics {
    registry: Registry,
    /// Height of the head block.
    pub height: Gauge,
    /// Transactions in the mempool.
    pub mempool_size: Gauge,
    /// Blocks committed.
    pub blocks: Counter,
    /// Transactions committed.
    pub txs_committed: Counter,
    /// Transactions rejected, by reason.
    pub txs_rejected: Family<Reason, Counter>,
    /// Time to produce and commit a block.
    pub block_seconds: Histogram,
}

/// The machine-readable code of a submission error (`bad_nonce`, `duplicate`, …).
pub fn error_code(e: &SubmitError) -> String {
    match e {
        SubmitError::Rejected(e) => serde_json::to_value(e)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "rejected".into()),
        SubmitError::Duplicate(_) => "duplicate".into(),
        SubmitError::MempoolFull(_) => "mempool_full".into(),
        SubmitError::SenderQueueFull { .. } => "sender_queue_full".into(),
        SubmitError::Internal(_) => "internal".into(),
    }
}

impl Metrics {
    /// The metrics, registered and at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("plinth");
        let height = Gauge::default();
        let mempool_size = Gauge::default();
        let blocks = Counter::default();
        let txs_committed = Counter::default();
        let txs_rejected = Family::<Reason, Counter>::default();
        let block_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "chain_height",
            "Height of the latest committed block",
            height.clone(),
        );
        registry.register(
            "mempool_transactions",
            "Transactions waiting in the mempool",
            mempool_size.clone(),
        );
        registry.register("blocks", "Blocks committed", blocks.clone());
        registry.register(
            "transactions_committed",
            "Transactions committed in blocks",
            txs_committed.clone(),
        );
        registry.register(
            "transactions_rejected",
            "Transactions refused, by reason",
            txs_rejected.clone(),
        );
        registry.register(
            "block_production_seconds",
            "Time to execute, seal and durably commit a block",
            block_seconds.clone(),
        );
        Metrics {
            registry,
            height,
            mempool_size,
            blocks,
            txs_committed,
            txs_rejected,
            block_seconds,
        }
    }

    /// Counts a rejected transaction under its code.
    pub fn tx_rejected(&self, e: &SubmitError) {
        self.txs_rejected
            .get_or_create(&Reason {
                reason: error_code(e),
            })
            .inc();
    }

    /// Counts a committed block that took `took` to produce and commit.
    pub fn block_committed(&self, block: &Block, took: Duration) {
        self.height.set(block.header.height as i64);
        self.blocks.inc();
        self.txs_committed.inc_by(block.txs.len() as u64);
        self.block_seconds.observe(took.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
