//! Ingest: reports in, verdicts out.
//!
//! ```text
//!  HTTP POST /v1/reports ─┐
//!  MQTT plinth/reports/+ ─┴─▶ submit ─▶ decode ─▶ signatures (all cores, per request)
//!      ─▶ queue ─▶ worker (one group of all waiting jobs) ─▶ admit (registry, time,
//!         epoch, replay, challenge, round, rate) ─▶ spool: answer receipts, then
//!         reports (fsync)
//!      ─▶ verdicts back (a failed spool write takes the whole group back: refused)
//! ```
//!
//! [`Ingest`] holds what admission remembers ([`state`]: [`IngestState`], one
//! lock) and the queue to the worker; the checks themselves are pure
//! ([`admission`]), each failure a [`Refusal`] ([`refusal`]).

pub mod admission;
pub mod refusal;
pub mod state;

pub use admission::{admit, verify_signatures, Clock, Rules};
pub use refusal::Refusal;
pub use state::{IngestState, Registered, Remembered};

use crate::metrics::{KindLabel, Metrics, ReasonLabel};
use crate::spool::{AnswerReceipt, Spool, SpoolBatch};
use plinth_core::{DeviceId, Hash};
use plinth_proofs::report::Received;
use plinth_proofs::{DeviceInfo, ReportBody, SignedReport};
use prometheus_client::metrics::gauge::Gauge;

use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use tokio::sync::oneshot;

/// The answer for one report (the API's [`plinth_api::oracle::Verdict`]).
pub use plinth_api::oracle::{Verdict, VerdictStatus};

/// The verdict of a report refused for `r`.
fn refused(hash: Option<Hash>, r: &Refusal) -> Verdict {
    Verdict::rejected(hash, r.code(), r.to_string())
}

/// A request for the ingest worker, queued as it arrives: how many reports, the
/// reports once decoded and their signatures checked (the request does that on
/// all cores while it waits in the queue), and where their verdicts go. The
/// worker admits requests in arrival order, so a device's reports sent one
/// request after another are judged in the order sent.
pub(crate) type Job = (
    usize,
    oneshot::Receiver<Checked>,
    oneshot::Sender<Vec<Verdict>>,
);

/// Reports decoded and their signatures checked: the part of ingest that needs
/// no state, done by each request on all cores before it queues for the
/// worker (so that one group's checks overlap another's admission and fsync).
#[derive(Default)]
pub struct Checked {
    /// One per report, in order: the report and its hash, or why it does not
    /// decode.
    decoded: Vec<Result<(SignedReport, Hash), Refusal>>,
    /// One per report that decoded, in order: whether its signature is good.
    sig_ok: Vec<bool>,
}

impl Checked {
    /// Decodes `raw` (size limit first), hashes what decodes and checks its
    /// signatures: in batches ([`plinth_core::batch_size`]) on all cores. The
    /// hash and the signed bytes are the bytes received
    /// ([`SignedReport::decode_received`]), never a re-encoding.
    pub fn new<B: AsRef<[u8]> + Sync>(raw: &[B]) -> Checked {
        use rayon::prelude::*;
        let size = plinth_core::batch_size(raw.len(), rayon::current_num_threads());
        let parts: Vec<Checked> = raw
            .par_chunks(size)
            .map(|chunk| {
                let received: Vec<_> = chunk.iter().map(|b| decode(b.as_ref())).collect();
                let items: Vec<_> = received
                    .iter()
                    .filter_map(|r| r.as_ref().ok())
                    .map(|r| {
                        let key = *r.report.report.device.key();
                        (r.signing_bytes.as_slice(), key, r.report.signature)
                    })
                    .collect();
                let sig_ok = plinth_core::verify_each(&items);
                let decoded = received
                    .into_iter()
                    .map(|r| r.map(|r| (r.report, r.hash)))
                    .collect();
                Checked { decoded, sig_ok }
            })
            .collect();
        let mut all = Checked {
            decoded: Vec::with_capacity(raw.len()),
            sig_ok: Vec::with_capacity(raw.len()),
        };
        for part in parts {
            all.append(part);
        }
        all
    }

    /// How many reports.
    pub fn len(&self) -> usize {
        self.decoded.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.decoded.is_empty()
    }

