//! `plinth bench energy`: the energy market at scale (issue 18), through the
//! ledger's own execution ([`plinth_ledger::execute`], a state in memory):
//!
//! - **clearing**: one zone's interval with 100,000 orders (50,000 bids, 50,000
//!   offers from 12,500 meters) cleared at gate closure: the block that clears it
//!   against an empty block before it, and [`auction::clear`] alone on the same
//!   book;
//! - **readings**: 1,000,000 meters' signed readings taken through
//!   `PostReadings` (each signature checked, each reading checked against its
//!   meter's last), readings per second;
//! - **settlement**: the blocks that settle an interval of 1,000,000 meters'
//!   readings (zone agreement over every zone, verified generation recorded)
//!   with the 100,000 orders' trades — zone by zone, up to the network's
//!   `settle_budget_per_block` readings and fills a block: their total, their
//!   count and the longest, against an empty block before them.
//!
//! ```text
//!  genesis ─▶ meters registered, declared ─▶ credits ─▶ orders (zone 0, interval 2)
//!     ─▶ [empty block | gate of interval 2: clearing]            (timed)
//!     ─▶ readings of interval 1 (baselines) ─▶ readings of interval 2 (timed)
//!     ─▶ interval 1 settles ─▶ [empty block | interval 2 settles over blocks]  (timed)
//! ```

use crate::peak_rss_mib;
use anyhow::{bail, Context, Result};
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::energy::{self, auction, Side, ZoneClearing};
use plinth_ledger::genesis::{Fees, GenesisAccount, GenesisNetwork, Staking, Token};
use plinth_ledger::params::Validator;
use plinth_ledger::rewards::OracleSet;
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    execute as execute_block, keys, BlockContext, Call, Genesis, Overlay, SigCheck, SignedTx,
    Transaction,
};
use plinth_proofs::energy::{EnergyParams, Reading};
use rayon::prelude::*;
use std::time::Instant;

/// `plinth bench energy`.
#[derive(Debug, Clone, clap::Args)]
pub struct EnergyBench {
    /// Meters in all (readings of each are settled).
    #[arg(long, default_value_t = 1_000_000)]
    pub meters: usize,
    /// Orders in the cleared zone's interval (half bids, half offers; eight per
    /// meter, the most a meter may have open).
    #[arg(long, default_value_t = 100_000)]
    pub orders: usize,
    /// Meters per zone.
    #[arg(long, default_value_t = 12_500)]
    pub per_zone: usize,
    /// Most transactions per block while building the state.
    #[arg(long, default_value_t = 20_000)]
    pub block_txs: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const CHAIN: &str = "bench-energy";
const NETWORK: &str = "grid";
const FEE: u64 = 1_000;
/// Smallest units per token (6 decimals).
const UNIT: u64 = 1_000_000;
/// 2026-06-21 10:00 UTC: intervals 1 and 2 are late morning in Berlin.
const GENESIS_MS: u64 = 1_782_036_000_000;
/// Meters per owner account.
const PER_OWNER: usize = 100;
/// Orders per trading meter (the ledger's most).
const PER_METER: usize = energy::MAX_LIVE_ORDERS;
/// Every order's energy, Wh.
const ORDER_WH: u64 = 100;
/// A generator's capacity, W.
const CAPACITY_W: u64 = 10_000;
/// The interval traded.
const TRADED: u64 = 2;

/// A chain in memory, driven block by block through the ledger at chosen times.
struct Chain {
    store: MemStore,
    height: u64,
    validator: Address,
}

impl Chain {
    /// Executes and commits one block at `at_ms` after genesis; every
    /// transaction must succeed. Returns the seconds it took.
    fn block(&mut self, at_ms: u64, txs: &[SignedTx]) -> Result<f64> {
        self.height += 1;
        let ctx = BlockContext {
            height: self.height,
            timestamp_ms: GENESIS_MS + at_ms,
            proposer: self.validator,
        };
        let t = Instant::now();
        let exec = execute_block(&self.store, &ctx, txs, SigCheck::Trusted)?;
        self.store.commit(&exec);
        let secs = t.elapsed().as_secs_f64();
        if let Some(r) = exec.receipts.iter().find(|r| r.error.is_some()) {
            bail!(
                "a bench transaction failed at height {}: {:?}",
                self.height,
                r.error
            );
        }
        Ok(secs)
    }

