//! Block signature checks must be as strict as the single check
//! (`SignedTx::verify_signature`): batching is an optimisation, never a way in.

use crate::common::*;
use plinth_core::{Address, PublicKey, Signature};
use plinth_ledger::execute::verify_signatures;
use plinth_ledger::{Call, SignedTx, Transaction, TxError};

/// The encoding of the identity point, a small-order ("weak") public key.
fn identity() -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
}

/// `R` = identity, `s` = 0: satisfies the cofactorless batch equation for any
/// message under a key whose point is the identity.
fn trivial_signature() -> Signature {
    let mut s = [0u8; 64];
    s[..32].copy_from_slice(&identity());
    Signature(s)
}

fn from(signer: Address, nonce: u64, fee: u64, call: Call, signature: Signature) -> SignedTx {
    SignedTx {
        tx: Transaction {
            chain_id: CHAIN_ID.into(),
            signer,
            nonce,
            fee,
            call,
        },
        signature,
    }
}

#[test]
fn funds_at_a_weak_key_cannot_be_taken_with_a_trivial_signature() {
    let mut c = Chain::new(3);
    let burn = Address(PublicKey(identity()));
    c.ok(c.tx(
        &user(0),
        Call::Transfer {
            to: burn,
            amount: 50_000,
        },
    ));
    assert_eq!(c.balance(&burn), 50_000);
    let thief = user(2);
    let steal = from(
        burn,
        0,
        FEE,
        Call::Transfer {
            to: addr(&thief),
            amount: 50_000 - FEE,
        },
        trivial_signature(),
    );
    // The single, strict check refuses it...
    assert_eq!(steal.verify_signature(), Err(TxError::BadSignature));
    assert_eq!(verify_signatures(std::slice::from_ref(&steal)), vec![false]);
    // ...and so must a block, alone or batched with good transactions.
    c.reject(steal.clone(), TxError::BadSignature);
    let good = tx(&user(1), 0, FEE, Call::Withdraw);
    assert_eq!(
        verify_signatures(&[good.clone(), steal.clone()]),
        vec![true, false]
    );
    let receipts = c.block(vec![good, steal]);
    assert_eq!(receipts[1].error, Some(TxError::BadSignature));
    assert_eq!(c.balance(&burn), 50_000);
    assert_eq!(c.balance(&addr(&thief)), INITIAL_BALANCE);
}

#[test]
fn the_all_zero_burn_address_is_not_spendable() {
    // [0; 32] decodes to a point of order 4. A signature with R = identity and
    // s = 0 passes the batch equation whenever the challenge is a multiple of 4,
    // which a forger reaches by varying the fee.
    let mut c = Chain::new(1);
    let burn = Address(PublicKey([0; 32]));
    c.ok(c.tx(
        &user(0),
        Call::Transfer {
            to: burn,
            amount: 10_000,
        },
    ));
    let attempts: Vec<SignedTx> = (0..32)
        .map(|i| {
            from(
                burn,
                0,
                MIN_FEE + i,
                Call::Transfer {
                    to: addr(&user(0)),
                    amount: 1_000,
                },
                trivial_signature(),
            )
        })
        .collect();
    for t in &attempts {
        assert_eq!(t.verify_signature(), Err(TxError::BadSignature));
    }
    assert_eq!(verify_signatures(&attempts), vec![false; attempts.len()]);
    let receipts = c.block(attempts);
    for r in &receipts {
        assert_eq!(r.error, Some(TxError::BadSignature));
    }
    assert_eq!(c.balance(&burn), 10_000);
    assert_eq!(c.nonce_of(&burn), 0);
}

#[test]
fn batched_verdicts_match_single_checks() {
    let a = user(0);
    let mut txs: Vec<SignedTx> = (0..150).map(|n| tx(&a, n, FEE, Call::Withdraw)).collect();
    for i in [3, 64, 100, 149] {
        txs[i].signature.0[40] ^= 0x10;
    }
    let single: Vec<bool> = txs.iter().map(|t| t.verify_signature().is_ok()).collect();
    assert_eq!(single.iter().filter(|ok| !**ok).count(), 4);
    assert_eq!(verify_signatures(&txs), single);
}

