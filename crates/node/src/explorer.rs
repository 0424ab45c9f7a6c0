//! The block explorer: a one-page web app served by the node, and the read-only
//! endpoints it needs beyond the rest of `/v1`.
//!
//! The assets under `crates/node/web/` are compiled into the binary, so the
//! explorer needs no separate web server and downloads nothing at run time (no
//! CDN, no map tiles). That includes the map's basemap, Natural Earth's countries
//! as world-atlas's TopoJSON (`web/basemap/`, about 105 KiB), which the page
//! decodes and draws under the hexagons. The page reads only the node's public API:
//!
//! ```text
//!  browser ──GET /, /explorer/*, /explorer/basemap/*──▶ assets (include_str!)
//!     │──GET /v1/status, /v1/blocks, … ──▶ rpc.rs
//!     │──GET /v1/rewards, /v1/map, /v1/map/{cell}, /v1/explorer/config ──▶ here
//!     │──GET /v1/explorer/manifests/{network}/{epoch} ──▶ here ──▶ oracle
//!     └──EventSource /v1/events ──▶ live block events
//! ```
//!
//! The manifest endpoint proxies the oracle's full manifest (entries, rejected
//! reports, which oracles signed it and which refused, and why) and checks it
//! against the header the ledger accepted, so the page never talks to the oracle
//! itself.

use crate::Node;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::oracle::{Manifest, ManifestRefusal};
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_api::{ClientError, OracleClient};
use plinth_core::{Address, DeviceId};
use plinth_ledger::devices::{Device, DeviceStatus};
use plinth_ledger::oracle_set::MAX_MANIFEST_SIGNATURES;
use plinth_ledger::params::Network;
use plinth_ledger::rewards::{self, ManifestEntry, ManifestHeader, RewardEpoch};
use plinth_ledger::{keys, staking, Overlay, StakeTarget};
use plinth_store::Snapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// Most devices one map request reads; a larger fleet is reported as truncated.
pub const MAX_MAP_DEVICES: usize = 200_000;
/// Most reward epochs one `/v1/rewards` request returns.
pub const MAX_REWARD_EPOCHS: usize = 500;
/// Most devices `/v1/map/{cell}` lists, and most ids one cell of `/v1/map?ids=true` lists.
pub const MAX_CELL_DEVICES: usize = 500;
/// Most bytes of an oracle manifest the node reads.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// How long the node waits for the oracle.
pub const ORACLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How many entries `top_earners` lists.
pub const TOP_EARNERS: usize = 10;

const INDEX_HTML: &str = include_str!("../web/index.html");
const APP_JS: &str = include_str!("../web/app.js");
const GOV_JS: &str = include_str!("../web/gov.js");
const COMPUTE_JS: &str = include_str!("../web/compute.js");
const ENERGY_JS: &str = include_str!("../web/energy.js");
const STYLE_CSS: &str = include_str!("../web/style.css");
const BASEMAP_JS: &str = include_str!("../web/basemap.js");
/// Natural Earth's 1:110m countries as TopoJSON (world-atlas 2.0.2; see
/// `web/basemap/README.md` for its licence and how to re-vendor it).
const BASEMAP_COUNTRIES: &str = include_str!("../web/basemap/countries-110m.json");

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
    /// Latitude of the cell's centre.
    pub lat: f64,
    /// Longitude of the cell's centre.
    pub lon: f64,
    /// The cell's boundary, `[lat, lon]` pairs in degrees, from h3o.
    pub boundary: Vec<[f64; 2]>,
    /// Devices in the cell.
    pub devices: u64,
    /// Active devices in the cell.
    pub active: u64,
    /// Devices per network.
    pub networks: BTreeMap<String, u64>,
    /// Σ stake bonded to the cell's devices.
    pub stake: u64,
    /// The cell's device ids (at most [`MAX_CELL_DEVICES`]), only with `?ids=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<DeviceId>>,
}

/// The body of `GET /v1/map`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MapView {
    /// The H3 resolution of the cells.
    pub res: u8,
    /// Devices drawn.
    pub devices: u64,
    /// Whether more than [`MAX_MAP_DEVICES`] devices exist (the rest are not drawn).
    pub truncated: bool,
    /// The cells that hold devices.
    pub cells: Vec<MapCell>,
    /// The height the map is for.
    pub height: u64,
}

