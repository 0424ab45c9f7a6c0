//! Energy (issue 18): meters, orders, the zone auction at gate closure, readings
//! and their refusals, settlement against the meters, certificates.
use crate::common::*;
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::energy::{self, OrderStatus, Side, TradeRecord, ZoneClearing};
use plinth_ledger::genesis::GenesisNetwork;
use plinth_ledger::{compute, credits, keys, Call, Overlay, TxError};
use plinth_proofs::energy::{Reading, SignedReading};

const GRID: &str = "grid";
// Blocks are a second apart: intervals of 60 blocks, gate closure 10 s before
// an interval starts, settlement 20 s after it ends.
const PENALTY: u64 = 50_000;

/// Sellers A and B (10 kW each) and buyer C (a consumer), owned by users 0, 1, 2.
const A: u8 = 0;
const B: u8 = 1;
const C: u8 = 2;
/// A third generator in the zone, owned by user 0.
const D: u8 = 3;

fn grid_params(certificate_wh: u64) -> toml::Table {
    let mut t = toml::Table::new();
    for (k, v) in [
        ("interval_ms", 60_000),
        ("gate_ms", 10_000),
        ("settle_ms", 20_000),
        ("zone_resolution", 7),
        ("penalty_price", PENALTY as i64),
        ("max_capacity_w", 25_000),
        // The equator, its sun shifted to noon at the tests' genesis (22:13 UTC).
        ("lat_cdeg", 0),
        ("lng_cdeg", 0),
        ("sun_offset_ms", 50_400_000),
        ("certificate_wh", certificate_wh as i64),
    ] {
        t.insert(k.into(), toml::Value::Integer(v));
    }
    t
}

/// Sites 300 m apart round Berlin: distinct cells, one zone.
fn site(i: u8) -> u64 {
    cell(
        52.52 + 0.003 * f64::from(i),
        13.405 + 0.003 * f64::from(i % 2),
    )
}

fn owner_of(d: u8) -> Keypair {
    match d {
        B => user(1),
        C => user(2),
        _ => user(0),
    }
}

fn meter_id(d: u8) -> DeviceId {
    dev_id(&device_key(d))
}

/// A chain with the energy network `grid`, meters A, B, C (and D when
/// `with_d`) declared, and 20,000 credits for each user.
fn grid_chain(certificate_wh: u64, with_d: bool) -> Chain {
    let mut g = genesis(3);
    g.networks.push(GenesisNetwork {
        name: GRID.into(),
        family: "energy".into(),
        params: grid_params(certificate_wh),
        share_bps: 1_000,
        usage_bps: 5_000,
        require_maker: false,
    });
    let mut c = Chain::from_genesis(g);
    let meters: &[(u8, u64)] = if with_d {
        &[(A, 10_000), (B, 10_000), (C, 0), (D, 10_000)]
    } else {
        &[(A, 10_000), (B, 10_000), (C, 0)]
    };
    for &(d, capacity_w) in meters {
        let o = owner_of(d);
        let stx = c.tx(&o, register_call(&addr(&o), &device_key(d), GRID, site(d)));
        c.ok(stx);
        let stx = c.tx(
            &o,
            Call::DeclareMeter {
                device: meter_id(d),
                capacity_w,
            },
        );
        c.ok(stx);
    }
    let zones: Vec<u64> = meters.iter().map(|(d, _)| meter(&c, *d).zone).collect();
    assert!(
        zones.windows(2).all(|w| w[0] == w[1]),
        "one zone: {zones:?}"
    );
    for u in 0..3 {
        buy_credits(&mut c, &user(0), &user(u), 200_000);
    }
    c
}

fn meter(c: &Chain, d: u8) -> energy::Meter {
    energy::meter(&Overlay::new(&c.store), &meter_id(d))
        .unwrap()
        .unwrap()
}

fn credits_of(c: &Chain, a: &Address) -> u64 {
    credits::load(&Overlay::new(&c.store), a).unwrap().total()
}

fn order(c: &Chain, seq: u64) -> energy::Order {
    energy::order(&Overlay::new(&c.store), seq)
        .unwrap()
        .unwrap()
}

