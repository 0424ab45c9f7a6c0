//! `SignedTx::decode`: what `POST /v1/txs`, the batch endpoint, gossip and blocks
//! feed to the ledger.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_ledger::{SignedTx, TxError, MAX_TX_BYTES};

fuzz_target!(|data: &[u8]| {
    match SignedTx::decode(data) {
        Ok(tx) => {
            assert!(data.len() <= MAX_TX_BYTES, "decoded {} bytes", data.len());
            // Canonical: one encoding per transaction.
            assert_eq!(tx.encode(), data, "re-encoding differs");
            let _ = tx.hash();
            // What admission does next; it must answer, not panic.
            let _ = tx.verify_signature();
            // The JSON form (`GET /v1/txs/{hash}`) reads back to the same value.
            let json = serde_json::to_vec(&tx).expect("a decoded tx serialises");
            let back: SignedTx = serde_json::from_slice(&json).expect("its own JSON reads back");
            assert_eq!(back, tx);
        }
        Err(TxError::TooLarge { size, limit }) => {
            assert!(data.len() > MAX_TX_BYTES);
            assert_eq!((size, limit), (data.len() as u64, MAX_TX_BYTES as u64));
        }
        Err(_) => assert!(data.len() <= MAX_TX_BYTES),
    }
});
