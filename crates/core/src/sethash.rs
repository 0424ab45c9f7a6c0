//! An order-independent, incrementally updatable hash of a multiset: [`SetHash`].
//!
//! What the ledger keeps per network as the digest of its device registry, so that
//! a registry of a million devices is hashed once by whoever reads it and updated
//! in O(1) by each transaction that changes one device: remove the old leaf,
//! insert the new one.
//!
//! # Construction (LtHash)
//!
//! The state is a vector of [`LANES`] 16-bit lanes (2048 bytes). An element maps
//! to a vector of the same shape: the first 2048 bytes of the BLAKE3 XOF of the
//! element under a derived key ([`ELEMENT_CONTEXT`]), read as little-endian
//! `u16`s. Inserting adds that vector lane-wise with wrapping arithmetic
//! (mod 2¹⁶), removing subtracts it. Addition commutes, so the hash of a multiset
//! does not depend on the order its elements came in, and two hashes of disjoint
//! parts [`SetHash::combine`] into the hash of their union, so a large set can be
//! hashed in parallel. [`SetHash::digest`] condenses the lanes into a 32-byte
//! [`Hash`] to publish or compare.
//!
//! # Why 2048 bytes and not a 256-bit sum
//!
//! A sum of 256-bit element hashes (mod 2²⁵⁶) is as easy to update but not
//! collision resistant: Wagner's generalized birthday attack (the k-tree
//! algorithm) finds a list of elements whose hashes sum to any chosen target in
//! about 2^(256/(1+lg k)) work for k elements, which is practical for the
//! thousands of elements a registry holds, so a forger could present a different
//! registry with the same digest. With 1024 lanes of 16 bits (LtHash, Bellare and
//! Micciancio's construction as Meta's LtHash uses it), finding such a collision
//! is a short-vector problem in a lattice of dimension 1024, for which no attack
//! better than about 2²⁰⁰ is known.
//!
//! It is a multiset hash: inserting an element twice counts it twice, and
//! removing an element that was never inserted yields a state no set has. Callers
//! keep each leaf in at most once (the ledger: one leaf per device).

use crate::hash::Hash;
use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::io::{Read, Write};

/// Lanes of the state.
pub const LANES: usize = 1024;
/// Bytes of the state (and of its encoding): 1024 lanes of 2 bytes.
pub const BYTES: usize = LANES * 2;
/// The BLAKE3 key-derivation context that maps an element to its lanes.
pub const ELEMENT_CONTEXT: &str = "plinth/sethash/v1 element";
/// The tag [`SetHash::digest`] hashes the lanes under.
pub const DIGEST_TAG: &str = "plinth/sethash";

/// An LtHash of a multiset of byte strings (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
pub struct SetHash {
    lanes: Box<[u16; LANES]>,
}

impl Default for SetHash {
    fn default() -> Self {
        SetHash::new()
    }
}

impl SetHash {
    /// The hash of the empty set (every lane zero).
    pub fn new() -> SetHash {
        SetHash {
            lanes: Box::new([0; LANES]),
        }
    }

    /// Whether this is the hash of the empty set (or of insertions that cancelled).
    pub fn is_empty(&self) -> bool {
        self.lanes.iter().all(|&l| l == 0)
    }

    /// Adds `elem` to the set.
    pub fn insert(&mut self, elem: &[u8]) {
        let e = element_lanes(elem);
        for (l, x) in self.lanes.iter_mut().zip(e.iter()) {
            *l = l.wrapping_add(*x);
        }
    }

    /// Takes `elem` out of the set (the inverse of [`SetHash::insert`]).
    pub fn remove(&mut self, elem: &[u8]) {
        let e = element_lanes(elem);
        for (l, x) in self.lanes.iter_mut().zip(e.iter()) {
            *l = l.wrapping_sub(*x);
        }
    }

    /// Adds every element of `other` (the union of two disjoint parts, hashed apart).
    pub fn combine(&mut self, other: &SetHash) {
        for (l, x) in self.lanes.iter_mut().zip(other.lanes.iter()) {
            *l = l.wrapping_add(*x);
        }
    }

