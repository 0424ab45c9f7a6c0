//! The agent's HTTP API as a stranger sees it: every body, path and method that
//! is not what the API takes gets a typed JSON error (`{"error": {"code",
//! "message"}}`) with a 4xx, never a panic or a bare text; a valid capacity check
//! is answered with exactly what `check::run_check` gives (what the oracle compares
//! with), a garbage agent's with something else; stored outputs are served as
//! their bytes.

use plinth_compute::agent::{AgentStore, HeldClaim};
use plinth_compute::check::{run_check, CheckAnswer, CheckRequest, MAX_CHECK_BODY, MAX_ROUNDS};
use plinth_compute::ledger::{ComputeLedger, Sent};
use plinth_compute::server::{start, RunningAgent};
use plinth_compute::{Agent, AgentConfig, Behaviour};
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::compute::{ComputeOffer, ComputeParams, Job, TaskClaim, TaskSlot};
use plinth_ledger::Call;
use std::sync::Arc;
use std::time::Duration;

/// A ledger with no jobs: the agent's loop finds nothing to claim, so the API is
/// all there is to see (the agent's ledger is a trait for this).
pub(crate) struct NoJobs;

impl ComputeLedger for NoJobs {
    fn height(&self) -> anyhow::Result<u64> {
        Ok(1)
    }
    fn params(&self) -> anyhow::Result<ComputeParams> {
        Ok(ComputeParams::default())
    }
    fn open_jobs(&self, _: &str) -> anyhow::Result<Vec<Job>> {
        Ok(Vec::new())
    }
    fn job(&self, _: &Hash) -> anyhow::Result<Option<Job>> {
        Ok(None)
    }
    fn claim(&self, _: &Hash) -> anyhow::Result<Option<TaskClaim>> {
        Ok(None)
    }
    fn task_slot(&self, job: &Hash, task: u32) -> anyhow::Result<TaskSlot> {
        anyhow::bail!("job {job} has no task {task}")
    }
    fn offer(&self, _: &DeviceId) -> anyhow::Result<Option<ComputeOffer>> {
        Ok(None)
    }
    fn module_bytes(&self, _: &Hash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    fn job_input(&self, job: &Hash) -> anyhow::Result<Vec<u8>> {
        anyhow::bail!("job {job} has no input")
    }
    fn send(&self, call: Call) -> anyhow::Result<Sent> {
        anyhow::bail!("this ledger takes no transactions ({call:?})")
    }
    fn account(&self) -> Address {
        Address(Keypair::from_seed([1; 32]).public())
    }
}

/// An agent behaving as `behaviour`, serving on a free loopback port, its data in
/// `dir`.
async fn agent_in(dir: &std::path::Path, behaviour: Behaviour) -> RunningAgent {
    let config = AgentConfig {
        network: "gpu".into(),
        device: DeviceId(Keypair::from_seed([9; 32]).public()),
        data_dir: dir.to_path_buf(),
        behaviour,
        tasks_per_claim: 4,
        poll: Duration::from_millis(100),
    };
    let agent = Agent::new(config, Arc::new(NoJobs)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start(agent, listener).unwrap()
}

/// An answer: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    /// The `Allow` header, if any.
    allow: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The code of a JSON error body with a 4xx status (panics otherwise).
    fn error_code(&self, what: &str) -> String {
        assert!(
            (400..500).contains(&self.status),
            "{what}: a 4xx, not {} ({})",
            self.status,
            self.text()
        );
        assert!(
            self.content_type.starts_with("application/json"),
            "{what}: a JSON error, not `{}`: {}",
            self.content_type,
            self.text()
        );
        let v: serde_json::Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{what}: {e}: {}", self.text()));
        let e = v["error"]
            .as_object()
            .unwrap_or_else(|| panic!("{what}: no `error` object: {v}"));
        assert!(e["message"].is_string(), "{what}: a message: {v}");
        e["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: a code: {v}"))
            .to_string()
    }
}

