//! Keystores and device key files: named ed25519 keys in JSON files (mode 0600).
//!
//! A keystore file has one of two forms:
//!
//! - **development** (`"version": 1, "encrypted": false, "development": true`):
//!   each secret seed in hex, for development only. The devnet and `plinth testnet
//!   init` write this form (their funded accounts are for development); `plinth
//!   wallet new` and `plinth genesis init` only with `--development`. Files of
//!   version 1 without the marker (older ones) read as this form.
//! - **encrypted** (`"version": 2, "encrypted": true`): each seed sealed with
//!   XChaCha20-Poly1305 under a key derived from a passphrase by Argon2id, whose
//!   parameters and salt are in the file (`kdf`). Every key has its own random
//!   nonce; its associated data binds the format version, the KDF and its
//!   parameters, the salt, the cipher and the key's name and address, so no field
//!   can be changed or swapped between entries without the key failing to open.
//!   Names and addresses stay readable: listing and resolving names need no
//!   passphrase, only signing does. `plinth wallet new` and `plinth genesis init`
//!   create a keystore in this form unless given `--development`.
//!
//! The passphrase ([`Passphrase`]) comes from a passphrase file
//! (`--passphrase-file`, `PLINTH_PASSPHRASE_FILE`: for services, e.g. a systemd
//! credential), else `PLINTH_PASSPHRASE`, else the terminal (without echo) when
//! stdin is one.
//!
//! Every key file read here (keystores, device key files) is refused when its
//! mode lets its group or others in ([`read_secret_file`]); every one written is
//! created 0600 ([`write_secret_file`]).

use anyhow::{anyhow, bail, Context, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use plinth_core::{Address, DeviceId, Keypair};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The version of a development (unencrypted) keystore file.
pub const PLAIN_VERSION: u32 = 1;
/// The version of an encrypted keystore file.
pub const ENCRYPTED_VERSION: u32 = 2;
/// The one key-derivation function of encrypted keystores.
pub const KDF_NAME: &str = "argon2id";
/// The one cipher of encrypted keystores.
pub const CIPHER_NAME: &str = "xchacha20poly1305";
/// The environment variable holding a keystore's passphrase.
pub const PASSPHRASE_ENV: &str = "PLINTH_PASSPHRASE";
/// The environment variable naming a file that holds a keystore's passphrase.
pub const PASSPHRASE_FILE_ENV: &str = "PLINTH_PASSPHRASE_FILE";

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SEED_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// Argon2id's cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// What new keystores get: 64 MiB, 3 passes, one lane (above OWASP's
    /// recommended minimum for Argon2id; a few hundred milliseconds per unlock).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// The most a file may ask for: a crafted keystore cannot make us allocate
    /// more than 4 GiB or hash for minutes.
    const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    const MAX_ITERATIONS: u32 = 64;
    const MAX_PARALLELISM: u32 = 16;

    /// Argon2's own parameters, refusing values out of range.
    fn argon2(&self) -> Result<argon2::Params> {
        if self.memory_kib > Self::MAX_MEMORY_KIB
            || self.iterations > Self::MAX_ITERATIONS
            || self.parallelism > Self::MAX_PARALLELISM
        {
            bail!(
                "argon2id parameters out of range: {} KiB, {} passes, {} lanes (at most {} KiB, {} passes, {} lanes)",
                self.memory_kib,
                self.iterations,
                self.parallelism,
                Self::MAX_MEMORY_KIB,
                Self::MAX_ITERATIONS,
                Self::MAX_PARALLELISM
            );
        }
        argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(SEED_LEN),
        )
        .map_err(|e| anyhow!("invalid argon2id parameters: {e}"))
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

/// The key derivation of an encrypted keystore: its parameters and salt.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Kdf {
    params: KdfParams,
    salt: Vec<u8>,
}

