//! What a deal commits to: a file's root, size and transfer chunk size, and the
//! chunk hashes that connect the chunks to the root.

use crate::tree::{
    segment_path_in_chunk, subtree_hash, verify_path, MerkleTree, MAX_PATH_LEN, SEGMENT_SIZE,
};
use plinth_core::Hash;
use std::io::Read;

/// The default transfer chunk size: 256 KiB.
pub const CHUNK_SIZE: u32 = 256 * 1024;
/// The largest chunk size a deal may name: 4 MiB (an agent buffers one chunk per
/// upload).
pub const MAX_CHUNK_SIZE: u32 = 4 * 1024 * 1024;
/// The largest file one deal may hold: 64 GiB. Bigger data is several deals.
pub const MAX_DEAL_SIZE: u64 = 64 * 1024 * 1024 * 1024;
/// The most chunks one deal may have, which bounds its chunk hash list to 8 MiB: a
/// deal of [`MAX_DEAL_SIZE`] at the default chunk size, smaller ones at smaller
/// chunk sizes.
pub const MAX_CHUNKS: u64 = 1 << 18;

/// A deal's data commitment: the merkle root of the file, its size, and the chunk
/// size it is uploaded and served in. The ledger's deal record holds one.
///
/// The root does not depend on the chunk size (see [`crate::tree`]); the chunk size
/// only fixes how the agent and the client cut the file.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Manifest {
    /// `blake3::keyed_hash(&tree::KEY, file)`.
    pub root: Hash,
    /// Bytes in the file, at least 1.
    pub size: u64,
    /// Bytes in each chunk but the last: a power of two, 1 KiB to 4 MiB.
    pub chunk_size: u32,
}

/// Why a manifest is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The file is empty.
    #[error("an empty file cannot be stored: a deal holds at least one byte")]
    Empty,
    /// The file is larger than one deal may be.
    #[error("a file of {size} bytes is over the {max}-byte limit of one deal")]
    TooLarge {
        /// The file's size, bytes.
        size: u64,
        /// The limit, bytes.
        max: u64,
    },
    /// The chunk size is not a power of two in the allowed range.
    #[error("chunk size {chunk_size} is not a power of two from 1024 to {max}", max = MAX_CHUNK_SIZE)]
    BadChunkSize {
        /// The chunk size asked for.
        chunk_size: u32,
    },
    /// The file would have more chunks than a deal may.
    #[error("{chunks} chunks is over the limit of {max} per deal: use a larger chunk size", max = MAX_CHUNKS)]
    TooManyChunks {
        /// The chunks the file would have.
        chunks: u64,
    },
}

/// Why a chunk was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// No such chunk in the file.
    #[error("chunk {index} is out of range: the file has {count} chunks")]
    OutOfRange {
        /// The chunk's index.
        index: u64,
        /// The file's chunks.
        count: u64,
    },
    /// The chunk's length is not the one the manifest implies.
    #[error("chunk {index} has {got} bytes, the deal says {expected}")]
    WrongLength {
        /// The chunk's index.
        index: u64,
        /// The length the manifest implies.
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// The chunk's hash is not the one under the deal's root.
    #[error("chunk {index} does not match the deal's root")]
    Mismatch {
        /// The chunk's index.
        index: u64,
    },
}

impl ChunkError {
    /// Whether the bytes were the wrong ones (rather than the wrong size or index).
    pub fn is_mismatch(&self) -> bool {
        matches!(self, ChunkError::Mismatch { .. })
    }
}

impl Manifest {
    /// Checks the size and chunk size bounds.
    pub fn check(&self) -> Result<(), ManifestError> {
        check_layout(self.size, self.chunk_size)
    }

