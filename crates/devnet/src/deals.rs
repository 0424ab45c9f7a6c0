//! The ledger's storage deals as a provider's agent sees them.

use plinth_api::NodeClient;
use plinth_core::{DeviceId, Hash};
use plinth_ledger::storage::DealStatus;
use plinth_storage::agent::{DealInfo, DealSource, DealSourceError};

/// The ledger as the agent's [`DealSource`]: `GET /v1/deals/{id}` on a node. A deal
/// counts only if it is active and its provider is this agent's device.
pub struct NodeDealSource {
    client: NodeClient,
    device: DeviceId,
}

impl NodeDealSource {
    /// The deals of `device` on the node at `node` (its HTTP API's base URL).
    pub fn new(node: &str, device: DeviceId) -> NodeDealSource {
        NodeDealSource {
            client: NodeClient::new(node),
            device,
        }
    }
}

impl DealSource for NodeDealSource {
    fn deal(&self, id: &Hash) -> Result<Option<DealInfo>, DealSourceError> {
        match self.client.deal(id) {
            Ok(Some(d))
                if matches!(d.status, DealStatus::Pending | DealStatus::Active)
                    && d.provider == self.device =>
            {
                Ok(Some(DealInfo {
                    manifest: d.manifest,
                }))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(DealSourceError(e.into())),
        }
    }
}
