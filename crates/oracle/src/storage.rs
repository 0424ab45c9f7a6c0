//! Storage networks: after each epoch the oracle challenges every active deal's
//! provider and settles the deals on the ledger.
//!
//! ```text
//!  epoch E over ─▶ head block (sealed after E's end) = seed
//!              ─▶ deals active in E (GET /v1/deals?network=N), endpoints (offers)
//!              ─▶ per deal: StorageChallenge::derive(seed, deal, E) ─▶ POST agent /prove
//!                  (answer_timeout_ms) ─▶ StorageRound {deals, answers} ─▶ spool
//!  close E ─▶ storage::score (verify every proof against its root) ─▶ outcomes
//!          ─▶ SettleStorage {E, [deal, proven]} (signed, ≤128 results per tx)
//!          ─▶ manifest: work by MiB proven, usage by credits earned
//! ```
//!
//! The round goes into the spool with the epoch's other batches before any network
//! of the epoch is closed, so every manifest of the epoch names the same inputs and
//! `plinth oracle audit` recomputes the outcomes from the recorded answers (and
//! checks that the seed is a real block sealed after the epoch's end).

use crate::epoch::Manifest;
use crate::Oracle;
use anyhow::{anyhow, Context, Result};
use plinth_core::{DeviceId, Hash};
use plinth_ledger::storage::{Deal, DealResult, DealStatus, StorageSettlement};
use plinth_node::storage_api::OfferView;
use plinth_proofs::storage::{RoundAnswer, RoundDeal, StorageFamilyParams, StorageRound};
use plinth_storage::client::StorageClient;
use plinth_storage::StorageChallenge;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Agents challenged at once.
const ENDPOINTS_AT_ONCE: usize = 64;
/// Requests in flight to one agent.
const REQUESTS_PER_ENDPOINT: usize = 4;

impl Oracle {
    /// The storage networks and their parameters.
    pub fn storage_networks(&self) -> Vec<(String, StorageFamilyParams)> {
        self.networks
            .iter()
            .filter(|n| n.family == plinth_ledger::storage::FAMILY)
            .filter_map(|n| {
                match plinth_proofs::Family::from_network(&n.family, &n.params.to_string()) {
                    Ok(plinth_proofs::Family::Storage(p)) => Some((n.name.clone(), p)),
                    _ => None,
                }
            })
            .collect()
    }

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

    /// Takes `network`'s storage round for `epoch` (which must be over): seeds the
    /// challenges with the head block, asks every provider of a deal active in the
    /// epoch, and returns the round (not yet written). Blocking.
    pub fn take_storage_round(
        &self,
        network: &str,
        params: &StorageFamilyParams,
        epoch: u64,
    ) -> Result<StorageRound> {
        let status = self.node.status()?;
        let end = self.clock.window(epoch).end_ms;
        if status.timestamp_ms < end {
            return Err(anyhow!(
                "waiting for a block sealed after epoch {epoch}'s end to seed its storage challenges"
            ));
        }
        let deals = self.active_deals(network)?;
        // The endpoint of each provider with a deal (from its offer).
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
        // Deals whose end passed unsettled (this oracle was down) are closed, so
        // their escrow and collateral do not stay locked (best effort: anyone may).
        let current = self.clock.epoch_of(status.timestamp_ms);
        for d in deals
            .iter()
            .filter(|d| d.status == DealStatus::Active && d.end_epoch < current)
        {
            match self.send_tx(plinth_ledger::Call::CloseDeal { deal: d.id }) {
                Ok(tx) => tracing::info!(deal = %d.id, tx = %tx, "expired deal closed"),
                Err(e) => {
                    tracing::warn!(deal = %d.id, error = %e, "closing an expired deal failed")
                }
            }
        }
        let mut round = StorageRound {
            network: network.to_string(),
            epoch,
            seed_height: status.height,
            seed: status.head_hash,
            deals: round_deals,
            answers: Vec::new(),
        };
        // Every provider has `answer_timeout_ms` from now for all its challenges:
        // one thread per endpoint, a few requests at a time, nothing sent after
        // the deadline. So a round takes at most the timeout per batch of
        // endpoints, whatever the number of deals or how agents misbehave.
        let deadline = Instant::now() + Duration::from_millis(params.answer_timeout_ms);
        let mut by_endpoint: BTreeMap<Option<String>, Vec<(Hash, StorageChallenge)>> =
            BTreeMap::new();
        for d in &round.deals {
            by_endpoint
                .entry(endpoints.get(&d.provider).cloned())
                .or_default()
                .push((d.id, round.challenge(params, d)));
        }
        let groups: Vec<_> = by_endpoint.into_iter().collect();
        let mut answers = Vec::with_capacity(round.deals.len());
        for batch in groups.chunks(ENDPOINTS_AT_ONCE) {
            let got: Vec<Vec<RoundAnswer>> = std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .iter()
                    .map(|(endpoint, jobs)| {
                        s.spawn(move || ask_endpoint(endpoint.as_deref(), jobs, deadline))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("challenge thread"))
                    .collect()
            });
            answers.extend(got.into_iter().flatten());
        }
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

