//! `plinth bench compute …`: the compute network's numbers (issue 16).
//!
//! - `verify`: tasks verified per second by re-execution, the oracle's work: the
//!   demo frame's tiles run through [`plinth_compute::runner::execute`] with the
//!   module compiled once ([`ModuleCache`]), each result hash compared with the
//!   provider's, on one thread (the oracle's `oracle-compute` thread is one);
//!   then what spot checks at the default rate cost per job, in tasks, fuel and
//!   time, against running every task twice (redundancy 2).
//! - `leases`: the cost of producing blocks with 100,000 open leases (built by
//!   real `OfferCompute`, `PostOrder`, `PlaceBid` and `AcceptBid` transactions
//!   through [`plinth_ledger::execute`]) against 1,000: empty blocks, blocks that
//!   touch one lease (`DepositLease`, which settles it) and blocks that touch many.
//! - `cheating`: Monte Carlo of spot checks against the devnet's cheaters
//!   ([`Behaviour`]), with the ledger's own draw ([`spot_check_tasks`]) and the
//!   agent's own skip rule, next to the exact hypergeometric and the issue's
//!   formula, and the expected value per claim of cheating against honesty.
//!
//! ```text
//!  verify:   provider run (fuel, result hash) ─▶ rounds × { cache.get ─▶ execute ─▶ compare }
//!  leases:   genesis ─▶ devices, offers, price, credits ─▶ orders ─▶ bids ─▶ accepts
//!            ─▶ per round: empty | one DepositLease | one Transfer | `touch` DepositLeases
//!  cheating: per claim: job, tasks, seed ─▶ faked tasks (behaviour) ─▶ draw (p) ─▶ caught?
//! ```

use crate::peak_rss_mib;
use anyhow::{anyhow, bail, Context, Result};
use plinth_compute::runner::{execute, ModuleCache, THREAD_STACK_BYTES};
use plinth_compute::Behaviour;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::compute::{
    self, claim_id, order_id, spot_check_count, spot_check_tasks, task_commitment,
    task_result_hash, ComputeAttrs, ComputeParams, ComputeRequirements, LeaseStatus,
};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::genesis::{Fees, GenesisAccount, GenesisNetwork, Staking, Token};
use plinth_ledger::params::Validator;
use plinth_ledger::rewards::OracleSet;
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    execute as execute_block, BlockContext, Call, Genesis, Overlay, SigCheck, SignedTx, Transaction,
};
use plinth_render::{Scene, DEMO_SCENE, MODULE};
use rand::seq::index::sample;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// `plinth bench compute`: one subcommand per measurement.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ComputeBench {
    /// Tasks verified per second by re-execution (the oracle's spot checks), and
    /// the verification overhead at the default rate against redundancy 2.
    Verify(VerifyBench),
    /// The cost of a block with 100,000 open leases against 1,000: empty, one
    /// lease touched, many touched.
    Leases(LeasesBench),
    /// Monte Carlo of spot checks against the devnet's cheaters: detection and
    /// the expected value of cheating per claim.
    Cheating(CheatingBench),
}

/// Runs one compute benchmark and prints its result.
pub fn run(b: ComputeBench) -> Result<()> {
    match b {
        ComputeBench::Verify(b) => verify(b),
        ComputeBench::Leases(b) => leases(b),
        ComputeBench::Cheating(b) => cheating(b),
    }
}

/// The job's spot-check rate when it names none (10%).
fn default_bps() -> u32 {
    ComputeParams::default().default_spot_check_bps
}

fn pct(bps: u32) -> String {
    format!("{}%", f64::from(bps) / 100.0)
}

// ---------------------------------------------------------------------------
// verify: re-execution throughput and overhead

/// `plinth bench compute verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyBench {
    /// Verification passes over the frame, each re-executing every tile once.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// A scene file (default: the demo scene, `crates/render/scene/demo.toml`).
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What re-executing a frame's tiles measured.
#[derive(Debug, Clone)]
struct Verification {
    /// Compiling the module into the cache (once).
    compile_secs: f64,
    /// Fuel each task burnt (the provider's run).
    fuel: Vec<u64>,
    /// Seconds each task's verification took, mean over the rounds (the cache
    /// lookup, the run, the comparison).
    secs: Vec<f64>,
    /// Seconds of every verification, all rounds.
    total_secs: f64,
    /// Tasks re-executed and found equal.
    verified: usize,
}

/// Runs `scene`'s tiles as a provider (the result hashes it reveals, the fuel),
/// then `rounds` times as the oracle does: through the module cache, with
/// [`execute`], each result compared.
fn measure_verification(scene: &Scene, rounds: usize) -> Result<Verification> {
    let input = scene
        .encode()
        .map_err(|e| anyhow!("the scene's input: {e}"))?;
    let fuel_per_task = scene.fuel_per_task();
    let n = scene.tasks() as usize;
    let hash = plinth_render::module_hash();
    let cache = ModuleCache::new(8);
    let t = Instant::now();
    let module = cache.get(&hash, || Ok(MODULE.to_vec()))?;
    let compile_secs = t.elapsed().as_secs_f64();
    let mut revealed = Vec::with_capacity(n);
    let mut fuel = Vec::with_capacity(n);
    for task in 0..n as u32 {
        let run = module.run_task(&input, task, fuel_per_task);
        let bytes = plinth_wasm::outcome_bytes(&run).context("a tile without outcome")?;
        let out = run.map_err(|e| anyhow!("tile {task} failed: {e}"))?;
        fuel.push(out.fuel_used);
        revealed.push(task_result_hash(&bytes));
    }
    let mut secs = vec![0.0; n];
    let mut verified = 0;
    let all = Instant::now();
    for _ in 0..rounds {
        for task in 0..n {
            let t = Instant::now();
            let m = cache.get(&hash, || bail!("the module is compiled once"))?;
            let ran = execute(&m, &input, task as u32, fuel_per_task)?;
            let ok = ran.result == revealed[task];
            secs[task] += t.elapsed().as_secs_f64();
            if !ok {
                bail!("tile {task} re-executed to a different result");
            }
            verified += 1;
        }
    }
    let total_secs = all.elapsed().as_secs_f64();
    for s in &mut secs {
        *s /= rounds.max(1) as f64;
    }
    Ok(Verification {
        compile_secs,
        fuel,
        secs,
        total_secs,
        verified,
    })
}