    /// How many chunks.
    pub fn chunk_count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size as u64)
    }

    /// How many segments, the unit that challenges name.
    pub fn segment_count(&self) -> u64 {
        self.size.div_ceil(SEGMENT_SIZE as u64)
    }

    /// Segments in a full chunk.
    pub fn segments_per_chunk(&self) -> u64 {
        self.chunk_size as u64 / SEGMENT_SIZE as u64
    }

    /// Byte offset of chunk `index`.
    pub fn chunk_offset(&self, index: u64) -> u64 {
        index * self.chunk_size as u64
    }

    /// Bytes in chunk `index` (the last one may be short); 0 out of range.
    pub fn chunk_len(&self, index: u64) -> usize {
        let start = self.chunk_offset(index);
        self.size.saturating_sub(start).min(self.chunk_size as u64) as usize
    }

    /// Bytes in segment `index` (the last one may be short); 0 out of range.
    pub fn segment_len(&self, index: u64) -> usize {
        let start = index * SEGMENT_SIZE as u64;
        self.size.saturating_sub(start).min(SEGMENT_SIZE as u64) as usize
    }

    /// The hash of chunk `index` from its bytes: the leaf of the chunk tree.
    pub fn chunk_hash(&self, index: u64, chunk: &[u8]) -> Hash {
        subtree_hash(chunk, self.chunk_offset(index), self.chunk_count() == 1)
    }

    /// Checks `chunk` as chunk `index` against `expected`, its entry in a chunk hash
    /// list already checked against the root.
    pub fn check_chunk(&self, index: u64, chunk: &[u8], expected: &Hash) -> Result<(), ChunkError> {
        self.check_chunk_len(index, chunk)?;
        if self.chunk_hash(index, chunk) != *expected {
            return Err(ChunkError::Mismatch { index });
        }
        Ok(())
    }

    /// Checks `chunk` as chunk `index` under the root by its merkle `path` (as
    /// [`MerkleTree::prove`] over the chunk hashes gives it).
    pub fn verify_chunk(&self, index: u64, chunk: &[u8], path: &[Hash]) -> Result<(), ChunkError> {
        self.check_chunk_len(index, chunk)?;
        let leaf = self.chunk_hash(index, chunk);
        if !verify_path(&self.root, index, &leaf, path, self.chunk_count()) {
            return Err(ChunkError::Mismatch { index });
        }
        Ok(())
    }

    fn check_chunk_len(&self, index: u64, chunk: &[u8]) -> Result<(), ChunkError> {
        let count = self.chunk_count();
        if index >= count {
            return Err(ChunkError::OutOfRange { index, count });
        }
        let expected = self.chunk_len(index);
        if chunk.len() != expected {
            return Err(ChunkError::WrongLength {
                index,
                expected,
                got: chunk.len(),
            });
        }
        Ok(())
    }

    /// The path of segment `segment` (a file-wide index) from its leaf to the root,
    /// given the bytes of the chunk that holds it and the tree over chunk hashes.
    /// `None` when the segment is out of range or `chunk` is not that chunk's length.
    pub fn segment_path(
        &self,
        chunks: &MerkleTree,
        chunk: &[u8],
        segment: u64,
    ) -> Option<Vec<Hash>> {
        if segment >= self.segment_count() {
            return None;
        }
        let per_chunk = self.segments_per_chunk();
        let index = segment / per_chunk;
        if chunk.len() != self.chunk_len(index) {
            return None;
        }
        let inner = (segment % per_chunk) as usize;
        let mut path = segment_path_in_chunk(chunk, self.chunk_offset(index), inner);
        path.extend(chunks.prove(index)?);
        debug_assert!(path.len() <= MAX_PATH_LEN);
        Some(path)
    }

    /// The leaf of segment `segment` from its bytes.
    pub fn segment_leaf(&self, segment: u64, bytes: &[u8]) -> Hash {
        subtree_hash(
            bytes,
            segment * SEGMENT_SIZE as u64,
            self.segment_count() == 1,
        )
    }
}

fn check_layout(size: u64, chunk_size: u32) -> Result<(), ManifestError> {
    if size == 0 {
        return Err(ManifestError::Empty);
    }
    if size > MAX_DEAL_SIZE {
        return Err(ManifestError::TooLarge {
            size,
            max: MAX_DEAL_SIZE,
        });
    }
    if !chunk_size.is_power_of_two()
        || (chunk_size as usize) < SEGMENT_SIZE
        || chunk_size > MAX_CHUNK_SIZE
    {
        return Err(ManifestError::BadChunkSize { chunk_size });
    }
    let chunks = size.div_ceil(chunk_size as u64);
    if chunks > MAX_CHUNKS {
        return Err(ManifestError::TooManyChunks { chunks });
    }
    Ok(())
}