/// Adds the explorer's pages and endpoints to `router`.
pub fn routes(router: Router<Arc<Node>>, config: ExplorerConfig) -> Router<Arc<Node>> {
    let audit_config = config.clone();
    router
        .route("/", get(|| async { asset("index.html") }))
        .route("/explorer", get(|| async { asset("index.html") }))
        .route(
            "/explorer/{file}",
            get(|Path(f): Path<String>| async move { asset(&f) }),
        )
        .route(
            "/explorer/basemap/{file}",
            get(|Path(f): Path<String>| async move { asset(&format!("basemap/{f}")) }),
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
        .route(
            "/v1/explorer/manifests/{network}/{epoch}",
            get(
                move |State(node): State<Arc<Node>>,
                      Path(path): Path<(String, String)>,
                      Query(q): Query<AuditQuery>| {
                    let config = audit_config.clone();
                    async move { manifest_audit(node, path, q, config).await }
                },
            ),
        )
}

fn asset(name: &str) -> axum::response::Response {
    let (body, mime) = match name {
        "index.html" => (INDEX_HTML, "text/html; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "gov.js" => (GOV_JS, "text/javascript; charset=utf-8"),
        "compute.js" => (COMPUTE_JS, "text/javascript; charset=utf-8"),
        "energy.js" => (ENERGY_JS, "text/javascript; charset=utf-8"),
        "style.css" => (STYLE_CSS, "text/css; charset=utf-8"),
        "basemap.js" => (BASEMAP_JS, "text/javascript; charset=utf-8"),
        "basemap/countries-110m.json" => (BASEMAP_COUNTRIES, "application/json"),
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
    let limit = page_limit(
        number(q.limit.as_deref(), "invalid_limit")?,
        50,
        MAX_REWARD_EPOCHS,
    )?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
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
    ids: Option<bool>,
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
    if let Some(n) = &q.network {
        network_name(n)?;
    }
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
                ids: q.ids.unwrap_or(false).then(Vec::new),
            }
        });
        if let Some(ids) = entry.ids.as_mut().filter(|i| i.len() < MAX_CELL_DEVICES) {
            ids.push(d.id);
        }
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

/// The body of `GET /v1/explorer/manifests/{network}/{epoch}`: the oracle's
/// manifest checked against the header the ledger accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestAudit {
    /// The manifest's network.
    pub network: String,
    /// The manifest's epoch.
    pub epoch: u64,
    /// Whether the oracle's manifest matches the ledger (no `problems`).
    pub consistent: bool,
    /// What does not match, in words.
    pub problems: Vec<String>,
    /// The [`TOP_EARNERS`] largest entries, largest first.
    pub top_earners: Vec<ManifestEntry>,
    /// Reports the oracle did not count, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Entries in the oracle's manifest.
    pub devices_paid: u64,
    /// Σ amounts of the oracle's entries.
    pub total: u128,
    /// Devices with a positive score.
    pub scored: u64,
    /// The oracles whose signatures the manifest carries, in its order, each
    /// checked over the ledger's header.
    pub signatures: Vec<ManifestSigner>,
    /// Members of the oracle set that refused to co-sign it, and why.
    pub refusals: Vec<ManifestRefusal>,
    /// Every entry, only with `?entries=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<ManifestEntry>>,
}

/// One signature a manifest carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSigner {
    /// The oracle that signed.
    pub oracle: Address,
    /// Whether its signature is valid over the header the ledger accepted.
    pub valid: bool,
}

