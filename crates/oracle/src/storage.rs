//! Storage networks: after each epoch the oracle challenges every active deal's
//! provider and settles the deals on the ledger.
//!
//! ```text
//!  epoch E over ─▶ seed = the first block with timestamp ≥ E's end (binary search
//!                  over GET /v1/blocks/{h}: one block, whatever head the oracle sees)
//!              ─▶ deals active in E (GET /v1/deals?network=N), endpoints (offers)
//!              ─▶ per deal: StorageChallenge::derive(seed, deal, E) ─▶ POST agent /prove
//!                  (providers in batches, answer_timeout_ms from each batch's start)
//!              ─▶ StorageRound {deals, answers} ─▶ spool
//!  close E ─▶ storage::score (verify every proof against its root) ─▶ outcomes
//!          ─▶ SettleStorage {E, [deal, proven]} for deals whose next epoch is E
//!             (signed, ≤128 results per tx; not sent again while one is pending)
//!          ─▶ manifest: work by MiB proven, usage by credits earned
//! ```
//!
//! The round goes into the spool with the epoch's other batches before any network
//! of the epoch is closed, so every manifest of the epoch names the same inputs and
//! `plinth oracle audit` recomputes the outcomes from the recorded answers (and
//! checks that the seed is exactly the first block sealed at or after the epoch's
//! end, so the oracle could not choose among blocks).
//!
//! The ledger applies a deal's result only for the deal's next unsettled epoch, so
//! the oracle settles every epoch in order: after downtime it closes every missed
//! epoch (at most [`crate::MAX_CATCH_UP`] back, see `close_due_epochs`), and a
//! deal's result for an epoch waits until the earlier epochs are settled. Deals
//! whose end is further back than that are closed with `CloseDeal` (best effort,
//! after the settlements).
//!
//! Challenges are grouped by provider device: each provider gets its own requests
//! (up to [`MAX_BATCH_CHALLENGES`] deals' challenges per `POST /v1/prove`,
//! [`REQUESTS_PER_PROVIDER`] requests at a time) and nothing is sent to it
//! after its batch's deadline, so an agent that never answers costs at most one
//! `answer_timeout_ms` per batch of providers and cannot take time from providers
//! in other batches (nor, by naming a victim's endpoint in its own offer, from the
//! victim's requests).

use crate::epoch::Manifest;
use crate::Oracle;
use anyhow::{anyhow, Context, Result};
use plinth_api::node::{OfferView, TxStatus, TxView};
use plinth_core::{DeviceId, Hash};
use plinth_ledger::storage::{Deal, DealResult, DealStatus, StorageSettlement};
use plinth_proofs::storage::{RoundAnswer, RoundDeal, StorageFamilyParams, StorageRound};
use plinth_storage::agent::MAX_BATCH_CHALLENGES;
use plinth_storage::client::StorageClient;
use plinth_storage::StorageChallenge;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Providers challenged at once, by default
/// ([`crate::OracleConfig::storage_providers_at_once`]).
pub const PROVIDERS_AT_ONCE: usize = 64;
/// Requests in flight to one provider.
pub const REQUESTS_PER_PROVIDER: usize = 4;
/// How long a settlement transaction may stay pending before it is sent again.
pub const RESEND_AFTER: Duration = Duration::from_secs(30);

