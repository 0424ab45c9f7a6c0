//! ed25519 keys and signatures.
//!
//! Public keys are stored as raw bytes and only turned into curve points when a
//! signature is checked, so that decoding untrusted input never does curve work.

use crate::memo::Memo;
use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::fmt;

/// Why a key or signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The bytes are not a point of the curve (or not a usable key).
    #[error("invalid public key")]
    InvalidPublicKey,
    /// The signature does not verify for the key and message.
    #[error("invalid signature")]
    InvalidSignature,
    /// A secret key that is not 64 hex characters.
    #[error("invalid secret key: expected 64 hex characters")]
    InvalidSecretKey,
}

/// Keys decompressed recently, so that a key seen again costs a lookup rather
/// than a square root (decompressing a key is about a sixth of a batched
/// verification, and devices and accounts sign again and again). Bounded: two
/// generations of at most [`KEY_CACHE`] keys. Decompression is a pure function
/// of the bytes, so a hit gives exactly what decompressing again would.
static KEYS: Memo<[u8; 32], VerifyingKey> = Memo::new(KEY_CACHE);

/// Most keys in each generation of the cache (about 7 MiB each).
const KEY_CACHE: usize = 32_768;

/// `keys` as curve points (from the cache where it has them), one result each.
fn verifying_keys(keys: &[PublicKey]) -> Vec<Result<VerifyingKey, KeyError>> {
    let hits = KEYS.get_many(keys.iter().map(|k| &k.0));
    let mut fresh = Vec::new();
    let results = keys
        .iter()
        .zip(hits)
        .map(|(k, hit)| match hit {
            Some(vk) => Ok(vk),
            None => {
                let vk = VerifyingKey::from_bytes(&k.0).map_err(|_| KeyError::InvalidPublicKey)?;
                fresh.push((k.0, vk));
                Ok(vk)
            }
        })
        .collect();
    if !fresh.is_empty() {
        KEYS.insert_many(fresh);
    }
    results
}

/// An ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        verifying_keys(std::slice::from_ref(self))
            .pop()
            .expect("one key in, one out")
    }

    /// Whether the key is a usable ed25519 public key: a canonically encoded
    /// curve point that is not of small order (no signature under a small-order
    /// key passes the strict check, and consensus refuses what does not decode).
    pub fn is_valid_point(&self) -> bool {
        match self.verifying_key() {
            Ok(key) => !key.is_weak() && key.to_edwards().compress().to_bytes() == self.0,
            Err(_) => false,
        }
    }

    /// Checks `signature` over `message` (strict: rejects small-order keys and
    /// non-canonical signatures, so a signature has one valid form).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let key = self.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &sig)
            .map_err(|_| KeyError::InvalidSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", &hex::encode(self.0)[..16])
    }
}

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}..)", &hex::encode(self.0)[..16])
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        let mut out = [0u8; 64];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(Signature(out))
    }
}

/// A signing key with its public half.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl Keypair {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Keypair {
        Keypair {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// A key from a 32-byte seed (deterministic; used by tests and simulators).
    pub fn from_seed(seed: [u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Parses a secret key written as 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Keypair, KeyError> {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut seed).map_err(|_| KeyError::InvalidSecretKey)?;
        Ok(Keypair::from_seed(seed))
    }

    /// The secret seed as hex (for keystores).
    pub fn secret_hex(&self) -> String {
        hex::encode(self.signing.to_bytes())
    }

    /// The public half of the key pair.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Signs `message` (ed25519: deterministic, no randomness needed).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({:?})", self.public())
    }
}

