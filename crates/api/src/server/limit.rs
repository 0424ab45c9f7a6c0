//! Refusing oversized request bodies so that the client hears why.
//!
//! `DefaultBodyLimit` stops reading at the limit and the handler answers 413, but the
//! server then closes a connection whose client is still writing the rest of its
//! body; the kernel resets it and the client sees "broken pipe" instead of the
//! answer. This layer checks the declared `content-length` first and, when it is over
//! the limit, reads and discards the body (at most [`DRAIN_CAP`] bytes) before it
//! answers, so a client that sent too much gets a JSON 413 it can read.

use super::ApiError;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// Most bytes read and thrown away from an oversized body before answering. Larger
/// bodies are answered at once and the connection closed.
pub const DRAIN_CAP: u64 = 4 * 1024 * 1024;

/// Middleware: 413 `too_large` for a request whose `content-length` exceeds the
/// limit in the state. Use with `axum::middleware::from_fn_with_state(max, refuse_oversized)`.
pub async fn refuse_oversized(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => {
            if len <= DRAIN_CAP {
                let mut body = req.into_body();
                while let Some(Ok(_)) = body.frame().await {}
            }
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("request body is {len} bytes; the limit is {max}"),
            )
            .into_response()
        }
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new().route(
            "/",
            post(|b: axum::body::Bytes| async move { b.len().to_string() }).layer(
                axum::middleware::from_fn_with_state(10usize, refuse_oversized),
            ),
        )
    }

    #[tokio::test]
    async fn over_the_limit_is_refused_with_json() {
        let req = Request::post("/")
            .header(header::CONTENT_LENGTH, "11")
            .body(Body::from("01234567890"))
            .unwrap();
        let resp = app().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "too_large");
    }

    #[tokio::test]
    async fn at_the_limit_passes() {
        let req = Request::post("/")
            .header(header::CONTENT_LENGTH, "10")
            .body(Body::from("0123456789"))
            .unwrap();
        let resp = app().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"10");
    }
}
