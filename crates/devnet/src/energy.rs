//! The devnet's neighbourhood: 50 homes in two zones trading solar power on the
//! `solar` network (`plinth_ledger::energy`), and four cheaters.
//!
//! Each home is a meter made by the devnet's genesis maker, at a site of its
//! zone (an H3 cell at the network's zone resolution). Thirty have panels (4 to 8
//! kW) and a battery; twenty only consume. Every interval the homes' energy
//! managers post orders for the first open interval (prosumers: 60% of the
//! surplus a cloudy forecast leaves; consumers keep a standing bid), and after
//! it ends a relayer posts every meter's signed reading. Generation follows the
//! network's sun (a day of `day_ms`), the zone's clouds (one draw per zone and
//! interval) and a little noise per home; the battery takes what the home did
//! not sell and covers the load at night.
//!
//! The cheaters ([`EnergyStrategy`]): a meter that reports export at night (and
//! offers it), a seller that offers all its panel could ever make, a meter
//! cloned at a second site (both send readings, both sell), and a seller that
//! offers its panel's energy in its own zone and, through a second meter without
//! a panel, in the other. [`gains`] sums what each strategy was paid minus what
//! its deviations cost, in all and over the intervals in which it cheated
//! ([`cheats`]): what cheating gains it.

use crate::compute::key_at;
use crate::services::wait_committed;
use anyhow::{Context, Result};
use plinth_api::energy::PageQuery;
use plinth_api::NodeClient;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::energy::Side;
use plinth_ledger::{Call, Transaction};
use plinth_proofs::energy::{EnergyParams, Reading, SignedReading};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The devnet's energy network.
pub const ENERGY_NETWORK: &str = "solar";
/// Homes in the neighbourhood (meters: one more, the two-zone seller's second).
pub const HOMES: usize = 50;
/// Accounts that own the homes, in turn.
const OWNERS: usize = 5;
/// Homes per zone.
const PER_ZONE: usize = HOMES / 2;

/// How a home behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnergyStrategy {
    /// Sells what its forecast surplus allows, reports what it measures.
    Honest,
    /// Reports export at night, and offers it.
    NightExporter,
    /// Offers all its panel could ever make.
    OverSeller,
    /// Its meter cloned at a second site: both report, both sell.
    Cloned,
    /// Offers its energy in its zone and, through a meter without a panel, in
    /// the other.
    TwoZone,
}

/// One home of the neighbourhood.
#[derive(Debug, Clone)]
pub struct Home {
    /// Its meter's key.
    pub key: Keypair,
    /// Which owner account owns it.
    pub owner: usize,
    /// Zone 0 or 1.
    pub zone: usize,
    /// Its site (H3 cell, resolution 12).
    pub site: u64,
    /// Panel capacity, W (0: a consumer).
    pub capacity_w: u64,
    /// Average load, W.
    pub load_w: u64,
    /// Battery capacity, Wh.
    pub battery_wh: u64,
    /// How it behaves.
    pub strategy: EnergyStrategy,
}

impl Home {
    /// Its meter.
    pub fn meter(&self) -> DeviceId {
        DeviceId(self.key.public())
    }
}

