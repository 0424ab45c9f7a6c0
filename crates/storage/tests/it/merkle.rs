//! Chunking and merkle paths against independent vectors: the root against the
//! BLAKE3 reference (`blake3::keyed_hash` of the whole file), paths against a naive
//! top-down recursive construction of BLAKE3's tree.

use crate::bytes;
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};
use plinth_core::Hash;
use plinth_storage::tree::{self, KEY};
use plinth_storage::{
    ChunkError, Commitment, HashListError, Manifest, ManifestError, SEGMENT_SIZE,
};

const SMALL_CHUNK: u32 = 4096; // 4 segments a chunk, so that files of many chunks stay small

/// The chaining value of a BLAKE3 subtree, computed top-down from the spec: a
/// single BLAKE3 chunk is hashed directly; anything longer is split so that the left
/// side holds the largest power-of-two number of 1 KiB chunks strictly less than the
/// whole.
fn naive_cv(bytes: &[u8], offset: u64) -> [u8; 32] {
    if bytes.len() <= SEGMENT_SIZE {
        let mut h = blake3::Hasher::new_keyed(&KEY);
        h.set_input_offset(offset);
        h.update(bytes);
        return h.finalize_non_root();
    }
    let left = naive_left_len(bytes.len());
    merge_subtrees_non_root(
        &naive_cv(&bytes[..left], offset),
        &naive_cv(&bytes[left..], offset + left as u64),
        Mode::KeyedHash(&KEY),
    )
}

fn naive_left_len(len: usize) -> usize {
    let chunks = len.div_ceil(SEGMENT_SIZE);
    let mut p = 1;
    while p * 2 < chunks {
        p *= 2;
    }
    p * SEGMENT_SIZE
}

/// The path of the piece `[start, start + piece)` (a complete subtree) in the tree of
/// `file`, bottom-up: descend from the root, keeping the other side at each split.
fn naive_path(file: &[u8], start: usize, piece: usize) -> Vec<Hash> {
    let (mut lo, mut hi) = (0, file.len());
    let mut top_down = Vec::new();
    while !(lo == start && hi - lo <= piece) {
        let mid = lo + naive_left_len(hi - lo);
        if start < mid {
            top_down.push(Hash(naive_cv(&file[mid..hi], mid as u64)));
            hi = mid;
        } else {
            top_down.push(Hash(naive_cv(&file[lo..mid], lo as u64)));
            lo = mid;
        }
    }
    assert_eq!(lo, start, "piece is not a subtree");
    top_down.reverse();
    top_down
}

fn naive_root(file: &[u8]) -> Hash {
    if file.len() <= SEGMENT_SIZE {
        return Hash(*blake3::keyed_hash(&KEY, file).as_bytes());
    }
    let left = naive_left_len(file.len());
    Hash(
        *merge_subtrees_root(
            &naive_cv(&file[..left], 0),
            &naive_cv(&file[left..], left as u64),
            Mode::KeyedHash(&KEY),
        )
        .as_bytes(),
    )
}

/// Sizes giving 1, 2, 3, 5 and 7 chunks of 4 KiB, full and with a short last chunk
/// (down to a last chunk of one byte and a last segment of one byte).
fn sizes() -> Vec<usize> {
    let c = SMALL_CHUNK as usize;
    vec![
        1,
        1000,
        SEGMENT_SIZE,
        SEGMENT_SIZE + 1,
        c,
        2 * c,
        2 * c - 7,
        3 * c,
        3 * c - 2000,
        5 * c,
        4 * c + 1,
        7 * c,
        7 * c - SEGMENT_SIZE,
        6 * c + 3 * SEGMENT_SIZE + 5,
    ]
}

