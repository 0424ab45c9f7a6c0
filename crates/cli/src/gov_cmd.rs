//! `plinth gov …`: governance transactions (locks, delegation, proposals,
//! deposits, votes), built and signed as the wallet's, and the proposals and
//! positions as people read them.

use crate::amount;
use crate::gov_actions::{self, percent, ActionFlags};
use crate::wallet::{self, Ctx, SendOpts};
use anyhow::{bail, Context, Result};
use plinth_api::gov::*;
use plinth_api::node::{StatusView, TokenView};
use plinth_core::Address;
use plinth_ledger::governance::{Lock, ProposalStatus, VoteOption};
use plinth_ledger::Call;
use std::path::Path;

/// Milliseconds in a day.
const DAY_MS: u128 = 86_400_000;

/// A lock's length as given on the command line.
pub enum Duration {
    /// In blocks.
    Blocks(u64),
    /// In days (a decimal, e.g. `1.5`), converted at the chain's block time.
    Days(String),
}

impl Duration {
    /// The length in blocks: days are converted with the node's block time
    /// (rounded down; at least one block).
    pub fn blocks(&self, status: &StatusView) -> Result<u64> {
        match self {
            Duration::Blocks(0) => bail!("a lock of 0 blocks locks nothing"),
            Duration::Blocks(b) => Ok(*b),
            Duration::Days(d) => {
                // Thousandths of a day, exactly (no floats).
                let milli_days = amount::parse(d, 3).with_context(|| format!("--days {d}"))?;
                if status.block_time_ms == 0 {
                    bail!("the node reports a block time of 0 ms; give --blocks");
                }
                let blocks =
                    u128::from(milli_days) * DAY_MS / 1000 / u128::from(status.block_time_ms);
                match u64::try_from(blocks) {
                    Ok(0) => bail!("--days {d} is less than one block"),
                    Ok(b) => Ok(b),
                    Err(_) => bail!("--days {d} is too long"),
                }
            }
        }
    }
}

/// What a transaction creates, to name it once committed.
#[derive(Clone, Copy)]
enum Creates {
    Nothing,
    Position,
    Proposal,
}

/// Signs and submits `call`; once committed, prints its block and the id of the
/// position or proposal it created.
fn send(
    ctx: &Ctx,
    opts: &SendOpts,
    status: &StatusView,
    call: Call,
    creates: Creates,
) -> Result<()> {
    let signer = Address(ctx.keystore()?.key(&opts.from)?.public());
    let (fee, hash, view) = wallet::submit_call(ctx, opts, status, call)?;
    let Some(view) = view else {
        ctx.print(
            &serde_json::json!({"hash": hash, "status": "pending"}),
            || format!("submitted {hash} (pending)"),
        );
        return Ok(());
    };
    let height = view.height.unwrap_or(0);
    let client = ctx.client();
    let (what, id) = match creates {
        Creates::Nothing => ("", None),
        Creates::Position => (
            "position",
            client
                .positions(&signer)?
                .positions
                .iter()
                .filter(|p| p.position.created_height == height)
                .map(|p| p.position.id)
                .max(),
        ),
        Creates::Proposal => (
            "proposal",
            client
                .proposals(&ProposalsQuery {
                    before: Some(u64::MAX),
                    limit: Some(MAX_PROPOSALS_PAGE as u64),
                    ..Default::default()
                })?
                .into_iter()
                .find(|p| p.proposal.proposer == signer && p.proposal.submitted_height == height)
                .map(|p| p.proposal.id),
        ),
    };
    let mut json = serde_json::json!({"hash": hash, "height": height, "fee": fee, "tx": view});
    if let Some(id) = id {
        json[what] = id.into();
    }
    ctx.print(&json, || {
        let made = id.map(|id| format!(": {what} #{id}")).unwrap_or_default();
        format!(
            "committed {hash} in block {height} (fee {} {}){made}",
            amount::format(fee, status.token.decimals),
            status.token.symbol
        )
    });
    Ok(())
}

/// `plinth gov lock`.
pub fn lock(ctx: &Ctx, opts: &SendOpts, amount_text: &str, lock: &Duration) -> Result<()> {
    let status = ctx.client().status()?;
    let call = Call::GovLock {
        amount: amount::parse(amount_text, status.token.decimals)?,
        lock_blocks: lock.blocks(&status)?,
    };
    send(ctx, opts, &status, call, Creates::Position)
}

