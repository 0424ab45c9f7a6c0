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
    /// Attest a compute device's attributes (what the maker built): prints the
    /// signature its owner passes to `plinth compute offer --attestation`; the
    /// ledger marks the offer attested while its attributes stay these.
    AttestCompute {
        /// The maker's key (keystore name or address, or a key file).
        #[arg(long)]
        key: String,
        /// The device's id.
        #[arg(long)]
        device: String,
        /// CPU cores.
        #[arg(long)]
        cores: u32,
        /// Memory, MiB.
        #[arg(long)]
        memory_mib: u64,
        /// MODEL:MEMORY_MIB[:COUNT].
        #[arg(long)]
        accelerator: Option<String>,
        /// LAT,LON (an H3 cell at resolution 5).
        #[arg(long)]
        region: String,
    },
}

impl MakerArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            MakerCmd::Sign { key, device } => sign(&c, &key, &device.parse()?),
            MakerCmd::AttestCompute {
                key,
                device,
                cores,
                memory_mib,
                accelerator,
                region,
            } => {
                let device: DeviceId = device.parse()?;
                let attrs =
                    crate::compute_cmd::attrs(cores, memory_mib, accelerator.as_deref(), &region)?;
                let maker_key = maker_key(&c, &key)?;
                let chain = plinth_core::chain_identity(&c.client().status()?.genesis_hash);
                let msg =
                    plinth_ledger::compute::attrs_attestation_message(&chain, &device, &attrs);
                let hex = hex::encode(maker_key.sign(&msg).0);
                c.print(
                    &serde_json::json!({"maker": Address(maker_key.public()), "device": device, "attrs": attrs, "signature": hex}),
                    || hex.clone(),
                );
                Ok(())
            }
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
    if ks.contains(key) {
        ks.key(key)
    } else if Path::new(key).is_file() {
        DeviceKeyFile::load(Path::new(key))
    } else {
        anyhow::bail!(
            "`{key}` is no key in keystore {} and no key file",
            ks.path().display()
        )
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
