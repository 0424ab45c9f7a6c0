//! Three oracles of one set (threshold 2) on a chain with a compute network:
//! each signature over a spot check or over capacity checks is earned by
//! re-executing or by checking the provider itself.
//!
//! - Spot checks: a job of an echo module, one claim revealed with right results
//!   and one with a wrong result, by signed transactions. The oracles verify the
//!   first and slash the second on the ledger (each needs a peer's signature);
//!   a verdict that lies in any field, or that comes from outside the set, for
//!   another chain or badly signed, is refused with its code and recorded.
//! - Capacity checks: two leases on real agents (`plinth_compute::server`), one
//!   honest and one answering garbage. A peer refuses to sign failures it did not
//!   see itself (`checks_unconfirmed`), signs passes and the failures it saw, and
//!   the garbage provider's lease is closed by the checks the set settles.
//!
//! Every answer is also checked against what `openapi.yaml` documents for its route.

use crate::common::*;
use plinth_api::oracle::{ChecksProposal, RefusalRecord, VerdictProposal};
use plinth_api::OracleClient;
use plinth_compute::runner::{execute, ModuleCache};
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::compute::{
    self, ClaimStatus, ComputeAttrs, ComputeChecks, ComputeParams, ComputeRequirements, JobVerdict,
    LeaseChecks, LeaseCloseReason, LeaseStatus, TaskCheck,
};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::genesis::{GenesisAccount, GenesisNetwork};
use plinth_ledger::{Call, OracleSet, OracleSignature, Overlay};
use plinth_oracle::{Oracle, OracleConfig};
use std::sync::Arc;
use std::time::Duration;

const GPU: &str = "gpu";
/// Echoes the task index and the input's length: 8 bytes per task.
const ECHO_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "plinth_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "plinth_task") (param $p i32) (param $len i32) (param $task i32) (result i64)
    (i32.store (i32.const 0) (local.get $task))
    (i32.store (i32.const 4) (local.get $len))
    (i64.const 8)))"#;
const INPUT: &[u8] = b"echo";
const FUEL: u64 = 1_000_000;

/// The set's keys: the common `key(2)` proposes, `key(4)` and `key(5)` co-sign.
fn keys() -> [Keypair; 3] {
    [key(2), key(4), key(5)]
}

fn addr(k: &Keypair) -> Address {
    Address(k.public())
}

/// The consumer of jobs and leases (providers are the common owner's devices).
fn consumer() -> Keypair {
    key(7)
}

/// Outside the oracle set.
fn stranger() -> Keypair {
    key(9)
}

/// A node and three oracles of one set (threshold 2), each the others' peer, on a
/// chain whose only network is the compute network `gpu`.
struct Set {
    net: Net,
    /// The second and third oracles: (oracle, URL, stop).
    others: Vec<(Arc<Oracle>, String, tokio::sync::watch::Sender<bool>)>,
    epoch_ms: u64,
}

