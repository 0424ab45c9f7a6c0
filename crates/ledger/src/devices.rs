//! Devices: registration (signed by owner and device; on a network that requires
//! it, also by an approved maker at manufacture, see [`makers`]), ownership
//! transfer, location updates and retirement. Locations are H3 cells.
//!
//! Each network's registry has a digest in state ([`RegistryDigest`], under
//! `reg/{network}`): a [`SetHash`] over one leaf per device of the network
//! ([`registry_leaf`]: id, owner, location, active; retired devices included,
//! inactive). Every device change removes the device's old leaf and inserts its
//! new one, so the digest costs O(1) per transaction, and anyone holding a
//! registry snapshot (an oracle scoring an epoch) checks it against the chain by
//! hashing it once, in parallel if it likes ([`SetHash::combine`]).

use crate::accounts;
use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::governance::makers;
use crate::keys;
use crate::params::Network;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash, SetHash, Signature};
use serde::{Deserialize, Serialize};

/// Whether a device is in service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// In service.
    Active,
    /// Out of service for good.
    Retired,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Device {
    /// The device's key.
    pub id: DeviceId,
    /// The account that owns it.
    pub owner: Address,
    /// The network it works in.
    pub network: String,
    /// H3 cell index of the device's asserted location.
    pub location: u64,
    /// In service or retired.
    pub status: DeviceStatus,
    /// Height of the block that registered it.
    pub registered_height: u64,
    /// The approved maker that signed its key at manufacture, when it was
    /// registered with one ([`Call::RegisterMadeDevice`]).
    pub maker: Option<Address>,
}

impl Device {
    /// Whether the device is in service.
    pub fn is_active(&self) -> bool {
        self.status == DeviceStatus::Active
    }

    /// The device's leaf in its network's registry digest ([`registry_leaf`]).
    pub fn registry_leaf(&self) -> Vec<u8> {
        registry_leaf(&self.id, &self.owner, self.location, self.is_active())
    }
}

/// The digest of one network's device registry: a [`SetHash`] over the
/// [`registry_leaf`] of every device registered in it (retired ones included),
/// and how many they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RegistryDigest {
    /// The multiset hash of the network's device leaves.
    pub set: SetHash,
    /// Devices registered in the network, retired ones included.
    pub devices: u64,
}

/// A device's leaf in its network's registry digest: the canonical (borsh)
/// encoding of `(id, owner, location, active)`, byte for byte the encoding of
/// the proof families' `DeviceInfo { id, owner, location, active }`, so an oracle
/// hashes its registry snapshot with this same function.
pub fn registry_leaf(id: &DeviceId, owner: &Address, location: u64, active: bool) -> Vec<u8> {
    plinth_core::encode(&(id, owner, location, active))
}

/// The registry digest of `network` in state (the empty digest for a network
/// without devices, or without a name in state).
pub fn registry_digest<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
) -> Result<RegistryDigest, LedgerError> {
    state.get_or_default(&keys::registry(network))
}

/// What the device key signs to prove that the owner holds it, naming the chain's
/// identity ([`plinth_core::chain_identity`]) so the signature registers the
/// device on this chain only.
pub fn registration_message(
    chain: &Hash,
    owner: &Address,
    device: &DeviceId,
    network: &str,
    location: u64,
) -> Vec<u8> {
    let mut out = b"plinth/device-register/v2".to_vec();
    borsh::to_writer(&mut out, &(chain, owner, device, network, location)).expect("vec write");
    out
}

/// Checks that `cell` is a valid H3 cell index.
pub fn check_location(cell: u64) -> Result<h3o::CellIndex, TxError> {
    h3o::CellIndex::try_from(cell).map_err(|e| TxError::InvalidLocation {
        reason: e.to_string(),
    })
}

/// The device `id`, if registered.
pub fn load<S: Store>(
    state: &Overlay<'_, S>,
    id: &DeviceId,
) -> Result<Option<Device>, LedgerError> {
    state.get_t(&keys::device(id.key()))
}

/// Writes `device` (whose record was `old`, or none when it is new) and moves
/// its leaf in its network's registry digest: O(1) per change.
fn save<S: Store>(
    state: &mut Overlay<'_, S>,
    old: Option<&Device>,
    device: &Device,
) -> Result<(), Fail> {
    let mut digest = registry_digest(state, &device.network)?;
    match old {
        Some(old) => digest.set.remove(&old.registry_leaf()),
        None => digest.devices = digest.devices.checked_add(1).ok_or(TxError::Overflow)?,
    }
    digest.set.insert(&device.registry_leaf());
    state.put_t(keys::registry(&device.network), &digest);
    state.put_t(keys::device(device.id.key()), device);
    Ok(())
}

/// Loads a device the signer owns, active or retired.
pub(crate) fn owned<S: Store>(
    state: &Overlay<'_, S>,
    id: &DeviceId,
    signer: &Address,
) -> Result<Device, Fail> {
    let device = load(state, id)?.ok_or_else(|| TxError::UnknownDevice {
        device: id.to_string(),
    })?;
    if device.owner != *signer {
        return Err(TxError::NotDeviceOwner {
            device: id.to_string(),
            owner: device.owner.to_string(),
        }
        .into());
    }
    Ok(device)
}

