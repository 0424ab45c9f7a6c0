//! The simulator's integration tests: the helium-like schedule's closed form,
//! conservation over random scenarios, determinism, scenarios and sweeps.

use plinth_sim::scenario::{Curve, DemandSpec, BUILTINS, HELIUM_HALVING_EPOCHS, HELIUM_PER_EPOCH};
use plinth_sim::{grid, run, simulate, Scenario, ScenarioError, Sweep};
use proptest::prelude::*;

mod ledger;

/// helium-like without demand: nothing is burned.
fn helium_without_burns(epochs: u64) -> Scenario {
    let mut s = Scenario::builtin("helium-like").unwrap();
    s.horizon.epochs = epochs;
    for n in &mut s.networks {
        n.demand = DemandSpec::none();
    }
    s
}

/// HIP-20's schedule in closed form: `h` epochs at each halving level, the
/// level `k` paying `⌊I / 2^k⌋` per epoch (the ledger's shift rounds down).
fn closed_form(epochs: u64) -> u64 {
    let (i, h) = (HELIUM_PER_EPOCH, HELIUM_HALVING_EPOCHS);
    let full = epochs / h;
    let whole: u64 = (0..full).map(|k| h * (i >> k)).sum();
    whole + (epochs % h) * (i >> full)
}

#[test]
fn helium_like_supply_is_the_closed_form_geometric_sum() {
    // 5M tokens a month of 30 days, 8 decimals: 16,666,666,666,666 units a day.
    assert_eq!(HELIUM_PER_EPOCH, 16_666_666_666_666);
    let s = helium_without_burns(3650);
    let economy = s.economy(None).unwrap();
    let r = run(&s, &economy, 7).unwrap();
    for e in [0u64, 1, 729, 730, 731, 1459, 1460, 3000, 3649] {
        assert_eq!(r.int(e, 0), closed_form(e + 1), "supply after epoch {e}");
        assert_eq!(r.int(e, 2), 0, "nothing burned");
    }
    // Ten years = five halvings: 730·I·(1 + ½ + ¼ + ⅛ + 1/16) with each level
    // rounded down, i.e. 730·(I + ⌊I/2⌋ + ⌊I/4⌋ + ⌊I/8⌋ + ⌊I/16⌋).
    let i = HELIUM_PER_EPOCH;
    let expected = 730 * (i + i / 2 + i / 4 + i / 8 + i / 16);
    assert_eq!(r.supply.total(), Some(expected));
    // About 235.7M tokens in a decade of 730-day halvings, rounding included.
    assert_eq!(expected, 23_572_916_666_664_720);
    // The geometric sum without rounding, 730·I·(31/16), is within 730·(0+1+1+1+1)
    // units of it: the rounding the schedule really does.
    let exact = 730.0 * i as f64 * 31.0 / 16.0;
    assert!((exact - expected as f64).abs() <= 730.0 * 4.0 + 16.0);
}

#[test]
fn net_emissions_mint_the_burn_again_up_to_the_cap() {
    // The flywheel with demand from the start: every epoch burns.
    let mut s = Scenario::builtin("flywheel").unwrap();
    s.horizon.epochs = 400;
    for n in &mut s.networks {
        n.demand.start_usd = 2_000.0;
    }
    let off = {
        let economy = s.economy(None).unwrap();
        run(&s, &economy, 3).unwrap()
    };
    let cap = off.int(10, 2); // about an epoch's burn early on: binds later
    s.emission.as_mut().unwrap().net_emissions_cap_per_epoch = cap;
    let economy = s.economy(None).unwrap();
    let on = run(&s, &economy, 3).unwrap();
    let treasury = s.emission.as_ref().unwrap().treasury_bps;
    let shares: u32 = economy.networks.iter().map(|n| n.share_bps).sum::<u32>() + treasury;
    assert_eq!(shares, 10_000, "every unit of the emission has a taker");
    let (mut capped, mut under) = (0, 0);
    for e in 1..on.epochs {
        let burned_before = on.int(e - 1, 2);
        let reminted = burned_before.min(cap);
        if burned_before > cap {
            capped += 1;
        } else {
            under += 1;
        }
        let minted = on.int(e, 1);
        let schedule = economy.emission.per_epoch(e);
        // Each share of the schedule and of the re-mint is rounded down apart.
        let parts = economy.networks.len() as u64 + 1;
        assert!(minted <= schedule + reminted, "epoch {e}");
        assert!(
            minted + 2 * parts >= schedule + reminted,
            "epoch {e}: {minted}"
        );
    }
    assert!(capped > 0 && under > 0, "{capped} capped, {under} under");
    // Rewards flow more than without net emissions; the supply stays under
    // genesis plus the schedule.
    assert!(on.supply.minted > off.supply.minted);
    let scheduled: u64 = (0..on.epochs).map(|e| economy.emission.per_epoch(e)).sum();
    assert!(on.supply.total().unwrap() <= economy.genesis_supply + scheduled);
}

