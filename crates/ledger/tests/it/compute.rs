//! The compute market (issue 16): the genesis's `[compute]` settings, ids and
//! commitments, the capacity market (offers, orders, bids, leases paid per block
//! from escrow, capacity checks) and verified jobs (modules, jobs, claims,
//! commitments, reveals, spot-check verdicts, finalization).

use crate::common::*;
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::compute::{
    self, Accelerator, ComputeAttrs, ComputeChecks, ComputeParams, ComputeRequirements, JobStatus,
    Lease, LeaseChecks, LeaseCloseReason, LeaseStatus,
};
use plinth_ledger::credits;
use plinth_ledger::genesis::GenesisNetwork;
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

// ---------------------------------------------------------------------------
// The capacity market

const GPU: &str = "gpu";
const ENDPOINT: &str = "http://93.184.216.34:9000";
const PER_LEASE: u64 = 5_000;
const POOL: u64 = 20_000;
const BID_DEPOSIT: u64 = 100;
const BURN: u64 = 100_000;
const CREDITS: u64 = 10_000;

fn consumer() -> Keypair {
    user(1)
}

fn relayer() -> Keypair {
    user(2)
}

fn h100() -> ComputeAttrs {
    ComputeAttrs {
        cores: 32,
        memory_mib: 262_144,
        accelerator: Some(Accelerator {
            model: "nvidia-h100".into(),
            memory_mib: 81_920,
            count: 1,
        }),
        region: berlin(),
    }
}

fn cpu_only() -> ComputeAttrs {
    ComputeAttrs {
        accelerator: None,
        ..h100()
    }
}

fn offer_call(device: &Keypair, attrs: ComputeAttrs, price: u64) -> Call {
    Call::OfferCompute {
        device: dev_id(device),
        endpoint: ENDPOINT.into(),
        attrs,
        attestation: None,
        price_per_block: price,
        price_per_task: 1,
        collateral_per_lease: PER_LEASE,
        collateral_per_task: 10,
        deposit: POOL,
    }
}

/// A chain with the compute network `gpu`, providers device 0 (an H100, user 0's)
/// and device 1 (CPU only, user 3's) offering, and 10,000 credits for the consumer.
fn market() -> Chain {
    let mut g = genesis(4);
    g.networks.push(GenesisNetwork {
        name: GPU.into(),
        family: compute::FAMILY.into(),
        params: Default::default(),
        share_bps: 1_000,
        usage_bps: 5_000,
        require_maker: false,
    });
    let mut c = Chain::from_genesis(g);
    for (owner, device, attrs) in [
        (user(0), device_key(0), h100()),
        (user(3), device_key(1), cpu_only()),
    ] {
        let stx = c.tx(&owner, register_call(&addr(&owner), &device, GPU, berlin()));
        c.ok(stx);
        let stx = c.tx(&owner, offer_call(&device, attrs, 5));
        c.ok(stx);
    }
    buy_credits(&mut c, &relayer(), &consumer(), BURN);
    assert_eq!(credits_of(&c, &addr(&consumer())), CREDITS);
    c
}

fn credits_of(c: &Chain, a: &Address) -> u64 {
    credits::load(&Overlay::new(&c.store), a).unwrap().total()
}

fn balance(c: &Chain, a: &Address) -> u64 {
    account(&c.store, a).map_or(0, |a| a.balance)
}

fn offer_of(c: &Chain, device: &Keypair) -> compute::ComputeOffer {
    compute::offer(&Overlay::new(&c.store), &dev_id(device))
        .unwrap()
        .unwrap()
}

fn lease_of(c: &Chain, id: &Hash) -> Lease {
    compute::lease(&Overlay::new(&c.store), id)
        .unwrap()
        .unwrap()
}

/// Posts an order (10 per block at most, `deposit` credits, 100 blocks) and returns its id.
fn post(c: &mut Chain, req: ComputeRequirements, deposit: u64) -> Hash {
    let nonce = c.nonce(&consumer());
    let stx = c.tx(
        &consumer(),
        Call::PostOrder {
            network: GPU.into(),
            requirements: req,
            max_price_per_block: 10,
            duration_blocks: 100,
            deposit,
            bid_blocks: 20,
        },
    );
    c.ok(stx);
    compute::order_id(&addr(&consumer()), nonce)
}

fn bid_call(order: &Hash, device: &Keypair, price: u64) -> Call {
    Call::PlaceBid {
        order: *order,
        device: dev_id(device),
        price_per_block: price,
        deposit: BID_DEPOSIT,
        expires_in: 10,
    }
}

/// An order, bids by both providers, device 0's bid accepted at 7 per block.
fn leased(c: &mut Chain, deposit: u64) -> Hash {
    let order = post(c, ComputeRequirements::default(), deposit);
    let stx = c.tx(&user(0), bid_call(&order, &device_key(0), 7));
    c.ok(stx);
    let stx = c.tx(&user(3), bid_call(&order, &device_key(1), 10));
    c.ok(stx);
    let stx = c.tx(
        &consumer(),
        Call::AcceptBid {
            order,
            device: dev_id(&device_key(0)),
        },
    );
    c.ok(stx);
    order
}

