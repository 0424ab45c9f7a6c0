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
//! empty manifest, so none stays open for a leaked key to mint later), only within
//! the network's share of that epoch's emission, both as in force in that epoch
//! ([`crate::governance::schedule`]), and only with valid signatures of at least
//! `threshold` distinct members of the oracle set. Its total is minted at once into [`Supply::unclaimed`]; each claim moves one
//! entry's amount to the entry's owner, whoever submits it. So an epoch of a million
//! devices costs the chain one small transaction plus one claim per owner who wants
//! the tokens.

use crate::context::{BlockContext, Fail, TxContext};
use crate::emission::{self, Supply};
use crate::error::{LedgerError, TxError};
use crate::governance::{makers, schedule};
use crate::oracle_set::{check_envelope, check_quorum};
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, credits, keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::merkle::{self, Proof};
use serde::{Deserialize, Serialize};

/// The manifest format and the oracle set live in [`crate::oracle_set`], with
/// every message the oracles sign; re-exported here, where they are used.
pub use crate::oracle_set::{
    manifest_proof, manifest_root, oracle_set, ManifestEntry, ManifestHeader, OracleSet,
    OracleSignature, MAX_MANIFEST_SIGNATURES,
};

/// An accepted manifest and how much of it has been claimed.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct RewardEpoch {
    /// The manifest as the oracle quorum signed it.
    pub header: ManifestHeader,
    /// Σ amounts claimed so far (never above `header.total`).
    pub claimed: Amount,
    /// Entries claimed so far.
    pub claims: u64,
    /// Height of the block that accepted the manifest.
    pub submitted_height: u64,
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

/// Applies a rewards call ([`Call::SubmitManifest`], [`Call::Claim`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call {
        Call::SubmitManifest { header, signatures } => {
            submit_manifest(cx.state, cx.params, cx.block, header, signatures)
        }
        Call::Claim {
            network,
            epoch,
            index,
            entry,
            proof,
        } => claim(cx.state, network, *epoch, *index, entry, proof),
        _ => unreachable!("Call::module routes only rewards calls here"),
    }
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
    // The network and the emission as in force in the manifest's epoch: a change
    // by proposal applies from the epoch after it passed, never to one under way.
    let network = schedule::network_at(state, &header.network, header.epoch)?.ok_or_else(|| {
        TxError::UnknownNetwork {
            network: header.network.clone(),
        }
    })?;
    ctx.check_epoch_over(params, header.epoch)?;
    // At admission the block's time is unknown, but not before the head's: an
    // epoch too old at the head only gets older.
    let current = ctx.current_epoch(state, params)?;
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
    let allowed = schedule::allowance_at(state, params, header.epoch, network.share_bps)?;
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
    check_quorum(state, header.epoch, &header.signing_bytes(), signatures)?;
    let mut supply: Supply = emission::supply(state)?;
    supply.mint_unclaimed(header.total)?;
    emission::save_supply(state, &supply);
    credits::record_mint(state, header.epoch, header.total)?;
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
/// once, given a merkle proof of the entry under the manifest's root; refused
/// while the entry's device has a maker revoked in `epoch` (the tokens stay unclaimed).
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
    // A revoked maker's devices earn nothing from its revocation's epoch on.
    if let Some(maker) = crate::devices::load(state, &entry.device)?.and_then(|d| d.maker) {
        makers::check_earns(state, &maker, epoch)?;
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

#[cfg(test)]
mod tests {
    //! Claims of a revoked maker's devices (issue 15): refused from the
    //! revocation's epoch on, paid before it.

    use super::*;
    use crate::devices::{Device, DeviceStatus};
    use crate::governance::makers::tests::{addr, key, tx_err};
    use crate::state::MemStore;
    use plinth_core::{Address, DeviceId, Hash, Keypair};

    const NET: &str = "factory";

    /// A network, a device made by `maker` and an accepted manifest for `epoch`
    /// paying it: the claim of entry 0 is what is left to do.
    fn manifest_for(
        s: &mut Overlay<'_, MemStore>,
        maker: &Address,
        device: &Keypair,
        epoch: u64,
    ) -> Vec<ManifestEntry> {
        let owner = addr(&key(3));
        let id = DeviceId(device.public());
        s.put_t(
            keys::network(NET),
            &Network {
                name: NET.into(),
                family: "sensor".into(),
                params_json: "{}".into(),
                share_bps: 1_000,
                usage_bps: 0,
                require_maker: true,
            },
        );
        s.put_t(
            keys::device(id.key()),
            &Device {
                id,
                owner,
                network: NET.into(),
                location: 0,
                status: DeviceStatus::Active,
                registered_height: 1,
                maker: Some(*maker),
            },
        );
        let entries = vec![ManifestEntry {
            device: id,
            owner,
            amount: 100,
        }];
        let header = ManifestHeader {
            chain: Hash::ZERO,
            network: NET.into(),
            epoch,
            root: manifest_root(&entries),
            total: 100,
            devices: 1,
            inputs: Hash::ZERO,
            registry_height: 0,
            awards: plinth_core::Hash::ZERO,
            award_count: 0,
        };
        s.put_t(
            keys::reward_epoch(NET, epoch),
            &RewardEpoch {
                header,
                claimed: 0,
                claims: 0,
                submitted_height: 1,
            },
        );
        let mut supply = emission::supply(s).unwrap_or_default();
        supply.mint_unclaimed(100).unwrap();
        emission::save_supply(s, &supply);
        entries
    }

    #[test]
    fn claims_of_a_revoked_makers_devices_are_refused_from_the_revocation_epoch() {
        let store = MemStore::new();
        let mut s = Overlay::new(&store);
        let acme = addr(&key(1));
        makers::approve(&mut s, &acme, "Acme", 0, 1).unwrap();
        let early = manifest_for(&mut s, &acme, &key(9), 3);
        let late = manifest_for(&mut s, &acme, &key(9), 4);
        makers::revoke(&mut s, &acme, 4).unwrap();

        let claim = |s: &mut Overlay<'_, MemStore>, epoch, entries: &[ManifestEntry]| {
            let proof = manifest_proof(entries, 0).unwrap();
            claim(s, NET, epoch, 0, &entries[0], &proof)
        };
        assert_eq!(
            tx_err(claim(&mut s, 4, &late)),
            TxError::MakerRevoked {
                maker: acme.to_string(),
                from_epoch: 4
            }
        );
        assert!(!is_claimed(&s, NET, 4, 0).unwrap());
        // The epoch before the revocation still pays.
        claim(&mut s, 3, &early).unwrap();
        assert!(is_claimed(&s, NET, 3, 0).unwrap());
        assert_eq!(
            crate::accounts::load(&s, &addr(&key(3)))
                .unwrap()
                .unwrap()
                .balance,
            100
        );
        let supply = emission::supply(&s).unwrap();
        assert_eq!((supply.minted, supply.unclaimed), (200, 100));
    }
}