/// Loads a device the signer owns and that is still active.
pub(crate) fn owned_active<S: Store>(
    state: &Overlay<'_, S>,
    id: &DeviceId,
    signer: &Address,
) -> Result<Device, Fail> {
    let device = owned(state, id, signer)?;
    if device.status == DeviceStatus::Retired {
        return Err(TxError::DeviceRetired {
            device: id.to_string(),
        }
        .into());
    }
    Ok(device)
}

/// Applies a device call ([`Call::RegisterDevice`], [`Call::RegisterMadeDevice`],
/// [`Call::TransferDevice`], [`Call::UpdateLocation`], [`Call::RetireDevice`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let signer = &cx.signer;
    match call {
        Call::RegisterDevice {
            device,
            network,
            location,
            device_signature,
        }
        | Call::RegisterMadeDevice {
            device,
            network,
            location,
            device_signature,
            ..
        } => {
            let made_by = match call {
                Call::RegisterMadeDevice {
                    maker,
                    maker_signature,
                    ..
                } => Some((maker, maker_signature)),
                _ => None,
            };
            let r = Registration {
                owner: signer,
                id: device,
                network,
                location: *location,
                device_signature,
            };
            register(cx.state, &cx.params.chain, cx.block.height, &r, made_by)
        }
        Call::TransferDevice { device, new_owner } => transfer(cx.state, signer, device, new_owner),
        Call::UpdateLocation { device, location } => {
            update_location(cx.state, signer, device, *location)
        }
        Call::RetireDevice { device } => retire(cx.state, signer, device),
        _ => unreachable!("Call::module routes only device calls here"),
    }
}

/// What a registration names, with or without a maker: `owner` registers device
/// `id`, whose key signed [`registration_message`], in `network` at H3 cell
/// `location`.
pub(crate) struct Registration<'a> {
    /// The account the device is registered to (the transaction's signer).
    pub owner: &'a Address,
    /// The device's key.
    pub id: &'a DeviceId,
    /// The network it joins.
    pub network: &'a str,
    /// Its H3 cell.
    pub location: u64,
    /// The device key's signature over [`registration_message`].
    pub device_signature: &'a Signature,
}

/// The checks every registration passes (the network exists, the cell is valid,
/// the device is new, the device key signed); returns the network.
fn check_registration<S: Store>(
    state: &Overlay<'_, S>,
    chain: &Hash,
    r: &Registration<'_>,
) -> Result<Network, Fail> {
    let network = state
        .get_t::<Network>(&keys::network(r.network))?
        .ok_or_else(|| TxError::UnknownNetwork {
            network: r.network.to_string(),
        })?;
    check_location(r.location)?;
    if load(state, r.id)?.is_some() {
        return Err(TxError::DeviceExists {
            device: r.id.to_string(),
        }
        .into());
    }
    let msg = registration_message(chain, r.owner, r.id, r.network, r.location);
    r.id.key()
        .verify(&msg, r.device_signature)
        .map_err(|_| TxError::BadDeviceSignature)?;
    Ok(network)
}

/// The RegisterDevice and RegisterMadeDevice calls: registers device `r.id` to
/// `r.owner`. `made_by` is the maker and its signature over the device key, when
/// the device was made by one ([`makers::onboard`]: the maker's credits pay its
/// onboarding fee); without one, a network that requires a maker refuses it
/// ([`TxError::MakerRequired`]).
pub(crate) fn register<S: Store>(
    state: &mut Overlay<'_, S>,
    chain: &Hash,
    height: u64,
    r: &Registration<'_>,
    made_by: Option<(&Address, &Signature)>,
) -> Result<(), Fail> {
    let network = check_registration(state, chain, r)?;
    let maker = match made_by {
        Some((maker, signature)) => {
            makers::onboard(state, maker, r.id, signature)?;
            Some(*maker)
        }
        None if network.require_maker => {
            return Err(TxError::MakerRequired {
                network: r.network.to_string(),
            }
            .into())
        }
        None => None,
    };
    let device = Device {
        id: *r.id,
        owner: *r.owner,
        network: r.network.to_string(),
        location: r.location,
        status: DeviceStatus::Active,
        registered_height: height,
        maker,
    };
    save(state, None, &device)?;
    state.put(keys::owner_device(r.owner.key(), r.id.key()), Vec::new());
    Ok(())
}

/// The TransferDevice call: the owner hands an active device to `new_owner`.
pub(crate) fn transfer<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    id: &DeviceId,
    new_owner: &Address,
) -> Result<(), Fail> {
    let old = owned_active(state, id, signer)?;
    state.delete(keys::owner_device(signer.key(), id.key()));
    state.put(keys::owner_device(new_owner.key(), id.key()), Vec::new());
    // Make sure the new owner exists as an account, so it can be looked up.
    accounts::credit(state, new_owner, 0)?;
    let device = Device {
        owner: *new_owner,
        ..old.clone()
    };
    save(state, Some(&old), &device)
}

/// The UpdateLocation call: the owner moves an active device to H3 cell `location`.
pub(crate) fn update_location<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    id: &DeviceId,
    location: u64,
) -> Result<(), Fail> {
    check_location(location)?;
    let old = owned_active(state, id, signer)?;
    let device = Device {
        location,
        ..old.clone()
    };
    save(state, Some(&old), &device)
}

/// The RetireDevice call: the owner takes an active device out of service for good.
pub(crate) fn retire<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    id: &DeviceId,
) -> Result<(), Fail> {
    let old = owned_active(state, id, signer)?;
    let device = Device {
        status: DeviceStatus::Retired,
        ..old.clone()
    };
    save(state, Some(&old), &device)
}
