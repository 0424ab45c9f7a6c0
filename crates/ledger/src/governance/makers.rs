//! Device makers (Helium's makers, IoTeX ioID): governance approves a maker's
//! key; a network that requires makers registers only devices whose key the
//! maker signed at manufacture ([`maker_message`]), charging the maker's
//! account its onboarding fee in credits; a revoked maker's devices stop
//! earning from the next reward epoch (their manifest entries cannot be claimed).

use crate::error::LedgerError;
use crate::state::{Overlay, Store};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId};
use serde::{Deserialize, Serialize};

/// An approved (or revoked) maker, `mkr/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Maker {
    /// The maker's key (its account pays onboarding fees in credits).
    pub address: Address,
    /// A name for people.
    pub name: String,
    /// Credits charged per device onboarded.
    pub onboard_fee_credits: u64,
    /// Devices onboarded so far.
    pub devices: u64,
    /// The proposal that approved it.
    pub approved_by: u64,
    /// The first reward epoch its devices no longer earn in, once revoked (a
    /// revoked key is never approved again).
    pub revoked_from_epoch: Option<u64>,
}

/// What a maker's key signs at manufacture: the device's key (chain-agnostic,
/// so one manufactured device works on any chain that approves its maker).
pub fn maker_message(maker: &Address, device: &DeviceId) -> Vec<u8> {
    let mut out = b"plinth/maker-device/v1".to_vec();
    borsh::to_writer(&mut out, &(maker, device)).expect("vec write");
    out
}

/// The maker `address`, if ever approved.
pub fn load<S: Store>(state: &Overlay<'_, S>, address: &Address) -> Result<Option<Maker>, LedgerError> {
    let _ = (state, address);
    unimplemented!("issue 15: makers")
}

/// Checks that `maker` may be approved (never approved before, name of 1 to 64
/// characters).
pub(crate) fn validate_approve<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
    name: &str,
) -> Result<(), crate::error::TxError> {
    let _ = (state, maker, name);
    unimplemented!("issue 15: makers")
}

/// Approves `maker` (validated first), by proposal `proposal`.
pub(crate) fn approve<S: Store>(
    state: &mut Overlay<'_, S>,
    maker: &Address,
    name: &str,
    onboard_fee_credits: u64,
    proposal: u64,
) -> Result<(), crate::context::Fail> {
    let _ = (state, maker, name, onboard_fee_credits, proposal);
    unimplemented!("issue 15: makers")
}

/// Checks that `maker` is approved and not revoked.
pub(crate) fn validate_revoke<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
) -> Result<(), crate::error::TxError> {
    let _ = (state, maker);
    unimplemented!("issue 15: makers")
}

/// Revokes `maker`: its devices earn nothing from `from_epoch` on.
pub(crate) fn revoke<S: Store>(
    state: &mut Overlay<'_, S>,
    maker: &Address,
    from_epoch: u64,
) -> Result<(), crate::context::Fail> {
    let _ = (state, maker, from_epoch);
    unimplemented!("issue 15: makers")
}

/// Whether devices onboarded by `maker` earn nothing in reward `epoch`.
pub fn revoked_in<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
    epoch: u64,
) -> Result<bool, LedgerError> {
    let _ = (state, maker, epoch);
    unimplemented!("issue 15: makers")
}