/// Settlement transactions sent for one `(network, epoch)`, and when.
#[derive(Debug, Clone)]
pub(crate) struct SentSettlement {
    pub txs: Vec<Hash>,
    pub at: Instant,
}

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
    /// The storage networks and their parameters (read once, at start).
    pub fn storage_networks(&self) -> &[(String, StorageFamilyParams)] {
        &self.storage
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

    /// Takes `network`'s storage round for `epoch` (which must be over): seeds the
    /// challenges with [`Oracle::storage_seed`], asks every provider of a deal
    /// active in the epoch, and returns the round (not yet written). Blocking.
    /// The ledger's token price now (for the round's reward cap), if one was
    /// posted.
    fn token_price(&self) -> Result<Option<plinth_proofs::storage::TokenPrice>> {
        let view = self.node.price()?;
        Ok(view.price.map(|p| plinth_proofs::storage::TokenPrice {
            micro_usd_per_token: p.micro_usd_per_token,
            credit_micro_usd: view.credit_micro_usd,
            decimals: self.decimals,
        }))
    }

    pub fn take_storage_round(
        &self,
        network: &str,
        params: &StorageFamilyParams,
        epoch: u64,
    ) -> Result<StorageRound> {
        let (seed_height, seed) = self.storage_seed(epoch)?;
        let deals = self.active_deals(network)?;
        // Deals not settled for the epoch yet (earlier epochs are settled first).
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
        // The endpoint of each provider in the round (from its offer).
        let mut endpoints: HashMap<DeviceId, String> = HashMap::new();
        for provider in round_deals.iter().map(|d| d.provider) {
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
        let mut round = StorageRound {
            network: network.to_string(),
            epoch,
            seed_height,
            seed,
            deals: round_deals,
            answers: Vec::new(),
            price: self.token_price()?,
        };
        // One group per provider device (not per endpoint: two offers naming the
        // same URL still get separate requests and deadlines).
        let mut by_provider: BTreeMap<DeviceId, Vec<Job>> = BTreeMap::new();
        for d in &round.deals {
            by_provider
                .entry(d.provider)
                .or_default()
                .push((d.id, round.challenge(params, d)));
        }
        let groups: Vec<(Option<String>, Vec<Job>)> = by_provider
            .into_iter()
            .map(|(p, jobs)| (endpoints.get(&p).cloned(), jobs))
            .collect();
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

    /// Whether a settlement sent for `key` less than [`RESEND_AFTER`] ago is still
    /// pending in the node's mempool.
    fn settlement_pending(&self, key: &(String, u64)) -> Result<bool> {
        let sent = self
            .settlements_sent
            .lock()
            .expect("settlements lock")
            .get(key)
            .cloned();
        let Some(sent) = sent else {
            return Ok(false);
        };
        if sent.at.elapsed() >= RESEND_AFTER {
            return Ok(false);
        }
        for tx in &sent.txs {
            let view: Option<TxView> = self.node.get_opt(&format!("/v1/txs/{tx}"))?;
            if view.is_some_and(|v| v.status == TxStatus::Pending) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Puts the settlement of a storage manifest's deals on the ledger: results for
    /// the deals whose next unsettled epoch is the manifest's, at most
    /// [`plinth_ledger::storage::MAX_SETTLEMENT_RESULTS`] per transaction. Deals
    /// with an earlier epoch still unsettled wait for it (the ledger takes epochs
    /// in order). Nothing is sent while a settlement sent for the epoch is pending
    /// (for up to [`RESEND_AFTER`]). Returns whether every deal is settled for the
    /// epoch (nothing left to send).
    pub(crate) fn ensure_settled(&self, m: &Manifest) -> Result<bool> {
        let key = (m.header.network.clone(), m.header.epoch);
        if m.deals.is_empty() || self.settled.lock().expect("settled lock").contains(&key) {
            return Ok(true);
        }
        if self.settlement_pending(&key)? {
            return Ok(false);
        }
        let epoch = m.header.epoch;
        // Deals no longer active are settled for good (completed, slashed, closed).
        let active: HashMap<Hash, Deal> = self
            .active_deals(&m.header.network)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let mut waiting = 0usize;
        let mut due: Vec<DealResult> = Vec::new();
        for o in &m.deals {
            let Some(d) = active.get(&o.deal) else {
                continue;
            };
            if epoch >= d.end_epoch || d.next_epoch > epoch {
                continue;
            }
            if d.next_epoch < epoch {
                waiting += 1;
                continue;
            }
            due.push(DealResult {
                deal: o.deal,
                proven: o.proven,
            });
        }
        if due.is_empty() {
            if waiting == 0 {
                self.settled
                    .lock()
                    .expect("settled lock")
                    .insert(key.clone());
                self.settlements_sent
                    .lock()
                    .expect("settlements lock")
                    .remove(&key);
                return Ok(true);
            }
            return Ok(false);
        }
        let mut sent = Vec::new();
        for results in due.chunks(plinth_ledger::storage::MAX_SETTLEMENT_RESULTS) {
            let settlement = StorageSettlement {
                chain: self.chain,
                network: m.header.network.clone(),
                epoch,
                results: results.to_vec(),
            };
            let signature = settlement.sign(self.key());
            let tx = self.send_tx(plinth_ledger::Call::SettleStorage {
                settlement,
                signatures: vec![signature],
            });
            let tx = match tx {
                Ok(tx) => tx,
                Err(e) => {
                    // What was sent is still remembered, so it is not sent twice.
                    self.remember_settlement(&key, sent);
                    return Err(e).context("settling storage deals");
                }
            };
            sent.push(tx);
            tracing::info!(
                network = %m.header.network,
                epoch,
                deals = results.len(),
                proven = results.iter().filter(|r| r.proven).count(),
                waiting,
                tx = %tx,
                "storage deals settled"
            );
        }
        self.remember_settlement(&key, sent);
        Ok(false)
    }

    fn remember_settlement(&self, key: &(String, u64), txs: Vec<Hash>) {
        if txs.is_empty() {
            return;
        }
        self.settlements_sent
            .lock()
            .expect("settlements lock")
            .insert(
                key.clone(),
                SentSettlement {
                    txs,
                    at: Instant::now(),
                },
            );
    }

    /// Closes (best effort, with `CloseDeal`) the active deals of every storage
    /// network whose end is more than [`crate::MAX_CATCH_UP`] epochs before
    /// `current`: beyond anything this oracle still settles, so their escrow and
    /// collateral do not stay locked. Runs once per epoch.
    pub(crate) fn close_abandoned_deals(&self, current: u64) {
        {
            let swept = self.deals_swept.lock().expect("sweep lock");
            if swept.is_some_and(|e| e >= current) {
                return;
            }
        }
        for (network, _) in self.storage_networks() {
            let deals = match self.active_deals(network) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(network, error = %e, "listing deals to close failed");
                    return;
                }
            };
            for d in deals.iter().filter(|d| {
                d.status == DealStatus::Active
                    && d.end_epoch.saturating_add(crate::MAX_CATCH_UP) < current
            }) {
                match self.send_tx(plinth_ledger::Call::CloseDeal { deal: d.id }) {
                    Ok(tx) => tracing::info!(deal = %d.id, tx = %tx, "abandoned deal closed"),
                    Err(e) => {
                        tracing::warn!(deal = %d.id, error = %e, "closing an abandoned deal failed")
                    }
                }
            }
        }
        *self.deals_swept.lock().expect("sweep lock") = Some(current);
    }
}

/// A deal's id and its challenge.
pub type Job = (Hash, StorageChallenge);

/// Challenges providers — `(endpoint, its deals' challenges)`, one group per
/// provider — `at_once` providers at a time; every provider of such a batch has
/// `timeout` from the batch's start for all its challenges. Returns an answer for
/// every challenge (in no particular order).
pub fn ask_providers(
    groups: &[(Option<String>, Vec<Job>)],
    timeout: Duration,
    at_once: usize,
) -> Vec<RoundAnswer> {
    ask_providers_checked(groups, timeout, at_once, true)
}

/// [`ask_providers`], connecting only to public addresses unless
/// `allow_private` (the genesis's `storage.allow_private_endpoints`): each
/// endpoint's host is resolved when connecting and only its public addresses
/// are used (an endpoint with none is answered `private_address`), so a name
/// cannot be made to point into a private network after it was checked.
pub fn ask_providers_checked(
    groups: &[(Option<String>, Vec<Job>)],
    timeout: Duration,
    at_once: usize,
    allow_private: bool,
) -> Vec<RoundAnswer> {
    let mut answers = Vec::with_capacity(groups.iter().map(|(_, j)| j.len()).sum());
    for batch in groups.chunks(at_once.max(1)) {
        // Every provider of the batch has `timeout` from the batch's start for all
        // its challenges: one thread per provider, a few requests at a time,
        // nothing sent after the deadline. So a round takes at most the timeout
        // per batch, whatever the number of deals or how agents misbehave.
        let deadline = Instant::now() + timeout;
        let got: Vec<Vec<RoundAnswer>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|(endpoint, jobs)| {
                    s.spawn(move || {
                        ask_provider(endpoint.as_deref(), jobs, deadline, allow_private)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("challenge thread"))
                .collect()
        });
        answers.extend(got.into_iter().flatten());
    }
    answers
}

/// Challenges one provider's agent with its deals' challenges, in batches of
/// [`MAX_BATCH_CHALLENGES`] per request (`POST /v1/prove`), [`REQUESTS_PER_PROVIDER`]
/// requests at a time, until `deadline`: a missing endpoint, a refusal, a timeout
/// or the deadline is recorded as the reason there is no proof.
fn ask_provider(
    endpoint: Option<&str>,
    jobs: &[Job],
    deadline: Instant,
    allow_private: bool,
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
    let batches: Vec<&[Job]> = jobs.chunks(MAX_BATCH_CHALLENGES).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..REQUESTS_PER_PROVIDER.min(batches.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(i) else {
                    return;
                };
                let left = deadline.saturating_duration_since(Instant::now());
                let answers: Vec<RoundAnswer> = if left.is_zero() {
                    batch
                        .iter()
                        .map(|(d, _)| unanswered(*d, "no answer before the round's deadline"))
                        .collect()
                } else {
                    let challenges: Vec<StorageChallenge> =
                        batch.iter().map(|(_, c)| c.clone()).collect();
                    let client = StorageClient::with_resolver(
                        endpoint,
                        left,
                        PublicResolver { allow_private },
                    );
                    match client.prove_batch(&challenges) {
                        Ok(proofs) => batch
                            .iter()
                            .zip(proofs)
                            .map(|((deal, _), proof)| match proof {
                                Some(p) => RoundAnswer {
                                    deal: *deal,
                                    proof: Some(p.encode()),
                                    error: None,
                                },
                                None => unanswered(*deal, "the agent does not hold this deal"),
                            })
                            .collect(),
                        Err(e) => {
                            // A short code only: nothing the provider wrote is
                            // copied into the spool.
                            let why = failure_code(&e);
                            batch.iter().map(|(d, _)| unanswered(*d, &why)).collect()
                        }
                    }
                };
                out.lock().expect("answers lock").extend(answers);
            });
        }
    });
    out.into_inner().expect("answers lock")
}

