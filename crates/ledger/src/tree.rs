//! The state root: a Jellyfish Merkle Tree (the `jmt` crate, as used by Penumbra and
//! Sovereign) over every state entry, versioned by block height.
//!
//! Updating it costs time proportional to the keys a block changed, and it proves
//! one key's value (or absence) against the root for light clients.

use crate::state::{Store, Writes};
use jmt::proof::SparseMerkleProof;
use jmt::storage::TreeUpdateBatch;
use jmt::{JellyfishMerkleTree, KeyHash, Version};
use plinth_core::Hash;
use sha2::Sha256;

/// The hash function of the tree's nodes (the jmt's standard choice).
pub type TreeHasher = Sha256;

/// A proof of one key's value, or its absence, under a state root.
pub type StateProof = SparseMerkleProof<TreeHasher>;

fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<TreeHasher>(key)
}

/// Applies `writes` at `version` and returns the new root and the nodes to persist.
pub fn update<S: Store>(
    store: &S,
    writes: &Writes,
    version: Version,
) -> anyhow::Result<(Hash, TreeUpdateBatch)> {
    let tree = JellyfishMerkleTree::<_, TreeHasher>::new(store);
    let (root, batch) = tree.put_value_set(
        writes.iter().map(|(k, v)| (key_hash(k), v.clone())),
        version,
    )?;
    Ok((Hash(root.0), batch))
}

/// The value of `key` at `version` with its proof.
pub fn prove<S: Store>(
    store: &S,
    key: &[u8],
    version: Version,
) -> anyhow::Result<(Option<Vec<u8>>, StateProof)> {
    JellyfishMerkleTree::<_, TreeHasher>::new(store).get_with_proof(key_hash(key), version)
}

/// Checks that `key` has `value` (`None`: is absent) under `root`.
pub fn verify(root: Hash, key: &[u8], value: Option<&[u8]>, proof: &StateProof) -> bool {
    proof
        .verify(jmt::RootHash(root.0), key_hash(key), value)
        .is_ok()
}

/// The root of the tree at `version`, as stored.
pub fn root<S: Store>(store: &S, version: Version) -> anyhow::Result<Hash> {
    let root = JellyfishMerkleTree::<_, TreeHasher>::new(store).get_root_hash(version)?;
    Ok(Hash(root.0))
}
