//! The storage merkle tree: BLAKE3's own tree, keyed for Plinth.
//!
//! BLAKE3 is itself a binary merkle tree over 1 KiB pieces of its input ("chunks" in
//! BLAKE3's words, **segments** here, so as not to clash with a deal's transfer
//! chunks). We use that tree as the storage commitment instead of building a second
//! one on top:
//!
//! - a segment's leaf is its BLAKE3 chaining value, which binds the bytes *and* their
//!   position in the file (the chunk counter is part of the compression input);
//! - an inner node is BLAKE3's parent node, with the ROOT flag on the topmost one;
//! - leaves and parents carry different BLAKE3 flags, so a leaf can never pass for a
//!   node, and every hash is keyed with [`KEY`], so a storage root never collides
//!   with any other Plinth hash.
//!
//! Hence **the root of a file is `blake3::keyed_hash(&KEY, file)`**: anyone can
//! recompute it with any BLAKE3 implementation (`b3sum --keyed`), and the tests check
//! this tree against that reference. BLAKE3's tree is left-complete (the left
//! subtree of a node holds the largest power of two of leaves strictly less than the
//! total), which is the same tree as pairing nodes level by level and promoting an
//! odd last node unchanged: that is how [`MerkleTree`] builds it and [`verify_path`]
//! walks it.
//!
//! A deal's transfer chunk is a power-of-two number of segments starting at a
//! multiple of its size, i.e. a complete subtree; its hash is that subtree's chaining
//! value, computed in one SIMD-wide pass over the chunk (several GB/s), and the tree
//! over chunk hashes has the same root as the tree over segments. Why not
//! `plinth_core::merkle`: it rebuilds the whole tree for every proof (O(n) per path;
//! the agent serves a path per chunk and per challenge), its verifier allocates, and
//! hashing 1 KiB segments one by one under its `H(0 ‖ data)` leaf rule runs at
//! about a seventh of BLAKE3's speed on one large input (0.9 against 6.6 GB/s here).

use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};
use plinth_core::Hash;

/// Bytes in a segment, the unit that challenges name: BLAKE3's chunk length.
pub const SEGMENT_SIZE: usize = blake3::CHUNK_LEN;

/// The BLAKE3 key of every storage hash: `blake3::derive_key("plinth storage v1
/// merkle root", b"")`, written out so that it costs nothing at run time.
pub const KEY: [u8; 32] = [
    89, 49, 219, 162, 221, 116, 84, 21, 1, 36, 156, 25, 215, 205, 144, 79, 204, 89, 84, 235, 190,
    22, 183, 83, 28, 14, 4, 159, 60, 97, 122, 211,
];

/// The context string that [`KEY`] is derived from.
pub const KEY_CONTEXT: &str = "plinth storage v1 merkle root";

/// Longest path a verifier walks: a tree of at most 2^64 leaves is 64 levels deep.
pub const MAX_PATH_LEN: usize = 64;

const MODE: Mode<'static> = Mode::KeyedHash(&KEY);

/// The node value of `bytes` starting at byte `offset` of a file: a subtree's
/// chaining value, or the root itself when `whole` (the bytes are the whole file).
///
/// `offset` must be a multiple of [`SEGMENT_SIZE`] and `bytes` a complete subtree at
/// that offset (a power-of-two number of segments aligned to its size, or the file's
/// last, shorter, one); every caller in this crate derives both from a [`Manifest`].
///
/// [`Manifest`]: crate::Manifest
pub fn subtree_hash(bytes: &[u8], offset: u64, whole: bool) -> Hash {
    if whole {
        debug_assert_eq!(offset, 0);
        return Hash(*blake3::keyed_hash(&KEY, bytes).as_bytes());
    }
    let mut h = blake3::Hasher::new_keyed(&KEY);
    h.set_input_offset(offset);
    h.update(bytes);
    Hash(h.finalize_non_root())
}

/// The parent of two nodes; `root` for the topmost one.
fn parent(left: &Hash, right: &Hash, root: bool) -> Hash {
    if root {
        Hash(*merge_subtrees_root(&left.0, &right.0, MODE).as_bytes())
    } else {
        Hash(merge_subtrees_non_root(&left.0, &right.0, MODE))
    }
}

/// A merkle tree whose leaves are node values (segment or chunk hashes), with every
/// level kept so that a path costs O(log n).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaves; each next level pairs the one below, an odd last
    /// node promoted. The last level has two nodes, or one when there is one leaf.
    levels: Vec<Vec<Hash>>,
    root: Hash,
}

