//! `plinth devnet`: a whole one-validator network on this machine, with one
//! oracle or several ([`plinth_devnet::devnet`]).

use super::parse_percent;
use anyhow::Result;
use clap::Args;
use plinth_devnet::services::ServicesOptions;
use plinth_devnet::{parse_duration, DevnetOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `plinth devnet`'s flags.
#[derive(Args)]
pub struct DevnetArgs {
    /// Where the chain, its genesis and its keystore live.
    #[arg(long, env = "PLINTH_DATA_DIR", default_value = ".plinth/devnet")]
    data_dir: PathBuf,
    /// Time between blocks (e.g. 1s, 500ms); the genesis's value when absent.
    #[arg(long, value_parser = parse_duration)]
    block_time: Option<Duration>,
    /// Address of the HTTP API.
    #[arg(long, env = "PLINTH_RPC", default_value = "127.0.0.1:8645")]
    rpc: SocketAddr,
    /// Funded development accounts to create on first start.
    #[arg(long, default_value_t = 5)]
    accounts: usize,
    /// Oracles of a new chain (1 to 7), each with its own key, data dir and HTTP
    /// port (--oracle-http's port + i), peers of each other; a manifest needs a
    /// majority of their signatures (2 of 3). A new chain has 1 unless set; a
    /// resumed one runs the oracles it was made with.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
    oracles: Option<u8>,
    /// Length of an epoch for a new chain (e.g. 30s).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    epoch_time: Duration,
    /// Simulated devices of the fleet (0: no oracle services at all).
    #[arg(long, default_value_t = 200)]
    devices: usize,
    /// Share of the fleet that cheats, e.g. 10%.
    #[arg(long, default_value = "10%", value_parser = parse_percent)]
    cheaters: u32,
    /// Address of the (first) oracle's HTTP API; oracle i listens on its port + i.
    #[arg(long, default_value = "127.0.0.1:8646")]
    oracle_http: SocketAddr,
    /// Address of the embedded MQTT broker.
    #[arg(long, default_value = "127.0.0.1:1883")]
    mqtt: SocketAddr,
}

impl DevnetArgs {
    /// Runs the devnet until SIGINT/SIGTERM.
    pub fn run(self) -> Result<()> {
        crate::init_logging();
        let opts = DevnetOptions {
            data_dir: self.data_dir,
            block_time: self.block_time,
            rpc: self.rpc,
            accounts: self.accounts,
            oracles: self.oracles.map(usize::from),
            epoch_time: self.epoch_time,
            services: (self.devices > 0).then_some(ServicesOptions {
                oracle_http: self.oracle_http,
                mqtt: self.mqtt,
                devices: self.devices,
                cheaters_bps: self.cheaters,
                report_interval: Duration::from_secs(5),
            }),
            known_upgrades: crate::known_upgrades(),
        };
        crate::runtime()?.block_on(plinth_devnet::devnet::run(opts))
    }
}
