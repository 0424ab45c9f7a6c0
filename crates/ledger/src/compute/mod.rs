//! Compute: a market for capacity (orders, bids, leases paid per block) and jobs of
//! deterministic WebAssembly whose results are verified by spot-check re-execution.
//!
//! ```text
//!  provider owner ──OfferCompute{device, endpoint, attrs, attestation?, prices, collateral terms, deposit}──▶
//!                     offer + collateral pool (free | locked)
//!
//!  the market (Akash's lifecycle):
//!  consumer ──PostOrder{network, requirements, max price/block, duration, deposit, bid window}──▶
//!                     order (deposit credits escrowed: spent now, refunded on close)
//!  provider ──PlaceBid{order, device, price/block, deposit, expiry}──▶ bid (snapshot of the
//!                     offer's attributes: a bid cannot hide the accelerator)
//!  consumer ──AcceptBid{order, device}──▶ lease (id = order id): other bids' deposits back,
//!                     every bid deposit back, lease collateral locked from the pool
//!  lease: price/block paid from escrow, settled lazily whenever the lease is touched
//!         (deposit, close, checks); payment stops at min(end_height, the height the
//!         escrow runs dry): the provider is paid exactly what the escrow covered
//!  consumer | provider owner ──CloseLease──▶ settled, escrow rest refunded, collateral
//!         back to the pool; anyone may close a lease that ended (dry, duration over)
//!  oracle set ──SettleChecks{network, epoch, [lease, [pass|fail…]]}, k of n──▶ per lease, in
//!         order: counts, reputation; `max_check_failures` fails in a row close it
//!         (FailedChecks): escrow rest refunded, `check_slash_bps` of its collateral
//!         to the consumer
//!
//!  verified jobs:
//!  anyone ──UploadModule{module, size, index, chunk}…──▶ module on the ledger once complete
//!  consumer ──CreateJob{network, module, input, tasks, fuel, price/task, p, k, lease?, deadline}──▶
//!                     tasks × k × price escrowed
//!  provider ──ClaimTasks{job, device, count}──▶ claim of the lowest open tasks
//!                     (collateral_per_task × count locked); commit due in `commit_blocks`
//!  provider ──CommitTasks{claim, [commitment]}──▶ committed (commitment binds job, task,
//!                     provider and result hash: a copied commitment never opens)
//!  provider ──RevealTasks{claim, [result hash]}──▶ revealed (a later block; due in
//!                     `reveal_blocks`); with redundancy, the majority decides once every
//!                     copy of a task is revealed
//!  oracle set ──VerifyClaim{verdict: tasks drawn from the hash of the block after the
//!                     reveal, ok per task}, k of n──▶ all ok: paid, collateral back;
//!                     a mismatch: `cheat_slash_bps` of the claim's collateral to the
//!                     consumer, its tasks open again (re-run elsewhere), its price stays
//!                     in escrow for the re-run
//!  anyone ──FinalizeClaim──▶ uncommitted past the deadline: expired (tasks open, collateral
//!                     back); committed, unrevealed past the window: slashed; revealed and
//!                     unchecked past `verify_blocks` (or p = 0): paid
//! ```
//!
//! Credits paid to providers are gone (used), like storage's: they count in the
//! network's epoch usage ([`ComputeUsage`]) and in each provider's earnings per epoch
//! ([`earned`]), which the network's reward manifest pays by. Refunded credits return
//! as *delegated* credits (spendable, not delegable), as in storage.
//!
//! Idle leases cost nothing per block: nothing is done for a lease until a call
//! touches it.
//!
//! Every call applies, redundancy included (see `jobs.rs`). The oracle set draws a revealed claim's spot-checked tasks with
//! [`spot_check_tasks`] (the ledger cannot see block hashes, so it checks the count,
//! order and membership of the drawn tasks and trusts the quorum for the draw).
//!
//! Files: `market.rs` (offers, orders, bids, leases, capacity checks), `jobs.rs`
//! (modules, jobs, claims, verdicts). This file holds the reads every file shares.

use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::params::Network;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{credits, keys};
use plinth_core::{Address, DeviceId, Hash};

pub use crate::compute_types::*;
pub use crate::oracle_set::{ComputeChecks, JobVerdict, LeaseChecks, TaskCheck};

pub(crate) mod jobs;
mod market;

