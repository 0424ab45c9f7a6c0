//! The block explorer: a one-page web app served by the node, and the read-only
//! endpoints it needs beyond the rest of `/v1`.
//!
//! The assets under `crates/node/web/` are compiled into the binary, so the
//! explorer needs no separate web server and downloads nothing at run time (no
//! CDN, no map tiles). The page reads only the node's public API:
//!
//! ```text
//!  browser ──GET /, /explorer/*──▶ assets (include_str!)
//!     │──GET /v1/status, /v1/blocks, … ──▶ rpc.rs
//!     │──GET /v1/rewards, /v1/map, /v1/map/{cell}, /v1/explorer/config ──▶ here
//!     └──EventSource /v1/events ──▶ live block events
//! ```

use crate::rpc::ApiError;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use plinth_core::DeviceId;
use plinth_ledger::devices::{Device, DeviceStatus};
use plinth_ledger::params::Network;
use plinth_ledger::rewards::RewardEpoch;
use plinth_ledger::{keys, staking, Overlay, StakeTarget};
use plinth_store::Snapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// Most devices one map request reads; a larger fleet is reported as truncated.
pub const MAX_MAP_DEVICES: usize = 200_000;
/// Most reward epochs one `/v1/rewards` request returns.
pub const MAX_REWARD_EPOCHS: usize = 500;
/// Most devices `/v1/map/{cell}` lists.
pub const MAX_CELL_DEVICES: usize = 500;

const INDEX_HTML: &str = include_str!("../web/index.html");
const APP_JS: &str = include_str!("../web/app.js");
const STYLE_CSS: &str = include_str!("../web/style.css");

/// What the explorer page learns from `/v1/explorer/config`. The oracle URL is set
/// after the router is built (the devnet starts its oracle once the API is up), so
/// it sits in a cell shared with the router.
#[derive(Debug, Clone, Default)]
pub struct ExplorerConfig {
    oracle: Arc<OnceLock<String>>,
}

impl ExplorerConfig {
    /// Tells the explorer where the oracle's HTTP API is (for manifests, audit and
    /// rejected-report counts). Only the first call counts.
    pub fn set_oracle(&self, url: impl Into<String>) {
        let _ = self.oracle.set(url.into());
    }

    /// The oracle URL, if one was set.
    pub fn oracle(&self) -> Option<&str> {
        self.oracle.get().map(String::as_str)
    }
}

/// The body of `GET /v1/explorer/config`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExplorerConfigView {
    /// Base URL of the oracle's HTTP API, when the node knows one.
    pub oracle: Option<String>,
}

/// One hexagon of `GET /v1/map`: the devices whose cell lies in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MapCell {
    /// H3 cell (hex string) at the requested resolution.
    pub cell: String,
    pub lat: f64,
    pub lon: f64,
    /// The cell's boundary, `[lat, lon]` pairs in degrees, from h3o.
    pub boundary: Vec<[f64; 2]>,
    pub devices: u64,
    pub active: u64,
    /// Devices per network.
    pub networks: BTreeMap<String, u64>,
    /// Σ stake bonded to the cell's devices.
    pub stake: u64,
}

/// The body of `GET /v1/map`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MapView {
    pub res: u8,
    pub devices: u64,
    /// Whether more than [`MAX_MAP_DEVICES`] devices exist (the rest are not drawn).
    pub truncated: bool,
    pub cells: Vec<MapCell>,
    pub height: u64,
}

/// Adds the explorer's pages and endpoints to `router`.
pub fn routes(router: Router<Arc<Node>>, config: ExplorerConfig) -> Router<Arc<Node>> {
    router
        .route("/", get(|| async { asset("index.html") }))
        .route("/explorer", get(|| async { asset("index.html") }))
        .route(
            "/explorer/{file}",
            get(|Path(f): Path<String>| async move { asset(&f) }),
        )
        .route(
            "/v1/explorer/config",
            get(move || {
                let oracle = config.oracle().map(str::to_string);
                async move { Json(ExplorerConfigView { oracle }) }
            }),
        )
        .route("/v1/rewards", get(reward_epochs))
        .route("/v1/map", get(map))
        .route("/v1/map/{cell}", get(cell_devices))
}

fn asset(name: &str) -> axum::response::Response {
    let (body, mime) = match name {
        "index.html" => (INDEX_HTML, "text/html; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "style.css" => (STYLE_CSS, "text/css; charset=utf-8"),
        _ => {
            return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such explorer asset")
                .into_response()
        }
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn snapshot(node: &Node) -> Result<Snapshot, ApiError> {
    node.store.snapshot().map_err(ApiError::internal)
}

fn network_names(snap: &Snapshot) -> Result<Vec<String>, ApiError> {
    let rows = snap
        .scan(keys::NETWORK_PREFIX, 1000)
        .map_err(ApiError::internal)?;
    rows.into_iter()
        .map(|(_, v)| {
            borsh::from_slice::<Network>(&v)
                .map(|n| n.name)
                .map_err(ApiError::internal)
        })
        .collect()
}

#[derive(Deserialize)]
struct RewardsQuery {
    network: Option<String>,
    /// First epoch to list (inclusive). Numbers are parsed here, not by the
    /// extractor, so a bad one gets a JSON error like the rest of the API.
    from: Option<String>,
    limit: Option<String>,
}

fn number(value: Option<&str>, code: &str) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.parse::<u64>()
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, code, format!("`{v}`: {e}")))
        })
        .transpose()
}

/// The key just above every claim marker of `epoch_key` (`…/c/{u64::MAX}`), so a
/// scan after it lands on the next epoch.
fn after_claims(epoch_key: &[u8]) -> Vec<u8> {
    let mut k = epoch_key.to_vec();
    k.extend_from_slice(b"/c/");
    k.extend_from_slice(&[0xff; 8]);
    k
}