impl Kdf {
    /// New parameters with a fresh random salt.
    fn fresh(params: KdfParams) -> Result<Kdf> {
        params.argon2()?;
        let mut salt = vec![0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        Ok(Kdf { params, salt })
    }

    /// The key that seals the keystore's secrets.
    fn derive(&self, passphrase: &str) -> Result<Zeroizing<[u8; 32]>> {
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.params.argon2()?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), &self.salt, out.as_mut_slice())
            .map_err(|e| anyhow!("argon2id failed: {e}"))?;
        Ok(out)
    }

    /// The associated data of a key's ciphertext: everything about the file and
    /// the entry that must not change under it, each field length-prefixed.
    fn associated_data(&self, name: &str, address: &Address) -> Vec<u8> {
        let mut aad = Vec::with_capacity(128);
        let mut field = |bytes: &[u8]| {
            aad.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            aad.extend_from_slice(bytes);
        };
        field(b"plinth-keystore");
        field(&ENCRYPTED_VERSION.to_le_bytes());
        field(KDF_NAME.as_bytes());
        field(&self.params.memory_kib.to_le_bytes());
        field(&self.params.iterations.to_le_bytes());
        field(&self.params.parallelism.to_le_bytes());
        field(&self.salt);
        field(CIPHER_NAME.as_bytes());
        field(name.as_bytes());
        field(address.0.as_bytes());
        aad
    }

    /// Seals `key` as the entry `name`.
    fn seal(&self, kek: &[u8; 32], name: &str, key: &Keypair) -> Result<Secret> {
        let seed = seed(key)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.associated_data(name, &Address(key.public()));
        let ciphertext = cipher(kek)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: seed.as_slice(),
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow!("encrypting key `{name}` failed"))?;
        Ok(Secret::Sealed { nonce, ciphertext })
    }

    /// Opens the sealed entry `name`; `None` when it does not authenticate (a
    /// wrong passphrase, or an altered file).
    fn open(
        &self,
        kek: &[u8; 32],
        name: &str,
        address: &Address,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
    ) -> Option<Keypair> {
        let aad = self.associated_data(name, address);
        let plain = Zeroizing::new(
            cipher(kek)
                .decrypt(
                    &XNonce::from(*nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        let seed: [u8; SEED_LEN] = plain.as_slice().try_into().ok()?;
        let key = Keypair::from_seed(seed);
        (Address(key.public()) == *address).then_some(key)
    }
}

/// The AEAD under the sealing key `kek`.
fn cipher(kek: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(*kek).into())
}

/// A key's secret seed as bytes.
fn seed(key: &Keypair) -> Result<Zeroizing<[u8; SEED_LEN]>> {
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    hex::decode_to_slice(
        Zeroizing::new(key.secret_hex()).as_str(),
        seed.as_mut_slice(),
    )
    .context("a key's seed is not 32 bytes")?;
    Ok(seed)
}

/// Where a keystore's passphrase comes from: in order, a passphrase file (given
/// here, e.g. by `--passphrase-file`, or named by `PLINTH_PASSPHRASE_FILE`), the
/// variable `PLINTH_PASSPHRASE`, the terminal (asked without echo) when stdin is
/// one. It is read when first needed, never for a development keystore.
#[derive(Clone, Default)]
pub struct Passphrase {
    file: Option<PathBuf>,
    given: Option<Zeroizing<String>>,
}

impl Passphrase {
    /// The passphrase in `file` when one is given, else the environment's or the
    /// terminal's.
    pub fn from_file(file: Option<PathBuf>) -> Passphrase {
        Passphrase { file, given: None }
    }

    /// This passphrase (for programs and tests).
    pub fn given(passphrase: &str) -> Passphrase {
        Passphrase {
            file: None,
            given: Some(Zeroizing::new(passphrase.to_string())),
        }
    }

    /// The passphrase that opens the keystore at `keystore`.
    fn unlock(&self, keystore: &Path) -> Result<Zeroizing<String>> {
        self.read(keystore, false)
    }

    /// A passphrase to encrypt the keystore at `keystore` with (asked twice on a
    /// terminal).
    fn new_passphrase(&self, keystore: &Path) -> Result<Zeroizing<String>> {
        self.read(keystore, true)
    }

    fn read(&self, keystore: &Path, new: bool) -> Result<Zeroizing<String>> {
        if let Some(p) = &self.given {
            if p.is_empty() {
                bail!("the passphrase is empty");
            }
            return Ok(p.clone());
        }
        let file = self.file.clone().or_else(|| {
            std::env::var_os(PASSPHRASE_FILE_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        if let Some(file) = file {
            return read_passphrase_file(&file);
        }
        match std::env::var(PASSPHRASE_ENV) {
            Ok(p) if !p.is_empty() => return Ok(Zeroizing::new(p)),
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!("{PASSPHRASE_ENV} is not valid UTF-8")
            }
            _ => {}
        }
        if std::io::stdin().is_terminal() {
            return ask(keystore, new);
        }
        if new {
            bail!(
                "encrypting keystore {} needs a passphrase: set {PASSPHRASE_ENV}, pass \
                 --passphrase-file, or run in a terminal",
                keystore.display()
            )
        }
        bail!(
            "keystore {} is encrypted: set {PASSPHRASE_ENV}, pass --passphrase-file, or run in a \
             terminal",
            keystore.display()
        )
    }
}

/// A passphrase file's first line (its line ending dropped). It must not be
/// readable by others; group access is allowed (a credential shared with the
/// service's group or granted by an ACL shows in the group bits).
fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        read_private(path, "passphrase file", 0o007)?
            .with_context(|| format!("passphrase file {} does not exist", path.display()))?,
    );
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        bail!("passphrase file {} is empty", path.display());
    }
    Ok(Zeroizing::new(line.to_string()))
}