fn seeded(tag: &str, i: u64) -> u64 {
    let h = Hash::tagged(tag, &i.to_le_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// The two zones' cells (resolution `zone_res`) round `center`: the cell there
/// and its neighbour to the east.
fn zones(center: (f64, f64), zone_res: u8) -> Result<[h3o::CellIndex; 2]> {
    let res = h3o::Resolution::try_from(zone_res)?;
    let a = h3o::LatLng::new(center.0, center.1)?.to_cell(res);
    let b = a
        .grid_disk::<Vec<_>>(1)
        .into_iter()
        .find(|c| *c != a)
        .context("a neighbouring zone")?;
    Ok([a, b])
}

/// The neighbourhood: [`HOMES`] homes, then the two-zone seller's second meter
/// (no panel, in the other zone). The same for the same `center` and `zone_res`.
pub fn homes(center: (f64, f64), zone_res: u8) -> Result<Vec<Home>> {
    let zs = zones(center, zone_res)?;
    let sites: Vec<Vec<u64>> = zs
        .iter()
        .map(|z| {
            let kids: Vec<u64> = z.children(h3o::Resolution::Twelve).map(u64::from).collect();
            let step = (kids.len() / (PER_ZONE + 1)).max(1);
            kids.into_iter().step_by(step).collect()
        })
        .collect();
    let mut out = Vec::with_capacity(HOMES + 1);
    for i in 0..HOMES {
        let zone = i / PER_ZONE;
        let k = i % PER_ZONE;
        let prosumer = k < 15;
        let strategy = match i {
            13 => EnergyStrategy::Cloned,
            14 => EnergyStrategy::NightExporter,
            38 => EnergyStrategy::TwoZone,
            39 => EnergyStrategy::OverSeller,
            _ => EnergyStrategy::Honest,
        };
        let r = seeded("plinth/devnet/home", i as u64);
        out.push(Home {
            key: Keypair::from_seed(
                *Hash::tagged("plinth/devnet/home-key", &(i as u64).to_le_bytes()).as_bytes(),
            ),
            owner: i % OWNERS,
            zone,
            site: sites[zone][k],
            capacity_w: if prosumer { 4_000 + (r % 5) * 1_000 } else { 0 },
            load_w: if prosumer {
                200 + (r >> 8) % 400
            } else {
                400 + (r >> 8) % 800
            },
            battery_wh: if prosumer { 20 + (r >> 16) % 30 } else { 0 },
            strategy,
        });
    }
    // The two-zone seller's second meter: declared with its panel's capacity,
    // in the other zone, connected to nothing.
    let two = &out[38];
    out.push(Home {
        key: Keypair::from_seed(
            *Hash::tagged("plinth/devnet/home-key", &(HOMES as u64).to_le_bytes()).as_bytes(),
        ),
        owner: two.owner,
        zone: 1 - two.zone,
        site: sites[1 - two.zone][PER_ZONE],
        capacity_w: two.capacity_w,
        load_w: 0,
        battery_wh: 0,
        strategy: EnergyStrategy::TwoZone,
    });
    Ok(out)
}

/// The energy network's parameters in the devnet's genesis: 30-second
/// intervals, a 12-minute day (an interval is an hour of sun) starting at
/// midday on 21 June at `genesis_ms`: the sun sets in interval 7, three and a
/// half minutes in, so that a test sees the night exporter cheat within
/// minutes, and rises again in interval 15.
pub fn devnet_params(genesis_ms: u64) -> EnergyParams {
    let day_ms = 720_000u64;
    let day = plinth_proofs::energy::solar::DAY_MS as i128;
    // 2026-06-21, 12:00 UTC (about 12:54 solar time in Berlin) at genesis.
    let target = 20_625 * day + 12 * 3_600_000;
    let scaled = genesis_ms as i128 * day / day_ms as i128;
    EnergyParams {
        interval_ms: 30_000,
        gate_ms: 5_000,
        settle_ms: 10_000,
        zone_resolution: 8,
        penalty_price: 60_000,
        max_capacity_w: 10_000,
        day_ms,
        sun_offset_ms: (target - scaled) as i64,
        // Net export varies with each home's load: a wide band.
        zone_tolerance_bps: 5_000,
        // Certificates every 50 Wh, so that they appear within minutes.
        certificate_wh: 50,
        ..EnergyParams::default()
    }
}

/// The neighbourhood's centre.
pub const CENTER: (f64, f64) = (52.50, 13.38);

/// Clouds over `zone` in interval `i`: the share of the clear sky that gets
/// through, basis points (4,000 to 10,000).
fn clouds(zone: usize, i: u64) -> u64 {
    4_000 + seeded("plinth/devnet/clouds", i * 2 + zone as u64) % 6_001
}

/// What `h` generates and consumes in interval `i`, Wh.
fn physics(h: &Home, p: &EnergyParams, start: u64, end: u64, i: u64) -> (u64, u64) {
    let span = end - start;
    let sun = p.sky().sin_elevation(start + span / 2).max(0) as u64;
    let noise = 9_000 + seeded("plinth/devnet/noise", i ^ h.site) % 1_001;
    let gen = (h.capacity_w as u128
        * sun as u128
        * clouds(h.zone, i) as u128
        * noise as u128
        * 85
        * span as u128
        / (10_000u128 * 10_000 * 10_000 * 100 * 3_600_000)) as u64;
    let load_noise = 7_000 + seeded("plinth/devnet/load", i ^ h.site) % 6_001;
    let load = (h.load_w as u128 * load_noise as u128 * span as u128 / (10_000 * 3_600_000)) as u64;
    (gen, load)
}

/// Whether the sun is down over `[start, end)` (at its middle, as the homes'
/// physics and orders judge).
pub fn night(p: &EnergyParams, start: u64, end: u64) -> bool {
    p.sky().sin_elevation(start + (end - start) / 2) <= 0
}

/// Whether `h` cheats in the interval `[start, end)`: the night exporter at
/// night (by day it trades and reads as an honest home does), the other three
/// in every interval they trade (the over-seller trades only by day: at night
/// its panel could make nothing).
pub fn cheats(h: &Home, p: &EnergyParams, start: u64, end: u64) -> bool {
    match h.strategy {
        EnergyStrategy::Honest => false,
        EnergyStrategy::NightExporter => night(p, start, end),
        EnergyStrategy::OverSeller | EnergyStrategy::Cloned | EnergyStrategy::TwoZone => true,
    }
}

/// What `h` offers or bids for interval `i`, if anything: `(side, Wh, price)`.
fn order_for(h: &Home, p: &EnergyParams, start: u64, end: u64) -> Option<(Side, u64, u64)> {
    let span = end - start;
    let sun = p.sky().sin_elevation(start + span / 2).max(0) as u64;
    let clear = h.capacity_w as u128 * sun as u128 * span as u128 / (10_000 * 3_600_000);
    let load = h.load_w as u128 * span as u128 / 3_600_000;
    // Honest homes ask 6,000 to 12,000 credits per kWh; cheaters undercut them
    // all, so that what they sell is taken.
    let price = match h.strategy {
        EnergyStrategy::Honest => 6_000 + seeded("plinth/devnet/price", h.site) % 6_000,
        _ => 5_000,
    };
    let most = (h.capacity_w as u128 * span as u128 / 3_600_000) as u64;
    let wh = match h.strategy {
        _ if h.capacity_w == 0 && h.strategy != EnergyStrategy::TwoZone => return None,
        EnergyStrategy::NightExporter if night(p, start, end) => 30,
        EnergyStrategy::OverSeller if sun > 0 => most,
        // A cloudy forecast (30% of the clear sky) less the load, and 60% of
        // that: a home sells what it is sure to make.
        _ => ((clear * 3 / 10).saturating_sub(load) * 6 / 10) as u64,
    };
    (wh >= 1).then_some((Side::Offer, wh.min(most), price))
}

/// Signs and submits every batch of calls (each key's with its next nonces),
/// then waits for all; returns how many were committed.
fn send_all(node: &NodeClient, batches: &[(&Keypair, Vec<Call>)]) -> Result<usize> {
    let status = node.status()?;
    let mut hashes = Vec::new();
    for (key, calls) in batches {
        let signer = Address(key.public());
        let first = node.account(&signer)?.next_nonce;
        for (nonce, call) in (first..).zip(calls) {
            let tx = Transaction {
                chain_id: status.chain_id.clone(),
                signer,
                nonce,
                fee: status.min_fee,
                call: call.clone(),
            }
            .sign(key);
            let _: serde_json::Value = node.post(
                "/v1/txs",
                &serde_json::json!({ "tx": hex::encode(tx.encode()) }),
            )?;
            hashes.push(tx.hash());
        }
    }
    let mut ok = 0;
    for h in hashes {
        match wait_committed(node, &h, Duration::from_secs(60)) {
            Ok(()) => ok += 1,
            Err(e) => tracing::debug!(error = %format!("{e:#}"), "an energy transaction"),
        }
    }
    Ok(ok)
}

/// The homes' owners (and, last, the readings' relayer): accounts of their own
/// under `<dir>/energy/`, funded by `funder` and holding credits.
fn accounts(dir: &Path, node: &NodeClient, funder: &Keypair) -> Result<Vec<Keypair>> {
    let keys: Vec<Keypair> = (0..=OWNERS)
        .map(|k| key_at(&dir.join("energy").join(format!("owner{k}.key.json"))))
        .collect::<Result<_>>()?;
    let status = node.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let unfunded: Vec<Call> = keys
        .iter()
        .filter(|k| {
            node.account(&Address(k.public()))
                .map_or(true, |a| a.balance < unit)
        })
        .map(|k| Call::Transfer {
            to: Address(k.public()),
            amount: 100 * unit,
        })
        .collect();
    if !unfunded.is_empty() {
        send_all(node, &[(funder, unfunded)])?;
        let burns: Vec<(&Keypair, Vec<Call>)> = keys[..OWNERS]
            .iter()
            .map(|k| {
                (
                    k,
                    vec![Call::BurnForCredits {
                        amount: 50 * unit,
                        to: Address(k.public()),
                    }],
                )
            })
            .collect();
        send_all(node, &burns)?;
    }
    Ok(keys)
}

/// Registers (made by `maker`) and then declares every meter not yet a meter
/// (a declaration is admitted only once its device is on the ledger).
fn onboard(node: &NodeClient, homes: &[Home], owners: &[Keypair], maker: &Keypair) -> Result<()> {
    let status = node.status()?;
    let chain = plinth_core::chain_identity(&status.genesis_hash);
    let mut registrations: BTreeMap<usize, Vec<Call>> = BTreeMap::new();
    let mut declarations: BTreeMap<usize, Vec<Call>> = BTreeMap::new();
    for h in homes {
        if node.energy_meter(&h.meter())?.is_some() {
            continue;
        }
        let owner = Address(owners[h.owner].public());
        let id = h.meter();
        if node.device(&id)?.is_none() {
            let msg = plinth_ledger::devices::registration_message(
                &chain,
                &owner,
                &id,
                ENERGY_NETWORK,
                h.site,
            );
            registrations
                .entry(h.owner)
                .or_default()
                .push(Call::RegisterMadeDevice {
                    device: id,
                    network: ENERGY_NETWORK.into(),
                    location: h.site,
                    device_signature: h.key.sign(&msg),
                    maker: Address(maker.public()),
                    maker_signature: plinth_device::maker::sign_device(maker, &id),
                });
        }
        declarations
            .entry(h.owner)
            .or_default()
            .push(Call::DeclareMeter {
                device: id,
                capacity_w: h.capacity_w,
            });
    }
    for calls in [registrations, declarations] {
        let batches: Vec<(&Keypair, Vec<Call>)> = calls
            .into_iter()
            .map(|(o, calls)| (&owners[o], calls))
            .collect();
        send_all(node, &batches)?;
    }
    Ok(())
}

/// A home's meter counters and battery, as the simulation carries them.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    import_wh: u64,
    export_wh: u64,
    soc_wh: u64,
}

/// Starts the neighbourhood on its own thread when the chain has the `solar`
/// network: accounts under `<dir>/energy/` funded by `funder`, meters made by
/// `maker`; orders every interval, readings after each, until `stop`.
pub fn start_homes(
    dir: &Path,
    node_url: &str,
    funder: &Keypair,
    maker: Keypair,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let node = NodeClient::new(node_url);
    let market = match node.energy_market(ENERGY_NETWORK) {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(error = %e, "no energy network: no homes");
            return Ok(());
        }
    };
    let p = market.params;
    let homes = homes(CENTER, p.zone_resolution)?;
    let owners = accounts(dir, &node, funder)?;
    onboard(&node, &homes, &owners, &maker)?;
    tracing::info!(
        homes = HOMES,
        network = ENERGY_NETWORK,
        "the neighbourhood trades"
    );
    std::thread::Builder::new()
        .name("homes".into())
        .spawn(move || {
            let clock = p.clock(market.genesis_time_ms);
            let mut counters: BTreeMap<DeviceId, Counters> = BTreeMap::new();
            // Start from what the ledger last took (a restarted devnet).
            for h in &homes {
                let last = node.energy_meter(&h.meter()).ok().flatten().and_then(|m| m.meter.last);
                counters.insert(
                    h.meter(),
                    Counters {
                        import_wh: last.map_or(0, |b| b.import_wh),
                        export_wh: last.map_or(0, |b| b.export_wh),
                        soc_wh: 0,
                    },
                );
            }
            let mut clone = counters.clone();
            let mut ordered = 0u64;
            let mut read = None::<u64>;
            let mut offered: BTreeMap<(DeviceId, u64), u64> = BTreeMap::new();
            while !stop.load(Ordering::SeqCst) {
                let now = plinth_api::clock::now_ms();
                // Every interval that ended since the last readings, in order
                // (a gap would only set new baselines); the first only sets the
                // baseline, before any order trades.
                let done = clock.at(now).checked_sub(1);
                // The baseline must be of an interval the ledger still takes.
                let takes = |i: u64| {
                    read.is_some()
                        || node
                            .energy_market(ENERGY_NETWORK)
                            .is_ok_and(|m| i >= m.market.next_settle)
                };
                if let Some(i) = done.filter(|i| read.is_none_or(|r| *i > r) && takes(*i)) {
                    let from = read.map_or(i, |r| r + 1);
                    let mut all = Vec::new();
                    for k in from..=i {
                        all.extend(readings(&homes, &p, &clock, k, &mut counters, &mut clone, &offered));
                    }
                    let chain = node.status().map(|s| plinth_core::chain_identity(&s.genesis_hash));
                    if let Ok(chain) = chain {
                        let signed: Vec<SignedReading> = all
                            .into_iter()
                            .map(|(key, r)| r.sign(&chain, key))
                            .collect();
                        let calls: Vec<Call> = signed
                            .chunks(plinth_ledger::energy::MAX_READINGS_PER_TX)
                            .map(|c| Call::PostReadings { readings: c.to_vec() })
                            .collect();
                        if let Err(e) = send_all(&node, &[(&owners[OWNERS], calls)]) {
                            tracing::debug!(error = %format!("{e:#}"), "energy readings");
                        }
                    }
                    read = Some(i);
                    if i % 5 == 0 {
                        if let Ok(g) = gains(&node, &homes) {
                            tracing::info!(interval = i, gains = %serde_json::to_string(&g).unwrap_or_default(), "the neighbourhood's gains by strategy (paid − penalties, credits; cheating: over the intervals it cheated in)");
                        }
                    }
                }
                // Trade once the meters have a baseline: every traded interval
                // then has a reading before and after it.
                let first = clock.first_open(now);
                if read.is_some_and(|r| first > r + 1) && first > ordered {
                    let calls = orders(&node, &homes, &p, &clock, first, &mut offered);
                    let batches: Vec<(&Keypair, Vec<Call>)> = calls
                        .into_iter()
                        .map(|(o, cs)| (&owners[o], cs))
                        .collect();
                    if let Err(e) = send_all(&node, &batches) {
                        tracing::debug!(error = %format!("{e:#}"), "energy orders");
                    }
                    ordered = first;
                }
                std::thread::sleep(Duration::from_millis(1_000));
            }
        })?;
    Ok(())
}

