//! Locked-token positions and voting power (veHNT-style).
//!
//! Power of a position at height `h` (raw, exact `u128`):
//! `amount × max_multiplier_bps × d`, where `d` is `lock_blocks` while locked and
//! `end_height − h` (never below 0) while cooling down; so power grows linearly
//! with the lock up to `max_lock_blocks` and decays linearly to zero during the
//! cooldown. [`display_power`] divides by `max_lock_blocks × 10,000` for people.
//! The power totals ([`PowerTotals`]) keep the sum over every position in O(1)
//! per change; cooldowns leave them at their end height (`gexp/{height}`).

use super::types::{
    GovCounters, GovParams, Lock, Position, MAX_DELEGATORS, MAX_POSITIONS_PER_OWNER,
};
use crate::context::{Fail, TxContext};
use crate::emission::BPS;
use crate::error::{LedgerError, TxError};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};

/// The sums behind the total voting power, `gov/power`: at height `h` the total is
/// `max_multiplier_bps × (locked + cooling_end − cooling_amount × h)` over the
/// positions still cooling at `h`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
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
    let d = match p.lock {
        Lock::Locked => p.lock_blocks,
        Lock::Cooling { end_height } => end_height.saturating_sub(h),
    };
    // amount < 2^64, multiplier ≤ 10^7 < 2^24, d ≤ max_lock_blocks < 2^32: fits in 2^120.
    u128::from(p.amount) * u128::from(gov.max_multiplier_bps) * u128::from(d)
}

/// Raw power in token units, for people: `raw / (max_lock_blocks × 10,000)`.
pub fn display_power(raw: u128, gov: &GovParams) -> u128 {
    raw / (u128::from(gov.max_lock_blocks) * u128::from(BPS))
}

/// The position `id`, if it exists.
pub fn load<S: Store>(state: &Overlay<'_, S>, id: u64) -> Result<Option<Position>, LedgerError> {
    state.get_t(&keys::gov_position(id))
}

/// The ids of the positions `owner` holds.
pub fn of_owner<S: Store>(
    state: &Overlay<'_, S>,
    owner: &Address,
) -> Result<Vec<u64>, LedgerError> {
    state.get_or_default(&keys::gov_owner_positions(owner.key()))
}

/// Σ raw power of `owner`'s positions at height `h`.
pub fn owner_power_at<S: Store>(
    state: &Overlay<'_, S>,
    gov: &GovParams,
    owner: &Address,
    h: u64,
) -> Result<u128, LedgerError> {
    let mut total = 0u128;
    for id in of_owner(state, owner)? {
        let p = load(state, id)?
            .ok_or_else(|| corrupt(&keys::gov_position(id), "indexed position is missing"))?;
        // At most MAX_POSITIONS_PER_OWNER positions of < 2^120 each.
        total += power(&p, h, gov);
    }
    Ok(total)
}

/// The account `owner` delegates its voting power to, if any.
pub fn delegate_of<S: Store>(
    state: &Overlay<'_, S>,
    owner: &Address,
) -> Result<Option<Address>, LedgerError> {
    state.get_t(&keys::gov_delegate(owner.key()))
}

/// The accounts that delegate to `delegate`.
pub fn delegators_of<S: Store>(
    state: &Overlay<'_, S>,
    delegate: &Address,
) -> Result<Vec<Address>, LedgerError> {
    state.get_or_default(&keys::gov_delegators(delegate.key()))
}

/// The power totals.
pub fn totals<S: Store>(state: &Overlay<'_, S>) -> Result<PowerTotals, LedgerError> {
    state.get_or_default(keys::GOV_POWER)
}

/// The total raw power at height `h` (exact once the cooldowns ending at or
/// before `h` have left the totals, i.e. at the end of block `h`).
pub fn total_power_at(t: &PowerTotals, gov: &GovParams, h: u64) -> u128 {
    // Σ amount × (end − h) over the cooldowns still counted, each ≥ 0.
    let cooling = t
        .cooling_end
        .saturating_sub(t.cooling_amount.saturating_mul(u128::from(h)));
    u128::from(gov.max_multiplier_bps).saturating_mul(t.locked.saturating_add(cooling))
}

