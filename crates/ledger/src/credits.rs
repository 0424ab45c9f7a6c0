//! Credits: burn-and-mint equilibrium.
//!
//! Consumers **burn** tokens for credits, a unit pegged to a fiat price (by default
//! 1 credit = $0.00001, as Helium's data credits) and spent on services. The token's
//! price comes from a **price feed** the oracle set posts (threshold-signed, with a
//! timestamp); a burn needs a price no older than `price_max_age_ms` at the block's
//! time, and a stale or missing price refuses the burn rather than guessing.
//! Burned tokens leave the supply (`Supply::burned`); emissions add to it. Both are
//! also recorded per reward epoch (`sys/minted/{epoch}`, `sys/burned/{epoch}`).
//!
//! Credits cannot be transferred. A holder may **delegate** its own credits to
//! another account, which can spend them but not pass them on. Credits are spent
//! by service calls (storage deals); spent credits are gone.
//!
//! ```text
//!  oracle set ──PostPrice{µUSD per token, time, signatures}──▶ sys/price
//!  consumer ──BurnForCredits{amount, to}──▶ balance −amount, burned +amount,
//!                                           credits(to) += amount × price / credit price
//!  holder ──DelegateCredits{to, n}──▶ own −n, delegated(to) +n
//! ```

use crate::context::{BlockContext, Fail, TxContext, UNKNOWN_TIME};
use crate::error::{LedgerError, TxError};
use crate::oracle_set::{check_envelope, check_quorum, OracleSignature};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, emission, keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};

/// The signed price message lives in [`crate::oracle_set`] with every message the
/// oracles sign; re-exported here, where it is used.
pub use crate::oracle_set::PricePoint;

/// The credit settings live with the chain parameters (a leaf every module may
/// import); re-exported here, where they are used.
pub use crate::params::CreditParams;

/// How far ahead of the block's time a price's timestamp may be.
pub const MAX_PRICE_SKEW_MS: u64 = 60_000;


/// An account's credits.
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
pub struct Credits {
    /// Bought with the account's own burns: spendable and delegable.
    pub own: u64,
    /// Delegated by others: spendable only.
    pub delegated: u64,
}

impl Credits {
    /// Every credit the account may spend: own and delegated.
    pub fn total(&self) -> u64 {
        self.own.saturating_add(self.delegated)
    }
}

/// The chain's credit settings (the defaults when the genesis set none).
pub fn params<S: Store>(state: &Overlay<'_, S>) -> Result<CreditParams, LedgerError> {
    state.get_or_default(keys::CREDIT_PARAMS)
}

/// The latest price the oracle set posted, if any.
pub fn price<S: Store>(state: &Overlay<'_, S>) -> Result<Option<PricePoint>, LedgerError> {
    state.get_t::<PricePoint>(keys::PRICE)
}

/// `addr`'s credits (none: zero).
pub fn load<S: Store>(state: &Overlay<'_, S>, addr: &Address) -> Result<Credits, LedgerError> {
    state.get_or_default(&keys::credits(addr.key()))
}

fn save<S: Store>(state: &mut Overlay<'_, S>, addr: &Address, c: &Credits) {
    state.put_t(keys::credits(addr.key()), c);
}

/// Tokens burned and minted in one reward epoch.
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
pub struct EpochSupply {
    /// Tokens minted by the epoch's reward manifests.
    pub minted: Amount,
    /// Tokens burned for credits in blocks of the epoch.
    pub burned: Amount,
}

/// Tokens minted and burned in reward epoch `epoch`.
pub fn epoch_supply<S: Store>(
    state: &Overlay<'_, S>,
    epoch: u64,
) -> Result<EpochSupply, LedgerError> {
    state.get_or_default(&keys::epoch_supply(epoch))
}

fn add_epoch_supply<S: Store>(
    state: &mut Overlay<'_, S>,
    epoch: u64,
    minted: Amount,
    burned: Amount,
) -> Result<(), Fail> {
    let mut e = epoch_supply(state, epoch)?;
    e.minted = e.minted.checked_add(minted).ok_or(TxError::Overflow)?;
    e.burned = e.burned.checked_add(burned).ok_or(TxError::Overflow)?;
    state.put_t(keys::epoch_supply(epoch), &e);
    Ok(())
}

/// Records `amount` minted for reward epoch `epoch` (by a manifest).
pub(crate) fn record_mint<S: Store>(
    state: &mut Overlay<'_, S>,
    epoch: u64,
    amount: Amount,
) -> Result<(), Fail> {
    add_epoch_supply(state, epoch, amount, 0)
}

/// Records `amount` burned in reward epoch `epoch` (beside a burn for credits:
/// a vetoed proposal's deposits).
pub(crate) fn record_burn<S: Store>(
    state: &mut Overlay<'_, S>,
    epoch: u64,
    amount: Amount,
) -> Result<(), Fail> {
    add_epoch_supply(state, epoch, 0, amount)
}

/// Applies a credits call ([`Call::PostPrice`], [`Call::BurnForCredits`],
/// [`Call::DelegateCredits`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::PostPrice { price, signatures } => {
            post_price(cx.state, cx.params, cx.block, price, signatures)
        }
        Call::BurnForCredits { amount, to } => {
            burn(cx.state, cx.params, cx.block, &cx.signer, *amount, to).map(|_credits| ())
        }
        Call::DelegateCredits { to, amount } => delegate(cx.state, &cx.signer, to, *amount),
        _ => unreachable!("Call::module routes only credits calls here"),
    }
}

