//! The ledger's block as commonware's consensus sees it.
//!
//! Consensus orders digests; marshal moves whole blocks. [`Block`] wraps the
//! ledger's sealed [`plinth_ledger::Block`] (header, transactions, proposer's
//! signature) and gives it the traits commonware needs: a digest (the ledger
//! block's id, [`plinth_ledger::block_hash`], over the header and the seal; the
//! header's `tx_root` covers the signed transactions), a height, a parent, and a
//! canonical codec (borsh behind a bounded length prefix).
//!
//! A [`Block`] exists only when its body matches its header's `tx_root`, so a
//! digest names exactly one block: a byzantine proposer cannot hand some
//! validators a copy with other transaction signatures under the digest the
//! others vote on (the decoder refuses it), and a copy with another seal has
//! another digest. The seal itself is checked when the block is verified
//! ([`plinth_ledger::apply_block`]), before anyone votes for it.

use bytes::BufMut;
use commonware_codec::{
    varint::UInt, Buf, EncodeSize, Error as CodecError, Read, ReadExt as _, Write,
};
use commonware_consensus::{types::Height, Heightable};
use commonware_cryptography::{sha256, Digestible};
use plinth_core::Hash;
use std::sync::Arc;

/// The digest consensus votes on: the 32 bytes of the ledger block's id.
pub type Digest = sha256::Digest;

/// Turns a ledger hash into the digest consensus uses.
pub fn digest_of(hash: &Hash) -> Digest {
    sha256::Digest(*hash.as_bytes())
}

/// Turns a consensus digest back into a ledger hash.
pub fn hash_of(digest: &Digest) -> Hash {
    Hash(digest.0)
}

/// A sealed ledger block, shared cheaply between consensus, marshal and the
/// application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    inner: Arc<plinth_ledger::Block>,
    digest: Digest,
}

/// Why a ledger block cannot be a consensus block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The transactions are not the ones the header's `tx_root` commits to.
    #[error("block {height}: its transactions do not match the header's tx_root")]
    BodyMismatch {
        /// The block's height.
        height: u64,
    },
}

impl Block {
    /// Wraps a ledger block; refuses one whose transactions do not match its
    /// header (its digest would not cover them).
    pub fn new(block: plinth_ledger::Block) -> Result<Block, BlockError> {
        if !block.body_matches() {
            return Err(BlockError::BodyMismatch {
                height: block.header.height,
            });
        }
        let digest = digest_of(&block.hash());
        Ok(Block {
            inner: Arc::new(block),
            digest,
        })
    }

    /// The ledger block.
    pub fn ledger(&self) -> &plinth_ledger::Block {
        &self.inner
    }

    /// The ledger block, shared.
    pub fn shared(&self) -> Arc<plinth_ledger::Block> {
        self.inner.clone()
    }

    /// The ledger block's header.
    pub fn header(&self) -> &plinth_ledger::BlockHeader {
        &self.inner.header
    }

    /// The ledger block's hash (its id), the same bytes as the consensus digest.
    pub fn hash(&self) -> Hash {
        hash_of(&self.digest)
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.inner.header.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        digest_of(&self.inner.header.parent)
    }
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        let bytes = plinth_core::encode(&*self.inner);
        UInt(bytes.len() as u64).write(buf);
        buf.put_slice(&bytes);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        let len = borsh::object_length(&*self.inner).expect("block encodes");
        UInt(len as u64).encode_size() + len
    }
}

impl Read for Block {
    /// The largest encoded block accepted, in bytes.
    type Cfg = usize;

