//! The storage part of the HTTP API: provider offers, deals, per-epoch usage.
//!
//! - `GET /v1/storage/offers` — providers' offers in device order (`?network=`,
//!   `limit` 1..=10,000, `after` a device id).
//! - `GET /v1/storage/offers/{device}` — one provider's offer, with its owner.
//! - `GET /v1/deals/{id}` — one deal.
//! - `GET /v1/deals?consumer=ADDR | provider=DEVICE | network=NAME` — deals of a
//!   consumer or provider (all states), or a network's active deals, in id order;
//!   `limit` (at most 10,000) and `after` (a deal id) page through them.
//! - `GET /v1/storage/usage/{network}/{epoch}` — credits used and refunded.

use crate::query::{parse, snapshot};
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, DeviceId, Hash};
use plinth_ledger::storage::{self, Deal, EpochUsage, StorageOffer};
use plinth_ledger::{keys, Overlay};
use plinth_store::Snapshot;
use serde::Deserialize;
use std::sync::Arc;

/// The storage routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/storage/offers", get(offers))
        .route("/v1/storage/offers/{device}", get(offer))
        .route("/v1/storage/usage/{network}/{epoch}", get(usage))
        .route("/v1/deals", get(deals))
        .route("/v1/deals/{id}", get(deal))
}

/// A provider's offer as the API shows it ([`plinth_api::node::OfferView`]).
pub use plinth_api::node::OfferView;

fn offer_view(snap: &Snapshot, o: StorageOffer) -> Result<Option<OfferView>, ApiError> {
    let Some(d) =
        plinth_ledger::devices::load(&Overlay::new(snap), &o.device).map_err(ApiError::internal)?
    else {
        return Ok(None);
    };
    Ok(Some(OfferView {
        owner: d.owner,
        network: d.network,
        device_active: d.status == plinth_ledger::devices::DeviceStatus::Active,
        offer: o,
    }))
}

#[derive(Deserialize)]
struct OffersQuery {
    network: Option<String>,
    limit: Option<u64>,
    /// Page after this provider device (offers come in device order).
    after: Option<String>,
}

/// Largest `limit` of `/v1/storage/offers` and `/v1/deals`.
pub const MAX_PAGE: usize = 10_000;

/// Most offers read to answer one request (those of other networks included).
const MAX_OFFERS_SCANNED: usize = 100_000;

async fn offers(
    State(node): State<Arc<Node>>,
    Query(q): Query<OffersQuery>,
) -> Result<Json<Vec<OfferView>>, ApiError> {
    let limit = page_limit(q.limit, 1000, MAX_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let mut after = match &q.after {
        Some(a) => Some(keys::storage_offer(
            parse::<DeviceId>(a, "invalid_device_id")?.key(),
        )),
        None => None,
    };
    let snap = snapshot(&node)?;
    let mut out = Vec::new();
    let mut scanned = 0;
    // The network filter applies while scanning, so a page holds `limit` offers
    // of the network (unless the offers run out).
    while out.len() < limit && scanned < MAX_OFFERS_SCANNED {
        let rows = snap
            .scan_after(keys::STORAGE_OFFER_PREFIX, after.as_deref(), limit)
            .map_err(ApiError::internal)?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.clone());
        scanned += rows.len();
        let n = rows.len();
        for (_, v) in rows {
            let o: StorageOffer = borsh::from_slice(&v).map_err(ApiError::internal)?;
            if let Some(view) = offer_view(&snap, o)? {
                if q.network.as_ref().is_none_or(|n| *n == view.network) && out.len() < limit {
                    out.push(view);
                }
            }
        }
        if n < limit {
            break;
        }
    }
    Ok(Json(out))
}

async fn offer(
    State(node): State<Arc<Node>>,
    Path(device): Path<String>,
) -> Result<Json<OfferView>, ApiError> {
    let device: DeviceId = parse(&device, "invalid_device_id")?;
    let snap = snapshot(&node)?;
    let o = storage::offer(&Overlay::new(&snap), &device).map_err(ApiError::internal)?;
    let view = match o {
        Some(o) => offer_view(&snap, o)?,
        None => None,
    };
    view.map(Json).ok_or_else(|| {
        ApiError::not_found(
            "no_storage_offer",
            format!("device {device} offers no storage"),
        )
    })
}

async fn deal(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<Deal>, ApiError> {
    let id: Hash = parse(&id, "invalid_deal_id")?;
    let snap = snapshot(&node)?;
    storage::deal(&Overlay::new(&snap), &id)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("unknown_deal", format!("no deal {id}")))
}

#[derive(Deserialize)]
struct DealsQuery {
    consumer: Option<String>,
    provider: Option<String>,
    network: Option<String>,
    limit: Option<u64>,
    /// Page after this deal id (deals come in id order).
    after: Option<String>,
}

async fn deals(
    State(node): State<Arc<Node>>,
    Query(q): Query<DealsQuery>,
) -> Result<Json<Vec<Deal>>, ApiError> {
    let limit = page_limit(q.limit, 1000, MAX_PAGE)?;
    let prefix = match (&q.consumer, &q.provider, &q.network) {
        (Some(c), None, None) => {
            keys::deals_of_consumer(parse::<Address>(c, "invalid_address")?.key())
        }
        (None, Some(p), None) => {
            keys::deals_of_provider(parse::<DeviceId>(p, "invalid_device_id")?.key())
        }
        (None, None, Some(n)) => keys::active_deals(network_name(n)?),
        _ => {
            return Err(ApiError::bad_request(
                "bad_query",
                "give exactly one of consumer, provider or network",
            ))
        }
    };
    let after = match &q.after {
        Some(a) => {
            let id: Hash = parse(a, "invalid_deal_id")?;
            let mut k = prefix.clone();
            k.extend_from_slice(id.as_bytes());
            Some(k)
        }
        None => None,
    };
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let mut out = Vec::new();
    for (k, _) in snap
        .scan_after(&prefix, after.as_deref(), limit)
        .map_err(ApiError::internal)?
    {
        let id: [u8; 32] = k[k.len() - 32..].try_into().expect("deal index layout");
        if let Some(d) = storage::deal(&state, &Hash(id)).map_err(ApiError::internal)? {
            out.push(d);
        }
    }
    Ok(Json(out))
}

async fn usage(
    State(node): State<Arc<Node>>,
    Path((network, epoch)): Path<(String, u64)>,
) -> Result<Json<EpochUsage>, ApiError> {
    network_name(&network)?;
    let snap = snapshot(&node)?;
    storage::usage(&Overlay::new(&snap), &network, epoch)
        .map(Json)
        .map_err(ApiError::internal)
}
