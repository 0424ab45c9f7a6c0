//! The capacity market: offers, orders, bids, leases (lazy per-block payment) and
//! the oracle set's capacity checks. See the module docs of [`crate::compute`].

use super::*;
use crate::context::BlockContext;
use crate::governance::makers;
use crate::oracle_set::{check_envelope, check_quorum, OracleSignature};
use crate::params::ChainParams;
use crate::storage::check_endpoint;
use crate::{accounts, devices, Amount};

/// Applies a market call.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let (state, params, block, signer) = (cx.state, cx.params, cx.block, &cx.signer);
    match call {
        Call::OfferCompute {
            device,
            endpoint,
            attrs,
            attestation,
            price_per_block,
            price_per_task,
            collateral_per_lease,
            collateral_per_task,
            deposit,
        } => {
            let terms = OfferTerms {
                endpoint,
                attrs,
                attestation: attestation.as_ref(),
                price_per_block: *price_per_block,
                price_per_task: *price_per_task,
                collateral_per_lease: *collateral_per_lease,
                collateral_per_task: *collateral_per_task,
            };
            set_offer(state, params, block, signer, device, &terms, *deposit)
        }
        Call::WithdrawComputeCollateral { device, amount } => {
            withdraw_collateral(state, signer, device, *amount)
        }
        Call::PostOrder {
            network,
            requirements,
            max_price_per_block,
            duration_blocks,
            deposit,
            bid_blocks,
        } => {
            let o = ComputeOrder {
                id: order_id(signer, cx.nonce),
                consumer: *signer,
                network: network.clone(),
                requirements: requirements.clone(),
                max_price_per_block: *max_price_per_block,
                duration_blocks: *duration_blocks,
                deposit: *deposit,
                created_height: block.height,
                bids_until: block.height.saturating_add(*bid_blocks),
                bidders: Vec::new(),
                status: OrderStatus::Open,
            };
            post_order(state, *bid_blocks, o)
        }
        Call::CloseOrder { order } => close_order(state, params, block, signer, order),
        Call::PlaceBid {
            order,
            device,
            price_per_block,
            deposit,
            expires_in,
        } => place_bid(
            state,
            block,
            signer,
            order,
            device,
            *price_per_block,
            *deposit,
            *expires_in,
        ),
        Call::WithdrawBid { order, device } => withdraw_bid(state, signer, order, device),
        Call::AcceptBid { order, device } => {
            accept_bid(state, params, block, signer, order, device)
        }
        Call::DepositLease { lease, amount } => {
            deposit_lease(state, params, block, signer, lease, *amount)
        }
        Call::CloseLease { lease } => close_lease(state, params, block, signer, lease),
        Call::SettleChecks { checks, signatures } => {
            settle_checks(state, params, block, checks, signatures)
        }
        _ => unreachable!("compute::apply routes only market calls here"),
    }
}

fn terms_err(reason: impl Into<String>) -> Fail {
    TxError::BadComputeTerms {
        reason: reason.into(),
    }
    .into()
}

fn check_model(model: &str) -> Result<(), Fail> {
    let ok = !model.is_empty()
        && model.len() <= MAX_MODEL_BYTES
        && model
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !ok {
        return Err(terms_err(format!(
            "an accelerator model is 1 to {MAX_MODEL_BYTES} characters of a-z, 0-9, '-', '_', '.'"
        )));
    }
    Ok(())
}

/// Checks an offer's attributes.
fn check_attrs(attrs: &ComputeAttrs) -> Result<(), Fail> {
    if attrs.cores == 0 || attrs.memory_mib == 0 {
        return Err(terms_err("cores and memory must be at least 1"));
    }
    if let Some(a) = &attrs.accelerator {
        check_model(&a.model)?;
        if a.memory_mib == 0 || a.count == 0 {
            return Err(terms_err(
                "an accelerator needs memory and a count of at least 1",
            ));
        }
    }
    devices::check_location(attrs.region)?;
    Ok(())
}

