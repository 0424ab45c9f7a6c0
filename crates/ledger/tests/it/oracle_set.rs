//! Changing the oracle set by transaction: the validator admin schedules a set
//! from a future epoch; manifests count the signatures of the set in force at
//! their own epoch, so a rotated key stops counting from its epoch on and
//! payments for earlier epochs go on without a pause.

use crate::common::*;
use plinth_core::Keypair;
use plinth_ledger::oracle_set::{
    oracle_schedule, oracle_set_at, OracleSet, MAX_PENDING_ORACLE_SETS,
};
use plinth_ledger::validators::ValidatorSetGenesis;
use plinth_ledger::{admit, Call, Genesis, Overlay, PendingView, TxError};

fn admin() -> Keypair {
    user(0)
}

fn with_admin(mut g: Genesis) -> Chain {
    g.validator_set = Some(ValidatorSetGenesis {
        admin: Some(addr(&admin())),
        epoch_blocks: 5,
    });
    Chain::from_genesis(g)
}

fn chain() -> Chain {
    with_admin(genesis(3))
}

/// The set of oracles `oracle_key(i)` for `members`, `threshold` of them signing.
fn oracles(threshold: u32, members: &[u8]) -> OracleSet {
    OracleSet {
        threshold,
        members: members.iter().map(|i| addr(&oracle_key(*i))).collect(),
    }
}

fn set_call(set: OracleSet, effective_epoch: u64) -> Call {
    Call::SetOracleSet {
        set,
        effective_epoch,
    }
}

/// Schedules `set` from `epoch` (must succeed).
fn schedule(c: &mut Chain, set: OracleSet, epoch: u64) {
    let stx = c.tx(&admin(), set_call(set, epoch));
    c.ok(stx);
}

fn set_at(c: &Chain, epoch: u64) -> OracleSet {
    oracle_set_at(&Overlay::new(&c.store), epoch).unwrap()
}

/// A one-entry manifest of `NETWORK` for `epoch` signed by `signers`.
fn manifest(c: &Chain, epoch: u64, signers: &[u8]) -> plinth_ledger::SignedTx {
    let es = entries(&[addr(&user(1))], &[1_000]);
    let header = manifest_header(NETWORK, epoch, &es);
    c.tx(&user(2), submit_call(&header, signers))
}

fn not_enough(valid: u32, threshold: u32) -> TxError {
    TxError::NotEnoughOracleSignatures { valid, threshold }
}

#[test]
fn a_rotated_key_signs_for_epochs_before_its_removal_and_none_after() {
    let mut c = chain();
    // Oracle 2's key is rotated out for oracle 3's from epoch 2.
    schedule(&mut c, oracles(2, &[0, 1, 3]), 2);
    assert_eq!(set_at(&c, 1), oracles(2, &[0, 1, 2]));
    assert_eq!(set_at(&c, 2), oracles(2, &[0, 1, 3]));
    c.finish_epoch(2);

    // Epoch 1 (N − 1): the old key counts, the new one does not.
    let m = manifest(&c, 1, &[0, 3]);
    c.reject(m, not_enough(1, 2));
    let m = manifest(&c, 1, &[0, 2]);
    c.ok(m);
    // Epoch 2 (N): the reverse.
    let m = manifest(&c, 2, &[0, 2]);
    c.reject(m, not_enough(1, 2));
    let m = manifest(&c, 2, &[0, 3]);
    c.ok(m);
    assert!(reward_epoch(&c.store, NETWORK, 1).is_some());
    assert!(reward_epoch(&c.store, NETWORK, 2).is_some());
}

#[test]
fn a_threshold_change_applies_from_its_epoch() {
    let mut c = chain();
    schedule(&mut c, oracles(3, &[0, 1, 2]), 2);
    c.finish_epoch(2);
    let m = manifest(&c, 1, &[0, 1]);
    c.ok(m);
    let m = manifest(&c, 2, &[0, 1]);
    c.reject(m, not_enough(2, 3));
    let m = manifest(&c, 2, &[0, 1, 2]);
    c.ok(m);
}

#[test]
fn only_the_validator_admin_may_change_the_set() {
    let mut c = chain();
    let stx = c.tx(&user(1), set_call(oracles(1, &[3]), 5));
    c.reject(
        stx,
        TxError::NotValidatorAdmin {
            admin: Some(addr(&admin()).to_string()),
        },
    );
    // A chain without an admin never changes its set.
    let mut c = Chain::new(3);
    let stx = c.tx(&user(0), set_call(oracles(1, &[3]), 5));
    c.reject(stx, TxError::NotValidatorAdmin { admin: None });
    assert_eq!(set_at(&c, 5), oracles(2, &[0, 1, 2]));
}

#[test]
fn a_set_takes_effect_only_after_the_current_epoch() {
    let mut c = chain();
    c.advance_to(29); // the next block is in epoch 3
    assert_eq!(c.next_epoch(), 3);
    for past in [0, 2, 3] {
        let stx = c.tx(&admin(), set_call(oracles(1, &[3]), past));
        c.reject(
            stx,
            TxError::OracleSetNotInFuture {
                effective_epoch: past,
                current_epoch: 3,
            },
        );
    }
    schedule(&mut c, oracles(1, &[3]), 4);
    assert_eq!(set_at(&c, 3), oracles(2, &[0, 1, 2]));
    assert_eq!(set_at(&c, 4), oracles(1, &[3]));
}