/// `plinth gov extend`.
pub fn extend(ctx: &Ctx, opts: &SendOpts, position: u64, lock: &Duration) -> Result<()> {
    let status = ctx.client().status()?;
    let call = Call::GovExtend {
        position,
        lock_blocks: lock.blocks(&status)?,
    };
    send(ctx, opts, &status, call, Creates::Nothing)
}

/// `plinth gov split`.
pub fn split(ctx: &Ctx, opts: &SendOpts, position: u64, amount_text: &str) -> Result<()> {
    let status = ctx.client().status()?;
    let call = Call::GovSplit {
        position,
        amount: amount::parse(amount_text, status.token.decimals)?,
    };
    send(ctx, opts, &status, call, Creates::Position)
}

/// `plinth gov unlock`.
pub fn unlock(ctx: &Ctx, opts: &SendOpts, position: u64) -> Result<()> {
    let status = ctx.client().status()?;
    send(
        ctx,
        opts,
        &status,
        Call::GovUnlock { position },
        Creates::Nothing,
    )
}

/// `plinth gov withdraw`.
pub fn withdraw(ctx: &Ctx, opts: &SendOpts, position: u64) -> Result<()> {
    let status = ctx.client().status()?;
    send(
        ctx,
        opts,
        &status,
        Call::GovWithdraw { position },
        Creates::Nothing,
    )
}

/// `plinth gov delegate` (`to` none: stop delegating).
pub fn delegate(ctx: &Ctx, opts: &SendOpts, to: Option<&str>) -> Result<()> {
    let to = to.map(|t| ctx.keystore()?.resolve(t)).transpose()?;
    let status = ctx.client().status()?;
    send(
        ctx,
        opts,
        &status,
        Call::GovDelegate { to },
        Creates::Nothing,
    )
}

/// What `plinth gov propose` was given.
pub struct Proposing<'a> {
    /// The description.
    pub description: &'a str,
    /// The deposit, in tokens.
    pub deposit: &'a str,
    /// The JSON actions file, if any.
    pub actions_file: Option<&'a Path>,
    /// The shorthand action flags.
    pub flags: &'a ActionFlags,
    /// A later height to apply the actions at.
    pub execute_height: Option<u64>,
}

/// `plinth gov propose`: the file's actions, then the flags'; checked against
/// the chain's limits before anything is signed.
pub fn propose(ctx: &Ctx, opts: &SendOpts, p: &Proposing<'_>) -> Result<()> {
    let client = ctx.client();
    let status = client.status()?;
    let gov = gov_settings(ctx)?.params;
    let mut actions = match p.actions_file {
        Some(f) => gov_actions::read_actions_file(f)?,
        None => Vec::new(),
    };
    actions.extend(p.flags.actions(&ctx.keystore()?, status.token.decimals)?);
    if actions.len() > gov.max_actions as usize {
        bail!(
            "{} actions: a proposal holds at most {} on this chain",
            actions.len(),
            gov.max_actions
        );
    }
    if p.description.len() > gov.max_description_bytes as usize {
        bail!(
            "the description is {} bytes: at most {} on this chain",
            p.description.len(),
            gov.max_description_bytes
        );
    }
    let call = Call::GovPropose {
        actions,
        description: p.description.to_string(),
        deposit: amount::parse(p.deposit, status.token.decimals)?,
        execute_height: p.execute_height,
    };
    send(ctx, opts, &status, call, Creates::Proposal)
}

/// `plinth gov deposit`.
pub fn deposit(ctx: &Ctx, opts: &SendOpts, proposal: u64, amount_text: &str) -> Result<()> {
    let status = ctx.client().status()?;
    let call = Call::GovDeposit {
        proposal,
        amount: amount::parse(amount_text, status.token.decimals)?,
    };
    send(ctx, opts, &status, call, Creates::Nothing)
}

/// `plinth gov vote`.
pub fn vote(ctx: &Ctx, opts: &SendOpts, proposal: u64, option: VoteOption) -> Result<()> {
    let status = ctx.client().status()?;
    send(
        ctx,
        opts,
        &status,
        Call::GovVote { proposal, option },
        Creates::Nothing,
    )
}

/// The chain's governance, or an error saying the chain has none.
fn gov_settings(ctx: &Ctx) -> Result<GovView> {
    ctx.client().gov().map_err(|e| match e.code() {
        Some("no_governance") => anyhow::anyhow!(
            "the chain at {} has no governance (its genesis has no [governance] section)",
            ctx.node
        ),
        _ => e.into(),
    })
}

/// Voting power in tokens × multiplier, e.g. `1,250.5 PLN`.
fn power(p: &PowerView, token: &TokenView) -> String {
    format!(
        "{} {}",
        amount::format_wide(p.display, token.decimals),
        token.symbol
    )
}

