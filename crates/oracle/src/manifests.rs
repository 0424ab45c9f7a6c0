//! Published manifests: one JSON file per network and epoch, and the index that
//! HTTP requests are answered from.
//!
//! ```text
//! manifests/<network>/<epoch>.json     a signed Manifest (written once: tmp, fsync, rename)
//! ```
//!
//! The index ([`ManifestStore::page`], [`ManifestStore::rewards_of`]) is built
//! once at start and kept up to date as epochs close, so that no request re-reads
//! the manifests.

use crate::epoch::Manifest;
use anyhow::{Context, Result};
use plinth_core::{Address, Hash};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// A claimable reward: one manifest entry with its proof (the API's
/// [`plinth_api::oracle::RewardClaim`]).
pub use plinth_api::oracle::RewardClaim;

/// What [`ManifestStore::page`] and [`ManifestStore::rewards_of`] answer from.
#[derive(Default)]
struct ManifestIndex {
    /// `(epoch, network)` of every published manifest.
    list: BTreeSet<(u64, String)>,
    /// Each owner's claims, in manifest order.
    rewards: HashMap<Address, Vec<RewardClaim>>,
}

impl ManifestIndex {
    fn add(&mut self, network: &str, epoch: u64, m: &Manifest) {
        if !self.list.insert((epoch, network.to_string())) {
            return;
        }
        let leaves: Vec<Hash> = m.entries.iter().map(|e| e.leaf()).collect();
        for (i, entry) in m.entries.iter().enumerate() {
            if let Some(proof) = plinth_core::merkle::prove(&leaves, i) {
                self.rewards
                    .entry(entry.owner)
                    .or_default()
                    .push(RewardClaim {
                        network: network.to_string(),
                        epoch,
                        index: i as u64,
                        entry: *entry,
                        proof,
                    });
            }
        }
    }
}

/// The manifests directory and its index.
pub struct ManifestStore {
    dir: PathBuf,
    index: RwLock<ManifestIndex>,
}

impl ManifestStore {
    /// Opens the manifests in `dir` and reads those of `networks` into the index.
    pub fn open<'a>(dir: &Path, networks: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let store = ManifestStore {
            dir: dir.to_path_buf(),
            index: Default::default(),
        };
        let mut index = store.index.write().expect("index lock");
        for network in networks {
            let Ok(entries) = std::fs::read_dir(dir.join(network)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(epoch) = name.strip_suffix(".json").and_then(|s| s.parse().ok()) {
                    if let Some(m) = store.read(network, epoch)? {
                        index.add(network, epoch, &m);
                    }
                }
            }
        }
        drop(index);
        Ok(store)
    }

    fn path(&self, network: &str, epoch: u64) -> PathBuf {
        self.dir.join(network).join(format!("{epoch}.json"))
    }

    fn state_path(&self, network: &str, epoch: u64) -> PathBuf {
        self.dir.join(network).join(format!("{epoch}.state"))
    }

    /// The state a custom family returned for `epoch` when this oracle computed
    /// its manifest (closing it or co-signing it).
    pub fn read_state(&self, network: &str, epoch: u64) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.state_path(network, epoch)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps the state a custom family returned for `epoch` (durably: a
    /// temporary file, fsynced, renamed into place).
    pub fn save_state(&self, network: &str, epoch: u64, state: &[u8]) -> Result<()> {
        let path = self.state_path(network, epoch);
        std::fs::create_dir_all(path.parent().expect("state dir"))?;
        let tmp = path.with_extension("state-tmp");
        std::fs::write(&tmp, state)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// A published manifest.
    pub fn read(&self, network: &str, epoch: u64) -> Result<Option<Manifest>> {
        let path = self.path(network, epoch);
        match std::fs::read(&path) {
            Ok(bytes) => {
                Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                    format!("reading manifest {}", path.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Publishes a signed manifest: written durably (a temporary file, fsynced,
    /// renamed into place), then indexed.
    pub fn publish(&self, network: &str, epoch: u64, m: &Manifest) -> Result<()> {
        let path = self.path(network, epoch);
        std::fs::create_dir_all(path.parent().expect("manifest dir"))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(m)?)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        self.index
            .write()
            .expect("index lock")
            .add(network, epoch, m);
        Ok(())
    }

    /// At most `limit` published manifests' (network, epoch), ascending by
    /// (epoch, network), strictly after `after`.
    pub fn page(&self, after: Option<(u64, String)>, limit: usize) -> Vec<(String, u64)> {
        use std::ops::Bound;
        let index = self.index.read().expect("index lock");
        let from = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        index
            .list
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(e, n)| (n.clone(), *e))
            .collect()
    }

    /// Every reward entry of `owner`'s devices, with proofs.
    pub fn rewards_of(&self, owner: &Address) -> Vec<RewardClaim> {
        self.index
            .read()
            .expect("index lock")
            .rewards
            .get(owner)
            .cloned()
            .unwrap_or_default()
    }

    /// The newest epoch with a published manifest for `network` (from the
    /// directory).
    pub fn last_epoch(&self, network: &str) -> Option<u64> {
        std::fs::read_dir(self.dir.join(network))
            .ok()?
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".json")
                    .and_then(|s| s.parse::<u64>().ok())
            })
            .max()
    }
}
