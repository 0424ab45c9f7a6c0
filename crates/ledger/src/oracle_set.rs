//! The oracle set and the messages it signs.
//!
//! The oracles are keys of which any `threshold` together vouch for what the chain
//! cannot see for itself: a network's rewards for an epoch ([`ManifestHeader`], over
//! its [`ManifestEntry`] leaves), the token's price ([`PricePoint`]) and the
//! outcome of storage challenges ([`StorageSettlement`]). Each travels in an
//! envelope: the message, which names the chain's identity, and at most
//! [`MAX_MANIFEST_SIGNATURES`] [`OracleSignature`]s over its domain-tagged
//! encoding. Every call that carries one checks it the same way:
//!
//! ```text
//!  check_envelope   cheap, first: signature count, the chain's identity
//!  the call's own checks (epoch over, price newer, …)
//!  check_quorum     expensive, last: valid signatures of `threshold` distinct members
//! ```
//!
//! Each message kind has its own domain tag (`plinth/manifest/v1`,
//! `plinth/price/v1`, `plinth/storage-settlement/v1`), so a signature over one kind
//! is never valid for another. The modules that act on these messages
//! ([`crate::rewards`], [`crate::credits`], [`crate::storage`]) re-export them.
//!
//! # Which set signs for which epoch
//!
//! The set changes by transaction ([`crate::Call::SetOracleSet`], applied by the
//! `oracle_schedule` module), effective from a named epoch. State keeps a base
//! set (the genesis's, under `sys/oracles`) and the scheduled sets
//! `(from_epoch, set)` sorted by epoch (`sys/oracle_schedule`). The set in force
//! at epoch `e` ([`oracle_set_at`]) is the last scheduled set with
//! `from_epoch ≤ e`, else the base. A message counts signatures of the set in
//! force at the epoch it is about: a manifest at its `header.epoch`, a storage
//! settlement at its `settlement.epoch`, a price at the block's epoch. So a key
//! rotated out at epoch `N` still signs manifests of epochs before `N` (they are
//! paid without a pause) and none from `N` on.
//!
//! ```text
//!  base (genesis) ── from 3: {A,B,C} 2-of-3 ── from 9: {A,B,D} 2-of-3 ── …
//!  oracle_set_at(2) = base   oracle_set_at(5) = {A,B,C}   oracle_set_at(9) = {A,B,D}
//! ```
//!
//! When a set is scheduled, entries no acceptable manifest can still need are
//! folded into the base: those superseded by a later entry whose `from_epoch` is
//! at most `current − manifest_max_age_epochs` (manifests older than that are
//! refused anyway). A storage settlement of an epoch older than that window is
//! checked against the set in force at the window's start.

use crate::context::Fail;
use crate::error::{LedgerError, TxError};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use crate::{keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::merkle::{self, Proof};
use plinth_core::{Address, DeviceId, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most oracle signatures one manifest may carry.
pub const MAX_MANIFEST_SIGNATURES: usize = 64;

/// Most oracle sets scheduled and not yet in force at once.
pub const MAX_PENDING_ORACLE_SETS: usize = 8;

const MANIFEST_DOMAIN: &[u8] = b"plinth/manifest/v1";
const PRICE_DOMAIN: &[u8] = b"plinth/price/v1";
const SETTLEMENT_DOMAIN: &[u8] = b"plinth/storage-settlement/v1";
const CHECKS_DOMAIN: &[u8] = b"plinth/compute-checks/v1";
const VERDICT_DOMAIN: &[u8] = b"plinth/job-verdict/v1";

/// The oracles whose signatures make a reward manifest valid: any `threshold` of
/// `members`. The genesis's `[oracles]` section is the base set, kept in state
/// under `sys/oracles`; later sets are scheduled by transaction ([`oracle_set_at`]).
/// Empty (the default) means the chain accepts no manifests.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct OracleSet {
    /// Distinct members whose signatures a manifest needs.
    pub threshold: u32,
    /// The oracles' addresses.
    pub members: Vec<Address>,
}

impl OracleSet {
    /// Checks the set's shape; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for m in &self.members {
            if !seen.insert(m) {
                return Err(format!("oracle {m} listed twice"));
            }
        }
        if self.threshold as usize > self.members.len() {
            return Err(format!(
                "oracle threshold {} exceeds the {} members",
                self.threshold,
                self.members.len()
            ));
        }
        if !self.members.is_empty() && self.threshold == 0 {
            return Err("oracle threshold must be at least 1".into());
        }
        if self.threshold as usize > MAX_MANIFEST_SIGNATURES {
            return Err(format!(
                "oracle threshold {} exceeds the {MAX_MANIFEST_SIGNATURES} signatures a manifest may carry",
                self.threshold
            ));
        }
        Ok(())
    }

    /// Whether manifests can be accepted at all.
    pub fn is_active(&self) -> bool {
        self.threshold > 0 && !self.members.is_empty()
    }

    /// How many distinct members made a valid signature over `header`. Signatures of
    /// non-members, bad signatures and repeats of a member count for nothing; only a
    /// member's first signature is checked, so a manifest costs at most one
    /// signature check per member however its signatures are padded.
    pub fn count_valid(&self, header: &ManifestHeader, signatures: &[OracleSignature]) -> u32 {
        self.count_valid_bytes(&header.signing_bytes(), signatures)
    }

    /// [`OracleSet::count_valid`] over any domain-tagged message.
    pub fn count_valid_bytes(&self, msg: &[u8], signatures: &[OracleSignature]) -> u32 {
        let members: BTreeSet<&Address> = self.members.iter().collect();
        let mut seen = BTreeSet::new();
        let mut valid = 0;
        for s in signatures {
            if !members.contains(&s.oracle) || !seen.insert(s.oracle) {
                continue;
            }
            if s.oracle.key().verify(msg, &s.signature).is_ok() {
                valid += 1;
            }
        }
        valid
    }
}