/// What a resolver says when an endpoint resolves to no public address.
const PRIVATE_ADDRESS: &str = "private_address";

/// Resolves an agent's host, keeping only public addresses unless
/// `allow_private`.
struct PublicResolver {
    allow_private: bool,
}

impl ureq::Resolver for PublicResolver {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
        use std::net::ToSocketAddrs;
        let all: Vec<std::net::SocketAddr> = netloc.to_socket_addrs()?.collect();
        if self.allow_private {
            return Ok(all);
        }
        let public: Vec<_> = all
            .into_iter()
            .filter(|a| plinth_ledger::storage::is_public_ip(a.ip()))
            .collect();
        if public.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                PRIVATE_ADDRESS,
            ));
        }
        Ok(public)
    }
}

/// The short code recorded for a failed challenge request (never the provider's
/// own words).
pub fn failure_code(e: &plinth_storage::client::ClientError) -> String {
    use plinth_storage::client::ClientError as E;
    match e {
        E::Refused { status, .. } => format!("refused_{status}"),
        E::Transport(t) => {
            let text = t.to_string();
            if text.contains(PRIVATE_ADDRESS) {
                PRIVATE_ADDRESS.into()
            } else if text.to_ascii_lowercase().contains("timed out") {
                "timeout".into()
            } else {
                "unreachable".into()
            }
        }
        E::Read(_) => "read_failed".into(),
        _ => "bad_answer".into(),
    }
}
