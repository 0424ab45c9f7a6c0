//! The durable mempool: an append-only log of accepted transactions beside the
//! database.
//!
//! Accepting a transaction appends an `add` record and fsyncs before the submitter
//! is answered; a committed block appends `remove` records for what it included
//! (no fsync needed: a lost `remove` only brings back a transaction that admission
//! refuses again as already committed). Appends are sequential writes, far cheaper
//! than keeping a B-tree of pending transactions. When the log is mostly dead
//! records it is rewritten with the live ones (temp file, fsync, rename).
//!
//! ```text
//! record = kind:u8 ‖ hash:32 ‖ len:u32 ‖ payload:len ‖ check:u64
//! kind   = 1 add (payload = transaction bytes) | 2 remove (len = 0)
//! check  = first 8 bytes of blake3(kind ‖ hash ‖ len ‖ payload)
//! ```
//! A torn or corrupt tail (a crash during an append) ends the log: those records
//! were never acknowledged, and the file is truncated there on open.

use plinth_core::Hash;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const ADD: u8 = 1;
const REMOVE: u8 = 2;
const HEADER: usize = 1 + 32 + 4;
/// No transaction is near this size; a larger length means corruption.
const MAX_PAYLOAD: u32 = 1 << 20;
/// Compact when the file is at least this big and mostly dead records.
const COMPACT_AT: u64 = 32 << 20;

pub(crate) struct MempoolLog {
    path: PathBuf,
    file: File,
    len: u64,
    live: HashMap<Hash, Vec<u8>>,
    live_bytes: u64,
}

fn check(head: &[u8], payload: &[u8]) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(head);
    h.update(payload);
    u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().expect("8 bytes"))
}

fn record(kind: u8, hash: &Hash, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let head_end = out.len();
    out.extend_from_slice(payload);
    let c = check(&out[start..head_end], payload);
    out.extend_from_slice(&c.to_le_bytes());
}

fn record_len(payload: usize) -> u64 {
    (HEADER + payload + 8) as u64
}