    /// Empty blocks one second apart from `at_ms` until `interval` has settled
    /// (the ledger settles a bounded number of zones per block).
    fn settle(&mut self, at_ms: u64, interval: u64) -> Result<Settled> {
        let mut out = Settled::default();
        let mut at = at_ms;
        loop {
            let secs = self.block(at, &[])?;
            out.blocks += 1;
            out.total_secs += secs;
            out.max_block_secs = out.max_block_secs.max(secs);
            if energy::market(&Overlay::new(&self.store), NETWORK)?.next_settle > interval {
                return Ok(out);
            }
            if out.blocks > 1_000_000 {
                bail!("interval {interval} did not settle in a million blocks");
            }
            at += 1_000;
        }
    }

    /// Runs `txs` in blocks of `per_block`, one second apart from `*at_ms`.
    fn blocks(&mut self, at_ms: &mut u64, txs: &[SignedTx], per_block: usize) -> Result<f64> {
        let mut secs = 0.0;
        for chunk in txs.chunks(per_block) {
            *at_ms += 1_000;
            secs += self.block(*at_ms, chunk)?;
        }
        Ok(secs)
    }
}

/// An interval's settlement over blocks.
#[derive(Default)]
struct Settled {
    blocks: u64,
    total_secs: f64,
    max_block_secs: f64,
}

fn signed(key: &Keypair, nonce: u64, call: Call) -> SignedTx {
    Transaction {
        chain_id: CHAIN.into(),
        signer: Address(key.public()),
        nonce,
        fee: FEE,
        call,
    }
    .sign(key)
}

/// Signs `calls` on both cores, keeping their order.
fn sign_all(calls: Vec<(&Keypair, u64, Call)>) -> Vec<SignedTx> {
    calls
        .into_par_iter()
        .map(|(k, n, c)| signed(k, n, c))
        .collect()
}

/// A deterministic spread: `lo + (i × 7919 mod span)`.
fn spread(i: usize, lo: u64, span: u64) -> u64 {
    lo + (i as u64 * 7_919) % span
}

/// Runs the benchmark and prints its result.
pub fn run(b: EnergyBench) -> Result<()> {
    if b.per_zone == 0 || b.per_zone > 16_807 {
        bail!("--per-zone must be 1 to 16807 (the sites of a zone)");
    }
    let traders = b.orders.div_ceil(PER_METER);
    if traders > b.per_zone || traders > b.meters {
        bail!(
            "{} orders need {traders} meters in one zone: raise --per-zone or --meters",
            b.orders
        );
    }
    let p = EnergyParams::default();
    let clock = p.clock(GENESIS_MS);
    let ceiling = p.max_export_wh(CAPACITY_W, clock.start(TRADED), clock.end(TRADED));
    if ceiling < 2 * PER_METER as u64 * ORDER_WH {
        bail!("the sky gives {ceiling} Wh in interval {TRADED}: too little to trade");
    }

    // Zones: resolution-8 cells round Berlin; sites: resolution-13 cells in them.
    let zones_n = b.meters.div_ceil(b.per_zone);
    let parent = h3o::LatLng::new(52.52, 13.405)?.to_cell(h3o::Resolution::Five);
    let zones: Vec<h3o::CellIndex> = parent
        .children(h3o::Resolution::Eight)
        .take(zones_n)
        .collect();
    if zones.len() < zones_n {
        bail!("at most {} zones", zones.len());
    }
    eprintln!("keys and sites of {} meters in {zones_n} zones…", b.meters);
    let sites: Vec<u64> = zones
        .par_iter()
        .flat_map_iter(|z| {
            z.children(h3o::Resolution::Thirteen)
                .take(b.per_zone)
                .map(u64::from)
        })
        .take_any(b.meters)
        .collect();
    let mut sites = sites;
    sites.par_sort_unstable();
    // Zone 0's sites first: its meters trade.
    let zone0 = u64::from(zones[0]);
    let (mut first, rest): (Vec<u64>, Vec<u64>) = sites.into_iter().partition(|s| {
        h3o::CellIndex::try_from(*s)
            .ok()
            .and_then(|c| c.parent(h3o::Resolution::Eight))
            .map(u64::from)
            == Some(zone0)
    });
    first.extend(rest);
    let sites = first;
    let meters: Vec<Keypair> = (0..b.meters)
        .into_par_iter()
        .map(|i| crate::key(0xE1, i))
        .collect();
    let owners_n = b.meters.div_ceil(PER_OWNER);
    let owners: Vec<Keypair> = (0..owners_n)
        .into_par_iter()
        .map(|i| crate::key(0xE2, i))
        .collect();
    let oracle = crate::key(0xE3, 0);
    let validator = crate::key(0xE4, 0);
    let relayer = crate::key(0xE5, 0);
    // Generators: even meters; consumers: odd.
    let capacity = |i: usize| if i.is_multiple_of(2) { CAPACITY_W } else { 0 };

    let mut accounts: Vec<GenesisAccount> = owners
        .iter()
        .chain([&oracle, &relayer])
        .map(|k| GenesisAccount {
            address: Address(k.public()),
            balance: 1_000 * UNIT,
        })
        .collect();
    accounts.sort_by_key(|a| a.address);
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: GENESIS_MS,
        block_time_ms: 1_000,
        token: Token {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: FEE },
        staking: Staking {
            unbonding_blocks: 10,
            max_unbonding_entries: 16,
        },
        accounts,
        validators: vec![Validator {
            address: Address(validator.public()),
            name: "v".into(),
        }],
        networks: vec![GenesisNetwork {
            name: NETWORK.into(),
            family: "energy".into(),
            params: Default::default(),
            share_bps: 1_000,
            usage_bps: 5_000,
            require_maker: false,
        }],
        emission: Default::default(),
        oracles: OracleSet {
            threshold: 1,
            members: vec![Address(oracle.public())],
        },
        validator_set: None,
        credits: None,
        storage: None,
        compute: None,
        governance: None,
        makers: Vec::new(),
        modules: Vec::new(),
    };
    let chain_id = genesis.chain();
    let mut store = MemStore::latest_only();
    let exec = genesis.execute(&store).context("bench genesis")?;
    store.commit(&exec);
    let mut chain = Chain {
        store,
        height: 0,
        validator: Address(validator.public()),
    };
    let mut at = 0u64;
    let build = Instant::now();

