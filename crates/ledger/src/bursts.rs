//! Bursts: credits a consumer puts on a custom family's tag (the mapping
//! family's: an H3 cell) to be earned by the devices the family awards it to by a
//! deadline, refunded if none is.
//!
//! ```text
//!  consumer ──PostBurst{network, tag, credits, deadline_epoch}──▶ credits spent into the burst
//!  oracle set: manifest header names awards_root of (tag, devices) ──▶ ledger
//!  anyone ──ClaimBurst{burst, epoch, devices, proof}──▶ award proven under that epoch's
//!            manifest, epoch within [posted, deadline] ──▶ credits earned by the devices
//!  anyone ──RefundBurst{burst}──▶ after deadline + BURST_CLAIM_EPOCHS ──▶ credits back
//! ```
//!
//! The credits a burst pays count as the devices' earnings in the network's
//! current epoch (the same record compute providers earn into), so the network's
//! usage part of its emission (`usage_bps`) pays their owners in tokens, capped at
//! the credits' token value, as for every usage reward: burn and mint.
//!
//! A burst is paid whole to the devices of the first award proven for it, split
//! equally (the remainder to the first device in order). A manifest for an epoch
//! up to the deadline may land a few epochs after it (oracles close an epoch after
//! its grace); the burst stays claimable for [`BURST_CLAIM_EPOCHS`] epochs after the
//! deadline, then anyone may refund it. Whichever comes first wins.

use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::governance::schedule;
use crate::oracle_set::Award;
use crate::rewards::RewardEpoch;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{compute, credits, keys};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::merkle::{self, Proof};
use plinth_core::{Address, DeviceId, Hash};
use serde::{Deserialize, Serialize};

/// Epochs after its deadline a burst may still be claimed (manifests land after
/// an epoch's grace); after them anyone may refund it.
pub const BURST_CLAIM_EPOCHS: u64 = 3;
/// The furthest a deadline may be from the posting epoch.
pub const MAX_BURST_EPOCHS: u64 = 10_000;

/// Where a burst stands.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BurstStatus {
    /// Waiting for an award.
    Open,
    /// Paid to the devices of an award of `epoch`'s manifest.
    Paid {
        /// The manifest's epoch.
        epoch: u64,
        /// The devices paid, with the credits each earned.
        paid: Vec<(DeviceId, u64)>,
        /// The height of the claiming block.
        height: u64,
    },
    /// Nobody earned it by the deadline: the credits went back.
    Refunded {
        /// The height of the refunding block.
        height: u64,
    },
}

impl BurstStatus {
    /// The status's name (`open`, `paid`, `refunded`).
    pub fn name(&self) -> &'static str {
        match self {
            BurstStatus::Open => "open",
            BurstStatus::Paid { .. } => "paid",
            BurstStatus::Refunded { .. } => "refunded",
        }
    }
}

/// A burst.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Burst {
    /// Its id ([`burst_id`] of the poster and nonce).
    pub id: Hash,
    /// The network (a custom family's).
    pub network: String,
    /// The family's tag (the mapping family: an H3 cell at its resolution).
    pub tag: u64,
    /// Who posted it, and gets the credits back if nobody earns them.
    pub poster: Address,
    /// The credits escrowed.
    pub credits: u64,
    /// The epoch it was posted in: awards from it on count.
    pub from_epoch: u64,
    /// The last epoch whose awards count.
    pub deadline_epoch: u64,
    /// Where it stands.
    pub status: BurstStatus,
}

/// The id of the burst posted by `poster`'s transaction with nonce `nonce`.
pub fn burst_id(poster: &Address, nonce: u64) -> Hash {
    Hash::tagged("plinth/burst", &plinth_core::encode(&(poster, nonce)))
}

/// The burst `id`, if any.
pub fn load<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Option<Burst>, LedgerError> {
    state.get_t(&keys::burst(id))
}

fn load_open<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Burst, Fail> {
    let b = load(state, id)?.ok_or_else(|| TxError::UnknownBurst {
        burst: id.to_string(),
    })?;
    if b.status != BurstStatus::Open {
        return Err(TxError::BurstClosed {
            burst: id.to_string(),
            status: b.status.name().into(),
        }
        .into());
    }
    Ok(b)
}

fn bad(reason: impl Into<String>) -> Fail {
    TxError::BadBurst {
        reason: reason.into(),
    }
    .into()
}

