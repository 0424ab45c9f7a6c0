//! The agent's deals on disk, one directory per deal:
//!
//! ```text
//! <data_dir>/deals/<deal hex>/manifest   borsh Manifest
//!                            /hashes     chunk hashes, 32 bytes each
//!                            /received   bitmap of chunks stored durably
//!                            /data       the file (sparse until its chunks arrive)
//! ```
//!
//! A deal directory is built as `<deal hex>.new` and renamed into place, so a crash
//! never leaves half a deal. Chunks are written into `data` at their offset; the
//! `received` bitmap is replaced (write, fsync, rename, fsync the directory) only
//! after `data` is fsynced, so a chunk counts as stored only once it is durable.

use crate::manifest::{Commitment, HashListError, Manifest};
use plinth_core::Hash;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why the agent's data directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A deal directory holds what this agent would not have written.
    #[error("{path}: not a deal directory this agent wrote: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A deal's stored hash list does not match its manifest.
    #[error("{path}: the stored hash list does not match the manifest: {source}")]
    HashList {
        /// The file.
        path: PathBuf,
        /// How it does not match.
        source: HashListError,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One deal's data and state.
pub(crate) struct StoredDeal {
    pub id: Hash,
    pub commitment: Commitment,
    dir: PathBuf,
    data: File,
    received: Mutex<Received>,
}

struct Received {
    bits: Vec<u8>,
    count: u64,
}

impl Received {
    fn has(&self, index: u64) -> bool {
        self.bits
            .get((index / 8) as usize)
            .is_some_and(|b| b & (1 << (index % 8)) != 0)
    }
}

impl StoredDeal {
    pub fn manifest(&self) -> &Manifest {
        &self.commitment.manifest
    }

    /// Creates a deal directory for `commitment` under `deals`.
    pub fn create(
        deals: &Path,
        id: Hash,
        commitment: Commitment,
    ) -> Result<StoredDeal, StoreError> {
        let dir = deals.join(id.to_hex());
        let tmp = deals.join(format!("{}.new", id.to_hex()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_at(&tmp))?;
        }
        fs::create_dir_all(&tmp).map_err(io_at(&tmp))?;
        let m = commitment.manifest;
        write_synced(&tmp.join("manifest"), &plinth_core::encode(&m))?;
        let hashes: Vec<u8> = commitment
            .chunks
            .leaves()
            .iter()
            .flat_map(|h| h.0)
            .collect();
        write_synced(&tmp.join("hashes"), &hashes)?;
        write_synced(
            &tmp.join("received"),
            &vec![0u8; bitmap_len(m.chunk_count())],
        )?;
        let data_path = tmp.join("data");
        let data = File::create(&data_path).map_err(io_at(&data_path))?;
        data.set_len(m.size).map_err(io_at(&data_path))?;
        data.sync_all().map_err(io_at(&data_path))?;
        sync_dir(&tmp)?;
        fs::rename(&tmp, &dir).map_err(io_at(&dir))?;
        sync_dir(deals)?;
        StoredDeal::open(&dir)
    }

    /// Opens a deal directory written by [`StoredDeal::create`].
    pub fn open(dir: &Path) -> Result<StoredDeal, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            path: dir.to_path_buf(),
            reason,
        };
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let id: Hash = name
            .parse()
            .map_err(|_| corrupt("the directory name is not a deal id".into()))?;
        let manifest_path = dir.join("manifest");
        let manifest: Manifest = plinth_core::decode(
            &fs::read(&manifest_path).map_err(io_at(&manifest_path))?,
            64,
        )
        .map_err(|e| corrupt(format!("manifest: {e}")))?;
        manifest
            .check()
            .map_err(|e| corrupt(format!("manifest: {e}")))?;
        let hashes_path = dir.join("hashes");
        let raw = fs::read(&hashes_path).map_err(io_at(&hashes_path))?;
        if raw.len() % 32 != 0 {
            return Err(corrupt(format!("hashes: {} bytes", raw.len())));
        }
        let hashes = raw
            .chunks_exact(32)
            .map(|c| Hash(c.try_into().expect("32 bytes")))
            .collect();
        let commitment =
            Commitment::from_hashes(manifest, hashes).map_err(|source| StoreError::HashList {
                path: dir.to_path_buf(),
                source,
            })?;
        let received_path = dir.join("received");
        let bits = fs::read(&received_path).map_err(io_at(&received_path))?;
        if bits.len() != bitmap_len(manifest.chunk_count()) {
            return Err(corrupt(format!("received: {} bytes", bits.len())));
        }
        let count = bits.iter().map(|b| b.count_ones() as u64).sum();
        let data_path = dir.join("data");
        let data = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&data_path)
            .map_err(io_at(&data_path))?;
        let len = data.metadata().map_err(io_at(&data_path))?.len();
        if len != manifest.size {
            return Err(corrupt(format!(
                "data: {len} bytes, the manifest says {}",
                manifest.size
            )));
        }
        Ok(StoredDeal {
            id,
            commitment,
            dir: dir.to_path_buf(),
            data,
            received: Mutex::new(Received { bits, count }),
        })
    }

    /// Chunks stored durably.
    pub fn stored(&self) -> u64 {
        self.received.lock().expect("received lock").count
    }

    /// Whether chunk `index` is stored durably.
    pub fn has(&self, index: u64) -> bool {
        self.received.lock().expect("received lock").has(index)
    }

    /// Writes chunk `index` (already checked) at its offset; not yet durable.
    pub fn write_chunk(&self, index: u64, bytes: &[u8]) -> io::Result<()> {
        self.data
            .write_all_at(bytes, self.manifest().chunk_offset(index))
    }

    /// Makes every chunk written so far durable, then records `indices` as stored.
    pub fn commit(&self, indices: impl IntoIterator<Item = u64>) -> io::Result<()> {
        self.data.sync_data()?;
        let mut r = self.received.lock().expect("received lock");
        let mut bits = r.bits.clone();
        let mut added = 0;
        for i in indices {
            let (byte, bit) = ((i / 8) as usize, 1u8 << (i % 8));
            if bits[byte] & bit == 0 {
                bits[byte] |= bit;
                added += 1;
            }
        }
        if added == 0 {
            return Ok(());
        }
        let path = self.dir.join("received");
        let tmp = self.dir.join("received.new");
        write_synced(&tmp, &bits).map_err(store_to_io)?;
        fs::rename(&tmp, &path)?;
        sync_dir(&self.dir).map_err(store_to_io)?;
        r.bits = bits;
        r.count += added;
        Ok(())
    }

    /// Fills `buf` from byte `offset` of the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.data.read_exact_at(buf, offset)
    }

    /// Reads chunk `index`.
    pub fn read_chunk(&self, index: u64) -> io::Result<Vec<u8>> {
        let m = self.manifest();
        let mut buf = vec![0u8; m.chunk_len(index)];
        self.read_at(m.chunk_offset(index), &mut buf)?;
        Ok(buf)
    }
}

fn bitmap_len(chunks: u64) -> usize {
    chunks.div_ceil(8) as usize
}

fn store_to_io(e: StoreError) -> io::Error {
    match e {
        StoreError::Io { source, .. } => source,
        other => io::Error::other(other.to_string()),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io_at(path))?;
    f.write_all(bytes).map_err(io_at(path))?;
    f.sync_all().map_err(io_at(path))
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

/// Opens every deal under `deals`, removing half-created ones.
pub(crate) fn open_all(deals: &Path) -> Result<Vec<StoredDeal>, StoreError> {
    fs::create_dir_all(deals).map_err(io_at(deals))?;
    let mut out = Vec::new();
    for entry in fs::read_dir(deals).map_err(io_at(deals))? {
        let path = entry.map_err(io_at(deals))?.path();
        if path.extension().is_some_and(|e| e == "new") {
            fs::remove_dir_all(&path).map_err(io_at(&path))?;
            continue;
        }
        out.push(StoredDeal::open(&path)?);
    }
    Ok(out)
}
