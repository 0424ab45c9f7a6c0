//! [`NodeClient`]'s compute calls (`/v1/compute…`), typed.
//!
//! A lookup of one record answers `None` only for the 404 whose code says that
//! record is unknown (`unknown_job`, …); any other 404 (a node without the
//! compute API answers `not_found`) stays an error, so a caller cannot mistake
//! an old node for a missing record.

use super::{with_query, NodeClient, Result};
use crate::compute::*;
use plinth_core::{DeviceId, Hash};
use plinth_ledger::compute::ComputeUsage;
use serde::de::DeserializeOwned;

/// The largest module or job input [`NodeClient::compute_module_bytes`] and
/// [`NodeClient::compute_job_input`] read (above any chain's limits: a module
/// fits a few hundred transactions).
pub const MAX_COMPUTE_BYTES: u64 = 64 << 20;

impl NodeClient {
    /// `GET path`, with the 404 whose code is `missing` as `None`.
    fn compute_opt<T: DeserializeOwned>(&self, path: &str, missing: &str) -> Result<Option<T>> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() && e.code() == Some(missing) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET path` as bytes (at most [`MAX_COMPUTE_BYTES`]), with the 404 whose
    /// code is `missing` as `None`.
    fn compute_bytes(&self, path: &str, missing: &str) -> Result<Option<Vec<u8>>> {
        match self.get_raw(path, MAX_COMPUTE_BYTES) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() && e.code() == Some(missing) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/compute/params`: the compute settings in force and the compute
    /// networks.
    pub fn compute_params(&self) -> Result<ComputeParamsView> {
        self.get("/v1/compute/params")
    }

    /// `GET /v1/compute/offers`: one page of providers' offers, in device order.
    pub fn compute_offers(&self, query: &ComputeOffersQuery) -> Result<Vec<ComputeOfferView>> {
        self.get(&with_query("/v1/compute/offers", query))
    }