#[test]
fn a_lease_pays_its_provider_per_block_and_the_close_settles_it() {
    let mut c = market();
    let user3_before = balance(&c, &addr(&user(3)));
    let id = leased(&mut c, 1_000);
    let start = c.height();
    assert_eq!(credits_of(&c, &addr(&consumer())), CREDITS - 1_000);
    // The losing bid's deposit went back; the lease collateral is locked.
    assert_eq!(balance(&c, &addr(&user(3))), user3_before - FEE);
    let o = offer_of(&c, &device_key(0));
    assert_eq!(
        (o.free, o.locked, o.open_leases),
        (POOL - PER_LEASE, PER_LEASE, 1)
    );
    let l = lease_of(&c, &id);
    assert_eq!(
        (l.price_per_block, l.escrow, l.status),
        (7, 1_000, LeaseStatus::Active)
    );
    assert_eq!(
        l.attrs,
        h100(),
        "the lease records the accelerator it was bid with"
    );

    // Idle blocks change nothing stored; the view settles lazily.
    c.advance_to(start + 20);
    assert_eq!(lease_of(&c, &id).escrow, 1_000);
    let view = compute::lease_now(&lease_of(&c, &id), c.height() + 1);
    assert_eq!(view.paid, 7 * 21);

    let stx = c.tx(&consumer(), Call::CloseLease { lease: id });
    c.ok(stx);
    let l = lease_of(&c, &id);
    assert_eq!(
        l.status,
        LeaseStatus::Closed(LeaseCloseReason::ClosedByConsumer)
    );
    assert_eq!(
        l.paid,
        7 * 21,
        "paid for every block from the accepting one to the close"
    );
    assert_eq!(l.escrow, 0);
    assert_eq!(
        credits_of(&c, &addr(&consumer())),
        CREDITS - 7 * 21,
        "the unused escrow came back"
    );
    let o = offer_of(&c, &device_key(0));
    assert_eq!((o.free, o.locked, o.open_leases), (POOL, 0, 0));
    let r = compute::reputation(&Overlay::new(&c.store), &dev_id(&device_key(0))).unwrap();
    assert_eq!((r.leases_completed, r.credits_earned), (1, 7 * 21));
    // Closed once; the replay gives the same chain.
    let stx = c.tx(&consumer(), Call::CloseLease { lease: id });
    c.reject(
        stx,
        TxError::LeaseClosed {
            lease: id.to_string(),
        },
    );
    c.replay();
}

#[test]
fn a_dry_escrow_pays_exactly_what_it_covered() {
    let mut c = market();
    let id = leased(&mut c, 7 * 3 + 4);
    let start = lease_of(&c, &id).start_height;
    c.advance_to(start + 50);
    // Anyone may close a lease that ended.
    let stx = c.tx(&relayer(), Call::CloseLease { lease: id });
    c.ok(stx);
    let l = lease_of(&c, &id);
    assert_eq!(
        l.status,
        LeaseStatus::Closed(LeaseCloseReason::EscrowExhausted)
    );
    assert_eq!((l.paid, l.settled_height), (21, start + 3));
    assert_eq!(
        credits_of(&c, &addr(&consumer())),
        CREDITS - 21,
        "the remainder came back"
    );
    let earned: u64 = (0..=c.next_epoch())
        .map(|e| compute::earned(&Overlay::new(&c.store), GPU, e, &dev_id(&device_key(0))).unwrap())
        .sum();
    assert_eq!(
        earned, 21,
        "the provider's earnings, counted in the epoch of the close"
    );
}

#[test]
fn bids_and_closes_are_refused_when_they_break_the_rules() {
    let mut c = market();
    let order = post(
        &mut c,
        ComputeRequirements {
            accelerator_model: Some("nvidia-h100".into()),
            ..ComputeRequirements::default()
        },
        1_000,
    );
    let stx = c.tx(&user(3), bid_call(&order, &device_key(1), 9));
    c.reject(
        stx,
        TxError::RequirementsNotMet {
            device: dev_id(&device_key(1)).to_string(),
            reason: "no accelerator, the order needs nvidia-h100".into(),
        },
    );
    let stx = c.tx(&user(0), bid_call(&order, &device_key(0), 11));
    c.reject(
        stx,
        TxError::BadBid {
            reason: "price 11 per block is above the order's 10".into(),
        },
    );
    let stx = c.tx(&user(0), bid_call(&order, &device_key(0), 9));
    c.ok(stx);
    // Only the consumer accepts.
    let stx = c.tx(
        &relayer(),
        Call::AcceptBid {
            order,
            device: dev_id(&device_key(0)),
        },
    );
    c.reject(
        stx,
        TxError::NotConsumer {
            consumer: addr(&consumer()).to_string(),
        },
    );
    let stx = c.tx(
        &consumer(),
        Call::AcceptBid {
            order,
            device: dev_id(&device_key(0)),
        },
    );
    c.ok(stx);
    // A stranger may not close a running lease.
    let stx = c.tx(&relayer(), Call::CloseLease { lease: order });
    c.reject(
        stx,
        TxError::NotLeaseParty {
            lease: order.to_string(),
        },
    );
    // The provider's owner may.
    let stx = c.tx(&user(0), Call::CloseLease { lease: order });
    c.ok(stx);
    assert_eq!(
        lease_of(&c, &order).status,
        LeaseStatus::Closed(LeaseCloseReason::ClosedByProvider)
    );
    // An order on a network of another family.
    let stx = c.tx(
        &consumer(),
        Call::PostOrder {
            network: NETWORK.into(),
            requirements: ComputeRequirements::default(),
            max_price_per_block: 10,
            duration_blocks: 100,
            deposit: 100,
            bid_blocks: 20,
        },
    );
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::NotComputeNetwork { .. })
    ));
}

#[test]
fn failed_checks_in_a_row_close_the_lease_and_slash_but_one_miss_does_not() {
    let mut c = market();
    let id = leased(&mut c, 5_000);
    let consumer_tokens = balance(&c, &addr(&consumer()));
    let checks = |epoch: u64, results: &[bool]| {
        let m = ComputeChecks {
            chain: chain(),
            network: GPU.into(),
            epoch,
            leases: vec![LeaseChecks {
                lease: id,
                results: results.to_vec(),
            }],
        };
        Call::SettleChecks {
            signatures: vec![m.sign(&oracle_key(0)), m.sign(&oracle_key(1))],
            checks: m,
        }
    };
    let e = lease_of(&c, &id).next_check_epoch;
    c.finish_epoch(e);
    let stx = c.tx(&relayer(), checks(e, &[true, false, true, false]));
    c.ok(stx);
    let l = lease_of(&c, &id);
    assert_eq!(
        (l.checks_passed, l.checks_failed, l.status),
        (2, 2, LeaseStatus::Active)
    );
    // The same epoch again changes nothing.
    let stx = c.tx(&relayer(), checks(e, &[false, false, false]));
    c.ok(stx);
    assert_eq!(lease_of(&c, &id).status, LeaseStatus::Active);
    c.finish_epoch(e + 1);
    let stx = c.tx(&relayer(), checks(e + 1, &[false, false, false]));
    c.ok(stx);
    let l = lease_of(&c, &id);
    assert_eq!(
        l.status,
        LeaseStatus::Closed(LeaseCloseReason::FailedChecks)
    );
    assert_eq!(l.consecutive_failures, 3);
    assert_eq!(
        balance(&c, &addr(&consumer())),
        consumer_tokens + PER_LEASE,
        "the lease collateral went to the consumer"
    );
    assert_eq!(
        credits_of(&c, &addr(&consumer())) + l.paid,
        CREDITS,
        "every credit is paid or back"
    );
    let o = offer_of(&c, &device_key(0));
    assert_eq!((o.free, o.locked), (POOL - PER_LEASE, 0));
    let r = compute::reputation(&Overlay::new(&c.store), &dev_id(&device_key(0))).unwrap();
    // The run of failures spans the epochs (the first epoch ended on a miss): the
    // third failure in a row closed the lease, the check after it never counted.
    assert_eq!(
        (r.leases_failed, r.checks_passed, r.checks_failed),
        (1, 2, 4)
    );
    c.replay();
}

