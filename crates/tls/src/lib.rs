//! TLS for Plinth's clients and servers.
//!
//! Clients: every HTTP agent of the process (`plinth_api::client::agent`, the
//! storage client) and the oracle's
//! MQTT client over `mqtts://` use [`client_config`]: the public web roots
//! (Mozilla's, from `webpki-roots`, compiled in) plus the CA certificates added
//! with [`add_ca_file`], e.g. a testnet's own CA (`plinth testnet init --tls`
//! writes one). The CLI adds `--ca FILE` / `PLINTH_CA_FILE`, and services add
//! the `ca` of their config file, before they build any client.
//!
//! The crypto provider is rustls' aws-lc-rs provider (the consensus crates
//! already build aws-lc; its key exchange includes the post-quantum hybrid), for
//! clients and servers alike.
//!
//! Servers (feature `server`): [`server::Listener`] serves axum over plain TCP or
//! TLS. Certificates (feature `certs`): [`certs::Ca`] makes a testnet's CA and
//! signs its servers' certificates.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The environment variable the CLI and the services read a CA file from.
pub const CA_ENV: &str = "PLINTH_CA_FILE";

/// The largest CA file read (a bundle of a few hundred certificates).
const MAX_CA_FILE: u64 = 1 << 20;

/// Why TLS material could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not what it should be.
    #[error("{path}: {reason}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads a PEM file of at most [`MAX_CA_FILE`] bytes.
pub(crate) fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read = |source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read)?.len();
    if len > MAX_CA_FILE {
        return Err(TlsError::Bad {
            path: path.to_path_buf(),
            reason: format!("{len} bytes is more than a PEM file may be ({MAX_CA_FILE})"),
        });
    }
    std::fs::read(path).map_err(read)
}

/// The certificates of a PEM file (at least one).
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Bad {
            path: path.to_path_buf(),
            reason: format!("not a PEM certificate file: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Bad {
            path: path.to_path_buf(),
            reason: "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

/// The CA certificates added to the web roots, and the config made of them.
struct Roots {
    extra: Vec<CertificateDer<'static>>,
    files: Vec<PathBuf>,
    config: Option<Arc<ClientConfig>>,
}

static ROOTS: Mutex<Roots> = Mutex::new(Roots {
    extra: Vec::new(),
    files: Vec::new(),
    config: None,
});

/// Trusts the CA certificates in the PEM file `path` for every client this
/// process builds from now on (beside the public web roots). Adding the same file
/// twice is harmless.
pub fn add_ca_file(path: &Path) -> Result<(), TlsError> {
    let certs = read_certificates(path)?;
    let mut store = RootCertStore::empty();
    let (added, ignored) = store.add_parsable_certificates(certs.iter().cloned());
    if added == 0 || ignored > 0 {
        return Err(TlsError::Bad {
            path: path.to_path_buf(),
            reason: format!("{ignored} of its certificates cannot be used as a CA"),
        });
    }
    let mut roots = ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    if roots.files.iter().any(|f| f == path) {
        return Ok(());
    }
    roots.files.push(path.to_path_buf());
    roots.extra.extend(certs);
    roots.config = None;
    Ok(())
}

/// The CA files added so far (for logs).
pub fn ca_files() -> Vec<PathBuf> {
    ROOTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .files
        .clone()
}

/// The crypto provider of every TLS config of Plinth.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The client config: the web roots and the added CAs, TLS 1.2 and 1.3.
pub fn client_config() -> Arc<ClientConfig> {
    let mut roots = ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = &roots.config {
        return c.clone();
    }
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    store.add_parsable_certificates(roots.extra.iter().cloned());
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(store)
        .with_no_client_auth();
    let config = Arc::new(config);
    roots.config = Some(config.clone());
    config
}

#[cfg(feature = "certs")]
pub mod certs;
#[cfg(feature = "server")]
pub mod server;
