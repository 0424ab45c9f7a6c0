//! What a passed proposal does: each [`Action`] is validated when proposed
//! ([`validate`]) and validated and applied when executed (`execute`); the
//! treasury's emission share; upgrade plans reaching their height.
//!
//! When each action takes effect:
//!
//! | action | effect |
//! |---|---|
//! | `SetNetworkShare`, `SetFamilyParams`, `SetEmissionTail` | from the next reward epoch ([`schedule`]) |
//! | `AddNetwork` | at once with share 0 (devices may register), its share from the next epoch |
//! | `SetCreditParams`, `SetStorageParams` | at once |
//! | `SetOracleSet` | from its `effective_epoch` (after the executing block's) |
//! | `SetValidators` | at the end of the current validator epoch |
//! | `TreasurySpend`, `ApproveMaker`, `PlanUpgrade`, `CancelUpgrade` | at once |
//! | `RevokeMaker` | its devices earn nothing from the next reward epoch |
//!
//! The networks' shares as in force from the next epoch plus `treasury_bps`
//! never add up past 10,000 bps, so the treasury's mint (`mint_treasury`) and
//! the manifests of an epoch never emit more than the epoch's emission.

use super::types::{
    gov_params, treasury_address, Action, Bounds, GovParams, ParamBounds, UpgradePlan,
    MAX_UPGRADE_NAME,
};
use super::{makers, schedule};
use crate::context::{BlockContext, Fail};
use crate::emission::{self, Emission, BPS};
use crate::error::{LedgerError, TxError};
use crate::params::CreditParams;
use crate::params::StorageParams;
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::validators::{self, ValidatorSet};
use crate::{accounts, credits, keys, oracle_schedule};
use std::collections::BTreeMap;

/// Checks `action` against state at `height` (the block proposing or executing
/// it): every effect it would have must be valid. A store failure, which
/// refuses nothing by itself, is reported as [`TxError::Malformed`]; inside the
/// ledger, `check` keeps it fatal.
pub fn validate<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    gov: &GovParams,
    ctx: &BlockContext,
    action: &Action,
) -> Result<(), TxError> {
    check(state, params, gov, ctx, action).map_err(|f| match f {
        Fail::Tx(e) => e,
        Fail::Fatal(e) => TxError::Malformed {
            reason: format!("state unreadable: {e}"),
        },
    })
}

/// [`validate`], with store failures kept apart from refusals (fatal).
pub(crate) fn check<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    gov: &GovParams,
    ctx: &BlockContext,
    action: &Action,
) -> Result<(), Fail> {
    let e = Epochs::of(state, params, ctx)?;
    if let Some(change) = network_change(state, gov, &e, action)? {
        schedule::plan_network(state, change.network, e.next, e.oldest)?;
        return Ok(());
    }
    match action {
        Action::SetNetworkShare { .. }
        | Action::SetFamilyParams { .. }
        | Action::AddNetwork { .. } => {
            unreachable!("network_change handles every network action")
        }
        Action::SetCreditParams { params: p } => check_credit_params(&gov.bounds, p)?,
        Action::SetStorageParams { params: p } => check_storage_params(&gov.bounds, p)?,
        Action::SetEmissionTail { tail_per_epoch } => {
            let emission = emission_change(state, params, gov, &e, *tail_per_epoch)?;
            schedule::plan_emission(state, emission, e.next, e.oldest)?;
        }
        Action::SetOracleSet {
            set,
            effective_epoch,
        } => oracle_schedule::check(state, params, ctx, set, *effective_epoch)?,
        Action::SetValidators { validators } => {
            governed_validator_set(state)?;
            validators::check_set(validators)?;
        }
        Action::TreasurySpend { amount, .. } => {
            if *amount == 0 {
                return Err(TxError::ZeroAmount.into());
            }
        }
        Action::ApproveMaker { maker, name, .. } => makers::validate_approve(state, maker, name)?,
        Action::RevokeMaker { maker } => makers::validate_revoke(state, maker)?,
        Action::PlanUpgrade { name, height } => check_upgrade(state, ctx, name, *height)?,
        Action::CancelUpgrade => {
            if state.get(keys::UPGRADE)?.is_none() {
                return Err(TxError::NoUpgradePlanned.into());
            }
        }
    }
    Ok(())
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
    let e = Epochs::of(state, params, ctx)?;
    // A network change is checked whole by building it; nothing is written
    // before every check passed.
    if let Some(change) = network_change(state, gov, &e, action)? {
        let plan = schedule::plan_network(state, change.network.clone(), e.next, e.oldest)?;
        if change.added {
            add_network(state, &change.network)?;
        }
        schedule::write_network_plan(state, plan);
        return Ok(());
    }
    check(state, params, gov, ctx, action)?;
    match action {
        Action::SetNetworkShare { .. }
        | Action::SetFamilyParams { .. }
        | Action::AddNetwork { .. } => {
            unreachable!("network_change handles every network action")
        }
        Action::SetCreditParams { params: p } => state.put_t(keys::CREDIT_PARAMS.to_vec(), p),
        Action::SetStorageParams { params: p } => state.put_t(keys::STORAGE_PARAMS.to_vec(), p),
        Action::SetEmissionTail { tail_per_epoch } => {
            let emission = emission_change(state, params, gov, &e, *tail_per_epoch)?;
            let plan = schedule::plan_emission(state, emission, e.next, e.oldest)?;
            schedule::write_emission_plan(state, plan);
        }
        Action::SetOracleSet {
            set,
            effective_epoch,
        } => oracle_schedule::schedule(state, params, ctx, set, *effective_epoch)?,
        Action::SetValidators { validators } => {
            let record = governed_validator_set(state)?;
            validators::schedule(state, record, validators)?;
        }
        Action::TreasurySpend { to, amount } => spend(state, to, *amount)?,
        Action::ApproveMaker {
            maker,
            name,
            onboard_fee_credits,
        } => makers::approve(state, maker, name, *onboard_fee_credits, proposal)?,
        Action::RevokeMaker { maker } => makers::revoke(state, maker, e.next)?,
        Action::PlanUpgrade { name, height } => state.put_t(
            keys::UPGRADE.to_vec(),
            &UpgradePlan {
                name: name.clone(),
                height: *height,
                proposal,
            },
        ),
        Action::CancelUpgrade => state.delete(keys::UPGRADE.to_vec()),
    }
    Ok(())
}

