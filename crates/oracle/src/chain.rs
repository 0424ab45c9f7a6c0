//! The oracle's view of the chain, read from a node's public HTTP API.

use anyhow::{anyhow, Context, Result};
use plinth_core::DeviceId;
use plinth_node::api::{DeviceView, StatusView};
use plinth_proofs::DeviceInfo;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A network as the oracle scores it.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct NetworkInfo {
    pub name: String,
    pub family: String,
    #[serde(default)]
    pub params: serde_json::Value,
    #[serde(default)]
    pub share_bps: u32,
    /// The part of the share paid by credits earned (usage rewards).
    #[serde(default)]
    pub usage_bps: u32,
}

/// The network parameter (beside the family's own, in the network's `params`)
/// that caps the reports one device may have accepted per epoch.
pub const MAX_REPORTS_PARAM: &str = "max_reports_per_epoch";

impl NetworkInfo {
    /// The network's proof family, from its parameters less the oracle's own
    /// ([`MAX_REPORTS_PARAM`]).
    pub fn family(&self) -> Result<plinth_proofs::Family, plinth_proofs::FamilyError> {
        let mut params = self.params.clone();
        if let Some(o) = params.as_object_mut() {
            o.remove(MAX_REPORTS_PARAM);
        }
        plinth_proofs::Family::from_network(&self.family, &params.to_string())
    }

    /// How many reports one device may have accepted per epoch (of `epoch_ms`):
    /// the network's [`MAX_REPORTS_PARAM`], or by default what its family can
    /// use, with room to spare ([`default_max_reports`]).
    pub fn max_reports_per_epoch(&self, epoch_ms: u64) -> Result<u64> {
        match self.params.get(MAX_REPORTS_PARAM) {
            Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                anyhow!(
                    "network `{}`: {MAX_REPORTS_PARAM} must be a positive integer, found {v}",
                    self.name
                )
            }),
            None => Ok(self
                .family()
                .map(|f| default_max_reports(&f, epoch_ms))
                .unwrap_or(DEFAULT_MAX_REPORTS)),
        }
    }
}

/// The per-device report cap of a network whose family the oracle does not score.
pub const DEFAULT_MAX_REPORTS: u64 = 1024;

/// What a device of `family` can usefully send in an epoch of `epoch_ms`, with
/// room to spare: uptime, two heartbeats per interval and a probe answer a
/// second; sensor, a reading a second or four times the expected readings;
/// coverage, a beacon and 256 witnesses per round; storage, nothing (providers
/// are challenged, they do not report). Each plus 64.
pub fn default_max_reports(family: &plinth_proofs::Family, epoch_ms: u64) -> u64 {
    use plinth_proofs::Family;
    let seconds = epoch_ms.div_ceil(1000);
    64 + match family {
        Family::Uptime(p) => 2 * (epoch_ms / (p.heartbeat_interval_s.max(1) * 1000) + 1) + seconds,
        Family::Sensor(p) => seconds.max(p.expected_readings.saturating_mul(4)),
        Family::Coverage(p) => p.rounds_per_epoch.saturating_mul(257),
        Family::Storage(_) => 0,
    }
}

/// A blocking client of a node (call from blocking threads).
#[derive(Clone)]
pub struct NodeClient {
    base: String,
    agent: ureq::Agent,
}

impl NodeClient {
    pub fn new(base: &str) -> NodeClient {
        NodeClient {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(20))
                .build(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}{}", self.base, path);
        match self.agent.get(&url).call() {
            Ok(r) => r.into_json().with_context(|| format!("reading {url}")),
            Err(ureq::Error::Status(code, r)) => Err(anyhow!(
                "node answered {code} to {path}: {}",
                r.into_string().unwrap_or_default()
            )),
            Err(e) => Err(anyhow!("cannot reach the node at {}: {e}", self.base)),
        }
    }

    /// GET that maps 404 to `None`.
    pub fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let url = format!("{}{}", self.base, path);
        match self.agent.get(&url).call() {
            Ok(r) => Ok(Some(
                r.into_json().with_context(|| format!("reading {url}"))?,
            )),
            Err(ureq::Error::Status(404, _)) => Ok(None),
            Err(ureq::Error::Status(code, r)) => Err(anyhow!(
                "node answered {code} to {path}: {}",
                r.into_string().unwrap_or_default()
            )),
            Err(e) => Err(anyhow!("cannot reach the node at {}: {e}", self.base)),
        }
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> Result<T> {
        let url = format!("{}{}", self.base, path);
        match self.agent.post(&url).send_json(body) {
            Ok(r) => r.into_json().with_context(|| format!("reading {url}")),
            Err(ureq::Error::Status(code, r)) => Err(anyhow!(
                "node answered {code} to {path}: {}",
                r.into_string().unwrap_or_default()
            )),
            Err(e) => Err(anyhow!("cannot reach the node at {}: {e}", self.base)),
        }
    }

    pub fn status(&self) -> Result<StatusView> {
        self.get("/v1/status")
    }

    pub fn networks(&self) -> Result<Vec<NetworkInfo>> {
        self.get("/v1/networks")
    }

    /// Every registered device, with its network (paged through the node's API).
    pub fn devices(&self) -> Result<Vec<(String, DeviceInfo)>> {
        const PAGE: usize = 10_000;
        let mut out = Vec::new();
        let mut after: Option<DeviceId> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/v1/devices?limit={PAGE}&after={a}"),
                None => format!("/v1/devices?limit={PAGE}"),
            };
            let views: Vec<DeviceView> = self.get(&path)?;
            let n = views.len();
            after = views.last().map(|v| v.id);
            out.extend(views.into_iter().filter_map(view_to_info));
            if n < PAGE {
                return Ok(out);
            }
        }
    }
}

pub fn view_to_info(v: DeviceView) -> Option<(String, DeviceInfo)> {
    let cell = v.location.parse::<h3o::CellIndex>().ok()?;
    Some((
        v.network,
        DeviceInfo {
            id: v.id,
            owner: v.owner,
            location: u64::from(cell),
            active: v.status == plinth_ledger::devices::DeviceStatus::Active,
        },
    ))
}

/// Parses a device id, for HTTP paths.
pub fn parse_device(s: &str) -> Result<DeviceId> {
    s.parse::<DeviceId>().map_err(|e| anyhow!(e))
}