impl Set {
    async fn start(
        devices: &[(&str, &Keypair)],
        epoch_ms: u64,
        checks_per_epoch: u32,
        max_check_failures: u32,
    ) -> Set {
        let ks = keys();
        let l2 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let l3 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let u2 = format!("http://{}", l2.local_addr().unwrap());
        let u3 = format!("http://{}", l3.local_addr().unwrap());
        let members: Vec<Address> = ks.iter().map(addr).collect();
        let (p2, p3) = (u2.clone(), u3.clone());
        let net = Net::start_custom(
            tempfile::tempdir().unwrap(),
            devices,
            None,
            move |g| {
                g.oracles = OracleSet {
                    threshold: 2,
                    members: members.clone(),
                };
                for a in members[1..].iter().copied().chain([addr(&consumer())]) {
                    g.accounts.push(GenesisAccount {
                        address: a,
                        balance: 1_000_000_000,
                    });
                }
                let mut params = toml::Table::new();
                params.insert("checks_per_epoch".into(), checks_per_epoch.into());
                // Room for an honest agent on a loaded 2-core machine (the whole
                // suite runs at once): a check missed there is a flake, not a finding.
                params.insert("check_timeout_ms".into(), 20_000.into());
                // Only the compute network: nothing else for the oracles to do.
                g.networks = vec![GenesisNetwork {
                    name: GPU.into(),
                    family: compute::FAMILY.into(),
                    params,
                    share_bps: 1_000,
                    usage_bps: 5_000,
                    require_maker: false,
                }];
                g.compute = Some(ComputeParams {
                    allow_private_endpoints: true,
                    max_check_failures,
                    // Long enough that only the oracles' verdict settles a claim.
                    verify_blocks: 3_000,
                    ..ComputeParams::default()
                });
                g.emission.epoch_ms = epoch_ms;
            },
            move |cfg| {
                quick(cfg);
                cfg.price_micro_usd = None;
                cfg.peers = vec![p2, p3];
            },
        )
        .await;
        let mut others = Vec::new();
        for (i, (l, peers)) in [
            (l2, vec![net.oracle_url.clone(), u3.clone()]),
            (l3, vec![net.oracle_url.clone(), u2.clone()]),
        ]
        .into_iter()
        .enumerate()
        {
            others.push(
                start_oracle_with(
                    net.dir.path().join(format!("oracle{}", i + 2)),
                    &net.node_url,
                    &ks[i + 1],
                    Some(l),
                    move |cfg| {
                        quick(cfg);
                        cfg.price_micro_usd = None;
                        cfg.peers = peers;
                    },
                )
                .await,
            );
        }
        Set {
            net,
            others,
            epoch_ms,
        }
    }

    /// The co-signer the tests ask (`key(4)`).
    fn peer_url(&self) -> String {
        self.others[0].1.clone()
    }

    fn epoch_of(&self, ms: u64) -> u64 {
        (ms - self.net.genesis_time_ms) / self.epoch_ms
    }

    fn epoch_start(&self, epoch: u64) -> u64 {
        self.net.genesis_time_ms + epoch * self.epoch_ms
    }

    fn claim(&self, id: &Hash) -> compute::TaskClaim {
        let snap = self.net.node.store.snapshot().unwrap();
        compute::claim(&Overlay::new(&snap), id)
            .unwrap()
            .expect("claim on the ledger")
    }

    fn lease(&self, id: &Hash) -> compute::Lease {
        let snap = self.net.node.store.snapshot().unwrap();
        compute::lease(&Overlay::new(&snap), id)
            .unwrap()
            .expect("lease on the ledger")
    }

    /// The oracle set prices the token ($1.50, signed by two members); the
    /// consumer burns 1 token for 150,000 credits.
    async fn buy_credits(&self) {
        let point = PricePoint {
            chain: self.net.chain,
            micro_usd_per_token: PRICE_MICRO_USD,
            timestamp_ms: now_ms(),
        };
        let ks = keys();
        submit(
            &self.net,
            &consumer(),
            Call::PostPrice {
                signatures: vec![point.sign(&ks[0]), point.sign(&ks[1])],
                price: point,
            },
        )
        .await;
        submit(
            &self.net,
            &consumer(),
            Call::BurnForCredits {
                amount: 1_000_000,
                to: addr(&consumer()),
            },
        )
        .await;
    }

    /// `device` (the common owner's) offers its capacity at `endpoint`.
    async fn offer(&self, device: &Keypair, endpoint: &str) {
        submit(
            &self.net,
            &self.net.owner,
            Call::OfferCompute {
                device: DeviceId(device.public()),
                endpoint: endpoint.into(),
                attrs: ComputeAttrs {
                    cores: 8,
                    memory_mib: 16_384,
                    accelerator: None,
                    region: cell(0),
                },
                attestation: None,
                price_per_block: 1,
                price_per_task: 1,
                collateral_per_lease: 1_000,
                collateral_per_task: 10,
                deposit: 10_000,
            },
        )
        .await;
    }
}

fn quick(cfg: &mut OracleConfig) {
    cfg.exchange_interval = Duration::from_millis(200);
    cfg.propose_after = Duration::from_millis(400);
    cfg.proposal_timeout = Duration::from_millis(2_000);
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// An answer of the oracle: status, JSON body.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: serde_json::Value,
}

