//! Device makers (Helium's makers, IoTeX ioID): governance approves a maker's
//! key; a network that requires makers registers only devices whose key the
//! maker signed at manufacture ([`maker_message`]), charging the maker's
//! account its onboarding fee in credits; a revoked maker's devices stop
//! earning from the next reward epoch (their manifest entries cannot be claimed).

use crate::context::Fail;
use crate::credits;
use crate::error::{LedgerError, TxError};
use crate::keys;
use crate::state::{Overlay, Store};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Signature};
use serde::{Deserialize, Serialize};

/// The longest maker name, in bytes.
pub const MAX_MAKER_NAME: usize = 64;

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
    /// The proposal that approved it (none: listed in the genesis).
    pub approved_by: Option<u64>,
    /// The first reward epoch its devices no longer earn in, once revoked (a
    /// revoked key is never approved again).
    pub revoked_from_epoch: Option<u64>,
}

impl Maker {
    /// A maker approved now (by `approved_by`, or at genesis), with no devices.
    pub fn new(
        address: Address,
        name: &str,
        onboard_fee_credits: u64,
        approved_by: Option<u64>,
    ) -> Maker {
        Maker {
            address,
            name: name.to_string(),
            onboard_fee_credits,
            devices: 0,
            approved_by,
            revoked_from_epoch: None,
        }
    }

    /// Whether its devices earn nothing in reward `epoch`.
    pub fn revoked_in(&self, epoch: u64) -> bool {
        self.revoked_from_epoch.is_some_and(|from| from <= epoch)
    }

    /// Refuses a revoked maker ([`TxError::MakerRevoked`]).
    fn check_not_revoked(&self) -> Result<(), TxError> {
        match self.revoked_from_epoch {
            Some(from_epoch) => Err(TxError::MakerRevoked {
                maker: self.address.to_string(),
                from_epoch,
            }),
            None => Ok(()),
        }
    }
}

/// Whether `name` may name a maker: 1 to [`MAX_MAKER_NAME`] bytes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_MAKER_NAME
}

/// What a maker's key signs at manufacture: the device's key (chain-agnostic,
/// so one manufactured device works on any chain that approves its maker).
pub fn maker_message(maker: &Address, device: &DeviceId) -> Vec<u8> {
    let mut out = b"plinth/maker-device/v1".to_vec();
    borsh::to_writer(&mut out, &(maker, device)).expect("vec write");
    out
}

/// The maker `address`, if ever approved.
pub fn load<S: Store>(
    state: &Overlay<'_, S>,
    address: &Address,
) -> Result<Option<Maker>, LedgerError> {
    state.get_t(&keys::maker(address.key()))
}

fn save<S: Store>(state: &mut Overlay<'_, S>, maker: &Maker) {
    state.put_t(keys::maker(maker.address.key()), maker);
}

/// The maker `address`, approved at some point, or [`TxError::UnknownMaker`].
fn known<S: Store>(state: &Overlay<'_, S>, address: &Address) -> Result<Maker, Fail> {
    load(state, address)?.ok_or_else(|| {
        TxError::UnknownMaker {
            maker: address.to_string(),
        }
        .into()
    })
}

/// Checks that `maker` may be approved (never approved before, name of 1 to 64
/// bytes).
pub(crate) fn validate_approve<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
    name: &str,
) -> Result<(), TxError> {
    if !valid_name(name) {
        return Err(TxError::BadMakerName {
            maker: maker.to_string(),
        });
    }
    // A store failure reads as "exists": the action is refused, never applied
    // over state it could not see.
    if !matches!(load(state, maker), Ok(None)) {
        return Err(TxError::MakerExists {
            maker: maker.to_string(),
        });
    }
    Ok(())
}

/// Approves `maker` (validated first), by proposal `proposal`.
pub(crate) fn approve<S: Store>(
    state: &mut Overlay<'_, S>,
    maker: &Address,
    name: &str,
    onboard_fee_credits: u64,
    proposal: u64,
) -> Result<(), Fail> {
    load(state, maker)?; // a store failure is fatal here, not a refusal
    validate_approve(state, maker, name)?;
    save(
        state,
        &Maker::new(*maker, name, onboard_fee_credits, Some(proposal)),
    );
    Ok(())
}

/// Writes the makers a genesis lists (checked by the genesis's validation).
pub(crate) fn init<S: Store>(state: &mut Overlay<'_, S>, makers: &[Maker]) {
    for m in makers {
        save(state, m);
    }
}

/// Checks that `maker` is approved and not revoked.
pub(crate) fn validate_revoke<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
) -> Result<(), TxError> {
    match known(state, maker) {
        Ok(m) => m.check_not_revoked(),
        Err(Fail::Tx(e)) => Err(e),
        // As in `validate_approve`: what cannot be read is refused.
        Err(Fail::Fatal(_)) => Err(TxError::UnknownMaker {
            maker: maker.to_string(),
        }),
    }
}

/// Revokes `maker`: its devices earn nothing from `from_epoch` on.
pub(crate) fn revoke<S: Store>(
    state: &mut Overlay<'_, S>,
    maker: &Address,
    from_epoch: u64,
) -> Result<(), Fail> {
    let mut m = known(state, maker)?;
    m.check_not_revoked()?;
    m.revoked_from_epoch = Some(from_epoch);
    save(state, &m);
    Ok(())
}

