//! Binary merkle trees over blake3 with domain-separated leaves and nodes.
//!
//! Built on `rs_merkle`; leaves are hashed as `H(0x00 ‖ data)` and inner nodes as
//! `H(0x01 ‖ left ‖ right)` so that a leaf can never be passed off as a node. An odd
//! node at the end of a level is promoted unchanged (rs_merkle's rule).

use crate::hash::Hash;
use rs_merkle::{Hasher, MerkleProof, MerkleTree};

#[derive(Clone)]
struct Blake3Node;

impl Hasher for Blake3Node {
    type Hash = [u8; 32];

    fn hash(data: &[u8]) -> [u8; 32] {
        *blake3::hash(data).as_bytes()
    }

    fn concat_and_hash(left: &[u8; 32], right: Option<&[u8; 32]>) -> [u8; 32] {
        match right {
            Some(r) => {
                let mut h = blake3::Hasher::new();
                h.update(&[1]);
                h.update(left);
                h.update(r);
                *h.finalize().as_bytes()
            }
            None => *left,
        }
    }
}

/// The hash of one leaf's data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(&[0]);
    h.update(data);
    Hash(*h.finalize().as_bytes())
}

/// The root over leaf hashes (see [`leaf_hash`]); the zero hash for no leaves.
pub fn root(leaves: &[Hash]) -> Hash {
    let raw: Vec<[u8; 32]> = leaves.iter().map(|h| h.0).collect();
    MerkleTree::<Blake3Node>::from_leaves(&raw)
        .root()
        .map(Hash)
        .unwrap_or(Hash::ZERO)
}

/// An inclusion proof of one leaf.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Proof {
    /// The leaf's position, from 0.
    pub index: u64,
    /// How many leaves the tree has.
    pub leaf_count: u64,
    /// The sibling hashes on the path from the leaf to the root, leaf first.
    pub siblings: Vec<Hash>,
}

/// Builds the inclusion proof of leaf `index`.
pub fn prove(leaves: &[Hash], index: usize) -> Option<Proof> {
    if index >= leaves.len() {
        return None;
    }
    let raw: Vec<[u8; 32]> = leaves.iter().map(|h| h.0).collect();
    let tree = MerkleTree::<Blake3Node>::from_leaves(&raw);
    let proof = tree.proof(&[index]);
    Some(Proof {
        index: index as u64,
        leaf_count: leaves.len() as u64,
        siblings: proof.proof_hashes().iter().map(|h| Hash(*h)).collect(),
    })
}

/// Checks that `leaf` is at `proof.index` under `root`.
pub fn verify(root: Hash, leaf: Hash, proof: &Proof) -> bool {
    // Bound the work an adversarial proof can cause: a tree of 2^64 leaves is 64 deep.
    if proof.siblings.len() > 64 || proof.index >= proof.leaf_count {
        return false;
    }
    let hashes: Vec<[u8; 32]> = proof.siblings.iter().map(|h| h.0).collect();
    MerkleProof::<Blake3Node>::new(hashes).verify(
        root.0,
        &[proof.index as usize],
        &[leaf.0],
        proof.leaf_count as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_le_bytes()))
            .collect()
    }

    #[test]
    fn one_leaf_root_is_the_leaf() {
        let l = leaves(1);
        assert_eq!(root(&l), l[0]);
        assert_eq!(root(&[]), Hash::ZERO);
    }

    #[test]
    fn two_and_three_leaves_by_hand() {
        let l = leaves(3);
        let node = |a: Hash, b: Hash| {
            let mut v = vec![1u8];
            v.extend_from_slice(&a.0);
            v.extend_from_slice(&b.0);
            Hash::of(&v)
        };
        assert_eq!(root(&l[..2]), node(l[0], l[1]));
        // The odd third leaf is promoted, then paired with the first pair.
        assert_eq!(root(&l), node(node(l[0], l[1]), l[2]));
    }

    #[test]
    fn every_leaf_proves_and_wrong_leaf_fails() {
        for n in [1, 2, 3, 5, 8, 13] {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = prove(&l, i).unwrap();
                assert!(verify(r, l[i], &p), "n={n} i={i}");
                assert!(!verify(r, leaf_hash(b"other"), &p));
            }
        }
    }
}
