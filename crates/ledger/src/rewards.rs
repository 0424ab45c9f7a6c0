//! Rewards: epoch manifests signed by the oracle quorum, claimed lazily with merkle
//! proofs.
//!
//! ```text
//!  oracle: entries (device, owner, amount) ──▶ merkle root ──▶ ManifestHeader
//!                                                   │ k of n oracles sign
//!  SubmitManifest { header, signatures } ──▶ checks ──▶ RewardEpoch, total minted
//!                                                        into the unclaimed pool
//!  Claim { entry, proof } ──▶ proof under the root, not claimed yet ──▶ owner credited
//! ```
//!
//! A manifest is accepted once per (network, epoch), only after the epoch is over
//! and at most `manifest_max_age_epochs` epochs after it (an epoch the oracles did
//! not close in time is never minted; oracles close epochs that paid nothing with an
//! empty manifest, so none stays open for a leaked key to mint later), only within the network's share of that epoch's emission ([`crate::emission`]), and
//! only with valid signatures of at least `threshold` distinct members of the oracle
//! set. Its total is minted at once into [`Supply::unclaimed`]; each claim moves one
//! entry's amount to the entry's owner, whoever submits it. So an epoch of a million
//! devices costs the chain one small transaction plus one claim per owner who wants
//! the tokens.

use crate::accounts;
use crate::emission::{self, Supply};
use crate::error::{LedgerError, TxError};
use crate::execute::{BlockContext, Fail};
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::{keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::merkle::{self, Proof};
use plinth_core::{Address, DeviceId, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most oracle signatures one manifest may carry.
pub const MAX_MANIFEST_SIGNATURES: usize = 64;

const MANIFEST_DOMAIN: &[u8] = b"plinth/manifest/v1";

/// The oracles whose signatures make a reward manifest valid: any `threshold` of
/// `members`. The genesis's `[oracles]` section; kept in state under `sys/oracles`.
/// Empty (the default) means the chain accepts no manifests.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct OracleSet {
    /// Distinct members whose signatures a manifest needs.
    pub threshold: u32,
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

/// What the oracle quorum signs for one network and epoch: the merkle root of the
/// entries, their sum and count, and what they were computed from.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ManifestHeader {
    /// The chain's identity ([`plinth_core::chain_identity`]).
    pub chain: Hash,
    pub network: String,
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

/// What an oracle signs: a domain tag, then the value's canonical encoding.
pub(crate) fn domain_bytes<T: BorshSerialize>(domain: &[u8], value: &T) -> Vec<u8> {
    let mut out = domain.to_vec();
    borsh::to_writer(&mut out, value).expect("vec write");
    out
}

/// One oracle's signature over [`ManifestHeader::signing_bytes`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct OracleSignature {
    pub oracle: Address,
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

/// One leaf of a manifest: what a device earned and who receives it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct ManifestEntry {
    pub device: DeviceId,
    pub owner: Address,
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

/// An accepted manifest and how much of it has been claimed.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RewardEpoch {
    pub header: ManifestHeader,
    /// Σ amounts claimed so far (never above `header.total`).
    pub claimed: Amount,
    /// Entries claimed so far.
    pub claims: u64,
    /// Height of the block that accepted the manifest.
    pub submitted_height: u64,
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
/// signing bytes) of at least `threshold` distinct members of the oracle set.
pub(crate) fn check_quorum<S: Store>(
    state: &Overlay<'_, S>,
    msg: &[u8],
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    let set = oracle_set(state)?;
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

/// The oracle set in state (empty before one is set).
pub fn oracle_set<S: Store>(state: &Overlay<'_, S>) -> Result<OracleSet, LedgerError> {
    Ok(state.get_t::<OracleSet>(keys::ORACLES)?.unwrap_or_default())
}

/// The accepted manifest of `network` for `epoch`, if any.
pub fn reward_epoch<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    epoch: u64,
) -> Result<Option<RewardEpoch>, LedgerError> {
    if !known_network(state, network)? {
        return Ok(None);
    }
    state.get_t(&keys::reward_epoch(network, epoch))
}

/// Whether entry `index` of `network`'s manifest for `epoch` has been claimed.
pub fn is_claimed<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    epoch: u64,
    index: u64,
) -> Result<bool, LedgerError> {
    if !known_network(state, network)? {
        return Ok(false);
    }
    Ok(state
        .get(&keys::reward_claim(network, epoch, index))?
        .is_some())
}

/// Reward keys embed the network name; only names of existing networks (checked at
/// genesis to be `[a-z0-9-]`) may form them, so no crafted name can alias another
/// entry's key.
fn known_network<S: Store>(state: &Overlay<'_, S>, network: &str) -> Result<bool, LedgerError> {
    Ok(state.get(&keys::network(network))?.is_some())
}

fn load_network<S: Store>(state: &Overlay<'_, S>, network: &str) -> Result<Network, Fail> {
    state
        .get_t::<Network>(&keys::network(network))?
        .ok_or_else(|| {
            TxError::UnknownNetwork {
                network: network.to_string(),
            }
            .into()
        })
}

/// The submit-manifest call: checks the header against the chain, the schedule and
/// the oracle set, records it and mints its total into the unclaimed pool.
pub(crate) fn submit_manifest<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    header: &ManifestHeader,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    check_envelope(params, &header.chain, signatures)?;
    let network = load_network(state, &header.network)?;
    let ends_at = params
        .emission
        .epoch_end_ms(params.genesis_time_ms, header.epoch);
    if ends_at.is_none_or(|end| ctx.timestamp_ms < end) {
        return Err(TxError::EpochNotOver {
            epoch: header.epoch,
            ends_at_ms: ends_at.unwrap_or(u64::MAX),
        }
        .into());
    }
    // At admission the block's time is unknown, but not before the head's: an
    // epoch too old at the head only gets older.
    let current = if ctx.timestamp_ms == crate::execute::UNKNOWN_TIME {
        crate::storage::head_epoch(state, params)?
    } else {
        params
            .emission
            .epoch_at(params.genesis_time_ms, ctx.timestamp_ms)
    };
    if params.emission.manifest_too_old(header.epoch, current) {
        return Err(TxError::ManifestTooOld {
            epoch: header.epoch,
            current_epoch: current,
            max_age_epochs: params.emission.manifest_max_age_epochs,
        }
        .into());
    }
    let key = keys::reward_epoch(&header.network, header.epoch);
    if state.get(&key)?.is_some() {
        return Err(TxError::ManifestExists {
            network: header.network.clone(),
            epoch: header.epoch,
        }
        .into());
    }
    let allowed = params
        .emission
        .network_allowance(header.epoch, network.share_bps);
    if header.total > allowed {
        return Err(TxError::OverEmission {
            total: header.total,
            allowed,
        }
        .into());
    }
    if header.total > 0 && header.devices == 0 {
        return Err(TxError::EmptyManifest {
            total: header.total,
        }
        .into());
    }
    // Signatures last: they are the expensive check.
    check_quorum(state, &header.signing_bytes(), signatures)?;
    let mut supply: Supply = emission::supply(state)?;
    supply.mint_unclaimed(header.total)?;
    emission::save_supply(state, &supply);
    crate::credits::record_mint(state, header.epoch, header.total)?;
    state.put_t(
        key,
        &RewardEpoch {
            header: header.clone(),
            claimed: 0,
            claims: 0,
            submitted_height: ctx.height,
        },
    );
    Ok(())
}

