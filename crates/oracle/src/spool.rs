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
use plinth_proofs::{DeviceInfo, SignedReport};
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
    /// The device challenged.
    pub device: DeviceId,
    /// The challenge it must sign in a probe answer.
    pub challenge: Hash,
    /// When the oracle issued it (its clock).
    pub issued_ms: u64,
    /// The last moment an answer counts (the oracle's clock).
    pub deadline_ms: u64,
}

/// The registry as the oracle saw it when it closed an epoch, for one network
/// (written to the spool, so that audits score against the same devices).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RegistrySnapshot {
    /// The network's name.
    pub network: String,
    /// The height of the block whose registry this is (the ledger's registry
    /// digest at that height covers exactly these devices).
    pub height: u64,
    /// Its registered devices, by id.
    pub devices: Vec<DeviceInfo>,
}

/// One batch file's contents.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SpoolBatch {
    /// Accepted reports.
    Reports(Vec<SignedReport>),
    /// Probes issued to uptime devices.
    Probes(Vec<ProbeIssue>),
    /// The device registry at the epoch's close, per network.
    Registry(Vec<RegistrySnapshot>),
    /// Beacon rounds of coverage networks, as drawn.
    Rounds(Vec<RoundIssue>),
    /// Storage rounds: challenges to storage providers after an epoch, and their
    /// answers. A round too large for one batch is split by deals: parts have the
    /// same network, epoch and seed and disjoint deals.
    Storage(Vec<plinth_proofs::storage::StorageRound>),
    /// When the oracle received probe answers (its own clock, not the device's
    /// timestamp): written before the answer reports themselves, in the same
    /// acknowledged group. An answer's latency is scored from this.
    Answered(Vec<AnswerReceipt>),
    /// The registry and storage batches written when the epoch was closed: only
    /// these count (parts left by an attempt that crashed half-way do not).
    Closed(Vec<Hash>),
    /// Compute networks: the credits each provider earned in the epoch, as the
    /// ledger recorded them (read at close, named by the close record).
    Earnings(Vec<plinth_proofs::compute::ComputeEarnings>),
    /// Custom (`wasm`) networks: the state each module returned for the epoch
    /// before, which this epoch's run is given (written at close, named by the
    /// close record).
    FamilyStates(Vec<FamilyState>),
}

/// A custom family's state handed from one epoch's run to the next's (the family
/// ABI's `state`).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FamilyState {
    /// The network.
    pub network: String,
    /// The epoch whose run returned it.
    pub epoch: u64,
    /// The bytes (at most `plinth_proofs::wasm::MAX_STATE_BYTES`).
    pub state: Vec<u8>,
}

/// When the oracle received a device's answer to a probe.
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
pub struct AnswerReceipt {
    /// The device that answered.
    pub device: DeviceId,
    /// The challenge it answered.
    pub challenge: Hash,
    /// When the oracle received the answer (its clock).
    pub received_ms: u64,
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
    /// The coverage network.
    pub network: String,
    /// The round drawn.
    pub round: plinth_proofs::BeaconRound,
}

/// The largest batch file, written or read: the oracle splits what it writes
/// ([`SpoolBatch::split`], [`Spool::write_all`]) so that every batch it writes can
/// be read back.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// Room left in a part for the batch's own framing (variant tag, lengths, a
/// storage round's header).
const FRAMING_BYTES: usize = 4096;