// ---------------------------------------------------------------------------
// Modules and jobs

/// A module of 2 full chunks and a partial one.
fn module_bytes() -> Vec<u8> {
    (0..(2 * compute::MODULE_CHUNK_BYTES + 100))
        .map(|i| (i * 7 % 251) as u8)
        .collect()
}

fn chunk_call(bytes: &[u8], index: usize, chunk: &[u8]) -> Call {
    Call::UploadModule {
        module: compute::module_hash(bytes),
        size: bytes.len() as u32,
        index: index as u32,
        bytes: chunk.to_vec(),
    }
}

fn upload(c: &mut Chain, bytes: &[u8]) {
    for (i, chunk) in bytes.chunks(compute::MODULE_CHUNK_BYTES).enumerate() {
        let stx = c.tx(&relayer(), chunk_call(bytes, i, chunk));
        c.ok(stx);
    }
}

#[test]
fn a_module_is_uploaded_in_chunks_and_checked_against_its_hash() {
    let mut c = market();
    let bytes = module_bytes();
    let hash = compute::module_hash(&bytes);
    let parts: Vec<&[u8]> = bytes.chunks(compute::MODULE_CHUNK_BYTES).collect();
    // A chunk of the wrong length.
    let stx = c.tx(&relayer(), chunk_call(&bytes, 2, &parts[2][1..]));
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::BadModuleUpload { .. })
    ));
    // A wrong chunk: the completing chunk finds the hash differs, changes nothing.
    let mut wrong = parts[0].to_vec();
    wrong[0] ^= 1;
    let stx = c.tx(&relayer(), chunk_call(&bytes, 0, &wrong));
    c.ok(stx);
    let stx = c.tx(&relayer(), chunk_call(&bytes, 1, parts[1]));
    c.ok(stx);
    let stx = c.tx(&relayer(), chunk_call(&bytes, 2, parts[2]));
    let r = c.one(stx);
    assert!(
        matches!(&r.error, Some(TxError::BadModuleUpload { reason }) if reason.contains("send the wrong chunk again")),
        "{r:?}"
    );
    assert!(compute::module(&Overlay::new(&c.store), &hash)
        .unwrap()
        .is_none());
    // The right chunk replaces the wrong one; the last completes the module.
    let stx = c.tx(&relayer(), chunk_call(&bytes, 0, parts[0]));
    c.ok(stx);
    let stx = c.tx(&relayer(), chunk_call(&bytes, 2, parts[2]));
    c.ok(stx);
    let o = Overlay::new(&c.store);
    let info = compute::module(&o, &hash).unwrap().unwrap();
    assert_eq!(
        (info.size as usize, info.uploader),
        (bytes.len(), addr(&relayer()))
    );
    assert_eq!(compute::module_bytes(&o, &hash).unwrap().unwrap(), bytes);
    // Once on the ledger, it is not uploaded again.
    let stx = c.tx(&relayer(), chunk_call(&bytes, 0, parts[0]));
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::BadModuleUpload { .. })
    ));
    c.replay();
}

fn job_call(module: Hash, tasks: u32, redundancy: u8) -> Call {
    Call::CreateJob {
        network: GPU.into(),
        module,
        input: b"scene".to_vec(),
        tasks,
        fuel_per_task: 1_000_000,
        price_per_task: 3,
        spot_check_bps: None,
        redundancy,
        lease: None,
        deadline_blocks: 1_000,
    }
}

#[test]
fn a_job_escrows_every_copy_of_its_tasks_and_a_cancel_refunds_them() {
    let mut c = market();
    let bytes = module_bytes();
    let hash = compute::module_hash(&bytes);
    // No module, no job.
    let stx = c.tx(&consumer(), job_call(hash, 16, 2));
    c.reject(
        stx,
        TxError::UnknownModule {
            module: hash.to_string(),
        },
    );
    upload(&mut c, &bytes);
    let stx = c.tx(&consumer(), job_call(hash, 16, 9));
    assert!(
        matches!(c.one(stx).error, Some(TxError::BadJob { .. })),
        "redundancy above the maximum"
    );
    let nonce = c.nonce(&consumer());
    let stx = c.tx(&consumer(), job_call(hash, 16, 1));
    c.ok(stx);
    let id = compute::job_id(&addr(&consumer()), nonce);
    let o = Overlay::new(&c.store);
    let job = compute::job(&o, &id).unwrap().unwrap();
    assert_eq!(job.escrow, 16 * 3);
    assert_eq!(
        job.spot_check_bps,
        ComputeParams::default().default_spot_check_bps
    );
    assert_eq!(compute::job_input(&o, &id).unwrap().unwrap(), b"scene");
    assert_eq!(credits_of(&c, &addr(&consumer())), CREDITS - 48);
    // Only the consumer cancels; the cancel refunds every unclaimed copy.
    let stx = c.tx(&relayer(), Call::CancelJob { job: id });
    c.reject(
        stx,
        TxError::NotConsumer {
            consumer: addr(&consumer()).to_string(),
        },
    );
    let stx = c.tx(&consumer(), Call::CancelJob { job: id });
    c.ok(stx);
    assert_eq!(credits_of(&c, &addr(&consumer())), CREDITS);
    let job = compute::job(&Overlay::new(&c.store), &id).unwrap().unwrap();
    assert_eq!((job.status, job.escrow), (JobStatus::Cancelled, 0));
    let stx = c.tx(&consumer(), Call::CancelJob { job: id });
    c.reject(
        stx,
        TxError::JobNotOpen {
            job: id.to_string(),
        },
    );
}