impl MerkleTree {
    /// Builds the tree over `leaves`; `None` when there are none. A single leaf is
    /// the root itself (it must then be a root value, see [`subtree_hash`]).
    pub fn new(leaves: Vec<Hash>) -> Option<MerkleTree> {
        if leaves.is_empty() {
            return None;
        }
        let mut levels = vec![leaves];
        loop {
            let below = levels.last().expect("at least the leaves");
            match below.len() {
                1 => {
                    let root = below[0];
                    return Some(MerkleTree { levels, root });
                }
                2 => {
                    let root = parent(&below[0], &below[1], true);
                    return Some(MerkleTree { levels, root });
                }
                _ => {
                    let next = below
                        .chunks(2)
                        .map(|pair| match pair {
                            [l, r] => parent(l, r, false),
                            [odd] => *odd,
                            _ => unreachable!("chunks(2)"),
                        })
                        .collect();
                    levels.push(next);
                }
            }
        }
    }

    /// The root.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// How many leaves.
    pub fn leaf_count(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The leaves, in order.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The path of leaf `index`: its siblings from the bottom up, none for a level
    /// where its node is promoted. `None` when out of range.
    pub fn prove(&self, index: u64) -> Option<Vec<Hash>> {
        if index >= self.leaf_count() {
            return None;
        }
        let mut path = Vec::with_capacity(self.levels.len());
        let mut i = index as usize;
        for level in &self.levels {
            if level.len() < 2 {
                break;
            }
            if let Some(sibling) = level.get(i ^ 1) {
                path.push(*sibling);
            }
            i >>= 1;
        }
        Some(path)
    }
}

/// How many hashes the path of leaf `index` in a tree of `leaf_count` leaves has.
pub fn path_len(index: u64, leaf_count: u64) -> usize {
    let (mut i, mut n, mut len) = (index, leaf_count, 0);
    while n > 1 {
        if i & 1 == 1 || i + 1 < n {
            len += 1;
        }
        i >>= 1;
        n = n.div_ceil(2);
    }
    len
}

/// Checks that `leaf` is leaf `index` of a tree of `leaf_count` leaves under `root`,
/// by `path` (as [`MerkleTree::prove`] gives it). Allocates nothing; refuses a path
/// of any length but the expected one.
pub fn verify_path(root: &Hash, index: u64, leaf: &Hash, path: &[Hash], leaf_count: u64) -> bool {
    if index >= leaf_count || path.len() > MAX_PATH_LEN {
        return false;
    }
    let (mut node, mut i, mut n) = (*leaf, index, leaf_count);
    let mut siblings = path.iter();
    while n > 1 {
        // Only the last merge, of a level of two nodes, makes the root.
        let top = n == 2;
        if i & 1 == 1 {
            let Some(s) = siblings.next() else {
                return false;
            };
            node = parent(s, &node, top);
        } else if i + 1 < n {
            let Some(s) = siblings.next() else {
                return false;
            };
            node = parent(&node, s, top);
        }
        i >>= 1;
        n = n.div_ceil(2);
    }
    siblings.next().is_none() && node == *root
}

/// The siblings of segment `segment` inside `chunk` (a complete subtree starting at
/// byte `chunk_offset` of the file), from the bottom up to the chunk's own node.
/// Each sibling is hashed directly from the bytes it covers, at full BLAKE3 speed.
pub fn segment_path_in_chunk(chunk: &[u8], chunk_offset: u64, segment: usize) -> Vec<Hash> {
    let segments = chunk.len().div_ceil(SEGMENT_SIZE);
    let mut path = Vec::new();
    let mut level = 0;
    while (1usize << level) < segments {
        let sibling = ((segment >> level) ^ 1) << level;
        if sibling < segments {
            let start = sibling * SEGMENT_SIZE;
            let end = (start + (SEGMENT_SIZE << level)).min(chunk.len());
            path.push(subtree_hash(
                &chunk[start..end],
                chunk_offset + start as u64,
                false,
            ));
        }
        level += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_derived_from_its_context() {
        assert_eq!(KEY, blake3::derive_key(KEY_CONTEXT, b""));
    }

    #[test]
    fn path_len_matches_prove() {
        for n in 1..40u64 {
            let leaves: Vec<Hash> = (0..n).map(|i| Hash::of(&i.to_le_bytes())).collect();
            let tree = MerkleTree::new(leaves).unwrap();
            for i in 0..n {
                assert_eq!(tree.prove(i).unwrap().len(), path_len(i, n), "n={n} i={i}");
            }
            assert!(tree.prove(n).is_none());
        }
        assert!(MerkleTree::new(Vec::new()).is_none());
    }
}