/// Applies a burst call ([`Call::PostBurst`], [`Call::ClaimBurst`],
/// [`Call::RefundBurst`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let epoch = cx.block.current_epoch(cx.state, cx.params)?;
    match call {
        Call::PostBurst {
            network,
            tag,
            credits,
            deadline_epoch,
        } => {
            let n = schedule::network_at(cx.state, network, epoch)?.ok_or_else(|| {
                TxError::UnknownNetwork {
                    network: network.clone(),
                }
            })?;
            if n.family != plinth_core::FamilyKind::Wasm {
                return Err(TxError::NotCustomNetwork {
                    network: network.clone(),
                    family: n.family,
                }
                .into());
            }
            if *credits == 0 {
                return Err(bad("a burst needs credits"));
            }
            if *deadline_epoch < epoch || *deadline_epoch - epoch > MAX_BURST_EPOCHS {
                return Err(bad(format!(
                    "deadline epoch {deadline_epoch}: from the current epoch {epoch} to {} epochs after it",
                    MAX_BURST_EPOCHS
                )));
            }
            credits::spend(cx.state, &cx.signer, *credits)?;
            let id = burst_id(&cx.signer, cx.nonce);
            cx.state.put_t(
                keys::burst(&id),
                &Burst {
                    id,
                    network: network.clone(),
                    tag: *tag,
                    poster: cx.signer,
                    credits: *credits,
                    from_epoch: epoch,
                    deadline_epoch: *deadline_epoch,
                    status: BurstStatus::Open,
                },
            );
            Ok(())
        }
        Call::ClaimBurst {
            burst,
            epoch: award_epoch,
            devices,
            proof,
        } => {
            let mut b = load_open(cx.state, burst)?;
            if *award_epoch < b.from_epoch || *award_epoch > b.deadline_epoch {
                return Err(bad(format!(
                    "epoch {award_epoch} is outside the burst's epochs {}..={}",
                    b.from_epoch, b.deadline_epoch
                )));
            }
            let record: RewardEpoch = cx
                .state
                .get_t(&keys::reward_epoch(&b.network, *award_epoch))?
                .ok_or_else(|| TxError::UnknownManifest {
                    network: b.network.clone(),
                    epoch: *award_epoch,
                })?;
            let award = Award {
                tag: b.tag,
                devices: devices.clone(),
            };
            if !proven(&record, &award, proof) {
                return Err(TxError::BadProof.into());
            }
            let paid = shares(b.credits, devices);
            for (device, credits) in &paid {
                compute::record_earning(cx.state, &b.network, epoch, device, *credits)?;
            }
            b.status = BurstStatus::Paid {
                epoch: *award_epoch,
                paid,
                height: cx.block.height,
            };
            cx.state.put_t(keys::burst(burst), &b);
            Ok(())
        }
        Call::RefundBurst { burst } => {
            let mut b = load_open(cx.state, burst)?;
            let from = b.deadline_epoch.saturating_add(BURST_CLAIM_EPOCHS + 1);
            if epoch < from {
                return Err(bad(format!(
                    "claimable until epoch {}: refundable from epoch {from} (now {epoch})",
                    from - 1
                )));
            }
            compute::refund(cx.state, &b.network, epoch, &b.poster, b.credits)?;
            b.status = BurstStatus::Refunded {
                height: cx.block.height,
            };
            cx.state.put_t(keys::burst(burst), &b);
            Ok(())
        }
        _ => unreachable!("Call::module routes only burst calls here"),
    }
}

/// Whether `award` is proven under the manifest's awards root. The award's
/// devices are checked as the oracles build them (1 to 8, strictly ascending), so a
/// proof cannot name a device twice.
fn proven(record: &RewardEpoch, award: &Award, proof: &Proof) -> bool {
    let well_formed = !award.devices.is_empty()
        && award.devices.len() <= crate::oracle_set::MAX_AWARD_DEVICES
        && award.devices.windows(2).all(|w| w[0] < w[1]);
    well_formed
        && proof.leaf_count == record.header.award_count
        && merkle::verify(record.header.awards, award.leaf(), proof)
}

/// `credits` split equally among `devices`, the remainder to the first.
fn shares(credits: u64, devices: &[DeviceId]) -> Vec<(DeviceId, u64)> {
    let n = devices.len() as u64;
    let each = credits / n;
    let rest = credits % n;
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, each + if i == 0 { rest } else { 0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    #[test]
    fn shares_add_up_to_the_burst() {
        let ds: Vec<DeviceId> = (1..=3u8)
            .map(|i| DeviceId(Keypair::from_seed([i; 32]).public()))
            .collect();
        let s = shares(100, &ds);
        assert_eq!(s.iter().map(|(_, c)| c).sum::<u64>(), 100);
        assert_eq!(s[0].1, 34);
        assert_eq!(s[1].1, 33);
    }
}
