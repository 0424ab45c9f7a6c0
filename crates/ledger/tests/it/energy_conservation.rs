//! Energy (issue 18), a property: every credit the market holds comes out
//! exactly once, through real blocks.
//!
//! Random sequences of energy operations — bids and offers (standing ones,
//! some too big for their owner's credits), cancels (some by the wrong owner),
//! the meters' readings as each interval ends (some meters missing, exports
//! up to a little above the clear-sky ceiling), stray readings (late, out of
//! order, a clone's conflicting second one), time passing over gate closures
//! and settlements — on two zones. After every block the users' credits, what open orders hold,
//! what the fills of cleared but unsettled intervals hold, what the meters
//! earned and the balancing account add up to the credits the users had before
//! the first order; every open order holds exactly one interval's escrow or
//! collateral and every closed one nothing. At the end every order has closed,
//! every interval settled, nothing is held, and the chain replays.
use crate::common::*;
use borsh::BorshDeserialize;
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::energy::{self, settle, OrderStatus, Side};
use plinth_ledger::genesis::GenesisNetwork;
use plinth_ledger::{compute, credits, keys, Call, Overlay, SignedTx};
use plinth_proofs::energy::{EnergyParams, Intervals, Reading};

const GRID: &str = "grid";
const PENALTY: u64 = 50_000;
/// Blocks are a second apart: intervals of ten blocks, gate closure two
/// seconds before an interval starts, settlement five seconds after it ends.
const INTERVAL_MS: u64 = 10_000;
const GATE_MS: u64 = 2_000;
const SETTLE_MS: u64 = 5_000;

/// The meters: capacity (W) and owner (user); 0, 1, 2, 3 in a Berlin zone, 4
/// and 5 in a Paris one.
const METERS: [(u64, u8); 6] = [
    (10_000, 0),
    (10_000, 1),
    (0, 2),
    (10_000, 0),
    (10_000, 1),
    (0, 2),
];

fn grid_params() -> toml::Table {
    let mut t = toml::Table::new();
    for (k, v) in [
        ("interval_ms", INTERVAL_MS as i64),
        ("gate_ms", GATE_MS as i64),
        ("settle_ms", SETTLE_MS as i64),
        ("zone_resolution", 7),
        ("penalty_price", PENALTY as i64),
        ("max_capacity_w", 25_000),
        ("max_order_intervals", 4),
        // The equator, its sun shifted to noon at the tests' genesis.
        ("lat_cdeg", 0),
        ("lng_cdeg", 0),
        ("sun_offset_ms", 50_400_000),
        ("zone_min_generators", 2),
        ("zone_tolerance_bps", 6_000),
        ("certificate_wh", 40),
    ] {
        t.insert(k.into(), toml::Value::Integer(v));
    }
    t
}

fn site(m: usize) -> u64 {
    let k = m as f64;
    if m < 4 {
        cell(52.52 + 0.003 * k, 13.405 + 0.003 * (k % 2.0))
    } else {
        cell(48.8566 + 0.004 * (k - 4.0), 2.3522 + 0.003 * (k - 4.0))
    }
}

fn meter_id(m: usize) -> DeviceId {
    dev_id(&device_key(m as u8))
}

fn owner(m: usize) -> Keypair {
    user(METERS[m].1)
}

/// The chain: the energy network `grid`, the six meters declared, credits
/// bought by the three users.
fn grid_chain() -> (Chain, [u64; 2]) {
    let mut g = genesis(4);
    g.networks.push(GenesisNetwork {
        name: GRID.into(),
        family: "energy".into(),
        params: grid_params(),
        share_bps: 1_000,
        usage_bps: 5_000,
        require_maker: false,
    });
    let mut c = Chain::from_genesis(g);
    for (m, &(capacity_w, _)) in METERS.iter().enumerate() {
        let o = owner(m);
        let stx = c.tx(
            &o,
            register_call(&addr(&o), &device_key(m as u8), GRID, site(m)),
        );
        c.ok(stx);
        let stx = c.tx(
            &o,
            Call::DeclareMeter {
                device: meter_id(m),
                capacity_w,
            },
        );
        c.ok(stx);
    }
    let zone = |m: usize| {
        energy::meter(&Overlay::new(&c.store), &meter_id(m))
            .unwrap()
            .unwrap()
            .zone
    };
    let zones = [zone(0), zone(4)];
    assert!((0..4).all(|m| zone(m) == zones[0]), "one Berlin zone");
    assert!((4..6).all(|m| zone(m) == zones[1]), "one Paris zone");
    assert_ne!(zones[0], zones[1]);
    for u in 0..3 {
        buy_credits(&mut c, &user(0), &user(u), 500_000);
    }
    (c, zones)
}

fn params(c: &Chain) -> EnergyParams {
    let n = c.genesis.networks.iter().find(|n| n.name == GRID).unwrap();
    toml::Value::Table(n.params.clone()).try_into().unwrap()
}