/// Asks the terminal for the passphrase of `keystore` (twice for a new one).
fn ask(keystore: &Path, new: bool) -> Result<Zeroizing<String>> {
    let what = keystore.display();
    if !new {
        return prompt_hidden(&format!("Passphrase for keystore {what}: "));
    }
    let first = prompt_hidden(&format!("New passphrase for keystore {what}: "))?;
    if first.is_empty() {
        bail!("the passphrase is empty");
    }
    let again = prompt_hidden("The same passphrase again: ")?;
    if *first != *again {
        bail!("the two passphrases differ");
    }
    Ok(first)
}

/// Reads one line from the terminal with its echo off (`stty -echo`, restored
/// afterwards).
#[cfg(unix)]
fn prompt_hidden(prompt: &str) -> Result<Zeroizing<String>> {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal to ask for the passphrase")?;
    let stty = |flag: &str| -> Result<()> {
        let status = Command::new("stty")
            .arg(flag)
            .stdin(Stdio::from(tty.try_clone()?))
            .status()?;
        if !status.success() {
            bail!("stty {flag}: {status}");
        }
        Ok(())
    };
    stty("-echo").context(
        "cannot turn the terminal's echo off to ask for the passphrase: set PLINTH_PASSPHRASE \
         or pass --passphrase-file",
    )?;
    struct EchoBack<'a>(&'a dyn Fn(&str) -> Result<()>);
    impl Drop for EchoBack<'_> {
        fn drop(&mut self) {
            let _ = (self.0)("echo");
        }
    }
    let _echo_back = EchoBack(&stty);
    let mut out = &tty;
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    let mut line = Zeroizing::new(String::new());
    std::io::BufReader::new(&tty)
        .read_line(&mut line)
        .context("reading the passphrase")?;
    out.write_all(b"\n")?;
    let text = line.strip_suffix('\n').unwrap_or(&line);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Zeroizing::new(text.to_string()))
}

#[cfg(not(unix))]
fn prompt_hidden(_prompt: &str) -> Result<Zeroizing<String>> {
    bail!("asking for a passphrase needs a Unix terminal: set PLINTH_PASSPHRASE or pass --passphrase-file")
}

/// How a keystore's secrets are kept.
#[derive(Default)]
enum Sealing {
    /// In hex, in the clear: a development keystore.
    #[default]
    Development,
    /// Encrypted under a key derived from a passphrase.
    Encrypted(Kdf),
}

/// A key's secret, as its keystore keeps it.
#[derive(Clone)]
enum Secret {
    /// The seed in hex (development keystores).
    Plain(Zeroizing<String>),
    /// The seed sealed (encrypted keystores).
    Sealed {
        nonce: [u8; NONCE_LEN],
        ciphertext: Vec<u8>,
    },
}

/// One named key of a keystore.
#[derive(Clone)]
pub struct StoredKey {
    /// The name wallets use for it (`alice`, `validator`, `oracle`, …).
    pub name: String,
    /// Its address (public key).
    pub address: Address,
    secret: Secret,
}

/// A keystore: named keys, kept in order of creation, in a development or an
/// encrypted file (module docs).
#[derive(Default)]
pub struct Keystore {
    /// The keys.
    pub keys: Vec<StoredKey>,
    path: PathBuf,
    sealing: Sealing,
    passphrase: Passphrase,
    /// The key that seals the secrets, once derived and checked.
    kek: OnceLock<Zeroizing<[u8; 32]>>,
}

/// A keystore file as written.
#[derive(Serialize, Deserialize)]
struct KeystoreFile {
    version: u32,
    #[serde(default)]
    encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    development: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<KdfFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cipher: Option<String>,
    keys: Vec<KeyFile>,
}

