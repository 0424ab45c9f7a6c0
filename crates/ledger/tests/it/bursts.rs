//! Bursts (issue 17): credits on a custom family's tag, paid to the devices of an
//! award proven under an accepted manifest's awards root, or refunded after the
//! deadline and its claim window.
use crate::common::*;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::bursts::{self, Burst, BurstStatus, BURST_CLAIM_EPOCHS};
use plinth_ledger::compute;
use plinth_ledger::credits;
use plinth_ledger::genesis::{GenesisModule, GenesisNetwork};
use plinth_ledger::oracle_set::{award_proof, awards_root, Award};
use plinth_ledger::{Call, Overlay, TxError};

const MAPPING: &str = "mapping";
const BURN: u64 = 100_000;
const CELL: u64 = 0x08a1_f1d4_89a6_ffff;
const OTHER_CELL: u64 = 0x08a1_f1d4_89a4_ffff;

/// The smallest module a custom family may name (it fails every epoch; the
/// ledger never runs it).
fn module() -> Vec<u8> {
    wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "plinth_alloc") (param i32) (result i32) i32.const 0)
             (func (export "plinth_score") (param i32 i32 i32) (result i64) i64.const -1))"#,
    )
    .unwrap()
}

fn poster() -> Keypair {
    user(1)
}

/// A chain with the custom network `mapping` (devices 0–2 of users 0 and 2) and
/// 10,000 credits for the poster.
fn chain_with_mapping() -> Chain {
    let mut g = genesis(3);
    let bytes = module();
    let mut params = toml::Table::new();
    params.insert(
        "module".into(),
        toml::Value::String(compute::module_hash(&bytes).to_string()),
    );
    g.modules.push(GenesisModule {
        name: "test".into(),
        hex: hex::encode(&bytes),
    });
    g.networks.push(GenesisNetwork {
        name: MAPPING.into(),
        family: "wasm".into(),
        params,
        share_bps: 1_000,
        usage_bps: 2_000,
        require_maker: false,
    });
    let mut c = Chain::from_genesis(g);
    for (owner, d) in [(user(0), 0), (user(0), 1), (user(2), 2)] {
        let stx = c.tx(
            &owner,
            register_call(&addr(&owner), &device_key(d), MAPPING, berlin()),
        );
        c.ok(stx);
    }
    buy_credits(&mut c, &user(2), &poster(), BURN);
    assert_eq!(credits_of(&c, &addr(&poster())), 10_000);
    c
}

fn credits_of(c: &Chain, a: &Address) -> u64 {
    credits::load(&Overlay::new(&c.store), a).unwrap().total()
}

fn burst(c: &Chain, id: &Hash) -> Burst {
    bursts::load(&Overlay::new(&c.store), id).unwrap().unwrap()
}

fn post(c: &mut Chain, tag: u64, credits: u64, deadline_epoch: u64) -> Hash {
    let nonce = c.nonce(&poster());
    let stx = c.tx(
        &poster(),
        Call::PostBurst {
            network: MAPPING.into(),
            tag,
            credits,
            deadline_epoch,
        },
    );
    c.ok(stx);
    bursts::burst_id(&addr(&poster()), nonce)
}

fn devices(ids: &[u8]) -> Vec<DeviceId> {
    let mut v: Vec<DeviceId> = ids.iter().map(|i| dev_id(&device_key(*i))).collect();
    v.sort();
    v
}

/// Submits an (empty-entry) manifest of `epoch` whose awards are `awards`.
fn submit_awards(c: &mut Chain, epoch: u64, awards: &[Award]) {
    c.finish_epoch(epoch);
    let mut header = manifest_header(MAPPING, epoch, &[]);
    header.awards = awards_root(awards);
    header.award_count = awards.len() as u64;
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
}

fn claim_call(burst: Hash, epoch: u64, awards: &[Award], index: usize) -> Call {
    Call::ClaimBurst {
        burst,
        epoch,
        devices: awards[index].devices.clone(),
        proof: award_proof(awards, index).unwrap(),
    }
}

