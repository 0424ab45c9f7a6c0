//! The compute part of the HTTP API: everything consumers, providers' agents, the
//! oracle set, the CLI and the explorer read of the compute market and its jobs.
//!
//! - `GET /v1/compute/params` — the settings in force and the compute networks.
//! - `GET /v1/compute/offers[?network=]`, `GET /v1/compute/offers/{device}` —
//!   offers with the device's owner, the maker attestation and the provider's
//!   reputation.
//! - `GET /v1/compute/orders[?network=&consumer=&status=]`,
//!   `GET /v1/compute/orders/{id}` — orders; one order with its bids.
//! - `GET /v1/compute/leases[?provider=|consumer=|network=&active=]`,
//!   `GET /v1/compute/leases/{id}` — leases settled through the head
//!   ([`lease_now`]): what is paid and left without a transaction.
//! - `GET /v1/compute/modules/{hash}` and `…/bytes` (`application/wasm`).
//! - `GET /v1/compute/jobs[?network=&consumer=&status=]`,
//!   `GET /v1/compute/jobs/{id}` (with its progress), `…/input`
//!   (`application/octet-stream`), `…/tasks` and `…/claims` (by number).
//! - `GET /v1/compute/claims/{id}` and `GET /v1/compute/claims/pending?network=`
//!   — the revealed claims waiting for the oracle set's spot check (the ledger's
//!   `ccpend/` index), with what re-executing them needs.
//! - `GET /v1/compute/usage/{network}/{epoch}`,
//!   `GET /v1/compute/earned/{network}/{epoch}` — a network's epoch usage and
//!   each provider's earnings.
//!
//! Lists come in key order, paged by `after` and `limit` (at most
//! [`MAX_COMPUTE_PAGE`]); a filtered list reads at most [`MAX_COMPUTE_SCANNED`]
//! records per request. Unknown ids are 404 with a code naming what is unknown
//! (`unknown_job`, …), ids that do not parse 400 (`invalid_job_id`, …).

use crate::query::{parse, snapshot};
use crate::Node;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::compute::*;
use plinth_api::server::extract::{network_name, page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, DeviceId, Hash, PublicKey};
use plinth_ledger::compute::{
    self, lease_now, spot_check_count, ClaimStatus, ComputeOffer, ComputeOrder, ComputeParams,
    ComputeUsage, Job, JobStatus, Lease, LeaseStatus, ModuleInfo, OrderStatus, TaskClaim,
};
use plinth_ledger::governance::makers;
use plinth_ledger::params::Network;
use plinth_ledger::{devices, keys, Overlay};
use plinth_store::Snapshot;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The compute routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/compute/params", get(params))
        .route("/v1/compute/offers", get(offers))
        .route("/v1/compute/offers/{device}", get(offer))
        .route("/v1/compute/orders", get(orders))
        .route("/v1/compute/orders/{id}", get(order))
        .route("/v1/compute/leases", get(leases))
        .route("/v1/compute/leases/{id}", get(lease))
        .route("/v1/compute/modules/{hash}", get(module))
        .route("/v1/compute/modules/{hash}/bytes", get(module_bytes))
        .route("/v1/compute/jobs", get(jobs))
        .route("/v1/compute/jobs/{id}", get(job))
        .route("/v1/compute/jobs/{id}/input", get(job_input))
        .route("/v1/compute/jobs/{id}/tasks", get(job_tasks))
        .route("/v1/compute/jobs/{id}/claims", get(job_claims))
        .route("/v1/compute/claims/pending", get(pending_claims))
        .route("/v1/compute/claims/{id}", get(claim))
        .route("/v1/compute/usage/{network}/{epoch}", get(usage))
        .route("/v1/compute/earned/{network}/{epoch}", get(earned))
}

/// A consistent read of the state at the head.
pub(crate) struct Reader<'a> {
    node: &'a Node,
    snap: Snapshot,
    head: u64,
    /// Block hashes read so far (seeds of spot checks), by height.
    seeds: RefCell<BTreeMap<u64, Hash>>,
}