/// One oracle's signature over [`ManifestHeader::signing_bytes`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct OracleSignature {
    /// The oracle that signed.
    pub oracle: Address,
    /// Its signature over the message's signing bytes.
    pub signature: Signature,
}

impl OracleSignature {
    /// `key`'s signature over `msg` (domain-tagged signing bytes).
    pub fn over(key: &Keypair, msg: &[u8]) -> OracleSignature {
        OracleSignature {
            oracle: Address(key.public()),
            signature: key.sign(msg),
        }
    }
}

/// What an oracle signs: a domain tag, then the value's canonical encoding.
pub(crate) fn domain_bytes<T: BorshSerialize>(domain: &[u8], value: &T) -> Vec<u8> {
    let mut out = domain.to_vec();
    borsh::to_writer(&mut out, value).expect("vec write");
    out
}

/// The cheap checks of any oracle-signed message (manifest, price, settlement): at
/// most [`MAX_MANIFEST_SIGNATURES`] signatures, and this chain's identity (from its
/// genesis hash: a message signed for another chain with the same `chain_id` string
/// is refused).
pub(crate) fn check_envelope(
    params: &ChainParams,
    chain: &Hash,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    if signatures.len() > MAX_MANIFEST_SIGNATURES {
        return Err(TxError::TooManySignatures {
            count: signatures.len() as u64,
            limit: MAX_MANIFEST_SIGNATURES as u64,
        }
        .into());
    }
    if *chain != params.chain {
        return Err(TxError::WrongChain {
            expected: params.chain.to_string(),
            found: chain.to_string(),
        }
        .into());
    }
    Ok(())
}

/// The expensive check, done last: valid signatures over `msg` (domain-tagged
/// signing bytes) of at least `threshold` distinct members of the oracle set in
/// force at `epoch` (the epoch the message is about; see the module docs).
pub(crate) fn check_quorum<S: Store>(
    state: &Overlay<'_, S>,
    epoch: u64,
    msg: &[u8],
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    let set = oracle_set_at(state, epoch)?;
    if !set.is_active() {
        return Err(TxError::NoOracleSet.into());
    }
    let valid = set.count_valid_bytes(msg, signatures);
    if valid < set.threshold {
        return Err(TxError::NotEnoughOracleSignatures {
            valid,
            threshold: set.threshold,
        }
        .into());
    }
    Ok(())
}

/// The base oracle set in state: the genesis's, or the latest scheduled set
/// folded into it (empty on a chain without oracles). The set in force at an
/// epoch is [`oracle_set_at`].
pub fn oracle_set<S: Store>(state: &Overlay<'_, S>) -> Result<OracleSet, LedgerError> {
    state.get_or_default(keys::ORACLES)
}

/// The scheduled sets `(from_epoch, set)`, sorted by epoch, without the base.
pub(crate) fn scheduled<S: Store>(
    state: &Overlay<'_, S>,
) -> Result<Vec<(u64, OracleSet)>, LedgerError> {
    state.get_or_default(keys::ORACLE_SCHEDULE)
}