/// The PostPrice call: a newer price, signed by a threshold of the oracle set.
pub(crate) fn post_price<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    point: &PricePoint,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    check_envelope(params, &point.chain, signatures)?;
    if point.micro_usd_per_token == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    if point.timestamp_ms > ctx.timestamp_ms.saturating_add(MAX_PRICE_SKEW_MS) {
        return Err(TxError::PriceFromFuture {
            ahead_ms: point.timestamp_ms - ctx.timestamp_ms,
        }
        .into());
    }
    if let Some(current) = price(state)? {
        if point.timestamp_ms <= current.timestamp_ms {
            return Err(TxError::OldPrice {
                current_ms: current.timestamp_ms,
                found_ms: point.timestamp_ms,
            }
            .into());
        }
    }
    // A price is signed by the set in force at the block's epoch.
    let epoch = ctx.current_epoch(state, params)?;
    check_quorum(state, epoch, &point.signing_bytes(), signatures)?;
    state.put_t(keys::PRICE.to_vec(), point);
    Ok(())
}

/// Credits bought by burning `amount` (smallest token units) at `price`:
/// `amount × µUSD per token / (10^decimals × µUSD per credit)`, rounded down.
pub fn credits_for(
    amount: Amount,
    micro_usd_per_token: u64,
    decimals: u8,
    credit_micro_usd: u64,
) -> Option<u64> {
    let num = (amount as u128).checked_mul(micro_usd_per_token as u128)?;
    let den = 10u128
        .checked_pow(decimals as u32)?
        .checked_mul(credit_micro_usd as u128)?;
    u64::try_from(num / den).ok()
}

/// The BurnForCredits call.
pub(crate) fn burn<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    signer: &Address,
    amount: Amount,
    to: &Address,
) -> Result<u64, Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let cp = self::params(state)?;
    let point = price(state)?.ok_or(TxError::NoPrice)?;
    let age_ms = ctx.timestamp_ms.saturating_sub(point.timestamp_ms);
    // At admission the block's time is unknown: the block judges freshness.
    if ctx.timestamp_ms != UNKNOWN_TIME && age_ms > cp.price_max_age_ms {
        return Err(TxError::StalePrice {
            age_ms,
            max_ms: cp.price_max_age_ms,
        }
        .into());
    }
    let credits = credits_for(
        amount,
        point.micro_usd_per_token,
        params.decimals,
        cp.credit_micro_usd,
    )
    .ok_or(TxError::Overflow)?;
    if credits == 0 {
        return Err(TxError::BurnTooSmall {
            amount,
            micro_usd_per_token: point.micro_usd_per_token,
        }
        .into());
    }
    let mut acct = accounts::load(state, signer)?.ok_or_else(|| TxError::UnknownAccount {
        address: signer.to_string(),
    })?;
    acct.debit(amount)?;
    accounts::save(state, signer, &acct);
    let mut supply = emission::supply(state)?;
    supply.burned = supply.burned.checked_add(amount).ok_or(TxError::Overflow)?;
    supply.total().ok_or(TxError::Overflow)?;
    emission::save_supply(state, &supply);
    add_epoch_supply(state, ctx.epoch(params), 0, amount)?;
    let mut c = load(state, to)?;
    c.own = c.own.checked_add(credits).ok_or(TxError::Overflow)?;
    save(state, to, &c);
    Ok(credits)
}

/// The DelegateCredits call: own credits of the signer become `to`'s delegated
/// credits.
pub(crate) fn delegate<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    to: &Address,
    amount: u64,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let mut from = load(state, signer)?;
    if from.own < amount {
        return Err(TxError::InsufficientCredits {
            needed: amount,
            available: from.own,
        }
        .into());
    }
    from.own -= amount;
    save(state, signer, &from);
    let mut dest = load(state, to)?;
    dest.delegated = dest
        .delegated
        .checked_add(amount)
        .ok_or(TxError::Overflow)?;
    save(state, to, &dest);
    Ok(())
}

/// Spends `amount` credits of `who` (delegated ones first); spent credits are gone.
pub fn spend<S: Store>(state: &mut Overlay<'_, S>, who: &Address, amount: u64) -> Result<(), Fail> {
    let mut c = load(state, who)?;
    if c.total() < amount {
        return Err(TxError::InsufficientCredits {
            needed: amount,
            available: c.total(),
        }
        .into());
    }
    let from_delegated = amount.min(c.delegated);
    c.delegated -= from_delegated;
    c.own -= amount - from_delegated;
    save(state, who, &c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_for_is_exact_integer_arithmetic() {
        // 1 token (10^6 units) at $1.25 = 1,250,000 µUSD = 125,000 credits of 10 µUSD.
        assert_eq!(credits_for(1_000_000, 1_250_000, 6, 10), Some(125_000));
        // One smallest unit at $1.25: 1.25 µUSD, less than a credit.
        assert_eq!(credits_for(1, 1_250_000, 6, 10), Some(0));
        // 9 units: 11.25 µUSD → 1 credit (rounded down).
        assert_eq!(credits_for(9, 1_250_000, 6, 10), Some(1));
        // Large amounts do not overflow the intermediate product.
        assert_eq!(
            credits_for(u64::MAX, u64::MAX, 0, 1),
            None,
            "more credits than a u64 holds"
        );
        assert_eq!(credits_for(u64::MAX, 1_000_000, 6, 1), Some(u64::MAX));
    }
}
