//! The JSON shapes of the HTTP API (`/v1`), shared by the server and its clients
//! (the wallet, the explorer, tests). Documented in `openapi.yaml`.

use plinth_core::{Address, DeviceId, Hash};
use plinth_ledger::accounts::Unbonding;
use plinth_ledger::devices::{Device, DeviceStatus};
use plinth_ledger::{Amount, BlockHeader, Receipt, SignedTx, Transaction};
use serde::{Deserialize, Serialize};

/// Every error response: `{"error": {"code": "...", "message": "...", ...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable: `bad_nonce`, `insufficient_funds`, `malformed`, …
    pub code: String,
    /// Human-readable.
    pub message: String,
    /// Structured fields of the error, when it has any (`expected`, `found`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenView {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    pub chain_id: String,
    pub genesis_hash: Hash,
    pub height: u64,
    pub head_hash: Hash,
    pub state_root: Hash,
    pub timestamp_ms: u64,
    pub block_time_ms: u64,
    pub mempool: usize,
    pub validator: Address,
    pub token: TokenView,
    pub min_fee: Amount,
    pub unbonding_blocks: u64,
    /// Reward epochs count from the genesis time in steps of `epoch_ms`.
    pub genesis_time_ms: u64,
    pub epoch_ms: u64,
    /// The reward epoch of the head block's timestamp (still running).
    pub epoch: u64,
}

/// `GET /v1/supply`: the supply record and what circulates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SupplyView {
    /// Σ balances at genesis.
    pub genesis: Amount,
    /// Minted by accepted reward manifests.
    pub minted: Amount,
    pub burned: Amount,
    /// Minted but not yet claimed.
    pub unclaimed: Amount,
    /// `genesis + minted − burned − unclaimed`: what accounts hold.
    pub circulating: Amount,
    pub height: u64,
}

/// `GET /v1/supply/epochs`: one reward epoch's minted and burned tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochSupplyView {
    pub epoch: u64,
    pub minted: Amount,
    pub burned: Amount,
    /// `minted − burned` (negative when consumers burned more than was emitted).
    pub net: i128,
}

/// `GET /v1/price`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceView {
    pub price: Option<plinth_ledger::credits::PricePoint>,
    pub credit_micro_usd: u64,
    pub price_max_age_ms: u64,
    /// The head block's time, against which freshness is judged.
    pub head_time_ms: u64,
    /// Whether a burn in the next block could use the price.
    pub fresh: bool,
}

/// `GET /v1/credits/{addr}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreditsView {
    pub address: Address,
    pub own: u64,
    pub delegated: u64,
    pub total: u64,
}

/// `GET /v1/rewards/{network}/{epoch}/claimed/{index}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimedView {
    pub claimed: bool,
}

/// `GET /v1/oracles`: the oracle set that signs reward manifests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OraclesView {
    pub threshold: u32,
    pub members: Vec<Address>,
}

/// A state proof: `value` (hex, absent for a non-existence proof) under
/// `state_root` at `height`; `proof` is the hex of the borsh-encoded jmt
/// `SparseMerkleProof`, over the key `key` (hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProofView {
    pub height: u64,
    pub state_root: Hash,
    pub key: String,
    pub value: Option<String>,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BondView {
    pub target: plinth_ledger::StakeTarget,
    pub amount: Amount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    /// False for an address that never held anything (all amounts zero).
    pub exists: bool,
    pub balance: Amount,
    pub nonce: u64,
    /// The nonce the next transaction should carry, counting pending ones.
    pub next_nonce: u64,
    pub bonded: Amount,
    pub unbonding: Vec<Unbonding>,
    pub bonds: Vec<BondView>,
    pub height: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: DeviceId,
    pub owner: Address,
    pub network: String,
    /// H3 cell, in the usual hex string form.
    pub location: String,
    pub lat: f64,
    pub lon: f64,
    pub resolution: u8,
    pub status: DeviceStatus,
    pub registered_height: u64,
    pub stake: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofView>,
}

impl DeviceView {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    Pending,
    Committed,
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TxView {
    pub hash: Hash,
    pub status: TxStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<Transaction>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockTx {
    pub hash: Hash,
    #[serde(flatten)]
    pub tx: Transaction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockView {
    pub hash: Hash,
    pub header: BlockHeader,
    pub txs: Vec<BlockTx>,
    pub receipts: Vec<Receipt>,
}

impl BlockView {
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockSummary {
    pub hash: Hash,
    pub height: u64,
    pub timestamp_ms: u64,
    pub txs: usize,
    pub proposer: Address,
    pub state_root: Hash,
}

/// `POST /v1/txs`: one transaction, hex of its canonical encoding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub tx: String,
}

/// `POST /v1/txs/batch`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub txs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub hash: Hash,
    pub status: TxStatus,
}

/// One verdict per transaction of a batch, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResponse {
    pub accepted: usize,
    pub results: Vec<BatchItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    pub hash: Hash,
    pub height: u64,
    pub index: u32,
    pub tx: Transaction,
    pub receipt: Option<Receipt>,
}
