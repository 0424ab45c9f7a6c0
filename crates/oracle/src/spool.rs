//! The spool: every accepted report, in batches written once and named by their
//! hash.
//!
//! ```text
//! spool/<epoch>/<blake3 of contents>.batch     borsh(SpoolBatch)
//! ```
//! A batch is written to a temporary file, fsynced, renamed into place and the
//! directory fsynced before any report in it is acknowledged, so a crash (kill -9
//! included) loses no acknowledged report. Batches are never rewritten; an epoch's
//! inputs are the set of its batch files, in hash order, so anyone holding the same
//! batches computes the same scores (`plinth oracle audit`). A file whose contents
//! no longer match its name is refused on read.

use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{DeviceId, Hash};
use plinth_proofs::SignedReport;
use std::path::{Path, PathBuf};

/// An oracle probe as issued: the challenge, and until when it may be answered.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct ProbeIssue {
    pub device: DeviceId,
    pub challenge: Hash,
    pub issued_ms: u64,
    pub deadline_ms: u64,
}

/// One batch file's contents.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SpoolBatch {
    Reports(Vec<SignedReport>),
    Probes(Vec<ProbeIssue>),
    /// The device registry at the epoch's close, per network.
    Registry(Vec<crate::epoch::RegistrySnapshot>),
    /// Beacon rounds of coverage networks, as drawn.
    Rounds(Vec<RoundIssue>),
    /// Storage rounds: challenges to storage providers after an epoch, and their
    /// answers.
    Storage(Vec<plinth_proofs::storage::StorageRound>),
}

/// A coverage network's beacon round as the oracle drew it.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct RoundIssue {
    pub network: String,
    pub round: plinth_proofs::BeaconRound,
}

/// The largest batch file read back (a batch is at most a few MiB).
pub const MAX_BATCH_BYTES: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("spool batch {name} is corrupt: {reason}")]
    Corrupt { name: String, reason: String },
}

pub struct Spool {
    dir: PathBuf,
}

/// The content hash that names a batch.
pub fn batch_hash(bytes: &[u8]) -> Hash {
    Hash::tagged("plinth/spool-batch", bytes)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl Spool {
    pub fn open(dir: &Path) -> Result<Spool, SpoolError> {
        std::fs::create_dir_all(dir)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
        })
    }

    fn epoch_dir(&self, epoch: u64) -> PathBuf {
        self.dir.join(epoch.to_string())
    }

    /// Writes a batch durably; returns its hash. Writing the same contents twice is
    /// harmless (same name).
    pub fn write(&self, epoch: u64, batch: &SpoolBatch) -> Result<Hash, SpoolError> {
        let bytes = plinth_core::encode(batch);
        let hash = batch_hash(&bytes);
        let dir = self.epoch_dir(epoch);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{hash}.batch"));
        if path.exists() {
            return Ok(hash);
        }
        let tmp = dir.join(format!("{hash}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        sync_dir(&dir)?;
        Ok(hash)
    }

    /// The hashes of an epoch's batches, in hash order.
    pub fn batches(&self, epoch: u64) -> Result<Vec<Hash>, SpoolError> {
        let dir = self.epoch_dir(epoch);
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            // Leftover temporary files of a crash were never acknowledged.
            if let Some(stem) = name.strip_suffix(".batch") {
                if let Ok(h) = stem.parse::<Hash>() {
                    out.push(h);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Epochs that have a spool directory, ascending.
    pub fn epochs(&self) -> Result<Vec<u64>, SpoolError> {
        let mut out: Vec<u64> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
            .collect();
        out.sort();
        Ok(out)
    }

    /// The raw bytes of a batch, checked against its name.
    pub fn read_raw(&self, epoch: u64, hash: &Hash) -> Result<Vec<u8>, SpoolError> {
        let path = self.epoch_dir(epoch).join(format!("{hash}.batch"));
        let bytes = std::fs::read(&path)?;
        if batch_hash(&bytes) != *hash {
            return Err(SpoolError::Corrupt {
                name: hash.to_string(),
                reason: "contents do not match the batch's name".into(),
            });
        }
        Ok(bytes)
    }

    pub fn read(&self, epoch: u64, hash: &Hash) -> Result<SpoolBatch, SpoolError> {
        decode_batch(hash, &self.read_raw(epoch, hash)?)
    }
}

/// Decodes batch bytes that must hash to `hash`.
pub fn decode_batch(hash: &Hash, bytes: &[u8]) -> Result<SpoolBatch, SpoolError> {
    if batch_hash(bytes) != *hash {
        return Err(SpoolError::Corrupt {
            name: hash.to_string(),
            reason: "contents do not match the batch's name".into(),
        });
    }
    plinth_core::decode(bytes, MAX_BATCH_BYTES).map_err(|e| SpoolError::Corrupt {
        name: hash.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;
    use plinth_proofs::{Report, ReportBody};

    fn report(seq: u64) -> SignedReport {
        let k = Keypair::from_seed([1; 32]);
        Report {
            chain: Hash::ZERO,
            device: DeviceId(k.public()),
            network: "n".into(),
            epoch: 0,
            timestamp_ms: seq,
            seq,
            body: ReportBody::Heartbeat,
        }
        .sign(&k)
    }

    #[test]
    fn write_list_read_and_detect_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let b1 = SpoolBatch::Reports(vec![report(1), report(2)]);
        let b2 = SpoolBatch::Reports(vec![report(3)]);
        let h1 = spool.write(5, &b1).unwrap();
        let h2 = spool.write(5, &b2).unwrap();
        assert_eq!(spool.write(5, &b1).unwrap(), h1);
        let mut want = vec![h1, h2];
        want.sort();
        assert_eq!(spool.batches(5).unwrap(), want);
        assert_eq!(spool.batches(6).unwrap(), vec![]);
        assert_eq!(spool.epochs().unwrap(), vec![5]);
        assert_eq!(spool.read(5, &h1).unwrap(), b1);
        // Alter a batch on disk: reading it fails.
        let path = dir.path().join("5").join(format!("{h2}.batch"));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            spool.read(5, &h2),
            Err(SpoolError::Corrupt { .. })
        ));
    }
}
