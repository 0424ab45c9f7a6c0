//! ed25519 keys and signatures.
//!
//! Public keys are stored as raw bytes and only turned into curve points when a
//! signature is checked, so that decoding untrusted input never does curve work.
//!
//! # Which signatures are valid
//!
//! One rule, whether a signature is checked alone ([`PublicKey::verify`]) or in
//! a batch ([`verify_batch`], [`verify_each`]), so that a verdict never depends
//! on which other signatures shared its batch (validators batch differently:
//! by core count, by what gossip already verified) — consensus needs every
//! node to reach the same verdict. A signature `(R, s)` by key `A` over `M` is
//! valid when:
//!
//! - `A` and `R` are canonical encodings of curve points that are not of small
//!   order ([`refused_point`]: checked on the bytes, before any curve work);
//! - `s` is canonical (below the group order ℓ);
//! - `[8]([s]B − [k]A − R)` is the identity, `k = SHA-512(R ‖ A ‖ M) mod ℓ`
//!   (the cofactored equation).
//!
//! ed25519-dalek's `verify_strict` checks the equation without the factor 8, and
//! its batch check does the same with random coefficients: a signature whose
//! `R` (or key) carries a small torsion component fails the former but passes
//! the latter whenever its coefficient happens to be a multiple of the
//! component's order (1 in 2 to 1 in 8, decided by the rest of the batch). The
//! cofactored equation removes the torsion from both, so single and batch
//! checks agree whatever the batch (the ZIP 215 approach). No third party can
//! alter a valid signature into another one: `k` hashes `R`'s bytes and `s`
//! must be canonical.

use crate::memo::Memo;
use borsh::{BorshDeserialize, BorshSerialize};
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha512};
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
static KEYS: Memo<[u8; 32], EdwardsPoint> = Memo::new(KEY_CACHE);

/// Most keys in each generation of the cache (about 5 MiB each).
const KEY_CACHE: usize = 32_768;

/// A key's curve point: refused unless a canonical encoding of a point that is
/// not of small order.
fn key_point(bytes: &[u8; 32]) -> Result<EdwardsPoint, KeyError> {
    if refused_point(bytes) {
        return Err(KeyError::InvalidPublicKey);
    }
    CompressedEdwardsY(*bytes)
        .decompress()
        .ok_or(KeyError::InvalidPublicKey)
}

/// `keys` as curve points (from the cache where it has them), one result each.
fn key_points(keys: &[PublicKey]) -> Vec<Result<EdwardsPoint, KeyError>> {
    let hits = KEYS.get_many(keys.iter().map(|k| &k.0));
    let mut fresh = Vec::new();
    let results = keys
        .iter()
        .zip(hits)
        .map(|(k, hit)| match hit {
            Some(point) => Ok(point),
            None => {
                let point = key_point(&k.0)?;
                fresh.push((k.0, point));
                Ok(point)
            }
        })
        .collect();
    if !fresh.is_empty() {
        KEYS.insert_many(fresh);
    }
    results
}

/// A signature's terms in the verification equation: `R`, `s` and
/// `k = SHA-512(R ‖ A ‖ M) mod ℓ`; refused when `R` or `s` is not a canonical
/// encoding or `R` is of small order.
struct Terms {
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

impl Terms {
    fn of(message: &[u8], key: &[u8; 32], signature: &Signature) -> Result<Terms, KeyError> {
        let r_bytes: [u8; 32] = signature.0[..32].try_into().expect("64-byte signature");
        let s_bytes: [u8; 32] = signature.0[32..].try_into().expect("64-byte signature");
        if refused_point(&r_bytes) {
            return Err(KeyError::InvalidSignature);
        }
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
            .ok_or(KeyError::InvalidSignature)?;
        let r = CompressedEdwardsY(r_bytes)
            .decompress()
            .ok_or(KeyError::InvalidSignature)?;
        let hash: [u8; 64] = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(key)
            .chain_update(message)
            .finalize()
            .into();
        Ok(Terms {
            r,
            s,
            k: Scalar::from_bytes_mod_order_wide(&hash),
        })
    }

    /// Whether `[8]([s]B − [k]A − R)` is the identity.
    fn hold_for(&self, a: &EdwardsPoint) -> bool {
        let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&self.k, &-a, &self.s);
        (sb_minus_ka - self.r).mul_by_cofactor().is_identity()
    }
}

