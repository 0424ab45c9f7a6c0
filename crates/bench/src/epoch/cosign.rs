//! `plinth bench epoch --cosign`: what a co-signer adds to an epoch the proposer
//! scored, through the code `Oracle::check_proposal` runs.
//!
//! ```text
//!  proposer's batches, encoded as the spool stores them: report batches of
//!  --batch-reports, the registry split at MAX_BATCH_BYTES, the close record
//!    ─▶ served on loopback: GET /v1/spool/0/{hash} (the proposer), GET /v1/registry
//!       (the node: the ledger's registry digest)
//!  co-signer, per listed batch in order (Oracle::fetch_batch's request):
//!    (b) GET + name checked ─▶ decode_batch ─▶ kept apart (foreign spool, fsync)
//!    (a) registry_digest alone; check_registry (node read, digest, device map)
//!    (c) every report batch not held: verify_signatures + readmit's other checks
//!    (d) epoch::compute again ─▶ the proposer's header, or the run fails
//! ```
//!
//! Two totals: report batches held already (the exchange brought them during
//! the epoch: read from the co-signer's own spool, no re-admission), and none
//! held. Registry and close batches are always fetched: they are the proposer's
//! own close.
//!
//! `plinth_oracle::peers::readmit` takes a whole `Oracle` (one needs a node holding
//! the registry), so its checks after the signatures are mirrored here
//! ([`other_checks`]); they cost little next to the signatures.

use anyhow::{anyhow, bail, ensure, Result};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use plinth_api::oracle::PeerAuth;
use plinth_api::{NodeClient, OracleClient};
use plinth_core::{DeviceId, EpochClock, Hash};
use plinth_ledger::rewards::ManifestHeader;
use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
use plinth_oracle::ingest::verify_signatures;
use plinth_oracle::peers::PEER_READ_TIMEOUT;
use plinth_oracle::quorum::{check_registry, registry_digest};
use plinth_oracle::spool::{batch_hash, decode_batch, Spool, SpoolBatch, MAX_BATCH_BYTES};
use plinth_proofs::{DeviceInfo, SignedReport};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// The epoch's batches as the proposer's spool holds them: named by the hash of
/// their encoding, ascending (the proposal's list).
pub struct Spooled {
    /// Every batch's encoding, by name.
    files: Vec<(Hash, Vec<u8>)>,
    /// The ledger's registry digest of the network (computed from the devices).
    ledger_digest: Hash,
    /// Registered devices.
    devices: u64,
}

impl Spooled {
    /// Cuts the epoch's inputs into spool batches (reports `per_batch` at a time,
    /// the registry as close writes it, one close record) and encodes them.
    /// Returns them, and the batches themselves for the proposer's `compute`.
    pub fn of(
        devices: Vec<DeviceInfo>,
        reports: Vec<SignedReport>,
        per_batch: usize,
    ) -> (Spooled, Vec<(Hash, SpoolBatch)>) {
        let ledger_digest = registry_digest(&devices.iter().collect::<Vec<_>>());
        let count = devices.len() as u64;
        let mut batches = Vec::new();
        let mut reports = reports.into_iter();
        loop {
            let run: Vec<SignedReport> = reports.by_ref().take(per_batch).collect();
            if run.is_empty() {
                break;
            }
            batches.push(SpoolBatch::Reports(run));
        }
        let parts = SpoolBatch::Registry(vec![super::snapshot(devices)]).split(MAX_BATCH_BYTES);
        let mut named: Vec<(Hash, SpoolBatch, Vec<u8>)> = batches
            .into_par_iter()
            .chain(parts)
            .map(|b| {
                let bytes = plinth_core::encode(&b);
                (batch_hash(&bytes), b, bytes)
            })
            .collect();
        let close = SpoolBatch::Closed(
            named
                .iter()
                .filter(|(_, b, _)| matches!(b, SpoolBatch::Registry(_)))
                .map(|(h, _, _)| *h)
                .collect(),
        );
        let bytes = plinth_core::encode(&close);
        named.push((batch_hash(&bytes), close, bytes));
        named.sort_by_key(|(h, _, _)| *h);
        let (files, batches) = named
            .into_iter()
            .map(|(h, b, bytes)| ((h, bytes), (h, b)))
            .unzip();
        (
            Spooled {
                files,
                ledger_digest,
                devices: count,
            },
            batches,
        )
    }
}