pub use jobs::{spot_check_count, spot_check_tasks};
pub use market::{lease_now, meets_requirements, settle_lease};

/// The proof family of compute networks.
pub const FAMILY: &str = plinth_core::FamilyKind::Compute.name();

/// The chain's compute settings (the defaults when the genesis set none).
pub fn params<S: Store>(state: &Overlay<'_, S>) -> Result<ComputeParams, LedgerError> {
    state.get_or_default(keys::COMPUTE_PARAMS)
}

/// `device`'s compute offer, if it made one.
pub fn offer<S: Store>(
    state: &Overlay<'_, S>,
    device: &DeviceId,
) -> Result<Option<ComputeOffer>, LedgerError> {
    state.get_t(&keys::compute_offer(device.key()))
}

/// The order `id`, if any.
pub fn order<S: Store>(
    state: &Overlay<'_, S>,
    id: &Hash,
) -> Result<Option<ComputeOrder>, LedgerError> {
    state.get_t(&keys::compute_order(id))
}

/// `device`'s bid on `order`, if any.
pub fn bid<S: Store>(
    state: &Overlay<'_, S>,
    order: &Hash,
    device: &DeviceId,
) -> Result<Option<ComputeBid>, LedgerError> {
    state.get_t(&keys::compute_bid(order, device.key()))
}

/// The lease `id` as stored (settled up to its `settled_height`; see [`lease_now`]).
pub fn lease<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Option<Lease>, LedgerError> {
    state.get_t(&keys::lease(id))
}

/// The complete module `hash`, if on the ledger.
pub fn module<S: Store>(
    state: &Overlay<'_, S>,
    hash: &Hash,
) -> Result<Option<ModuleInfo>, LedgerError> {
    state.get_t(&keys::module(hash))
}

/// The bytes of the complete module `hash`, if on the ledger.
pub fn module_bytes<S: Store>(
    state: &Overlay<'_, S>,
    hash: &Hash,
) -> Result<Option<Vec<u8>>, LedgerError> {
    let Some(info) = module(state, hash)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(info.size as usize);
    for i in 0..module_chunks(info.size) {
        let chunk: Vec<u8> =
            state
                .get(&keys::module_chunk(hash, i))?
                .ok_or_else(|| LedgerError::Corrupt {
                    key: format!("module {hash} chunk {i}"),
                    reason: "a complete module's chunk is missing".into(),
                })?;
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

/// The job `id`, if any.
pub fn job<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Option<Job>, LedgerError> {
    state.get_t(&keys::job(id))
}

/// The input bytes of job `id`.
pub fn job_input<S: Store>(
    state: &Overlay<'_, S>,
    id: &Hash,
) -> Result<Option<Vec<u8>>, LedgerError> {
    state.get(&keys::job_input(id))
}

/// Task `task` of job `job`'s progress (empty when untouched).
pub fn task_slot<S: Store>(
    state: &Overlay<'_, S>,
    job: &Hash,
    task: u32,
) -> Result<TaskSlot, LedgerError> {
    state.get_or_default(&keys::task_slot(job, task))
}

/// The claim `id`, if any.
pub fn claim<S: Store>(
    state: &Overlay<'_, S>,
    id: &Hash,
) -> Result<Option<TaskClaim>, LedgerError> {
    state.get_t(&keys::claim(id))
}

/// `device`'s reputation (zero when it never worked).
pub fn reputation<S: Store>(
    state: &Overlay<'_, S>,
    device: &DeviceId,
) -> Result<Reputation, LedgerError> {
    state.get_or_default(&keys::compute_reputation(device.key()))
}

/// A compute network's usage in an epoch (zero when nothing happened).
pub fn usage<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    epoch: u64,
) -> Result<ComputeUsage, LedgerError> {
    state.get_or_default(&keys::compute_usage(network, epoch))
}

/// Credits `device` earned in `network`'s epoch `epoch`.
pub fn earned<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    epoch: u64,
    device: &DeviceId,
) -> Result<u64, LedgerError> {
    state.get_or_default(&keys::compute_earned(network, epoch, device.key()))
}

/// The compute network `name`, or why it is not one.
pub(crate) fn compute_network<S: Store>(
    state: &Overlay<'_, S>,
    name: &str,
) -> Result<Network, Fail> {
    let n: Network = state
        .get_t(&keys::network(name))?
        .ok_or_else(|| TxError::UnknownNetwork {
            network: name.to_string(),
        })?;
    if n.family != plinth_core::FamilyKind::Compute {
        return Err(TxError::NotComputeNetwork {
            network: name.to_string(),
            family: n.family,
        }
        .into());
    }
    Ok(n)
}