    /// Appends `other`'s reports after these.
    fn append(&mut self, other: Checked) {
        self.decoded.extend(other.decoded);
        self.sig_ok.extend(other.sig_ok);
    }
}

/// A report's verdict before its group is durable: accepted (its hash) or
/// refused (its hash, if it decoded, and why).
type Pending = Result<Hash, (Option<Hash>, Refusal)>;

/// What admitting a group decided, before it is written.
struct Admitted {
    /// One per report, in order.
    verdicts: Vec<Pending>,
    /// The accepted reports, by epoch.
    accepted: HashMap<u64, Vec<SignedReport>>,
    /// What to take back if the group cannot be written.
    undo: Vec<Remembered>,
}

/// The ingest job: admission's rules and state, and the queue to the worker.
pub struct Ingest {
    rules: RwLock<Rules>,
    state: Mutex<IngestState>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Ingest {
    /// An ingest with nothing remembered and no worker yet.
    pub fn new(rules: Rules) -> Ingest {
        Ingest {
            rules: RwLock::new(rules),
            state: Mutex::new(IngestState::default()),
            queue: Mutex::new(None),
        }
    }

    /// Admission's rules.
    fn rules(&self) -> RwLockReadGuard<'_, Rules> {
        self.rules.read().expect("rules lock")
    }

    /// Serves `networks` too (see [`Rules::set_networks`]).
    pub fn set_networks(&self, networks: &[crate::chain::NetworkInfo]) -> anyhow::Result<()> {
        self.rules
            .write()
            .expect("rules lock")
            .set_networks(networks)
    }