impl Answer {
    /// The error code of a JSON error answer.
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The signature of a 200 answer.
    fn signature(&self) -> OracleSignature {
        assert_eq!(self.status, 200, "{:?}", self.body);
        serde_json::from_value(self.body.clone()).unwrap()
    }
}

/// POSTs `body` (bytes, sent as JSON) to `base` + `path`; every answer must be
/// JSON.
async fn post(base: &str, path: &str, body: Vec<u8>) -> Answer {
    let url = format!("{base}{path}");
    blocking(move || {
        let r = ureq::post(&url)
            .set("content-type", "application/json")
            .send_bytes(&body);
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{url}: {e}"),
        };
        let status = resp.status();
        assert!(
            resp.content_type().starts_with("application/json"),
            "{url}: {status} answered as {}",
            resp.content_type()
        );
        let body: serde_json::Value = resp.into_json().unwrap();
        if status != 200 {
            assert!(body["error"]["message"].is_string(), "{url}: {body}");
        }
        Answer { status, body }
    })
    .await
}

async fn ask_verdict(base: &str, p: &VerdictProposal) -> Answer {
    post(base, "/v1/cosign/verdict", serde_json::to_vec(p).unwrap()).await
}

async fn ask_checks(base: &str, p: &ChecksProposal) -> Answer {
    post(base, "/v1/cosign/checks", serde_json::to_vec(p).unwrap()).await
}

async fn refusals(base: &str) -> Vec<RefusalRecord> {
    let c = OracleClient::new(base);
    blocking(move || c.refusals().unwrap()).await
}

fn propose_verdict(v: JobVerdict, by: &Keypair) -> VerdictProposal {
    VerdictProposal {
        signature: v.sign(by),
        verdict: v,
    }
}

fn propose_checks(c: ComputeChecks, by: &Keypair) -> ChecksProposal {
    ChecksProposal {
        signature: c.sign(by),
        checks: c,
    }
}

/// Checks that `openapi.yaml` documents, for `POST path`, every (status, code)
/// in `seen`: the status among its responses, the code in its description.
fn documented(path: &str, seen: &[(u16, String)]) {
    let spec = plinth_oracle::http::OPENAPI_YAML;
    let start = spec
        .find(&format!("\n  {path}:\n"))
        .unwrap_or_else(|| panic!("{path} is documented"));
    let rest = &spec[start + 1..];
    let end = rest[2..].find("\n  /").map_or(rest.len(), |i| i + 2);
    let doc = &rest[..end];
    for (status, code) in seen {
        assert!(
            doc.contains(&format!("\"{status}\":")),
            "{path}: status {status} is documented"
        );
        if *status != 200 {
            assert!(
                doc.contains(&format!("`{code}`")),
                "{path}: code `{code}` ({status}) is documented"
            );
        }
    }
}

// ---- spot checks ----