/// The batches of one kind a co-signer fetched: how many, their size, and the
/// seconds each step took.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fetched {
    /// Batches.
    pub batches: usize,
    /// Their encoded bytes.
    pub bytes: usize,
    /// GET over loopback HTTP and the name check.
    pub transfer: f64,
    /// `decode_batch` (hash checked again, then decoded).
    pub decode: f64,
    /// Kept apart in the foreign spool (written, fsynced).
    pub store: f64,
}

impl Fetched {
    /// Transfer, decode and store together.
    pub fn total(&self) -> f64 {
        self.transfer + self.decode + self.store
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "batches": self.batches,
            "bytes": self.bytes,
            "transfer_seconds": self.transfer,
            "decode_seconds": self.decode,
            "store_seconds": self.store,
        })
    }
}

/// What a co-signer's checks of one proposal cost, in seconds.
#[derive(Debug, Clone)]
pub struct Cosigned {
    /// Report batches.
    pub reports: Fetched,
    /// Registry batches and the close record (always fetched from the proposer).
    pub close: Fetched,
    /// `registry_digest` over the snapshot alone.
    pub digest: f64,
    /// `check_registry`: the node's digest read, the digest, the device map.
    pub check_registry: f64,
    /// Re-admission of every report: signatures and the other checks.
    pub readmit: f64,
    /// Of which the signatures (`verify_signatures`).
    pub verify: f64,
    /// Reports re-admitted.
    pub reports_verified: usize,
    /// `epoch::compute` again.
    pub recompute: f64,
}

impl Cosigned {
    /// A co-signer whose spool holds every report batch: it reads them (decoded
    /// as a fetched one is), fetches the close, checks the registry, recomputes.
    pub fn held(&self) -> f64 {
        self.reports.decode + self.close.total() + self.check_registry + self.recompute
    }

    /// A co-signer that holds no batch: fetches all, re-admits every report,
    /// checks the registry, recomputes.
    pub fn none_held(&self) -> f64 {
        self.reports.total()
            + self.close.total()
            + self.readmit
            + self.check_registry
            + self.recompute
    }

    /// As JSON, next to the proposer's `scoring` seconds.
    pub fn json(&self, scoring: f64) -> serde_json::Value {
        serde_json::json!({
            "fetch_reports": self.reports.json(),
            "fetch_registry_and_close": self.close.json(),
            "registry_digest_seconds": self.digest,
            "check_registry_seconds": self.check_registry,
            "readmit_seconds": self.readmit,
            "verify_signatures_seconds": self.verify,
            "reports_verified": self.reports_verified,
            "recompute_seconds": self.recompute,
            "proposer_scoring_seconds": scoring,
            "held_seconds": self.held(),
            "none_held_seconds": self.none_held(),
            "held_beyond_recompute_seconds": self.held() - self.recompute,
            "none_held_beyond_recompute_seconds": self.none_held() - self.recompute,
            "held_below_scoring": self.held() < scoring,
            "none_held_below_scoring": self.none_held() < scoring,
        })
    }

