//! The node's governance API (`/v1/gov…`, `/v1/makers…`): the JSON shapes it
//! answers with and the query strings it takes. Documented for other languages in
//! `crates/node/openapi.yaml`.
//!
//! Voting power is an exact integer ([`plinth_ledger::governance::positions`]):
//! every power appears as a [`PowerView`], its raw value and its value for people
//! (tokens × multiplier, in the token's smallest unit), both as decimal strings
//! (JSON numbers lose precision past 2^53). Ledger records (settings, positions,
//! proposals and their actions, upgrade plans, makers) appear as the ledger
//! serialises them.

use plinth_core::Address;
use plinth_ledger::governance::makers::Maker;
use plinth_ledger::governance::{
    u128_string, GovParams, Position, Proposal, ProposalStatus, UpgradePlan, VoteOption,
};
use plinth_ledger::Amount;
use serde::{Deserialize, Serialize};

/// Most proposals one `GET /v1/gov/proposals` page holds.
pub const MAX_PROPOSALS_PAGE: usize = 100;
/// Most votes one `GET /v1/gov/proposals/{id}/votes` page holds (each vote reads
/// its delegators' counted power too: at most 256 of them).
pub const MAX_VOTES_PAGE: usize = 500;
/// Most makers one `GET /v1/makers` page holds.
pub const MAX_MAKERS_PAGE: usize = 1000;

/// A voting power: raw, and for people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerView {
    /// Raw power (amount × multiplier bps × blocks), exact.
    #[serde(with = "u128_string")]
    pub raw: u128,
    /// For people: `raw / (max_lock_blocks × 10,000)`, i.e. tokens × multiplier,
    /// in the token's smallest unit.
    #[serde(with = "u128_string")]
    pub display: u128,
}

/// `GET /v1/gov`: the chain's governance at the head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GovView {
    /// The genesis's `[governance]` settings.
    pub params: GovParams,
    /// The treasury account (nobody holds its key; proposals spend from it).
    pub treasury: Address,
    /// The treasury's balance.
    pub treasury_balance: Amount,
    /// The total voting power at the head.
    pub total_power: PowerView,
    /// Tokens locked in positions (cooling ones included).
    pub tokens_locked: Amount,
    /// The planned software upgrade, if any.
    pub upgrade: Option<UpgradePlan>,
    /// Upgrades applied so far, oldest first.
    pub upgrades_applied: Vec<UpgradePlan>,
    /// Ids of the proposals in their deposit or voting period.
    pub active_proposals: Vec<u64>,
    /// The id the next proposal gets (proposals ever made, when ids start at 0).
    pub next_proposal: u64,
    /// The head height the figures are for.
    pub height: u64,
}

/// A proposal's tally, per option, with the sum of all options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyView {
    /// Power voting yes.
    pub yes: PowerView,
    /// Power voting no.
    pub no: PowerView,
    /// Power abstaining.
    pub abstain: PowerView,
    /// Power vetoing.
    pub veto: PowerView,
    /// All power that voted (the four options).
    pub voted: PowerView,
}

/// What a proposal's vote would decide if it ended now, by the genesis's exact
/// rules (quorum, then veto, then threshold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictView {
    /// The total power the quorum is measured against: the tallied total once
    /// tallied; while voting, the total projected at the voting end; before, now.
    pub total_power: PowerView,
    /// Share of `total_power` that voted, in basis points (rounded down).
    pub turnout_bps: u32,
    /// Share of yes among yes + no + veto, in basis points (rounded down).
    pub yes_bps: u32,
    /// Share of veto among all votes, in basis points (rounded down).
    pub veto_bps: u32,
    /// Whether enough power voted.
    pub quorum_reached: bool,
    /// Whether the proposal would be vetoed (deposit burned).
    pub would_veto: bool,
    /// Whether the proposal would pass.
    pub would_pass: bool,
    /// What it would become: `passed`, `rejected`, `vetoed` or `no_quorum`.
    pub outcome: String,
    /// The last height of the current period (deposit or voting), if it is in one.
    pub period_end: Option<u64>,
    /// Blocks still to come in the current period (0 once it is over).
    pub blocks_left: u64,
}

/// `GET /v1/gov/proposals/{id}` and the items of `GET /v1/gov/proposals`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalView {
    /// The proposal as the ledger holds it (actions, deposits, raw tally, status).
    pub proposal: Proposal,
    /// Its tally, raw and for people.
    pub tally: TallyView,
    /// What it would become if its vote ended now.
    pub verdict: VerdictView,
    /// The head height the view is for.
    pub height: u64,
}

/// The items of `GET /v1/gov/proposals/{id}/votes`: one account's own vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteView {
    /// Who voted.
    pub voter: Address,
    /// Its choice.
    pub option: VoteOption,
    /// Height of its latest vote.
    pub height: u64,
    /// Its own power as counted in the proposal.
    pub power: PowerView,
    /// Power of the accounts delegating to it that counts under its vote.
    pub delegated_power: PowerView,
}

