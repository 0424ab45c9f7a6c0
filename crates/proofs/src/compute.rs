//! The compute family: what the oracle set checks of compute providers.
//!
//! Compute providers send no reports. The oracle probes each leased provider with
//! capacity checks (small benchmark tasks whose answers it can check, with a
//! deadline that fits the claimed capacity) and re-executes a drawn share of each
//! job claim's tasks (spot checks). Both outcomes go on the ledger signed by the
//! oracle quorum (the ledger calls `SettleChecks` and `VerifyClaim`); the
//! network's reward manifest pays providers by the credits their leases and tasks
//! earned in the epoch.

use serde::{Deserialize, Serialize};

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
