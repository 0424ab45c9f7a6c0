//! What a passed proposal does: each [`Action`] is validated when proposed
//! ([`validate`]) and validated and applied when executed ([`execute`]); the
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
//! never add up past 10,000 bps, so the treasury's mint ([`mint_treasury`]) and
//! the manifests of an epoch never emit more than the epoch's emission.

use super::types::{
    gov_params, treasury_address, Action, Bounds, GovParams, ParamBounds, UpgradePlan,
    MAX_UPGRADE_NAME,
};
use super::{makers, schedule};
use crate::context::{BlockContext, Fail};
use crate::credits::CreditParams;
use crate::emission::{self, Emission, BPS};
use crate::error::{LedgerError, TxError};
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::storage::StorageParams;
use crate::validators::{self, ValidatorSet};
use crate::{accounts, credits, keys, oracle_schedule};
use std::collections::BTreeMap;

/// Checks `action` against state at `height` (the block proposing or executing
/// it): every effect it would have must be valid. A store failure, which
/// refuses nothing by itself, is reported as [`TxError::Malformed`]; inside the
/// ledger, [`check`] keeps it fatal.
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
            n.params_json = family_params(&n.name, &n.family, params_json)?;
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
                params_json: family_params(name, family, params_json)?,
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
fn family_params(network: &str, family: &str, params_json: &str) -> Result<String, TxError> {
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
    plinth_proofs::Family::from_network(family, &canonical).map_err(|e| bad(e.to_string()))?;
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
    let amount =
        schedule::emission_at(state, params, prev)?.network_allowance(prev, gov.treasury_bps);
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
pub(crate) mod tests {
    use super::*;
    use crate::genesis::{Fees, Genesis, GenesisAccount, GenesisNetwork, Staking, Token};
    use crate::oracle_set::{oracle_set_at, OracleSet};
    use crate::params::Validator;
    use crate::state::MemStore;
    use crate::validators::ValidatorSetGenesis;
    use crate::{context::UNKNOWN_TIME, storage};
    use plinth_core::{Address, Keypair};

    pub(crate) const GENESIS_MS: u64 = 1_700_000_000_000;
    pub(crate) const EPOCH_MS: u64 = 10_000;
    pub(crate) const PER_EPOCH: u64 = 100_000;
    pub(crate) const TAIL: u64 = 10_000;
    pub(crate) const MAX_AGE: u64 = 2;
    pub(crate) const TREASURY_BPS: u32 = 1_000;
    pub(crate) const BALANCE: u64 = 1_000_000;
    pub(crate) const PROPOSAL: u64 = 7;

    pub(crate) fn key(seed: u8) -> Address {
        Address(Keypair::from_seed([seed; 32]).public())
    }

    fn bounds(min: u64, max: u64) -> Bounds {
        Bounds { min, max }
    }

    pub(crate) fn gov_params() -> GovParams {
        GovParams {
            min_lock_blocks: 10,
            max_lock_blocks: 1_000,
            max_multiplier_bps: 1_000_000,
            min_deposit: 1_000,
            deposit_period_blocks: 10,
            voting_period_blocks: 10,
            quorum_bps: 3_340,
            threshold_bps: 5_000,
            veto_bps: 3_340,
            max_description_bytes: 1_000,
            max_actions: 16,
            max_active_proposals: 8,
            treasury_bps: TREASURY_BPS,
            bounds: ParamBounds {
                credit_micro_usd: bounds(0, 100),
                price_max_age_ms: bounds(1_000, 3_600_000),
                storage_max_failures: bounds(0, 10),
                storage_max_deal_epochs: bounds(1, 1_000),
                storage_accept_epochs: bounds(1, 16),
                tail_per_epoch: bounds(0, 50_000),
            },
        }
    }

    fn network(name: &str, share_bps: u32) -> GenesisNetwork {
        GenesisNetwork {
            name: name.into(),
            family: "uptime".into(),
            params: toml::Table::new(),
            share_bps,
            usage_bps: 0,
            require_maker: false,
        }
    }

    /// Two uptime networks (weather 50 %, power 20 %), the treasury's 10 %, a
    /// changeable validator set, manifests accepted for two epochs.
    pub(crate) fn genesis() -> Genesis {
        Genesis {
            chain_id: "gov-test".into(),
            genesis_time_ms: GENESIS_MS,
            block_time_ms: 1_000,
            token: Token {
                name: "Plinth".into(),
                symbol: "PLN".into(),
                decimals: 6,
            },
            fees: Fees { min_fee: 1 },
            staking: Staking {
                unbonding_blocks: 3,
                max_unbonding_entries: 2,
            },
            accounts: vec![GenesisAccount {
                address: key(1),
                balance: BALANCE,
            }],
            validators: vec![Validator {
                address: key(0xAA),
                name: "val-0".into(),
            }],
            networks: vec![network("weather", 5_000), network("power", 2_000)],
            emission: Emission {
                epoch_ms: EPOCH_MS,
                initial_per_epoch: PER_EPOCH,
                halving_interval_epochs: 0,
                tail_per_epoch: TAIL,
                manifest_max_age_epochs: MAX_AGE,
            },
            oracles: OracleSet {
                threshold: 1,
                members: vec![key(0x0C)],
            },
            validator_set: Some(ValidatorSetGenesis {
                admin: None,
                epoch_blocks: 10,
            }),
            credits: None,
            storage: None,
            governance: Some(gov_params()),
        }
    }

    pub(crate) fn store(g: &Genesis) -> MemStore {
        let mut store = MemStore::new();
        let exec = g.execute(&store).unwrap();
        store.commit(&exec);
        store
    }

    /// A block in reward epoch `epoch` (ten blocks an epoch).
    pub(crate) fn block(epoch: u64) -> BlockContext {
        BlockContext {
            height: epoch * 10 + 1,
            timestamp_ms: GENESIS_MS + epoch * EPOCH_MS,
            proposer: key(0xAA),
        }
    }

    /// Executes `action` at `epoch`: its refusal, if any.
    pub(crate) fn run<S: Store>(
        state: &mut Overlay<'_, S>,
        g: &Genesis,
        epoch: u64,
        action: &Action,
    ) -> Result<(), TxError> {
        let gov = g.governance.clone().unwrap();
        match execute(state, &g.params(), &gov, &block(epoch), PROPOSAL, action) {
            Ok(()) => Ok(()),
            Err(Fail::Tx(e)) => Err(e),
            Err(Fail::Fatal(e)) => panic!("fatal: {e}"),
        }
    }

    /// Validates `action` at `epoch`, changing nothing.
    pub(crate) fn check_at<S: Store>(
        state: &Overlay<'_, S>,
        g: &Genesis,
        epoch: u64,
        action: &Action,
    ) -> Result<(), TxError> {
        let gov = g.governance.clone().unwrap();
        validate(state, &g.params(), &gov, &block(epoch), action)
    }

    fn share(network: &str, share_bps: u32, usage_bps: u32) -> Action {
        Action::SetNetworkShare {
            network: network.into(),
            share_bps,
            usage_bps,
        }
    }

    fn add(name: &str, family: &str, params_json: &str, share_bps: u32) -> Action {
        Action::AddNetwork {
            name: name.into(),
            family: family.into(),
            params_json: params_json.into(),
            share_bps,
            usage_bps: 0,
            require_maker: true,
        }
    }

    fn shares(state: &Overlay<'_, MemStore>, name: &str, epoch: u64) -> (u32, u32) {
        let n = schedule::network_at(state, name, epoch).unwrap().unwrap();
        (n.share_bps, n.usage_bps)
    }

    #[test]
    fn a_network_share_changes_from_the_next_epoch() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        run(&mut state, &g, 3, &share("weather", 6_000, 2_500)).unwrap();
        assert_eq!(shares(&state, "weather", 3), (5_000, 0));
        assert_eq!(shares(&state, "weather", 4), (6_000, 2_500));
        assert_eq!(shares(&state, "weather", 400), (6_000, 2_500));
        assert_eq!(shares(&state, "power", 4), (2_000, 0));
        // Shares up to exactly 10,000 with the treasury's pass; one bps more does not.
        run(&mut state, &g, 3, &share("weather", 7_000, 0)).unwrap();
        assert_eq!(shares(&state, "weather", 4), (7_000, 0));
        assert_eq!(
            run(&mut state, &g, 3, &share("power", 2_001, 0)),
            Err(TxError::SharesTooLarge {
                total: 10_001,
                limit: 10_000
            })
        );
    }

    #[test]
    fn a_network_share_is_refused_when_its_effect_is_invalid() {
        let g = genesis();
        let store = store(&g);
        let state = Overlay::new(&store);
        assert_eq!(
            check_at(&state, &g, 1, &share("nope", 1, 0)),
            Err(TxError::UnknownNetwork {
                network: "nope".into()
            })
        );
        assert_eq!(
            check_at(&state, &g, 1, &share("weather", 5_000, 10_001)),
            Err(TxError::OutOfBounds {
                param: "usage_bps".into(),
                value: 10_001,
                min: 0,
                max: 10_000
            })
        );
        assert_eq!(
            check_at(&state, &g, 1, &share("weather", 8_000, 0)),
            Err(TxError::SharesTooLarge {
                total: 11_000,
                limit: 10_000
            })
        );
    }

    #[test]
    fn family_params_are_checked_by_the_family_and_stored_canonical() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let set = |json: &str| Action::SetFamilyParams {
            network: "weather".into(),
            params_json: json.into(),
        };
        run(
            &mut state,
            &g,
            2,
            &set(r#"{ "probe_weight_bps": 5000, "heartbeat_interval_s": 30 }"#),
        )
        .unwrap();
        let params_at = |state: &Overlay<'_, MemStore>, e| {
            schedule::network_at(state, "weather", e)
                .unwrap()
                .unwrap()
                .params_json
        };
        assert_eq!(params_at(&state, 2), "{}");
        assert_eq!(
            params_at(&state, 3),
            r#"{"heartbeat_interval_s":30,"probe_weight_bps":5000}"#
        );
        let refused = check_at(&state, &g, 2, &set(r#"{"probe_weight_bps": 20000}"#));
        assert!(
            matches!(&refused, Err(TxError::BadFamilyParams { network, reason })
                if network == "weather" && reason.contains("probe_weight_bps")),
            "{refused:?}"
        );
        assert!(matches!(
            check_at(&state, &g, 2, &set("{not json")),
            Err(TxError::BadFamilyParams { .. })
        ));
        assert_eq!(
            check_at(&state, &g, 2, &set("{}")).and(check_at(
                &state,
                &g,
                2,
                &Action::SetFamilyParams {
                    network: "nope".into(),
                    params_json: "{}".into()
                }
            )),
            Err(TxError::UnknownNetwork {
                network: "nope".into()
            })
        );
    }

    #[test]
    fn an_added_network_registers_at_once_and_earns_from_the_next_epoch() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        run(&mut state, &g, 5, &add("air", "uptime", "", 1_500)).unwrap();
        assert_eq!(
            schedule::network_names(&state).unwrap(),
            ["air", "power", "weather"]
        );
        let base: Network = state.get_t(&keys::network("air")).unwrap().unwrap();
        assert_eq!((base.share_bps, base.params_json.as_str()), (0, "{}"));
        assert!(base.require_maker);
        assert_eq!(shares(&state, "air", 5), (0, 0));
        assert_eq!(shares(&state, "air", 6), (1_500, 0));
        let names: Vec<String> = schedule::networks_at(&state, 6)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(names, ["air", "power", "weather"]);
        // Its share counts at once toward the next epoch's total.
        assert_eq!(
            check_at(&state, &g, 5, &share("power", 2_000 + 501, 0)),
            Err(TxError::SharesTooLarge {
                total: 10_001,
                limit: 10_000
            })
        );
        // Changed in the same epoch it was added: the changes compose.
        run(&mut state, &g, 5, &share("air", 500, 100)).unwrap();
        assert_eq!(shares(&state, "air", 6), (500, 100));
    }

    #[test]
    fn adding_a_network_is_refused_when_its_effect_is_invalid() {
        let g = genesis();
        let store = store(&g);
        let state = Overlay::new(&store);
        for name in ["", "Air", "air_quality", &"a".repeat(33)] {
            assert_eq!(
                check_at(&state, &g, 1, &add(name, "uptime", "{}", 0)),
                Err(TxError::BadNetworkName {
                    network: name.into()
                })
            );
        }
        assert!(check_at(&state, &g, 1, &add(&"a".repeat(32), "uptime", "{}", 0)).is_ok());
        assert_eq!(
            check_at(&state, &g, 1, &add("weather", "uptime", "{}", 0)),
            Err(TxError::NetworkExists {
                network: "weather".into()
            })
        );
        assert!(matches!(
            check_at(&state, &g, 1, &add("air", "telepathy", "{}", 0)),
            Err(TxError::BadFamilyParams { network, .. }) if network == "air"
        ));
        assert!(matches!(
            check_at(&state, &g, 1, &add("air", "sensor", "{}", 0)),
            Err(TxError::BadFamilyParams { .. })
        ));
        assert_eq!(
            check_at(&state, &g, 1, &add("air", "uptime", "{}", 2_001)),
            Err(TxError::SharesTooLarge {
                total: 10_001,
                limit: 10_000
            })
        );
    }

    #[test]
    fn credit_and_storage_settings_change_at_once_within_bounds() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let credit = CreditParams {
            credit_micro_usd: 20,
            price_max_age_ms: 60_000,
        };
        run(
            &mut state,
            &g,
            1,
            &Action::SetCreditParams { params: credit },
        )
        .unwrap();
        assert_eq!(credits::params(&state).unwrap(), credit);
        let st = StorageParams {
            max_failures: 5,
            max_deal_epochs: 500,
            accept_epochs: 2,
            allow_private_endpoints: true,
        };
        run(&mut state, &g, 1, &Action::SetStorageParams { params: st }).unwrap();
        assert_eq!(storage::params(&state).unwrap(), st);

        let refused = |a: Action| check_at(&state, &g, 1, &a).unwrap_err();
        assert_eq!(
            refused(Action::SetCreditParams {
                params: CreditParams {
                    credit_micro_usd: 101,
                    ..credit
                }
            }),
            TxError::OutOfBounds {
                param: "credits.credit_micro_usd".into(),
                value: 101,
                min: 0,
                max: 100
            }
        );
        assert_eq!(
            refused(Action::SetCreditParams {
                params: CreditParams {
                    price_max_age_ms: 999,
                    ..credit
                }
            }),
            TxError::OutOfBounds {
                param: "credits.price_max_age_ms".into(),
                value: 999,
                min: 1_000,
                max: 3_600_000
            }
        );
        // Within the bounds, but refused by the settings' own checks.
        assert!(matches!(
            refused(Action::SetCreditParams {
                params: CreditParams {
                    credit_micro_usd: 0,
                    ..credit
                }
            }),
            TxError::InvalidParams { .. }
        ));
        assert!(matches!(
            refused(Action::SetStorageParams {
                params: StorageParams {
                    max_failures: 0,
                    ..st
                }
            }),
            TxError::InvalidParams { .. }
        ));
        for (st, param, value) in [
            (
                StorageParams {
                    max_failures: 11,
                    ..st
                },
                "storage.max_failures",
                11,
            ),
            (
                StorageParams {
                    max_deal_epochs: 1_001,
                    ..st
                },
                "storage.max_deal_epochs",
                1_001,
            ),
            (
                StorageParams {
                    accept_epochs: 17,
                    ..st
                },
                "storage.accept_epochs",
                17,
            ),
        ] {
            let e = refused(Action::SetStorageParams { params: st });
            assert!(
                matches!(&e, TxError::OutOfBounds { param: p, value: v, .. } if p == param && *v == value),
                "{e:?}"
            );
        }
    }

    #[test]
    fn the_emission_tail_changes_from_the_next_epoch_within_bounds() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let params = g.params();
        run(
            &mut state,
            &g,
            4,
            &Action::SetEmissionTail {
                tail_per_epoch: 50_000,
            },
        )
        .unwrap();
        let tail = |e| {
            schedule::emission_at(&state, &params, e)
                .unwrap()
                .tail_per_epoch
        };
        assert_eq!((tail(4), tail(5), tail(99)), (TAIL, 50_000, 50_000));
        assert_eq!(
            check_at(
                &state,
                &g,
                4,
                &Action::SetEmissionTail {
                    tail_per_epoch: 50_001
                }
            ),
            Err(TxError::OutOfBounds {
                param: "emission.tail_per_epoch".into(),
                value: 50_001,
                min: 0,
                max: 50_000
            })
        );
    }

    #[test]
    fn an_oracle_set_is_scheduled_as_the_admin_call_schedules_it() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let set = OracleSet {
            threshold: 2,
            members: vec![key(0x0C), key(0x0D), key(0x0E)],
        };
        let action = |set: &OracleSet, effective_epoch| Action::SetOracleSet {
            set: set.clone(),
            effective_epoch,
        };
        run(&mut state, &g, 3, &action(&set, 5)).unwrap();
        assert_eq!(oracle_set_at(&state, 4).unwrap(), g.oracles);
        assert_eq!(oracle_set_at(&state, 5).unwrap(), set);
        assert_eq!(
            check_at(&state, &g, 3, &action(&set, 3)),
            Err(TxError::OracleSetNotInFuture {
                effective_epoch: 3,
                current_epoch: 3
            })
        );
        let empty = OracleSet {
            threshold: 0,
            members: vec![],
        };
        assert_eq!(
            check_at(&state, &g, 3, &action(&empty, 9)),
            Err(TxError::InactiveOracleSet)
        );
        let twice = OracleSet {
            threshold: 1,
            members: vec![key(0x0C), key(0x0C)],
        };
        assert!(matches!(
            check_at(&state, &g, 3, &action(&twice, 9)),
            Err(TxError::InvalidOracleSet { .. })
        ));
    }

    #[test]
    fn a_validator_set_is_scheduled_unless_the_genesis_fixed_it() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let set = vec![
            Validator {
                address: key(0xA1),
                name: "a".into(),
            },
            Validator {
                address: key(0xA2),
                name: "b".into(),
            },
        ];
        run(
            &mut state,
            &g,
            1,
            &Action::SetValidators {
                validators: set.clone(),
            },
        )
        .unwrap();
        let record = validators::load(&state).unwrap().unwrap();
        assert_eq!(record.pending, Some(set.clone()));
        assert_eq!(
            check_at(&state, &g, 1, &Action::SetValidators { validators: vec![] }),
            Err(TxError::EmptyValidatorSet)
        );
        let dup = vec![set[0].clone(), set[0].clone()];
        assert!(matches!(
            check_at(&state, &g, 1, &Action::SetValidators { validators: dup }),
            Err(TxError::DuplicateValidator { .. })
        ));

        let fixed = Genesis {
            validator_set: None,
            ..genesis()
        };
        let store = super::tests::store(&fixed);
        let state = Overlay::new(&store);
        assert_eq!(
            check_at(
                &state,
                &fixed,
                1,
                &Action::SetValidators { validators: set }
            ),
            Err(TxError::ValidatorSetFixed)
        );
    }

    #[test]
    fn upgrades_are_planned_replaced_cancelled_and_applied_once() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let plan = |name: &str, height| Action::PlanUpgrade {
            name: name.into(),
            height,
        };
        // block(1) is height 11.
        assert_eq!(
            check_at(&state, &g, 1, &Action::CancelUpgrade),
            Err(TxError::NoUpgradePlanned)
        );
        assert_eq!(
            check_at(&state, &g, 1, &plan("v2", 11)),
            Err(TxError::UpgradeHeightPassed {
                height: 11,
                current: 11
            })
        );
        for bad in ["", "V2", "v 2", &"v".repeat(65)] {
            assert_eq!(
                check_at(&state, &g, 1, &plan(bad, 100)),
                Err(TxError::BadUpgradeName { name: bad.into() })
            );
        }
        run(&mut state, &g, 1, &plan("v2.0_rc-1", 50)).unwrap();
        run(&mut state, &g, 1, &plan("v2", 40)).unwrap();
        let planned =
            |state: &Overlay<'_, MemStore>| state.get_t::<UpgradePlan>(keys::UPGRADE).unwrap();
        assert_eq!(
            planned(&state),
            Some(UpgradePlan {
                name: "v2".into(),
                height: 40,
                proposal: PROPOSAL
            })
        );
        run(&mut state, &g, 1, &Action::CancelUpgrade).unwrap();
        assert_eq!(planned(&state), None);
        run(&mut state, &g, 1, &plan("v2", 40)).unwrap();
        end_block_upgrade(&mut state, 39).unwrap();
        assert!(planned(&state).is_some());
        end_block_upgrade(&mut state, 40).unwrap();
        assert_eq!(planned(&state), None);
        assert_eq!(upgrades_applied(&state).unwrap().len(), 1);
        assert_eq!(
            check_at(&state, &g, 5, &plan("v2", 100)),
            Err(TxError::BadUpgradeName { name: "v2".into() })
        );
        assert!(check_at(&state, &g, 5, &plan("v3", 100)).is_ok());
    }

    #[test]
    #[ignore = "runs once makers.rs is implemented (issue 15: makers)"]
    fn makers_are_approved_once_and_revoked_from_the_next_epoch() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let maker = key(0x3A);
        let approve = Action::ApproveMaker {
            maker,
            name: "Acme".into(),
            onboard_fee_credits: 5,
        };
        run(&mut state, &g, 1, &approve).unwrap();
        let m = makers::load(&state, &maker).unwrap().unwrap();
        assert_eq!((m.approved_by, m.onboard_fee_credits), (PROPOSAL, 5));
        assert_eq!(m.revoked_from_epoch, None);
        assert!(matches!(
            check_at(&state, &g, 1, &approve),
            Err(TxError::MakerExists { .. })
        ));
        let revoke = |maker| Action::RevokeMaker { maker };
        assert!(matches!(
            check_at(&state, &g, 4, &revoke(key(0x3B))),
            Err(TxError::UnknownMaker { .. })
        ));
        run(&mut state, &g, 4, &revoke(maker)).unwrap();
        assert!(!makers::revoked_in(&state, &maker, 4).unwrap());
        assert!(makers::revoked_in(&state, &maker, 5).unwrap());
        assert_eq!(
            check_at(&state, &g, 4, &revoke(maker)),
            Err(TxError::MakerRevoked {
                maker: maker.to_string(),
                from_epoch: 5
            })
        );
    }

    /// Runs the treasury mint as the block at `height` in `epoch` would, after a
    /// head at `head_epoch`.
    fn mint_at(state: &mut Overlay<'_, MemStore>, g: &Genesis, head_epoch: u64, epoch: u64) {
        state.put_t(
            keys::HEAD.to_vec(),
            &(epoch * 10, GENESIS_MS + head_epoch * EPOCH_MS + 5),
        );
        mint_treasury(state, &block(epoch), &g.params()).unwrap();
    }

    fn conserved(state: &Overlay<'_, MemStore>) -> bool {
        let supply = emission::supply(state).unwrap();
        let held: u64 = [key(1), key(2), treasury_address()]
            .iter()
            .map(|a| accounts::load(state, a).unwrap().map_or(0, |a| a.total()))
            .sum();
        Some(held + supply.unclaimed) == supply.total()
    }

    #[test]
    fn the_treasury_mints_its_share_at_an_epoch_change_and_spends_it() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let treasury = |state: &Overlay<'_, MemStore>| {
            accounts::load(state, &treasury_address())
                .unwrap()
                .map_or(0, |a| a.balance)
        };
        // Same epoch as the head: nothing.
        mint_at(&mut state, &g, 0, 0);
        assert_eq!(treasury(&state), 0);
        // The first block of epoch 1 mints 10 % of epoch 0's emission.
        mint_at(&mut state, &g, 0, 1);
        assert_eq!(treasury(&state), PER_EPOCH / 10);
        assert_eq!(emission::supply(&state).unwrap().minted, PER_EPOCH / 10);
        assert_eq!(
            credits::epoch_supply(&state, 0).unwrap().minted,
            PER_EPOCH / 10
        );
        assert!(conserved(&state));
        // Epochs 2 to 4 had no block: only epoch 1, the previous block's, is minted.
        run(
            &mut state,
            &g,
            1,
            &Action::SetEmissionTail { tail_per_epoch: 0 },
        )
        .unwrap();
        mint_at(&mut state, &g, 1, 5);
        assert_eq!(treasury(&state), 2 * PER_EPOCH / 10);
        assert_eq!(
            credits::epoch_supply(&state, 1).unwrap().minted,
            PER_EPOCH / 10
        );

        let spend = |amount| Action::TreasurySpend { to: key(2), amount };
        assert_eq!(check_at(&state, &g, 5, &spend(0)), Err(TxError::ZeroAmount));
        // More than it holds: valid when proposed, refused when executed.
        assert!(check_at(&state, &g, 5, &spend(1_000_000)).is_ok());
        assert_eq!(
            run(&mut state, &g, 5, &spend(1_000_000)),
            Err(TxError::TreasuryInsufficient {
                needed: 1_000_000,
                available: 2 * PER_EPOCH / 10
            })
        );
        let total = emission::supply(&state).unwrap().total();
        run(&mut state, &g, 5, &spend(15_000)).unwrap();
        assert_eq!(treasury(&state), 2 * PER_EPOCH / 10 - 15_000);
        assert_eq!(
            accounts::load(&state, &key(2)).unwrap().unwrap().balance,
            15_000
        );
        assert_eq!(emission::supply(&state).unwrap().total(), total);
        assert!(conserved(&state));
    }

    #[test]
    fn the_treasury_mint_follows_the_emission_in_force_in_the_minted_epoch() {
        // Only the tail: each epoch emits TAIL until a proposal raises it.
        let mut g = genesis();
        g.emission.initial_per_epoch = 0;
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let tail = |tail_per_epoch| Action::SetEmissionTail { tail_per_epoch };
        run(&mut state, &g, 2, &tail(50_000)).unwrap();
        mint_at(&mut state, &g, 2, 3);
        assert_eq!(credits::epoch_supply(&state, 2).unwrap().minted, TAIL / 10);
        mint_at(&mut state, &g, 3, 4);
        assert_eq!(credits::epoch_supply(&state, 3).unwrap().minted, 5_000);
        assert!(conserved(&state));

        // A chain without governance mints nothing.
        let bare = Genesis {
            governance: None,
            ..genesis()
        };
        let store = super::tests::store(&bare);
        let mut state = Overlay::new(&store);
        mint_at(&mut state, &bare, 0, 1);
        assert_eq!(emission::supply(&state).unwrap().minted, 0);
    }

    #[test]
    fn admission_judges_by_the_head_epoch() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        state.put_t(keys::HEAD.to_vec(), &(40u64, GENESIS_MS + 4 * EPOCH_MS));
        let ctx = BlockContext {
            height: 41,
            timestamp_ms: UNKNOWN_TIME,
            proposer: key(0xAA),
        };
        let gov = g.governance.clone().unwrap();
        let set = OracleSet {
            threshold: 1,
            members: vec![key(0x0D)],
        };
        let at = |effective_epoch| Action::SetOracleSet {
            set: set.clone(),
            effective_epoch,
        };
        assert_eq!(
            validate(&state, &g.params(), &gov, &ctx, &at(4)),
            Err(TxError::OracleSetNotInFuture {
                effective_epoch: 4,
                current_epoch: 4
            })
        );
        assert!(validate(&state, &g.params(), &gov, &ctx, &at(5)).is_ok());
    }
}