/// The claim call: pays entry `index` of an accepted manifest to the entry's owner,
/// once, given a merkle proof of the entry under the manifest's root.
pub(crate) fn claim<S: Store>(
    state: &mut Overlay<'_, S>,
    network: &str,
    epoch: u64,
    index: u64,
    entry: &ManifestEntry,
    proof: &Proof,
) -> Result<(), Fail> {
    load_network(state, network)?;
    let key = keys::reward_epoch(network, epoch);
    let mut record: RewardEpoch = state.get_t(&key)?.ok_or_else(|| TxError::UnknownManifest {
        network: network.to_string(),
        epoch,
    })?;
    let proven = proof.index == index
        && proof.leaf_count == record.header.devices
        && merkle::verify(record.header.root, entry.leaf(), proof);
    if !proven {
        return Err(TxError::BadProof.into());
    }
    let marker = keys::reward_claim(network, epoch, index);
    if state.get(&marker)?.is_some() {
        return Err(TxError::AlreadyClaimed {
            network: network.to_string(),
            epoch,
            index,
        }
        .into());
    }
    // The quorum signed the total; entries summing past it can only come from a bad
    // manifest, and paying them would mint tokens nobody accounted for.
    record.claimed = record
        .claimed
        .checked_add(entry.amount)
        .filter(|c| *c <= record.header.total)
        .ok_or(TxError::BadProof)?;
    record.claims = record.claims.checked_add(1).ok_or(TxError::Overflow)?;
    let mut supply = emission::supply(state)?;
    supply.release_unclaimed(entry.amount)?;
    emission::save_supply(state, &supply);
    accounts::credit(state, &entry.owner, entry.amount)?;
    state.put(marker, Vec::new());
    state.put_t(key, &record);
    Ok(())
}
