//! The oracle's HTTP API: report ingest, challenges, the spool (for auditors),
//! manifests and reward proofs (for wallets), price co-signing (for the other
//! oracles of the set, see [`crate::cosign`]), metrics. Described in
//! `crates/oracle/openapi.yaml`, served at `/v1/openapi.yaml`; every error is the
//! node API's JSON error body (`{"error": {"code", "message"}}`). The answers are
//! the types of [`plinth_api::oracle`], which the oracle's clients read.

use crate::{now_ms, Oracle, Verdict, VerdictStatus};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plinth_api::oracle::{Challenge, ManifestRef, OracleStatus, RoundsView};
use plinth_api::server::extract::{network_name, Path};
use plinth_api::server::ApiError;
use plinth_core::Hash;
use std::sync::Arc;

pub use plinth_api::oracle::{
    frame_reports, report_frames, FrameError, ManifestPage, ReportsRequest, ReportsResponse,
    REPORTS_BINARY,
};

/// Most reports in one request.
pub const MAX_REPORTS: usize = 20_000;
/// Largest request body.
pub const MAX_BODY: usize = 48 * 1024 * 1024;
/// The OpenAPI description of this API.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

/// A JSON error response (the node API's [`ApiError`] body).
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// Most requests one route serves at once; beyond it a route answers 503
/// `busy` at once rather than queueing (so a flood on one route cannot starve
/// the others or the oracle's own work).
pub const MAX_IN_FLIGHT: usize = 64;
/// Most requests `/v1/reports` serves at once (each may carry
/// [`MAX_REPORTS`] reports, [`MAX_BODY`] bytes).
pub const MAX_REPORT_REQUESTS_IN_FLIGHT: usize = 8;
/// Most manifests `/v1/manifests` lists per page (and the default).
pub const MAX_MANIFESTS_PAGE: usize = 1_000;
/// The largest manifest proposal body (a list of up to
/// [`crate::quorum::MAX_PROPOSAL_BATCHES`] batch hashes).
pub const MAX_PROPOSAL_BODY: usize = 8 * 1024 * 1024;

/// A per-route concurrency limit: 503 JSON `busy` when the route's permits are
/// all taken.
async fn gate(
    State(sem): State<Arc<tokio::sync::Semaphore>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Ok(_permit) = sem.try_acquire_owned() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many requests on this endpoint at once; retry shortly",
        );
    };
    next.run(req).await
}

/// The oracle's API with the default concurrency limits.
pub fn router(oracle: Arc<Oracle>) -> Router {
    router_with_limits(oracle, MAX_IN_FLIGHT, MAX_REPORT_REQUESTS_IN_FLIGHT)
}

/// [`router`] with other concurrency limits per route (tests).
pub fn router_with_limits(
    oracle: Arc<Oracle>,
    per_route: usize,
    reports_per_route: usize,
) -> Router {
    let permits = |n: usize| Arc::new(tokio::sync::Semaphore::new(n));
    let l = || axum::middleware::from_fn_with_state(permits(per_route), gate);
    Router::new()
        .route(
            "/v1/reports",
            post(reports)
                .layer(DefaultBodyLimit::max(MAX_BODY))
                .layer(axum::middleware::from_fn_with_state(
                    MAX_BODY,
                    plinth_api::server::limit::refuse_oversized,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    permits(reports_per_route),
                    gate,
                )),
        )
        .route("/v1/status", get(status).layer(l()))
        .route("/v1/cosign/price", post(cosign_price).layer(l()))
        .route(
            "/v1/cosign/manifest",
            post(cosign_manifest)
                .layer(DefaultBodyLimit::max(MAX_PROPOSAL_BODY))
                .layer(axum::middleware::from_fn_with_state(
                    MAX_PROPOSAL_BODY,
                    plinth_api::server::limit::refuse_oversized,
                ))
                .layer(l()),
        )
        .route("/v1/cosign/settlement", post(cosign_settlement).layer(l()))
        .route("/v1/cosign/verdict", post(cosign_verdict).layer(l()))
        .route("/v1/cosign/checks", post(cosign_checks).layer(l()))
        .route("/v1/cosign/refusals", get(cosign_refusals).layer(l()))
        .route("/v1/challenges/{device}", get(challenges).layer(l()))
        .route("/v1/rounds/{network}", get(rounds).layer(l()))
        .route("/v1/spool/{epoch}", get(spool_list).layer(l()))
        .route("/v1/spool/{epoch}/{hash}", get(spool_batch).layer(l()))
        .route("/v1/manifests", get(manifest_list).layer(l()))
        .route("/v1/manifests/{network}/{epoch}", get(manifest).layer(l()))
        .route(
            "/v1/manifests/{network}/{epoch}/awards/{tag}",
            get(award).layer(l()),
        )
        .route("/v1/rewards/{owner}", get(rewards).layer(l()))
        .route("/metrics", get(metrics).layer(l()))
        .route("/v1/openapi.yaml", get(openapi).layer(l()))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; see /v1/openapi.yaml",
            )
        })
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(
            plinth_api::server::extract::json_errors,
        ))
        .with_state(oracle)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML).into_response()
}

