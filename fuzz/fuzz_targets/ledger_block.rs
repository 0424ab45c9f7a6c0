//! A ledger block (`plinth_ledger::Block`, borsh) as a peer's proposal or a
//! synced block carries it, under the consensus default block limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_core::CodecError;
use plinth_ledger::block::tx_root;
use plinth_ledger::Block;

/// The consensus engine's default `max_block_bytes` (4 MiB) plus its 64 KiB of
/// header room: the largest block a peer may send.
const LIMIT: usize = (4 << 20) + 64 * 1024;

fuzz_target!(|data: &[u8]| {
    match plinth_core::decode::<Block>(data, LIMIT) {
        Ok(block) => {
            assert_eq!(plinth_core::encode(&block), data, "re-encoding differs");
            // What a validator computes on a proposal before executing it.
            let _ = block.hash();
            let _ = block.verify_seal();
            let _ = tx_root(&block.txs);
            for tx in &block.txs {
                let _ = tx.hash();
            }
            let json = serde_json::to_vec(&block).expect("a decoded block serialises");
            let back: Block = serde_json::from_slice(&json).expect("its own JSON reads back");
            assert_eq!(back, block);
        }
        Err(CodecError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (data.len(), LIMIT));
            assert!(data.len() > LIMIT);
        }
        Err(CodecError::Malformed(_)) => assert!(data.len() <= LIMIT),
    }
});
