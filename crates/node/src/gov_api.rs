//! The governance part of the HTTP API: settings and treasury, proposals with
//! their live tally and verdict, votes, positions, device makers.
//!
//! - `GET /v1/gov` — settings, treasury and its balance, total voting power,
//!   tokens locked, the planned and the applied upgrades, active proposal ids.
//! - `GET /v1/gov/proposals` — proposals with their tally and verdict, ascending
//!   ids after `after`; with `before`, newest first below it (and above `after`,
//!   when given); `status` filters
//!   (`active`: deposit or voting period); `limit` at most 100; at most
//!   [`MAX_PROPOSALS_READ`] proposals are read per request.
//! - `GET /v1/gov/proposals/{id}` — one proposal, with the verdict its vote
//!   would reach if it ended now ([`verdict`]).
//! - `GET /v1/gov/proposals/{id}/votes` — the accounts that voted, in address
//!   order, each with its own power and its delegators' as counted.
//! - `GET /v1/gov/positions?owner=ADDR` and `GET /v1/gov/positions/{id}` —
//!   positions with their power at the head, delegation.
//! - `GET /v1/makers`, `GET /v1/makers/{address}` — device makers.
//!
//! A chain without a `[governance]` genesis section answers every `/v1/gov`
//! route with 404 `no_governance` (and has no makers).

use crate::query::{parse, snapshot};
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use plinth_api::gov::*;
use plinth_api::server::extract::{page_limit, Path, Query};
use plinth_api::server::ApiError;
use plinth_core::{Address, PublicKey};
use plinth_ledger::governance::positions::{self, PowerTotals};
use plinth_ledger::governance::tally;
use plinth_ledger::governance::{
    makers, proposals, treasury_address, Counted, GovCounters, GovParams, Lock, Position, Proposal,
    ProposalStatus, Tally, UpgradePlan, Vote,
};
use plinth_ledger::{accounts, keys, Overlay};
use plinth_store::Snapshot;
use std::sync::Arc;

/// Most proposals one `GET /v1/gov/proposals` request reads (those its status
/// filter leaves out included).
pub const MAX_PROPOSALS_READ: u64 = 10_000;

/// The governance routes, to merge into the node's router.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/v1/gov", get(gov))
        .route("/v1/gov/proposals", get(proposal_list))
        .route("/v1/gov/proposals/{id}", get(proposal))
        .route("/v1/gov/proposals/{id}/votes", get(votes))
        .route("/v1/gov/positions", get(owner_positions))
        .route("/v1/gov/positions/{id}", get(position))
        .route("/v1/makers", get(maker_list))
        .route("/v1/makers/{address}", get(maker))
}

/// A consistent read of governance state at the head.
struct Governance {
    snap: Snapshot,
    gov: GovParams,
    head: u64,
}

impl Governance {
    /// The head's governance, or 404 `no_governance`.
    fn open(node: &Node) -> Result<Governance, ApiError> {
        let snap = snapshot(node)?;
        let gov = plinth_ledger::governance::gov_params(&Overlay::new(&snap))
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::not_found(
                    "no_governance",
                    "this chain has no governance (its genesis has no [governance] section)",
                )
            })?;
        let head = snap.head().unwrap_or(0);
        Ok(Governance { snap, gov, head })
    }

    fn state(&self) -> Overlay<'_, Snapshot> {
        Overlay::new(&self.snap)
    }

    fn power(&self, raw: u128) -> PowerView {
        PowerView {
            raw,
            display: positions::display_power(raw, &self.gov),
        }
    }

    fn totals(&self) -> Result<PowerTotals, ApiError> {
        positions::totals(&self.state()).map_err(ApiError::internal)
    }

    fn proposal(&self, id: u64) -> Result<Proposal, ApiError> {
        proposals::load(&self.state(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("unknown_proposal", format!("no proposal {id}")))
    }

    fn proposal_view(&self, p: Proposal, totals: &PowerTotals) -> ProposalView {
        let total = match (p.total_power, &p.status, p.voting_end) {
            (Some(t), _, _) => t,
            (None, ProposalStatus::Voting, Some(end)) => {
                positions::total_power_at(totals, &self.gov, end.max(self.head))
            }
            _ => positions::total_power_at(totals, &self.gov, self.head),
        };
        let t = &p.tally;
        let tally = TallyView {
            yes: self.power(t.yes),
            no: self.power(t.no),
            abstain: self.power(t.abstain),
            veto: self.power(t.veto),
            voted: self.power(voted(t)),
        };
        let period_end = match p.status {
            ProposalStatus::DepositPeriod => Some(p.deposit_end),
            ProposalStatus::Voting => p.voting_end,
            _ => None,
        };
        let mut v = verdict(t, total, &self.gov);
        v.total_power = self.power(total);
        v.period_end = period_end;
        v.blocks_left = period_end.map_or(0, |e| e.saturating_sub(self.head));
        ProposalView {
            proposal: p,
            tally,
            verdict: v,
            height: self.head,
        }
    }

    fn position_view(&self, p: Position) -> PositionView {
        let locked = Position {
            lock: Lock::Locked,
            ..p.clone()
        };
        PositionView {
            power: self.power(positions::power(&p, self.head, &self.gov)),
            locked_power: self.power(positions::power(&locked, self.head, &self.gov)),
            cooldown_end: match p.lock {
                Lock::Cooling { end_height } => Some(end_height),
                Lock::Locked => None,
            },
            position: p,
            height: self.head,
        }
    }

    /// The power counted in proposal `id` for `owner`, if it follows `voter`'s vote.
    fn counted_for(&self, id: u64, owner: &Address, voter: &Address) -> Result<u128, ApiError> {
        let c: Option<Counted> = self
            .state()
            .get_t(&keys::gov_counted(id, owner.key()))
            .map_err(ApiError::internal)?;
        Ok(c.filter(|c| c.voter == *voter).map_or(0, |c| c.power))
    }
}

