//! Keeping every error of an HTTP API a JSON [`ErrorBody`](crate::ErrorBody),
//! as `openapi.yaml` promises: extractors, a response layer and the shared checks
//! of query and path values. The node's API and the oracle's both use them.
//!
//! ```text
//!  request ──▶ json_errors ──▶ router ──▶ Query / Path (400 invalid_query / invalid_path)
//!                  ▲                  └─▶ handler: page_limit, network_name (400)
//!                  └── any 4xx/5xx that is not JSON (axum's 405, 413, …) is
//!                      rewritten to {"error": {code, message}}, headers kept
//! ```
//!
//! axum's own `Query` and `Path` answer a value they cannot parse with a
//! `text/plain` body; the wrappers here answer it with an [`ApiError`].
//! [`json_errors`] is the net under what axum answers by itself: a method a route
//! lacks (405, its `Allow` header kept), a body over `DefaultBodyLimit` (413), …

use super::ApiError;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// Most bytes of a non-JSON error body read to become the JSON error's message.
pub const MAX_ERROR_TEXT: usize = 4 * 1024;

/// Like `axum::extract::Query`, but a query string that does not parse is a JSON
/// 400 `invalid_query` saying which parameter was wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Like `axum::extract::Path`, but a path segment that does not parse is a JSON
/// 400 `invalid_path`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| {
                let status = e.status();
                if status.is_server_error() {
                    ApiError::internal(e.body_text())
                } else {
                    ApiError::new(status, "invalid_path", e.body_text())
                }
            })
    }
}

/// A page size from `?limit=`: `default` when absent, refused with 400
/// `invalid_limit` outside `1..=max` (never clamped, so a client asking for more
/// than a page holds learns the maximum).
pub fn page_limit(limit: Option<u64>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if n >= 1 && n <= max as u64 => Ok(n as usize),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit {n} is not between 1 and {max}"),
        )),
    }
}

/// Whether `name` is a network name as genesis allows it: 1 to 32 characters of
/// `a-z`, `0-9` and `-` (the spec's `^[a-z0-9-]{1,32}$`).
pub fn is_network_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `name` if it is a network name, else 400 `invalid_network`.
pub fn network_name(name: &str) -> Result<&str, ApiError> {
    if is_network_name(name) {
        Ok(name)
    } else {
        let shown: String = name.chars().take(64).collect();
        Err(ApiError::bad_request(
            "invalid_network",
            format!("`{shown}` is not a network name (1 to 32 of a-z, 0-9, -)"),
        ))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The `code` of an error the server answered without one, by status.
pub fn status_code_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Middleware: every 4xx/5xx response that is not JSON becomes an `ErrorBody` with
/// the same status, its text (up to [`MAX_ERROR_TEXT`] bytes) as the message and
/// its other headers (`Allow`, `Retry-After`) kept. Use with
/// `axum::middleware::from_fn(json_errors)` as the outermost layer.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(resp.headers()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    let (json_parts, json_body) = ApiError::new(status, status_code_name(status), message)
        .into_response()
        .into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, json_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    struct Q {
        #[allow(dead_code)]
        n: Option<u64>,
    }

    fn app() -> Router {
        Router::new()
            .route("/q", get(|Query(_): Query<Q>| async { "ok" }))
            .route(
                "/p/{n}",
                get(|Path(n): Path<u64>| async move { n.to_string() }),
            )
            .route(
                "/plain",
                get(|| async { (StatusCode::CONFLICT, "already there") }),
            )
            .layer(axum::middleware::from_fn(json_errors))
    }

    async fn call(method: &str, uri: &str) -> (StatusCode, HeaderMap, serde_json::Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let resp = app().oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, v)
    }

    #[tokio::test]
    async fn bad_query_and_path_values_are_json_400s() {
        let (s, h, v) = call("GET", "/q?n=abc").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(is_json(&h));
        assert_eq!(v["error"]["code"], "invalid_query");
        let (s, _, v) = call("GET", "/p/x").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["code"], "invalid_path");
    }

    #[tokio::test]
    async fn axum_plain_errors_become_json_with_their_headers() {
        let (s, h, v) = call("POST", "/q").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(v["error"]["code"], "method_not_allowed");
        assert!(h.get(header::ALLOW).is_some(), "{h:?}");
        let (s, _, v) = call("GET", "/plain").await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(v["error"]["message"], "already there");
    }

    #[test]
    fn limits_outside_the_page_are_refused() {
        assert_eq!(page_limit(None, 50, 1000).unwrap(), 50);
        assert_eq!(page_limit(Some(1000), 50, 1000).unwrap(), 1000);
        for n in [0, 1001, u64::MAX] {
            let e = page_limit(Some(n), 50, 1000).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            assert_eq!(e.body.error.code, "invalid_limit");
        }
    }

    #[test]
    fn network_names_follow_genesis() {
        assert!(is_network_name("lora"));
        assert!(is_network_name("a-1"));
        for bad in ["", "Lora", "a b", "ÿ", &"x".repeat(33)] {
            assert!(!is_network_name(bad), "{bad}");
        }
    }
}
