//! The HTTP API contract of Plinth: what the node and the oracle answer, typed,
//! and one blocking client for each. The servers build their answers from these
//! types and every client (the CLI, the oracle, the device agent, the fleet, the
//! explorer's oracle proxy, tests) reads them with the same types, so a field
//! cannot drift between the two sides. `crates/node/openapi.yaml` and
//! `crates/oracle/openapi.yaml` describe the same shapes for other languages.
//!
//! ```text
//!  plinth-node ──builds── node::{StatusView, AccountView, …} ──JSON──▶ NodeClient
//!  plinth-oracle ─builds─ oracle::{Verdict, Manifest, …} ────JSON──▶ OracleClient
//!                                                                      │
//!        every error: {"error": {"code", "message"}} ──▶ ClientError::Api { code, … }
//! ```
//!
//! Modules:
//!
//! - [`node`]: the node's request and response types (`/v1/status`, accounts,
//!   devices, blocks, transactions, supply, price, credits, rewards, storage).
//! - [`compute`]: the node's compute types (`/v1/compute`: settings, offers with
//!   reputation, orders and bids, leases settled at the head, modules, jobs with
//!   their progress, tasks, claims, the claims waiting for the oracle set, usage
//!   and earnings per epoch).
//! - [`gov`]: the node's governance types (`/v1/gov`: settings, proposals with
//!   their live tally and verdict, votes, positions; `/v1/makers`).
//! - [`oracle`]: the oracle's request and response types (reports and verdicts,
//!   challenges, beacon rounds, status, manifests, reward claims, co-signing).
//! - [`error`]: the JSON error body both servers answer with.
//! - [`client`]: [`NodeClient`] and [`OracleClient`], blocking (ureq), with typed
//!   errors ([`ClientError`]); the one place an HTTP agent is built.
//! - [`clock`]: the wall clock ([`now_ms`]), the one place the services read it.
//! - `server` (feature `server`): what the node's and the oracle's axum servers
//!   share: the JSON error response (`ApiError`), extractors and a layer that keep
//!   every error JSON, and the layer that refuses oversized bodies.
//!
//! Types that already live in the pure crates (ledger transactions, receipts,
//! manifests headers, beacon rounds, …) are used as they are, not copied.

#![warn(missing_docs)]

pub mod client;
pub mod clock;
pub mod compute;
pub mod energy;
pub mod error;
pub mod gov;
pub mod node;
pub mod oracle;
#[cfg(feature = "server")]
pub mod server;
/// TLS ([`plinth_tls`]): the roots every client checks `https://` against.
pub use plinth_tls as tls;

pub use client::{award_claim, AwardLookup, ClientError, NodeClient, OracleClient, Service};
pub use clock::now_ms;
pub use error::{ErrorBody, ErrorDetail};
