//! Energy: neighbours trade metered power in a local market, settled against
//! what their meters prove.
//!
//! ```text
//!  owner ──DeclareMeter{device, capacity_w}──▶ meter of an energy network: its site (one
//!            meter per site), its zone (H3 parent at zone_resolution), its capacity
//!  owner ──PostOrder{meter, bid|offer, Wh, price, intervals}──▶ book of the meter's zone;
//!            escrow (bids: value(Wh, price)) or collateral (offers: value(Wh, penalty))
//!            for its first interval spent now, for each next one at clearing
//!  end of block, gate closure of interval i ──▶ each zone's uniform-price double
//!            auction ([`auction`]); unfilled escrow back; fills kept
//!  anyone ──PostReadings{signed readings}──▶ checked ([`plinth_proofs::energy`]),
//!            kept for the interval
//!  end of block, interval end + settle_ms ──▶ zone agreement; verified generation
//!            recorded (the oracle pays it) and certified (per `certificate_wh`, a MWh); trades settled
//!            ([`settle`]): sellers earn, deviations pay the balancing account
//!  owner ──TransferCertificate / RetireCertificate──▶ certificates change hands or retire
//! ```
//!
//! Credits cannot be transferred: a buyer's payment is *spent* and counts as the
//! selling meter's earnings in the network's epoch, which the network's usage
//! rewards pay in tokens (burn and mint, as for compute and bursts); refunds and
//! returned collateral come back as delegated credits.

pub mod auction;
pub mod settle;

use crate::context::{BlockContext, Fail, TxContext, UNKNOWN_TIME};
use crate::devices::{self, DeviceStatus};
use crate::error::{LedgerError, TxError};
use crate::governance::schedule;
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use crate::tx::Call;
use crate::{compute, credits, keys};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, FamilyKind};
use plinth_proofs::energy::{
    check_reading, zone_outliers, Baseline, EnergyParams, ReadingRefusal, SignedReading,
    ZoneGeneration,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Readings one transaction may carry.
pub const MAX_READINGS_PER_TX: usize = 256;
/// Orders one meter may have open at a time.
pub const MAX_LIVE_ORDERS: usize = 8;
/// Intervals a block clears (and settles) at most per network: a chain that was
/// down catches up over a few blocks.
pub const MAX_INTERVALS_PER_BLOCK: u64 = 4;

/// The longest retirement beneficiary, bytes.
pub const MAX_BENEFICIARY: usize = 128;
/// Entries per page of the lists the ledger walks (books, readings, fills).
const PAGE: u64 = 512;

/// An order's side.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buys energy, at most at its price.
    Bid,
    /// Sells energy, at least at its price.
    Offer,
}

impl Side {
    /// `bid` or `offer`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Bid => "bid",
            Side::Offer => "offer",
        }
    }
}

/// A reading refused, as the meter's record keeps its last.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Refused {
    /// The reading's interval.
    pub interval: u64,
    /// The refusal's code (`export_at_night`, …).
    pub code: String,
    /// What it says.
    pub reason: String,
}

impl Refused {
    fn of(interval: u64, r: &ReadingRefusal) -> Refused {
        Refused {
            interval,
            code: r.code().to_string(),
            reason: r.to_string(),
        }
    }
}

/// A meter of an energy network.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Meter {
    /// The device.
    pub device: DeviceId,
    /// Its network.
    pub network: String,
    /// Its site: the H3 cell it is registered at (one meter per site).
    pub site: u64,
    /// Its zone: the site's parent at the network's zone resolution.
    pub zone: u64,
    /// Its generating capacity, W (0: a consumer).
    pub capacity_w: u64,
    /// Its last accepted reading.
    pub last: Option<Baseline>,
    /// Readings refused so far.
    pub refused: u64,
    /// The last refusal.
    pub last_refusal: Option<Refused>,
    /// Verified generation so far, Wh.
    pub generated_wh: u64,
    /// Verified generation not yet certified, Wh.
    pub uncertified_wh: u64,
    /// The first interval of the uncertified generation.
    pub uncertified_from: Option<u64>,
    /// Its open orders' sequence numbers.
    pub orders: Vec<u64>,
}

/// Where an order stands.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OrderStatus {
    /// In its zone's book.
    Open,
    /// Its last interval cleared.
    Done,
    /// Cancelled by its owner.
    Cancelled {
        /// The height.
        height: u64,
    },
    /// Its owner's credits did not cover its next interval.
    OutOfCredits {
        /// The interval it could not pay for.
        interval: u64,
    },
}

impl OrderStatus {
    /// The status's name.
    pub fn name(&self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Done => "done",
            OrderStatus::Cancelled { .. } => "cancelled",
            OrderStatus::OutOfCredits { .. } => "out_of_credits",
        }
    }
}

/// An order: one interval's, or a standing one for each of a range.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Order {
    /// Its sequence number (time priority).
    pub seq: u64,
    /// The network.
    pub network: String,
    /// The meter it trades for.
    pub meter: DeviceId,
    /// Who posted it (the meter's owner then): pays, earns and gets refunds.
    pub owner: Address,
    /// The meter's zone.
    pub zone: u64,
    /// Bid or offer.
    pub side: Side,
    /// Energy per interval, Wh.
    pub wh: u64,
    /// A bid's highest or an offer's lowest price, credits per kWh.
    pub price: u64,
    /// Its first interval.
    pub from_interval: u64,
    /// Its last interval.
    pub to_interval: u64,
    /// Credits held for the next interval it trades in.
    pub held: u64,
    /// Energy filled so far, Wh.
    pub filled_wh: u64,
    /// The height it was posted at.
    pub height: u64,
    /// Where it stands.
    pub status: OrderStatus,
}