/// Why the spool could not write or read a batch.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The file system failed.
    #[error("spool i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A batch larger than [`MAX_BATCH_BYTES`].
    #[error("spool batch of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The batch's size in bytes.
        size: usize,
        /// The limit ([`MAX_BATCH_BYTES`]).
        limit: usize,
    },
    /// A batch whose contents do not match its name, or do not decode.
    #[error("spool batch {name} is corrupt: {reason}")]
    Corrupt {
        /// The batch's name (its hash).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The spool directory: one folder per epoch, one file per batch.
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
    /// Opens (creating it if needed) the spool in `dir`.
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
    /// A batch larger than [`MAX_BATCH_BYTES`] is refused (it could not be read
    /// back): write large ones with [`Spool::write_all`].
    pub fn write(&self, epoch: u64, batch: &SpoolBatch) -> Result<Hash, SpoolError> {
        self.write_raw(epoch, &plinth_core::encode(batch))
    }

    /// Writes a batch's encoding durably (a batch fetched from a peer, already
    /// checked); returns its hash. The same limits and guarantees as
    /// [`Spool::write`].
    pub fn write_raw(&self, epoch: u64, bytes: &[u8]) -> Result<Hash, SpoolError> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(SpoolError::TooLarge {
                size: bytes.len(),
                limit: MAX_BATCH_BYTES,
            });
        }
        let hash = batch_hash(bytes);
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
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        sync_dir(&dir)?;
        Ok(hash)
    }

    /// Whether the spool holds batch `hash` of `epoch`.
    pub fn has(&self, epoch: u64, hash: &Hash) -> bool {
        self.epoch_dir(epoch).join(format!("{hash}.batch")).exists()
    }

    /// When the batch was stored (its file's time, milliseconds since the Unix
    /// epoch): what the cut-off of an epoch is compared with. `None` if absent.
    pub fn stored_ms(&self, epoch: u64, hash: &Hash) -> Option<u64> {
        let meta = std::fs::metadata(self.epoch_dir(epoch).join(format!("{hash}.batch"))).ok()?;
        let t = meta.modified().ok()?;
        Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64)
    }

    /// Writes a batch of any size as parts of at most [`MAX_BATCH_BYTES`] each
    /// ([`SpoolBatch::split`]); returns their hashes.
    pub fn write_all(&self, epoch: u64, batch: SpoolBatch) -> Result<Vec<Hash>, SpoolError> {
        batch
            .split(MAX_BATCH_BYTES)
            .iter()
            .map(|b| self.write(epoch, b))
            .collect()
    }

    /// Removes a batch (only ones never acknowledged nor named by a manifest:
    /// parts of an epoch close that did not finish).
    pub fn remove(&self, epoch: u64, hash: &Hash) -> Result<(), SpoolError> {
        match std::fs::remove_file(self.epoch_dir(epoch).join(format!("{hash}.batch"))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
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
        let size = std::fs::metadata(&path)?.len();
        if size > MAX_BATCH_BYTES as u64 {
            return Err(SpoolError::TooLarge {
                size: size as usize,
                limit: MAX_BATCH_BYTES,
            });
        }
        let bytes = std::fs::read(&path)?;
        if batch_hash(&bytes) != *hash {
            return Err(SpoolError::Corrupt {
                name: hash.to_string(),
                reason: "contents do not match the batch's name".into(),
            });
        }
        Ok(bytes)
    }

    /// A batch, checked against its name and decoded.
    pub fn read(&self, epoch: u64, hash: &Hash) -> Result<SpoolBatch, SpoolError> {
        decode_batch(hash, &self.read_raw(epoch, hash)?)
    }
}

fn encoded_len<T: BorshSerialize>(item: &T) -> usize {
    borsh::object_length(item).unwrap_or(usize::MAX / 2)
}

/// Cuts `items` into consecutive runs whose encoded sizes add up to at most
/// `budget` (an item larger than that alone is a run of its own), each run made a
/// batch by `batch`.
fn runs<T: BorshSerialize>(
    items: Vec<T>,
    budget: usize,
    batch: fn(Vec<T>) -> SpoolBatch,
) -> Vec<SpoolBatch> {
    runs_by(items, budget, encoded_len)
        .into_iter()
        .map(batch)
        .collect()
}

