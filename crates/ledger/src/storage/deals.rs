//! The deal lifecycle: open (credits escrowed), activate (the provider's receipt
//! locks the collateral), settle (the oracle quorum's results pay or refund each
//! epoch, and slash), close (a deal left hanging). See the [parent
//! module](super) for the whole flow.

use super::{
    collateral_for, deal, deal_id, offer, params, price_per_epoch, storage_network, usage,
};
use super::{Deal, DealStatus, StorageSettlement, MAX_SETTLEMENT_RESULTS};
use crate::context::{head_epoch, BlockContext, Fail, UNKNOWN_TIME};
use crate::error::{LedgerError, TxError};
use crate::oracle_set::{check_envelope, check_quorum, OracleSignature};
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use crate::{accounts, credits, devices, keys, Amount};
use plinth_core::{Address, DeviceId, Hash};
use plinth_storage::Manifest;

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
    ctx.check_epoch_over(params, settlement.epoch)?;
    check_quorum(
        state,
        settlement.epoch,
        &settlement.signing_bytes(),
        signatures,
    )?;
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
