//! Changing the oracle set by transaction: [`Call::SetOracleSet`], its checks,
//! and the folding of entries no manifest can still need into the base set.
//!
//! The schedule itself, and which set is in force at an epoch, are read in
//! [`crate::oracle_set`] (below [`crate::tx`], where every oracle-signed message
//! is checked); this module only writes it. The authority is the validator admin
//! ([`crate::validators`]), with the same rule and error as
//! [`Call::SetValidators`], or a passed proposal
//! ([`crate::governance::Action::SetOracleSet`]), through the same [`schedule`].
//!
//! A set is scheduled for an epoch strictly after the block's, so no message
//! about an epoch already under way changes signers. Scheduling a set for an
//! epoch that already has one replaces it (the admin corrects a mistake before it
//! takes effect); at most [`MAX_PENDING_ORACLE_SETS`] sets wait to take effect.

use crate::context::{BlockContext, Fail, TxContext};
use crate::error::TxError;
use crate::oracle_set::{oracle_set, scheduled, OracleSet, MAX_PENDING_ORACLE_SETS};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{keys, validators};

/// Applies an oracle-set call ([`Call::SetOracleSet`]): the validator admin's.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::SetOracleSet {
            set,
            effective_epoch,
        } => {
            validators::check_admin(cx.state, &cx.signer)?;
            schedule(cx.state, cx.params, cx.block, set, *effective_epoch)
        }
        _ => unreachable!("Call::module routes only oracle-set calls here"),
    }
}

/// Puts `set` in force from `effective_epoch` on, once its authority (the admin's
/// call or a passed proposal) is established.
pub(crate) fn schedule<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    set: &OracleSet,
    effective_epoch: u64,
) -> Result<(), Fail> {
    let plan = plan(state, params, block, set, effective_epoch)?;
    if let Some(base) = plan.base {
        state.put_t(keys::ORACLES.to_vec(), &base);
    }
    state.put_t(keys::ORACLE_SCHEDULE.to_vec(), &plan.entries);
    Ok(())
}

/// Refuses what [`schedule`] would refuse, changing nothing.
pub(crate) fn check<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    set: &OracleSet,
    effective_epoch: u64,
) -> Result<(), Fail> {
    plan(state, params, block, set, effective_epoch).map(drop)
}

/// The oracle schedule with `set` from `effective_epoch`: the new base, when
/// folding changed it, and the entries.
struct Plan {
    base: Option<OracleSet>,
    entries: Vec<(u64, OracleSet)>,
}

fn plan<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    set: &OracleSet,
    effective_epoch: u64,
) -> Result<Plan, Fail> {
    set.validate()
        .map_err(|reason| TxError::InvalidOracleSet { reason })?;
    if !set.is_active() {
        return Err(TxError::InactiveOracleSet.into());
    }
    let current = block.current_epoch(state, params)?;
    if effective_epoch <= current {
        return Err(TxError::OracleSetNotInFuture {
            effective_epoch,
            current_epoch: current,
        }
        .into());
    }
    let old_base = oracle_set(state)?;
    let mut base = old_base.clone();
    let mut entries = scheduled(state)?;
    fold(
        &mut base,
        &mut entries,
        params.emission.oldest_acceptable(current),
    );
    match entries.binary_search_by_key(&effective_epoch, |(from, _)| *from) {
        Ok(i) => entries[i].1 = set.clone(),
        Err(i) => entries.insert(i, (effective_epoch, set.clone())),
    }
    let pending = entries.iter().filter(|(from, _)| *from > current).count();
    if pending > MAX_PENDING_ORACLE_SETS {
        return Err(TxError::TooManyPendingOracleSets {
            pending: pending as u64,
            limit: MAX_PENDING_ORACLE_SETS as u64,
        }
        .into());
    }
    Ok(Plan {
        base: (base != old_base).then_some(base),
        entries,
    })
}

/// Folds into `base` the entries no acceptable message can still need: the last
/// entry in force at `oldest_needed` (the oldest epoch a manifest may still be
/// accepted for) becomes the base, and every entry before it goes. The set in
/// force at any epoch from `oldest_needed` on is unchanged.
pub(crate) fn fold(base: &mut OracleSet, entries: &mut Vec<(u64, OracleSet)>, oldest_needed: u64) {
    let in_force = entries.iter().rposition(|(from, _)| *from <= oldest_needed);
    if let Some(i) = in_force {
        *base = entries[i].1.clone();
        entries.drain(..=i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::{Address, Keypair};

    fn set(seed: u8) -> OracleSet {
        OracleSet {
            threshold: 1,
            members: vec![Address(Keypair::from_seed([seed; 32]).public())],
        }
    }

    fn at(base: &OracleSet, entries: &[(u64, OracleSet)], epoch: u64) -> OracleSet {
        entries
            .iter()
            .rev()
            .find(|(from, _)| *from <= epoch)
            .map_or(base.clone(), |(_, s)| s.clone())
    }

    #[test]
    fn folding_keeps_every_set_from_the_oldest_needed_epoch_on() {
        let base0 = set(0);
        let entries0 = vec![(3, set(3)), (5, set(5)), (9, set(9)), (12, set(12))];
        for oldest in 0..15 {
            let (mut base, mut entries) = (base0.clone(), entries0.clone());
            fold(&mut base, &mut entries, oldest);
            for e in oldest..20 {
                assert_eq!(
                    at(&base, &entries, e),
                    at(&base0, &entries0, e),
                    "epoch {e}"
                );
            }
            assert!(entries.iter().all(|(from, _)| *from > oldest));
        }
    }
}