/// `POST /v1/reports`: JSON (`{"reports": [hex, …]}`) or, with the content type
/// [`REPORTS_BINARY`], the reports framed ([`plinth_api::oracle::frame_reports`];
/// each report is then a slice of the body, not a copy). One verdict each.
async fn reports(
    State(o): State<Arc<Oracle>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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
    // Each report's bytes, or why it is not a report (answered in place; the
    // rest go to the ingest worker).
    let decoded: Vec<Result<Bytes, String>> = if is_binary(&headers) {
        match report_frames(&bytes, MAX_REPORTS) {
            Ok(frames) => frames.into_iter().map(|r| Ok(bytes.slice(r))).collect(),
            Err(e @ FrameError::TooMany { .. }) => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_many_reports",
                    e.to_string(),
                )
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, "malformed_body", e.to_string()),
        }
    } else {
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
        req.reports
            .iter()
            .map(|h| {
                hex::decode(h.trim())
                    .map(Bytes::from)
                    .map_err(|e| format!("report is not hex: {e}"))
            })
            .collect()
    };
    let n = decoded.len();
    let mut unreadable = Vec::new();
    let mut raw = Vec::with_capacity(n);
    for (i, d) in decoded.into_iter().enumerate() {
        match d {
            Ok(b) => raw.push(b),
            Err(reason) => unreadable.push((i, reason)),
        }
    }
    let mut verdicts = o.submit(raw).await.into_iter();
    let mut unreadable = unreadable.into_iter().peekable();
    let mut results = Vec::with_capacity(n);
    for i in 0..n {
        results.push(match unreadable.next_if(|(at, _)| *at == i) {
            Some((_, reason)) => Verdict::rejected(None, "malformed", reason),
            None => verdicts.next().expect("one verdict per report"),
        });
    }
    let accepted = results
        .iter()
        .filter(|v| v.status == VerdictStatus::Accepted)
        .count();
    Json(ReportsResponse { accepted, results }).into_response()
}

/// Whether a request's body is binary ([`REPORTS_BINARY`], parameters aside).
fn is_binary(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(REPORTS_BINARY))
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
    Json(OracleStatus {
        chain_id: o.chain_id.clone(),
        chain: o.chain,
        oracle: o.address(),
        epoch: o.clock.epoch_of(now_ms()),
        epoch_ms: o.clock.epoch_ms,
        genesis_time_ms: o.clock.genesis_time_ms,
        networks: o.latest_networks(),
    })
    .into_response()
}

/// A probe as a device sees it.
fn challenge(p: crate::spool::ProbeIssue) -> Challenge {
    Challenge {
        device: p.device,
        challenge: p.challenge,
        issued_ms: p.issued_ms,
        deadline_ms: p.deadline_ms,
    }
}

async fn challenges(State(o): State<Arc<Oracle>>, Path(device): Path<String>) -> Response {
    match crate::chain::parse_device(&device) {
        Ok(d) => Json(
            o.challenges_for(&d, now_ms())
                .into_iter()
                .map(challenge)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "invalid_device_id", e.to_string()),
    }
}

