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