/// The oracle set in force at `epoch`: the last scheduled set with
/// `from_epoch ≤ epoch`, else the base. (For an epoch older than the schedule
/// still keeps, the set in force at the oldest epoch it keeps; see the module
/// docs.)
pub fn oracle_set_at<S: Store>(
    state: &Overlay<'_, S>,
    epoch: u64,
) -> Result<OracleSet, LedgerError> {
    let entries = scheduled(state)?;
    match entries.into_iter().rev().find(|(from, _)| *from <= epoch) {
        Some((_, set)) => Ok(set),
        None => oracle_set(state),
    }
}

/// The whole schedule: the base set as `from_epoch` 0 first, then every
/// scheduled set `(from_epoch, set)` in epoch order.
pub fn oracle_schedule<S: Store>(
    state: &Overlay<'_, S>,
) -> Result<Vec<(u64, OracleSet)>, LedgerError> {
    let mut out = vec![(0, oracle_set(state)?)];
    out.extend(scheduled(state)?);
    Ok(out)
}

/// What the oracle quorum signs for one network and epoch: the merkle root of the
/// entries, their sum and count, and what they were computed from.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ManifestHeader {
    /// The chain's identity ([`plinth_core::chain_identity`]).
    pub chain: Hash,
    /// The network the manifest pays.
    pub network: String,
    /// The reward epoch it pays.
    pub epoch: u64,
    /// [`manifest_root`] of the entries.
    pub root: Hash,
    /// Σ amounts of the entries.
    pub total: Amount,
    /// Number of entries (the merkle tree's leaf count).
    pub devices: u64,
    /// Hash of the list of spool batch hashes the oracle scored; opaque to the
    /// ledger, it lets anyone audit the epoch.
    pub inputs: Hash,
    /// The height of the block whose device registry the entries were scored over
    /// (the registry snapshot among the inputs names it; co-signers and audits
    /// check it against the ledger's registry digest at that height). 0: none.
    pub registry_height: u64,
    /// [`awards_root`] of the epoch's awards (a custom family's credits per tag,
    /// e.g. the first mappers of an H3 cell; bursts pay on them). Zero: none.
    pub awards: Hash,
    /// Number of awards (the awards tree's leaf count).
    pub award_count: u64,
}

impl ManifestHeader {
    /// The bytes each oracle signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        domain_bytes(MANIFEST_DOMAIN, self)
    }

    /// `key`'s signature over this header.
    pub fn sign(&self, key: &Keypair) -> OracleSignature {
        OracleSignature::over(key, &self.signing_bytes())
    }
}

/// One leaf of a manifest: what a device earned and who receives it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct ManifestEntry {
    /// The device that earned.
    pub device: DeviceId,
    /// Who receives the amount.
    pub owner: Address,
    /// Tokens earned, in the smallest unit.
    pub amount: Amount,
}

impl ManifestEntry {
    /// The entry's merkle leaf: the leaf hash of its canonical encoding.
    pub fn leaf(&self) -> Hash {
        merkle::leaf_hash(&plinth_core::encode(self))
    }
}

/// The merkle root over `entries` in order (the zero hash for none).
pub fn manifest_root(entries: &[ManifestEntry]) -> Hash {
    let leaves: Vec<Hash> = entries.iter().map(ManifestEntry::leaf).collect();
    merkle::root(&leaves)
}

/// The inclusion proof of `entries[index]` under [`manifest_root`]. Builds the tree
/// each call; callers proving many entries should batch on their side.
pub fn manifest_proof(entries: &[ManifestEntry], index: usize) -> Option<Proof> {
    let leaves: Vec<Hash> = entries.iter().map(ManifestEntry::leaf).collect();
    merkle::prove(&leaves, index)
}

/// The most devices one award names.
pub const MAX_AWARD_DEVICES: usize = 8;

/// One award of a custom family's epoch: the devices it credits with `tag` (what
/// a tag means is the family's: the mapping family's is an H3 cell, its devices
/// the cell's first corroborated mappers). A burst on the tag pays them.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Award {
    /// The family's tag.
    pub tag: u64,
    /// The devices credited, strictly ascending, 1 to [`MAX_AWARD_DEVICES`].
    pub devices: Vec<DeviceId>,
}

impl Award {
    /// The award's merkle leaf: the leaf hash of a domain tag and its encoding.
    pub fn leaf(&self) -> Hash {
        merkle::leaf_hash(&domain_bytes(b"plinth/award/v1", self))
    }
}

