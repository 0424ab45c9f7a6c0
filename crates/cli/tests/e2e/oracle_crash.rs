//! Kill -9 the oracle during ingest: after a restart every acknowledged report is
//! in the spool, and the epoch's manifest on the ledger is the one a crash-free
//! oracle would have produced from the same reports.

use crate::common::*;
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_ledger::rewards::RewardEpoch;
use plinth_oracle::epoch::{compute, inputs_hash, EpochSpec};
use plinth_oracle::spool::{decode_batch, SpoolBatch};
use plinth_proofs::{Report, ReportBody, SignedReport};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEVICES: usize = 6;

fn now_ms() -> u64 {
    plinth_oracle::now_ms()
}

/// `plinth oracle` as its own process; SIGKILLed on drop if still running.
struct OracleProc {
    child: Option<Child>,
    args: Vec<String>,
    port: u16,
}

impl OracleProc {
    fn start(node: &str, keystore: &Path, data_dir: &Path, port: u16) -> OracleProc {
        let args = vec![
            "oracle".to_string(),
            "--node".into(),
            node.into(),
            "--key".into(),
            keystore.display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--http".into(),
            format!("127.0.0.1:{port}"),
        ];
        let mut o = OracleProc {
            child: None,
            args,
            port,
        };
        o.spawn();
        o
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process (same arguments every time) and waits for its API.
    fn spawn(&mut self) {
        let mut child = Command::new(bin())
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start plinth oracle");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if agent
                .get(&format!("{}/v1/status", self.url()))
                .call()
                .is_ok()
            {
                break;
            }
            if let Some(st) = child.try_wait().unwrap() {
                panic!("plinth oracle exited before serving: {st}");
            }
            assert!(
                Instant::now() < deadline,
                "oracle did not come up on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        self.child = Some(child);
    }

    /// SIGKILL: nothing gets flushed or finished.
    fn kill9(&mut self) {
        let mut child = self.child.take().expect("oracle running");
        child.kill().expect("kill oracle");
        child.wait().expect("reap oracle");
    }
}

impl Drop for OracleProc {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What the report stream saw.
#[derive(Default)]
struct StreamLog {
    /// Every report the stream generated, by hash.
    sent: BTreeMap<Hash, SignedReport>,
    /// Reports the oracle acknowledged: `accepted`, or `duplicate` on a resend.
    acked: BTreeSet<Hash>,
    /// Acknowledged as `duplicate`: durable although their first answer was lost.
    acked_duplicate: BTreeSet<Hash>,
    /// Reports of requests answered only when resent: whether the answer was
    /// `duplicate`, and which oracle run gave it.
    resent: Vec<(Hash, bool, usize)>,
    /// Reports acknowledged by each oracle process in turn (first, after the
    /// first restart, …).
    acked_by_run: Vec<usize>,
    /// Requests that got no answer (the oracle was down) and were resent.
    failed_requests: usize,
    requests: usize,
    /// Reports never acknowledged (still pending at the deadline).
    unacked: Vec<Hash>,
    /// Verdicts other than accepted/duplicate.
    problems: Vec<String>,
}

struct Stream {
    oracle: String,
    devices: Vec<Keypair>,
    /// The chain's identity, which reports name.
    chain: plinth_core::Hash,
    epoch: u64,
    /// No new reports from here on.
    stop_at_ms: u64,
    /// Resends of an unanswered request stop here.
    give_up_at_ms: u64,
    /// Bumped just before each request goes out.
    sending: Arc<AtomicU64>,
    /// Bumped once each request has its answer.
    answered: Arc<AtomicU64>,
    /// How many times the oracle has been killed so far.
    kills: Arc<AtomicUsize>,
}

impl Stream {
    /// Streams signed readings, one request at a time; an unanswered request is
    /// resent with the same bytes until answered.
    fn run(self) -> StreamLog {
        let mut log = StreamLog::default();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(3))
            .build();
        let url = format!("{}/v1/reports", self.oracle);
        let mut seq = vec![0u64; self.devices.len()];
        let mut next_device = 0usize;
        let mut pending: Option<Vec<SignedReport>> = None;
        loop {
            let resend = pending.is_some();
            let batch = match pending.take() {
                Some(b) => b,
                None => {
                    let now = now_ms();
                    if now >= self.stop_at_ms {
                        break;
                    }
                    // 1 to 3 reports per request, devices in turn.
                    let n = 1 + log.requests % 3;
                    let mut b = Vec::with_capacity(n);
                    for _ in 0..n {
                        let d = next_device;
                        next_device = (next_device + 1) % self.devices.len();
                        seq[d] += 1;
                        let jitter = ((seq[d] * 37) % 400) as i64 - 200;
                        let r = Report {
                            chain: self.chain,
                            device: DeviceId(self.devices[d].public()),
                            network: "weather".into(),
                            epoch: self.epoch,
                            timestamp_ms: now,
                            seq: seq[d],
                            body: ReportBody::Reading {
                                // Devices a degree apart: agreement depends on
                                // each device's median, so on which readings count.
                                value_milli: 20_000 + 1_000 * d as i64 + jitter,
                                unit: "celsius".into(),
                            },
                        }
                        .sign(&self.devices[d]);
                        log.sent.insert(r.hash(), r.clone());
                        b.push(r);
                    }
                    b
                }
            };
            log.requests += 1;
            self.sending.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({
                "reports": batch.iter().map(|r| hex::encode(r.encode())).collect::<Vec<_>>()
            });
            match agent.post(&url).send_json(body) {
                Ok(resp) => {
                    let run = self.kills.load(Ordering::SeqCst);
                    let v: serde_json::Value = resp.into_json().unwrap();
                    self.answered.fetch_add(1, Ordering::SeqCst);
                    let results = v["results"].as_array().unwrap();
                    assert_eq!(results.len(), batch.len(), "{v}");
                    for (r, verdict) in batch.iter().zip(results) {
                        let h = r.hash();
                        assert_eq!(verdict["hash"], h.to_string(), "{verdict}");
                        let ok = if verdict["status"] == "accepted" {
                            true
                        } else if verdict["code"] == "duplicate" {
                            log.acked_duplicate.insert(h);
                            true
                        } else {
                            log.problems.push(format!("report {h}: {verdict}"));
                            false
                        };
                        if ok && resend {
                            log.resent.push((h, verdict["code"] == "duplicate", run));
                        }
                        if ok && log.acked.insert(h) {
                            if log.acked_by_run.len() <= run {
                                log.acked_by_run.resize(run + 1, 0);
                            }
                            log.acked_by_run[run] += 1;
                        }
                    }
                    // Keep the spool to a few hundred batches.
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(ureq::Error::Status(code, resp)) => {
                    log.problems.push(format!(
                        "request answered {code}: {}",
                        resp.into_string().unwrap_or_default()
                    ));
                }
                Err(_) => {
                    // The oracle is down (or died mid-request): resend the same
                    // bytes once it is back.
                    log.failed_requests += 1;
                    if now_ms() >= self.give_up_at_ms {
                        log.unacked.extend(batch.iter().map(|r| r.hash()));
                        break;
                    }
                    pending = Some(batch);
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        log
    }
}

/// Every report in an epoch's spool directory, read straight from the files, and
/// the batches themselves.
fn read_spool(dir: &Path) -> (Vec<(Hash, SpoolBatch)>, Vec<SignedReport>) {
    let mut batches = Vec::new();
    let mut reports = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Temporary files of a write cut short were never acknowledged.
        let Some(stem) = name.strip_suffix(".batch") else {
            continue;
        };
        let hash: Hash = stem.parse().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let batch = decode_batch(&hash, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let SpoolBatch::Reports(rs) = &batch {
            reports.extend(rs.iter().cloned());
        }
        batches.push((hash, batch));
    }
    batches.sort_by_key(|(h, _)| *h);
    (batches, reports)
}

#[test]
fn kill_9_oracle_during_ingest_loses_no_acknowledged_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = Devnet::start_with(&dir, free_port(), &["--epoch-time", "8s"]);
    let alice = net.key("alice");
    let devices: Vec<Keypair> = (0..DEVICES).map(|_| Keypair::generate()).collect();
    register_sensors(&net, &alice, &devices);

    let odir: PathBuf = tmp.path().join("oracle");
    let mut oracle = OracleProc::start(&net.url(), &net.keystore(), &odir, free_port());

    // Start at a fresh epoch so the whole stream lands in one.
    let status = net.get("/v1/status");
    let genesis_ms = status["genesis_time_ms"].as_u64().unwrap();
    let epoch_ms = status["epoch_ms"].as_u64().unwrap();
    assert_eq!(epoch_ms, 8_000);
    let epoch = (now_ms() - genesis_ms) / epoch_ms + 1;
    let start_ms = genesis_ms + epoch * epoch_ms;
    let end_ms = start_ms + epoch_ms;
    std::thread::sleep(Duration::from_millis(
        (start_ms + 20).saturating_sub(now_ms()),
    ));

    let sending = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let kills = Arc::new(AtomicUsize::new(0));
    let stream = Stream {
        oracle: oracle.url(),
        devices: devices.clone(),
        chain: plinth_core::chain_identity(
            &status["genesis_hash"].as_str().unwrap().parse().unwrap(),
        ),
        epoch,
        stop_at_ms: end_ms - 1_000,
        give_up_at_ms: end_ms - 300,
        sending: sending.clone(),
        answered: answered.clone(),
        kills: kills.clone(),
    };
    let streamer = std::thread::spawn(move || stream.run());
    let spool_dir = odir.join("spool").join(epoch.to_string());
    let batch_files = || {
        std::fs::read_dir(&spool_dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".batch"))
                })
                .count()
            })
            .unwrap_or(0)
    };
    // Waits until the stream's next request is on its way.
    let next_request = || {
        let seen = sending.load(Ordering::SeqCst);
        while sending.load(Ordering::SeqCst) == seen {
            assert!(!streamer.is_finished(), "the stream stopped early");
            std::hint::spin_loop();
        }
    };
    // Per kill, the reports durable when the oracle died: the spool as the dead
    // process left it, which is what the next run starts from.
    let mut durable_at_kill: Vec<BTreeSet<Hash>> = vec![BTreeSet::new()];
    let mut kill_and_restart = |oracle: &mut OracleProc| {
        oracle.kill9();
        kills.fetch_add(1, Ordering::SeqCst);
        durable_at_kill.push(read_spool(&spool_dir).1.iter().map(|r| r.hash()).collect());
        oracle.spawn();
    };

