//! What the oracles read from the chain: the oracle set (in force at an epoch,
//! and its whole schedule) and the device registry's digests by height.
//!
//! - `GET /v1/oracles` — the set in force in the current epoch (the head's);
//!   `?epoch=N` the set in force at epoch `N`; both with the schedule.
//! - `GET /v1/registry` — every network's registry digest as of the head;
//!   `?height=H` as of block `H` (404 `unknown_block` above the head), from the
//!   store's registry index, so an oracle checks the registry snapshot it scored
//!   an epoch over against the block its manifest names.

use crate::api::{
    NetworkRegistryView, OracleSetView, OraclesQuery, OraclesView, RegistryQuery, RegistryView,
};
use crate::query::snapshot;
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::server::extract::Query;
use plinth_api::server::ApiError;
use plinth_ledger::context::head_epoch;
use plinth_ledger::oracle_set::{oracle_schedule, oracle_set_at};
use plinth_ledger::Overlay;
use std::sync::Arc;

/// The oracle and registry routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/oracles", get(oracles))
        .route("/v1/registry", get(registry))
}

async fn oracles(
    State(node): State<Arc<Node>>,
    Query(q): Query<OraclesQuery>,
) -> Result<Json<OraclesView>, ApiError> {
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let epoch = match q.epoch {
        Some(e) => e,
        None => head_epoch(&state, &node.params).map_err(ApiError::internal)?,
    };
    let set = oracle_set_at(&state, epoch).map_err(ApiError::internal)?;
    let schedule = oracle_schedule(&state)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|(from_epoch, s)| OracleSetView {
            from_epoch,
            threshold: s.threshold,
            members: s.members,
        })
        .collect();
    Ok(Json(OraclesView {
        threshold: set.threshold,
        members: set.members,
        epoch,
        schedule,
    }))
}

async fn registry(
    State(node): State<Arc<Node>>,
    Query(q): Query<RegistryQuery>,
) -> Result<Json<RegistryView>, ApiError> {
    let Some(at) = node.store.registry(q.height).map_err(ApiError::internal)? else {
        let head = node.store.head().map_err(ApiError::internal)?.height;
        let height = q.height.unwrap_or(head);
        return Err(ApiError::not_found(
            "unknown_block",
            format!("no block at height {height}: the head is at {head}"),
        ));
    };
    Ok(Json(RegistryView {
        height: at.height,
        time_ms: at.time_ms,
        networks: at
            .networks
            .into_iter()
            .map(|n| NetworkRegistryView {
                network: n.network,
                digest: n.digest,
                devices: n.devices,
            })
            .collect(),
    }))
}