#[derive(Serialize, Deserialize)]
struct KdfFile {
    name: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    name: String,
    address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ciphertext: Option<String>,
}

impl Keystore {
    /// Loads the keystore at `path`; a missing file is an empty development
    /// keystore. An encrypted one asks for its passphrase (from the environment
    /// or the terminal) when a secret is first needed.
    pub fn load(path: &Path) -> Result<Keystore> {
        Keystore::load_with(path, Passphrase::default())
    }

    /// Like [`Keystore::load`], the passphrase coming from `passphrase`.
    pub fn load_with(path: &Path, passphrase: Passphrase) -> Result<Keystore> {
        let mut ks = Keystore {
            path: path.to_path_buf(),
            passphrase,
            ..Keystore::default()
        };
        let Some(text) = read_private(path, "keystore", 0o077)? else {
            return Ok(ks);
        };
        let text = Zeroizing::new(text);
        let file: KeystoreFile = serde_json::from_str(&text)
            .with_context(|| format!("parsing keystore {}", path.display()))?;
        (ks.sealing, ks.keys) =
            parse(file).with_context(|| format!("in keystore {}", path.display()))?;
        Ok(ks)
    }

    /// Writes the keystore back to its file (owner-only, atomically, durably).
    pub fn save(&self) -> Result<()> {
        let keys = self
            .keys
            .iter()
            .map(|k| {
                let mut f = KeyFile {
                    name: k.name.clone(),
                    address: k.address,
                    secret: None,
                    nonce: None,
                    ciphertext: None,
                };
                match &k.secret {
                    Secret::Plain(hex) => f.secret = Some(hex.to_string()),
                    Secret::Sealed { nonce, ciphertext } => {
                        f.nonce = Some(hex::encode(nonce));
                        f.ciphertext = Some(hex::encode(ciphertext));
                    }
                }
                f
            })
            .collect();
        let file = match &self.sealing {
            Sealing::Development => KeystoreFile {
                version: PLAIN_VERSION,
                encrypted: false,
                development: Some(true),
                kdf: None,
                cipher: None,
                keys,
            },
            Sealing::Encrypted(kdf) => KeystoreFile {
                version: ENCRYPTED_VERSION,
                encrypted: true,
                development: None,
                kdf: Some(KdfFile {
                    name: KDF_NAME.into(),
                    memory_kib: kdf.params.memory_kib,
                    iterations: kdf.params.iterations,
                    parallelism: kdf.params.parallelism,
                    salt: hex::encode(&kdf.salt),
                }),
                cipher: Some(CIPHER_NAME.into()),
                keys,
            },
        };
        let text = Zeroizing::new(serde_json::to_string_pretty(&file)?);
        write_secret_file(&self.path, &text)
    }

    /// The file the keystore was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the keystore's secrets are encrypted (else it is a development
    /// keystore).
    pub fn is_encrypted(&self) -> bool {
        matches!(self.sealing, Sealing::Encrypted(_))
    }

    /// The Argon2id parameters of an encrypted keystore.
    pub fn kdf_params(&self) -> Option<KdfParams> {
        match &self.sealing {
            Sealing::Encrypted(kdf) => Some(kdf.params),
            Sealing::Development => None,
        }
    }

    /// Encrypts a development keystore in memory under a new passphrase (from
    /// its [`Passphrase`]); [`Keystore::save`] writes it.
    pub fn encrypt(&mut self, params: KdfParams) -> Result<()> {
        if self.is_encrypted() {
            bail!("keystore {} is already encrypted", self.path.display());
        }
        // Every key must be sound before any is sealed.
        let keys: Vec<Keypair> = self
            .keys
            .iter()
            .map(|k| self.open(k))
            .collect::<Result<_>>()?;
        let kdf = Kdf::fresh(params)?;
        let passphrase = self.passphrase.new_passphrase(&self.path)?;
        let kek = kdf.derive(&passphrase)?;
        for (entry, key) in self.keys.iter_mut().zip(&keys) {
            entry.secret = kdf.seal(&kek, &entry.name, key)?;
        }
        self.sealing = Sealing::Encrypted(kdf);
        self.kek = OnceLock::from(kek);
        Ok(())
    }

