//! `gossip::decode`: a batch of raw transactions a peer gossips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_consensus::gossip::{decode, encode, GossipError, MAX_GOSSIP_BYTES};
use plinth_ledger::{SignedTx, MAX_TX_BYTES};

fuzz_target!(|data: &[u8]| {
    match decode(data) {
        Ok(txs) => {
            assert!(data.len() <= MAX_GOSSIP_BYTES);
            assert!(txs.iter().all(|t| t.len() <= MAX_TX_BYTES));
            assert_eq!(encode(&txs), data, "re-encoding differs");
            // What the receiver does next with each, before the mempool.
            for raw in &txs {
                let _ = SignedTx::decode(raw);
            }
        }
        Err(GossipError::TooLarge(size)) => {
            assert_eq!(size, data.len());
            assert!(size > MAX_GOSSIP_BYTES);
        }
        Err(GossipError::Malformed(_)) => assert!(data.len() <= MAX_GOSSIP_BYTES),
    }
});