#[test]
fn root_is_the_keyed_blake3_of_the_file() {
    for (n, size) in sizes().into_iter().enumerate() {
        let file = bytes(size, n as u64);
        let reference = Hash(*blake3::keyed_hash(&KEY, &file).as_bytes());
        assert_eq!(naive_root(&file), reference, "naive root, size {size}");
        for chunk_size in [1024, SMALL_CHUNK, plinth_storage::CHUNK_SIZE] {
            let c = Commitment::of_bytes(&file, chunk_size).unwrap();
            assert_eq!(c.manifest.root, reference, "size {size} chunk {chunk_size}");
            assert_eq!(c.manifest.size, size as u64);
            assert_eq!(
                c.chunks.leaf_count(),
                (size as u64).div_ceil(chunk_size as u64)
            );
            let streamed = Commitment::of_reader(&file[..], size as u64, chunk_size).unwrap();
            assert_eq!(streamed, c);
        }
    }
}

#[test]
fn chunk_counts_are_as_named() {
    let counts: Vec<u64> = sizes()
        .into_iter()
        .map(|s| {
            Commitment::of_bytes(&bytes(s, 0), SMALL_CHUNK)
                .unwrap()
                .chunks
                .leaf_count()
        })
        .collect();
    assert_eq!(counts, vec![1, 1, 1, 1, 1, 2, 2, 3, 3, 5, 5, 7, 7, 7]);
}

#[test]
fn every_chunk_path_matches_the_naive_tree_and_verifies() {
    for (n, size) in sizes().into_iter().enumerate() {
        let file = bytes(size, 100 + n as u64);
        let c = Commitment::of_bytes(&file, SMALL_CHUNK).unwrap();
        let m = c.manifest;
        for (i, chunk) in file.chunks(SMALL_CHUNK as usize).enumerate() {
            let i = i as u64;
            let path = c.chunks.prove(i).unwrap();
            let start = m.chunk_offset(i) as usize;
            assert_eq!(
                path,
                naive_path(&file, start, SMALL_CHUNK as usize),
                "size {size} chunk {i}"
            );
            assert_eq!(path.len(), tree::path_len(i, m.chunk_count()));
            m.verify_chunk(i, chunk, &path).unwrap();
        }
    }
}

#[test]
fn every_segment_path_matches_the_naive_tree_and_verifies() {
    for (n, size) in sizes().into_iter().enumerate() {
        let file = bytes(size, 200 + n as u64);
        let c = Commitment::of_bytes(&file, SMALL_CHUNK).unwrap();
        let m = c.manifest;
        for s in 0..m.segment_count() {
            let chunk_index = s / m.segments_per_chunk();
            let start = m.chunk_offset(chunk_index) as usize;
            let chunk = &file[start..start + m.chunk_len(chunk_index)];
            let path = m.segment_path(&c.chunks, chunk, s).unwrap();
            let seg_start = s as usize * SEGMENT_SIZE;
            assert_eq!(
                path,
                naive_path(&file, seg_start, SEGMENT_SIZE),
                "size {size} segment {s}"
            );
            let seg = &file[seg_start..seg_start + m.segment_len(s)];
            let leaf = m.segment_leaf(s, seg);
            assert!(tree::verify_path(
                &m.root,
                s,
                &leaf,
                &path,
                m.segment_count()
            ));
        }
    }
}