    /// The key that seals this encrypted keystore's secrets: derived from the
    /// passphrase on first use, and checked against a stored key before it is
    /// kept, so that a wrong passphrase never seals a new key.
    fn kek(&self, kdf: &Kdf) -> Result<&[u8; 32]> {
        if let Some(k) = self.kek.get() {
            return Ok(k);
        }
        let passphrase = self.passphrase.unlock(&self.path)?;
        let kek = kdf.derive(&passphrase)?;
        if let Some(first) = self.keys.first() {
            if let Secret::Sealed { nonce, ciphertext } = &first.secret {
                if kdf
                    .open(&kek, &first.name, &first.address, nonce, ciphertext)
                    .is_none()
                {
                    bail!(
                        "wrong passphrase for keystore {} (or the file was altered): its keys \
                         do not decrypt",
                        self.path.display()
                    );
                }
            }
        }
        Ok(self.kek.get_or_init(|| kek))
    }

    /// The key of `entry`, decrypted when needed and checked against its address.
    fn open(&self, entry: &StoredKey) -> Result<Keypair> {
        let key = match (&entry.secret, &self.sealing) {
            (Secret::Plain(hex), _) => Keypair::from_hex(hex)
                .ok()
                .with_context(|| format!("key `{}` is corrupt", entry.name))?,
            (Secret::Sealed { nonce, ciphertext }, Sealing::Encrypted(kdf)) => {
                let kek = self.kek(kdf)?;
                kdf.open(kek, &entry.name, &entry.address, nonce, ciphertext)
                    .with_context(|| {
                        format!(
                            "key `{}` of keystore {} does not decrypt: wrong passphrase, or the \
                             file was altered",
                            entry.name,
                            self.path.display()
                        )
                    })?
            }
            (Secret::Sealed { .. }, Sealing::Development) => {
                bail!("key `{}` is sealed in a development keystore", entry.name)
            }
        };
        if Address(key.public()) != entry.address {
            bail!(
                "key `{}` is corrupt: its secret does not match its address",
                entry.name
            );
        }
        Ok(key)
    }

    /// Adds a key under a new name (sealed, in an encrypted keystore).
    pub fn add(&mut self, name: &str, key: &Keypair) -> Result<Address> {
        if name.is_empty() || name.len() > 64 {
            bail!("a key name must be 1 to 64 characters");
        }
        if self.keys.iter().any(|k| k.name == name) {
            bail!("the keystore already has a key named `{name}`");
        }
        let address = Address(key.public());
        let secret = match &self.sealing {
            Sealing::Development => Secret::Plain(Zeroizing::new(key.secret_hex())),
            Sealing::Encrypted(kdf) => kdf.seal(self.kek(kdf)?, name, key)?,
        };
        self.keys.push(StoredKey {
            name: name.to_string(),
            address,
            secret,
        });
        Ok(address)
    }

    /// The entry named `name` (or whose address is `name`).
    fn entry(&self, name: &str) -> Option<&StoredKey> {
        self.keys
            .iter()
            .find(|k| k.name == name || k.address.to_string() == name)
    }