    // Meters registered, then declared; the owners of trading meters buy credits.
    eprintln!("registering and declaring {} meters…", b.meters);
    let mut nonces = vec![0u64; owners_n];
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(b.meters);
    let price = PricePoint {
        chain: chain_id,
        micro_usd_per_token: 1_000_000,
        timestamp_ms: GENESIS_MS,
    };
    calls.push((
        &oracle,
        0,
        Call::PostPrice {
            signatures: vec![price.sign(&oracle)],
            price,
        },
    ));
    let registrations: Vec<Call> = (0..b.meters)
        .into_par_iter()
        .map(|i| {
            let owner = &owners[i / PER_OWNER];
            let id = DeviceId(meters[i].public());
            let msg = plinth_ledger::devices::registration_message(
                &chain_id,
                &Address(owner.public()),
                &id,
                NETWORK,
                sites[i],
            );
            Call::RegisterDevice {
                device: id,
                network: NETWORK.into(),
                location: sites[i],
                device_signature: meters[i].sign(&msg),
            }
        })
        .collect();
    for (i, call) in registrations.into_iter().enumerate() {
        let o = i / PER_OWNER;
        calls.push((&owners[o], nonces[o], call));
        nonces[o] += 1;
    }
    chain.blocks(&mut at, &sign_all(calls), b.block_txs)?;
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(b.meters);
    for (i, m) in meters.iter().enumerate() {
        let o = i / PER_OWNER;
        calls.push((
            &owners[o],
            nonces[o],
            Call::DeclareMeter {
                device: DeviceId(m.public()),
                capacity_w: capacity(i),
            },
        ));
        nonces[o] += 1;
    }
    for o in 0..traders.div_ceil(PER_OWNER) {
        calls.push((
            &owners[o],
            nonces[o],
            Call::BurnForCredits {
                amount: 500 * UNIT,
                to: Address(owners[o].public()),
            },
        ));
        nonces[o] += 1;
    }
    chain.blocks(&mut at, &sign_all(calls), b.block_txs)?;

