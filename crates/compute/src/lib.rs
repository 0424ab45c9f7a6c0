//! Plinth compute, off the ledger: running a job's tasks, the provider's agent,
//! capacity checks and the consumer's job client.
//!
//! ```text
//!  consumer ──client::submit (UploadModule…, CreateJob)──▶ ledger ◀── agent: ClaimTasks,
//!                                                          │          run (runner), CommitTasks,
//!                                                          │          RevealTasks, FinalizeClaim
//!  oracle set: spot checks (runner: re-execute drawn tasks) ─▶ VerifyClaim
//!  oracle ──POST /v1/check──▶ agent (check: the built-in benchmark) ─▶ SettleChecks
//!  consumer ──client::outputs: GET agent /v1/results/{job}/{task}, checked against the ledger
//! ```
//!
//! - [`runner`]: modules by hash (checked, compiled once), [`runner::execute`]: the
//!   bytes a provider commits to and the oracle set re-executes.
//! - [`agent`]: the provider's loop, its store (claims and outputs, durable) and
//!   its behaviours (honest and the devnet's cheaters); [`server`]: its HTTP API.
//! - [`check`]: capacity checks (the benchmark task, request and answer).
//! - [`client`]: the consumer's side (submit a job, follow it, fetch and check
//!   its outputs).
//! - [`ledger`]: the ledger as these see it ([`ledger::NodeLedger`]: a node's API).

#![warn(missing_docs)]

pub mod agent;
pub mod check;
pub mod client;
pub mod ledger;
pub mod runner;
pub mod server;

pub use agent::{Agent, AgentConfig, Behaviour};
pub use ledger::{ComputeLedger, NodeLedger};