/// `yes + no + abstain + veto`.
fn voted(t: &Tally) -> u128 {
    t.yes
        .saturating_add(t.no)
        .saturating_add(t.abstain)
        .saturating_add(t.veto)
}

/// What a vote with tally `t` against total power `total` decides, by the
/// ledger's own rule ([`tally::outcome`]: quorum, then veto, then threshold),
/// with the shares people read. `total_power`, `period_end` and `blocks_left`
/// are left for the caller.
pub fn verdict(t: &Tally, total: u128, gov: &GovParams) -> VerdictView {
    let voted = voted(t);
    let against = t.yes.saturating_add(t.no).saturating_add(t.veto);
    let outcome = tally::outcome(t, total, gov);
    VerdictView {
        total_power: PowerView::default(),
        turnout_bps: share_bps(voted, total),
        yes_bps: share_bps(t.yes, against),
        veto_bps: share_bps(t.veto, voted),
        quorum_reached: outcome != ProposalStatus::NoQuorum,
        would_veto: outcome == ProposalStatus::Vetoed,
        would_pass: outcome == ProposalStatus::Passed,
        outcome: status_name(&outcome).into(),
        period_end: None,
        blocks_left: 0,
    }
}

async fn gov(State(node): State<Arc<Node>>) -> Result<Json<GovView>, ApiError> {
    let g = Governance::open(&node)?;
    let state = g.state();
    let totals = g.totals()?;
    let treasury = treasury_address();
    let treasury_balance = accounts::load(&state, &treasury)
        .map_err(ApiError::internal)?
        .map_or(0, |a| a.balance);
    let counters: GovCounters = state
        .get_or_default(keys::GOV_COUNTERS)
        .map_err(ApiError::internal)?;
    Ok(Json(GovView {
        total_power: g.power(positions::total_power_at(&totals, &g.gov, g.head)),
        tokens_locked: u64::try_from(totals.tokens).map_err(ApiError::internal)?,
        treasury,
        treasury_balance,
        upgrade: state
            .get_t::<UpgradePlan>(keys::UPGRADE)
            .map_err(ApiError::internal)?,
        upgrades_applied: state
            .get_or_default::<Vec<UpgradePlan>>(keys::UPGRADES_APPLIED)
            .map_err(ApiError::internal)?,
        active_proposals: proposals::active(&state).map_err(ApiError::internal)?,
        next_proposal: counters.next_proposal,
        height: g.head,
        params: g.gov,
    }))
}

/// Whether a proposal with `status` passes the `?status=` filter (checked first
/// by [`status_filter`]).
fn status_matches(filter: Option<&str>, status: &ProposalStatus) -> bool {
    match filter {
        None => true,
        Some("active") => is_active(status),
        Some(f) => f == status_name(status),
    }
}

/// `?status=`, if it names a status or `active`; else 400 `invalid_status`.
fn status_filter(status: Option<&str>) -> Result<Option<&str>, ApiError> {
    match status {
        Some(s) if s != "active" && !STATUS_NAMES.contains(&s) => {
            let shown: String = s.chars().take(64).collect();
            Err(ApiError::bad_request(
                "invalid_status",
                format!(
                    "`{shown}` is not a proposal status: one of active, {}",
                    STATUS_NAMES.join(", ")
                ),
            ))
        }
        other => Ok(other),
    }
}