/// Whether an offer's attributes (attested or not) and lease collateral meet an
/// order's requirements; the error names the first requirement missed.
pub fn meets_requirements(
    attrs: &ComputeAttrs,
    attested: bool,
    collateral_per_lease: Amount,
    req: &ComputeRequirements,
) -> Result<(), String> {
    if attrs.cores < req.min_cores {
        return Err(format!(
            "{} cores, the order needs {}",
            attrs.cores, req.min_cores
        ));
    }
    if attrs.memory_mib < req.min_memory_mib {
        return Err(format!(
            "{} MiB of memory, the order needs {}",
            attrs.memory_mib, req.min_memory_mib
        ));
    }
    if let Some(model) = &req.accelerator_model {
        match &attrs.accelerator {
            Some(a) if a.model == *model => {}
            Some(a) => return Err(format!("accelerator {}, the order needs {model}", a.model)),
            None => return Err(format!("no accelerator, the order needs {model}")),
        }
    }
    if req.min_accelerator_memory_mib > 0 {
        let mem = attrs.accelerator.as_ref().map_or(0, |a| a.memory_mib);
        if mem < req.min_accelerator_memory_mib {
            return Err(format!(
                "{mem} MiB of accelerator memory, the order needs {}",
                req.min_accelerator_memory_mib
            ));
        }
    }
    if let Some(region) = req.region {
        let inside = match (
            h3o::CellIndex::try_from(attrs.region),
            h3o::CellIndex::try_from(region),
        ) {
            (Ok(cell), Ok(area)) => cell.parent(area.resolution()) == Some(area),
            _ => false,
        };
        if !inside {
            return Err(format!("region {:x} is outside {region:x}", attrs.region));
        }
    }
    if req.attested_only && !attested {
        return Err("its attributes are not attested by its maker".into());
    }
    if collateral_per_lease < req.min_collateral {
        return Err(format!(
            "collateral {collateral_per_lease} per lease, the order needs {}",
            req.min_collateral
        ));
    }
    Ok(())
}

/// An offer's terms, as the call names them.
struct OfferTerms<'a> {
    endpoint: &'a str,
    attrs: &'a ComputeAttrs,
    attestation: Option<&'a plinth_core::Signature>,
    price_per_block: u64,
    price_per_task: u64,
    collateral_per_lease: Amount,
    collateral_per_task: Amount,
}

/// The OfferCompute call.
fn set_offer<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    device: &DeviceId,
    t: &OfferTerms<'_>,
    deposit: Amount,
) -> Result<(), Fail> {
    let d = devices::owned_active(state, device, signer)?;
    compute_network(state, &d.network)?;
    check_endpoint(t.endpoint, self::params(state)?.allow_private_endpoints)?;
    check_attrs(t.attrs)?;
    if t.price_per_block == 0 || t.price_per_task == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let attested_by = match t.attestation {
        None => None,
        Some(sig) => {
            let bad = |reason: &str| TxError::BadAttestation {
                device: device.to_string(),
                reason: reason.to_string(),
            };
            let maker = d
                .maker
                .ok_or_else(|| bad("the device was registered without a maker"))?;
            let m = makers::load(state, &maker)?.ok_or_else(|| bad("its maker is not approved"))?;
            if m.revoked_in(block.current_epoch(state, params)?) {
                return Err(bad("its maker is revoked").into());
            }
            let msg = attrs_attestation_message(&params.chain, device, t.attrs);
            maker
                .0
                .verify(&msg, sig)
                .map_err(|_| bad("the signature is not the maker's over these attributes"))?;
            Some(maker)
        }
    };
    let mut o = offer(state, device)?.unwrap_or(ComputeOffer {
        device: *device,
        network: d.network.clone(),
        endpoint: String::new(),
        attrs: t.attrs.clone(),
        attested_by: None,
        price_per_block: 0,
        price_per_task: 0,
        collateral_per_lease: 0,
        collateral_per_task: 0,
        free: 0,
        locked: 0,
        open_leases: 0,
    });
    o.endpoint = t.endpoint.to_string();
    o.attrs = t.attrs.clone();
    o.attested_by = attested_by;
    o.price_per_block = t.price_per_block;
    o.price_per_task = t.price_per_task;
    o.collateral_per_lease = t.collateral_per_lease;
    o.collateral_per_task = t.collateral_per_task;
    if deposit > 0 {
        accounts::debit(state, signer, deposit)?;
        o.free = o.free.checked_add(deposit).ok_or(TxError::Overflow)?;
    }
    state.put_t(keys::compute_offer(device.key()), &o);
    Ok(())
}

