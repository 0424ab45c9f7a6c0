//! Blocking clients of the node's and the oracle's APIs ([`NodeClient`],
//! [`OracleClient`]; call them from blocking threads), over one request path:
//!
//! ```text
//!  NodeClient::account(addr) ─┐
//!  OracleClient::send(reports)┴─▶ Http: agent (timeout) ─▶ GET/POST base+path
//!        2xx ─▶ body (at most max_answer bytes) ─▶ JSON ─▶ T
//!        4xx/5xx with {"error": {code, message}} ─▶ ClientError::Api
//!        4xx/5xx with anything else ─▶ ClientError::Unexpected (status, body text)
//!        no answer ─▶ ClientError::Unreachable
//! ```
//!
//! [`agent`] is the one place an HTTP agent is built.

/// Declares a typed client of `$service` over [`Http`], with the constructors and
/// the raw `GET` every client has; its typed calls are written beside it.
macro_rules! service_client {
    ($(#[$doc:meta])* $client:ident, $service:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $client {
            http: super::Http,
        }

        impl $client {
            #[doc = concat!("A client of the ", $what, " at `base` (`http://host:port`), waiting at most")]
            /// [`DEFAULT_TIMEOUT`](super::DEFAULT_TIMEOUT) for an answer.
            pub fn new(base: &str) -> $client {
                $client::with_timeout(base, super::DEFAULT_TIMEOUT)
            }

            #[doc = concat!("A client of the ", $what, " at `base` waiting at most `timeout` for an answer.")]
            pub fn with_timeout(base: &str, timeout: std::time::Duration) -> $client {
                $client {
                    http: super::Http::new($service, base, timeout),
                }
            }

            /// The same client reading answers of at most `bytes` bytes.
            pub fn with_max_answer(mut self, bytes: u64) -> $client {
                self.http.set_max_answer(bytes);
                self
            }

            #[doc = concat!("The ", $what, "'s base URL.")]
            pub fn base(&self) -> &str {
                self.http.base()
            }

            /// `GET path` (a path under the base, with its query), read as `T`: for the
            /// endpoints without a typed method.
            pub fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> super::Result<T> {
                self.http.get(path)
            }
        }
    };
}

mod compute;
mod energy;
mod gov;
mod node;
mod oracle;
#[cfg(test)]
mod tests;

pub use compute::{award_claim, AwardLookup, MAX_COMPUTE_BYTES};
pub use node::NodeClient;
pub use oracle::OracleClient;

use crate::error::{ErrorBody, ErrorDetail};
use plinth_core::Hash;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Read;
use std::time::Duration;

/// How long a client waits for an answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer a client reads unless told otherwise.
pub const DEFAULT_MAX_ANSWER: u64 = 256 << 20;
/// Most bytes of an error answer read (and shown).
pub const MAX_ERROR_BODY: u64 = 64 << 10;
/// Most characters of a non-JSON error answer kept in [`ClientError::Unexpected`].
const SHOWN_ERROR_CHARS: usize = 512;

/// Which service a client talks to (it names the service in its errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// A node's API.
    Node,
    /// An oracle's API.
    Oracle,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::Node => "node",
            Service::Oracle => "oracle",
        })
    }
}

/// Why a call to a node or an oracle failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused the request with its JSON error body.
    #[error("{service} refused ({status}): {} [{}]", .error.message, .error.code)]
    Api {
        /// Who answered.
        service: Service,
        /// The HTTP status.
        status: u16,
        /// The server's error: `code`, `message`, `details`.
        error: ErrorDetail,
    },
    /// The server answered an error status without the JSON error body (a proxy,
    /// or not a Plinth server).
    #[error("{service} answered {status} to {path} without a JSON error: {body}")]
    Unexpected {
        /// Who answered.
        service: Service,
        /// The HTTP status.
        status: u16,
        /// The request path.
        path: String,
        /// The start of the answer's text.
        body: String,
    },
    /// No answer: the server cannot be reached, or it timed out.
    #[error("cannot reach the {service} at {base} ({path}): {reason}")]
    Unreachable {
        /// Who was asked.
        service: Service,
        /// The server's base URL.
        base: String,
        /// The request path.
        path: String,
        /// What failed (connection, DNS, timeout, …).
        reason: String,
    },
    /// A success answer that is not what the API promises (not the expected JSON,
    /// or cut off).
    #[error("reading the {service}'s answer to {path}: {reason}")]
    BadAnswer {
        /// Who answered.
        service: Service,
        /// The request path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A success answer larger than the client reads.
    #[error("the {service}'s answer to {path} is larger than {limit} bytes")]
    TooLarge {
        /// Who answered.
        service: Service,
        /// The request path.
        path: String,
        /// The most bytes the client reads.
        limit: u64,
    },
    /// The ledger rejected a transaction the client waited for.
    #[error("transaction {hash} was rejected: {}", rejection(.error))]
    TxRejected {
        /// The transaction.
        hash: Hash,
        /// Why, as the node gives it.
        error: Option<ErrorDetail>,
    },
    /// A transaction the client waited for was still pending at the deadline.
    #[error("transaction {hash} still pending after {}s", .waited.as_secs())]
    TxPending {
        /// The transaction.
        hash: Hash,
        /// How long the client waited.
        waited: Duration,
    },
}