    /// Admission's state, locked (probe and beacon rounds add to it).
    pub(crate) fn state(&self) -> MutexGuard<'_, IngestState> {
        self.state.lock().expect("state lock")
    }

    /// Opens the queue; its receiving end is for the worker ([`work`]).
    pub(crate) fn open_queue(&self) -> mpsc::Receiver<Job> {
        let (tx, rx) = mpsc::channel::<Job>();
        *self.queue.lock().expect("queue lock") = Some(tx);
        rx
    }

    /// Closes the queue: the worker stops once queued work is done.
    pub fn shutdown(&self) {
        self.queue.lock().expect("queue lock").take();
    }

    /// Submits raw reports to the worker; returns one verdict each once accepted
    /// ones are durable. `queued` counts them until the worker takes them (it
    /// subtracts them then).
    pub async fn submit<B>(&self, raw: Vec<B>, queued: &Gauge) -> Vec<Verdict>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
    {
        let n = raw.len();
        let unavailable = |why: &str| {
            vec![
                refused(
                    None,
                    &Refusal::Unavailable {
                        reason: why.to_string()
                    }
                );
                n
            ]
        };
        let (checked_tx, checked_rx) = oneshot::channel();
        let (tx, rx) = oneshot::channel();
        // Queued at once, so that requests are admitted in arrival order; counted
        // before the worker can take them, so the gauge never dips below 0.
        queued.inc_by(n as i64);
        let sent = self
            .queue
            .lock()
            .expect("queue lock")
            .as_ref()
            .map(|q| q.send((n, checked_rx, tx)).is_ok())
            .unwrap_or(false);
        if !sent {
            queued.dec_by(n as i64);
            return unavailable("the oracle is shutting down");
        }
        // Decoding and signatures on all cores while the request waits its turn
        // (the worker answers it as unavailable if this fails).
        if let Ok(checked) = tokio::task::spawn_blocking(move || Checked::new(&raw)).await {
            let _ = checked_tx.send(checked);
        }
        rx.await
            .unwrap_or_else(|_| unavailable("the ingest worker stopped"))
    }

    /// Replaces the registry with `devices` (with their networks); returns the
    /// active devices that were not in it before.
    pub fn set_registry(
        &self,
        devices: Vec<(String, DeviceInfo)>,
        metrics: &Metrics,
    ) -> HashSet<DeviceId> {
        let mut registry = HashMap::with_capacity(devices.len());
        for (network, info) in devices {
            registry.insert(info.id, Registered { network, info });
        }
        metrics.registry_devices.set(registry.len() as i64);
        self.state().set_registry(registry)
    }

    /// Restores what admission remembers from the spool (on start), so that
    /// replays and duplicates stay refused after a restart: challenges still
    /// open at `now`, beacon rounds drawn, reports accepted.
    pub fn replay(&self, spool: &Spool, now: u64) -> anyhow::Result<()> {
        let current = self.rules().clock.epoch_of(now);
        let mut state = self.state();
        let mut reports = 0;
        for epoch in spool.epochs()? {
            let batches: Vec<SpoolBatch> = spool
                .batches(epoch)?
                .iter()
                .map(|h| spool.read(epoch, h))
                .collect::<Result<_, _>>()?;
            reports += replay_epoch(&mut state, &batches, now);
        }
        state.forget_before(current.saturating_sub(2));
        tracing::info!(reports, "spool replayed");
        Ok(())
    }

    /// The whole admission of a group of reports at `now`: decode, signatures,
    /// rules, then one durable spool batch per epoch. One verdict per report.
    pub fn ingest(
        &self,
        spool: &Spool,
        metrics: &Metrics,
        raw: Vec<Vec<u8>>,
        now: u64,
    ) -> Vec<Verdict> {
        self.ingest_checked(spool, metrics, Checked::new(&raw), now)
    }

    /// [`Ingest::ingest`] of reports already decoded and their signatures
    /// checked ([`Checked::new`]): the rules, then the durable spool batches.
    pub fn ingest_checked(
        &self,
        spool: &Spool,
        metrics: &Metrics,
        checked: Checked,
        now: u64,
    ) -> Vec<Verdict> {
        let Checked { decoded, sig_ok } = checked;
        let mut state = self.state();
        let admitted = self.admit_group(&mut state, decoded, sig_ok, now);
        // Durable before acknowledged.
        let failure = write_group(spool, metrics, admitted.accepted, now).err();
        if let Some(reason) = &failure {
            tracing::error!(%reason, "spool write failed; refusing the group");
            state.forget(admitted.undo);
        }
        drop(state);
        admitted
            .verdicts
            .into_iter()
            .map(|v| {
                let out = match (v, &failure) {
                    (Ok(hash), None) => Verdict::accepted(hash),
                    (Ok(hash), Some(reason)) => refused(
                        Some(hash),
                        &Refusal::Unavailable {
                            reason: reason.clone(),
                        },
                    ),
                    (Err((hash, r)), _) => refused(hash, &r),
                };
                if let Some(code) = &out.code {
                    metrics
                        .rejected
                        .get_or_create(&ReasonLabel {
                            reason: code.clone(),
                        })
                        .inc();
                }
                out
            })
            .collect()
    }

    /// Admits each decoded report in order (`sig_ok`: whether each one's
    /// signature is valid); refusals of reports for a served network are counted
    /// for its epoch's manifest.
    fn admit_group(
        &self,
        state: &mut IngestState,
        decoded: Vec<Result<(SignedReport, Hash), Refusal>>,
        sig_ok: Vec<bool>,
        now: u64,
    ) -> Admitted {
        let rules = self.rules();
        let mut sig_ok = sig_ok.into_iter();
        let mut out = Admitted {
            verdicts: Vec::with_capacity(decoded.len()),
            accepted: HashMap::new(),
            undo: Vec::new(),
        };
        for d in decoded {
            let (rep, hash) = match d {
                Err(r) => {
                    out.verdicts.push(Err((None, r)));
                    continue;
                }
                Ok(rep) => rep,
            };
            let verdict = if !sig_ok.next().unwrap_or(false) {
                Err(Refusal::BadSignature)
            } else {
                let prev = state.last_seq.get(&rep.report.device).copied();
                admit(state, &rules, &rep, hash, now).map(|()| prev)
            };
            out.verdicts.push(match verdict {
                Ok(prev_seq) => {
                    out.undo.push(Remembered {
                        device: rep.report.device,
                        prev_seq,
                        epoch: rep.report.epoch,
                        hash,
                    });
                    out.accepted.entry(rep.report.epoch).or_default().push(rep);
                    Ok(hash)
                }
                Err(r) => {
                    // Counted per network and epoch for the epoch's manifest.
                    if rules.networks.contains(&rep.report.network) {
                        let current = rules.clock.epoch_of(now);
                        state.refused(&rep.report.network, rep.report.epoch, current, &r);
                    }
                    Err((Some(hash), r))
                }
            });
        }
        out
    }
}

