//! An oracle set that verifies, with real processes: `plinth testnet init
//! --validators 4 --oracles 3` (2 of 3 sign each manifest), four `plinth node`
//! and three `plinth oracle --config` processes on loopback, six-second epochs,
//! weather sensors posting a signed reading every second, each to a different
//! oracle in turn (the next one when that one is down).
//!
//! - `oracle_set_pays_two_of_three_refuses_a_liar_and_recovers_a_killed_oracle`:
//!   every epoch is paid with 2 of 3 signatures; the oracle started with
//!   `--adversary inflate` proposes inflated manifests in its turns, both honest
//!   oracles refuse them (`differs`) and the ledger takes the honest one; then,
//!   all honest, one oracle is SIGKILLed mid-epoch, the other two keep paying
//!   (through its proposing turn), and restarted it takes the manifests it missed
//!   and signs again.
//! - `oracle_key_rotated_by_transaction_without_a_pause`: the admin replaces
//!   oracle 2's key with `plinth wallet set-oracles` (the testnet's admin key)
//!   from an epoch four ahead; a new oracle process with the
//!   new key, its own keystore and data dir takes the old one's port (the other
//!   oracles' peer lists name that URL); every epoch is paid, and from the
//!   effective epoch on the new key signs and the old one does not.
//! - `oracle_set_partition_pays_the_majority_once`: oracle 2's links to its
//!   peers go through TCP proxies the test cuts and heals; while cut off, the
//!   ledger takes only the majority's manifests, and the minority's own
//!   proposal signs alone; after healing the peers refuse that proposal, oracle
//!   2 takes the majority's manifests and signs again, no epoch is paid twice and
//!   the supply minted is the sum of the paid manifests.
//!
//! The tests run one at a time (seven processes each on a small machine); every
//! process's stderr goes to a log whose tail is printed when a test fails.

use crate::common::*;
use plinth_api::node::OraclesView;
use plinth_api::oracle::Manifest;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_devnet::keystore::Keystore;
use plinth_devnet::oracle::OracleFileConfig;
use plinth_ledger::rewards::{ManifestHeader, RewardEpoch};
use plinth_ledger::{Call, OracleSignature, Transaction};
use plinth_proofs::{Report, ReportBody};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EPOCH_MS: u64 = 6_000;
const SENSORS: usize = 4;
const NETWORK: &str = "weather";
const VALIDATORS: u16 = 4;
const ORACLES: u16 = 3;

/// The heavy tests of this file run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn now_ms() -> u64 {
    plinth_oracle::now_ms()
}

fn sleep_until_ms(t: u64) {
    std::thread::sleep(Duration::from_millis(t.saturating_sub(now_ms())));
}

