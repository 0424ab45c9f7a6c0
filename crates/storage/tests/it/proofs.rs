//! Challenges and proofs: honest answers pass, each kind of wrong answer fails with
//! its own reason, and cheaters that dropped data or kept only hashes are caught.

use crate::bytes;
use plinth_core::{CodecError, Hash};
use plinth_storage::{
    prove_from_memory, verify_proof, verify_proofs, Commitment, ProofError, StorageChallenge,
    StorageProof, MAX_PROOF_BYTES, SEGMENT_SIZE,
};

const CHUNK: u32 = 4096;

fn setup(size: usize) -> (Commitment, Vec<u8>) {
    let data = bytes(size, size as u64);
    (Commitment::of_bytes(&data, CHUNK).unwrap(), data)
}

fn challenge(c: &Commitment, epoch: u64, k: usize) -> StorageChallenge {
    StorageChallenge::derive(
        &Hash::of(b"block"),
        &Hash::of(b"deal"),
        epoch,
        &c.manifest,
        k,
    )
}

#[test]
fn honest_proofs_verify_for_every_shape() {
    for size in [
        1,
        1000,
        1024,
        1025,
        4096,
        4097,
        5 * 4096 - 3,
        7 * 4096,
        100_000,
    ] {
        let (c, data) = setup(size);
        for epoch in 0..20 {
            let ch = challenge(&c, epoch, 4);
            let proof = prove_from_memory(&c, &data, &ch);
            assert_eq!(proof.items.len(), ch.indices.len().min(4));
            verify_proof(&c.manifest, &ch, &proof).unwrap();
            assert_eq!(StorageProof::decode(&proof.encode()).unwrap(), proof);
        }
    }
}

#[test]
fn each_wrong_answer_fails_with_its_reason() {
    let (c, data) = setup(7 * 4096 - 100);
    let m = c.manifest;
    let ch = challenge(&c, 1, 4);
    let good = prove_from_memory(&c, &data, &ch);
    let [a, b] = [ch.indices[0], ch.indices[1]];
    let check = |p: &StorageProof| verify_proof(&m, &ch, p);

    let mut p = good.clone();
    p.deal = Hash::of(b"another deal");
    assert!(matches!(check(&p), Err(ProofError::WrongDeal { .. })));

    let mut p = good.clone();
    p.epoch = 2;
    assert_eq!(
        check(&p),
        Err(ProofError::WrongEpoch {
            expected: 1,
            got: 2
        })
    );

    let mut p = good.clone();
    p.items.remove(1);
    assert_eq!(check(&p), Err(ProofError::MissingItem { index: b }));

    let mut p = good.clone();
    p.items.push(good.items[0].clone());
    assert_eq!(check(&p), Err(ProofError::DuplicateItem { index: a }));

    // An item for a segment nobody asked about, even a valid one.
    let other = (0..m.segment_count())
        .find(|i| !ch.indices.contains(i))
        .unwrap();
    let extra = StorageChallenge {
        indices: vec![other],
        ..ch.clone()
    };
    let mut p = good.clone();
    p.items
        .push(prove_from_memory(&c, &data, &extra).items[0].clone());
    assert_eq!(check(&p), Err(ProofError::UnexpectedItem { index: other }));

    let mut p = good.clone();
    p.items[0].segment.pop();
    assert!(matches!(check(&p), Err(ProofError::WrongLength { index, .. }) if index == a));

    // Changed bytes under the original leaf.
    let mut p = good.clone();
    p.items[0].segment[3] ^= 0x80;
    assert_eq!(check(&p), Err(ProofError::WrongLeaf { index: a }));

    // A consistent leaf for other bytes: the path no longer reaches the root.
    let mut p = good.clone();
    p.items[0].segment[3] ^= 0x80;
    p.items[0].leaf = m.segment_leaf(a, &p.items[0].segment);
    assert_eq!(check(&p), Err(ProofError::BadPath { index: a }));

    // Another segment's genuine bytes, leaf and path answered under this index: the
    // leaf binds the position, so it does not hash to the same leaf here.
    let mut p = good.clone();
    p.items[0].segment = good.items[1].segment.clone();
    p.items[0].path = good.items[1].path.clone();
    p.items[0].leaf = good.items[1].leaf;
    assert_eq!(
        p.items[0].segment.len(),
        m.segment_len(a),
        "two full segments"
    );
    assert_eq!(check(&p), Err(ProofError::WrongLeaf { index: a }));

    for tamper in [0usize, 1, 2] {
        let mut p = good.clone();
        match tamper {
            0 => p.items[1].path[0].0[5] ^= 1,
            1 => {
                p.items[1].path.pop();
            }
            _ => p.items[1].path.push(Hash::ZERO),
        }
        assert_eq!(
            check(&p),
            Err(ProofError::BadPath { index: b }),
            "tamper {tamper}"
        );
    }

    // A challenge beyond the file is refused as such, not as a bad path.
    let beyond = StorageChallenge {
        indices: vec![m.segment_count()],
        ..ch.clone()
    };
    let mut p = good.clone();
    p.items = vec![plinth_storage::ProofItem {
        index: m.segment_count(),
        ..good.items[0].clone()
    }];
    assert!(matches!(
        verify_proof(&m, &beyond, &p),
        Err(ProofError::OutOfRange { .. })
    ));
    check(&good).unwrap();
}

