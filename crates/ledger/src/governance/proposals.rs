//! Proposals: propose with a deposit, deposit until `min_deposit` opens the vote,
//! vote (changeable until the end), and each account's power as counted
//! ([`super::types::Counted`]): an account's power follows its own vote, else its
//! delegate's.

use super::types::{GovParams, Proposal};
use crate::context::{Fail, TxContext};
use crate::error::LedgerError;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use plinth_core::Address;

/// The proposal `id`, if it exists.
pub fn load<S: Store>(state: &Overlay<'_, S>, id: u64) -> Result<Option<Proposal>, LedgerError> {
    let _ = (state, id);
    unimplemented!("issue 15: proposals")
}

/// The ids of proposals in their deposit or voting period.
pub fn active<S: Store>(state: &Overlay<'_, S>) -> Result<Vec<u64>, LedgerError> {
    let _ = state;
    unimplemented!("issue 15: proposals")
}

/// Applies `GovPropose`, `GovDeposit`, `GovVote`.
pub(crate) fn apply<S: Store>(
    cx: &mut TxContext<'_, '_, S>,
    gov: &GovParams,
    call: &Call,
) -> Result<(), Fail> {
    let _ = (cx, gov, call);
    unimplemented!("issue 15: proposals")
}

/// Moves the counted power of `owners` in every proposal in its voting period
/// to what their positions and delegation now say (called after any position or
/// delegation change).
pub(crate) fn recount<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    owners: &[Address],
    height: u64,
) -> Result<(), Fail> {
    let _ = (state, gov, owners, height);
    unimplemented!("issue 15: proposals")
}