    /// Every compute offer of `network` (all networks when `None`), paged through
    /// `GET /v1/compute/offers`.
    pub fn compute_all_offers(&self, network: Option<&str>) -> Result<Vec<ComputeOfferView>> {
        let mut out: Vec<ComputeOfferView> = Vec::new();
        loop {
            let page = self.compute_offers(&ComputeOffersQuery {
                network: network.map(str::to_string),
                after: out.last().map(|o| o.offer.device.to_string()),
                limit: Some(MAX_COMPUTE_PAGE as u64),
            })?;
            let n = page.len();
            out.extend(page);
            if n < MAX_COMPUTE_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/compute/offers/{device}`; `None` for a device that offers no compute.
    pub fn compute_offer(&self, device: &DeviceId) -> Result<Option<ComputeOfferView>> {
        self.compute_opt(&format!("/v1/compute/offers/{device}"), "no_compute_offer")
    }

    /// `GET /v1/compute/orders`: one page of orders, in id order.
    pub fn compute_orders(&self, query: &ComputeOrdersQuery) -> Result<Vec<OrderView>> {
        self.get(&with_query("/v1/compute/orders", query))
    }

    /// `GET /v1/compute/orders/{id}`: the order with its bids; `None` for an
    /// unknown order.
    pub fn compute_order(&self, id: &Hash) -> Result<Option<OrderDetailView>> {
        self.compute_opt(&format!("/v1/compute/orders/{id}"), "unknown_order")
    }

    /// `GET /v1/compute/leases`: one page of leases settled at the head.
    pub fn compute_leases(&self, query: &LeasesQuery) -> Result<Vec<LeaseView>> {
        self.get(&with_query("/v1/compute/leases", query))
    }

    /// `GET /v1/compute/leases/{id}`: the lease settled at the head; `None` for an
    /// unknown lease.
    pub fn compute_lease(&self, id: &Hash) -> Result<Option<LeaseView>> {
        self.compute_opt(&format!("/v1/compute/leases/{id}"), "unknown_lease")
    }

    /// `GET /v1/compute/modules/{hash}`; `None` for a module not on the ledger
    /// (an upload in progress included).
    pub fn compute_module(&self, hash: &Hash) -> Result<Option<ModuleView>> {
        self.compute_opt(&format!("/v1/compute/modules/{hash}"), "unknown_module")
    }

    /// `GET /v1/compute/modules/{hash}/bytes`: the module's WebAssembly; `None`
    /// for a module not on the ledger. The caller checks the bytes against the
    /// hash (`plinth_ledger::compute::module_hash`) before running them.
    pub fn compute_module_bytes(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        self.compute_bytes(
            &format!("/v1/compute/modules/{hash}/bytes"),
            "unknown_module",
        )
    }

    /// `GET /v1/compute/jobs`: one page of jobs, in id order.
    pub fn compute_jobs(&self, query: &JobsQuery) -> Result<Vec<plinth_ledger::compute::Job>> {
        self.get(&with_query("/v1/compute/jobs", query))
    }

    /// `GET /v1/compute/jobs/{id}`: the job with its progress; `None` for an
    /// unknown job.
    pub fn compute_job(&self, id: &Hash) -> Result<Option<JobView>> {
        self.compute_opt(&format!("/v1/compute/jobs/{id}"), "unknown_job")
    }

    /// `GET /v1/compute/jobs/{id}/input`: the job's input bytes; `None` for an
    /// unknown job.
    pub fn compute_job_input(&self, id: &Hash) -> Result<Option<Vec<u8>>> {
        self.compute_bytes(&format!("/v1/compute/jobs/{id}/input"), "unknown_job")
    }

    /// `GET /v1/compute/jobs/{id}/tasks`: one page of the job's tasks.
    pub fn compute_job_tasks(&self, id: &Hash, query: &NumberPageQuery) -> Result<Vec<TaskView>> {
        self.get(&with_query(&format!("/v1/compute/jobs/{id}/tasks"), query))
    }

    /// Every task of job `id`, in task order (paged through `…/tasks`).
    pub fn compute_all_job_tasks(&self, id: &Hash) -> Result<Vec<TaskView>> {
        let mut out: Vec<TaskView> = Vec::new();
        loop {
            let page = self.compute_job_tasks(
                id,
                &NumberPageQuery {
                    after: out.last().map(|t| t.task),
                    limit: Some(MAX_TASKS_PAGE as u64),
                },
            )?;
            let n = page.len();
            out.extend(page);
            if n < MAX_TASKS_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/compute/jobs/{id}/claims`: one page of the job's claims, in claim
    /// order.
    pub fn compute_job_claims(&self, id: &Hash, query: &NumberPageQuery) -> Result<Vec<ClaimView>> {
        self.get(&with_query(&format!("/v1/compute/jobs/{id}/claims"), query))
    }

    /// `GET /v1/compute/claims/{id}`; `None` for an unknown claim.
    pub fn compute_claim(&self, id: &Hash) -> Result<Option<ClaimView>> {
        self.compute_opt(&format!("/v1/compute/claims/{id}"), "unknown_claim")
    }

    /// `GET /v1/compute/claims/pending`: one page of `network`'s revealed claims
    /// waiting for the oracle set's verdict, in claim id order.
    pub fn compute_pending_claims(
        &self,
        query: &PendingClaimsQuery,
    ) -> Result<Vec<PendingClaimView>> {
        self.get(&with_query("/v1/compute/claims/pending", query))
    }

    /// Every revealed claim of `network` waiting for a verdict (paged through
    /// `GET /v1/compute/claims/pending`).
    pub fn compute_all_pending_claims(&self, network: &str) -> Result<Vec<PendingClaimView>> {
        let mut out: Vec<PendingClaimView> = Vec::new();
        loop {
            let page = self.compute_pending_claims(&PendingClaimsQuery {
                network: network.to_string(),
                after: out.last().map(|c| c.claim.claim.id.to_string()),
                limit: Some(MAX_COMPUTE_PAGE as u64),
            })?;
            let n = page.len();
            out.extend(page);
            if n < MAX_COMPUTE_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/compute/usage/{network}/{epoch}`: credits used and refunded,
    /// checks, tasks paid, claims slashed, leases closed.
    pub fn compute_usage(&self, network: &str, epoch: u64) -> Result<ComputeUsage> {
        self.get(&format!("/v1/compute/usage/{network}/{epoch}"))
    }

    /// `GET /v1/compute/earned/{network}/{epoch}`: one page of what each provider
    /// earned in the epoch, in device order.
    pub fn compute_earned(
        &self,
        network: &str,
        epoch: u64,
        query: &EarnedQuery,
    ) -> Result<Vec<EarnedView>> {
        self.get(&with_query(
            &format!("/v1/compute/earned/{network}/{epoch}"),
            query,
        ))
    }

    /// What every provider earned in `network`'s epoch `epoch` (paged through
    /// `GET /v1/compute/earned/…`).
    pub fn compute_all_earned(&self, network: &str, epoch: u64) -> Result<Vec<EarnedView>> {
        let mut out: Vec<EarnedView> = Vec::new();
        loop {
            let page = self.compute_earned(
                network,
                epoch,
                &EarnedQuery {
                    after: out.last().map(|e| e.device.to_string()),
                    limit: Some(MAX_COMPUTE_PAGE as u64),
                },
            )?;
            let n = page.len();
            out.extend(page);
            if n < MAX_COMPUTE_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/bursts`: one page of bursts.
    pub fn bursts(&self, q: &BurstsQuery) -> Result<Vec<BurstView>> {
        self.get(&with_query("/v1/bursts", q))
    }

    /// Every burst of `network` in `status` (paged through `GET /v1/bursts`).
    pub fn all_bursts(&self, network: &str, status: &str) -> Result<Vec<BurstView>> {
        let mut out: Vec<BurstView> = Vec::new();
        loop {
            let page = self.bursts(&BurstsQuery {
                network: Some(network.into()),
                status: Some(status.into()),
                after: out.last().map(|b| b.burst.id.to_string()),
                limit: Some(MAX_COMPUTE_PAGE as u64),
                ..BurstsQuery::default()
            })?;
            let n = page.len();
            out.extend(page);
            if n < MAX_COMPUTE_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/bursts/{id}`; `None` for an unknown burst.
    pub fn burst(&self, id: &Hash) -> Result<Option<BurstView>> {
        self.compute_opt(&format!("/v1/bursts/{id}"), "unknown_burst")
    }
}

/// What an epoch's manifest says of a burst ([`award_claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardLookup {
    /// The ledger holds no manifest of the epoch (yet).
    NoManifest,
    /// The manifest awards nothing for the burst's tag.
    NoAward,
    /// The `ClaimBurst` call that pays the burst.
    Claim(Box<plinth_ledger::Call>),
}

/// Whether the manifest of `epoch` (accepted by the ledger, published by the
/// oracle) awards `burst`'s tag, and if so the call that pays it: what
/// `plinth burst claim` and the devnet's keeper look for, epoch by epoch.
pub fn award_claim(
    node: &NodeClient,
    oracle: &super::OracleClient,
    burst: &plinth_ledger::bursts::Burst,
    epoch: u64,
) -> Result<AwardLookup> {
    if node.reward_epoch(&burst.network, epoch)?.is_none() {
        return Ok(AwardLookup::NoManifest);
    }
    Ok(match oracle.award(&burst.network, epoch, burst.tag)? {
        None => AwardLookup::NoAward,
        Some(a) => AwardLookup::Claim(Box::new(plinth_ledger::Call::ClaimBurst {
            burst: burst.id,
            epoch,
            devices: a.award.devices,
            proof: a.proof,
        })),
    })
}