/// Checks many signatures at once. Returns `Ok` only if every signature is valid;
/// on failure the caller falls back to single checks to find the bad ones.
///
/// Batch verification is about twice as fast per signature as single checks. It is
/// deterministic (its random coefficients are derived from the inputs).
///
/// The batch equation is weaker than [`PublicKey::verify`]'s strict check: under a
/// small-order ("weak") key such as the all-zero burn address, or with a small-order
/// `R`, trivial signatures satisfy it for any message. Such inputs are refused here
/// (the caller then checks one at a time, strictly), so an account at a weak key can
/// never be spent from.
pub fn verify_batch(items: &[(&[u8], PublicKey, Signature)]) -> Result<(), KeyError> {
    let pks: Vec<PublicKey> = items.iter().map(|(_, k, _)| *k).collect();
    batch_with_keys(items, verifying_keys(&pks))
}

/// [`verify_batch`] decompressing every key afresh, never from the cache of
/// recent keys: the raw batched rate, for benchmarks to compare against.
pub fn verify_batch_uncached(items: &[(&[u8], PublicKey, Signature)]) -> Result<(), KeyError> {
    let keys = items
        .iter()
        .map(|(_, k, _)| VerifyingKey::from_bytes(&k.0).map_err(|_| KeyError::InvalidPublicKey))
        .collect();
    batch_with_keys(items, keys)
}

/// The batch check of `items` with their keys already decompressed.
fn batch_with_keys(
    items: &[(&[u8], PublicKey, Signature)],
    vks: Vec<Result<VerifyingKey, KeyError>>,
) -> Result<(), KeyError> {
    let mut messages = Vec::with_capacity(items.len());
    let mut sigs = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    for ((msg, _, sig), vk) in items.iter().zip(vks) {
        let vk = vk?;
        if vk.is_weak() {
            return Err(KeyError::InvalidPublicKey);
        }
        let r_bytes: [u8; 32] = sig.0[..32].try_into().expect("64-byte signature");
        if small_order_encoding(&r_bytes) {
            return Err(KeyError::InvalidSignature);
        }
        messages.push(*msg);
        sigs.push(ed25519_dalek::Signature::from_bytes(&sig.0));
        keys.push(vk);
    }
    ed25519_dalek::verify_batch(&messages, &sigs, &keys).map_err(|_| KeyError::InvalidSignature)
}

/// Most signatures checked in one batch. A batch's cost per signature falls
/// as it grows (the multiscalar multiplication switches to Pippenger's method
/// and its windows widen): with cached keys on one core, 1,024 run about 35%
/// faster per signature than 64 and 16% faster than 256; past that the gain is
/// small (`BENCHMARKS.md`, issue 20).
pub const MAX_BATCH: usize = 1024;

/// Fewest signatures worth a batch of their own.
const MIN_BATCH: usize = 64;

/// How many signatures of `len` to check per batch on `threads` threads: the
/// work split into equal batches, as large as [`MAX_BATCH`] allows, one or more
/// per thread, and no smaller than 64 (unless `len` is).
pub fn batch_size(len: usize, threads: usize) -> usize {
    let threads = threads.max(1);
    let batches = threads * len.div_ceil(MAX_BATCH * threads).max(1);
    len.div_ceil(batches)
        .clamp(MIN_BATCH.min(len.max(1)), MAX_BATCH)
}

/// One verdict per signature: a batch check first and, only if it fails (or the
/// batch refuses an input), strict single checks to find the bad ones.
pub fn verify_each(items: &[(&[u8], PublicKey, Signature)]) -> Vec<bool> {
    if verify_batch(items).is_ok() {
        return vec![true; items.len()];
    }
    items
        .iter()
        .map(|(m, k, s)| k.verify(m, s).is_ok())
        .collect()
}