/// [`runs`] with the size of each item given by `size`.
fn runs_by<T>(items: Vec<T>, budget: usize, size_of: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current = Vec::new();
    let mut size = 0usize;
    for item in items {
        let n = size_of(&item);
        if !current.is_empty() && size + n > budget {
            out.push(std::mem::take(&mut current));
            size = 0;
        }
        size += n;
        current.push(item);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

impl SpoolBatch {
    /// Splits the batch into batches of the same kind, each at most `limit` bytes
    /// encoded (for any real batch: no report, probe or device is near the limit).
    /// A batch that fits is returned as it is. Registry snapshots are split by
    /// devices (a network may then have several snapshots: together they are its
    /// registry), storage rounds by deals.
    pub fn split(self, limit: usize) -> Vec<SpoolBatch> {
        if encoded_len(&self) <= limit {
            return vec![self];
        }
        let budget = limit.saturating_sub(FRAMING_BYTES).max(1);
        match self {
            SpoolBatch::Reports(v) => runs(v, budget, SpoolBatch::Reports),
            SpoolBatch::Probes(v) => runs(v, budget, SpoolBatch::Probes),
            SpoolBatch::Rounds(v) => runs(v, budget, SpoolBatch::Rounds),
            SpoolBatch::Answered(v) => runs(v, budget, SpoolBatch::Answered),
            SpoolBatch::Closed(v) => runs(v, budget, SpoolBatch::Closed),
            SpoolBatch::Registry(snaps) => split_registry(snaps, budget),
            SpoolBatch::Storage(rounds) => split_storage(rounds, budget),
            SpoolBatch::Earnings(es) => split_earnings(es, budget),
            // One state (≤ 16 MiB) always fits a batch.
            SpoolBatch::FamilyStates(v) => runs(v, budget, SpoolBatch::FamilyStates),
        }
    }
}

/// Compute earnings cut by providers into parts of at most `budget` bytes (parts
/// of one network share its epoch, height and price; together they are its
/// earnings).
fn split_earnings(
    earnings: Vec<plinth_proofs::compute::ComputeEarnings>,
    budget: usize,
) -> Vec<SpoolBatch> {
    // A part's fixed fields plus 40 bytes per (device, credits).
    let per_part = (budget.saturating_sub(256) / 40).max(1);
    let mut out = Vec::new();
    for e in earnings {
        if e.earned.len() + e.work.len() <= per_part {
            out.push(SpoolBatch::Earnings(vec![e]));
            continue;
        }
        // Earnings and work in separate parts.
        for part in e.earned.chunks(per_part) {
            out.push(SpoolBatch::Earnings(vec![
                plinth_proofs::compute::ComputeEarnings {
                    earned: part.to_vec(),
                    work: Vec::new(),
                    ..e.clone()
                },
            ]));
        }
        for part in e.work.chunks(per_part) {
            out.push(SpoolBatch::Earnings(vec![
                plinth_proofs::compute::ComputeEarnings {
                    earned: Vec::new(),
                    work: part.to_vec(),
                    ..e.clone()
                },
            ]));
        }
    }
    out
}

/// Registry snapshots cut by devices into parts of at most `budget` bytes (a
/// network may then have several snapshots: together they are its registry).
fn split_registry(snaps: Vec<RegistrySnapshot>, budget: usize) -> Vec<SpoolBatch> {
    // (network, device) pairs, cut into runs, regrouped per network. The snapshots
    // of one close name one height.
    let height = snaps.first().map_or(0, |s| s.height);
    let mut items = Vec::new();
    for s in snaps {
        let network = std::sync::Arc::new(s.network);
        if s.devices.is_empty() {
            items.push((network.clone(), None));
        }
        items.extend(s.devices.into_iter().map(|d| (network.clone(), Some(d))));
    }
    // A device's size, plus its network's name and count in case it
    // starts a snapshot (an upper bound).
    let size = |(n, d): &(std::sync::Arc<String>, Option<DeviceInfo>)| {
        d.as_ref().map_or(0, encoded_len) + 4 + n.len() + 4
    };
    runs_by(items, budget, size)
        .into_iter()
        .map(|run| {
            let mut part: Vec<RegistrySnapshot> = Vec::new();
            for (n, d) in run {
                if part.last().is_none_or(|s| s.network != *n) {
                    part.push(RegistrySnapshot {
                        network: (*n).clone(),
                        height,
                        devices: Vec::new(),
                    });
                }
                if let Some(d) = d {
                    part.last_mut().expect("a snapshot").devices.push(d);
                }
            }
            SpoolBatch::Registry(part)
        })
        .collect()
}

/// Storage rounds cut by deals (each with its answers) into parts of at most
/// `budget` bytes; parts of a round keep its network, epoch, seed and price.
fn split_storage(
    rounds: Vec<plinth_proofs::storage::StorageRound>,
    budget: usize,
) -> Vec<SpoolBatch> {
    let mut parts = Vec::new();
    for r in rounds {
        let mut answers: std::collections::HashMap<Hash, Vec<_>> = std::collections::HashMap::new();
        for a in r.answers {
            answers.entry(a.deal).or_default().push(a);
        }
        let deals: Vec<_> = r
            .deals
            .into_iter()
            .map(|d| {
                let mine = answers.remove(&d.id).unwrap_or_default();
                (d, mine)
            })
            .collect();
        let size = |(d, a): &(_, Vec<_>)| encoded_len(d) + encoded_len(a);
        for run in runs_by(deals, budget, size) {
            let (deals, answers): (Vec<_>, Vec<_>) = run.into_iter().unzip();
            parts.push(SpoolBatch::Storage(vec![
                plinth_proofs::storage::StorageRound {
                    network: r.network.clone(),
                    epoch: r.epoch,
                    seed_height: r.seed_height,
                    seed: r.seed,
                    deals,
                    answers: answers.into_iter().flatten().collect(),
                    price: r.price,
                },
            ]));
        }
    }
    parts
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