/// Applies a position call; returns the accounts whose power or delegation changed.
pub(crate) fn apply<S: Store>(
    cx: &mut TxContext<'_, '_, S>,
    gov: &GovParams,
    call: &Call,
) -> Result<Vec<Address>, Fail> {
    let (state, signer, h) = (&mut *cx.state, cx.signer, cx.block.height);
    match call {
        Call::GovLock {
            amount,
            lock_blocks,
        } => lock(state, gov, &signer, *amount, *lock_blocks, h)?,
        Call::GovExtend {
            position,
            lock_blocks,
        } => extend(state, gov, &signer, *position, *lock_blocks, h)?,
        // A split keeps the owner's power (power is linear in the amount) and a
        // withdrawn position has no power left at any later height (its cooldown
        // ended): neither changes a counted vote.
        Call::GovSplit { position, amount } => {
            split(state, &signer, *position, *amount, h)?;
            return Ok(Vec::new());
        }
        Call::GovWithdraw { position } => {
            withdraw(state, &signer, *position, h)?;
            return Ok(Vec::new());
        }
        Call::GovUnlock { position } => unlock(state, &signer, *position, h)?,
        Call::GovDelegate { to } => delegate(state, &signer, to.as_ref())?,
        _ => unreachable!("governance::apply routes only position calls here"),
    }
    Ok(vec![signer])
}

/// At the end of block `h`: cooldowns ending at `h` leave the power totals.
pub(crate) fn end_block<S: Store>(state: &mut Overlay<'_, S>, h: u64) -> Result<(), LedgerError> {
    let key = keys::gov_expiry(h);
    let Some((amount, amount_end)) = state.get_t::<(u128, u128)>(&key)? else {
        return Ok(());
    };
    let mut t = totals(state)?;
    let bad = || corrupt(keys::GOV_POWER, "a cooldown bucket exceeds the totals");
    t.cooling_amount = t.cooling_amount.checked_sub(amount).ok_or_else(bad)?;
    t.cooling_end = t.cooling_end.checked_sub(amount_end).ok_or_else(bad)?;
    state.put_t(keys::GOV_POWER.to_vec(), &t);
    state.delete(key);
    Ok(())
}

fn corrupt(key: &[u8], reason: &str) -> LedgerError {
    LedgerError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.into(),
    }
}

/// `GovLock`: a new locked position from the signer's balance.
fn lock<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    owner: &Address,
    amount: Amount,
    lock_blocks: u64,
    h: u64,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    check_lock_range(gov, lock_blocks)?;
    let mut acct = accounts::load(state, owner)?.unwrap_or_default();
    acct.debit(amount)?;
    accounts::save(state, owner, &acct);
    let p = Position {
        id: 0,
        owner: *owner,
        amount,
        lock_blocks,
        lock: Lock::Locked,
        created_height: h,
    };
    let mut t = totals(state)?;
    t.tokens = add(t.tokens, u128::from(amount))?;
    t.locked = add(t.locked, weight(amount, lock_blocks))?;
    state.put_t(keys::GOV_POWER.to_vec(), &t);
    create(state, p)
}

/// `GovExtend`: a longer lock, or a cooling position locked again.
fn extend<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    owner: &Address,
    id: u64,
    lock_blocks: u64,
    h: u64,
) -> Result<(), Fail> {
    let mut p = owned(state, owner, id)?;
    let mut t = totals(state)?;
    match p.lock {
        Lock::Locked => {
            if lock_blocks <= p.lock_blocks {
                return Err(not_extended(p.lock_blocks, lock_blocks));
            }
            check_lock_range(gov, lock_blocks)?;
            t.locked = sub(t.locked, weight(p.amount, p.lock_blocks))?;
        }
        Lock::Cooling { end_height } => {
            let left = end_height.saturating_sub(h);
            if lock_blocks < left.max(gov.min_lock_blocks) {
                return Err(not_extended(left, lock_blocks));
            }
            check_lock_range(gov, lock_blocks)?;
            leave_cooling(state, &mut t, &p, end_height, h)?;
        }
    }
    t.locked = add(t.locked, weight(p.amount, lock_blocks))?;
    state.put_t(keys::GOV_POWER.to_vec(), &t);
    p.lock_blocks = lock_blocks;
    p.lock = Lock::Locked;
    save(state, &p);
    Ok(())
}

