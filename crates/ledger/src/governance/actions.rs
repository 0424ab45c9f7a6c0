//! What a passed proposal does: each [`Action`] is validated when proposed
//! ([`validate`]) and validated and applied when executed ([`execute`]); the
//! treasury's emission share; upgrade plans reaching their height.

use super::types::{Action, GovParams};
use crate::context::{BlockContext, Fail};
use crate::error::{LedgerError, TxError};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};

/// Checks `action` against state at `height` (the block proposing or executing
/// it): every effect it would have must be valid.
pub fn validate<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    gov: &GovParams,
    ctx: &BlockContext,
    action: &Action,
) -> Result<(), TxError> {
    let _ = (state, params, gov, ctx, action);
    unimplemented!("issue 15: actions")
}

/// Applies `action` (validated again first) as part of proposal `proposal`.
pub(crate) fn execute<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    gov: &GovParams,
    ctx: &BlockContext,
    proposal: u64,
    action: &Action,
) -> Result<(), Fail> {
    let _ = (state, params, gov, ctx, proposal, action);
    unimplemented!("issue 15: actions")
}

/// At the first block of a reward epoch, mints `treasury_bps` of the previous
/// block's epoch's emission into the treasury account.
pub(crate) fn mint_treasury<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    let _ = (state, ctx, params);
    unimplemented!("issue 15: actions")
}

/// At the end of the planned upgrade's height: the plan moves to the applied list.
pub(crate) fn end_block_upgrade<S: Store>(
    state: &mut Overlay<'_, S>,
    height: u64,
) -> Result<(), LedgerError> {
    let _ = (state, height);
    unimplemented!("issue 15: actions")
}