    /// Whether the keystore has a key named `name` (or whose address is `name`).
    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// The key named `name` (or whose address is `name`), decrypted if need be.
    pub fn key(&self, name: &str) -> Result<Keypair> {
        let entry = self.entry(name).with_context(|| {
            format!(
                "no key `{name}` in keystore {} (see `plinth wallet list`)",
                self.path.display()
            )
        })?;
        self.open(entry)
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

/// A keystore file's form and keys, checked.
fn parse(file: KeystoreFile) -> Result<(Sealing, Vec<StoredKey>)> {
    let sealing = match (file.version, file.encrypted) {
        (PLAIN_VERSION, false) => Sealing::Development,
        (ENCRYPTED_VERSION, true) => {
            let kdf = file.kdf.context("an encrypted keystore without `kdf`")?;
            if kdf.name != KDF_NAME {
                bail!(
                    "unknown key derivation `{}` (this plinth reads {KDF_NAME})",
                    kdf.name
                );
            }
            match file.cipher.as_deref() {
                Some(CIPHER_NAME) => {}
                other => bail!(
                    "unknown cipher {:?} (this plinth reads {CIPHER_NAME})",
                    other.unwrap_or("(none)")
                ),
            }
            let salt = hex::decode(&kdf.salt).context("the salt is not hex")?;
            if !(8..=64).contains(&salt.len()) {
                bail!("the salt must be 8 to 64 bytes, not {}", salt.len());
            }
            let params = KdfParams {
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
            };
            params.argon2()?;
            Sealing::Encrypted(Kdf { params, salt })
        }
        (v @ (PLAIN_VERSION | ENCRYPTED_VERSION), e) => {
            bail!("version {v} with \"encrypted\": {e} is no keystore format")
        }
        (v, _) => {
            bail!("format version {v} is not one this plinth reads (a newer plinth wrote it?)")
        }
    };
    let mut keys: Vec<StoredKey> = Vec::with_capacity(file.keys.len());
    for k in file.keys {
        if keys.iter().any(|o| o.name == k.name) {
            bail!("two keys are named `{}`", k.name);
        }
        let secret = match (&sealing, k.secret, k.nonce, k.ciphertext) {
            (Sealing::Development, Some(secret), None, None) => Secret::Plain(Zeroizing::new(secret)),
            (Sealing::Encrypted(_), None, Some(nonce), Some(ciphertext)) => {
                let mut n = [0u8; NONCE_LEN];
                hex::decode_to_slice(&nonce, &mut n)
                    .ok()
                    .with_context(|| format!("key `{}`: the nonce is not {NONCE_LEN} bytes of hex", k.name))?;
                let ciphertext = hex::decode(&ciphertext)
                    .ok()
                    .filter(|c| c.len() == SEED_LEN + TAG_LEN)
                    .with_context(|| {
                        format!(
                            "key `{}`: the ciphertext is not {} bytes of hex",
                            k.name,
                            SEED_LEN + TAG_LEN
                        )
                    })?;
                Secret::Sealed {
                    nonce: n,
                    ciphertext,
                }
            }
            (Sealing::Development, ..) => {
                bail!("key `{}` of a development keystore needs `secret` (and no ciphertext)", k.name)
            }
            (Sealing::Encrypted(_), ..) => bail!(
                "key `{}` of an encrypted keystore needs `nonce` and `ciphertext` (and no `secret`)",
                k.name
            ),
        };
        keys.push(StoredKey {
            name: k.name,
            address: k.address,
            secret,
        });
    }
    Ok((sealing, keys))
}

/// A device's key file (unencrypted: a device reads its key unattended; mode
/// 0600).
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
        let text = Zeroizing::new(read_secret_file(path, "device key")?);
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

/// Reads a key file (`what`: "keystore", "device key", …), refusing one whose
/// mode lets its group or others read or write it.
pub fn read_secret_file(path: &Path, what: &str) -> Result<String> {
    read_private(path, what, 0o077)?
        .with_context(|| format!("{what} {} does not exist", path.display()))
}

/// Reads `path` unless its mode has any of the bits `forbidden`; `None` when it
/// does not exist. The mode is that of the file opened (no race with a swap).
fn read_private(path: &Path, what: &str, forbidden: u32) -> Result<Option<String>> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {what} {}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f
            .metadata()
            .with_context(|| format!("inspecting {what} {}", path.display()))?
            .permissions()
            .mode();
        if mode & forbidden != 0 {
            let who = if forbidden & 0o070 != 0 {
                "its group or others"
            } else {
                "others"
            };
            bail!(
                "refusing {what} {p}: its mode {:03o} lets {who} in; run `chmod 600 {p}`",
                mode & 0o777,
                p = path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = forbidden;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    Ok(Some(text))
}

/// Writes a file readable only by its owner, atomically and durably (temp file,
/// fsync, rename, fsync of the directory).
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
    // The rename is durable once the directory is synced (best effort: not
    // every platform or filesystem syncs a directory).
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
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

    /// Cheap parameters: tests only (production gets [`KdfParams::DEFAULT`]).
    const CHEAP: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn json(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn put_json(path: &Path, v: &serde_json::Value) {
        write_secret_file(path, &serde_json::to_string_pretty(v).unwrap()).unwrap();
    }

    /// An encrypted keystore with `alice` and `bob` under `pw`.
    fn encrypted(dir: &Path) -> (PathBuf, Keypair, Keypair) {
        let path = dir.join("keystore.json");
        let (alice, bob) = (Keypair::generate(), Keypair::generate());
        let mut ks = Keystore::load_with(&path, Passphrase::given("pw")).unwrap();
        ks.add("alice", &alice).unwrap();
        ks.add("bob", &bob).unwrap();
        ks.encrypt(CHEAP).unwrap();
        ks.save().unwrap();
        (path, alice, bob)
    }

    fn error_of(path: &Path, pass: &str, name: &str) -> String {
        let ks = Keystore::load_with(path, Passphrase::given(pass))
            .and_then(|ks| ks.key(name).map(|_| ()))
            .unwrap_err();
        format!("{ks:#}")
    }

    #[test]
    fn an_encrypted_keystore_round_trips_and_keeps_no_secret_in_the_clear() {
        let dir = tempfile::tempdir().unwrap();
        let (path, alice, bob) = encrypted(dir.path());
        let v = json(&path);
        assert_eq!(v["version"], 2);
        assert_eq!(v["encrypted"], true);
        assert_eq!(v["cipher"], "xchacha20poly1305");
        assert_eq!(v["kdf"]["name"], "argon2id");
        assert_eq!(v["kdf"]["memory_kib"], 64);
        assert_eq!(v["kdf"]["salt"].as_str().unwrap().len(), 2 * SALT_LEN);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&alice.secret_hex()) && !text.contains("\"secret\""));

        let mut ks = Keystore::load_with(&path, Passphrase::given("pw")).unwrap();
        assert!(ks.is_encrypted());
        assert_eq!(ks.kdf_params(), Some(CHEAP));
        assert_eq!(ks.key("alice").unwrap().public(), alice.public());
        assert_eq!(
            ks.key(&Address(bob.public()).to_string()).unwrap().public(),
            bob.public()
        );
        // A key added to an encrypted keystore is sealed too.
        let carol = Keypair::generate();
        ks.add("carol", &carol).unwrap();
        ks.save().unwrap();
        assert!(!std::fs::read_to_string(&path)
            .unwrap()
            .contains(&carol.secret_hex()));
        let ks = Keystore::load_with(&path, Passphrase::given("pw")).unwrap();
        assert_eq!(ks.key("carol").unwrap().public(), carol.public());
        // Names and addresses need no passphrase.
        let ks = Keystore::load_with(&path, Passphrase::given("")).unwrap();
        assert_eq!(ks.resolve("bob").unwrap(), Address(bob.public()));
        assert!(ks.contains("carol") && !ks.contains("dave"));
        // Encrypting twice is refused.
        let mut ks = Keystore::load_with(&path, Passphrase::given("pw")).unwrap();
        assert!(ks
            .encrypt(CHEAP)
            .unwrap_err()
            .to_string()
            .contains("already encrypted"));
    }

    #[test]
    fn a_wrong_passphrase_opens_nothing_and_seals_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, _) = encrypted(dir.path());
        let err = error_of(&path, "wrong", "bob");
        assert!(err.contains("wrong passphrase"), "{err}");
        let mut ks = Keystore::load_with(&path, Passphrase::given("wrong")).unwrap();
        let err = ks.add("carol", &Keypair::generate()).unwrap_err();
        assert!(err.to_string().contains("wrong passphrase"), "{err}");
        assert_eq!(ks.keys.len(), 2);
        // No passphrase at all.
        let ks = Keystore::load_with(&path, Passphrase::given("")).unwrap();
        assert!(ks.key("alice").is_err());
    }

    #[test]
    fn altered_ciphertexts_and_associated_data_do_not_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, _) = encrypted(dir.path());
        let good = json(&path);
        let mut cases: Vec<(&str, serde_json::Value)> = Vec::new();
        // A flipped bit of bob's ciphertext.
        let mut v = good.clone();
        let ct = v["keys"][1]["ciphertext"].as_str().unwrap().to_string();
        let flipped = format!("{}{}", if &ct[..1] == "0" { "1" } else { "0" }, &ct[1..]);
        v["keys"][1]["ciphertext"] = flipped.into();
        cases.push(("ciphertext", v));
        // Names swapped between the entries.
        let mut v = good.clone();
        v["keys"][0]["name"] = "bob".into();
        v["keys"][1]["name"] = "alice".into();
        cases.push(("names", v));
        // Sealed secrets swapped between the entries.
        let mut v = good.clone();
        for f in ["nonce", "ciphertext"] {
            let a = v["keys"][0][f].clone();
            v["keys"][0][f] = v["keys"][1][f].clone();
            v["keys"][1][f] = a;
        }
        cases.push(("secrets", v));
        // Weaker KDF parameters, another salt.
        let mut v = good.clone();
        v["kdf"]["iterations"] = 2.into();
        cases.push(("iterations", v));
        let mut v = good.clone();
        v["kdf"]["salt"] = "00".repeat(16).into();
        cases.push(("salt", v));
        for (what, v) in cases {
            put_json(&path, &v);
            let err = error_of(&path, "pw", "bob");
            assert!(err.contains("altered"), "{what}: {err}");
        }
        // Out-of-range or unknown parameters are refused before any hashing.
        for (field, value, expect) in [
            ("memory_kib", serde_json::json!(8u64 << 20), "out of range"),
            (
                "name",
                serde_json::json!("scrypt"),
                "unknown key derivation",
            ),
        ] {
            let mut v = good.clone();
            v["kdf"][field] = value;
            put_json(&path, &v);
            let err = format!("{:#}", Keystore::load(&path).err().unwrap());
            assert!(err.contains(expect), "{field}: {err}");
        }
        let mut v = good.clone();
        v["version"] = 1.into();
        put_json(&path, &v);
        assert!(Keystore::load(&path).is_err());
        let mut v = good;
        v["keys"][0]["secret"] = "00".repeat(32).into();
        put_json(&path, &v);
        assert!(Keystore::load(&path).is_err());
    }

    #[test]
    fn the_development_keystore_is_marked_and_old_files_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.json");
        let alice = Keypair::generate();
        let mut ks = Keystore::load(&path).unwrap();
        ks.add("alice", &alice).unwrap();
        ks.save().unwrap();
        let v = json(&path);
        assert_eq!(v["version"], 1);
        assert_eq!(v["encrypted"], false);
        assert_eq!(v["development"], true);
        assert_eq!(v["keys"][0]["secret"], alice.secret_hex());
        let ks = Keystore::load(&path).unwrap();
        assert!(!ks.is_encrypted());
        assert_eq!(ks.key("alice").unwrap().public(), alice.public());

        // A file written before the marker existed.
        let old = serde_json::json!({"version": 1, "keys": [
            {"name": "bob", "address": Address(alice.public()), "secret": alice.secret_hex()}
        ]});
        put_json(&path, &old);
        assert_eq!(
            Keystore::load(&path).unwrap().key("bob").unwrap().public(),
            alice.public()
        );
        // A secret that is not the address's is corrupt, not another key.
        let other = Keypair::generate();
        let bad = serde_json::json!({"version": 1, "keys": [
            {"name": "bob", "address": Address(alice.public()), "secret": other.secret_hex()}
        ]});
        put_json(&path, &bad);
        let err = Keystore::load(&path).unwrap().key("bob").unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
        // Newer formats are refused.
        put_json(&path, &serde_json::json!({"version": 9, "keys": []}));
        let err = format!("{:#}", Keystore::load(&path).err().unwrap());
        assert!(err.contains("version 9"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_open_to_group_or_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ks_path = dir.path().join("keystore.json");
        let mut ks = Keystore::load(&ks_path).unwrap();
        ks.add("alice", &Keypair::generate()).unwrap();
        ks.save().unwrap();
        let dev_path = dir.path().join("device.key.json");
        DeviceKeyFile::write(&dev_path, &Keypair::generate()).unwrap();
        let chmod = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        for mode in [0o640, 0o604, 0o660, 0o644, 0o620] {
            chmod(&ks_path, mode);
            let err = Keystore::load(&ks_path).err().unwrap().to_string();
            assert!(
                err.contains(&format!("mode {mode:03o}"))
                    && err.contains(&format!("chmod 600 {}", ks_path.display())),
                "{err}"
            );
            chmod(&dev_path, mode);
            let err = DeviceKeyFile::load(&dev_path).unwrap_err().to_string();
            assert!(
                err.contains("device key") && err.contains("chmod 600"),
                "{err}"
            );
        }
        chmod(&ks_path, 0o400);
        chmod(&dev_path, 0o600);
        assert!(Keystore::load(&ks_path).is_ok() && DeviceKeyFile::load(&dev_path).is_ok());

        // A passphrase file may be shared with a group, not with others.
        let (enc, alice, _) = encrypted(&dir.path().join("enc"));
        let pass = dir.path().join("passphrase");
        std::fs::write(&pass, "pw\n").unwrap();
        let with_file =
            || Keystore::load_with(&enc, Passphrase::from_file(Some(pass.clone())))?.key("alice");
        chmod(&pass, 0o640);
        assert_eq!(with_file().unwrap().public(), alice.public());
        chmod(&pass, 0o604);
        let err = with_file().unwrap_err().to_string();
        assert!(
            err.contains("passphrase file") && err.contains("chmod 600"),
            "{err}"
        );
    }
}
