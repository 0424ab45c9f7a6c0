//! The end of a proposal's periods: a lapsed deposit period, the tally at the
//! voting end (quorum, veto, threshold as exact integer comparisons), deposits
//! returned or burned, and passed actions applied all-or-nothing.
//!
//! With `voted = yes + no + abstain + veto` and `T` the total power at the end:
//! no quorum when `voted × 10,000 < quorum_bps × T`; vetoed when
//! `veto × 10,000 > veto_bps × voted`; passed when
//! `yes × 10,000 > threshold_bps × (yes + no + veto)`; else rejected.
//!
//! Each block looks only at the open proposals (`gov/active`, at most
//! `max_active_proposals`) and at the front of `gov/pending`, which is kept in
//! order of execution height: nothing is scanned.

use super::types::{GovParams, Proposal, ProposalStatus, Tally};
use super::{actions, positions, proposals};
use crate::context::{BlockContext, Fail};
use crate::emission::{self, BPS};
use crate::error::{LedgerError, TxError};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use crate::{accounts, credits, keys};

/// Settles every proposal whose deposit period or voting period ends at
/// `ctx.height`, and executes passed proposals due at `ctx.height`.
pub(crate) fn end_block<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    let Some(gov) = super::types::gov_params(state)? else {
        return Ok(());
    };
    let h = ctx.height;
    let open = proposals::active(state)?;
    let mut still_open = Vec::with_capacity(open.len());
    for id in &open {
        let mut p = proposals::load(state, *id)?.ok_or_else(|| proposals::missing(*id))?;
        let settled = match (&p.status, p.voting_end) {
            (ProposalStatus::DepositPeriod, _) if h >= p.deposit_end => {
                p.status = ProposalStatus::Lapsed;
                return_deposits(state, &p)?;
                true
            }
            (ProposalStatus::Voting, Some(end)) if h >= end => {
                settle_vote(state, &gov, ctx, params, &mut p)?;
                true
            }
            _ => false,
        };
        if settled {
            proposals::save(state, &p);
        } else {
            still_open.push(*id);
        }
    }
    if still_open.len() != open.len() {
        proposals::save_active(state, &still_open);
    }
    execute_due(state, &gov, ctx, params)
}

/// The outcome of a tally, by the rules above.
pub fn outcome(tally: &Tally, total_power: u128, gov: &GovParams) -> ProposalStatus {
    // Each entry is at most the total power (< 2^124), so these sums fit.
    let voted = tally.yes + tally.no + tally.abstain + tally.veto;
    if total_power == 0 || below(voted, BPS, total_power, gov.quorum_bps) {
        ProposalStatus::NoQuorum
    } else if below(voted, gov.veto_bps, tally.veto, BPS) {
        ProposalStatus::Vetoed
    } else if below(
        tally.yes + tally.no + tally.veto,
        gov.threshold_bps,
        tally.yes,
        BPS,
    ) {
        ProposalStatus::Passed
    } else {
        ProposalStatus::Rejected
    }
}

/// Whether `a × x < b × y`, exactly (the products may exceed `u128`).
fn below(a: u128, x: u32, b: u128, y: u32) -> bool {
    wide_mul(a, x) < wide_mul(b, y)
}

/// `a × x` as a 256-bit number `(high, low)`, which compares as a tuple.
fn wide_mul(a: u128, x: u32) -> (u128, u128) {
    let x = u128::from(x);
    let lo = (a & u128::from(u64::MAX)) * x; // < 2^96
    let hi = (a >> 64) * x; // < 2^96
    let (low, carry) = (hi << 64).overflowing_add(lo);
    ((hi >> 64) + u128::from(carry), low)
}

/// Tallies `p` at the end of its voting period; deposits go back unless vetoed
/// (burned); a passed proposal executes now or waits in `gov/pending`.
fn settle_vote<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    ctx: &BlockContext,
    params: &ChainParams,
    p: &mut Proposal,
) -> Result<(), LedgerError> {
    let total = positions::total_power_at(&positions::totals(state)?, gov, ctx.height);
    p.total_power = Some(total);
    p.status = outcome(&p.tally, total, gov);
    if p.status == ProposalStatus::Vetoed {
        burn_deposits(state, ctx, params, p)
    } else {
        return_deposits(state, p)?;
        if p.status == ProposalStatus::Passed {
            add_pending(state, p)?;
        }
        Ok(())
    }
}