/// What spot checks cost for one job whose tasks go in claims of `m`.
#[derive(Debug, Clone, serde::Serialize)]
struct Overhead {
    tasks: usize,
    claim_size: usize,
    claims: usize,
    /// Tasks re-executed: Σ over claims of `spot_check_count(len, bps)`.
    rechecked: usize,
    /// `rechecked / tasks`.
    task_overhead: f64,
    /// Expected fuel re-executed over the fuel of the job (each task of a claim
    /// is drawn with probability `s / len`), when per-task fuel is known.
    fuel_overhead: Option<f64>,
    /// Likewise in measured time.
    time_overhead: Option<f64>,
    /// Expected seconds the oracle spends re-executing, per job.
    oracle_secs: Option<f64>,
    /// The fuel re-executed over the job's, for real draws ([`spot_check_tasks`]
    /// from random seeds): the 5th and 95th percentiles.
    fuel_drawn_5_95: Option<(f64, f64)>,
}

/// The fuel share a spot check at `bps` re-executes for `draws` random seeds
/// (each claim of `m` drawn with the ledger's [`spot_check_tasks`]): the 5th and
/// 95th percentiles.
fn drawn_fuel(fuel: &[u64], m: usize, bps: u32, draws: usize, seed: u64) -> (f64, f64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let all: f64 = fuel.iter().map(|&x| x as f64).sum();
    let tasks: Vec<u32> = (0..fuel.len() as u32).collect();
    let mut shares: Vec<f64> = (0..draws)
        .map(|_| {
            let job = Hash(rng.gen());
            tasks
                .chunks(m)
                .enumerate()
                .map(|(i, claim)| {
                    let block = Hash(rng.gen());
                    spot_check_tasks(&block, &claim_id(&job, i as u32), claim, bps)
                        .iter()
                        .map(|&t| fuel[t as usize] as f64)
                        .sum::<f64>()
                })
                .sum::<f64>()
                / all
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let at = |q: f64| shares[((shares.len() - 1) as f64 * q).round() as usize];
    (at(0.05), at(0.95))
}

/// The overhead of spot checks at `bps` for `tasks` tasks in claims of `m`
/// (the lowest open tasks in order, as the agents claim), with per-task fuel and
/// seconds when given.
fn overhead(tasks: usize, m: usize, bps: u32, per_task: Option<(&[u64], &[f64])>) -> Overhead {
    let (mut claims, mut rechecked) = (0, 0);
    let (mut fuel, mut secs) = (0.0, 0.0);
    let mut start = 0;
    while start < tasks {
        let len = m.min(tasks - start);
        let s = spot_check_count(len, bps);
        claims += 1;
        rechecked += s;
        if let Some((f, t)) = per_task {
            let w = s as f64 / len as f64;
            fuel += w * f[start..start + len].iter().map(|&x| x as f64).sum::<f64>();
            secs += w * t[start..start + len].iter().sum::<f64>();
        }
        start += len;
    }
    let (fuel_overhead, time_overhead, oracle_secs) = match per_task {
        Some((f, t)) => {
            let all_fuel: f64 = f.iter().map(|&x| x as f64).sum();
            let all_secs: f64 = t.iter().sum();
            (Some(fuel / all_fuel), Some(secs / all_secs), Some(secs))
        }
        None => (None, None, None),
    };
    Overhead {
        tasks,
        claim_size: m,
        claims,
        rechecked,
        task_overhead: rechecked as f64 / tasks as f64,
        fuel_overhead,
        time_overhead,
        oracle_secs,
        fuel_drawn_5_95: None,
    }
}

/// The claim sizes compared: the devnet agents' 4, 16, and the most a claim holds.
const CLAIM_SIZES: [usize; 3] = [4, 16, compute::MAX_CLAIM_TASKS as usize];

fn verify(b: VerifyBench) -> Result<()> {
    if b.rounds == 0 {
        bail!("need at least one round");
    }
    let text = match &b.scene {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => DEMO_SCENE.to_string(),
    };
    let scene = Scene::from_toml(&text).map_err(|e| anyhow!("the scene: {e}"))?;
    // The interpreter needs the stack the oracle's and the agents' threads get.
    let (s, rounds) = (scene.clone(), b.rounds);
    let v = std::thread::Builder::new()
        .name("bench-verify".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || measure_verification(&s, rounds))?
        .join()
        .map_err(|_| anyhow!("the verification thread panicked"))??;
    let n = v.fuel.len();
    let bps = default_bps();
    let frame_secs: f64 = v.secs.iter().sum();
    let frame_fuel: u64 = v.fuel.iter().sum();
    let per_task = Some((v.fuel.as_slice(), v.secs.as_slice()));
    let rows: Vec<Overhead> = CLAIM_SIZES
        .iter()
        .map(|&m| Overhead {
            fuel_drawn_5_95: Some(drawn_fuel(&v.fuel, m, bps, 10_000, m as u64)),
            ..overhead(n, m, bps, per_task)
        })
        .collect();
    let large = compute::ComputeParams::default().max_tasks as usize;
    let large_rows: Vec<Overhead> = CLAIM_SIZES
        .iter()
        .map(|&m| overhead(large, m, bps, None))
        .collect();
    let tasks_per_sec = v.verified as f64 / v.total_secs;
    let (min_fuel, max_fuel) = (
        v.fuel.iter().min().copied().unwrap_or(0),
        v.fuel.iter().max().copied().unwrap_or(0),
    );
    let (min_ms, max_ms) = v
        .secs
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    if b.json {
        let result = serde_json::json!({
            "tasks": n,
            "rounds": b.rounds,
            "fuel_per_task_limit": scene.fuel_per_task(),
            "compile_ms": v.compile_secs * 1e3,
            "verified": v.verified,
            "seconds": v.total_secs,
            "tasks_per_second": tasks_per_sec,
            "us_per_task": 1e6 / tasks_per_sec,
            "frame_seconds": frame_secs,
            "frame_fuel": frame_fuel,
            "task_fuel": [min_fuel, max_fuel],
            "task_ms": [min_ms * 1e3, max_ms * 1e3],
            "spot_check_bps": bps,
            "overhead": rows,
            "overhead_max_tasks": large_rows,
        });
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "plinth bench compute verify: {n} tiles, {} rounds, one thread (wasmi via plinth-wasm)",
        b.rounds
    );
    println!(
        "  module compiled once (cache)  {:>10.2} ms",
        v.compile_secs * 1e3
    );
    println!(
        "  tasks verified                {:>10.1} /s  ({} re-executed and compared in {:.2} s)",
        tasks_per_sec, v.verified, v.total_secs
    );
    println!(
        "  per task                      {:>10.0} µs  (tiles {:.1}–{:.1} ms, {}–{} fuel)",
        1e6 / tasks_per_sec,
        min_ms * 1e3,
        max_ms * 1e3,
        min_fuel,
        max_fuel
    );
    println!(
        "  the frame                     {:>10.3} s   ({frame_fuel} fuel)",
        frame_secs
    );
    println!();
    println!(
        "verification overhead at p = {} (the default), {n} tasks, against redundancy 2:",
        pct(bps)
    );
    println!(
        "  {:<22} {:>6} {:>10} {:>10} {:>10} {:>10} {:>12} {:>18}",
        "", "claims", "re-run", "tasks", "fuel", "time", "oracle/job", "fuel, 5–95% draws"
    );
    for r in &rows {
        let (lo, hi) = r.fuel_drawn_5_95.unwrap_or_default();
        println!(
            "  {:<22} {:>6} {:>10} {:>9.1}% {:>9.1}% {:>9.1}% {:>9.0} ms {:>8.1}–{:.1}%",
            format!("claims of {}", r.claim_size),
            r.claims,
            r.rechecked,
            r.task_overhead * 100.0,
            r.fuel_overhead.unwrap_or(0.0) * 100.0,
            r.time_overhead.unwrap_or(0.0) * 100.0,
            r.oracle_secs.unwrap_or(0.0) * 1e3,
            lo * 100.0,
            hi * 100.0,
        );
    }
    println!(
        "  {:<22} {:>6} {:>10} {:>9.1}% {:>9.1}% {:>9.1}% {:>9.0} ms  (+100% escrow)",
        "redundancy 2",
        "-",
        n,
        100.0,
        100.0,
        100.0,
        frame_secs * 1e3
    );
    println!("  the same rate on a job of {large} tasks (the most a job has):");
    for r in &large_rows {
        println!(
            "  {:<22} {:>6} {:>10} {:>9.1}%",
            format!("claims of {}", r.claim_size),
            r.claims,
            r.rechecked,
            r.task_overhead * 100.0
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// leases: settlement cost per block with many open leases

/// `plinth bench compute leases`.
#[derive(Debug, Clone, clap::Args)]
pub struct LeasesBench {
    /// Open leases in the large state.
    #[arg(long, default_value_t = 100_000)]
    pub leases: usize,
    /// Open leases in the small state it is compared with.
    #[arg(long, default_value_t = 1_000)]
    pub baseline: usize,
    /// Measured blocks of each kind per state.
    #[arg(long, default_value_t = 200)]
    pub blocks: usize,
    /// Leases a "many touched" block deposits to.
    #[arg(long, default_value_t = 100)]
    pub touch: usize,
    /// Most transactions per block while building the state.
    #[arg(long, default_value_t = 10_000)]
    pub block_txs: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const CHAIN: &str = "bench-compute";
const NETWORK: &str = "compute";
const FEE: u64 = 1_000;
const BLOCK_MS: u64 = 1_000;
/// Smallest units per token (6 decimals).
const UNIT: u64 = 1_000_000;
/// Leases per provider device and per consumer.
const PER_PARTY: usize = 100;
/// The token's price the oracle posts: $1 (a token buys 100,000 credits).
const MICRO_USD_PER_TOKEN: u64 = 1_000_000;
/// Credits each order escrows: 10,000 blocks at 1 credit per block.
const ORDER_DEPOSIT: u64 = 10_000;

fn tag_key(tag: u8, i: usize) -> Keypair {
    crate::key(tag, i)
}

/// A chain in memory, driven block by block through the ledger.
struct Chain {
    store: MemStore,
    height: u64,
    validator: Address,
}

impl Chain {
    /// Executes and commits one block; every transaction must succeed. Returns
    /// the seconds it took (execution, end of block, state root, commit).
    fn block(&mut self, txs: &[SignedTx]) -> Result<f64> {
        self.height += 1;
        let ctx = self.ctx();
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

    fn ctx(&self) -> BlockContext {
        BlockContext {
            height: self.height,
            timestamp_ms: self.height * BLOCK_MS,
            proposer: self.validator,
        }
    }

    /// Runs `txs` in blocks of `per_block`; returns the seconds.
    fn blocks(&mut self, txs: &[SignedTx], per_block: usize) -> Result<f64> {
        let mut secs = 0.0;
        for chunk in txs.chunks(per_block) {
            secs += self.block(chunk)?;
        }
        Ok(secs)
    }
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

/// Signs `calls` (signer, nonce, call) on both cores, keeping their order.
fn sign_all(calls: Vec<(&Keypair, u64, Call)>) -> Vec<SignedTx> {
    calls
        .into_par_iter()
        .map(|(k, n, c)| signed(k, n, c))
        .collect()
}

/// A state with `n` open leases, each made by real transactions, and who holds them.
struct LeaseState {
    chain: Chain,
    consumers: Vec<Keypair>,
    /// The next nonce of each consumer.
    nonces: Vec<u64>,
    /// Each lease: (its id, its consumer's index).
    leases: Vec<(Hash, usize)>,
    funder: Keypair,
    funder_nonce: u64,
    build_secs: f64,
    accept_secs: f64,
}

/// Builds a chain with `n` active leases: `n / 100` provider devices registered
/// and offering, `n / 100` consumers with credits, each posting 100 orders, every
/// order bid on by one device and the bid accepted.
fn build_leases(n: usize, block_txs: usize) -> Result<LeaseState> {
    let parties = n.div_ceil(PER_PARTY).max(1);
    let owners: Vec<Keypair> = (0..parties)
        .into_par_iter()
        .map(|i| tag_key(0xC1, i))
        .collect();
    let devices: Vec<Keypair> = (0..parties)
        .into_par_iter()
        .map(|i| tag_key(0xC2, i))
        .collect();
    let consumers: Vec<Keypair> = (0..parties)
        .into_par_iter()
        .map(|i| tag_key(0xC3, i))
        .collect();
    let oracle = tag_key(0xC4, 0);
    let validator = tag_key(0xC5, 0);
    let funder = tag_key(0xC6, 0);
    let mut accounts: Vec<GenesisAccount> = owners
        .iter()
        .chain(&consumers)
        .chain([&oracle, &funder])
        .map(|k| GenesisAccount {
            address: Address(k.public()),
            balance: 1_000 * UNIT,
        })
        .collect();
    accounts.sort_by_key(|a| a.address);
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 0,
        block_time_ms: BLOCK_MS,
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
            family: compute::FAMILY.into(),
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
        compute: Some(ComputeParams::default()),
        governance: None,
        makers: Vec::new(),
        modules: Vec::new(),
    };
    let chain_id = genesis.chain();
    let mut store = MemStore::new();
    let exec = genesis.execute(&store).context("bench genesis")?;
    store.commit(&exec);
    let mut chain = Chain {
        store,
        height: 0,
        validator: Address(validator.public()),
    };
    let t = Instant::now();

    // Devices, the price and the consumers' credits.
    let cell = u64::from(h3o::LatLng::new(52.52, 13.405)?.to_cell(h3o::Resolution::Nine));
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::new();
    for (owner, device) in owners.iter().zip(&devices) {
        let id = DeviceId(device.public());
        let msg = plinth_ledger::devices::registration_message(
            &chain_id,
            &Address(owner.public()),
            &id,
            NETWORK,
            cell,
        );
        calls.push((
            owner,
            0,
            Call::RegisterDevice {
                device: id,
                network: NETWORK.into(),
                location: cell,
                device_signature: device.sign(&msg),
            },
        ));
    }
    let price = PricePoint {
        chain: chain_id,
        micro_usd_per_token: MICRO_USD_PER_TOKEN,
        timestamp_ms: BLOCK_MS,
    };
    calls.push((
        &oracle,
        0,
        Call::PostPrice {
            signatures: vec![price.sign(&oracle)],
            price,
        },
    ));
    chain.blocks(&sign_all(calls), block_txs)?;
    let region = u64::from(h3o::LatLng::new(52.52, 13.405)?.to_cell(h3o::Resolution::Five));
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::new();
    for (owner, device) in owners.iter().zip(&devices) {
        calls.push((
            owner,
            1,
            Call::OfferCompute {
                device: DeviceId(device.public()),
                endpoint: "http://93.184.216.34:9000".into(),
                attrs: ComputeAttrs {
                    cores: 8,
                    memory_mib: 16_384,
                    accelerator: None,
                    region,
                },
                attestation: None,
                price_per_block: 1,
                price_per_task: 1,
                collateral_per_lease: UNIT,
                collateral_per_task: UNIT,
                deposit: (PER_PARTY as u64 + 10) * UNIT,
            },
        ));
    }
    // 100 orders' deposits and as much again for the measured deposits: 20 tokens.
    for c in &consumers {
        calls.push((
            c,
            0,
            Call::BurnForCredits {
                amount: 20 * UNIT,
                to: Address(c.public()),
            },
        ));
    }
    chain.blocks(&sign_all(calls), block_txs)?;

    // Orders: consumer i posts leases i·100 … i·100 + 99 (nonces from 1).
    let mut nonces = vec![1u64; parties];
    let mut leases = Vec::with_capacity(n);
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(n);
    for l in 0..n {
        let c = l / PER_PARTY;
        let nonce = nonces[c];
        nonces[c] += 1;
        leases.push((order_id(&Address(consumers[c].public()), nonce), c));
        calls.push((
            &consumers[c],
            nonce,
            Call::PostOrder {
                network: NETWORK.into(),
                requirements: ComputeRequirements {
                    min_cores: 1,
                    ..ComputeRequirements::default()
                },
                max_price_per_block: 1,
                duration_blocks: 1_000_000,
                deposit: ORDER_DEPOSIT,
                bid_blocks: 1_000,
            },
        ));
    }
    chain.blocks(&sign_all(calls), block_txs)?;
    // Bids: lease l is bid on by device l mod parties (its owner's nonces from 2).
    let mut owner_nonce = vec![2u64; parties];
    let mut bidder = Vec::with_capacity(n);
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(n);
    for (l, (order, _)) in leases.iter().enumerate() {
        let d = l % parties;
        bidder.push(d);
        calls.push((
            &owners[d],
            owner_nonce[d],
            Call::PlaceBid {
                order: *order,
                device: DeviceId(devices[d].public()),
                price_per_block: 1,
                deposit: 1_000,
                expires_in: 1_000,
            },
        ));
        owner_nonce[d] += 1;
    }
    chain.blocks(&sign_all(calls), block_txs)?;
    // Accepts: each consumer's nonces after its orders'.
    let mut calls: Vec<(&Keypair, u64, Call)> = Vec::with_capacity(n);
    for ((order, c), d) in leases.iter().zip(&bidder) {
        calls.push((
            &consumers[*c],
            nonces[*c],
            Call::AcceptBid {
                order: *order,
                device: DeviceId(devices[*d].public()),
            },
        ));
        nonces[*c] += 1;
    }
    let accept_secs = chain.blocks(&sign_all(calls), block_txs)?;
    let build_secs = t.elapsed().as_secs_f64();

    // Every one of them is a lease, active.
    let state = Overlay::new(&chain.store);
    for (id, _) in &leases {
        let l = compute::lease(&state, id)?.with_context(|| format!("lease {id} is missing"))?;
        if l.status != LeaseStatus::Active {
            bail!("lease {id} is {:?}", l.status);
        }
    }
    Ok(LeaseState {
        chain,
        consumers,
        nonces,
        leases,
        funder,
        funder_nonce: 0,
        build_secs,
        accept_secs,
    })
}

/// Per-block timings of one state (seconds, one entry per block).
#[derive(Debug, Default)]
struct BlockTimes {
    empty: Vec<f64>,
    one_lease: Vec<f64>,
    one_transfer: Vec<f64>,
    many_leases: Vec<f64>,
    settle: Vec<f64>,
    /// Seconds to settle every lease once (what an eager ledger pays per block).
    eager: f64,
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

impl LeaseState {
    /// A `DepositLease` of one credit to lease `l`, signed by its consumer.
    fn deposit(&mut self, l: usize) -> SignedTx {
        let (lease, c) = self.leases[l];
        let nonce = self.nonces[c];
        self.nonces[c] += 1;
        signed(
            &self.consumers[c],
            nonce,
            Call::DepositLease { lease, amount: 1 },
        )
    }

    /// `rounds` times, in an order shuffled each round, and each after an
    /// untimed empty block (so that no timed block follows a large one): an
    /// empty block, a block with one `DepositLease`, one with a `Transfer` (one
    /// transaction that touches no lease), one with `touch` deposits to distinct
    /// leases. Then settles leases directly ([`compute::settle_lease`] in an
    /// overlay) `rounds × 10` times, and every lease at once, as a ledger that
    /// paid each lease every block would have to.
    fn measure(&mut self, rounds: usize, touch: usize, seed: u64) -> Result<BlockTimes> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut t = BlockTimes::default();
        let n = self.leases.len();
        let to = Address(tag_key(0xC7, 0).public());
        for _ in 0..rounds {
            let mut kinds = [0, 1, 2, 3];
            kinds.shuffle(&mut rng);
            for kind in kinds {
                let txs: Vec<SignedTx> = match kind {
                    0 => Vec::new(),
                    1 => vec![self.deposit(rng.gen_range(0..n))],
                    2 => {
                        self.funder_nonce += 1;
                        vec![signed(
                            &self.funder,
                            self.funder_nonce - 1,
                            Call::Transfer { to, amount: 1 },
                        )]
                    }
                    _ => sample(&mut rng, n, touch.min(n))
                        .into_iter()
                        .map(|l| self.deposit(l))
                        .collect(),
                };
                self.chain.block(&[])?;
                let secs = self.chain.block(&txs)?;
                match kind {
                    0 => t.empty.push(secs),
                    1 => t.one_lease.push(secs),
                    2 => t.one_transfer.push(secs),
                    _ => t.many_leases.push(secs),
                }
            }
        }
        // The settlement alone: read a lease, settle it at the next block.
        let params = plinth_ledger::execute::params(&self.chain.store)?;
        let ctx = BlockContext {
            height: self.chain.height + 1,
            ..self.chain.ctx()
        };
        for _ in 0..rounds * 10 {
            let (id, _) = self.leases[rng.gen_range(0..n)];
            let mut state = Overlay::new(&self.chain.store);
            let start = Instant::now();
            let mut lease = compute::lease(&state, &id)?.context("a lease")?;
            let closed = compute::settle_lease(&mut state, &params, &ctx, &mut lease)
                .map_err(|e| anyhow!("settling {id}: {e:?}"))?;
            t.settle.push(start.elapsed().as_secs_f64());
            if closed || lease.settled_height != ctx.height {
                bail!("lease {id} did not settle to {}", ctx.height);
            }
        }
        // Every lease settled and written back in one block's overlay (no state
        // root): the least an eager ledger would pay per block.
        let mut state = Overlay::new(&self.chain.store);
        let start = Instant::now();
        for (id, _) in &self.leases {
            let mut lease = compute::lease(&state, id)?.context("a lease")?;
            compute::settle_lease(&mut state, &params, &ctx, &mut lease)
                .map_err(|e| anyhow!("settling {id}: {e:?}"))?;
            state.put_t(plinth_ledger::keys::lease(id), &lease);
        }
        t.eager = start.elapsed().as_secs_f64();
        Ok(t)
    }
}

fn leases(b: LeasesBench) -> Result<()> {
    if b.leases == 0 || b.baseline == 0 || b.blocks == 0 || b.block_txs == 0 {
        bail!("need leases, a baseline, blocks and transactions per block");
    }
    let mut results = Vec::new();
    for (i, &n) in [b.baseline, b.leases].iter().enumerate() {
        eprintln!("building {n} leases (offers, orders, bids, accepts through the ledger)…");
        let mut s = build_leases(n, b.block_txs)?;
        eprintln!("measuring {} blocks of each kind…", b.blocks);
        let t = s.measure(b.blocks, b.touch, 7 + i as u64)?;
        results.push((n, s.build_secs, s.accept_secs, s.chain.height, t));
    }
    let us = |x: f64| x * 1e6;
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|(n, build, accept, height, t)| {
            let per_lease = (median(&t.many_leases) - median(&t.empty)) / b.touch as f64;
            serde_json::json!({
                "leases": n,
                "build_seconds": build,
                "accepts_per_second": *n as f64 / accept,
                "height": height,
                "empty_block_us": {"median": us(median(&t.empty)), "mean": us(mean(&t.empty))},
                "one_lease_block_us": {"median": us(median(&t.one_lease)), "mean": us(mean(&t.one_lease))},
                "one_transfer_block_us": {"median": us(median(&t.one_transfer)), "mean": us(mean(&t.one_transfer))},
                "many_leases_block_us": {"median": us(median(&t.many_leases)), "mean": us(mean(&t.many_leases)), "leases": b.touch},
                "per_touched_lease_us": us(per_lease),
                "settle_lease_us": {"median": us(median(&t.settle)), "mean": us(mean(&t.settle))},
                "eager_settle_all_ms": t.eager * 1e3,
            })
        })
        .collect();
    if b.json {
        let out = serde_json::json!({
            "blocks_per_kind": b.blocks,
            "states": rows,
            "peak_rss_mib": peak_rss_mib(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "plinth bench compute leases: blocks through plinth_ledger::execute (calls, end of block, state root) into memory; {} blocks of each kind, median (mean) µs",
        b.blocks
    );
    println!(
        "  {:>9} {:>10} {:>18} {:>18} {:>18} {:>20} {:>12} {:>14}",
        "leases",
        "build",
        "empty block",
        "1 lease touched",
        "1 transfer",
        format!("{} leases touched", b.touch),
        "per lease",
        "settle_lease"
    );
    for (n, build, _, _, t) in &results {
        let cell = |xs: &[f64]| format!("{:.0} ({:.0})", us(median(xs)), us(mean(xs)));
        println!(
            "  {:>9} {:>9.1}s {:>18} {:>18} {:>18} {:>20} {:>12.1} {:>14}",
            n,
            build,
            cell(&t.empty),
            cell(&t.one_lease),
            cell(&t.one_transfer),
            cell(&t.many_leases),
            us((median(&t.many_leases) - median(&t.empty)) / b.touch as f64),
            format!("{:.1} ({:.1})", us(median(&t.settle)), us(mean(&t.settle))),
        );
    }
    let (small, large) = (&results[0].4, &results[1].4);
    println!(
        "  ratio {}/{}: empty {:.2}×, 1 lease {:.2}×, {} leases {:.2}×, settle_lease {:.2}×",
        results[1].0,
        results[0].0,
        median(&large.empty) / median(&small.empty),
        median(&large.one_lease) / median(&small.one_lease),
        b.touch,
        median(&large.many_leases) / median(&small.many_leases),
        median(&large.settle) / median(&small.settle),
    );
    for (n, _, _, _, t) in &results {
        println!(
            "  every one of {n} leases settled at once (paying each lease every block, before the state root): {:.1} ms",
            t.eager * 1e3
        );
    }
    println!("  peak memory {:.0} MiB", peak_rss_mib().unwrap_or(0.0));
    Ok(())
}

// ---------------------------------------------------------------------------
// cheating: detection and expected value per claim

/// `plinth bench compute cheating`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheatingBench {
    /// Claims simulated per claim size (each checked at every rate, for every behaviour).
    #[arg(long, default_value_t = 100_000)]
    pub claims: usize,
    /// The simulation's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A provider's cost of running a task, percent of the task's price.
    #[arg(long, default_value_t = 50)]
    pub cost_pct: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The devnet's cheaters with the shares of tasks they fake, and the skippers
/// at 10%.
const CHEATERS: [Behaviour; 4] = [
    Behaviour::Garbage,
    Behaviour::Skipper {
        per_million: 500_000,
    },
    Behaviour::Skipper {
        per_million: 100_000,
    },
    Behaviour::Copier,
];
/// The rates compared: 2%, 5%, 10% (the default), 25%.
const RATES_BPS: [u32; 4] = [200, 500, 1_000, 2_500];
/// The claim sizes simulated: the devnet agents' 4, and 16.
const SIM_CLAIM_SIZES: [usize; 2] = [4, 16];

/// The devnet's collateral per task in units of the demo job's price per task:
/// 5 tokens (`COLLATERAL_PER_TASK_TOKENS` in `plinth-devnet`) at the devnet's
/// price ($0.50 a token) over 2 credits (the demo render's `price_per_task`) at
/// the default $0.00001 a credit: 5 × 50,000 / 2 = 125,000.
fn devnet_collateral_in_prices() -> f64 {
    const COLLATERAL_TOKENS: f64 = 5.0;
    const PRICE_CREDITS: f64 = 2.0;
    let credit_usd = plinth_ledger::params::CreditParams::default().credit_micro_usd as f64;
    let token_usd = plinth_devnet::services::DEVNET_PRICE_MICRO_USD as f64;
    COLLATERAL_TOKENS * token_usd / credit_usd / PRICE_CREDITS
}

/// The share of tasks a behaviour fakes (the copier fakes none: it runs nothing
/// and commits to someone else's commitments).
fn fake_share(b: Behaviour) -> f64 {
    match b {
        Behaviour::Garbage => 1.0,
        Behaviour::Skipper { per_million } => f64::from(per_million) / 1e6,
        _ => 0.0,
    }
}

/// Whether an agent with behaviour `b` fakes `task` of `job`: the rule of
/// `Agent::skips` in `plinth-compute`'s `agent.rs`, the same hash and threshold
/// (private there, so written out here).
fn fakes(b: Behaviour, job: &Hash, task: u32, device: &DeviceId) -> bool {
    match b {
        Behaviour::Garbage => true,
        Behaviour::Skipper { per_million } => {
            let h = Hash::tagged(
                "plinth/agent-skip",
                &plinth_core::encode(&(job, task, device)),
            );
            let r = u32::from_le_bytes(h.as_bytes()[..4].try_into().expect("4 bytes"));
            r % 1_000_000 < per_million
        }
        _ => false,
    }
}

fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The chance a spot check of `s` of a claim's `m` tasks draws one of its `k`
/// faked tasks: `1 − C(m−k, s) / C(m, s)`.
fn caught_exact(m: usize, k: usize, s: usize) -> f64 {
    1.0 - choose(m - k, s) / choose(m, s)
}

/// The chance a provider that has `k` of `m` tasks faked with probability `f`
/// each: `C(m, k) f^k (1−f)^(m−k)`.
fn binomial(m: usize, k: usize, f: f64) -> f64 {
    choose(m, k) * f.powi(k as i32) * (1.0 - f).powi((m - k) as i32)
}

/// What a claim of `m` tasks with `k` faked earns, in task prices: paid `m` when
/// it passes, its collateral (`col` per task) slashed and nothing paid when
/// caught; the `m − k` tasks it ran cost `c` each either way.
fn payoff(m: usize, k: usize, caught: bool, c: f64, col: f64) -> f64 {
    let slash = f64::from(ComputeParams::default().cheat_slash_bps) / 10_000.0;
    let ran = (m - k) as f64 * c;
    if caught {
        -(m as f64) * col * slash - ran
    } else {
        m as f64 - ran
    }
}

/// The exact expected payoff of a claim of `m` tasks with each task faked with
/// probability `f`, checked at `bps`.
fn ev_exact(m: usize, f: f64, bps: u32, c: f64, col: f64) -> f64 {
    let s = spot_check_count(m, bps);
    (0..=m)
        .map(|k| {
            let q = if s == 0 { 0.0 } else { caught_exact(m, k, s) };
            binomial(m, k, f)
                * (q * payoff(m, k, true, c, col) + (1.0 - q) * payoff(m, k, false, c, col))
        })
        .sum()
}

/// One (behaviour, claim size, rate) cell of the simulation.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Cell {
    behaviour: String,
    claim_size: usize,
    bps: u32,
    checked: usize,
    claims: usize,
    caught: usize,
    faked_tasks: usize,
    faked_tasks_drawn: usize,
    payoff_no_collateral: f64,
    payoff_devnet_collateral: f64,
}

/// Simulates `claims` claims of each size: the ledger's draw at every rate
/// against every behaviour's faked tasks (the agent's rule); the copier's
/// copied commitments checked against what it could reveal.
fn simulate(claims: usize, seed: u64, c: f64, col: f64) -> (Vec<Cell>, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let devices: Vec<DeviceId> = (0..CHEATERS.len())
        .map(|i| DeviceId(tag_key(0xCB, i).public()))
        .collect();
    let victim = DeviceId(tag_key(0xCB, 99).public());
    let mut cells = Vec::new();
    let mut copier_opened = 0;
    for &m in &SIM_CLAIM_SIZES {
        let first = cells.len();
        for b in CHEATERS {
            for bps in RATES_BPS {
                cells.push(Cell {
                    behaviour: b.to_string(),
                    claim_size: m,
                    bps,
                    checked: spot_check_count(m, bps),
                    ..Cell::default()
                });
            }
        }
        for i in 0..claims {
            let job = Hash(rng.gen());
            let claim = claim_id(&job, i as u32);
            // The hash of the block after the reveal: unknown when the provider committed.
            let seed = Hash(rng.gen());
            let base: u32 = rng.gen_range(0..4_096 - m as u32);
            let tasks: Vec<u32> = (base..base + m as u32).collect();
            let faked: Vec<Vec<bool>> = CHEATERS
                .iter()
                .zip(&devices)
                .map(|(&b, d)| tasks.iter().map(|&t| fakes(b, &job, t, d)).collect())
                .collect();
            // The copier commits to another provider's commitments; the best it can
            // reveal is that provider's results, which open them only for that provider.
            let copier = &devices[3];
            let opens = tasks.iter().all(|&t| {
                let result = Hash(rng.gen());
                task_commitment(&job, t, copier, &result)
                    == task_commitment(&job, t, &victim, &result)
            });
            copier_opened += usize::from(opens);
            for (r, &bps) in RATES_BPS.iter().enumerate() {
                let drawn = spot_check_tasks(&seed, &claim, &tasks, bps);
                for (bi, &b) in CHEATERS.iter().enumerate() {
                    let cell = &mut cells[first + bi * RATES_BPS.len() + r];
                    cell.claims += 1;
                    let (k, caught, drawn_faked) = if b == Behaviour::Copier {
                        // Nothing it reveals opens its commitments: slashed at the
                        // reveal deadline (FinalizeClaim), whatever the draw.
                        (m, !opens, 0)
                    } else {
                        let f = &faked[bi];
                        let drawn_faked = drawn.iter().filter(|&&t| f[(t - base) as usize]).count();
                        (
                            f.iter().filter(|&&x| x).count(),
                            drawn_faked > 0,
                            drawn_faked,
                        )
                    };
                    cell.caught += usize::from(caught);
                    if b != Behaviour::Copier {
                        cell.faked_tasks += k;
                        cell.faked_tasks_drawn += drawn_faked;
                    }
                    cell.payoff_no_collateral += payoff(m, k, caught, c, 0.0);
                    cell.payoff_devnet_collateral += payoff(m, k, caught, c, col);
                }
            }
        }
    }
    (cells, copier_opened)
}

/// The smallest rate (basis points) at which faking one task of a claim of `m`
/// earns no more than honesty, with the ledger's count (at least one task per
/// claim), or `None` if even 100% does not.
fn break_even_bps(m: usize, c: f64, col: f64) -> Option<u32> {
    let honest = m as f64 * (1.0 - c);
    (0..=10_000u32).find(|&bps| {
        let s = spot_check_count(m, bps);
        let q = if s == 0 { 0.0 } else { caught_exact(m, 1, s) };
        let cheat = q * payoff(m, 1, true, c, col) + (1.0 - q) * payoff(m, 1, false, c, col);
        cheat <= honest
    })
}

fn cheating(b: CheatingBench) -> Result<()> {
    if b.claims == 0 || b.cost_pct >= 100 {
        bail!("need claims, and a task cost below its price (--cost-pct under 100)");
    }
    let c = f64::from(b.cost_pct) / 100.0;
    let col = devnet_collateral_in_prices();
    let t = Instant::now();
    let (cells, copier_opened) = simulate(b.claims, b.seed, c, col);
    let secs = t.elapsed().as_secs_f64();
    let rows: Vec<serde_json::Value> = cells
        .iter()
        .map(|cell| {
            let behaviour = CHEATERS
                .iter()
                .copied()
                .find(|x| x.to_string() == cell.behaviour)
                .expect("a simulated behaviour");
            let (m, s, p) = (cell.claim_size, cell.checked, f64::from(cell.bps) / 1e4);
            let f = fake_share(behaviour);
            let copier = behaviour == Behaviour::Copier;
            let exact = if copier {
                1.0
            } else {
                (0..=m).map(|k| binomial(m, k, f) * caught_exact(m, k, s)).sum()
            };
            let n = cell.claims as f64;
            serde_json::json!({
                "behaviour": cell.behaviour,
                "claim_size": m,
                "p_bps": cell.bps,
                "checked_per_claim": s,
                "claims": cell.claims,
                "faked_per_claim": if copier { m as f64 } else { cell.faked_tasks as f64 / n },
                "faked_task_drawn": (!copier && cell.faked_tasks > 0)
                    .then(|| cell.faked_tasks_drawn as f64 / cell.faked_tasks as f64),
                "faked_task_drawn_exact": s as f64 / m as f64,
                "caught": cell.caught as f64 / n,
                "caught_exact": exact,
                "caught_issue_formula": (!copier).then(|| 1.0 - (1.0 - p).powf(f * m as f64)),
                "ev_honest": m as f64 * (1.0 - c),
                "ev_cheat_no_collateral": cell.payoff_no_collateral / n,
                "ev_cheat_no_collateral_exact": if copier { 0.0 } else { ev_exact(m, f, cell.bps, c, 0.0) },
                "ev_cheat_devnet_collateral": cell.payoff_devnet_collateral / n,
                "ev_cheat_devnet_collateral_exact": if copier { -(m as f64) * col } else { ev_exact(m, f, cell.bps, c, col) },
            })
        })
        .collect();
    let break_even: Vec<serde_json::Value> = CLAIM_SIZES
        .iter()
        .map(|&m| {
            serde_json::json!({
                "claim_size": m,
                "ledger_bps_no_collateral": break_even_bps(m, c, 0.0),
                "ledger_bps_devnet_collateral": break_even_bps(m, c, col),
                "per_task_model_p_no_collateral": c / m as f64,
                "per_task_model_p_devnet_collateral": c / (m as f64 * (1.0 + col)),
            })
        })
        .collect();
    if b.json {
        let out = serde_json::json!({
            "claims_per_size": b.claims,
            "seed": b.seed,
            "cost_per_task": c,
            "devnet_collateral_per_task": col,
            "cheat_slash_bps": ComputeParams::default().cheat_slash_bps,
            "seconds": secs,
            "copier_claims_opened": copier_opened,
            "cells": rows,
            "break_even": break_even,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "plinth bench compute cheating: {} claims per size (seed {}), the ledger's draw and the agent's skip rule; {:.1} s",
        b.claims, b.seed, secs
    );
    println!(
        "  units: one task's price; cost of running a task c = {c}; collateral per task 0, or the devnet's {col:.0}; cheat_slash_bps = {}",
        ComputeParams::default().cheat_slash_bps
    );
    println!(
        "  {:<14} {:>3} {:>5} {:>2} {:>6} {:>13} {:>15} {:>8} {:>8} {:>7} {:>10} {:>12}",
        "behaviour",
        "m",
        "p",
        "s",
        "faked",
        "task drawn",
        "claim caught",
        "exact",
        "issue",
        "EV hon.",
        "EV (col 0)",
        "EV (devnet)"
    );
    let f3 = |v: &serde_json::Value| v.as_f64().map_or("—".to_string(), |x| format!("{x:.3}"));
    for r in &rows {
        println!(
            "  {:<14} {:>3} {:>5} {:>2} {:>6.2} {:>6} ({:.3}) {:>15.4} {:>8.4} {:>8} {:>7.2} {:>10.3} {:>12.0}",
            r["behaviour"].as_str().unwrap_or(""),
            r["claim_size"],
            pct(r["p_bps"].as_u64().unwrap_or(0) as u32),
            r["checked_per_claim"],
            r["faked_per_claim"].as_f64().unwrap_or(0.0),
            f3(&r["faked_task_drawn"]),
            r["faked_task_drawn_exact"].as_f64().unwrap_or(0.0),
            r["caught"].as_f64().unwrap_or(0.0),
            r["caught_exact"].as_f64().unwrap_or(0.0),
            f3(&r["caught_issue_formula"]),
            r["ev_honest"].as_f64().unwrap_or(0.0),
            r["ev_cheat_no_collateral"].as_f64().unwrap_or(0.0),
            r["ev_cheat_devnet_collateral"].as_f64().unwrap_or(0.0),
        );
    }
    println!("  the copier's reveals opened {copier_opened} of its copied commitments' claims");
    println!("  break-even: the smallest p at which faking one task per claim pays nothing");
    for r in &break_even {
        let bp = |v: &serde_json::Value| v.as_u64().map_or("never".to_string(), |x| pct(x as u32));
        println!(
            "    claims of {:>3}: ledger (at least 1 task checked) {} (col 0), {} (devnet col); per-task model c/(m(1+col)) {:.4}% (col 0), {:.2e}% (devnet col)",
            r["claim_size"],
            bp(&r["ledger_bps_no_collateral"]),
            bp(&r["ledger_bps_devnet_collateral"]),
            r["per_task_model_p_no_collateral"].as_f64().unwrap_or(0.0) * 100.0,
            r["per_task_model_p_devnet_collateral"].as_f64().unwrap_or(0.0) * 100.0,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_formulas_agree_with_small_cases() {
        // One task checked of 4, one faked: caught a quarter of the time.
        assert!((caught_exact(4, 1, 1) - 0.25).abs() < 1e-12);
        // Every task faked: always caught; none: never.
        assert_eq!(caught_exact(16, 16, 2), 1.0);
        assert_eq!(caught_exact(16, 0, 2), 0.0);
        // Two of 16 checked, 8 faked: 1 − C(8,2)/C(16,2) = 1 − 28/120.
        assert!((caught_exact(16, 8, 2) - (1.0 - 28.0 / 120.0)).abs() < 1e-12);
        let total: f64 = (0..=16).map(|k| binomial(16, k, 0.3)).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_simulation_matches_the_hypergeometric_and_cheating_loses() {
        let n = 4_000;
        let col = devnet_collateral_in_prices();
        assert_eq!(col, 125_000.0);
        let (cells, opened) = simulate(n, 3, 0.5, col);
        assert_eq!(opened, 0, "a copied commitment never opens");
        for cell in &cells {
            let b = CHEATERS
                .iter()
                .copied()
                .find(|x| x.to_string() == cell.behaviour)
                .unwrap();
            let m = cell.claim_size;
            let q = if b == Behaviour::Copier {
                1.0
            } else {
                (0..=m)
                    .map(|k| binomial(m, k, fake_share(b)) * caught_exact(m, k, cell.checked))
                    .sum()
            };
            let measured = cell.caught as f64 / cell.claims as f64;
            let sigma = (q * (1.0 - q) / cell.claims as f64).sqrt();
            assert!(
                (measured - q).abs() <= 5.0 * sigma + 1e-9,
                "{} m={m} p={}: measured {measured}, exact {q}",
                cell.behaviour,
                cell.bps
            );
            // Cheating earns less than honesty at every rate simulated.
            let honest = m as f64 * 0.5;
            assert!(cell.payoff_no_collateral / (cell.claims as f64) < honest);
            assert!(cell.payoff_devnet_collateral / (cell.claims as f64) < honest);
        }
        // At least one task is checked per claim: faking one never pays at any p > 0.
        for m in CLAIM_SIZES {
            assert_eq!(break_even_bps(m, 0.5, 0.0), Some(1));
        }
    }

    #[test]
    fn overhead_counts_the_ceiling_per_claim() {
        // 48 tasks in claims of 4 at 10%: one task of each of 12 claims.
        let o = overhead(48, 4, 1_000, None);
        assert_eq!((o.claims, o.rechecked), (12, 12));
        assert!((o.task_overhead - 0.25).abs() < 1e-12);
        // One claim of 48 (a claim of up to 128): ceil(4.8) = 5.
        let o = overhead(48, 128, 1_000, None);
        assert_eq!((o.claims, o.rechecked), (1, 5));
        // Tasks of equal fuel: every real draw re-executes the same share.
        assert_eq!(drawn_fuel(&[7; 48], 4, 1_000, 50, 1), (0.25, 0.25));
    }

    #[test]
    fn verification_of_a_small_scene_reexecutes_every_tile() {
        let text = DEMO_SCENE
            .replace("width = 256", "width = 64")
            .replace("height = 192", "height = 32")
            .replace("samples = 32", "samples = 1");
        let scene = Scene::from_toml(&text).unwrap();
        let v = std::thread::Builder::new()
            .stack_size(THREAD_STACK_BYTES)
            .spawn(move || measure_verification(&scene, 2))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(v.fuel.len(), 2);
        assert_eq!(v.verified, 4);
        assert!(v.fuel.iter().all(|&f| f > 0));
    }

    #[test]
    fn a_small_lease_state_has_its_leases_and_settles_them() {
        let mut s = build_leases(250, 1_000).unwrap();
        assert_eq!(s.leases.len(), 250);
        let t = s.measure(3, 5, 1).unwrap();
        assert_eq!(t.empty.len(), 3);
        assert_eq!(t.settle.len(), 30);
        // The touched leases were paid up to the block that touched them.
        let state = Overlay::new(&s.chain.store);
        let paid: u64 = s
            .leases
            .iter()
            .map(|(id, _)| compute::lease(&state, id).unwrap().unwrap().paid)
            .sum();
        assert!(paid > 0);
    }
}