impl Order {
    /// What one interval of it holds: a bid's escrow at its price, an offer's
    /// collateral at the penalty price.
    pub fn per_interval(&self, params: &EnergyParams) -> u64 {
        match self.side {
            Side::Bid => settle::value(self.wh, self.price),
            Side::Offer => settle::value(self.wh, params.penalty_price),
        }
    }
}

/// What a zone's interval cleared, and how it settled.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ZoneClearing {
    /// The network.
    pub network: String,
    /// The interval.
    pub interval: u64,
    /// The zone.
    pub zone: u64,
    /// The clearing price, credits per kWh (0: nothing traded).
    pub price: u64,
    /// Energy traded, Wh.
    pub volume_wh: u64,
    /// Bids in the auction.
    pub bids: u32,
    /// Offers in the auction.
    pub offers: u32,
    /// The height it cleared at.
    pub height: u64,
    /// How it settled, once it has.
    pub settled: Option<ZoneSettlement>,
}

/// A zone interval's settlement.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ZoneSettlement {
    /// Energy the sellers delivered, Wh.
    pub delivered_wh: u64,
    /// Credits the buyers paid.
    pub paid: u64,
    /// Credits to the balancing account (deviations, rounding).
    pub balancing: u64,
    /// The height it settled at.
    pub height: u64,
}

/// An order's fill in a cleared interval, until it settles.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
struct Fill {
    seq: u64,
    side: Side,
    meter: DeviceId,
    owner: Address,
    wh: u64,
    held: u64,
}

/// One order's trade in one interval, as settled (a meter's history).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TradeRecord {
    /// The interval.
    pub interval: u64,
    /// The order.
    pub order: u64,
    /// Bid or offer.
    pub side: Side,
    /// The zone's clearing price, credits per kWh.
    pub price: u64,
    /// Energy traded, Wh.
    pub traded_wh: u64,
    /// Energy delivered (a seller's) or received (a buyer's share), Wh.
    pub delivered_wh: u64,
    /// Credits earned (seller) or paid (buyer).
    pub paid: u64,
    /// Credits of collateral taken for a seller's deviation.
    pub penalty: u64,
    /// Credits that went back to the owner.
    pub returned: u64,
    /// The height it settled at.
    pub height: u64,
}

/// A certificate of one verified MWh of generation.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Certificate {
    /// Its id (sequence).
    pub id: u64,
    /// The network.
    pub network: String,
    /// The meter that generated it.
    pub meter: DeviceId,
    /// Who holds it.
    pub owner: Address,
    /// Energy certified, Wh.
    pub wh: u64,
    /// The first interval of the generation.
    pub first_interval: u64,
    /// The last.
    pub last_interval: u64,
    /// The height it was issued at.
    pub issued_height: u64,
    /// Retired (claimed for its beneficiary; it can no longer move), if so.
    pub retired: Option<Retirement>,
}

/// A certificate's retirement.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Retirement {
    /// The height.
    pub height: u64,
    /// Who the energy is claimed for.
    pub beneficiary: String,
}

/// A network's market clock and balancing account.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct MarketState {
    /// The next interval to clear.
    pub next_clear: u64,
    /// The next interval to settle.
    pub next_settle: u64,
    /// Credits the balancing account took in (deviations and rounding).
    pub balancing: u64,
    /// Orders in the books (all zones).
    pub open_orders: u64,
}

// ---- reads ----

/// The meter `device`, if declared.
pub fn meter<S: Store>(
    state: &Overlay<'_, S>,
    device: &DeviceId,
) -> Result<Option<Meter>, LedgerError> {
    state.get_t(&keys::energy_meter(device))
}

/// Order `seq`, if any.
pub fn order<S: Store>(state: &Overlay<'_, S>, seq: u64) -> Result<Option<Order>, LedgerError> {
    state.get_t(&keys::energy_order(seq))
}

/// A network's market state (before its first block: the default).
pub fn market<S: Store>(state: &Overlay<'_, S>, network: &str) -> Result<MarketState, LedgerError> {
    state.get_or_default(&keys::energy_market(network))
}

/// Certificate `id`, if any.
pub fn certificate<S: Store>(
    state: &Overlay<'_, S>,
    id: u64,
) -> Result<Option<Certificate>, LedgerError> {
    state.get_t(&keys::energy_certificate(id))
}

/// The energy parameters of `network` as in force in `epoch`, or why it has none.
pub(crate) fn energy_network<S: Store>(
    state: &Overlay<'_, S>,
    name: &str,
    epoch: u64,
) -> Result<(Network, EnergyParams), Fail> {
    let n = schedule::network_at(state, name, epoch)?.ok_or_else(|| TxError::UnknownNetwork {
        network: name.to_string(),
    })?;
    let params = params_of(&n).ok_or_else(|| TxError::NotEnergyNetwork {
        network: name.to_string(),
        family: n.family.clone(),
    })?;
    Ok((n, params))
}