/// `method base+path` with `body` (sent as JSON when `json`).
async fn call(base: &str, method: &str, path: &str, body: Option<(Vec<u8>, bool)>) -> Answer {
    let url = format!("{base}{path}");
    let method = method.to_string();
    tokio::task::spawn_blocking(move || {
        let req = ureq::request(&method, &url).timeout(Duration::from_secs(60));
        let r = match body {
            Some((b, true)) => req.set("content-type", "application/json").send_bytes(&b),
            Some((b, false)) => req.send_bytes(&b),
            None => req.call(),
        };
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {url}: {e}"),
        };
        let status = resp.status();
        let content_type = resp.header("content-type").unwrap_or_default().to_string();
        let allow = resp.header("allow").map(str::to_string);
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
        Answer {
            status,
            content_type,
            allow,
            body,
        }
    })
    .await
    .unwrap()
}

async fn post_check(base: &str, body: &[u8]) -> Answer {
    call(base, "POST", "/v1/check", Some((body.to_vec(), true))).await
}

fn check_request(seed: u64, rounds: u32) -> CheckRequest {
    CheckRequest {
        lease: Hash::tagged("test", b"lease"),
        seed,
        rounds,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_check_bodies_get_typed_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = agent_in(dir.path(), Behaviour::Honest).await;
    let base = a.endpoint();
    let lease = Hash::tagged("test", b"lease").to_string();

    let too_many = serde_json::to_vec(&check_request(1, MAX_ROUNDS + 1)).unwrap();
    let mut oversized = format!(r#"{{"lease":"{lease}","seed":1,"rounds":1,"pad":""#).into_bytes();
    oversized.resize(MAX_CHECK_BODY + 1, b' ');
    oversized.extend_from_slice(b"\"}");
    let nested = "[".repeat(3_000);
    let cases: Vec<(&str, Vec<u8>, bool, &str)> = vec![
        ("not JSON", b"{\"lease\": ".to_vec(), true, "bad_body"),
        ("empty", Vec::new(), true, "bad_body"),
        ("deep nesting", nested.into_bytes(), true, "bad_body"),
        (
            "an unknown field",
            format!(r#"{{"lease":"{lease}","seed":1,"rounds":1,"fuel":9}}"#).into_bytes(),
            true,
            "bad_body",
        ),
        (
            "a missing field",
            format!(r#"{{"lease":"{lease}","seed":1}}"#).into_bytes(),
            true,
            "bad_body",
        ),
        (
            "a lease that is no hash",
            br#"{"lease":"00ff","seed":1,"rounds":1}"#.to_vec(),
            true,
            "bad_body",
        ),
        (
            "negative rounds",
            format!(r#"{{"lease":"{lease}","seed":1,"rounds":-1}}"#).into_bytes(),
            true,
            "bad_body",
        ),
        (
            "rounds past u32",
            format!(r#"{{"lease":"{lease}","seed":1,"rounds":4294967296}}"#).into_bytes(),
            true,
            "bad_body",
        ),
        (
            "a valid body without a JSON content type",
            serde_json::to_vec(&check_request(1, 1)).unwrap(),
            false,
            "bad_body",
        ),
        (
            "more than MAX_CHECK_BODY bytes",
            oversized,
            true,
            "bad_body",
        ),
        ("MAX_ROUNDS + 1 rounds", too_many, true, "check_failed"),
    ];
    for (what, body, json, code) in cases {
        let answer = call(&base, "POST", "/v1/check", Some((body, json))).await;
        assert_eq!(answer.error_code(what), code, "{what}");
    }
    // None of that hurt the agent: it still answers a valid check.
    let ok = post_check(
        &base,
        &serde_json::to_vec(&check_request(5, 1_000)).unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_is_answered_with_what_the_oracle_computes_and_a_garbage_agent_differs() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let honest = agent_in(d1.path(), Behaviour::Honest).await;
    let garbage = agent_in(d2.path(), Behaviour::Garbage).await;
    for (seed, rounds) in [(0u64, 0u32), (42, 1), (7, 10_000), (u64::MAX, 200_000)] {
        let req = check_request(seed, rounds);
        let expected = run_check(&req).unwrap();
        let body = serde_json::to_vec(&req).unwrap();
        let h = post_check(&honest.endpoint(), &body).await;
        assert_eq!(h.status, 200, "{}", h.text());
        assert!(h.content_type.starts_with("application/json"));
        let h: CheckAnswer = serde_json::from_slice(&h.body).unwrap();
        assert_eq!(
            h, expected,
            "seed {seed}, {rounds} rounds: the honest answer"
        );
        let g = post_check(&garbage.endpoint(), &body).await;
        assert_eq!(g.status, 200, "{}", g.text());
        let g: CheckAnswer = serde_json::from_slice(&g.body).unwrap();
        assert_ne!(
            g, expected,
            "seed {seed}, {rounds} rounds: the garbage answer"
        );
    }
    // The answer depends on the seed: a provider cannot replay an old one.
    assert_ne!(
        run_check(&check_request(1, 1_000)).unwrap(),
        run_check(&check_request(2, 1_000)).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_served_by_job_and_task_and_bad_paths_are_json_400s() {
    let dir = tempfile::tempdir().unwrap();
    let a = agent_in(dir.path(), Behaviour::Honest).await;
    let base = a.endpoint();
    let job = Hash::tagged("test", b"job");
    let output: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    // The agent's own store, as its loop writes it.
    AgentStore::open(dir.path())
        .unwrap()
        .put_output(&job, 3, &output)
        .unwrap();

    let got = call(&base, "GET", &format!("/v1/results/{job}/3"), None).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.content_type, "application/octet-stream");
    assert_eq!(got.body, output, "the stored bytes, exactly");
    // The same job id spelled with a 0x prefix and in upper case.
    let upper = format!("0x{}", job.to_string().to_uppercase());
    let got = call(&base, "GET", &format!("/v1/results/{upper}/3"), None).await;
    assert_eq!(got.body, output);

    for (path, code) in [
        (format!("/v1/results/{job}/4"), "not_found"),
        (
            format!("/v1/results/{}/3", Hash::tagged("test", b"other")),
            "not_found",
        ),
        ("/v1/results/zz/3".to_string(), "bad_job"),
        (
            format!("/v1/results/{}/3", &job.to_string()[..63]),
            "bad_job",
        ),
        ("/v1/results/..%2F..%2Fclaims.json/0".to_string(), "bad_job"),
        (format!("/v1/results/{job}/-1"), "bad_task"),
        (format!("/v1/results/{job}/4294967296"), "bad_task"),
        (format!("/v1/results/{job}/3.tmp"), "bad_task"),
        // Not UTF-8 once percent-decoded.
        ("/v1/results/%FF%FE/3".to_string(), "invalid_path"),
        (format!("/v1/results/{job}/%C0"), "invalid_path"),
    ] {
        let answer = call(&base, "GET", &path, None).await;
        let expected = if code == "not_found" { 404 } else { 400 };
        assert_eq!(answer.status, expected, "{path}: {}", answer.text());
        assert_eq!(answer.error_code(&path), code, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_are_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = agent_in(dir.path(), Behaviour::Honest).await;
    let base = a.endpoint();
    for (method, path, status, code) in [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "/v1/results/x", 404, "not_found"),
        ("GET", "/v1/check", 405, "method_not_allowed"),
        ("DELETE", "/v1/status", 405, "method_not_allowed"),
        ("POST", "/v1/results/00/0", 405, "method_not_allowed"),
    ] {
        let body = (method != "GET" && method != "DELETE").then(|| (b"{}".to_vec(), true));
        let answer = call(&base, method, path, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text());
        assert_eq!(answer.error_code(path), code, "{method} {path}");
        if status == 405 {
            assert!(
                answer.allow.as_deref().is_some_and(|a| !a.is_empty()),
                "{method} {path}: the allowed methods are named"
            );
        }
    }
    // The status still reads.
    let s = call(&base, "GET", "/v1/status", None).await;
    assert_eq!(s.status, 200);
    let status: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(status["behaviour"], "honest");
    let claims: Vec<HeldClaim> = serde_json::from_value(status["claims"].clone()).unwrap();
    assert!(claims.is_empty());
}
