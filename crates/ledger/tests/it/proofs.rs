//! State proofs against the state root.

use crate::common::*;
use plinth_ledger::{keys, tree, Call, Store};

#[test]
fn account_proofs_verify_and_detect_tampering() {
    let mut c = Chain::new(3);
    let (a, b) = (user(0), user(1));
    let pay = |to: &plinth_core::Keypair, amount| Call::Transfer {
        to: addr(to),
        amount,
    };
    c.ok(c.tx(&a, pay(&b, 100)));
    let root1 = c.root();
    let v1 = c.height();
    c.ok(c.tx(&a, pay(&b, 200)));
    let root2 = c.root();
    let v2 = c.height();
    assert_ne!(root1, root2);

    let key = keys::account(&a.public());
    let (value, proof) = tree::prove(&c.store, &key, v2).unwrap();
    let value = value.expect("the account exists");
    assert_eq!(Some(value.clone()), c.store.get(&key).unwrap());
    let decoded: plinth_ledger::accounts::Account = borsh::from_slice(&value).unwrap();
    assert_eq!(decoded.balance, INITIAL_BALANCE - 300 - 2 * FEE);
    assert!(tree::verify(root2, &key, Some(&value), &proof));

    // A tampered value, a claimed absence, another key or another root all fail.
    let mut tampered = value.clone();
    tampered[0] ^= 1;
    assert!(!tree::verify(root2, &key, Some(&tampered), &proof));
    assert!(!tree::verify(root2, &key, None, &proof));
    assert!(!tree::verify(
        root2,
        &keys::account(&b.public()),
        Some(&value),
        &proof
    ));
    assert!(!tree::verify(root1, &key, Some(&value), &proof));

    // The previous version still proves its own value under its own root.
    let (old, old_proof) = tree::prove(&c.store, &key, v1).unwrap();
    let old = old.unwrap();
    assert_ne!(old, value);
    assert!(tree::verify(root1, &key, Some(&old), &old_proof));
    assert!(!tree::verify(root2, &key, Some(&old), &old_proof));
}

#[test]
fn absence_proofs_verify() {
    let mut c = Chain::new(2);
    c.block(vec![]);
    let root = c.root();
    let key = keys::account(&stranger().public());
    let (value, proof) = tree::prove(&c.store, &key, c.height()).unwrap();
    assert_eq!(value, None);
    assert!(tree::verify(root, &key, None, &proof));
    assert!(!tree::verify(root, &key, Some(b"anything"), &proof));

    // Once the key exists, the old absence proof no longer fits the new root.
    c.ok(c.tx(
        &user(0),
        Call::Transfer {
            to: addr(&stranger()),
            amount: 1,
        },
    ));
    assert!(!tree::verify(c.root(), &key, None, &proof));
    let (value, proof) = tree::prove(&c.store, &key, c.height()).unwrap();
    assert!(value.is_some());
    assert!(tree::verify(c.root(), &key, value.as_deref(), &proof));
}

#[test]
fn the_root_covers_params_devices_and_the_head_marker() {
    let mut c = Chain::new(1);
    c.register(&user(0), &device_key(0), berlin());
    let root = c.root();
    let h = c.height();
    for key in [
        keys::PARAMS.to_vec(),
        keys::HEAD.to_vec(),
        keys::device(&device_key(0).public()),
        keys::network(NETWORK),
        keys::validator(&validator_key().public()),
    ] {
        let (value, proof) = tree::prove(&c.store, &key, h).unwrap();
        assert!(value.is_some(), "{}", String::from_utf8_lossy(&key));
        assert_eq!(value, c.store.get(&key).unwrap());
        assert!(tree::verify(root, &key, value.as_deref(), &proof));
    }
    let (head, _) = tree::prove(&c.store, keys::HEAD, h).unwrap();
    let (height, ts): (u64, u64) = borsh::from_slice(&head.unwrap()).unwrap();
    assert_eq!(height, h);
    assert_eq!(ts, GENESIS_TIME_MS + h * BLOCK_TIME_MS);
}
