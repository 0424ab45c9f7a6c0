//! Governance: token holders decide, by locked-token vote, what an admin key
//! decided before (Helium's veHNT positions, Cosmos `x/gov` proposals).
//!
//! ```text
//!  GovLock{amount, lock_blocks} ──▶ Position (power = amount × max_multiplier × d / max_lock)
//!      │ extend / split / unlock (cooldown: d = blocks left, decays to 0) / withdraw
//!      │ GovDelegate{to}: the owner's power votes with `to` unless the owner votes itself
//!  GovPropose{actions, description, deposit} ──▶ Proposal (deposit period)
//!      │ GovDeposit until min_deposit ──▶ voting period of voting_period_blocks
//!      │ GovVote{yes|no|abstain|veto} (changeable until the end)
//!      ▼ end_block at voting_end: quorum, veto, threshold (exact integer rules, [`tally`])
//!  passed ──▶ actions validated again and applied all-or-nothing at voting_end
//!             (or the later `execute_height`); a failing action changes nothing
//!             and the proposal records its index and typed error
//! ```
//!
//! Files: [`types`] (the records and settings), [`positions`] (locks, power, delegation, the power totals),
//! [`proposals`] (propose, deposit, vote and each voter's counted power),
//! [`tally`] (the end of a voting period, deposits returned or burned),
//! [`actions`] (what a proposal may do: validation and execution),
//! [`schedule`] (network and emission parameters by reward epoch),
//! [`makers`] (approved device makers). Voting power is an integer
//! (`u128`, "raw power": amount × multiplier bps × blocks); no floats.
//!
//! A chain without a `[governance]` genesis section refuses every governance
//! call ([`TxError::NoGovernance`]) and writes no governance state.

pub mod actions;
pub mod makers;
pub mod positions;
pub mod proposals;
pub mod schedule;
pub mod tally;
pub mod types;

pub use types::*;

use crate::context::Fail;
use crate::context::TxContext;
use crate::error::LedgerError;
use crate::state::{Overlay, Store};
use crate::tx::Call;

/// Applies a governance call. A change to positions or delegation moves the
/// changed owners' counted power in every open vote ([`proposals::recount`]).
pub(crate) fn apply<S: Store>(mut cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let gov = require_params(cx.state)?;
    match call {
        Call::GovLock { .. }
        | Call::GovExtend { .. }
        | Call::GovSplit { .. }
        | Call::GovUnlock { .. }
        | Call::GovWithdraw { .. }
        | Call::GovDelegate { .. } => {
            let changed = positions::apply(&mut cx, &gov, call)?;
            proposals::recount(cx.state, &gov, &changed, cx.block.height)
        }
        Call::GovPropose { .. } | Call::GovDeposit { .. } | Call::GovVote { .. } => {
            proposals::apply(&mut cx, &gov, call)
        }
        _ => unreachable!("Call::module routes only governance calls here"),
    }
}

/// Runs at the end of every block, after its transactions: matured cooldowns
/// leave the power totals, the treasury's emission share is minted at an
/// epoch's first block, proposals whose deposit or voting period ends here are
/// settled, passed proposals due here execute, and a planned upgrade reached
/// here is recorded as applied.
pub(crate) fn end_block<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &crate::context::BlockContext,
    params: &crate::params::ChainParams,
) -> Result<(), LedgerError> {
    if gov_params(state)?.is_none() {
        return Ok(());
    }
    positions::end_block(state, ctx.height)?;
    actions::mint_treasury(state, ctx, params)?;
    tally::end_block(state, ctx, params)?;
    actions::end_block_upgrade(state, ctx.height)?;
    Ok(())
}
