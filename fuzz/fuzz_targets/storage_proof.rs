//! `StorageProof::decode` and `verify_proof`: a provider's answer to a challenge,
//! as the oracle receives it. The proof is checked against a fixed 5,000-byte
//! file (the seed corpus holds honest proofs of it, `fuzz/seeds`), so mutations
//! reach every check; whatever `verify_proof` accepts must be the file's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_core::CodecError;
use plinth_storage::{
    verify_proof, Commitment, StorageChallenge, StorageProof, MAX_CHALLENGE_ITEMS, MAX_PROOF_BYTES,
    SEGMENT_SIZE,
};
use std::sync::OnceLock;

/// The file the seed proofs prove; `fuzz/seeds` builds the same one.
fn file() -> &'static (Vec<u8>, Commitment) {
    static FILE: OnceLock<(Vec<u8>, Commitment)> = OnceLock::new();
    FILE.get_or_init(|| {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        let c = Commitment::of_bytes(&data, 2048).expect("a valid layout");
        (data, c)
    })
}

fuzz_target!(|data: &[u8]| {
    let proof = match StorageProof::decode(data) {
        Ok(p) => p,
        Err(CodecError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (data.len(), MAX_PROOF_BYTES));
            return;
        }
        Err(CodecError::Malformed(_)) => {
            assert!(data.len() <= MAX_PROOF_BYTES);
            return;
        }
    };
    assert_eq!(proof.encode(), data, "re-encoding differs");
    let (file, commitment) = file();
    // The challenge the proof claims to answer: its own indices, as many as a
    // challenge may name.
    let mut indices: Vec<u64> = proof.items.iter().map(|i| i.index).collect();
    indices.sort_unstable();
    indices.dedup();
    indices.truncate(MAX_CHALLENGE_ITEMS);
    let challenge = StorageChallenge {
        deal: proof.deal,
        epoch: proof.epoch,
        indices,
    };
    if verify_proof(&commitment.manifest, &challenge, &proof).is_ok() {
        for item in &proof.items {
            let start = item.index as usize * SEGMENT_SIZE;
            let end = (start + SEGMENT_SIZE).min(file.len());
            assert_eq!(
                item.segment,
                file[start..end],
                "an accepted proof's segment {} is not the file's",
                item.index
            );
        }
    }
});
