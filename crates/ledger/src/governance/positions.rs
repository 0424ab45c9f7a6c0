//! Locked-token positions and voting power (veHNT-style).
//!
//! Power of a position at height `h` (raw, exact `u128`):
//! `amount × max_multiplier_bps × d`, where `d` is `lock_blocks` while locked and
//! `end_height − h` (never below 0) while cooling down; so power grows linearly
//! with the lock up to `max_lock_blocks` and decays linearly to zero during the
//! cooldown. [`display_power`] divides by `max_lock_blocks × 10,000` for people.
//! The power totals ([`PowerTotals`]) keep the sum over every position in O(1)
//! per change; cooldowns leave them at their end height (`gexp/{height}`).

use super::types::{GovParams, Position};
use crate::context::{Fail, TxContext};
use crate::error::LedgerError;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};

/// The sums behind the total voting power, `gov/power`: at height `h` the total is
/// `max_multiplier_bps × (locked + cooling_end − cooling_amount × h)` over the
/// positions still cooling at `h`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct PowerTotals {
    /// Σ amount × lock_blocks over locked positions.
    pub locked: u128,
    /// Σ amount over cooling positions.
    pub cooling_amount: u128,
    /// Σ amount × end_height over cooling positions.
    pub cooling_end: u128,
    /// Σ amount over all positions (tokens locked in governance).
    pub tokens: u128,
}

/// The raw power of `p` at height `h`.
pub fn power(p: &Position, h: u64, gov: &GovParams) -> u128 {
    let _ = (p, h, gov);
    unimplemented!("issue 15: positions")
}

/// Raw power in token units, for people: `raw / (max_lock_blocks × 10,000)`.
pub fn display_power(raw: u128, gov: &GovParams) -> u128 {
    let _ = (raw, gov);
    unimplemented!("issue 15: positions")
}

/// The position `id`, if it exists.
pub fn load<S: Store>(state: &Overlay<'_, S>, id: u64) -> Result<Option<Position>, LedgerError> {
    let _ = (state, id);
    unimplemented!("issue 15: positions")
}

/// The ids of the positions `owner` holds.
pub fn of_owner<S: Store>(state: &Overlay<'_, S>, owner: &Address) -> Result<Vec<u64>, LedgerError> {
    let _ = (state, owner);
    unimplemented!("issue 15: positions")
}

/// Σ raw power of `owner`'s positions at height `h`.
pub fn owner_power_at<S: Store>(
    state: &Overlay<'_, S>,
    gov: &GovParams,
    owner: &Address,
    h: u64,
) -> Result<u128, LedgerError> {
    let _ = (state, gov, owner, h);
    unimplemented!("issue 15: positions")
}

/// The account `owner` delegates its voting power to, if any.
pub fn delegate_of<S: Store>(
    state: &Overlay<'_, S>,
    owner: &Address,
) -> Result<Option<Address>, LedgerError> {
    let _ = (state, owner);
    unimplemented!("issue 15: positions")
}

/// The accounts that delegate to `delegate`.
pub fn delegators_of<S: Store>(
    state: &Overlay<'_, S>,
    delegate: &Address,
) -> Result<Vec<Address>, LedgerError> {
    let _ = (state, delegate);
    unimplemented!("issue 15: positions")
}

/// The power totals.
pub fn totals<S: Store>(state: &Overlay<'_, S>) -> Result<PowerTotals, LedgerError> {
    let _ = state;
    unimplemented!("issue 15: positions")
}

/// The total raw power at height `h` (exact once the cooldowns ending at or
/// before `h` have left the totals, i.e. at the end of block `h`).
pub fn total_power_at(t: &PowerTotals, gov: &GovParams, h: u64) -> u128 {
    let _ = (t, gov, h);
    unimplemented!("issue 15: positions")
}

/// Applies a position call; returns the accounts whose power or delegation changed.
pub(crate) fn apply<S: Store>(
    cx: &mut TxContext<'_, '_, S>,
    gov: &GovParams,
    call: &Call,
) -> Result<Vec<Address>, Fail> {
    let _ = (cx, gov, call);
    unimplemented!("issue 15: positions")
}

/// At the end of block `h`: cooldowns ending at `h` leave the power totals.
pub(crate) fn end_block<S: Store>(state: &mut Overlay<'_, S>, h: u64) -> Result<(), LedgerError> {
    let _ = (state, h);
    unimplemented!("issue 15: positions")
}
