//! `plinth genesis init`: a commented default genesis and its keys
//! ([`plinth_devnet::genesis`]).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `plinth genesis`'s subcommands.
#[derive(Subcommand)]
pub enum GenesisCmd {
    /// Write a commented default genesis, a validator key and funded account keys.
    Init(InitArgs),
}

/// `plinth genesis init`'s flags.
#[derive(Args)]
pub struct InitArgs {
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
}

impl GenesisCmd {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            GenesisCmd::Init(a) => a.run(),
        }
    }
}

impl InitArgs {
    /// Writes the genesis and adds its keys to the keystore.
    pub fn run(self) -> Result<()> {
        let out = &self.out;
        if out.exists() && !self.force {
            anyhow::bail!("{} exists; pass --force to overwrite", out.display());
        }
        let setup = plinth_devnet::genesis::new_setup(
            &self.chain_id,
            self.accounts,
            1,
            1000,
            30_000,
            plinth_oracle::now_ms(),
        )?;
        setup.save_keys(&self.keystore)?;
        std::fs::write(out, &setup.genesis_toml)
            .with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote {} and keys in {}",
            out.display(),
            self.keystore.display()
        );
        Ok(())
    }
}
