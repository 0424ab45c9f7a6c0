//! Blocks and receipts.

use crate::error::TxError;
use crate::tx::SignedTx;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};

/// What a block commits to.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BlockHeader {
    pub chain_id: String,
    pub height: u64,
    pub parent: Hash,
    /// Milliseconds since the Unix epoch, chosen by the proposer.
    pub timestamp_ms: u64,
    pub proposer: Address,
    /// Merkle root of the transaction ids, in block order.
    pub tx_root: Hash,
    /// State root after applying this block.
    pub state_root: Hash,
}

impl BlockHeader {
    pub fn hash(&self) -> Hash {
        Hash::tagged("plinth/block", &plinth_core::encode(self))
    }
}

/// A sealed block: header, transactions and the proposer's signature over the
/// header hash.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block {
    pub header: BlockHeader,
    pub txs: Vec<SignedTx>,
    pub signature: Signature,
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Signs `header` as its proposer.
    pub fn seal(header: BlockHeader, txs: Vec<SignedTx>, key: &Keypair) -> Block {
        let signature = key.sign(header.hash().as_bytes());
        Block {
            header,
            txs,
            signature,
        }
    }

    pub fn verify_seal(&self) -> bool {
        self.header
            .proposer
            .key()
            .verify(self.hash().as_bytes(), &self.signature)
            .is_ok()
    }
}

/// The merkle root of transaction ids.
pub fn tx_root(txs: &[SignedTx]) -> Hash {
    let leaves: Vec<Hash> = txs
        .iter()
        .map(|t| plinth_core::merkle::leaf_hash(t.hash().as_bytes()))
        .collect();
    plinth_core::merkle::root(&leaves)
}

/// The outcome of one transaction in a block.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Receipt {
    pub tx_hash: Hash,
    pub index: u32,
    /// Fee charged (zero for a rejected transaction, which changes nothing).
    pub fee: u64,
    pub error: Option<TxError>,
}

impl Receipt {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}