#[test]
fn find_burn_equals_emission_in_the_flywheel() {
    let s = Scenario::builtin("flywheel").unwrap();
    let economy = s.economy(None).unwrap();
    let runs = simulate(&s, &economy, 8, 1, &|| {}).unwrap();
    let reach = runs.summary("base").burn_equals_emission;
    assert_eq!(reach.reached + reach.never, 8);
    assert!(
        reach.reached > 0,
        "burn overtakes emission in the flywheel: {reach:?}"
    );
    let e = reach.epoch.unwrap();
    assert!(e.min > 0 && e.min <= e.median && e.median <= e.max);
    // no-demand never burns.
    let s = Scenario::builtin("no-demand").unwrap();
    let runs = simulate(&s, &s.economy(None).unwrap(), 4, 1, &|| {}).unwrap();
    let reach = runs.summary("base").burn_equals_emission;
    assert_eq!((reach.reached, reach.never), (0, 4));
    assert!(runs.runs.iter().all(|r| r.supply.burned == 0));
}

#[test]
fn same_seed_same_bytes_on_any_thread_count() {
    let mut s = Scenario::builtin("flywheel").unwrap();
    s.horizon.epochs = 400;
    let economy = s.economy(None).unwrap();
    let csv = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            simulate(&s, &economy, 12, 42, &|| {})
                .unwrap()
                .percentile_csv()
        })
    };
    let one = csv(1);
    assert_eq!(one, csv(1), "same seed, same bytes");
    assert_eq!(one, csv(3), "thread count does not change the bytes");
    let other = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| {
            simulate(&s, &economy, 12, 43, &|| {})
                .unwrap()
                .percentile_csv()
        });
    assert_ne!(one, other, "another seed draws another economy");
    assert_eq!(one.lines().count(), 401);
    assert!(one.starts_with("epoch,supply_p10,supply_p50,supply_p90,minted_p10"));
}

#[test]
fn every_builtin_reads_and_devnet_needs_its_genesis() {
    for name in BUILTINS {
        let s = Scenario::builtin(name).unwrap();
        assert_eq!(&s.name, name);
        // Round trip through TOML.
        assert_eq!(Scenario::from_toml(&s.to_toml()).unwrap(), s);
    }
    let devnet = Scenario::builtin("devnet").unwrap();
    let err = devnet.economy(None).unwrap_err().to_string();
    assert!(
        err.contains("emission") && err.contains("--genesis"),
        "{err}"
    );
    assert!(matches!(
        Scenario::builtin("nope"),
        Err(ScenarioError::UnknownBuiltin(_))
    ));
}

#[test]
fn scenario_errors_name_the_key() {
    let base = plinth_sim::scenario::NO_DEMAND;
    let unknown = base.replace("leave_rate = 0.03", "leave_rate = 0.03\nleave_rat = 1");
    let err = Scenario::from_toml(&unknown).unwrap_err().to_string();
    assert!(err.contains("leave_rat"), "{err}");
    let typed = base.replace("start_usd = 1.0", "start_usd = \"one\"");
    let err = Scenario::from_toml(&typed).unwrap_err().to_string();
    assert!(err.contains("start_usd"), "{err}");
    let range = base.replace("leave_rate = 0.03", "leave_rate = 3.0");
    let err = Scenario::from_toml(&range).unwrap_err().to_string();
    assert!(
        err.contains("networks.sensors.cohorts.operators.leave_rate"),
        "{err}"
    );
    let missing = base.replace("epochs = 3650\n", "");
    let err = Scenario::from_toml(&missing).unwrap_err().to_string();
    assert!(err.contains("epochs"), "{err}");
}