/// An energy network's parameters (`None`: another family, or parameters that
/// do not parse, which the ledger refused when they were set).
pub fn params_of(n: &Network) -> Option<EnergyParams> {
    if n.family != FamilyKind::Energy {
        return None;
    }
    match plinth_proofs::Family::from_kind(FamilyKind::Energy, &n.params_json) {
        Ok(plinth_proofs::Family::Energy(p)) => Some(p),
        _ => None,
    }
}

fn bad(reason: impl Into<String>) -> Fail {
    TxError::BadEnergy {
        reason: reason.into(),
    }
    .into()
}

/// The time a call's checks judge by: the block's; at admission, the head's.
fn now_ms<S: Store>(
    state: &Overlay<'_, S>,
    block: &BlockContext,
    params: &ChainParams,
) -> Result<u64, LedgerError> {
    if block.timestamp_ms != UNKNOWN_TIME {
        return Ok(block.timestamp_ms);
    }
    Ok(state
        .get_t::<(u64, u64)>(keys::HEAD)?
        .map(|(_, t)| t)
        .unwrap_or(params.genesis_time_ms))
}

// ---- paged lists: what the ledger walks (it cannot scan keys) ----

fn list_len<S: Store>(state: &Overlay<'_, S>, prefix: &[u8]) -> Result<u64, LedgerError> {
    state.get_or_default(&[prefix, b"#"].concat())
}

fn page_key(prefix: &[u8], page: u64) -> Vec<u8> {
    [prefix, b"p", &page.to_be_bytes()].concat()
}

fn list_push<S: Store, T: BorshSerialize + BorshDeserialize>(
    state: &mut Overlay<'_, S>,
    prefix: &[u8],
    item: T,
) -> Result<(), LedgerError> {
    let n = list_len(state, prefix)?;
    let key = page_key(prefix, n / PAGE);
    let mut page: Vec<T> = state.get_t(&key)?.unwrap_or_default();
    page.push(item);
    state.put_t(key, &page);
    state.put_t([prefix, b"#"].concat(), &(n + 1));
    Ok(())
}

