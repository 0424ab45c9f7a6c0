//! Plinth's wiring: the parts of a network started together, in one process, so
//! that the `plinth` binary, tests and other crates can run a node, a devnet or
//! the files of a testnet without going through the command line.
//!
//! ```text
//!  genesis::new_setup ─▶ genesis.toml + keystore.json ─▶ devnet::Devnet::start
//!                                                          ├─ node::RunningNode (blocks, HTTP API, explorer)
//!                                                          └─ services::start: mqtt broker, oracles,
//!                                                             storage providers, compute providers
//!                                                             (+ demo render), fleet, claimer,
//!                                                             burst keeper
//!  testnet::init ─▶ genesis + one node.toml per validator ─▶ validator::run (each, consensus)
//!                          + one oracle.toml per oracle    ─▶ `plinth oracle --config` (each)
//! ```
//!
//! - [`devnet`]: `plinth devnet`: [`devnet::Devnet`] (start, stop) and the command's
//!   [`devnet::run`].
//! - [`node`]: `plinth node`'s configuration file, [`node::RunningNode`], and the
//!   helpers every node command shares (genesis loading, binding, signals).
//! - [`validator`]: a member of a validator set (commonware simplex consensus).
//! - [`services`]: the devnet's DePIN services beside the node.
//! - [`oracle`]: `plinth oracle`'s configuration file.
//! - [`mqtt`]: the embedded MQTT broker (rumqttd) the devnet's oracle reads.
//! - [`deals`]: the ledger's storage deals as a provider's agent sees them.
//! - [`compute`]: the devnet's compute providers (two honest, three cheaters) and
//!   its demo render.
//! - [`bursts`]: the burst keeper (claims and refunds as anyone may) and the demo
//!   bursts on the mapping network.
//! - [`testnet`]: `plinth testnet init`: the files of a validator set and an oracle set.
//! - [`genesis`]: genesis files written from typed values, with comments.
//! - [`keystore`]: keystores (the development form and the encrypted one, the
//!   passphrase's sources) and device key files, read only when owner-only.
//! - `hints`: what a newcomer can try next, and the devnet's chain id.

#![warn(missing_docs)]

pub mod bursts;
pub mod compute;
pub mod deals;
pub mod devnet;
pub mod energy;
pub mod genesis;
mod hints;
pub mod keystore;
pub mod mqtt;
pub mod node;
pub mod oracle;
pub mod services;
pub mod testnet;
pub mod validator;

pub use devnet::{Devnet, DevnetOptions};
pub use node::{parse_duration, RunningNode};
