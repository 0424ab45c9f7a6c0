//! The governance types (settings, positions, proposals, actions, votes) and
//! the readers every governance file shares. Imports no other governance file.

use crate::context::Fail;
use crate::error::{LedgerError, TxError};
use crate::oracle_set::OracleSet;
use crate::params::Validator;
use crate::state::{Overlay, Store};
use crate::{keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::Address;
use serde::{Deserialize, Serialize};

/// Most positions one account may own at once.
pub const MAX_POSITIONS_PER_OWNER: usize = 16;
/// Most accounts that may delegate to one account.
pub const MAX_DELEGATORS: usize = 256;
/// Most distinct depositors of one proposal.
pub const MAX_DEPOSITORS: usize = 64;
/// Most actions in one proposal (the genesis may set fewer).
pub const MAX_ACTIONS: usize = 16;
/// Upgrade names: 1 to 64 characters of `a-z`, `0-9`, `.`, `-` and `_`.
pub const MAX_UPGRADE_NAME: usize = 64;

/// A closed range of allowed values `[min, max]` for a parameter governance may change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// The smallest value allowed.
    pub min: u64,
    /// The largest value allowed.
    pub max: u64,
}

impl Bounds {
    /// Whether `v` lies within the bounds.
    pub fn contains(&self, v: u64) -> bool {
        self.min <= v && v <= self.max
    }
}

/// The bounds within which proposals may change credit, storage and emission-tail
/// settings (genesis `[governance.bounds]`).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamBounds {
    /// `credits.credit_micro_usd`.
    pub credit_micro_usd: Bounds,
    /// `credits.price_max_age_ms`.
    pub price_max_age_ms: Bounds,
    /// `storage.max_failures`.
    pub storage_max_failures: Bounds,
    /// `storage.max_deal_epochs`.
    pub storage_max_deal_epochs: Bounds,
    /// `storage.accept_epochs`.
    pub storage_accept_epochs: Bounds,
    /// `emission.tail_per_epoch`.
    pub tail_per_epoch: Bounds,
}

/// The genesis's `[governance]` section, kept under `gov/params`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovParams {
    /// The shortest lock a position may have, in blocks (at least 1).
    pub min_lock_blocks: u64,
    /// The lock at which the multiplier is greatest, and the longest lock (Helium: 4 years).
    pub max_lock_blocks: u64,
    /// The multiplier of a position locked for `max_lock_blocks`, in basis points
    /// (1,000,000 = 100×); it grows linearly from 0 with the lock.
    pub max_multiplier_bps: u64,
    /// The deposit that opens a proposal's voting period.
    pub min_deposit: Amount,
    /// Blocks a proposal may wait for its deposit; then it lapses (deposits returned).
    pub deposit_period_blocks: u64,
    /// Blocks of a voting period (votes in the last block count).
    pub voting_period_blocks: u64,
    /// Share of the total voting power that must vote (abstain and veto count), bps.
    pub quorum_bps: u32,
    /// Share of yes among yes + no + veto above which a proposal passes, bps.
    pub threshold_bps: u32,
    /// Share of veto among all votes above which a proposal is vetoed (deposit burned), bps.
    pub veto_bps: u32,
    /// Longest description, in bytes.
    pub max_description_bytes: u32,
    /// Most actions in one proposal (at most [`MAX_ACTIONS`]).
    pub max_actions: u32,
    /// Most proposals in their deposit or voting period at once.
    pub max_active_proposals: u32,
    /// Share of each epoch's emission minted into the treasury, bps; the networks'
    /// shares and this add up to at most 10,000.
    pub treasury_bps: u32,
    /// Bounds of the settings proposals may change.
    pub bounds: ParamBounds,
}

impl GovParams {
    /// Checks the settings; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let bps = u64::from(crate::emission::BPS);
        if self.min_lock_blocks == 0 || self.min_lock_blocks > self.max_lock_blocks {
            return Err("governance: need 1 <= min_lock_blocks <= max_lock_blocks".into());
        }
        if self.max_lock_blocks > u64::from(u32::MAX) {
            return Err("governance.max_lock_blocks must be at most 4294967295".into());
        }
        if self.max_multiplier_bps == 0 || self.max_multiplier_bps > 100 * bps * 10 {
            return Err("governance.max_multiplier_bps must be 1 to 10,000,000".into());
        }
        if self.deposit_period_blocks == 0 || self.voting_period_blocks == 0 {
            return Err("governance: deposit and voting periods must be at least 1 block".into());
        }
        for (name, v) in [
            ("quorum_bps", self.quorum_bps),
            ("threshold_bps", self.threshold_bps),
            ("veto_bps", self.veto_bps),
            ("treasury_bps", self.treasury_bps),
        ] {
            if u64::from(v) > bps {
                return Err(format!("governance.{name} must be at most 10000"));
            }
        }
        if self.max_actions == 0 || self.max_actions as usize > MAX_ACTIONS {
            return Err(format!("governance.max_actions must be 1 to {MAX_ACTIONS}"));
        }
        if self.max_active_proposals == 0 || self.max_description_bytes == 0 {
            return Err("governance: max_active_proposals and max_description_bytes must be positive".into());
        }
        let b = &self.bounds;
        for (name, r) in [
            ("credit_micro_usd", b.credit_micro_usd),
            ("price_max_age_ms", b.price_max_age_ms),
            ("storage_max_failures", b.storage_max_failures),
            ("storage_max_deal_epochs", b.storage_max_deal_epochs),
            ("storage_accept_epochs", b.storage_accept_epochs),
            ("tail_per_epoch", b.tail_per_epoch),
        ] {
            if r.min > r.max {
                return Err(format!("governance.bounds.{name}: min is above max"));
            }
        }
        Ok(())
    }
}

