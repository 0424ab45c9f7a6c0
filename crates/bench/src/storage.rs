//! `plinth bench storage`: storage proofs verified per second, and put and get
//! throughput through a provider's agent over loopback.
//!
//! Proofs: a file of `size_mb` MiB is committed to in memory; `proofs` challenges
//! (one per epoch, `items` segments each) are answered from it, and every answer is
//! verified `rounds` times on all cores with `plinth_storage::verify_proofs`, the
//! oracle's path. Put and get: the same bytes are written to a file, an agent is
//! started on 127.0.0.1 (2 worker threads, its data directory beside the file) and
//! `StorageClient::put` (hash the file, open the deal, upload in 2 streams, the
//! agent checking and fsyncing every chunk) and `StorageClient::get` (stream,
//! check every chunk against the root, write the output) are timed end to end.
//!
//! Round: `round_deals` small deals (16 KiB each) spread over `round_agents`
//! agents on loopback; one oracle storage round is timed — every deal's challenge
//! sent in batches (`plinth_oracle::storage::ask_providers`, the oracle's path),
//! answered from disk, and every answer verified.

use anyhow::{bail, Context, Result};
use plinth_core::Hash;
use plinth_storage::agent::{self, Agent, AgentConfig};
use plinth_storage::client::StorageClient;
use plinth_storage::{
    prove_from_memory, verify_proofs, Commitment, StorageChallenge, StorageProof, CHUNK_SIZE,
};
use rand::{RngCore, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

/// `plinth bench storage`: storage proofs verified per second, and put/get
/// throughput through a provider's agent over loopback.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageBench {
    /// File size, MiB.
    #[arg(long, default_value_t = 256)]
    pub size_mb: u64,
    /// Distinct challenges answered.
    #[arg(long, default_value_t = 10_000)]
    pub proofs: usize,
    /// Segments per challenge.
    #[arg(long, default_value_t = 4)]
    pub items: usize,
    /// Times every proof is verified.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Deals of one timed oracle storage round (16 KiB each; 0: none).
    #[arg(long, default_value_t = 2_000)]
    pub round_deals: usize,
    /// Agents the round's deals are spread over.
    #[arg(long, default_value_t = 4)]
    pub round_agents: usize,
    /// Folder for the file and the agent's data (default: under the temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A timed round: seconds, and requests sent.
type RoundTime = (f64, usize);

fn mib_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / secs
}

