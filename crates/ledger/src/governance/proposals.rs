//! Proposals: propose with a deposit, deposit until `min_deposit` opens the vote,
//! vote (changeable until the end), and each account's power as counted
//! ([`super::types::Counted`]): an account's power follows its own vote, else its
//! delegate's.
//!
//! The tally is kept exact after every call: a vote, a changed position or a
//! changed delegation moves the counted power of exactly the accounts it
//! concerns (the voter and those delegating to it, or the changed owner), each
//! from its old entry to its new one. Power is measured at `voting_end`, so a
//! cooldown running down during the vote needs no update.

use super::positions;
use super::types::{
    Counted, GovCounters, GovParams, Proposal, ProposalStatus, Tally, Vote, VoteOption,
    MAX_DEPOSITORS,
};
use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, keys, Amount};
use plinth_core::Address;

/// The proposal `id`, if it exists.
pub fn load<S: Store>(state: &Overlay<'_, S>, id: u64) -> Result<Option<Proposal>, LedgerError> {
    state.get_t(&keys::gov_proposal(id))
}

/// The ids of proposals in their deposit or voting period.
pub fn active<S: Store>(state: &Overlay<'_, S>) -> Result<Vec<u64>, LedgerError> {
    state.get_or_default(keys::GOV_ACTIVE)
}

/// `voter`'s own vote on proposal `proposal`, if it voted.
pub fn vote_of<S: Store>(
    state: &Overlay<'_, S>,
    proposal: u64,
    voter: &Address,
) -> Result<Option<Vote>, LedgerError> {
    state.get_t(&keys::gov_vote(proposal, voter.key()))
}

/// `owner`'s power as counted in proposal `proposal`, if it counts.
pub fn counted_of<S: Store>(
    state: &Overlay<'_, S>,
    proposal: u64,
    owner: &Address,
) -> Result<Option<Counted>, LedgerError> {
    state.get_t(&keys::gov_counted(proposal, owner.key()))
}

/// Applies `GovPropose`, `GovDeposit`, `GovVote`.
pub(crate) fn apply<S: Store>(
    cx: &mut TxContext<'_, '_, S>,
    gov: &GovParams,
    call: &Call,
) -> Result<(), Fail> {
    match call {
        Call::GovPropose {
            actions,
            description,
            deposit,
            execute_height,
        } => {
            if description.len() as u64 > u64::from(gov.max_description_bytes) {
                return Err(TxError::DescriptionTooLong {
                    size: description.len() as u64,
                    limit: u64::from(gov.max_description_bytes),
                }
                .into());
            }
            if actions.is_empty() || actions.len() as u64 > u64::from(gov.max_actions) {
                return Err(TxError::BadActionCount {
                    count: actions.len() as u64,
                    limit: u64::from(gov.max_actions),
                }
                .into());
            }
            for (index, action) in actions.iter().enumerate() {
                super::actions::validate(cx.state, cx.params, gov, cx.block, action).map_err(
                    |e| TxError::ActionRefused {
                        index: index as u32,
                        error: Box::new(e),
                    },
                )?;
            }
            let proposal = Proposal {
                id: 0,
                proposer: cx.signer,
                actions: actions.clone(),
                description: description.clone(),
                deposits: Vec::new(),
                total_deposit: 0,
                submitted_height: cx.block.height,
                deposit_end: 0,
                voting_start: None,
                voting_end: None,
                execute_height: *execute_height,
                tally: Tally::default(),
                total_power: None,
                voters: 0,
                status: ProposalStatus::DepositPeriod,
            };
            propose(cx.state, gov, proposal, *deposit)
        }
        Call::GovDeposit { proposal, amount } => {
            let mut p =
                load(cx.state, *proposal)?.ok_or(TxError::UnknownProposal { id: *proposal })?;
            if p.status != ProposalStatus::DepositPeriod || cx.block.height > p.deposit_end {
                return Err(TxError::NotInDepositPeriod { id: p.id }.into());
            }
            deposit(cx.state, gov, &mut p, &cx.signer, *amount, cx.block.height)?;
            save(cx.state, &p);
            Ok(())
        }
        Call::GovVote { proposal, option } => vote(
            cx.state,
            gov,
            *proposal,
            &cx.signer,
            *option,
            cx.block.height,
        ),
        _ => unreachable!("governance::apply routes only proposal calls here"),
    }
}