/// A chain with the module on it and a job of 8 tasks; returns the job's id.
fn with_job(c: &mut Chain) -> Hash {
    let bytes = module_bytes();
    if compute::module(&Overlay::new(&c.store), &compute::module_hash(&bytes))
        .unwrap()
        .is_none()
    {
        upload(c, &bytes);
    }
    let nonce = c.nonce(&consumer());
    let stx = c.tx(&consumer(), job_call(compute::module_hash(&bytes), 8, 1));
    c.ok(stx);
    compute::job_id(&addr(&consumer()), nonce)
}

fn result(task: u32) -> Hash {
    compute::task_result_hash(format!("tile {task}").as_bytes())
}

#[test]
fn claims_commit_then_reveal_and_a_copied_commitment_never_opens() {
    let mut c = market();
    let job = with_job(&mut c);
    let (d0, d1) = (dev_id(&device_key(0)), dev_id(&device_key(1)));
    // Only the device's owner claims with it.
    let stx = c.tx(
        &relayer(),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 4,
        },
    );
    assert!(matches!(
        c.one(stx).error,
        Some(TxError::NotDeviceOwner { .. })
    ));
    let stx = c.tx(
        &user(0),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 4,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &user(3),
        Call::ClaimTasks {
            job,
            device: d1,
            count: 10,
        },
    );
    c.ok(stx);
    let o = Overlay::new(&c.store);
    let first = compute::claim(&o, &compute::claim_id(&job, 0))
        .unwrap()
        .unwrap();
    let second = compute::claim(&o, &compute::claim_id(&job, 1))
        .unwrap()
        .unwrap();
    assert_eq!(first.tasks, vec![0, 1, 2, 3]);
    assert_eq!(
        second.tasks,
        vec![4, 5, 6, 7],
        "the lowest open tasks, no more than there are"
    );
    assert_eq!(
        offer_of(&c, &device_key(0)).locked,
        4 * 10,
        "collateral per claimed task"
    );
    let stx = c.tx(
        &user(0),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 1,
        },
    );
    c.reject(
        stx,
        TxError::NoOpenTasks {
            job: job.to_string(),
            device: d0.to_string(),
        },
    );

    // Device 0 commits and reveals; the reveal cannot share the commit's block.
    let commit0: Vec<Hash> = first
        .tasks
        .iter()
        .map(|&t| compute::task_commitment(&job, t, &d0, &result(t)))
        .collect();
    let reveal0: Vec<Hash> = first.tasks.iter().map(|&t| result(t)).collect();
    let receipts = c.block(vec![
        c.tx(
            &user(0),
            Call::CommitTasks {
                claim: first.id,
                commitments: commit0.clone(),
            },
        ),
        tx(
            &user(0),
            c.nonce(&user(0)) + 1,
            FEE,
            Call::RevealTasks {
                claim: first.id,
                results: reveal0.clone(),
            },
        ),
    ]);
    assert_eq!(receipts[0].error, None);
    assert!(
        matches!(receipts[1].error, Some(TxError::TooEarly { .. })),
        "{:?}",
        receipts[1]
    );
    let mut wrong = reveal0.clone();
    wrong[2] = result(99);
    let stx = c.tx(
        &user(0),
        Call::RevealTasks {
            claim: first.id,
            results: wrong,
        },
    );
    let r = c.one(stx);
    assert!(
        matches!(&r.error, Some(TxError::BadClaim { reason, .. }) if reason.contains("task 2")),
        "{r:?}"
    );
    let stx = c.tx(
        &user(0),
        Call::RevealTasks {
            claim: first.id,
            results: reveal0,
        },
    );
    c.ok(stx);
    let revealed = compute::claim(&Overlay::new(&c.store), &first.id)
        .unwrap()
        .unwrap();
    assert_eq!(revealed.status, compute::ClaimStatus::Revealed);

    // Device 1 copies commitments made for device 0: they never open to its results.
    let copied: Vec<Hash> = second
        .tasks
        .iter()
        .map(|&t| compute::task_commitment(&job, t, &d0, &result(t)))
        .collect();
    let stx = c.tx(
        &user(3),
        Call::CommitTasks {
            claim: second.id,
            commitments: copied,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &user(3),
        Call::RevealTasks {
            claim: second.id,
            results: second.tasks.iter().map(|&t| result(t)).collect(),
        },
    );
    let r = c.one(stx);
    assert!(matches!(r.error, Some(TxError::BadClaim { .. })), "{r:?}");
    // A second commit of a committed claim is refused.
    let stx = c.tx(
        &user(3),
        Call::CommitTasks {
            claim: second.id,
            commitments: commit0,
        },
    );
    assert!(matches!(c.one(stx).error, Some(TxError::ClaimState { .. })));
    c.replay();
}

/// Claims every task of `job` with device 0, commits and reveals `results`; returns the claim.
fn revealed(c: &mut Chain, job: Hash, results: &[Hash]) -> compute::TaskClaim {
    let d0 = dev_id(&device_key(0));
    let n = compute::job(&Overlay::new(&c.store), &job)
        .unwrap()
        .unwrap()
        .claims;
    let stx = c.tx(
        &user(0),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 8,
        },
    );
    c.ok(stx);
    let id = compute::claim_id(&job, n);
    let cl = compute::claim(&Overlay::new(&c.store), &id)
        .unwrap()
        .unwrap();
    let commitments = cl
        .tasks
        .iter()
        .zip(results)
        .map(|(&t, r)| compute::task_commitment(&job, t, &d0, r))
        .collect();
    let stx = c.tx(
        &user(0),
        Call::CommitTasks {
            claim: id,
            commitments,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &user(0),
        Call::RevealTasks {
            claim: id,
            results: results.to_vec(),
        },
    );
    c.ok(stx);
    compute::claim(&Overlay::new(&c.store), &id)
        .unwrap()
        .unwrap()
}

