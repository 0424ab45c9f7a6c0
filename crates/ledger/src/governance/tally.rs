//! The end of a proposal's periods: a lapsed deposit period, the tally at the
//! voting end (quorum, veto, threshold as exact integer comparisons), deposits
//! returned or burned, and passed actions applied all-or-nothing.
//!
//! With `voted = yes + no + abstain + veto` and `T` the total power at the end:
//! no quorum when `voted × 10,000 < quorum_bps × T`; vetoed when
//! `veto × 10,000 > veto_bps × voted`; passed when
//! `yes × 10,000 > threshold_bps × (yes + no + veto)`; else rejected.

use crate::context::BlockContext;
use crate::error::LedgerError;
use crate::params::ChainParams;
use crate::state::{Overlay, Store};

/// Settles every proposal whose deposit period or voting period ends at
/// `ctx.height`, and executes passed proposals due at `ctx.height`.
pub(crate) fn end_block<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    let _ = (state, ctx, params);
    unimplemented!("issue 15: tally")
}