#[test]
fn tampered_chunk_wrong_index_and_wrong_path_are_rejected() {
    let file = bytes(7 * SMALL_CHUNK as usize - 100, 7);
    let c = Commitment::of_bytes(&file, SMALL_CHUNK).unwrap();
    let m = c.manifest;
    let chunk = |i: u64| {
        let s = m.chunk_offset(i) as usize;
        file[s..s + m.chunk_len(i)].to_vec()
    };
    for i in 0..m.chunk_count() {
        let path = c.chunks.prove(i).unwrap();
        // One flipped bit anywhere in the chunk.
        let mut bad = chunk(i);
        let at = bad.len() / 2;
        bad[at] ^= 1;
        assert_eq!(
            m.verify_chunk(i, &bad, &path),
            Err(ChunkError::Mismatch { index: i })
        );
        // The right bytes at another index, with either index's path.
        let j = (i + 1) % m.chunk_count();
        if m.chunk_len(j) == m.chunk_len(i) {
            assert!(m
                .verify_chunk(j, &chunk(i), &path)
                .unwrap_err()
                .is_mismatch());
            assert!(m
                .verify_chunk(j, &chunk(i), &c.chunks.prove(j).unwrap())
                .unwrap_err()
                .is_mismatch());
        }
        // A changed, dropped or extra sibling.
        let mut p = path.clone();
        p[0].0[0] ^= 1;
        assert!(m.verify_chunk(i, &chunk(i), &p).unwrap_err().is_mismatch());
        assert!(m
            .verify_chunk(i, &chunk(i), &path[1..])
            .unwrap_err()
            .is_mismatch());
        let mut longer = path.clone();
        longer.push(Hash::ZERO);
        assert!(m
            .verify_chunk(i, &chunk(i), &longer)
            .unwrap_err()
            .is_mismatch());
        // Against another root.
        let other = Manifest {
            root: Hash::of(b"other"),
            ..m
        };
        assert!(other
            .verify_chunk(i, &chunk(i), &path)
            .unwrap_err()
            .is_mismatch());
    }
    // Wrong length and out of range are named as such.
    let last = m.chunk_count() - 1;
    let mut long = chunk(last);
    long.push(0);
    assert!(matches!(
        m.verify_chunk(last, &long, &c.chunks.prove(last).unwrap()),
        Err(ChunkError::WrongLength { index: 6, .. })
    ));
    assert_eq!(
        m.verify_chunk(7, &chunk(0), &[]),
        Err(ChunkError::OutOfRange { index: 7, count: 7 })
    );
}

#[test]
fn empty_file_and_bad_layouts_are_refused() {
    assert_eq!(
        Commitment::of_bytes(&[], SMALL_CHUNK),
        Err(ManifestError::Empty)
    );
    assert!(matches!(
        Commitment::of_reader(&[][..], 0, SMALL_CHUNK),
        Err(plinth_storage::CommitError::Manifest(ManifestError::Empty))
    ));
    for chunk_size in [0, 512, 1000, 3072, 8 * 1024 * 1024] {
        assert_eq!(
            Commitment::of_bytes(b"x", chunk_size),
            Err(ManifestError::BadChunkSize { chunk_size })
        );
    }
    let huge = Manifest {
        root: Hash::ZERO,
        size: plinth_storage::MAX_DEAL_SIZE + 1,
        chunk_size: SMALL_CHUNK,
    };
    assert!(matches!(huge.check(), Err(ManifestError::TooLarge { .. })));
    let many = Manifest {
        size: plinth_storage::MAX_CHUNKS * 1024 + 1,
        chunk_size: 1024,
        ..huge
    };
    assert_eq!(
        many.check(),
        Err(ManifestError::TooManyChunks {
            chunks: plinth_storage::MAX_CHUNKS + 1
        })
    );
    // A reader that ends early is not a file of the promised size.
    assert!(matches!(
        Commitment::of_reader(&bytes(5000, 1)[..], 9000, SMALL_CHUNK),
        Err(plinth_storage::CommitError::Truncated {
            expected: 9000,
            got: 5000
        })
    ));
}

#[test]
fn hash_lists_are_checked_against_the_manifest() {
    let file = bytes(5 * SMALL_CHUNK as usize, 3);
    let c = Commitment::of_bytes(&file, SMALL_CHUNK).unwrap();
    let hashes = c.chunks.leaves().to_vec();
    assert_eq!(
        Commitment::from_hashes(c.manifest, hashes.clone()).unwrap(),
        c
    );
    assert_eq!(
        Commitment::from_hashes(c.manifest, hashes[..4].to_vec()),
        Err(HashListError::WrongCount {
            expected: 5,
            got: 4
        })
    );
    let mut bad = hashes.clone();
    bad.swap(1, 2);
    assert_eq!(
        Commitment::from_hashes(c.manifest, bad),
        Err(HashListError::RootMismatch)
    );
}
