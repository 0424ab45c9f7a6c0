//! Chain parameters fixed by the genesis and kept in state, so that every node reads
//! the same values at the same height.

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Parameters every transaction is checked against.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ChainParams {
    pub chain_id: String,
    pub token_name: String,
    pub token_symbol: String,
    pub decimals: u8,
    pub block_time_ms: u64,
    pub min_fee: Amount,
    pub unbonding_blocks: u64,
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
    pub name: String,
    pub family: String,
    /// The family's parameters as canonical JSON (sorted keys); opaque to the ledger.
    pub params_json: String,
    /// The network's share of each epoch's emission, in basis points.
    pub share_bps: u32,
    /// The part of the network's share paid in proportion to the credits its
    /// devices earned from consumers in the epoch (usage rewards), in basis points;
    /// the rest pays proofs of work.
    pub usage_bps: u32,
}

impl Network {
    /// The kind of the proof family the network names.
    pub fn kind(&self) -> Result<plinth_core::FamilyKind, plinth_core::UnknownFamily> {
        self.family.parse()
    }
}

/// A member of the validator set.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Validator {
    pub address: plinth_core::Address,
    pub name: String,
}
