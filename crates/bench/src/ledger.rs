//! `plinth bench ledger`: committed transfers per second through the node's own
//! submission path (decode, signature check, admission, durable mempool), block
//! execution, sealing and durable commit.

use crate::peak_rss_mib;
use anyhow::{bail, Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::{Call, Genesis, Transaction};
use plinth_node::{Node, NodeConfig, Pipeline};
use std::time::{Duration, Instant};

/// The benchmark's keys: account `i` (and the validator's, from the top).
fn key(i: usize) -> Keypair {
    crate::key(0xbe, i)
}

/// `plinth bench ledger`: committed transfers per second through the node's
/// submission path.
#[derive(Debug, Clone, clap::Args)]
pub struct LedgerBench {
    /// Signed transfers to commit.
    #[arg(long, default_value_t = 200_000)]
    pub txs: usize,
    /// Funded accounts the transfers go between.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Most transfers per block.
    #[arg(long, default_value_t = 20_000)]
    pub block_txs: usize,
    /// Transfers per submission (as one `POST /v1/txs/batch`).
    #[arg(long, default_value_t = 10_000)]
    pub submit_batch: usize,
    /// Build and commit one block at a time, instead of building the next block
    /// while the previous one commits.
    #[arg(long)]
    pub sequential: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The machine's raw single-core ed25519 rates (individual, batched), measured
/// with ed25519-dalek itself (`verify_strict`; `verify_batch` in batches of 64,
/// every key decompressed afresh): the reference the ratios are taken
/// to, independent of Plinth's own signature code.
pub(crate) fn verify_rates() -> (f64, f64) {
    use ed25519_dalek::{Signature, VerifyingKey};
    let n = 8192;
    let k = key(0);
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("message {i}").into_bytes())
        .collect();
    let sigs: Vec<Signature> = msgs
        .iter()
        .map(|m| Signature::from_bytes(&k.sign(m).0))
        .collect();
    let pk = k.public().0;
    let vk = VerifyingKey::from_bytes(&pk).expect("a valid key");
    let t = Instant::now();
    for (m, s) in msgs.iter().zip(&sigs) {
        vk.verify_strict(m, s).expect("valid");
    }
    let single = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for (m, s) in msgs.chunks(64).zip(sigs.chunks(64)) {
        let keys: Vec<VerifyingKey> = (0..m.len())
            .map(|_| VerifyingKey::from_bytes(&pk).expect("a valid key"))
            .collect();
        let m: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
        ed25519_dalek::verify_batch(&m, s, &keys).expect("valid");
    }
    let batch = n as f64 / t.elapsed().as_secs_f64();
    (single, batch)
}

/// Runs the benchmark and prints its result.
pub async fn run(b: LedgerBench) -> Result<()> {
    if b.accounts < 2 || b.txs == 0 || b.block_txs == 0 || b.submit_batch == 0 {
        bail!("need at least 2 accounts, 1 transaction and 1 transaction per block");
    }
    let dir = std::env::temp_dir().join(format!("plinth-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "generating {} accounts and {} signed transfers…",
        b.accounts, b.txs
    );
    let keys: Vec<Keypair> = (0..b.accounts).map(key).collect();
    let validator = key(usize::MAX / 2);
    let mut accounts_toml = String::new();
    for k in &keys {
        accounts_toml.push_str(&format!(
            "[[accounts]]\naddress = \"{}\"\nbalance = 1000000000000\n",
            Address(k.public())
        ));
    }
    let genesis = Genesis::from_toml(&format!(
        "chain_id = \"bench\"\ngenesis_time_ms = 0\nblock_time_ms = 1000\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = 1000\n[staking]\nunbonding_blocks = 10\n\
         [[validators]]\nname = \"v\"\naddress = \"{}\"\n{accounts_toml}",
        Address(validator.public())
    ))?;
    // Sign on both cores: account i sends its nonces in order to account i+1.
    let n = b.txs;
    let m = b.accounts;
    let sign_range = |range: std::ops::Range<usize>| -> Vec<Vec<u8>> {
        range
            .map(|i| {
                let from = i % m;
                let tx = Transaction {
                    chain_id: "bench".into(),
                    signer: Address(keys[from].public()),
                    nonce: (i / m) as u64,
                    fee: 1000,
                    call: Call::Transfer {
                        to: Address(keys[(from + 1 + i / m) % m].public()),
                        amount: 1 + (i % 1000) as u64,
                    },
                };
                tx.sign(&keys[from]).encode()
            })
            .collect()
    };
    let raw: Vec<Vec<u8>> = std::thread::scope(|s| {
        let half = n / 2;
        let a = s.spawn(move || sign_range(0..half));
        let second = sign_range(half..n);
        let mut first = a.join().expect("signing thread");
        first.extend(second);
        first
    });
    let tx_bytes: usize = raw.iter().map(|r| r.len()).sum::<usize>() / n;

    let (single, batched) = verify_rates();

    let mut config = NodeConfig::new(dir.clone(), Duration::from_secs(1));
    config.max_block_txs = b.block_txs;
    config.mempool_capacity = n + 1;
    config.mempool_per_sender = n + 1;
    let node = Node::open(genesis, validator, config).context("opening the bench chain")?;

    // As on a loaded node: clients keep submitting (in batches, as `POST
    // /v1/txs/batch` does) while the producer seals whatever the mempool holds.
    eprintln!("submitting and committing…");
    let start = Instant::now();
    let submitter = {
        let node = node.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            for chunk in raw.chunks(b.submit_batch) {
                let verdicts = node.submit(chunk.to_vec()).await;
                if let Some(e) = verdicts.iter().find_map(|v| v.as_ref().err()) {
                    bail!("a bench transaction was refused: {e}");
                }
            }
            Ok(t.elapsed().as_secs_f64())
        })
    };
    let producer = {
        let node = node.clone();
        tokio::task::spawn_blocking(move || -> Result<(usize, usize, f64)> {
            // The node's pipelined producer: a block commits while the next is built.
            let mut pipeline = Pipeline::new(node.clone());
            let (mut blocks, mut committed, mut busy) = (0usize, 0usize, 0.0);
            while committed < n {
                let t = Instant::now();
                // Transactions no block has taken yet.
                let fresh = node
                    .mempool_len()
                    .saturating_sub(pipeline.in_flight_taken());
                let done = if fresh >= b.block_txs && !b.sequential {
                    // A full block waiting: build it while the last one commits.
                    pipeline.step()?
                } else if pipeline.in_flight_taken() > 0 {
                    pipeline.flush()?
                } else if fresh > 0 {
                    let done = pipeline.step()?;
                    if b.sequential {
                        pipeline.flush()?
                    } else {
                        done
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                };
                busy += t.elapsed().as_secs_f64();
                if let Some(done) = done {
                    blocks += 1;
                    committed += done.txs;
                }
            }
            Ok((blocks, committed, busy))
        })
    };
    let submit_secs = submitter.await??;
    let (blocks, committed, block_secs) = producer.await??;
    let elapsed = start.elapsed().as_secs_f64();
    if committed != n {
        bail!("only {committed} of {n} transfers were committed");
    }
    let tps = n as f64 / elapsed;
    let result = serde_json::json!({
        "transfers": n,
        "accounts": m,
        "block_txs": b.block_txs,
        "tx_bytes": tx_bytes,
        "seconds": elapsed,
        "transfers_per_second": tps,
        "submit_batch": b.submit_batch,
        "pipelined": !b.sequential,
        "submission_seconds": submit_secs,
        "block_production_seconds": block_secs,
        "blocks": blocks,
        "blocks_per_second": blocks as f64 / elapsed,
        "peak_rss_mib": peak_rss_mib(),
        "ed25519_verify_per_second_one_core": single,
        "ed25519_batch_verify_per_second_one_core": batched,
        "cores": std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1),
    });
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench ledger: {n} transfers from {m} accounts, blocks of {} ({tx_bytes} bytes/tx)", b.block_txs);
        println!("  committed transfers/s   {tps:>12.0}");
        println!(
            "  blocks/s                {:>12.2}  ({blocks} blocks in {elapsed:.2}s)",
            blocks as f64 / elapsed
        );
        println!("  submission alone        {:>12.0} tx/s (decode, signatures, admission, durable mempool; batches of {})", n as f64 / submit_secs, b.submit_batch);
        println!(
            "  block production alone  {:>12.0} tx/s (execute, state root, seal, durable commit)",
            n as f64 / block_secs
        );
        println!(
            "  peak memory             {:>12.1} MiB",
            peak_rss_mib().unwrap_or(0.0)
        );
        println!("  ed25519 verify/s, 1 core: {single:.0} single, {batched:.0} batched");
    }
    Ok(())
}
