//! [`NodeClient`]'s governance calls (`/v1/gov…`, `/v1/makers…`), typed.
//!
//! A chain without governance answers every `/v1/gov` route with 404
//! `no_governance`: that is an error here (never `None`), so a caller cannot
//! mistake it for a missing proposal or position.

use super::{with_query, NodeClient, Result};
use crate::gov::*;
use plinth_core::Address;
use serde::de::DeserializeOwned;

impl NodeClient {
    /// `GET path` with the 404 whose code is `missing` as `None`.
    fn get_unless<T: DeserializeOwned>(&self, path: &str, missing: &str) -> Result<Option<T>> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() && e.code() == Some(missing) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/gov`: settings, treasury, total power, upgrades, active proposals.
    pub fn gov(&self) -> Result<GovView> {
        self.get("/v1/gov")
    }

    /// `GET /v1/gov/proposals`: one page of proposals with their live tally.
    pub fn proposals(&self, query: &ProposalsQuery) -> Result<Vec<ProposalView>> {
        self.get(&with_query("/v1/gov/proposals", query))
    }

    /// `GET /v1/gov/proposals/{id}`; `None` for an unknown proposal.
    pub fn proposal(&self, id: u64) -> Result<Option<ProposalView>> {
        self.get_unless(&format!("/v1/gov/proposals/{id}"), "unknown_proposal")
    }

    /// `GET /v1/gov/proposals/{id}/votes`: one page of votes, in voter order.
    pub fn votes(&self, id: u64, query: &AddressPageQuery) -> Result<Vec<VoteView>> {
        self.get(&with_query(&format!("/v1/gov/proposals/{id}/votes"), query))
    }

    /// Every vote on proposal `id` (paged through `GET …/votes`).
    pub fn all_votes(&self, id: u64) -> Result<Vec<VoteView>> {
        let mut out: Vec<VoteView> = Vec::new();
        loop {
            let page = self.votes(
                id,
                &AddressPageQuery {
                    after: out.last().map(|v| v.voter.to_string()),
                    limit: Some(MAX_VOTES_PAGE as u64),
                },
            )?;
            let n = page.len();
            out.extend(page);
            if n < MAX_VOTES_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/gov/positions?owner=`: an account's positions and delegation.
    pub fn positions(&self, owner: &Address) -> Result<PositionsView> {
        self.get(&with_query(
            "/v1/gov/positions",
            &PositionsQuery {
                owner: owner.to_string(),
            },
        ))
    }

    /// `GET /v1/gov/positions/{id}`; `None` for an unknown position.
    pub fn position(&self, id: u64) -> Result<Option<PositionView>> {
        self.get_unless(&format!("/v1/gov/positions/{id}"), "unknown_position")
    }

    /// `GET /v1/makers`: one page of makers (approved or revoked), in address order.
    pub fn makers(&self, query: &AddressPageQuery) -> Result<Vec<MakerView>> {
        self.get(&with_query("/v1/makers", query))
    }

    /// `GET /v1/makers/{address}`; `None` for a key never approved.
    pub fn maker(&self, address: &Address) -> Result<Option<MakerView>> {
        self.get_unless(&format!("/v1/makers/{address}"), "unknown_maker")
    }
}
