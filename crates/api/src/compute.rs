//! The node's compute API (`/v1/compute…`): the JSON shapes it answers with and
//! the query strings it takes, shared by the node, the CLI, the oracle and the
//! provider agent. Documented for other languages in `crates/node/openapi.yaml`.
//!
//! Ledger records (settings, offers, orders, bids, leases, modules, jobs, task
//! slots, claims, reputation, usage) appear as the ledger serialises them,
//! flattened into views that add what a reader needs and the ledger does not
//! store: a lease as settled *now* (its stored record is only settled when a
//! transaction touches it), the claims of a job counted by status, a claim's
//! deadlines and whether it can be finalized, …
//!
//! ```text
//!  /v1/compute/params                       ComputeParamsView
//!  /v1/compute/offers[/{device}]            ComputeOfferView (offer + owner + reputation)
//!  /v1/compute/orders[/{id}]                OrderView / OrderDetailView (+ bids)
//!  /v1/compute/leases[/{id}]                LeaseView (settled at the head)
//!  /v1/compute/modules/{hash}[/bytes]       ModuleInfo / application/wasm
//!  /v1/compute/jobs[/{id}]                  Job / JobView (+ progress)
//!  /v1/compute/jobs/{id}/input              application/octet-stream
//!  /v1/compute/jobs/{id}/tasks|claims       TaskView / ClaimView
//!  /v1/compute/claims/{id}                  ClaimView
//!  /v1/compute/claims/pending?network=      PendingClaimView (what the oracle set checks)
//!  /v1/compute/usage/{network}/{epoch}      ComputeUsage
//!  /v1/compute/earned/{network}/{epoch}     EarnedView (per provider)
//! ```
//!
//! Hashes (ids) are 64 hex characters, accounts `plinth1…`, devices `pdev1…`,
//! amounts and credits integers. Lists come in key order and are paged with
//! `after` (the last item's id, device or number) and `limit`.

use plinth_core::{Address, DeviceId, Hash};
use plinth_ledger::compute::{
    ComputeBid, ComputeOffer, ComputeOrder, ComputeParams, Job, Lease, ModuleInfo, Reputation,
    TaskClaim, TaskSlot,
};
use serde::{Deserialize, Serialize};

/// Default size of a compute list page.
pub const DEFAULT_COMPUTE_PAGE: usize = 100;
/// Most items one page of offers, orders, leases, jobs, claims or earnings holds.
pub const MAX_COMPUTE_PAGE: usize = 1000;
/// Default size of a page of a job's tasks.
pub const DEFAULT_TASKS_PAGE: usize = 256;
/// Most tasks one page of `GET /v1/compute/jobs/{id}/tasks` holds (a job of the
/// default `max_tasks` fits one page).
pub const MAX_TASKS_PAGE: usize = 4096;
/// Most records the node reads to answer one filtered list request (those the
/// filter leaves out included), so a filtered page may hold fewer than `limit`.
pub const MAX_COMPUTE_SCANNED: usize = 100_000;
/// Most tasks counted for [`JobProgress`]; a job with more has its first ones
/// counted ([`JobProgress::tasks_counted`] says how many).
pub const MAX_TASKS_COUNTED: u32 = 16_384;
/// Most claims counted for [`JobProgress`]; a job with more has its first ones
/// counted ([`JobProgress::claims_counted`] says how many).
pub const MAX_CLAIMS_COUNTED: u32 = 10_000;

/// `GET /v1/compute/params`: the chain's compute settings and networks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeParamsView {
    /// The settings in force: the genesis's `[compute]` section, or the defaults
    /// when it has none (the ledger applies the same).
    pub params: ComputeParams,
    /// Whether the genesis has a `[compute]` section.
    pub configured: bool,
    /// The networks of family `compute`, by name.
    pub networks: Vec<String>,
    /// The head height.
    pub height: u64,
}

