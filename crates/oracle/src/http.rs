//! The oracle's HTTP API: report ingest, challenges, the spool (for auditors),
//! manifests and reward proofs (for wallets), price co-signing (for the other
//! oracles of the set, see [`crate::cosign`]), metrics. Described in
//! `crates/oracle/openapi.yaml`, served at `/v1/openapi.yaml`; every error is the
//! node API's JSON error body (`{"error": {"code", "message"}}`).

use crate::{now_ms, Oracle, Verdict, VerdictStatus};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plinth_core::Hash;
use plinth_node::extract::{network_name, Path};
use plinth_node::rpc::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most reports in one request.
pub const MAX_REPORTS: usize = 20_000;
/// Largest request body.
pub const MAX_BODY: usize = 48 * 1024 * 1024;
/// The OpenAPI description of this API.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsRequest {
    /// Hex of each report's canonical encoding.
    pub reports: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReportsResponse {
    pub accepted: usize,
    pub results: Vec<Verdict>,
}

/// A JSON error response (the node API's [`ApiError`] body).
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    ApiError::new(status, code, message).into_response()
}

pub fn router(oracle: Arc<Oracle>) -> Router {
    Router::new()
        .route(
            "/v1/reports",
            post(reports).layer(DefaultBodyLimit::max(MAX_BODY)).layer(
                axum::middleware::from_fn_with_state(
                    MAX_BODY,
                    plinth_node::limit::refuse_oversized,
                ),
            ),
        )
        .route("/v1/status", get(status))
        .route("/v1/cosign/price", post(cosign_price))
        .route("/v1/challenges/{device}", get(challenges))
        .route("/v1/rounds/{network}", get(rounds))
        .route("/v1/spool/{epoch}", get(spool_list))
        .route("/v1/spool/{epoch}/{hash}", get(spool_batch))
        .route("/v1/manifests", get(manifest_list))
        .route("/v1/manifests/{network}/{epoch}", get(manifest))
        .route("/v1/rewards/{owner}", get(rewards))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.yaml", get(openapi))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; see /v1/openapi.yaml",
            )
        })
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(plinth_node::extract::json_errors))
        .with_state(oracle)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML).into_response()
}

async fn reports(State(o): State<Arc<Oracle>>, body: Result<Bytes, BytesRejection>) -> Response {
    let bytes = match body {
        Ok(b) => b,
        Err(r) => {
            let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "bad_body"
            };
            return error(r.status(), code, r.body_text());
        }
    };
    let req: ReportsRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed_json", e.to_string()),
    };
    if req.reports.len() > MAX_REPORTS {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_reports",
            format!(
                "at most {MAX_REPORTS} reports per request, found {}",
                req.reports.len()
            ),
        );
    }
    // Hex errors are answered in place; the rest go to the ingest worker.
    let decoded: Vec<Result<Vec<u8>, String>> = req
        .reports
        .iter()
        .map(|h| hex::decode(h.trim()).map_err(|e| format!("report is not hex: {e}")))
        .collect();
    let raw: Vec<Vec<u8>> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    let mut verdicts = o.submit(raw).await.into_iter();
    let mut results = Vec::with_capacity(decoded.len());
    for d in decoded {
        results.push(match d {
            Ok(_) => verdicts.next().expect("one verdict per report"),
            Err(reason) => Verdict {
                hash: None,
                status: VerdictStatus::Rejected,
                code: Some("malformed".into()),
                reason: Some(reason),
            },
        });
    }
    let accepted = results
        .iter()
        .filter(|v| v.status == VerdictStatus::Accepted)
        .count();
    Json(ReportsResponse { accepted, results }).into_response()
}

/// Another oracle's price to co-sign ([`crate::cosign::CosignRequest`]: the price
/// and the requester's own signature over it): the signature, or a 422 (403 for a
/// requester outside the oracle set or a bad signature, 503 when the oracle set
/// cannot be read) whose code says why not.
async fn cosign_price(
    State(o): State<Arc<Oracle>>,
    body: Result<Json<crate::cosign::CosignRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    let answer = tokio::task::spawn_blocking(move || o.cosign_price(&req, now_ms())).await;
    match answer {
        Ok(Ok(sig)) => Json(sig).into_response(),
        Ok(Err(r)) => {
            use crate::cosign::CosignRefusal as R;
            let status = match r {
                R::BadSignature { .. } | R::NotAnOracle { .. } | R::FromSelf => {
                    StatusCode::FORBIDDEN
                }
                R::OracleSetUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            error(status, r.code(), r.to_string())
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn status(State(o): State<Arc<Oracle>>) -> Response {
    let now = now_ms();
    Json(serde_json::json!({
        "chain_id": o.chain_id,
        "oracle": o.address(),
        "epoch": o.clock.epoch_of(now),
        "epoch_ms": o.clock.epoch_ms,
        "genesis_time_ms": o.clock.genesis_time_ms,
        "networks": o.networks,
    }))
    .into_response()
}

async fn challenges(State(o): State<Arc<Oracle>>, Path(device): Path<String>) -> Response {
    match crate::chain::parse_device(&device) {
        Ok(d) => Json(o.challenges_for(&d, now_ms())).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "invalid_device_id", e.to_string()),
    }
}

async fn rounds(State(o): State<Arc<Oracle>>, Path(network): Path<String>) -> Response {
    if let Err(e) = network_name(&network) {
        return e.into_response();
    }
    match o.rounds_of(&network) {
        Some(rounds) => {
            Json(serde_json::json!({"network": network, "rounds": rounds})).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "unknown_network",
            format!(
                "no coverage network `{}`",
                network.chars().take(64).collect::<String>()
            ),
        ),
    }
}

async fn spool_list(State(o): State<Arc<Oracle>>, Path(epoch): Path<u64>) -> Response {
    match o.spool.batches(epoch) {
        Ok(b) => Json(b).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn spool_batch(
    State(o): State<Arc<Oracle>>,
    Path((epoch, hash)): Path<(u64, String)>,
) -> Response {
    let Ok(hash) = hash.parse::<Hash>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_hash",
            "expected 64 hex characters",
        );
    };
    match o.spool.read_raw(epoch, &hash) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Err(crate::spool::SpoolError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => error(
            StatusCode::NOT_FOUND,
            "unknown_batch",
            format!("no batch {hash} in epoch {epoch}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn metrics(State(o): State<Arc<Oracle>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        o.metrics.render(),
    )
        .into_response()
}

async fn manifest_list(State(o): State<Arc<Oracle>>) -> Response {
    match o.manifests() {
        Ok(list) => Json(
            list.into_iter()
                .map(|(network, epoch)| serde_json::json!({"network": network, "epoch": epoch}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn manifest(
    State(o): State<Arc<Oracle>>,
    Path((network, epoch)): Path<(String, u64)>,
) -> Response {
    // The name becomes a file path: only network names (no `/`, no `..`).
    if let Err(e) = network_name(&network) {
        return e.into_response();
    }
    match o.manifest(&network, epoch) {
        Ok(Some(m)) => Json(m).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "unknown_manifest",
            format!("no manifest for network `{network}` epoch {epoch}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn rewards(State(o): State<Arc<Oracle>>, Path(owner): Path<String>) -> Response {
    let owner: plinth_core::Address = match owner.parse() {
        Ok(a) => a,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_address", format!("{e}")),
    };
    let o2 = o.clone();
    match tokio::task::spawn_blocking(move || o2.rewards_of(&owner)).await {
        Ok(Ok(r)) => Json(r).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}