#[test]
fn sweeps_make_a_grid() {
    let s = Scenario::builtin("flywheel").unwrap();
    let sweeps: Vec<Sweep> = vec![
        "price.depth_usd=1000000,5000000".parse().unwrap(),
        "networks.coverage.cohorts.hotspots.device_cost_usd=200,400,800"
            .parse()
            .unwrap(),
    ];
    let points = grid(&s, &sweeps).unwrap();
    assert_eq!(points.len(), 6);
    assert_eq!(
        points[1].label,
        "price.depth_usd=1000000,networks.coverage.cohorts.hotspots.device_cost_usd=400"
    );
    assert_eq!(points[5].scenario.price.depth_usd, 5_000_000.0);
    assert_eq!(
        points[5].scenario.networks[0].cohorts[0].device_cost_usd,
        800.0
    );
    assert_eq!(grid(&s, &[]).unwrap()[0].label, "base");
    let err = grid(&s, &["price.nope=1".parse().unwrap()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("price.nope"), "{err}");
    let err = grid(&s, &["price.sell_fraction=2".parse().unwrap()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("sell_fraction"), "{err}");
    assert!("novalues".parse::<Sweep>().is_err());
}

#[test]
fn a_genesis_drives_issuance() {
    let key = plinth_core::Keypair::from_seed([1; 32]).public();
    let text = GENESIS.replace("ADDR", &plinth_core::Address(key).to_string());
    let genesis = plinth_ledger::Genesis::from_toml(&text).unwrap();
    let mut s = Scenario::builtin("devnet").unwrap();
    s.horizon.epochs = 50;
    let economy = s.economy(Some(&genesis)).unwrap();
    assert_eq!(economy.genesis_supply, 5_000_000);
    assert_eq!(economy.networks.len(), 2);
    let r = run(&s, &economy, 1).unwrap();
    // Every epoch mints both networks' allowances: 1,000 · (60% + 40%).
    assert_eq!(r.int(0, 1), 1_000);
    assert_eq!(r.supply.minted, 50 * 1_000);
    // A scenario naming a network the genesis lacks is refused by name.
    let mut bad = s.clone();
    bad.networks = vec![plinth_sim::scenario::NetworkSpec::default_for("ghost")];
    let err = bad.economy(Some(&genesis)).unwrap_err().to_string();
    assert!(err.contains("networks.ghost"), "{err}");
}

const GENESIS: &str = r#"
chain_id = "sim-test"
genesis_time_ms = 0
block_time_ms = 1000

[token]
name = "Test"
symbol = "TST"
decimals = 6

[fees]
min_fee = 1

[staking]
unbonding_blocks = 10

[[accounts]]
address = "ADDR"
balance = 5000000

[[validators]]
address = "ADDR"
name = "v"

[[networks]]
name = "a"
family = "uptime"
share_bps = 6000

[[networks]]
name = "b"
family = "uptime"
share_bps = 4000
usage_bps = 5000

[emission]
epoch_ms = 30000
initial_per_epoch = 1000
tail_per_epoch = 1000
"#;

fn arb_scenario() -> impl Strategy<Value = (Scenario, u64)> {
    (
        1u64..300,
        0u64..1_000_000_000,
        1u64..5_000_000,
        0u64..200,
        0u32..3_000,
        prop::collection::vec(
            (
                0u32..5_000,
                0u32..10_000,
                0u64..500,
                0.0f64..5_000.0,
                0usize..3,
            ),
            1..4,
        ),
        (0.0f64..1.0, 0.0f64..1.0, 0.01f64..20.0, any::<bool>()),
        any::<u64>(),
        prop_oneof![Just(0u64), 1u64..20_000_000],
    )
        .prop_map(
            |(
                epochs,
                genesis,
                initial,
                halving,
                treasury,
                nets,
                (lock, sell, start, endo),
                seed,
                cap,
            )| {
                let mut s = Scenario::builtin("flywheel").unwrap();
                s.horizon.epochs = epochs;
                s.lock_fraction = lock;
                s.price.sell_fraction = sell;
                s.price.start_usd = start;
                s.price.depth_usd = 10_000.0;
                s.price.model = if endo {
                    plinth_sim::scenario::PriceModel::Endogenous
                } else {
                    plinth_sim::scenario::PriceModel::Exogenous
                };
                let e = s.emission.as_mut().unwrap();
                e.genesis_supply = genesis;
                e.initial_per_epoch = initial;
                e.halving_interval_epochs = halving;
                e.tail_per_epoch = initial / 7;
                e.treasury_bps = treasury;
                e.net_emissions_cap_per_epoch = cap;
                let template = s.networks[0].clone();
                let total_share = 10_000 - treasury;
                s.networks = nets
                    .iter()
                    .enumerate()
                    .map(|(i, &(share, usage, devices, demand, curve))| {
                        let mut n = template.clone();
                        n.name = format!("n{i}");
                        n.share_bps = Some(share.min(total_share / 4));
                        n.usage_bps = Some(usage);
                        n.cohorts[0].initial = devices;
                        n.demand.curve = [Curve::None, Curve::Logistic, Curve::Exponential][curve];
                        n.demand.start_usd = demand;
                        n.demand.cap_usd = demand * 10.0;
                        n.demand.midpoint_epochs = 50.0;
                        n
                    })
                    .collect();
                (s, seed)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Supply = genesis + minted − burned at every epoch, to the unit, and every
    /// token has a holder.
    #[test]
    fn supply_is_conserved((s, seed) in arb_scenario()) {
        let economy = s.economy(None).unwrap();
        let r = run(&s, &economy, seed).unwrap();
        let genesis = economy.genesis_supply;
        let (mut minted, mut burned, mut scheduled) = (0u64, 0u64, 0u64);
        for e in 0..r.epochs {
            minted += r.int(e, 1);
            burned += r.int(e, 2);
            prop_assert_eq!(r.int(e, 0), genesis + minted - burned, "epoch {}", e);
            // Minted never exceeds the schedule plus the re-mint of the epoch
            // before's burn (net emissions), capped.
            let before = if e == 0 { 0 } else { r.int(e - 1, 2) };
            let reminted = before.min(economy.emission.net_emissions_cap_per_epoch);
            prop_assert!(r.int(e, 1) <= economy.emission.per_epoch(e) + reminted);
            // So the supply never passes genesis plus the schedule.
            scheduled += economy.emission.per_epoch(e);
            prop_assert!(r.int(e, 0) <= genesis + scheduled, "epoch {}", e);
        }
        prop_assert_eq!(r.supply.minted, minted);
        prop_assert_eq!(r.supply.burned, burned);
        prop_assert_eq!(r.holdings.total(), r.supply.total());
    }
}