/// Counters of governance ids, under `gov/next`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct GovCounters {
    /// The id the next position gets.
    pub next_position: u64,
    /// The id the next proposal gets.
    pub next_proposal: u64,
}

/// Whether a position is locked or cooling down.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Lock {
    /// Locked for `lock_blocks`; the duration does not run down until unlocked.
    Locked,
    /// Unlocking: withdrawable from `end_height`; power decays linearly to zero then.
    Cooling {
        /// The first height at which the tokens may be withdrawn.
        end_height: u64,
    },
}

/// A non-transferable locked-token position, `gpos/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Position {
    /// Its id.
    pub id: u64,
    /// Who owns it (only the owner may change or withdraw it).
    pub owner: Address,
    /// Tokens locked.
    pub amount: Amount,
    /// The lock's duration in blocks (the cooldown's length once unlocked).
    pub lock_blocks: u64,
    /// Locked, or cooling down to its end.
    pub lock: Lock,
    /// Height of the block that created it.
    pub created_height: u64,
}

/// A vote's choice.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum VoteOption {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts toward quorum only.
    Abstain,
    /// Against, and above `veto_bps` of all votes burns the deposit.
    Veto,
}

/// Power counted per option (raw power, see [`positions::power`]).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Tally {
    /// Power voting yes.
    #[serde(with = "u128_string")]
    pub yes: u128,
    /// Power voting no.
    #[serde(with = "u128_string")]
    pub no: u128,
    /// Power abstaining.
    #[serde(with = "u128_string")]
    pub abstain: u128,
    /// Power vetoing.
    #[serde(with = "u128_string")]
    pub veto: u128,
}

/// One account's power as counted in a proposal, `gvote/{proposal}/{owner}`: the
/// power of all the owner's positions at the voting end, counted under the vote of
/// `voter` (the owner itself, or its delegate when the owner did not vote).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Counted {
    /// Whose vote this power follows.
    pub voter: Address,
    /// The option it counts under.
    pub option: VoteOption,
    /// The raw power counted.
    #[serde(with = "u128_string")]
    pub power: u128,
}

/// A voter's own vote, `gvoter/{proposal}/{voter}`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Vote {
    /// The choice.
    pub option: VoteOption,
    /// Height of the block of the latest vote (a changed vote replaces the earlier one).
    pub height: u64,
}

/// Where a proposal is in its life.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Waiting for `min_deposit` until `deposit_end`.
    DepositPeriod,
    /// Open for votes until `voting_end` (inclusive).
    Voting,
    /// Passed; its actions apply at the end of block `execute_height`.
    Passed,
    /// Passed and applied.
    Executed {
        /// The block at whose end the actions applied.
        height: u64,
    },
    /// Passed, but an action failed at execution: nothing changed.
    Failed {
        /// The block at whose end execution was tried.
        height: u64,
        /// The failing action's index in `actions`.
        action: u32,
        /// Why it failed.
        error: TxError,
    },
    /// Not passed (threshold not reached); deposits returned.
    Rejected,
    /// Vetoed; deposits burned.
    Vetoed,
    /// Too little power voted; deposits returned.
    NoQuorum,
    /// The deposit period ended without `min_deposit`; deposits returned.
    Lapsed,
}

/// A governance proposal, `gprop/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Proposal {
    /// Its id.
    pub id: u64,
    /// Who proposed it.
    pub proposer: Address,
    /// What it does when it passes, applied in order, all or nothing.
    pub actions: Vec<Action>,
    /// What it is for, for people (at most `max_description_bytes`).
    pub description: String,
    /// Deposits by account, in the order they first deposited.
    pub deposits: Vec<(Address, Amount)>,
    /// Σ deposits.
    pub total_deposit: Amount,
    /// Height of the block that proposed it.
    pub submitted_height: u64,
    /// Last height at which deposits may arrive (the deposit period).
    pub deposit_end: u64,
    /// First height of the voting period, once it opened.
    pub voting_start: Option<u64>,
    /// Last height of the voting period (votes in it count; power is measured here).
    pub voting_end: Option<u64>,
    /// A later height the proposer asked the actions to apply at (after `voting_end`).
    pub execute_height: Option<u64>,
    /// The running tally.
    pub tally: Tally,
    /// The total voting power at `voting_end`, once tallied.
    #[serde(with = "opt_u128_string")]
    pub total_power: Option<u128>,
    /// Accounts that voted themselves.
    pub voters: u64,
    /// Where it is.
    pub status: ProposalStatus,
}