/// The WithdrawComputeCollateral call.
fn withdraw_collateral<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    device: &DeviceId,
    amount: Amount,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    devices::owned(state, device, signer)?;
    let mut o = offer(state, device)?.ok_or_else(|| TxError::NoComputeOffer {
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
    state.put_t(keys::compute_offer(device.key()), &o);
    accounts::credit(state, signer, amount)
}

/// The PostOrder call.
fn post_order<S: Store>(
    state: &mut Overlay<'_, S>,
    bid_blocks: u64,
    o: ComputeOrder,
) -> Result<(), Fail> {
    compute_network(state, &o.network)?;
    let p = params(state)?;
    let req = &o.requirements;
    if let Some(model) = &req.accelerator_model {
        check_model(model)?;
    }
    if let Some(region) = req.region {
        devices::check_location(region)?;
    }
    if o.max_price_per_block == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    if o.duration_blocks == 0 || o.duration_blocks > p.max_lease_blocks {
        return Err(terms_err(format!(
            "a lease lasts 1 to {} blocks",
            p.max_lease_blocks
        )));
    }
    if bid_blocks == 0 || bid_blocks > p.max_bid_blocks {
        return Err(terms_err(format!(
            "bids are taken for 1 to {} blocks",
            p.max_bid_blocks
        )));
    }
    if o.deposit < o.max_price_per_block {
        return Err(terms_err(
            "the deposit must pay at least one block at the maximum price",
        ));
    }
    credits::spend(state, &o.consumer, o.deposit)?;
    state.put_t(keys::compute_order(&o.id), &o);
    Ok(())
}

fn load_order<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<ComputeOrder, Fail> {
    Ok(order(state, id)?.ok_or_else(|| TxError::UnknownOrder {
        order: id.to_string(),
    })?)
}

fn not_consumer(consumer: &Address) -> Fail {
    TxError::NotConsumer {
        consumer: consumer.to_string(),
    }
    .into()
}

/// Returns a bid's deposit to its device's owner now, and deletes the bid.
fn release_bid<S: Store>(
    state: &mut Overlay<'_, S>,
    order: &Hash,
    device: &DeviceId,
) -> Result<(), Fail> {
    let Some(b) = bid(state, order, device)? else {
        return Ok(());
    };
    if b.deposit > 0 {
        let owner = devices::load(state, device)?
            .ok_or_else(|| LedgerError::Corrupt {
                key: format!("device {device}"),
                reason: "a bidding device is missing".into(),
            })?
            .owner;
        accounts::credit(state, &owner, b.deposit)?;
    }
    state.delete(keys::compute_bid(order, device.key()));
    Ok(())
}

/// The CloseOrder call.
fn close_order<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
) -> Result<(), Fail> {
    let mut o = load_order(state, id)?;
    if o.consumer != *signer {
        return Err(not_consumer(&o.consumer));
    }
    if o.status != OrderStatus::Open {
        return Err(TxError::OrderNotOpen {
            order: id.to_string(),
        }
        .into());
    }
    for d in std::mem::take(&mut o.bidders) {
        release_bid(state, id, &d)?;
    }
    let epoch = block.current_epoch(state, params)?;
    refund(state, &o.network, epoch, &o.consumer, o.deposit)?;
    o.status = OrderStatus::Closed;
    state.put_t(keys::compute_order(id), &o);
    Ok(())
}