/// The ingest worker: takes every job waiting, ingests them as one group with
/// `ingest`, and answers each job with its share of the verdicts. Returns once
/// the queue is closed ([`Ingest::shutdown`]).
pub(crate) fn work(
    rx: mpsc::Receiver<Job>,
    queued: &Gauge,
    mut ingest: impl FnMut(Checked) -> Vec<Verdict>,
) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while let Ok(more) = rx.try_recv() {
            jobs.push(more);
        }
        // Taken off the queue (counted in by `Ingest::submit`).
        queued.dec_by(jobs.iter().map(|(n, _, _)| *n as i64).sum());
        let mut all = Checked::default();
        let mut replies = Vec::with_capacity(jobs.len());
        for (n, checked, reply) in jobs {
            // In arrival order: each request's checks are waited for in turn.
            match checked.blocking_recv() {
                Ok(c) => {
                    replies.push((c.len(), reply));
                    all.append(c);
                }
                Err(_) => {
                    let why = Refusal::Unavailable {
                        reason: "the signature check stopped".into(),
                    };
                    let _ = reply.send(vec![refused(None, &why); n]);
                }
            }
        }
        let mut verdicts = ingest(all).into_iter();
        for (size, reply) in replies {
            let _ = reply.send(verdicts.by_ref().take(size).collect());
        }
    }
}

/// Decodes a report (size limit first), with its hash and signed bytes.
fn decode(raw: &[u8]) -> Result<Received, Refusal> {
    use plinth_proofs::report::ReportDecodeError as E;
    SignedReport::decode_received(raw).map_err(|e| match e {
        E::TooLarge { size, limit } => Refusal::TooLarge { size, limit },
        E::Malformed(reason) => Refusal::Malformed { reason },
    })
}

/// Writes a group's accepted reports durably: per epoch (ascending), when probe
/// answers were received (first: an answer without its receipt is not counted),
/// then the reports, in parts small enough to be read back. Stops at the first
/// failure, which it returns.
fn write_group(
    spool: &Spool,
    metrics: &Metrics,
    accepted: HashMap<u64, Vec<SignedReport>>,
    now: u64,
) -> Result<(), String> {
    let mut epochs: Vec<_> = accepted.into_iter().collect();
    epochs.sort_by_key(|(e, _)| *e);
    for (epoch, reports) in epochs {
        let receipts: Vec<AnswerReceipt> = reports
            .iter()
            .filter_map(|r| match &r.report.body {
                ReportBody::ProbeAnswer { challenge } => Some(AnswerReceipt {
                    device: r.report.device,
                    challenge: *challenge,
                    received_ms: now,
                }),
                _ => None,
            })
            .collect();
        if !receipts.is_empty() {
            spool
                .write_all(epoch, SpoolBatch::Answered(receipts))
                .map_err(|e| e.to_string())?;
        }
        // Counted per (network, kind) first: one labelled counter update each.
        let mut counts: HashMap<(&str, &str), u64> = HashMap::new();
        for r in &reports {
            *counts
                .entry((r.report.network.as_str(), r.report.body.kind()))
                .or_default() += 1;
        }
        for ((network, kind), n) in counts {
            metrics
                .accepted
                .get_or_create(&KindLabel {
                    network: network.to_string(),
                    kind: kind.into(),
                })
                .inc_by(n);
        }
        let parts = spool
            .write_all(epoch, SpoolBatch::Reports(reports))
            .map_err(|e| e.to_string())?;
        metrics.spool_batches.inc_by(parts.len() as u64);
    }
    Ok(())
}

/// Restores one epoch's batches into `state`; returns the reports replayed.
fn replay_epoch(state: &mut IngestState, batches: &[SpoolBatch], now: u64) -> usize {
    // Probes before reports, so that an answer read later removes its
    // challenge whatever the batches' (hash) order.
    for b in batches {
        // Challenges of an earlier run whose deadline has passed are not
        // outstanding again.
        if let SpoolBatch::Probes(ps) = b {
            for p in ps.iter().filter(|p| p.deadline_ms >= now) {
                state.outstanding.insert(p.challenge, p.clone());
            }
        }
    }
    for b in batches {
        if let SpoolBatch::Rounds(rs) = b {
            for r in rs {
                state.add_round(r);
            }
        }
    }
    let mut reports = 0;
    for b in batches {
        if let SpoolBatch::Reports(rs) = b {
            for r in rs {
                state.remember(r);
            }
            reports += rs.len();
        }
    }
    reports
}