/// The orders for interval `i`, by owner: prosumers' offers, consumers' standing
/// bids when they have none open, the cheaters'.
fn orders(
    node: &NodeClient,
    homes: &[Home],
    p: &EnergyParams,
    clock: &plinth_proofs::energy::Intervals,
    i: u64,
    offered: &mut BTreeMap<(DeviceId, u64), u64>,
) -> BTreeMap<usize, Vec<Call>> {
    let (start, end) = (clock.start(i), clock.end(i));
    let mut out: BTreeMap<usize, Vec<Call>> = BTreeMap::new();
    let second = homes.get(HOMES);
    for h in &homes[..HOMES] {
        let mut post = |meter: DeviceId, side: Side, wh: u64, price: u64, to: u64| {
            if side == Side::Offer {
                *offered.entry((meter, i)).or_default() += wh;
            }
            out.entry(h.owner).or_default().push(Call::PostEnergyOrder {
                meter,
                side,
                wh,
                price,
                from_interval: i,
                to_interval: to,
            });
        };
        if h.capacity_w == 0 {
            // A standing bid for the next 30 intervals, renewed when it ends.
            let open = node
                .energy_orders(&plinth_api::energy::EnergyOrdersQuery {
                    meter: Some(h.meter().to_string()),
                    status: Some("open".into()),
                    limit: Some(1),
                    ..Default::default()
                })
                .map(|o| !o.is_empty())
                .unwrap_or(true);
            if !open {
                let wh = h.load_w * (end - start) / 3_600_000;
                let price = 30_000 + seeded("plinth/devnet/bid", h.site) % 10_000;
                post(h.meter(), Side::Bid, wh.max(1), price, i + 29);
            }
            continue;
        }
        let Some((side, wh, price)) = order_for(h, p, start, end) else {
            continue;
        };
        post(h.meter(), side, wh, price, i);
        match h.strategy {
            // The clone sells the same again.
            EnergyStrategy::Cloned => post(h.meter(), side, wh, price, i),
            // The same energy offered in the other zone through the second meter.
            EnergyStrategy::TwoZone => {
                if let Some(s) = second {
                    post(s.meter(), side, wh, price, i);
                }
            }
            _ => {}
        }
    }
    offered.retain(|(_, k), _| *k + 5 >= i);
    out
}