async fn rounds(State(o): State<Arc<Oracle>>, Path(network): Path<String>) -> Response {
    if let Err(e) = network_name(&network) {
        return e.into_response();
    }
    match o.rounds_of(&network) {
        Some(rounds) => Json(RoundsView { network, rounds }).into_response(),
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

/// A 403 `epoch_open` while `epoch` may still take reports (until its end plus
/// the close grace): its beacons and readings are not published before then, so
/// nobody can copy them into reports of their own. Closed epochs stay public for
/// audits.
fn refuse_open_epoch(o: &Oracle, epoch: u64) -> Option<Response> {
    let closes_ms = o
        .clock
        .window(epoch)
        .end_ms
        .saturating_add(o.config.close_grace.as_millis() as u64);
    (now_ms() < closes_ms).then(|| {
        error(
            StatusCode::FORBIDDEN,
            "epoch_open",
            format!(
                "epoch {epoch} is still open (it closes at {closes_ms} ms): its spool is published once it is closed"
            ),
        )
    })
}

/// A member's signed read of an open epoch's spool (all or none of the fields).
#[derive(Debug, serde::Deserialize)]
struct SpoolQuery {
    oracle: Option<plinth_core::Address>,
    time_ms: Option<u64>,
    signature: Option<plinth_core::Signature>,
}

/// Refuses to read `epoch`'s spool while it is open, unless a member of the
/// oracle set signed the read ([`plinth_api::oracle::PeerAuth`]).
async fn refuse_spool_read(o: &Arc<Oracle>, epoch: u64, q: SpoolQuery) -> Option<Response> {
    let refusal = refuse_open_epoch(o, epoch)?;
    let (Some(oracle), Some(time_ms), Some(signature)) = (q.oracle, q.time_ms, q.signature) else {
        return Some(refusal);
    };
    let auth = plinth_api::oracle::PeerAuth {
        oracle,
        time_ms,
        signature,
    };
    let o = o.clone();
    match tokio::task::spawn_blocking(move || o.peer_may_read(&auth, epoch)).await {
        Ok(true) => None,
        _ => Some(error(
            StatusCode::FORBIDDEN,
            "not_a_peer",
            format!("epoch {epoch} is open: only a member of its oracle set may read its spool, with a fresh signature"),
        )),
    }
}

fn spool_query(
    q: Result<axum::extract::Query<SpoolQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<SpoolQuery, Box<Response>> {
    q.map(|q| q.0)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, "bad_query", e.body_text())))
}