    // Kill 1, ~1.5 s in: as soon as a request's batch is in the spool, before
    // its answer is back (durable, unacknowledged: the resend must be answered
    // `duplicate` and the report counted once).
    std::thread::sleep(Duration::from_millis(
        (start_ms + 1_500).saturating_sub(now_ms()),
    ));
    next_request();
    let (files, answers) = (batch_files(), answered.load(Ordering::SeqCst));
    let deadline = Instant::now() + Duration::from_secs(2);
    while batch_files() == files && Instant::now() < deadline {
        std::hint::spin_loop();
    }
    let raced = answered.load(Ordering::SeqCst) != answers;
    kill_and_restart(&mut oracle);

    // Kill 2, ~1 s later: right as a request goes out, while the oracle ingests
    // it (not yet durable: the resend must be accepted).
    std::thread::sleep(Duration::from_millis(
        (start_ms + 2_500).saturating_sub(now_ms()),
    ));
    next_request();
    kill_and_restart(&mut oracle);

    let log = streamer.join().expect("stream thread");
    eprintln!(
        "oracle_crash: epoch {epoch}: {} requests ({} unanswered and resent), {} reports; \
         acknowledged per oracle run {:?}, {} as duplicate on resend{}",
        log.requests,
        log.failed_requests,
        log.sent.len(),
        log.acked_by_run,
        log.acked_duplicate.len(),
        if raced {
            " (kill 1 came after its answer)"
        } else {
            ""
        }
    );
    assert!(log.problems.is_empty(), "{:#?}", log.problems);
    assert!(
        log.unacked.is_empty(),
        "never acknowledged: {:?}",
        log.unacked
    );
    assert!(
        log.acked_by_run.len() == 3 && log.acked_by_run[0] > 0 && log.acked_by_run[2] > 0,
        "reports acknowledged before the first kill and after the last restart: {:?}",
        log.acked_by_run
    );
    assert!(
        log.failed_requests >= 2,
        "the kills did not interrupt the stream"
    );
    // A resent report is `duplicate` exactly when it had reached the spool before
    // the kill that cut its answer off (the spool the answering run started
    // from); otherwise it is accepted now.
    assert!(!log.resent.is_empty());
    for (h, duplicate, run) in &log.resent {
        assert_eq!(
            *duplicate,
            durable_at_kill[*run].contains(h),
            "report {h} resent to oracle run {run}: answered duplicate = {duplicate}"
        );
    }