    /// Puts the settlement of a storage manifest's deals on the ledger: results for
    /// deals the ledger has not settled for the epoch yet, at most
    /// [`plinth_ledger::storage::MAX_SETTLEMENT_RESULTS`] per transaction. Returns
    /// whether every deal is settled (nothing left to send).
    pub(crate) fn ensure_settled(&self, m: &Manifest) -> Result<bool> {
        let key = (m.header.network.clone(), m.header.epoch);
        if m.deals.is_empty() || self.settled.lock().expect("settled lock").contains(&key) {
            return Ok(true);
        }
        let epoch = m.header.epoch;
        // Deals no longer active are settled for good (completed, slashed, closed).
        let active: HashMap<Hash, Deal> = self
            .active_deals(&m.header.network)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let pending: Vec<DealResult> = m
            .deals
            .iter()
            .filter(|o| {
                active
                    .get(&o.deal)
                    .is_some_and(|d| d.next_epoch <= epoch && epoch < d.end_epoch)
            })
            .map(|o| DealResult {
                deal: o.deal,
                proven: o.proven,
            })
            .collect();
        if pending.is_empty() {
            self.settled.lock().expect("settled lock").insert(key);
            return Ok(true);
        }
        for results in pending.chunks(plinth_ledger::storage::MAX_SETTLEMENT_RESULTS) {
            let settlement = StorageSettlement {
                chain_id: self.chain_id.clone(),
                network: m.header.network.clone(),
                epoch,
                results: results.to_vec(),
            };
            let signature = settlement.sign(self.key());
            let tx = self
                .send_tx(plinth_ledger::Call::SettleStorage {
                    settlement,
                    signatures: vec![signature],
                })
                .context("settling storage deals")?;
            tracing::info!(
                network = %m.header.network,
                epoch,
                deals = results.len(),
                proven = results.iter().filter(|r| r.proven).count(),
                tx = %tx,
                "storage deals settled"
            );
        }
        Ok(false)
    }
}

/// Challenges one agent with its deals' challenges, [`REQUESTS_PER_ENDPOINT`] at a
/// time, until `deadline`: a missing endpoint, a refusal, a timeout or the deadline
/// is recorded as the reason there is no proof.
fn ask_endpoint(
    endpoint: Option<&str>,
    jobs: &[(Hash, StorageChallenge)],
    deadline: Instant,
) -> Vec<RoundAnswer> {
    let unanswered = |deal: Hash, why: &str| RoundAnswer {
        deal,
        proof: None,
        error: Some(why.to_string()),
    };
    let Some(endpoint) = endpoint else {
        return jobs
            .iter()
            .map(|(d, _)| unanswered(*d, "the provider has no storage offer"))
            .collect();
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..REQUESTS_PER_ENDPOINT.min(jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((deal, challenge)) = jobs.get(i) else {
                    return;
                };
                let left = deadline.saturating_duration_since(Instant::now());
                let answer = if left.is_zero() {
                    unanswered(*deal, "no answer before the round's deadline")
                } else {
                    match StorageClient::with_deadline(endpoint, left).prove(challenge) {
                        Ok(proof) => RoundAnswer {
                            deal: *deal,
                            proof: Some(proof.encode()),
                            error: None,
                        },
                        Err(e) => {
                            unanswered(*deal, &e.to_string().chars().take(200).collect::<String>())
                        }
                    }
                };
                out.lock().expect("answers lock").push(answer);
            });
        }
    });
    out.into_inner().expect("answers lock")
}