fn list_all<S: Store, T: BorshDeserialize>(
    state: &Overlay<'_, S>,
    prefix: &[u8],
) -> Result<Vec<T>, LedgerError> {
    let n = list_len(state, prefix)?;
    let mut out = Vec::with_capacity(n as usize);
    for p in 0..n.div_ceil(PAGE) {
        out.extend(
            state
                .get_t::<Vec<T>>(&page_key(prefix, p))?
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

fn list_get<S: Store, T: BorshDeserialize + Clone>(
    state: &Overlay<'_, S>,
    prefix: &[u8],
    index: u64,
) -> Result<Option<T>, LedgerError> {
    let page: Vec<T> = state
        .get_t(&page_key(prefix, index / PAGE))?
        .unwrap_or_default();
    Ok(page.get((index % PAGE) as usize).cloned())
}

fn list_replace<S: Store, T: BorshSerialize + BorshDeserialize>(
    state: &mut Overlay<'_, S>,
    prefix: &[u8],
    items: &[T],
) -> Result<(), LedgerError> {
    let old = list_len(state, prefix)?.div_ceil(PAGE);
    let new = (items.len() as u64).div_ceil(PAGE);
    for (p, chunk) in items.chunks(PAGE as usize).enumerate() {
        state.put_t(page_key(prefix, p as u64), &chunk);
    }
    for p in new..old {
        state.delete(page_key(prefix, p));
    }
    if items.is_empty() {
        state.delete([prefix, b"#"].concat());
    } else {
        state.put_t([prefix, b"#"].concat(), &(items.len() as u64));
    }
    Ok(())
}

// ---- calls ----

/// Applies an energy call.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let epoch = cx.block.current_epoch(cx.state, cx.params)?;
    let now = now_ms(cx.state, cx.block, cx.params)?;
    match call {
        Call::DeclareMeter { device, capacity_w } => {
            let d = devices::owned_active(cx.state, device, &cx.signer)?;
            let (n, p) = energy_network(cx.state, &d.network, epoch)?;
            if *capacity_w > p.max_capacity_w {
                return Err(bad(format!(
                    "capacity {capacity_w} W is above the network's largest, {} W",
                    p.max_capacity_w
                )));
            }
            let zone = zone_of(d.location, p.zone_resolution)?;
            let old = meter(cx.state, device)?;
            if let Some(m) = &old {
                if !m.orders.is_empty() && m.zone != zone {
                    return Err(bad("the meter moved zone: cancel its open orders first"));
                }
            }
            let site_key = keys::energy_site(&n.name, d.location);
            match cx.state.get_t::<DeviceId>(&site_key)? {
                Some(other) if other != *device => {
                    return Err(bad(format!(
                        "site {:x} already has meter {other}: one meter per site",
                        d.location
                    )))
                }
                _ => {}
            }
            let mut m = old.unwrap_or(Meter {
                device: *device,
                network: n.name.clone(),
                site: d.location,
                zone,
                capacity_w: 0,
                last: None,
                refused: 0,
                last_refusal: None,
                generated_wh: 0,
                uncertified_wh: 0,
                uncertified_from: None,
                orders: Vec::new(),
            });
            if m.site != d.location {
                cx.state.delete(keys::energy_site(&n.name, m.site));
            }
            m.site = d.location;
            m.zone = zone;
            m.capacity_w = *capacity_w;
            cx.state.put_t(site_key, device);
            cx.state.put_t(keys::energy_meter(device), &m);
            Ok(())
        }
        Call::PostEnergyOrder {
            meter: id,
            side,
            wh,
            price,
            from_interval,
            to_interval,
        } => {
            let d = devices::owned_active(cx.state, id, &cx.signer)?;
            let mut m = meter(cx.state, id)?.ok_or_else(|| {
                bad(format!(
                    "device {id} is not a declared meter (plinth energy meter)"
                ))
            })?;
            let (n, p) = energy_network(cx.state, &d.network, epoch)?;
            let clock = p.clock(cx.params.genesis_time_ms);
            let first = clock.first_open(now);
            if *from_interval < first {
                return Err(bad(format!(
                    "interval {from_interval} is closed: orders are open from interval {first}"
                )));
            }
            if to_interval < from_interval || to_interval - from_interval >= p.max_order_intervals {
                return Err(bad(format!(
                    "intervals {from_interval}..={to_interval}: one to {} intervals",
                    p.max_order_intervals
                )));
            }
            if *wh == 0 || *wh > p.max_interval_wh() {
                return Err(bad(format!(
                    "{wh} Wh per interval: 1 to {} (the largest connection's)",
                    p.max_interval_wh()
                )));
            }
            if *side == Side::Bid && *price == 0 {
                return Err(bad("a bid needs a price above zero"));
            }
            if m.orders.len() >= MAX_LIVE_ORDERS {
                return Err(bad(format!(
                    "the meter has {MAX_LIVE_ORDERS} open orders, the most"
                )));
            }
            if *side == Side::Offer {
                let most = (m.capacity_w as u128 * p.interval_ms as u128 / 3_600_000) as u64;
                let mut offered = *wh;
                for seq in &m.orders {
                    if let Some(o) = order(cx.state, *seq)? {
                        if o.side == Side::Offer {
                            offered = offered.saturating_add(o.wh);
                        }
                    }
                }
                if offered > most {
                    return Err(bad(format!(
                        "{offered} Wh offered per interval: the meter's {} W make at most {most} Wh",
                        m.capacity_w
                    )));
                }
            }
            let seq: u64 = cx.state.get_or_default(keys::ENERGY_SEQ)?;
            cx.state.put_t(keys::ENERGY_SEQ.to_vec(), &(seq + 1));
            let mut o = Order {
                seq,
                network: n.name.clone(),
                meter: *id,
                owner: cx.signer,
                zone: m.zone,
                side: *side,
                wh: *wh,
                price: *price,
                from_interval: *from_interval,
                to_interval: *to_interval,
                held: 0,
                filled_wh: 0,
                height: cx.block.height,
                status: OrderStatus::Open,
            };
            o.held = o.per_interval(&p);
            credits::spend(cx.state, &cx.signer, o.held)?;
            cx.state.put_t(keys::energy_order(seq), &o);
            m.orders.push(seq);
            cx.state.put_t(keys::energy_meter(id), &m);
            let book = keys::energy_book(&n.name, m.zone);
            list_push(cx.state, &book, seq)?;
            let mut zones: Vec<u64> = cx.state.get_or_default(&keys::energy_zones(&n.name))?;
            if let Err(at) = zones.binary_search(&m.zone) {
                zones.insert(at, m.zone);
                cx.state.put_t(keys::energy_zones(&n.name), &zones);
            }
            let mut market = market(cx.state, &n.name)?;
            market.open_orders += 1;
            cx.state.put_t(keys::energy_market(&n.name), &market);
            Ok(())
        }
        Call::CancelEnergyOrder { order: seq } => {
            let mut o =
                order(cx.state, *seq)?.ok_or(TxError::UnknownEnergyOrder { order: *seq })?;
            if o.owner != cx.signer {
                return Err(TxError::NotOwner.into());
            }
            if o.status != OrderStatus::Open {
                return Err(bad(format!("order {seq} is {}, not open", o.status.name())));
            }
            compute::refund(cx.state, &o.network, epoch, &o.owner, o.held)?;
            o.held = 0;
            o.status = OrderStatus::Cancelled {
                height: cx.block.height,
            };
            close_order(cx.state, &o)?;
            // The book drops it when its zone next clears.
            Ok(())
        }
        Call::PostReadings { readings } => {
            if readings.is_empty() || readings.len() > MAX_READINGS_PER_TX {
                return Err(bad(format!(
                    "1 to {MAX_READINGS_PER_TX} readings per transaction"
                )));
            }
            let mut recorded = 0;
            let mut first_miss = None;
            for r in readings {
                match take_reading(cx.state, cx.params, epoch, now, r)? {
                    Took::Taken | Took::Refused => recorded += 1,
                    Took::Missed(why) => {
                        first_miss.get_or_insert(why);
                    }
                }
            }
            if recorded == 0 {
                return Err(bad(format!(
                    "no reading taken: {}",
                    first_miss.unwrap_or_default()
                )));
            }
            Ok(())
        }
        Call::TransferCertificate { id, to } => {
            let mut c =
                certificate(cx.state, *id)?.ok_or(TxError::UnknownCertificate { id: *id })?;
            owned_live(&c, &cx.signer)?;
            cx.state
                .delete(keys::energy_certificate_owner(&c.owner, *id));
            c.owner = *to;
            cx.state.put_t(keys::energy_certificate_owner(to, *id), &());
            cx.state.put_t(keys::energy_certificate(*id), &c);
            Ok(())
        }
        Call::RetireCertificate { id, beneficiary } => {
            if beneficiary.is_empty() || beneficiary.len() > MAX_BENEFICIARY {
                return Err(bad(format!(
                    "a beneficiary of 1 to {MAX_BENEFICIARY} bytes"
                )));
            }
            let mut c =
                certificate(cx.state, *id)?.ok_or(TxError::UnknownCertificate { id: *id })?;
            owned_live(&c, &cx.signer)?;
            c.retired = Some(Retirement {
                height: cx.block.height,
                beneficiary: beneficiary.clone(),
            });
            cx.state.put_t(keys::energy_certificate(*id), &c);
            Ok(())
        }
        _ => unreachable!("Call::module routes only energy calls here"),
    }
}

fn owned_live(c: &Certificate, signer: &Address) -> Result<(), Fail> {
    if c.owner != *signer {
        return Err(TxError::NotOwner.into());
    }
    if c.retired.is_some() {
        return Err(bad(format!("certificate {} is retired", c.id)));
    }
    Ok(())
}

/// The zone of a site: its parent at `resolution`.
fn zone_of(site: u64, resolution: u8) -> Result<u64, Fail> {
    let cell = devices::check_location(site)?;
    let res = h3o::Resolution::try_from(resolution).map_err(|e| bad(e.to_string()))?;
    cell.parent(res).map(u64::from).ok_or_else(|| {
        bad(format!(
            "the site's resolution {} is coarser than the zones' {resolution}",
            u8::from(cell.resolution())
        ))
    })
}

/// Takes an order off its meter's open list and the market's count.
fn close_order<S: Store>(state: &mut Overlay<'_, S>, o: &Order) -> Result<(), LedgerError> {
    state.put_t(keys::energy_order(o.seq), o);
    if let Some(mut m) = meter(state, &o.meter)? {
        m.orders.retain(|s| *s != o.seq);
        state.put_t(keys::energy_meter(&o.meter), &m);
    }
    let mut market = market(state, &o.network)?;
    market.open_orders = market.open_orders.saturating_sub(1);
    state.put_t(keys::energy_market(&o.network), &market);
    Ok(())
}

/// A reading kept for its interval, until it settles.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct KeptReading {
    /// The meter's zone.
    pub zone: u64,
    /// The reading's counters.
    pub import_wh: u64,
    /// See `import_wh`.
    pub export_wh: u64,
    /// What it adds in the interval.
    pub delta_import_wh: u64,
    /// See `delta_import_wh`.
    pub delta_export_wh: u64,
}

/// What became of one posted reading.
enum Took {
    /// Kept for its interval.
    Taken,
    /// Refused, and the refusal recorded on its meter.
    Refused,
    /// Nothing recorded: the same reading again, or one that cannot be held
    /// against a meter (not a declared meter, not the meter's signature).
    Missed(String),
}

/// Takes one reading.
fn take_reading<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    epoch: u64,
    now: u64,
    sr: &SignedReading,
) -> Result<Took, LedgerError> {
    let r = &sr.reading;
    let Some(mut m) = meter(state, &r.meter)? else {
        return Ok(Took::Missed(format!(
            "device {} is not a declared meter",
            r.meter
        )));
    };
    let active = devices::load(state, &r.meter)?.is_some_and(|d| d.status == DeviceStatus::Active);
    if !active {
        return Ok(Took::Missed(format!("meter {} is retired", r.meter)));
    }
    if !sr.verify(&params.chain) {
        return Ok(Took::Missed(format!(
            "{} ({})",
            ReadingRefusal::BadSignature,
            ReadingRefusal::BadSignature.code()
        )));
    }
    let Ok((_, p)) = energy_network(state, &m.network, epoch) else {
        return Ok(Took::Missed(format!(
            "network {} takes no readings",
            m.network
        )));
    };
    let clock = p.clock(params.genesis_time_ms);
    let market = market(state, &m.network)?;
    let refusal = if clock.end(r.interval) > now {
        Some(ReadingRefusal::IntervalNotOver {
            interval: r.interval,
        })
    } else if r.interval < market.next_settle || clock.settle(r.interval) <= now {
        Some(ReadingRefusal::IntervalSettled {
            interval: r.interval,
        })
    } else {
        None
    };
    let key = keys::energy_reading(&m.network, r.interval, &r.meter);
    let outcome = match refusal {
        Some(why) => Err(why),
        None => match state.get_t::<KeptReading>(&key)? {
            Some(k) if k.import_wh == r.import_wh && k.export_wh == r.export_wh => {
                return Ok(Took::Missed("already taken".into()))
            }
            // Two signed readings of one interval: the meter's key is on two
            // sites (a clone). Neither is trusted: the interval counts as no
            // export (a seller pays its deviation, nothing is generated).
            Some(k) => {
                state.put_t(
                    key.clone(),
                    &KeptReading {
                        delta_export_wh: 0,
                        ..k
                    },
                );
                Err(ReadingRefusal::ConflictingReading {
                    interval: r.interval,
                })
            }
            None => check_reading(&p, &clock, m.capacity_w, m.last.as_ref(), r),
        },
    };
    match outcome {
        Ok(delta) => {
            state.put_t(
                key,
                &KeptReading {
                    zone: m.zone,
                    import_wh: r.import_wh,
                    export_wh: r.export_wh,
                    delta_import_wh: delta.import_wh,
                    delta_export_wh: delta.export_wh,
                },
            );
            // Kept by zone: settlement goes zone by zone, over blocks.
            let in_zone = keys::energy_readings_in(&m.network, r.interval, m.zone);
            if list_len(state, &in_zone)? == 0 {
                list_push(
                    state,
                    &keys::energy_reading_zones(&m.network, r.interval),
                    m.zone,
                )?;
            }
            list_push(state, &in_zone, r.meter)?;
            m.last = Some(Baseline {
                interval: r.interval,
                import_wh: r.import_wh,
                export_wh: r.export_wh,
            });
            state.put_t(keys::energy_meter(&r.meter), &m);
            Ok(Took::Taken)
        }
        Err(why) => {
            m.refused += 1;
            m.last_refusal = Some(Refused::of(r.interval, &why));
            state.put_t(keys::energy_meter(&r.meter), &m);
            Ok(Took::Refused)
        }
    }
}

