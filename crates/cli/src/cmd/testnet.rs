//! `plinth testnet init`: the files of a validator set and an oracle set on this
//! machine ([`plinth_devnet::testnet`]).

use anyhow::Result;
use clap::{Args, Subcommand};
use plinth_devnet::parse_duration;
use plinth_devnet::testnet::{self, TestnetInit};
use std::path::PathBuf;
use std::time::Duration;

/// `plinth testnet`'s subcommands.
#[derive(Subcommand)]
pub enum TestnetCmd {
    /// Write keys, a shared genesis, one `node.toml` per validator and one
    /// `oracle.toml` per oracle; run each with `plinth node --config
    /// DIR/vN/node.toml` and `plinth oracle --config DIR/oN/oracle.toml`.
    Init(InitArgs),
}

/// `plinth testnet init`'s flags.
#[derive(Args)]
pub struct InitArgs {
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Extra nodes in every address book but not in the genesis set (a proposal,
    /// or the bootstrap admin's `plinth wallet set-validators`, can make them
    /// validators).
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
    /// Oracles in the genesis oracle set (1 to 7); a manifest needs a majority of
    /// their signatures (2 of 3). Oracle N reads validator N mod V.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=7))]
    oracles: u8,
    /// Oracle N serves its HTTP API on this port + N.
    #[arg(long, default_value_t = 8800)]
    oracle_port: u16,
    /// The MQTT broker devices publish to, which every oracle reads (e.g.
    /// mqtt://127.0.0.1:1883); none unless set.
    #[arg(long)]
    mqtt: Option<String>,
    /// Overwrite an existing testnet in OUT.
    #[arg(long)]
    force: bool,
    /// Governance's deposit and voting periods (e.g. 2m), in blocks of
    /// --block-time.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    voting_period: Duration,
    /// Keep a validator-set admin key (`admin` in OUT/keystore.json) that may
    /// change the validator and oracle sets by a transaction (`plinth wallet
    /// set-validators`, `set-oracles`); without it they change by proposal only.
    #[arg(long)]
    bootstrap_admin: bool,
    /// Make a CA (OUT/tls/ca.pem) and a certificate per node and oracle: every
    /// HTTP API serves HTTPS; clients pass `--ca OUT/tls/ca.pem` (or set
    /// PLINTH_CA_FILE).
    #[arg(long)]
    tls: bool,
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
            oracles: usize::from(self.oracles),
            oracle_port: self.oracle_port,
            mqtt: self.mqtt,
            force: self.force,
            voting_period_ms: self.voting_period.as_millis() as u64,
            bootstrap_admin: self.bootstrap_admin,
            tls: self.tls,
        })?;
        let scheme = if self.tls { "https" } else { "http" };
        println!("genesis   {}", w.genesis.display());
        println!(
            "keystore  {} (funded accounts, oracles{})",
            w.keystore.display(),
            if self.bootstrap_admin { ", admin" } else { "" }
        );
        for (path, rpc) in &w.configs {
            println!(
                "run       plinth node --config {}   # rpc {scheme}://{rpc}",
                path.display()
            );
        }
        println!(
            "oracles   {} of {} sign each manifest; start them once the validators run:",
            w.threshold,
            w.oracles.len()
        );
        for (path, http) in &w.oracles {
            println!(
                "run       plinth oracle --config {}   # {scheme}://{http}/v1/status",
                path.display()
            );
        }
        if let Some(ca) = &w.ca {
            println!(
                "tls       clients trust the testnet's CA: export {}={}",
                plinth_tls::CA_ENV,
                ca.display()
            );
        }
        Ok(())
    }
}