/// Moves the counted power of `owners` in every proposal in its voting period
/// to what their positions and delegation now say (called after any position or
/// delegation change).
pub(crate) fn recount<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    owners: &[Address],
    height: u64,
) -> Result<(), Fail> {
    if owners.is_empty() {
        return Ok(());
    }
    for id in active(state)? {
        let mut p = load(state, id)?.ok_or_else(|| missing(id))?;
        let Some(end) = voting_end(&p, height) else {
            continue;
        };
        let before = p.tally;
        for owner in owners {
            let power = positions::owner_power_at(state, gov, owner, end)?;
            count(state, &mut p, owner, power)?;
        }
        if p.tally != before {
            save(state, &p);
        }
    }
    Ok(())
}

/// Writes a proposal.
pub(crate) fn save<S: Store>(state: &mut Overlay<'_, S>, p: &Proposal) {
    state.put_t(keys::gov_proposal(p.id), p);
}

/// Writes the list of open proposals.
pub(crate) fn save_active<S: Store>(state: &mut Overlay<'_, S>, ids: &[u64]) {
    state.put_t(keys::GOV_ACTIVE.to_vec(), &ids.to_vec());
}

/// A proposal listed as open that does not exist: corrupt state.
pub(crate) fn missing(id: u64) -> LedgerError {
    LedgerError::Corrupt {
        key: String::from_utf8_lossy(&keys::gov_proposal(id)).into_owned(),
        reason: "a listed proposal is missing".into(),
    }
}

/// The voting end of `p` if it takes votes at `height`.
fn voting_end(p: &Proposal, height: u64) -> Option<u64> {
    match (&p.status, p.voting_end) {
        (ProposalStatus::Voting, Some(end)) if height <= end => Some(end),
        _ => None,
    }
}

/// Stores a new proposal with its first deposit and lists it as open.
fn propose<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    mut p: Proposal,
    amount: Amount,
) -> Result<(), Fail> {
    let h = p.submitted_height;
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    if let Some(found) = p.execute_height.filter(|&e| e <= h) {
        return Err(TxError::BadExecuteHeight {
            voting_end: h.saturating_add(gov.voting_period_blocks),
            found,
        }
        .into());
    }
    let mut open = active(state)?;
    if open.len() as u64 >= u64::from(gov.max_active_proposals) {
        return Err(TxError::TooManyActiveProposals {
            limit: u64::from(gov.max_active_proposals),
        }
        .into());
    }
    let mut counters: GovCounters = state.get_or_default(keys::GOV_COUNTERS)?;
    p.id = counters.next_proposal;
    counters.next_proposal = p.id.checked_add(1).ok_or(TxError::Overflow)?;
    state.put_t(keys::GOV_COUNTERS.to_vec(), &counters);
    p.deposit_end = h
        .checked_add(gov.deposit_period_blocks)
        .ok_or(TxError::Overflow)?;
    let proposer = p.proposer;
    deposit(state, gov, &mut p, &proposer, amount, h)?;
    save(state, &p);
    open.push(p.id);
    save_active(state, &open);
    Ok(())
}

