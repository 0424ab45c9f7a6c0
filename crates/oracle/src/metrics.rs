//! The oracle's Prometheus metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::path::Path;

/// Labels of accepted reports.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The report's network.
    pub network: String,
    /// The report's kind (`heartbeat`, `reading`, …).
    pub kind: String,
}

/// Labels of refused reports.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// The refusal's code.
    pub reason: String,
}

/// Every metric the oracle exports (`plinth_oracle_*`).
pub struct Metrics {
    registry: Registry,
    /// Reports accepted into the spool, by network and kind.
    pub accepted: Family<KindLabel, Counter>,
    /// Reports refused, by reason.
    pub rejected: Family<ReasonLabel, Counter>,
    /// Spool batches of reports written.
    pub spool_batches: Counter,
    /// Epochs scored and published.
    pub epochs_closed: Counter,
    /// Registered devices known to the oracle.
    pub registry_devices: Gauge,
    /// Input batches taken from peers.
    pub peer_batches: Counter,
    /// Batches from peers refused (reports failing admission, corrupt).
    pub peer_batches_refused: Counter,
    /// Manifests of other members this oracle recomputed and co-signed.
    pub manifests_cosigned: Counter,
    /// Manifest proposals this oracle refused to co-sign, by reason.
    pub cosign_refusals: Family<ReasonLabel, Counter>,
    /// Epochs a custom (`wasm`) family failed to score (retried), by code
    /// (`out_of_fuel`, `trap`, `task_failed:<n>`, `bad_output`, …).
    pub family_failures: Family<ReasonLabel, Counter>,
    /// The current reward epoch by the oracle's clock (set by each close pass).
    pub epoch_current: Gauge,
    /// The last epoch closed: every scored network of every epoch up to it
    /// has a manifest here (within the ledger's age window); −1 before any.
    pub epoch_last_closed: Gauge,
    /// Seconds the oldest epoch without its manifests is past its cut-off
    /// (end + close grace); 0 while none is late.
    pub epoch_close_overdue: Gauge,
    /// Reports submitted (HTTP, MQTT) the ingest worker has not taken yet.
    pub ingest_queue: Gauge,
    /// Bytes free for the oracle on its data directory's filesystem (set at
    /// each scrape, [`Metrics::observe_disk`]).
    pub disk_available: Gauge,
    /// Size in bytes of the data directory's filesystem.
    pub disk_size: Gauge,
}

impl Metrics {
    /// Every metric at zero, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plinth_oracle");
        let m = Metrics {
            accepted: Family::default(),
            rejected: Family::default(),
            spool_batches: Counter::default(),
            epochs_closed: Counter::default(),
            registry_devices: Gauge::default(),
            peer_batches: Counter::default(),
            peer_batches_refused: Counter::default(),
            manifests_cosigned: Counter::default(),
            cosign_refusals: Family::default(),
            family_failures: Family::default(),
            epoch_current: Gauge::default(),
            epoch_last_closed: Gauge::default(),
            epoch_close_overdue: Gauge::default(),
            ingest_queue: Gauge::default(),
            disk_available: Gauge::default(),
            disk_size: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "reports_accepted",
            "Reports accepted into the spool",
            m.accepted.clone(),
        );
        registry.register(
            "reports_rejected",
            "Reports refused, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "spool_batches",
            "Spool batches written",
            m.spool_batches.clone(),
        );
        registry.register(
            "family_failures",
            "Epochs a custom family failed to score, by code (retried)",
            m.family_failures.clone(),
        );
        registry.register(
            "epochs_closed",
            "Epochs scored and submitted",
            m.epochs_closed.clone(),
        );
        registry.register(
            "registry_devices",
            "Registered devices known to the oracle",
            m.registry_devices.clone(),
        );
        registry.register(
            "peer_batches",
            "Input batches taken from peer oracles",
            m.peer_batches.clone(),
        );
        registry.register(
            "peer_batches_refused",
            "Batches from peer oracles refused",
            m.peer_batches_refused.clone(),
        );
        registry.register(
            "manifests_cosigned",
            "Manifests of other oracles recomputed and co-signed",
            m.manifests_cosigned.clone(),
        );
        registry.register(
            "cosign_refusals",
            "Manifest proposals refused, by reason",
            m.cosign_refusals.clone(),
        );
        registry.register(
            "epoch_current",
            "The current reward epoch by the oracle's clock",
            m.epoch_current.clone(),
        );
        registry.register(
            "epoch_last_closed",
            "The last epoch every scored network has a manifest of (-1: none)",
            m.epoch_last_closed.clone(),
        );
        registry.register(
            "epoch_close_overdue_seconds",
            "Seconds the oldest epoch without manifests is past its cut-off (0: none late)",
            m.epoch_close_overdue.clone(),
        );
        registry.register(
            "ingest_queue_reports",
            "Reports submitted and not yet taken by the ingest worker",
            m.ingest_queue.clone(),
        );
        registry.register(
            "data_dir_available_bytes",
            "Bytes free for the oracle on its data directory's filesystem",
            m.disk_available.clone(),
        );
        registry.register(
            "data_dir_size_bytes",
            "Size of the data directory's filesystem in bytes",
            m.disk_size.clone(),
        );
        m.epoch_last_closed.set(-1);
        Metrics { registry, ..m }
    }

    /// Sets the disk gauges from the filesystem holding `data_dir`; leaves them
    /// as they are if it cannot be read (or off unix).
    pub fn observe_disk(&self, data_dir: &Path) {
        if let Some((available, size)) = filesystem_space(data_dir) {
            self.disk_available.set(available);
            self.disk_size.set(size);
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("string write");
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