fn post_order(c: &mut Chain, d: u8, side: Side, wh: u64, price: u64, from: u64, to: u64) -> u64 {
    let seq: u64 = Overlay::new(&c.store)
        .get_or_default(keys::ENERGY_SEQ)
        .unwrap();
    let stx = c.tx(
        &owner_of(d),
        Call::PostEnergyOrder {
            meter: meter_id(d),
            side,
            wh,
            price,
            from_interval: from,
            to_interval: to,
        },
    );
    c.ok(stx);
    seq
}

fn reading(d: u8, interval: u64, import_wh: u64, export_wh: u64) -> SignedReading {
    Reading {
        meter: meter_id(d),
        interval,
        import_wh,
        export_wh,
    }
    .sign(&chain(), &device_key(d))
}

/// Posts readings (by user 2, as a relayer would); the transaction must succeed.
fn post_readings(c: &mut Chain, readings: Vec<SignedReading>) {
    let stx = c.tx(&user(2), Call::PostReadings { readings });
    c.ok(stx);
}

/// Posts one reading that must be refused with `code`: recorded on its meter
/// (the transaction is taken, its fee paid).
fn refused(c: &mut Chain, d: u8, r: SignedReading, code: &str) {
    let before = meter(c, d).refused;
    post_readings(c, vec![r]);
    let m = meter(c, d);
    assert_eq!(m.refused, before + 1);
    assert_eq!(m.last_refusal.map(|r| r.code), Some(code.to_string()));
}

/// Posts readings that are not taken at all: the transaction fails with `why`.
fn not_taken(c: &mut Chain, r: SignedReading, why: &str) {
    let stx = c.tx(&user(2), Call::PostReadings { readings: vec![r] });
    match c.one(stx).error {
        Some(TxError::BadEnergy { reason }) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected {why}, got {other:?}"),
    }
}

/// Produces blocks until the next one is at `s` seconds after genesis.
fn at_second(c: &mut Chain, s: u64) {
    c.advance_to(s - 1);
}

fn clearing(c: &Chain, interval: u64) -> ZoneClearing {
    let zone = meter(c, A).zone;
    Overlay::new(&c.store)
        .get_t(&keys::energy_clearing(GRID, interval, zone))
        .unwrap()
        .expect("the zone cleared")
}

fn trade(c: &Chain, d: u8, interval: u64, seq: u64) -> TradeRecord {
    Overlay::new(&c.store)
        .get_t(&keys::energy_trade(&meter_id(d), interval, seq))
        .unwrap()
        .expect("a settled trade")
}

fn generation(c: &Chain, epoch: u64, d: u8) -> u64 {
    Overlay::new(&c.store)
        .get_or_default(&keys::energy_generation(GRID, epoch, &meter_id(d)))
        .unwrap()
}

