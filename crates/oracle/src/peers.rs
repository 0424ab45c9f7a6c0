//! The other oracles of the set: their spools read while an epoch is open, so that
//! by the epoch's cut-off every live oracle holds the same inputs.
//!
//! ```text
//!  every exchange_interval, per peer, for the epochs still open or closing:
//!    GET /v1/spool/{epoch}?oracle&time_ms&signature      (a member's signed read)
//!    batches not held ─▶ GET /v1/spool/{epoch}/{hash} ─▶ named by its bytes' hash?
//!       reports ─▶ re-admitted: signature, chain, network, registered device, epoch ─┐
//!       probes, beacon rounds, answer receipts ─▶ their epoch checked ───────────────┤
//!       registry, storage rounds, close records ─▶ not taken (proposals bring them)  │
//!    stored in the spool (same bytes, same name), known to admission ◀───────────────┘
//! ```
//!
//! A batch is named by the hash of its bytes, so the same batch held by two
//! oracles is one file; a report a device sent to two oracles is two batches and
//! counts once ([`crate::epoch::compute`] drops exact duplicates).
//!
//! Probe and beacon rounds are drawn by one oracle per epoch ([`Oracle::draws`]):
//! the first live member in the epoch's order, so that devices answer one set of
//! challenges whichever oracle they talk to.

use crate::spool::{decode_batch, SpoolBatch, MAX_BATCH_BYTES};
use crate::{now_ms, Oracle};
use plinth_api::oracle::PeerAuth;
use plinth_api::OracleClient;
use plinth_core::{Address, DeviceId, Hash};
use plinth_proofs::SignedReport;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a peer has to answer a spool read.
pub const PEER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A peer that answered within this long is live (it may draw rounds, propose).
pub const LIVE_FOR: Duration = Duration::from_secs(15);
/// How long a peer's address, read from its status, is used before it is read
/// again.
const ADDRESS_FOR: Duration = Duration::from_secs(10);
/// Most batches remembered as refused for good (not fetched again).
const MAX_REFUSED: usize = 100_000;

/// What this oracle knows of its peers.
#[derive(Default)]
pub struct Peers {
    /// Per peer URL: its address and when it last answered.
    seen: Mutex<HashMap<String, (Address, Instant)>>,
    /// Batches refused for good (a bad signature does not heal).
    refused: Mutex<HashSet<Hash>>,
}

impl Peers {
    /// The address of the peer at `url`, if it answered once.
    pub fn address_of(&self, url: &str) -> Option<Address> {
        self.seen.lock().expect("peers").get(url).map(|(a, _)| *a)
    }

    /// The address of the peer at `url` if it answered within [`ADDRESS_FOR`].
    fn fresh_address_of(&self, url: &str) -> Option<Address> {
        self.seen
            .lock()
            .expect("peers")
            .get(url)
            .filter(|(_, at)| at.elapsed() < ADDRESS_FOR)
            .map(|(a, _)| *a)
    }

    /// The URL of the peer with address `oracle`, if known.
    pub fn url_of(&self, oracle: &Address) -> Option<String> {
        self.seen
            .lock()
            .expect("peers")
            .iter()
            .find(|(_, (a, _))| a == oracle)
            .map(|(u, _)| u.clone())
    }

    /// Addresses of peers that answered within [`LIVE_FOR`].
    pub fn live(&self) -> HashSet<Address> {
        self.seen
            .lock()
            .expect("peers")
            .values()
            .filter(|(_, at)| at.elapsed() < LIVE_FOR)
            .map(|(a, _)| *a)
            .collect()
    }

    fn mark(&self, url: &str, oracle: Address) {
        self.seen
            .lock()
            .expect("peers")
            .insert(url.to_string(), (oracle, Instant::now()));
    }

    fn is_refused(&self, h: &Hash) -> bool {
        self.refused.lock().expect("peers").contains(h)
    }

