//! The oracle's view of the chain, read from a node's public API through
//! [`plinth_api::NodeClient`]: the device registry as the proof families want
//! it, and the networks the oracle scores.

use anyhow::{anyhow, Result};
use plinth_api::NodeClient;
use plinth_core::DeviceId;
use plinth_proofs::DeviceInfo;
use std::time::Duration;

pub use plinth_api::node::{default_max_reports, DEFAULT_MAX_REPORTS, MAX_REPORTS_PARAM};

/// A network as the oracle scores it: the node's [`plinth_api::node::NetworkView`]
/// (its family with [`NetworkInfo::family`], its report cap with
/// [`NetworkInfo::max_reports_per_epoch`]).
pub type NetworkInfo = plinth_api::node::NetworkView;

/// How long the oracle waits for its node.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(20);

/// A client of the oracle's node, waiting at most [`NODE_TIMEOUT`].
pub fn node_client(url: &str) -> NodeClient {
    NodeClient::with_timeout(url, NODE_TIMEOUT)
}

/// Every registered device, with its network, as the proof families see it
/// (paged through the node's API; devices whose cell does not parse are left
/// out).
pub fn registry(node: &NodeClient) -> Result<Vec<(String, DeviceInfo)>> {
    Ok(node
        .all_devices()?
        .into_iter()
        .filter_map(view_to_info)
        .collect())
}

/// A device as the node's API shows it, as the proof families see it.
pub fn view_to_info(v: plinth_api::node::DeviceView) -> Option<(String, DeviceInfo)> {
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
