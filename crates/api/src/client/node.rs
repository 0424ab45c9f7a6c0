//! [`NodeClient`]: the node's API, typed.

use super::{with_query, ClientError, Result, Service};
use crate::node::*;
use plinth_core::{Address, DeviceId, Hash};
use plinth_ledger::rewards::RewardEpoch;
use plinth_ledger::storage::{Deal, EpochUsage};
use plinth_ledger::{Genesis, SignedTx};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Most devices one `GET /v1/devices` page holds (the node's maximum).
pub const DEVICES_PAGE: usize = 10_000;
/// How often [`NodeClient::wait`] asks for a transaction.
const POLL: Duration = Duration::from_millis(200);

service_client!(
    /// A blocking client of a node's API (call it from blocking threads).
    NodeClient,
    Service::Node,
    "node"
);

impl NodeClient {
    /// [`NodeClient::get`] with a 404 as `None`.
    pub fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        self.http.get_opt(path)
    }

    /// `GET path`, the raw answer (at most `limit` bytes): for the endpoints that
    /// answer bytes (modules, job inputs).
    pub(super) fn get_raw(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        self.http.get_bytes(path, limit)
    }

    /// `POST path` with `body` as JSON, the answer read as `T`.
    pub fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.http.post(path, body)
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusView> {
        self.get("/v1/status")
    }

    /// `GET /v1/genesis`.
    pub fn genesis(&self) -> Result<Genesis> {
        self.get("/v1/genesis")
    }

    /// `GET /v1/networks`: every network as in force in the current reward
    /// epoch (the head's).
    pub fn networks(&self) -> Result<Vec<NetworkView>> {
        self.get("/v1/networks")
    }

    /// `GET /v1/networks?epoch=E`: every network as in force in reward epoch
    /// `epoch`, each with its allowance for that epoch.
    pub fn networks_at(&self, epoch: u64) -> Result<Vec<NetworkView>> {
        self.get(&with_query(
            "/v1/networks",
            &NetworksQuery { epoch: Some(epoch) },
        ))
    }

    /// `GET /v1/validators`.
    pub fn validators(&self) -> Result<Vec<ValidatorView>> {
        self.get("/v1/validators")
    }

    /// `GET /v1/oracles`: the oracle set in force in the current epoch, and the
    /// schedule.
    pub fn oracles(&self) -> Result<OraclesView> {
        self.get("/v1/oracles")
    }

    /// `GET /v1/oracles?epoch=N`: the oracle set in force at reward epoch `epoch`
    /// (the messages about that epoch need its signatures), and the schedule.
    pub fn oracles_at(&self, epoch: u64) -> Result<OraclesView> {
        self.get(&with_query(
            "/v1/oracles",
            &OraclesQuery { epoch: Some(epoch) },
        ))
    }

    /// `GET /v1/registry?height=H`: every network's registry digest as of the
    /// block at `height` (the head when `None`); a height above the head is a
    /// 404 ([`ClientError::is_not_found`]).
    pub fn registry(&self, height: Option<u64>) -> Result<RegistryView> {
        self.get(&with_query("/v1/registry", &RegistryQuery { height }))
    }

    /// `GET /v1/accounts/{addr}` (an address that never held anything is there,
    /// with `exists` false).
    pub fn account(&self, addr: &Address) -> Result<AccountView> {
        self.get(&format!("/v1/accounts/{addr}"))
    }

    /// `GET /v1/accounts/{addr}?proof=true`: the account with its state proof.
    pub fn account_with_proof(&self, addr: &Address) -> Result<AccountView> {
        self.get(&with_query(
            &format!("/v1/accounts/{addr}"),
            &ProofQuery { proof: true },
        ))
    }

    /// `GET /v1/accounts/{addr}/txs`: the account's transactions, newest first.
    pub fn history(&self, addr: &Address, query: &HistoryQuery) -> Result<Vec<HistoryItem>> {
        self.get(&with_query(&format!("/v1/accounts/{addr}/txs"), query))
    }

    /// `GET /v1/devices/{id}`; `None` for an unknown device.
    pub fn device(&self, id: &DeviceId) -> Result<Option<DeviceView>> {
        self.get_opt(&format!("/v1/devices/{id}"))
    }

    /// `GET /v1/devices`: one page.
    pub fn devices(&self, query: &DevicesQuery) -> Result<Vec<DeviceView>> {
        self.get(&with_query("/v1/devices", query))
    }

    /// Every registered device, in id order (paged through `GET /v1/devices`).
    pub fn all_devices(&self) -> Result<Vec<DeviceView>> {
        let mut out = Vec::new();
        let mut after: Option<DeviceId> = None;
        loop {
            let page = self.devices(&DevicesQuery {
                limit: Some(DEVICES_PAGE as u64),
                after: after.map(|a| a.to_string()),
                ..Default::default()
            })?;
            let n = page.len();
            after = page.last().map(|v| v.id);
            out.extend(page);
            if n < DEVICES_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/supply`.
    pub fn supply(&self) -> Result<SupplyView> {
        self.get("/v1/supply")
    }

    /// `GET /v1/supply/epochs`: minted and burned per epoch, newest first.
    pub fn supply_epochs(&self, query: &SupplyEpochsQuery) -> Result<Vec<EpochSupplyView>> {
        self.get(&with_query("/v1/supply/epochs", query))
    }

    /// `GET /v1/price`.
    pub fn price(&self) -> Result<PriceView> {
        self.get("/v1/price")
    }

    /// `GET /v1/credits/{addr}`.
    pub fn credits(&self, addr: &Address) -> Result<CreditsView> {
        self.get(&format!("/v1/credits/{addr}"))
    }

    /// `GET /v1/rewards/{network}/{epoch}`: the manifest the ledger accepted;
    /// `None` when it holds none.
    pub fn reward_epoch(&self, network: &str, epoch: u64) -> Result<Option<RewardEpoch>> {
        self.get_opt(&format!("/v1/rewards/{network}/{epoch}"))
    }

    /// `GET /v1/rewards/{network}/{epoch}/claimed/{index}`; `None` when the ledger
    /// holds no manifest for that network and epoch.
    pub fn reward_claimed(&self, network: &str, epoch: u64, index: u64) -> Result<Option<bool>> {
        Ok(self
            .get_opt::<ClaimedView>(&format!("/v1/rewards/{network}/{epoch}/claimed/{index}"))?
            .map(|c| c.claimed))
    }

    /// `GET /v1/blocks`: summaries, newest first.
    pub fn blocks(&self, query: &BlocksQuery) -> Result<Vec<BlockSummary>> {
        self.get(&with_query("/v1/blocks", query))
    }

    /// `GET /v1/blocks/{height}`; `None` above the head.
    pub fn block(&self, height: u64) -> Result<Option<BlockView>> {
        self.get_opt(&format!("/v1/blocks/{height}"))
    }

    /// `GET /v1/txs/{hash}`; `None` for a transaction the node does not know.
    pub fn tx(&self, hash: &Hash) -> Result<Option<TxView>> {
        self.get_opt(&format!("/v1/txs/{hash}"))
    }

    /// `POST /v1/txs`: submits one transaction (durable and pending when this
    /// returns).
    pub fn submit(&self, tx: &SignedTx) -> Result<SubmitResponse> {
        self.post("/v1/txs", &SubmitRequest::new(tx))
    }

    /// `POST /v1/txs/batch`: submits transactions; one verdict each, in order.
    pub fn submit_batch(&self, txs: &[SignedTx]) -> Result<BatchResponse> {
        self.post("/v1/txs/batch", &BatchRequest::new(txs))
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
                return Err(ClientError::TxPending {
                    hash: *hash,
                    waited: timeout,
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Polls until the transaction is committed; a rejection is an error carrying
    /// the ledger's reason ([`ClientError::TxRejected`]).
    pub fn wait_committed(&self, hash: &Hash, timeout: Duration) -> Result<TxView> {
        let view = self.wait(hash, timeout)?;
        if view.status != TxStatus::Committed {
            return Err(ClientError::TxRejected {
                hash: *hash,
                error: view.error,
            });
        }
        Ok(view)
    }

    /// `GET /v1/storage/offers`: one page of providers' offers.
    pub fn offers(&self, query: &OffersQuery) -> Result<Vec<OfferView>> {
        self.get(&with_query("/v1/storage/offers", query))
    }

    /// `GET /v1/storage/offers/{device}`; `None` for a device that offers no
    /// storage.
    pub fn offer(&self, device: &DeviceId) -> Result<Option<OfferView>> {
        self.get_opt(&format!("/v1/storage/offers/{device}"))
    }

    /// `GET /v1/deals/{id}`; `None` for an unknown deal.
    pub fn deal(&self, id: &Hash) -> Result<Option<Deal>> {
        self.get_opt(&format!("/v1/deals/{id}"))
    }

    /// `GET /v1/deals`: one page of deals.
    pub fn deals(&self, query: &DealsQuery) -> Result<Vec<Deal>> {
        self.get(&with_query("/v1/deals", query))
    }

    /// `GET /v1/storage/usage/{network}/{epoch}`.
    pub fn usage(&self, network: &str, epoch: u64) -> Result<EpochUsage> {
        self.get(&format!("/v1/storage/usage/{network}/{epoch}"))
    }
}
