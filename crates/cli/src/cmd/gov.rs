//! `plinth gov`: lock tokens for voting power, delegate it, propose, deposit,
//! vote, and read proposals and positions (the work is in [`crate::gov_cmd`],
//! the actions' flags in [`crate::gov_actions`]).

use super::{Common, Tx};
use crate::gov_actions::ActionFlags;
use crate::gov_cmd::{self, Duration};
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use plinth_ledger::governance::VoteOption;
use std::path::PathBuf;

/// `plinth gov`'s flags and subcommand.
#[derive(Args)]
pub struct GovArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: GovCmd,
}

/// `plinth gov`'s subcommands.
#[derive(Subcommand)]
pub enum GovCmd {
    /// Lock tokens in a new position for voting power (power grows with the lock
    /// up to the chain's longest; positions cannot be transferred).
    Lock {
        #[command(flatten)]
        tx: Tx,
        /// Tokens to lock, e.g. 100 or 2.5.
        amount: String,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Lengthen a position's lock (a cooling position is locked again).
    Extend {
        #[command(flatten)]
        tx: Tx,
        /// The position's id.
        position: u64,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Move tokens of a position into a new position with the same lock.
    Split {
        #[command(flatten)]
        tx: Tx,
        /// The position's id.
        position: u64,
        /// Tokens to move, e.g. 10.
        amount: String,
    },
    /// Start a position's cooldown: its power decays to zero over its lock,
    /// then its tokens may be withdrawn.
    Unlock {
        #[command(flatten)]
        tx: Tx,
        /// The position's id.
        position: u64,
    },
    /// Return a position's tokens to your balance once its cooldown ended.
    Withdraw {
        #[command(flatten)]
        tx: Tx,
        /// The position's id.
        position: u64,
    },
    /// Delegate your voting power to another account (a vote of your own on a
    /// proposal still counts instead), or stop delegating with --none.
    Delegate {
        #[command(flatten)]
        tx: Tx,
        /// The delegate: key name or address.
        #[arg(required_unless_present = "none")]
        to: Option<String>,
        /// Stop delegating.
        #[arg(long, conflicts_with = "to")]
        none: bool,
    },
    /// Propose actions with a deposit; the vote opens once the deposits reach
    /// the chain's minimum.
    Propose(Box<ProposeArgs>),
    /// Add to a proposal's deposit during its deposit period.
    Deposit {
        #[command(flatten)]
        tx: Tx,
        /// The proposal's id.
        proposal: u64,
        /// Tokens to deposit, e.g. 50.
        amount: String,
    },
    /// Vote on a proposal in its voting period (a later vote replaces an
    /// earlier one until the period ends).
    Vote {
        #[command(flatten)]
        tx: Tx,
        /// The proposal's id.
        proposal: u64,
        /// Your choice.
        option: Choice,
    },
    /// List proposals with their status and live tally, newest first.
    Proposals {
        /// Only this status: active, deposit_period, voting, passed, executed,
        /// failed, rejected, vetoed, no_quorum or lapsed.
        #[arg(long)]
        status: Option<String>,
        /// Most proposals to list (at most 100).
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Show a proposal: its actions, deposits, tally and what it would become
    /// if its vote ended now.
    Show {
        /// The proposal's id.
        id: u64,
        /// Also list every vote.
        #[arg(long)]
        votes: bool,
    },
    /// An account's positions, voting power and delegation.
    Positions {
        /// Key name or address.
        who: String,
    },
}

/// A lock's length: in blocks, or in days at the chain's block time.
#[derive(Args)]
pub struct LockFlags {
    /// The lock, in blocks.
    #[arg(long, required_unless_present = "days", conflicts_with = "days")]
    blocks: Option<u64>,
    /// The lock in days (e.g. 30 or 1.5), converted to blocks with the chain's
    /// block time.
    #[arg(long)]
    days: Option<String>,
}

impl LockFlags {
    fn duration(&self) -> Duration {
        match (&self.days, self.blocks) {
            (Some(d), _) => Duration::Days(d.clone()),
            (None, b) => Duration::Blocks(b.unwrap_or_default()),
        }
    }
}

/// `plinth gov propose`'s flags.
#[derive(Args)]
pub struct ProposeArgs {
    #[command(flatten)]
    tx: Tx,
    /// What the proposal is for, for people.
    #[arg(long)]
    description: String,
    /// Tokens deposited now, e.g. 100.
    #[arg(long)]
    deposit: String,
    /// A JSON file with an array of actions, each tagged by "type" (the serde
    /// form of the ledger's governance Action; amounts in the smallest unit).
    /// Its actions come first, then those of the flags below.
    #[arg(long, value_name = "FILE.json")]
    actions: Option<PathBuf>,
    #[command(flatten)]
    flags: ActionFlags,
    /// Apply the actions at this height (after the voting period) instead of
    /// at its end.
    #[arg(long)]
    execute_height: Option<u64>,
}

/// A vote's choice.
#[derive(Clone, Copy, ValueEnum)]
pub enum Choice {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts toward the quorum only.
    Abstain,
    /// Against; above the chain's veto share of all votes it burns the deposit.
    Veto,
}

impl From<Choice> for VoteOption {
    fn from(c: Choice) -> VoteOption {
        match c {
            Choice::Yes => VoteOption::Yes,
            Choice::No => VoteOption::No,
            Choice::Abstain => VoteOption::Abstain,
            Choice::Veto => VoteOption::Veto,
        }
    }
}

impl GovArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            GovCmd::Lock { tx, amount, lock } => {
                gov_cmd::lock(&c, &tx.opts(), &amount, &lock.duration())
            }
            GovCmd::Extend { tx, position, lock } => {
                gov_cmd::extend(&c, &tx.opts(), position, &lock.duration())
            }
            GovCmd::Split {
                tx,
                position,
                amount,
            } => gov_cmd::split(&c, &tx.opts(), position, &amount),
            GovCmd::Unlock { tx, position } => gov_cmd::unlock(&c, &tx.opts(), position),
            GovCmd::Withdraw { tx, position } => gov_cmd::withdraw(&c, &tx.opts(), position),
            GovCmd::Delegate { tx, to, none: _ } => {
                gov_cmd::delegate(&c, &tx.opts(), to.as_deref())
            }
            GovCmd::Propose(a) => gov_cmd::propose(
                &c,
                &a.tx.opts(),
                &gov_cmd::Proposing {
                    description: &a.description,
                    deposit: &a.deposit,
                    actions_file: a.actions.as_deref(),
                    flags: &a.flags,
                    execute_height: a.execute_height,
                },
            ),
            GovCmd::Deposit {
                tx,
                proposal,
                amount,
            } => gov_cmd::deposit(&c, &tx.opts(), proposal, &amount),
            GovCmd::Vote {
                tx,
                proposal,
                option,
            } => gov_cmd::vote(&c, &tx.opts(), proposal, option.into()),
            GovCmd::Proposals { status, limit } => gov_cmd::proposals(&c, status.as_deref(), limit),
            GovCmd::Show { id, votes } => gov_cmd::show(&c, id, votes),
            GovCmd::Positions { who } => gov_cmd::positions(&c, &who),
        }
    }
}