/// A fill of a cleared, unsettled interval, as the ledger keeps it (the
/// fields of `plinth_ledger::energy`'s private `Fill`, in order).
#[derive(BorshDeserialize)]
struct Fill {
    _seq: u64,
    _side: Side,
    _meter: DeviceId,
    _owner: Address,
    _wh: u64,
    held: u64,
}

/// Where the users' credits are.
#[derive(Debug, Default, PartialEq, Eq)]
struct Books {
    /// The users' credits.
    free: u64,
    /// What open orders hold.
    orders: u64,
    /// What fills of cleared, unsettled intervals hold.
    fills: u64,
    /// What the meters' sales earned (spent credits, paid as usage).
    earned: u64,
    /// The balancing account.
    balancing: u64,
}

impl Books {
    fn total(&self) -> u64 {
        self.free + self.orders + self.fills + self.earned + self.balancing
    }
}

fn books(c: &Chain, p: &EnergyParams, zones: &[u64; 2]) -> Result<Books, String> {
    let s = Overlay::new(&c.store);
    let mut b = Books::default();
    for u in 0..3 {
        b.free += credits::load(&s, &addr(&user(u))).unwrap().total();
    }
    let seqs: u64 = s.get_or_default(keys::ENERGY_SEQ).unwrap();
    for seq in 0..seqs {
        let o = energy::order(&s, seq).unwrap().unwrap();
        let want = match (&o.status, o.side) {
            (OrderStatus::Open, Side::Bid) => settle::value(o.wh, o.price),
            (OrderStatus::Open, Side::Offer) => settle::value(o.wh, p.penalty_price),
            _ => 0,
        };
        if o.held != want {
            return Err(format!("order {seq} holds {} (want {want}): {o:?}", o.held));
        }
        b.orders += o.held;
    }
    let market = energy::market(&s, GRID).unwrap();
    for i in market.next_settle..market.next_clear {
        for zone in zones {
            let prefix = keys::energy_fills(GRID, i, *zone);
            let n: u64 = s.get_or_default(&[&prefix[..], b"#"].concat()).unwrap();
            for page in 0..n.div_ceil(512) {
                let key = [&prefix[..], b"p", &page.to_be_bytes()].concat();
                let fills: Vec<Fill> = s.get_t(&key).unwrap().unwrap_or_default();
                b.fills += fills.iter().map(|f| f.held).sum::<u64>();
            }
        }
    }
    let epochs = c.next_epoch();
    for m in 0..METERS.len() {
        for e in 0..=epochs {
            b.earned += compute::earned(&s, GRID, e, &meter_id(m)).unwrap();
        }
    }
    b.balancing = market.balancing;
    Ok(b)
}

/// What the next block's transactions see.
fn now(c: &Chain) -> u64 {
    c.next_ctx().timestamp_ms
}

fn clock(p: &EnergyParams) -> Intervals {
    p.clock(GENESIS_TIME_MS)
}

/// The meters' counters, as the test carries them.
type Counters = [(u64, u64); METERS.len()];

/// Who posts readings (as the devnet's relayer does).
fn relayer() -> Keypair {
    user(3)
}

/// Readings of `interval` for the meters in `mask`, each adding what `x`
/// draws (exports up to a little above the clear-sky ceiling, about 33 Wh
/// here); a clone's conflicting reading of meter `clone` too.
fn readings(
    c: &Chain,
    relayer: &Keypair,
    counters: &mut Counters,
    interval: u64,
    mask: u8,
    x: u16,
    clone: Option<usize>,
) -> Option<SignedTx> {
    let mut readings = Vec::new();
    for (m, (import, export)) in counters.iter_mut().enumerate() {
        if mask >> m & 1 == 0 {
            continue;
        }
        let x = (u64::from(x) + m as u64 * 97).wrapping_mul(2_654_435_761) >> 7;
        *import += x % 50;
        if METERS[m].0 > 0 {
            *export += (x >> 8) % 36;
        }
        readings.push(
            Reading {
                meter: meter_id(m),
                interval,
                import_wh: *import,
                export_wh: *export,
            }
            .sign(&chain(), &device_key(m as u8)),
        );
    }
    if let Some(m) = clone {
        let (import, export) = counters[m];
        readings.push(
            Reading {
                meter: meter_id(m),
                interval,
                import_wh: import + 1,
                export_wh: export + u64::from(METERS[m].0 > 0),
            }
            .sign(&chain(), &device_key(m as u8)),
        );
    }
    (!readings.is_empty()).then(|| c.tx(relayer, Call::PostReadings { readings }))
}