fn rejection(e: &Option<ErrorDetail>) -> String {
    e.as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "unknown reason".into())
}

impl ClientError {
    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The server's error code (`unknown_device`, `bad_nonce`, …), when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { error, .. } => Some(&error.code),
            ClientError::TxRejected { error, .. } => error.as_ref().map(|e| e.code.as_str()),
            _ => None,
        }
    }

    /// The server's error detail, when it gave one.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            ClientError::TxRejected { error, .. } => error.as_ref(),
            _ => None,
        }
    }

    /// Whether the server answered 404 (no such account, device, deal, …).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the server could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. })
    }
}

/// A client's result.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The HTTP agent every client uses: `timeout` for a whole request (connect,
/// send, answer); `https://` URLs are checked against [`crate::tls::client_config`]
/// (the web roots and the CAs added with [`crate::tls::add_ca_file`]).
pub fn agent(timeout: Duration) -> ureq::Agent {
    agent_builder().timeout(timeout).build()
}

/// An agent builder with Plinth's TLS config, for clients that set their own
/// timeouts.
pub fn agent_builder() -> ureq::AgentBuilder {
    ureq::AgentBuilder::new().tls_config(plinth_tls::client_config())
}

/// One server: its base URL, an agent, and the answer size limit.
#[derive(Clone)]
pub(crate) struct Http {
    service: Service,
    base: String,
    agent: ureq::Agent,
    max_answer: u64,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("service", &self.service)
            .field("base", &self.base)
            .field("max_answer", &self.max_answer)
            .finish()
    }
}

impl Http {
    pub(crate) fn new(service: Service, base: &str, timeout: Duration) -> Http {
        Http {
            service,
            base: base.trim_end_matches('/').to_string(),
            agent: agent(timeout),
            max_answer: DEFAULT_MAX_ANSWER,
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn set_max_answer(&mut self, bytes: u64) {
        self.max_answer = bytes;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The answer to a request, or the error it became.
    fn answer(
        &self,
        path: &str,
        r: std::result::Result<ureq::Response, ureq::Error>,
    ) -> Result<ureq::Response> {
        match r {
            Ok(resp) => Ok(resp),
            Err(ureq::Error::Status(status, resp)) => Err(self.refusal(path, status, resp)),
            Err(ureq::Error::Transport(t)) => Err(ClientError::Unreachable {
                service: self.service,
                base: self.base.clone(),
                path: path.to_string(),
                reason: t.to_string(),
            }),
        }
    }

    /// An error answer: the server's JSON error, or its text.
    fn refusal(&self, path: &str, status: u16, resp: ureq::Response) -> ClientError {
        let mut bytes = Vec::new();
        let _ = resp
            .into_reader()
            .take(MAX_ERROR_BODY)
            .read_to_end(&mut bytes);
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => ClientError::Api {
                service: self.service,
                status,
                error: body.error,
            },
            Err(_) => ClientError::Unexpected {
                service: self.service,
                status,
                path: path.to_string(),
                body: String::from_utf8_lossy(&bytes)
                    .trim()
                    .chars()
                    .take(SHOWN_ERROR_CHARS)
                    .collect(),
            },
        }
    }

    /// The body of a success answer, at most `limit` bytes.
    fn body(&self, path: &str, resp: ureq::Response, limit: u64) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        resp.into_reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| ClientError::BadAnswer {
                service: self.service,
                path: path.to_string(),
                reason: e.to_string(),
            })?;
        if bytes.len() as u64 > limit {
            return Err(ClientError::TooLarge {
                service: self.service,
                path: path.to_string(),
                limit,
            });
        }
        Ok(bytes)
    }

    fn json<T: DeserializeOwned>(&self, path: &str, resp: ureq::Response) -> Result<T> {
        let bytes = self.body(path, resp, self.max_answer)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer {
            service: self.service,
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// `GET path`, its JSON answer.
    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let resp = self.answer(path, self.agent.get(&self.url(path)).call())?;
        self.json(path, resp)
    }

    /// `GET path`, `None` for a 404.
    pub(crate) fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET path`, the raw answer (at most `limit` bytes).
    pub(crate) fn get_bytes(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let resp = self.answer(path, self.agent.get(&self.url(path)).call())?;
        self.body(path, resp, limit)
    }

    /// `POST path` with a JSON body, its JSON answer.
    pub(crate) fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::BadAnswer {
            service: self.service,
            path: path.to_string(),
            reason: format!("the request does not serialise: {e}"),
        })?;
        self.post_bytes(path, "application/json", &body)
    }

    /// `POST path` with a body of `content_type`, its JSON answer.
    pub(crate) fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<T> {
        let resp = self.answer(
            path,
            self.agent
                .post(&self.url(path))
                .set("Content-Type", content_type)
                .send_bytes(body),
        )?;
        self.json(path, resp)
    }
}

/// `path` with `query` appended (nothing when the query is empty).
pub(crate) fn with_query<Q: Serialize>(path: &str, query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}
