//! The HTTP API: JSON under `/v1`, server-sent events, Prometheus metrics.
//!
//! Every request body has a size limit; every error is a JSON [`ErrorBody`] with a
//! 4xx status for bad input, so a client always learns what was wrong.

use crate::api::*;
use crate::metrics::error_code;
pub use crate::query::parse;
use crate::query::snapshot;
use crate::{Node, SubmitError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::Stream;
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, DeviceId, Hash};
use plinth_ledger::devices::Device;
use plinth_ledger::params::Validator;
use plinth_ledger::rewards::{self, RewardEpoch};
use plinth_ledger::{accounts, keys, staking, tree, Overlay, StakeTarget, TxError};
use plinth_store::Snapshot;
use serde::Deserialize;
use std::sync::Arc;
use tokio_stream::StreamExt;

/// The OpenAPI description of this API.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

/// Largest body of a single-transaction request.
pub const MAX_BODY: usize = 64 * 1024;
/// Largest body of a batch request.
pub const MAX_BATCH_BODY: usize = 16 * 1024 * 1024;
/// Most transactions in one batch.
pub const MAX_BATCH_TXS: usize = 20_000;
/// Most `/v1/events` streams open at once; beyond it a 503 JSON `busy`.
pub const MAX_EVENT_STREAMS: usize = 256;
/// Largest `limit` of `/v1/accounts/{addr}/txs`.
pub const MAX_HISTORY: usize = 1000;
/// Largest `limit` of `/v1/devices`.
pub const MAX_DEVICES: usize = 10_000;
/// Largest `limit` of `/v1/blocks`.
pub const MAX_BLOCKS: usize = 200;
/// Largest `limit` of `/v1/supply/epochs`.
pub const MAX_SUPPLY_EPOCHS: usize = 1000;

type AppState = Arc<Node>;

/// The JSON detail of a transaction error.
pub fn tx_error_detail(e: &TxError) -> ErrorDetail {
    let mut value = serde_json::to_value(e).unwrap_or_default();
    let code = value
        .get("code")
        .and_then(|c| c.as_str())
        .unwrap_or("rejected")
        .to_string();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("code");
    }
    let details = value
        .as_object()
        .filter(|o| !o.is_empty())
        .map(|_| value.clone());
    ErrorDetail {
        code,
        message: e.to_string(),
        details,
    }
}

