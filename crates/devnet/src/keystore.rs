//! The keystore: named ed25519 keys in a JSON file (mode 0600).
//!
//! Keys are stored unencrypted: this is a development keystore, as the devnet's
//! funded accounts need. Production operators should keep keys elsewhere.

use anyhow::{bail, Context, Result};
use plinth_core::{Address, DeviceId, Keypair};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One named key of a keystore.
#[derive(Serialize, Deserialize, Clone)]
pub struct StoredKey {
    /// The name wallets use for it (`alice`, `validator`, `oracle`, …).
    pub name: String,
    /// Its address (public key).
    pub address: Address,
    /// Its secret seed, hex.
    pub secret: String,
}

/// A keystore file: named keys, kept in order of creation.
#[derive(Serialize, Deserialize, Default)]
pub struct Keystore {
    /// The file format's version (1).
    pub version: u32,
    /// The keys.
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

    /// Writes the keystore back to its file (owner-only, atomically).
    pub fn save(&self) -> Result<()> {
        write_secret_file(&self.path, &serde_json::to_string_pretty(self)?)
    }

    /// The file the keystore was loaded from.
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
    /// The device's id (its public key).
    pub device_id: DeviceId,
    /// Its secret seed, hex.
    pub secret: String,
}

impl DeviceKeyFile {
    /// Reads a device key file, checking that its secret matches its id.
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

    /// Writes `key` as a device key file (owner-only); returns the device's id.
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
///
/// The temporary file is created new (`O_EXCL`, not following a symlink, mode
/// 0600 from the start), so nobody can make the secret land in a file of their
/// choosing. An existing `path` is replaced only if it is a regular file owned by
/// the same user as the new one: a symlink, a directory or someone else's file is
/// refused, not overwritten.
pub fn write_secret_file(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.to_path_buf()
        }
        None => PathBuf::from("."),
    };
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", path.display())),
    };
    if let Some(m) = &existing {
        if m.file_type().is_symlink() {
            bail!(
                "refusing to write a secret to {}: it is a symbolic link",
                path.display()
            );
        }
        if !m.is_file() {
            bail!(
                "refusing to write a secret to {}: it is not a regular file",
                path.display()
            );
        }
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = (|| -> Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        // create_new: O_CREAT | O_EXCL, which also refuses a symlink at `tmp`.
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        #[cfg(unix)]
        if let Some(m) = &existing {
            use std::os::unix::fs::MetadataExt;
            // The new file is ours: the old one must belong to the same user.
            let mine = f.metadata()?.uid();
            if m.uid() != mine {
                bail!(
                    "refusing to overwrite {}: it belongs to user {}, not to us ({mine})",
                    path.display(),
                    m.uid()
                );
            }
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn secret_files_are_private_and_never_written_through_links() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys.json");
        write_secret_file(&key, "one").unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "one");
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Replacing our own regular file works, and leaves no temporary file.
        write_secret_file(&key, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // A symlink planted where a temporary file used to be named is not
        // followed: the secret does not end up in the attacker's file.
        let victim = dir.path().join("attacker-readable");
        std::fs::write(&victim, "").unwrap();
        std::os::unix::fs::symlink(&victim, key.with_extension("tmp")).unwrap();
        write_secret_file(&key, "three").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "");
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "three");

        // A symlink at the key's own path is refused, its target untouched.
        let linked = dir.path().join("linked.json");
        std::os::unix::fs::symlink(&victim, &linked).unwrap();
        let err = write_secret_file(&linked, "secret").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "");
        assert!(std::fs::symlink_metadata(&linked)
            .unwrap()
            .file_type()
            .is_symlink());

        // Not a regular file.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_secret_file(&sub, "secret").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");

        // Someone else's file (only checkable where we may chown, as root).
        let theirs = dir.path().join("theirs.json");
        std::fs::write(&theirs, "theirs").unwrap();
        let me = std::fs::metadata(&theirs).unwrap().uid();
        if std::os::unix::fs::chown(&theirs, Some(me + 4242), None).is_ok() {
            let err = write_secret_file(&theirs, "secret").unwrap_err();
            assert!(err.to_string().contains("belongs to user"), "{err}");
            assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "theirs");
        }
        // Nothing left behind by the refusals.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name().to_string_lossy().ends_with(".tmp")
                    && e.path() != key.with_extension("tmp")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
