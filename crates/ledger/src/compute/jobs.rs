//! Verified jobs: modules, jobs, claims, commitments, reveals, the oracle set's
//! spot checks and redundancy. See the module docs of [`crate::compute`].
//!
//! Work in progress (issue 16): the calls are defined on the wire and refused with
//! [`TxError::ComputeNotEnabled`] until their handlers land.

use super::*;

/// Applies a job call.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let _ = (cx, call);
    Err(TxError::ComputeNotEnabled.into())
}