/// `GET /v1/compute/offers/{device}` and the items of `GET /v1/compute/offers`: a
/// provider's offer with its device's owner and status and its reputation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeOfferView {
    /// The provider device's owner (who bids, claims and is paid).
    pub owner: Address,
    /// Whether the provider device is active.
    pub device_active: bool,
    /// Whether the device's maker attested these attributes.
    pub attested: bool,
    /// The attesting maker's name, when attested.
    pub maker_name: Option<String>,
    /// The provider's record: leases completed and failed, checks, tasks, slashes.
    pub reputation: Reputation,
    /// `attrs.region` as an H3 cell in its hex form (JSON numbers lose the
    /// low digits of a cell index past 2^53).
    pub region_cell: String,
    /// The offer as the ledger holds it.
    #[serde(flatten)]
    pub offer: ComputeOffer,
}

/// The items of `GET /v1/compute/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// The order as the ledger holds it.
    #[serde(flatten)]
    pub order: ComputeOrder,
    /// Whether a bid placed in the next block is taken (open, before `bids_until`).
    pub taking_bids: bool,
    /// The lease made from it (the same id), once a bid was accepted.
    pub lease: Option<Hash>,
    /// The head height.
    pub height: u64,
}

/// `GET /v1/compute/orders/{id}`: the order with its bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetailView {
    /// The order.
    #[serde(flatten)]
    pub order: OrderView,
    /// Its bids, in bidding order (at most
    /// [`MAX_BIDS_PER_ORDER`](plinth_ledger::compute::MAX_BIDS_PER_ORDER); none once
    /// the order is leased or closed: every bid ends then).
    pub bids: Vec<BidView>,
}

/// A bid on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidView {
    /// The bid as the ledger holds it (with the offer's attributes when placed).
    #[serde(flatten)]
    pub bid: ComputeBid,
    /// Whether the consumer can still accept it in the next block.
    pub live: bool,
    /// `attrs.region` as an H3 cell in its hex form.
    pub region_cell: String,
}

/// `GET /v1/compute/leases/{id}` and the items of `GET /v1/compute/leases`: a
/// lease as settled at the head, without a transaction.
///
/// The ledger settles a lease only when a transaction touches it; this view
/// applies the same settlement ([`plinth_ledger::compute::lease_now`]) to every
/// block up to and including the head, so `paid` and `escrow` are what a
/// transaction in the next block would find already paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseView {
    /// The lease settled through the head. A lease whose payment stopped (escrow
    /// dry, duration over) but that no transaction closed yet shows `closed` with
    /// the reason, `closed_height` 0 and [`LeaseView::awaiting_close`].
    #[serde(flatten)]
    pub lease: Lease,
    /// Payment stopped for good but the lease is still open on the ledger: anyone
    /// may close it (`CloseLease`) to refund the rest and free the collateral.
    pub awaiting_close: bool,
    /// Payment runs to this height (exclusive) if nothing changes: the end of
    /// the duration or of what the escrow covers, whichever comes first.
    pub pays_until: u64,
    /// `attrs.region` as an H3 cell in its hex form.
    pub region_cell: String,
    /// The head height the view is settled through.
    pub height: u64,
}

/// `GET /v1/compute/modules/{hash}`: a module on the ledger (its bytes at
/// `…/bytes`).
pub type ModuleView = ModuleInfo;

/// `GET /v1/compute/jobs/{id}`: a job with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// The job as the ledger holds it (`done` counts the tasks done).
    #[serde(flatten)]
    pub job: Job,
    /// Its tasks and claims by state.
    pub progress: JobProgress,
    /// The head height.
    pub height: u64,
}

/// A job's tasks and claims by state.
///
/// With redundancy (a job's `k` above 1) a task has `k` copies: it may be in
/// flight (a copy claimed) and open (a copy free) at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    /// Tasks done (decided: verified or finalized, by the majority with redundancy).
    pub tasks_done: u32,
    /// Tasks not done with a copy held by a claim not decided yet.
    pub tasks_in_flight: u32,
    /// Tasks not done with a copy free to claim: what providers can claim.
    pub tasks_open: u32,
    /// How many tasks were counted: all of them (`job.tasks`) unless there are
    /// more than [`MAX_TASKS_COUNTED`].
    pub tasks_counted: u32,
    /// The job's claims by status.
    pub claims: ClaimCounts,
    /// How many claims were counted: all of them (`job.claims`) unless there are
    /// more than [`MAX_CLAIMS_COUNTED`].
    pub claims_counted: u32,
}

