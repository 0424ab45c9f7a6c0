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
//! **Self-dealing must not pay.** An operator can open deals with its own provider
//! over data it regenerates from a seed: it pays itself credits, keeps nothing of
//! value, and would collect the network's work and usage rewards. Two rules make
//! that farming cost at least what it earns:
//!
//! 1. Work counts only deals paid at or above the network's floor price
//!    (`work_floor_price_per_mib_epoch` credits per started MiB and epoch), so no
//!    deal at a token price earns work score.
//! 2. What a provider is paid in an epoch, work and usage together, is capped at
//!    the token value of the credits its proven deals paid in that epoch
//!    ([`paid_value_cap`]), at the ledger's token price when the round was taken
//!    (recorded in the round, so the cap is audited like the rest). Credits are
//!    bought by burning tokens at that price, so a self-dealer burns at least what
//!    it is minted: its net is ≤ 0 however the reward pools are shared out. Honest
//!    providers lose nothing they were paid for; what the cap holds back is never
//!    minted. (The cap uses the price at the round, not at the burn: a dealer who
//!    bought credits before a price drop gains the drop, as any credit holder
//!    would by spending them later; the price feed's freshness bounds it.)
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
    /// The least price, in credits per started MiB and epoch, at which a proven
    /// deal earns work score (see the module doc: self-dealing must not pay).
    pub work_floor_price_per_mib_epoch: u64,
}

/// The default of [`StorageFamilyParams::work_floor_price_per_mib_epoch`].
pub const DEFAULT_WORK_FLOOR_PRICE_PER_MIB_EPOCH: u64 = 1;

impl Default for StorageFamilyParams {
    fn default() -> Self {
        StorageFamilyParams {
            challenge_items: plinth_storage::DEFAULT_CHALLENGE_ITEMS,
            answer_timeout_ms: 10_000,
            work_floor_price_per_mib_epoch: DEFAULT_WORK_FLOOR_PRICE_PER_MIB_EPOCH,
        }
    }
}

impl StorageFamilyParams {
    /// Checks what serde cannot: the number of challenged items and the timeout.
    pub fn validate(self) -> Result<StorageFamilyParams, String> {
        if self.challenge_items == 0 || self.challenge_items > plinth_storage::MAX_CHALLENGE_ITEMS {
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

/// The ledger's token price when a round was taken: what a credit is worth in
/// tokens, for [`paid_value_cap`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct TokenPrice {
    /// Micro-USD per whole token.
    pub micro_usd_per_token: u64,
    /// Micro-USD per credit.
    pub credit_micro_usd: u64,
    /// The token's decimals (smallest units per whole token: `10^decimals`).
    pub decimals: u8,
}

impl TokenPrice {
    /// What `credits` are worth in the token's smallest unit, rounded down:
    /// `credits × credit µUSD × 10^decimals / µUSD per token`. Zero for a zero
    /// price (nothing is known to be worth anything).
    pub fn tokens_for(&self, credits: u64) -> u64 {
        let num = u128::from(credits)
            .saturating_mul(u128::from(self.credit_micro_usd))
            .saturating_mul(10u128.saturating_pow(u32::from(self.decimals)));
        num.checked_div(u128::from(self.micro_usd_per_token))
            .map_or(0, |v| u64::try_from(v).unwrap_or(u64::MAX))
    }
}

/// The most a provider may be paid for an epoch (work and usage together): the
/// token value of `credits_paid`, the credits its proven deals paid, at `price`.
/// No price known: nothing (no credits could be bought without one).
pub fn paid_value_cap(price: Option<&TokenPrice>, credits_paid: u64) -> u64 {
    price.map_or(0, |p| p.tokens_for(credits_paid))
}

/// A deal as the round saw it on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RoundDeal {
    /// The deal's id.
    pub id: Hash,
    /// The provider that keeps the data.
    pub provider: DeviceId,
    /// What the provider keeps: the file's root, size and chunk size.
    pub manifest: Manifest,
    /// What the deal pays per epoch, in credits (escrowed on the ledger).
    pub price_per_epoch: u64,
}

/// What a provider's agent sent back for one deal: the encoded proof, or why there
/// is none (unreachable, timed out, refused).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RoundAnswer {
    /// The deal challenged.
    pub deal: Hash,
    /// The encoded proof the agent sent, if any.
    pub proof: Option<Vec<u8>>,
    /// Why there is no proof, if none came.
    pub error: Option<String>,
}