    /// The lanes as 2048 little-endian bytes (the encoding).
    pub fn to_bytes(&self) -> [u8; BYTES] {
        let mut out = [0u8; BYTES];
        for (chunk, l) in out.chunks_exact_mut(2).zip(self.lanes.iter()) {
            chunk.copy_from_slice(&l.to_le_bytes());
        }
        out
    }

    /// The state from its 2048 little-endian bytes.
    pub fn from_bytes(bytes: &[u8; BYTES]) -> SetHash {
        let mut lanes = Box::new([0u16; LANES]);
        for (l, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *l = u16::from_le_bytes([chunk[0], chunk[1]]);
        }
        SetHash { lanes }
    }

    /// A 32-byte digest of the state: `Hash::tagged("plinth/sethash", lanes as
    /// little-endian bytes)`.
    pub fn digest(&self) -> Hash {
        Hash::tagged(DIGEST_TAG, &self.to_bytes())
    }
}

/// An element's lanes: the first [`BYTES`] bytes of its keyed BLAKE3 XOF.
fn element_lanes(elem: &[u8]) -> [u16; LANES] {
    let mut bytes = [0u8; BYTES];
    blake3::Hasher::new_derive_key(ELEMENT_CONTEXT)
        .update(elem)
        .finalize_xof()
        .fill(&mut bytes);
    let mut lanes = [0u16; LANES];
    for (l, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
        *l = u16::from_le_bytes([chunk[0], chunk[1]]);
    }
    lanes
}

impl fmt::Debug for SetHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetHash({:?})", self.digest())
    }
}

/// Encoded as exactly [`BYTES`] bytes (the lanes, little-endian, no length prefix).
impl BorshSerialize for SetHash {
    fn serialize<W: Write>(&self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(&self.to_bytes())
    }
}

/// Reads exactly [`BYTES`] bytes: the size is fixed, so nothing a peer sends can
/// make it allocate more.
impl BorshDeserialize for SetHash {
    fn deserialize_reader<R: Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut bytes = [0u8; BYTES];
        reader.read_exact(&mut bytes)?;
        Ok(SetHash::from_bytes(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(elems: &[&[u8]]) -> SetHash {
        let mut s = SetHash::new();
        for e in elems {
            s.insert(e);
        }
        s
    }

    #[test]
    fn order_does_not_matter() {
        let a = of(&[b"alpha", b"beta", b"gamma"]);
        let b = of(&[b"gamma", b"alpha", b"beta"]);
        assert_eq!(a, b);
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn remove_undoes_insert() {
        let base = of(&[b"alpha", b"beta"]);
        let mut s = base.clone();
        s.insert(b"gamma");
        assert_ne!(s, base);
        s.remove(b"gamma");
        assert_eq!(s, base);
        s.remove(b"alpha");
        s.remove(b"beta");
        assert!(s.is_empty());
        assert_eq!(s.digest(), SetHash::new().digest());
    }

    #[test]
    fn distinct_sets_differ() {
        let digests = [
            SetHash::new().digest(),
            of(&[b"alpha"]).digest(),
            of(&[b"beta"]).digest(),
            of(&[b"alpha", b"beta"]).digest(),
            of(&[b"alpha", b"alpha"]).digest(),
            of(&[b""]).digest(),
        ];
        for (i, a) in digests.iter().enumerate() {
            for b in &digests[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn combine_is_the_union() {
        let mut left = of(&[b"alpha", b"beta"]);
        left.combine(&of(&[b"gamma"]));
        assert_eq!(left, of(&[b"alpha", b"beta", b"gamma"]));
    }

    #[test]
    fn borsh_round_trip_is_exactly_2048_bytes() {
        let s = of(&[b"alpha", b"beta"]);
        let bytes = crate::encode(&s);
        assert_eq!(bytes.len(), BYTES);
        assert_eq!(crate::decode::<SetHash>(&bytes, BYTES).unwrap(), s);
        assert!(crate::decode::<SetHash>(&bytes[..BYTES - 1], BYTES).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(crate::decode::<SetHash>(&longer, 2 * BYTES).is_err());
    }

    #[test]
    fn the_digest_is_the_tagged_hash_of_the_lanes() {
        let s = of(&[b"alpha"]);
        assert_eq!(s.digest(), Hash::tagged(DIGEST_TAG, &crate::encode(&s)));
    }
}