/// Claims by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCounts {
    /// Tasks claimed, results not committed.
    pub claimed: u32,
    /// Results committed, not revealed.
    pub committed: u32,
    /// Results revealed, waiting for the oracle set's spot check.
    pub revealed: u32,
    /// Verified (spot-checked, or finalized after the window): paid.
    pub verified: u32,
    /// Slashed: a wrong result found, or no reveal.
    pub slashed: u32,
    /// Not committed in time.
    pub expired: u32,
}

/// The items of `GET /v1/compute/jobs/{id}/tasks`: one task's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    /// The task's number (its argument to the module).
    pub task: u32,
    /// Its slot: the claims holding it, the results accepted, whether it is done
    /// and the result that counts.
    #[serde(flatten)]
    pub slot: TaskSlot,
}

/// Why a claim was slashed (what the ledger's record of it shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlashReason {
    /// Its results were revealed and the oracle set's spot check found one wrong.
    WrongResult,
    /// It committed results and never revealed them in time.
    NotRevealed,
}

/// `GET /v1/compute/claims/{id}` and the items of `GET /v1/compute/jobs/{id}/claims`:
/// a claim with its deadlines and what decides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimView {
    /// The claim as the ledger holds it.
    #[serde(flatten)]
    pub claim: TaskClaim,
    /// Its number in its job (`claim_id(job, number)` is its id).
    pub number: u32,
    /// The job's network.
    pub network: String,
    /// The job's consumer.
    pub consumer: Address,
    /// The job's spot-check rate, basis points of the claim's tasks.
    pub spot_check_bps: u32,
    /// How many of the claim's tasks a verdict checks
    /// ([`spot_check_count`](plinth_ledger::compute::spot_check_count)).
    pub check_count: u32,
    /// The last height the reveal may land at, once committed (with redundancy,
    /// once every copy of the claim's tasks is committed: the window counts from
    /// the last of those commits).
    pub reveal_due: Option<u64>,
    /// The height whose block hash draws the spot-checked tasks (the block after
    /// the reveal), once revealed.
    pub seed_height: Option<u64>,
    /// That block's hash, once the block exists.
    pub seed: Option<Hash>,
    /// The tasks the oracle set re-executes, drawn from the seed by the ledger's
    /// rule ([`spot_check_tasks`](plinth_ledger::compute::spot_check_tasks)),
    /// once the seed block exists. For a claim slashed for a wrong result, the
    /// wrong result is among these.
    pub checked_tasks: Option<Vec<u32>>,
    /// The last height the oracle set's verdict is waited for, once revealed
    /// with a spot-check rate above 0.
    pub verify_due: Option<u64>,
    /// The first height a `FinalizeClaim` may apply at, while the claim is
    /// open: the commit deadline (expires it); after the reveal window (slashes
    /// it; with redundancy, while another copy is uncommitted, that copy's commit
    /// deadline, and while a copy is missing, the job's deadline); after the
    /// verify window (pays it; at once when the rate is 0).
    pub finalizable_from: Option<u64>,
    /// Why it was slashed, when it was.
    pub slash_reason: Option<SlashReason>,
    /// The head height.
    pub height: u64,
}

/// The items of `GET /v1/compute/claims/pending`: a revealed claim waiting for
/// the oracle set's spot check, with what re-executing it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingClaimView {
    /// The claim, its deadlines and its seed height.
    #[serde(flatten)]
    pub claim: ClaimView,
    /// The job's module (its bytes at `/v1/compute/modules/{hash}/bytes`).
    pub module: Hash,
    /// The hash of the job's input (its bytes at `/v1/compute/jobs/{id}/input`).
    pub input_hash: Hash,
    /// Fuel each task may burn.
    pub fuel_per_task: u64,
}

/// The items of `GET /v1/compute/earned/{network}/{epoch}`: credits a provider
/// earned in the epoch (leases and tasks), which the network's reward manifest
/// pays by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnedView {
    /// The provider device.
    pub device: DeviceId,
    /// Credits paid to it in the epoch.
    pub credits: u64,
}

/// The query of `GET /v1/compute/offers`. Values are text, so the node says which
/// one does not parse.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ComputeOffersQuery {
    /// Only the offers of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Page after this provider device (offers come in device order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/compute/orders`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ComputeOrdersQuery {
    /// Only the orders of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Only the orders of this consumer (an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// Only orders with this status: `open`, `leased` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Page after this order id (orders come in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/compute/leases`. With `provider` the provider's leases