/// The PlaceBid call (a second bid of the same device replaces its first).
#[allow(clippy::too_many_arguments)]
fn place_bid<S: Store>(
    state: &mut Overlay<'_, S>,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
    device: &DeviceId,
    price_per_block: u64,
    deposit: Amount,
    expires_in: u64,
) -> Result<(), Fail> {
    let mut o = load_order(state, id)?;
    if o.status != OrderStatus::Open || block.height >= o.bids_until {
        return Err(TxError::OrderNotOpen {
            order: id.to_string(),
        }
        .into());
    }
    let d = devices::owned_active(state, device, signer)?;
    let off = offer(state, device)?.ok_or_else(|| TxError::NoComputeOffer {
        device: device.to_string(),
    })?;
    let bad = |reason: String| -> Fail { TxError::BadBid { reason }.into() };
    if d.network != o.network {
        return Err(bad(format!(
            "the device works in {}, the order in {}",
            d.network, o.network
        )));
    }
    meets_requirements(
        &off.attrs,
        off.attested_by.is_some(),
        off.collateral_per_lease,
        &o.requirements,
    )
    .map_err(|reason| TxError::RequirementsNotMet {
        device: device.to_string(),
        reason,
    })?;
    if price_per_block > o.max_price_per_block {
        return Err(bad(format!(
            "price {price_per_block} per block is above the order's {}",
            o.max_price_per_block
        )));
    }
    if price_per_block < off.price_per_block {
        return Err(bad(format!(
            "price {price_per_block} per block is below the offer's {}",
            off.price_per_block
        )));
    }
    let max_blocks = params(state)?.max_bid_blocks;
    if expires_in == 0 || expires_in > max_blocks {
        return Err(bad(format!("a bid stays open 1 to {max_blocks} blocks")));
    }
    if o.bidders.contains(device) {
        release_bid(state, id, device)?;
    } else {
        if o.bidders.len() >= MAX_BIDS_PER_ORDER {
            return Err(bad(format!(
                "the order has {MAX_BIDS_PER_ORDER} bids already"
            )));
        }
        o.bidders.push(*device);
    }
    if deposit > 0 {
        accounts::debit(state, signer, deposit)?;
    }
    let b = ComputeBid {
        order: *id,
        provider: *device,
        price_per_block,
        deposit,
        attrs: off.attrs.clone(),
        attested: off.attested_by.is_some(),
        expires_height: block.height.saturating_add(expires_in),
        placed_height: block.height,
    };
    state.put_t(keys::compute_bid(id, device.key()), &b);
    state.put_t(keys::compute_order(id), &o);
    Ok(())
}

/// The WithdrawBid call.
fn withdraw_bid<S: Store>(
    state: &mut Overlay<'_, S>,
    signer: &Address,
    id: &Hash,
    device: &DeviceId,
) -> Result<(), Fail> {
    devices::owned(state, device, signer)?;
    let mut o = load_order(state, id)?;
    if bid(state, id, device)?.is_none() {
        return Err(TxError::UnknownBid {
            order: id.to_string(),
            device: device.to_string(),
        }
        .into());
    }
    release_bid(state, id, device)?;
    o.bidders.retain(|d| d != device);
    state.put_t(keys::compute_order(id), &o);
    Ok(())
}

