//! Typed errors: a rejected transaction says exactly why; a block that cannot be
//! applied says which rule it broke.

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Why a transaction was rejected. A rejected transaction changes nothing.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    thiserror::Error,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TxError {
    #[error("transaction of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("malformed transaction: {reason}")]
    Malformed { reason: String },
    #[error("bad signature")]
    BadSignature,
    #[error("wrong chain: expected `{expected}`, found `{found}`")]
    WrongChain { expected: String, found: String },
    #[error("wrong nonce: expected {expected}, found {found}")]
    BadNonce { expected: u64, found: u64 },
    #[error("unknown account {address}")]
    UnknownAccount { address: String },
    #[error("insufficient funds: needed {needed}, available {available}")]
    InsufficientFunds { needed: Amount, available: Amount },
    #[error("fee too low: minimum {min}, found {found}")]
    FeeTooLow { min: Amount, found: Amount },
    #[error("amount must be greater than zero")]
    ZeroAmount,
    #[error("arithmetic overflow")]
    Overflow,
    #[error("unknown network `{network}`")]
    UnknownNetwork { network: String },
    #[error("invalid location: {reason}")]
    InvalidLocation { reason: String },
    #[error("device {device} is already registered")]
    DeviceExists { device: String },
    #[error("unknown device {device}")]
    UnknownDevice { device: String },
    #[error("device {device} is owned by {owner}, not the signer")]
    NotDeviceOwner { device: String, owner: String },
    #[error("device {device} is retired")]
    DeviceRetired { device: String },
    #[error("the device's signature does not prove possession of the device key")]
    BadDeviceSignature,
    #[error("{address} is not a validator")]
    UnknownValidator { address: String },
    #[error("insufficient bond: bonded {bonded}, requested {requested}")]
    InsufficientBond { bonded: Amount, requested: Amount },
    #[error(
        "nothing to withdraw: {pending} still unbonding, next release at height {next_release}"
    )]
    NothingToWithdraw { pending: Amount, next_release: u64 },
    #[error("too many unbonding entries (limit {limit}); withdraw first")]
    TooManyUnbonding { limit: u64 },
    #[error("duplicate transaction in block")]
    Duplicate,
    #[error("epoch {epoch} is not over: it ends at {ends_at_ms} ms")]
    EpochNotOver { epoch: u64, ends_at_ms: u64 },
    #[error("the manifest for epoch {epoch} is too old: epoch {current_epoch} accepts manifests of at most {max_age_epochs} epochs before it")]
    ManifestTooOld {
        epoch: u64,
        current_epoch: u64,
        max_age_epochs: u64,
    },
    #[error("a reward manifest for network `{network}` epoch {epoch} was already accepted")]
    ManifestExists { network: String, epoch: u64 },
    #[error(
        "the manifest pays {total}, more than the {allowed} the network may emit in its epoch"
    )]
    OverEmission { total: Amount, allowed: Amount },
    #[error("{valid} valid oracle signatures, {threshold} required")]
    NotEnoughOracleSignatures { valid: u32, threshold: u32 },
    #[error("{count} signatures, at most {limit} allowed")]
    TooManySignatures { count: u64, limit: u64 },
    #[error("the manifest pays {total} to no devices")]
    EmptyManifest { total: Amount },
    #[error("this chain has no oracle set, so it accepts no reward manifests")]
    NoOracleSet,
    #[error("no reward manifest for network `{network}` epoch {epoch}")]
    UnknownManifest { network: String, epoch: u64 },
    #[error("the merkle proof does not prove this entry under the manifest's root")]
    BadProof,
    #[error("entry {index} of network `{network}` epoch {epoch} is already claimed")]
    AlreadyClaimed {
        network: String,
        epoch: u64,
        index: u64,
    },
    #[error("only the validator admin ({}) may change the validator set", admin.as_deref().unwrap_or("none on this chain"))]
    NotValidatorAdmin { admin: Option<String> },
    #[error("the validator set cannot be empty")]
    EmptyValidatorSet,
    #[error("{count} validators, at most {limit}")]
    TooManyValidators { count: u64, limit: u64 },
    #[error("validator {address} is listed twice")]
    DuplicateValidator { address: String },
    #[error("validator {address}: the key is not a valid ed25519 public key")]
    InvalidValidatorKey { address: String },
    #[error("validator {address}: a name must be 1 to 64 characters")]
    BadValidatorName { address: String },
    #[error("no token price has been posted: burning for credits needs one")]
    NoPrice,
    #[error("the token price is {age_ms} ms old, older than the {max_ms} ms a burn may use")]
    StalePrice { age_ms: u64, max_ms: u64 },
    #[error("the price is {ahead_ms} ms ahead of the block's time")]
    PriceFromFuture { ahead_ms: u64 },
    #[error("the price of {found_ms} is not newer than the current one of {current_ms}")]
    OldPrice { current_ms: u64, found_ms: u64 },
    #[error("burning {amount} at {micro_usd_per_token} µUSD per token buys no credit")]
    BurnTooSmall {
        amount: Amount,
        micro_usd_per_token: u64,
    },
    #[error("insufficient credits: needed {needed}, available {available}")]
    InsufficientCredits { needed: u64, available: u64 },
    #[error("network `{network}` is a `{family}` network, not a storage network")]
    NotStorageNetwork { network: String, family: String },
    #[error("invalid provider endpoint: {reason}")]
    BadEndpoint { reason: String },
    #[error("device {device} offers no storage")]
    NoStorageOffer { device: String },
    #[error("invalid deal manifest: {reason}")]
    BadManifest { reason: String },
    #[error("a deal lasts 1 to {max} epochs, not {epochs}")]
    BadDealTerm { epochs: u64, max: u64 },
    #[error("the deal offers {offered} credits per epoch; the provider asks {required}")]
    PriceBelowOffer { offered: u64, required: u64 },
    #[error("insufficient collateral: needed {needed}, free {available}")]
    InsufficientCollateral { needed: Amount, available: Amount },
    #[error("{count} deal results, at most {limit} per settlement")]
    TooManyResults { count: u64, limit: u64 },
    #[error("no deal {deal}")]
    UnknownDeal { deal: String },
    #[error("deal {deal} has ended")]
    DealNotActive { deal: String },
    #[error("deal {deal} can be closed from epoch {closable_from_epoch} on")]
    DealNotExpired {
        deal: String,
        closable_from_epoch: u64,
    },
    #[error("the provider's collateral for this deal would be {offered}, less than the {asked} asked for")]
    CollateralBelowAsked { asked: Amount, offered: Amount },
    #[error("deal {deal} is not pending")]
    DealNotPending { deal: String },
    #[error("the receipt is not the provider device's signature over the deal and its manifest")]
    BadReceipt,
    #[error("deal {deal} was not activated in time: it expired at epoch {epoch}")]
    DealExpired { deal: String, epoch: u64 },
}

/// Why a block could not be applied, or the store failed underneath the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("block height {found} does not follow head {head}")]
    BadHeight { head: u64, found: u64 },
    #[error("block parent {found} is not the head {expected}")]
    BadParent { expected: String, found: String },
    #[error("block for chain `{found}`, expected `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error("block proposer {proposer} is not a validator")]
    UnknownProposer { proposer: String },
    #[error("bad block signature")]
    BadBlockSignature,
    #[error("block transaction root mismatch")]
    TxRootMismatch,
    #[error("block state root {claimed} differs from computed {computed}")]
    StateRootMismatch { claimed: String, computed: String },
    #[error("block timestamp {found} is before its parent's {parent}")]
    BadTimestamp { parent: u64, found: u64 },
    #[error("state is not initialised: no genesis")]
    NoGenesis,
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state entry {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("transaction rejected: {0}")]
    Rejected(TxError),
    #[error("store: {0}")]
    Store(#[from] anyhow::Error),
}
