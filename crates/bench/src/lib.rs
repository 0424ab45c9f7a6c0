//! Plinth's benchmarks, run as `plinth bench …` (build with `--release`): each
//! measures one path of the stack the way production runs it, and prints a
//! table or, with `--json`, one JSON object (the numbers in `BENCHMARKS.md`).
//!
//! - [`ledger`]: committed transfers per second through a node's submission path.
//! - [`ingest`]: reports per second the oracle accepts and makes durable over HTTP.
//! - [`epoch`]: one epoch of many devices scored, split and committed to a root;
//!   [`epoch::cosign`]: what a co-signer of its manifest adds (`--cosign`).
//! - [`coverage`]: witnesses verified per second, and a coverage epoch scored.
//! - [`consensus`]: finalized transfers per second and latency of a validator set.
//! - [`storage`]: storage proofs verified per second, put/get and a storage round.
//! - [`governance`]: governance locks and votes per second, and the tally block of
//!   a vote by every account.
//! - [`compute`]: tasks verified per second by re-execution and the overhead of spot
//!   checks, blocks with 100,000 open leases, and cheating's expected value.
//! - [`energy`]: a zone interval of 100,000 orders cleared, 1,000,000 meters'
//!   readings taken and their interval settled.
//!
//! [`BenchCmd`] is the command line (clap); [`run`] runs one benchmark.

#![warn(missing_docs)]

pub mod compute;
pub mod consensus;
pub mod coverage;
pub mod energy;
pub mod epoch;
pub mod governance;
pub mod ingest;
pub mod ledger;
pub mod storage;

use anyhow::Result;
use plinth_core::Keypair;

/// `plinth bench`: one subcommand per benchmark.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCmd {
    /// Reports per second accepted and made durable by the oracle over HTTP.
    Ingest(ingest::IngestBench),
    /// Score one epoch of many devices and build its manifest and root.
    Epoch(epoch::EpochBench),
    /// Witnesses verified per second, and one coverage epoch scored with density
    /// scaling.
    Coverage(coverage::CoverageBench),
    /// Finalized transfers per second and submission-to-finality latency of a
    /// validator set on loopback (all validators in this process, real p2p).
    Consensus(consensus::ConsensusBench),
    /// Storage proofs verified per second, and put/get throughput through a
    /// provider's agent over loopback.
    Storage(storage::StorageBench),
    /// Committed transfers per second through the node's submission path.
    Ledger(ledger::LedgerBench),
    /// Governance locks and votes per second, and the tally block of a proposal
    /// every account voted on.
    Governance(governance::GovernanceBench),
    /// Compute: tasks verified per second, spot-check overhead, lease settlement
    /// with 100,000 open leases, and whether cheating pays.
    #[command(subcommand)]
    Compute(compute::ComputeBench),
    /// Energy: a zone interval of 100,000 orders cleared, 1,000,000 meters'
    /// readings taken and their interval settled.
    Energy(energy::EnergyBench),
}

/// Runs one benchmark and prints its result.
pub fn run(cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Ingest(b) => plinth_devnet::node::runtime()?.block_on(ingest::run(b)),
        BenchCmd::Epoch(b) => epoch::run(b),
        BenchCmd::Coverage(b) => coverage::run(b),
        BenchCmd::Consensus(b) => consensus::run(b),
        BenchCmd::Storage(b) => storage::run(b),
        BenchCmd::Ledger(b) => plinth_devnet::node::runtime()?.block_on(ledger::run(b)),
        BenchCmd::Governance(b) => governance::run(b),
        BenchCmd::Compute(b) => compute::run(b),
        BenchCmd::Energy(b) => energy::run(b),
    }
}

/// A benchmark's deterministic key: number `i` of the set `tag`.
pub(crate) fn key(tag: u8, i: usize) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    seed[8] = tag;
    Keypair::from_seed(seed)
}

/// This process's peak resident memory so far, MiB (Linux; `None` elsewhere).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
