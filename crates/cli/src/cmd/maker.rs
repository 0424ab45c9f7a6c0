//! `plinth maker`: a device maker's tools. `sign` writes the certificate a maker
//! gives each device at manufacture (its key's signature over the device key),
//! which the owner passes to `plinth device register --maker … --maker-signature …`.

use super::Common;
use crate::keystore::DeviceKeyFile;
use crate::wallet::Ctx;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use plinth_core::{Address, DeviceId, Keypair, Signature};
use std::path::Path;

/// `plinth maker`'s flags and subcommand.
#[derive(Args)]
pub struct MakerArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: MakerCmd,
}

/// `plinth maker`'s subcommands.
#[derive(Subcommand)]
pub enum MakerCmd {
    /// Sign a device's key with the maker's key; prints the signature (hex).
    Sign {
        /// The maker's key: a name or address in the keystore, or a key file
        /// (as `plinth device keygen` writes).
        #[arg(long)]
        key: String,
        /// The device's id (its public key).
        #[arg(long)]
        device: String,
    },
}

impl MakerArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            MakerCmd::Sign { key, device } => sign(&c, &key, &device.parse()?),
        }
    }
}

/// `maker sign`: the certificate of `device` under the maker key `key` names.
fn sign(c: &Ctx, key: &str, device: &DeviceId) -> Result<()> {
    let maker_key = maker_key(c, key)?;
    let maker = Address(maker_key.public());
    let signature = plinth_device::maker::sign_device(&maker_key, device);
    let hex = hex::encode(signature.0);
    c.print(
        &serde_json::json!({"maker": maker, "device": device, "signature": hex}),
        || hex.clone(),
    );
    Ok(())
}

/// The key `key` names: one of the keystore's, else a key file at that path.
fn maker_key(c: &Ctx, key: &str) -> Result<Keypair> {
    let ks = c.keystore()?;
    match ks.key(key) {
        Ok(k) => Ok(k),
        Err(_) if Path::new(key).is_file() => DeviceKeyFile::load(Path::new(key)),
        Err(e) => Err(e.context(format!("`{key}` is no key in the keystore and no key file"))),
    }
}

/// Parses a signature written as 128 hex characters (what `maker sign` prints).
pub fn parse_signature(s: &str) -> Result<Signature, String> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s.trim(), &mut out)
        .map_err(|_| format!("`{s}` is not a signature (128 hex characters)"))?;
    Ok(Signature(out))
}

/// The maker and certificate of a registration, when both are given.
pub fn made_by(
    c: &Ctx,
    maker: Option<&str>,
    signature: Option<Signature>,
) -> Result<Option<(Address, Signature)>> {
    match (maker, signature) {
        (Some(m), Some(sig)) => {
            let maker = c.keystore()?.resolve(m).context("--maker")?;
            Ok(Some((maker, sig)))
        }
        // clap makes each flag require the other.
        _ => Ok(None),
    }
}