impl MempoolLog {
    pub(crate) fn open(path: &Path) -> std::io::Result<MempoolLog> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut live = HashMap::new();
        let mut good = 0u64;
        {
            file.seek(SeekFrom::Start(0))?;
            let mut r = BufReader::new(&file);
            let mut head = [0u8; HEADER];
            loop {
                if r.read_exact(&mut head).is_err() {
                    break;
                }
                let kind = head[0];
                let hash = Hash(head[1..33].try_into().expect("32 bytes"));
                let len = u32::from_le_bytes(head[33..37].try_into().expect("4 bytes"));
                if (kind != ADD && kind != REMOVE) || len > MAX_PAYLOAD {
                    break;
                }
                let mut payload = vec![0u8; len as usize];
                let mut c = [0u8; 8];
                if r.read_exact(&mut payload).is_err() || r.read_exact(&mut c).is_err() {
                    break;
                }
                if u64::from_le_bytes(c) != check(&head, &payload) {
                    break;
                }
                good += record_len(len as usize);
                if kind == ADD {
                    live.insert(hash, payload);
                } else {
                    live.remove(&hash);
                }
            }
        }
        if file.metadata()?.len() != good {
            // Drop the torn tail so that new records follow good ones.
            file.set_len(good)?;
            file.sync_all()?;
        }
        let live_bytes = live.values().map(|v: &Vec<u8>| record_len(v.len())).sum();
        Ok(MempoolLog {
            path: path.to_path_buf(),
            file,
            len: good,
            live,
            live_bytes,
        })
    }

    /// Appends `add` records and makes them durable.
    pub(crate) fn add(&mut self, txs: &[(Hash, Vec<u8>)]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(txs.iter().map(|(_, b)| b.len() + HEADER + 8).sum());
        for (h, bytes) in txs {
            record(ADD, h, bytes, &mut buf);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.len += buf.len() as u64;
        for (h, bytes) in txs {
            if let Some(old) = self.live.insert(*h, bytes.clone()) {
                self.live_bytes -= record_len(old.len());
            }
            self.live_bytes += record_len(bytes.len());
        }
        Ok(())
    }

    /// Appends `remove` records (not synced: see the module docs).
    pub(crate) fn remove(&mut self, hashes: &[Hash]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for h in hashes {
            if let Some(old) = self.live.remove(h) {
                self.live_bytes -= record_len(old.len());
                record(REMOVE, h, &[], &mut buf);
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.file.write_all(&buf)?;
        self.len += buf.len() as u64;
        if self.len >= COMPACT_AT && self.len > 4 * self.live_bytes {
            self.compact()?;
        }
        Ok(())
    }

    pub(crate) fn live(&self) -> Vec<(Hash, Vec<u8>)> {
        self.live.iter().map(|(h, b)| (*h, b.clone())).collect()
    }

    /// Rewrites the log with only its live records.
    fn compact(&mut self) -> std::io::Result<()> {
        let tmp = self.path.with_extension("log.tmp");
        let mut buf = Vec::with_capacity(self.live_bytes as usize);
        for (h, bytes) in &self.live {
            record(ADD, h, bytes, &mut buf);
        }
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)?;
        self.len = buf.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> Hash {
        Hash([i; 32])
    }

    #[test]
    fn adds_and_removes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.log");
        let mut log = MempoolLog::open(&p).unwrap();
        log.add(&[(h(1), vec![1; 10]), (h(2), vec![2; 20])])
            .unwrap();
        log.remove(&[h(1), h(9)]).unwrap();
        drop(log);
        let log = MempoolLog::open(&p).unwrap();
        assert_eq!(log.live(), vec![(h(2), vec![2; 20])]);
    }

    #[test]
    fn a_torn_tail_is_dropped_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.log");
        let mut log = MempoolLog::open(&p).unwrap();
        log.add(&[(h(1), vec![1; 10])]).unwrap();
        log.add(&[(h(2), vec![2; 10])]).unwrap();
        drop(log);
        // Cut the second record in half, as a crash during its append would.
        let full = std::fs::metadata(&p).unwrap().len();
        let f = OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(full - 20).unwrap();
        drop(f);
        let mut log = MempoolLog::open(&p).unwrap();
        assert_eq!(log.live(), vec![(h(1), vec![1; 10])]);
        log.add(&[(h(3), vec![3; 5])]).unwrap();
        drop(log);
        let mut live = MempoolLog::open(&p).unwrap().live();
        live.sort();
        assert_eq!(live, vec![(h(1), vec![1; 10]), (h(3), vec![3; 5])]);
    }

    #[test]
    fn a_corrupt_record_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.log");
        let mut log = MempoolLog::open(&p).unwrap();
        log.add(&[(h(1), vec![1; 10]), (h(2), vec![2; 10])])
            .unwrap();
        drop(log);
        let mut bytes = std::fs::read(&p).unwrap();
        let second = record_len(10) as usize;
        bytes[second + HEADER + 3] ^= 0xff; // flip a payload byte of record two
        std::fs::write(&p, &bytes).unwrap();
        let log = MempoolLog::open(&p).unwrap();
        assert_eq!(log.live(), vec![(h(1), vec![1; 10])]);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), record_len(10));
    }

    #[test]
    fn compaction_keeps_exactly_the_live_records() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.log");
        let mut log = MempoolLog::open(&p).unwrap();
        log.add(&[(h(1), vec![1; 100]), (h(2), vec![2; 100])])
            .unwrap();
        log.remove(&[h(1)]).unwrap();
        log.compact().unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), record_len(100));
        log.add(&[(h(3), vec![3; 1])]).unwrap();
        drop(log);
        let mut live = MempoolLog::open(&p).unwrap().live();
        live.sort();
        assert_eq!(live, vec![(h(2), vec![2; 100]), (h(3), vec![3; 1])]);
    }
}