/// The merkle root over `awards` in order (the zero hash for none).
pub fn awards_root(awards: &[Award]) -> Hash {
    let leaves: Vec<Hash> = awards.iter().map(Award::leaf).collect();
    merkle::root(&leaves)
}

/// The inclusion proof of `awards[index]` under [`awards_root`].
pub fn award_proof(awards: &[Award], index: usize) -> Option<Proof> {
    let leaves: Vec<Hash> = awards.iter().map(Award::leaf).collect();
    merkle::prove(&leaves, index)
}

/// The token's price as the oracle set signs it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct PricePoint {
    /// The chain's identity ([`plinth_core::chain_identity`]).
    pub chain: plinth_core::Hash,
    /// Micro-USD per whole token (1_250_000 = $1.25).
    pub micro_usd_per_token: u64,
    /// When the oracles observed the price, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl PricePoint {
    /// The bytes each oracle signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        domain_bytes(PRICE_DOMAIN, self)
    }

    /// `key`'s signature over this price.
    pub fn sign(&self, key: &Keypair) -> OracleSignature {
        OracleSignature::over(key, &self.signing_bytes())
    }
}

/// One deal's outcome in an epoch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct DealResult {
    /// The deal ([`crate::storage::deal_id`]).
    pub deal: Hash,
    /// Whether its provider proved it held the file in that epoch.
    pub proven: bool,
}

/// What the oracle quorum signs to settle deals of one network for one epoch.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StorageSettlement {
    /// The chain's identity ([`plinth_core::chain_identity`]).
    pub chain: Hash,
    /// The storage network whose deals are settled.
    pub network: String,
    /// The epoch settled.
    pub epoch: u64,
    /// One result per deal (at most [`crate::storage::MAX_SETTLEMENT_RESULTS`]).
    pub results: Vec<DealResult>,
}

impl StorageSettlement {
    /// The bytes each oracle signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        domain_bytes(SETTLEMENT_DOMAIN, self)
    }

    /// `key`'s signature over this settlement.
    pub fn sign(&self, key: &Keypair) -> OracleSignature {
        OracleSignature::over(key, &self.signing_bytes())
    }
}

/// One lease's capacity checks in an epoch, in the order the oracle ran them.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct LeaseChecks {
    /// The lease ([`crate::compute_types::Lease::id`]).
    pub lease: Hash,
    /// Each check's outcome, oldest first (at most 64): `true` passed (answered
    /// correctly before its deadline).
    pub results: Vec<bool>,
}

/// What the oracle quorum signs about the capacity checks of one compute network's
/// leases in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ComputeChecks {
    /// The chain's identity ([`plinth_core::chain_identity`]).
    pub chain: Hash,
    /// The compute network.
    pub network: String,
    /// The epoch the checks ran in.
    pub epoch: u64,
    /// One entry per lease checked (at most [`crate::compute_types::MAX_CHECK_RESULTS`]).
    pub leases: Vec<LeaseChecks>,
}

impl ComputeChecks {
    /// The bytes each oracle signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        domain_bytes(CHECKS_DOMAIN, self)
    }

    /// `key`'s signature over these checks.
    pub fn sign(&self, key: &Keypair) -> OracleSignature {
        OracleSignature::over(key, &self.signing_bytes())
    }
}

/// One re-executed task: whether the provider's revealed result hash equals the
/// oracle's own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct TaskCheck {
    /// The task.
    pub task: u32,
    /// Whether the revealed result is the re-executed one.
    pub ok: bool,
}

/// What the oracle quorum signs after spot-checking a revealed claim: the tasks it
/// drew (from the hash of the block at `seed_height`, the first block after the
/// reveal) and what re-executing them gave.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct JobVerdict {
    /// The chain's identity.
    pub chain: Hash,
    /// The claim checked.
    pub claim: Hash,
    /// The epoch of the block at `seed_height` (names the oracle set that signs).
    pub epoch: u64,
    /// The block whose hash seeded the draw.
    pub seed_height: u64,
    /// The drawn tasks, ascending, with their outcome (at most
    /// [`crate::compute_types::MAX_CLAIM_TASKS`]).
    pub checks: Vec<TaskCheck>,
}

impl JobVerdict {
    /// The bytes each oracle signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        domain_bytes(VERDICT_DOMAIN, self)
    }

    /// `key`'s signature over this verdict.
    pub fn sign(&self, key: &Keypair) -> OracleSignature {
        OracleSignature::over(key, &self.signing_bytes())
    }
}