/// Whether devices onboarded by `maker` earn nothing in reward `epoch`.
pub fn revoked_in<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
    epoch: u64,
) -> Result<bool, LedgerError> {
    Ok(load(state, maker)?.is_some_and(|m| m.revoked_in(epoch)))
}

/// Refuses ([`TxError::MakerRevoked`]) what devices onboarded by `maker` earned
/// in reward `epoch` when the maker is revoked in it ([`revoked_in`]).
pub(crate) fn check_earns<S: Store>(
    state: &Overlay<'_, S>,
    maker: &Address,
    epoch: u64,
) -> Result<(), Fail> {
    match load(state, maker)? {
        Some(m) if m.revoked_in(epoch) => m.check_not_revoked().map_err(Fail::from),
        _ => Ok(()),
    }
}

/// Onboards `device` as made by `maker`: the maker is approved and not revoked,
/// its `signature` over [`maker_message`] verifies, and its account's credits
/// pay its onboarding fee (spent: gone). Counts the device to the maker.
pub(crate) fn onboard<S: Store>(
    state: &mut Overlay<'_, S>,
    maker: &Address,
    device: &DeviceId,
    signature: &Signature,
) -> Result<(), Fail> {
    let mut m = known(state, maker)?;
    m.check_not_revoked()?;
    maker
        .key()
        .verify(&maker_message(maker, device), signature)
        .map_err(|_| TxError::BadMakerSignature)?;
    if m.onboard_fee_credits > 0 {
        credits::spend(state, maker, m.onboard_fee_credits).map_err(|e| match e {
            Fail::Tx(TxError::InsufficientCredits { needed, available }) => {
                Fail::Tx(TxError::MakerCreditsExhausted {
                    maker: maker.to_string(),
                    needed,
                    available,
                })
            }
            other => other,
        })?;
    }
    m.devices = m.devices.checked_add(1).ok_or(TxError::Overflow)?;
    save(state, &m);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    //! Approval and revocation by proposal (the `ApproveMaker`/`RevokeMaker`
    //! actions call these), and what a revocation does to onboarding and to
    //! what devices earned (the claim itself: `rewards`' tests).

    use super::*;
    use crate::state::MemStore;
    use plinth_core::Keypair;

    /// A key from a one-byte seed.
    pub(crate) fn key(seed: u8) -> Keypair {
        Keypair::from_seed([seed; 32])
    }

    /// Its address.
    pub(crate) fn addr(k: &Keypair) -> Address {
        Address(k.public())
    }

    /// The refusal `r` must be.
    pub(crate) fn tx_err(r: Result<(), Fail>) -> TxError {
        match r {
            Err(Fail::Tx(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn approval_is_once_and_revocation_counts_from_its_epoch() {
        let store = MemStore::new();
        let mut s = Overlay::new(&store);
        let acme = addr(&key(1));
        let (maker, name) = (acme.to_string(), "Acme".to_string());

        assert_eq!(
            validate_approve(&s, &acme, ""),
            Err(TxError::BadMakerName {
                maker: maker.clone()
            })
        );
        assert_eq!(
            validate_approve(&s, &acme, &"x".repeat(65)),
            Err(TxError::BadMakerName {
                maker: maker.clone()
            })
        );
        assert_eq!(
            validate_revoke(&s, &acme),
            Err(TxError::UnknownMaker {
                maker: maker.clone()
            })
        );
        assert_eq!(
            tx_err(revoke(&mut s, &acme, 3)),
            TxError::UnknownMaker {
                maker: maker.clone()
            }
        );

        approve(&mut s, &acme, &name, 5, 7).unwrap();
        assert_eq!(
            load(&s, &acme).unwrap(),
            Some(Maker::new(acme, &name, 5, Some(7)))
        );
        assert_eq!(
            validate_approve(&s, &acme, &name),
            Err(TxError::MakerExists {
                maker: maker.clone()
            })
        );
        assert_eq!(
            tx_err(approve(&mut s, &acme, &name, 5, 8)),
            TxError::MakerExists {
                maker: maker.clone()
            }
        );

        assert_eq!(validate_revoke(&s, &acme), Ok(()));
        revoke(&mut s, &acme, 4).unwrap();
        assert!(!revoked_in(&s, &acme, 3).unwrap());
        assert!(revoked_in(&s, &acme, 4).unwrap());
        assert!(revoked_in(&s, &acme, 9).unwrap());
        let revoked = TxError::MakerRevoked {
            maker: maker.clone(),
            from_epoch: 4,
        };
        assert_eq!(validate_revoke(&s, &acme), Err(revoked.clone()));
        assert_eq!(tx_err(revoke(&mut s, &acme, 5)), revoked);
        assert_eq!(
            load(&s, &acme).unwrap().unwrap().revoked_from_epoch,
            Some(4)
        );
        // A revoked key is never approved again.
        assert_eq!(
            validate_approve(&s, &acme, &name),
            Err(TxError::MakerExists {
                maker: maker.clone()
            })
        );
        // It onboards nothing any more, whatever it signs.
        let device = DeviceId(key(9).public());
        let sig = key(1).sign(&maker_message(&acme, &device));
        assert_eq!(tx_err(onboard(&mut s, &acme, &device, &sig)), revoked);
        // What its devices earned before the revocation's epoch still counts.
        check_earns(&s, &acme, 3).unwrap();
        assert_eq!(tx_err(check_earns(&s, &acme, 4)), revoked);
        // Unknown makers have no devices to refuse.
        assert!(!revoked_in(&s, &addr(&key(2)), 4).unwrap());
    }
}
