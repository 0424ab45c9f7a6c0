//! The node's API (`/v1` on a node): the JSON shapes it answers with and the
//! bodies and query strings it takes. Documented for other languages in
//! `crates/node/openapi.yaml`.
//!
//! Ledger values (transactions, receipts, block headers, deals, reward epochs,
//! the genesis) appear in these shapes as the ledger serialises them.

use plinth_core::{Address, DeviceId, EpochClock, Hash};
use plinth_ledger::accounts::Unbonding;
use plinth_ledger::devices::{Device, DeviceStatus};
use plinth_ledger::storage::StorageOffer;
use plinth_ledger::{Amount, BlockHeader, Receipt, SignedTx, Transaction};
use serde::{Deserialize, Serialize};

pub use crate::error::{ErrorBody, ErrorDetail};

/// `GET /v1/status`: the token a node's chain counts in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenView {
    /// The token's name.
    pub name: String,
    /// Its ticker symbol.
    pub symbol: String,
    /// Decimal places of one whole token (amounts are in base units).
    pub decimals: u8,
}

/// `GET /v1/status`: the chain and its head as this node sees them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    /// The chain's id (transactions name it).
    pub chain_id: String,
    /// The hash of the chain's genesis.
    pub genesis_hash: Hash,
    /// Height of the head block.
    pub height: u64,
    /// Hash of the head block.
    pub head_hash: Hash,
    /// State root after the head block.
    pub state_root: Hash,
    /// The head block's time (Unix milliseconds).
    pub timestamp_ms: u64,
    /// How often this node produces a block.
    pub block_time_ms: u64,
    /// Transactions waiting in the mempool.
    pub mempool: usize,
    /// This node's validator address.
    pub validator: Address,
    /// The chain's token.
    pub token: TokenView,
    /// The smallest fee a transaction may pay.
    pub min_fee: Amount,
    /// Blocks an unbonding waits before its tokens are free.
    pub unbonding_blocks: u64,
    /// Reward epochs count from the genesis time in steps of `epoch_ms`.
    pub genesis_time_ms: u64,
    /// The length of a reward epoch.
    pub epoch_ms: u64,
    /// The reward epoch of the head block's timestamp (still running).
    pub epoch: u64,
}

impl StatusView {
    /// The chain's identity ([`plinth_core::chain_identity`] of the genesis hash):
    /// what reports, receipts and oracle messages for this chain name.
    pub fn chain(&self) -> Hash {
        plinth_core::chain_identity(&self.genesis_hash)
    }

    /// The chain's epoch schedule.
    pub fn clock(&self) -> EpochClock {
        EpochClock {
            genesis_time_ms: self.genesis_time_ms,
            epoch_ms: self.epoch_ms,
        }
    }
}

/// `GET /v1/supply`: the supply record and what circulates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SupplyView {
    /// Σ balances at genesis.
    pub genesis: Amount,
    /// Minted by accepted reward manifests.
    pub minted: Amount,
    /// Burned (fees, credits bought).
    pub burned: Amount,
    /// Minted but not yet claimed.
    pub unclaimed: Amount,
    /// `genesis + minted − burned − unclaimed`: what accounts hold.
    pub circulating: Amount,
    /// The height the figures are for.
    pub height: u64,
}

/// `GET /v1/supply/epochs`: one reward epoch's minted and burned tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochSupplyView {
    /// The reward epoch.
    pub epoch: u64,
    /// Tokens minted by the epoch's manifests.
    pub minted: Amount,
    /// Tokens burned in the epoch.
    pub burned: Amount,
    /// `minted − burned` (negative when consumers burned more than was emitted).
    pub net: i128,
}

/// `GET /v1/price`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceView {
    /// The latest price the oracles posted, if any.
    pub price: Option<plinth_ledger::credits::PricePoint>,
    /// What one credit costs, in micro-USD.
    pub credit_micro_usd: u64,
    /// How old a price may be for a burn to use it.
    pub price_max_age_ms: u64,
    /// The head block's time, against which freshness is judged.
    pub head_time_ms: u64,
    /// Whether a burn in the next block could use the price.
    pub fresh: bool,
}

/// `GET /v1/credits/{addr}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreditsView {
    /// The account.
    pub address: Address,
    /// Credits it bought.
    pub own: u64,
    /// Credits delegated to it.
    pub delegated: u64,
    /// `own + delegated`.
    pub total: u64,
}

