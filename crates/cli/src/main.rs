//! `plinth`: the one binary of a Plinth network. One subcommand per role.

mod amount;
mod bench;
mod bench_consensus;
mod bench_coverage;
mod bench_storage;
mod credits_cmd;
mod device_cmd;
mod genesis_cmd;
mod keystore;
mod oracle_cmd;
mod replay;
mod serve;
mod services;
mod storage_cmd;
mod testnet;
mod validator;
mod wallet;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use wallet::{Ctx, SendOpts};

#[derive(Parser)]
#[command(name = "plinth", version, about = "Plinth: run and use a DePIN — ledger, devices, wallet", long_about = None)]
struct Cli {
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
    /// Device keys and registration; the device agent; the fleet simulator.
    Device(DeviceArgs),
    /// Run the oracle (report ingest, epoch scoring, reward manifests), or audit
    /// an epoch.
    Oracle(OracleArgs),
    /// Storage deals: offer space, run the provider's agent, put and get files.
    Storage(StorageArgs),
    /// Re-execute a stopped node's blocks from genesis and check every state root.
    Replay {
        #[arg(long, env = "PLINTH_DATA_DIR", default_value = ".plinth/devnet")]
        data_dir: PathBuf,
    },
    /// Measure performance (release builds).
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Args)]
struct DevnetArgs {
    /// Where the chain, its genesis and its keystore live.
    #[arg(long, env = "PLINTH_DATA_DIR", default_value = ".plinth/devnet")]
    data_dir: PathBuf,
    /// Time between blocks (e.g. 1s, 500ms); the genesis's value when absent.
    #[arg(long, value_parser = serve::parse_duration)]
    block_time: Option<Duration>,
    /// Address of the HTTP API.
    #[arg(long, env = "PLINTH_RPC", default_value = "127.0.0.1:8645")]
    rpc: SocketAddr,
    /// Funded development accounts to create on first start.
    #[arg(long, default_value_t = 5)]
    accounts: usize,
    /// Length of an epoch for a new chain (e.g. 30s).
    #[arg(long, default_value = "30s", value_parser = serve::parse_duration)]
    epoch_time: Duration,
    /// Simulated devices of the fleet (0: no oracle services at all).
    #[arg(long, default_value_t = 200)]
    devices: usize,
    /// Share of the fleet that cheats, e.g. 10%.
    #[arg(long, default_value = "10%", value_parser = parse_percent)]
    cheaters: u32,
    /// Address of the oracle's HTTP API.
    #[arg(long, default_value = "127.0.0.1:8646")]
    oracle_http: SocketAddr,
    /// Address of the embedded MQTT broker.
    #[arg(long, default_value = "127.0.0.1:1883")]
    mqtt: SocketAddr,
}

/// Parses `10%` (or `10`) into basis points.
fn parse_percent(s: &str) -> Result<u32, String> {
    let n = s.trim().trim_end_matches('%');
    let v: f64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("`{s}` is not between 0% and 100%"));
    }
    Ok((v * 100.0).round() as u32)
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct OracleArgs {
    #[command(subcommand)]
    command: Option<OracleCmd>,
    /// A TOML file with `node`, `key`, `data_dir`, `http`, `mqtt`, `max_skew_ms`,
    /// `price_usd`, `peers`, `price_tolerance_bps`; flags win.
    #[arg(long, env = "PLINTH_ORACLE_CONFIG")]
    config: Option<PathBuf>,
    /// The node's HTTP API.
    #[arg(long, env = "PLINTH_NODE")]
    node: Option<String>,
    /// A keystore holding the oracle's key (named `oracle`).
    #[arg(long)]
    key: Option<PathBuf>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address of the oracle's HTTP API.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// MQTT broker to ingest from, e.g. mqtt://127.0.0.1:1883.
    #[arg(long)]
    mqtt: Option<String>,
    /// Run the price feed: post this token price in USD (e.g. 0.50) every minute,
    /// so that consumers can burn tokens for credits.
    #[arg(long)]
    price_usd: Option<String>,
    /// Another oracle of the set (its HTTP API, e.g. http://10.0.0.2:8646), asked
    /// to co-sign prices when the chain needs more than one signature; repeat for
    /// each.
    #[arg(long = "peer")]
    peers: Vec<String>,
    /// Co-sign a peer's price only within this many basis points of our own.
    #[arg(long)]
    price_tolerance_bps: Option<u32>,
}