/// Everything about one revealed claim a verdict needs.
struct Revealed {
    claim: Hash,
    tasks: Vec<u32>,
    /// The verdict every honest member comes to.
    verdict: JobVerdict,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spot_checks_are_co_signed_only_as_re_executed() {
    let (dev_a, dev_b) = (key(60), key(61));
    let s = Set::start(&[(GPU, &dev_a), (GPU, &dev_b)], EPOCH_MS, 1, 3).await;
    let net = &s.net;
    s.buy_credits().await;
    // Nobody fetches results in this test: the endpoints are never called.
    s.offer(&dev_a, "http://127.0.0.1:9").await;
    s.offer(&dev_b, "http://127.0.0.1:9").await;

    // The consumer uploads the module and posts a job of 4 tasks, all checked.
    let module_bytes = wat::parse_str(ECHO_WAT).unwrap();
    let module = compute::module_hash(&module_bytes);
    submit(
        net,
        &consumer(),
        Call::UploadModule {
            module,
            size: module_bytes.len() as u32,
            index: 0,
            bytes: module_bytes.clone(),
        },
    )
    .await;
    let nonce = submit(
        net,
        &consumer(),
        Call::CreateJob {
            network: GPU.into(),
            module,
            input: INPUT.to_vec(),
            tasks: 4,
            fuel_per_task: FUEL,
            price_per_task: 1,
            spot_check_bps: Some(10_000),
            redundancy: 1,
            lease: None,
            deadline_blocks: 10_000,
        },
    )
    .await;
    let job = compute::job_id(&addr(&consumer()), nonce);
    // Compiled as a provider and the oracles do.
    let compiled = ModuleCache::new(1)
        .get(&module, || Ok(module_bytes.clone()))
        .unwrap();
    let right = |task: u32| execute(&compiled, INPUT, task, FUEL).unwrap().result;

    // Device A claims tasks 0 and 1 and reveals their results; device B claims
    // 2 and 3 and reveals a made-up result for task 3.
    let mut revealed = Vec::new();
    for (n, dev, wrong) in [(0u32, &dev_a, None), (1, &dev_b, Some(3u32))] {
        let device = DeviceId(dev.public());
        submit(
            net,
            &net.owner,
            Call::ClaimTasks {
                job,
                device,
                count: 2,
            },
        )
        .await;
        let claim = compute::claim_id(&job, n);
        let tasks = s.claim(&claim).tasks;
        let results: Vec<Hash> = tasks
            .iter()
            .map(|&t| match wrong {
                Some(w) if w == t => Hash::tagged("made-up", &t.to_le_bytes()),
                _ => right(t),
            })
            .collect();
        let commitments = tasks
            .iter()
            .zip(&results)
            .map(|(&t, r)| compute::task_commitment(&job, t, &device, r))
            .collect();
        submit(net, &net.owner, Call::CommitTasks { claim, commitments }).await;
        submit(net, &net.owner, Call::RevealTasks { claim, results }).await;
        let c = s.claim(&claim);
        assert_eq!(c.status, ClaimStatus::Revealed);
        let seed_height = c.revealed_height + 1;
        wait_until(|| net.node.store.head().unwrap().height > seed_height).await;
        let seed = net.node.store.block(seed_height).unwrap().unwrap();
        let drawn = compute::spot_check_tasks(&seed.hash(), &claim, &c.tasks, 10_000);
        assert_eq!(drawn, c.tasks, "every task is checked");
        let verdict = JobVerdict {
            chain: net.chain,
            claim,
            epoch: s.epoch_of(seed.header.timestamp_ms),
            seed_height,
            checks: drawn
                .iter()
                .map(|&t| TaskCheck {
                    task: t,
                    ok: Some(t) != wrong,
                })
                .collect(),
        };
        revealed.push(Revealed {
            claim,
            tasks,
            verdict,
        });
    }
    let (good, bad) = (&revealed[0], &revealed[1]);
    assert_eq!(
        (&good.tasks[..], &bad.tasks[..]),
        (&[0, 1][..], &[2, 3][..])
    );

    let ks = keys();
    let peer = s.peer_url();
    let mut seen = Vec::new();

    // (a) The honest verdicts are co-signed, each over exactly what it says.
    for r in [good, bad] {
        let a = ask_verdict(&peer, &propose_verdict(r.verdict.clone(), &ks[0])).await;
        let sig = a.signature();
        assert_eq!(sig.oracle, addr(&ks[1]));
        sig.oracle
            .key()
            .verify(&r.verdict.signing_bytes(), &sig.signature)
            .expect("the peer's signature verifies");
        seen.push((a.status, String::new()));
    }

    // (b) Lies, each refused with its code.
    let lie = |r: &Revealed, f: &dyn Fn(&mut JobVerdict)| {
        let mut v = r.verdict.clone();
        f(&mut v);
        v
    };
    let lookalike = net.lookalike_chain();
    let cases: Vec<(&str, VerdictProposal, u16, &str)> = vec![
        (
            "a right task marked wrong",
            propose_verdict(lie(good, &|v| v.checks[1].ok = false), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "a wrong task marked right",
            propose_verdict(lie(bad, &|v| v.checks[1].ok = true), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "another seed block",
            propose_verdict(lie(good, &|v| v.seed_height += 1), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "an earlier seed block",
            propose_verdict(lie(bad, &|v| v.seed_height -= 1), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "fewer tasks than the draw",
            propose_verdict(lie(bad, &|v| v.checks.truncate(1)), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "a task of another claim",
            propose_verdict(
                lie(good, &|v| v.checks[1] = TaskCheck { task: 2, ok: true }),
                &ks[0],
            ),
            422,
            "verdict_differs",
        ),
        (
            "another epoch",
            propose_verdict(lie(good, &|v| v.epoch += 1), &ks[0]),
            422,
            "verdict_differs",
        ),
        (
            "a claim that does not exist",
            propose_verdict(
                lie(good, &|v| v.claim = Hash::tagged("test", b"no claim")),
                &ks[0],
            ),
            422,
            "verdict_differs",
        ),
        (
            "another chain",
            propose_verdict(lie(good, &|v| v.chain = lookalike), &ks[0]),
            422,
            "wrong_chain",
        ),
        (
            "a stranger's signature",
            propose_verdict(good.verdict.clone(), &stranger()),
            403,
            "not_an_oracle",
        ),
        (
            "a member's name on a stranger's signature",
            VerdictProposal {
                verdict: good.verdict.clone(),
                signature: OracleSignature {
                    oracle: addr(&ks[0]),
                    signature: stranger().sign(&good.verdict.signing_bytes()),
                },
            },
            403,
            "bad_signature",
        ),
        (
            "a member's signature over another verdict",
            VerdictProposal {
                verdict: good.verdict.clone(),
                signature: bad.verdict.sign(&ks[0]),
            },
            403,
            "bad_signature",
        ),
        (
            "the asked oracle's own signature",
            propose_verdict(good.verdict.clone(), &ks[1]),
            403,
            "from_self",
        ),
    ];
    for (what, p, status, code) in &cases {
        let a = ask_verdict(&peer, p).await;
        assert_eq!(
            (a.status, a.code()),
            (*status, *code),
            "{what}: {:?}",
            a.body
        );
        seen.push((a.status, a.code().to_string()));
    }
    // Bodies that are no proposal.
    for (what, body) in [
        ("not JSON", b"{\"verdict\":".to_vec()),
        (
            "an unknown field",
            serde_json::to_vec(&serde_json::json!({
                "verdict": good.verdict, "signature": good.verdict.sign(&ks[0]), "extra": 1
            }))
            .unwrap(),
        ),
        ("a task past u32", {
            let mut v =
                serde_json::to_value(propose_verdict(good.verdict.clone(), &ks[0])).unwrap();
            v["verdict"]["checks"][0]["task"] = serde_json::json!(1u64 << 32);
            serde_json::to_vec(&v).unwrap()
        }),
        ("over 64 KiB", {
            let mut v =
                serde_json::to_value(propose_verdict(good.verdict.clone(), &ks[0])).unwrap();
            v["verdict"]["checks"] =
                serde_json::json!(vec![serde_json::json!({"task": 0, "ok": true}); 4_000]);
            serde_json::to_vec(&v).unwrap()
        }),
    ] {
        let a = post(&peer, "/v1/cosign/verdict", body).await;
        assert_eq!(
            (a.status, a.code()),
            (400, "bad_body"),
            "{what}: {:?}",
            a.body
        );
        seen.push((a.status, a.code().to_string()));
    }
    documented("/v1/cosign/verdict", &seen);

    // Each refusal is recorded, with who proposed it.
    let recorded = refusals(&peer).await;
    for (what, p, _, code) in &cases {
        assert!(
            recorded.iter().any(|r| r.network == "compute"
                && r.code == *code
                && r.proposer == p.signature.oracle
                && r.epoch == p.verdict.epoch),
            "{what}: `{code}` recorded in {recorded:?}"
        );
    }

    // The set's own verdicts reach the ledger with two signatures: the right
    // claim is paid, the wrong one slashed (its collateral to the consumer).
    wait_long("the verdicts on the ledger", || {
        s.claim(&good.claim).status != ClaimStatus::Revealed
            && s.claim(&bad.claim).status != ClaimStatus::Revealed
    })
    .await;
    assert_eq!(s.claim(&good.claim).status, ClaimStatus::Verified);
    assert_eq!(s.claim(&bad.claim).status, ClaimStatus::Slashed);
}

// ---- capacity checks ----

/// A running agent serving checks for `device` as `behaviour` (on the real
/// node: the chain has no jobs, so its loop claims nothing).
async fn agent(
    s: &Set,
    device: &Keypair,
    behaviour: plinth_compute::Behaviour,
) -> plinth_compute::server::RunningAgent {
    let config = plinth_compute::AgentConfig {
        network: GPU.into(),
        device: DeviceId(device.public()),
        data_dir: s.net.dir.path().join(format!("agent-{behaviour}")),
        behaviour,
        tasks_per_claim: 1,
        poll: Duration::from_secs(1),
    };
    let ledger = plinth_compute::NodeLedger::new(&s.net.node_url, s.net.owner.clone());
    let agent = plinth_compute::Agent::new(config, Arc::new(ledger)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    plinth_compute::server::start(agent, listener).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capacity_failures_are_co_signed_only_by_oracles_that_saw_them() {
    use plinth_compute::Behaviour;
    const EPOCH: u64 = 6_000;
    let (dev_h, dev_g) = (key(62), key(63));
    // A check at most every compute pass (each second); 2 failures in a row close.
    let s = Set::start(&[(GPU, &dev_h), (GPU, &dev_g)], EPOCH, 64, 2).await;
    let net = &s.net;
    let honest = agent(&s, &dev_h, Behaviour::Honest).await;
    let garbage = agent(&s, &dev_g, Behaviour::Garbage).await;
    s.buy_credits().await;
    s.offer(&dev_h, &honest.endpoint()).await;
    s.offer(&dev_g, &garbage.endpoint()).await;

    // An order for each provider, each with its one bid.
    let mut orders = Vec::new();
    for dev in [&dev_h, &dev_g] {
        let n = submit(
            net,
            &consumer(),
            Call::PostOrder {
                network: GPU.into(),
                requirements: ComputeRequirements::default(),
                max_price_per_block: 10,
                duration_blocks: 100_000,
                deposit: 20_000,
                bid_blocks: 1_000,
            },
        )
        .await;
        let order = compute::order_id(&addr(&consumer()), n);
        submit(
            net,
            &net.owner,
            Call::PlaceBid {
                order,
                device: DeviceId(dev.public()),
                price_per_block: 1,
                deposit: 100,
                expires_in: 1_000,
            },
        )
        .await;
        orders.push((order, DeviceId(dev.public())));
    }
    // Both leases start at the beginning of an epoch, so each oracle checks them
    // several times in it.
    let e = s.epoch_of(now_ms()) + 1;
    tokio::time::sleep(Duration::from_millis(
        s.epoch_start(e).saturating_sub(now_ms()) + 50,
    ))
    .await;
    submit_all(
        net,
        &consumer(),
        orders
            .iter()
            .map(|&(order, device)| Call::AcceptBid { order, device })
            .collect(),
    )
    .await;
    let (h_lease, g_lease) = (orders[0].0, orders[1].0);
    assert_eq!(s.lease(&h_lease).status, LeaseStatus::Active);
    // The epoch is over for the oracles (and their last pass in it done).
    tokio::time::sleep(Duration::from_millis(
        s.epoch_start(e + 1).saturating_sub(now_ms()) + 1_500,
    ))
    .await;

    let ks = keys();
    let peer = s.peer_url();
    let checks = |leases: Vec<(Hash, Vec<bool>)>| ComputeChecks {
        chain: net.chain,
        network: GPU.into(),
        epoch: e,
        leases: leases
            .into_iter()
            .map(|(lease, results)| LeaseChecks { lease, results })
            .collect(),
    };
    let mut seen = Vec::new();

    // (c) Passes, and the failures this oracle saw itself, are signed.
    for (what, c) in [
        ("passes only", checks(vec![(h_lease, vec![true, true])])),
        (
            "passes and a failure it saw",
            checks(vec![(h_lease, vec![true]), (g_lease, vec![false])]),
        ),
    ] {
        let a = ask_checks(&peer, &propose_checks(c.clone(), &ks[0])).await;
        assert_eq!(a.status, 200, "{what}: {:?}", a.body);
        let sig = a.signature();
        assert_eq!(sig.oracle, addr(&ks[1]));
        sig.oracle
            .key()
            .verify(&c.signing_bytes(), &sig.signature)
            .expect("the peer's signature verifies");
        seen.push((200, String::new()));
    }
    // Failures it did not see — of the honest provider, more of the garbage one's
    // than it ran, or in an epoch it never checked — are refused, and so is any
    // proposal from outside the set, for another chain or badly signed.
    let mut other_epoch = checks(vec![(g_lease, vec![false])]);
    other_epoch.epoch = e - 1;
    let mut other_chain = checks(vec![(h_lease, vec![true])]);
    other_chain.chain = net.lookalike_chain();
    let cases: Vec<(&str, ChecksProposal, u16, &str)> = vec![
        (
            "a failure of the honest provider",
            propose_checks(checks(vec![(h_lease, vec![true, false])]), &ks[0]),
            422,
            "checks_unconfirmed",
        ),
        (
            "more failures than it ran checks",
            propose_checks(checks(vec![(g_lease, vec![false; 64])]), &ks[0]),
            422,
            "checks_unconfirmed",
        ),
        (
            "failures in an epoch before the lease",
            propose_checks(other_epoch, &ks[0]),
            422,
            "checks_unconfirmed",
        ),
        (
            "another chain",
            propose_checks(other_chain, &ks[0]),
            422,
            "wrong_chain",
        ),
        (
            "a stranger's signature",
            propose_checks(checks(vec![(g_lease, vec![false])]), &stranger()),
            403,
            "not_an_oracle",
        ),
        (
            "a member's signature over other checks",
            ChecksProposal {
                checks: checks(vec![(g_lease, vec![false])]),
                signature: checks(vec![(h_lease, vec![true])]).sign(&ks[0]),
            },
            403,
            "bad_signature",
        ),
    ];
    for (what, p, status, code) in &cases {
        let a = ask_checks(&peer, p).await;
        assert_eq!(
            (a.status, a.code()),
            (*status, *code),
            "{what}: {:?}",
            a.body
        );
        seen.push((a.status, a.code().to_string()));
    }
    for (what, body) in [
        ("not JSON", b"[".to_vec()),
        (
            "a result that is no boolean",
            format!(
                r#"{{"checks":{{"chain":"{}","network":"gpu","epoch":{e},"leases":[{{"lease":"{h_lease}","results":[1]}}]}},"signature":{}}}"#,
                net.chain,
                serde_json::to_string(&checks(vec![]).sign(&ks[0])).unwrap()
            )
            .into_bytes(),
        ),
    ] {
        let a = post(&peer, "/v1/cosign/checks", body).await;
        assert_eq!((a.status, a.code()), (400, "bad_body"), "{what}: {:?}", a.body);
        seen.push((a.status, a.code().to_string()));
    }
    documented("/v1/cosign/checks", &seen);
    let recorded = refusals(&peer).await;
    assert!(
        recorded.iter().any(|r| r.network == GPU
            && r.epoch == e
            && r.code == "checks_unconfirmed"
            && r.proposer == addr(&ks[0])
            && r.reason.contains(&h_lease.to_string())),
        "the honest provider's made-up failure is recorded: {recorded:?}"
    );
    for (what, p, _, code) in &cases[3..] {
        assert!(
            recorded
                .iter()
                .any(|r| r.code == *code && r.proposer == p.signature.oracle),
            "{what}: `{code}` recorded in {recorded:?}"
        );
    }

    // The set's own settlements: the garbage provider's lease is closed by its
    // failed checks, the honest one runs on with its passes counted.
    wait_long("the garbage lease closed by checks", || {
        s.lease(&g_lease).status == LeaseStatus::Closed(LeaseCloseReason::FailedChecks)
    })
    .await;
    let h = s.lease(&h_lease);
    assert_eq!(h.status, LeaseStatus::Active);
    assert_eq!((h.checks_failed, h.consecutive_failures), (0, 0));
    wait_long("the honest lease's passes settled", || {
        s.lease(&h_lease).checks_passed > 0
    })
    .await;
    let g = s.lease(&g_lease);
    assert!(g.checks_failed >= 2 && g.checks_passed == 0, "{g:?}");
}