#[test]
fn a_signature_checked_once_is_trusted_only_for_the_same_bytes() {
    // A good transaction is checked and remembered by its id, which commits to
    // every byte, the signature included.
    let a = user(0);
    let good = tx(&a, 7, FEE, Call::Withdraw);
    assert_eq!(verify_signatures(std::slice::from_ref(&good)), vec![true]);
    assert_eq!(verify_signatures(std::slice::from_ref(&good)), vec![true]);
    // The same transaction with one bit of its signature changed is another id:
    // checked afresh, and refused, however often the good one was seen.
    let mut forged = good.clone();
    forged.signature.0[40] ^= 0x10;
    assert_ne!(forged.hash(), good.hash());
    assert_eq!(
        verify_signatures(&[good.clone(), forged.clone()]),
        vec![true, false]
    );
    // So is the good signature over a changed transaction.
    let mut moved = good.clone();
    moved.tx.fee += 1;
    assert_eq!(
        verify_signatures(&[moved.clone(), good.clone()]),
        vec![false, true]
    );
    // And a block refuses the forged copy of a remembered transaction and
    // executes the remembered one.
    let mut c = Chain::new(2);
    let first = c.tx(
        &a,
        Call::Transfer {
            to: addr(&user(1)),
            amount: 10,
        },
    );
    assert_eq!(verify_signatures(std::slice::from_ref(&first)), vec![true]);
    let mut bad = first.clone();
    bad.signature.0[3] ^= 1;
    let receipts = c.block(vec![bad, first]);
    assert_eq!(receipts[0].error, Some(TxError::BadSignature));
    assert_eq!(receipts[1].error, None);
}

#[test]
fn a_signature_with_a_torsioned_r_gets_one_verdict_alone_batched_and_in_a_block() {
    // The account of secret scalar 3 signs with R = [r]B + T, T of order 8:
    // ed25519-dalek's batch equation (no cofactor) passed this by the batch's
    // coefficients and its strict check refused it, so validators batching
    // differently could disagree about a block carrying it. The rule now is one
    // (the cofactored equation), alone and in any batch: it is valid.
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};
    let secret = Scalar::from_bytes_mod_order([3; 32]);
    let signer = Address(PublicKey(
        EdwardsPoint::mul_base(&secret).compress().to_bytes(),
    ));
    let sign = |nonce: u64, call: Call| -> SignedTx {
        let tx = Transaction {
            chain_id: CHAIN_ID.into(),
            signer,
            nonce,
            fee: FEE,
            call,
        };
        let r = Scalar::from_bytes_mod_order([nonce as u8 + 9; 32]);
        let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[1])
            .compress()
            .to_bytes();
        let hash: [u8; 64] = Sha512::new()
            .chain_update(big_r)
            .chain_update(signer.0 .0)
            .chain_update(tx.signing_bytes())
            .finalize()
            .into();
        let s = r + Scalar::from_bytes_mod_order_wide(&hash) * secret;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        SignedTx {
            tx,
            signature: Signature(sig),
        }
    };
    let mut c = Chain::new(2);
    c.ok(c.tx(
        &user(0),
        Call::Transfer {
            to: signer,
            amount: 10_000,
        },
    ));
    let pay = |nonce| {
        sign(
            nonce,
            Call::Transfer {
                to: addr(&user(1)),
                amount: 100,
            },
        )
    };
    let (alone, batched) = (pay(0), pay(1));
    assert_eq!(alone.verify_signature(), Ok(()));
    assert_eq!(verify_signatures(std::slice::from_ref(&alone)), vec![true]);
    // Batched with 99 good transactions, first seen here.
    let mut batch: Vec<SignedTx> = (0..99)
        .map(|n| tx(&user(1), 1_000 + n, FEE, Call::Withdraw))
        .collect();
    batch.insert(50, batched.clone());
    assert_eq!(verify_signatures(&batch), vec![true; 100]);
    // Executed: both transfers go through, nonce by nonce.
    let receipts = c.block(vec![alone, batched]);
    assert!(receipts.iter().all(|r| r.error.is_none()), "{receipts:?}");
    assert_eq!(c.balance(&signer), 10_000 - 2 * (100 + FEE));
    // Altered, it is refused alone and batched.
    let mut bad = pay(2);
    bad.signature.0[40] ^= 1;
    assert_eq!(bad.verify_signature(), Err(TxError::BadSignature));
    batch[50] = bad;
    let verdicts = verify_signatures(&batch);
    assert!(!verdicts[50] && verdicts.iter().filter(|v| !**v).count() == 1);
}