fn verdict_call(
    cl: &compute::TaskClaim,
    seed_height: u64,
    checks: &[(u32, bool)],
    epoch: u64,
) -> Call {
    let v = compute::JobVerdict {
        chain: chain(),
        claim: cl.id,
        epoch,
        seed_height,
        checks: checks
            .iter()
            .map(|&(task, ok)| compute::TaskCheck { task, ok })
            .collect(),
    };
    Call::VerifyClaim {
        signatures: vec![v.sign(&oracle_key(0)), v.sign(&oracle_key(1))],
        verdict: v,
    }
}

#[test]
fn a_spot_check_pays_honest_results_and_slashes_a_wrong_one() {
    let mut c = market();
    let job = with_job(&mut c);
    assert_eq!(compute::spot_check_count(8, 1_000), 1);
    assert_eq!(compute::spot_check_count(8, 2_600), 3);
    // The draw: the count, distinct tasks of the claim, ascending, the same for
    // everyone, and another seed draws other tasks.
    let tasks: Vec<u32> = (10..30).collect();
    let (s1, s2, claim) = (
        Hash::tagged("t", b"1"),
        Hash::tagged("t", b"2"),
        Hash::tagged("t", b"c"),
    );
    let d = compute::spot_check_tasks(&s1, &claim, &tasks, 2_500);
    assert_eq!(d.len(), 5);
    assert!(d.windows(2).all(|w| w[0] < w[1]) && d.iter().all(|t| tasks.contains(t)));
    assert_eq!(d, compute::spot_check_tasks(&s1, &claim, &tasks, 2_500));
    assert_ne!(d, compute::spot_check_tasks(&s2, &claim, &tasks, 2_500));
    assert_eq!(
        compute::spot_check_tasks(&s1, &claim, &tasks, 10_000),
        tasks
    );
    assert!(compute::spot_check_tasks(&s1, &claim, &tasks, 0).is_empty());
    assert_eq!(compute::spot_check_count(8, 0), 0);
    let honest: Vec<Hash> = (0..8).map(result).collect();
    let cl = revealed(&mut c, job, &honest);
    let seed = cl.revealed_height + 1;
    c.advance_to(seed);
    let epoch = c.next_epoch();
    // Wrong count, a task not of the claim, too few signatures.
    let stx = c.tx(
        &relayer(),
        verdict_call(&cl, seed, &[(1, true), (2, true)], epoch),
    );
    assert!(matches!(c.one(stx).error, Some(TxError::BadVerdict { .. })));
    let stx = c.tx(&relayer(), verdict_call(&cl, seed, &[(9, true)], epoch));
    assert!(matches!(c.one(stx).error, Some(TxError::BadVerdict { .. })));
    // A good verdict pays 8 tasks at 3 and returns the collateral.
    let stx = c.tx(&relayer(), verdict_call(&cl, seed, &[(5, true)], epoch));
    c.ok(stx);
    let o = Overlay::new(&c.store);
    let j = compute::job(&o, &job).unwrap().unwrap();
    assert_eq!((j.status, j.done, j.escrow), (JobStatus::Completed, 8, 0));
    let r = compute::reputation(&o, &dev_id(&device_key(0))).unwrap();
    assert_eq!((r.tasks_verified, r.credits_earned), (8, 24));
    assert_eq!(offer_of(&c, &device_key(0)).locked, 0);
    assert_eq!(
        compute::task_slot(&o, &job, 5).unwrap().result,
        Some(result(5))
    );

    // A cheater: a wrong result found by the check is slashed, its tasks reopen.
    let job = with_job(&mut c);
    let tokens = balance(&c, &addr(&consumer()));
    let mut faked = honest.clone();
    faked[3] = result(1_000);
    let cl = revealed(&mut c, job, &faked);
    let seed = cl.revealed_height + 1;
    c.advance_to(seed);
    let stx = c.tx(
        &relayer(),
        verdict_call(&cl, seed, &[(3, false)], c.next_epoch()),
    );
    c.ok(stx);
    let o = Overlay::new(&c.store);
    let slashed = compute::claim(&o, &cl.id).unwrap().unwrap();
    assert_eq!(slashed.status, compute::ClaimStatus::Slashed);
    assert_eq!(
        balance(&c, &addr(&consumer())),
        tokens + 8 * 10,
        "the claim's collateral went to the consumer"
    );
    let j = compute::job(&o, &job).unwrap().unwrap();
    assert_eq!(
        (j.status, j.done, j.escrow),
        (JobStatus::Open, 0, 24),
        "paid nothing, the price stays for the re-run"
    );
    assert_eq!(
        compute::reputation(&o, &dev_id(&device_key(0)))
            .unwrap()
            .claims_slashed,
        1
    );
    // The tasks are open again: another provider takes them.
    let stx = c.tx(
        &user(3),
        Call::ClaimTasks {
            job,
            device: dev_id(&device_key(1)),
            count: 8,
        },
    );
    c.ok(stx);
    c.replay();
}