    // The orders: zone 0's first `traders` meters, eight each for interval 2:
    // generators offer at 5,000–15,000 credits/kWh, consumers bid 10,000–20,000.
    eprintln!("posting {} orders in one zone…", b.orders);
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(b.orders);
    let mut book = (Vec::new(), Vec::new());
    for k in 0..b.orders {
        let i = k / PER_METER;
        let o = i / PER_OWNER;
        let side = if capacity(i) > 0 {
            Side::Offer
        } else {
            Side::Bid
        };
        let price = match side {
            Side::Offer => spread(k, 5_000, 10_000),
            Side::Bid => spread(k, 10_000, 10_000),
        };
        let order = auction::Order {
            seq: k as u64,
            wh: ORDER_WH,
            price,
        };
        match side {
            Side::Bid => book.0.push(order),
            Side::Offer => book.1.push(order),
        }
        calls.push((
            &owners[o],
            nonces[o],
            Call::PostEnergyOrder {
                meter: DeviceId(meters[i].public()),
                side,
                wh: ORDER_WH,
                price,
                from_interval: TRADED,
                to_interval: TRADED,
            },
        ));
        nonces[o] += 1;
    }
    chain.blocks(&mut at, &sign_all(calls), b.block_txs)?;
    let gate = clock.gate(TRADED) - GENESIS_MS;
    if at >= gate - 1_000 {
        bail!("building took the chain past the gate of interval {TRADED}: fewer meters");
    }
    let setup_secs = build.elapsed().as_secs_f64();

    // Clearing: an empty block just before the gate, then the gate's block.
    eprintln!("clearing…");
    let empty_before_clear = chain.block(gate - 1_000, &[])?;
    let clear_secs = chain.block(gate, &[])?;
    let zone_clearing = |c: &Chain| -> Result<ZoneClearing> {
        Overlay::new(&c.store)
            .get_t(&keys::energy_clearing(NETWORK, TRADED, zone0))?
            .context("zone 0 did not clear")
    };
    let cleared = zone_clearing(&chain)?;
    if cleared.bids as usize + cleared.offers as usize != b.orders || cleared.volume_wh == 0 {
        bail!("the clearing is not the book's: {cleared:?}");
    }
    let t = Instant::now();
    let alone = auction::clear(&book.0, &book.1);
    let auction_secs = t.elapsed().as_secs_f64();
    if (alone.price, alone.volume_wh) != (cleared.price, cleared.volume_wh) {
        bail!(
            "auction::clear gives {} at {}, the ledger {cleared:?}",
            alone.volume_wh,
            alone.price
        );
    }