/// Every meter's reading of interval `i` (two for the cloned meter), with the
/// key that signs it; the counters and batteries move on.
fn readings<'a>(
    homes: &'a [Home],
    p: &EnergyParams,
    clock: &plinth_proofs::energy::Intervals,
    i: u64,
    counters: &mut BTreeMap<DeviceId, Counters>,
    clone: &mut BTreeMap<DeviceId, Counters>,
    offered: &BTreeMap<(DeviceId, u64), u64>,
) -> Vec<(&'a Keypair, Reading)> {
    let (start, end) = (clock.start(i), clock.end(i));
    let mut out = Vec::with_capacity(homes.len() + 1);
    for (k, h) in homes.iter().enumerate() {
        let (gen, load) = physics(h, p, start, end, i);
        // The two-zone seller's second meter has no panel behind it.
        let gen = if k == HOMES { 0 } else { gen };
        let committed = offered.get(&(h.meter(), i)).copied().unwrap_or(0);
        let c = counters.entry(h.meter()).or_default();
        step(c, h, gen, load, committed);
        if h.strategy == EnergyStrategy::NightExporter && night(p, start, end) {
            c.export_wh += 30;
        }
        let reading = |c: &Counters| Reading {
            meter: h.meter(),
            interval: i,
            import_wh: c.import_wh,
            export_wh: c.export_wh,
        };
        out.push((&h.key, reading(c)));
        if h.strategy == EnergyStrategy::Cloned {
            // The clone's site: another roof, other counters.
            let k = clone.entry(h.meter()).or_default();
            step(k, h, gen / 2, load, 0);
            out.push((&h.key, reading(k)));
        }
    }
    out
}