#[test]
fn claims_expire_unrevealed_ones_are_slashed_and_unchecked_ones_paid_after_the_window() {
    let mut c = market();
    let p = ComputeParams::default();
    let job = with_job(&mut c);
    let d0 = dev_id(&device_key(0));
    let stx = c.tx(
        &user(0),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 2,
        },
    );
    c.ok(stx);
    let first = compute::claim(&Overlay::new(&c.store), &compute::claim_id(&job, 0))
        .unwrap()
        .unwrap();
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: first.id });
    c.reject(
        stx,
        TxError::TooEarly {
            from_height: first.commit_deadline,
        },
    );
    c.advance_to(first.commit_deadline - 1);
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: first.id });
    c.ok(stx);
    let o = Overlay::new(&c.store);
    assert_eq!(
        compute::claim(&o, &first.id).unwrap().unwrap().status,
        compute::ClaimStatus::Expired
    );
    assert_eq!(compute::reputation(&o, &d0).unwrap().claims_expired, 1);
    assert_eq!(
        offer_of(&c, &device_key(0)).locked,
        0,
        "an expired claim's collateral comes back whole"
    );

    // Committed, never revealed: slashed after the reveal window.
    let stx = c.tx(
        &user(0),
        Call::ClaimTasks {
            job,
            device: d0,
            count: 2,
        },
    );
    c.ok(stx);
    let second = compute::claim(&Overlay::new(&c.store), &compute::claim_id(&job, 1))
        .unwrap()
        .unwrap();
    assert_eq!(
        second.tasks, first.tasks,
        "the expired claim's tasks were open again"
    );
    let stx = c.tx(
        &user(0),
        Call::CommitTasks {
            claim: second.id,
            commitments: vec![result(0), result(1)],
        },
    );
    c.ok(stx);
    let committed_at = c.height();
    c.advance_to(committed_at + p.reveal_blocks - 1);
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: second.id });
    c.reject(
        stx,
        TxError::TooEarly {
            from_height: committed_at + p.reveal_blocks + 1,
        },
    );
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: second.id });
    c.ok(stx);
    assert_eq!(
        compute::claim(&Overlay::new(&c.store), &second.id)
            .unwrap()
            .unwrap()
            .status,
        compute::ClaimStatus::Slashed
    );

    // Revealed and never checked: paid once the verify window passed.
    let honest: Vec<Hash> = (0..8).map(result).collect();
    let cl = revealed(&mut c, job, &honest);
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: cl.id });
    assert!(matches!(c.one(stx).error, Some(TxError::TooEarly { .. })));
    c.advance_to(cl.revealed_height + p.verify_blocks);
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: cl.id });
    c.ok(stx);
    let j = compute::job(&Overlay::new(&c.store), &job)
        .unwrap()
        .unwrap();
    assert_eq!((j.status, j.done), (JobStatus::Completed, 8));
    c.replay();
}

/// A job of `tasks` tasks run by `k` providers each, with no spot check (so a
/// revealed claim can be finalized at once); returns its id.
fn redundant_job(c: &mut Chain, tasks: u32, k: u8) -> Hash {
    let bytes = module_bytes();
    if compute::module(&Overlay::new(&c.store), &compute::module_hash(&bytes))
        .unwrap()
        .is_none()
    {
        upload(c, &bytes);
    }
    let nonce = c.nonce(&consumer());
    let mut call = job_call(compute::module_hash(&bytes), tasks, k);
    if let Call::CreateJob { spot_check_bps, .. } = &mut call {
        *spot_check_bps = Some(0);
    }
    let stx = c.tx(&consumer(), call);
    c.ok(stx);
    compute::job_id(&addr(&consumer()), nonce)
}

/// Claims up to `count` tasks of `job` with `device` (owned by `owner`); the claim.
fn claim_with(
    c: &mut Chain,
    owner: &Keypair,
    device: &Keypair,
    job: Hash,
    count: u32,
) -> compute::TaskClaim {
    let n = compute::job(&Overlay::new(&c.store), &job)
        .unwrap()
        .unwrap()
        .claims;
    let stx = c.tx(
        owner,
        Call::ClaimTasks {
            job,
            device: dev_id(device),
            count,
        },
    );
    c.ok(stx);
    compute::claim(&Overlay::new(&c.store), &compute::claim_id(&job, n))
        .unwrap()
        .unwrap()
}

fn commit_call(cl: &compute::TaskClaim, results: &[Hash]) -> Call {
    Call::CommitTasks {
        claim: cl.id,
        commitments: cl
            .tasks
            .iter()
            .zip(results)
            .map(|(&t, r)| compute::task_commitment(&cl.job, t, &cl.provider, r))
            .collect(),
    }
}

fn earned(c: &Chain, device: &Keypair) -> u64 {
    compute::reputation(&Overlay::new(&c.store), &dev_id(device))
        .unwrap()
        .credits_earned
}