/// The meters' readings of the next interval to report, if it has ended (all
/// of them, or now and then only those `b` picks).
fn due(
    c: &Chain,
    clock: &Intervals,
    counters: &mut Counters,
    reported: &mut u64,
    b: u8,
    x: u16,
) -> Option<SignedTx> {
    if clock.end(*reported) > now(c) {
        return None;
    }
    let mask = if b.is_multiple_of(4) { b } else { u8::MAX };
    let x = x.wrapping_add(*reported as u16 * 31);
    *reported += 1;
    readings(c, &relayer(), counters, *reported - 1, mask, x, None)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..proptest::prelude::ProptestConfig::default() })]

    /// Any sequence of orders, cancels, readings and time passing keeps every
    /// credit: free + held by open orders + held by unsettled fills + earned +
    /// the balancing account = what the users had; open orders hold exactly
    /// one interval's escrow or collateral; in the end nothing is held.
    #[test]
    fn energy_operations_through_blocks_conserve_credits(
        ops in proptest::collection::vec((0u8..6, proptest::prelude::any::<u8>(), proptest::prelude::any::<u8>(), proptest::prelude::any::<u16>()), 1..40)
    ) {
        let (mut c, zones) = grid_chain();
        let p = params(&c);
        let clock = clock(&p);
        let start = books(&c, &p, &zones).unwrap();
        proptest::prop_assert_eq!(start.total(), start.free);
        let mut counters: Counters = [(0, 0); METERS.len()];
        // The next interval the meters report: each block reports the oldest
        // interval that ended (the first report sets the meters' baselines).
        let mut reported = clock.at(now(&c));
        for (op, a, b, x) in ops {
            let mut txs: Vec<SignedTx> =
                due(&c, &clock, &mut counters, &mut reported, b, x).into_iter().collect();
            match op {
                // An order: generators mostly offer, consumers bid.
                0 | 1 => {
                    let m = usize::from(a) % METERS.len();
                    let side = if METERS[m].0 > 0 && !b.is_multiple_of(4) { Side::Offer } else { Side::Bid };
                    let wh = 1 + u64::from(x) % 30;
                    let price = match side {
                        Side::Offer => 1 + u64::from(x) * 7 % 40_000,
                        // Now and then a bid its owner's credits cannot keep.
                        Side::Bid if b % 8 == 7 => 2_000_000,
                        Side::Bid => 10_000 + u64::from(x) * 13 % 50_000,
                    };
                    let from = clock.first_open(now(&c)) + u64::from(b >> 2) % 3;
                    let to = from + u64::from(b >> 4) % 4;
                    txs.push(c.tx(&owner(m), Call::PostEnergyOrder {
                        meter: meter_id(m), side, wh, price, from_interval: from, to_interval: to,
                    }));
                }
                // A cancel, now and then by someone who does not own the order.
                2 => {
                    let seqs: u64 = Overlay::new(&c.store).get_or_default(keys::ENERGY_SEQ).unwrap();
                    if seqs > 0 {
                        let seq = u64::from(x) % seqs;
                        let o = energy::order(&Overlay::new(&c.store), seq).unwrap().unwrap();
                        let who = if b.is_multiple_of(5) { user(a % 3) } else {
                            let m = (0..METERS.len()).find(|m| meter_id(*m) == o.meter).unwrap();
                            owner(m)
                        };
                        txs.push(c.tx(&who, Call::CancelEnergyOrder { order: seq }));
                    }
                }
                // Stray readings, by another relayer: of the last interval that
                // ended or the one before (late, out of order, or a second
                // reading: a clone's), now and then a clone's conflicting one.
                3 => {
                    if let Some(last) = clock.at(now(&c)).checked_sub(1) {
                        let interval = last.saturating_sub(u64::from(a % 3));
                        let clone = b.is_multiple_of(3).then_some(usize::from(b / 3) % METERS.len());
                        let mut stray = counters;
                        txs.extend(readings(&c, &user(2), &mut stray, interval, a & b, x, clone));
                    }
                }
                // Time passes, block by block, the meters reporting.
                _ => {
                    let h = c.height() + u64::from(a % 12);
                    while c.height() < h {
                        c.block(txs);
                        txs = due(&c, &clock, &mut counters, &mut reported, b, x).into_iter().collect();
                    }
                }
            }
            c.block(txs);
            let now_books = books(&c, &p, &zones).map_err(proptest::test_runner::TestCaseError::fail)?;
            proptest::prop_assert_eq!(now_books.total(), start.total(), "{:?}", now_books);
        }
        // Past every order's last interval and its settlement, the meters
        // reporting: all closed, nothing held, every credit free, earned or
        // the balancing account's.
        let last = clock.first_open(now(&c)) + 2 + 3;
        let h = (clock.settle(last) - GENESIS_TIME_MS) / BLOCK_TIME_MS + 1;
        while c.height() < h {
            let txs = due(&c, &clock, &mut counters, &mut reported, 1, 0).into_iter().collect();
            c.block(txs);
        }
        let end = books(&c, &p, &zones).map_err(proptest::test_runner::TestCaseError::fail)?;
        proptest::prop_assert_eq!((end.orders, end.fills), (0, 0), "{:?}", end);
        proptest::prop_assert_eq!(end.total(), start.total(), "{:?}", end);
        let s = Overlay::new(&c.store);
        let market = energy::market(&s, GRID).unwrap();
        proptest::prop_assert_eq!(market.open_orders, 0);
        proptest::prop_assert!(market.next_settle > last, "{:?}", market);
        drop(s);
        c.replay();
    }
}
