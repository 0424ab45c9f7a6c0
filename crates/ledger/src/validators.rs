//! The validator set: who proposes and votes. The genesis fixes the first set; a
//! chain whose genesis has a `[validator_set]` section can change it by a
//! transaction from its admin account, or by a passed governance proposal.
//!
//! Changes take effect at a validator epoch boundary, never in the middle of an
//! epoch: epoch `e` is heights `e·L .. (e+1)·L − 1` (`L` = `epoch_blocks`, the
//! layout of commonware's fixed epocher). A [`Call::SetValidators`] in any block
//! of epoch `e` is held as pending; at the end of the epoch's last block the set
//! is replaced, so the state every validator finalized at the boundary names the
//! set of epoch `e + 1`, and every block of an epoch is checked against one set.
//!
//! A chain without the section keeps its genesis set and pays nothing for this
//! module (no state is written, so its roots are unchanged).
//!
//! [`Call::SetValidators`]: crate::Call::SetValidators

use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::keys;
use crate::params::Validator;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most validators in a set.
pub const MAX_VALIDATORS: usize = 100;

/// The genesis's `[validator_set]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSetGenesis {
    /// The account allowed to replace the set; none: the set never changes.
    #[serde(default)]
    pub admin: Option<Address>,
    /// Blocks per validator epoch (at least 2).
    pub epoch_blocks: u64,
}

/// The validator-set record in state.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ValidatorSet {
    /// The account allowed to replace the set, if any.
    pub admin: Option<Address>,
    /// Blocks per validator epoch.
    pub epoch_blocks: u64,
    /// The current members, in the order they were given.
    pub current: Vec<Address>,
    /// The set that takes over at the end of the current epoch, if any.
    pub pending: Option<Vec<Validator>>,
}

/// The validator epoch of a height.
pub fn epoch_of(height: u64, epoch_blocks: u64) -> u64 {
    height / epoch_blocks
}

/// Whether `height` is the last block of its validator epoch.
pub fn is_last_in_epoch(height: u64, epoch_blocks: u64) -> bool {
    (height + 1).is_multiple_of(epoch_blocks)
}

/// The record, when the chain's genesis has a `[validator_set]` section.
pub fn load<S: Store>(state: &Overlay<'_, S>) -> Result<Option<ValidatorSet>, LedgerError> {
    state.get_t::<ValidatorSet>(keys::VALIDATOR_SET)
}

/// Writes the genesis record.
pub(crate) fn init<S: Store>(
    state: &mut Overlay<'_, S>,
    section: &ValidatorSetGenesis,
    validators: &[Validator],
) {
    state.put_t(
        keys::VALIDATOR_SET.to_vec(),
        &ValidatorSet {
            admin: section.admin,
            epoch_blocks: section.epoch_blocks,
            current: validators.iter().map(|v| v.address).collect(),
            pending: None,
        },
    );
}

/// Checks a proposed set: not empty, not too large, no address twice, every key
/// a valid ed25519 point (what consensus needs to start an epoch with it), names
/// of 1 to 64 characters. A set that passes is one every validator's engine can
/// run, so a set in state never stops the chain at an epoch boundary.
pub fn check_set(validators: &[Validator]) -> Result<(), TxError> {
    if validators.is_empty() {
        return Err(TxError::EmptyValidatorSet);
    }
    if validators.len() > MAX_VALIDATORS {
        return Err(TxError::TooManyValidators {
            count: validators.len() as u64,
            limit: MAX_VALIDATORS as u64,
        });
    }
    let mut seen = BTreeSet::new();
    for v in validators {
        if !seen.insert(v.address) {
            return Err(TxError::DuplicateValidator {
                address: v.address.to_string(),
            });
        }
        if !v.address.key().is_valid_point() {
            return Err(TxError::InvalidValidatorKey {
                address: v.address.to_string(),
            });
        }
        if v.name.is_empty() || v.name.len() > 64 {
            return Err(TxError::BadValidatorName {
                address: v.address.to_string(),
            });
        }
    }
    Ok(())
}

/// Applies a validator-set call ([`Call::SetValidators`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::SetValidators { validators } => set(cx.state, &cx.signer, validators),
        _ => unreachable!("Call::module routes only validator-set calls here"),
    }
}

/// The validator-set record, if `signer` is its admin: the authority that may
/// change the validator set and the oracle set (until governance exists).
/// Refused with [`TxError::NotValidatorAdmin`] otherwise, and on a chain without
/// an admin.
pub(crate) fn check_admin<S: Store>(
    state: &Overlay<'_, S>,
    signer: &Address,
) -> Result<ValidatorSet, Fail> {
    let Some(record) = load(state)? else {
        return Err(TxError::NotValidatorAdmin { admin: None }.into());
    };
    if record.admin != Some(*signer) {
        return Err(TxError::NotValidatorAdmin {
            admin: record.admin.map(|a| a.to_string()),
        }
        .into());
    }
    Ok(record)
}

/// `Call::SetValidators`: the admin schedules `validators` for the next epoch.
pub(crate) fn set<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    validators: &[Validator],
) -> Result<(), Fail> {
    let record = check_admin(state, signer)?;
    schedule(state, record, validators)
}

/// Schedules `validators` (checked first) to replace the set at the end of the
/// current validator epoch, replacing any set scheduled earlier in it: the
/// admin's call and a passed proposal
/// ([`crate::governance::Action::SetValidators`]) both go through here.
pub(crate) fn schedule<S: Store>(
    state: &mut Overlay<'_, S>,
    mut record: ValidatorSet,
    validators: &[Validator],
) -> Result<(), Fail> {
    check_set(validators)?;
    record.pending = Some(validators.to_vec());
    state.put_t(keys::VALIDATOR_SET.to_vec(), &record);
    Ok(())
}

/// Runs at the end of every block: at an epoch's last block, the pending set
/// replaces the current one.
pub(crate) fn end_block<S: Store>(
    state: &mut Overlay<'_, S>,
    height: u64,
) -> Result<(), LedgerError> {
    let Some(mut record) = load(state)? else {
        return Ok(());
    };
    if !is_last_in_epoch(height, record.epoch_blocks) {
        return Ok(());
    }
    let Some(next) = record.pending.take() else {
        return Ok(());
    };
    for old in &record.current {
        state.delete(keys::validator(old.key()));
    }
    for v in &next {
        state.put_t(keys::validator(v.address.key()), v);
    }
    record.current = next.iter().map(|v| v.address).collect();
    state.put_t(keys::VALIDATOR_SET.to_vec(), &record);
    Ok(())
}

/// The members of the set in committed state, for consensus: `None` on a chain
/// without a `[validator_set]` section (its set is the genesis's).
pub fn current<S: Store>(store: &S) -> Result<Option<(u64, Vec<Address>)>, LedgerError> {
    Ok(load(&Overlay::new(store))?.map(|r| (r.epoch_blocks, r.current)))
}
