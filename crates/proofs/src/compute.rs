//! The compute family: what the oracle set checks of compute providers.
//!
//! Compute providers send no reports. The oracle probes each leased provider with
//! capacity checks (small benchmark tasks whose answers it can check, with a
//! deadline that fits the claimed capacity) and re-executes a drawn share of each
//! job claim's tasks (spot checks). Both outcomes go on the ledger signed by the
//! oracle quorum (the ledger calls `SettleChecks` and `VerifyClaim`); the
//! network's reward manifest pays providers by the credits their leases and tasks
//! earned in the epoch.

use crate::DeviceInfo;
use plinth_core::DeviceId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A compute network's parameters (the network's `params` JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComputeFamilyParams {
    /// Capacity checks per leased provider and epoch, at times the oracle draws.
    pub checks_per_epoch: u32,
    /// How long a provider has to answer a check, milliseconds.
    pub check_timeout_ms: u64,
}

impl Default for ComputeFamilyParams {
    fn default() -> Self {
        ComputeFamilyParams {
            checks_per_epoch: 3,
            check_timeout_ms: 5_000,
        }
    }
}

impl ComputeFamilyParams {
    /// Checks what serde cannot.
    pub fn validate(self) -> Result<ComputeFamilyParams, String> {
        if self.checks_per_epoch == 0 || self.checks_per_epoch > 64 {
            return Err("checks_per_epoch must be 1 to 64".into());
        }
        if self.check_timeout_ms == 0 {
            return Err("check_timeout_ms must be positive".into());
        }
        Ok(self)
    }
}

/// The credits a compute network's providers earned in an epoch, as the ledger
/// recorded them (`plinth_ledger::compute::earned`), read by the oracle once the
/// epoch is over (its earnings no longer change) and kept in the spool with the
/// epoch's other close inputs. Co-signers and the audit compare it with the ledger.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct ComputeEarnings {
    /// The compute network.
    pub network: String,
    /// The epoch.
    pub epoch: u64,
    /// The head height it was read at (a block after the epoch's end).
    pub height: u64,
    /// Credits paid to each provider in the epoch (leases and tasks), by device.
    pub earned: Vec<(DeviceId, u64)>,
    /// The ledger's token price when it was read (none posted: `None`), which
    /// caps what providers are paid, as for storage.
    pub price: Option<crate::storage::TokenPrice>,
    /// Work the ledger verified in the epoch, by device: an energy network's
    /// verified generation, Wh ([`crate::energy::score`]); empty for others.
    pub work: Vec<(DeviceId, u64)>,
}

/// What a compute network's epoch pays by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComputeScores {
    /// Work: credits earned (a compute provider's work is what consumers paid
    /// for and the oracle set verified).
    pub work: BTreeMap<DeviceId, u64>,
    /// Usage: credits earned.
    pub usage: BTreeMap<DeviceId, u64>,
    /// The most each provider may be paid: the token value of its credits at the
    /// recorded price ([`crate::storage::paid_value_cap`]), so that paying one's
    /// own provider never earns more than the credits' burn cost.
    pub caps: BTreeMap<DeviceId, u64>,
}

/// Scores a compute network's epoch from the ledger's earnings: only devices of
/// the network's registry (`devices`) count, each once.
pub fn score(
    earnings: &[ComputeEarnings],
    devices: &BTreeMap<DeviceId, DeviceInfo>,
) -> ComputeScores {
    let mut out = ComputeScores::default();
    for e in earnings {
        for (device, credits) in &e.earned {
            if !devices.contains_key(device) || *credits == 0 || out.usage.contains_key(device) {
                continue;
            }
            out.work.insert(*device, *credits);
            out.usage.insert(*device, *credits);
            out.caps.insert(
                *device,
                crate::storage::paid_value_cap(e.price.as_ref(), *credits),
            );
        }
    }
    out
}
