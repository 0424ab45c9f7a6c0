//! The oracle's Prometheus metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

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
        Metrics { registry, ..m }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("string write");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