/// `GovSplit`: `amount` moves into a new position with the same lock state.
fn split<S: Store>(
    state: &mut Overlay<'_, S>,
    owner: &Address,
    id: u64,
    amount: Amount,
    h: u64,
) -> Result<(), Fail> {
    let mut p = owned(state, owner, id)?;
    if amount == 0 || amount >= p.amount {
        return Err(TxError::BadSplit {
            id,
            amount,
            held: p.amount,
        }
        .into());
    }
    // The totals and the cooldown bucket are sums of amount × duration over
    // positions of the same duration: moving tokens between them changes neither.
    p.amount -= amount;
    save(state, &p);
    create(
        state,
        Position {
            id: 0,
            owner: *owner,
            amount,
            lock_blocks: p.lock_blocks,
            lock: p.lock,
            created_height: h,
        },
    )
}

/// `GovUnlock`: the cooldown starts; it ends `lock_blocks` later.
fn unlock<S: Store>(
    state: &mut Overlay<'_, S>,
    owner: &Address,
    id: u64,
    h: u64,
) -> Result<(), Fail> {
    let mut p = owned(state, owner, id)?;
    if let Lock::Cooling { .. } = p.lock {
        return Err(TxError::PositionCooling { id }.into());
    }
    let end_height = h.checked_add(p.lock_blocks).ok_or(TxError::Overflow)?;
    let mut t = totals(state)?;
    t.locked = sub(t.locked, weight(p.amount, p.lock_blocks))?;
    cooldown(state, &mut t, p.amount, end_height, true)?;
    state.put_t(keys::GOV_POWER.to_vec(), &t);
    p.lock = Lock::Cooling { end_height };
    save(state, &p);
    Ok(())
}

/// `GovWithdraw`: a position whose cooldown ended returns its tokens.
fn withdraw<S: Store>(
    state: &mut Overlay<'_, S>,
    owner: &Address,
    id: u64,
    h: u64,
) -> Result<(), Fail> {
    let p = owned(state, owner, id)?;
    let Lock::Cooling { end_height } = p.lock else {
        return Err(TxError::PositionLocked { id }.into());
    };
    if h < end_height {
        return Err(TxError::PositionNotMatured { id, end_height }.into());
    }
    let mut t = totals(state)?;
    leave_cooling(state, &mut t, &p, end_height, h)?;
    t.tokens = sub(t.tokens, u128::from(p.amount))?;
    state.put_t(keys::GOV_POWER.to_vec(), &t);
    state.delete(keys::gov_position(id));
    let mut ids = of_owner(state, owner)?;
    ids.retain(|&i| i != id);
    put_owner_index(state, owner, &ids);
    accounts::credit(state, owner, p.amount)
}

/// `GovDelegate`: set or clear the signer's delegate, keeping the delegates' lists.
fn delegate<S: Store>(
    state: &mut Overlay<'_, S>,
    owner: &Address,
    to: Option<&Address>,
) -> Result<(), Fail> {
    if to == Some(owner) {
        return Err(TxError::SelfDelegation.into());
    }
    let current = delegate_of(state, owner)?;
    if current.as_ref() == to {
        return Ok(());
    }
    if let Some(old) = current {
        let mut list = delegators_of(state, &old)?;
        list.retain(|a| a != owner);
        let key = keys::gov_delegators(old.key());
        if list.is_empty() {
            state.delete(key);
        } else {
            state.put_t(key, &list);
        }
    }
    match to {
        Some(new) => {
            let mut list = delegators_of(state, new)?;
            if list.len() >= MAX_DELEGATORS {
                return Err(TxError::TooManyDelegators {
                    delegate: new.to_string(),
                    limit: MAX_DELEGATORS as u64,
                }
                .into());
            }
            list.push(*owner);
            state.put_t(keys::gov_delegators(new.key()), &list);
            state.put_t(keys::gov_delegate(owner.key()), new);
        }
        None => state.delete(keys::gov_delegate(owner.key())),
    }
    Ok(())
}