// ---- end of block: clearing and settlement ----

/// Clears every interval whose gate closed and settles every interval whose
/// readings are in, for each energy network (at most
/// [`MAX_INTERVALS_PER_BLOCK`] of each per block).
pub(crate) fn end_block<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    params: &ChainParams,
) -> Result<(), LedgerError> {
    let epoch = ctx.epoch(params);
    let t = ctx.timestamp_ms;
    for n in schedule::networks_at(state, epoch)? {
        let Some(p) = params_of(&n) else { continue };
        let clock = p.clock(params.genesis_time_ms);
        let key = keys::energy_market(&n.name);
        if state.get(&key)?.is_none() {
            // The market opens with the first interval still open.
            let first = clock.first_open(t);
            let m = MarketState {
                next_clear: first,
                next_settle: first,
                ..MarketState::default()
            };
            state.put_t(key.clone(), &m);
        }
        for _ in 0..MAX_INTERVALS_PER_BLOCK {
            let i = market(state, &n.name)?.next_clear;
            if clock.gate(i) > t {
                break;
            }
            clear_interval(state, ctx, &n.name, &p, epoch, i)?;
            let mut m = market(state, &n.name)?;
            m.next_clear = i + 1;
            state.put_t(key.clone(), &m);
        }
        // Settlement goes zone by zone (a zone's agreement needs all its
        // readings, its trades its exports), whole zones only, at least one per
        // block, up to the network's budget of readings and fills: an interval of
        // a million meters settles over many blocks instead of stalling one.
        let mut budget = p.settle_budget_per_block;
        for _ in 0..MAX_INTERVALS_PER_BLOCK {
            let m = market(state, &n.name)?;
            let i = m.next_settle;
            if budget == 0 || i >= m.next_clear || clock.settle(i) > t {
                break;
            }
            let zones = Zones {
                network: &n.name,
                p: &p,
                clock: &clock,
                epoch,
                interval: i,
            };
            if !settle_interval(state, ctx, &zones, &mut budget)? {
                break; // zones left for the next block
            }
            let mut m = market(state, &n.name)?;
            m.next_settle = i + 1;
            state.put_t(key.clone(), &m);
        }
    }
    Ok(())
}