/// `GET /v1/rewards/{network}/{epoch}/claimed/{index}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimedView {
    /// Whether the manifest entry was claimed.
    pub claimed: bool,
}

/// `GET /v1/oracles`: the oracle set that signs reward manifests in force at
/// `epoch` (the current epoch, or the one `?epoch=` asked for), and the whole
/// schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OraclesView {
    /// Signatures of members a manifest, settlement or price of `epoch` needs.
    pub threshold: u32,
    /// The members' addresses in force at `epoch`.
    pub members: Vec<Address>,
    /// The reward epoch `threshold` and `members` are in force at: the head's
    /// epoch, or the one asked for.
    pub epoch: u64,
    /// Every set the chain keeps, in epoch order: the base set (`from_epoch` 0),
    /// then each set scheduled by transaction from its first epoch.
    pub schedule: Vec<OracleSetView>,
}

/// One entry of the oracle set's schedule: in force from `from_epoch` until the
/// next entry's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleSetView {
    /// The first reward epoch the set signs for.
    pub from_epoch: u64,
    /// Signatures of members a message needs.
    pub threshold: u32,
    /// The members' addresses.
    pub members: Vec<Address>,
}

/// `GET /v1/registry`: every network's device registry digest as of one block,
/// what an oracle checks the registry it scored an epoch over against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryView {
    /// The block's height.
    pub height: u64,
    /// The block's time (Unix milliseconds).
    pub time_ms: u64,
    /// Each network of the chain, in name order.
    pub networks: Vec<NetworkRegistryView>,
}

/// One network's registry digest as of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRegistryView {
    /// The network.
    pub network: String,
    /// The digest (`SetHash::digest`) of the multiset of its devices' registry
    /// leaves (`plinth_ledger::devices::registry_leaf`: id, owner, location,
    /// active), retired devices included.
    pub digest: Hash,
    /// Devices registered in it, retired ones included.
    pub devices: u64,
}

/// A state proof: `value` (hex, absent for a non-existence proof) under
/// `state_root` at `height`; `proof` is the hex of the borsh-encoded jmt
/// `SparseMerkleProof`, over the key `key` (hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProofView {
    /// The height whose state is proven.
    pub height: u64,
    /// The state root the proof leads to.
    pub state_root: Hash,
    /// The state key, hex.
    pub key: String,
    /// The value under the key, hex; `None` proves there is none.
    pub value: Option<String>,
    /// The proof, hex of its borsh encoding.
    pub proof: String,
}

impl ProofView {
    /// Checks the proof against its own root (the caller must trust that root, e.g.
    /// from a block header it verified).
    pub fn verify(&self) -> bool {
        let Ok(key) = hex::decode(&self.key) else {
            return false;
        };
        let value = match &self.value {
            Some(v) => match hex::decode(v) {
                Ok(v) => Some(v),
                Err(_) => return false,
            },
            None => None,
        };
        let Ok(bytes) = hex::decode(&self.proof) else {
            return false;
        };
        let Ok(proof) = borsh::from_slice::<plinth_ledger::tree::StateProof>(&bytes) else {
            return false;
        };
        plinth_ledger::tree::verify(self.state_root, &key, value.as_deref(), &proof)
    }
}

/// One bond of an account: stake on a device or a validator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BondView {
    /// What the stake is bonded to.
    pub target: plinth_ledger::StakeTarget,
    /// How much is bonded.
    pub amount: Amount,
}

/// `GET /v1/accounts/{addr}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// False for an address that never held anything (all amounts zero).
    pub exists: bool,
    /// Spendable tokens.
    pub balance: Amount,
    /// The nonce of its last committed transaction.
    pub nonce: u64,
    /// The nonce the next transaction should carry, counting pending ones.
    pub next_nonce: u64,
    /// Tokens bonded.
    pub bonded: Amount,
    /// Tokens on their way out of bonds.
    pub unbonding: Vec<Unbonding>,
    /// Each bond.
    pub bonds: Vec<BondView>,
    /// The height the figures are for.
    pub height: u64,
    /// The state proof of the account, with `?proof=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofView>,
}

/// `GET /v1/devices/{id}` and the items of `GET /v1/devices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceView {
    /// The device's id.
    pub id: DeviceId,
    /// The account that owns it.
    pub owner: Address,
    /// The network it reports to.
    pub network: String,
    /// H3 cell, in the usual hex string form.
    pub location: String,
    /// Latitude of the cell's centre.
    pub lat: f64,
    /// Longitude of the cell's centre.
    pub lon: f64,
    /// The cell's H3 resolution.
    pub resolution: u8,
    /// Active or retired.
    pub status: DeviceStatus,
    /// The height it was registered at.
    pub registered_height: u64,
    /// Σ stake bonded to it.
    pub stake: Amount,
    /// The state proof of the device, with `?proof=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofView>,
}