/// A cooling position leaves the totals (withdrawn or locked again at `h`) unless
/// its cooldown already left them (at the end of block `end_height < h`).
fn leave_cooling<S: Store>(
    state: &mut Overlay<'_, S>,
    t: &mut PowerTotals,
    p: &Position,
    end_height: u64,
    h: u64,
) -> Result<(), Fail> {
    if end_height < h {
        return Ok(());
    }
    cooldown(state, t, p.amount, end_height, false)
}

/// Adds (`joins`) or removes a cooldown of `amount` ending at `end_height`: in
/// the totals and in the bucket that takes it out of them at its end.
fn cooldown<S: Store>(
    state: &mut Overlay<'_, S>,
    t: &mut PowerTotals,
    amount: Amount,
    end_height: u64,
    joins: bool,
) -> Result<(), Fail> {
    let step = |x: u128, y: u128| if joins { add(x, y) } else { sub(x, y) };
    let (amount, amount_end) = (u128::from(amount), weight(amount, end_height));
    t.cooling_amount = step(t.cooling_amount, amount)?;
    t.cooling_end = step(t.cooling_end, amount_end)?;
    let key = keys::gov_expiry(end_height);
    let (a, ae) = state.get_or_default::<(u128, u128)>(&key)?;
    let (a, ae) = (step(a, amount)?, step(ae, amount_end)?);
    if a == 0 {
        state.delete(key);
    } else {
        state.put_t(key, &(a, ae));
    }
    Ok(())
}

/// The position `id`, which `owner` must own.
fn owned<S: Store>(state: &Overlay<'_, S>, owner: &Address, id: u64) -> Result<Position, Fail> {
    let p = load(state, id)?.ok_or(TxError::UnknownPosition { id })?;
    if p.owner != *owner {
        return Err(TxError::NotPositionOwner { id }.into());
    }
    Ok(p)
}

/// Stores `p` under the next position id and adds it to its owner's index.
fn create<S: Store>(state: &mut Overlay<'_, S>, mut p: Position) -> Result<(), Fail> {
    let mut ids = of_owner(state, &p.owner)?;
    if ids.len() >= MAX_POSITIONS_PER_OWNER {
        return Err(TxError::TooManyPositions {
            limit: MAX_POSITIONS_PER_OWNER as u64,
        }
        .into());
    }
    let mut counters: GovCounters = state.get_or_default(keys::GOV_COUNTERS)?;
    p.id = counters.next_position;
    counters.next_position = p.id.checked_add(1).ok_or(TxError::Overflow)?;
    state.put_t(keys::GOV_COUNTERS.to_vec(), &counters);
    ids.push(p.id);
    put_owner_index(state, &p.owner, &ids);
    save(state, &p);
    Ok(())
}

fn save<S: Store>(state: &mut Overlay<'_, S>, p: &Position) {
    state.put_t(keys::gov_position(p.id), p);
}

fn put_owner_index<S: Store>(state: &mut Overlay<'_, S>, owner: &Address, ids: &[u64]) {
    let key = keys::gov_owner_positions(owner.key());
    if ids.is_empty() {
        state.delete(key);
    } else {
        state.put_t(key, &ids.to_vec());
    }
}

fn check_lock_range(gov: &GovParams, lock_blocks: u64) -> Result<(), TxError> {
    if lock_blocks < gov.min_lock_blocks {
        return Err(TxError::LockTooShort {
            min: gov.min_lock_blocks,
            found: lock_blocks,
        });
    }
    if lock_blocks > gov.max_lock_blocks {
        return Err(TxError::LockTooLong {
            max: gov.max_lock_blocks,
            found: lock_blocks,
        });
    }
    Ok(())
}

fn not_extended(current: u64, found: u64) -> Fail {
    TxError::LockNotExtended { current, found }.into()
}

/// `amount × blocks` (or `amount × height`), exact.
fn weight(amount: Amount, blocks: u64) -> u128 {
    u128::from(amount) * u128::from(blocks)
}

fn add(a: u128, b: u128) -> Result<u128, TxError> {
    a.checked_add(b).ok_or(TxError::Overflow)
}

fn sub(a: u128, b: u128) -> Result<u128, TxError> {
    a.checked_sub(b).ok_or(TxError::Overflow)
}
