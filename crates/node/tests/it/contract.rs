//! The API keeps the contract `openapi.yaml` states: every error is a JSON
//! `ErrorBody`, whatever refused the request (a query string or path segment
//! that does not parse, an unknown route, a method a route lacks), and a page's
//! `limit` above its documented maximum is refused, not clamped.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use plinth_node::api::ErrorBody;
use plinth_node::rpc::router;
use tower::ServiceExt;

/// Sends `method uri`; returns the status, the headers and the body.
async fn call(app: &Router, method: Method, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.expect("infallible service");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// `method uri` answers `status` with a JSON error body; returns its code.
async fn json_error(app: &Router, method: Method, uri: &str, status: StatusCode) -> String {
    let (s, headers, body) = call(app, method.clone(), uri).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(s, status, "{method} {uri}: {text}");
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{method} {uri}: content type `{ct}`: {text}"
    );
    let e: ErrorBody =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{method} {uri}: {e}: {text}"));
    assert!(!e.error.message.is_empty(), "{method} {uri}");
    e.error.code
}

#[tokio::test(flavor = "multi_thread")]
async fn query_strings_that_do_not_parse_are_json_400s() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let a = addr(&user(0));
    for uri in [
        "/v1/blocks?limit=abc".to_string(),
        "/v1/blocks?before=-1".to_string(),
        "/v1/supply/epochs?limit=1.5".to_string(),
        "/v1/devices?limit=true".to_string(),
        format!("/v1/accounts/{a}?proof=maybe"),
        format!("/v1/accounts/{a}/txs?limit=99999999999999999999999"),
        "/v1/storage/offers?limit=x".to_string(),
        "/v1/deals?network=storage&limit=x".to_string(),
        "/v1/map?res=-1".to_string(),
        "/v1/map?ids=sometimes".to_string(),
        "/v1/explorer/manifests/weather/1?entries=2".to_string(),
        "/v1/oracles?epoch=soon".to_string(),
        "/v1/registry?height=-1".to_string(),
    ] {
        let code = json_error(&app, Method::GET, &uri, StatusCode::BAD_REQUEST).await;
        assert_eq!(code, "invalid_query", "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn path_segments_that_do_not_parse_are_json_400s() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let code = json_error(
        &app,
        Method::GET,
        "/v1/storage/usage/storage/soon",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(code, "invalid_path");
    // A height is at most 19 digits; anything else is a hash or `latest`.
    for id in ["+1", "99999999999999999999", "-0"] {
        let uri = format!("/v1/blocks/{id}");
        let code = json_error(&app, Method::GET, &uri, StatusCode::BAD_REQUEST).await;
        assert_eq!(code, "invalid_block_id", "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_above_the_documented_maximum_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let a = addr(&user(0));
    let pages = [
        (format!("/v1/accounts/{a}/txs?"), 1000),
        ("/v1/devices?".to_string(), 10_000),
        ("/v1/blocks?".to_string(), 200),
        ("/v1/supply/epochs?".to_string(), 1000),
        ("/v1/storage/offers?".to_string(), 10_000),
        ("/v1/deals?network=storage&".to_string(), 10_000),
        ("/v1/rewards?".to_string(), 500),
    ];
    for (page, max) in pages {
        for bad in [0, max + 1] {
            let uri = format!("{page}limit={bad}");
            let code = json_error(&app, Method::GET, &uri, StatusCode::BAD_REQUEST).await;
            assert_eq!(code, "invalid_limit", "{uri}");
        }
        let uri = format!("{page}limit={max}");
        let (s, _, body) = call(&app, Method::GET, &uri).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn network_names_are_checked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    for uri in [
        "/v1/devices?network=Weather",
        "/v1/storage/offers?network=",
        "/v1/deals?network=a%2Fb",
        "/v1/rewards?network=x%20y",
        "/v1/map?network=%C3%BF",
        "/v1/rewards/W/1",
        "/v1/rewards/W/1/claimed/0",
        "/v1/storage/usage/W/1",
        "/v1/explorer/manifests/..%2Fx/1",
    ] {
        let code = json_error(&app, Method::GET, uri, StatusCode::BAD_REQUEST).await;
        assert_eq!(code, "invalid_network", "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_methods_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    for uri in ["/nope", "/v1/status/x", "/v2/status"] {
        let code = json_error(&app, Method::GET, uri, StatusCode::NOT_FOUND).await;
        assert_eq!(code, "not_found", "{uri}");
    }
    for (method, uri) in [
        (Method::DELETE, "/v1/status"),
        (Method::POST, "/v1/blocks"),
        (Method::GET, "/v1/txs"),
        (Method::PUT, "/v1/txs/batch"),
        (Method::PATCH, "/v1/openapi.yaml"),
    ] {
        let (_, headers, _) = call(&app, method.clone(), uri).await;
        let code = json_error(&app, method.clone(), uri, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(code, "method_not_allowed", "{method} {uri}");
        assert!(
            headers.get(header::ALLOW).is_some(),
            "{method} {uri} names the allowed methods"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn parameters_are_checked_even_where_unused() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let a = addr(&user(0));
    // `after` pages only the listing of all devices, but a bad one is still an error.
    let uri = format!("/v1/devices?owner={a}&after=nope");
    let code = json_error(&app, Method::GET, &uri, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "invalid_device_id");
}