#[test]
fn an_interval_clears_at_one_price_and_settles_against_the_meters() {
    let mut c = grid_chain(1_000_000, false);
    let (a, b, buyer) = (addr(&user(0)), addr(&user(1)), addr(&user(2)));
    let start = [a, b, buyer].map(|x| credits_of(&c, &x));
    // Interval 2 (120–180 s) closes at 110 s.
    let sa = post_order(&mut c, A, Side::Offer, 100, 20_000, 2, 2);
    let sb = post_order(&mut c, B, Side::Offer, 100, 30_000, 2, 2);
    let sc = post_order(&mut c, C, Side::Bid, 150, 40_000, 2, 2);
    // Held now: collateral value(100, 50,000) = 5,000 each; escrow value(150, 40,000).
    assert_eq!(order(&c, sc).held, 6_000);
    assert_eq!(credits_of(&c, &a), start[0] - 5_000);

    at_second(&mut c, 111);
    c.block(vec![]);
    // C takes A's 100 and 50 of B's: lo = 30,000 (the last offer), hi = 40,000.
    let z = clearing(&c, 2);
    assert_eq!(
        (z.price, z.volume_wh, z.bids, z.offers),
        (35_000, 150, 1, 2)
    );
    // C keeps value(150, 35,000) = 5,250 of its escrow; B value(50, 50,000).
    assert_eq!(credits_of(&c, &buyer), start[2] - 5_250);
    assert_eq!(credits_of(&c, &b), start[1] - 2_500);
    for s in [sa, sb, sc] {
        assert_eq!(order(&c, s).status, OrderStatus::Done);
    }

    // Interval 1's readings set the baselines; interval 2's: A exported 100 Wh,
    // B only 20 of its 50, C imported 150.
    at_second(&mut c, 121);
    post_readings(
        &mut c,
        vec![
            reading(A, 1, 1_000, 5_000),
            reading(B, 1, 0, 0),
            reading(C, 1, 3_000, 0),
        ],
    );
    at_second(&mut c, 181);
    post_readings(
        &mut c,
        vec![
            reading(A, 2, 1_000, 5_100),
            reading(B, 2, 0, 20),
            reading(C, 2, 3_150, 0),
        ],
    );
    // Interval 2 settles in the block at 200 s (its end + 20 s): epoch 20.
    at_second(&mut c, 200);
    let settled_epoch = c.next_epoch();
    assert_eq!(settled_epoch, 20);
    c.block(vec![]);

    // 120 Wh delivered: C pays value(120, 35,000) = 4,200, A earns 3,500, B 700;
    // B's deviation of 30 Wh costs it value(30, 50,000) = 1,500.
    let tc = trade(&c, C, 2, sc);
    assert_eq!((tc.delivered_wh, tc.paid, tc.returned), (120, 4_200, 1_050));
    let ta = trade(&c, A, 2, sa);
    assert_eq!(
        (ta.delivered_wh, ta.paid, ta.penalty, ta.returned),
        (100, 3_500, 0, 5_000)
    );
    let tb = trade(&c, B, 2, sb);
    assert_eq!(
        (tb.delivered_wh, tb.paid, tb.penalty, tb.returned),
        (20, 700, 1_500, 1_000)
    );
    assert_eq!(credits_of(&c, &buyer), start[2] - 4_200);
    assert_eq!(credits_of(&c, &a), start[0]);
    assert_eq!(credits_of(&c, &b), start[1] - 1_500);
    let s = Overlay::new(&c.store);
    let earned = |d| compute::earned(&s, GRID, settled_epoch, &meter_id(d)).unwrap();
    assert_eq!((earned(A), earned(B)), (3_500, 700));
    assert_eq!(energy::market(&s, GRID).unwrap().balancing, 1_500);
    let z = clearing(&c, 2).settled.expect("settled");
    assert_eq!((z.delivered_wh, z.paid, z.balancing), (120, 4_200, 1_500));
    // Verified generation, for the oracle's scores.
    assert_eq!(
        (
            generation(&c, settled_epoch, A),
            generation(&c, settled_epoch, B)
        ),
        (100, 20)
    );
    assert_eq!(generation(&c, settled_epoch, C), 0);
    // Every block replays to the same roots.
    c.replay();
}

#[test]
fn readings_are_refused_with_their_reasons() {
    let mut c = grid_chain(1_000_000, false);
    at_second(&mut c, 121);
    post_readings(
        &mut c,
        vec![
            reading(A, 1, 0, 0),
            reading(B, 1, 0, 100),
            reading(C, 1, 0, 0),
        ],
    );
    at_second(&mut c, 181);
    // 1,000 Wh from 10 kW in a minute: above any clear sky.
    refused(&mut c, A, reading(A, 2, 0, 1_000), "export_above_clear_sky");
    // A consumer exporting.
    refused(&mut c, C, reading(C, 2, 0, 5), "export_without_generation");
    // Counters going back.
    refused(&mut c, B, reading(B, 2, 0, 50), "counter_went_back");
    // An interval that is not over.
    refused(&mut c, A, reading(A, 5, 0, 10), "interval_not_over");
    // Signed by another key: nobody's refusal to record (anyone could post
    // garbage in a meter's name).
    let mut forged = reading(A, 2, 0, 10);
    forged.signature = device_key(9).sign(&forged.reading.signing_bytes(&chain()));
    not_taken(&mut c, forged, "signature");
    // A good one, then a clone's different reading of the same interval.
    post_readings(&mut c, vec![reading(A, 2, 0, 100)]);
    refused(&mut c, A, reading(A, 2, 0, 120), "conflicting_reading");
    not_taken(&mut c, reading(A, 2, 0, 100), "already taken");
    assert_eq!(meter(&c, A).last.map(|b| b.export_wh), Some(100));
    // After settlement, readings of the interval are no longer taken; the
    // cloned meter's interval counted as no generation.
    at_second(&mut c, 200);
    let settled_epoch = c.next_epoch();
    c.block(vec![]);
    refused(&mut c, B, reading(B, 2, 0, 150), "interval_settled");
    assert_eq!(generation(&c, settled_epoch, A), 0);
}