impl DeviceView {
    /// The view of a registered device with `stake` bonded to it.
    pub fn new(d: Device, stake: Amount) -> DeviceView {
        let cell = h3o::CellIndex::try_from(d.location).ok();
        let (lat, lon) = cell
            .map(|c| {
                let ll = h3o::LatLng::from(c);
                (ll.lat(), ll.lng())
            })
            .unwrap_or((0.0, 0.0));
        DeviceView {
            id: d.id,
            owner: d.owner,
            network: d.network,
            location: cell.map(|c| c.to_string()).unwrap_or_default(),
            lat,
            lon,
            resolution: cell.map(|c| u8::from(c.resolution())).unwrap_or(0),
            status: d.status,
            registered_height: d.registered_height,
            stake,
            proof: None,
        }
    }
}

/// The network parameter (beside the family's own, in a network's `params`)
/// that caps the reports one device may have accepted by the oracle per epoch.
pub const MAX_REPORTS_PARAM: &str = "max_reports_per_epoch";

/// The per-device report cap of a network whose family the oracle does not score.
pub const DEFAULT_MAX_REPORTS: u64 = 1024;

/// The items of `GET /v1/networks`: a network as in force in one reward epoch
/// (`epoch`; governance changes a network's share, usage split and family
/// parameters from an epoch on), with what it may pay for that epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkView {
    /// The network's name.
    pub name: String,
    /// Its proof family (`uptime`, `sensor`, `coverage`, `storage`).
    pub family: String,
    /// The family's parameters (and the oracle's [`MAX_REPORTS_PARAM`]).
    #[serde(default)]
    pub params: serde_json::Value,
    /// The network's share of each epoch's emission, in basis points.
    #[serde(default)]
    pub share_bps: u32,
    /// The part of the share paid by credits earned (usage rewards).
    #[serde(default)]
    pub usage_bps: u32,
    /// Whether devices must be onboarded by an approved maker.
    #[serde(default)]
    pub require_maker: bool,
    /// The reward epoch these values are in force in.
    #[serde(default)]
    pub epoch: u64,
    /// What the network's manifest of `epoch` may pay at most: the epoch's
    /// emission (as in force then) times `share_bps`.
    #[serde(default)]
    pub allowance: u64,
}

/// A network parameter that is not what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network `{network}`: {MAX_REPORTS_PARAM} must be a positive integer, found {found}")]
pub struct BadReportCap {
    /// The network.
    pub network: String,
    /// The value found (JSON).
    pub found: String,
}

impl NetworkView {
    /// The view of a network as the ledger keeps it for reward epoch `epoch`
    /// (`params_json` parsed; JSON `null` if it does not parse), with its
    /// `allowance` for that epoch.
    pub fn new(n: plinth_ledger::params::Network, epoch: u64, allowance: u64) -> NetworkView {
        NetworkView {
            params: serde_json::from_str(&n.params_json).unwrap_or_default(),
            name: n.name,
            family: n.family,
            share_bps: n.share_bps,
            usage_bps: n.usage_bps,
            require_maker: n.require_maker,
            epoch,
            allowance,
        }
    }

    /// The network's proof family, from its parameters less the oracle's own
    /// ([`MAX_REPORTS_PARAM`]).
    pub fn family(&self) -> Result<plinth_proofs::Family, plinth_proofs::FamilyError> {
        let mut params = self.params.clone();
        if let Some(o) = params.as_object_mut() {
            o.remove(MAX_REPORTS_PARAM);
        }
        plinth_proofs::Family::from_network(&self.family, &params.to_string())
    }

    /// How many reports one device may have accepted per epoch (of `epoch_ms`):
    /// the network's [`MAX_REPORTS_PARAM`], or by default what its family can
    /// use, with room to spare ([`default_max_reports`]).
    pub fn max_reports_per_epoch(&self, epoch_ms: u64) -> Result<u64, BadReportCap> {
        match self.params.get(MAX_REPORTS_PARAM) {
            Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| BadReportCap {
                network: self.name.clone(),
                found: v.to_string(),
            }),
            None => Ok(self
                .family()
                .map(|f| default_max_reports(&f, epoch_ms))
                .unwrap_or(DEFAULT_MAX_REPORTS)),
        }
    }
}

