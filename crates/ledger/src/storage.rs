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

use crate::context::{head_epoch, BlockContext, Fail, TxContext, UNKNOWN_TIME};
use crate::error::{LedgerError, TxError};
use crate::oracle_set::{check_envelope, check_quorum, OracleSignature};
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{accounts, credits, devices, keys, Amount};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash};
use plinth_storage::Manifest;
use serde::{Deserialize, Serialize};

/// The settlement message lives in [`crate::oracle_set`] with every message the
/// oracles sign; re-exported here, where it is used.
pub use crate::oracle_set::{DealResult, StorageSettlement};

/// The proof family of storage networks.
pub const FAMILY: &str = "storage";
/// Prices and collateral are per started mebibyte.
pub const MIB: u64 = 1 << 20;
/// The longest provider endpoint URL.
pub const MAX_ENDPOINT_BYTES: usize = 200;
/// The most deal results one settlement may carry (it must fit a transaction with
/// its signatures); an epoch with more deals is settled in several.
pub const MAX_SETTLEMENT_RESULTS: usize = 128;

/// The chain's storage settings: genesis `[storage]`, under `sys/storage_params`
/// when given; absent means the defaults.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct StorageParams {
    /// Failed epochs in a row after which a deal is slashed and ended.
    pub max_failures: u32,
    /// The longest deal, in epochs.
    pub max_deal_epochs: u64,
    /// Epochs a pending deal waits for its provider's receipt before anyone may
    /// close it (everything refunded).
    pub accept_epochs: u64,
    /// Whether provider endpoints may name loopback, private or link-local
    /// addresses (devnet and testnet: providers on one machine or a LAN). Off by
    /// default: the oracle connects to every endpoint, so a private one would let
    /// anyone make it send requests into its own network.
    pub allow_private_endpoints: bool,
}

impl Default for StorageParams {
    fn default() -> Self {
        StorageParams {
            max_failures: 3,
            max_deal_epochs: 100_000,
            accept_epochs: 4,
            allow_private_endpoints: false,
        }
    }
}

impl StorageParams {
    /// Checks the settings; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_failures == 0 {
            return Err("storage.max_failures must be at least 1".into());
        }
        if self.max_deal_epochs == 0 {
            return Err("storage.max_deal_epochs must be at least 1".into());
        }
        if self.accept_epochs == 0 {
            return Err("storage.accept_epochs must be at least 1".into());
        }
        Ok(())
    }
}

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
    Ok(state
        .get_t::<StorageParams>(keys::STORAGE_PARAMS)?
        .unwrap_or_default())
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
    Ok(state
        .get_t::<EpochUsage>(&keys::storage_usage(network, epoch))?
        .unwrap_or_default())
}

fn storage_network<S: Store>(state: &Overlay<'_, S>, name: &str) -> Result<Network, Fail> {
    let n: Network = state
        .get_t(&keys::network(name))?
        .ok_or_else(|| TxError::UnknownNetwork {
            network: name.to_string(),
        })?;
    if n.family != FAMILY {
        return Err(TxError::NotStorageNetwork {
            network: name.to_string(),
            family: n.family,
        }
        .into());
    }
    Ok(n)
}

/// The device, checked to be the signer's.
fn owned_device<S: Store>(
    state: &Overlay<'_, S>,
    signer: &Address,
    device: &DeviceId,
) -> Result<devices::Device, Fail> {
    let d = devices::load(state, device)?.ok_or_else(|| TxError::UnknownDevice {
        device: device.to_string(),
    })?;
    if d.owner != *signer {
        return Err(TxError::NotDeviceOwner {
            device: device.to_string(),
            owner: d.owner.to_string(),
        }
        .into());
    }
    Ok(d)
}

/// Whether `ip` is a public unicast address: not loopback, private, shared
/// (CGNAT), link-local, unspecified, broadcast, multicast, documentation or
/// reserved (an IPv4-mapped IPv6 address is judged as its IPv4 address).
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                || (seg[0] == 0x64 && seg[1] == 0xff9b))
        }
    }
}