/// Where the copies of a redundant claim's tasks stand: the ledger's rule for
/// when a claim may reveal and be finalized (`copies` in the ledger's
/// `compute/jobs.rs`, which is private there), read the same way.
enum Copies {
    /// Every copy of every task is committed (or accepted); the last commit's height.
    Committed(u64),
    /// A copy is claimed but not committed; the latest such commit deadline.
    Uncommitted(u64),
    /// A task has fewer than `redundancy` copies claimed.
    Missing,
}

impl<'a> Reader<'a> {
    pub(crate) fn open(node: &'a Node) -> Result<Reader<'a>, ApiError> {
        let snap = snapshot(node)?;
        let head = snap.head().unwrap_or(0);
        Ok(Reader {
            node,
            snap,
            head,
            seeds: RefCell::new(BTreeMap::new()),
        })
    }

    /// The hash of the block at `height`, if it is at or below the head.
    fn block_hash(&self, height: u64) -> Result<Option<Hash>, ApiError> {
        if height > self.head {
            return Ok(None);
        }
        if let Some(h) = self.seeds.borrow().get(&height) {
            return Ok(Some(*h));
        }
        let Some(b) = self.node.store.block(height).map_err(ApiError::internal)? else {
            return Ok(None);
        };
        let h = b.hash();
        self.seeds.borrow_mut().insert(height, h);
        Ok(Some(h))
    }

    /// Where the copies of claim `c`'s tasks stand (redundancy; with one copy a
    /// committed claim's own commit is the last).
    fn copies(&self, job: &Job, c: &TaskClaim) -> Result<Copies, ApiError> {
        let k = usize::from(job.redundancy);
        let mut last = c.committed_height;
        if k <= 1 {
            return Ok(Copies::Committed(last));
        }
        let state = self.state();
        let mut uncommitted: Option<u64> = None;
        let mut missing = false;
        for &t in &c.tasks {
            let slot = compute::task_slot(&state, &c.job, t).map_err(ApiError::internal)?;
            let mut n = slot.results.len();
            for id in &slot.claims {
                let other = compute::claim(&state, id)
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| ApiError::internal(format!("task slot names no claim {id}")))?;
                n += 1;
                if other.status == ClaimStatus::Claimed {
                    uncommitted = Some(uncommitted.unwrap_or(0).max(other.commit_deadline));
                } else {
                    last = last.max(other.committed_height);
                }
            }
            missing |= n < k;
        }
        Ok(match (uncommitted, missing) {
            (Some(h), _) => Copies::Uncommitted(h),
            (None, true) => Copies::Missing,
            (None, false) => Copies::Committed(last),
        })
    }

