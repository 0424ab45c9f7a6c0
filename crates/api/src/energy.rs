//! The node's energy API (`/v1/energy…`): the JSON shapes it answers with and the
//! query strings it takes, shared by the node, the CLI, the oracle and the
//! devnet's homes. Documented for other languages in `crates/node/openapi.yaml`.
//!
//! ```text
//!  /v1/energy/{network}/market                 MarketView (params, clock, last clearing per zone)
//!  /v1/energy/{network}/clearings              ZoneClearing (by interval, zone), paged
//!  /v1/energy/{network}/generation/{epoch}     GenerationView (verified Wh per meter), paged
//!  /v1/energy/orders                           Order, paged (by sequence)
//!  /v1/energy/orders/{seq}                     Order
//!  /v1/energy/meters/{device}                  MeterView
//!  /v1/energy/meters/{device}/trades           TradeRecord (settled), paged
//!  /v1/energy/certificates[/{id}]              Certificate, paged (by id)
//! ```
//!
//! Zones and sites are H3 cells, shown in their usual hex form beside the
//! number; lists are paged with `after` (the last item's sequence, id or
//! device, or `interval:zone` / `interval:order`) and `limit`.

use plinth_core::{Address, DeviceId};
use plinth_ledger::energy::{MarketState, Meter, ZoneClearing};
use plinth_proofs::energy::EnergyParams;
use serde::{Deserialize, Serialize};

/// An energy network's market as `GET /v1/energy/{network}/market` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketView {
    /// The network.
    pub network: String,
    /// Its parameters.
    pub params: EnergyParams,
    /// The chain's genesis time: interval `i` starts at `genesis_time_ms + i ×
    /// interval_ms`.
    pub genesis_time_ms: u64,
    /// The interval the head is in.
    pub interval_now: u64,
    /// The first interval still taking orders.
    pub first_open: u64,
    /// The market's clock, balancing account and open orders.
    #[serde(flatten)]
    pub market: MarketState,
    /// The last interval that cleared, each zone's clearing (zones that had
    /// orders).
    pub last_cleared: Vec<ZoneView>,
}

/// A zone's clearing with its cell in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneView {
    /// The zone, H3 hex.
    pub zone_hex: String,
    /// Its clearing.
    #[serde(flatten)]
    pub clearing: ZoneClearing,
}

impl From<ZoneClearing> for ZoneView {
    fn from(clearing: ZoneClearing) -> Self {
        ZoneView {
            zone_hex: format!("{:x}", clearing.zone),
            clearing,
        }
    }
}

/// The query of `GET /v1/energy/{network}/clearings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClearingsQuery {
    /// From this interval on (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// Only this zone (H3 hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Page after this `interval:zone_hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`crate::compute::DEFAULT_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// A meter's verified generation in an epoch, Wh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationView {
    /// The meter.
    pub device: DeviceId,
    /// Verified generation, Wh.
    pub wh: u64,
}

/// The query of `GET /v1/energy/orders`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnergyOrdersQuery {
    /// Only this network's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Only this meter's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter: Option<String>,
    /// Only this account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Only orders in this status (`open`, `done`, `cancelled`, `out_of_credits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Page after this sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Most items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// A meter as `GET /v1/energy/meters/{device}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterView {
    /// The meter.
    #[serde(flatten)]
    pub meter: Meter,
    /// Its owner.
    pub owner: Address,
    /// Its site, H3 hex.
    pub site_hex: String,
    /// Its zone, H3 hex.
    pub zone_hex: String,
}

/// A list query of `after` and `limit` (trades: `after` is `interval:order`;
/// certificates: an id; generation: a device).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PageQuery {
    /// Page after this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/energy/certificates`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CertificatesQuery {
    /// Only those this account holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Page after this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Most items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}
