//! A small blocking client of the node's HTTP API.

use anyhow::{anyhow, Context, Result};
use plinth_core::Hash;
use plinth_node::api::*;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

pub struct Client {
    base: String,
    agent: ureq::Agent,
}

/// An error answer of the node, with its code.
#[derive(Debug, thiserror::Error)]
#[error("node refused ({status}): {message} [{code}]")]
pub struct NodeError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build(),
        }
    }

    fn handle<T: DeserializeOwned>(
        &self,
        r: Result<ureq::Response, ureq::Error>,
        what: &str,
    ) -> Result<T> {
        match r {
            Ok(resp) => resp
                .into_json::<T>()
                .with_context(|| format!("reading the node's answer to {what}")),
            Err(ureq::Error::Status(status, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                match serde_json::from_str::<ErrorBody>(&text) {
                    Ok(body) => Err(NodeError {
                        status,
                        code: body.error.code,
                        message: body.error.message,
                    }
                    .into()),
                    Err(_) => Err(anyhow!("node answered {status} to {what}: {text}")),
                }
            }
            Err(e) => Err(anyhow!(
                "cannot reach the node at {} ({what}): {e}",
                self.base
            )),
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let r = self.agent.get(&format!("{}{}", self.base, path)).call();
        self.handle(r, path)
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> Result<T> {
        let r = self
            .agent
            .post(&format!("{}{}", self.base, path))
            .send_json(body);
        self.handle(r, path)
    }

    pub fn status(&self) -> Result<StatusView> {
        self.get("/v1/status")
    }

    pub fn submit(&self, tx: &plinth_ledger::SignedTx) -> Result<SubmitResponse> {
        self.post(
            "/v1/txs",
            &serde_json::json!({ "tx": hex::encode(tx.encode()) }),
        )
    }

    /// Polls until the transaction is committed; a rejection is an error carrying
    /// the ledger's reason.
    pub fn wait_committed(&self, hash: &Hash, timeout: Duration) -> Result<TxView> {
        let view = self.wait(hash, timeout)?;
        if view.status != TxStatus::Committed {
            let reason = view
                .error
                .map(|e| format!("{} [{}]", e.message, e.code))
                .unwrap_or_else(|| "unknown reason".into());
            return Err(anyhow!("transaction {hash} was rejected: {reason}"));
        }
        Ok(view)
    }

    /// Polls until the transaction is committed or rejected.
    pub fn wait(&self, hash: &Hash, timeout: Duration) -> Result<TxView> {
        let deadline = Instant::now() + timeout;
        loop {
            let view: TxView = self.get(&format!("/v1/txs/{hash}"))?;
            if view.status != TxStatus::Pending {
                return Ok(view);
            }
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "transaction {hash} still pending after {}s",
                    timeout.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
