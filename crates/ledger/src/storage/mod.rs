//! Storage deals: a consumer pays credits for a provider device to keep a file,
//! proven every epoch by the oracle set's challenges.
//!
//! ```text
//!  provider owner ──OfferStorage{device, endpoint, price/MiB·epoch, collateral/MiB, deposit}──▶
//!                     offer: terms + collateral pool (free | locked)
//!  consumer ──OpenDeal{provider, manifest, epochs, price/epoch, min collateral}──▶ pending:
//!                     credits escrowed (spent); the pool must hold the collateral,
//!                     but nothing is locked yet
//!  agent, once it holds every chunk ──receipt (device signature over chain + deal +
//!                     manifest)──▶
//!  anyone ──ActivateDeal{deal, receipt}──▶ collateral locked from the pool (refused if
//!                     it no longer holds it); active from the next epoch for `epochs`
//!  (not activated within `accept_epochs`: anyone may close it, everything refunded)
//!  oracle set ──SettleStorage{network, epoch, [deal, proven]}, k of n signatures──▶ per deal:
//!      proven: that epoch's price is paid out of escrow (the credits are gone: used)
//!      failed: that epoch's price goes back to the consumer; after `max_failures` failures
//!              in a row the collateral goes to the consumer, the rest of the escrow
//!              back to the consumer, and the deal ends (slashed)
//!      last epoch settled: the collateral returns to the pool, the deal is complete
//! ```
//!
//! The oracle computes the results off-chain (`plinth_storage::verify_proof` over
//! challenges drawn from a block hash) and anyone can audit them from its spool; the
//! ledger checks the quorum's signatures and applies them. A result applies only to
//! the deal's next unsettled epoch, so epochs are settled in order and a settlement
//! relayed early or twice changes nothing (the oracle sends it again in turn).
//!
//! Why a receipt: a deal can be slashed only once its provider has said, with its
//! device key, that it holds the data. And why the collateral is locked only then:
//! locked at the opening, anyone could tie up a provider's whole pool with deals
//! the provider never accepted, until they expire. Without it a consumer could open a deal for
//! a file it never uploads and collect the collateral when the provider cannot
//! answer.
//!
//! A deal whose last epoch passed without being settled (the oracles were down) can
//! be closed by anyone once a whole epoch has gone by after its end: the escrow of
//! the unsettled epochs goes back to the consumer and the collateral to the
//! provider's pool (`CloseDeal`).
//!
//! Refunded credits return as *delegated* credits: spendable, not delegable, so a
//! deal can never turn credits someone delegated into credits one may pass on.
//!
//! This file holds the records, their queries and the offer calls; `deals.rs` the
//! deal lifecycle's calls (open, activate, settle, close) and `endpoint.rs` the
//! checks of provider endpoints.

use crate::context::{Fail, TxContext};
use crate::error::{LedgerError, TxError};
use crate::params::Network;
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, devices, keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash};
use plinth_storage::Manifest;
use serde::{Deserialize, Serialize};

/// The settlement message lives in [`crate::oracle_set`] with every message the
/// oracles sign; re-exported here, where it is used.
pub use crate::oracle_set::{DealResult, StorageSettlement};
/// The storage settings live with the chain parameters; re-exported here.
pub use crate::params::StorageParams;

mod deals;
mod endpoint;

pub use deals::DealTerms;
use deals::{activate_deal, close_deal, open_deal, settle};
pub use endpoint::{check_endpoint, endpoint_host, is_public_ip, MAX_ENDPOINT_BYTES};

/// The proof family of storage networks.
pub const FAMILY: &str = plinth_core::FamilyKind::Storage.name();
/// Prices and collateral are per started mebibyte.
pub const MIB: u64 = 1 << 20;
/// The most deal results one settlement may carry (it must fit a transaction with
/// its signatures); an epoch with more deals is settled in several.
pub const MAX_SETTLEMENT_RESULTS: usize = 128;

/// A provider device's terms and collateral pool.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StorageOffer {
    /// The provider device.
    pub device: DeviceId,
    /// Where the provider's agent listens (`http://…` or `https://…`).
    pub endpoint: String,
    /// Credits per started MiB per epoch.
    pub price_per_mib_epoch: u64,
    /// Tokens locked per started MiB for the life of a deal.
    pub collateral_per_mib: Amount,
    /// Collateral not backing any deal (withdrawable).
    pub free: Amount,
    /// Collateral backing active deals.
    pub locked: Amount,
    /// Deals active now.
    pub active_deals: u64,
}