/// The AcceptBid call: the lease.
fn accept_bid<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
    device: &DeviceId,
) -> Result<(), Fail> {
    let mut o = load_order(state, id)?;
    if o.consumer != *signer {
        return Err(not_consumer(&o.consumer));
    }
    if o.status != OrderStatus::Open {
        return Err(TxError::OrderNotOpen {
            order: id.to_string(),
        }
        .into());
    }
    let b = bid(state, id, device)?.ok_or_else(|| TxError::UnknownBid {
        order: id.to_string(),
        device: device.to_string(),
    })?;
    if block.height >= b.expires_height {
        return Err(TxError::BadBid {
            reason: format!("the bid lapsed at height {}", b.expires_height),
        }
        .into());
    }
    let d = devices::load(state, device)?
        .filter(|d| d.is_active())
        .ok_or_else(|| TxError::DeviceRetired {
            device: device.to_string(),
        })?;
    let mut off = offer(state, device)?.ok_or_else(|| TxError::NoComputeOffer {
        device: device.to_string(),
    })?;
    let collateral = off.collateral_per_lease;
    if off.free < collateral {
        return Err(TxError::InsufficientCollateral {
            needed: collateral,
            available: off.free,
        }
        .into());
    }
    off.free -= collateral;
    off.locked = off
        .locked
        .checked_add(collateral)
        .ok_or(TxError::Overflow)?;
    off.open_leases = off.open_leases.saturating_add(1);
    state.put_t(keys::compute_offer(device.key()), &off);
    for other in std::mem::take(&mut o.bidders) {
        release_bid(state, id, &other)?;
    }
    o.status = OrderStatus::Leased;
    state.put_t(keys::compute_order(id), &o);
    let lease = Lease {
        id: *id,
        consumer: o.consumer,
        provider: *device,
        network: d.network.clone(),
        price_per_block: b.price_per_block,
        attrs: b.attrs,
        escrow: o.deposit,
        paid: 0,
        start_height: block.height,
        end_height: block.height.saturating_add(o.duration_blocks),
        settled_height: block.height,
        collateral,
        next_check_epoch: block.current_epoch(state, params)?,
        checks_passed: 0,
        checks_failed: 0,
        consecutive_failures: 0,
        status: LeaseStatus::Active,
        closed_height: 0,
    };
    state.put(keys::lease_by_provider(device.key(), id), Vec::new());
    state.put(keys::lease_by_consumer(o.consumer.key(), id), Vec::new());
    state.put(keys::active_lease(&lease.network, id), Vec::new());
    state.put_t(keys::lease(id), &lease);
    Ok(())
}

/// What a lease owes and pays when settled at `height`: `(paid now, settled up to,
/// closed by)`. Pure: the one computation [`settle_lease`] and [`lease_now`] share.
fn settlement(lease: &Lease, height: u64) -> (u64, u64, Option<LeaseCloseReason>) {
    if lease.status != LeaseStatus::Active {
        return (0, lease.settled_height, None);
    }
    let until = height.min(lease.end_height).max(lease.settled_height);
    let blocks = until - lease.settled_height;
    let owed = u128::from(blocks) * u128::from(lease.price_per_block);
    if owed > u128::from(lease.escrow) {
        // Dry: the escrow covers the whole blocks it can pay; those are paid, a
        // remainder smaller than a block's price goes back to the consumer.
        let covered = lease.escrow / lease.price_per_block.max(1);
        return (
            covered * lease.price_per_block,
            lease.settled_height + covered,
            Some(LeaseCloseReason::EscrowExhausted),
        );
    }
    let pay = owed as u64;
    let left = lease.escrow - pay;
    let closed = if until >= lease.end_height {
        Some(LeaseCloseReason::DurationEnded)
    } else if left < lease.price_per_block {
        // Not even the next block is covered.
        Some(LeaseCloseReason::EscrowExhausted)
    } else {
        None
    };
    (pay, until, closed)
}

/// Pays a lease up to `block.height` (exclusive) from its escrow: price × blocks,
/// at most the escrow, never past `end_height`. Marks it closed (`EscrowExhausted`,
/// `DurationEnded`) when payment stopped for good, without releasing anything
/// (the caller finishes the close: [`finish_lease`]). Records the payment in the
/// block's epoch. Returns whether it closed.
pub fn settle_lease<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    lease: &mut Lease,
) -> Result<bool, Fail> {
    let (pay, until, closed) = settlement(lease, block.height);
    if lease.status != LeaseStatus::Active {
        return Ok(false);
    }
    lease.escrow -= pay;
    lease.paid = lease.paid.checked_add(pay).ok_or(TxError::Overflow)?;
    lease.settled_height = until;
    let epoch = block.current_epoch(state, params)?;
    record_payment(state, &lease.network, epoch, &lease.provider, pay)?;
    if let Some(reason) = closed {
        lease.status = LeaseStatus::Closed(reason);
        lease.closed_height = block.height;
        return Ok(true);
    }
    Ok(false)
}

