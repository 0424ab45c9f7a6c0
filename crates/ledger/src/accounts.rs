//! Accounts: balances and nonces; the transfer call.

use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};

/// Stake that is unlocking, withdrawable from `release_height` on.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Unbonding {
    /// Tokens unlocking.
    pub amount: Amount,
    /// The first height at which they can be withdrawn.
    pub release_height: u64,
}

/// One account's state. Total holdings are `balance + bonded + Σ unbonding`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Account {
    /// Free balance.
    pub balance: Amount,
    /// Transactions applied so far; the next transaction must carry this nonce.
    pub nonce: u64,
    /// Stake bonded to devices or validators.
    pub bonded: Amount,
    /// Stake unlocking, oldest first.
    pub unbonding: Vec<Unbonding>,
}

impl Account {
    /// Σ of the unbonding entries.
    pub fn unbonding_total(&self) -> Amount {
        self.unbonding.iter().map(|u| u.amount).sum()
    }

    /// Everything the account holds: free, bonded and unbonding.
    pub fn total(&self) -> Amount {
        self.balance + self.bonded + self.unbonding_total()
    }

    pub(crate) fn debit(&mut self, amount: Amount) -> Result<(), TxError> {
        self.balance = self
            .balance
            .checked_sub(amount)
            .ok_or(TxError::InsufficientFunds {
                needed: amount,
                available: self.balance,
            })?;
        Ok(())
    }

    pub(crate) fn credit(&mut self, amount: Amount) -> Result<(), TxError> {
        self.balance = self.balance.checked_add(amount).ok_or(TxError::Overflow)?;
        Ok(())
    }
}

/// `addr`'s account, if it exists.
pub fn load<S: Store>(
    state: &Overlay<'_, S>,
    addr: &Address,
) -> Result<Option<Account>, LedgerError> {
    state.get_t(&keys::account(addr.key()))
}

/// Writes `addr`'s account.
pub fn save<S: Store>(state: &mut Overlay<'_, S>, addr: &Address, account: &Account) {
    state.put_t(keys::account(addr.key()), account);
}

/// Adds `amount` to `addr`'s free balance, creating the account if needed.
pub fn credit<S: Store>(
    state: &mut Overlay<'_, S>,
    addr: &Address,
    amount: Amount,
) -> Result<(), Fail> {
    let mut acct = load(state, addr)?.unwrap_or_default();
    acct.credit(amount)?;
    save(state, addr, &acct);
    Ok(())
}

/// Takes `amount` from `addr`'s free balance (refused when it does not cover it).
pub fn debit<S: Store>(
    state: &mut Overlay<'_, S>,
    addr: &Address,
    amount: Amount,
) -> Result<(), Fail> {
    let mut acct = load(state, addr)?.unwrap_or_default();
    acct.debit(amount)?;
    save(state, addr, &acct);
    Ok(())
}

/// Applies an accounts call ([`Call::Transfer`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::Transfer { to, amount } => transfer(cx.state, &cx.signer, to, *amount),
        _ => unreachable!("Call::module routes only accounts calls here"),
    }
}

/// The transfer call: `from` (already charged its fee) pays `to`.
pub(crate) fn transfer<S: Store>(
    state: &mut Overlay<'_, S>,
    from: &Address,
    to: &Address,
    amount: Amount,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let mut sender = load(state, from)?.unwrap_or_default();
    sender.debit(amount)?;
    save(state, from, &sender);
    credit(state, to, amount)
}