fn status_text(p: &ProposalView) -> String {
    let v = &p.verdict;
    match (&p.proposal.status, v.period_end) {
        (ProposalStatus::Executed { height }, _) => format!("executed at {height}"),
        (
            ProposalStatus::Failed {
                height,
                action,
                error,
            },
            _,
        ) => {
            format!("failed at {height}: action {} {error}", action + 1)
        }
        (s, Some(end)) => format!(
            "{} until {end} ({} blocks left)",
            status_name(s),
            v.blocks_left
        ),
        (s, None) => status_name(s).to_string(),
    }
}

/// `plinth gov proposals`: a table, newest first.
pub fn proposals(ctx: &Ctx, status_filter: Option<&str>, limit: u64) -> Result<()> {
    gov_settings(ctx)?;
    let client = ctx.client();
    let list = client.proposals(&ProposalsQuery {
        status: status_filter.map(str::to_string),
        before: Some(u64::MAX),
        limit: Some(limit),
        ..Default::default()
    })?;
    ctx.print(&list, || {
        if list.is_empty() {
            return "no proposals".into();
        }
        let mut s = format!(
            "{:>4}  {:<15} {:>8} {:>8}  {:<10} {:>8}  DESCRIPTION",
            "ID", "STATUS", "YES", "TURNOUT", "IF ENDED", "ENDS"
        );
        for p in &list {
            let first_line: String = p
                .proposal
                .description
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(48)
                .collect();
            s.push_str(&format!(
                "\n{:>4}  {:<15} {:>8} {:>8}  {:<10} {:>8}  {first_line}",
                p.proposal.id,
                status_name(&p.proposal.status),
                percent(p.verdict.yes_bps.into()),
                percent(p.verdict.turnout_bps.into()),
                p.verdict.outcome,
                p.verdict.period_end.map_or("-".into(), |e| e.to_string()),
            ));
        }
        s
    });
    Ok(())
}

/// `plinth gov show ID`: actions, deposits, tally and verdict (and votes).
pub fn show(ctx: &Ctx, id: u64, with_votes: bool) -> Result<()> {
    let gov = gov_settings(ctx)?;
    let client = ctx.client();
    let token = client.status()?.token;
    let Some(view) = client.proposal(id)? else {
        bail!("no proposal {id}");
    };
    let votes = if with_votes {
        client.all_votes(id)?
    } else {
        Vec::new()
    };
    let json = serde_json::json!({"proposal": view, "votes": votes});
    ctx.print(&json, || proposal_text(&view, &votes, &gov, &token));
    Ok(())
}

fn proposal_text(
    view: &ProposalView,
    votes: &[VoteView],
    gov: &GovView,
    token: &TokenView,
) -> String {
    let p = &view.proposal;
    let (t, v) = (&view.tally, &view.verdict);
    let tokens = |a: u64| format!("{} {}", amount::format(a, token.decimals), token.symbol);
    let mut s = format!("proposal #{} — {}\n", p.id, status_text(view));
    s.push_str(&format!("  proposer     {}\n", p.proposer));
    s.push_str(&format!("  description  {}\n", p.description));
    s.push_str(&format!(
        "  deposit      {} of {} needed, from {} account(s)\n",
        tokens(p.total_deposit),
        tokens(gov.params.min_deposit),
        p.deposits.len()
    ));
    let voting = match (p.voting_start, p.voting_end) {
        (Some(a), Some(b)) => format!("voting {a}–{b}"),
        _ => format!("deposits until {}", p.deposit_end),
    };
    let applies = p
        .execute_height
        .map_or("at the voting end".into(), |h| format!("at height {h}"));
    s.push_str(&format!(
        "  heights      submitted {}, {voting}; applies {applies} if passed\n",
        p.submitted_height
    ));
    s.push_str(&format!("  actions ({}):\n", p.actions.len()));
    for (i, a) in p.actions.iter().enumerate() {
        s.push_str(&format!(
            "    {}. {}\n",
            i + 1,
            gov_actions::describe(a, token)
        ));
    }
    s.push_str("  tally (power: tokens × multiplier):\n");
    for (name, pw) in [
        ("yes", &t.yes),
        ("no", &t.no),
        ("abstain", &t.abstain),
        ("veto", &t.veto),
    ] {
        let share = u64::from(share_bps(pw.raw, t.voted.raw));
        s.push_str(&format!(
            "    {name:<8} {:>24}  {:>7}  {}\n",
            power(pw, token),
            percent(share),
            "█".repeat((share / 500) as usize)
        ));
    }
    let g = &gov.params;
    s.push_str(&format!(
        "    voted    {:>24}  of {} (turnout {}, quorum {})\n",
        power(&t.voted, token),
        power(&v.total_power, token),
        percent(v.turnout_bps.into()),
        percent(g.quorum_bps.into())
    ));
    s.push_str(&format!(
        "  if it ended now: {} (quorum {}; yes {}, passes above {}; veto {}, vetoes above {})",
        v.outcome,
        if v.quorum_reached {
            "reached"
        } else {
            "not reached"
        },
        percent(v.yes_bps.into()),
        percent(g.threshold_bps.into()),
        percent(v.veto_bps.into()),
        percent(g.veto_bps.into()),
    ));
    if !votes.is_empty() {
        s.push_str(&format!("\n  votes ({}):", votes.len()));
        for vote in votes {
            s.push_str(&format!(
                "\n    {}  {:<7} at {:<8} {}{}",
                vote.voter,
                format!("{:?}", vote.option).to_lowercase(),
                vote.height,
                power(&vote.power, token),
                if vote.delegated_power.raw > 0 {
                    format!(" + {} delegated", power(&vote.delegated_power, token))
                } else {
                    String::new()
                }
            ));
        }
    } else if p.voters > 0 {
        s.push_str(&format!(
            "\n  {} voter(s): `plinth gov show {} --votes` lists them",
            p.voters, p.id
        ));
    }
    s
}