    /// As a table, next to the proposer's `scoring` seconds.
    pub fn print(&self, scoring: f64) {
        let mib = |b: usize| b as f64 / (1u64 << 20) as f64;
        let (r, c) = (&self.reports, &self.close);
        println!(
            "co-signing it ({} report batches, {:.1} MiB; {} registry batches + close, {:.1} MiB; {} cores)",
            r.batches,
            mib(r.bytes),
            c.batches - 1,
            mib(c.bytes),
            rayon::current_num_threads()
        );
        let row = |label: &str, secs: f64, note: String| {
            let line = format!("  {label:<34}{secs:>8.2} s  {note}");
            println!("{}", line.trim_end());
        };
        let parts = |f: &Fetched| {
            format!(
                "(GET {:.2}, decode {:.2}, store {:.2})",
                f.transfer, f.decode, f.store
            )
        };
        row("(a) registry digest (LtHash)", self.digest, String::new());
        row(
            "    check_registry (digest + map)",
            self.check_registry,
            String::new(),
        );
        row("(b) fetch registry + close", c.total(), parts(c));
        row("    fetch reports", r.total(), parts(r));
        row(
            &format!("(c) re-admit {} reports", self.reports_verified),
            self.readmit,
            format!("(signatures {:.2})", self.verify),
        );
        row("(d) recompute (same header)", self.recompute, String::new());
        row("proposer's scoring", scoring, String::new());
        let verdict = |t: f64| if t < scoring { "below" } else { "ABOVE" };
        row(
            "co-signer, report batches held",
            self.held(),
            format!(
                "({} the scoring; {:.2} s beyond the recompute: reports read, close fetched, check_registry)",
                verdict(self.held()),
                self.held() - self.recompute
            ),
        );
        row(
            "co-signer, none held",
            self.none_held(),
            format!(
                "({} the scoring; {:.2} s beyond the recompute: all fetched, re-admission, check_registry)",
                verdict(self.none_held()),
                self.none_held() - self.recompute
            ),
        );
    }
}

/// What the loopback server serves: the proposer's batches and the node's
/// registry digests.
struct Served {
    files: HashMap<Hash, Bytes>,
    registry: serde_json::Value,
}

