//! The device side of Plinth: an SDK to build and send signed reports, the device
//! agent (`plinth device run`), and a fleet simulator (`plinth device fleet`) with
//! honest and cheating devices, against which the verifier is measured. Coverage
//! hotspots in the fleet hear each other through a simulated radio ([`radio`]).
//!
//! Modules:
//!
//! - this root: [`DeviceKey`] (a device's identity and its signed reports), the
//!   oracle's client ([`OracleClient`], from `plinth-api`) and [`chain_of_node`].
//! - [`agent`]: one device reporting on a schedule and answering probes.
//! - [`fleet`]: the simulator: many devices, honest and cheating, registered and
//!   run against a node and an oracle.
//! - [`maker`]: a maker's certificate of a device key, signed at manufacture.
//! - [`radio`]: the simulated radio coverage hotspots hear each other through.

#![warn(missing_docs)]

pub mod agent;
pub mod custom;
pub mod fleet;
pub mod maker;
pub mod radio;

use plinth_core::{DeviceId, Hash, Keypair};
use plinth_proofs::{Report, ReportBody, SignedReport};

/// The wall clock, in Unix milliseconds ([`plinth_api::clock::now_ms`]).
pub use plinth_api::clock::now_ms;

/// The identity of the chain a node serves ([`plinth_core::chain_identity`] of the
/// genesis hash in its `GET /v1/status`): what reports, receipts and oracle
/// messages for that chain name.
pub fn chain_of_node(node: &str) -> Result<Hash, plinth_api::ClientError> {
    Ok(plinth_api::NodeClient::new(node).status()?.chain())
}

/// The oracle's epoch arithmetic, read from its status (one home: [`plinth_core::epoch`]).
pub use plinth_core::EpochClock;

/// A device's signing identity and its report counter.
pub struct DeviceKey {
    /// The device's signing key (its public key is the device id).
    pub key: Keypair,
    /// The network it reports to.
    pub network: String,
    /// The chain its reports are for ([`plinth_core::chain_identity`], from the
    /// node's genesis hash: see [`chain_of_node`]).
    pub chain: Hash,
    last_seq: u64,
}

impl DeviceKey {
    /// A device of `network` on `chain`, signing with `key`.
    pub fn new(key: Keypair, network: &str, chain: Hash) -> Self {
        DeviceKey {
            key,
            network: network.to_string(),
            chain,
            last_seq: 0,
        }
    }

    /// The device's id.
    pub fn id(&self) -> DeviceId {
        DeviceId(self.key.public())
    }

    /// A signed report made at `ts`. Sequence numbers follow the clock (so they
    /// keep increasing across restarts) and never repeat.
    pub fn report(&mut self, clock: &EpochClock, ts: u64, body: ReportBody) -> SignedReport {
        self.last_seq = (self.last_seq + 1).max(ts);
        Report {
            chain: self.chain,
            device: self.id(),
            network: self.network.clone(),
            epoch: clock.epoch_of(ts),
            timestamp_ms: ts,
            seq: self.last_seq,
            body,
        }
        .sign(&self.key)
    }
}

/// A blocking client of an oracle's HTTP API ([`plinth_api::OracleClient`]).
pub use plinth_api::OracleClient;

/// What the oracle answers about reports and probes ([`plinth_api::oracle`]).
pub use plinth_api::oracle::{Challenge, Verdict, VerdictStatus};