/// `plinth gov positions WHO`.
pub fn positions(ctx: &Ctx, who: &str) -> Result<()> {
    let owner = ctx.keystore()?.resolve(who)?;
    gov_settings(ctx)?;
    let client = ctx.client();
    let token = client.status()?.token;
    let view = client.positions(&owner)?;
    ctx.print(&view, || {
        let tokens = |a: u64| format!("{} {}", amount::format(a, token.decimals), token.symbol);
        let mut s = format!("{owner}\n  power        {}\n", power(&view.power, &token));
        match &view.delegate {
            Some(d) => s.push_str(&format!("  delegates to {d}\n")),
            None => s.push_str("  delegates to nobody\n"),
        }
        if !view.delegators.is_empty() {
            s.push_str(&format!(
                "  delegated    {} from {} account(s)\n",
                power(&view.delegated_power, &token),
                view.delegators.len()
            ));
        }
        if view.positions.is_empty() {
            s.push_str("  no positions (lock tokens with `plinth gov lock`)");
        }
        for p in &view.positions {
            let pos = &p.position;
            let lock = match pos.lock {
                Lock::Locked => format!("locked {} blocks", pos.lock_blocks),
                Lock::Cooling { end_height } if end_height <= view.height => {
                    "cooled down: withdrawable".into()
                }
                Lock::Cooling { end_height } => format!("cooling until {end_height}"),
            };
            s.push_str(&format!(
                "  #{:<5} {:>16}  {:<28} power {} (locked: {})\n",
                pos.id,
                tokens(pos.amount),
                lock,
                power(&p.power, &token),
                power(&p.locked_power, &token)
            ));
        }
        s.trim_end().to_string()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(block_time_ms: u64) -> StatusView {
        serde_json::from_value(serde_json::json!({
            "chain_id": "c", "genesis_hash": "00".repeat(32), "height": 0,
            "head_hash": "00".repeat(32), "state_root": "00".repeat(32), "timestamp_ms": 0,
            "block_time_ms": block_time_ms, "mempool": 0,
            "validator": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q",
            "token": {"name": "Plinth", "symbol": "PLN", "decimals": 6}, "min_fee": 1,
            "unbonding_blocks": 1, "genesis_time_ms": 0, "epoch_ms": 1, "epoch": 0
        }))
        .unwrap()
    }

    #[test]
    fn days_convert_at_the_block_time() {
        let s = status(1000);
        assert_eq!(Duration::Days("1".into()).blocks(&s).unwrap(), 86_400);
        assert_eq!(Duration::Days("1.5".into()).blocks(&s).unwrap(), 129_600);
        assert_eq!(
            Duration::Days("0.001".into()).blocks(&status(200)).unwrap(),
            432
        );
        assert_eq!(Duration::Blocks(7).blocks(&s).unwrap(), 7);
        assert!(Duration::Blocks(0).blocks(&s).is_err());
        assert!(Duration::Days("0".into()).blocks(&s).is_err());
        assert!(Duration::Days("1.0001".into()).blocks(&s).is_err());
        assert!(Duration::Days("-1".into()).blocks(&s).is_err());
    }
}