/// One interval of a home: generation first covers the load, then what it sold,
/// then the battery; the rest is exported. A deficit comes from the battery,
/// then the grid.
fn step(c: &mut Counters, h: &Home, gen: u64, load: u64, committed: u64) {
    if gen >= load {
        let surplus = gen - load;
        let sold = surplus.min(committed);
        let charge = (surplus - sold).min(h.battery_wh - c.soc_wh.min(h.battery_wh));
        c.soc_wh += charge;
        c.export_wh += surplus - charge;
    } else {
        let deficit = load - gen;
        let from_battery = deficit.min(c.soc_wh);
        c.soc_wh -= from_battery;
        c.import_wh += deficit - from_battery;
    }
}

/// One strategy's gain, credits: what its meters' offers were paid minus what
/// their deviations cost (penalties taken from collateral).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Gain {
    /// Over every settled trade.
    pub total: i64,
    /// Over the settled trades of the intervals in which the strategy cheated
    /// ([`cheats`]): what cheating gained it (0 for the honest homes).
    pub cheating: i64,
    /// Intervals, counted per meter, in which it cheated and traded.
    pub cheating_intervals: u64,
    /// Its meters counted.
    pub meters: usize,
}

/// What each strategy's meters were paid minus what their deviations cost, in
/// credits, over every settled trade and over those of the intervals in which
/// it cheated.
pub fn gains(node: &NodeClient, homes: &[Home]) -> Result<BTreeMap<EnergyStrategy, Gain>> {
    let market = node.energy_market(ENERGY_NETWORK)?;
    let p = market.params;
    let clock = p.clock(market.genesis_time_ms);
    let mut out: BTreeMap<EnergyStrategy, Gain> = BTreeMap::new();
    for h in homes
        .iter()
        .filter(|h| h.capacity_w > 0 || h.strategy == EnergyStrategy::TwoZone)
    {
        let e = out.entry(h.strategy).or_default();
        e.meters += 1;
        let mut after = None;
        let mut cheated = std::collections::BTreeSet::new();
        loop {
            let page = node.energy_trades(
                &h.meter(),
                &PageQuery {
                    after: after.clone(),
                    limit: Some(1_000),
                },
            )?;
            for t in page.iter().filter(|t| t.side == Side::Offer) {
                let net = t.paid as i64 - t.penalty as i64;
                e.total += net;
                if cheats(h, &p, clock.start(t.interval), clock.end(t.interval)) {
                    e.cheating += net;
                    cheated.insert(t.interval);
                }
            }
            match page.last() {
                Some(t) if page.len() == 1_000 => {
                    after = Some(format!("{}:{}", t.interval, t.order))
                }
                _ => break,
            }
        }
        e.cheating_intervals += cheated.len() as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The devnet's day: sun from genesis to interval 6, night from interval 7
    /// (3.5 minutes in) to 14, sun again from 15, whenever the devnet starts.
    #[test]
    fn the_devnet_s_night_comes_in_interval_seven() {
        for genesis_ms in [1_700_000_000_000u64, 1_765_432_109_876, 1_800_000_000_123] {
            let p = devnet_params(genesis_ms);
            let clock = p.clock(genesis_ms);
            let nights: Vec<bool> = (0..24)
                .map(|i| night(&p, clock.start(i), clock.end(i)))
                .collect();
            let first = nights.iter().position(|n| *n);
            let morning = nights.iter().skip(7).position(|n| !*n).map(|k| k + 7);
            assert_eq!((first, morning), (Some(7), Some(15)), "{nights:?}");
            assert!(nights[15..24].iter().all(|n| !n), "{nights:?}");
        }
    }
}
