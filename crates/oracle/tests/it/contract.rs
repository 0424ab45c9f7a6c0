//! The oracle's API keeps the contract its `openapi.yaml` states: the document is
//! served, and every error — a path segment that does not parse, an unknown
//! route, a method a route lacks, a network name that is none — is a JSON error
//! body.

use crate::common::*;

/// `method url`: the status, the content type and the body.
fn call(method: &str, url: &str) -> (u16, String, String) {
    let resp = match ureq::request(method, url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let ct = resp.content_type().to_string();
    let allow = resp.header("allow").unwrap_or_default().to_string();
    let body = resp.into_string().unwrap();
    (status, format!("{ct};allow={allow}"), body)
}

/// `method path` answers `status` with a JSON error; returns its code.
fn json_error(base: &str, method: &str, path: &str, status: u16) -> String {
    let (s, ct, body) = call(method, &format!("{base}{path}"));
    assert_eq!(s, status, "{method} {path}: {body}");
    assert!(
        ct.starts_with("application/json"),
        "{method} {path}: {ct}: {body}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"));
    assert!(v["error"]["message"].is_string(), "{method} {path}: {body}");
    v["error"]["code"].as_str().unwrap().to_string()
}

/// Runs `check` (blocking HTTP calls) against a fresh oracle's base URL.
async fn with_oracle(check: impl FnOnce(&str) + Send + 'static) {
    let net = Net::start(&[]).await;
    let base = net.oracle_url.clone();
    tokio::task::spawn_blocking(move || check(&base))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_spec_is_served_and_names_every_route() {
    with_oracle(|base| {
        let (s, ct, spec) = call("GET", &format!("{base}/v1/openapi.yaml"));
        assert_eq!(s, 200, "{spec}");
        assert!(ct.starts_with("application/yaml"), "{ct}");
        for route in [
            "/v1/status:",
            "/v1/reports:",
            "/v1/cosign/price:",
            "/v1/challenges/{device}:",
            "/v1/rounds/{network}:",
            "/v1/spool/{epoch}:",
            "/v1/spool/{epoch}/{hash}:",
            "/v1/manifests:",
            "/v1/manifests/{network}/{epoch}:",
            "/v1/rewards/{owner}:",
            "/v1/openapi.yaml:",
            "/metrics:",
        ] {
            assert!(
                spec.contains(&format!("\n  {route}\n")),
                "{route} documented"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn path_segments_that_do_not_parse_are_json_400s() {
    with_oracle(|base| {
        for path in [
            "/v1/spool/soon",
            "/v1/spool/-1/00",
            "/v1/manifests/weather/x",
        ] {
            assert_eq!(json_error(base, "GET", path, 400), "invalid_path", "{path}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn network_names_are_checked_before_they_become_file_names() {
    with_oracle(|base| {
        for path in ["/v1/manifests/..%2F..%2Fx/1", "/v1/rounds/Lora"] {
            assert_eq!(
                json_error(base, "GET", path, 400),
                "invalid_network",
                "{path}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_routes_and_methods_are_json() {
    with_oracle(|base| {
        assert_eq!(json_error(base, "GET", "/nope", 404), "not_found");
        for (method, path) in [("DELETE", "/v1/status"), ("GET", "/v1/reports")] {
            assert_eq!(
                json_error(base, method, path, 405),
                "method_not_allowed",
                "{method} {path}"
            );
            let (_, ct, _) = call(method, &format!("{base}{path}"));
            assert!(
                !ct.ends_with(";allow="),
                "{method} {path} names the allowed methods"
            );
        }
    })
    .await;
}
