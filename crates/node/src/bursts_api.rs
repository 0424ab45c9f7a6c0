//! Bursts in the HTTP API: what consumers, mappers, the devnet's claimer and the
//! explorer read of the ledger's bursts ([`plinth_ledger::bursts`]).
//!
//! - `GET /v1/bursts[?network=&status=&poster=&after=&limit=]` — bursts in id
//!   order, paged as the compute lists are (at most
//!   [`plinth_api::compute::MAX_COMPUTE_PAGE`] a page).
//! - `GET /v1/bursts/{id}` — one burst; 404 `unknown_burst`.

use crate::compute_api::{after_key, decode, status_filter, Reader};
use crate::query::parse;
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::compute::{BurstView, BurstsQuery, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE};
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, Hash};
use plinth_ledger::bursts::{self, Burst};
use plinth_ledger::keys;
use std::sync::Arc;

/// The burst statuses `?status=` takes.
const STATUSES: &[&str] = &["open", "paid", "refunded"];

/// The burst routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/bursts", get(list))
        .route("/v1/bursts/{id}", get(one))
}

fn view(b: Burst) -> BurstView {
    BurstView {
        tag_hex: format!("{:x}", b.tag),
        burst: b,
    }
}

async fn list(
    State(node): State<Arc<Node>>,
    Query(q): Query<BurstsQuery>,
) -> Result<Json<Vec<BurstView>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let poster = match &q.poster {
        Some(p) => Some(parse::<Address>(p, "invalid_address")?),
        None => None,
    };
    let status = status_filter(q.status.as_deref(), STATUSES, "a burst")?;
    let prefix = keys::BURST_PREFIX;
    let after = match &q.after {
        Some(a) => Some(after_key(
            prefix,
            parse::<Hash>(a, "invalid_burst_id")?.as_bytes(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(prefix, after, limit, |_, v| {
        let b: Burst = decode(v)?;
        let keep = q.network.as_ref().is_none_or(|n| *n == b.network)
            && poster.is_none_or(|p| p == b.poster)
            && status.is_none_or(|s| s == b.status.name());
        Ok(keep.then(|| view(b)))
    })?;
    Ok(Json(out))
}

async fn one(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<BurstView>, ApiError> {
    let id: Hash = parse(&id, "invalid_burst_id")?;
    let r = Reader::open(&node)?;
    let b = bursts::load(&r.state(), &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_burst", format!("no burst {id}")))?;
    Ok(Json(view(b)))
}
