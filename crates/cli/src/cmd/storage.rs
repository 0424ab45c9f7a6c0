//! `plinth storage`: offer space, run the provider's agent, put and get files,
//! follow deals (the work is in [`crate::storage_cmd`]).

use super::{Common, Tx};
use crate::storage_cmd::{self, AgentOpts, PutOpts};
use crate::wallet::Ctx;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `plinth storage`'s flags and subcommand.
#[derive(Args)]
pub struct StorageArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: StorageCmd,
}

/// `plinth storage`'s subcommands.
#[derive(Subcommand)]
pub enum StorageCmd {
    /// Run a provider's agent: keeps deals on disk, serves them, answers the
    /// oracle's challenges; opens only deals the ledger has for this device.
    Agent(AgentArgs),
    /// Offer a storage device's space (signed by its owner): the agent's endpoint,
    /// the price, the collateral per MiB, and a deposit into its collateral pool.
    Offer {
        #[command(flatten)]
        tx: Tx,
        /// The provider device: its id or its key file.
        #[arg(long)]
        device: String,
        /// Where its agent listens, e.g. http://203.0.113.7:8650.
        #[arg(long)]
        endpoint: String,
        /// Credits per started MiB per epoch.
        #[arg(long)]
        price: u64,
        /// Tokens each deal locks per started MiB, slashed to the consumer when the
        /// provider fails its challenges.
        #[arg(long)]
        collateral: String,
        /// Tokens to add to the collateral pool.
        #[arg(long, default_value = "0")]
        deposit: String,
    },
    /// Store a file with a provider: open a deal on the ledger (credits escrowed),
    /// then upload it to the provider's agent.
    Put(PutArgs),
    /// Download a deal's file from its provider, every chunk checked against the
    /// deal's root.
    Get {
        deal: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// List deals of a consumer, of a provider, or a network's active deals.
    Deals {
        /// Key name or address.
        #[arg(long)]
        consumer: Option<String>,
        /// Device id or key file.
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        network: Option<String>,
    },
    /// Show one deal: status, epochs proven and failed, escrow, collateral.
    Show { deal: String },
    /// List providers' offers.
    Offers {
        #[arg(long)]
        network: Option<String>,
    },
    /// Take free collateral of a provider device back to its owner.
    Withdraw {
        #[command(flatten)]
        tx: Tx,
        /// Device id or key file.
        #[arg(long)]
        device: String,
        /// Tokens, e.g. 100.
        #[arg(long)]
        amount: String,
    },
    /// Close a deal whose last epoch passed a whole epoch ago without being
    /// settled (its oracles were down): the escrow goes back to the consumer, the
    /// collateral to the provider. Anyone may send it.
    Close {
        #[command(flatten)]
        tx: Tx,
        /// The deal id.
        deal: String,
    },
}

/// `plinth storage agent`'s flags.
#[derive(Args)]
pub struct AgentArgs {
    /// The provider device's key file.
    #[arg(long)]
    key: PathBuf,
    /// Where the agent keeps its deals.
    #[arg(long, default_value = ".plinth/storage")]
    data_dir: PathBuf,
    /// Address to listen on (the offer's endpoint must reach it).
    #[arg(long, default_value = "127.0.0.1:8650")]
    listen: SocketAddr,
    /// honest, drop:PERCENT (acknowledges chunks it does not keep), hashes-only
    /// (keeps hashes, not data) or offline: the cheaters the oracle must catch.
    #[arg(long, default_value = "honest", value_parser = storage_cmd::parse_behaviour)]
    behaviour: plinth_storage::agent::Behaviour,
    /// Most bytes of deals to take on, e.g. 10GiB.
    #[arg(long, default_value = "1TiB", value_parser = storage_cmd::parse_bytes)]
    capacity: u64,
}

/// `plinth storage put`'s flags.
#[derive(Args)]
pub struct PutArgs {
    file: PathBuf,
    /// The provider device (id or key file).
    #[arg(long, required_unless_present = "deal")]
    provider: Option<String>,
    /// Epochs to keep the file.
    #[arg(long, required_unless_present = "deal")]
    epochs: Option<u64>,
    /// The consumer who pays (key name or address in the keystore).
    #[arg(long, required_unless_present = "deal")]
    from: Option<String>,
    /// Fee in tokens (default: the chain's minimum).
    #[arg(long)]
    fee: Option<String>,
    /// Transfer chunk size in bytes (a power of two, 1KiB to 4MiB).
    #[arg(long, default_value = "256KiB", value_parser = storage_cmd::parse_bytes)]
    chunk_size: u64,
    /// Resume the upload of a deal already on the ledger.
    #[arg(long, conflicts_with_all = ["provider", "epochs"])]
    deal: Option<String>,
}

impl StorageArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            StorageCmd::Agent(a) => {
                crate::init_logging();
                storage_cmd::agent(
                    &c,
                    AgentOpts {
                        key: a.key,
                        data_dir: a.data_dir,
                        listen: a.listen,
                        behaviour: a.behaviour,
                        capacity: a.capacity,
                    },
                )
            }
            StorageCmd::Offer {
                tx,
                device,
                endpoint,
                price,
                collateral,
                deposit,
            } => storage_cmd::offer(
                &c,
                &tx.opts(),
                &device,
                &endpoint,
                price,
                &collateral,
                &deposit,
            ),
            StorageCmd::Put(p) => p.run(&c),
            StorageCmd::Get { deal, out } => storage_cmd::get(&c, &deal, &out),
            StorageCmd::Deals {
                consumer,
                provider,
                network,
            } => storage_cmd::deals(
                &c,
                consumer.as_deref(),
                provider.as_deref(),
                network.as_deref(),
            ),
            StorageCmd::Show { deal } => storage_cmd::show(&c, &deal),
            StorageCmd::Offers { network } => storage_cmd::offers(&c, network.as_deref()),
            StorageCmd::Withdraw { tx, device, amount } => {
                storage_cmd::withdraw(&c, &tx.opts(), &device, &amount)
            }
            StorageCmd::Close { tx, deal } => storage_cmd::close(&c, &tx.opts(), &deal),
        }
    }
}

impl PutArgs {
    /// Opens the deal (unless resuming one) and uploads the file.
    fn run(self, c: &Ctx) -> Result<()> {
        let opts = PutOpts {
            file: self.file,
            provider: self.provider,
            epochs: self.epochs,
            chunk_size: u32::try_from(self.chunk_size).context("--chunk-size is at most 4MiB")?,
            deal: self.deal,
            from: self.from,
            fee: self.fee,
        };
        storage_cmd::put(c, &opts)
    }
}