#[test]
fn redundant_copies_reveal_after_every_commit_and_the_majority_decides() {
    let mut c = market();
    // A third provider, the relayer's.
    let stx = c.tx(
        &relayer(),
        register_call(&addr(&relayer()), &device_key(2), GPU, berlin()),
    );
    c.ok(stx);
    let stx = c.tx(&relayer(), offer_call(&device_key(2), cpu_only(), 5));
    c.ok(stx);
    let providers = [
        (user(0), device_key(0)),
        (user(3), device_key(1)),
        (relayer(), device_key(2)),
    ];
    let job = redundant_job(&mut c, 2, 3);
    let credits_before = credits_of(&c, &addr(&consumer()));
    let mut claims = Vec::new();
    for (owner, device) in &providers {
        let cl = claim_with(&mut c, owner, device, job, 2);
        assert_eq!(cl.tasks, vec![0, 1], "each copy to another provider");
        // A provider never holds two copies of one task.
        let stx = c.tx(
            owner,
            Call::ClaimTasks {
                job,
                device: dev_id(device),
                count: 2,
            },
        );
        assert!(matches!(
            c.one(stx).error,
            Some(TxError::NoOpenTasks { .. })
        ));
        claims.push(cl);
    }
    let honest = [result(0), result(1)];
    let wrong = [result(0), result(77)];
    let results = [honest, honest, wrong];
    // The first commits, then cannot reveal while the other copies are uncommitted.
    let stx = c.tx(&providers[0].0, commit_call(&claims[0], &results[0]));
    c.ok(stx);
    let stx = c.tx(
        &providers[0].0,
        Call::RevealTasks {
            claim: claims[0].id,
            results: results[0].to_vec(),
        },
    );
    let r = c.one(stx);
    assert!(
        matches!(&r.error, Some(TxError::BadClaim { reason, .. }) if reason.contains("other copies")),
        "{r:?}"
    );
    for i in 1..3 {
        let stx = c.tx(&providers[i].0, commit_call(&claims[i], &results[i]));
        c.ok(stx);
    }
    for i in 0..3 {
        let stx = c.tx(
            &providers[i].0,
            Call::RevealTasks {
                claim: claims[i].id,
                results: results[i].to_vec(),
            },
        );
        c.ok(stx);
    }
    // The first finalized claim pays nothing yet: its tasks wait for every copy.
    let stx = c.tx(
        &relayer(),
        Call::FinalizeClaim {
            claim: claims[0].id,
        },
    );
    c.ok(stx);
    assert_eq!(earned(&c, &device_key(0)), 0);
    assert_eq!(
        compute::job(&Overlay::new(&c.store), &job)
            .unwrap()
            .unwrap()
            .done,
        0
    );
    for cl in &claims[1..] {
        let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: cl.id });
        c.ok(stx);
    }
    let o = Overlay::new(&c.store);
    let j = compute::job(&o, &job).unwrap().unwrap();
    assert_eq!((j.status, j.done, j.escrow), (JobStatus::Completed, 2, 0));
    assert_eq!(
        compute::task_slot(&o, &job, 1).unwrap().result,
        Some(result(1))
    );
    assert_eq!(
        (earned(&c, &device_key(0)), earned(&c, &device_key(1))),
        (6, 6)
    );
    assert_eq!(
        earned(&c, &device_key(2)),
        3,
        "paid for the task it agreed on"
    );
    assert_eq!(
        compute::reputation(&o, &dev_id(&device_key(2)))
            .unwrap()
            .tasks_outvoted,
        1
    );
    assert_eq!(
        credits_of(&c, &addr(&consumer())),
        credits_before + 3,
        "the outvoted copy's price came back"
    );

    // Two copies that disagree: no majority, both run again; the price stays.
    let job = redundant_job(&mut c, 1, 2);
    let a = claim_with(&mut c, &providers[0].0, &providers[0].1, job, 1);
    let b = claim_with(&mut c, &providers[1].0, &providers[1].1, job, 1);
    for (i, (cl, r)) in [(a, result(5)), (b, result(6))].into_iter().enumerate() {
        let stx = c.tx(&providers[i].0, commit_call(&cl, &[r]));
        c.ok(stx);
    }
    for (i, id, r) in [
        (0, compute::claim_id(&job, 0), result(5)),
        (1, compute::claim_id(&job, 1), result(6)),
    ] {
        let stx = c.tx(
            &providers[i].0,
            Call::RevealTasks {
                claim: id,
                results: vec![r],
            },
        );
        c.ok(stx);
    }
    for n in 0..2 {
        let stx = c.tx(
            &relayer(),
            Call::FinalizeClaim {
                claim: compute::claim_id(&job, n),
            },
        );
        c.ok(stx);
    }
    let o = Overlay::new(&c.store);
    let j = compute::job(&o, &job).unwrap().unwrap();
    assert_eq!((j.status, j.done, j.escrow), (JobStatus::Open, 0, 6));
    assert!(compute::task_slot(&o, &job, 0).unwrap().results.is_empty());
    // One copy committed, then the consumer cancels: the unclaimed copy is refunded
    // at once; the committed one, whose twin will never come, expires without
    // blame and is refunded too. Nothing is left in escrow.
    let a = claim_with(&mut c, &providers[0].0, &providers[0].1, job, 1);
    let stx = c.tx(&providers[0].0, commit_call(&a, &[result(5)]));
    c.ok(stx);
    let stx = c.tx(&consumer(), Call::CancelJob { job });
    c.ok(stx);
    c.advance_to(c.height() + ComputeParams::default().commit_blocks + 1);
    let before = earned(&c, &device_key(0));
    // Its other copy will never come (the job is closed): it expires without blame.
    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: a.id });
    c.ok(stx);
    let o = Overlay::new(&c.store);
    let j = compute::job(&o, &job).unwrap().unwrap();
    assert_eq!((j.status, j.escrow), (JobStatus::Cancelled, 0), "{j:?}");
    assert_eq!(earned(&c, &device_key(0)), before);
    assert_eq!(
        compute::claim(&o, &a.id).unwrap().unwrap().status,
        compute::ClaimStatus::Expired
    );
    c.replay();
}

/// The truth a provider commits to for a task of the property test's jobs: honest
/// providers give `result(task)`, cheaters something else.
fn truth(task: u32) -> Hash {
    result(task)
}