    // The manifest reaches the ledger once the epoch has closed.
    let deadline = Instant::now() + Duration::from_secs(40);
    let on_ledger: RewardEpoch = loop {
        if let Some(v) = get_opt(&format!("{}/v1/rewards/weather/{epoch}", net.url())) {
            break serde_json::from_value(v).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no manifest for weather epoch {epoch} on the ledger"
        );
        std::thread::sleep(Duration::from_millis(100));
    };

    // (a) Every acknowledged report is in the spool, exactly once.
    let (batches, spooled) = read_spool(&odir.join("spool").join(epoch.to_string()));
    let mut in_spool: BTreeMap<Hash, &SignedReport> = BTreeMap::new();
    for r in &spooled {
        assert!(
            in_spool.insert(r.hash(), r).is_none(),
            "report {} spooled twice",
            r.hash()
        );
    }
    for h in &log.acked {
        let r = in_spool
            .get(h)
            .unwrap_or_else(|| panic!("acknowledged report {h} is not in the spool"));
        assert_eq!(*r, &log.sent[h]);
    }
    // (b) Nothing else. A report whose batch was written but whose answer the
    // kill cut off is durable yet unacknowledged until resent, so the spool may
    // only hold reports the stream sent; and since every request was resent until
    // answered, it holds exactly the acknowledged ones.
    for h in in_spool.keys() {
        assert!(
            log.sent.contains_key(h),
            "spooled report {h} was never sent"
        );
    }
    assert_eq!(
        in_spool.keys().copied().collect::<BTreeSet<_>>(),
        log.acked,
        "spooled and acknowledged reports differ"
    );
    assert_eq!(log.acked.len(), log.sent.len());