/// A transaction-level failure inside the end of a block (an overflow) is
/// corrupt state: the block cannot be executed.
fn fatal(what: &str, r: Result<(), Fail>) -> Result<(), LedgerError> {
    match r {
        Ok(()) => Ok(()),
        Err(Fail::Fatal(e)) => Err(e),
        Err(Fail::Tx(e)) => Err(LedgerError::Corrupt {
            key: what.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Runs interval `i`'s auction in every zone with open orders.
fn clear_interval<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    network: &str,
    p: &EnergyParams,
    epoch: u64,
    i: u64,
) -> Result<(), LedgerError> {
    let zones: Vec<u64> = state.get_or_default(&keys::energy_zones(network))?;
    let mut left_zones = Vec::with_capacity(zones.len());
    let mut cleared_zones = Vec::new();
    for zone in zones {
        let book_key = keys::energy_book(network, zone);
        let seqs: Vec<u64> = list_all(state, &book_key)?;
        let mut orders = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(o) = order(state, seq)? {
                if o.status == OrderStatus::Open {
                    orders.push(o);
                }
            }
        }
        let trades_in = |o: &Order| o.from_interval <= i && i <= o.to_interval;
        let book = |side: Side| -> Vec<auction::Order> {
            orders
                .iter()
                .filter(|o| o.side == side && trades_in(o))
                .map(|o| auction::Order {
                    seq: o.seq,
                    wh: o.wh,
                    price: o.price,
                })
                .collect()
        };
        let (bids, offers) = (book(Side::Bid), book(Side::Offer));
        let c = auction::clear(&bids, &offers);
        let filled: BTreeMap<u64, u64> = c.bids.iter().chain(&c.offers).copied().collect();
        let mut still_open = Vec::with_capacity(orders.len());
        let fills_key = keys::energy_fills(network, i, zone);
        let mut fills = Vec::new();
        let any_trading = !bids.is_empty() || !offers.is_empty();
        for mut o in orders {
            if !trades_in(&o) {
                still_open.push(o.seq);
                continue;
            }
            let q = filled.get(&o.seq).copied().unwrap_or(0);
            let keep = match o.side {
                Side::Bid => settle::value(q, c.price),
                Side::Offer => settle::value(q, p.penalty_price),
            }
            .min(o.held);
            let back = compute::refund(state, network, epoch, &o.owner, o.held - keep);
            fatal("energy refund", back)?;
            if q > 0 {
                fills.push(Fill {
                    seq: o.seq,
                    side: o.side,
                    meter: o.meter,
                    owner: o.owner,
                    wh: q,
                    held: keep,
                });
            }
            o.filled_wh += q;
            o.held = 0;
            if o.to_interval > i {
                let next = o.per_interval(p);
                match credits::spend(state, &o.owner, next) {
                    Ok(()) => {
                        o.held = next;
                        state.put_t(keys::energy_order(o.seq), &o);
                        still_open.push(o.seq);
                    }
                    Err(Fail::Tx(_)) => {
                        o.status = OrderStatus::OutOfCredits { interval: i + 1 };
                        close_order(state, &o)?;
                    }
                    Err(Fail::Fatal(e)) => return Err(e),
                }
            } else {
                o.status = OrderStatus::Done;
                close_order(state, &o)?;
            }
        }
        list_replace(state, &book_key, &still_open)?;
        if !still_open.is_empty() {
            left_zones.push(zone);
        }
        if any_trading {
            list_replace(state, &fills_key, &fills)?;
            state.put_t(
                keys::energy_clearing(network, i, zone),
                &ZoneClearing {
                    network: network.to_string(),
                    interval: i,
                    zone,
                    price: c.price,
                    volume_wh: c.volume_wh,
                    bids: bids.len() as u32,
                    offers: offers.len() as u32,
                    height: ctx.height,
                    settled: None,
                },
            );
            cleared_zones.push(zone);
        }
    }
    state.put_t(keys::energy_zones(network), &left_zones);
    if !cleared_zones.is_empty() {
        state.put_t(keys::energy_cleared_zones(network, i), &cleared_zones);
    }
    Ok(())
}

/// One interval's settlement, zone by zone.
struct Zones<'a> {
    network: &'a str,
    p: &'a EnergyParams,
    clock: &'a plinth_proofs::energy::Intervals,
    epoch: u64,
    interval: u64,
}

/// Where a settlement under way stands.
#[derive(BorshSerialize, BorshDeserialize)]
struct SettleCursor {
    interval: u64,
    /// The next zone, an index into the interval's zone list.
    next: u64,
}

/// Settles interval `z.interval` zone by zone, spending `budget` (readings and
/// fills) but always at least one whole zone: true when every zone is done.
/// The zones are those with readings or a clearing, ascending, listed when the
/// settlement starts; a cursor carries it over blocks (readings of an interval
/// are refused once its settlement is due, so no zone gains any meanwhile).
fn settle_interval<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    z: &Zones<'_>,
    budget: &mut u64,
) -> Result<bool, LedgerError> {
    let (network, i) = (z.network, z.interval);
    let cursor_key = keys::energy_settle_cursor(network);
    let zones_key = keys::energy_settle_zones(network, i);
    let mut cursor = match state.get_t::<SettleCursor>(&cursor_key)? {
        Some(c) if c.interval == i => c,
        _ => {
            let reading_zones = keys::energy_reading_zones(network, i);
            let mut zones: Vec<u64> = list_all(state, &reading_zones)?;
            zones
                .extend(state.get_or_default::<Vec<u64>>(&keys::energy_cleared_zones(network, i))?);
            zones.sort_unstable();
            zones.dedup();
            list_replace::<S, u64>(state, &reading_zones, &[])?;
            list_replace(state, &zones_key, &zones)?;
            SettleCursor {
                interval: i,
                next: 0,
            }
        }
    };
    let total = list_len(state, &zones_key)?;
    while cursor.next < total && *budget > 0 {
        let zone: u64 =
            list_get(state, &zones_key, cursor.next)?.ok_or_else(|| LedgerError::Corrupt {
                key: String::from_utf8_lossy(&zones_key).into_owned(),
                reason: format!("no zone at index {} of {total}", cursor.next),
            })?;
        let cost = settle_zone(state, ctx, z, zone)?;
        *budget = budget.saturating_sub(cost.max(1));
        cursor.next += 1;
    }
    if cursor.next < total {
        state.put_t(cursor_key, &cursor);
        return Ok(false);
    }
    state.delete(cursor_key);
    list_replace::<S, u64>(state, &zones_key, &[])?;
    Ok(true)
}