    pub(crate) fn state(&self) -> Overlay<'_, Snapshot> {
        Overlay::new(&self.snap)
    }

    /// The chain's parameters.
    pub(crate) fn chain_params(&self) -> Result<plinth_ledger::ChainParams, ApiError> {
        plinth_ledger::execute::params(&self.snap).map_err(ApiError::internal)
    }

    fn params(&self) -> Result<ComputeParams, ApiError> {
        compute::params(&self.state()).map_err(ApiError::internal)
    }

    /// Up to `limit` items made by `item` from the entries under `prefix` after
    /// the key `after`; `item` answers `None` for an entry a filter leaves out.
    /// Reads at most [`MAX_COMPUTE_SCANNED`] entries.
    pub(crate) fn page<T>(
        &self,
        prefix: &[u8],
        mut after: Option<Vec<u8>>,
        limit: usize,
        mut item: impl FnMut(&[u8], &[u8]) -> Result<Option<T>, ApiError>,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        let mut scanned = 0;
        while out.len() < limit && scanned < MAX_COMPUTE_SCANNED {
            let batch = limit.min(MAX_COMPUTE_SCANNED - scanned);
            let rows = self
                .snap
                .scan_after(prefix, after.as_deref(), batch)
                .map_err(ApiError::internal)?;
            let n = rows.len();
            let Some((last, _)) = rows.last() else { break };
            after = Some(last.clone());
            scanned += n;
            for (k, v) in rows {
                if out.len() >= limit {
                    break;
                }
                if let Some(t) = item(&k, &v)? {
                    out.push(t);
                }
            }
            if n < batch {
                break;
            }
        }
        Ok(out)
    }

    fn offer_view(&self, o: ComputeOffer) -> Result<Option<ComputeOfferView>, ApiError> {
        let state = self.state();
        let Some(d) = devices::load(&state, &o.device).map_err(ApiError::internal)? else {
            return Ok(None);
        };
        let maker_name = match &o.attested_by {
            Some(m) => makers::load(&state, m)
                .map_err(ApiError::internal)?
                .map(|m| m.name),
            None => None,
        };
        Ok(Some(ComputeOfferView {
            owner: d.owner,
            device_active: d.is_active(),
            attested: o.attested_by.is_some(),
            maker_name,
            reputation: compute::reputation(&state, &o.device).map_err(ApiError::internal)?,
            region_cell: cell_hex(o.attrs.region),
            offer: o,
        }))
    }

    fn order_view(&self, order: ComputeOrder) -> OrderView {
        OrderView {
            taking_bids: order.status == OrderStatus::Open && self.head + 1 < order.bids_until,
            lease: (order.status == OrderStatus::Leased).then_some(order.id),
            order,
            height: self.head,
        }
    }

    /// `l` settled through the head: the settlement a transaction in the next
    /// block would make, applied without writing.
    fn lease_view(&self, l: &Lease) -> LeaseView {
        let mut lease = lease_now(l, self.head + 1);
        let awaiting_close = l.status == LeaseStatus::Active && lease.status != LeaseStatus::Active;
        if awaiting_close {
            // Not closed on the ledger until a transaction closes it.
            lease.closed_height = 0;
        }
        let pays_until = match lease.status {
            LeaseStatus::Active if lease.price_per_block == 0 => lease.end_height,
            LeaseStatus::Active => lease.end_height.min(
                lease
                    .settled_height
                    .saturating_add(lease.escrow / lease.price_per_block),
            ),
            LeaseStatus::Closed(_) => lease.settled_height,
        };
        LeaseView {
            region_cell: cell_hex(lease.attrs.region),
            lease,
            awaiting_close,
            pays_until,
            height: self.head,
        }
    }

    fn job(&self, id: &Hash) -> Result<Job, ApiError> {
        compute::job(&self.state(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("unknown_job", format!("no job {id}")))
    }

    fn claim_view(
        &self,
        claim: TaskClaim,
        number: u32,
        job: &Job,
        p: &ComputeParams,
    ) -> Result<ClaimView, ApiError> {
        let bps = job.spot_check_bps;
        let revealed = (claim.revealed_height > 0).then_some(claim.revealed_height);
        let (reveal_due, finalizable_from) = match claim.status {
            ClaimStatus::Claimed => (None, Some(claim.commit_deadline)),
            ClaimStatus::Committed => match self.copies(job, &claim)? {
                Copies::Committed(last) => {
                    let due = last.saturating_add(p.reveal_blocks);
                    (Some(due), Some(due.saturating_add(1)))
                }
                Copies::Uncommitted(deadline) => (None, Some(deadline)),
                // The task's other copies never came: expired without blame at
                // the job's deadline (at once when the job is closed).
                Copies::Missing if job.status == JobStatus::Open => {
                    (None, Some(job.deadline_height))
                }
                Copies::Missing => (None, Some(claim.committed_height + 1)),
            },
            ClaimStatus::Revealed if bps == 0 => (None, revealed.map(|r| r + 1)),
            ClaimStatus::Revealed => (
                None,
                revealed.map(|r| r.saturating_add(p.verify_blocks) + 1),
            ),
            _ => (None, None),
        };
        let seed_height = revealed.map(|r| r + 1);
        let seed = match seed_height {
            Some(h) => self.block_hash(h)?,
            None => None,
        };
        let checked_tasks =
            seed.map(|s| compute::spot_check_tasks(&s, &claim.id, &claim.tasks, bps));
        let slash_reason = (claim.status == ClaimStatus::Slashed).then_some(match revealed {
            Some(_) => SlashReason::WrongResult,
            None => SlashReason::NotRevealed,
        });
        Ok(ClaimView {
            number,
            network: job.network.clone(),
            consumer: job.consumer,
            spot_check_bps: bps,
            check_count: spot_check_count(claim.tasks.len(), bps) as u32,
            reveal_due,
            seed_height,
            seed,
            checked_tasks,
            verify_due: revealed
                .filter(|_| bps > 0)
                .map(|r| r.saturating_add(p.verify_blocks)),
            finalizable_from,
            slash_reason,
            claim,
            height: self.head,
        })
    }

    /// The number of claim `id` in `job` (`claim_id(job, n) == id`).
    fn claim_number(job: &Job, id: &Hash) -> Option<u32> {
        (0..job.claims).find(|&n| compute::claim_id(&job.id, n) == *id)
    }

    /// Claim `id` with its job, or 404 `unknown_claim`.
    fn claim(&self, id: &Hash) -> Result<(TaskClaim, Job), ApiError> {
        let c = compute::claim(&self.state(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("unknown_claim", format!("no claim {id}")))?;
        let job = compute::job(&self.state(), &c.job)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal(format!("claim {id}: its job is missing")))?;
        Ok((c, job))
    }
}