/// Where a deal stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Activated: its epochs are being proven and settled.
    Active,
    /// Every epoch settled; the collateral went back to the provider.
    Completed,
    /// Failed `max_failures` epochs in a row; the collateral went to the consumer.
    Slashed,
    /// Opened, waiting for the provider's receipt ([`Call::ActivateDeal`]).
    ///
    /// [`Call::ActivateDeal`]: crate::Call::ActivateDeal
    Pending,
}

/// A storage deal.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Deal {
    /// The deal's id ([`deal_id`]).
    pub id: Hash,
    /// The account paying for the storage.
    pub consumer: Address,
    /// The device keeping the file.
    pub provider: DeviceId,
    /// The provider's network.
    pub network: String,
    /// What is stored: the file's root, size and chunk size.
    pub manifest: Manifest,
    /// Height of the block that opened it.
    pub opened_height: u64,
    /// The epoch of the block that opened it.
    pub opened_epoch: u64,
    /// The deal's term.
    pub epochs: u64,
    /// First epoch the provider must prove (set when the deal is activated).
    pub start_epoch: u64,
    /// The epoch after the last one (set when the deal is activated).
    pub end_epoch: u64,
    /// Credits paid for each proven epoch.
    pub price_per_epoch: u64,
    /// Credits still held for epochs not settled yet.
    pub escrow: u64,
    /// Tokens of the provider's pool backing the deal.
    pub collateral: Amount,
    /// The next epoch to settle.
    pub next_epoch: u64,
    /// Epochs proven so far.
    pub proven_epochs: u64,
    /// Epochs failed so far.
    pub failed_epochs: u64,
    /// Epochs left unsettled by the oracles (refunded).
    pub unsettled_epochs: u64,
    /// Failed epochs since the last proven one.
    pub consecutive_failures: u32,
    /// Where the deal stands.
    pub status: DealStatus,
}

/// Credits used and refunded in one network's epoch, and the deals behind them.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct EpochUsage {
    /// Credits paid to providers for proven epochs (gone).
    pub credits_used: u64,
    /// Credits returned to consumers: for failed epochs, for slashed deals' unused
    /// escrow, and for closed deals' unsettled or never activated epochs (counted
    /// in the epoch of the close).
    pub credits_refunded: u64,
    /// Deal epochs proven.
    pub proven: u64,
    /// Deal epochs failed.
    pub failed: u64,
    /// Deals slashed.
    pub slashed: u64,
}

/// Started mebibytes of a file.
pub fn mib(size: u64) -> u64 {
    size.div_ceil(MIB)
}

/// The id of the deal opened by `consumer`'s transaction with nonce `nonce`.
pub fn deal_id(consumer: &Address, nonce: u64) -> Hash {
    Hash::tagged("plinth/deal", &plinth_core::encode(&(consumer, nonce)))
}

/// What a deal of `size` bytes costs per epoch under `offer`.
pub fn price_per_epoch(offer: &StorageOffer, size: u64) -> Option<u64> {
    mib(size).checked_mul(offer.price_per_mib_epoch)
}

/// The collateral a deal of `size` bytes locks under `offer`.
pub fn collateral_for(offer: &StorageOffer, size: u64) -> Option<Amount> {
    mib(size).checked_mul(offer.collateral_per_mib)
}

/// The chain's storage settings (the defaults when the genesis set none).
pub fn params<S: Store>(state: &Overlay<'_, S>) -> Result<StorageParams, LedgerError> {
    state.get_or_default(keys::STORAGE_PARAMS)
}

/// `device`'s storage offer, if it made one.
pub fn offer<S: Store>(
    state: &Overlay<'_, S>,
    device: &DeviceId,
) -> Result<Option<StorageOffer>, LedgerError> {
    state.get_t(&keys::storage_offer(device.key()))
}

/// The deal `id`, if any.
pub fn deal<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Option<Deal>, LedgerError> {
    state.get_t(&keys::deal(id))
}

/// Credits used and refunded in `network`'s epoch `epoch` (zero for an unknown network).
pub fn usage<S: Store>(
    state: &Overlay<'_, S>,
    network: &str,
    epoch: u64,
) -> Result<EpochUsage, LedgerError> {
    if state.get(&keys::network(network))?.is_none() {
        return Ok(EpochUsage::default());
    }
    state.get_or_default(&keys::storage_usage(network, epoch))
}

fn storage_network<S: Store>(state: &Overlay<'_, S>, name: &str) -> Result<Network, Fail> {
    let n: Network = state
        .get_t(&keys::network(name))?
        .ok_or_else(|| TxError::UnknownNetwork {
            network: name.to_string(),
        })?;
    if n.family != plinth_core::FamilyKind::Storage {
        return Err(TxError::NotStorageNetwork {
            network: name.to_string(),
            family: n.family,
        }
        .into());
    }
    Ok(n)
}