#[test]
fn a_generator_claiming_full_sun_under_its_zone_s_clouds_is_refused() {
    let mut c = grid_chain(1_000_000, true);
    at_second(&mut c, 121);
    post_readings(
        &mut c,
        [A, B, C, D].iter().map(|&d| reading(d, 1, 0, 0)).collect(),
    );
    at_second(&mut c, 181);
    // A and B make about a third of their ceiling; D claims nearly all of it.
    post_readings(
        &mut c,
        vec![
            reading(A, 2, 0, 50),
            reading(B, 2, 0, 55),
            reading(C, 2, 10, 0),
            reading(D, 2, 0, 150),
        ],
    );
    at_second(&mut c, 200);
    let epoch = c.next_epoch();
    c.block(vec![]);
    assert_eq!(
        (generation(&c, epoch, A), generation(&c, epoch, B)),
        (50, 55)
    );
    assert_eq!(generation(&c, epoch, D), 0);
    let d = meter(&c, D);
    assert_eq!(
        d.last_refusal.map(|r| r.code),
        Some("disagrees_with_zone".into())
    );
    assert_eq!(d.generated_wh, 0);
}

#[test]
fn orders_are_checked_when_posted() {
    let mut c = grid_chain(1_000_000, false);
    let post = |c: &mut Chain, d: u8, side, wh, from: u64| {
        let stx = c.tx(
            &owner_of(d),
            Call::PostEnergyOrder {
                meter: meter_id(d),
                side,
                wh,
                price: 10_000,
                from_interval: from,
                to_interval: from,
            },
        );
        c.one(stx).error
    };
    let reason = |e: Option<TxError>| match e {
        Some(TxError::BadEnergy { reason }) => reason,
        other => panic!("expected an energy refusal, got {other:?}"),
    };
    // Interval 1 closed at 50 s... the chain is past genesis by a few blocks:
    // interval 0 is closed.
    assert!(reason(post(&mut c, A, Side::Offer, 50, 0)).contains("closed"));
    // 10 kW make at most 166 Wh a minute.
    assert!(reason(post(&mut c, A, Side::Offer, 200, 3)).contains("at most 166 Wh"));
    // A consumer offers nothing.
    assert!(reason(post(&mut c, C, Side::Offer, 1, 3)).contains("at most 0 Wh"));
    // Not the owner's meter.
    let stx = c.tx(
        &user(2),
        Call::PostEnergyOrder {
            meter: meter_id(A),
            side: Side::Bid,
            wh: 10,
            price: 1,
            from_interval: 3,
            to_interval: 3,
        },
    );
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::NotDeviceOwner { .. })
    ));
    // One meter per site.
    let o = user(2);
    let stx = c.tx(&o, register_call(&addr(&o), &device_key(7), GRID, site(A)));
    c.ok(stx);
    let stx = c.tx(
        &o,
        Call::DeclareMeter {
            device: meter_id(7),
            capacity_w: 1_000,
        },
    );
    match c.one(stx).error {
        Some(TxError::BadEnergy { reason }) => assert!(reason.contains("one meter per site")),
        other => panic!("{other:?}"),
    }
    // Meters belong to energy networks only.
    let stx = c.tx(
        &o,
        register_call(&addr(&o), &device_key(8), NETWORK, berlin()),
    );
    c.ok(stx);
    let stx = c.tx(
        &o,
        Call::DeclareMeter {
            device: meter_id(8),
            capacity_w: 1_000,
        },
    );
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::NotEnergyNetwork { .. })
    ));
}

