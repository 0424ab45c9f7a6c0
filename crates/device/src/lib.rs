//! The device side of Plinth: an SDK to build and send signed reports, the device
//! agent (`plinth device run`), and a fleet simulator (`plinth device fleet`) with
//! honest and cheating devices, against which the verifier is measured. Coverage
//! hotspots in the fleet hear each other through a simulated radio ([`radio`]).

pub mod agent;
pub mod fleet;
pub mod radio;

use anyhow::{anyhow, Context, Result};
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_proofs::{BeaconRound, Report, ReportBody, SignedReport};
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The identity of the chain a node serves ([`plinth_core::chain_identity`] of the
/// genesis hash in its `GET /v1/status`): what reports, receipts and oracle
/// messages for that chain name.
pub fn chain_of_node(node: &str) -> Result<Hash> {
    #[derive(Deserialize)]
    struct Status {
        genesis_hash: Hash,
    }
    let url = format!("{}/v1/status", node.trim_end_matches('/'));
    let status: Status = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
        .get(&url)
        .call()
        .map_err(|e| anyhow!("node {node}: {e}"))?
        .into_json()
        .context("reading the node's status")?;
    Ok(plinth_core::chain_identity(&status.genesis_hash))
}

/// The oracle's epoch arithmetic, read from its status (one home: [`plinth_core::epoch`]).
pub use plinth_core::EpochClock;

/// A device's signing identity and its report counter.
pub struct DeviceKey {
    pub key: Keypair,
    pub network: String,
    /// The chain its reports are for ([`plinth_core::chain_identity`], from the
    /// node's genesis hash: see [`chain_of_node`]).
    pub chain: Hash,
    last_seq: u64,
}

impl DeviceKey {
    pub fn new(key: Keypair, network: &str, chain: Hash) -> Self {
        DeviceKey {
            key,
            network: network.to_string(),
            chain,
            last_seq: 0,
        }
    }

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

/// A blocking client of an oracle's HTTP API.
#[derive(Clone)]
pub struct OracleClient {
    base: String,
    agent: ureq::Agent,
}

/// The oracle's answer for one report.
#[derive(Debug, Clone, Deserialize)]
pub struct Verdict {
    pub hash: Option<String>,
    pub status: String,
    pub code: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Challenge {
    pub device: DeviceId,
    pub challenge: plinth_core::Hash,
    pub issued_ms: u64,
    pub deadline_ms: u64,
}

impl OracleClient {
    pub fn new(base: &str) -> Self {
        OracleClient {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build(),
        }
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.agent
            .get(&format!("{}{}", self.base, path))
            .call()
            .map_err(|e| anyhow!("oracle {}: {e}", self.base))?
            .into_json()
            .context("reading the oracle's answer")
    }

    pub fn clock(&self) -> Result<EpochClock> {
        self.get("/v1/status")
    }

    /// Sends reports; one verdict each, in order.
    pub fn send(&self, reports: &[SignedReport]) -> Result<Vec<Verdict>> {
        #[derive(Deserialize)]
        struct Resp {
            results: Vec<Verdict>,
        }
        let body = serde_json::json!({
            "reports": reports.iter().map(|r| hex::encode(r.encode())).collect::<Vec<_>>()
        });
        let resp: Resp = self
            .agent
            .post(&format!("{}/v1/reports", self.base))
            .send_json(body)
            .map_err(|e| anyhow!("oracle {}: {e}", self.base))?
            .into_json()
            .context("reading the oracle's verdicts")?;
        Ok(resp.results)
    }

    pub fn challenges(&self, device: &DeviceId) -> Result<Vec<Challenge>> {
        self.get(&format!("/v1/challenges/{device}"))
    }

    /// The beacon rounds the oracle drew for a coverage network (those of the
    /// current and the previous epoch, ascending).
    pub fn rounds(&self, network: &str) -> Result<Vec<BeaconRound>> {
        #[derive(Deserialize)]
        struct Resp {
            rounds: Vec<BeaconRound>,
        }
        let resp: Resp = self.get(&format!("/v1/rounds/{network}"))?;
        Ok(resp.rounds)
    }
}