/// Status code and JSON detail of a refused submission.
pub fn submit_error(e: &SubmitError) -> (StatusCode, ErrorDetail) {
    let status = match e {
        SubmitError::Rejected(TxError::Malformed { .. })
        | SubmitError::Rejected(TxError::BadSignature)
        | SubmitError::Rejected(TxError::WrongChain { .. }) => StatusCode::BAD_REQUEST,
        SubmitError::Rejected(TxError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        SubmitError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        SubmitError::Duplicate(_) => StatusCode::CONFLICT,
        SubmitError::MempoolFull(_) => StatusCode::SERVICE_UNAVAILABLE,
        SubmitError::SenderQueueFull { .. } => StatusCode::TOO_MANY_REQUESTS,
        SubmitError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let detail = match e {
        SubmitError::Rejected(t) => tx_error_detail(t),
        SubmitError::SenderQueueFull { sender, limit } => ErrorDetail {
            code: error_code(e),
            message: e.to_string(),
            details: Some(serde_json::json!({"sender": sender.to_string(), "limit": limit})),
        },
        other => ErrorDetail {
            code: error_code(other),
            message: other.to_string(),
            details: None,
        },
    };
    (status, detail)
}

/// Builds the router: the API and the explorer (with no oracle URL).
pub fn router(node: Arc<Node>) -> Router {
    router_with(node, crate::explorer::ExplorerConfig::default())
}

/// Builds the router, telling the explorer what `explorer` holds.
pub fn router_with(node: Arc<Node>, explorer: crate::explorer::ExplorerConfig) -> Router {
    let api = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/openapi.yaml", get(openapi))
        .route("/v1/networks", get(networks))
        .route("/v1/validators", get(validators))
        .route("/v1/accounts/{addr}", get(account))
        .route("/v1/accounts/{addr}/txs", get(history))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{id}", get(device))
        .route("/v1/supply", get(supply))
        .route("/v1/supply/epochs", get(supply_epochs))
        .route("/v1/price", get(price))
        .route("/v1/credits/{addr}", get(credits_of))
        .route("/v1/rewards/{network}/{epoch}", get(reward_epoch))
        .route(
            "/v1/rewards/{network}/{epoch}/claimed/{index}",
            get(reward_claimed),
        )
        .route("/v1/blocks", get(blocks))
        .route("/v1/blocks/{id}", get(block))
        .route(
            "/v1/txs",
            post(submit).layer(DefaultBodyLimit::max(MAX_BODY)).layer(
                axum::middleware::from_fn_with_state(
                    MAX_BODY,
                    plinth_api::server::limit::refuse_oversized,
                ),
            ),
        )
        .route(
            "/v1/txs/batch",
            post(submit_batch)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BODY))
                .layer(axum::middleware::from_fn_with_state(
                    MAX_BATCH_BODY,
                    plinth_api::server::limit::refuse_oversized,
                )),
        )
        .route("/v1/txs/{hash}", get(tx))
        .merge(crate::storage_api::routes())
        .merge(crate::oracle_api::routes())
        .merge(crate::gov_api::routes())
        .merge(crate::compute_api::routes())
        .merge(crate::bursts_api::routes())
        .merge(crate::energy_api::routes())
        .route(
            "/v1/events",
            get(events).layer(axum::Extension(EventStreams(Arc::new(
                tokio::sync::Semaphore::new(MAX_EVENT_STREAMS),
            )))),
        )
        .route("/metrics", get(metrics));
    crate::explorer::routes(api, explorer)
        .fallback(|| async {
            ApiError::not_found("not_found", "no such endpoint; see /v1/openapi.yaml")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(
            plinth_api::server::extract::json_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            count_requests,
        ))
        .with_state(node)
}

/// Counts every request by its answer's status code and times it (metrics
/// `plinth_http_requests_total`, `plinth_http_request_duration_seconds`).
async fn count_requests(
    State(node): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    node.metrics
        .http_request(res.status().as_u16(), started.elapsed());
    res
}

async fn status(State(node): State<AppState>) -> Result<Json<StatusView>, ApiError> {
    let head = node.store.head().map_err(ApiError::internal)?;
    let p = &node.params;
    Ok(Json(StatusView {
        chain_id: p.chain_id.clone(),
        genesis_hash: node.genesis_hash,
        height: head.height,
        head_hash: head.hash(),
        state_root: head.state_root,
        timestamp_ms: head.timestamp_ms,
        block_time_ms: node.config.block_time.as_millis() as u64,
        mempool: node.mempool_len(),
        validator: node.validator(),
        token: TokenView {
            name: p.token_name.clone(),
            symbol: p.token_symbol.clone(),
            decimals: p.decimals,
        },
        min_fee: p.min_fee,
        unbonding_blocks: p.unbonding_blocks,
        genesis_time_ms: p.genesis_time_ms,
        epoch_ms: p.emission.epoch_ms,
        epoch: p.emission.epoch_at(p.genesis_time_ms, head.timestamp_ms),
    }))
}

async fn supply(State(node): State<AppState>) -> Result<Json<SupplyView>, ApiError> {
    let snap = snapshot(&node)?;
    let s = plinth_ledger::emission::supply(&Overlay::new(&snap)).map_err(ApiError::internal)?;
    let circulating = s
        .circulating()
        .ok_or_else(|| ApiError::internal("supply record out of range"))?;
    Ok(Json(SupplyView {
        genesis: s.genesis,
        minted: s.minted,
        burned: s.burned,
        unclaimed: s.unclaimed,
        circulating,
        height: snap.head().unwrap_or(0),
    }))
}

#[derive(Deserialize)]
struct EpochsQuery {
    /// Newest epoch to list (default: the latest with a record).
    before: Option<u64>,
    limit: Option<u64>,
}

/// Minted, burned and net supply per reward epoch, newest first.
async fn supply_epochs(
    State(node): State<AppState>,
    Query(q): Query<EpochsQuery>,
) -> Result<Json<Vec<EpochSupplyView>>, ApiError> {
    let snap = snapshot(&node)?;
    let limit = page_limit(q.limit, 50, MAX_SUPPLY_EPOCHS)?;
    let rows = snap
        .scan(b"sys/esupply/", usize::MAX)
        .map_err(ApiError::internal)?;
    let mut out = Vec::new();
    for (k, v) in rows.into_iter().rev() {
        let Some(epoch) = k
            .get(b"sys/esupply/".len()..)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
        else {
            continue;
        };
        if q.before.is_some_and(|b| epoch > b) {
            continue;
        }
        let e: plinth_ledger::credits::EpochSupply =
            borsh::from_slice(&v).map_err(ApiError::internal)?;
        out.push(EpochSupplyView {
            epoch,
            minted: e.minted,
            burned: e.burned,
            net: e.minted as i128 - e.burned as i128,
        });
        if out.len() >= limit {
            break;
        }
    }
    Ok(Json(out))
}

/// The latest posted token price and whether a burn could use it now.
async fn price(State(node): State<AppState>) -> Result<Json<PriceView>, ApiError> {
    let snap = snapshot(&node)?;
    let view = Overlay::new(&snap);
    let p = plinth_ledger::credits::price(&view).map_err(ApiError::internal)?;
    let cp = plinth_ledger::credits::params(&view).map_err(ApiError::internal)?;
    let head_ms = view
        .get_t::<(u64, u64)>(keys::HEAD)
        .map_err(ApiError::internal)?
        .map(|(_, t)| t)
        .unwrap_or(0);
    let fresh = p
        .as_ref()
        .is_some_and(|p| head_ms.saturating_sub(p.timestamp_ms) <= cp.price_max_age_ms);
    Ok(Json(PriceView {
        price: p,
        credit_micro_usd: cp.credit_micro_usd,
        price_max_age_ms: cp.price_max_age_ms,
        head_time_ms: head_ms,
        fresh,
    }))
}

async fn credits_of(
    State(node): State<AppState>,
    Path(addr): Path<String>,
) -> Result<Json<CreditsView>, ApiError> {
    let addr: Address = addr
        .parse()
        .map_err(|e| ApiError::bad_request("invalid_address", format!("{e}")))?;
    let snap = snapshot(&node)?;
    let c =
        plinth_ledger::credits::load(&Overlay::new(&snap), &addr).map_err(ApiError::internal)?;
    Ok(Json(CreditsView {
        address: addr,
        own: c.own,
        delegated: c.delegated,
        total: c.total(),
    }))
}

fn unknown_manifest(network: &str, epoch: u64) -> ApiError {
    ApiError::not_found(
        "unknown_manifest",
        format!("no reward manifest for network `{network}` epoch {epoch}"),
    )
}

async fn reward_epoch(
    State(node): State<AppState>,
    Path((network, epoch)): Path<(String, String)>,
) -> Result<Json<RewardEpoch>, ApiError> {
    network_name(&network)?;
    let epoch: u64 = parse(&epoch, "invalid_epoch")?;
    let snap = snapshot(&node)?;
    rewards::reward_epoch(&Overlay::new(&snap), &network, epoch)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| unknown_manifest(&network, epoch))
}