/// Accepted manifests of one network from epoch `from` on, in epoch order,
/// skipping the claim markers stored between them.
fn epochs_of(
    snap: &Snapshot,
    network: &str,
    from: u64,
    limit: usize,
) -> Result<Vec<RewardEpoch>, ApiError> {
    let prefix = keys::reward_prefix(network);
    let mut after = from
        .checked_sub(1)
        .map(|e| after_claims(&keys::reward_epoch(network, e)));
    let mut out = Vec::new();
    while out.len() < limit {
        let rows = snap
            .scan_after(&prefix, after.as_deref(), 1)
            .map_err(ApiError::internal)?;
        let Some((k, v)) = rows.into_iter().next() else {
            break;
        };
        if k.len() == prefix.len() + 8 {
            out.push(borsh::from_slice(&v).map_err(ApiError::internal)?);
            after = Some(after_claims(&k));
        } else {
            // A claim marker (only reachable if a marker sorts past the skip key).
            after = Some(k);
        }
    }
    Ok(out)
}

async fn reward_epochs(
    State(node): State<Arc<Node>>,
    Query(q): Query<RewardsQuery>,
) -> Result<Json<Vec<RewardEpoch>>, ApiError> {
    let from = number(q.from.as_deref(), "invalid_epoch")?.unwrap_or(0);
    let limit = number(q.limit.as_deref(), "invalid_limit")?
        .unwrap_or(50)
        .min(MAX_REWARD_EPOCHS as u64) as usize;
    let snap = snapshot(&node)?;
    let names = network_names(&snap)?;
    let names = match q.network {
        Some(n) if names.contains(&n) => vec![n],
        Some(n) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_network",
                format!("no network `{n}`"),
            ))
        }
        None => names,
    };
    let mut out = Vec::new();
    for n in names {
        let left = limit - out.len();
        out.extend(epochs_of(&snap, &n, from, left)?);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
struct MapQuery {
    res: Option<u8>,
    network: Option<String>,
}

/// Every device (up to [`MAX_MAP_DEVICES`]) and whether there were more.
fn all_devices(snap: &Snapshot) -> Result<(Vec<Device>, bool), ApiError> {
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let rows = snap
            .scan_after(b"dev/", after.as_deref(), 10_000)
            .map_err(ApiError::internal)?;
        let Some((last, _)) = rows.last() else {
            return Ok((out, false));
        };
        after = Some(last.clone());
        for (_, v) in rows {
            if out.len() >= MAX_MAP_DEVICES {
                return Ok((out, true));
            }
            out.push(borsh::from_slice(&v).map_err(ApiError::internal)?);
        }
    }
}

/// The device's cell at `res`, or its own cell where that is coarser.
fn cell_at(device: &Device, res: h3o::Resolution) -> Option<h3o::CellIndex> {
    let cell = h3o::CellIndex::try_from(device.location).ok()?;
    Some(cell.parent(res).unwrap_or(cell))
}

fn parse_res(res: u8) -> Result<h3o::Resolution, ApiError> {
    h3o::Resolution::try_from(res).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_resolution",
            format!("{e} (H3 resolutions are 0..=15)"),
        )
    })
}

async fn map(
    State(node): State<Arc<Node>>,
    Query(q): Query<MapQuery>,
) -> Result<Json<MapView>, ApiError> {
    let res = parse_res(q.res.unwrap_or(5))?;
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let (devices, truncated) = all_devices(&snap)?;
    let mut cells: BTreeMap<h3o::CellIndex, MapCell> = BTreeMap::new();
    let mut count = 0;
    for d in devices {
        if q.network.as_ref().is_some_and(|n| n != &d.network) {
            continue;
        }
        let Some(cell) = cell_at(&d, res) else {
            continue;
        };
        count += 1;
        let stake =
            staking::total(&state, &StakeTarget::Device(d.id)).map_err(ApiError::internal)?;
        let entry = cells.entry(cell).or_insert_with(|| {
            let centre = h3o::LatLng::from(cell);
            MapCell {
                cell: cell.to_string(),
                lat: centre.lat(),
                lon: centre.lng(),
                boundary: cell
                    .boundary()
                    .iter()
                    .map(|ll| [ll.lat(), ll.lng()])
                    .collect(),
                devices: 0,
                active: 0,
                networks: BTreeMap::new(),
                stake: 0,
            }
        });
        entry.devices += 1;
        entry.active += u64::from(d.status == DeviceStatus::Active);
        *entry.networks.entry(d.network).or_default() += 1;
        entry.stake = entry.stake.saturating_add(stake);
    }
    Ok(Json(MapView {
        res: u8::from(res),
        devices: count,
        truncated,
        cells: cells.into_values().collect(),
        height: snap.head().unwrap_or(0),
    }))
}

async fn cell_devices(
    State(node): State<Arc<Node>>,
    Path(cell): Path<String>,
) -> Result<Json<Vec<crate::api::DeviceView>>, ApiError> {
    let cell: h3o::CellIndex = cell.parse().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_cell",
            format!("not an H3 cell: {e}"),
        )
    })?;
    let snap = snapshot(&node)?;
    let state = Overlay::new(&snap);
    let (devices, _) = all_devices(&snap)?;
    let mut out = Vec::new();
    for d in devices {
        if out.len() >= MAX_CELL_DEVICES {
            break;
        }
        if cell_at(&d, cell.resolution()) == Some(cell) {
            let id: DeviceId = d.id;
            let stake =
                staking::total(&state, &StakeTarget::Device(id)).map_err(ApiError::internal)?;
            out.push(crate::api::DeviceView::new(d, stake));
        }
    }
    Ok(Json(out))
}