/// An ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn point(&self) -> Result<EdwardsPoint, KeyError> {
        key_points(std::slice::from_ref(self))
            .pop()
            .expect("one key in, one out")
    }

    /// Whether the key is a usable ed25519 public key: a canonically encoded
    /// curve point that is not of small order (no signature under any other key
    /// is valid, and consensus refuses what does not decode).
    pub fn is_valid_point(&self) -> bool {
        self.point().is_ok()
    }

    /// Checks `signature` over `message` by the rule of the module's
    /// documentation (the same verdict a batch gives).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let a = self.point()?;
        if Terms::of(message, &self.0, signature)?.hold_for(&a) {
            Ok(())
        } else {
            Err(KeyError::InvalidSignature)
        }
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
/// The same rule as [`PublicKey::verify`] (the module's documentation): each
/// signature's equation is multiplied by a coefficient of 128 bits and the sum
/// checked in one multiscalar multiplication, cofactored, so that a verdict
/// does not depend on the rest of the batch. The coefficients are derived from
/// a hash of every input (deterministic; grinding inputs for coefficients that
/// hide a bad signature takes about 2^128 tries). A batch is about three times
/// as fast per signature as single checks (`BENCHMARKS.md`).
pub fn verify_batch(items: &[(&[u8], PublicKey, Signature)]) -> Result<(), KeyError> {
    let pks: Vec<PublicKey> = items.iter().map(|(_, k, _)| *k).collect();
    batch_with_keys(items, key_points(&pks))
}

/// [`verify_batch`] decompressing every key afresh, never from the cache of
/// recent keys: the raw batched rate, for benchmarks to compare against.
pub fn verify_batch_uncached(items: &[(&[u8], PublicKey, Signature)]) -> Result<(), KeyError> {
    let keys = items.iter().map(|(_, k, _)| key_point(&k.0)).collect();
    batch_with_keys(items, keys)
}

/// The batch check of `items` with their keys already decompressed.
fn batch_with_keys(
    items: &[(&[u8], PublicKey, Signature)],
    keys: Vec<Result<EdwardsPoint, KeyError>>,
) -> Result<(), KeyError> {
    let mut parsed = Vec::with_capacity(items.len());
    for ((msg, key, sig), a) in items.iter().zip(keys) {
        parsed.push(Parsed::of(msg, key, sig, a)?);
    }
    let parsed: Vec<&Parsed> = parsed.iter().collect();
    if batch_holds(&parsed) {
        Ok(())
    } else {
        Err(KeyError::InvalidSignature)
    }
}

/// A signature ready for the equation: its key's point, the key's and the
/// signature's bytes (for the batch coefficients) and its terms.
struct Parsed<'a> {
    a: EdwardsPoint,
    key: &'a [u8; 32],
    sig: &'a [u8; 64],
    terms: Terms,
}

impl<'a> Parsed<'a> {
    fn of(
        message: &[u8],
        key: &'a PublicKey,
        sig: &'a Signature,
        point: Result<EdwardsPoint, KeyError>,
    ) -> Result<Parsed<'a>, KeyError> {
        Ok(Parsed {
            a: point?,
            key: &key.0,
            sig: &sig.0,
            terms: Terms::of(message, &key.0, sig)?,
        })
    }
}