/// One storage network's challenges for one epoch and the answers to them.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StorageRound {
    /// The storage network.
    pub network: String,
    /// The epoch the round proves.
    pub epoch: u64,
    /// The block whose hash seeded the challenges (produced after the epoch ended).
    pub seed_height: u64,
    /// That block's hash: the seed of every challenge of the round.
    pub seed: Hash,
    /// Deals active in the epoch, in id order.
    pub deals: Vec<RoundDeal>,
    /// The answers as they came, by deal (a deal without one is not proven).
    pub answers: Vec<RoundAnswer>,
    /// The ledger's token price when the round was taken (none posted: `None`),
    /// which caps what providers are paid ([`paid_value_cap`]).
    pub price: Option<TokenPrice>,
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
    /// The deal.
    pub deal: Hash,
    /// Its provider.
    pub provider: DeviceId,
    /// Whether the provider proved it kept the data this epoch.
    pub proven: bool,
    /// Why the deal failed.
    pub reason: Option<String>,
}

/// What [`score`] yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageScores {
    /// Every deal of the rounds, in id order.
    pub outcomes: Vec<DealOutcome>,
    /// Started MiB proven in deals paid at or above the work floor price, per
    /// provider.
    pub work: BTreeMap<DeviceId, u64>,
    /// Credits earned from consumers, per provider.
    pub usage: BTreeMap<DeviceId, u64>,
    /// The most each provider may be paid for the epoch ([`paid_value_cap`] of its
    /// credits earned); providers with no entry may be paid nothing.
    pub caps: BTreeMap<DeviceId, u64>,
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
            let mib = d.manifest.size.div_ceil(MIB);
            // Below the floor a deal earns usage (capped by what it paid), no work.
            if d.price_per_epoch >= mib.saturating_mul(params.work_floor_price_per_mib_epoch) {
                let w = out.work.entry(d.provider).or_insert(0);
                *w = w.saturating_add(mib);
            }
            let u = out.usage.entry(d.provider).or_insert(0);
            *u = u.saturating_add(d.price_per_epoch);
            let c = out.caps.entry(d.provider).or_insert(0);
            *c = c.saturating_add(paid_value_cap(round.price.as_ref(), d.price_per_epoch));
        }
    }
    out.outcomes.sort_by_key(|o| o.deal);
    out
}