    fn refuse(&self, h: Hash) {
        let mut r = self.refused.lock().expect("peers");
        if r.len() < MAX_REFUSED {
            r.insert(h);
        }
    }
}

/// Why a batch from a peer is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchRefusal {
    /// Its bytes do not hash to its name, do not decode, or are too large.
    #[error("batch {hash}: {reason}")]
    Corrupt {
        /// The batch's name.
        hash: Hash,
        /// What is wrong.
        reason: String,
    },
    /// One of its reports fails admission.
    #[error("batch {hash}: report {index} ({device}) fails admission: {reason}")]
    BadReport {
        /// The batch's name.
        hash: Hash,
        /// The report's index in it.
        index: usize,
        /// The reporting device.
        device: DeviceId,
        /// Why.
        reason: String,
        /// Whether it may pass later (the device may be newer than this
        /// oracle's registry).
        transient: bool,
    },
    /// A probe, round or receipt outside the batch's epoch.
    #[error("batch {hash}: {reason}")]
    WrongEpoch {
        /// The batch's name.
        hash: Hash,
        /// What is outside.
        reason: String,
    },
    /// The chain could not be read to check the batch (it may pass later).
    #[error("batch {hash}: cannot be checked now: {reason}")]
    Unavailable {
        /// The batch's name.
        hash: Hash,
        /// What failed.
        reason: String,
    },
}

impl BatchRefusal {
    /// Whether the same batch may pass later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BatchRefusal::BadReport {
                transient: true,
                ..
            } | BatchRefusal::Unavailable { .. }
        )
    }
}

/// Whether a batch is an input of an epoch (reports and what rounds drew and
/// received), as opposed to what closing it adds (registry snapshot, storage
/// rounds, the close record), which belongs to one oracle's close.
pub fn is_input(b: &SpoolBatch) -> bool {
    matches!(
        b,
        SpoolBatch::Reports(_)
            | SpoolBatch::Probes(_)
            | SpoolBatch::Rounds(_)
            | SpoolBatch::Answered(_)
    )
}

/// A device as a registry records it: its network and whether it is active.
pub type Registration<'a> = (&'a str, bool);

