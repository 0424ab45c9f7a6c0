//! `plinth genesis init`: a commented default genesis and its keys
//! ([`plinth_devnet::genesis`]).

use crate::keystore::{Keystore, Passphrase};
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
    /// Create a keystore that does not exist yet as an unencrypted development
    /// keystore (marked `"development": true`; for development only). Without it
    /// a new keystore is encrypted; an existing one keeps its form.
    #[arg(long, conflicts_with = "encrypt")]
    development: bool,
    /// Encrypt a new keystore: the default, kept for compatibility.
    #[arg(long, hide = true)]
    encrypt: bool,
    /// A file holding the keystore's passphrase (else `PLINTH_PASSPHRASE`, else
    /// asked on the terminal).
    #[arg(long, env = "PLINTH_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    kdf: super::KdfArgs,
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
        let mut ks = Keystore::load_with(
            &self.keystore,
            Passphrase::from_file(self.passphrase_file.clone()),
        )?;
        crate::wallet::settle_new_keystore(
            &mut ks,
            self.development,
            self.encrypt,
            self.kdf.params(),
        )?;
        setup.add_keys(&mut ks)?;
        ks.save()?;
        std::fs::write(out, &setup.genesis_toml)
            .with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote {} and keys in {}{}",
            out.display(),
            self.keystore.display(),
            if ks.is_encrypted() {
                " (encrypted)"
            } else {
                " (an unencrypted development keystore, for development only)"
            }
        );
        Ok(())
    }
}