/// `key + id`: where paging after `id` starts in an index under `prefix`.
pub(crate) fn after_key(prefix: &[u8], id: &[u8]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(id);
    k
}

/// The 32 bytes a key ends with (the id an index entry names).
fn tail32(key: &[u8]) -> Result<[u8; 32], ApiError> {
    key.get(key.len().saturating_sub(32)..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::internal("an index key too short for an id"))
}

/// `?status=` if it is one of `names`, else 400 `invalid_status`.
pub(crate) fn status_filter<'a>(
    status: Option<&'a str>,
    names: &[&str],
    what: &str,
) -> Result<Option<&'a str>, ApiError> {
    match status {
        Some(s) if !names.contains(&s) => {
            let shown: String = s.chars().take(64).collect();
            Err(ApiError::bad_request(
                "invalid_status",
                format!(
                    "`{shown}` is not {what} status: one of {}",
                    names.join(", ")
                ),
            ))
        }
        other => Ok(other),
    }
}

/// The serde name of a status enum (`open`, `leased`, …).
fn status_name<T: serde::Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn decode<T: borsh::BorshDeserialize>(v: &[u8]) -> Result<T, ApiError> {
    borsh::from_slice(v).map_err(ApiError::internal)
}

fn bytes(mime: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, mime)], body).into_response()
}

async fn params(State(node): State<Arc<Node>>) -> Result<Json<ComputeParamsView>, ApiError> {
    let r = Reader::open(&node)?;
    let configured = r
        .state()
        .get(keys::COMPUTE_PARAMS)
        .map_err(ApiError::internal)?
        .is_some();
    let rows = r
        .snap
        .scan(keys::NETWORK_PREFIX, 10_000)
        .map_err(ApiError::internal)?;
    let mut networks = Vec::new();
    for (_, v) in rows {
        let n: Network = decode(&v)?;
        if n.family == compute::FAMILY {
            networks.push(n.name);
        }
    }
    Ok(Json(ComputeParamsView {
        params: r.params()?,
        configured,
        networks,
        height: r.head,
    }))
}

