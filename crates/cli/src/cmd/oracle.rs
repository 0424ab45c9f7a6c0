//! `plinth oracle`: run the oracle, or audit an epoch (the work is in
//! [`crate::oracle_cmd`]).

use crate::oracle_cmd::{self, OracleFileConfig};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `plinth oracle`'s flags (over its config file), or a subcommand.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct OracleArgs {
    #[command(subcommand)]
    command: Option<OracleCmd>,
    /// A TOML file with `node`, `key`, `passphrase_file`, `data_dir`, `http`,
    /// `mqtt`, `max_skew_ms`, `price_usd`, `peers`, `price_tolerance_bps`, `close_grace_ms`,
    /// `exchange_interval_ms`, `propose_after_ms`, `proposal_timeout_ms`,
    /// `adversary`, `ca`, `[tls]`; flags win.
    #[arg(long, env = "PLINTH_ORACLE_CONFIG")]
    config: Option<PathBuf>,
    /// The node's HTTP API.
    #[arg(long, env = "PLINTH_NODE")]
    node: Option<String>,
    /// A keystore holding the oracle's key (named `oracle`).
    #[arg(long)]
    key: Option<PathBuf>,
    /// A file holding the key's keystore passphrase when it is encrypted (e.g. a
    /// systemd credential); else `PLINTH_PASSPHRASE` or the terminal.
    #[arg(long, env = "PLINTH_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address of the oracle's HTTP API.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// MQTT broker to ingest from, e.g. mqtt://127.0.0.1:1883, or
    /// mqtts://broker.example:8883 over TLS (checked against the web roots and
    /// --ca).
    #[arg(long)]
    mqtt: Option<String>,
    /// Serve the HTTP API over HTTPS with this certificate chain (PEM; with
    /// --tls-key). In the config file: `[tls] cert = …, key = …`.
    #[arg(long, env = "PLINTH_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM), readable by its owner only.
    #[arg(long, env = "PLINTH_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Run the price feed: post this token price in USD (e.g. 0.50) every minute,
    /// so that consumers can burn tokens for credits.
    #[arg(long)]
    price_usd: Option<String>,
    /// Another oracle of the set (its HTTP API, e.g. http://10.0.0.2:8646): its
    /// report batches are read, and it is asked to co-sign manifests, settlements
    /// and prices; repeat for each.
    #[arg(long = "peer")]
    peers: Vec<String>,
    /// Co-sign a peer's price only within this many basis points of our own.
    #[arg(long)]
    price_tolerance_bps: Option<u32>,
    /// A drill: make this oracle lie (`inflate`, `drop`, `invent`,
    /// `forge-registry`); its honest peers must refuse what it proposes.
    #[arg(long)]
    adversary: Option<String>,
}

/// `plinth oracle`'s subcommands.
#[derive(Subcommand)]
pub enum OracleCmd {
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

impl OracleArgs {
    /// Runs the oracle until SIGINT/SIGTERM, or the subcommand.
    pub fn run(self) -> Result<()> {
        match self.command {
            Some(OracleCmd::Audit {
                epoch,
                network,
                node,
                oracle,
                spool,
                json,
            }) => oracle_cmd::audit(&node, &oracle, &network, epoch, spool, json),
            None => {
                crate::init_logging();
                let mut cfg: OracleFileConfig = super::load_config(self.config.as_deref())?;
                cfg.node = self.node.or(cfg.node);
                cfg.key = self.key.or(cfg.key);
                cfg.passphrase_file = self.passphrase_file.or(cfg.passphrase_file);
                cfg.data_dir = self.data_dir.or(cfg.data_dir);
                cfg.http = self.http.or(cfg.http);
                cfg.mqtt = self.mqtt.or(cfg.mqtt);
                cfg.tls = plinth_devnet::node::TlsFiles::from_flags(
                    self.tls_cert,
                    self.tls_key,
                    cfg.tls,
                )?;
                cfg.price_usd = self.price_usd.or(cfg.price_usd);
                if !self.peers.is_empty() {
                    cfg.peers = self.peers;
                }
                cfg.price_tolerance_bps = self.price_tolerance_bps.or(cfg.price_tolerance_bps);
                cfg.adversary = self.adversary.or(cfg.adversary);
                crate::runtime()?.block_on(oracle_cmd::run(cfg))
            }
        }
    }
}