/// The host part of an `http(s)://host[:port][/path]` URL (brackets of an IPv6
/// literal removed).
pub fn endpoint_host(endpoint: &str) -> Option<&str> {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))?;
    let authority = rest.split('/').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

/// Checks a provider endpoint: an http(s) URL of printable ASCII, bounded; unless
/// `allow_private`, its host may not be a non-public address literal nor a name
/// that is local by definition (`localhost`, `*.localhost`, `*.local`,
/// `*.internal`). Names are resolved and checked again when the oracle connects.
pub fn check_endpoint(endpoint: &str, allow_private: bool) -> Result<(), TxError> {
    let bad = |reason: &str| TxError::BadEndpoint {
        reason: reason.to_string(),
    };
    if endpoint.len() > MAX_ENDPOINT_BYTES {
        return Err(bad("longer than 200 bytes"));
    }
    if !endpoint.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("only printable ASCII without spaces is allowed"));
    }
    if endpoint.contains(['?', '#', '@']) {
        return Err(bad("no query, fragment or user part is allowed"));
    }
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .ok_or_else(|| bad("must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if !allow_private {
        let host = endpoint_host(endpoint)
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let private = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => !is_public_ip(ip),
            Err(_) => {
                host == "localhost"
                    || [".localhost", ".local", ".internal"]
                        .iter()
                        .any(|s| host.ends_with(s))
            }
        };
        if private {
            return Err(bad(
                "names a loopback, private or link-local host, which this chain does not allow (genesis storage.allow_private_endpoints)",
            ));
        }
    }
    Ok(())
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
    let d = owned_device(state, signer, device)?;
    if d.status != devices::DeviceStatus::Active {
        return Err(TxError::DeviceRetired {
            device: device.to_string(),
        }
        .into());
    }
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
        let mut acct = accounts::load(state, signer)?.unwrap_or_default();
        acct.debit(deposit)?;
        accounts::save(state, signer, &acct);
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
    owned_device(state, signer, device)?;
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

/// What a consumer asks for in an OpenDeal call.
pub struct DealTerms<'a> {
    /// The provider device.
    pub provider: &'a DeviceId,
    /// The file to store.
    pub manifest: &'a Manifest,
    /// How many epochs to store it.
    pub epochs: u64,
    /// Credits offered per epoch.
    pub price_per_epoch: u64,
    /// The least collateral the consumer accepts (the provider's terms may change
    /// between reading the offer and opening the deal).
    pub min_collateral: Amount,
}

/// The OpenDeal call: escrows the consumer's credits; the deal is pending until
/// its provider's receipt activates it (and locks the collateral).
pub(crate) fn open_deal<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    signer: &Address,
    nonce: u64,
    terms: &DealTerms<'_>,
) -> Result<Hash, Fail> {
    terms.manifest.check().map_err(|e| TxError::BadManifest {
        reason: e.to_string(),
    })?;
    let sp = self::params(state)?;
    if terms.epochs == 0 || terms.epochs > sp.max_deal_epochs {
        return Err(TxError::BadDealTerm {
            epochs: terms.epochs,
            max: sp.max_deal_epochs,
        }
        .into());
    }
    let d = devices::load(state, terms.provider)?.ok_or_else(|| TxError::UnknownDevice {
        device: terms.provider.to_string(),
    })?;
    if d.status != devices::DeviceStatus::Active {
        return Err(TxError::DeviceRetired {
            device: terms.provider.to_string(),
        }
        .into());
    }
    let o = offer(state, terms.provider)?.ok_or_else(|| TxError::NoStorageOffer {
        device: terms.provider.to_string(),
    })?;
    let required = price_per_epoch(&o, terms.manifest.size).ok_or(TxError::Overflow)?;
    if terms.price_per_epoch < required {
        return Err(TxError::PriceBelowOffer {
            offered: terms.price_per_epoch,
            required,
        }
        .into());
    }
    let total = terms
        .price_per_epoch
        .checked_mul(terms.epochs)
        .ok_or(TxError::Overflow)?;
    let collateral = collateral_for(&o, terms.manifest.size).ok_or(TxError::Overflow)?;
    if collateral < terms.min_collateral {
        return Err(TxError::CollateralBelowAsked {
            asked: terms.min_collateral,
            offered: collateral,
        }
        .into());
    }
    // Checked here to refuse a deal that could not be activated now, but not
    // locked: only the provider's receipt locks its collateral (ActivateDeal), so
    // nobody can tie up a provider's pool with deals it never accepted.
    if o.free < collateral {
        return Err(TxError::InsufficientCollateral {
            needed: collateral,
            available: o.free,
        }
        .into());
    }
    credits::spend(state, signer, total)?;
    let id = deal_id(signer, nonce);
    let deal = Deal {
        id,
        consumer: *signer,
        provider: *terms.provider,
        network: d.network.clone(),
        manifest: *terms.manifest,
        opened_height: ctx.height,
        opened_epoch: ctx.epoch(params),
        epochs: terms.epochs,
        start_epoch: 0,
        end_epoch: 0,
        price_per_epoch: terms.price_per_epoch,
        escrow: total,
        collateral,
        next_epoch: 0,
        proven_epochs: 0,
        failed_epochs: 0,
        unsettled_epochs: 0,
        consecutive_failures: 0,
        status: DealStatus::Pending,
    };
    state.put_t(keys::deal(&id), &deal);
    state.put(keys::deal_by_consumer(signer.key(), &id), Vec::new());
    state.put(
        keys::deal_by_provider(terms.provider.key(), &id),
        Vec::new(),
    );
    Ok(id)
}

