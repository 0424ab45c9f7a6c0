//! The simulator against a real ledger: a year of daily epochs replayed as
//! blocks (each epoch's reward manifests, signed by the oracle, claimed; the
//! epoch's price posted and its burn for credits) must leave the ledger with
//! the simulator's supply, per-epoch mint and burn records and credits, to the
//! smallest unit — without net emissions and with them (the burn of each epoch
//! minted again in the next up to a cap, by the ledger's allowance).

use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::credits::{self, PricePoint};
use plinth_ledger::emission::Emission;
use plinth_ledger::genesis::{Fees, GenesisAccount, GenesisNetwork, Staking, Token};
use plinth_ledger::governance::schedule;
use plinth_ledger::params::Validator;
use plinth_ledger::rewards::{self, ManifestEntry, ManifestHeader, OracleSet};
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    execute, BlockContext, Call, Genesis, Overlay, SigCheck, Transaction, TxError,
};
use plinth_sim::{run, Scenario};

const DAY: u64 = 86_400_000;
const EPOCHS: u64 = 365;

fn key(seed: u8) -> Keypair {
    Keypair::from_seed([seed; 32])
}

fn genesis(net_emissions_cap_per_epoch: u64) -> Genesis {
    let network = |name: &str, share_bps, usage_bps| GenesisNetwork {
        name: name.into(),
        family: "uptime".into(),
        params: toml::Table::new(),
        share_bps,
        usage_bps,
        require_maker: false,
    };
    Genesis {
        chain_id: "sim-vs-ledger".into(),
        genesis_time_ms: 0,
        block_time_ms: 1000,
        token: Token {
            name: "Sim".into(),
            symbol: "SIM".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: 1 },
        staking: Staking {
            unbonding_blocks: 10,
            max_unbonding_entries: 16,
        },
        accounts: vec![GenesisAccount {
            address: Address(key(1).public()),
            balance: 100_000_000_000_000,
        }],
        validators: vec![Validator {
            address: Address(key(2).public()),
            name: "v".into(),
        }],
        networks: vec![
            network("coverage", 6_000, 3_000),
            network("storage", 3_000, 5_000),
        ],
        emission: Emission {
            epoch_ms: DAY,
            initial_per_epoch: 500_000_000_000,
            halving_interval_epochs: 180,
            tail_per_epoch: 20_000_000_000,
            net_emissions_cap_per_epoch,
            ..Emission::default()
        },
        oracles: OracleSet {
            threshold: 1,
            members: vec![Address(key(3).public())],
        },
        validator_set: None,
        credits: None,
        storage: None,
        compute: None,
        governance: None,
        makers: Vec::new(),
        modules: Vec::new(),
    }
}

/// The flywheel's economics on this genesis's two networks.
fn scenario() -> Scenario {
    let mut s = Scenario::builtin("flywheel").unwrap();
    s.emission = None;
    s.horizon.epochs = EPOCHS;
    s.horizon.epoch_ms = None;
    for n in &mut s.networks {
        n.share_bps = None;
        n.usage_bps = None;
        // Demand from the start, so that every epoch burns.
        n.demand.start_usd = 500.0;
    }
    assert_eq!(
        s.networks
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["coverage", "storage"]
    );
    s
}

#[test]
fn a_year_on_the_ledger_matches_the_simulator_to_the_unit() {
    a_year_on_the_ledger(0);
}

#[test]
fn a_year_with_net_emissions_matches_the_simulator_to_the_unit() {
    // The median epoch's burn without net emissions: the cap binds on some
    // epochs and not on others.
    let (g, s) = (genesis(0), scenario());
    let plain = run(&s, &s.economy(Some(&g)).unwrap(), 11).unwrap();
    let mut burns: Vec<u64> = (0..EPOCHS).map(|e| plain.int(e, 2)).collect();
    burns.sort_unstable();
    a_year_on_the_ledger(burns[burns.len() / 2]);
}

