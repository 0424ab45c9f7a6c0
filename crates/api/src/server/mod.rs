//! What the node's and the oracle's axum servers share (feature `server`): the
//! JSON error response [`ApiError`], the [`extract`]ors and the [`extract::json_errors`]
//! layer that keep every error a JSON [`ErrorBody`], and the [`limit`] layer that
//! refuses oversized bodies with an answer the client can read (`plinth_tls::server`
//! serves them over HTTPS).

pub mod extract;
pub mod limit;

use crate::error::{ErrorBody, ErrorDetail};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error response: a status and the JSON [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body: `{"error": {code, message, details?}}`.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError::with_detail(status, ErrorDetail::new(code, message))
    }

    /// An error with `status` and a full detail (structured fields included).
    pub fn with_detail(status: StatusCode, detail: ErrorDetail) -> Self {
        ApiError {
            status,
            body: ErrorBody { error: detail },
        }
    }

    /// 500 `internal`, logged.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error serving a request");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    }

    /// 404 with `code`.
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 400 with `code`.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