/// What a proposal may do. Each is checked when proposed and again when applied;
/// see [`actions`].
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Change a network's share of emission and its usage split, from the next
    /// reward epoch on.
    SetNetworkShare {
        /// The network.
        network: String,
        /// Its new share of each epoch's emission, bps.
        share_bps: u32,
        /// The part of the share paid as usage rewards, bps.
        usage_bps: u32,
    },
    /// Change a network's family parameters (checked by the family), from the next
    /// reward epoch on.
    SetFamilyParams {
        /// The network.
        network: String,
        /// The new parameters, as canonical JSON.
        params_json: String,
    },
    /// Add a network, earning from the next reward epoch on.
    AddNetwork {
        /// Its name (`[a-z0-9-]`, 1 to 32 characters, not taken).
        name: String,
        /// Its proof family.
        family: String,
        /// The family's parameters, as JSON.
        params_json: String,
        /// Its share of each epoch's emission, bps.
        share_bps: u32,
        /// The part of the share paid as usage rewards, bps.
        usage_bps: u32,
        /// Whether devices must be onboarded by an approved maker.
        require_maker: bool,
    },
    /// Replace the credit settings (within the genesis bounds).
    SetCreditParams {
        /// The new settings.
        params: crate::params::CreditParams,
    },
    /// Replace the storage deal settings (within the genesis bounds).
    SetStorageParams {
        /// The new settings.
        params: crate::params::StorageParams,
    },
    /// Change the emission floor from the next reward epoch on (within the bounds).
    SetEmissionTail {
        /// Tokens emitted per epoch at least.
        tail_per_epoch: Amount,
    },
    /// Put an oracle set in force from a reward epoch on (as `SetOracleSet`).
    SetOracleSet {
        /// The set.
        set: OracleSet,
        /// The first reward epoch it signs for (after the executing block's epoch).
        effective_epoch: u64,
    },
    /// Replace the validator set from the next validator epoch on.
    SetValidators {
        /// The new set.
        validators: Vec<Validator>,
    },
    /// Pay from the treasury account.
    TreasurySpend {
        /// Who receives it.
        to: Address,
        /// Tokens paid.
        amount: Amount,
    },
    /// Approve a device maker: its key may sign device keys at manufacture.
    ApproveMaker {
        /// The maker's key.
        maker: Address,
        /// A name for people (1 to 64 characters).
        name: String,
        /// Credits charged to the maker's account per device onboarded.
        onboard_fee_credits: u64,
    },
    /// Revoke a maker: its devices stop earning from the next reward epoch.
    RevokeMaker {
        /// The maker's key.
        maker: Address,
    },
    /// Plan a software upgrade: every node halts before block `height` unless its
    /// binary knows `name`.
    PlanUpgrade {
        /// The upgrade's name.
        name: String,
        /// The first height the upgraded binary executes.
        height: u64,
    },
    /// Cancel the planned upgrade.
    CancelUpgrade,
}

/// A planned software upgrade, `sys/upgrade`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct UpgradePlan {
    /// The upgrade's name, which the new binary knows.
    pub name: String,
    /// The first height only a binary knowing `name` executes.
    pub height: u64,
    /// The proposal that planned it.
    pub proposal: u64,
}

/// The governance settings, when the chain has them.
pub fn gov_params<S: Store>(state: &Overlay<'_, S>) -> Result<Option<GovParams>, LedgerError> {
    state.get_t(keys::GOV_PARAMS)
}

/// The governance settings, or [`TxError::NoGovernance`].
pub(crate) fn require_params<S: Store>(state: &Overlay<'_, S>) -> Result<GovParams, Fail> {
    gov_params(state)?.ok_or_else(|| TxError::NoGovernance.into())
}

/// The treasury account: governance spends from it by proposal; nobody holds its
/// key (its address is a hash, not a key anyone derived).
pub fn treasury_address() -> Address {
    Address(plinth_core::PublicKey(
        *plinth_core::Hash::tagged("plinth/treasury", b"v1").as_bytes(),
    ))
}

/// The planned upgrade in committed state, if any: the node halts before its
/// height unless its binary knows the name.
pub fn upgrade_plan<S: Store>(store: &S) -> Result<Option<UpgradePlan>, LedgerError> {
    Overlay::new(store).get_t(keys::UPGRADE)
}

/// Serde for `u128` as a decimal string (JSON numbers lose precision past 2^53).
pub mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Serde for `Option<u128>` as an optional decimal string.
pub mod opt_u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the number as a decimal string, or null.
    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}
