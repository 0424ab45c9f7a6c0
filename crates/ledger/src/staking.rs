//! Staking: bond tokens to a device (its owner's operating stake) or to a validator;
//! unbond into a queue released after `unbonding_blocks`; withdraw what matured.

use crate::accounts::{self, Unbonding};
use crate::context::{Fail, TxContext};
use crate::devices;
use crate::error::{LedgerError, TxError};
use crate::params::{ChainParams, Validator};
use crate::state::{Overlay, Store};
use crate::tx::{Call, StakeTarget};
use crate::{keys, Amount};
use plinth_core::Address;

fn get_amount<S: Store>(state: &Overlay<'_, S>, key: &[u8]) -> Result<Amount, LedgerError> {
    state.get_or_default(key)
}

fn set_amount<S: Store>(state: &mut Overlay<'_, S>, key: Vec<u8>, amount: Amount) {
    if amount == 0 {
        state.delete(key);
    } else {
        state.put_t(key, &amount);
    }
}

/// The stake `staker` has bonded on `target`.
pub fn bonded<S: Store>(
    state: &Overlay<'_, S>,
    staker: &Address,
    target: &StakeTarget,
) -> Result<Amount, LedgerError> {
    get_amount(state, &keys::bond(staker.key(), target.tag(), target.key()))
}

/// The total stake bonded on `target` by everyone.
pub fn total<S: Store>(
    state: &Overlay<'_, S>,
    target: &StakeTarget,
) -> Result<Amount, LedgerError> {
    get_amount(state, &keys::stake_total(target.tag(), target.key()))
}

fn check_target<S: Store>(
    state: &Overlay<'_, S>,
    staker: &Address,
    target: &StakeTarget,
) -> Result<(), Fail> {
    match target {
        // A device's stake is its owner's operating bond.
        StakeTarget::Device(id) => devices::owned_active(state, id, staker).map(|_| ()),
        StakeTarget::Validator(addr) => {
            if state
                .get_t::<Validator>(&keys::validator(addr.key()))?
                .is_none()
            {
                return Err(TxError::UnknownValidator {
                    address: addr.to_string(),
                }
                .into());
            }
            Ok(())
        }
    }
}

/// Applies a staking call ([`Call::Bond`], [`Call::Unbond`], [`Call::Withdraw`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let (signer, height) = (&cx.signer, cx.block.height);
    match call {
        Call::Bond { target, amount } => bond(cx.state, signer, target, *amount),
        Call::Unbond { target, amount } => {
            unbond(cx.state, cx.params, height, signer, target, *amount)
        }
        Call::Withdraw => withdraw(cx.state, height, signer),
        _ => unreachable!("Call::module routes only staking calls here"),
    }
}

/// The Bond call: locks `amount` of the staker's free balance on `target` (a
/// device it owns, or a validator).
pub(crate) fn bond<S: Store>(
    state: &mut Overlay<'_, S>,
    staker: &Address,
    target: &StakeTarget,
    amount: Amount,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    check_target(state, staker, target)?;
    let mut acct = accounts::load(state, staker)?.unwrap_or_default();
    acct.debit(amount)?;
    acct.bonded = acct.bonded.checked_add(amount).ok_or(TxError::Overflow)?;
    accounts::save(state, staker, &acct);
    let key = keys::bond(staker.key(), target.tag(), target.key());
    let mine = get_amount(state, &key)?
        .checked_add(amount)
        .ok_or(TxError::Overflow)?;
    set_amount(state, key, mine);
    let tkey = keys::stake_total(target.tag(), target.key());
    let all = get_amount(state, &tkey)?
        .checked_add(amount)
        .ok_or(TxError::Overflow)?;
    set_amount(state, tkey, all);
    Ok(())
}

/// The Unbond call: moves `amount` of the staker's bond on `target` into its
/// unbonding queue, released `unbonding_blocks` after `height`.
pub(crate) fn unbond<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    height: u64,
    staker: &Address,
    target: &StakeTarget,
    amount: Amount,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let key = keys::bond(staker.key(), target.tag(), target.key());
    let mine = get_amount(state, &key)?;
    if mine < amount {
        return Err(TxError::InsufficientBond {
            bonded: mine,
            requested: amount,
        }
        .into());
    }
    let mut acct = accounts::load(state, staker)?.unwrap_or_default();
    if acct.unbonding.len() as u64 >= params.max_unbonding_entries {
        return Err(TxError::TooManyUnbonding {
            limit: params.max_unbonding_entries,
        }
        .into());
    }
    set_amount(state, key, mine - amount);
    let tkey = keys::stake_total(target.tag(), target.key());
    let all = get_amount(state, &tkey)?
        .checked_sub(amount)
        .ok_or(TxError::Overflow)?;
    set_amount(state, tkey, all);
    acct.bonded = acct.bonded.checked_sub(amount).ok_or(TxError::Overflow)?;
    acct.unbonding.push(Unbonding {
        amount,
        release_height: height
            .checked_add(params.unbonding_blocks)
            .ok_or(TxError::Overflow)?,
    });
    accounts::save(state, staker, &acct);
    Ok(())
}

/// The Withdraw call: every matured unbonding entry back to the free balance.
pub(crate) fn withdraw<S: Store>(
    state: &mut Overlay<'_, S>,
    height: u64,
    staker: &Address,
) -> Result<(), Fail> {
    let mut acct = accounts::load(state, staker)?.unwrap_or_default();
    let (ready, pending): (Vec<_>, Vec<_>) = acct
        .unbonding
        .drain(..)
        .partition(|u| u.release_height <= height);
    if ready.is_empty() {
        return Err(TxError::NothingToWithdraw {
            pending: pending.iter().map(|u| u.amount).sum(),
            next_release: pending.iter().map(|u| u.release_height).min().unwrap_or(0),
        }
        .into());
    }
    let released: Amount = ready.iter().map(|u| u.amount).sum();
    acct.unbonding = pending;
    acct.credit(released)?;
    accounts::save(state, staker, &acct);
    Ok(())
}