async fn proposal_list(
    State(node): State<Arc<Node>>,
    Query(q): Query<ProposalsQuery>,
) -> Result<Json<Vec<ProposalView>>, ApiError> {
    let limit = page_limit(q.limit, 20, MAX_PROPOSALS_PAGE)?;
    let filter = status_filter(q.status.as_deref())?;
    let g = Governance::open(&node)?;
    let state = g.state();
    let next = state
        .get_or_default::<GovCounters>(keys::GOV_COUNTERS)
        .map_err(ApiError::internal)?
        .next_proposal;
    // Ids are handed out in order from a counter, so a page is a range of ids:
    // above `after`, below `before` (then newest first).
    let first = q.after.map_or(0, |a| a.saturating_add(1));
    let ids: Box<dyn Iterator<Item = u64>> = match q.before {
        Some(before) => Box::new((first..before.min(next)).rev()),
        None => Box::new(first..next),
    };
    let totals = g.totals()?;
    let mut out = Vec::new();
    for id in ids.take(MAX_PROPOSALS_READ as usize) {
        if out.len() >= limit {
            break;
        }
        let Some(p) = proposals::load(&state, id).map_err(ApiError::internal)? else {
            continue;
        };
        if status_matches(filter, &p.status) {
            out.push(g.proposal_view(p, &totals));
        }
    }
    Ok(Json(out))
}

async fn proposal(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<ProposalView>, ApiError> {
    let id: u64 = parse(&id, "invalid_proposal_id")?;
    let g = Governance::open(&node)?;
    let p = g.proposal(id)?;
    let totals = g.totals()?;
    Ok(Json(g.proposal_view(p, &totals)))
}

/// `after` as the key of that account's entry under `prefix`.
fn after_key(prefix: &[u8], after: Option<&str>) -> Result<Option<Vec<u8>>, ApiError> {
    after
        .map(|a| {
            let a: Address = parse(a, "invalid_address")?;
            let mut k = prefix.to_vec();
            k.extend_from_slice(a.key().as_bytes());
            Ok(k)
        })
        .transpose()
}

/// The account a key ending in its 32 bytes names.
fn address_at_end(key: &[u8]) -> Result<Address, ApiError> {
    let bytes: [u8; 32] = key
        .get(key.len().saturating_sub(32)..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::internal("a key too short for an address"))?;
    Ok(Address(PublicKey(bytes)))
}

async fn votes(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Query(q): Query<AddressPageQuery>,
) -> Result<Json<Vec<VoteView>>, ApiError> {
    let id: u64 = parse(&id, "invalid_proposal_id")?;
    let limit = page_limit(q.limit, 100, MAX_VOTES_PAGE)?;
    let prefix = keys::gov_vote_prefix(id);
    let after = after_key(&prefix, q.after.as_deref())?;
    let g = Governance::open(&node)?;
    g.proposal(id)?;
    let state = g.state();
    let rows = g
        .snap
        .scan_after(&prefix, after.as_deref(), limit)
        .map_err(ApiError::internal)?;
    let mut out = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let voter = address_at_end(&k)?;
        let vote: Vote = borsh::from_slice(&v).map_err(ApiError::internal)?;
        let own = g.counted_for(id, &voter, &voter)?;
        let mut delegated: u128 = 0;
        for d in positions::delegators_of(&state, &voter).map_err(ApiError::internal)? {
            delegated = delegated.saturating_add(g.counted_for(id, &d, &voter)?);
        }
        out.push(VoteView {
            voter,
            option: vote.option,
            height: vote.height,
            power: g.power(own),
            delegated_power: g.power(delegated),
        });
    }
    Ok(Json(out))
}

async fn owner_positions(
    State(node): State<Arc<Node>>,
    Query(q): Query<PositionsQuery>,
) -> Result<Json<PositionsView>, ApiError> {
    let owner: Address = parse(&q.owner, "invalid_address")?;
    let g = Governance::open(&node)?;
    let state = g.state();
    let mut views = Vec::new();
    for id in positions::of_owner(&state, &owner).map_err(ApiError::internal)? {
        if let Some(p) = positions::load(&state, id).map_err(ApiError::internal)? {
            views.push(g.position_view(p));
        }
    }
    let power_of = |a: &Address| {
        positions::owner_power_at(&state, &g.gov, a, g.head).map_err(ApiError::internal)
    };
    let delegators = positions::delegators_of(&state, &owner).map_err(ApiError::internal)?;
    let mut delegated: u128 = 0;
    for d in &delegators {
        delegated = delegated.saturating_add(power_of(d)?);
    }
    Ok(Json(PositionsView {
        owner,
        power: g.power(power_of(&owner)?),
        delegate: positions::delegate_of(&state, &owner).map_err(ApiError::internal)?,
        delegators,
        delegated_power: g.power(delegated),
        positions: views,
        height: g.head,
    }))
}