#[test]
fn a_burst_is_paid_to_the_devices_of_its_award() {
    let mut c = chain_with_mapping();
    let epoch = c.next_epoch();
    let id = post(&mut c, CELL, 1_001, epoch + 2);
    assert_eq!(credits_of(&c, &addr(&poster())), 10_000 - 1_001);
    let b = burst(&c, &id);
    assert_eq!((b.tag, b.credits, b.from_epoch), (CELL, 1_001, epoch));
    let awards = vec![
        Award {
            tag: OTHER_CELL.min(CELL),
            devices: devices(&[2]),
        },
        Award {
            tag: OTHER_CELL.max(CELL),
            devices: devices(&[0, 1]),
        },
    ];
    let mine = awards.iter().position(|a| a.tag == CELL).unwrap();
    let other = 1 - mine;
    submit_awards(&mut c, epoch, &awards);
    // Another tag's award does not pay this burst, nor a forged device list.
    let stx = c.tx(&user(2), claim_call(id, epoch, &awards, other));
    c.reject(stx, TxError::BadProof);
    let mut forged = claim_call(id, epoch, &awards, mine);
    if let Call::ClaimBurst { devices: d, .. } = &mut forged {
        *d = devices(&[2]);
    }
    let stx = c.tx(&user(2), forged);
    c.reject(stx, TxError::BadProof);
    // The real award pays: equal shares, the remainder to the first device.
    let stx = c.tx(&user(2), claim_call(id, epoch, &awards, mine));
    c.ok(stx);
    let b = burst(&c, &id);
    let BurstStatus::Paid { epoch: e, paid, .. } = &b.status else {
        panic!("paid: {:?}", b.status)
    };
    assert_eq!(*e, epoch);
    assert_eq!(paid.iter().map(|(_, c)| c).sum::<u64>(), 1_001);
    // Earned in the claiming block's epoch.
    let state = Overlay::new(&c.store);
    let epochs = epoch..=c.next_epoch();
    let earned: u64 = awards[mine]
        .devices
        .iter()
        .flat_map(|d| epochs.clone().map(move |e| (d, e)))
        .map(|(d, e)| compute::earned(&state, MAPPING, e, d).unwrap())
        .sum();
    assert_eq!(earned, 1_001, "the credits count as the mappers' earnings");
    let used: u64 = epochs
        .map(|e| compute::usage(&state, MAPPING, e).unwrap().credits_used)
        .sum();
    assert_eq!(used, 1_001);
    // Paid once.
    let stx = c.tx(&user(2), claim_call(id, epoch, &awards, mine));
    c.reject(
        stx,
        TxError::BurstClosed {
            burst: id.to_string(),
            status: "paid".into(),
        },
    );
}

#[test]
fn awards_outside_the_bursts_epochs_do_not_pay_and_it_is_refunded_after_its_window() {
    let mut c = chain_with_mapping();
    let first = c.next_epoch();
    let awards = vec![Award {
        tag: CELL,
        devices: devices(&[0]),
    }];
    // An award of the epoch before the burst was posted.
    submit_awards(&mut c, first, &awards);
    let posted = c.next_epoch();
    let id = post(&mut c, CELL, 500, posted);
    let stx = c.tx(&user(2), claim_call(id, first, &awards, 0));
    let r = c.one(stx);
    assert!(
        format!("{:?}", r.error).contains("outside the burst's epochs"),
        "{r:?}"
    );
    // Refund too early.
    let stx = c.tx(&user(2), Call::RefundBurst { burst: id });
    let r = c.one(stx);
    assert!(
        format!("{:?}", r.error).contains("refundable from epoch"),
        "{r:?}"
    );
    // Past the deadline and its claim window: anyone refunds it to the poster.
    c.finish_epoch(posted + BURST_CLAIM_EPOCHS);
    let before = credits_of(&c, &addr(&poster()));
    let stx = c.tx(&user(2), Call::RefundBurst { burst: id });
    c.ok(stx);
    assert_eq!(credits_of(&c, &addr(&poster())), before + 500);
    assert_eq!(burst(&c, &id).status.name(), "refunded");
    let stx = c.tx(&user(2), Call::RefundBurst { burst: id });
    c.reject(
        stx,
        TxError::BurstClosed {
            burst: id.to_string(),
            status: "refunded".into(),
        },
    );
}

#[test]
fn bursts_are_refused_on_native_networks_without_credits_or_with_bad_deadlines() {
    let mut c = chain_with_mapping();
    let epoch = c.next_epoch();
    let stx = c.tx(
        &poster(),
        Call::PostBurst {
            network: NETWORK.into(),
            tag: CELL,
            credits: 10,
            deadline_epoch: epoch,
        },
    );
    c.reject(
        stx,
        TxError::NotCustomNetwork {
            network: NETWORK.into(),
            family: FAMILY.into(),
        },
    );
    for (credits, deadline) in [
        (0, epoch),
        (10, epoch.saturating_sub(1)),
        (10, epoch + 10_001),
    ] {
        if deadline == epoch.saturating_sub(1) && epoch == 0 {
            continue;
        }
        let stx = c.tx(
            &poster(),
            Call::PostBurst {
                network: MAPPING.into(),
                tag: CELL,
                credits,
                deadline_epoch: deadline,
            },
        );
        let r = c.one(stx);
        assert!(format!("{:?}", r.error).contains("BadBurst"), "{r:?}");
    }
    let stx = c.tx(
        &poster(),
        Call::PostBurst {
            network: MAPPING.into(),
            tag: CELL,
            credits: 10_001,
            deadline_epoch: epoch,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientCredits {
            needed: 10_001,
            available: 10_000,
        },
    );
    // A replayed chain reaches the same state.
    let _ = c.replay();
}
