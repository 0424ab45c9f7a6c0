//! Software upgrades planned by governance (Cosmos `x/upgrade` semantics).
//!
//! A binary knows a list of upgrade names (the `plinth` binary's
//! `KNOWN_UPGRADES`, handed down in [`crate::NodeConfig::known_upgrades`]). When
//! the state a block would be built on plans an upgrade
//! ([`plinth_ledger::governance::UpgradePlan`]) for that block's height whose name
//! the binary does not know, the node neither proposes, verifies nor executes
//! the block: it stops with [`UpgradeNeeded`] (exit code [`EXIT_CODE`]), and
//! refuses to start on such a state. A binary that knows the name executes the
//! block, and the ledger records the upgrade as applied.
//!
//! ```text
//!  committed head H-1, sys/upgrade = {name, height: H}
//!     name known    ─▶ block H executes (the ledger moves the plan to the applied list)
//!     name unknown  ─▶ UPGRADE NEEDED: "name" at height H ─▶ the process exits with 3
//! ```

use plinth_ledger::governance::{upgrade_plan, UpgradePlan};
use plinth_ledger::{LedgerError, Store};

/// The exit code of a process that stopped for an upgrade it does not know.
pub const EXIT_CODE: i32 = 3;

/// Block `height` needs a binary that knows upgrade `name`: this one does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("UPGRADE NEEDED: \"{name}\" at height {height}")]
pub struct UpgradeNeeded {
    /// The planned upgrade's name.
    pub name: String,
    /// The first height only a binary knowing `name` executes.
    pub height: u64,
}

/// Whether a binary knowing `known` must stop before executing block `height`
/// under `plan` (the plan in the state that block builds on).
pub fn needed_by(
    plan: Option<&UpgradePlan>,
    height: u64,
    known: &[String],
) -> Option<UpgradeNeeded> {
    let plan = plan?;
    (plan.height == height && !known.contains(&plan.name)).then(|| UpgradeNeeded {
        name: plan.name.clone(),
        height,
    })
}

/// [`needed_by`] with the plan read from `state`, the state block `height`
/// builds on.
pub fn needed<S: Store>(
    state: &S,
    height: u64,
    known: &[String],
) -> Result<Option<UpgradeNeeded>, LedgerError> {
    Ok(needed_by(upgrade_plan(state)?.as_ref(), height, known))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str, height: u64) -> UpgradePlan {
        UpgradePlan {
            name: name.into(),
            height,
            proposal: 1,
        }
    }

    #[test]
    fn stops_only_at_the_height_of_an_unknown_plan() {
        let known = vec!["v2".to_string()];
        let unknown = plan("v3", 10);
        assert_eq!(needed_by(None, 10, &known), None);
        assert_eq!(needed_by(Some(&unknown), 9, &known), None);
        assert_eq!(
            needed_by(Some(&unknown), 10, &known),
            Some(UpgradeNeeded {
                name: "v3".into(),
                height: 10
            })
        );
        assert_eq!(needed_by(Some(&plan("v2", 10)), 10, &known), None);
        assert_eq!(
            needed_by(Some(&unknown), 10, &known).unwrap().to_string(),
            "UPGRADE NEEDED: \"v3\" at height 10"
        );
    }
}
