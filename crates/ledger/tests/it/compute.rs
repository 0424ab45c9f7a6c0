//! The compute market's contract (issue 16, handlers in progress): the genesis's
//! `[compute]` settings, the ids and commitments, and the refusal of every compute
//! call until its handler lands (typed, nothing changed).

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::compute::{self, ComputeAttrs, ComputeParams, ComputeRequirements};
use plinth_ledger::{Call, LedgerError, Overlay, TxError};

#[test]
fn the_genesis_compute_settings_are_stored_and_checked() {
    let c = Chain::new(2);
    assert_eq!(
        compute::params(&Overlay::new(&c.store)).unwrap(),
        ComputeParams::default(),
        "no [compute] section: the defaults"
    );

    let mut g = genesis(2);
    g.compute = Some(ComputeParams {
        max_check_failures: 5,
        default_spot_check_bps: 2_500,
        ..ComputeParams::default()
    });
    let c = Chain::from_genesis(g);
    let p = compute::params(&Overlay::new(&c.store)).unwrap();
    assert_eq!((p.max_check_failures, p.default_spot_check_bps), (5, 2_500));

    // One missed check must never close a lease.
    let mut g = genesis(2);
    g.compute = Some(ComputeParams {
        max_check_failures: 1,
        ..ComputeParams::default()
    });
    match g.validate() {
        Err(LedgerError::Genesis(reason)) => {
            assert!(reason.contains("max_check_failures"), "{reason}")
        }
        other => panic!("expected a genesis error, got {other:?}"),
    }
    let mut g = genesis(2);
    g.compute = Some(ComputeParams {
        cheat_slash_bps: 10_001,
        ..ComputeParams::default()
    });
    assert!(g.validate().is_err());
}

#[test]
fn commitments_bind_the_provider_and_ids_differ() {
    let job = compute::job_id(&addr(&user(0)), 3);
    let result = compute::task_result_hash(b"tile 7");
    let a = dev_id(&device_key(1));
    let b = dev_id(&device_key(2));
    assert_ne!(
        compute::task_commitment(&job, 7, &a, &result),
        compute::task_commitment(&job, 7, &b, &result),
        "a commitment copied from another provider does not open to the same result"
    );
    assert_ne!(
        compute::task_commitment(&job, 7, &a, &result),
        compute::task_commitment(&job, 8, &a, &result)
    );
    assert_ne!(
        compute::job_id(&addr(&user(0)), 3),
        compute::order_id(&addr(&user(0)), 3)
    );
    assert_ne!(compute::claim_id(&job, 0), compute::claim_id(&job, 1));
    assert_eq!(compute::module_chunks(0), 0);
    assert_eq!(compute::module_chunks(1), 1);
    assert_eq!(
        compute::module_chunks(compute::MODULE_CHUNK_BYTES as u32),
        1
    );
    assert_eq!(
        compute::module_chunks(compute::MODULE_CHUNK_BYTES as u32 + 1),
        2
    );
}

#[test]
fn compute_calls_are_refused_until_their_handlers_land() {
    let mut c = Chain::new(2);
    let u = user(0);
    let calls = [
        Call::OfferCompute {
            device: dev_id(&device_key(1)),
            endpoint: "http://127.0.0.1:9000".into(),
            attrs: ComputeAttrs {
                cores: 8,
                memory_mib: 16_384,
                accelerator: None,
                region: berlin(),
            },
            attestation: None,
            price_per_block: 10,
            price_per_task: 5,
            collateral_per_lease: 1_000,
            collateral_per_task: 10,
            deposit: 0,
        },
        Call::PostOrder {
            network: "weather".into(),
            requirements: ComputeRequirements::default(),
            max_price_per_block: 10,
            duration_blocks: 100,
            deposit: 1_000,
            bid_blocks: 10,
        },
        Call::UploadModule {
            module: compute::module_hash(b"\0asm"),
            size: 4,
            index: 0,
            bytes: b"\0asm".to_vec(),
        },
        Call::FinalizeClaim {
            claim: Hash::tagged("test", b"claim"),
        },
    ];
    // A refused transaction changes nothing, its nonce included.
    for call in calls {
        c.reject(tx(&u, 0, 10, call), TxError::ComputeNotEnabled);
    }
}