#[derive(Subcommand)]
enum OracleCmd {
    /// Recompute an epoch from its spool batches and compare with the ledger.
    Audit {
        epoch: u64,
        #[arg(long)]
        network: String,
        #[arg(long, env = "PLINTH_NODE", default_value = "http://127.0.0.1:8645")]
        node: String,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
        /// Read batches from a local spool directory instead of the oracle.
        #[arg(long)]
        spool: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct NodeArgs {
    /// A TOML file with `genesis`, `key`, `data_dir`, `rpc`, `block_time_ms`; flags win.
    #[arg(long, env = "PLINTH_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "PLINTH_GENESIS")]
    genesis: Option<PathBuf>,
    /// A keystore file holding the validator's key (named `validator`).
    #[arg(long, env = "PLINTH_KEY")]
    key: Option<PathBuf>,
    #[arg(long, env = "PLINTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "PLINTH_RPC")]
    rpc: Option<SocketAddr>,
}

#[derive(Subcommand)]
enum TestnetCmd {
    /// Write keys, a shared genesis and one `node.toml` per validator; run each
    /// with `plinth node --config DIR/vN/node.toml`.
    Init {
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
        #[arg(long, default_value = "250ms", value_parser = serve::parse_duration)]
        block_time: Duration,
        /// Length of a reward epoch.
        #[arg(long, default_value = "60s", value_parser = serve::parse_duration)]
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
    },
}

#[derive(Subcommand)]
enum GenesisCmd {
    /// Write a commented default genesis, a validator key and funded account keys.
    Init {
        /// The genesis file to write.
        #[arg(long, default_value = "genesis.toml")]
        out: PathBuf,
        /// The keystore to put the validator's and accounts' keys in.
        #[arg(long, default_value = "keystore.json")]
        keystore: PathBuf,
        #[arg(long, default_value = "plinth-local")]
        chain_id: String,
        /// Funded accounts to create.
        #[arg(long, default_value_t = 3)]
        accounts: usize,
        /// Overwrite an existing genesis file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct Common {
    /// The keystore file.
    #[arg(
        long,
        global = true,
        env = "PLINTH_KEYSTORE",
        default_value = ".plinth/devnet/keystore.json"
    )]
    keystore: PathBuf,
    /// The node's HTTP API.
    #[arg(
        long,
        global = true,
        env = "PLINTH_NODE",
        default_value = "http://127.0.0.1:8645"
    )]
    node: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Args)]
struct Tx {
    /// The key (name or address in the keystore) that signs and pays.
    #[arg(long)]
    from: String,
    /// Fee in tokens (default: the chain's minimum).
    #[arg(long)]
    fee: Option<String>,
    /// Return once submitted instead of waiting for the block.
    #[arg(long)]
    no_wait: bool,
}

impl Tx {
    fn opts(&self) -> SendOpts {
        SendOpts {
            from: self.from.clone(),
            fee: self.fee.clone(),
            wait: !self.no_wait,
        }
    }
}

#[derive(Args)]
struct WalletArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: WalletCmd,
}

