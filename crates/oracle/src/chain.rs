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
