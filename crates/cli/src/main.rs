//! `plinth`: the one binary of a Plinth network. One subcommand per role.
//!
//! [`cmd`] holds the command line (one module per command: its clap arguments and
//! its handler); the modules beside it are the node's, the oracle's and the
//! storage agent's clients. Running a node, the devnet and the testnet's files
//! live in `plinth-devnet`, the benchmarks in `plinth-bench`.
//!
//! The binary knows the software upgrades in [`KNOWN_UPGRADES`] (and, built with
//! the `upgrade-test` feature, [`TEST_UPGRADE`]): a node stops before the height
//! of a planned upgrade it does not know and exits with
//! [`plinth_node::upgrade::EXIT_CODE`].

mod amount;
mod cmd;
mod compute_cmd;
mod credits_cmd;
mod device_cmd;
mod gov_actions;
mod gov_cmd;
mod oracle_cmd;
mod replay;
mod storage_cmd;
mod wallet;

use anyhow::Result;
use clap::{Parser, Subcommand};
use cmd::compute::ComputeArgs;
use cmd::device::DeviceArgs;
use cmd::devnet::DevnetArgs;
use cmd::genesis::GenesisCmd;
use cmd::gov::GovArgs;
use cmd::maker::MakerArgs;
use cmd::node::NodeArgs;
use cmd::oracle::OracleArgs;
use cmd::storage::StorageArgs;
use cmd::testnet::TestnetCmd;
use cmd::wallet::WalletArgs;
use cmd::ReplayArgs;
use plinth_bench::BenchCmd;

// The keystore is the devnet's (it writes the funded accounts' keys).
use plinth_devnet::keystore;
pub(crate) use plinth_devnet::node::runtime;

#[derive(Parser)]
#[command(name = "plinth", version, about = "Plinth: run and use a DePIN — ledger, devices, wallet", long_about = None)]
struct Cli {
    /// A PEM file of CA certificates to trust for `https://` URLs (and the
    /// oracle's `mqtts://` broker) beside the web's public roots, e.g. the
    /// `tls/ca.pem` that `plinth testnet init --tls` writes.
    #[arg(long, global = true, env = plinth_tls::CA_ENV, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole one-validator network on this machine.
    Devnet(DevnetArgs),
    /// Run a validator node from a genesis file and a key (alone, or as a member
    /// of a validator set when its config has a `[consensus]` section).
    Node(NodeArgs),
    /// Create the files of a validator set on this machine.
    #[command(subcommand)]
    Testnet(TestnetCmd),
    /// Create genesis files.
    #[command(subcommand)]
    Genesis(GenesisCmd),
    /// Keys, balances, transfers and staking.
    Wallet(WalletArgs),
    /// Governance: lock tokens for voting power, delegate, propose, vote.
    Gov(GovArgs),
    /// Device keys and registration; the device agent; the fleet simulator.
    Device(DeviceArgs),
    /// A device maker's tools: sign device keys at manufacture.
    Maker(MakerArgs),
    /// Run the oracle (report ingest, epoch scoring, reward manifests), or audit
    /// an epoch.
    Oracle(OracleArgs),
    /// Storage deals: offer space, run the provider's agent, put and get files.
    Storage(StorageArgs),
    /// Compute: offer capacity, order and lease it, run verified jobs (the demo
    /// renderer among them), run the provider's agent.
    Compute(ComputeArgs),
    /// Bursts: credits on a hex of a custom family's network (mapping), earned by
    /// the devices that map it by a deadline, refunded otherwise.
    Burst(cmd::burst::BurstArgs),
    /// Energy: meters, bids and offers of a local market cleared per zone and
    /// interval, settlements against the meters, certificates.
    Energy(cmd::energy::EnergyArgs),
    /// Custom (`wasm`) proof families: run a module over recorded epochs, put a
    /// module on the ledger and print the hash a network names.
    #[command(subcommand)]
    Family(cmd::family::FamilyCmd),
    /// Re-execute a stopped node's blocks from genesis and check every state root.
    Replay(ReplayArgs),
    /// Measure performance (release builds).
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Simulate a network's token economy years ahead over the ledger's own
    /// code: Monte Carlo runs, sweeps, percentiles per epoch.
    Sim(cmd::sim::SimArgs),
}

/// The software upgrades this binary knows: a planned upgrade of one of these
/// names does not stop its node (see `plinth_node::upgrade`). A release that
/// handles an upgrade adds its name here.
const KNOWN_UPGRADES: &[&str] = &[];

/// The upgrade the `upgrade-test` build knows beside [`KNOWN_UPGRADES`]: the
/// end-to-end test plans it and continues the chain with that build.
#[cfg_attr(not(feature = "upgrade-test"), allow(dead_code))]
const TEST_UPGRADE: &str = "plinth-upgrade-test";

/// [`KNOWN_UPGRADES`], with [`TEST_UPGRADE`] in the `upgrade-test` build.
pub(crate) fn known_upgrades() -> Vec<String> {
    let mut known: Vec<String> = KNOWN_UPGRADES.iter().map(|s| s.to_string()).collect();
    if cfg!(feature = "upgrade-test") {
        known.push(TEST_UPGRADE.to_string());
    }
    known
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        // A node that stopped for an upgrade it does not know says so by its code.
        let upgrade = e
            .chain()
            .any(|c| c.is::<plinth_node::upgrade::UpgradeNeeded>());
        std::process::exit(if upgrade {
            plinth_node::upgrade::EXIT_CODE
        } else {
            1
        });
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    if let Some(ca) = &cli.ca {
        anyhow::Context::context(plinth_tls::add_ca_file(ca), "--ca (PLINTH_CA_FILE)")?;
    }
    match cli.command {
        Command::Devnet(a) => a.run(),
        Command::Node(a) => a.run(),
        Command::Testnet(c) => c.run(),
        Command::Genesis(c) => c.run(),
        Command::Wallet(a) => a.run(),
        Command::Gov(a) => a.run(),
        Command::Device(a) => a.run(),
        Command::Maker(a) => a.run(),
        Command::Oracle(a) => a.run(),
        Command::Storage(a) => a.run(),
        Command::Compute(a) => a.run(),
        Command::Burst(a) => a.run(),
        Command::Energy(a) => a.run(),
        Command::Family(c) => c.run(),
        Command::Replay(a) => a.run(),
        Command::Bench(c) => plinth_bench::run(c),
        Command::Sim(a) => a.run(),
    }
}

/// Logs to stderr: Plinth at INFO, dependencies at WARN (see the comment).
pub(crate) fn init_logging() {
    // Plinth's own crates log at INFO; dependencies (the MQTT broker, hyper, the
    // consensus engine) only at WARN, so a newcomer's terminal shows what Plinth
    // does. `RUST_LOG` overrides both. Colour only on a terminal.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,plinth=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every subcommand's flags are well formed: no flag defined twice (two
    /// flattened groups both naming `--from` once made `energy offer` panic),
    /// no `requires` naming a flag that does not exist.
    #[test]
    fn every_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