/// The ActivateDeal call: the provider's receipt (its device key's signature over
/// [`plinth_storage::receipt_message`]) turns a pending deal active from the next
/// epoch for its term.
pub(crate) fn activate_deal<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    id: &Hash,
    receipt: &plinth_core::Signature,
) -> Result<(), Fail> {
    let mut d = deal(state, id)?.ok_or_else(|| TxError::UnknownDeal {
        deal: id.to_string(),
    })?;
    if d.status != DealStatus::Pending {
        return Err(TxError::DealNotPending {
            deal: id.to_string(),
        }
        .into());
    }
    let msg = plinth_storage::receipt_message(&params.chain, id, &d.manifest);
    if d.provider.key().verify(&msg, receipt).is_err() {
        return Err(TxError::BadReceipt.into());
    }
    let sp = self::params(state)?;
    let now = ctx.epoch(params);
    let expires = d.opened_epoch.saturating_add(sp.accept_epochs);
    // At admission the block's time is unknown: the block judges.
    if ctx.timestamp_ms != UNKNOWN_TIME && now >= expires {
        return Err(TxError::DealExpired {
            deal: id.to_string(),
            epoch: expires,
        }
        .into());
    }
    // The collateral is locked now, with the provider's receipt, not at the
    // opening; the pool may have been withdrawn from or locked by other deals since.
    let mut o = offer(state, &d.provider)?.ok_or_else(|| TxError::NoStorageOffer {
        device: d.provider.to_string(),
    })?;
    if o.free < d.collateral {
        return Err(TxError::InsufficientCollateral {
            needed: d.collateral,
            available: o.free,
        }
        .into());
    }
    o.free -= d.collateral;
    o.locked = o
        .locked
        .checked_add(d.collateral)
        .ok_or(TxError::Overflow)?;
    o.active_deals = o.active_deals.checked_add(1).ok_or(TxError::Overflow)?;
    state.put_t(keys::storage_offer(d.provider.key()), &o);
    d.start_epoch = now.saturating_add(1);
    d.end_epoch = d.start_epoch.saturating_add(d.epochs);
    d.next_epoch = d.start_epoch;
    d.status = DealStatus::Active;
    state.put_t(keys::deal(id), &d);
    state.put(keys::active_deal(&d.network, id), Vec::new());
    Ok(())
}