async fn position(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Json<PositionView>, ApiError> {
    let id: u64 = parse(&id, "invalid_position_id")?;
    let g = Governance::open(&node)?;
    let p = positions::load(&g.state(), id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("unknown_position", format!("no position {id}")))?;
    Ok(Json(g.position_view(p)))
}

async fn maker_list(
    State(node): State<Arc<Node>>,
    Query(q): Query<AddressPageQuery>,
) -> Result<Json<Vec<MakerView>>, ApiError> {
    let limit = page_limit(q.limit, 100, MAX_MAKERS_PAGE)?;
    let after = after_key(keys::MAKER_PREFIX, q.after.as_deref())?;
    let snap = snapshot(&node)?;
    let rows = snap
        .scan_after(keys::MAKER_PREFIX, after.as_deref(), limit)
        .map_err(ApiError::internal)?;
    rows.into_iter()
        .map(|(_, v)| borsh::from_slice(&v).map_err(ApiError::internal))
        .collect::<Result<Vec<_>, _>>()
        .map(Json)
}

async fn maker(
    State(node): State<Arc<Node>>,
    Path(address): Path<String>,
) -> Result<Json<MakerView>, ApiError> {
    let address: Address = parse(&address, "invalid_address")?;
    let snap = snapshot(&node)?;
    makers::load(&Overlay::new(&snap), &address)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_maker",
                format!("{address} was never approved as a maker"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gov(quorum_bps: u32, threshold_bps: u32, veto_bps: u32) -> GovParams {
        let b = plinth_ledger::governance::Bounds { min: 0, max: 1 };
        GovParams {
            min_lock_blocks: 1,
            max_lock_blocks: 100,
            max_multiplier_bps: 10_000,
            min_deposit: 1,
            deposit_period_blocks: 10,
            voting_period_blocks: 10,
            quorum_bps,
            threshold_bps,
            veto_bps,
            max_description_bytes: 100,
            max_actions: 4,
            max_active_proposals: 4,
            treasury_bps: 0,
            bounds: plinth_ledger::governance::ParamBounds {
                credit_micro_usd: b,
                price_max_age_ms: b,
                storage_max_failures: b,
                storage_max_deal_epochs: b,
                storage_accept_epochs: b,
                tail_per_epoch: b,
            },
        }
    }

    fn tally(yes: u128, no: u128, abstain: u128, veto: u128) -> Tally {
        Tally {
            yes,
            no,
            abstain,
            veto,
        }
    }

    #[test]
    fn the_verdict_keeps_the_boundaries_exactly() {
        let g = gov(3340, 5000, 3340);
        // Quorum: 3340 of 10,000 voted is exactly enough, 3339 is not.
        let v = verdict(&tally(0, 0, 3340, 0), 10_000, &g);
        assert!(v.quorum_reached);
        assert_eq!(v.outcome, "rejected");
        assert_eq!(
            verdict(&tally(0, 0, 3339, 0), 10_000, &g).outcome,
            "no_quorum"
        );
        // Threshold: yes must be above half of yes + no + veto.
        assert_eq!(
            verdict(&tally(5000, 5000, 0, 0), 10_000, &g).outcome,
            "rejected"
        );
        let v = verdict(&tally(5001, 4999, 0, 0), 10_000, &g);
        assert_eq!(
            (v.outcome.as_str(), v.would_pass, v.yes_bps),
            ("passed", true, 5001)
        );
        // Veto: above 33.4% of all votes; exactly 33.4% is no veto.
        let v = verdict(&tally(6660, 0, 0, 3340), 10_000, &g);
        assert_eq!((v.outcome.as_str(), v.would_veto), ("passed", false));
        let v = verdict(&tally(6659, 0, 0, 3341), 10_000, &g);
        assert_eq!(
            (v.outcome.as_str(), v.would_veto, v.would_pass),
            ("vetoed", true, false)
        );
        assert_eq!(v.turnout_bps, 10_000);
    }

    #[test]
    fn no_power_is_no_quorum() {
        let v = verdict(&tally(0, 0, 0, 0), 0, &gov(0, 5000, 3340));
        assert_eq!((v.outcome.as_str(), v.quorum_reached), ("no_quorum", false));
    }
}
