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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_are_json_and_the_spec_is_served() {
    let net = Net::start(&[]).await;
    let base = net.oracle_url.clone();
    tokio::task::spawn_blocking(move || {
        let (s, ct, spec) = call("GET", &format!("{base}/v1/openapi.yaml"));
        assert_eq!(s, 200);
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
            "/metrics:",
        ] {
            assert!(
                spec.contains(&format!("\n  {route}\n")),
                "{route} documented"
            );
        }

        for path in [
            "/v1/spool/soon",
            "/v1/spool/-1/00",
            "/v1/manifests/weather/x",
        ] {
            assert_eq!(
                json_error(&base, "GET", path, 400),
                "invalid_path",
                "{path}"
            );
        }
        // Network names become file names: `..` and `/` are refused before that.
        for path in ["/v1/manifests/..%2F..%2Fx/1", "/v1/rounds/Lora"] {
            assert_eq!(
                json_error(&base, "GET", path, 400),
                "invalid_network",
                "{path}"
            );
        }
        assert_eq!(json_error(&base, "GET", "/nope", 404), "not_found");
        for (method, path) in [("DELETE", "/v1/status"), ("GET", "/v1/reports")] {
            assert_eq!(
                json_error(&base, method, path, 405),
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
    .await
    .unwrap();
}
