//! `StorageChallenge::decode`: the challenges a provider's agent receives
//! (`POST /v1/deals/{id}/prove`), and the deal manifests it is asked to hold
//! (borsh of `Manifest`, as `OpenDeal` carries it). The first byte picks which.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_core::CodecError;
use plinth_storage::challenge::MAX_CHALLENGE_BYTES;
use plinth_storage::{Manifest, StorageChallenge, MAX_CHALLENGE_ITEMS};

fuzz_target!(|data: &[u8]| {
    let Some((&which, data)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        match StorageChallenge::decode(data) {
            Ok(c) => {
                assert!(c.indices.len() <= MAX_CHALLENGE_ITEMS);
                assert_eq!(c.encode(), data, "re-encoding differs");
            }
            Err(CodecError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (data.len(), MAX_CHALLENGE_BYTES));
            }
            Err(CodecError::Malformed(_)) => assert!(data.len() <= MAX_CHALLENGE_BYTES),
        }
    } else {
        let Ok(m) = plinth_core::decode::<Manifest>(data, 64) else {
            return;
        };
        assert_eq!(plinth_core::encode(&m), data, "re-encoding differs");
        // Only a manifest that passes its check is ever used; then every
        // derived quantity must be computable without overflow.
        if m.check().is_ok() {
            let chunks = m.chunk_count();
            let segments = m.segment_count();
            assert!(chunks >= 1 && segments >= chunks);
            assert!(m.segments_per_chunk() >= 1);
            let last = chunks - 1;
            assert!(m.chunk_len(last) >= 1);
            assert_eq!(m.chunk_len(chunks), 0);
            assert!(m.segment_len(segments - 1) >= 1);
            assert_eq!(m.segment_len(segments), 0);
            let _ = plinth_storage::receipt_message(&m.root, &m.root, &m);
        }
    }
});