/// Settles one zone of an interval: its meters' agreement, verified generation
/// (recorded for the oracle, certified), then its trades if it cleared. Returns
/// the readings and fills it took.
fn settle_zone<S: Store>(
    state: &mut Overlay<'_, S>,
    ctx: &BlockContext,
    z: &Zones<'_>,
    zone: u64,
) -> Result<u64, LedgerError> {
    let (network, p, epoch, i) = (z.network, z.p, z.epoch, z.interval);
    let (start, end) = (z.clock.start(i), z.clock.end(i));
    let readings_key = keys::energy_readings_in(network, i, zone);
    let meters: Vec<DeviceId> = list_all(state, &readings_key)?;
    let mut cost = meters.len() as u64;
    // The zone's generators, with their ceilings.
    let mut generators: Vec<ZoneGeneration> = Vec::with_capacity(meters.len());
    let mut kept: BTreeMap<DeviceId, (KeptReading, Meter)> = BTreeMap::new();
    for d in &meters {
        let key = keys::energy_reading(network, i, d);
        let (Some(k), Some(m)) = (state.get_t::<KeptReading>(&key)?, meter(state, d)?) else {
            continue;
        };
        state.delete(key);
        generators.push(ZoneGeneration {
            meter: *d,
            export_wh: k.delta_export_wh,
            max_wh: p.max_export_wh(m.capacity_w, start, end),
        });
        kept.insert(*d, (k, m));
    }
    list_replace::<S, DeviceId>(state, &readings_key, &[])?;
    let mut exported: BTreeMap<DeviceId, u64> = BTreeMap::new();
    let outliers: BTreeMap<DeviceId, ReadingRefusal> =
        zone_outliers(p, &generators).into_iter().collect();
    for g in &generators {
        let (_, m) = kept.get_mut(&g.meter).expect("kept above");
        match outliers.get(&g.meter) {
            Some(why) => {
                m.refused += 1;
                m.last_refusal = Some(Refused::of(i, why));
            }
            None if g.export_wh > 0 => {
                exported.insert(g.meter, g.export_wh);
            }
            None => {}
        }
    }
    // Verified generation: recorded for the oracle's scores, and certified.
    let mut next_cert: u64 = state.get_or_default(keys::ENERGY_CERT_SEQ)?;
    for (d, (_, m)) in kept.iter_mut() {
        if let Some(&wh) = exported.get(d) {
            let gkey = keys::energy_generation(network, epoch, d);
            let g: u64 = state.get_or_default(&gkey)?;
            state.put_t(gkey, &g.saturating_add(wh));
            m.generated_wh = m.generated_wh.saturating_add(wh);
            m.uncertified_wh = m.uncertified_wh.saturating_add(wh);
            let from = *m.uncertified_from.get_or_insert(i);
            if m.uncertified_wh >= p.certificate_wh {
                let owner = devices::load(state, d)?.map(|dev| dev.owner);
                if let Some(owner) = owner {
                    while m.uncertified_wh >= p.certificate_wh {
                        m.uncertified_wh -= p.certificate_wh;
                        let c = Certificate {
                            id: next_cert,
                            network: network.to_string(),
                            meter: *d,
                            owner,
                            wh: p.certificate_wh,
                            first_interval: from,
                            last_interval: i,
                            issued_height: ctx.height,
                            retired: None,
                        };
                        state.put_t(keys::energy_certificate(next_cert), &c);
                        state.put_t(keys::energy_certificate_owner(&owner, next_cert), &());
                        next_cert += 1;
                    }
                    m.uncertified_from = (m.uncertified_wh > 0).then_some(i);
                }
            }
        }
        state.put_t(keys::energy_meter(d), m);
    }
    state.put_t(keys::ENERGY_CERT_SEQ.to_vec(), &next_cert);

    // Trades, if the zone cleared.
    let ckey = keys::energy_clearing(network, i, zone);
    let Some(mut c) = state.get_t::<ZoneClearing>(&ckey)? else {
        return Ok(cost);
    };
    let fkey = keys::energy_fills(network, i, zone);
    let fills: Vec<Fill> = list_all(state, &fkey)?;
    cost += fills.len() as u64;
    list_replace::<S, Fill>(state, &fkey, &[])?;
    let trade = |f: &Fill| settle::Trade {
        seq: f.seq,
        meter: f.meter,
        wh: f.wh,
        held: f.held,
    };
    let owners: BTreeMap<u64, Address> = fills.iter().map(|f| (f.seq, f.owner)).collect();
    let sells: Vec<settle::Trade> = fills
        .iter()
        .filter(|f| f.side == Side::Offer)
        .map(trade)
        .collect();
    let buys: Vec<settle::Trade> = fills
        .iter()
        .filter(|f| f.side == Side::Bid)
        .map(trade)
        .collect();
    let s = settle::settle(c.price, p.penalty_price, &sells, &buys, |m| {
        exported.get(m).copied().unwrap_or(0)
    });
    for (side, outcomes) in [(Side::Offer, &s.sells), (Side::Bid, &s.buys)] {
        for o in outcomes {
            let owner = owners[&o.seq];
            if side == Side::Offer && o.paid > 0 {
                let earned = compute::record_earning(state, network, epoch, &o.meter, o.paid);
                fatal("energy earning", earned)?;
            }
            let back = compute::refund(state, network, epoch, &owner, o.returned);
            fatal("energy refund", back)?;
            state.put_t(
                keys::energy_trade(&o.meter, i, o.seq),
                &TradeRecord {
                    interval: i,
                    order: o.seq,
                    side,
                    price: c.price,
                    traded_wh: o.traded_wh,
                    delivered_wh: o.delivered_wh,
                    paid: o.paid,
                    penalty: o.penalty,
                    returned: o.returned,
                    height: ctx.height,
                },
            );
        }
    }
    c.settled = Some(ZoneSettlement {
        delivered_wh: s.sells.iter().map(|o| o.delivered_wh).sum(),
        paid: s.buys.iter().map(|o| o.paid).sum(),
        balancing: s.balancing,
        height: ctx.height,
    });
    state.put_t(ckey, &c);
    let mut m = market(state, network)?;
    m.balancing = m.balancing.saturating_add(s.balancing);
    state.put_t(keys::energy_market(network), &m);
    Ok(cost)
}
