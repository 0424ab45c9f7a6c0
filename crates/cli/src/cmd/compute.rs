//! `plinth compute`: the compute market (offers, orders, bids, leases), verified
//! jobs, the provider's agent and the demo renderer (the work is in
//! [`crate::compute_cmd`] and `plinth-compute`).

use super::{parse_percent, Common, Tx};
use crate::compute_cmd::{self, JobArgs, OfferArgs, OrderArgs, RenderArgs};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `plinth compute`'s flags and subcommand.
#[derive(Args)]
pub struct ComputeArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: ComputeCmd,
}

/// `plinth compute`'s subcommands.
#[derive(Subcommand)]
pub enum ComputeCmd {
    /// Run a provider's agent: claims tasks of open jobs, runs them, commits and
    /// reveals their results, serves the outputs and answers capacity checks.
    Agent(AgentArgs),
    /// Offer a compute device (signed by its owner): endpoint, attributes, prices,
    /// collateral, and a deposit into its collateral pool.
    Offer(OfferArgs),
    /// List providers' offers with their reputation.
    Offers {
        #[arg(long)]
        network: Option<String>,
    },
    /// Post an order for capacity: requirements, the most you pay per block, the
    /// duration and the escrow deposit.
    Order(OrderArgs),
    /// Bid on an order with a provider device (signed by its owner).
    Bid {
        #[command(flatten)]
        tx: Tx,
        /// The order id.
        #[arg(long)]
        order: String,
        /// The provider device: id or key file.
        #[arg(long)]
        device: String,
        /// Credits per block.
        #[arg(long)]
        price: u64,
        /// Tokens held with the bid until it ends.
        #[arg(long, default_value = "0")]
        deposit: String,
        /// Blocks the bid stays open.
        #[arg(long, default_value_t = 100)]
        expires_in: u64,
    },
    /// Accept a bid (the order's consumer): makes the lease.
    Accept {
        #[command(flatten)]
        tx: Tx,
        #[arg(long)]
        order: String,
        /// The bidding device.
        #[arg(long)]
        device: String,
    },
    /// Show a lease as settled now, or list leases.
    Lease {
        /// The lease id; without it, a list.
        id: Option<String>,
        #[arg(long)]
        network: Option<String>,
        /// Device id or key file.
        #[arg(long)]
        provider: Option<String>,
        /// Key name or address.
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Close a lease (its consumer or provider; anyone once it ran dry or out).
    Close {
        #[command(flatten)]
        tx: Tx,
        /// The lease id.
        lease: String,
    },
    /// Run a job of any module: upload it, create the job, follow it, fetch and
    /// check every output.
    Job(JobArgs),
    /// Render a scene with the demo path tracer on the network's providers,
    /// verified, into a PNG.
    Render(RenderArgs),
    /// Show a job, claim, lease or order by id.
    Show { id: String },
}

/// `plinth compute agent`'s flags.
#[derive(Args)]
pub struct AgentArgs {
    /// The device's owner (key name or address in the keystore): signs claims,
    /// commitments and reveals.
    #[arg(long)]
    pub from: String,
    /// The provider device: id or key file.
    #[arg(long)]
    pub device: String,
    /// The compute network.
    #[arg(long, default_value = "compute")]
    pub network: String,
    /// Where the agent keeps its claims and outputs.
    #[arg(long, default_value = ".plinth/compute")]
    pub data_dir: PathBuf,
    /// Address to listen on (the offer's endpoint must reach it).
    #[arg(long, default_value = "127.0.0.1:8660")]
    pub listen: SocketAddr,
    /// honest, garbage, copier or skipper:PERCENT: the cheaters the oracle set
    /// must catch.
    #[arg(long, default_value = "honest")]
    pub behaviour: plinth_compute::Behaviour,
    /// Most tasks per claim.
    #[arg(long, default_value_t = 4)]
    pub tasks_per_claim: u32,
    /// Milliseconds between looks at the ledger.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
}

impl ComputeArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            ComputeCmd::Agent(a) => {
                crate::init_logging();
                compute_cmd::agent(&c, a)
            }
            ComputeCmd::Offer(o) => compute_cmd::offer(&c, o),
            ComputeCmd::Offers { network } => compute_cmd::offers(&c, network.as_deref()),
            ComputeCmd::Order(o) => compute_cmd::order(&c, o),
            ComputeCmd::Bid {
                tx,
                order,
                device,
                price,
                deposit,
                expires_in,
            } => compute_cmd::bid(&c, &tx.opts(), &order, &device, price, &deposit, expires_in),
            ComputeCmd::Accept { tx, order, device } => {
                compute_cmd::accept(&c, &tx.opts(), &order, &device)
            }
            ComputeCmd::Lease {
                id,
                network,
                provider,
                consumer,
            } => compute_cmd::lease(
                &c,
                id.as_deref(),
                network.as_deref(),
                provider.as_deref(),
                consumer.as_deref(),
            ),
            ComputeCmd::Close { tx, lease } => compute_cmd::close(&c, &tx.opts(), &lease),
            ComputeCmd::Job(j) => compute_cmd::job(&c, j),
            ComputeCmd::Render(r) => compute_cmd::render(&c, r),
            ComputeCmd::Show { id } => compute_cmd::show(&c, &id),
        }
    }
}

/// Parses a spot-check rate: `10%` → 1000 basis points.
pub fn parse_rate(s: &str) -> Result<u32, String> {
    parse_percent(s)
}
