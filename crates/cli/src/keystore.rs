//! The keystore: named ed25519 keys in a JSON file (mode 0600).
//!
//! Keys are stored unencrypted: this is a development keystore, as the devnet's
//! funded accounts need. Production operators should keep keys elsewhere.

use anyhow::{bail, Context, Result};
use plinth_core::{Address, DeviceId, Keypair};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Clone)]
pub struct StoredKey {
    pub name: String,
    pub address: Address,
    pub secret: String,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Keystore {
    pub version: u32,
    pub keys: Vec<StoredKey>,
    #[serde(skip)]
    path: PathBuf,
}

impl Keystore {
    /// Loads the keystore at `path`; a missing file is an empty keystore.
    pub fn load(path: &Path) -> Result<Keystore> {
        if !path.exists() {
            return Ok(Keystore {
                version: 1,
                keys: Vec::new(),
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading keystore {}", path.display()))?;
        let mut ks: Keystore = serde_json::from_str(&text)
            .with_context(|| format!("parsing keystore {}", path.display()))?;
        ks.path = path.to_path_buf();
        Ok(ks)
    }

    pub fn save(&self) -> Result<()> {
        write_secret_file(&self.path, &serde_json::to_string_pretty(self)?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a key under a new name.
    pub fn add(&mut self, name: &str, key: &Keypair) -> Result<Address> {
        if name.is_empty() || name.len() > 64 {
            bail!("a key name must be 1 to 64 characters");
        }
        if self.keys.iter().any(|k| k.name == name) {
            bail!("the keystore already has a key named `{name}`");
        }
        let address = Address(key.public());
        self.keys.push(StoredKey {
            name: name.to_string(),
            address,
            secret: key.secret_hex(),
        });
        Ok(address)
    }

    /// The key named `name` (or whose address is `name`).
    pub fn key(&self, name: &str) -> Result<Keypair> {
        let entry = self
            .keys
            .iter()
            .find(|k| k.name == name || k.address.to_string() == name)
            .with_context(|| {
                format!(
                    "no key `{name}` in keystore {} (see `plinth wallet list`)",
                    self.path.display()
                )
            })?;
        Keypair::from_hex(&entry.secret).with_context(|| format!("key `{name}` is corrupt"))
    }

    /// A name from the keystore or an address typed out.
    pub fn resolve(&self, name_or_address: &str) -> Result<Address> {
        if let Some(k) = self.keys.iter().find(|k| k.name == name_or_address) {
            return Ok(k.address);
        }
        name_or_address.parse::<Address>().with_context(|| {
            format!("`{name_or_address}` is neither a key name in the keystore nor a valid address")
        })
    }
}

/// A device's key file.
#[derive(Serialize, Deserialize)]
pub struct DeviceKeyFile {
    pub device_id: DeviceId,
    pub secret: String,
}

impl DeviceKeyFile {
    pub fn load(path: &Path) -> Result<Keypair> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading device key {}", path.display()))?;
        let f: DeviceKeyFile = serde_json::from_str(&text)
            .with_context(|| format!("parsing device key {}", path.display()))?;
        let key = Keypair::from_hex(&f.secret)?;
        if DeviceId(key.public()) != f.device_id {
            bail!(
                "device key file {} is inconsistent: its secret does not match its id",
                path.display()
            );
        }
        Ok(key)
    }

    pub fn write(path: &Path, key: &Keypair) -> Result<DeviceId> {
        let id = DeviceId(key.public());
        let f = DeviceKeyFile {
            device_id: id,
            secret: key.secret_hex(),
        };
        write_secret_file(path, &serde_json::to_string_pretty(&f)?)?;
        Ok(id)
    }
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
pub fn write_secret_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