/// What a device of `family` can usefully send in an epoch of `epoch_ms`, with
/// room to spare: uptime, two heartbeats per interval and a probe answer a
/// second; sensor, a reading a second or four times the expected readings;
/// coverage, a beacon and 256 witnesses per round; storage, nothing (providers
/// are challenged, they do not report); a custom (`wasm`) family, a report a
/// second (a network sets `max_reports_per_epoch` to say otherwise). Each plus 64.
pub fn default_max_reports(family: &plinth_proofs::Family, epoch_ms: u64) -> u64 {
    use plinth_proofs::Family;
    let seconds = epoch_ms.div_ceil(1000);
    64 + match family {
        Family::Uptime(p) => 2 * (epoch_ms / (p.heartbeat_interval_s.max(1) * 1000) + 1) + seconds,
        Family::Sensor(p) => seconds.max(p.expected_readings.saturating_mul(4)),
        Family::Coverage(p) => p.rounds_per_epoch.saturating_mul(257),
        Family::Storage(_) | Family::Compute(_) | Family::Energy(_) => 0,
        Family::Wasm(_) => seconds,
    }
}

/// The items of `GET /v1/validators`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidatorView {
    /// The validator's address.
    pub address: Address,
    /// Its name in genesis.
    pub name: String,
    /// Σ stake bonded to it.
    pub stake: Amount,
}

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    /// Accepted, waiting in the mempool.
    Pending,
    /// In a block.
    Committed,
    /// Dropped (see the view's `error`).
    Rejected,
}

/// `GET /v1/txs/{hash}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TxView {
    /// The transaction's hash.
    pub hash: Hash,
    /// Where it is.
    pub status: TxStatus,
    /// The block it is in (committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Its place in that block (committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// What it did (committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// Why it was dropped (rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// The transaction (pending or committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<Transaction>,
}

/// A transaction of a [`BlockView`], with its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockTx {
    /// The transaction's hash.
    pub hash: Hash,
    /// The transaction.
    #[serde(flatten)]
    pub tx: Transaction,
}

/// `GET /v1/blocks/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockView {
    /// The block's hash.
    pub hash: Hash,
    /// Its header.
    pub header: BlockHeader,
    /// Its transactions, in order.
    pub txs: Vec<BlockTx>,
    /// One receipt per transaction.
    pub receipts: Vec<Receipt>,
}

impl BlockView {
    /// The view of a committed block and its receipts.
    pub fn new(block: plinth_ledger::Block, receipts: Vec<Receipt>) -> Self {
        BlockView {
            hash: block.hash(),
            txs: block
                .txs
                .into_iter()
                .map(|t: SignedTx| BlockTx {
                    hash: t.hash(),
                    tx: t.tx,
                })
                .collect(),
            header: block.header,
            receipts,
        }
    }
}

/// The items of `GET /v1/blocks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockSummary {
    /// The block's hash.
    pub hash: Hash,
    /// Its height.
    pub height: u64,
    /// Its time (Unix milliseconds).
    pub timestamp_ms: u64,
    /// How many transactions it holds.
    pub txs: usize,
    /// The validator that proposed it.
    pub proposer: Address,
    /// The state root after it.
    pub state_root: Hash,
}

/// `POST /v1/txs`: one transaction, hex of its canonical encoding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Hex of the signed transaction's encoding.
    pub tx: String,
}

impl SubmitRequest {
    /// The request that submits `tx`.
    pub fn new(tx: &SignedTx) -> Self {
        SubmitRequest {
            tx: hex::encode(tx.encode()),
        }
    }
}

/// `POST /v1/txs/batch`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Hex of each signed transaction's encoding.
    pub txs: Vec<String>,
}

impl BatchRequest {
    /// The request that submits `txs`, in order.
    pub fn new(txs: &[SignedTx]) -> Self {
        BatchRequest {
            txs: txs.iter().map(|t| hex::encode(t.encode())).collect(),
        }
    }
}

/// The answer to `POST /v1/txs` (202): the transaction is durable and pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitResponse {
    /// The transaction's hash.
    pub hash: Hash,
    /// `pending`.
    pub status: TxStatus,
}

/// The answer to `POST /v1/txs/batch`: one verdict per transaction, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResponse {
    /// How many were accepted.
    pub accepted: usize,
    /// One verdict each.
    pub results: Vec<BatchItem>,
}