/// Runs the benchmark and prints its result.
pub fn run(b: StorageBench) -> Result<()> {
    if b.size_mb == 0 || b.proofs == 0 || b.rounds == 0 {
        bail!("size, proofs and rounds must be at least 1");
    }
    if b.items == 0 || b.items > plinth_storage::MAX_CHALLENGE_ITEMS {
        bail!("items must be 1 to {}", plinth_storage::MAX_CHALLENGE_ITEMS);
    }
    let size = b.size_mb * 1024 * 1024;
    eprintln!("generating {} MiB…", b.size_mb);
    let mut data = vec![0u8; size as usize];
    rand::rngs::StdRng::seed_from_u64(8).fill_bytes(&mut data);

    // Proofs.
    let t = Instant::now();
    let commitment = Commitment::of_bytes(&data, CHUNK_SIZE)?;
    let commit_s = t.elapsed().as_secs_f64();
    let m = commitment.manifest;
    let deal = Hash::of(b"bench deal");
    let seed = Hash::of(b"bench block");
    eprintln!("answering {} challenges…", b.proofs);
    let challenges: Vec<StorageChallenge> = (0..b.proofs as u64)
        .map(|epoch| StorageChallenge::derive(&seed, &deal, epoch, &m, b.items))
        .collect();
    let proofs: Vec<StorageProof> = challenges
        .iter()
        .map(|c| prove_from_memory(&commitment, &data, c))
        .collect();
    let proof_bytes = proofs[0].encode().len();
    let jobs: Vec<_> = challenges
        .iter()
        .zip(&proofs)
        .map(|(c, p)| (&m, c, p))
        .collect();
    eprintln!("verifying {} proofs {} times…", b.proofs, b.rounds);
    let t = Instant::now();
    for _ in 0..b.rounds {
        let results = verify_proofs(&jobs);
        if let Some(e) = results.iter().find_map(|r| r.as_ref().err()) {
            bail!("an honest proof failed: {e}");
        }
    }
    let verify_s = t.elapsed().as_secs_f64();
    let verified = (b.proofs * b.rounds) as f64;
    let items = proofs.iter().map(|p| p.items.len()).sum::<usize>() * b.rounds;

    // Put and get through an agent.
    let dir = match &b.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("plinth-bench-storage-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = (|| -> Result<(f64, f64, Option<RoundTime>)> {
        let file = dir.join("file.bin");
        std::fs::write(&file, &data).context("writing the file")?;
        drop(data);
        let running = agent::spawn(
            Agent::open(AgentConfig::new(dir.join("agent")))?,
            "127.0.0.1:0",
            2,
        )?;
        let client = StorageClient::new(&running.url());
        eprintln!("put {} MiB…", b.size_mb);
        let t = Instant::now();
        let put = client.put(&deal, &file, CHUNK_SIZE)?;
        let put_s = t.elapsed().as_secs_f64();
        if put != m {
            bail!("put committed to {put:?}, expected {m:?}");
        }
        let out = dir.join("out.bin");
        eprintln!("get {} MiB…", b.size_mb);
        let t = Instant::now();
        client.get(&deal, &m.root, m.size, &out)?;
        let get_s = t.elapsed().as_secs_f64();
        let back = Commitment::of_reader(std::fs::File::open(&out)?, m.size, CHUNK_SIZE)?;
        if back.manifest != m {
            bail!("the file got back differs from the one put");
        }
        drop(running);
        let round = if b.round_deals > 0 {
            Some(round(&dir, b.round_deals, b.round_agents.max(1), b.items)?)
        } else {
            None
        };
        Ok((put_s, get_s, round))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let (put_s, get_s, round) = result?;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if b.json {
        println!(
            "{}",
            serde_json::json!({
                "cores": cores,
                "size_bytes": size,
                "chunk_size": CHUNK_SIZE,
                "segments": m.segment_count(),
                "commit_mib_per_s": mib_per_s(size, commit_s),
                "proofs_verified": verified,
                "items_per_proof": b.items,
                "proof_bytes": proof_bytes,
                "proofs_per_s": verified / verify_s,
                "segments_per_s": items as f64 / verify_s,
                "put_mib_per_s": mib_per_s(size, put_s),
                "get_mib_per_s": mib_per_s(size, get_s),
                "round_deals": b.round_deals,
                "round_agents": b.round_agents,
                "round_s": round.map(|r| r.0),
                "round_deals_per_s": round.map(|r| b.round_deals as f64 / r.0),
            })
        );
    } else {
        println!("cores: {cores}");
        println!(
            "file: {} MiB, {} chunks of {} KiB, {} segments; commit in memory {:.0} MiB/s",
            b.size_mb,
            m.chunk_count(),
            CHUNK_SIZE / 1024,
            m.segment_count(),
            mib_per_s(size, commit_s)
        );
        println!(
            "proofs: {:.0}/s verified ({} segments each, {} bytes; {:.0} segments/s), {} verifications in {:.2} s",
            verified / verify_s,
            b.items,
            proof_bytes,
            items as f64 / verify_s,
            verified,
            verify_s
        );
        println!(
            "put: {:.0} MiB/s ({:.2} s: hash, open, upload, agent checks and fsyncs)",
            mib_per_s(size, put_s),
            put_s
        );
        println!(
            "get: {:.0} MiB/s ({:.2} s: stream, check every chunk, write)",
            mib_per_s(size, get_s),
            get_s
        );
        if let Some((secs, requests)) = round {
            println!(
                "round: {} deals at {} agents challenged ({} requests), answered from disk and verified in {:.2} s ({:.0} deals/s)",
                b.round_deals,
                b.round_agents,
                requests,
                secs,
                b.round_deals as f64 / secs
            );
        }
    }
    Ok(())
}

/// One oracle storage round over `deals` deals of 16 KiB on `agents` agents:
/// seconds for challenging, answering and verifying them all, and the number of
/// requests sent.
fn round(dir: &std::path::Path, deals: usize, agents: usize, items: usize) -> Result<RoundTime> {
    use plinth_oracle::storage::{ask_providers, Job};
    const DEAL_BYTES: usize = 16 * 1024;
    eprintln!("storing {deals} deals on {agents} agents…");
    let running: Vec<_> = (0..agents)
        .map(|i| {
            agent::spawn(
                Agent::open(AgentConfig::new(dir.join(format!("round-{i}"))))?,
                "127.0.0.1:0",
                1,
            )
            .map_err(anyhow::Error::from)
        })
        .collect::<Result<_>>()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let seed = Hash::of(b"round seed");
    let mut groups: Vec<(Option<String>, Vec<Job>)> = running
        .iter()
        .map(|a| (Some(a.url()), Vec::new()))
        .collect();
    let mut manifests = std::collections::HashMap::new();
    for n in 0..deals {
        let mut bytes = vec![0u8; DEAL_BYTES];
        rng.fill_bytes(&mut bytes);
        let c = Commitment::of_bytes(&bytes, DEAL_BYTES as u32)?;
        let id = Hash::of(&(n as u64).to_le_bytes());
        let file = dir.join("round-deal.bin");
        std::fs::write(&file, &bytes)?;
        let a = &running[n % agents];
        let client = StorageClient::new(&a.url());
        client.open_deal(&id, &c)?;
        client.upload(&id, &c, &file)?;
        groups[n % agents].1.push((
            id,
            StorageChallenge::derive(&seed, &id, 1, &c.manifest, items),
        ));
        manifests.insert(id, c.manifest);
    }
    let requests: usize = groups
        .iter()
        .map(|(_, jobs)| jobs.len().div_ceil(agent::MAX_BATCH_CHALLENGES))
        .sum();
    eprintln!("one storage round…");
    let t = Instant::now();
    let answers = ask_providers(&groups, std::time::Duration::from_secs(60), 64);
    let challenges: std::collections::HashMap<Hash, &StorageChallenge> = groups
        .iter()
        .flat_map(|(_, jobs)| jobs.iter().map(|(d, c)| (*d, c)))
        .collect();
    let proofs: Vec<(Hash, StorageProof)> = answers
        .into_iter()
        .map(|a| {
            let bytes = a
                .proof
                .with_context(|| format!("deal {} unanswered: {:?}", a.deal, a.error))?;
            Ok((a.deal, StorageProof::decode(&bytes)?))
        })
        .collect::<Result<_>>()?;
    let jobs: Vec<_> = proofs
        .iter()
        .map(|(d, p)| (&manifests[d], challenges[d], p))
        .collect();
    if let Some(e) = verify_proofs(&jobs).iter().find_map(|r| r.as_ref().err()) {
        bail!("an honest proof failed: {e}");
    }
    let secs = t.elapsed().as_secs_f64();
    if proofs.len() != deals {
        bail!("{} answers for {deals} deals", proofs.len());
    }
    Ok((secs, requests))
}