/// Whether `bytes` encode a point of small order, without decompressing: its `y`
/// is one of the small-order points' (sign bit ignored) or is not reduced mod p
/// (the only non-canonical encodings of small-order points are of y = 0 and 1).
fn small_order_encoding(bytes: &[u8; 32]) -> bool {
    use std::sync::OnceLock;
    static SMALL: OnceLock<Vec<[u8; 32]>> = OnceLock::new();
    let small = SMALL.get_or_init(|| {
        curve25519_dalek::constants::EIGHT_TORSION
            .iter()
            .map(|p| {
                let mut y = p.compress().to_bytes();
                y[31] &= 0x7f;
                y
            })
            .collect()
    });
    let mut y = *bytes;
    y[31] &= 0x7f;
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|b| *b == 0xff) && y[0] >= 0xed;
    non_canonical || small.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let k = Keypair::from_seed([7; 32]);
        let sig = k.sign(b"hello");
        assert!(k.public().verify(b"hello", &sig).is_ok());
        assert_eq!(
            k.public().verify(b"hellp", &sig),
            Err(KeyError::InvalidSignature)
        );
        let other = Keypair::from_seed([8; 32]);
        assert_eq!(
            other.public().verify(b"hello", &sig),
            Err(KeyError::InvalidSignature)
        );
    }

    #[test]
    fn batches_are_large_even_and_bounded() {
        // (signatures, threads) -> batch size
        for (len, threads, want) in [
            (0, 2, 1),
            (1, 2, 1),
            (50, 2, 50),
            (100, 2, 64),
            (300, 2, 150),
            (2048, 2, 1024),
            (5000, 2, 834),
            (10_000, 2, 1000),
            (10_000, 1, 1000),
            (10_000, 0, 1000),
            (1_000_000, 16, 1009),
        ] {
            let size = batch_size(len, threads);
            assert_eq!(size, want, "{len} signatures on {threads} threads");
            assert!(size <= MAX_BATCH);
            // Every thread gets work when there is enough of it.
            if len >= MIN_BATCH * threads.max(1) {
                assert!(len.div_ceil(size) >= threads.max(1), "{len} on {threads}");
            }
        }
    }

    #[test]
    fn secret_hex_round_trip() {
        let k = Keypair::generate();
        let k2 = Keypair::from_hex(&k.secret_hex()).unwrap();
        assert_eq!(k.public(), k2.public());
        assert!(Keypair::from_hex("abc").is_err());
    }

    #[test]
    fn batch_finds_a_bad_signature() {
        let keys: Vec<Keypair> = (0..8u8).map(|i| Keypair::from_seed([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
        let mut items: Vec<(&[u8], PublicKey, Signature)> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| (m.as_slice(), k.public(), k.sign(m)))
            .collect();
        assert!(verify_batch(&items).is_ok());
        items[3].2 = keys[3].sign(b"something else");
        assert!(verify_batch(&items).is_err());
    }

    #[test]
    fn small_order_encodings_are_recognised_without_decompressing() {
        for p in curve25519_dalek::constants::EIGHT_TORSION {
            let b = p.compress().to_bytes();
            assert!(small_order_encoding(&b));
            let mut flipped = b;
            flipped[31] ^= 0x80;
            assert!(small_order_encoding(&flipped));
        }
        // p and p + 1: non-canonical encodings of y = 0 and y = 1.
        let mut p_enc = [0xffu8; 32];
        p_enc[0] = 0xed;
        p_enc[31] = 0x7f;
        assert!(small_order_encoding(&p_enc));
        p_enc[0] = 0xee;
        assert!(small_order_encoding(&p_enc));
        // An ordinary R is not.
        let k = Keypair::from_seed([5; 32]);
        let r: [u8; 32] = k.sign(b"m").0[..32].try_into().unwrap();
        assert!(!small_order_encoding(&r));
    }

    #[test]
    fn batch_refuses_a_weak_key_with_a_trivial_signature() {
        // The identity point as key, R = identity, s = 0: passes the plain batch
        // equation for any message, must not pass here.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let items = [(
            b"take it all".as_slice(),
            PublicKey(identity),
            Signature(sig),
        )];
        assert!(verify_batch(&items).is_err());
        assert!(PublicKey(identity)
            .verify(b"take it all", &Signature(sig))
            .is_err());
    }
}