/// One transaction's verdict in a [`BatchResponse`]: its hash, or why not.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchItem {
    /// The accepted transaction's hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The items of `GET /v1/accounts/{addr}/txs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    /// The transaction's hash.
    pub hash: Hash,
    /// The block it is in.
    pub height: u64,
    /// Its place in the block.
    pub index: u32,
    /// The transaction.
    pub tx: Transaction,
    /// What it did.
    pub receipt: Option<Receipt>,
}

/// `GET /v1/storage/offers/{device}` and the items of `GET /v1/storage/offers`:
/// a provider's offer with its device's owner, network and status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferView {
    /// The provider device's owner.
    pub owner: Address,
    /// The provider device's network.
    pub network: String,
    /// Whether the provider device is active.
    pub device_active: bool,
    /// The offer as the ledger holds it.
    #[serde(flatten)]
    pub offer: StorageOffer,
}

/// A server-sent event of `GET /v1/events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A block was committed.
    Block {
        /// Its height.
        height: u64,
        /// Its hash.
        hash: Hash,
        /// Its time (Unix milliseconds).
        timestamp_ms: u64,
        /// How many transactions it holds.
        txs: usize,
        /// The state root after it.
        state_root: Hash,
    },
}

/// `?proof=true` on `GET /v1/accounts/{addr}` and `GET /v1/devices/{id}`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ProofQuery {
    /// Whether to add the state proof.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proof: bool,
}

/// The query of `GET /v1/accounts/{addr}/txs`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Most items (default 50, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/devices`. Values are kept as text so that the node can
/// say which one does not parse (`invalid_address`, `invalid_device_id`, …).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DevicesQuery {
    /// Only the devices of this owner (an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Only the devices of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Most items (default 1000, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Page after this device id (listing all devices, in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The query of `GET /v1/oracles`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct OraclesQuery {
    /// The set in force at this reward epoch (default: the current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
}

/// The query of `GET /v1/networks`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct NetworksQuery {
    /// The networks as in force in this reward epoch (default: the current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
}

/// The query of `GET /v1/registry`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct RegistryQuery {
    /// The digests as of this height (default: the head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

/// The query of `GET /v1/blocks`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct BlocksQuery {
    /// Most items (default 20, at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Only blocks below this height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
}

/// The query of `GET /v1/supply/epochs`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct SupplyEpochsQuery {
    /// Newest epoch to list (default: the latest with a record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// Most items (default 50, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The query of `GET /v1/storage/offers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OffersQuery {
    /// Only the offers of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Most items (default 1000, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Page after this provider device (offers come in device order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The query of `GET /v1/deals`: exactly one of `consumer`, `provider` and
/// `network`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DealsQuery {
    /// The deals of this consumer (an address), in any state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// The deals of this provider (a device id), in any state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The active deals of this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Most items (default 1000, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Page after this deal id (deals come in id order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_leave_out_what_is_not_set() {
        assert_eq!(
            serde_urlencoded::to_string(DevicesQuery::default()).unwrap(),
            ""
        );
        let q = DevicesQuery {
            network: Some("weather".into()),
            limit: Some(5),
            ..Default::default()
        };
        assert_eq!(
            serde_urlencoded::to_string(&q).unwrap(),
            "network=weather&limit=5"
        );
        assert_eq!(
            serde_urlencoded::to_string(ProofQuery { proof: true }).unwrap(),
            "proof=true"
        );
        assert_eq!(
            serde_urlencoded::to_string(ProofQuery { proof: false }).unwrap(),
            ""
        );
    }

    #[test]
    fn a_network_reads_its_family_without_the_oracle_cap() {
        let n = |params: serde_json::Value| NetworkView {
            name: "up".into(),
            family: "uptime".into(),
            params,
            share_bps: 0,
            usage_bps: 0,
            require_maker: false,
            epoch: 0,
            allowance: 0,
        };
        let capped = n(serde_json::json!({"heartbeat_interval_s": 10, "max_reports_per_epoch": 7}));
        assert!(matches!(
            capped.family().unwrap(),
            plinth_proofs::Family::Uptime(_)
        ));
        assert_eq!(capped.max_reports_per_epoch(30_000).unwrap(), 7);
        let bad = n(serde_json::json!({"max_reports_per_epoch": 0}));
        assert_eq!(
            bad.max_reports_per_epoch(30_000).unwrap_err().to_string(),
            "network `up`: max_reports_per_epoch must be a positive integer, found 0"
        );
    }
}