fn a_year_on_the_ledger(cap: u64) {
    let genesis = genesis(cap);
    let params = genesis.params();
    let s = scenario();
    let economy = s.economy(Some(&genesis)).unwrap();
    let sim = run(&s, &economy, 11).unwrap();
    assert!(sim.supply.burned > 0, "the year burns");
    let (mut capped, mut under_cap, mut refused) = (0, 0, 0);

    let mut store = MemStore::new();
    let exec = genesis.execute(&store).unwrap();
    store.commit(&exec);
    let chain = genesis.chain();
    let (user, oracle, validator) = (key(1), key(3), Address(key(2).public()));
    let me = Address(user.public());
    let mut nonce = 0;
    let mut tx = |call: Call| {
        let stx = Transaction {
            chain_id: genesis.chain_id.clone(),
            signer: me,
            nonce,
            fee: 1,
            call,
        }
        .sign(&user);
        nonce += 1;
        stx
    };
    let device = DeviceId(key(9).public());
    let mut credits_total = 0u64;
    // Block e opens epoch e: the manifests of epoch e − 1, then epoch e's price
    // and burn.
    for e in 0..=EPOCHS {
        let mut txs = Vec::new();
        if e > 0 {
            let prev = e - 1;
            let mut minted = 0;
            let state = Overlay::new(&store);
            let reminted = schedule::reminted_at(&state, &params, prev).unwrap();
            if cap > 0 && prev > 0 {
                let burned_before = sim.int(prev - 1, 2);
                assert_eq!(reminted, burned_before.min(cap), "epoch {prev}: reminted");
                if burned_before > cap {
                    capped += 1;
                } else if burned_before > 0 {
                    under_cap += 1;
                }
            } else {
                assert_eq!(reminted, 0);
            }
            for n in &genesis.networks {
                // The ledger's allowance: the schedule plus the share of the re-mint.
                let total = schedule::allowance_at(&state, &params, prev, n.share_bps).unwrap();
                assert_eq!(
                    total,
                    genesis.emission.network_allowance(prev, n.share_bps)
                        + reminted * u64::from(n.share_bps) / 10_000
                );
                minted += total;
                let entries = [ManifestEntry {
                    device,
                    owner: me,
                    amount: total,
                }];
                let header = ManifestHeader {
                    chain,
                    network: n.name.clone(),
                    epoch: prev,
                    root: rewards::manifest_root(&entries),
                    total,
                    devices: 1,
                    inputs: Hash::of(b"simulated"),
                    registry_height: 0,
                    awards: Hash::ZERO,
                    award_count: 0,
                };
                txs.push(tx(Call::SubmitManifest {
                    signatures: vec![header.sign(&oracle)],
                    header,
                }));
                txs.push(tx(Call::Claim {
                    network: n.name.clone(),
                    epoch: prev,
                    index: 0,
                    entry: entries[0],
                    proof: rewards::manifest_proof(&entries, 0).unwrap(),
                }));
            }
            // Both networks always have operators, so each mints its whole allowance.
            assert_eq!(minted, sim.int(prev, 1), "epoch {prev}: minted");
            // One unit past the allowance is refused (tried on a copy of the block).
            if reminted > 0 && refused < 3 {
                let n = &genesis.networks[0];
                let mut header = match &txs[0].tx.call {
                    Call::SubmitManifest { header, .. } => header.clone(),
                    other => panic!("{other:?}"),
                };
                header.total += 1;
                let over = Transaction {
                    chain_id: genesis.chain_id.clone(),
                    signer: me,
                    nonce: nonce_now(&store, &me),
                    fee: 1,
                    call: Call::SubmitManifest {
                        signatures: vec![header.sign(&oracle)],
                        header: header.clone(),
                    },
                }
                .sign(&user);
                let ctx = BlockContext {
                    height: e + 1,
                    timestamp_ms: e * DAY + 1_000,
                    proposer: validator,
                };
                let exec = execute(&store, &ctx, &[over], SigCheck::Verify).unwrap();
                let allowed = header.total - 1;
                assert_eq!(
                    exec.receipts[0].error,
                    Some(TxError::OverEmission {
                        total: header.total,
                        allowed
                    }),
                    "network {}",
                    n.name
                );
                refused += 1;
            }
        }
        let timestamp_ms = e * DAY + 1_000;
        if e < EPOCHS {
            let price = PricePoint {
                chain,
                micro_usd_per_token: plinth_sim::model::micro_usd(sim.float(e, 0)),
                timestamp_ms,
            };
            txs.push(tx(Call::PostPrice {
                signatures: vec![price.sign(&oracle)],
                price,
            }));
            let burned = sim.int(e, 2);
            if burned > 0 {
                txs.push(tx(Call::BurnForCredits {
                    amount: burned,
                    to: me,
                }));
            }
            credits_total += sim.int(e, 3);
        }
        let ctx = BlockContext {
            height: e + 1,
            timestamp_ms,
            proposer: validator,
        };
        let exec = execute(&store, &ctx, &txs, SigCheck::Verify).unwrap();
        for r in &exec.receipts {
            assert_eq!(r.error, None, "block {e}");
        }
        store.commit(&exec);
    }
    if cap > 0 {
        assert!(
            capped > 0 && under_cap > 0,
            "{capped} capped, {under_cap} under"
        );
        assert_eq!(refused, 3);
    }
    let state = Overlay::new(&store);
    let supply = plinth_ledger::emission::supply(&state).unwrap();
    assert_eq!(supply.minted, sim.supply.minted);
    assert_eq!(supply.burned, sim.supply.burned);
    assert_eq!(supply.total(), sim.supply.total());
    assert_eq!(supply.unclaimed, 0);
    let (mut minted, mut burned) = (0u64, 0u64);
    for e in 0..EPOCHS {
        let rec = credits::epoch_supply(&state, e).unwrap();
        assert_eq!(
            (rec.minted, rec.burned),
            (sim.int(e, 1), sim.int(e, 2)),
            "epoch {e}"
        );
        minted += rec.minted;
        burned += rec.burned;
        assert_eq!(
            sim.int(e, 0),
            genesis.supply() + minted - burned,
            "epoch {e}"
        );
    }
    // The credits the ledger gave for the burns are the simulator's, up to
    // rounding: the simulator burns per network (each burn's credits rounded
    // down), this chain burns the epoch's sum at once.
    let own = credits::load(&state, &me).unwrap().own;
    assert!(own >= credits_total, "{own} < {credits_total}");
    assert!(own - credits_total < 2 * EPOCHS, "{own} vs {credits_total}");
}

/// The next nonce of `who` as the committed state has it.
fn nonce_now(store: &MemStore, who: &plinth_core::Address) -> u64 {
    plinth_ledger::accounts::load(&Overlay::new(store), who)
        .unwrap()
        .map_or(0, |a| a.nonce)
}