async fn offers(
    State(node): State<Arc<Node>>,
    Query(q): Query<ComputeOffersQuery>,
) -> Result<Json<Vec<ComputeOfferView>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let prefix = keys::COMPUTE_OFFER_PREFIX;
    let after = match &q.after {
        Some(a) => Some(keys::compute_offer(
            parse::<DeviceId>(a, "invalid_device_id")?.key(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(prefix, after, limit, |_, v| {
        let o: ComputeOffer = decode(v)?;
        if q.network.as_ref().is_some_and(|n| *n != o.network) {
            return Ok(None);
        }
        r.offer_view(o)
    })?;
    Ok(Json(out))
}

async fn offer(
    State(node): State<Arc<Node>>,
    Path(device): Path<String>,
) -> Result<Json<ComputeOfferView>, ApiError> {
    let device: DeviceId = parse(&device, "invalid_device_id")?;
    let r = Reader::open(&node)?;
    let o = compute::offer(&r.state(), &device).map_err(ApiError::internal)?;
    let view = match o {
        Some(o) => r.offer_view(o)?,
        None => None,
    };
    view.map(Json).ok_or_else(|| {
        ApiError::not_found(
            "no_compute_offer",
            format!("device {device} offers no compute"),
        )
    })
}

async fn orders(
    State(node): State<Arc<Node>>,
    Query(q): Query<ComputeOrdersQuery>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let consumer = match &q.consumer {
        Some(c) => Some(parse::<Address>(c, "invalid_address")?),
        None => None,
    };
    let status = status_filter(q.status.as_deref(), ORDER_STATUSES, "an order")?;
    let prefix = keys::COMPUTE_ORDER_PREFIX;
    let after = match &q.after {
        Some(a) => Some(after_key(
            prefix,
            parse::<Hash>(a, "invalid_order_id")?.as_bytes(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(prefix, after, limit, |_, v| {
        let o: ComputeOrder = decode(v)?;
        let keep = q.network.as_ref().is_none_or(|n| *n == o.network)
            && consumer.is_none_or(|c| c == o.consumer)
            && status.is_none_or(|s| s == status_name(&o.status));
        Ok(keep.then(|| r.order_view(o)))
    })?;
    Ok(Json(out))
}

async fn order(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<OrderDetailView>, ApiError> {
    let id: Hash = parse(&id, "invalid_order_id")?;
    let r = Reader::open(&node)?;
    let state = r.state();
    let o = compute::order(&state, &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_order", format!("no order {id}")))?;
    let mut bids = Vec::with_capacity(o.bidders.len());
    for d in &o.bidders {
        if let Some(b) = compute::bid(&state, &id, d).map_err(ApiError::internal)? {
            bids.push(BidView {
                live: o.status == OrderStatus::Open && r.head + 1 < b.expires_height,
                region_cell: cell_hex(b.attrs.region),
                bid: b,
            });
        }
    }
    Ok(Json(OrderDetailView {
        order: r.order_view(o),
        bids,
    }))
}

async fn leases(
    State(node): State<Arc<Node>>,
    Query(q): Query<LeasesQuery>,
) -> Result<Json<Vec<LeaseView>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let provider = match &q.provider {
        Some(p) => Some(parse::<DeviceId>(p, "invalid_device_id")?),
        None => None,
    };
    let consumer = match &q.consumer {
        Some(c) => Some(parse::<Address>(c, "invalid_address")?),
        None => None,
    };
    let after_id = match &q.after {
        Some(a) => Some(parse::<Hash>(a, "invalid_lease_id")?),
        None => None,
    };
    // The narrowest index that holds every lease the filters keep.
    let (prefix, indexed) = match (&provider, &consumer, &q.network, q.active) {
        (Some(p), _, _, _) => (keys::leases_of_provider(p.key()), true),
        (None, Some(c), _, _) => (keys::leases_of_consumer(c.key()), true),
        (None, None, Some(n), Some(true)) => (keys::active_leases_of(n), true),
        _ => (keys::LEASE_PREFIX.to_vec(), false),
    };
    let after = after_id.map(|id| after_key(&prefix, id.as_bytes()));
    let r = Reader::open(&node)?;
    let state = r.state();
    let out = r.page(&prefix, after, limit, |k, v| {
        let l: Lease = if indexed {
            match compute::lease(&state, &Hash(tail32(k)?)).map_err(ApiError::internal)? {
                Some(l) => l,
                None => return Ok(None),
            }
        } else {
            decode(v)?
        };
        let view = r.lease_view(&l);
        let keep = q.network.as_ref().is_none_or(|n| *n == l.network)
            && provider.is_none_or(|p| p == l.provider)
            && consumer.is_none_or(|c| c == l.consumer)
            && q.active
                .is_none_or(|a| a == (view.lease.status == LeaseStatus::Active));
        Ok(keep.then_some(view))
    })?;
    Ok(Json(out))
}

async fn lease(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<LeaseView>, ApiError> {
    let id: Hash = parse(&id, "invalid_lease_id")?;
    let r = Reader::open(&node)?;
    let l = compute::lease(&r.state(), &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_lease", format!("no lease {id}")))?;
    Ok(Json(r.lease_view(&l)))
}

fn load_module(r: &Reader, hash: &str) -> Result<ModuleInfo, ApiError> {
    let hash: Hash = parse(hash, "invalid_module_hash")?;
    compute::module(&r.state(), &hash)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_module",
                format!("no module {hash} on the ledger (an upload in progress is not)"),
            )
        })
}

async fn module(
    State(node): State<Arc<Node>>,
    Path(hash): Path<String>,
) -> Result<Json<ModuleView>, ApiError> {
    let r = Reader::open(&node)?;
    Ok(Json(load_module(&r, &hash)?))
}

async fn module_bytes(
    State(node): State<Arc<Node>>,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let r = Reader::open(&node)?;
    let info = load_module(&r, &hash)?;
    let body = compute::module_bytes(&r.state(), &info.hash)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal(format!("module {}: bytes missing", info.hash)))?;
    Ok(bytes("application/wasm", body))
}

async fn jobs(
    State(node): State<Arc<Node>>,
    Query(q): Query<JobsQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    if let Some(n) = &q.network {
        network_name(n)?;
    }
    let consumer = match &q.consumer {
        Some(c) => Some(parse::<Address>(c, "invalid_address")?),
        None => None,
    };
    let status = status_filter(q.status.as_deref(), JOB_STATUSES, "a job")?;
    let after_id = match &q.after {
        Some(a) => Some(parse::<Hash>(a, "invalid_job_id")?),
        None => None,
    };
    let (prefix, indexed) = match &consumer {
        Some(c) => (keys::jobs_of_consumer(c.key()), true),
        None => (keys::JOB_PREFIX.to_vec(), false),
    };
    let after = after_id.map(|id| after_key(&prefix, id.as_bytes()));
    let r = Reader::open(&node)?;
    let state = r.state();
    let out = r.page(&prefix, after, limit, |k, v| {
        let j: Job = if indexed {
            match compute::job(&state, &Hash(tail32(k)?)).map_err(ApiError::internal)? {
                Some(j) => j,
                None => return Ok(None),
            }
        } else {
            decode(v)?
        };
        let keep = q.network.as_ref().is_none_or(|n| *n == j.network)
            && status.is_none_or(|s| s == status_name(&j.status));
        Ok(keep.then_some(j))
    })?;
    Ok(Json(out))
}

async fn job(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let id: Hash = parse(&id, "invalid_job_id")?;
    let r = Reader::open(&node)?;
    let job = r.job(&id)?;
    let state = r.state();
    let mut p = JobProgress {
        tasks_done: job.done,
        ..JobProgress::default()
    };
    let k = usize::from(job.redundancy);
    for t in 0..job.tasks.min(MAX_TASKS_COUNTED) {
        let slot = compute::task_slot(&state, &id, t).map_err(ApiError::internal)?;
        p.tasks_counted += 1;
        if slot.done {
            continue;
        }
        if !slot.claims.is_empty() {
            p.tasks_in_flight += 1;
        }
        if slot.claims.len() + slot.results.len() < k {
            p.tasks_open += 1;
        }
    }
    for n in 0..job.claims.min(MAX_CLAIMS_COUNTED) {
        let Some(c) =
            compute::claim(&state, &compute::claim_id(&id, n)).map_err(ApiError::internal)?
        else {
            continue;
        };
        p.claims_counted += 1;
        let count = &mut p.claims;
        let slot = match c.status {
            ClaimStatus::Claimed => &mut count.claimed,
            ClaimStatus::Committed => &mut count.committed,
            ClaimStatus::Revealed => &mut count.revealed,
            ClaimStatus::Verified => &mut count.verified,
            ClaimStatus::Slashed => &mut count.slashed,
            ClaimStatus::Expired => &mut count.expired,
        };
        *slot += 1;
    }
    Ok(Json(JobView {
        job,
        progress: p,
        height: r.head,
    }))
}

async fn job_input(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: Hash = parse(&id, "invalid_job_id")?;
    let r = Reader::open(&node)?;
    r.job(&id)?;
    let body = compute::job_input(&r.state(), &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal(format!("job {id}: input missing")))?;
    Ok(bytes("application/octet-stream", body))
}

/// The numbers a page after `after` of at most `limit` covers, below `end`.
fn numbers(after: Option<u32>, limit: usize, end: u32) -> std::ops::Range<u32> {
    let first = after.map_or(0, |a| a.saturating_add(1));
    first..end.min(first.saturating_add(limit as u32))
}

async fn job_tasks(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Query(q): Query<NumberPageQuery>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let id: Hash = parse(&id, "invalid_job_id")?;
    let limit = page_limit(q.limit, DEFAULT_TASKS_PAGE, MAX_TASKS_PAGE)?;
    let r = Reader::open(&node)?;
    let job = r.job(&id)?;
    let state = r.state();
    numbers(q.after, limit, job.tasks)
        .map(|task| {
            Ok(TaskView {
                task,
                slot: compute::task_slot(&state, &id, task).map_err(ApiError::internal)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map(Json)
}

async fn job_claims(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Query(q): Query<NumberPageQuery>,
) -> Result<Json<Vec<ClaimView>>, ApiError> {
    let id: Hash = parse(&id, "invalid_job_id")?;
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let r = Reader::open(&node)?;
    let job = r.job(&id)?;
    let p = r.params()?;
    let state = r.state();
    let mut out = Vec::new();
    for n in numbers(q.after, limit, job.claims) {
        if let Some(c) =
            compute::claim(&state, &compute::claim_id(&id, n)).map_err(ApiError::internal)?
        {
            out.push(r.claim_view(c, n, &job, &p)?);
        }
    }
    Ok(Json(out))
}

async fn claim(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<ClaimView>, ApiError> {
    let id: Hash = parse(&id, "invalid_claim_id")?;
    let r = Reader::open(&node)?;
    let (c, job) = r.claim(&id)?;
    let number = Reader::claim_number(&job, &id)
        .ok_or_else(|| ApiError::internal(format!("claim {id} is not among its job's claims")))?;
    Ok(Json(r.claim_view(c, number, &job, &r.params()?)?))
}

async fn pending_claims(
    State(node): State<Arc<Node>>,
    Query(q): Query<PendingClaimsQuery>,
) -> Result<Json<Vec<PendingClaimView>>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let network = network_name(&q.network)?;
    let prefix = keys::pending_claims_of(network);
    let after = match &q.after {
        Some(a) => Some(after_key(
            &prefix,
            parse::<Hash>(a, "invalid_claim_id")?.as_bytes(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let p = r.params()?;
    let out = r.page(&prefix, after, limit, |k, _| {
        let id = Hash(tail32(k)?);
        let (c, job) = r.claim(&id)?;
        let Some(number) = Reader::claim_number(&job, &id) else {
            return Err(ApiError::internal(format!(
                "claim {id} is not among its job's claims"
            )));
        };
        Ok(Some(PendingClaimView {
            module: job.module,
            input_hash: job.input_hash,
            fuel_per_task: job.fuel_per_task,
            claim: r.claim_view(c, number, &job, &p)?,
        }))
    })?;
    Ok(Json(out))
}

async fn usage(
    State(node): State<Arc<Node>>,
    Path((network, epoch)): Path<(String, u64)>,
) -> Result<Json<ComputeUsage>, ApiError> {
    network_name(&network)?;
    let r = Reader::open(&node)?;
    compute::usage(&r.state(), &network, epoch)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn earned(
    State(node): State<Arc<Node>>,
    Path((network, epoch)): Path<(String, u64)>,
    Query(q): Query<EarnedQuery>,
) -> Result<Json<Vec<EarnedView>>, ApiError> {
    network_name(&network)?;
    let limit = page_limit(q.limit, DEFAULT_COMPUTE_PAGE, MAX_COMPUTE_PAGE)?;
    let prefix = keys::compute_earned_of(&network, epoch);
    let after = match &q.after {
        Some(a) => Some(after_key(
            &prefix,
            parse::<DeviceId>(a, "invalid_device_id")?.key().as_bytes(),
        )),
        None => None,
    };
    let r = Reader::open(&node)?;
    let out = r.page(&prefix, after, limit, |k, v| {
        Ok(Some(EarnedView {
            device: DeviceId(PublicKey(tail32(k)?)),
            credits: decode(v)?,
        }))
    })?;
    Ok(Json(out))
}