    // The ledger's manifest names exactly the spool's batches.
    let list: Vec<Hash> = batches.iter().map(|(h, _)| *h).collect();
    assert_eq!(on_ledger.header.inputs, inputs_hash(&list));

    // (c) Same manifest as without the crash: a crash-free oracle would have
    // spooled every sent report (in other batches, so only `inputs` differs).
    // Score them as one batch with the epoch's registry snapshot.
    let registry = batches
        .iter()
        .find(|(_, b)| matches!(b, SpoolBatch::Registry(_)))
        .cloned()
        .expect("the closed epoch has a registry snapshot");
    let all: Vec<SignedReport> = log.sent.values().cloned().collect();
    let one = SpoolBatch::Reports(all);
    let one_hash = plinth_oracle::spool::batch_hash(&plinth_core::encode(&one));
    let node = plinth_api::NodeClient::new(&net.url());
    let genesis: plinth_ledger::Genesis = node.get("/v1/genesis").unwrap();
    let weather = node
        .networks()
        .unwrap()
        .into_iter()
        .find(|n| n.name == "weather")
        .expect("network weather");
    let family = weather.family().unwrap();
    let spec = EpochSpec {
        chain: genesis.chain(),
        network: "weather",
        family: &family,
        window: plinth_proofs::EpochWindow {
            epoch,
            start_ms,
            end_ms,
        },
        allowance: genesis.emission.network_allowance(epoch, weather.share_bps),
        usage_bps: weather.usage_bps,
        wasm: None,
    };
    let crash_free = compute(&spec, vec![(one_hash, one), registry]);
    assert_eq!(crash_free.header.devices, DEVICES as u64);
    let mut want = crash_free.header.clone();
    want.inputs = on_ledger.header.inputs;
    assert_eq!(
        want, on_ledger.header,
        "the ledger's manifest is not the crash-free one"
    );

    // (d) An independent audit of the epoch passes.
    let out = Command::new(bin())
        .args([
            "oracle",
            "audit",
            &epoch.to_string(),
            "--network",
            "weather",
            "--node",
            &net.url(),
            "--oracle",
            &oracle.url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit ok"));
}
