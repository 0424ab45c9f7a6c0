//! `plinth bench consensus`: finalized transfers per second and submission →
//! finality latency of a validator set on loopback.
//!
//! ```text
//!  N validators in this process, each: redb store, mempool, simplex + marshal,
//!  authenticated lookup p2p on its own 127.0.0.1 port (real TCP, encrypted)
//!
//!  client task per validator ─ Node::submit(batch) ─▶ mempool ─gossip─▶ peers
//!  validator 0's store, polled every 2 ms ─▶ finalized block ─▶ latency per tx
//! ```
//!
//! Each account sends only through one validator, so its nonces arrive in order.

use crate::key;
use anyhow::{bail, Context, Result};
use commonware_runtime::{Clock as _, Runner as _, Spawner as _, Supervisor as _};
use plinth_consensus::engine::{self, consensus_key, consensus_signer};
use plinth_consensus::network::{self, Peer};
use plinth_consensus::{Ledger, LedgerConfig, Timeouts, ValidatorConfig};
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::{Call, Genesis, Transaction};
use plinth_node::{Node, NodeConfig};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `plinth bench consensus`: finalized transfers per second and submission-to-
/// finality latency of a validator set on loopback.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsensusBench {
    /// Validators, all in this process.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Signed transfers to finalize.
    #[arg(long, default_value_t = 40_000)]
    pub txs: usize,
    /// Funded accounts the transfers go between.
    #[arg(long, default_value_t = 4_000)]
    pub accounts: usize,
    /// Offered load, transfers per second over all validators (0: unlimited).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Transfers per submission.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Time between blocks.
    #[arg(long, default_value = "250ms", value_parser = plinth_devnet::parse_duration)]
    pub block_time: Duration,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn seed_of(k: &Keypair) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(k.secret_hex(), &mut out).expect("hex seed");
    out
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

const CHAIN: &str = "bench-consensus";

fn genesis(validators: &[Keypair], accounts: &[Keypair], block_time: Duration) -> Result<Genesis> {
    use std::fmt::Write as _;
    let mut text = format!(
        "chain_id = \"{CHAIN}\"\ngenesis_time_ms = {}\nblock_time_ms = {}\n\
         [token]\nname = \"Bench\"\nsymbol = \"BCH\"\ndecimals = 0\n\
         [fees]\nmin_fee = 1\n[staking]\nunbonding_blocks = 10\n",
        plinth_oracle::now_ms(),
        block_time.as_millis()
    );
    for a in accounts {
        let _ = write!(
            text,
            "[[accounts]]\naddress = \"{}\"\nbalance = 1000000000\n",
            Address(a.public())
        );
    }
    for (i, v) in validators.iter().enumerate() {
        let _ = write!(
            text,
            "[[validators]]\naddress = \"{}\"\nname = \"v{i}\"\n",
            Address(v.public())
        );
    }
    Genesis::from_toml(&text).context("bench genesis")
}

/// Runs the benchmark and prints its result.
pub fn run(b: ConsensusBench) -> Result<()> {
    if b.validators == 0 || b.accounts < 2 || b.txs == 0 || b.batch == 0 {
        bail!("need a validator, 2 accounts, 1 transfer and a batch size");
    }
    let dir = std::env::temp_dir().join(format!("plinth-bench-consensus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let validators: Vec<Keypair> = (0..b.validators).map(|i| key(0xc0, i)).collect();
    let accounts: Vec<Keypair> = (0..b.accounts).map(|i| key(0xac, i)).collect();
    let genesis = genesis(&validators, &accounts, b.block_time)?;

    let per_validator = signed_transfers(&b, &accounts);

    let peers: Vec<Peer> = validators
        .iter()
        .map(|v| {
            Ok(Peer {
                key: consensus_key(&v.public()).context("key")?,
                address: SocketAddr::from(([127, 0, 0, 1], free_port()?)),
            })
        })
        .collect::<Result<_>>()?;
    let ledger_cfg = LedgerConfig {
        block_time: b.block_time,
        ..LedgerConfig::default()
    };
    let nodes: Vec<Arc<Node>> = validators
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Node::open(
                genesis.clone(),
                k.clone(),
                NodeConfig::new(dir.join(format!("v{i}")), b.block_time),
            )
            .context("opening a validator's store")
        })
        .collect::<Result<_>>()?;

    if !b.json {
        print_header(&b);
    }

    let runtime = commonware_runtime::tokio::Runner::new(
        commonware_runtime::tokio::Config::new()
            .with_storage_directory(dir.join("consensus"))
            .with_worker_threads(2),
    );
    let b2 = b.clone();
    let result = runtime.start(|context| async move {
        let handles = start_validators(&context, &nodes, &validators, &peers, &ledger_cfg)?;
        warm_up(&context, &nodes).await?;

        let submitted: Arc<Mutex<HashMap<Hash, Instant>>> = Arc::default();
        let refused = Arc::new(Mutex::new(0usize));
        let start = Instant::now();
        let per_rate = if b2.rate == 0 {
            0.0
        } else {
            b2.rate as f64 / b2.validators as f64
        };
        for (i, txs) in per_validator.into_iter().enumerate() {
            let client = Client {
                node: nodes[i].clone(),
                batch: b2.batch,
                per_rate,
                start,
                submitted: submitted.clone(),
                refused: refused.clone(),
            };
            context
                .child("client")
                .spawn(move |context| async move { client.submit(&context, txs).await });
        }

        // Finality as validator 0 sees it: its committed blocks.
        let finality = observe_finality(&context, &nodes[0], &submitted, &refused, b2.txs).await?;
        let (latencies, blocks, last_final) = (
            finality.latencies,
            finality.blocks,
            finality.last_final.unwrap_or(start),
        );
        let elapsed = last_final.duration_since(start).as_secs_f64();
        let refused = *refused.lock().expect("lock");
        for h in handles {
            h.abort();
        }
        Ok::<_, anyhow::Error>((latencies, blocks, elapsed, refused))
    });
    drop(std::fs::remove_dir_all(&dir));
    let (latencies, blocks, elapsed, refused) = result?;
    print_result(&b, latencies, blocks, elapsed, refused);
    Ok(())
}