/// Refunds credits to a deal's consumer (as delegated credits, see the module doc).
fn refund<S: Store>(state: &mut Overlay<'_, S>, deal: &mut Deal, credits: u64) -> Result<(), Fail> {
    deal.escrow = deal.escrow.checked_sub(credits).ok_or(TxError::Overflow)?;
    let mut c = credits::load(state, &deal.consumer)?;
    c.delegated = c.delegated.checked_add(credits).ok_or(TxError::Overflow)?;
    state.put_t(keys::credits(deal.consumer.key()), &c);
    Ok(())
}

/// Ends a deal: the collateral returns to the provider's pool (completed) or goes to
/// the consumer (slashed, with the rest of the escrow). A pending deal never locked
/// any collateral, so ending one leaves the pool alone.
fn finish<S: Store>(
    state: &mut Overlay<'_, S>,
    deal: &mut Deal,
    status: DealStatus,
) -> Result<(), Fail> {
    if deal.status == DealStatus::Pending {
        deal.status = status;
        return Ok(());
    }
    let mut o = offer(state, &deal.provider)?.ok_or_else(|| LedgerError::Corrupt {
        key: format!("storage offer of {}", deal.provider),
        reason: "an active deal's offer is missing".into(),
    })?;
    o.locked = o
        .locked
        .checked_sub(deal.collateral)
        .ok_or(TxError::Overflow)?;
    o.active_deals = o.active_deals.saturating_sub(1);
    match status {
        DealStatus::Slashed => {
            accounts::credit(state, &deal.consumer, deal.collateral)?;
            let rest = deal.escrow;
            refund(state, deal, rest)?;
        }
        _ => {
            o.free = o
                .free
                .checked_add(deal.collateral)
                .ok_or(TxError::Overflow)?
        }
    }
    state.put_t(keys::storage_offer(deal.provider.key()), &o);
    state.delete(keys::active_deal(&deal.network, &deal.id));
    deal.status = status;
    Ok(())
}

/// The SettleStorage call.
pub(crate) fn settle<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    settlement: &StorageSettlement,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    check_envelope(params, &settlement.chain, signatures)?;
    if settlement.results.len() > MAX_SETTLEMENT_RESULTS {
        return Err(TxError::TooManyResults {
            count: settlement.results.len() as u64,
            limit: MAX_SETTLEMENT_RESULTS as u64,
        }
        .into());
    }
    storage_network(state, &settlement.network)?;
    let ends_at = params
        .emission
        .epoch_end_ms(params.genesis_time_ms, settlement.epoch);
    if ends_at.is_none_or(|end| ctx.timestamp_ms < end) {
        return Err(TxError::EpochNotOver {
            epoch: settlement.epoch,
            ends_at_ms: ends_at.unwrap_or(u64::MAX),
        }
        .into());
    }
    check_quorum(state, &settlement.signing_bytes(), signatures)?;
    let sp = self::params(state)?;
    let epoch = settlement.epoch;
    let before = usage(state, &settlement.network, epoch)?;
    let mut usage = before;
    for r in &settlement.results {
        let Some(mut d) = deal(state, &r.deal)? else {
            continue;
        };
        // Epochs are settled in order: only the deal's next epoch.
        let applies = d.status == DealStatus::Active
            && d.network == settlement.network
            && epoch == d.next_epoch
            && epoch < d.end_epoch;
        if !applies {
            continue;
        }
        let price = d.price_per_epoch;
        if r.proven {
            d.escrow = d.escrow.checked_sub(price).ok_or(TxError::Overflow)?;
            d.proven_epochs += 1;
            d.consecutive_failures = 0;
            usage.credits_used = usage
                .credits_used
                .checked_add(price)
                .ok_or(TxError::Overflow)?;
            usage.proven += 1;
        } else {
            refund(state, &mut d, price)?;
            d.failed_epochs += 1;
            d.consecutive_failures = d.consecutive_failures.saturating_add(1);
            usage.credits_refunded = usage
                .credits_refunded
                .checked_add(price)
                .ok_or(TxError::Overflow)?;
            usage.failed += 1;
        }
        d.next_epoch = epoch + 1;
        if !r.proven && d.consecutive_failures >= sp.max_failures {
            usage.credits_refunded = usage
                .credits_refunded
                .checked_add(d.escrow)
                .ok_or(TxError::Overflow)?;
            usage.slashed += 1;
            finish(state, &mut d, DealStatus::Slashed)?;
        } else if d.next_epoch >= d.end_epoch {
            finish(state, &mut d, DealStatus::Completed)?;
        }
        state.put_t(keys::deal(&d.id), &d);
    }
    // A settlement that applied nothing (a resubmission) writes nothing.
    if usage != before {
        state.put_t(keys::storage_usage(&settlement.network, epoch), &usage);
    }
    Ok(())
}

