//! `spool::decode_batch`: a spool batch as an auditor downloads it from an oracle
//! (`GET /v1/spool/{epoch}/{hash}`) or the oracle reads it back from disk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_oracle::spool::{batch_hash, decode_batch, SpoolError, MAX_BATCH_BYTES};

fuzz_target!(|data: &[u8]| {
    // Bytes that do not match the name they were asked for are refused unread.
    let wrong = plinth_core::Hash::tagged("fuzz/not-this-batch", data);
    assert!(matches!(
        decode_batch(&wrong, data),
        Err(SpoolError::Corrupt { .. })
    ));
    let Ok(batch) = decode_batch(&batch_hash(data), data) else {
        return;
    };
    assert!(data.len() <= MAX_BATCH_BYTES);
    assert_eq!(plinth_core::encode(&batch), data, "re-encoding differs");
});