/// `b.txs` signed transfers, per validator in submission order: round r is nonce
/// r of every account assigned to that validator.
fn signed_transfers(b: &ConsensusBench, accounts: &[Keypair]) -> Vec<Vec<Vec<u8>>> {
    let rounds = b.txs.div_ceil(b.accounts);
    let mut per_validator: Vec<Vec<Vec<u8>>> = vec![Vec::new(); b.validators];
    let mut made = 0;
    'outer: for r in 0..rounds {
        for (a, k) in accounts.iter().enumerate() {
            if made == b.txs {
                break 'outer;
            }
            let to = Address(accounts[(a + 1) % accounts.len()].public());
            let tx = Transaction {
                chain_id: CHAIN.into(),
                signer: Address(k.public()),
                nonce: r as u64,
                fee: 1,
                call: Call::Transfer { to, amount: 1 },
            }
            .sign(k);
            per_validator[a % b.validators].push(tx.encode());
            made += 1;
        }
    }
    per_validator
}

/// What the benchmark runs, before it runs.
fn print_header(b: &ConsensusBench) {
    println!(
        "{} validators on loopback, {} transfers from {} accounts, block time {:?}, offered load {}",
        b.validators,
        b.txs,
        b.accounts,
        b.block_time,
        if b.rate == 0 {
            "unlimited".to_string()
        } else {
            format!("{}/s", b.rate)
        }
    );
}

