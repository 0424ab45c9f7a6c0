//! Taking a storage round: the seed block, the deals due, every provider asked.

use super::providers::{ask_providers_checked, Job};
use crate::Oracle;
use anyhow::{anyhow, Result};
use plinth_api::node::OfferView;
use plinth_core::{DeviceId, Hash};
use plinth_ledger::storage::{Deal, DealStatus};
use plinth_proofs::storage::{RoundDeal, StorageFamilyParams, StorageRound, TokenPrice};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// The block JSON fields the seed search reads (`GET /v1/blocks/{h}`).
#[derive(serde::Deserialize)]
struct BlockStamp {
    hash: Hash,
    header: StampHeader,
}

#[derive(serde::Deserialize)]
struct StampHeader {
    timestamp_ms: u64,
}

impl Oracle {
    /// Every active deal of `network`, paged through the node's API.
    pub fn active_deals(&self, network: &str) -> Result<Vec<Deal>> {
        const PAGE: usize = 10_000;
        let mut out: Vec<Deal> = Vec::new();
        loop {
            let path = match out.last() {
                Some(d) => format!("/v1/deals?network={network}&limit={PAGE}&after={}", d.id),
                None => format!("/v1/deals?network={network}&limit={PAGE}"),
            };
            let page: Vec<Deal> = self.node.get(&path)?;
            let n = page.len();
            out.extend(page);
            if n < PAGE {
                return Ok(out);
            }
        }
    }

    /// The block that seeds `epoch`'s storage challenges: the first block whose
    /// timestamp is at or after the epoch's end, as `(height, hash)`. Block
    /// timestamps never decrease, so it is found by binary search over heights.
    /// Fails while the head is still before the epoch's end.
    pub fn storage_seed(&self, epoch: u64) -> Result<(u64, Hash)> {
        let end = self.clock.window(epoch).end_ms;
        let status = self.node.status()?;
        if status.timestamp_ms < end {
            return Err(anyhow!(
                "waiting for a block sealed after epoch {epoch}'s end to seed its storage challenges"
            ));
        }
        // Block `hi` is sealed at or after the end; every block below `lo` before it.
        let (mut lo, mut hi, mut hash) = (0u64, status.height, status.head_hash);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let b: BlockStamp = self
                .node
                .get_opt(&format!("/v1/blocks/{mid}"))?
                .ok_or_else(|| anyhow!("the node has no block {mid} below its head"))?;
            if b.header.timestamp_ms >= end {
                hi = mid;
                hash = b.hash;
            } else {
                lo = mid + 1;
            }
        }
        Ok((hi, hash))
    }

    /// The ledger's token price now (for the round's reward cap), if one was
    /// posted.
    fn token_price(&self) -> Result<Option<TokenPrice>> {
        let view = self.node.price()?;
        Ok(view.price.map(|p| TokenPrice {
            micro_usd_per_token: p.micro_usd_per_token,
            credit_micro_usd: view.credit_micro_usd,
            decimals: self.decimals,
        }))
    }

    /// The endpoint of each provider of `deals` (from its offer; none for a
    /// provider without one).
    fn provider_endpoints(&self, deals: &[RoundDeal]) -> Result<HashMap<DeviceId, String>> {
        let mut endpoints: HashMap<DeviceId, String> = HashMap::new();
        for provider in deals.iter().map(|d| d.provider) {
            if endpoints.contains_key(&provider) {
                continue;
            }
            let offer: Option<OfferView> = self
                .node
                .get_opt(&format!("/v1/storage/offers/{provider}"))?;
            if let Some(o) = offer {
                endpoints.insert(provider, o.offer.endpoint);
            }
        }
        Ok(endpoints)
    }

    /// Takes `network`'s storage round for `epoch` (which must be over): seeds the
    /// challenges with [`Oracle::storage_seed`], asks every provider of a deal
    /// active in the epoch, and returns the round (not yet written). Blocking.
    pub fn take_storage_round(
        &self,
        network: &str,
        params: &StorageFamilyParams,
        epoch: u64,
    ) -> Result<StorageRound> {
        let (seed_height, seed) = self.storage_seed(epoch)?;
        let round_deals = round_deals(&self.active_deals(network)?, epoch);
        let endpoints = self.provider_endpoints(&round_deals)?;
        let mut round = StorageRound {
            network: network.to_string(),
            epoch,
            seed_height,
            seed,
            deals: round_deals,
            answers: Vec::new(),
            price: self.token_price()?,
        };
        let groups = challenge_groups(&round, params, &endpoints);
        let timeout = Duration::from_millis(params.answer_timeout_ms);
        let mut answers = ask_providers_checked(
            &groups,
            timeout,
            self.config.storage_providers_at_once,
            self.allow_private_endpoints,
        );
        answers.sort_by_key(|a| a.deal);
        round.answers = answers;
        let failed = round.answers.iter().filter(|a| a.proof.is_none()).count();
        tracing::info!(
            network,
            epoch,
            deals = round.deals.len(),
            unanswered = failed,
            seed_height = round.seed_height,
            "storage round taken"
        );
        Ok(round)
    }
}

/// The deals of a round for `epoch`: active in it and not settled for it yet
/// (earlier epochs are settled first), by id.
fn round_deals(deals: &[Deal], epoch: u64) -> Vec<RoundDeal> {
    let mut round_deals: Vec<RoundDeal> = deals
        .iter()
        .filter(|d| {
            d.status == DealStatus::Active
                && d.start_epoch <= epoch
                && epoch < d.end_epoch
                && d.next_epoch <= epoch
        })
        .map(|d| RoundDeal {
            id: d.id,
            provider: d.provider,
            manifest: d.manifest,
            price_per_epoch: d.price_per_epoch,
        })
        .collect();
    round_deals.sort_by_key(|d| d.id);
    round_deals
}

/// The round's challenges, one group per provider device (not per endpoint: two
/// offers naming the same URL still get separate requests and deadlines), with
/// the provider's endpoint.
fn challenge_groups(
    round: &StorageRound,
    params: &StorageFamilyParams,
    endpoints: &HashMap<DeviceId, String>,
) -> Vec<(Option<String>, Vec<Job>)> {
    let mut by_provider: BTreeMap<DeviceId, Vec<Job>> = BTreeMap::new();
    for d in &round.deals {
        by_provider
            .entry(d.provider)
            .or_default()
            .push((d.id, round.challenge(params, d)));
    }
    by_provider
        .into_iter()
        .map(|(p, jobs)| (endpoints.get(&p).cloned(), jobs))
        .collect()
}