/// Caps each device's payout at `caps` (no entry: nothing), so that no provider
/// is paid more than the token value of what its deals paid. What is held back is
/// not minted.
pub fn apply_caps(paid: &mut BTreeMap<DeviceId, u64>, caps: &BTreeMap<DeviceId, u64>) {
    for (device, amount) in paid.iter_mut() {
        *amount = (*amount).min(caps.get(device).copied().unwrap_or(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::{Address, Keypair};
    use plinth_storage::{prove_from_memory, Commitment, ProofError};

    const CHUNK: u32 = 64 * 1024;
    /// $1 per token of 6 decimals, credits of $0.00001: a credit is worth 10 units.
    const PRICE: TokenPrice = TokenPrice {
        micro_usd_per_token: 1_000_000,
        credit_micro_usd: 10,
        decimals: 6,
    };

    fn params() -> StorageFamilyParams {
        StorageFamilyParams::default()
    }

    fn provider(i: u8) -> DeviceId {
        DeviceId(Keypair::from_seed([i; 32]).public())
    }

    fn devices(active: &[u8], retired: &[u8]) -> BTreeMap<DeviceId, DeviceInfo> {
        let info = |i: u8, active: bool| {
            (
                provider(i),
                DeviceInfo {
                    id: provider(i),
                    owner: Address(Keypair::from_seed([200; 32]).public()),
                    location: 0,
                    active,
                },
            )
        };
        active
            .iter()
            .map(|&i| info(i, true))
            .chain(retired.iter().map(|&i| info(i, false)))
            .collect()
    }

    /// A file of `size` pseudo-random bytes, different per `tag`.
    fn file(tag: u8, size: usize) -> Vec<u8> {
        (0..size)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ tag)
            .collect()
    }

    /// A deal of `provider` over `data` at `price` credits per epoch.
    struct Stored {
        deal: RoundDeal,
        commitment: Commitment,
        data: Vec<u8>,
    }

    fn stored(tag: u8, provider_index: u8, size: usize, price: u64) -> Stored {
        let data = file(tag, size);
        let commitment = Commitment::of_bytes(&data, CHUNK).unwrap();
        Stored {
            deal: RoundDeal {
                id: Hash::of(&[tag]),
                provider: provider(provider_index),
                manifest: commitment.manifest,
                price_per_epoch: price,
            },
            commitment,
            data,
        }
    }

    fn round(deals: Vec<RoundDeal>, answers: Vec<RoundAnswer>) -> StorageRound {
        StorageRound {
            network: "storage".into(),
            epoch: 7,
            seed_height: 80,
            seed: Hash::of(b"block 80"),
            deals,
            answers,
            price: Some(PRICE),
        }
    }

    /// The honest proof of `s` in `r`.
    fn honest(r: &StorageRound, s: &Stored) -> plinth_storage::StorageProof {
        let challenge = r.challenge(&params(), &s.deal);
        prove_from_memory(&s.commitment, &s.data, &challenge)
    }

    fn answer(deal: &RoundDeal, proof: Option<Vec<u8>>, error: Option<&str>) -> RoundAnswer {
        RoundAnswer {
            deal: deal.id,
            proof,
            error: error.map(str::to_string),
        }
    }

    /// A round of the one deal `s`, answered with `proof` as `f` leaves it.
    fn answered(
        s: &Stored,
        f: impl FnOnce(&mut plinth_storage::StorageProof),
    ) -> (StorageRound, DealOutcome) {
        let mut r = round(vec![s.deal.clone()], vec![]);
        let mut proof = honest(&r, s);
        f(&mut proof);
        r.answers = vec![answer(&s.deal, Some(proof.encode()), None)];
        let scores = score(&params(), &devices(&[1], &[]), &[r.clone()]);
        assert_eq!(scores.outcomes.len(), 1);
        (r, scores.outcomes[0].clone())
    }

    #[test]
    fn an_honest_proof_is_proven_and_earns_started_mib_and_the_price() {
        // 2 MiB and one byte: three started MiB.
        let s = stored(1, 1, 2 * MIB as usize + 1, 40);
        let mut r = round(vec![s.deal.clone()], vec![]);
        let proof = honest(&r, &s);
        assert_eq!(proof.items.len(), params().challenge_items);
        r.answers = vec![answer(&s.deal, Some(proof.encode()), None)];
        let scores = score(&params(), &devices(&[1], &[]), &[r]);
        assert_eq!(
            scores.outcomes,
            vec![DealOutcome {
                deal: s.deal.id,
                provider: provider(1),
                proven: true,
                reason: None,
            }]
        );
        assert_eq!(scores.work, BTreeMap::from([(provider(1), 3)]));
        assert_eq!(scores.usage, BTreeMap::from([(provider(1), 40)]));
    }

    #[test]
    fn a_providers_proven_deals_add_up() {
        let a = stored(1, 1, 1_000, 5);
        let b = stored(2, 1, MIB as usize + 10, 7);
        let c = stored(3, 2, 300_000, 11);
        let mut r = round(vec![a.deal.clone(), b.deal.clone(), c.deal.clone()], vec![]);
        r.answers = [&a, &b, &c]
            .iter()
            .map(|s| answer(&s.deal, Some(honest(&r, s).encode()), None))
            .collect();
        let scores = score(&params(), &devices(&[1, 2], &[]), &[r]);
        assert!(scores.outcomes.iter().all(|o| o.proven));
        assert_eq!(
            scores.work,
            BTreeMap::from([(provider(1), 1 + 2), (provider(2), 1)])
        );
        assert_eq!(
            scores.usage,
            BTreeMap::from([(provider(1), 5 + 7), (provider(2), 11)])
        );
    }

    #[test]
    fn no_answer_or_an_agent_error_fails_the_deal() {
        let s = stored(1, 1, 10_000, 5);
        let cases = [
            (vec![], "no answer recorded"),
            (
                vec![answer(&s.deal, None, Some("connection refused"))],
                "connection refused",
            ),
            (
                vec![answer(&s.deal, None, None)],
                "the agent did not answer",
            ),
            // An answer for another deal is no answer for this one.
            (
                vec![RoundAnswer {
                    deal: Hash::of(b"other"),
                    proof: Some(vec![1, 2, 3]),
                    error: None,
                }],
                "no answer recorded",
            ),
        ];
        for (answers, reason) in cases {
            let r = round(vec![s.deal.clone()], answers);
            let scores = score(&params(), &devices(&[1], &[]), &[r]);
            assert_eq!(scores.outcomes.len(), 1);
            assert!(!scores.outcomes[0].proven);
            assert_eq!(scores.outcomes[0].reason.as_deref(), Some(reason));
            assert!(scores.work.is_empty() && scores.usage.is_empty());
        }
    }

    #[test]
    fn malformed_proof_bytes_fail_the_deal() {
        let s = stored(1, 1, 10_000, 5);
        let r = round(vec![s.deal.clone()], vec![]);
        let mut truncated = honest(&r, &s).encode();
        truncated.pop();
        for bytes in [vec![], vec![0xFF; 7], truncated] {
            let mut r = r.clone();
            r.answers = vec![answer(&s.deal, Some(bytes), None)];
            let scores = score(&params(), &devices(&[1], &[]), &[r]);
            let o = &scores.outcomes[0];
            assert!(!o.proven);
            assert!(
                o.reason
                    .as_deref()
                    .unwrap()
                    .starts_with("malformed proof: "),
                "{:?}",
                o.reason
            );
            assert!(scores.work.is_empty() && scores.usage.is_empty());
        }
    }

    #[test]
    fn a_tampered_or_incomplete_proof_fails_with_the_segment_at_fault() {
        let s = stored(1, 1, 200_000, 5);
        // One flipped byte in a segment: its bytes no longer hash to the leaf.
        let mut at = 0;
        let (_, o) = answered(&s, |p| {
            at = p.items[1].index;
            p.items[1].segment[17] ^= 1;
        });
        assert!(!o.proven);
        assert_eq!(
            o.reason,
            Some(ProofError::WrongLeaf { index: at }.to_string())
        );
        // The bytes and the leaf both changed: the path no longer leads to the root.
        let (_, o) = answered(&s, |p| {
            at = p.items[0].index;
            p.items[0].segment[0] ^= 1;
            p.items[0].leaf = s.commitment.manifest.segment_leaf(at, &p.items[0].segment);
        });
        assert_eq!(
            o.reason,
            Some(ProofError::BadPath { index: at }.to_string())
        );
        // One challenged segment left out.
        let (_, o) = answered(&s, |p| at = p.items.pop().unwrap().index);
        assert!(!o.proven);
        assert_eq!(
            o.reason,
            Some(ProofError::MissingItem { index: at }.to_string())
        );
        // Last epoch's proof replayed.
        let (_, o) = answered(&s, |p| p.epoch -= 1);
        assert_eq!(
            o.reason,
            Some(
                ProofError::WrongEpoch {
                    expected: 7,
                    got: 6
                }
                .to_string()
            )
        );
    }

    #[test]
    fn a_failed_deal_does_not_spoil_its_neighbours() {
        let good = stored(1, 1, 50_000, 5);
        let bad = stored(2, 1, 50_000, 9);
        let mut r = round(vec![good.deal.clone(), bad.deal.clone()], vec![]);
        let mut forged = honest(&r, &bad);
        forged.items[0].segment[0] ^= 0x80;
        r.answers = vec![
            answer(&good.deal, Some(honest(&r, &good).encode()), None),
            answer(&bad.deal, Some(forged.encode()), None),
        ];
        let scores = score(&params(), &devices(&[1], &[]), &[r]);
        let by_deal: BTreeMap<Hash, &DealOutcome> =
            scores.outcomes.iter().map(|o| (o.deal, o)).collect();
        assert!(by_deal[&good.deal.id].proven);
        assert!(!by_deal[&bad.deal.id].proven);
        assert!(by_deal[&bad.deal.id].reason.is_some());
        assert_eq!(scores.work, BTreeMap::from([(provider(1), 1)]));
        assert_eq!(scores.usage, BTreeMap::from([(provider(1), 5)]));
    }

    #[test]
    fn inactive_or_unknown_providers_get_outcomes_but_no_score() {
        let retired = stored(1, 1, 10_000, 5);
        let unknown = stored(2, 9, 10_000, 7);
        let active = stored(3, 2, 10_000, 11);
        let all = [&retired, &unknown, &active];
        let mut r = round(all.iter().map(|s| s.deal.clone()).collect(), vec![]);
        r.answers = all
            .iter()
            .map(|s| answer(&s.deal, Some(honest(&r, s).encode()), None))
            .collect();
        let scores = score(&params(), &devices(&[2], &[1]), &[r]);
        assert_eq!(scores.outcomes.len(), 3);
        assert!(scores
            .outcomes
            .iter()
            .all(|o| o.proven && o.reason.is_none()));
        assert_eq!(scores.work, BTreeMap::from([(provider(2), 1)]));
        assert_eq!(scores.usage, BTreeMap::from([(provider(2), 11)]));
    }

    #[test]
    fn a_deal_listed_twice_is_scored_once() {
        let s = stored(1, 1, MIB as usize + 1, 5);
        let mut r = round(vec![s.deal.clone(), s.deal.clone()], vec![]);
        let a = answer(&s.deal, Some(honest(&r, &s).encode()), None);
        r.answers = vec![a.clone(), a];
        // Twice in one round.
        let scores = score(&params(), &devices(&[1], &[]), &[r.clone()]);
        assert_eq!(scores.outcomes.len(), 1);
        assert!(scores.outcomes[0].proven);
        assert_eq!(scores.work, BTreeMap::from([(provider(1), 2)]));
        assert_eq!(scores.usage, BTreeMap::from([(provider(1), 5)]));
        // And again in a second round.
        let scores = score(&params(), &devices(&[1], &[]), &[r.clone(), r]);
        assert_eq!(scores.outcomes.len(), 1);
        assert_eq!(scores.work, BTreeMap::from([(provider(1), 2)]));
        assert_eq!(scores.usage, BTreeMap::from([(provider(1), 5)]));
    }

    #[test]
    fn outcomes_are_in_deal_id_order_and_scoring_is_deterministic() {
        let stores: Vec<Stored> = (1..=6)
            .map(|i| stored(i, i % 3, 3_000 * i as usize, i as u64))
            .collect();
        let mut deals: Vec<RoundDeal> = stores.iter().map(|s| s.deal.clone()).collect();
        // Listed out of id order, and split over two rounds.
        deals.sort_by_key(|d| std::cmp::Reverse(d.id));
        let mut first = round(deals[..3].to_vec(), vec![]);
        let mut second = round(deals[3..].to_vec(), vec![]);
        second.seed = Hash::of(b"another seed");
        for r in [&mut first, &mut second] {
            r.answers = stores
                .iter()
                .filter(|s| s.deal.id != stores[0].deal.id)
                .map(|s| answer(&s.deal, Some(honest(r, s).encode()), None))
                .collect();
        }
        let rounds = [first, second];
        let devs = devices(&[0, 1, 2], &[]);
        let scores = score(&params(), &devs, &rounds);
        let ids: Vec<Hash> = scores.outcomes.iter().map(|o| o.deal).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(ids.len(), 6);
        let proven = scores.outcomes.iter().filter(|o| o.proven).count();
        assert_eq!(proven, 5, "all but the unanswered deal");
        assert_eq!(scores, score(&params(), &devs, &rounds));
    }
}