async fn spool_list(
    State(o): State<Arc<Oracle>>,
    Path(epoch): Path<u64>,
    q: Result<axum::extract::Query<SpoolQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match spool_query(q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    if let Some(r) = refuse_spool_read(&o, epoch, q).await {
        return r;
    }
    match o.spool.batches(epoch) {
        Ok(b) => Json(b).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn spool_batch(
    State(o): State<Arc<Oracle>>,
    Path((epoch, hash)): Path<(u64, String)>,
    q: Result<axum::extract::Query<SpoolQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(hash) = hash.parse::<Hash>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_hash",
            "expected 64 hex characters",
        );
    };
    let q = match spool_query(q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    if let Some(r) = refuse_spool_read(&o, epoch, q).await {
        return r;
    }
    let read = if !o.spool.has(epoch, &hash) && o.foreign.has(epoch, &hash) {
        o.foreign.read_raw(epoch, &hash)
    } else {
        o.spool.read_raw(epoch, &hash)
    };
    match read {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Err(crate::spool::SpoolError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => error(
            StatusCode::NOT_FOUND,
            "unknown_batch",
            format!("no batch {hash} in epoch {epoch}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

/// The HTTP status of a refusal to co-sign.
fn refusal_status(r: &crate::quorum::ProposalRefusal) -> StatusCode {
    use crate::quorum::ProposalRefusal as R;
    match r {
        R::NotAnOracle { .. } | R::NotAMember { .. } | R::BadSignature | R::FromSelf => {
            StatusCode::FORBIDDEN
        }
        R::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        R::TooEarly { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

async fn cosign_manifest(
    State(o): State<Arc<Oracle>>,
    body: Result<
        Json<plinth_api::oracle::ManifestProposal>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    match tokio::task::spawn_blocking(move || o.cosign_manifest(&req)).await {
        Ok(Ok(sig)) => Json(sig).into_response(),
        Ok(Err(r)) => error(refusal_status(&r), r.code(), r.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn cosign_settlement(
    State(o): State<Arc<Oracle>>,
    body: Result<
        Json<plinth_api::oracle::SettlementProposal>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    match tokio::task::spawn_blocking(move || o.cosign_settlement(&req)).await {
        Ok(Ok(sig)) => Json(sig).into_response(),
        Ok(Err(r)) => error(refusal_status(&r), r.code(), r.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn cosign_verdict(
    State(o): State<Arc<Oracle>>,
    body: Result<
        Json<plinth_api::oracle::VerdictProposal>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    match tokio::task::spawn_blocking(move || o.cosign_verdict(&req)).await {
        Ok(Ok(sig)) => Json(sig).into_response(),
        Ok(Err(r)) => error(refusal_status(&r), r.code(), r.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn cosign_checks(
    State(o): State<Arc<Oracle>>,
    body: Result<Json<plinth_api::oracle::ChecksProposal>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    match tokio::task::spawn_blocking(move || o.cosign_checks(&req)).await {
        Ok(Ok(sig)) => Json(sig).into_response(),
        Ok(Err(r)) => error(refusal_status(&r), r.code(), r.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn cosign_refusals(State(o): State<Arc<Oracle>>) -> Response {
    Json(o.refusals()).into_response()
}

async fn metrics(State(o): State<Arc<Oracle>>) -> Response {
    o.metrics.observe_disk(&o.config.data_dir);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        o.metrics.render(),
    )
        .into_response()
}

async fn manifest_list(
    State(o): State<Arc<Oracle>>,
    page: Result<axum::extract::Query<ManifestPage>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let page = match page {
        Ok(p) => p.0,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_query", e.body_text()),
    };
    let limit = page.limit.unwrap_or(MAX_MANIFESTS_PAGE);
    if limit == 0 || limit > MAX_MANIFESTS_PAGE {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_limit",
            format!("limit must be 1 to {MAX_MANIFESTS_PAGE}"),
        );
    }
    let after = match page.after.as_deref() {
        None => None,
        Some(a) => {
            let (epoch, network) = match a.split_once(':') {
                Some((e, n)) => (e, n.to_string()),
                // After every network of that epoch: names are never empty and
                // `\u{10FFFF}` sorts after any of them.
                None => (a, "\u{10FFFF}".to_string()),
            };
            match epoch.parse::<u64>() {
                Ok(e) if network.len() <= 256 => Some((e, network)),
                // After an epoch beyond any there can be: nothing (the
                // documented cursor is any run of digits).
                Err(e)
                    if *e.kind() == std::num::IntErrorKind::PosOverflow && network.len() <= 256 =>
                {
                    return Json(Vec::<ManifestRef>::new()).into_response();
                }
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "bad_after",
                        "after must be <epoch> or <epoch>:<network>",
                    )
                }
            }
        }
    };
    Json(
        o.manifests_page(after, limit)
            .into_iter()
            .map(|(network, epoch)| ManifestRef { network, epoch })
            .collect::<Vec<_>>(),
    )
    .into_response()
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

/// `GET /v1/manifests/{network}/{epoch}/awards/{tag}`: one award (the tag a u64
/// in decimal, as the manifest's JSON has it) with its proof under the header's
/// awards root.
async fn award(
    State(o): State<Arc<Oracle>>,
    Path((network, epoch, tag)): Path<(String, u64, u64)>,
) -> Response {
    if let Err(e) = network_name(&network) {
        return e.into_response();
    }
    let m = match o.manifest(&network, epoch) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "unknown_manifest",
                format!("no manifest for network `{network}` epoch {epoch}"),
            )
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    };
    let Ok(index) = m.awards.binary_search_by_key(&tag, |a| a.tag) else {
        return error(
            StatusCode::NOT_FOUND,
            "no_award",
            format!("network `{network}` epoch {epoch} awards nothing for tag {tag:x}"),
        );
    };
    let proof =
        plinth_ledger::oracle_set::award_proof(&m.awards, index).expect("the index is in range");
    Json(plinth_api::oracle::AwardProof {
        network,
        epoch,
        award: m.awards[index].clone(),
        proof,
    })
    .into_response()
}

async fn rewards(State(o): State<Arc<Oracle>>, Path(owner): Path<String>) -> Response {
    let owner: plinth_core::Address = match owner.parse() {
        Ok(a) => a,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_address", format!("{e}")),
    };
    match o.rewards_of(&owner) {
        Ok(r) => Json(r).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}