/// The reward epochs an action is judged by, from the current one (the
/// block's; at admission the head's).
struct Epochs {
    /// The epoch changes take effect from.
    next: u64,
    /// The oldest epoch a manifest may still be accepted for (what folding keeps).
    oldest: u64,
}

impl Epochs {
    fn of<S: Store>(
        state: &Overlay<'_, S>,
        params: &ChainParams,
        ctx: &BlockContext,
    ) -> Result<Epochs, Fail> {
        let current = ctx.current_epoch(state, params)?;
        Ok(Epochs {
            next: current.checked_add(1).ok_or(TxError::Overflow)?,
            oldest: params.emission.oldest_acceptable(current),
        })
    }
}

/// What a network action puts in force from the next epoch.
struct NetworkChange {
    /// The network as it will be.
    network: Network,
    /// Whether it is a new network.
    added: bool,
}

/// The checked network change `action` makes, or `None` for an action that
/// changes no network.
fn network_change<S: Store>(
    state: &Overlay<'_, S>,
    gov: &GovParams,
    e: &Epochs,
    action: &Action,
) -> Result<Option<NetworkChange>, Fail> {
    let (network, added) = match action {
        Action::SetNetworkShare {
            network,
            share_bps,
            usage_bps,
        } => {
            let n = scheduled_network(state, network, e.next)?;
            let n = Network {
                share_bps: *share_bps,
                usage_bps: *usage_bps,
                ..n
            };
            (n, false)
        }
        Action::SetFamilyParams {
            network,
            params_json,
        } => {
            let mut n = scheduled_network(state, network, e.next)?;
            n.params_json = family_params(state, &n.name, &n.family, params_json)?;
            (n, false)
        }
        Action::AddNetwork {
            name,
            family,
            params_json,
            share_bps,
            usage_bps,
            require_maker,
        } => {
            if !Network::valid_name(name) {
                return Err(TxError::BadNetworkName {
                    network: name.clone(),
                }
                .into());
            }
            if state.get(&keys::network(name))?.is_some() {
                return Err(TxError::NetworkExists {
                    network: name.clone(),
                }
                .into());
            }
            let n = Network {
                name: name.clone(),
                family: family.clone(),
                params_json: family_params(state, name, family, params_json)?,
                share_bps: *share_bps,
                usage_bps: *usage_bps,
                require_maker: *require_maker,
            };
            (n, true)
        }
        _ => return Ok(None),
    };
    if network.usage_bps > BPS {
        return Err(TxError::OutOfBounds {
            param: "usage_bps".into(),
            value: network.usage_bps.into(),
            min: 0,
            max: BPS.into(),
        }
        .into());
    }
    check_shares(state, gov, e.next, &network)?;
    Ok(Some(NetworkChange { network, added }))
}

