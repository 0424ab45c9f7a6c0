//! The energy market in the HTTP API: what homes, the oracle, the CLI and the
//! explorer read of the ledger's energy records ([`plinth_ledger::energy`]).
//!
//! - `GET /v1/energy/{network}/market` — params, clock, balancing account, the
//!   last cleared interval's zones; 404 `unknown_network`, 400 `not_energy_network`.
//! - `GET /v1/energy/{network}/clearings[?from=&zone=&after=&limit=]` — zone
//!   clearings in (interval, zone) order.
//! - `GET /v1/energy/{network}/generation/{epoch}[?after=&limit=]` — verified
//!   generation per meter (what the oracle scores).
//! - `GET /v1/energy/orders[?network=&meter=&owner=&status=&after=&limit=]`,
//!   `GET /v1/energy/orders/{seq}` (404 `unknown_order`).
//! - `GET /v1/energy/meters/{device}` (404 `unknown_meter`),
//!   `GET /v1/energy/meters/{device}/trades[?after=interval:order&limit=]`.
//! - `GET /v1/energy/certificates[?owner=&after=&limit=]`,
//!   `GET /v1/energy/certificates/{id}` (404 `unknown_certificate`).
//!
//! Lists are paged as the compute lists are (at most
//! [`plinth_api::compute::MAX_COMPUTE_PAGE`] a page).

use crate::compute_api::{after_key, decode, status_filter, Reader};
use crate::query::parse;
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::compute::{DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE};
use plinth_api::energy::{
    CertificatesQuery, ClearingsQuery, EnergyOrdersQuery, GenerationView, MarketView, MeterView,
    PageQuery, ZoneView,
};
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, DeviceId, PublicKey};
use plinth_ledger::energy::{self, Certificate, Order, TradeRecord, ZoneClearing};
use plinth_ledger::governance::schedule;
use plinth_ledger::{devices, keys};
use std::sync::Arc;

/// The order statuses `?status=` takes.
const STATUSES: &[&str] = &["open", "done", "cancelled", "out_of_credits"];

/// The energy routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/energy/{network}/market", get(market))
        .route("/v1/energy/{network}/clearings", get(clearings))
        .route("/v1/energy/{network}/generation/{epoch}", get(generation))
        .route("/v1/energy/orders", get(orders))
        .route("/v1/energy/orders/{seq}", get(order))
        .route("/v1/energy/meters/{device}", get(meter))
        .route("/v1/energy/meters/{device}/trades", get(trades))
        .route("/v1/energy/certificates", get(certificates))
        .route("/v1/energy/certificates/{id}", get(certificate))
}

fn zone_hex(z: &str) -> Result<u64, ApiError> {
    u64::from_str_radix(z, 16)
        .ok()
        .filter(|c| h3o::CellIndex::try_from(*c).is_ok())
        .ok_or_else(|| {
            let shown: String = z.chars().take(32).collect();
            ApiError::bad_request(
                "invalid_zone",
                format!("`{shown}` is not an H3 cell in hex"),
            )
        })
}

/// `a:b` of two numbers, the second parsed by `second`.
fn pair<T>(s: &str, second: impl Fn(&str) -> Option<T>, code: &str) -> Result<(u64, T), ApiError> {
    s.split_once(':')
        .and_then(|(a, b)| Some((a.parse().ok()?, second(b)?)))
        .ok_or_else(|| {
            let shown: String = s.chars().take(64).collect();
            ApiError::bad_request(
                code,
                format!("`{shown}` is not `interval:…` as the list's items name it"),
            )
        })
}

async fn market(
    State(node): State<Arc<Node>>,
    Path(network): Path<String>,
) -> Result<Json<MarketView>, ApiError> {
    network_name(&network)?;
    let r = Reader::open(&node)?;
    let s = r.state();
    let chain = r.chain_params()?;
    let head_ms = s
        .get_t::<(u64, u64)>(keys::HEAD)
        .map_err(ApiError::internal)?
        .map_or(chain.genesis_time_ms, |(_, t)| t);
    let epoch = chain.emission.epoch_at(chain.genesis_time_ms, head_ms);
    let n = schedule::network_at(&s, &network, epoch)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_network", format!("no network {network}")))?;
    let params = energy::params_of(&n).ok_or_else(|| {
        ApiError::bad_request(
            "not_energy_network",
            format!(
                "network {network} is a {} network, not an energy one",
                n.family
            ),
        )
    })?;
    let m = energy::market(&s, &network).map_err(ApiError::internal)?;
    let clock = params.clock(chain.genesis_time_ms);
    let mut last_cleared = Vec::new();
    if let Some(last) = m.next_clear.checked_sub(1) {
        let mut prefix = keys::energy_clearings_of(&network);
        prefix.extend_from_slice(&last.to_be_bytes());
        last_cleared = r.page(&prefix, None, MAX_COMPUTE_PAGE, |_, v| {
            Ok(Some(ZoneView::from(decode::<ZoneClearing>(v)?)))
        })?;
    }
    Ok(Json(MarketView {
        network,
        params,
        genesis_time_ms: chain.genesis_time_ms,
        interval_now: clock.at(head_ms),
        first_open: clock.first_open(head_ms),
        market: m,
        last_cleared,
    }))
}

