//! The command line: one module per top-level command, each holding its clap
//! arguments and the handler that runs it; the work itself lives in the library
//! crates (`plinth-devnet`, `plinth-bench`, …) and the CLI's client modules.

pub mod burst;
pub mod compute;
pub mod device;
pub mod devnet;
pub mod energy;
pub mod family;
pub mod genesis;
pub mod gov;
pub mod maker;
pub mod node;
pub mod oracle;
pub mod sim;
pub mod storage;
pub mod testnet;
pub mod wallet;

use crate::keystore::{KdfParams, Passphrase};
use crate::wallet::{Ctx, SendOpts};
use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Flags every client command takes: keystore, node, output format.
#[derive(Args)]
pub struct Common {
    /// The keystore file.
    #[arg(
        long,
        global = true,
        env = "PLINTH_KEYSTORE",
        default_value = ".plinth/devnet/keystore.json"
    )]
    keystore: PathBuf,
    /// A file holding the passphrase of an encrypted keystore (else
    /// `PLINTH_PASSPHRASE`, else asked on the terminal).
    #[arg(long, global = true, env = "PLINTH_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
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

/// Flags of every command that signs and sends a transaction.
#[derive(Args)]
pub struct Tx {
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
    /// The options `wallet::send` takes.
    pub fn opts(&self) -> SendOpts {
        SendOpts {
            from: self.from.clone(),
            fee: self.fee.clone(),
            wait: !self.no_wait,
        }
    }
}

impl Common {
    /// The context the client modules run in.
    pub fn ctx(&self) -> Ctx {
        Ctx {
            keystore: self.keystore.clone(),
            passphrase: Passphrase::from_file(self.passphrase_file.clone()),
            node: self.node.clone(),
            json: self.json,
        }
    }
}

/// The cost of the key derivation (Argon2id) of a keystore a command encrypts.
#[derive(Args, Clone, Copy)]
pub struct KdfArgs {
    /// Memory, MiB (64 by default; less only for tests).
    #[arg(long, default_value_t = KdfParams::DEFAULT.memory_kib / 1024)]
    kdf_memory_mib: u32,
    /// Passes over the memory.
    #[arg(long, default_value_t = KdfParams::DEFAULT.iterations)]
    kdf_iterations: u32,
}

impl KdfArgs {
    /// The parameters these flags ask for.
    pub fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.kdf_memory_mib.saturating_mul(1024),
            iterations: self.kdf_iterations,
            ..KdfParams::DEFAULT
        }
    }
}

/// Parses `10%` (or `10`) into basis points.
pub fn parse_percent(s: &str) -> Result<u32, String> {
    let n = s.trim().trim_end_matches('%');
    let v: f64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("`{s}` is not between 0% and 100%"));
    }
    Ok((v * 100.0).round() as u32)
}

/// A role's TOML config file (all fields optional), or the defaults without one.
pub fn load_config<T: serde::de::DeserializeOwned + Default>(path: Option<&Path>) -> Result<T> {
    let Some(p) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    toml::from_str(&text).with_context(|| format!("in {}", p.display()))
}

/// `plinth replay`: which stopped node to re-execute.
#[derive(Args)]
pub struct ReplayArgs {
    #[arg(long, env = "PLINTH_DATA_DIR", default_value = ".plinth/devnet")]
    data_dir: PathBuf,
}

impl ReplayArgs {
    /// Re-executes the node's blocks from genesis and checks every state root.
    pub fn run(self) -> Result<()> {
        let r = crate::replay::replay(&self.data_dir)?;
        println!(
            "replayed {} blocks ({} transactions): state root {} matches",
            r.height, r.txs, r.state_root
        );
        Ok(())
    }
}