/// Pays `credits` of a consumer's escrow to `provider`: counted as used in the
/// network's epoch, in the provider's earnings of the epoch and its reputation.
/// The credits themselves are gone (spent when escrowed).
pub(crate) fn record_payment<S: Store>(
    state: &mut Overlay<'_, S>,
    network: &str,
    epoch: u64,
    provider: &DeviceId,
    credits: u64,
) -> Result<(), Fail> {
    if credits == 0 {
        return Ok(());
    }
    record_earning(state, network, epoch, provider, credits)?;
    update_reputation(state, provider, |r| {
        r.credits_earned = r.credits_earned.checked_add(credits)?;
        Some(())
    })
}

/// Counts `credits` (spent by a consumer) as earned by `device` in the network's
/// epoch and as used there: what the network's usage rewards pay on (compute
/// payments, bursts).
pub(crate) fn record_earning<S: Store>(
    state: &mut Overlay<'_, S>,
    network: &str,
    epoch: u64,
    device: &DeviceId,
    credits: u64,
) -> Result<(), Fail> {
    let key = keys::compute_earned(network, epoch, device.key());
    let e: u64 = state.get_or_default(&key)?;
    state.put_t(key, &e.checked_add(credits).ok_or(TxError::Overflow)?);
    update_usage(state, network, epoch, |u| {
        u.credits_used = u.credits_used.checked_add(credits)?;
        Some(())
    })
}

/// Returns `credits` to `consumer` as delegated credits, counted as refunded in the
/// network's epoch.
pub(crate) fn refund<S: Store>(
    state: &mut Overlay<'_, S>,
    network: &str,
    epoch: u64,
    consumer: &Address,
    credits: u64,
) -> Result<(), Fail> {
    if credits == 0 {
        return Ok(());
    }
    let mut c = credits::load(state, consumer)?;
    c.delegated = c.delegated.checked_add(credits).ok_or(TxError::Overflow)?;
    state.put_t(keys::credits(consumer.key()), &c);
    update_usage(state, network, epoch, |u| {
        u.credits_refunded = u.credits_refunded.checked_add(credits)?;
        Some(())
    })
}

/// Changes a network's epoch usage; `f` returns `None` on overflow.
pub(crate) fn update_usage<S: Store>(
    state: &mut Overlay<'_, S>,
    network: &str,
    epoch: u64,
    f: impl FnOnce(&mut ComputeUsage) -> Option<()>,
) -> Result<(), Fail> {
    let key = keys::compute_usage(network, epoch);
    let mut u: ComputeUsage = state.get_or_default(&key)?;
    f(&mut u).ok_or(TxError::Overflow)?;
    state.put_t(key, &u);
    Ok(())
}

/// Changes a provider's reputation; `f` returns `None` on overflow.
pub(crate) fn update_reputation<S: Store>(
    state: &mut Overlay<'_, S>,
    device: &DeviceId,
    f: impl FnOnce(&mut Reputation) -> Option<()>,
) -> Result<(), Fail> {
    let key = keys::compute_reputation(device.key());
    let mut r: Reputation = state.get_or_default(&key)?;
    f(&mut r).ok_or(TxError::Overflow)?;
    state.put_t(key, &r);
    Ok(())
}

/// Applies a compute call (the calls [`Call::module`] routes here).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::OfferCompute { .. }
        | Call::WithdrawComputeCollateral { .. }
        | Call::PostOrder { .. }
        | Call::CloseOrder { .. }
        | Call::PlaceBid { .. }
        | Call::WithdrawBid { .. }
        | Call::AcceptBid { .. }
        | Call::DepositLease { .. }
        | Call::CloseLease { .. }
        | Call::SettleChecks { .. } => market::apply(cx, call),
        Call::UploadModule { .. }
        | Call::CreateJob { .. }
        | Call::CancelJob { .. }
        | Call::ClaimTasks { .. }
        | Call::CommitTasks { .. }
        | Call::RevealTasks { .. }
        | Call::VerifyClaim { .. }
        | Call::FinalizeClaim { .. } => jobs::apply(cx, call),
        _ => unreachable!("Call::module routes only compute calls here"),
    }
}
