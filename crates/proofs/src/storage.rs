//! The storage family: proofs of retrievability for storage deals.
//!
//! Once an epoch is over the oracle takes a **storage round** for each storage
//! network: it reads a block hash produced after the epoch's end (the seed, which no
//! provider could know while the epoch ran), lists the deals active in the epoch,
//! draws each deal's challenge from the seed ([`plinth_storage::StorageChallenge`]:
//! `challenge_items` random segments of the file), asks the provider's agent, and
//! records every answer as it came (or why none came) in its spool. Scoring is then
//! pure: [`score`] checks each answer against the deal's root with
//! [`plinth_storage::verify_proof`].
//!
//! - A deal is **proven** in the epoch when its provider answered every challenged
//!   segment with bytes whose hash path leads to the deal's root. A missing, late,
//!   partial or wrong answer fails it.
//! - **Work score** of a provider: the started MiB of its proven deals.
//! - **Usage**: the credits each provider earned from consumers in the epoch (the
//!   price of its proven deals), which the oracle pays usage rewards by.
//!
//! A provider missing a fraction `f` of a file's segments fails a challenge of `k`
//! segments with probability `1 − C(n−fn, k)/C(n, k) ≥ 1 − (1 − f)^k`: a quarter of
//! the file gone is caught with probability at least 0.68 per epoch at `k = 4`.

use crate::DeviceInfo;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{DeviceId, Hash};
use plinth_storage::{verify_proofs, Manifest, StorageChallenge, StorageProof};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MIB: u64 = 1 << 20;

/// Parameters of a storage network (its `params` in the genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageFamilyParams {
    /// Segments challenged per deal and epoch.
    pub challenge_items: usize,
    /// How long an agent has to answer a challenge.
    pub answer_timeout_ms: u64,
}

impl Default for StorageFamilyParams {
    fn default() -> Self {
        StorageFamilyParams {
            challenge_items: plinth_storage::DEFAULT_CHALLENGE_ITEMS,
            answer_timeout_ms: 10_000,
        }
    }
}

impl StorageFamilyParams {
    pub fn validate(self) -> Result<StorageFamilyParams, String> {
        if self.challenge_items == 0 || self.challenge_items > plinth_storage::MAX_CHALLENGE_ITEMS
        {
            return Err(format!(
                "challenge_items must be 1 to {}",
                plinth_storage::MAX_CHALLENGE_ITEMS
            ));
        }
        if self.answer_timeout_ms == 0 {
            return Err("answer_timeout_ms must be positive".into());
        }
        Ok(self)
    }
}

/// A deal as the round saw it on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RoundDeal {
    pub id: Hash,
    pub provider: DeviceId,
    pub manifest: Manifest,
    pub price_per_epoch: u64,
}

/// What a provider's agent sent back for one deal: the encoded proof, or why there
/// is none (unreachable, timed out, refused).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RoundAnswer {
    pub deal: Hash,
    pub proof: Option<Vec<u8>>,
    pub error: Option<String>,
}

/// One storage network's challenges for one epoch and the answers to them.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StorageRound {
    pub network: String,
    pub epoch: u64,
    /// The block whose hash seeded the challenges (produced after the epoch ended).
    pub seed_height: u64,
    pub seed: Hash,
    /// Deals active in the epoch, in id order.
    pub deals: Vec<RoundDeal>,
    pub answers: Vec<RoundAnswer>,
}

impl StorageRound {
    /// The challenge of `deal` in this round.
    pub fn challenge(&self, params: &StorageFamilyParams, deal: &RoundDeal) -> StorageChallenge {
        StorageChallenge::derive(
            &self.seed,
            &deal.id,
            self.epoch,
            &deal.manifest,
            params.challenge_items,
        )
    }
}

/// One deal's outcome in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealOutcome {
    pub deal: Hash,
    pub provider: DeviceId,
    pub proven: bool,
    /// Why the deal failed.
    pub reason: Option<String>,
}

/// What [`score`] yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageScores {
    /// Every deal of the rounds, in id order.
    pub outcomes: Vec<DealOutcome>,
    /// Started MiB proven, per provider.
    pub work: BTreeMap<DeviceId, u64>,
    /// Credits earned from consumers, per provider.
    pub usage: BTreeMap<DeviceId, u64>,
}

/// Scores a network's storage rounds of an epoch (normally one). Pure: the outcome
/// depends only on the arguments. Providers missing from `devices` or inactive earn
/// no score (their deals still get outcomes, which settle the ledger's deals).
pub fn score(
    params: &StorageFamilyParams,
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    rounds: &[StorageRound],
) -> StorageScores {
    let mut out = StorageScores::default();
    let mut seen = std::collections::BTreeSet::new();
    for round in rounds {
        let answers: BTreeMap<Hash, &RoundAnswer> =
            round.answers.iter().map(|a| (a.deal, a)).collect();
        let mut checks: Vec<(usize, Manifest, StorageChallenge, StorageProof)> = Vec::new();
        let first = out.outcomes.len();
        let mut deal_index: BTreeMap<Hash, usize> = BTreeMap::new();
        for (i, d) in round.deals.iter().enumerate() {
            deal_index.entry(d.id).or_insert(i);
        }
        for d in &round.deals {
            if !seen.insert(d.id) {
                continue;
            }
            let index = out.outcomes.len();
            let mut outcome = DealOutcome {
                deal: d.id,
                provider: d.provider,
                proven: false,
                reason: None,
            };
            match answers.get(&d.id) {
                None => outcome.reason = Some("no answer recorded".into()),
                Some(a) => match &a.proof {
                    None => {
                        outcome.reason = Some(
                            a.error
                                .clone()
                                .unwrap_or_else(|| "the agent did not answer".into()),
                        )
                    }
                    Some(bytes) => match StorageProof::decode(bytes) {
                        Err(e) => outcome.reason = Some(format!("malformed proof: {e}")),
                        Ok(proof) => {
                            checks.push((index, d.manifest, round.challenge(params, d), proof))
                        }
                    },
                },
            }
            out.outcomes.push(outcome);
        }
        let verdicts = verify_proofs(
            &checks
                .iter()
                .map(|(_, m, c, p)| (m, c, p))
                .collect::<Vec<_>>(),
        );
        for ((index, ..), verdict) in checks.iter().zip(verdicts) {
            let o = &mut out.outcomes[*index];
            match verdict {
                Ok(()) => o.proven = true,
                Err(e) => o.reason = Some(e.to_string()),
            }
        }
        for o in &out.outcomes[first..] {
            if !o.proven || !devices.get(&o.provider).is_some_and(|i| i.active) {
                continue;
            }
            let d = &round.deals[deal_index[&o.deal]];
            let w = out.work.entry(d.provider).or_insert(0);
            *w = w.saturating_add(d.manifest.size.div_ceil(MIB));
            let u = out.usage.entry(d.provider).or_insert(0);
            *u = u.saturating_add(d.price_per_epoch);
        }
    }
    out.outcomes.sort_by_key(|o| o.deal);
    out
}
