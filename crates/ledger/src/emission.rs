//! Token issuance: the emission schedule (how much each epoch may pay out) and the
//! supply record (what exists, what was minted, what waits to be claimed).
//!
//! Time is cut into epochs of `epoch_ms` from the genesis time; epoch `e` covers block
//! timestamps `[genesis_time_ms + e·epoch_ms, genesis_time_ms + (e+1)·epoch_ms)`. The
//! schedule starts at `initial_per_epoch`, halves every `halving_interval_epochs` and
//! never drops below `tail_per_epoch`. Nothing is minted by the clock: tokens come
//! into existence only when a reward manifest for a finished epoch is accepted
//! ([`crate::rewards`]), up to each network's share of that epoch's emission.

use crate::error::{LedgerError, TxError};
use crate::state::{Overlay, Store};
use crate::{keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Basis points in one whole (a network's `share_bps` is out of this).
pub const BPS: u32 = 10_000;

/// The emission schedule, the genesis's `[emission]` section.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Emission {
    /// Length of a reward epoch in milliseconds.
    pub epoch_ms: u64,
    /// Tokens (smallest unit) emitted in epoch 0.
    pub initial_per_epoch: Amount,
    /// The emission halves every this many epochs; 0 means it never halves.
    pub halving_interval_epochs: u64,
    /// The floor the emission never drops below.
    pub tail_per_epoch: Amount,
    /// How many epochs after its end an epoch's reward manifest is still accepted.
    /// An older one is refused ([`crate::TxError::ManifestTooOld`]): what an epoch
    /// did not mint in time is never minted, so a leaked oracle key finds no
    /// backlog of unminted epochs to mint for itself. Left out of the serialised
    /// genesis when it is the default, so older genesis files keep their hash.
    #[serde(skip_serializing_if = "is_default_max_age")]
    pub manifest_max_age_epochs: u64,
    /// Net emissions (Helium's HIP-20, Render's burn-and-mint equilibrium): the
    /// tokens burned in epoch `e − 1` are minted again in epoch `e`, up to this
    /// many, on top of the schedule and split among the networks and the
    /// treasury by the same shares. What was burned came out of the supply, so
    /// the supply never passes `genesis + Σ per_epoch` while rewards keep
    /// flowing as the schedule halves. 0 (the default, left out of the
    /// serialised genesis) turns it off.
    #[serde(skip_serializing_if = "is_zero")]
    pub net_emissions_cap_per_epoch: Amount,
}

fn is_zero(v: &Amount) -> bool {
    *v == 0
}

/// The default of [`Emission::manifest_max_age_epochs`].
pub const DEFAULT_MANIFEST_MAX_AGE_EPOCHS: u64 = 16;

fn is_default_max_age(v: &u64) -> bool {
    *v == DEFAULT_MANIFEST_MAX_AGE_EPOCHS
}

impl Default for Emission {
    fn default() -> Self {
        Emission {
            epoch_ms: 60_000,
            initial_per_epoch: 0,
            halving_interval_epochs: 0,
            tail_per_epoch: 0,
            manifest_max_age_epochs: DEFAULT_MANIFEST_MAX_AGE_EPOCHS,
            net_emissions_cap_per_epoch: 0,
        }
    }
}

impl Emission {
    /// The tokens emitted in `epoch`:
    /// `max(initial_per_epoch >> (epoch / halving_interval_epochs), tail_per_epoch)`.
    pub fn per_epoch(&self, epoch: u64) -> Amount {
        let halvings = epoch.checked_div(self.halving_interval_epochs).unwrap_or(0);
        let halved = if halvings >= 64 {
            0
        } else {
            self.initial_per_epoch >> halvings
        };
        halved.max(self.tail_per_epoch)
    }

    /// What a network with `share_bps` may pay out in `epoch` by the schedule
    /// alone (no net emissions: [`Emission::allowance_with`]).
    pub fn network_allowance(&self, epoch: u64, share_bps: u32) -> Amount {
        share_of(self.per_epoch(epoch), share_bps)
    }

    /// The tokens minted again in an epoch after `burned_before` were burned in
    /// the epoch before it: `min(burned_before, net_emissions_cap_per_epoch)`.
    pub fn reminted(&self, burned_before: Amount) -> Amount {
        burned_before.min(self.net_emissions_cap_per_epoch)
    }

    /// What a network with `share_bps` may pay out in `epoch` when `reminted`
    /// tokens are minted again in it ([`Emission::reminted`]): its share of the
    /// schedule plus its share of the re-mint, each rounded down.
    pub fn allowance_with(&self, epoch: u64, share_bps: u32, reminted: Amount) -> Amount {
        // Each part ≤ what it is a share of, and the two ≤ per_epoch + the cap
        // ≤ 2·u64::MAX: saturating only where a genesis asks for the absurd.
        self.network_allowance(epoch, share_bps)
            .saturating_add(share_of(reminted, share_bps))
    }

    /// The epoch a block timestamp falls in (timestamps before genesis are epoch 0).
    pub fn epoch_at(&self, genesis_time_ms: u64, timestamp_ms: u64) -> u64 {
        self.clock(genesis_time_ms).epoch_of(timestamp_ms)
    }

    /// Whether a manifest for `epoch` is too old to be accepted in `current` (the
    /// epoch of the block): more than `manifest_max_age_epochs` epochs after it.
    pub fn manifest_too_old(&self, epoch: u64, current: u64) -> bool {
        current.saturating_sub(epoch) > self.manifest_max_age_epochs
    }

    /// The oldest epoch a manifest may still be accepted for in `current`: what
    /// was in force only before it no acceptable manifest needs.
    pub fn oldest_acceptable(&self, current: u64) -> u64 {
        current.saturating_sub(self.manifest_max_age_epochs)
    }

    /// The first timestamp after `epoch`: the epoch is over in a block at or past it.
    /// `None` when that lies beyond the range of a `u64` (the epoch never ends).
    pub fn epoch_end_ms(&self, genesis_time_ms: u64, epoch: u64) -> Option<u64> {
        self.clock(genesis_time_ms).end_ms(epoch)
    }

    /// The epoch schedule of a chain that started at `genesis_time_ms`.
    pub fn clock(&self, genesis_time_ms: u64) -> plinth_core::EpochClock {
        plinth_core::EpochClock::new(genesis_time_ms, self.epoch_ms)
    }
}

/// `share_bps` of `amount`, rounded down.
fn share_of(amount: Amount, share_bps: u32) -> Amount {
    let share = u128::from(share_bps.min(BPS));
    // ≤ amount because share ≤ BPS, so it fits back into u64.
    (u128::from(amount) * share / u128::from(BPS)) as Amount
}

/// The token supply. Invariant: the holdings of every account (free, bonded and
/// unbonding) plus `unclaimed` equal `genesis + minted − burned`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Supply {
    /// Σ balances at genesis.
    pub genesis: Amount,
    /// Minted since genesis by accepted reward manifests.
    pub minted: Amount,
    /// Destroyed since genesis.
    pub burned: Amount,
    /// Minted but not yet claimed by the devices' owners.
    pub unclaimed: Amount,
}