#[test]
fn standing_orders_trade_each_interval_until_cancelled_or_out_of_credits() {
    let mut c = grid_chain(1_000_000, false);
    let buyer = addr(&user(2));
    // A standing offer and a standing bid for intervals 2 to 5; the bid needs
    // 4,000 credits per interval.
    let sa = post_order(&mut c, A, Side::Offer, 100, 10_000, 2, 5);
    let sc = post_order(&mut c, C, Side::Bid, 100, 40_000, 2, 5);
    assert_eq!(order(&c, sc).held, 4_000);
    // Take C's credits down to 1,000 with a bid for a later interval.
    let left = credits_of(&c, &buyer);
    let big = 1_000 * (left - 1_000) / 400;
    let stx = c.tx(
        &user(2),
        Call::PostEnergyOrder {
            meter: meter_id(C),
            side: Side::Bid,
            wh: 400,
            price: big,
            from_interval: 9,
            to_interval: 9,
        },
    );
    c.ok(stx);
    assert_eq!(credits_of(&c, &buyer), 1_000);
    // Interval 2 clears at 25,000: C keeps 2,500 and gets 1,500 back, then cannot
    // pay 4,000 for interval 3: its order ends.
    at_second(&mut c, 111);
    c.block(vec![]);
    assert_eq!(clearing(&c, 2).price, 25_000);
    assert_eq!(
        order(&c, sc).status,
        OrderStatus::OutOfCredits { interval: 3 }
    );
    assert_eq!(credits_of(&c, &buyer), 2_500);
    // A's standing offer goes on to interval 3, holding its collateral again.
    let a = order(&c, sa);
    assert_eq!(
        (a.status.clone(), a.held, a.filled_wh),
        (OrderStatus::Open, 5_000, 100)
    );
    assert!(meter(&c, A).orders.contains(&sa));
    // Cancelled, it gives back what it holds.
    let before = credits_of(&c, &addr(&user(0)));
    let stx = c.tx(&user(0), Call::CancelEnergyOrder { order: sa });
    c.ok(stx);
    assert_eq!(credits_of(&c, &addr(&user(0))), before + 5_000);
    assert!(matches!(
        order(&c, sa).status,
        OrderStatus::Cancelled { .. }
    ));
    assert!(meter(&c, A).orders.is_empty());
    // Interval 3 then has nothing to clear: no auction is recorded.
    at_second(&mut c, 171);
    c.block(vec![]);
    let s = Overlay::new(&c.store);
    let zone = meter(&c, A).zone;
    assert_eq!(s.get(&keys::energy_clearing(GRID, 3, zone)).unwrap(), None);
    assert_eq!(energy::market(&s, GRID).unwrap().open_orders, 1);
    c.replay();
}