#[derive(Subcommand)]
enum WalletCmd {
    /// Create a key and add it to the keystore.
    New { name: String },
    /// List the keystore's keys.
    List,
    /// Print the address of a key.
    Address { name: String },
    /// Show free, bonded and unbonding balances.
    Balance {
        /// Key name or address.
        who: String,
        /// Fetch and verify a state proof against the block header's root.
        #[arg(long)]
        proof: bool,
    },
    /// Credits: burn tokens for them, see them, delegate them.
    #[command(subcommand)]
    Credits(CreditsCmd),
    /// The token supply, and minted, burned and net supply per reward epoch.
    Supply {
        /// Epochs to list, newest first.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Rewards of an owner's devices per epoch, claimed or not.
    Rewards {
        /// Key name or address.
        who: String,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
    },
    /// Claim the rewards of your devices (every unclaimed epoch, or one).
    Claim {
        #[command(flatten)]
        tx: Tx,
        #[arg(long)]
        epoch: Option<u64>,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
    },
    /// Send tokens.
    Transfer {
        #[command(flatten)]
        tx: Tx,
        /// Recipient: key name or address.
        to: String,
        /// Amount in tokens, e.g. 12.5.
        amount: String,
    },
    /// List transactions that touched an account.
    History {
        who: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Bond stake to a device you own or to a validator.
    Bond {
        #[command(flatten)]
        tx: Tx,
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        validator: Option<String>,
        amount: String,
    },
    /// Start unbonding stake (withdrawable after the unbonding period).
    Unbond {
        #[command(flatten)]
        tx: Tx,
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        validator: Option<String>,
        amount: String,
    },
    /// Withdraw matured unbonding stake to the free balance.
    Withdraw {
        #[command(flatten)]
        tx: Tx,
    },
    /// Replace the validator set from the next validator epoch on (the chain's
    /// validator admin only).
    SetValidators {
        #[command(flatten)]
        tx: Tx,
        /// The whole new set, each member as NAME=ADDRESS.
        #[arg(required = true)]
        members: Vec<String>,
    },
}

#[derive(Args)]
struct DeviceArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: DeviceCmd,
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Create a device key file.
    Keygen {
        #[arg(long, default_value = "device.key.json")]
        out: PathBuf,
    },
    /// Register a device to the owner (`--from`), signed by both.
    Register {
        #[command(flatten)]
        tx: Tx,
        /// The device's key file.
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        network: String,
        /// LAT,LON in degrees.
        #[arg(long, allow_hyphen_values = true)]
        location: String,
        /// H3 resolution of the stored cell.
        #[arg(long, default_value_t = 12)]
        resolution: u8,
    },
    /// Hand a device to another owner.
    Transfer {
        #[command(flatten)]
        tx: Tx,
        device: String,
        /// New owner: key name or address.
        #[arg(long)]
        to: String,
    },
    /// Assert a new location.
    #[command(alias = "move")]
    UpdateLocation {
        #[command(flatten)]
        tx: Tx,
        device: String,
        #[arg(long, allow_hyphen_values = true)]
        location: String,
        #[arg(long, default_value_t = 12)]
        resolution: u8,
    },
    /// Retire a device for good.
    Retire {
        #[command(flatten)]
        tx: Tx,
        device: String,
    },
    /// Show one device.
    Show { id: String },
    /// Run the device agent: signed reports on a schedule, answers to probes.
    Run {
        /// The device's key file.
        #[arg(long)]
        key: PathBuf,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
        /// Time between reports.
        #[arg(long, default_value = "5s", value_parser = serve::parse_duration)]
        interval: Duration,
        /// For sensor networks: the value to report (in the network's unit).
        #[arg(long, allow_hyphen_values = true)]
        value: Option<String>,
    },
    /// Simulate many devices, honest and cheating, in one process.
    Fleet {
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Share of cheaters, e.g. 10%, spread over the cheating strategies.
        #[arg(long, default_value = "10%", value_parser = parse_percent)]
        cheaters: u32,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
        /// Owners (key names in the keystore), in turn.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "alice,bob,carol,dave,erin"
        )]
        owners: Vec<String>,
        #[arg(long, default_value = "5s", value_parser = serve::parse_duration)]
        interval: Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// List devices, by owner or network.
    List {
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        network: Option<String>,
    },
}