/// A provider that kept every leaf and every inner hash of the tree, but no bytes,
/// has the right leaves and paths and nothing to put with them.
#[test]
fn a_provider_that_kept_only_hashes_cannot_answer() {
    let (c, data) = setup(20 * 4096);
    let m = c.manifest;
    for epoch in 0..50 {
        let ch = challenge(&c, epoch, 4);
        let honest = prove_from_memory(&c, &data, &ch);
        // Its best guesses at the bytes: none, zeros, or the leaf itself.
        for guess in 0..3 {
            let mut p = honest.clone();
            for item in &mut p.items {
                let len = m.segment_len(item.index);
                item.segment = match guess {
                    0 => Vec::new(),
                    1 => vec![0; len],
                    _ => item.leaf.0.iter().cycle().take(len).copied().collect(),
                };
            }
            let err = verify_proof(&m, &ch, &p).unwrap_err();
            assert!(
                matches!(
                    err,
                    ProofError::WrongLength { .. } | ProofError::WrongLeaf { .. }
                ),
                "{err}"
            );
        }
    }
}

/// A provider that deleted a quarter of its chunks answers 4 distinct random
/// segments a epoch; it passes an epoch only if none falls in a deleted chunk:
/// probability about (3/4)^4 ≈ 0.32 (a little less, drawing without replacement).
/// Over 400 epochs the expected number of failed epochs is about 272 (sd ≈ 9).
#[test]
fn a_provider_that_dropped_chunks_fails_at_the_expected_rate() {
    let (c, data) = setup(64 * 4096);
    let m = c.manifest;
    let dropped = |chunk: u64| chunk % 4 == 1;
    let mut kept = data.clone();
    for i in (0..m.chunk_count()).filter(|&i| dropped(i)) {
        let s = m.chunk_offset(i) as usize;
        kept[s..s + m.chunk_len(i)].fill(0);
    }
    let mut failed = 0;
    for epoch in 0..400 {
        let ch = challenge(&c, epoch, 4);
        // It answers what it can and leaves out what it lost.
        let mut p = prove_from_memory(&c, &kept, &ch);
        p.items
            .retain(|i| !dropped(i.index / m.segments_per_chunk()));
        let hit = ch
            .indices
            .iter()
            .any(|s| dropped(s / m.segments_per_chunk()));
        match verify_proof(&m, &ch, &p) {
            Ok(()) => assert!(!hit),
            Err(ProofError::MissingItem { index }) => {
                assert!(dropped(index / m.segments_per_chunk()));
                failed += 1;
            }
            Err(e) => panic!("{e}"),
        }
        // Answering the lost segments with what is on disk (zeros) fails too.
        let bluff = prove_from_memory(&c, &kept, &ch);
        assert_eq!(verify_proof(&m, &ch, &bluff).is_err(), hit);
    }
    assert!(
        (240..=300).contains(&failed),
        "{failed} of 400 epochs failed"
    );
}

#[test]
fn batch_verification_matches_one_by_one() {
    let (c, data) = setup(50_000);
    let challenges: Vec<_> = (0..64).map(|e| challenge(&c, e, 4)).collect();
    let mut proofs: Vec<_> = challenges
        .iter()
        .map(|ch| prove_from_memory(&c, &data, ch))
        .collect();
    proofs[7].items[0].segment[0] ^= 1;
    proofs[9].items.clear();
    let jobs: Vec<_> = challenges
        .iter()
        .zip(&proofs)
        .map(|(ch, p)| (&c.manifest, ch, p))
        .collect();
    let batch = verify_proofs(&jobs);
    let one_by_one: Vec<_> = jobs
        .iter()
        .map(|(m, ch, p)| verify_proof(m, ch, p))
        .collect();
    assert_eq!(batch, one_by_one);
    assert_eq!(batch.iter().filter(|r| r.is_err()).count(), 2);
}

#[test]
fn proof_decoding_is_bounded() {
    assert!(matches!(
        StorageProof::decode(&vec![0u8; MAX_PROOF_BYTES + 1]),
        Err(CodecError::TooLarge { .. })
    ));
    assert!(matches!(
        StorageProof::decode(&[1, 2, 3]),
        Err(CodecError::Malformed(_))
    ));
    // A full-size honest proof fits.
    let (c, data) = setup(64 * SEGMENT_SIZE * 64);
    let ch = challenge(&c, 0, plinth_storage::MAX_CHALLENGE_ITEMS);
    let p = prove_from_memory(&c, &data, &ch);
    assert_eq!(p.items.len(), 64);
    assert!(p.encode().len() <= MAX_PROOF_BYTES);
    assert_eq!(StorageProof::decode(&p.encode()).unwrap(), p);
}