async fn reward_claimed(
    State(node): State<AppState>,
    Path((network, epoch, index)): Path<(String, String, String)>,
) -> Result<Json<ClaimedView>, ApiError> {
    network_name(&network)?;
    let epoch: u64 = parse(&epoch, "invalid_epoch")?;
    let index: u64 = parse(&index, "invalid_index")?;
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    if rewards::reward_epoch(&state, &network, epoch)
        .map_err(ApiError::internal)?
        .is_none()
    {
        return Err(unknown_manifest(&network, epoch));
    }
    let claimed =
        rewards::is_claimed(&state, &network, epoch, index).map_err(ApiError::internal)?;
    Ok(Json(ClaimedView { claimed }))
}

async fn genesis(State(node): State<AppState>) -> Json<plinth_ledger::Genesis> {
    Json(node.genesis.clone())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML)
}

async fn metrics(State(node): State<AppState>) -> impl IntoResponse {
    node.metrics.observe_disk(&node.config.data_dir);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.render(),
    )
}

/// `GET /v1/networks[?epoch=E]`: every network as in force in reward epoch `E`
/// (default: the head's), each with its allowance for `E` — what the ledger
/// takes a manifest of `E` up to, so oracles and audits score with these values.
async fn networks(
    State(node): State<AppState>,
    Query(q): Query<NetworksQuery>,
) -> Result<Json<Vec<NetworkView>>, ApiError> {
    use plinth_ledger::context::head_epoch;
    use plinth_ledger::governance::schedule::{emission_at, networks_at, reminted_at};
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let epoch = match q.epoch {
        Some(e) => e,
        None => head_epoch(&state, &node.params).map_err(ApiError::internal)?,
    };
    let emission = emission_at(&state, &node.params, epoch).map_err(ApiError::internal)?;
    let reminted = reminted_at(&state, &node.params, epoch).map_err(ApiError::internal)?;
    let out = networks_at(&state, epoch)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|n| {
            let allowance = emission.allowance_with(epoch, n.share_bps, reminted);
            NetworkView::new(n, epoch, allowance)
        })
        .collect();
    Ok(Json(out))
}

