//! Batched ed25519 verification rate on one core by batch size, with public keys
//! from the cache of recent keys and decompressed afresh: the figures behind
//! `plinth_core::keys::MAX_BATCH` (BENCHMARKS.md, issue 20).
//!
//! `cargo run --release -p plinth-core --example batch_sizes`
use plinth_core::keys::verify_batch;
use plinth_core::Keypair;
use std::time::Instant;

fn main() {
    let n = 16384;
    let keys: Vec<Keypair> = (0..2048u32)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            Keypair::from_seed(seed)
        })
        .collect();
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("report {i} with some payload bytes here").into_bytes())
        .collect();
    let sigs: Vec<_> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| keys[i % keys.len()].sign(m))
        .collect();
    let items: Vec<_> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_slice(), keys[i % keys.len()].public(), sigs[i]))
        .collect();
    // warm the key cache
    for c in items.chunks(256) {
        verify_batch(c).unwrap();
    }
    for size in [64usize, 128, 256, 512, 1024, 2048, 4096] {
        for _ in 0..2 {
            let t = Instant::now();
            for c in items.chunks(size) {
                verify_batch(c).unwrap();
            }
            let r = n as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            for c in items.chunks(size) {
                plinth_core::verify_batch_uncached(c).unwrap();
            }
            let u = n as f64 / t.elapsed().as_secs_f64();
            println!("batch {size:5}: cached keys {r:8.0}/s  uncached {u:8.0}/s");
        }
    }
}