#[test]
fn verified_generation_yields_certificates_that_move_and_retire() {
    let mut c = grid_chain(200, false);
    at_second(&mut c, 121);
    post_readings(&mut c, vec![reading(A, 1, 0, 0)]);
    at_second(&mut c, 181);
    post_readings(&mut c, vec![reading(A, 2, 0, 150)]);
    at_second(&mut c, 241);
    post_readings(&mut c, vec![reading(A, 3, 0, 300)]);
    at_second(&mut c, 260);
    c.block(vec![]);
    let m = meter(&c, A);
    assert_eq!((m.generated_wh, m.uncertified_wh), (300, 100));
    let cert = energy::certificate(&Overlay::new(&c.store), 0)
        .unwrap()
        .unwrap();
    assert_eq!(
        (cert.wh, cert.owner, cert.first_interval, cert.last_interval),
        (200, addr(&user(0)), 2, 3)
    );
    assert!(energy::certificate(&Overlay::new(&c.store), 1)
        .unwrap()
        .is_none());
    // Transferred, then retired by its new holder, then frozen.
    let stx = c.tx(
        &user(0),
        Call::TransferCertificate {
            id: 0,
            to: addr(&user(1)),
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &user(0),
        Call::RetireCertificate {
            id: 0,
            beneficiary: "me".into(),
        },
    );
    c.reject(stx, TxError::NotOwner);
    let stx = c.tx(
        &user(1),
        Call::RetireCertificate {
            id: 0,
            beneficiary: "Bakery Müller, Q3".into(),
        },
    );
    c.ok(stx);
    let cert = energy::certificate(&Overlay::new(&c.store), 0)
        .unwrap()
        .unwrap();
    assert_eq!(
        cert.retired.map(|r| r.beneficiary),
        Some("Bakery Müller, Q3".into())
    );
    let stx = c.tx(
        &user(1),
        Call::TransferCertificate {
            id: 0,
            to: addr(&user(2)),
        },
    );
    let r = c.one(stx);
    assert!(matches!(r.error, Some(TxError::BadEnergy { .. })));
}

/// A fifth meter, a generator in another zone (Paris), owned by user 0.
const E: u8 = 4;

#[test]
fn settlement_goes_zone_by_zone_over_blocks_within_its_budget() {
    for budget in [1i64, 20_000] {
        let mut g = genesis(3);
        let mut params = grid_params(1_000_000);
        params.insert(
            "settle_budget_per_block".into(),
            toml::Value::Integer(budget),
        );
        g.networks.push(GenesisNetwork {
            name: GRID.into(),
            family: "energy".into(),
            params,
            share_bps: 1_000,
            usage_bps: 5_000,
            require_maker: false,
        });
        let mut c = Chain::from_genesis(g);
        for (d, capacity_w, location) in
            [(A, 10_000, site(A)), (C, 0, site(C)), (E, 10_000, paris())]
        {
            let o = owner_of(d);
            let stx = c.tx(&o, register_call(&addr(&o), &device_key(d), GRID, location));
            c.ok(stx);
            let stx = c.tx(
                &o,
                Call::DeclareMeter {
                    device: meter_id(d),
                    capacity_w,
                },
            );
            c.ok(stx);
        }
        assert_ne!(meter(&c, A).zone, meter(&c, E).zone);
        for u in 0..3 {
            buy_credits(&mut c, &user(0), &user(u), 200_000);
        }
        let sa = post_order(&mut c, A, Side::Offer, 100, 20_000, 2, 2);
        let sc = post_order(&mut c, C, Side::Bid, 100, 40_000, 2, 2);
        at_second(&mut c, 121);
        post_readings(
            &mut c,
            vec![
                reading(A, 1, 0, 5_000),
                reading(C, 1, 3_000, 0),
                reading(E, 1, 0, 7_000),
            ],
        );
        at_second(&mut c, 181);
        post_readings(
            &mut c,
            vec![
                reading(A, 2, 0, 5_100),
                reading(C, 2, 3_100, 0),
                reading(E, 2, 0, 7_040),
            ],
        );
        at_second(&mut c, 200);
        let epoch = c.next_epoch();
        c.block(vec![]);
        let next_settle = |c: &Chain| {
            energy::market(&Overlay::new(&c.store), GRID)
                .unwrap()
                .next_settle
        };
        let settled = |c: &Chain| {
            (
                generation(c, epoch, A) > 0 && clearing(c, 2).settled.is_some(),
                generation(c, epoch, E) > 0,
            )
        };
        if budget == 1 {
            // One zone a block: the lower zone id first, the interval not done.
            assert_eq!(next_settle(&c), 2);
            let first = settled(&c);
            let a_first = meter(&c, A).zone < meter(&c, E).zone;
            assert_eq!(first, (a_first, !a_first));
            // A reading of an interval under settlement is refused (its block
            // settles the second zone).
            refused(&mut c, E, reading(E, 2, 0, 7_041), "interval_settled");
        }
        assert_eq!(next_settle(&c), 3, "budget {budget}");
        assert_eq!(settled(&c), (true, true));
        assert_eq!(
            (generation(&c, epoch, A), generation(&c, epoch, E)),
            (100, 40)
        );
        let ta = trade(&c, A, 2, sa);
        let tc = trade(&c, C, 2, sc);
        assert_eq!((ta.delivered_wh, tc.delivered_wh), (100, 100));
        assert_eq!(ta.paid, tc.paid);
        // Nothing of the settlement is left in state: no cursor, no zone lists.
        let s = Overlay::new(&c.store);
        assert!(s.get(&keys::energy_settle_cursor(GRID)).unwrap().is_none());
        assert!(s
            .get(&[keys::energy_settle_zones(GRID, 2), b"#".to_vec()].concat())
            .unwrap()
            .is_none());
        drop(s);
        c.replay();
    }
}
