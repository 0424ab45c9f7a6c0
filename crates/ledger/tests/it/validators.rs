//! Changing the validator set: admin only, effective at the end of a validator
//! epoch's last block, checked like any other transaction.

use crate::common::*;
use plinth_core::Keypair;
use plinth_ledger::params::Validator;
use plinth_ledger::validators::{self, ValidatorSetGenesis};
use plinth_ledger::{apply_block, keys, Call, LedgerError, Overlay, SigCheck, Store, TxError};

const EPOCH_BLOCKS: u64 = 5;

fn admin() -> Keypair {
    user(0)
}

fn new_validator(i: u8) -> Keypair {
    Keypair::from_seed([0xB0 + i; 32])
}

fn member(k: &Keypair, name: &str) -> Validator {
    Validator {
        address: addr(k),
        name: name.into(),
    }
}

fn chain() -> Chain {
    let mut g = genesis(2);
    g.validator_set = Some(ValidatorSetGenesis {
        admin: Some(addr(&admin())),
        epoch_blocks: EPOCH_BLOCKS,
    });
    Chain::from_genesis(g)
}

fn is_validator<S: Store>(store: &S, k: &Keypair) -> bool {
    Overlay::new(store)
        .get_t::<Validator>(&keys::validator(addr(k).key()))
        .unwrap()
        .is_some()
}

fn set(validators: Vec<Validator>) -> Call {
    Call::SetValidators { validators }
}

#[test]
fn admin_change_takes_effect_at_the_epoch_boundary() {
    let mut c = chain();
    let (a, b) = (new_validator(0), new_validator(1));
    // Block 1 schedules the change (epoch 0 is heights 0..=4).
    c.ok(c.tx(&admin(), set(vec![member(&a, "a"), member(&b, "b")])));
    let record = validators::load(&Overlay::new(&c.store)).unwrap().unwrap();
    assert_eq!(record.current, vec![addr(&validator_key())]);
    assert_eq!(record.pending.as_ref().map(Vec::len), Some(2));

    // Until the epoch's last block, the genesis validator alone proposes.
    c.advance_to(3);
    assert!(is_validator(&c.store, &validator_key()));
    assert!(!is_validator(&c.store, &a));
    c.block(vec![]); // height 4: the last of epoch 0
    assert_eq!(c.height(), 4);
    assert!(!is_validator(&c.store, &validator_key()));
    assert!(is_validator(&c.store, &a) && is_validator(&c.store, &b));
    assert_eq!(
        validators::current(&c.store).unwrap(),
        Some((EPOCH_BLOCKS, vec![addr(&a), addr(&b)]))
    );

    // The first block of epoch 1 from the old validator is refused; from a new
    // one it applies.
    let (old_block, _) = c.seal(vec![]);
    assert!(matches!(
        apply_block(&c.store, &c.head, &old_block, SigCheck::Verify),
        Err(LedgerError::UnknownProposer { .. })
    ));
    c.validator = a.clone();
    let (new_block, _) = c.seal(vec![]);
    assert!(apply_block(&c.store, &c.head, &new_block, SigCheck::Verify).is_ok());
    c.block(vec![]);
    assert_eq!(c.height(), 5);
}

#[test]
fn only_the_admin_changes_the_set_and_only_to_a_valid_one() {
    let mut c = chain();
    let a = new_validator(0);
    c.reject(
        c.tx(&user(1), set(vec![member(&a, "a")])),
        TxError::NotValidatorAdmin {
            admin: Some(addr(&admin()).to_string()),
        },
    );
    c.reject(c.tx(&admin(), set(vec![])), TxError::EmptyValidatorSet);
    let twice = vec![member(&a, "a"), member(&a, "again")];
    c.reject(
        c.tx(&admin(), set(twice)),
        TxError::DuplicateValidator {
            address: addr(&a).to_string(),
        },
    );
    // A later change in the same epoch (epoch 1: heights 5..=9) replaces an
    // earlier one.
    c.advance_to(EPOCH_BLOCKS - 1);
    let b = new_validator(1);
    c.ok(c.tx(&admin(), set(vec![member(&a, "a")])));
    c.ok(c.tx(&admin(), set(vec![member(&b, "b")])));
    assert_eq!(c.height(), EPOCH_BLOCKS + 1);
    c.advance_to(2 * EPOCH_BLOCKS - 1);
    assert!(is_validator(&c.store, &b));
    assert!(!is_validator(&c.store, &a));
}

#[test]
fn a_chain_without_the_section_keeps_its_genesis_set() {
    let mut c = Chain::new(2);
    c.reject(
        c.tx(&user(0), set(vec![member(&new_validator(0), "a")])),
        TxError::NotValidatorAdmin { admin: None },
    );
    assert_eq!(validators::current(&c.store).unwrap(), None);
    c.advance_to(2 * EPOCH_BLOCKS);
    assert!(is_validator(&c.store, &validator_key()));
}

#[test]
fn genesis_hash_of_a_file_without_the_section_is_unchanged_by_it() {
    // The section is skipped when absent, so a genesis that never had it keeps
    // its identity (stores created before the section existed still open).
    let g = genesis(1);
    let json = serde_json::to_string(&g).unwrap();
    assert!(!json.contains("validator_set"));
    let mut with = g.clone();
    with.validator_set = Some(ValidatorSetGenesis {
        admin: None,
        epoch_blocks: 10,
    });
    assert_ne!(with.hash(), g.hash());
    with.validator_set.as_mut().unwrap().epoch_blocks = 1;
    assert!(with.validate().is_err());
}

/// Keys consensus cannot use are refused with a typed error, so no set in state
/// can stop the chain at the next epoch boundary: bytes that are no curve point,
/// small-order points (no strict signature verifies under them), a
/// non-canonical encoding, too many members, a bad name.
#[test]
fn sets_consensus_cannot_run_are_refused() {
    let mut c = chain();
    let good = member(&new_validator(0), "a");
    let with = |bad: Validator| set(vec![good.clone(), bad]);
    let raw = |bytes: [u8; 32]| Validator {
        address: plinth_core::Address(plinth_core::PublicKey(bytes)),
        name: "x".into(),
    };
    // y = 2 is not the y of any curve point.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    // The identity (order 1) and [0; 32] (order 4) are small-order points.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    // y = p + 1 encodes the identity again, non-canonically.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    for bytes in [not_a_point, identity, [0; 32], non_canonical] {
        assert!(!plinth_core::PublicKey(bytes).is_valid_point());
        let bad = raw(bytes);
        c.reject(
            c.tx(&admin(), with(bad.clone())),
            TxError::InvalidValidatorKey {
                address: bad.address.to_string(),
            },
        );
    }
    let too_many: Vec<Validator> = (0..=validators::MAX_VALIDATORS as u32)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            member(&Keypair::from_seed(seed), "m")
        })
        .collect();
    c.reject(
        c.tx(&admin(), set(too_many)),
        TxError::TooManyValidators {
            count: validators::MAX_VALIDATORS as u64 + 1,
            limit: validators::MAX_VALIDATORS as u64,
        },
    );
    let unnamed = member(&new_validator(1), "");
    c.reject(
        c.tx(&admin(), with(unnamed.clone())),
        TxError::BadValidatorName {
            address: unnamed.address.to_string(),
        },
    );
    // Nothing was scheduled; a good set still is.
    let record = validators::load(&Overlay::new(&c.store)).unwrap().unwrap();
    assert_eq!(record.pending, None);
    c.ok(c.tx(&admin(), set(vec![good])));
}