/// The lease as it would stand at `height` (what was paid, what is left, whether it
/// ended), for queries: no writes.
pub fn lease_now(lease: &Lease, height: u64) -> Lease {
    let mut l = lease.clone();
    let (pay, until, closed) = settlement(lease, height);
    if l.status == LeaseStatus::Active {
        l.escrow -= pay;
        l.paid = l.paid.saturating_add(pay);
        l.settled_height = until;
        if let Some(reason) = closed {
            l.status = LeaseStatus::Closed(reason);
            l.closed_height = height;
        }
    }
    l
}

/// Ends a settled lease whose status says why: the escrow's rest back to the
/// consumer, `slash_bps` of the collateral to the consumer and the rest back to the
/// provider's pool, the indexes and the provider's reputation updated.
fn finish_lease<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    lease: &mut Lease,
    slash_bps: u32,
) -> Result<(), Fail> {
    let epoch = block.current_epoch(state, params)?;
    let rest = std::mem::take(&mut lease.escrow);
    refund(state, &lease.network, epoch, &lease.consumer, rest)?;
    let slashed =
        (u128::from(lease.collateral) * u128::from(slash_bps.min(10_000)) / 10_000) as Amount;
    if let Some(mut off) = offer(state, &lease.provider)? {
        off.locked = off.locked.saturating_sub(lease.collateral);
        off.free = off
            .free
            .checked_add(lease.collateral - slashed)
            .ok_or(TxError::Overflow)?;
        off.open_leases = off.open_leases.saturating_sub(1);
        state.put_t(keys::compute_offer(lease.provider.key()), &off);
    }
    if slashed > 0 {
        accounts::credit(state, &lease.consumer, slashed)?;
    }
    if lease.closed_height == 0 {
        lease.closed_height = block.height;
    }
    let failed = lease.status == LeaseStatus::Closed(LeaseCloseReason::FailedChecks);
    update_reputation(state, &lease.provider, |r| {
        if failed {
            r.leases_failed = r.leases_failed.checked_add(1)?;
        } else {
            r.leases_completed = r.leases_completed.checked_add(1)?;
        }
        Some(())
    })?;
    update_usage(state, &lease.network, epoch, |u| {
        u.leases_closed = u.leases_closed.checked_add(1)?;
        Some(())
    })?;
    state.delete(keys::active_lease(&lease.network, &lease.id));
    state.put_t(keys::lease(&lease.id), lease);
    Ok(())
}

fn load_lease<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<Lease, Fail> {
    Ok(lease(state, id)?.ok_or_else(|| TxError::UnknownLease {
        lease: id.to_string(),
    })?)
}

fn closed(id: &Hash) -> Fail {
    TxError::LeaseClosed {
        lease: id.to_string(),
    }
    .into()
}

/// The DepositLease call.
fn deposit_lease<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
    amount: u64,
) -> Result<(), Fail> {
    if amount == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    let mut l = load_lease(state, id)?;
    if l.consumer != *signer {
        return Err(not_consumer(&l.consumer));
    }
    if l.status != LeaseStatus::Active || settle_lease(state, params, block, &mut l)? {
        // A lease that ended stays ended (the transaction changes nothing).
        return Err(closed(id));
    }
    credits::spend(state, signer, amount)?;
    l.escrow = l.escrow.checked_add(amount).ok_or(TxError::Overflow)?;
    state.put_t(keys::lease(id), &l);
    Ok(())
}