    // Readings: baselines of interval 1, then interval 2's (generators export
    // 55–65% of the clear sky; consumers import 300 Wh).
    let readings = |interval: u64| -> Vec<Call> {
        let signed: Vec<_> = (0..b.meters)
            .into_par_iter()
            .map(|i| {
                let (import_wh, export_wh) = match (interval == TRADED, capacity(i) > 0) {
                    (false, _) => (1_000, 0),
                    (true, true) => (1_000, ceiling * spread(i, 5_500, 1_001) / 10_000),
                    (true, false) => (1_300, 0),
                };
                Reading {
                    meter: DeviceId(meters[i].public()),
                    interval,
                    import_wh,
                    export_wh,
                }
                .sign(&chain_id, &meters[i])
            })
            .collect();
        signed
            .chunks(energy::MAX_READINGS_PER_TX)
            .map(|c| Call::PostReadings {
                readings: c.to_vec(),
            })
            .collect()
    };
    eprintln!("readings of {} meters, twice…", b.meters);
    let mut relayer_nonce = 0u64;
    let mut relay = |calls: Vec<Call>| -> Vec<SignedTx> {
        let first = relayer_nonce;
        relayer_nonce += calls.len() as u64;
        sign_all(
            calls
                .into_iter()
                .enumerate()
                .map(|(k, c)| (&relayer, first + k as u64, c))
                .collect(),
        )
    };
    let r1 = relay(readings(1));
    at = clock.end(1) - GENESIS_MS;
    chain.blocks(&mut at, &r1, b.block_txs)?;
    let r2 = relay(readings(TRADED));
    at = clock.end(TRADED) - GENESIS_MS;
    let reading_secs = chain.blocks(&mut at, &r2, b.block_txs)?;

    // Settlement: interval 1 (baselines only), then an empty block and interval 2.
    eprintln!("settling…");
    let settle1 = chain.settle(clock.settle(1) - GENESIS_MS, 1)?;
    let settle_at = clock.settle(TRADED) - GENESIS_MS;
    let empty_before_settle = chain.block(settle_at - 1_000, &[])?;
    let settled2 = chain.settle(settle_at, TRADED)?;
    let settle_secs = settled2.total_secs;
    let settled = zone_clearing(&chain)?
        .settled
        .context("zone 0's interval did not settle")?;
    let market = energy::market(&Overlay::new(&chain.store), NETWORK)?;

    let out = serde_json::json!({
        "meters": b.meters,
        "zones": zones_n,
        "orders": b.orders,
        "setup_secs": setup_secs,
        "clearing": {
            "block_secs": clear_secs,
            "empty_block_secs": empty_before_clear,
            "auction_alone_secs": auction_secs,
            "price": cleared.price,
            "volume_wh": cleared.volume_wh,
            "bids": cleared.bids,
            "offers": cleared.offers,
        },
        "readings": {
            "count": b.meters,
            "secs": reading_secs,
            "per_sec": b.meters as f64 / reading_secs,
        },
        "settlement": {
            "secs": settle_secs,
            "blocks": settled2.blocks,
            "max_block_secs": settled2.max_block_secs,
            "empty_block_secs": empty_before_settle,
            "baselines_secs": settle1.total_secs,
            "baselines_blocks": settle1.blocks,
            "baselines_max_block_secs": settle1.max_block_secs,
            "delivered_wh": settled.delivered_wh,
            "paid": settled.paid,
            "balancing": market.balancing,
        },
        "peak_rss_mib": peak_rss_mib(),
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "energy: {} meters in {zones_n} zones, {} orders in zone 0's interval {TRADED} (built in {setup_secs:.1} s)",
        b.meters, b.orders
    );
    println!(
        "  clearing block       {:>9.3} s  (empty block {:.3} s; auction::clear alone {:.3} s): {} Wh at {} credits/kWh, {} bids, {} offers",
        clear_secs, empty_before_clear, auction_secs, cleared.volume_wh, cleared.price, cleared.bids, cleared.offers
    );
    println!(
        "  readings taken       {:>9.0} /s  ({} in {reading_secs:.2} s of blocks)",
        b.meters as f64 / reading_secs,
        b.meters
    );
    println!(
        "  settlement           {:>9.3} s  in {} blocks, the longest {:.3} s (empty block {:.3} s; baselines-only interval {:.3} s in {} blocks, the longest {:.3} s): {} Wh delivered, {} credits paid, balancing {}",
        settle_secs,
        settled2.blocks,
        settled2.max_block_secs,
        empty_before_settle,
        settle1.total_secs,
        settle1.blocks,
        settle1.max_block_secs,
        settled.delivered_wh,
        settled.paid,
        market.balancing
    );
    println!("  peak memory {:.0} MiB", peak_rss_mib().unwrap_or(0.0));
    Ok(())
}