impl ManifestAudit {
    /// Checks `manifest` against the ledger's accepted `header`.
    pub fn check(ledger: &ManifestHeader, manifest: Manifest, with_entries: bool) -> Self {
        let mut problems = Vec::new();
        if manifest.header != *ledger {
            problems.push("the oracle's header differs from the one the ledger accepted".into());
        }
        let root = rewards::manifest_root(&manifest.entries);
        if root != ledger.root {
            problems.push(format!(
                "merkle root of the entries {root} is not the ledger's {}",
                ledger.root
            ));
        }
        let total: u128 = manifest.entries.iter().map(|e| u128::from(e.amount)).sum();
        if total != u128::from(ledger.total) {
            problems.push(format!(
                "entries sum to {total}, the ledger's total is {}",
                ledger.total
            ));
        }
        let paid = manifest.entries.len() as u64;
        if paid != ledger.devices {
            problems.push(format!(
                "{paid} entries, the ledger's header counts {}",
                ledger.devices
            ));
        }
        // The ledger reads at most this many; more is not a manifest it accepted.
        if manifest.signatures.len() > MAX_MANIFEST_SIGNATURES {
            problems.push(format!(
                "{} signatures, more than the {MAX_MANIFEST_SIGNATURES} a manifest may carry",
                manifest.signatures.len()
            ));
        }
        let msg = ledger.signing_bytes();
        let signatures: Vec<ManifestSigner> = manifest
            .signatures
            .iter()
            .take(MAX_MANIFEST_SIGNATURES)
            .map(|s| ManifestSigner {
                oracle: s.oracle,
                valid: s.oracle.key().verify(&msg, &s.signature).is_ok(),
            })
            .collect();
        for s in signatures.iter().filter(|s| !s.valid) {
            problems.push(format!(
                "the signature of oracle {} is not valid over the ledger's header",
                s.oracle
            ));
        }
        let mut top = manifest.entries.clone();
        top.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.device.cmp(&b.device)));
        top.truncate(TOP_EARNERS);
        ManifestAudit {
            network: ledger.network.clone(),
            epoch: ledger.epoch,
            consistent: problems.is_empty(),
            problems,
            top_earners: top,
            rejected: manifest.rejected,
            devices_paid: paid,
            total,
            scored: manifest.scored,
            signatures,
            refusals: manifest.refusals,
            entries: with_entries.then_some(manifest.entries),
        }
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    entries: Option<bool>,
}

/// Why the oracle could not give a manifest.
enum OracleFetch {
    Missing,
    Unreachable(String),
    Invalid(String),
}

fn fetch_manifest(oracle: &str, network: &str, epoch: u64) -> Result<Manifest, OracleFetch> {
    let client =
        OracleClient::with_timeout(oracle, ORACLE_TIMEOUT).with_max_answer(MAX_MANIFEST_BYTES);
    match client.manifest(network, epoch) {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err(OracleFetch::Missing),
        Err(e @ (ClientError::BadAnswer { .. } | ClientError::TooLarge { .. })) => {
            Err(OracleFetch::Invalid(e.to_string()))
        }
        Err(ClientError::Unreachable { reason, .. }) => Err(OracleFetch::Unreachable(reason)),
        Err(e) => Err(OracleFetch::Unreachable(match e.status() {
            Some(code) => format!("oracle answered {code}"),
            None => e.to_string(),
        })),
    }
}

async fn manifest_audit(
    node: Arc<Node>,
    (network, epoch): (String, String),
    q: AuditQuery,
    config: ExplorerConfig,
) -> Result<Json<ManifestAudit>, ApiError> {
    network_name(&network)?;
    let epoch = number(Some(&epoch), "invalid_epoch")?.unwrap_or_default();
    let Some(oracle) = config.oracle().map(str::to_string) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_oracle",
            "this node knows no oracle URL",
        ));
    };
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_manifest",
            format!("no reward manifest for network `{network}` epoch {epoch}"),
        )
    };
    let ledger = {
        let snap = snapshot(&node)?;
        rewards::reward_epoch(&Overlay::new(&snap), &network, epoch)
            .map_err(ApiError::internal)?
            .ok_or_else(unknown)?
    };
    let fetched = {
        let (oracle, network) = (oracle.clone(), network.clone());
        tokio::task::spawn_blocking(move || fetch_manifest(&oracle, &network, epoch))
    }
    .await
    .map_err(ApiError::internal)?;
    match fetched {
        Ok(m) => Ok(Json(ManifestAudit::check(
            &ledger.header,
            m,
            q.entries.unwrap_or(false),
        ))),
        Err(OracleFetch::Missing) => Err(unknown()),
        Err(OracleFetch::Unreachable(e)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "oracle_unreachable",
            format!("the oracle at {oracle} could not be reached: {e}"),
        )),
        Err(OracleFetch::Invalid(e)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "oracle_invalid",
            format!("the oracle at {oracle} sent no valid manifest: {e}"),
        )),
    }
}