async fn batch(
    State(s): State<Arc<Served>>,
    Path((_epoch, hash)): Path<(u64, String)>,
) -> Response {
    match hash.parse::<Hash>().ok().and_then(|h| s.files.get(&h)) {
        Some(b) => b.clone().into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

async fn registry(State(s): State<Arc<Served>>) -> Response {
    axum::Json(s.registry.clone()).into_response()
}

/// Runs a co-signer's checks of the proposer's manifest (`proposed`, scored per
/// `spec` from `spooled`) and times each.
pub fn measure(
    spec: &EpochSpec<'_>,
    proposed: &ManifestHeader,
    spooled: Spooled,
) -> Result<Cosigned> {
    let listed: Vec<Hash> = spooled.files.iter().map(|(h, _)| *h).collect();
    let served = Arc::new(Served {
        files: spooled
            .files
            .into_iter()
            .map(|(h, b)| (h, Bytes::from(b)))
            .collect(),
        registry: serde_json::json!({
            "height": 0,
            "time_ms": spec.window.end_ms,
            "networks": [{
                "network": spec.network,
                "digest": spooled.ledger_digest,
                "devices": spooled.devices,
            }],
        }),
    });
    // The proposer (and node) on one worker thread: the co-signer has the rest.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/v1/spool/{epoch}/{hash}", axum::routing::get(batch))
        .route("/v1/registry", axum::routing::get(registry))
        .with_state(served);
    rt.spawn(async move { axum::serve(listener, app).await });

    let dir = std::env::temp_dir().join(format!("plinth-bench-cosign-{}", std::process::id()));
    let result = cosign(spec, proposed, &listed, &url, &dir, spooled.ledger_digest);
    let _ = std::fs::remove_dir_all(&dir);
    rt.shutdown_background();
    result
}

/// The co-signer's side: fetch, registry, re-admission, recompute.
fn cosign(
    spec: &EpochSpec<'_>,
    proposed: &ManifestHeader,
    listed: &[Hash],
    url: &str,
    dir: &std::path::Path,
    ledger_digest: Hash,
) -> Result<Cosigned> {
    let foreign = Spool::open(dir)?;
    let key = crate::key(0xbe, 3);
    let epoch = spec.window.epoch;
    let (mut reports, mut close) = (Fetched::default(), Fetched::default());
    let mut batches = Vec::with_capacity(listed.len());
    for h in listed {
        let t = Instant::now();
        let auth = PeerAuth::sign(&key, &spec.chain, epoch, plinth_oracle::now_ms());
        let c = OracleClient::with_timeout(url, PEER_READ_TIMEOUT);
        let bytes = c.spool_batch_as(epoch, h, &auth, MAX_BATCH_BYTES as u64)?;
        ensure!(batch_hash(&bytes) == *h, "batch {h} is not its name");
        let transfer = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let b = decode_batch(h, &bytes)?;
        let decode = t.elapsed().as_secs_f64();
        let t = Instant::now();
        foreign.write_raw(epoch, &bytes)?;
        let store = t.elapsed().as_secs_f64();
        let f = if matches!(b, SpoolBatch::Reports(_)) {
            &mut reports
        } else {
            &mut close
        };
        f.batches += 1;
        f.bytes += bytes.len();
        f.transfer += transfer;
        f.decode += decode;
        f.store += store;
        batches.push((*h, b));
    }

    let (digest, check, readmit, verify, reports_verified) = {
        let snaps: Vec<&RegistrySnapshot> = batches
            .iter()
            .filter_map(|(_, b)| match b {
                SpoolBatch::Registry(ss) => Some(ss.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        let devices: Vec<&DeviceInfo> = snaps.iter().flat_map(|s| &s.devices).collect();
        let t = Instant::now();
        let ours = registry_digest(&devices);
        let digest = t.elapsed().as_secs_f64();
        ensure!(
            ours == ledger_digest,
            "the snapshot does not hash to the ledger's digest"
        );
        let node = NodeClient::new(url);
        let t = Instant::now();
        let registry = check_registry(&node, spec.window.end_ms, &snaps).map_err(|e| anyhow!(e))?;
        let check = t.elapsed().as_secs_f64();

        let clock = EpochClock::new(
            spec.window.start_ms,
            spec.window.end_ms - spec.window.start_ms,
        );
        let (mut verify, mut count) = (0.0, 0);
        let t = Instant::now();
        for (_, b) in &batches {
            if let SpoolBatch::Reports(rs) = b {
                let tv = Instant::now();
                let ok = verify_signatures(rs);
                verify += tv.elapsed().as_secs_f64();
                other_checks(spec, &clock, rs, &ok, &registry)?;
                count += rs.len();
            }
        }
        (digest, check, t.elapsed().as_secs_f64(), verify, count)
    };

    let t = Instant::now();
    let m = compute(spec, batches);
    let recompute = t.elapsed().as_secs_f64();
    if m.header != *proposed {
        bail!("the recomputed header differs from the proposer's");
    }
    Ok(Cosigned {
        reports,
        close,
        digest,
        check_registry: check,
        readmit,
        verify,
        reports_verified,
        recompute,
    })
}

/// `plinth_oracle::peers::readmit`'s checks after the signatures (`ok`), in its
/// order: this chain, the batch's epoch by number and by time, a known network,
/// a device registered to it.
fn other_checks(
    spec: &EpochSpec<'_>,
    clock: &EpochClock,
    reports: &[SignedReport],
    ok: &[bool],
    registry: &HashMap<DeviceId, (String, bool)>,
) -> Result<()> {
    let epoch = spec.window.epoch;
    for (index, (r, ok)) in reports.iter().zip(ok).enumerate() {
        let rep = &r.report;
        let why = if !ok {
            "bad signature"
        } else if rep.chain != spec.chain {
            "another chain"
        } else if rep.epoch != epoch || clock.epoch_of(rep.timestamp_ms) != epoch {
            "another epoch"
        } else if rep.network != spec.network {
            "unknown network"
        } else {
            match registry.get(&rep.device) {
                None => "unknown device",
                Some((n, _)) if *n != rep.network => "device registered to another network",
                Some(_) => continue,
            }
        };
        bail!("report {index} ({}) fails re-admission: {why}", rep.device);
    }
    Ok(())
}
