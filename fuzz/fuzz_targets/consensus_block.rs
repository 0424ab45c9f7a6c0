//! The consensus crate's `Block` codec (a bounded varint length, then the borsh
//! ledger block): what marshal reads from peers on the p2p channels.
#![no_main]

use commonware_codec::{Decode as _, Encode as _, Error};
use libfuzzer_sys::fuzz_target;
use plinth_consensus::Block;

/// A small limit, so the fuzzer also reaches the refusal of an over-long length.
const LIMIT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    match Block::decode_cfg(data.to_vec(), &LIMIT) {
        Ok(block) => {
            assert!(
                data.len() <= LIMIT + 10,
                "{} bytes under a {LIMIT} limit",
                data.len()
            );
            assert_eq!(&block.encode()[..], data, "re-encoding differs");
            // The digest consensus votes on is the ledger block's hash.
            assert_eq!(block.hash(), block.ledger().hash());
        }
        Err(Error::InvalidLength(len)) => assert!(len > LIMIT, "refused a length of {len}"),
        Err(_) => {}
    }
});
