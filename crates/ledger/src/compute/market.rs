//! The capacity market: offers, orders, bids, leases (lazy per-block payment) and
//! the oracle set's capacity checks. See the module docs of [`crate::compute`].
//!
//! Work in progress (issue 16): the calls are defined on the wire and refused with
//! [`TxError::ComputeNotEnabled`] until their handlers land.

use super::*;

/// Applies a market call.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let _ = (cx, call);
    Err(TxError::ComputeNotEnabled.into())
}
