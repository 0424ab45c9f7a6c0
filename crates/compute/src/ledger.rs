//! The ledger as the agent and the job client see it: reads of jobs, claims and
//! modules, and transactions from one account.
//!
//! [`NodeLedger`] is the real one (a node's HTTP API); tests may stand in their own.

use anyhow::{bail, Context, Result};
use plinth_api::compute::{JobsQuery, NumberPageQuery};
use plinth_api::NodeClient;
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::compute::{ComputeOffer, ComputeParams, Job, TaskClaim, TaskSlot};
use plinth_ledger::{Call, Transaction, TxError};
use std::sync::Mutex;
use std::time::Duration;

/// How long a transaction may take to be committed.
pub const TX_TIMEOUT: Duration = Duration::from_secs(60);

/// A committed transaction and what it came to.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its hash.
    pub hash: Hash,
    /// The nonce it was sent with (ids of orders and jobs derive from it).
    pub nonce: u64,
    /// Why the ledger refused it; `None` when it applied.
    pub error: Option<TxError>,
}

/// Reads and writes the agent and the job client need.
pub trait ComputeLedger: Send + Sync {
    /// The head block's height.
    fn height(&self) -> Result<u64>;
    /// The chain's compute settings.
    fn params(&self) -> Result<ComputeParams>;
    /// Open jobs of a compute network (one page: the oldest first).
    fn open_jobs(&self, network: &str) -> Result<Vec<Job>>;
    /// A job.
    fn job(&self, id: &Hash) -> Result<Option<Job>>;
    /// A claim.
    fn claim(&self, id: &Hash) -> Result<Option<TaskClaim>>;
    /// A task's slot.
    fn task_slot(&self, job: &Hash, task: u32) -> Result<TaskSlot>;
    /// A provider's offer.
    fn offer(&self, device: &plinth_core::DeviceId) -> Result<Option<ComputeOffer>>;
    /// A module's bytes, if it is on the ledger.
    fn module_bytes(&self, hash: &Hash) -> Result<Option<Vec<u8>>>;
    /// A job's input.
    fn job_input(&self, job: &Hash) -> Result<Vec<u8>>;
    /// Signs `call` with the account's key, sends it and waits for its block.
    fn send(&self, call: Call) -> Result<Sent>;
    /// The account transactions are sent from.
    fn account(&self) -> Address;
}

/// A node's HTTP API and an account's key.
pub struct NodeLedger {
    node: NodeClient,
    key: Keypair,
    /// Held while building and sending, so that two never take the same nonce.
    lock: Mutex<()>,
}

impl NodeLedger {
    /// The node at `url`, sending from `key`'s account.
    pub fn new(url: &str, key: Keypair) -> NodeLedger {
        NodeLedger {
            node: NodeClient::new(url),
            key,
            lock: Mutex::new(()),
        }
    }

    /// The node's client.
    pub fn client(&self) -> &NodeClient {
        &self.node
    }
}

impl ComputeLedger for NodeLedger {
    fn height(&self) -> Result<u64> {
        Ok(self.node.status()?.height)
    }

    fn params(&self) -> Result<ComputeParams> {
        Ok(self.node.compute_params()?.params)
    }

    fn open_jobs(&self, network: &str) -> Result<Vec<Job>> {
        Ok(self.node.compute_jobs(&JobsQuery {
            network: Some(network.to_string()),
            status: Some("open".into()),
            ..JobsQuery::default()
        })?)
    }

    fn job(&self, id: &Hash) -> Result<Option<Job>> {
        Ok(self.node.compute_job(id)?.map(|v| v.job))
    }

    fn claim(&self, id: &Hash) -> Result<Option<TaskClaim>> {
        Ok(self.node.compute_claim(id)?.map(|v| v.claim))
    }

    fn task_slot(&self, job: &Hash, task: u32) -> Result<TaskSlot> {
        let page = self.node.compute_job_tasks(
            job,
            &NumberPageQuery {
                after: task.checked_sub(1),
                limit: Some(1),
            },
        )?;
        match page.into_iter().next() {
            Some(t) if t.task == task => Ok(t.slot),
            _ => bail!("job {job} has no task {task}"),
        }
    }

    fn offer(&self, device: &plinth_core::DeviceId) -> Result<Option<ComputeOffer>> {
        Ok(self.node.compute_offer(device)?.map(|v| v.offer))
    }

    fn module_bytes(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        Ok(self.node.compute_module_bytes(hash)?)
    }

    fn job_input(&self, job: &Hash) -> Result<Vec<u8>> {
        self.node
            .compute_job_input(job)?
            .with_context(|| format!("job {job} has no input on the ledger"))
    }

    fn send(&self, call: Call) -> Result<Sent> {
        let (hash, nonce) = {
            let _guard = self.lock.lock().expect("tx lock");
            let status = self.node.status()?;
            let acct = self.node.account(&Address(self.key.public()))?;
            let tx = Transaction {
                chain_id: status.chain_id,
                signer: Address(self.key.public()),
                nonce: acct.next_nonce,
                fee: status.min_fee,
                call,
            }
            .sign(&self.key);
            match self.node.submit(&tx) {
                Ok(_) => {}
                // Refused before the mempool (the node runs the ledger's checks):
                // the typed error, as if it had been in a block.
                Err(plinth_api::ClientError::Api {
                    status: 422, error, ..
                }) => {
                    if let Some(e) = tx_error(&error) {
                        return Ok(Sent {
                            hash: tx.hash(),
                            nonce: acct.next_nonce,
                            error: Some(e),
                        });
                    }
                    bail!(
                        "the node refused the transaction: {} [{}]",
                        error.message,
                        error.code
                    );
                }
                Err(e) => return Err(e.into()),
            }
            (tx.hash(), acct.next_nonce)
        };
        let view = self.node.wait(&hash, TX_TIMEOUT)?;
        match (view.status, view.receipt) {
            (plinth_api::node::TxStatus::Committed, Some(r)) => Ok(Sent {
                hash,
                nonce,
                error: r.error,
            }),
            (plinth_api::node::TxStatus::Rejected, _)
                if view.error.as_ref().and_then(tx_error).is_some() =>
            {
                // Taken into the mempool, then refused when its block ran it.
                Ok(Sent {
                    hash,
                    nonce,
                    error: view.error.as_ref().and_then(tx_error),
                })
            }
            (status, _) => bail!(
                "transaction {hash} was not committed ({status:?}): {}",
                view.error.map(|e| e.message).unwrap_or_default()
            ),
        }
    }

    fn account(&self) -> Address {
        Address(self.key.public())
    }
}

/// The ledger's typed error from the node's JSON detail of a refusal (`code` and
/// the error's fields), if it is one.
fn tx_error(e: &plinth_api::ErrorDetail) -> Option<TxError> {
    let mut v = e.details.clone().unwrap_or_else(|| serde_json::json!({}));
    v.as_object_mut()?
        .insert("code".into(), serde_json::Value::String(e.code.clone()));
    serde_json::from_value(v).ok()
}