/// `GET /v1/gov/positions/{id}` and the items of a [`PositionsView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// The position as the ledger holds it.
    pub position: Position,
    /// Its power at the head.
    pub power: PowerView,
    /// Its power while locked (with its whole lock; a cooldown decays from it to 0).
    pub locked_power: PowerView,
    /// The height its cooldown ends and its tokens may be withdrawn (none while locked).
    pub cooldown_end: Option<u64>,
    /// The head height the view is for.
    pub height: u64,
}

/// `GET /v1/gov/positions?owner=ADDR`: an account's positions and delegation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionsView {
    /// The owner.
    pub owner: Address,
    /// Σ power of its positions at the head.
    pub power: PowerView,
    /// The account it delegates its power to, if any.
    pub delegate: Option<Address>,
    /// The accounts that delegate to it.
    pub delegators: Vec<Address>,
    /// Σ power of its delegators' positions at the head.
    pub delegated_power: PowerView,
    /// Its positions, in id order.
    pub positions: Vec<PositionView>,
    /// The head height the view is for.
    pub height: u64,
}

/// `GET /v1/makers/{address}` and the items of `GET /v1/makers`.
pub type MakerView = Maker;

/// The query of `GET /v1/gov/proposals`: ascending ids after `after`; with
/// `before`, descending ids below it (newest first), above `after` if given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProposalsQuery {
    /// Only proposals with this status (see [`status_name`]), or `active` (in
    /// their deposit or voting period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Page after this id (ascending order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Page below this id, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// Most items (default 20, at most [`MAX_PROPOSALS_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/gov/proposals/{id}/votes` and `GET /v1/makers`: pages in
/// address order. Values are text, so the node says which one does not parse.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AddressPageQuery {
    /// Page after this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Most items (default 100; at most [`MAX_VOTES_PAGE`] or [`MAX_MAKERS_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/gov/positions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PositionsQuery {
    /// The owner (an address).
    pub owner: String,
}

/// The statuses a proposal may have, as `?status=` and [`status_name`] spell them.
pub const STATUS_NAMES: &[&str] = &[
    "deposit_period",
    "voting",
    "passed",
    "executed",
    "failed",
    "rejected",
    "vetoed",
    "no_quorum",
    "lapsed",
];

/// The name of a proposal's status (one of [`STATUS_NAMES`]).
pub fn status_name(s: &ProposalStatus) -> &'static str {
    match s {
        ProposalStatus::DepositPeriod => "deposit_period",
        ProposalStatus::Voting => "voting",
        ProposalStatus::Passed => "passed",
        ProposalStatus::Executed { .. } => "executed",
        ProposalStatus::Failed { .. } => "failed",
        ProposalStatus::Rejected => "rejected",
        ProposalStatus::Vetoed => "vetoed",
        ProposalStatus::NoQuorum => "no_quorum",
        ProposalStatus::Lapsed => "lapsed",
    }
}

/// `n / d` in basis points, rounded down and at most 10,000 (0 when `d` is 0):
/// a share of power for people (the verdict's rules compare exactly).
pub fn share_bps(n: u128, d: u128) -> u32 {
    const BPS: u128 = 10_000;
    let bps = match n.checked_mul(BPS) {
        Some(x) => x.checked_div(d).unwrap_or(0),
        // Past 2^128 / 10,000 the divisor is large enough to scale down instead.
        None => n.checked_div(d / BPS).unwrap_or(BPS),
    };
    bps.min(BPS) as u32
}

/// Whether a proposal with status `s` is in its deposit or voting period.
pub fn is_active(s: &ProposalStatus) -> bool {
    matches!(s, ProposalStatus::DepositPeriod | ProposalStatus::Voting)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_serde_name() {
        let all = [
            ProposalStatus::DepositPeriod,
            ProposalStatus::Voting,
            ProposalStatus::Passed,
            ProposalStatus::Executed { height: 1 },
            ProposalStatus::Failed {
                height: 1,
                action: 0,
                error: plinth_ledger::TxError::NoGovernance,
            },
            ProposalStatus::Rejected,
            ProposalStatus::Vetoed,
            ProposalStatus::NoQuorum,
            ProposalStatus::Lapsed,
        ];
        let names: Vec<&str> = all.iter().map(status_name).collect();
        assert_eq!(names, STATUS_NAMES);
        for s in &all {
            let v = serde_json::to_value(s).unwrap();
            assert_eq!(v["status"], status_name(s));
        }
    }

    #[test]
    fn shares_are_basis_points_of_any_size() {
        assert_eq!(share_bps(1, 3), 3333);
        assert_eq!(share_bps(5, 0), 0);
        assert_eq!(share_bps(u128::MAX, u128::MAX), 10_000);
        assert_eq!(share_bps(u128::MAX, 1), 10_000);
    }

    #[test]
    fn powers_are_decimal_strings() {
        let p = PowerView {
            raw: u128::MAX,
            display: 7,
        };
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(v["raw"], u128::MAX.to_string());
        assert_eq!(v["display"], "7");
        assert_eq!(serde_json::from_value::<PowerView>(v).unwrap(), p);
    }
}