/// The network `name` as it will be in force in epoch `next` (with the changes
/// already scheduled), or [`TxError::UnknownNetwork`].
fn scheduled_network<S: Store>(
    state: &Overlay<'_, S>,
    name: &str,
    next: u64,
) -> Result<Network, Fail> {
    schedule::network_at(state, name, next)?.ok_or_else(|| {
        TxError::UnknownNetwork {
            network: name.to_string(),
        }
        .into()
    })
}

/// Refuses `network` if every network's share in epoch `next`, with this one's
/// new share, plus the treasury's, would pass 10,000 bps.
fn check_shares<S: Store>(
    state: &Overlay<'_, S>,
    gov: &GovParams,
    next: u64,
    network: &Network,
) -> Result<(), Fail> {
    let others: u64 = schedule::networks_at(state, next)?
        .iter()
        .filter(|n| n.name != network.name)
        .map(|n| u64::from(n.share_bps))
        .sum();
    let total = others + u64::from(network.share_bps) + u64::from(gov.treasury_bps);
    if total > u64::from(BPS) {
        return Err(TxError::SharesTooLarge {
            total,
            limit: BPS.into(),
        }
        .into());
    }
    Ok(())
}

/// The family's parameters as canonical JSON (keys sorted, no spaces), once the
/// family accepts them; an empty document means the family's defaults (`{}`).
///
/// A custom (`wasm`) family's module must be on the ledger and load as a family
/// (size, exports, only the allowed imports: `plinth_proofs::wasm::load`), so a
/// bad module is refused when proposed, not when its first epoch closes.
fn family_params<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    family: &str,
    params_json: &str,
) -> Result<String, Fail> {
    let bad = |reason: String| TxError::BadFamilyParams {
        network: network.to_string(),
        reason,
    };
    let text = match params_json.trim() {
        "" => "{}",
        t => t,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let canonical = serde_json::to_string(&sorted(value)).expect("a JSON value serialises");
    let f =
        plinth_proofs::Family::from_network(family, &canonical).map_err(|e| bad(e.to_string()))?;
    if let plinth_proofs::Family::Wasm(p) = f {
        let bytes = crate::compute::module_bytes(state, &p.module)?.ok_or_else(|| {
            bad(format!(
                "module {} is not on the ledger (upload it first)",
                p.module
            ))
        })?;
        plinth_proofs::wasm::load(&bytes).map_err(|e| bad(format!("module {}: {e}", p.module)))?;
    }
    Ok(canonical)
}

/// `v` with every object's keys in order, whatever map serde_json was built with.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Writes a new network's base record, with no share yet (devices may register
/// at once), and its name.
fn add_network<S: Store>(state: &mut Overlay<'_, S>, network: &Network) -> Result<(), Fail> {
    let base = Network {
        share_bps: 0,
        usage_bps: 0,
        ..network.clone()
    };
    state.put_t(keys::network(&base.name), &base);
    let mut names = schedule::network_names(state)?;
    if let Err(i) = names.binary_search(&base.name) {
        names.insert(i, base.name);
    }
    state.put_t(keys::NETWORK_NAMES.to_vec(), &names);
    Ok(())
}

fn within(param: &str, value: u64, bounds: Bounds) -> Result<(), TxError> {
    if bounds.contains(value) {
        return Ok(());
    }
    Err(TxError::OutOfBounds {
        param: param.to_string(),
        value,
        min: bounds.min,
        max: bounds.max,
    })
}

fn check_credit_params(b: &ParamBounds, p: &CreditParams) -> Result<(), TxError> {
    p.validate()
        .map_err(|reason| TxError::InvalidParams { reason })?;
    within(
        "credits.credit_micro_usd",
        p.credit_micro_usd,
        b.credit_micro_usd,
    )?;
    within(
        "credits.price_max_age_ms",
        p.price_max_age_ms,
        b.price_max_age_ms,
    )
}

fn check_storage_params(b: &ParamBounds, p: &StorageParams) -> Result<(), TxError> {
    p.validate()
        .map_err(|reason| TxError::InvalidParams { reason })?;
    within(
        "storage.max_failures",
        p.max_failures.into(),
        b.storage_max_failures,
    )?;
    within(
        "storage.max_deal_epochs",
        p.max_deal_epochs,
        b.storage_max_deal_epochs,
    )?;
    within(
        "storage.accept_epochs",
        p.accept_epochs,
        b.storage_accept_epochs,
    )
}

/// The emission as it will be from the next epoch with the tail `tail_per_epoch`.
fn emission_change<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    gov: &GovParams,
    e: &Epochs,
    tail_per_epoch: u64,
) -> Result<Emission, Fail> {
    within(
        "emission.tail_per_epoch",
        tail_per_epoch,
        gov.bounds.tail_per_epoch,
    )?;
    Ok(Emission {
        tail_per_epoch,
        ..schedule::emission_at(state, params, e.next)?
    })
}