/// The CloseLease call.
fn close_lease<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
) -> Result<(), Fail> {
    let mut l = load_lease(state, id)?;
    if l.status != LeaseStatus::Active {
        return Err(closed(id));
    }
    if !settle_lease(state, params, block, &mut l)? {
        let provider_owner = devices::load(state, &l.provider)?.map(|d| d.owner);
        let reason = if *signer == l.consumer {
            LeaseCloseReason::ClosedByConsumer
        } else if Some(*signer) == provider_owner {
            LeaseCloseReason::ClosedByProvider
        } else {
            return Err(TxError::NotLeaseParty {
                lease: id.to_string(),
            }
            .into());
        };
        l.status = LeaseStatus::Closed(reason);
        l.closed_height = block.height;
    }
    finish_lease(state, params, block, &mut l, 0)
}

/// The SettleChecks call.
fn settle_checks<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    checks: &ComputeChecks,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    check_envelope(params, &checks.chain, signatures)?;
    if checks.leases.len() > MAX_CHECK_RESULTS {
        return Err(TxError::TooManyResults {
            count: checks.leases.len() as u64,
            limit: MAX_CHECK_RESULTS as u64,
        }
        .into());
    }
    if let Some(l) = checks.leases.iter().find(|l| l.results.len() > 64) {
        return Err(TxError::TooManyResults {
            count: l.results.len() as u64,
            limit: 64,
        }
        .into());
    }
    compute_network(state, &checks.network)?;
    block.check_epoch_over(params, checks.epoch)?;
    check_quorum(state, checks.epoch, &checks.signing_bytes(), signatures)?;
    let cp = self::params(state)?;
    let epoch_now = block.current_epoch(state, params)?;
    for lc in &checks.leases {
        let Some(mut l) = lease(state, &lc.lease)? else {
            continue;
        };
        // Each epoch's checks apply once, in order; other networks' leases never.
        if l.status != LeaseStatus::Active
            || l.network != checks.network
            || checks.epoch < l.next_check_epoch
        {
            continue;
        }
        if settle_lease(state, params, block, &mut l)? {
            finish_lease(state, params, block, &mut l, 0)?;
            continue;
        }
        l.next_check_epoch = checks.epoch + 1;
        let (mut passed, mut failed) = (0u64, 0u64);
        let mut failing = false;
        for &ok in &lc.results {
            if ok {
                passed += 1;
                l.consecutive_failures = 0;
            } else {
                failed += 1;
                l.consecutive_failures = l.consecutive_failures.saturating_add(1);
                if l.consecutive_failures >= cp.max_check_failures {
                    failing = true;
                    break;
                }
            }
        }
        l.checks_passed += passed;
        l.checks_failed += failed;
        update_reputation(state, &l.provider, |r| {
            r.checks_passed = r.checks_passed.checked_add(passed)?;
            r.checks_failed = r.checks_failed.checked_add(failed)?;
            Some(())
        })?;
        update_usage(state, &l.network, epoch_now, |u| {
            u.checks_passed = u.checks_passed.checked_add(passed)?;
            u.checks_failed = u.checks_failed.checked_add(failed)?;
            Some(())
        })?;
        if failing {
            l.status = LeaseStatus::Closed(LeaseCloseReason::FailedChecks);
            l.closed_height = block.height;
            finish_lease(state, params, block, &mut l, cp.check_slash_bps)?;
        } else {
            state.put_t(keys::lease(&l.id), &l);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;
    use proptest::prelude::*;

    fn lease(price: u64, escrow: u64, start: u64, duration: u64) -> Lease {
        let k = Keypair::from_seed([7; 32]);
        Lease {
            id: Hash::tagged("test", b"lease"),
            consumer: Address(k.public()),
            provider: DeviceId(k.public()),
            network: "gpu".into(),
            price_per_block: price,
            attrs: ComputeAttrs {
                cores: 1,
                memory_mib: 1,
                accelerator: None,
                region: 0,
            },
            escrow,
            paid: 0,
            start_height: start,
            end_height: start + duration,
            settled_height: start,
            collateral: 0,
            next_check_epoch: 0,
            checks_passed: 0,
            checks_failed: 0,
            consecutive_failures: 0,
            status: LeaseStatus::Active,
            closed_height: 0,
        }
    }

    proptest! {
        /// Settled at any sequence of heights, a lease never pays more than its
        /// escrow, pays whole blocks at its price, keeps every credit (paid + left =
        /// deposited) and ends for the right reason.
        #[test]
        fn settling_conserves_credits_and_never_overpays(
            price in 1u64..1_000,
            escrow in 0u64..100_000,
            duration in 1u64..500,
            steps in prop::collection::vec(0u64..200, 1..12),
        ) {
            let start = 10;
            let mut l = lease(price, escrow, start, duration);
            let mut height = start;
            for step in steps {
                height += step;
                l = lease_now(&l, height);
                prop_assert_eq!(l.paid + l.escrow, escrow);
                prop_assert_eq!(l.paid % price, 0);
                prop_assert_eq!(l.paid / price, l.settled_height - start);
                prop_assert!(l.settled_height <= l.end_height);
                match l.status {
                    LeaseStatus::Active => {
                        prop_assert!(l.escrow >= price);
                        prop_assert!(l.settled_height < l.end_height);
                    }
                    LeaseStatus::Closed(LeaseCloseReason::EscrowExhausted) => {
                        prop_assert!(l.escrow < price, "closed dry with {} left", l.escrow);
                    }
                    LeaseStatus::Closed(LeaseCloseReason::DurationEnded) => {
                        prop_assert_eq!(l.settled_height, l.end_height);
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            // Settled once at the end or step by step: the same payment.
            let once = lease_now(&lease(price, escrow, start, duration), height);
            prop_assert_eq!(once.paid, l.paid);
        }
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let attrs = ComputeAttrs {
            cores: 8,
            memory_mib: 1_024,
            accelerator: Some(Accelerator {
                model: "a100".into(),
                memory_mib: 40_960,
                count: 2,
            }),
            region: 0,
        };
        let ok = ComputeRequirements::default();
        assert_eq!(meets_requirements(&attrs, false, 0, &ok), Ok(()));
        let more_cores = ComputeRequirements {
            min_cores: 9,
            ..ok.clone()
        };
        assert!(meets_requirements(&attrs, false, 0, &more_cores)
            .unwrap_err()
            .contains("8 cores"));
        let attested = ComputeRequirements {
            attested_only: true,
            ..ok.clone()
        };
        assert!(meets_requirements(&attrs, false, 0, &attested).is_err());
        assert_eq!(meets_requirements(&attrs, true, 0, &attested), Ok(()));
        let gpu_mem = ComputeRequirements {
            min_accelerator_memory_mib: 81_920,
            ..ok.clone()
        };
        assert!(meets_requirements(&attrs, false, 0, &gpu_mem)
            .unwrap_err()
            .contains("40960"));
        let collateral = ComputeRequirements {
            min_collateral: 10,
            ..ok
        };
        assert!(meets_requirements(&attrs, false, 9, &collateral).is_err());
    }

    #[test]
    fn a_region_requirement_takes_cells_inside_it() {
        use h3o::{LatLng, Resolution};
        let berlin = LatLng::new(52.52, 13.405)
            .unwrap()
            .to_cell(Resolution::Nine);
        let paris = LatLng::new(48.857, 2.352)
            .unwrap()
            .to_cell(Resolution::Nine);
        let area = berlin.parent(Resolution::Four).unwrap();
        let at = |cell: h3o::CellIndex| ComputeAttrs {
            cores: 1,
            memory_mib: 1,
            accelerator: None,
            region: u64::from(cell),
        };
        let req = ComputeRequirements {
            region: Some(u64::from(area)),
            ..ComputeRequirements::default()
        };
        assert_eq!(meets_requirements(&at(berlin), false, 0, &req), Ok(()));
        assert_eq!(meets_requirements(&at(area), false, 0, &req), Ok(()));
        assert!(meets_requirements(&at(paris), false, 0, &req)
            .unwrap_err()
            .contains("outside"));
    }
}