async fn validators(State(node): State<AppState>) -> Result<Json<Vec<ValidatorView>>, ApiError> {
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let rows = snap
        .scan(keys::VALIDATOR_PREFIX, 1000)
        .map_err(ApiError::internal)?;
    let mut out = Vec::new();
    for (_, v) in rows {
        let val: Validator = borsh::from_slice(&v).map_err(ApiError::internal)?;
        let stake = staking::total(&state, &StakeTarget::Validator(val.address))
            .map_err(ApiError::internal)?;
        out.push(ValidatorView {
            address: val.address,
            name: val.name,
            stake,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
struct ProofQuery {
    #[serde(default)]
    proof: bool,
}

fn prove(node: &Node, snap: &Snapshot, key: &[u8]) -> Result<ProofView, ApiError> {
    let height = snap.head().unwrap_or(0);
    let head = node.store.block(height).map_err(ApiError::internal)?;
    let state_root = head
        .map(|b| b.header.state_root)
        .ok_or_else(|| ApiError::internal("head block missing"))?;
    let (value, proof) = tree::prove(snap, key, height).map_err(ApiError::internal)?;
    Ok(ProofView {
        height,
        state_root,
        key: hex::encode(key),
        value: value.map(hex::encode),
        proof: hex::encode(plinth_core::encode(&proof)),
    })
}

async fn account(
    State(node): State<AppState>,
    Path(addr): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<AccountView>, ApiError> {
    let addr: Address = parse(&addr, "invalid_address")?;
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let acct = accounts::load(&state, &addr).map_err(ApiError::internal)?;
    let exists = acct.is_some();
    let acct = acct.unwrap_or_default();
    let mut bonds = Vec::new();
    for (k, v) in snap
        .scan(&keys::bond_prefix(addr.key()), 1000)
        .map_err(ApiError::internal)?
    {
        let id: [u8; 32] = k[k.len() - 32..].try_into().expect("bond key layout");
        let key = plinth_core::PublicKey(id);
        let target = if k[k.len() - 33] == 0 {
            StakeTarget::Device(DeviceId(key))
        } else {
            StakeTarget::Validator(Address(key))
        };
        let amount: u64 = borsh::from_slice(&v).map_err(ApiError::internal)?;
        bonds.push(BondView { target, amount });
    }
    let proof = if q.proof {
        Some(prove(&node, &snap, &keys::account(addr.key()))?)
    } else {
        None
    };
    Ok(Json(AccountView {
        address: addr,
        exists,
        balance: acct.balance,
        nonce: acct.nonce,
        next_nonce: acct.nonce + node.pending_count(&addr, acct.nonce),
        bonded: acct.bonded,
        unbonding: acct.unbonding,
        bonds,
        height: snap.head().unwrap_or(0),
        proof,
    }))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<u64>,
}

async fn history(
    State(node): State<AppState>,
    Path(addr): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Vec<HistoryItem>>, ApiError> {
    let addr: Address = parse(&addr, "invalid_address")?;
    let limit = page_limit(q.limit, 50, MAX_HISTORY)?;
    let rows = node
        .store
        .history(&addr, limit)
        .map_err(ApiError::internal)?;
    let mut out = Vec::with_capacity(rows.len());
    for (loc, hash) in rows {
        let block = node
            .store
            .block(loc.height)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("indexed block missing"))?;
        let receipts = node
            .store
            .receipts(loc.height)
            .map_err(ApiError::internal)?;
        let tx = block
            .txs
            .get(loc.index as usize)
            .ok_or_else(|| ApiError::internal("indexed transaction missing"))?;
        out.push(HistoryItem {
            hash,
            height: loc.height,
            index: loc.index,
            tx: tx.tx.clone(),
            receipt: receipts.and_then(|r| r.get(loc.index as usize).cloned()),
        });
    }
    Ok(Json(out))
}

fn device_view(snap: &Snapshot, device: Device) -> Result<DeviceView, ApiError> {
    let stake = staking::total(&Overlay::new(snap), &StakeTarget::Device(device.id))
        .map_err(ApiError::internal)?;
    Ok(DeviceView::new(device, stake))
}

async fn device(
    State(node): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<DeviceView>, ApiError> {
    let id: DeviceId = parse(&id, "invalid_device_id")?;
    let snap = snapshot(&node)?;
    let device = plinth_ledger::devices::load(&Overlay::new(&snap), &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_device", format!("unknown device {id}")))?;
    let mut view = device_view(&snap, device)?;
    if q.proof {
        view.proof = Some(prove(&node, &snap, &keys::device(id.key()))?);
    }
    Ok(Json(view))
}

#[derive(Deserialize)]
struct DevicesQuery {
    owner: Option<String>,
    network: Option<String>,
    limit: Option<u64>,
    /// Page after this device id (listing all devices, in id order).
    after: Option<String>,
}

async fn devices(
    State(node): State<AppState>,
    Query(q): Query<DevicesQuery>,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    let limit = page_limit(q.limit, 1000, MAX_DEVICES)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    // Checked even where it is not used (with `owner`), as the spec says.
    let after = match &q.after {
        Some(a) => Some(keys::device(
            parse::<DeviceId>(a, "invalid_device_id")?.key(),
        )),
        None => None,
    };
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let mut out = Vec::new();
    match &q.owner {
        Some(owner) => {
            let owner: Address = parse(owner, "invalid_address")?;
            let rows = snap
                .scan(&keys::owner_prefix(owner.key()), limit)
                .map_err(ApiError::internal)?;
            for (k, _) in rows {
                let id: [u8; 32] = k[k.len() - 32..].try_into().expect("owner index layout");
                if let Some(d) =
                    plinth_ledger::devices::load(&state, &DeviceId(plinth_core::PublicKey(id)))
                        .map_err(ApiError::internal)?
                {
                    out.push(device_view(&snap, d)?);
                }
            }
        }
        None => {
            for (_, v) in snap
                .scan_after(b"dev/", after.as_deref(), limit)
                .map_err(ApiError::internal)?
            {
                let d: Device = borsh::from_slice(&v).map_err(ApiError::internal)?;
                out.push(device_view(&snap, d)?);
            }
        }
    }
    if let Some(n) = &q.network {
        out.retain(|d| &d.network == n);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
struct BlocksQuery {
    limit: Option<u64>,
    before: Option<u64>,
}

async fn blocks(
    State(node): State<AppState>,
    Query(q): Query<BlocksQuery>,
) -> Result<Json<Vec<BlockSummary>>, ApiError> {
    let head = node.store.head().map_err(ApiError::internal)?.height;
    let top = q
        .before
        .map(|b| b.saturating_sub(1))
        .unwrap_or(head)
        .min(head);
    let limit = page_limit(q.limit, 20, MAX_BLOCKS)?;
    let mut out = Vec::new();
    let mut h = top as i64;
    while h >= 0 && out.len() < limit {
        if let Some(b) = node.store.block(h as u64).map_err(ApiError::internal)? {
            out.push(BlockSummary {
                hash: b.hash(),
                height: b.header.height,
                timestamp_ms: b.header.timestamp_ms,
                txs: b.txs.len(),
                proposer: b.header.proposer,
                state_root: b.header.state_root,
            });
        }
        h -= 1;
    }
    Ok(Json(out))
}

async fn block(
    State(node): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BlockView>, ApiError> {
    let height = if id == "latest" {
        node.store.head().map_err(ApiError::internal)?.height
    } else if !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit()) {
        // At most 19 digits always fit a u64; anything else must be a hash.
        parse(&id, "invalid_block_id")?
    } else {
        let hash: Hash = parse(&id, "invalid_block_id")?;
        node.store
            .block_height(&hash)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::not_found("unknown_block", format!("no block with hash {hash}"))
            })?
    };
    let block = node
        .store
        .block(height)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::not_found("unknown_block", format!("no block at height {height}"))
        })?;
    let receipts = node
        .store
        .receipts(height)
        .map_err(ApiError::internal)?
        .unwrap_or_default();
    Ok(Json(BlockView::new(block, receipts)))
}

async fn tx(
    State(node): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<TxView>, ApiError> {
    let hash: Hash = parse(&hash, "invalid_hash")?;
    if let Some(loc) = node.store.tx_location(&hash).map_err(ApiError::internal)? {
        let block = node
            .store
            .block(loc.height)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("indexed block missing"))?;
        let receipt = node
            .store
            .receipts(loc.height)
            .map_err(ApiError::internal)?
            .and_then(|r| r.get(loc.index as usize).cloned());
        return Ok(Json(TxView {
            hash,
            status: TxStatus::Committed,
            height: Some(loc.height),
            index: Some(loc.index),
            receipt,
            error: None,
            tx: block.txs.get(loc.index as usize).map(|t| t.tx.clone()),
        }));
    }
    match node.pending_status(&hash) {
        Some(Ok(tx)) => Ok(Json(TxView {
            hash,
            status: TxStatus::Pending,
            height: None,
            index: None,
            receipt: None,
            error: None,
            tx: Some(tx.tx),
        })),
        Some(Err(e)) => Ok(Json(TxView {
            hash,
            status: TxStatus::Rejected,
            height: None,
            index: None,
            receipt: None,
            error: Some(tx_error_detail(&e)),
            tx: None,
        })),
        None => Err(ApiError::not_found(
            "unknown_transaction",
            format!("unknown transaction {hash}"),
        )),
    }
}

fn body_error(r: BytesRejection) -> ApiError {
    let status = r.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "bad_body"
    };
    ApiError::new(status, code, r.body_text())
}

fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(body_error)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("malformed_json", e.to_string()))
}

fn decode_hex(s: &str) -> Result<Vec<u8>, SubmitError> {
    hex::decode(s.trim()).map_err(|e| {
        SubmitError::Rejected(TxError::Malformed {
            reason: format!("transaction is not hex: {e}"),
        })
    })
}

async fn submit(
    State(node): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmitResponse>), ApiError> {
    let req: SubmitRequest = json_body(body)?;
    let raw = decode_hex(&req.tx).map_err(|e| {
        let (status, detail) = submit_error(&e);
        ApiError::with_detail(status, detail)
    })?;
    let verdict = node
        .submit(vec![raw])
        .await
        .pop()
        .unwrap_or_else(|| Err(SubmitError::Internal("no verdict".into())));
    match verdict {
        Ok(hash) => Ok((
            StatusCode::ACCEPTED,
            Json(SubmitResponse {
                hash,
                status: TxStatus::Pending,
            }),
        )),
        Err(e) => {
            let (status, detail) = submit_error(&e);
            Err(ApiError::with_detail(status, detail))
        }
    }
}

async fn submit_batch(
    State(node): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchResponse>, ApiError> {
    let req: BatchRequest = json_body(body)?;
    if req.txs.len() > MAX_BATCH_TXS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_transactions",
            format!(
                "a batch holds at most {MAX_BATCH_TXS} transactions, found {}",
                req.txs.len()
            ),
        ));
    }
    // Hex errors are answered in place; the rest go through the node.
    let decoded: Vec<Result<Vec<u8>, SubmitError>> =
        req.txs.iter().map(|s| decode_hex(s)).collect();
    let raw: Vec<Vec<u8>> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    let mut verdicts = node.submit(raw).await.into_iter();
    let mut results = Vec::with_capacity(decoded.len());
    let mut accepted = 0;
    for d in decoded {
        let v = match d {
            Ok(_) => verdicts
                .next()
                .unwrap_or_else(|| Err(SubmitError::Internal("no verdict".into()))),
            Err(e) => Err(e),
        };
        results.push(match v {
            Ok(hash) => {
                accepted += 1;
                BatchItem {
                    hash: Some(hash),
                    error: None,
                }
            }
            Err(e) => BatchItem {
                hash: None,
                error: Some(submit_error(&e).1),
            },
        });
    }
    Ok(Json(BatchResponse { accepted, results }))
}

/// The permits of `/v1/events` streams (one held for each stream's life).
#[derive(Clone)]
struct EventStreams(Arc<tokio::sync::Semaphore>);

async fn events(
    State(node): State<AppState>,
    axum::Extension(EventStreams(permits)): axum::Extension<EventStreams>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, std::convert::Infallible>>>, ApiError> {
    let permit = permits.try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("at most {MAX_EVENT_STREAMS} event streams at once; retry later"),
        )
    })?;
    let stream =
        tokio_stream::wrappers::BroadcastStream::new(node.subscribe()).filter_map(move |e| {
            // The permit goes back when the client leaves and the stream is dropped.
            let _held = &permit;
            // A lagging client skips what it missed rather than stalling the node.
            let e = e.ok()?;
            let name = match &e {
                crate::Event::Block { .. } => "block",
            };
            Some(Ok(SseEvent::default()
                .event(name)
                .data(serde_json::to_string(&e).unwrap_or_default())))
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