impl Supply {
    /// Every token in existence: `genesis + minted − burned`.
    pub fn total(&self) -> Option<Amount> {
        self.genesis
            .checked_add(self.minted)?
            .checked_sub(self.burned)
    }

    /// Tokens held: the total less what waits to be claimed. Held tokens are in
    /// accounts (free, bonded, unbonding) and in storage providers' collateral
    /// pools ([`crate::storage::StorageOffer`]).
    pub fn circulating(&self) -> Option<Amount> {
        self.total()?.checked_sub(self.unclaimed)
    }

    /// Mints `amount` into the unclaimed pool. Refused when the total supply would
    /// leave the range of an amount (so no balance can ever overflow).
    pub(crate) fn mint_unclaimed(&mut self, amount: Amount) -> Result<(), TxError> {
        self.total()
            .and_then(|t| t.checked_add(amount))
            .ok_or(TxError::Overflow)?;
        self.minted = self.minted.checked_add(amount).ok_or(TxError::Overflow)?;
        self.unclaimed = self
            .unclaimed
            .checked_add(amount)
            .ok_or(TxError::Overflow)?;
        Ok(())
    }

    /// Takes `amount` out of the unclaimed pool (it goes to an account).
    pub(crate) fn release_unclaimed(&mut self, amount: Amount) -> Result<(), TxError> {
        self.unclaimed = self
            .unclaimed
            .checked_sub(amount)
            .ok_or(TxError::Overflow)?;
        Ok(())
    }
}

/// The supply record in state.
pub fn supply<S: Store>(state: &Overlay<'_, S>) -> Result<Supply, LedgerError> {
    state
        .get_t::<Supply>(keys::SUPPLY)?
        .ok_or(LedgerError::NoGenesis)
}

pub(crate) fn save_supply<S: Store>(state: &mut Overlay<'_, S>, supply: &Supply) {
    state.put_t(keys::SUPPLY.to_vec(), supply);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_down_to_the_tail() {
        let e = Emission {
            epoch_ms: 1000,
            initial_per_epoch: 1_000,
            halving_interval_epochs: 10,
            tail_per_epoch: 100,
            ..Emission::default()
        };
        assert_eq!(e.per_epoch(0), 1_000);
        assert_eq!(e.per_epoch(9), 1_000);
        assert_eq!(e.per_epoch(10), 500);
        assert_eq!(e.per_epoch(20), 250);
        assert_eq!(e.per_epoch(30), 125);
        assert_eq!(e.per_epoch(40), 100);
        assert_eq!(e.per_epoch(u64::MAX), 100);
        assert_eq!(e.network_allowance(10, 2_500), 125);
        assert_eq!(e.epoch_at(5_000, 4_000), 0);
        assert_eq!(e.epoch_at(5_000, 6_999), 1);
        assert_eq!(e.epoch_end_ms(5_000, 1), Some(7_000));
        assert_eq!(e.epoch_end_ms(5_000, u64::MAX), None);
    }

    #[test]
    fn net_emissions_remint_the_burn_up_to_the_cap() {
        let mut e = Emission {
            epoch_ms: 1000,
            initial_per_epoch: 1_000,
            halving_interval_epochs: 10,
            ..Emission::default()
        };
        // Off by default: nothing is minted again.
        assert_eq!(e.reminted(5_000), 0);
        assert_eq!(e.allowance_with(0, 2_500, e.reminted(5_000)), 250);
        e.net_emissions_cap_per_epoch = 400;
        assert_eq!(e.reminted(0), 0);
        assert_eq!(e.reminted(399), 399);
        assert_eq!(e.reminted(5_000), 400);
        // 25 % of 1,000 by the schedule and 25 % of 399 re-minted, each rounded down.
        assert_eq!(e.allowance_with(0, 2_500, 399), 250 + 99);
        assert_eq!(e.allowance_with(10, 10_000, 400), 500 + 400);
        assert_eq!(e.allowance_with(10, 0, 400), 0);
        // Left out of the genesis when off, so older genesis files keep their hash.
        let off = serde_json::to_string(&Emission::default()).unwrap();
        assert!(!off.contains("net_emissions"), "{off}");
        let on = serde_json::to_string(&e).unwrap();
        assert!(on.contains("\"net_emissions_cap_per_epoch\":400"), "{on}");
    }
}
