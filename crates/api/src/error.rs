//! The JSON error body every error answer of the node and the oracle carries:
//! `{"error": {"code": "...", "message": "...", "details"?: {...}}}`.

use serde::{Deserialize, Serialize};

/// Every error response: `{"error": {"code": "...", "message": "...", ...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable: `bad_nonce`, `insufficient_funds`, `malformed`, …
    pub code: String,
    /// Human-readable.
    pub message: String,
    /// Structured fields of the error, when it has any (`expected`, `found`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ErrorDetail {
    /// A detail with `code` and `message` and no structured fields.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorDetail {
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }
}

impl std::fmt::Display for ErrorDetail {
    /// `message [code]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}
