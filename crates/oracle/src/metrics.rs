//! The oracle's Prometheus metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub network: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

pub struct Metrics {
    registry: Registry,
    pub accepted: Family<KindLabel, Counter>,
    pub rejected: Family<ReasonLabel, Counter>,
    pub spool_batches: Counter,
    pub epochs_closed: Counter,
    pub registry_devices: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plinth_oracle");
        let m = Metrics {
            accepted: Family::default(),
            rejected: Family::default(),
            spool_batches: Counter::default(),
            epochs_closed: Counter::default(),
            registry_devices: Gauge::default(),
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
            "epochs_closed",
            "Epochs scored and submitted",
            m.epochs_closed.clone(),
        );
        registry.register(
            "registry_devices",
            "Registered devices known to the oracle",
            m.registry_devices.clone(),
        );
        Metrics { registry, ..m }
    }

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