    fn read_cfg(buf: &mut impl Buf, max: &usize) -> Result<Self, CodecError> {
        let len = UInt::<u64>::read(buf)?.0;
        let len = usize::try_from(len).map_err(|_| CodecError::InvalidLength(usize::MAX))?;
        if len > *max {
            return Err(CodecError::InvalidLength(len));
        }
        if buf.remaining() < len {
            return Err(CodecError::EndOfBuffer);
        }
        let mut bytes = vec![0u8; len];
        buf.copy_to_slice(&mut bytes);
        // Borsh is canonical for the ledger's types and `from_slice` refuses
        // trailing bytes, so decode(encode(b)) == b holds both ways.
        let block: plinth_ledger::Block = borsh::from_slice(&bytes)
            .map_err(|e| CodecError::Wrapped("plinth block", Box::new(e)))?;
        Block::new(block).map_err(|e| CodecError::Wrapped("plinth block", Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode as _;
    use plinth_core::{Address, Keypair};
    use plinth_ledger::BlockHeader;

    fn sample() -> Block {
        let key = Keypair::from_seed([1; 32]);
        let header = BlockHeader {
            chain_id: "t".into(),
            height: 7,
            parent: Hash::tagged("p", b"x"),
            timestamp_ms: 42,
            proposer: Address(key.public()),
            tx_root: Hash::ZERO,
            state_root: Hash::tagged("s", b"y"),
        };
        Block::new(plinth_ledger::Block::seal(header, Vec::new(), &key)).unwrap()
    }

    #[test]
    fn codec_round_trip_and_limits() {
        let b = sample();
        let bytes = b.encode();
        assert_eq!(bytes.len(), b.encode_size());
        let back = Block::read_cfg(&mut bytes.clone(), &1024).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.digest(), b.digest());
        assert_eq!(back.height(), Height::new(7));
        // Over the limit: refused before anything is allocated for it.
        assert!(matches!(
            Block::read_cfg(&mut bytes.clone(), &10),
            Err(CodecError::InvalidLength(_))
        ));
        // Truncated.
        let short = bytes.slice(..bytes.len() - 1);
        assert!(Block::read_cfg(&mut short.clone(), &1024).is_err());
        // Trailing garbage inside the length prefix is refused by borsh.
        let mut padded = Vec::new();
        let inner = plinth_core::encode(b.ledger());
        UInt((inner.len() + 1) as u64).write(&mut padded);
        padded.extend_from_slice(&inner);
        padded.push(0);
        assert!(Block::read_cfg(&mut bytes::Bytes::from(padded), &1024).is_err());
    }

    fn with_tx() -> (plinth_ledger::Block, Keypair) {
        let key = Keypair::from_seed([1; 32]);
        let user = Keypair::from_seed([2; 32]);
        let tx = plinth_ledger::Transaction {
            chain_id: "t".into(),
            signer: Address(user.public()),
            nonce: 0,
            fee: 1,
            call: plinth_ledger::Call::Withdraw,
        }
        .sign(&user);
        let txs = vec![tx];
        let header = BlockHeader {
            chain_id: "t".into(),
            height: 7,
            parent: Hash::tagged("p", b"x"),
            timestamp_ms: 42,
            proposer: Address(key.public()),
            tx_root: plinth_ledger::block::tx_root(&txs),
            state_root: Hash::tagged("s", b"y"),
        };
        (plinth_ledger::Block::seal(header, txs, &key), key)
    }

    /// A copy of a block with another transaction signature under the same
    /// header is no block at all: the decoder and the constructor refuse it.
    #[test]
    fn a_changed_transaction_signature_is_refused_under_the_same_header() {
        let (good, _) = with_tx();
        let good = Block::new(good).unwrap();
        let mut forged = good.ledger().clone();
        forged.txs[0].signature.0[0] ^= 1;
        assert_eq!(
            Block::new(forged.clone()),
            Err(BlockError::BodyMismatch { height: 7 })
        );
        let mut bytes = Vec::new();
        let inner = plinth_core::encode(&forged);
        UInt(inner.len() as u64).write(&mut bytes);
        bytes.extend_from_slice(&inner);
        assert!(Block::read_cfg(&mut bytes::Bytes::from(bytes), &(1 << 20)).is_err());
        // Dropping the transaction is refused the same way.
        let mut emptied = good.ledger().clone();
        emptied.txs.clear();
        assert!(Block::new(emptied).is_err());
    }

    /// Another seal (garbage, or the proposer's second signature) makes another
    /// digest: one digest, one seal.
    #[test]
    fn the_digest_covers_the_seal() {
        let (good, key) = with_tx();
        let digest = Block::new(good.clone()).unwrap().digest();
        let mut garbage = good.clone();
        garbage.signature.0[10] ^= 1;
        let garbage = Block::new(garbage).unwrap();
        assert_ne!(garbage.digest(), digest);
        assert!(!garbage.ledger().verify_seal());
        // Still a valid seal, but not the one voted on.
        let other = plinth_ledger::Block {
            signature: key.sign(b"something else"),
            ..good.clone()
        };
        assert_ne!(Block::new(other).unwrap().digest(), digest);
        assert_eq!(digest_of(&good.sealed_header().hash()), digest);
    }
}