/// Waits until every validator has finalized a few blocks (at most 60 s).
async fn warm_up(context: &commonware_runtime::tokio::Context, nodes: &[Arc<Node>]) -> Result<()> {
    let warm = Instant::now();
    while nodes
        .iter()
        .any(|n| n.store.head().map(|h| h.height).unwrap_or(0) < 3)
    {
        if warm.elapsed() > Duration::from_secs(60) {
            bail!("the validators did not start finalizing");
        }
        context.sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Starts every validator's p2p endpoint and consensus engine on `context`.
fn start_validators(
    context: &commonware_runtime::tokio::Context,
    nodes: &[Arc<Node>],
    validators: &[Keypair],
    peers: &[Peer],
    ledger_cfg: &LedgerConfig,
) -> Result<Vec<commonware_runtime::Handle<()>>> {
    let addresses: Vec<Address> = validators.iter().map(|v| Address(v.public())).collect();
    let participants = engine::validator_set(&addresses).context("validator set")?;
    let mut handles = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let signer = consensus_signer(seed_of(&validators[i]));
        let namespace = engine::namespace(CHAIN);
        let net = network::start(
            context.child("p2p").with_attribute("validator", i),
            signer.clone(),
            &namespace,
            peers[i].address,
            peers,
            ledger_cfg,
        )?;
        let ledger = Ledger::new(node.clone(), ledger_cfg.clone())?;
        handles.push(engine::start(
            context.child("validator").with_attribute("index", i),
            ledger,
            ValidatorConfig {
                signer,
                participants: participants.clone(),
                namespace,
                partition_prefix: format!("v{i}"),
                ledger: ledger_cfg.clone(),
                timeouts: Timeouts::for_block_time(ledger_cfg.block_time),
                track: net.tracker(),
            },
            net.oracle.clone(),
            net.oracle.clone(),
            net.channels,
        ));
        handles.push(net.handle);
    }
    Ok(handles)
}

/// A client of one validator: submits its transfers in batches at its share of
/// the offered load, noting when each was sent.
struct Client {
    node: Arc<Node>,
    batch: usize,
    /// Transfers per second (0: as fast as submission goes).
    per_rate: f64,
    start: Instant,
    submitted: Arc<Mutex<HashMap<Hash, Instant>>>,
    refused: Arc<Mutex<usize>>,
}

impl Client {
    async fn submit(self, context: &commonware_runtime::tokio::Context, txs: Vec<Vec<u8>>) {
        let mut sent = 0usize;
        for chunk in txs.chunks(self.batch) {
            if self.per_rate > 0.0 {
                let due = Duration::from_secs_f64(sent as f64 / self.per_rate);
                let now = self.start.elapsed();
                if due > now {
                    context.sleep(due - now).await;
                }
            }
            let at = Instant::now();
            let hashes: Vec<Hash> = chunk
                .iter()
                .map(|raw| plinth_ledger::SignedTx::decode(raw).expect("tx").hash())
                .collect();
            {
                let mut s = self.submitted.lock().expect("lock");
                for h in &hashes {
                    s.insert(*h, at);
                }
            }
            let verdicts = self.node.submit(chunk.to_vec()).await;
            let bad = verdicts.iter().filter(|v| v.is_err()).count();
            if bad > 0 {
                *self.refused.lock().expect("lock") += bad;
            }
            sent += chunk.len();
        }
    }
}

/// What the observer saw finalize.
struct Finality {
    /// Submission-to-finality seconds of each finalized transfer.
    latencies: Vec<f64>,
    /// Blocks finalized meanwhile.
    blocks: u64,
    /// When the last submitted transfer was finalized.
    last_final: Option<Instant>,
}

/// Follows `observer`'s committed blocks until every one of `txs` transfers is
/// finalized or refused (at most 600 s).
async fn observe_finality(
    context: &commonware_runtime::tokio::Context,
    observer: &Node,
    submitted: &Mutex<HashMap<Hash, Instant>>,
    refused: &Mutex<usize>,
    txs: usize,
) -> Result<Finality> {
    let mut next = observer.store.head()?.height + 1;
    let mut latencies: Vec<f64> = Vec::with_capacity(txs);
    let mut blocks = 0u64;
    let mut last_final = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    while latencies.len() + *refused.lock().expect("lock") < txs {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} transfers finalized in 600 s",
                latencies.len(),
                txs
            );
        }
        let head = observer.store.head()?.height;
        if head < next {
            context.sleep(Duration::from_millis(2)).await;
            continue;
        }
        let now = Instant::now();
        let s = submitted.lock().expect("lock");
        for h in next..=head {
            let block = observer.store.block(h)?.context("block")?;
            blocks += 1;
            for tx in &block.txs {
                if let Some(at) = s.get(&tx.hash()) {
                    latencies.push(now.duration_since(*at).as_secs_f64());
                    last_final = Some(now);
                }
            }
        }
        next = head + 1;
    }
    Ok(Finality {
        latencies,
        blocks,
        last_final,
    })
}

/// Prints the benchmark's result (a table, or JSON).
fn print_result(
    b: &ConsensusBench,
    mut latencies: Vec<f64>,
    blocks: u64,
    elapsed: f64,
    refused: usize,
) {
    latencies.sort_by(|a, b| a.total_cmp(b));
    let finalized = latencies.len();
    let tps = finalized as f64 / elapsed;
    let median = percentile(&latencies, 0.5);
    let p99 = percentile(&latencies, 0.99);
    let rss = crate::peak_rss_mib();
    // The machine's raw signature rate in the same run: ratios to it survive
    // a noisy machine better than absolute numbers.
    let (_, batched) = crate::ledger::verify_rates();
    if b.json {
        println!(
            "{}",
            serde_json::json!({
                "ed25519_batch_verify_per_second_one_core": batched,
                "validators": b.validators,
                "transfers": finalized,
                "refused": refused,
                "seconds": elapsed,
                "finalized_per_s": tps,
                "blocks": blocks,
                "latency_median_s": median,
                "latency_p99_s": p99,
                "peak_rss_mib": rss,
            })
        );
    } else {
        println!(
            "finalized {finalized} transfers in {elapsed:.2} s over {blocks} blocks: {tps:.0} transfers/s"
        );
        if refused > 0 {
            println!("refused at submission: {refused}");
        }
        println!("latency submission → finality: median {median:.3} s, p99 {p99:.3} s");
        if let Some(r) = rss {
            println!("peak RSS {r:.0} MiB (all validators in one process)");
        }
        println!("ed25519 batched verify/s, 1 core: {batched:.0}");
    }
}
