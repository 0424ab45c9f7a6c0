//! Chain parameters fixed by the genesis and kept in state, so that every node reads
//! the same values at the same height.

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Parameters every transaction is checked against.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ChainParams {
    /// The chain's name, which every transaction and block names.
    pub chain_id: String,
    /// The token's name.
    pub token_name: String,
    /// The token's ticker symbol.
    pub token_symbol: String,
    /// Decimal places of a whole token.
    pub decimals: u8,
    /// Target interval between blocks.
    pub block_time_ms: u64,
    /// The smallest fee a transaction may pay.
    pub min_fee: Amount,
    /// Blocks between an unbond and the withdrawal of its tokens.
    pub unbonding_blocks: u64,
    /// How many unbonding entries one account may have at once.
    pub max_unbonding_entries: u64,
    /// Timestamp of the genesis block; reward epochs count from it.
    pub genesis_time_ms: u64,
    /// The emission schedule (epoch length, initial rate, halving, tail).
    pub emission: crate::emission::Emission,
    /// The chain's identity ([`plinth_core::chain_identity`] of the genesis hash):
    /// every oracle-signed message and storage receipt must name it.
    pub chain: plinth_core::Hash,
}

/// A network of devices and the proof family that verifies their work.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Network {
    /// The network's name (`[a-z0-9-]`, at most 32 characters).
    pub name: String,
    /// The proof family that verifies its work (`uptime`, `storage`, …).
    pub family: String,
    /// The family's parameters as canonical JSON (sorted keys); opaque to the ledger.
    pub params_json: String,
    /// The network's share of each epoch's emission, in basis points.
    pub share_bps: u32,
    /// The part of the network's share paid in proportion to the credits its
    /// devices earned from consumers in the epoch (usage rewards), in basis points;
    /// the rest pays proofs of work.
    pub usage_bps: u32,
    /// Whether devices must be onboarded by an approved maker
    /// ([`crate::governance::makers`]).
    pub require_maker: bool,
}

/// The longest network name.
pub const MAX_NETWORK_NAME: usize = 32;

impl Network {
    /// Whether `name` may name a network: 1 to [`MAX_NETWORK_NAME`] characters of
    /// `a-z`, `0-9` and `-` (so a name ends unambiguously inside state keys).
    pub fn valid_name(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NETWORK_NAME
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    }

    /// The kind of the proof family the network names.
    pub fn kind(&self) -> Result<plinth_core::FamilyKind, plinth_core::UnknownFamily> {
        self.family.parse()
    }
}

/// A member of the validator set.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Validator {
    /// The validator's address (its consensus key).
    pub address: plinth_core::Address,
    /// A name for people (1 to 64 characters).
    pub name: String,
}

/// The chain's credit settings: genesis `[credits]`, kept under `sys/credit_params`
/// when given; absent means the defaults.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct CreditParams {
    /// The fiat price of one credit, in micro-USD (10 = $0.00001).
    pub credit_micro_usd: u64,
    /// The oldest price a burn may use, milliseconds before the block's time.
    pub price_max_age_ms: u64,
}

impl Default for CreditParams {
    fn default() -> Self {
        CreditParams {
            credit_micro_usd: 10,
            price_max_age_ms: 10 * 60 * 1000,
        }
    }
}

impl CreditParams {
    /// Checks the settings; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.credit_micro_usd == 0 {
            return Err("credits.credit_micro_usd must be positive".into());
        }
        if self.price_max_age_ms == 0 {
            return Err("credits.price_max_age_ms must be positive".into());
        }
        Ok(())
    }
}

/// The chain's storage settings: genesis `[storage]`, under `sys/storage_params`
/// when given; absent means the defaults.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct StorageParams {
    /// Failed epochs in a row after which a deal is slashed and ended.
    pub max_failures: u32,
    /// The longest deal, in epochs.
    pub max_deal_epochs: u64,
    /// Epochs a pending deal waits for its provider's receipt before anyone may
    /// close it (everything refunded).
    pub accept_epochs: u64,
    /// Whether provider endpoints may name loopback, private or link-local
    /// addresses (devnet and testnet: providers on one machine or a LAN). Off by
    /// default: the oracle connects to every endpoint, so a private one would let
    /// anyone make it send requests into its own network.
    pub allow_private_endpoints: bool,
}

impl Default for StorageParams {
    fn default() -> Self {
        StorageParams {
            max_failures: 3,
            max_deal_epochs: 100_000,
            accept_epochs: 4,
            allow_private_endpoints: false,
        }
    }
}

impl StorageParams {
    /// Checks the settings; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_failures == 0 {
            return Err("storage.max_failures must be at least 1".into());
        }
        if self.max_deal_epochs == 0 {
            return Err("storage.max_deal_epochs must be at least 1".into());
        }
        if self.accept_epochs == 0 {
            return Err("storage.accept_epochs must be at least 1".into());
        }
        Ok(())
    }
}