/// A claim made in the property test, with what its provider committed to.
struct Made {
    id: Hash,
    owner: Keypair,
    results: Vec<Hash>,
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..proptest::prelude::ProptestConfig::default() })]

    /// Any sequence of job operations — jobs with redundancy and spot-check
    /// rates, claims by two providers, honest and wrong commitments, reveals,
    /// quorum verdicts that re-execute honestly, finalizations, cancels, time
    /// passing — keeps every credit and token: the consumer's credits plus the
    /// jobs' escrow plus what providers were paid equal what it bought; the
    /// providers' pools plus what was slashed to the consumer equal what they
    /// deposited; locked collateral is exactly that of open claims; a task never
    /// has more copies out than its redundancy; a full check (p = 100%) pays a
    /// claim only when every result is right and slashes it otherwise; and
    /// replaying the chain gives the same state.
    #[test]
    fn job_operations_conserve_credits_and_collateral(
        ops in proptest::collection::vec((0u8..8, 0u8..=255, 0u8..=255), 1..80)
    ) {
        let mut c = market();
        let bytes = module_bytes();
        upload(&mut c, &bytes);
        let module = compute::module_hash(&bytes);
        let owners = [user(0), user(3)];
        let devices = [device_key(0), device_key(1)];
        let consumer_addr = addr(&consumer());
        let credits0 = credits_of(&c, &consumer_addr);
        let tokens0 = balance(&c, &consumer_addr);
        let mut consumer_fees = 0u64;
        let mut jobs: Vec<(Hash, u32, u8, u32)> = Vec::new(); // id, tasks, k, bps
        let mut claims: Vec<Made> = Vec::new();
        for (op, a, b) in ops {
            match op {
                0 => {
                    let tasks = 1 + u32::from(a % 6);
                    let k = 1 + b % 2;
                    let bps = [0, 5_000, 10_000][usize::from(b / 2 % 3)];
                    let nonce = c.nonce(&consumer());
                    let mut call = job_call(module, tasks, k);
                    if let Call::CreateJob { spot_check_bps, deadline_blocks, .. } = &mut call {
                        *spot_check_bps = Some(bps);
                        *deadline_blocks = 300 + u64::from(a);
                    }
                    let r = c.one(c.tx(&consumer(), call));
                    consumer_fees += r.fee;
                    if r.is_ok() {
                        jobs.push((compute::job_id(&consumer_addr, nonce), tasks, k, bps));
                    }
                }
                1 if !jobs.is_empty() => {
                    let d = usize::from(a % 2);
                    let (job, ..) = jobs[usize::from(b) % jobs.len()];
                    let n = compute::job(&Overlay::new(&c.store), &job).unwrap().unwrap().claims;
                    let stx = c.tx(&owners[d], Call::ClaimTasks { job, device: dev_id(&devices[d]), count: 1 + u32::from(a % 4) });
                    if c.one(stx).is_ok() {
                        let id = compute::claim_id(&job, n);
                        let mut made = Made { id, owner: owners[d].clone(), results: Vec::new() };
                        // Most claims go on at once: commit (honest unless `b` says
                        // otherwise), then try to reveal.
                        if b % 4 != 0 {
                            let cl = compute::claim(&Overlay::new(&c.store), &id).unwrap().unwrap();
                            let honest = b % 3 != 0;
                            let results: Vec<Hash> = cl.tasks.iter().map(|&t| if honest || t % 2 == 1 { truth(t) } else { result(1_000 + t) }).collect();
                            if c.one(c.tx(&owners[d], commit_call(&cl, &results))).is_ok() {
                                made.results = results.clone();
                                c.one(c.tx(&owners[d], Call::RevealTasks { claim: id, results }));
                            }
                        }
                        claims.push(made);
                    }
                }
                2 if !claims.is_empty() => {
                    let i = usize::from(a) % claims.len();
                    let cl = compute::claim(&Overlay::new(&c.store), &claims[i].id).unwrap().unwrap();
                    let honest = b % 3 != 0;
                    let results: Vec<Hash> = cl.tasks.iter().map(|&t| if honest || t % 2 == 1 { truth(t) } else { result(1_000 + t) }).collect();
                    let stx = c.tx(&claims[i].owner, commit_call(&cl, &results));
                    if c.one(stx).is_ok() {
                        claims[i].results = results;
                    }
                }
                3 if !claims.is_empty() => {
                    let i = usize::from(a) % claims.len();
                    if !claims[i].results.is_empty() {
                        let stx = c.tx(&claims[i].owner, Call::RevealTasks { claim: claims[i].id, results: claims[i].results.clone() });
                        c.one(stx);
                    }
                }
                4 if !claims.is_empty() => {
                    let i = usize::from(a) % claims.len();
                    let cl = compute::claim(&Overlay::new(&c.store), &claims[i].id).unwrap().unwrap();
                    let job = compute::job(&Overlay::new(&c.store), &cl.job).unwrap().unwrap();
                    if cl.status == compute::ClaimStatus::Revealed && job.spot_check_bps > 0 {
                        let seed = cl.revealed_height + 1;
                        if c.height() < seed {
                            c.advance_to(seed);
                        }
                        let drawn = compute::spot_check_tasks(&Hash::tagged("seed", &[b]), &cl.id, &cl.tasks, job.spot_check_bps);
                        let checks: Vec<(u32, bool)> = drawn.iter().map(|&t| {
                            let idx = cl.tasks.binary_search(&t).unwrap();
                            (t, cl.results[idx] == truth(t))
                        }).collect();
                        let stx = c.tx(&relayer(), verdict_call(&cl, seed, &checks, c.next_epoch()));
                        let r = c.one(stx);
                        proptest::prop_assert!(r.is_ok(), "an honest verdict was refused: {:?}", r.error);
                        // A full check pays only right results and slashes any wrong one.
                        if job.spot_check_bps == 10_000 {
                            let after = compute::claim(&Overlay::new(&c.store), &cl.id).unwrap().unwrap();
                            let right = cl.tasks.iter().zip(&cl.results).all(|(&t, r)| *r == truth(t));
                            let want = if right { compute::ClaimStatus::Verified } else { compute::ClaimStatus::Slashed };
                            proptest::prop_assert_eq!(after.status, want);
                        }
                    }
                }
                5 if !claims.is_empty() => {
                    let i = usize::from(a) % claims.len();
                    let stx = c.tx(&relayer(), Call::FinalizeClaim { claim: claims[i].id });
                    c.one(stx);
                }
                6 if !jobs.is_empty() => {
                    let (job, ..) = jobs[usize::from(a) % jobs.len()];
                    let r = c.one(c.tx(&consumer(), Call::CancelJob { job }));
                    consumer_fees += r.fee;
                }
                7 => {
                    let h = c.height() + 1 + u64::from(a % 40);
                    c.advance_to(h);
                }
                _ => {}
            }
            // Invariants, after every operation.
            let o = Overlay::new(&c.store);
            let escrow: u64 = jobs.iter().map(|(j, ..)| compute::job(&o, j).unwrap().unwrap().escrow).sum();
            let earned: u64 = devices.iter().map(|d| compute::reputation(&o, &dev_id(d)).unwrap().credits_earned).sum();
            proptest::prop_assert_eq!(credits_of(&c, &consumer_addr) + escrow + earned, credits0, "credits conserved");
            let pools: u64 = devices.iter().map(|d| { let off = offer_of(&c, d); off.free + off.locked }).sum();
            let slashed = balance(&c, &consumer_addr) + consumer_fees - tokens0;
            proptest::prop_assert_eq!(pools + slashed, 2 * POOL, "collateral conserved");
            let open_collateral: u64 = claims.iter().map(|m| compute::claim(&o, &m.id).unwrap().unwrap())
                .filter(|cl| matches!(cl.status, compute::ClaimStatus::Claimed | compute::ClaimStatus::Committed | compute::ClaimStatus::Revealed))
                .map(|cl| cl.collateral).sum();
            let locked: u64 = devices.iter().map(|d| offer_of(&c, d).locked).sum();
            proptest::prop_assert_eq!(locked, open_collateral, "locked collateral is that of open claims");
            for (job, tasks, k, _) in &jobs {
                let j = compute::job(&o, job).unwrap().unwrap();
                proptest::prop_assert!(j.done <= *tasks);
                for t in 0..*tasks {
                    let slot = compute::task_slot(&o, job, t).unwrap();
                    proptest::prop_assert!(slot.results.len() <= usize::from(*k), "more results than copies");
                    proptest::prop_assert!(slot.claims.len() + slot.results.len() <= usize::from(*k), "more copies out than the redundancy");
                }
            }
        }
        c.replay();
    }
}
