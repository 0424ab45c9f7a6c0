//! Blocks: the header, its seal and the block's id.

use crate::tx::SignedTx;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};

/// A receipt is what executing a block yields ([`crate::outcome`]); re-exported
/// here beside the block it belongs to.
pub use crate::outcome::Receipt;

/// What a block commits to.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BlockHeader {
    /// The chain this block belongs to (the genesis `chain_id`).
    pub chain_id: String,
    /// Height of the block (genesis is 0).
    pub height: u64,
    /// The parent's id ([`block_hash`]); the genesis block names the genesis file's hash.
    pub parent: Hash,
    /// Milliseconds since the Unix epoch, chosen by the proposer.
    pub timestamp_ms: u64,
    /// The validator that proposed and sealed the block.
    pub proposer: Address,
    /// Merkle root of the transaction ids ([`SignedTx::hash`], which covers the
    /// signatures), in block order.
    pub tx_root: Hash,
    /// State root after applying this block.
    pub state_root: Hash,
}

impl BlockHeader {
    /// What the proposer signs. Not the block's id: that is [`block_hash`], which
    /// also covers the seal.
    pub fn seal_hash(&self) -> Hash {
        Hash::tagged("plinth/header", &plinth_core::encode(self))
    }
}

/// A block's id: the hash of its header and its seal. With `tx_root` over
/// signed-transaction ids, it commits to every byte of the block, so two blocks
/// with one id are the same block (a proposer cannot hand different validators
/// different seals or signatures under one id).
pub fn block_hash(header: &BlockHeader, seal: &Signature) -> Hash {
    let mut bytes = header.seal_hash().as_bytes().to_vec();
    bytes.extend_from_slice(&seal.0);
    Hash::tagged("plinth/block", &bytes)
}

/// A header with its proposer's seal: all that names a block (its id, the parent
/// a child refers to), without the transactions. Derefs to the header.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SealedHeader {
    /// The header.
    pub header: BlockHeader,
    /// The proposer's seal over [`BlockHeader::seal_hash`].
    pub signature: Signature,
}

impl SealedHeader {
    /// The sealed header of the block whose canonical encoding is `bytes`, read
    /// without decoding the transactions: a block encodes as its header, its
    /// transactions, then its 64-byte seal. For blocks from a trusted store (the
    /// transactions in between are not checked); decode a [`Block`] from peers.
    pub fn of_encoded_block(bytes: &[u8]) -> std::io::Result<SealedHeader> {
        let mut rest = bytes;
        let header = <BlockHeader as BorshDeserialize>::deserialize(&mut rest)?;
        // At least the transaction count (4 bytes) and the seal follow.
        let Some(at) = rest.len().checked_sub(64).filter(|&at| at >= 4) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "a block encoding ends before its transactions and seal",
            ));
        };
        let mut seal = [0u8; 64];
        seal.copy_from_slice(&rest[at..]);
        Ok(SealedHeader {
            header,
            signature: Signature(seal),
        })
    }

    /// The block's id ([`block_hash`]).
    pub fn hash(&self) -> Hash {
        block_hash(&self.header, &self.signature)
    }

    /// Whether the seal is the proposer's signature over the header.
    pub fn verify_seal(&self) -> bool {
        verify_seal(&self.header, &self.signature)
    }
}

impl std::ops::Deref for SealedHeader {
    type Target = BlockHeader;

    fn deref(&self) -> &BlockHeader {
        &self.header
    }
}

fn verify_seal(header: &BlockHeader, seal: &Signature) -> bool {
    header
        .proposer
        .key()
        .verify(header.seal_hash().as_bytes(), seal)
        .is_ok()
}

/// A sealed block: header, transactions and the proposer's signature over the
/// header's [`BlockHeader::seal_hash`].
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    pub txs: Vec<SignedTx>,
    /// The proposer's seal over [`BlockHeader::seal_hash`].
    pub signature: Signature,
}

impl Block {
    /// The block's id ([`block_hash`]).
    pub fn hash(&self) -> Hash {
        block_hash(&self.header, &self.signature)
    }

    /// The header and seal, without the transactions.
    pub fn sealed_header(&self) -> SealedHeader {
        SealedHeader {
            header: self.header.clone(),
            signature: self.signature,
        }
    }

    /// Signs `header` as its proposer.
    pub fn seal(header: BlockHeader, txs: Vec<SignedTx>, key: &Keypair) -> Block {
        let signature = key.sign(header.seal_hash().as_bytes());
        Block {
            header,
            txs,
            signature,
        }
    }

    /// Whether the seal is the proposer's signature over the header.
    pub fn verify_seal(&self) -> bool {
        verify_seal(&self.header, &self.signature)
    }

    /// Whether the header's `tx_root` is the root of the block's transactions:
    /// with it, the block's id covers the whole body.
    pub fn body_matches(&self) -> bool {
        tx_root(&self.txs) == self.header.tx_root
    }
}

/// The merkle root of signed-transaction ids ([`SignedTx::hash`]).
pub fn tx_root(txs: &[SignedTx]) -> Hash {
    tx_root_of_ids(&crate::execute::tx_ids(txs))
}

/// [`tx_root`] of transactions whose ids are at hand, in block order.
pub fn tx_root_of_ids(ids: &[Hash]) -> Hash {
    let leaves: Vec<Hash> = ids
        .iter()
        .map(|id| plinth_core::merkle::leaf_hash(id.as_bytes()))
        .collect();
    plinth_core::merkle::root(&leaves)
}