/// The CloseDeal call: ends a deal its oracles or its provider left hanging.
/// Anyone may send it.
///
/// - A pending deal not activated within `accept_epochs` epochs of its opening:
///   the whole escrow back to the consumer, the collateral to the provider's pool.
/// - An active deal whose last epoch is over by a whole epoch without having been
///   settled: the unsettled epochs' escrow back to the consumer, the collateral to
///   the provider's pool.
pub(crate) fn close_deal<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    id: &Hash,
) -> Result<(), Fail> {
    let mut d = deal(state, id)?.ok_or_else(|| TxError::UnknownDeal {
        deal: id.to_string(),
    })?;
    let closable_from = match d.status {
        DealStatus::Pending => d
            .opened_epoch
            .saturating_add(self::params(state)?.accept_epochs),
        DealStatus::Active => d.end_epoch.saturating_add(1),
        _ => {
            return Err(TxError::DealNotActive {
                deal: id.to_string(),
            }
            .into())
        }
    };
    // At admission the block's time is unknown, but it is not before the head's:
    // refuse what cannot become closable by the next epoch; the block judges.
    let now = if ctx.timestamp_ms == UNKNOWN_TIME {
        head_epoch(state, params)?.saturating_add(1)
    } else {
        ctx.epoch(params)
    };
    if now < closable_from {
        return Err(TxError::DealNotExpired {
            deal: id.to_string(),
            closable_from_epoch: closable_from,
        }
        .into());
    }
    let left = match d.status {
        DealStatus::Pending => 0,
        _ => d.end_epoch.saturating_sub(d.next_epoch),
    };
    let rest = d.escrow;
    refund(state, &mut d, rest)?;
    d.unsettled_epochs += left;
    if d.status == DealStatus::Active {
        d.next_epoch = d.end_epoch;
    }
    if rest > 0 {
        let epoch = ctx.epoch(params);
        let mut u = usage(state, &d.network, epoch)?;
        u.credits_refunded = u
            .credits_refunded
            .checked_add(rest)
            .ok_or(TxError::Overflow)?;
        state.put_t(keys::storage_usage(&d.network, epoch), &u);
    }
    finish(state, &mut d, DealStatus::Completed)?;
    state.put_t(keys::deal(&d.id), &d);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    #[test]
    fn endpoints_are_checked() {
        assert!(check_endpoint("http://127.0.0.1:9000", true).is_ok());
        assert!(check_endpoint("https://store.example.com/agent", false).is_ok());
        assert!(check_endpoint("http://8.8.8.8:9000", false).is_ok());
        assert!(check_endpoint("http://[2a00:1450::1]:80/x", false).is_ok());
        for private in [
            "http://127.0.0.1:9000",
            "http://10.1.2.3",
            "http://192.168.1.1:80/agent",
            "http://172.16.0.1",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1",
            "http://0.0.0.0:80",
            "http://[::1]:9000",
            "http://[fd00::1]",
            "http://[fe80::1]",
            "http://[::ffff:127.0.0.1]",
            "http://localhost:9000",
            "http://LOCALHOST.:9000",
            "http://db.internal",
            "http://printer.local",
        ] {
            assert!(check_endpoint(private, false).is_err(), "{private}");
            assert!(check_endpoint(private, true).is_ok(), "{private}");
        }
        for bad in [
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b",
            "127.0.0.1:80",
            &format!("http://{}", "a".repeat(200)),
        ] {
            assert!(check_endpoint(bad, true).is_err(), "{bad}");
        }
    }

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
