//! `plinth testnet init`: the files of a validator set on this machine
//! ([`plinth_devnet::testnet`]).

use anyhow::Result;
use clap::{Args, Subcommand};
use plinth_devnet::parse_duration;
use plinth_devnet::testnet::{self, TestnetInit};
use std::path::PathBuf;
use std::time::Duration;

/// `plinth testnet`'s subcommands.
#[derive(Subcommand)]
pub enum TestnetCmd {
    /// Write keys, a shared genesis and one `node.toml` per validator; run each
    /// with `plinth node --config DIR/vN/node.toml`.
    Init(InitArgs),
}

/// `plinth testnet init`'s flags.
#[derive(Args)]
pub struct InitArgs {
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Extra nodes in every address book but not in the genesis set (the admin
    /// can make them validators with `plinth wallet set-validators`).
    #[arg(long, default_value_t = 0)]
    spares: usize,
    /// Blocks per validator epoch; set changes take effect at the next one.
    #[arg(long, default_value_t = 1000)]
    epoch_blocks: u64,
    /// The directory to write.
    #[arg(long, default_value = ".plinth/testnet")]
    out: PathBuf,
    #[arg(long, default_value = "plinth-testnet")]
    chain_id: String,
    /// Funded accounts to create (in OUT/keystore.json, with the oracle key).
    #[arg(long, default_value_t = 5)]
    accounts: usize,
    /// Time between blocks.
    #[arg(long, default_value = "250ms", value_parser = parse_duration)]
    block_time: Duration,
    /// Length of a reward epoch.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    epoch_time: Duration,
    /// Address the validators listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Validator N serves its HTTP API on this port + N.
    #[arg(long, default_value_t = 8700)]
    rpc_port: u16,
    /// Validator N listens for peers on this port + N.
    #[arg(long, default_value_t = 9700)]
    p2p_port: u16,
    /// Overwrite an existing testnet in OUT.
    #[arg(long)]
    force: bool,
}

impl TestnetCmd {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            TestnetCmd::Init(a) => a.run(),
        }
    }
}

impl InitArgs {
    /// Writes the testnet's files and says how to run each node.
    pub fn run(self) -> Result<()> {
        let w = testnet::init(&TestnetInit {
            validators: self.validators,
            spares: self.spares,
            epoch_blocks: self.epoch_blocks,
            out: self.out,
            chain_id: self.chain_id,
            accounts: self.accounts,
            block_time_ms: self.block_time.as_millis() as u64,
            epoch_ms: self.epoch_time.as_millis() as u64,
            host: self.host,
            rpc_port: self.rpc_port,
            p2p_port: self.p2p_port,
            force: self.force,
        })?;
        println!("genesis   {}", w.genesis.display());
        println!(
            "keystore  {} (funded accounts, oracle)",
            w.keystore.display()
        );
        for (path, rpc) in &w.configs {
            println!(
                "run       plinth node --config {}   # rpc http://{rpc}",
                path.display()
            );
        }
        Ok(())
    }
}