async fn clearings(
    State(node): State<Arc<Node>>,
    Path(network): Path<String>,
    Query(q): Query<ClearingsQuery>,
) -> Result<Json<Vec<ZoneView>>, ApiError> {
    network_name(&network)?;
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let zone = q.zone.as_deref().map(zone_hex).transpose()?;
    let prefix = keys::energy_clearings_of(&network);
    let after = match (&q.after, q.from) {
        (Some(a), _) => {
            let (i, z) = pair(a, |z| zone_hex(z).ok(), "invalid_after")?;
            Some(after_key(
                &prefix,
                &[i.to_be_bytes(), z.to_be_bytes()].concat(),
            ))
        }
        (None, Some(from)) if from > 0 => Some(after_key(
            &prefix,
            &[(from - 1).to_be_bytes(), u64::MAX.to_be_bytes()].concat(),
        )),
        _ => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(&prefix, after, limit, |_, v| {
        let c: ZoneClearing = decode(v)?;
        Ok(zone.is_none_or(|z| z == c.zone).then(|| ZoneView::from(c)))
    })?;
    Ok(Json(out))
}

async fn generation(
    State(node): State<Arc<Node>>,
    Path((network, epoch)): Path<(String, u64)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<GenerationView>>, ApiError> {
    network_name(&network)?;
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let prefix = keys::energy_generation_of(&network, epoch);
    let after = match &q.after {
        Some(a) => Some(after_key(
            &prefix,
            parse::<DeviceId>(a, "invalid_device_id")?.key().as_bytes(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(&prefix, after, limit, |k, v| {
        let tail: [u8; 32] = k[k.len() - 32..]
            .try_into()
            .map_err(|_| ApiError::internal("a generation key too short"))?;
        Ok(Some(GenerationView {
            device: DeviceId(PublicKey(tail)),
            wh: decode(v)?,
        }))
    })?;
    Ok(Json(out))
}

async fn orders(
    State(node): State<Arc<Node>>,
    Query(q): Query<EnergyOrdersQuery>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let meter = match &q.meter {
        Some(m) => Some(parse::<DeviceId>(m, "invalid_device_id")?),
        None => None,
    };
    let owner = match &q.owner {
        Some(o) => Some(parse::<Address>(o, "invalid_address")?),
        None => None,
    };
    let status = status_filter(q.status.as_deref(), STATUSES, "an order")?;
    let prefix = keys::ENERGY_ORDER_PREFIX;
    let after = q.after.map(|s| after_key(prefix, &s.to_be_bytes()));
    let r = Reader::open(&node)?;
    let out = r.page(prefix, after, limit, |_, v| {
        let o: Order = decode(v)?;
        let keep = q.network.as_ref().is_none_or(|n| *n == o.network)
            && meter.is_none_or(|m| m == o.meter)
            && owner.is_none_or(|a| a == o.owner)
            && status.is_none_or(|s| s == o.status.name());
        Ok(keep.then_some(o))
    })?;
    Ok(Json(out))
}

async fn order(
    State(node): State<Arc<Node>>,
    Path(seq): Path<u64>,
) -> Result<Json<Order>, ApiError> {
    let r = Reader::open(&node)?;
    energy::order(&r.state(), seq)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("unknown_order", format!("no energy order {seq}")))
}

async fn meter(
    State(node): State<Arc<Node>>,
    Path(device): Path<String>,
) -> Result<Json<MeterView>, ApiError> {
    let id: DeviceId = parse(&device, "invalid_device_id")?;
    let r = Reader::open(&node)?;
    let s = r.state();
    let m = energy::meter(&s, &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::not_found("unknown_meter", format!("device {id} is not a meter"))
        })?;
    let owner = devices::load(&s, &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("a meter without its device"))?
        .owner;
    Ok(Json(MeterView {
        owner,
        site_hex: format!("{:x}", m.site),
        zone_hex: format!("{:x}", m.zone),
        meter: m,
    }))
}

async fn trades(
    State(node): State<Arc<Node>>,
    Path(device): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<TradeRecord>>, ApiError> {
    let id: DeviceId = parse(&device, "invalid_device_id")?;
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let prefix = keys::energy_trades_of(&id);
    let after = match &q.after {
        Some(a) => {
            let (i, o) = pair(a, |o| o.parse::<u64>().ok(), "invalid_after")?;
            Some(after_key(
                &prefix,
                &[i.to_be_bytes(), o.to_be_bytes()].concat(),
            ))
        }
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(&prefix, after, limit, |_, v| Ok(Some(decode(v)?)))?;
    Ok(Json(out))
}

async fn certificates(
    State(node): State<Arc<Node>>,
    Query(q): Query<CertificatesQuery>,
) -> Result<Json<Vec<Certificate>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let r = Reader::open(&node)?;
    let out = match &q.owner {
        Some(o) => {
            let owner = parse::<Address>(o, "invalid_address")?;
            let prefix = keys::energy_certificates_of(&owner);
            let after = q.after.map(|id| after_key(&prefix, &id.to_be_bytes()));
            let s = r.state();
            r.page(&prefix, after, limit, |k, _| {
                let id = u64::from_be_bytes(
                    k[k.len() - 8..]
                        .try_into()
                        .map_err(|_| ApiError::internal("a certificate index key too short"))?,
                );
                energy::certificate(&s, id).map_err(ApiError::internal)
            })?
        }
        None => {
            let prefix = keys::ENERGY_CERT_PREFIX;
            let after = q.after.map(|id| after_key(prefix, &id.to_be_bytes()));
            r.page(prefix, after, limit, |_, v| Ok(Some(decode(v)?)))?
        }
    };
    Ok(Json(out))
}

async fn certificate(
    State(node): State<Arc<Node>>,
    Path(id): Path<u64>,
) -> Result<Json<Certificate>, ApiError> {
    let r = Reader::open(&node)?;
    energy::certificate(&r.state(), id)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("unknown_certificate", format!("no certificate {id}")))
}