/// The height at the end of which a passed proposal's actions apply.
fn execution_height(p: &Proposal) -> u64 {
    p.voting_end.unwrap_or(0).max(p.execute_height.unwrap_or(0))
}

/// Inserts `p` into `gov/pending`, kept in order of (execution height, id).
fn add_pending<S: Store>(state: &mut Overlay<'_, S>, p: &Proposal) -> Result<(), LedgerError> {
    let mut pending: Vec<u64> = state.get_or_default(keys::GOV_PENDING)?;
    let at = (execution_height(p), p.id);
    // Binary search: O(log n) proposals read, whatever the list's length.
    let (mut lo, mut hi) = (0, pending.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let q = load_listed(state, pending[mid])?;
        if (execution_height(&q), q.id) < at {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    pending.insert(lo, p.id);
    state.put_t(keys::GOV_PENDING.to_vec(), &pending);
    Ok(())
}

/// Executes the pending proposals due at `ctx.height` (the front of the list).
fn execute_due<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    let mut pending: Vec<u64> = state.get_or_default(keys::GOV_PENDING)?;
    let mut done = 0;
    while let Some(&id) = pending.get(done) {
        let mut p = load_listed(state, id)?;
        if execution_height(&p) > ctx.height {
            break;
        }
        execute(state, gov, ctx, params, &mut p)?;
        done += 1;
    }
    if done > 0 {
        pending.drain(..done);
        if pending.is_empty() {
            state.delete(keys::GOV_PENDING.to_vec());
        } else {
            state.put_t(keys::GOV_PENDING.to_vec(), &pending);
        }
    }
    Ok(())
}

/// Applies `p`'s actions in order, all or nothing: the writes so far are kept
/// (committed to the block), the actions run in the transaction layer, and a
/// failing action discards that layer and records its index and error.
fn execute<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    ctx: &BlockContext,
    params: &ChainParams,
    p: &mut Proposal,
) -> Result<(), LedgerError> {
    state.commit_tx();
    let mut failed = None;
    for (i, action) in p.actions.iter().enumerate() {
        match actions::execute(state, params, gov, ctx, p.id, action) {
            Ok(()) => {}
            Err(Fail::Tx(error)) => {
                failed = Some((i as u32, error));
                break;
            }
            Err(Fail::Fatal(e)) => return Err(e),
        }
    }
    p.status = match failed {
        None => ProposalStatus::Executed { height: ctx.height },
        Some((action, error)) => {
            state.discard_tx();
            ProposalStatus::Failed {
                height: ctx.height,
                action,
                error,
            }
        }
    };
    proposals::save(state, p);
    state.commit_tx();
    Ok(())
}

/// Deposits back to their depositors.
fn return_deposits<S: Store>(state: &mut Overlay<'_, S>, p: &Proposal) -> Result<(), LedgerError> {
    for (depositor, amount) in &p.deposits {
        accounts::credit(state, depositor, *amount).map_err(|e| fatal(p, e))?;
    }
    Ok(())
}

/// Deposits destroyed: the supply and the block epoch's burn record count them.
fn burn_deposits<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
    p: &Proposal,
) -> Result<(), LedgerError> {
    let mut supply = emission::supply(state)?;
    supply.burned = supply
        .burned
        .checked_add(p.total_deposit)
        .ok_or_else(|| fatal(p, TxError::Overflow.into()))?;
    emission::save_supply(state, &supply);
    credits::record_burn(state, ctx.epoch(params), p.total_deposit).map_err(|e| fatal(p, e))
}

/// A proposal listed in `gov/pending` that must exist.
fn load_listed<S: Store>(state: &Overlay<'_, S>, id: u64) -> Result<Proposal, LedgerError> {
    proposals::load(state, id)?.ok_or_else(|| proposals::missing(id))
}

/// Settling cannot be refused like a transaction: an error there means state
/// that breaks the supply's bounds.
fn fatal(p: &Proposal, e: Fail) -> LedgerError {
    match e {
        Fail::Fatal(e) => e,
        Fail::Tx(e) => LedgerError::Corrupt {
            key: String::from_utf8_lossy(&keys::gov_proposal(p.id)).into_owned(),
            reason: format!("settling its deposits: {e}"),
        },
    }
}
