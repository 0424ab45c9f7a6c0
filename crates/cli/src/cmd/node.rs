//! `plinth node`: a validator node, alone ([`plinth_devnet::node`]) or as a
//! member of a validator set ([`plinth_devnet::validator`]).

use anyhow::Result;
use clap::Args;
use plinth_devnet::node::NodeFileConfig;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `plinth node`'s flags (over its config file).
#[derive(Args)]
pub struct NodeArgs {
    /// A TOML file with `genesis`, `key`, `passphrase_file`, `data_dir`, `rpc`,
    /// `block_time_ms`, `[tls]`; flags win.
    #[arg(long, env = "PLINTH_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "PLINTH_GENESIS")]
    genesis: Option<PathBuf>,
    /// A keystore file holding the validator's key (named `validator`).
    #[arg(long, env = "PLINTH_KEY")]
    key: Option<PathBuf>,
    /// A file holding the key's keystore passphrase when it is encrypted (e.g. a
    /// systemd credential); else `PLINTH_PASSPHRASE` or the terminal.
    #[arg(long, env = "PLINTH_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[arg(long, env = "PLINTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "PLINTH_RPC")]
    rpc: Option<SocketAddr>,
    /// Serve the HTTP API over HTTPS with this certificate chain (PEM; with
    /// --tls-key). In the config file: `[tls] cert = …, key = …`.
    #[arg(long, env = "PLINTH_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM), readable by its owner only.
    #[arg(long, env = "PLINTH_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl NodeArgs {
    /// Runs the node until SIGINT/SIGTERM (or an upgrade this binary does not know).
    pub fn run(self) -> Result<()> {
        crate::init_logging();
        let mut cfg: NodeFileConfig = super::load_config(self.config.as_deref())?;
        cfg.genesis = self.genesis.or(cfg.genesis);
        cfg.key = self.key.or(cfg.key);
        cfg.passphrase_file = self.passphrase_file.or(cfg.passphrase_file);
        cfg.data_dir = self.data_dir.or(cfg.data_dir);
        cfg.rpc = self.rpc.or(cfg.rpc);
        cfg.tls = plinth_devnet::node::TlsFiles::from_flags(self.tls_cert, self.tls_key, cfg.tls)?;
        if cfg.consensus.is_some() {
            plinth_devnet::validator::run(cfg, crate::known_upgrades())
        } else {
            crate::runtime()?.block_on(plinth_devnet::node::run_node(cfg, crate::known_upgrades()))
        }
    }
}