/// The validator-set record governance changes, or [`TxError::ValidatorSetFixed`]
/// on a chain whose genesis fixed its set.
fn governed_validator_set<S: Store>(state: &Overlay<'_, S>) -> Result<ValidatorSet, Fail> {
    validators::load(state)?.ok_or_else(|| TxError::ValidatorSetFixed.into())
}

/// Pays `amount` from the treasury account to `to`.
fn spend<S: Store>(
    state: &mut Overlay<'_, S>,
    to: &plinth_core::Address,
    amount: u64,
) -> Result<(), Fail> {
    let treasury = treasury_address();
    let mut account = accounts::load(state, &treasury)?.unwrap_or_default();
    if account.balance < amount {
        return Err(TxError::TreasuryInsufficient {
            needed: amount,
            available: account.balance,
        }
        .into());
    }
    account.debit(amount)?;
    accounts::save(state, &treasury, &account);
    accounts::credit(state, to, amount)
}

/// Upgrades applied so far, oldest first.
pub fn upgrades_applied<S: Store>(state: &Overlay<'_, S>) -> Result<Vec<UpgradePlan>, LedgerError> {
    state.get_or_default(keys::UPGRADES_APPLIED)
}

fn check_upgrade<S: Store>(
    state: &Overlay<'_, S>,
    ctx: &BlockContext,
    name: &str,
    height: u64,
) -> Result<(), Fail> {
    let well_formed = !name.is_empty()
        && name.len() <= MAX_UPGRADE_NAME
        && name.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_')
        });
    if !well_formed || upgrades_applied(state)?.iter().any(|p| p.name == name) {
        return Err(TxError::BadUpgradeName {
            name: name.to_string(),
        }
        .into());
    }
    if height <= ctx.height {
        return Err(TxError::UpgradeHeightPassed {
            height,
            current: ctx.height,
        }
        .into());
    }
    Ok(())
}

/// At the first block of a reward epoch, mints `treasury_bps` of the previous
/// block's epoch's emission into the treasury account.
///
/// Only the previous block's epoch is minted: epochs in which no block was made
/// (the chain was halted) give the treasury nothing, as they give the networks
/// nothing once their manifests are too old. Minted tokens are held at once
/// (`Supply::minted` grows, not `unclaimed`) and recorded in the epoch's supply
/// bookkeeping. A mint that would take the supply past the range of an amount
/// is skipped.
pub(crate) fn mint_treasury<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    if ctx.height == 0 {
        return Ok(());
    }
    let Some(gov) = gov_params(state)? else {
        return Ok(());
    };
    // The head is still the previous block's: this block writes it after end_block.
    let Some((_, prev_ms)) = state.get_t::<(u64, u64)>(keys::HEAD)? else {
        return Ok(());
    };
    let prev = params.emission.epoch_at(params.genesis_time_ms, prev_ms);
    if ctx.epoch(params) <= prev {
        return Ok(());
    }
    let amount = schedule::allowance_at(state, params, prev, gov.treasury_bps)?;
    if amount == 0 {
        return Ok(());
    }
    let mut supply = emission::supply(state)?;
    let Some(minted) = supply
        .total()
        .and_then(|t| t.checked_add(amount))
        .and(supply.minted.checked_add(amount))
    else {
        return Ok(());
    };
    supply.minted = minted;
    emission::save_supply(state, &supply);
    // Neither can overflow now: a balance and an epoch's mint are at most the total.
    let treasury = treasury_address();
    accounts::credit(state, &treasury, amount).map_err(corrupt)?;
    credits::record_mint(state, prev, amount).map_err(corrupt)
}

/// A refusal where consistent state cannot refuse: the state is corrupt.
fn corrupt(f: Fail) -> LedgerError {
    match f {
        Fail::Fatal(e) => e,
        Fail::Tx(e) => LedgerError::Corrupt {
            key: String::from_utf8_lossy(keys::SUPPLY).into_owned(),
            reason: e.to_string(),
        },
    }
}

/// At the end of the planned upgrade's height: the plan moves to the applied list.
pub(crate) fn end_block_upgrade<S: Store>(
    state: &mut Overlay<'_, S>,
    height: u64,
) -> Result<(), LedgerError> {
    let Some(plan) = state.get_t::<UpgradePlan>(keys::UPGRADE)? else {
        return Ok(());
    };
    if plan.height != height {
        return Ok(());
    }
    let mut applied = upgrades_applied(state)?;
    applied.push(plan);
    state.put_t(keys::UPGRADES_APPLIED.to_vec(), &applied);
    state.delete(keys::UPGRADE.to_vec());
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
