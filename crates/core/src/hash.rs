//! 32-byte blake3 digests, the one hash Plinth uses for content addressing.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A blake3 digest.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash, used as the parent of the genesis block.
    pub const ZERO: Hash = Hash([0; 32]);

    /// Hashes `data`.
    pub fn of(data: &[u8]) -> Hash {
        Hash(*blake3::hash(data).as_bytes())
    }

    /// Hashes `data` under a domain tag so that digests of different kinds of object
    /// can never collide.
    pub fn tagged(tag: &str, data: &[u8]) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(&(tag.len() as u32).to_le_bytes());
        h.update(tag.as_bytes());
        h.update(data);
        Hash(*h.finalize().as_bytes())
    }

    /// The digest's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest as 64 lowercase hex characters (as `Display` writes it).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Why a hex hash could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid hash: expected 64 hex characters")]
pub struct HashParseError;

impl FromStr for Hash {
    type Err = HashParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashParseError)?;
        Ok(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..16])
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A chain's identity: what every message signed for one chain names (device
/// reports, storage receipts, oracle-signed manifests, prices and settlements), so
/// that it is worth nothing on any other. Derived from the hash of the chain's
/// genesis, not its free-form `chain_id` string, which two chains can share.
pub fn chain_identity(genesis_hash: &Hash) -> Hash {
    Hash::tagged("plinth/chain", genesis_hash.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_bad_input() {
        let h = Hash::of(b"plinth");
        assert_eq!(h.to_hex().parse::<Hash>().unwrap(), h);
        assert_eq!("zz".parse::<Hash>(), Err(HashParseError));
        assert!("00".repeat(31).parse::<Hash>().is_err());
    }

    #[test]
    fn tags_separate_domains() {
        assert_ne!(Hash::tagged("tx", b"x"), Hash::tagged("block", b"x"));
        assert_ne!(Hash::tagged("ab", b"c"), Hash::tagged("a", b"bc"));
    }
}