#[derive(Subcommand)]
enum CreditsCmd {
    /// Burn tokens for credits at the oracle set's posted price (refused when the
    /// price is stale). 1 credit = $0.00001 unless the genesis says otherwise.
    Buy {
        #[command(flatten)]
        tx: Tx,
        /// Tokens to burn, e.g. 2.5.
        amount: String,
        /// Who gets the credits (key name or address); the signer by default.
        #[arg(long)]
        to: Option<String>,
    },
    /// An account's credits (own and delegated).
    Balance {
        /// Key name or address.
        who: String,
    },
    /// Give some of your own credits to another account, which may spend them but
    /// not pass them on.
    Delegate {
        #[command(flatten)]
        tx: Tx,
        /// Key name or address.
        to: String,
        /// Number of credits.
        credits: u64,
    },
}

#[derive(Args)]
struct StorageArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: StorageCmd,
}

#[derive(Subcommand)]
enum StorageCmd {
    /// Run a provider's agent: keeps deals on disk, serves them, answers the
    /// oracle's challenges; opens only deals the ledger has for this device.
    Agent {
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
    },
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
    Put {
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
    },
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

#[derive(Subcommand)]
enum BenchCmd {
    /// Reports per second accepted and made durable by the oracle over HTTP.
    Ingest {
        #[arg(long, default_value_t = 10_000)]
        devices: usize,
        #[arg(long, default_value_t = 200_000)]
        reports: usize,
        /// Reports per HTTP request.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 2)]
        clients: usize,
        #[arg(long)]
        json: bool,
    },
    /// Score one epoch of many devices and build its manifest and root.
    Epoch {
        #[arg(long, default_value_t = 1_000_000)]
        devices: usize,
        /// sensor or uptime.
        #[arg(long, default_value = "sensor")]
        family: String,
        #[arg(long)]
        json: bool,
    },
    /// Witnesses verified per second, and one coverage epoch scored with density
    /// scaling.
    Coverage {
        #[arg(long, default_value_t = 100_000)]
        hotspots: usize,
        /// Witnesses per beacon.
        #[arg(long, default_value_t = 20)]
        witnesses: usize,
        #[arg(long)]
        json: bool,
    },
    /// Finalized transfers per second and submission-to-finality latency of a
    /// validator set on loopback (all validators in this process, real p2p).
    Consensus {
        #[arg(long, default_value_t = 4)]
        validators: usize,
        #[arg(long, default_value_t = 40_000)]
        txs: usize,
        #[arg(long, default_value_t = 4_000)]
        accounts: usize,
        /// Offered load, transfers per second over all validators (0: unlimited).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Transfers per submission.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[arg(long, default_value = "250ms", value_parser = serve::parse_duration)]
        block_time: Duration,
        #[arg(long)]
        json: bool,
    },
    /// Storage proofs verified per second, and put/get throughput through a
    /// provider's agent over loopback.
    Storage {
        /// File size, MiB.
        #[arg(long, default_value_t = 256)]
        size_mb: u64,
        /// Distinct challenges answered.
        #[arg(long, default_value_t = 10_000)]
        proofs: usize,
        /// Segments per challenge.
        #[arg(long, default_value_t = 4)]
        items: usize,
        /// Times every proof is verified.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Deals of one timed oracle storage round (16 KiB each; 0: none).
        #[arg(long, default_value_t = 2_000)]
        round_deals: usize,
        /// Agents the round's deals are spread over.
        #[arg(long, default_value_t = 4)]
        round_agents: usize,
        /// Folder for the file and the agent's data (default: under the temp dir).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Committed transfers per second through the node's submission path.
    Ledger {
        #[arg(long, default_value_t = 200_000)]
        txs: usize,
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// Most transfers per block.
        #[arg(long, default_value_t = 20_000)]
        block_txs: usize,
        /// Transfers per submission (as one `POST /v1/txs/batch`).
        #[arg(long, default_value_t = 10_000)]
        submit_batch: usize,
        #[arg(long)]
        json: bool,
    },
}

fn ctx(c: &Common) -> Ctx {
    Ctx {
        keystore: c.keystore.clone(),
        node: c.node.clone(),
        json: c.json,
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// `wallet bond` and `wallet unbond`: the same target and amount, two calls.
fn stake(
    c: &Ctx,
    tx: &Tx,
    device: Option<String>,
    validator: Option<String>,
    amount: &str,
    bond: bool,
) -> Result<()> {
    let target = wallet::stake_target(c, device.as_deref(), validator.as_deref())?;
    wallet::send(c, &tx.opts(), |s| {
        let amount = amount::parse(amount, s.token.decimals)?;
        Ok(if bond {
            plinth_ledger::Call::Bond { target, amount }
        } else {
            plinth_ledger::Call::Unbond { target, amount }
        })
    })
}

/// A role's TOML config file (all fields optional), or the defaults without one.
fn load_config<T: serde::de::DeserializeOwned + Default>(
    path: Option<&std::path::Path>,
) -> Result<T> {
    let Some(p) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    toml::from_str(&text).with_context(|| format!("in {}", p.display()))
}

fn init_logging() {
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

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Devnet(a) => {
            init_logging();
            runtime()?.block_on(serve::devnet(serve::DevnetOptions {
                data_dir: a.data_dir,
                block_time: a.block_time,
                rpc: a.rpc,
                accounts: a.accounts,
                epoch_time: a.epoch_time,
                services: (a.devices > 0).then_some(services::ServicesOptions {
                    oracle_http: a.oracle_http,
                    mqtt: a.mqtt,
                    devices: a.devices,
                    cheaters_bps: a.cheaters,
                    report_interval: Duration::from_secs(5),
                }),
            }))
        }
        Command::Node(a) => {
            init_logging();
            let mut cfg: serve::NodeFileConfig = load_config(a.config.as_deref())?;
            cfg.genesis = a.genesis.or(cfg.genesis);
            cfg.key = a.key.or(cfg.key);
            cfg.data_dir = a.data_dir.or(cfg.data_dir);
            cfg.rpc = a.rpc.or(cfg.rpc);
            if cfg.consensus.is_some() {
                validator::run(cfg)
            } else {
                runtime()?.block_on(serve::node(cfg))
            }
        }
        Command::Testnet(TestnetCmd::Init {
            validators,
            spares,
            epoch_blocks,
            out,
            chain_id,
            accounts,
            block_time,
            epoch_time,
            host,
            rpc_port,
            p2p_port,
            force,
        }) => {
            let w = testnet::init(&testnet::TestnetInit {
                validators,
                spares,
                epoch_blocks,
                out,
                chain_id,
                accounts,
                block_time_ms: block_time.as_millis() as u64,
                epoch_ms: epoch_time.as_millis() as u64,
                host,
                rpc_port,
                p2p_port,
                force,
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
        Command::Genesis(GenesisCmd::Init {
            out,
            keystore,
            chain_id,
            accounts,
            force,
        }) => {
            if out.exists() && !force {
                anyhow::bail!("{} exists; pass --force to overwrite", out.display());
            }
            let setup = genesis_cmd::new_setup(&chain_id, accounts, 1000, 30_000, serve::now_ms())?;
            let mut ks = keystore::Keystore::load(&keystore)?;
            ks.add("validator", &setup.validator)?;
            ks.add("oracle", &setup.oracle)?;
            for (name, key) in &setup.accounts {
                ks.add(name, key)?;
            }
            ks.save()?;
            std::fs::write(&out, &setup.genesis_toml)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} and keys in {}", out.display(), keystore.display());
            Ok(())
        }
        Command::Wallet(w) => {
            let c = ctx(&w.common);
            match w.command {
                WalletCmd::New { name } => wallet::new_key(&c, &name),
                WalletCmd::List => wallet::list(&c),
                WalletCmd::Address { name } => wallet::address(&c, &name),
                WalletCmd::Balance { who, proof } => wallet::balance(&c, &who, proof),
                WalletCmd::Rewards { who, oracle } => oracle_cmd::rewards(&c, &who, &oracle),
                WalletCmd::Credits(CreditsCmd::Buy { tx, amount, to }) => {
                    credits_cmd::buy(&c, &tx.opts(), &amount, to.as_deref())
                }
                WalletCmd::Credits(CreditsCmd::Balance { who }) => credits_cmd::balance(&c, &who),
                WalletCmd::Credits(CreditsCmd::Delegate { tx, to, credits }) => {
                    credits_cmd::delegate(&c, &tx.opts(), &to, credits)
                }
                WalletCmd::Supply { limit } => credits_cmd::supply(&c, limit),
                WalletCmd::Claim { tx, epoch, oracle } => {
                    oracle_cmd::claim(&c, &tx.opts(), &oracle, epoch)
                }
                WalletCmd::Transfer { tx, to, amount } => {
                    wallet::transfer(&c, &tx.opts(), &to, &amount)
                }
                WalletCmd::History { who, limit } => wallet::history(&c, &who, limit),
                WalletCmd::Bond {
                    tx,
                    device,
                    validator,
                    amount,
                } => stake(&c, &tx, device, validator, &amount, true),
                WalletCmd::Unbond {
                    tx,
                    device,
                    validator,
                    amount,
                } => stake(&c, &tx, device, validator, &amount, false),
                WalletCmd::Withdraw { tx } => {
                    wallet::send(&c, &tx.opts(), |_| Ok(plinth_ledger::Call::Withdraw))
                }
                WalletCmd::SetValidators { tx, members } => {
                    wallet::set_validators(&c, &tx.opts(), &members)
                }
            }
        }
        Command::Device(d) => {
            let c = ctx(&d.common);
            match d.command {
                DeviceCmd::Keygen { out } => wallet::device_keygen(&c, &out),
                DeviceCmd::Register {
                    tx,
                    key,
                    network,
                    location,
                    resolution,
                } => wallet::device_register(&c, &tx.opts(), &key, &network, &location, resolution),
                DeviceCmd::Transfer { tx, device, to } => {
                    let device: plinth_core::DeviceId = device.parse()?;
                    let new_owner = c.keystore()?.resolve(&to)?;
                    wallet::send(&c, &tx.opts(), |_| {
                        Ok(plinth_ledger::Call::TransferDevice { device, new_owner })
                    })
                }
                DeviceCmd::UpdateLocation {
                    tx,
                    device,
                    location,
                    resolution,
                } => {
                    let device: plinth_core::DeviceId = device.parse()?;
                    let location = wallet::parse_location(&location, resolution)?;
                    wallet::send(&c, &tx.opts(), |_| {
                        Ok(plinth_ledger::Call::UpdateLocation { device, location })
                    })
                }
                DeviceCmd::Retire { tx, device } => {
                    let device: plinth_core::DeviceId = device.parse()?;
                    wallet::send(&c, &tx.opts(), |_| {
                        Ok(plinth_ledger::Call::RetireDevice { device })
                    })
                }
                DeviceCmd::Show { id } => wallet::device_show(&c, &id),
                DeviceCmd::Run {
                    key,
                    oracle,
                    interval,
                    value,
                } => {
                    init_logging();
                    device_cmd::run(&c, &key, &oracle, interval, value.as_deref())
                }
                DeviceCmd::Fleet {
                    count,
                    cheaters,
                    oracle,
                    owners,
                    interval,
                    seed,
                } => {
                    init_logging();
                    device_cmd::fleet(&c, count, cheaters, &oracle, &owners, interval, seed)
                }
                DeviceCmd::List { owner, network } => {
                    wallet::device_list(&c, owner.as_deref(), network.as_deref())
                }
            }
        }
        Command::Oracle(o) => match o.command {
            Some(OracleCmd::Audit {
                epoch,
                network,
                node,
                oracle,
                spool,
                json,
            }) => oracle_cmd::audit(&node, &oracle, &network, epoch, spool, json),
            None => {
                init_logging();
                let mut cfg: oracle_cmd::OracleFileConfig = load_config(o.config.as_deref())?;
                cfg.node = o.node.or(cfg.node);
                cfg.key = o.key.or(cfg.key);
                cfg.data_dir = o.data_dir.or(cfg.data_dir);
                cfg.http = o.http.or(cfg.http);
                cfg.mqtt = o.mqtt.or(cfg.mqtt);
                cfg.price_usd = o.price_usd.or(cfg.price_usd);
                if !o.peers.is_empty() {
                    cfg.peers = o.peers;
                }
                cfg.price_tolerance_bps = o.price_tolerance_bps.or(cfg.price_tolerance_bps);
                runtime()?.block_on(oracle_cmd::run(cfg))
            }
        },
        Command::Storage(st) => {
            let c = ctx(&st.common);
            match st.command {
                StorageCmd::Agent {
                    key,
                    data_dir,
                    listen,
                    behaviour,
                    capacity,
                } => {
                    init_logging();
                    storage_cmd::agent(
                        &c,
                        storage_cmd::AgentOpts {
                            key,
                            data_dir,
                            listen,
                            behaviour,
                            capacity,
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
                StorageCmd::Put {
                    file,
                    provider,
                    epochs,
                    from,
                    fee,
                    chunk_size,
                    deal,
                } => storage_cmd::put(
                    &c,
                    &storage_cmd::PutOpts {
                        file,
                        provider,
                        epochs,
                        chunk_size: u32::try_from(chunk_size)
                            .context("--chunk-size is at most 4MiB")?,
                        deal,
                        from,
                        fee,
                    },
                ),
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
        Command::Replay { data_dir } => {
            let r = replay::replay(&data_dir)?;
            println!(
                "replayed {} blocks ({} transactions): state root {} matches",
                r.height, r.txs, r.state_root
            );
            Ok(())
        }
        Command::Bench(BenchCmd::Ingest {
            devices,
            reports,
            batch,
            clients,
            json,
        }) => runtime()?.block_on(bench::ingest(bench::IngestBench {
            devices,
            reports,
            batch,
            clients,
            json,
        })),
        Command::Bench(BenchCmd::Epoch {
            devices,
            family,
            json,
        }) => bench::epoch(bench::EpochBench {
            devices,
            family,
            json,
        }),
        Command::Bench(BenchCmd::Coverage {
            hotspots,
            witnesses,
            json,
        }) => bench_coverage::run(bench_coverage::CoverageBench {
            hotspots,
            witnesses,
            json,
        }),
        Command::Bench(BenchCmd::Consensus {
            validators,
            txs,
            accounts,
            rate,
            batch,
            block_time,
            json,
        }) => bench_consensus::consensus(bench_consensus::ConsensusBench {
            validators,
            txs,
            accounts,
            rate,
            batch,
            block_time,
            json,
        }),
        Command::Bench(BenchCmd::Storage {
            size_mb,
            proofs,
            items,
            rounds,
            round_deals,
            round_agents,
            dir,
            json,
        }) => bench_storage::run(bench_storage::StorageBench {
            size_mb,
            proofs,
            items,
            rounds,
            round_deals,
            round_agents,
            dir,
            json,
        }),
        Command::Bench(BenchCmd::Ledger {
            txs,
            accounts,
            block_txs,
            submit_batch,
            json,
        }) => runtime()?.block_on(bench::ledger(bench::LedgerBench {
            txs,
            accounts,
            block_txs,
            submit_batch,
            json,
        })),
    }
}