/// are read (its index), else with `consumer` the consumer's, else with `network`
/// and `active=true` the network's active leases, else all; the other values
/// filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LeasesQuery {
    /// Only the leases of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Only the leases of this provider device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Only the leases of this consumer (an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// Only leases still paying at the head (`true`) or ended (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Page after this lease id (leases come in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/compute/jobs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobsQuery {
    /// Only the jobs of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Only the jobs of this consumer (an address; read from its index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// Only jobs with this status: `open`, `completed`, `cancelled` or `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Page after this job id (jobs come in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/compute/jobs/{id}/tasks` and `…/claims`: pages by number
/// (task number, claim number).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct NumberPageQuery {
    /// Page after this number (the first page starts at 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u32>,
    /// Most items (tasks: default [`DEFAULT_TASKS_PAGE`], at most
    /// [`MAX_TASKS_PAGE`]; claims: default [`DEFAULT_COMPUTE_PAGE`], at most
    /// [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/compute/claims/pending`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingClaimsQuery {
    /// The compute network.
    pub network: String,
    /// Page after this claim id (claims come in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/bursts`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BurstsQuery {
    /// Only this network's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Only bursts in this status (`open`, `paid`, `refunded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Only this account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    /// Page after this burst id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// A burst as `GET /v1/bursts` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstView {
    /// The burst as the ledger holds it.
    #[serde(flatten)]
    pub burst: plinth_ledger::bursts::Burst,
    /// The tag in hex (an H3 cell as it is written).
    pub tag_hex: String,
}

/// The query of `GET /v1/compute/earned/{network}/{epoch}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EarnedQuery {
    /// Page after this provider device (in device order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default [`DEFAULT_COMPUTE_PAGE`], at most [`MAX_COMPUTE_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// An H3 cell index in its usual hex form (`8c1f1d48c39c1ff`), as device
/// locations are shown.
pub fn cell_hex(cell: u64) -> String {
    format!("{cell:x}")
}

/// The order statuses `?status=` takes, as the ledger spells them.
pub const ORDER_STATUSES: &[&str] = &["open", "leased", "closed"];
/// The job statuses `?status=` takes, as the ledger spells them.
pub const JOB_STATUSES: &[&str] = &["open", "completed", "cancelled", "expired"];

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_ledger::compute::{LeaseCloseReason, LeaseStatus, OrderStatus};

    #[test]
    fn statuses_are_spelled_as_the_ledger_spells_them() {
        let name = |v: serde_json::Value| v.as_str().unwrap().to_string();
        let orders: Vec<String> = [OrderStatus::Open, OrderStatus::Leased, OrderStatus::Closed]
            .into_iter()
            .map(|s| name(serde_json::to_value(s).unwrap()))
            .collect();
        assert_eq!(orders, ORDER_STATUSES);
        use plinth_ledger::compute::JobStatus as J;
        let jobs: Vec<String> = [J::Open, J::Completed, J::Cancelled, J::Expired]
            .into_iter()
            .map(|s| name(serde_json::to_value(s).unwrap()))
            .collect();
        assert_eq!(jobs, JOB_STATUSES);
        assert_eq!(
            serde_json::to_value(LeaseStatus::Closed(LeaseCloseReason::EscrowExhausted)).unwrap(),
            serde_json::json!({"status": "closed", "reason": "escrow_exhausted"})
        );
    }

    #[test]
    fn queries_leave_out_what_is_not_set() {
        assert_eq!(
            serde_urlencoded::to_string(LeasesQuery::default()).unwrap(),
            ""
        );
        let q = LeasesQuery {
            network: Some("gpu".into()),
            active: Some(true),
            limit: Some(5),
            ..Default::default()
        };
        assert_eq!(
            serde_urlencoded::to_string(&q).unwrap(),
            "network=gpu&active=true&limit=5"
        );
        let q = NumberPageQuery {
            after: Some(7),
            limit: None,
        };
        assert_eq!(serde_urlencoded::to_string(q).unwrap(), "after=7");
    }
}