/// Whether every signature's cofactored equation holds: each multiplied by a
/// coefficient of 128 bits derived from a hash of them all, summed, checked in
/// one multiscalar multiplication.
fn batch_holds(parsed: &[&Parsed]) -> bool {
    let mut seed = blake3::Hasher::new_derive_key("plinth 2026-12 ed25519 batch coefficients");
    for p in parsed {
        // `k` commits to the message; the signature and key to the rest.
        seed.update(p.sig);
        seed.update(p.key);
        seed.update(p.terms.k.as_bytes());
    }
    let mut coefficients = seed.finalize_xof();
    let mut scalars = Vec::with_capacity(2 * parsed.len() + 1);
    let mut points = Vec::with_capacity(2 * parsed.len() + 1);
    let mut s_sum = Scalar::ZERO;
    for p in parsed {
        let mut z = [0u8; 32];
        coefficients.fill(&mut z[..16]);
        z[0] |= 1; // never 0, which would leave a signature unchecked
        let z = Scalar::from_bytes_mod_order(z);
        s_sum += z * p.terms.s;
        scalars.push(z);
        points.push(p.terms.r);
        scalars.push(z * p.terms.k);
        points.push(p.a);
    }
    scalars.push(-s_sum);
    points.push(ED25519_BASEPOINT_POINT);
    // Σ z·R + Σ (z·k)·A − (Σ z·s)·B, cofactored.
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
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

/// One verdict per signature. Inputs refused on their encoding (a bad key, `R`
/// or `s`) are false without a curve equation and stay out of the batch, so
/// they cannot spoil it; the rest are checked as one batch and, only if it
/// fails, one at a time (from the terms already computed) to find the bad ones.
pub fn verify_each(items: &[(&[u8], PublicKey, Signature)]) -> Vec<bool> {
    let pks: Vec<PublicKey> = items.iter().map(|(_, k, _)| *k).collect();
    let parsed: Vec<Option<Parsed>> = items
        .iter()
        .zip(key_points(&pks))
        .map(|((m, k, s), a)| Parsed::of(m, k, s, a).ok())
        .collect();
    let usable: Vec<&Parsed> = parsed.iter().flatten().collect();
    if batch_holds(&usable) {
        return parsed.iter().map(Option::is_some).collect();
    }
    parsed
        .iter()
        .map(|p| p.as_ref().is_some_and(|p| p.terms.hold_for(&p.a)))
        .collect()
}

/// Whether `bytes` are refused as a key or as a signature's `R` before any
/// curve work: a point of small order (its `y` is one of the eight small-order
/// points', sign bit ignored) or a non-canonical encoding (`y` not reduced mod
/// p; the other non-canonical form, `x = 0` with the sign bit set, only exists
/// for `y = ±1`, which are of small order).
fn refused_point(bytes: &[u8; 32]) -> bool {
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
    fn small_order_and_non_canonical_encodings_are_refused_without_decompressing() {
        for p in curve25519_dalek::constants::EIGHT_TORSION {
            let b = p.compress().to_bytes();
            assert!(refused_point(&b));
            let mut flipped = b;
            flipped[31] ^= 0x80;
            assert!(refused_point(&flipped));
        }
        // p and p + 1: non-canonical encodings of y = 0 and y = 1.
        let mut p_enc = [0xffu8; 32];
        p_enc[0] = 0xed;
        p_enc[31] = 0x7f;
        assert!(refused_point(&p_enc));
        p_enc[0] = 0xee;
        assert!(refused_point(&p_enc));
        // An ordinary R is not.
        let k = Keypair::from_seed([5; 32]);
        let r: [u8; 32] = k.sign(b"m").0[..32].try_into().unwrap();
        assert!(!refused_point(&r));
    }

    /// A signature by the secret scalar `a` (its key `[a]B + ta`) whose `R`
    /// is `[r]B + tr`, with `s = r + k·a`: the equation without the cofactor
    /// is off by `tr + k·ta`, a torsion point; the cofactored one holds.
    fn torsioned(
        a: u8,
        ta: &EdwardsPoint,
        tr: &EdwardsPoint,
        msg: &[u8],
    ) -> (PublicKey, Signature) {
        let a = Scalar::from_bytes_mod_order([a; 32]);
        let key = (EdwardsPoint::mul_base(&a) + ta).compress().to_bytes();
        let r = Scalar::from_bytes_mod_order([a.as_bytes()[0] ^ 0x55; 32]);
        let big_r = (EdwardsPoint::mul_base(&r) + tr).compress().to_bytes();
        let hash: [u8; 64] = Sha512::new()
            .chain_update(big_r)
            .chain_update(key)
            .chain_update(msg)
            .finalize()
            .into();
        let s = r + Scalar::from_bytes_mod_order_wide(&hash) * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        (PublicKey(key), Signature(sig))
    }

    #[test]
    fn a_verdict_does_not_depend_on_the_rest_of_the_batch() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        let none = EdwardsPoint::default();
        let companions: Vec<(Keypair, Vec<u8>)> = (0..64u8)
            .map(|i| (Keypair::from_seed([i; 32]), vec![i; 3]))
            .collect();
        // R with a torsion component of order 8, and of order 2; a key with one.
        for (key, sig) in [
            torsioned(3, &none, &EIGHT_TORSION[1], b"m"),
            torsioned(4, &none, &EIGHT_TORSION[4], b"m"),
            torsioned(5, &EIGHT_TORSION[3], &none, b"m"),
        ] {
            assert!(key.is_valid_point());
            assert_eq!(
                key.verify(b"m", &sig),
                Ok(()),
                "the cofactored equation holds"
            );
            let mut dalek_verdicts = std::collections::HashSet::new();
            for (k, m) in &companions {
                let items = [
                    (b"m".as_slice(), key, sig),
                    (m.as_slice(), k.public(), k.sign(m)),
                ];
                assert_eq!(verify_batch(&items), Ok(()));
                assert_eq!(verify_each(&items), vec![true, true]);
                // What this rule replaced: dalek's batch equation has no
                // cofactor, so its verdict turns on each batch's coefficients.
                let dalek_keys: Vec<_> = items
                    .iter()
                    .map(|(_, k, _)| ed25519_dalek::VerifyingKey::from_bytes(&k.0).unwrap())
                    .collect();
                let dalek_sigs: Vec<_> = items
                    .iter()
                    .map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(&s.0))
                    .collect();
                let msgs: Vec<&[u8]> = items.iter().map(|(m, _, _)| *m).collect();
                dalek_verdicts
                    .insert(ed25519_dalek::verify_batch(&msgs, &dalek_sigs, &dalek_keys).is_ok());
            }
            assert_eq!(dalek_verdicts.len(), 2, "dalek's batch verdict varied");
            // Altered, it fails alone and in every batch.
            let mut bad = sig;
            bad.0[40] ^= 1;
            assert!(key.verify(b"m", &bad).is_err());
            for (k, m) in companions.iter().take(8) {
                let items = [
                    (b"m".as_slice(), key, bad),
                    (m.as_slice(), k.public(), k.sign(m)),
                ];
                assert!(verify_batch(&items).is_err());
                assert_eq!(verify_each(&items), vec![false, true]);
            }
        }
    }

    #[test]
    fn signatures_from_ed25519_dalek_verify_alone_and_in_batches() {
        let keys: Vec<Keypair> = (0..200u8).map(|i| Keypair::from_seed([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..200u8).map(|i| vec![i; i as usize]).collect();
        let items: Vec<(&[u8], PublicKey, Signature)> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| (m.as_slice(), k.public(), k.sign(m)))
            .collect();
        for (m, k, s) in &items {
            assert_eq!(k.verify(m, s), Ok(()));
        }
        // Past Straus' range too (Pippenger above ~190 points).
        assert_eq!(verify_batch(&items), Ok(()));
        assert_eq!(verify_batch_uncached(&items), Ok(()));
        // A non-canonical s (s + ℓ) is refused alone and in a batch.
        let (m, k, s) = items[7];
        // ℓ, little-endian.
        let mut l = [0u8; 32];
        l[..16].copy_from_slice(&[
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14,
        ]);
        l[31] = 0x10;
        let s_bytes: [u8; 32] = s.0[32..].try_into().unwrap();
        let mut wide = [0u8; 32];
        let mut carry = 0u16;
        for (i, w) in wide.iter_mut().enumerate() {
            let v = s_bytes[i] as u16 + l[i] as u16 + carry;
            *w = v as u8;
            carry = v >> 8;
        }
        let mut malleated = s;
        malleated.0[32..].copy_from_slice(&wide);
        assert_ne!(malleated, s);
        assert!(k.verify(m, &malleated).is_err());
        let mut batch = items.clone();
        batch[7] = (m, k, malleated);
        assert!(verify_batch(&batch).is_err());
        assert!(!verify_each(&batch)[7]);
    }

    #[test]
    fn a_refused_encoding_is_false_without_spoiling_its_batch() {
        let keys: Vec<Keypair> = (0..6u8).map(|i| Keypair::from_seed([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 5]).collect();
        let mut items: Vec<(&[u8], PublicKey, Signature)> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| (m.as_slice(), k.public(), k.sign(m)))
            .collect();
        // A small-order key, a non-canonical R, an s above ℓ, a bad equation.
        items[1].1 = PublicKey([0; 32]);
        items[2].2 .0[..32].copy_from_slice(&[0xff; 32]);
        items[3].2 .0[63] = 0xff;
        items[4].2 .0[40] ^= 1;
        assert!(verify_batch(&items).is_err());
        assert_eq!(
            verify_each(&items),
            vec![true, false, false, false, false, true]
        );
        // Without the bad equation, the batch holds for the rest.
        items[4] = (msgs[4].as_slice(), keys[4].public(), keys[4].sign(&msgs[4]));
        assert_eq!(
            verify_each(&items),
            vec![true, false, false, false, true, true]
        );
        for (i, (m, k, s)) in items.iter().enumerate() {
            assert_eq!(k.verify(m, s).is_ok(), ![1, 2, 3].contains(&i), "{i}");
        }
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