/// Applies a storage call ([`Call::OfferStorage`], [`Call::WithdrawCollateral`],
/// [`Call::OpenDeal`], [`Call::SettleStorage`], [`Call::CloseDeal`],
/// [`Call::ActivateDeal`]).
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let (state, params, block, signer) = (cx.state, cx.params, cx.block, &cx.signer);
    match call {
        Call::OfferStorage {
            device,
            endpoint,
            price_per_mib_epoch,
            collateral_per_mib,
            deposit,
        } => set_offer(
            state,
            signer,
            device,
            endpoint,
            *price_per_mib_epoch,
            *collateral_per_mib,
            *deposit,
        ),
        Call::WithdrawCollateral { device, amount } => {
            withdraw_collateral(state, signer, device, *amount)
        }
        Call::OpenDeal {
            provider,
            manifest,
            epochs,
            price_per_epoch,
            min_collateral,
        } => {
            let terms = DealTerms {
                provider,
                manifest,
                epochs: *epochs,
                price_per_epoch: *price_per_epoch,
                min_collateral: *min_collateral,
            };
            open_deal(state, params, block, signer, cx.nonce, &terms).map(|_id| ())
        }
        Call::SettleStorage {
            settlement,
            signatures,
        } => settle(state, params, block, settlement, signatures),
        Call::CloseDeal { deal } => close_deal(state, params, block, deal),
        Call::ActivateDeal { deal, receipt } => activate_deal(state, params, block, deal, receipt),
        _ => unreachable!("Call::module routes only storage calls here"),
    }
}

/// The OfferStorage call: sets a provider device's terms and adds `deposit` of the
/// signer's tokens to its collateral pool.
pub(crate) fn set_offer<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    device: &DeviceId,
    endpoint: &str,
    price_per_mib_epoch: u64,
    collateral_per_mib: Amount,
    deposit: Amount,
) -> Result<(), Fail> {
    let d = devices::owned_active(state, device, signer)?;
    storage_network(state, &d.network)?;
    check_endpoint(endpoint, params(state)?.allow_private_endpoints)?;
    if price_per_mib_epoch == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let mut o = offer(state, device)?.unwrap_or(StorageOffer {
        device: *device,
        endpoint: String::new(),
        price_per_mib_epoch: 0,
        collateral_per_mib: 0,
        free: 0,
        locked: 0,
        active_deals: 0,
    });
    o.endpoint = endpoint.to_string();
    o.price_per_mib_epoch = price_per_mib_epoch;
    o.collateral_per_mib = collateral_per_mib;
    if deposit > 0 {
        accounts::debit(state, signer, deposit)?;
        o.free = o.free.checked_add(deposit).ok_or(TxError::Overflow)?;
    }
    state.put_t(keys::storage_offer(device.key()), &o);
    Ok(())
}

/// The WithdrawCollateral call: free collateral back to the device's owner.
pub(crate) fn withdraw_collateral<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    device: &DeviceId,
    amount: Amount,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    devices::owned(state, device, signer)?;
    let mut o = offer(state, device)?.ok_or_else(|| TxError::NoStorageOffer {
        device: device.to_string(),
    })?;
    if o.free < amount {
        return Err(TxError::InsufficientCollateral {
            needed: amount,
            available: o.free,
        }
        .into());
    }
    o.free -= amount;
    state.put_t(keys::storage_offer(device.key()), &o);
    accounts::credit(state, signer, amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    #[test]
    fn sizes_round_up_to_started_mebibytes() {
        assert_eq!(mib(1), 1);
        assert_eq!(mib(MIB), 1);
        assert_eq!(mib(MIB + 1), 2);
        let o = StorageOffer {
            device: DeviceId(Keypair::from_seed([1; 32]).public()),
            endpoint: "http://x".into(),
            price_per_mib_epoch: 7,
            collateral_per_mib: 1_000,
            free: 0,
            locked: 0,
            active_deals: 0,
        };
        assert_eq!(price_per_epoch(&o, 3 * MIB - 5), Some(21));
        assert_eq!(collateral_for(&o, 3 * MIB - 5), Some(3_000));
        assert_eq!(price_per_epoch(&o, u64::MAX), Some(7 * mib(u64::MAX)));
    }

    #[test]
    fn deal_ids_differ_by_consumer_and_nonce() {
        let a = Address(Keypair::from_seed([1; 32]).public());
        let b = Address(Keypair::from_seed([2; 32]).public());
        assert_ne!(deal_id(&a, 0), deal_id(&a, 1));
        assert_ne!(deal_id(&a, 0), deal_id(&b, 0));
        assert_eq!(deal_id(&a, 5), deal_id(&a, 5));
    }
}