/// Re-admits reports an oracle accepted, as a peer checks them: every signature
/// (on all cores), this chain, the epoch named by the batch and by each report's
/// time, a network in force in the epoch, and a device registered to the
/// report's network (`registry`). Replay, rate and clock checks are the
/// accepting oracle's: reports are the devices' own signed words, and scoring
/// counts each report once.
pub fn readmit<'a>(
    o: &Oracle,
    hash: Hash,
    epoch: u64,
    reports: &[SignedReport],
    registry: impl Fn(&DeviceId) -> Option<Registration<'a>>,
) -> Result<(), BatchRefusal> {
    let networks = o
        .networks_at(epoch)
        .map_err(|e| BatchRefusal::Unavailable {
            hash,
            reason: e.to_string(),
        })?;
    let valid = crate::ingest::admission::verify_signatures(reports);
    for (index, (r, ok)) in reports.iter().zip(valid).enumerate() {
        let bad = |reason: String, transient: bool| BatchRefusal::BadReport {
            hash,
            index,
            device: r.report.device,
            reason,
            transient,
        };
        let rep = &r.report;
        if !ok {
            return Err(bad("bad signature".into(), false));
        }
        if rep.chain != o.chain {
            return Err(bad(format!("names chain {}", rep.chain), false));
        }
        if rep.epoch != epoch || o.clock.epoch_of(rep.timestamp_ms) != epoch {
            return Err(bad(
                format!(
                    "names epoch {} at time {} in a batch of epoch {epoch}",
                    rep.epoch, rep.timestamp_ms
                ),
                false,
            ));
        }
        if networks.get(&rep.network).is_none() {
            return Err(bad(
                format!("network `{}` is not in force in epoch {epoch}", rep.network),
                false,
            ));
        }
        match registry(&rep.device) {
            None => return Err(bad("unknown device".into(), true)),
            Some((n, _)) if n != rep.network => {
                return Err(bad(
                    format!("device registered to `{n}`, report for `{}`", rep.network),
                    false,
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks that what a batch's probes, rounds or receipts name lies in `epoch`.
fn check_times(o: &Oracle, hash: Hash, epoch: u64, b: &SpoolBatch) -> Result<(), BatchRefusal> {
    let w = o.clock.window(epoch);
    let inside = |t: u64| w.start_ms <= t && t < w.end_ms;
    let bad = |what: &str, t: u64| {
        Err(BatchRefusal::WrongEpoch {
            hash,
            reason: format!("{what} at {t} ms, outside epoch {epoch}"),
        })
    };
    match b {
        SpoolBatch::Probes(ps) => {
            if let Some(p) = ps.iter().find(|p| !inside(p.issued_ms)) {
                return bad("a probe issued", p.issued_ms);
            }
        }
        SpoolBatch::Rounds(rs) => {
            if let Some(r) = rs.iter().find(|r| !inside(r.round.start_ms)) {
                return bad("a beacon round starting", r.round.start_ms);
            }
        }
        _ => {}
    }
    Ok(())
}

impl Oracle {
    /// This oracle's signed read of `epoch`'s spools on its peers.
    pub fn peer_auth(&self, epoch: u64) -> PeerAuth {
        PeerAuth::sign(self.key(), &self.chain, epoch, now_ms())
    }

    /// Whether `auth` lets its oracle read `epoch`'s spool now: a member of the
    /// epoch's oracle set, signing within the clock skew.
    pub fn peer_may_read(&self, auth: &PeerAuth, epoch: u64) -> bool {
        let now = now_ms();
        if auth.time_ms.abs_diff(now) > self.config.max_skew_ms || !auth.verify(&self.chain, epoch)
        {
            return false;
        }
        self.set_at(epoch)
            .is_ok_and(|s| s.members.contains(&auth.oracle))
    }

    /// Reads a batch of `epoch` from the first peer that has it, checked against
    /// its name. Tries `first` (a peer's address) before the others.
    pub fn fetch_batch(&self, epoch: u64, hash: &Hash, first: Option<&Address>) -> Option<Vec<u8>> {
        let mut urls = self.config.peers.clone();
        if let Some(u) = first.and_then(|a| self.peers.url_of(a)) {
            urls.retain(|x| *x != u);
            urls.insert(0, u);
        }
        let auth = self.peer_auth(epoch);
        for url in urls {
            let c = OracleClient::with_timeout(&url, PEER_READ_TIMEOUT);
            match c.spool_batch_as(epoch, hash, &auth, MAX_BATCH_BYTES as u64) {
                Ok(bytes) if crate::spool::batch_hash(&bytes) == *hash => return Some(bytes),
                Ok(_) => {
                    tracing::warn!(peer = %url, batch = %hash, "peer sent a batch that is not its name")
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => tracing::debug!(peer = %url, error = %e, "peer batch read failed"),
            }
        }
        None
    }

    /// Takes one input batch a peer holds: decoded, checked ([`readmit`] against
    /// this oracle's registry), stored, and made known to admission. Returns
    /// whether it was taken (close batches are not).
    pub fn take_peer_batch(
        &self,
        epoch: u64,
        hash: Hash,
        bytes: &[u8],
    ) -> Result<bool, BatchRefusal> {
        let batch = decode_batch(&hash, bytes).map_err(|e| BatchRefusal::Corrupt {
            hash,
            reason: e.to_string(),
        })?;
        if !is_input(&batch) {
            return Ok(false);
        }
        check_times(self, hash, epoch, &batch)?;
        if let SpoolBatch::Reports(rs) = &batch {
            // Copied out, so admission is not held up while signatures are checked.
            let regs: HashMap<DeviceId, (String, bool)> = {
                let state = self.ingest.state();
                rs.iter()
                    .filter_map(|r| {
                        let d = r.report.device;
                        state
                            .registry
                            .get(&d)
                            .map(|x| (d, (x.network.clone(), x.info.active)))
                    })
                    .collect()
            };
            readmit(self, hash, epoch, rs, |d| {
                regs.get(d).map(|(n, a)| (n.as_str(), *a))
            })?;
        }
        self.spool
            .write_raw(epoch, bytes)
            .map_err(|e| BatchRefusal::Corrupt {
                hash,
                reason: format!("not stored: {e}"),
            })?;
        self.metrics.peer_batches.inc();
        let mut state = self.ingest.state();
        match &batch {
            SpoolBatch::Reports(rs) => rs.iter().for_each(|r| state.remember(r)),
            SpoolBatch::Probes(ps) => state.expect_answers(ps, now_ms()),
            SpoolBatch::Rounds(rs) => rs.iter().for_each(|r| state.add_round(r)),
            _ => {}
        }
        Ok(true)
    }

    /// Pulls from every peer the input batches of `epoch` this oracle lacks.
    /// Returns how many were taken. Peers that answer are marked live.
    pub fn pull(&self, epoch: u64) -> usize {
        let auth = self.peer_auth(epoch);
        let auth = &auth;
        let lists: Vec<(String, Option<Vec<Hash>>)> = std::thread::scope(|s| {
            let hs: Vec<_> = self
                .config
                .peers
                .iter()
                .map(|url| s.spawn(move || (url.clone(), self.list_peer(url, epoch, auth))))
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("peer read"))
                .collect()
        });
        let mut taken = 0;
        for (url, list) in lists {
            let Some(list) = list else { continue };
            let Some(addr) = self.peers.address_of(&url) else {
                continue;
            };
            for h in list {
                if self.spool.has(epoch, &h) || self.peers.is_refused(&h) {
                    continue;
                }
                let Some(bytes) = self.fetch_batch(epoch, &h, Some(&addr)) else {
                    continue;
                };
                match self.take_peer_batch(epoch, h, &bytes) {
                    Ok(true) => taken += 1,
                    Ok(false) => self.peers.refuse(h),
                    Err(e) => {
                        self.metrics.peer_batches_refused.inc();
                        tracing::warn!(peer = %url, error = %e, "peer batch refused");
                        if !e.is_transient() {
                            self.peers.refuse(h);
                        }
                    }
                }
            }
        }
        taken
    }

    /// A peer's batch list of `epoch` (learning its address first).
    fn list_peer(&self, url: &str, epoch: u64, auth: &PeerAuth) -> Option<Vec<Hash>> {
        let c = OracleClient::with_timeout(url, PEER_READ_TIMEOUT);
        // The address is read again now and then: a peer's key may be rotated
        // behind the same URL.
        let addr = match self.peers.fresh_address_of(url) {
            Some(a) => a,
            None => match c.status() {
                Ok(s) if s.chain == self.chain => s.oracle,
                Ok(s) => {
                    tracing::warn!(peer = %url, chain = %s.chain, "peer serves another chain");
                    return None;
                }
                Err(_) => return None,
            },
        };
        match c.spool_as(epoch, auth) {
            Ok(list) => {
                self.peers.mark(url, addr);
                Some(list)
            }
            Err(e) => {
                tracing::debug!(peer = %url, error = %e, "peer spool list failed");
                None
            }
        }
    }

    /// Whether this oracle draws `epoch`'s probe and beacon rounds: it is the first
    /// live member in the epoch's order (alone, it always does).
    pub fn draws(&self, epoch: u64) -> bool {
        if self.config.peers.is_empty() {
            return true;
        }
        let Ok(set) = self.set_at(epoch) else {
            return false;
        };
        let live = self.peers.live();
        let me = self.address();
        crate::quorum::order(&set.members, epoch)
            .into_iter()
            .find(|m| *m == me || live.contains(m))
            .is_some_and(|m| m == me)
    }
}
