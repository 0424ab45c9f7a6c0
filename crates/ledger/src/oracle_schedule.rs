//! Changing the oracle set by transaction: [`Call::SetOracleSet`], its checks,
//! and the folding of entries no manifest can still need into the base set.
//!
//! The schedule itself, and which set is in force at an epoch, are read in
//! [`crate::oracle_set`] (below [`crate::tx`], where every oracle-signed message
//! is checked); this module only writes it. The authority is the validator admin
//! ([`crate::validators`]), with the same rule and error as
//! [`Call::SetValidators`], until governance replaces it.
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
use plinth_core::Address;

/// Applies an oracle-set call ([`Call::SetOracleSet`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::SetOracleSet {
            set,
            effective_epoch,
        } => schedule(
            cx.state,
            cx.params,
            cx.block,
            &cx.signer,
            set,
            *effective_epoch,
        ),
        _ => unreachable!("Call::module routes only oracle-set calls here"),
    }
}

/// `Call::SetOracleSet`: the admin puts `set` in force from `effective_epoch` on.
fn schedule<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    set: &OracleSet,
    effective_epoch: u64,
) -> Result<(), Fail> {
    validators::check_admin(state, signer)?;
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
        current.saturating_sub(params.emission.manifest_max_age_epochs),
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
    if base != old_base {
        state.put_t(keys::ORACLES.to_vec(), &base);
    }
    state.put_t(keys::ORACLE_SCHEDULE.to_vec(), &entries);
    Ok(())
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
    use plinth_core::Keypair;

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