/// A file's manifest and the tree over its chunk hashes: what a client computes
/// before opening a deal, and what an agent keeps per deal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    /// The deal's manifest (root, size, chunk size).
    pub manifest: Manifest,
    /// The merkle tree over the chunks' hashes.
    pub chunks: MerkleTree,
}

/// Why a file could not be committed to.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The file cannot be a deal's.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Reading the file failed.
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file was shorter than its stated size.
    #[error("the file ended after {got} of its {expected} bytes")]
    Truncated {
        /// The stated size, bytes.
        expected: u64,
        /// The bytes read.
        got: u64,
    },
}

impl Commitment {
    /// Commits to `data` held in memory.
    pub fn of_bytes(data: &[u8], chunk_size: u32) -> Result<Commitment, ManifestError> {
        check_layout(data.len() as u64, chunk_size)?;
        let whole = data.len() <= chunk_size as usize;
        let leaves = data
            .chunks(chunk_size as usize)
            .enumerate()
            .map(|(i, c)| subtree_hash(c, i as u64 * chunk_size as u64, whole))
            .collect();
        Ok(Commitment::from_tree(
            data.len() as u64,
            chunk_size,
            MerkleTree::new(leaves).expect("a non-empty file has a chunk"),
        ))
    }

    /// Commits to the first `size` bytes of `reader`, a chunk at a time (memory: one
    /// chunk and the hash list).
    pub fn of_reader(
        mut reader: impl Read,
        size: u64,
        chunk_size: u32,
    ) -> Result<Commitment, CommitError> {
        check_layout(size, chunk_size)?;
        let count = size.div_ceil(chunk_size as u64);
        let mut buf = vec![0u8; chunk_size as usize];
        let mut leaves = Vec::with_capacity(count as usize);
        for index in 0..count {
            let len = (size - index * chunk_size as u64).min(chunk_size as u64) as usize;
            let got = read_full(&mut reader, &mut buf[..len])?;
            if got < len {
                return Err(CommitError::Truncated {
                    expected: size,
                    got: index * chunk_size as u64 + got as u64,
                });
            }
            leaves.push(subtree_hash(
                &buf[..len],
                index * chunk_size as u64,
                count == 1,
            ));
        }
        Ok(Commitment::from_tree(
            size,
            chunk_size,
            MerkleTree::new(leaves).expect("a non-empty file has a chunk"),
        ))
    }

    /// Rebuilds a commitment from a chunk hash list, checking it against `manifest`.
    pub fn from_hashes(manifest: Manifest, hashes: Vec<Hash>) -> Result<Commitment, HashListError> {
        manifest.check()?;
        if hashes.len() as u64 != manifest.chunk_count() {
            return Err(HashListError::WrongCount {
                expected: manifest.chunk_count(),
                got: hashes.len() as u64,
            });
        }
        let chunks = MerkleTree::new(hashes).ok_or(ManifestError::Empty)?;
        if chunks.root() != manifest.root {
            return Err(HashListError::RootMismatch);
        }
        Ok(Commitment { manifest, chunks })
    }

    fn from_tree(size: u64, chunk_size: u32, chunks: MerkleTree) -> Commitment {
        Commitment {
            manifest: Manifest {
                root: chunks.root(),
                size,
                chunk_size,
            },
            chunks,
        }
    }
}

/// Why a chunk hash list does not belong to a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashListError {
    /// The manifest itself is not acceptable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Not one hash per chunk.
    #[error("{got} chunk hashes for a file of {expected} chunks")]
    WrongCount {
        /// The file's chunks.
        expected: u64,
        /// The hashes received.
        got: u64,
    },
    /// The hashes' tree has another root than the manifest's.
    #[error("the chunk hashes do not lead to the deal's root")]
    RootMismatch,
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// What a provider's device key signs to say it holds a deal's data (a *receipt*):
/// a domain tag, then the canonical encoding of the chain's identity
/// ([`plinth_core::chain_identity`]), the deal id and its manifest. The ledger
/// activates a deal only with this signature, so a deal can be slashed only after
/// its provider said it has the data; naming the chain keeps a receipt given on
/// one chain from activating a deal with the same id on another.
pub fn receipt_message(chain: &Hash, deal: &Hash, manifest: &Manifest) -> Vec<u8> {
    let mut out = b"plinth/storage-receipt/v2".to_vec();
    borsh::to_writer(&mut out, &(chain, deal, manifest)).expect("vec write");
    out
}