/// `plinth oracle --config FILE` (plus `extra` flags): stderr appended to
/// `log`; SIGKILLed on drop.
struct OracleProc {
    config: PathBuf,
    extra: Vec<String>,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl OracleProc {
    fn start(config: &Path, extra: &[&str], port: u16, log: &Path) -> OracleProc {
        let mut o = OracleProc {
            config: config.to_path_buf(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            port,
            log: log.to_path_buf(),
            child: None,
        };
        o.spawn();
        o
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits for its API.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "oracle on {} already runs", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut child = Command::new(bin())
            .args(["oracle", "--config"])
            .arg(&self.config)
            .args(&self.extra)
            .env("RUST_LOG", "warn,plinth_oracle=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start plinth oracle");
        until(&format!("the oracle on port {}", self.port), 60, || {
            if let Some(st) = child.try_wait().unwrap() {
                panic!(
                    "plinth oracle on {} exited: {st}\n{}",
                    self.port,
                    tail(&self.log, 30)
                );
            }
            get_json(&format!("{}/v1/status", self.url())).map(|_| ())
        });
        self.child = Some(child);
    }

    /// SIGKILL: nothing flushed, nothing finished.
    fn kill9(&mut self) {
        let mut c = self.child.take().expect("oracle running");
        c.kill().expect("kill oracle");
        c.wait().expect("reap oracle");
    }

    fn address(&self) -> Address {
        get_json(&format!("{}/v1/status", self.url())).expect("oracle status")["oracle"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The oracle's published weather manifest of `epoch` (`None`: none, or down).
    fn manifest(&self, epoch: u64) -> Option<Manifest> {
        let v = get_json(&format!("{}/v1/manifests/{NETWORK}/{epoch}", self.url()))?;
        Some(serde_json::from_value(v).expect("a manifest"))
    }

    /// The refusals this oracle gave (`GET /v1/cosign/refusals`).
    fn refusals(&self) -> Vec<serde_json::Value> {
        get_json(&format!("{}/v1/cosign/refusals", self.url()))
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
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

/// The last `n` lines of a log file.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A loopback TCP proxy that can be cut (every connection closed, new ones
/// refused) and healed.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(to: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = Proxy {
            port,
            open: Arc::new(AtomicBool::new(true)),
            conns: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (open, conns, stop) = (p.open.clone(), p.conns.clone(), p.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let down = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                // Refused, as a cut link is.
                if !open.load(Ordering::SeqCst) {
                    continue;
                }
                let _ = down.set_nonblocking(false);
                let Ok(up) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let mut c = conns.lock().unwrap();
                c.push(down.try_clone().unwrap());
                c.push(up.try_clone().unwrap());
                for (mut from, mut to) in [
                    (down.try_clone().unwrap(), up.try_clone().unwrap()),
                    (up, down),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        p
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes every connection through the proxy and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn heal(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
    }
}

/// How the oracles are started.
#[derive(Default)]
struct Options {
    /// Extra flags of oracle 2 (e.g. `--adversary inflate`).
    oracle2_flags: Vec<&'static str>,
    /// Each oracle reaches each peer through a proxy.
    proxied: bool,
}

/// Four validators and three oracles from `plinth testnet init`, and sensors
/// registered on it.
struct Testnet {
    /// Kept until the end: every process's data and log.
    tmp: tempfile::TempDir,
    dir: PathBuf,
    validators: Vec<Devnet>,
    oracles: Vec<OracleProc>,
    /// The genesis oracle set, in order (oracle i is members[i]).
    members: Vec<Address>,
    oracle_port: u16,
    genesis_ms: u64,
    /// `proxies[(i, j)]`: oracle i's link to oracle j.
    proxies: BTreeMap<(usize, usize), Proxy>,
    sensors: Vec<Keypair>,
    chain: Hash,
    logs: Vec<PathBuf>,
}

impl Testnet {
    fn start(opts: Options) -> Testnet {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("testnet");
        // Four validators' HTTP and p2p ports, then three oracles'.
        let base = free_range(2 * VALIDATORS + ORACLES);
        let (rpc, p2p, oracle_port) = (base, base + VALIDATORS, base + 2 * VALIDATORS);
        testnet_init(
            &dir,
            &[
                "--validators",
                "4",
                "--oracles",
                "3",
                "--rpc-port",
                &rpc.to_string(),
                "--p2p-port",
                &p2p.to_string(),
                "--oracle-port",
                &oracle_port.to_string(),
                "--block-time",
                "200ms",
                "--epoch-time",
                &format!("{EPOCH_MS}ms"),
                // The key rotation goes through the admin's `set-oracles`.
                "--bootstrap-admin",
            ],
        );
        let dir = dir.canonicalize().unwrap();
        let mut logs = Vec::new();
        let validators: Vec<Devnet> = (0..VALIDATORS)
            .map(|i| {
                let log = tmp.path().join(format!("v{i}.log"));
                logs.push(log.clone());
                let child = Command::new(bin())
                    .args(["node", "--config"])
                    .arg(dir.join(format!("v{i}/node.toml")))
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(&log).unwrap())
                    .spawn()
                    .expect("start plinth node");
                // The testnet's keystore (funded accounts, the admin) is in DIR.
                Devnet::adopt(child, &dir, rpc + i)
            })
            .collect();
        until("the validators' first blocks", 120, || {
            validators.iter().all(|v| v.height() >= 2).then_some(())
        });
        let status = validators[0].get("/v1/status");
        assert_eq!(status["epoch_ms"].as_u64(), Some(EPOCH_MS));
        let genesis_ms = status["genesis_time_ms"].as_u64().unwrap();
        let chain =
            plinth_core::chain_identity(&status["genesis_hash"].as_str().unwrap().parse().unwrap());

        // Sensors first, so that every oracle knows them from its start.
        let sensors: Vec<Keypair> = (0..SENSORS).map(|_| Keypair::generate()).collect();
        register_sensors(&validators[0], &validators[0].key("alice"), &sensors);

        let mut proxies = BTreeMap::new();
        if opts.proxied {
            for i in 0..ORACLES as usize {
                for j in (0..ORACLES as usize).filter(|j| *j != i) {
                    proxies.insert((i, j), Proxy::start(oracle_port + j as u16));
                }
            }
        }
        let mut oracles = Vec::new();
        let mut members = Vec::new();
        let ks = Keystore::load(&dir.join("keystore.json")).unwrap();
        for i in 0..ORACLES as usize {
            let path = dir.join(format!("o{i}/oracle.toml"));
            let mut cfg: OracleFileConfig =
                toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            fast_timings(&mut cfg);
            if opts.proxied {
                cfg.peers = (0..ORACLES as usize)
                    .filter(|j| *j != i)
                    .map(|j| proxies[&(i, j)].url())
                    .collect();
            }
            std::fs::write(&path, toml::to_string_pretty(&cfg).unwrap()).unwrap();
            let log = tmp.path().join(format!("o{i}.log"));
            logs.push(log.clone());
            let extra: &[&str] = if i == 2 { &opts.oracle2_flags } else { &[] };
            let o = OracleProc::start(&path, extra, oracle_port + i as u16, &log);
            let address = ks.resolve(&plinth_devnet::genesis::oracle_name(i)).unwrap();
            assert_eq!(o.address(), address);
            members.push(address);
            oracles.push(o);
        }
        let set: OraclesView = serde_json::from_value(validators[0].get("/v1/oracles")).unwrap();
        assert_eq!((set.threshold, &set.members), (2, &members));
        Testnet {
            tmp,
            dir,
            validators,
            oracles,
            members,
            oracle_port,
            genesis_ms,
            proxies,
            sensors,
            chain,
            logs,
        }
    }

    fn node(&self) -> &Devnet {
        &self.validators[0]
    }

    fn epoch_now(&self) -> u64 {
        (now_ms() - self.genesis_ms) / EPOCH_MS
    }

    fn epoch_start_ms(&self, epoch: u64) -> u64 {
        self.genesis_ms + epoch * EPOCH_MS
    }

    /// The ledger's weather manifest of `epoch`, if it has one.
    fn paid(&self, epoch: u64) -> Option<ManifestHeader> {
        let v = get_opt(&format!(
            "{}/v1/rewards/{NETWORK}/{epoch}",
            self.node().url()
        ))?;
        Some(serde_json::from_value::<RewardEpoch>(v).unwrap().header)
    }

    /// Waits until the ledger holds `epoch`'s weather manifest.
    fn wait_paid(&self, epoch: u64) -> ManifestHeader {
        let end = self.epoch_start_ms(epoch + 1);
        // The cut-off, then three proposers' turns at most.
        let secs = (end.saturating_sub(now_ms()) / 1000) + 30;
        until(&format!("epoch {epoch} paid on the ledger"), secs, || {
            self.paid(epoch)
        })
    }

    /// The oracle set effective at `epoch`, as the ledger has it.
    fn set_at(&self, epoch: u64) -> OraclesView {
        serde_json::from_value(self.node().get(&format!("/v1/oracles?epoch={epoch}"))).unwrap()
    }

    /// Starts the sensors: every second each posts one reading, to oracle
    /// `(sensor + tick) % 3` or, if that one does not answer, the next.
    fn stream(&self) -> Stream {
        let stop = Arc::new(AtomicBool::new(false));
        let accepted: Arc<Vec<AtomicU64>> =
            Arc::new((0..ORACLES).map(|_| AtomicU64::new(0)).collect());
        let problems = Arc::new(Mutex::new(Vec::new()));
        let urls: Vec<String> = (0..ORACLES)
            .map(|i| format!("http://127.0.0.1:{}", self.oracle_port + i))
            .collect();
        let (sensors, chain, genesis_ms) = (self.sensors.clone(), self.chain, self.genesis_ms);
        let handle = {
            let (stop, accepted, problems) = (stop.clone(), accepted.clone(), problems.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(2))
                    .build();
                let mut tick = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let started = now_ms();
                    for (d, key) in sensors.iter().enumerate() {
                        let now = now_ms();
                        let r = Report {
                            chain,
                            device: DeviceId(key.public()),
                            network: NETWORK.into(),
                            epoch: (now - genesis_ms) / EPOCH_MS,
                            timestamp_ms: now,
                            seq: now,
                            body: ReportBody::Reading {
                                value_milli: 20_000 + 300 * d as i64 + (tick % 5) as i64 * 40,
                                unit: "celsius".into(),
                            },
                        }
                        .sign(key);
                        let body = serde_json::json!({ "reports": [hex::encode(r.encode())] });
                        for k in 0..urls.len() {
                            let o = (d + tick + k) % urls.len();
                            let Ok(resp) = agent
                                .post(&format!("{}/v1/reports", urls[o]))
                                .send_json(body.clone())
                            else {
                                continue;
                            };
                            let v: serde_json::Value = resp.into_json().unwrap();
                            if v["results"][0]["status"] == "accepted" {
                                accepted[o].fetch_add(1, Ordering::SeqCst);
                            } else {
                                problems.lock().unwrap().push(format!("oracle {o}: {v}"));
                            }
                            break;
                        }
                    }
                    tick += 1;
                    sleep_until_ms(started + 1_000);
                }
            })
        };
        Stream {
            stop,
            accepted,
            problems,
            handle: Some(handle),
        }
    }

    /// Checks that `epoch` is paid as 2 of 3 honest oracles computed it: the
    /// ledger's header is the one at least two oracles serve, each of those
    /// copies signed by at least two members of the epoch's set, and it pays
    /// every sensor. Returns the header and, per oracle serving it, the members
    /// whose valid signature its copy carries.
    fn check_paid(&self, epoch: u64) -> (ManifestHeader, BTreeMap<usize, BTreeSet<Address>>) {
        let header = self.wait_paid(epoch);
        assert_eq!(
            header.devices, SENSORS as u64,
            "epoch {epoch} pays every sensor: {header:?}"
        );
        assert!(header.total > 0);
        let set = self.set_at(epoch);
        // Co-signers publish their copy when they sign; give them a moment.
        let copies = until(
            &format!("two oracles serving epoch {epoch}'s manifest"),
            20,
            || {
                let copies: BTreeMap<usize, BTreeSet<Address>> = self
                    .oracles
                    .iter()
                    .enumerate()
                    .filter_map(|(i, o)| {
                        let m = o.manifest(epoch)?;
                        (m.header == header)
                            .then(|| (i, valid_signers(&header, &m.signatures, &set.members)))
                    })
                    .collect();
                // (A copy may carry fewer: e.g. one kept by an oracle that is
                // not a member of the epoch's set, whose signature does not count.)
                let signed = copies.values().filter(|s| s.len() >= 2).count();
                (signed >= 2).then_some(copies)
            },
        );
        (header, copies)
    }

    /// Every signer, valid or not, of the weather manifests of `epoch` the
    /// running oracles serve.
    fn any_signers(&self, epoch: u64) -> BTreeSet<Address> {
        self.oracles
            .iter()
            .filter_map(|o| o.manifest(epoch))
            .flat_map(|m| m.signatures.into_iter().map(|s| s.oracle))
            .collect()
    }

    fn oracle_log_tails(&self) -> String {
        self.logs
            .iter()
            .map(|l| format!("==== {} ====\n{}", l.display(), tail(l, 40)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "oracle_quorum: logs in {} (kept: PLINTH_E2E_KEEP=1)\n{}",
                self.tmp.path().display(),
                self.oracle_log_tails()
            );
            if std::env::var_os("PLINTH_E2E_KEEP").is_some() {
                let _ = std::mem::replace(&mut self.tmp, tempfile::tempdir().unwrap()).keep();
            }
        }
    }
}

/// The sensors' report stream; stopped on drop.
struct Stream {
    stop: Arc<AtomicBool>,
    /// Reports each oracle accepted.
    accepted: Arc<Vec<AtomicU64>>,
    problems: Arc<Mutex<Vec<String>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Stream {
    /// What the sensors' stream saw: reports accepted per oracle, and the
    /// refusals (a few at epoch boundaries are expected).
    fn summary(&self) -> String {
        let problems = self.problems.lock().unwrap();
        format!(
            "reports accepted per oracle {:?}, {} refused{}",
            self.accepted(),
            problems.len(),
            problems
                .first()
                .map(|p| format!(" (e.g. {p})"))
                .unwrap_or_default()
        )
    }

    fn accepted(&self) -> Vec<u64> {
        self.accepted
            .iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Short oracle timings for six-second epochs: reports until the epoch's end
/// plus 1 s (the cut-off), peers' spools read every 300 ms, the first proposer
/// 1 s after the cut-off, the next one 3 s later.
fn fast_timings(cfg: &mut OracleFileConfig) {
    cfg.close_grace_ms = Some(1_000);
    cfg.exchange_interval_ms = Some(300);
    cfg.propose_after_ms = Some(1_000);
    cfg.proposal_timeout_ms = Some(3_000);
}

/// The members of `members` with a valid signature over `header` in `sigs`.
fn valid_signers(
    header: &ManifestHeader,
    sigs: &[OracleSignature],
    members: &[Address],
) -> BTreeSet<Address> {
    let msg = header.signing_bytes();
    sigs.iter()
        .filter(|s| {
            members.contains(&s.oracle) && s.oracle.key().verify(&msg, &s.signature).is_ok()
        })
        .map(|s| s.oracle)
        .collect()
}

/// The first proposer of `epoch`: the members rotated by the epoch.
fn first_proposer(epoch: u64) -> usize {
    (epoch % u64::from(ORACLES)) as usize
}

/// Every network's manifests on the ledger, epochs `0..=last`: Σ totals, and
/// the paid (network, epoch) pairs.
fn ledger_totals(node: &Devnet, last: u64) -> (u64, usize) {
    let networks: Vec<String> = node
        .get("/v1/networks")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    let mut sum = 0;
    let mut paid = 0;
    for n in &networks {
        for e in 0..=last {
            if let Some(v) = get_opt(&format!("{}/v1/rewards/{n}/{e}", node.url())) {
                let r: RewardEpoch = serde_json::from_value(v).unwrap();
                sum += r.header.total;
                paid += 1;
            }
        }
    }
    (sum, paid)
}

/// The supply minted equals the sum of the manifests the ledger holds (read
/// again until no manifest lands in between).
fn assert_minted_is_paid(net: &Testnet) {
    let node = net.node();
    until("a quiet read of the supply", 30, || {
        let before = node.get("/v1/supply")["minted"].as_u64().unwrap();
        let (sum, paid) = ledger_totals(node, net.epoch_now() + 1);
        let after = node.get("/v1/supply")["minted"].as_u64().unwrap();
        (before == after).then(|| {
            assert_eq!(
                after, sum,
                "minted {after}, but {paid} manifests on the ledger pay {sum}"
            );
        })
    });
}

#[test]
fn oracle_set_pays_two_of_three_refuses_a_liar_and_recovers_a_killed_oracle() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let mut net = Testnet::start(Options {
        oracle2_flags: vec!["--adversary", "inflate"],
        ..Options::default()
    });
    let stream = net.stream();
    let liar = net.members[2];
    let honest = [net.members[0], net.members[1]];

    // 1 and 2. Four epochs streamed from their start: one or two are the liar's
    // to propose. Each is paid with the honest manifest, 2 of 3 signing.
    let first = net.epoch_now() + 1;
    let mut liar_epochs = 0;
    for e in first..first + 4 {
        let (header, copies) = net.check_paid(e);
        if first_proposer(e) != 2 {
            continue;
        }
        liar_epochs += 1;
        // The liar proposed first; both honest oracles recomputed and refused,
        // and its manifest (never the ledger's) carries their refusals.
        let m = until(
            &format!("both refusals in the liar's epoch {e}"),
            30,
            || {
                let m = net.oracles[2].manifest(e)?;
                let refused: BTreeSet<(Address, String)> = m
                    .refusals
                    .iter()
                    .map(|r| (r.oracle, r.code.clone()))
                    .collect();
                honest
                    .iter()
                    .all(|h| refused.contains(&(*h, "differs".to_string())))
                    .then_some(m)
            },
        );
        assert_ne!(m.header, header, "the liar's epoch {e} paid its manifest");
        assert!(
            m.header.total > header.total,
            "inflated: {} > {}",
            m.header.total,
            header.total
        );
        assert_eq!(
            valid_signers(&m.header, &m.signatures, &net.members),
            BTreeSet::from([liar]),
            "only the liar signed its epoch {e} manifest"
        );
        assert!(
            !copies.contains_key(&2),
            "the liar serves the ledger's epoch {e}"
        );
        // The honest oracles record why, for the API and metrics.
        for o in &net.oracles[..2] {
            assert!(
                o.refusals().iter().any(|r| r["network"] == NETWORK
                    && r["epoch"] == e
                    && r["proposer"] == liar.to_string()
                    && r["code"] == "differs"),
                "{} did not record refusing epoch {e}: {:?}",
                o.url(),
                o.refusals()
            );
        }
    }
    assert!(liar_epochs >= 1);
    eprintln!(
        "oracle_quorum: epochs {first}..{} paid, {liar_epochs} liar's epoch(s) refused ({:?} s)",
        first + 3,
        started.elapsed().as_secs()
    );

    // 3. All honest: oracle 2 restarts without --adversary. Then oracle 0 is
    // SIGKILLed mid-epoch; the other two pay its epochs, its proposing turn too.
    net.oracles[2].kill9();
    net.oracles[2].extra.clear();
    net.oracles[2].spawn();
    let killed = net.epoch_now() + 1;
    sleep_until_ms(net.epoch_start_ms(killed) + EPOCH_MS / 2);
    net.oracles[0].kill9();
    let down: Vec<u64> = (killed..killed + 3).collect();
    assert!(down.iter().any(|e| first_proposer(*e) == 0));
    let mut on_ledger = BTreeMap::new();
    for &e in &down {
        let (header, copies) = net.check_paid(e);
        assert!(
            copies.values().all(|s| !s.contains(&net.members[0])),
            "the killed oracle signed epoch {e}"
        );
        on_ledger.insert(e, header);
    }

    // Restarted, it takes the manifests it missed from its peers, and signs again.
    net.oracles[0].spawn();
    for (e, header) in &on_ledger {
        until(&format!("oracle 0 taking epoch {e}'s manifest"), 30, || {
            (net.oracles[0].manifest(*e).as_ref().map(|m| &m.header) == Some(header)).then_some(())
        });
    }
    let again = net.epoch_now() + 1;
    let (header, copies) = net.check_paid(again);
    assert!(
        copies.values().any(|s| s.contains(&net.members[0])),
        "oracle 0's signature is not on epoch {again}'s manifest: {copies:?}"
    );
    assert_eq!(
        net.oracles[0].manifest(again).map(|m| m.header),
        Some(header)
    );

    // Every epoch from the first streamed one was paid, once.
    for e in first..=again {
        assert!(net.paid(e).is_some(), "epoch {e} not paid");
    }
    eprintln!("oracle_quorum: {}", stream.summary());
    drop(stream);
    assert_minted_is_paid(&net);
    eprintln!(
        "oracle_quorum: liar refused, kill -9 recovered; epochs {first}..={again} paid in {} s",
        started.elapsed().as_secs()
    );
}

#[test]
fn oracle_key_rotated_by_transaction_without_a_pause() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let mut net = Testnet::start(Options::default());
    let stream = net.stream();
    let first = net.epoch_now() + 1;
    net.check_paid(first);

    // The new key: its own keystore, data dir and config (oracle 2's, with the
    // same HTTP port: its peers name that URL), and fees to pay.
    let new_key = Keypair::generate();
    let new_addr = Address(new_key.public());
    let new_dir = net.tmp.path().join("o2-new");
    std::fs::create_dir_all(&new_dir).unwrap();
    let mut ks = Keystore::load(&new_dir.join("keystore.json")).unwrap();
    ks.add("oracle", &new_key).unwrap();
    ks.save().unwrap();
    let mut cfg: OracleFileConfig =
        toml::from_str(&std::fs::read_to_string(net.dir.join("o2/oracle.toml")).unwrap()).unwrap();
    cfg.key = Some(new_dir.join("keystore.json"));
    cfg.data_dir = Some(new_dir.join("data"));
    let new_config = new_dir.join("oracle.toml");
    std::fs::write(&new_config, toml::to_string_pretty(&cfg).unwrap()).unwrap();
    fund(&net, &new_addr, 1_000_000_000);

    // The admin replaces oracle 2's key, effective four epochs ahead.
    let old = net.members[2];
    let effective = net.epoch_now() + 4;
    let new_set = vec![net.members[0], net.members[1], new_addr];
    set_oracles(&net, &new_set, 2, effective);
    assert!(
        net.epoch_now() + 2 < effective,
        "the set change was committed too late to test"
    );
    let before = net.set_at(effective - 1);
    assert_eq!(before.members, net.members);
    let after = net.set_at(effective);
    assert_eq!((after.threshold, &after.members), (2, &new_set));

    // Oracle 2 runs until the epochs it may sign are closing; the new oracle
    // takes its port.
    for e in first + 1..effective - 1 {
        net.check_paid(e);
    }
    net.oracles[2].kill9();
    net.oracles[2] = OracleProc::start(
        &new_config,
        &[],
        net.oracle_port + 2,
        &net.tmp.path().join("o2-new.log"),
    );
    net.logs.push(net.tmp.path().join("o2-new.log"));
    assert_eq!(net.oracles[2].address(), new_addr);

    // Every epoch is paid, before and after; from the effective epoch on, the new
    // key signs (it co-signs or proposes each one) and the old one never does.
    let last = effective + 3;
    for e in effective - 1..=last {
        let (header, copies) = net.check_paid(e);
        let signers: BTreeSet<Address> = copies.values().flatten().copied().collect();
        if e >= effective {
            assert!(
                signers.contains(&new_addr),
                "epoch {e} lacks the new key's signature: {copies:?}"
            );
            assert!(
                !net.any_signers(e).contains(&old),
                "the old key signed epoch {e}"
            );
            // Its own copy: two other copies may be served before it has one.
            until(&format!("the new oracle serving epoch {e}"), 20, || {
                let m = net.oracles[2].manifest(e)?;
                (m.header == header).then_some(())
            });
        }
    }
    for e in first..=last {
        assert!(net.paid(e).is_some(), "epoch {e} not paid");
    }
    eprintln!("oracle_quorum: {}", stream.summary());
    drop(stream);
    assert_minted_is_paid(&net);
    eprintln!(
        "oracle_quorum: key rotated at epoch {effective}; epochs {first}..={last} paid in {} s",
        started.elapsed().as_secs()
    );
}

/// The admin (the validator-set admin key of the testnet's keystore) schedules
/// the oracle set `members`, `threshold` of them signing, from `effective_epoch`,
/// with `plinth wallet set-oracles` (which waits until it is committed).
fn set_oracles(net: &Testnet, members: &[Address], threshold: u32, effective_epoch: u64) {
    let mut args: Vec<String> = ["wallet", "set-oracles", "--from", "admin"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for m in members {
        args.extend(["--member".to_string(), m.to_string()]);
    }
    args.extend([
        "--threshold".to_string(),
        threshold.to_string(),
        "--from-epoch".to_string(),
        effective_epoch.to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = net.node().ok(&args);
    assert!(out.contains("committed"), "{out}");
}

/// Sends `amount` from alice to `to` and waits for it.
fn fund(net: &Testnet, to: &Address, amount: u64) {
    let node = net.node();
    let alice = node.key("alice");
    let from = Address(alice.public());
    let nonce = node.get(&format!("/v1/accounts/{from}"))["next_nonce"]
        .as_u64()
        .unwrap();
    let tx = Transaction {
        chain_id: "plinth-testnet".into(),
        signer: from,
        nonce,
        fee: node.get("/v1/status")["min_fee"].as_u64().unwrap(),
        call: Call::Transfer { to: *to, amount },
    }
    .sign(&alice);
    let (code, body) = node.submit(&tx);
    assert_eq!(code, 202, "{body}");
    until("the transfer", 30, || {
        (node.balance(to) >= amount).then_some(())
    });
}

#[test]
fn oracle_set_partition_pays_the_majority_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let net = Testnet::start(Options {
        proxied: true,
        ..Options::default()
    });
    let stream = net.stream();
    let first = net.epoch_now() + 1;
    net.check_paid(first);

    // Oracle 2 cut off from its peers (both ways) early in an epoch; devices
    // still reach all three.
    let cut = net.epoch_now() + 1;
    sleep_until_ms(net.epoch_start_ms(cut) + 500);
    let links: Vec<&Proxy> = net
        .proxies
        .iter()
        .filter(|((i, j), _)| *i == 2 || *j == 2)
        .map(|(_, p)| p)
        .collect();
    links.iter().for_each(|p| p.cut());
    let minority = net.members[2];
    let partitioned: Vec<u64> = (cut..cut + 3).collect();
    assert!(partitioned.iter().any(|e| first_proposer(*e) == 2));
    let mut ledger = BTreeMap::new();
    for &e in &partitioned {
        // The majority's manifest, which the minority did not sign.
        let (header, copies) = net.check_paid(e);
        assert!(
            copies.contains_key(&0) && copies.contains_key(&1),
            "{copies:?}"
        );
        assert!(
            copies.values().all(|s| !s.contains(&minority)),
            "oracle 2 signed epoch {e} while cut off"
        );
        ledger.insert(e, header);
    }
    // In its turn the minority proposed alone: its manifest is not the ledger's.
    let its_turn = *partitioned
        .iter()
        .find(|e| first_proposer(**e) == 2)
        .unwrap();
    let m = until("the minority's own manifest", 20, || {
        net.oracles[2].manifest(its_turn)
    });
    assert_ne!(m.header, ledger[&its_turn]);
    assert_eq!(
        valid_signers(&m.header, &m.signatures, &net.members),
        BTreeSet::from([minority])
    );
    assert!(
        stream.accepted()[2] > 0,
        "devices reached the cut-off oracle"
    );

    // Healed: epochs go on being paid once each, oracle 2 signs again, and its
    // manifest of its turn never reaches the ledger.
    links.iter().for_each(|p| p.heal());
    let healed = net.epoch_now() + 1;
    let mut signed_again = false;
    for e in healed..healed + 3 {
        let (_, copies) = net.check_paid(e);
        signed_again |= copies.values().any(|s| s.contains(&minority));
    }
    assert!(signed_again, "oracle 2 never signed again after healing");
    // The epochs it did not propose it takes from its peers, as the ledger has them.
    for e in partitioned.iter().filter(|e| **e != its_turn) {
        until(&format!("oracle 2 taking epoch {e}'s manifest"), 30, || {
            (net.oracles[2].manifest(*e).map(|m| m.header).as_ref() == Some(&ledger[e]))
                .then_some(())
        });
    }
    // Its own manifest of its turn, proposed again once healed, is refused by
    // both peers, who now read its batches and find their own left out.
    let majority = [net.members[0], net.members[1]];
    let m = until(
        "the majority's refusals of the minority's manifest",
        30,
        || {
            let m = net.oracles[2].manifest(its_turn)?;
            majority
                .iter()
                .all(|a| {
                    m.refusals
                        .iter()
                        .any(|r| r.oracle == *a && r.code != "unreachable")
                })
                .then_some(m)
        },
    );
    eprintln!(
        "oracle_quorum: the minority's epoch {its_turn} refused: {:?}",
        m.refusals
            .iter()
            .map(|r| (r.oracle.to_string(), r.code.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(net.paid(its_turn).as_ref(), Some(&ledger[&its_turn]));
    for e in first..healed + 3 {
        assert!(net.paid(e).is_some(), "epoch {e} not paid");
    }
    eprintln!("oracle_quorum: {}", stream.summary());
    drop(stream);
    assert_minted_is_paid(&net);
    eprintln!(
        "oracle_quorum: partition of epochs {cut}..{} healed; paid once each, in {} s",
        cut + 2,
        started.elapsed().as_secs()
    );
}