/// `depositor` adds `amount` to `p`'s deposit (from its balance, into escrow);
/// reaching `min_deposit` opens the voting period at `h`.
fn deposit<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    p: &mut Proposal,
    depositor: &Address,
    amount: Amount,
    h: u64,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    match p.deposits.iter().position(|(a, _)| a == depositor) {
        Some(i) => {
            let held = &mut p.deposits[i].1;
            *held = held.checked_add(amount).ok_or(TxError::Overflow)?;
        }
        None if p.deposits.len() >= MAX_DEPOSITORS => {
            return Err(TxError::TooManyDepositors {
                limit: MAX_DEPOSITORS as u64,
            }
            .into())
        }
        None => p.deposits.push((*depositor, amount)),
    }
    p.total_deposit = p
        .total_deposit
        .checked_add(amount)
        .ok_or(TxError::Overflow)?;
    let mut acct = accounts::load(state, depositor)?.unwrap_or_default();
    acct.debit(amount)?;
    accounts::save(state, depositor, &acct);
    if p.total_deposit >= gov.min_deposit {
        p.voting_start = Some(h);
        p.voting_end = Some(
            h.checked_add(gov.voting_period_blocks)
                .ok_or(TxError::Overflow)?,
        );
        p.status = ProposalStatus::Voting;
    }
    Ok(())
}

/// `GovVote`: records the voter's vote and counts it for the voter and for each
/// account delegating to it that did not vote itself.
fn vote<S: Store>(
    state: &mut Overlay<'_, S>,
    gov: &GovParams,
    id: u64,
    voter: &Address,
    option: VoteOption,
    h: u64,
) -> Result<(), Fail> {
    let mut p = load(state, id)?.ok_or(TxError::UnknownProposal { id })?;
    let end = voting_end(&p, h).ok_or(TxError::NotInVotingPeriod { id })?;
    let mut owners = vec![(*voter, positions::owner_power_at(state, gov, voter, end)?)];
    for d in positions::delegators_of(state, voter)? {
        let power = positions::owner_power_at(state, gov, &d, end)?;
        owners.push((d, power));
    }
    // ≤ (1 + MAX_DELEGATORS) owners of < 2^124 each.
    if owners.iter().map(|(_, w)| *w).sum::<u128>() == 0 {
        return Err(TxError::NoVotingPower.into());
    }
    let key = keys::gov_vote(id, voter.key());
    if state.get(&key)?.is_none() {
        p.voters = p.voters.checked_add(1).ok_or(TxError::Overflow)?;
    }
    state.put_t(key, &Vote { option, height: h });
    for (owner, power) in &owners {
        count(state, &mut p, owner, *power)?;
    }
    save(state, &p);
    Ok(())
}

/// Moves `owner`'s counted power in `p` (whose votes are recorded) to what its
/// vote, or its delegate's, says now; `power` is the owner's power at the end.
fn count<S: Store>(
    state: &mut Overlay<'_, S>,
    p: &mut Proposal,
    owner: &Address,
    power: u128,
) -> Result<(), Fail> {
    let new = if power == 0 {
        None
    } else if let Some(v) = vote_of(state, p.id, owner)? {
        Some(Counted {
            voter: *owner,
            option: v.option,
            power,
        })
    } else {
        match positions::delegate_of(state, owner)? {
            Some(d) => vote_of(state, p.id, &d)?.map(|v| Counted {
                voter: d,
                option: v.option,
                power,
            }),
            None => None,
        }
    };
    let key = keys::gov_counted(p.id, owner.key());
    let old: Option<Counted> = state.get_t(&key)?;
    if old == new {
        return Ok(());
    }
    if let Some(old) = &old {
        let slot = option_slot(&mut p.tally, old.option);
        *slot = slot.checked_sub(old.power).ok_or(TxError::Overflow)?;
    }
    match new {
        Some(c) => {
            let slot = option_slot(&mut p.tally, c.option);
            *slot = slot.checked_add(c.power).ok_or(TxError::Overflow)?;
            state.put_t(key, &c);
        }
        None => state.delete(key),
    }
    Ok(())
}

/// The tally's entry for `option`.
fn option_slot(t: &mut Tally, option: VoteOption) -> &mut u128 {
    match option {
        VoteOption::Yes => &mut t.yes,
        VoteOption::No => &mut t.no,
        VoteOption::Abstain => &mut t.abstain,
        VoteOption::Veto => &mut t.veto,
    }
}
