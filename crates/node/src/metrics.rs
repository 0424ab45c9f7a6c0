//! Prometheus metrics, served at `/metrics`.

use crate::SubmitError;
use plinth_ledger::Block;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::path::Path;
use std::time::Duration;

/// The label of a rejected-transaction count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The rejection's code ([`error_code`]).
    pub reason: String,
}

/// The label of an HTTP request count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Code {
    /// The response's status code (`200`, `404`, …).
    pub code: String,
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
    /// HTTP requests answered, by status code.
    pub http_requests: Family<Code, Counter>,
    /// Time to answer an HTTP request, up to the response's head (a stream's
    /// body, `/v1/events`', is not timed).
    pub http_seconds: Histogram,
    /// Bytes free for the node on its data directory's filesystem (set at
    /// each scrape, [`Metrics::observe_disk`]).
    pub disk_available: Gauge,
    /// Size in bytes of the data directory's filesystem.
    pub disk_size: Gauge,
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
        let http_requests = Family::<Code, Counter>::default();
        let http_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        let disk_available = Gauge::default();
        let disk_size = Gauge::default();
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
        registry.register(
            "http_requests",
            "HTTP requests answered, by status code",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, up to the response's head",
            http_seconds.clone(),
        );
        registry.register(
            "data_dir_available_bytes",
            "Bytes free for the node on its data directory's filesystem",
            disk_available.clone(),
        );
        registry.register(
            "data_dir_size_bytes",
            "Size of the data directory's filesystem in bytes",
            disk_size.clone(),
        );
        Metrics {
            registry,
            height,
            mempool_size,
            blocks,
            txs_committed,
            txs_rejected,
            block_seconds,
            http_requests,
            http_seconds,
            disk_available,
            disk_size,
        }
    }

    /// Counts an HTTP request answered with `status` after `took`.
    pub fn http_request(&self, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&Code {
                code: status.to_string(),
            })
            .inc();
        self.http_seconds.observe(took.as_secs_f64());
    }

    /// Sets the disk gauges from the filesystem holding `data_dir`; leaves them
    /// as they are if it cannot be read (or off unix).
    pub fn observe_disk(&self, data_dir: &Path) {
        if let Some((available, size)) = filesystem_space(data_dir) {
            self.disk_available.set(available);
            self.disk_size.set(size);
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

/// Bytes free to unprivileged users and the size, in bytes, of the filesystem
/// holding `path` (`statvfs`: `f_bavail` and `f_blocks` × `f_frsize`).
#[cfg(unix)]
fn filesystem_space(path: &Path) -> Option<(i64, i64)> {
    let s = rustix::fs::statvfs(path).ok()?;
    let bytes = |blocks: u64| i64::try_from(blocks.saturating_mul(s.f_frsize)).unwrap_or(i64::MAX);
    Some((bytes(s.f_bavail), bytes(s.f_blocks)))
}

/// Not measured off unix.
#[cfg(not(unix))]
fn filesystem_space(_path: &Path) -> Option<(i64, i64)> {
    None
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