#[test]
fn malformed_and_empty_sets_are_refused() {
    let mut c = chain();
    let twice = OracleSet {
        threshold: 1,
        members: vec![addr(&oracle_key(1)), addr(&oracle_key(1))],
    };
    let stx = c.tx(&admin(), set_call(twice, 5));
    let reason = format!("oracle {} listed twice", addr(&oracle_key(1)));
    c.reject(stx, TxError::InvalidOracleSet { reason });
    let stx = c.tx(&admin(), set_call(oracles(3, &[0, 1]), 5));
    let reason = "oracle threshold 3 exceeds the 2 members".to_string();
    c.reject(stx, TxError::InvalidOracleSet { reason });
    let stx = c.tx(&admin(), set_call(OracleSet::default(), 5));
    c.reject(stx, TxError::InactiveOracleSet);
}

#[test]
fn at_most_eight_sets_wait_and_a_pending_one_can_be_replaced() {
    let mut c = chain();
    for e in 1..=MAX_PENDING_ORACLE_SETS as u64 {
        schedule(&mut c, oracles(1, &[e as u8]), e);
    }
    let stx = c.tx(&admin(), set_call(oracles(1, &[9]), 9));
    c.reject(
        stx,
        TxError::TooManyPendingOracleSets {
            pending: MAX_PENDING_ORACLE_SETS as u64 + 1,
            limit: MAX_PENDING_ORACLE_SETS as u64,
        },
    );
    // Scheduling an epoch that has a set replaces it.
    schedule(&mut c, oracles(2, &[7, 8]), 8);
    assert_eq!(set_at(&c, 8), oracles(2, &[7, 8]));
    let kept = oracle_schedule(&Overlay::new(&c.store)).unwrap();
    assert_eq!(kept.len(), 1 + MAX_PENDING_ORACLE_SETS);
    assert_eq!(kept[0], (0, oracles(2, &[0, 1, 2])));
    // Once epoch 1 is under way, one more may wait.
    c.advance_to(9);
    schedule(&mut c, oracles(1, &[9]), 9);
}

#[test]
fn the_mempool_admits_a_set_for_an_epoch_after_the_head() {
    let c = chain();
    let stx = c.tx(&admin(), set_call(oracles(1, &[3]), 1));
    let pending = PendingView::default();
    assert_eq!(admit(&c.store, &stx, pending, &c.proposer()).unwrap(), FEE);
    let stx = c.tx(&admin(), set_call(oracles(1, &[3]), 0));
    assert!(admit(&c.store, &stx, pending, &c.proposer()).is_err());
}

/// Pruning folds old entries into the base, but every set a manifest that is
/// still acceptable needs stays: at each block, the set in force at every epoch a
/// manifest may still be accepted for is the one a full history says.
#[test]
fn pruning_keeps_every_set_an_acceptable_manifest_needs() {
    const MAX_AGE: u64 = 2;
    let mut g = genesis(3);
    g.emission.manifest_max_age_epochs = MAX_AGE;
    let mut c = with_admin(g);
    // The whole history, never pruned: (from_epoch, set), later entries win.
    let mut history: Vec<(u64, OracleSet)> = vec![(0, oracles(2, &[0, 1, 2]))];
    let in_history = |h: &[(u64, OracleSet)], e: u64| {
        h.iter()
            .filter(|(from, _)| *from <= e)
            .max_by_key(|(from, _)| *from)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    for step in 0..40u64 {
        let current = c.next_epoch();
        let effective = current + 1 + step % 3;
        let set = oracles(
            1 + (step % 2) as u32,
            &[(step % 5) as u8, 5 + (step % 3) as u8],
        );
        schedule(&mut c, set.clone(), effective);
        history.retain(|(from, _)| *from != effective);
        history.push((effective, set));
        for e in current.saturating_sub(MAX_AGE)..current + 5 {
            assert_eq!(
                set_at(&c, e),
                in_history(&history, e),
                "step {step} epoch {e}"
            );
        }
        let kept = oracle_schedule(&Overlay::new(&c.store)).unwrap();
        assert!(kept.len() <= 1 + MAX_PENDING_ORACLE_SETS + MAX_AGE as usize + 1);
        c.advance_to(c.height() + 4);
    }

    // A manifest signed by the set in force at its epoch, still young enough, is
    // accepted after the pruning; one of an older epoch is too old anyway.
    let current = c.next_epoch();
    let epoch = current - MAX_AGE;
    let signers: Vec<u8> = set_at(&c, epoch)
        .members
        .iter()
        .map(|m| (0..10).find(|i| addr(&oracle_key(*i)) == *m).unwrap())
        .collect();
    let m = manifest(&c, epoch, &signers);
    c.ok(m);
}
