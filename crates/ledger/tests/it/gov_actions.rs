//! Every governance action through real proposals: locked power votes yes, the
//! tally at the voting end passes the proposal and its actions apply in the
//! block's end, each with the effect and timing it promises; an action that
//! became invalid between proposal and execution fails the proposal and changes
//! nothing; an invalid action is refused when proposed.

use crate::common::*;
use plinth_core::Keypair;
use plinth_ledger::genesis::GenesisMaker;
use plinth_ledger::governance::actions::upgrades_applied;
use plinth_ledger::governance::{schedule, treasury_address, upgrade_plan, Action, UpgradePlan};
use plinth_ledger::governance::{ProposalStatus, MAX_UPGRADE_NAME};
use plinth_ledger::oracle_set::OracleSet;
use plinth_ledger::params::{CreditParams, Network, StorageParams, Validator};
use plinth_ledger::validators::{self, ValidatorSetGenesis};
use plinth_ledger::{keys, Call, Genesis, Overlay, SignedTx, TxError};
use std::collections::BTreeMap;

/// The proposer (pays the deposits).
fn prop() -> Keypair {
    user(0)
}

/// The only holder of voting power: its yes passes every proposal.
fn voter() -> Keypair {
    user(1)
}

/// A governance chain whose voter holds power.
fn setup(g: Genesis) -> Chain {
    let mut c = Chain::from_genesis(g);
    lock(&mut c, &voter(), 1_000, 10);
    c
}

fn gchain() -> Chain {
    setup(genesis_with_governance(4))
}

/// Passes `actions` and produces blocks to the voting end, where they apply;
/// returns the proposal's id and the executing height.
fn enact(c: &mut Chain, actions: Vec<Action>) -> (u64, u64) {
    let p = pass(c, &prop(), &voter(), actions, None);
    let end = proposal(c, p).voting_end.unwrap();
    c.advance_to(end);
    assert_eq!(
        proposal(c, p).status,
        ProposalStatus::Executed { height: end }
    );
    (p, end)
}

/// The reward epoch of block `h`.
fn epoch_of(h: u64) -> u64 {
    h * BLOCK_TIME_MS / EPOCH_MS
}

fn network_at(c: &Chain, name: &str, epoch: u64) -> Option<Network> {
    schedule::network_at(&Overlay::new(&c.store), name, epoch).unwrap()
}

/// A one-entry manifest (device 0, owned by user 0, earning `total`) of
/// `network` for `epoch`, signed by `oracles`.
fn manifest_by(c: &Chain, network: &str, epoch: u64, total: u64, oracles: &[Keypair]) -> SignedTx {
    let es = entries(&[addr(&user(0))], &[total]);
    let header = manifest_header(network, epoch, &es);
    let call = Call::SubmitManifest {
        signatures: oracles.iter().map(|k| header.sign(k)).collect(),
        header,
    };
    c.tx(&user(2), call)
}

/// [`manifest_by`] signed by the genesis oracles 0 and 1.
fn manifest(c: &Chain, network: &str, epoch: u64, total: u64) -> SignedTx {
    manifest_by(c, network, epoch, total, &[oracle_key(0), oracle_key(1)])
}

/// Sensor parameters, with spaces and keys out of order.
const SENSOR_JSON: &str = r#" { "unit" : "celsius", "min": -40, "max": 60 } "#;
/// [`SENSOR_JSON`] as canonical JSON.
const SENSOR_CANONICAL: &str = r#"{"max":60,"min":-40,"unit":"celsius"}"#;

fn over(total: u64, allowed: u64) -> TxError {
    TxError::OverEmission { total, allowed }
}

#[test]
fn set_network_share_holds_the_next_epochs_manifest_to_the_new_share() {
    let mut c = gchain();
    let (_, end) = enact(
        &mut c,
        vec![Action::SetNetworkShare {
            network: NETWORK.into(),
            share_bps: 2_000,
            usage_bps: 1_000,
        }],
    );
    let (now, next) = (epoch_of(end), epoch_of(end) + 1);
    assert_eq!(network_at(&c, NETWORK, now).unwrap().share_bps, SHARE_BPS);
    let n = network_at(&c, NETWORK, next).unwrap();
    assert_eq!((n.share_bps, n.usage_bps), (2_000, 1_000));
    c.finish_epoch(next);
    // The current epoch keeps the old share (50% of 100,000), the next the new (20%).
    c.reject(manifest(&c, NETWORK, now, 50_001), over(50_001, 50_000));
    c.ok(manifest(&c, NETWORK, now, 50_000));
    c.reject(manifest(&c, NETWORK, next, 20_001), over(20_001, 20_000));
    c.ok(manifest(&c, NETWORK, next, 20_000));
    c.replay();
}

#[test]
fn set_family_params_is_in_force_from_the_next_epoch() {
    let mut c = gchain();
    let before = network_at(&c, NETWORK, 0).unwrap().params_json;
    let (_, end) = enact(
        &mut c,
        vec![Action::SetFamilyParams {
            network: NETWORK.into(),
            params_json: SENSOR_JSON.into(),
        }],
    );
    let now = epoch_of(end);
    assert_eq!(network_at(&c, NETWORK, now).unwrap().params_json, before);
    assert_eq!(
        network_at(&c, NETWORK, now + 1).unwrap().params_json,
        SENSOR_CANONICAL
    );
}

#[test]
fn add_network_exists_at_once_and_earns_from_the_next_epoch() {
    let mut c = gchain();
    let (_, end) = enact(
        &mut c,
        vec![Action::AddNetwork {
            name: "air".into(),
            family: FAMILY.into(),
            params_json: SENSOR_JSON.into(),
            share_bps: 2_000,
            usage_bps: 0,
            require_maker: false,
        }],
    );
    let (now, next) = (epoch_of(end), epoch_of(end) + 1);
    let n = network_at(&c, "air", now).expect("the network exists");
    assert_eq!((n.family.as_str(), n.share_bps), (FAMILY, 0));
    assert_eq!(n.params_json, SENSOR_CANONICAL);
    assert_eq!(network_at(&c, "air", next).unwrap().share_bps, 2_000);
    // Devices register at once.
    let call = register_call(&addr(&user(0)), &device_key(0), "air", berlin());
    c.ok(c.tx(&user(0), call));
    c.finish_epoch(next);
    c.reject(manifest(&c, "air", now, 1), over(1, 0));
    c.reject(manifest(&c, "air", next, 20_001), over(20_001, 20_000));
    c.ok(manifest(&c, "air", next, 20_000));
    c.replay();
}

#[test]
fn credit_storage_and_tail_settings_apply() {
    let mut c = gchain();
    let credits = CreditParams {
        credit_micro_usd: 20,
        price_max_age_ms: 60_000,
    };
    let storage = StorageParams {
        max_failures: 7,
        max_deal_epochs: 40,
        accept_epochs: 3,
        allow_private_endpoints: false,
    };
    let (_, end) = enact(
        &mut c,
        vec![
            Action::SetCreditParams { params: credits },
            Action::SetStorageParams { params: storage },
            Action::SetEmissionTail {
                tail_per_epoch: 20_000,
            },
        ],
    );
    let state = Overlay::new(&c.store);
    assert_eq!(
        state.get_t::<CreditParams>(keys::CREDIT_PARAMS).unwrap(),
        Some(credits)
    );
    assert_eq!(
        state.get_t::<StorageParams>(keys::STORAGE_PARAMS).unwrap(),
        Some(storage)
    );
    let params = c.genesis.params();
    let tail = |e| {
        schedule::emission_at(&state, &params, e)
            .unwrap()
            .tail_per_epoch
    };
    assert_eq!(tail(epoch_of(end)), TAIL_PER_EPOCH);
    assert_eq!(tail(epoch_of(end) + 1), 20_000);
}

#[test]
fn a_new_oracle_set_signs_from_its_epoch() {
    let mut c = gchain();
    let set = OracleSet {
        threshold: 2,
        members: vec![addr(&oracle_key(3)), addr(&oracle_key(4))],
    };
    let from = epoch_of(c.height() + 1 + GOV_VOTING_BLOCKS) + 1;
    enact(
        &mut c,
        vec![Action::SetOracleSet {
            set,
            effective_epoch: from,
        }],
    );
    c.finish_epoch(from);
    let (old, new) = (
        [oracle_key(0), oracle_key(1)],
        [oracle_key(3), oracle_key(4)],
    );
    let too_few = TxError::NotEnoughOracleSignatures {
        valid: 0,
        threshold: 2,
    };
    c.reject(manifest_by(&c, NETWORK, from - 1, 1, &new), too_few.clone());
    c.ok(manifest_by(&c, NETWORK, from - 1, 1, &old));
    c.reject(manifest_by(&c, NETWORK, from, 1, &old), too_few);
    c.ok(manifest_by(&c, NETWORK, from, 1, &new));
}

#[test]
fn set_validators_changes_the_set_at_the_validator_epoch_boundary() {
    const EPOCH_BLOCKS: u64 = 40;
    let mut g = genesis_with_governance(4);
    g.validator_set = Some(ValidatorSetGenesis {
        admin: None,
        epoch_blocks: EPOCH_BLOCKS,
    });
    let mut c = setup(g);
    let new = Keypair::from_seed([0xB7; 32]);
    let (_, end) = enact(
        &mut c,
        vec![Action::SetValidators {
            validators: vec![Validator {
                address: addr(&new),
                name: "new".into(),
            }],
        }],
    );
    assert!(end < EPOCH_BLOCKS - 1);
    let members = |c: &Chain| validators::current(&c.store).unwrap().unwrap().1;
    c.advance_to(EPOCH_BLOCKS - 2);
    assert_eq!(members(&c), vec![addr(&validator_key())]);
    c.block(vec![]); // the validator epoch's last block
    assert_eq!(members(&c), vec![addr(&new)]);
    c.validator = new;
    c.block(vec![]);
    c.replay();
}

#[test]
fn treasury_spend_pays_from_the_treasury() {
    let mut c = gchain();
    fund_treasury(&mut c, &prop(), 500);
    let before = c.balance(&addr(&user(3)));
    enact(&mut c, vec![spend(&user(3), 300)]);
    assert_eq!(c.balance(&addr(&user(3))), before + 300);
    assert_eq!(c.balance(&treasury_address()), 200);
}

/// A maker key no genesis approved.
fn maker() -> Keypair {
    Keypair::from_seed([0x4F; 32])
}

/// `device` made by [`maker`], registered to user 0 in `NETWORK`.
fn made(device: &Keypair) -> Call {
    made_call(
        &addr(&user(0)),
        device,
        NETWORK,
        &addr(&maker()),
        certificate(&maker(), device),
    )
}

#[test]
fn an_approved_maker_onboards_devices() {
    let mut c = gchain();
    c.reject(
        c.tx(&user(0), made(&device_key(0))),
        TxError::UnknownMaker {
            maker: addr(&maker()).to_string(),
        },
    );
    enact(
        &mut c,
        vec![Action::ApproveMaker {
            maker: addr(&maker()),
            name: "Gov Sensors".into(),
            onboard_fee_credits: 0,
        }],
    );
    c.ok(c.tx(&user(0), made(&device_key(0))));
    let d = device(&c.store, &dev_id(&device_key(0))).expect("registered");
    assert_eq!(d.maker, Some(addr(&maker())));
}

#[test]
fn a_revoked_makers_devices_earn_nothing_from_the_next_epoch() {
    let g = Genesis {
        makers: vec![GenesisMaker {
            address: addr(&maker()),
            name: "Gov Sensors".into(),
            onboard_fee_credits: 0,
        }],
        ..genesis_with_governance(4)
    };
    let mut c = setup(g);
    c.ok(c.tx(&user(0), made(&device_key(0))));
    let (_, end) = enact(
        &mut c,
        vec![Action::RevokeMaker {
            maker: addr(&maker()),
        }],
    );
    let (now, next) = (epoch_of(end), epoch_of(end) + 1);
    c.finish_epoch(next);
    c.ok(manifest(&c, NETWORK, now, 1_000));
    c.ok(manifest(&c, NETWORK, next, 1_000));
    let es = entries(&[addr(&user(0))], &[1_000]);
    c.reject(
        c.tx(&user(0), claim_call(NETWORK, next, &es, 0)),
        TxError::MakerRevoked {
            maker: addr(&maker()).to_string(),
            from_epoch: next,
        },
    );
    let before = c.balance(&addr(&user(0)));
    c.ok(c.tx(&user(0), claim_call(NETWORK, now, &es, 0)));
    assert_eq!(c.balance(&addr(&user(0))), before + 1_000 - FEE);
}

#[test]
fn a_planned_upgrade_moves_to_the_applied_list_at_its_height_or_is_cancelled() {
    let mut c = gchain();
    let height = c.height() + 2 + GOV_VOTING_BLOCKS + 5;
    let (p, _) = enact(
        &mut c,
        vec![Action::PlanUpgrade {
            name: "v2".into(),
            height,
        }],
    );
    let plan = UpgradePlan {
        name: "v2".into(),
        height,
        proposal: p,
    };
    assert_eq!(upgrade_plan(&c.store).unwrap(), Some(plan.clone()));
    c.advance_to(height - 1);
    assert_eq!(upgrade_plan(&c.store).unwrap(), Some(plan.clone()));
    c.block(vec![]);
    assert_eq!(upgrade_plan(&c.store).unwrap(), None);
    let applied = upgrades_applied(&Overlay::new(&c.store)).unwrap();
    assert_eq!(applied, vec![plan]);

    // A name applied before is refused; a new plan is cancelled.
    c.reject(
        propose(
            &c,
            vec![Action::PlanUpgrade {
                name: "v2".into(),
                height: c.height() + 100,
            }],
        ),
        TxError::ActionRefused {
            index: 0,
            error: Box::new(TxError::BadUpgradeName { name: "v2".into() }),
        },
    );
    let long = "x".repeat(MAX_UPGRADE_NAME);
    let later = c.height() + 100;
    enact(
        &mut c,
        vec![Action::PlanUpgrade {
            name: long,
            height: later,
        }],
    );
    assert!(upgrade_plan(&c.store).unwrap().is_some());
    enact(&mut c, vec![Action::CancelUpgrade]);
    assert_eq!(upgrade_plan(&c.store).unwrap(), None);
    assert_eq!(upgrades_applied(&Overlay::new(&c.store)).unwrap().len(), 1);
    c.replay();
}

/// A proposal of `actions` by [`prop`], with the whole deposit.
fn propose(c: &Chain, actions: Vec<Action>) -> SignedTx {
    c.tx(
        &prop(),
        Call::GovPropose {
            actions,
            description: "actions".into(),
            deposit: GOV_MIN_DEPOSIT,
            execute_height: None,
        },
    )
}

// ---------------------------------------------------------------------------
// Actions that became invalid before execution; actions refused when proposed.

/// Every key and value in state but the head marker, the proposals and the
/// list of pending executions: what a failed execution must leave alone.
fn state_but_proposals(c: &Chain) -> BTreeMap<Vec<u8>, Vec<u8>> {
    c.store
        .scan(b"")
        .into_iter()
        .filter(|(k, _)| {
            k.as_slice() != keys::HEAD
                && k.as_slice() != keys::GOV_PENDING
                && !k.starts_with(keys::GOV_PROPOSAL_PREFIX)
        })
        .collect()
}

/// Passes `first` to execute at its voting end and `second` (proposed in the
/// next block, valid then) to execute `DELAY` blocks after its own; checks that
/// `second` fails at action 0 with `error` and changes nothing.
fn second_fails(c: &mut Chain, first: Action, second: Action, error: TxError) {
    const DELAY: u64 = 3;
    let a = pass(c, &prop(), &voter(), vec![first], None);
    let at = c.height() + 1 + GOV_VOTING_BLOCKS + DELAY;
    let b = pass(c, &prop(), &voter(), vec![second], Some(at));
    c.advance_to(at - 1);
    assert!(matches!(
        proposal(c, a).status,
        ProposalStatus::Executed { .. }
    ));
    assert_eq!(proposal(c, b).status, ProposalStatus::Passed);
    let before = state_but_proposals(c);
    c.block(vec![]);
    assert_eq!(
        proposal(c, b).status,
        ProposalStatus::Failed {
            height: at,
            action: 0,
            error,
        }
    );
    assert!(
        state_but_proposals(c) == before,
        "a failed execution changes nothing but the proposal"
    );
    c.replay();
}

#[test]
fn a_spend_beyond_what_the_treasury_still_holds_fails() {
    let mut c = gchain();
    fund_treasury(&mut c, &prop(), 100);
    second_fails(
        &mut c,
        spend(&user(2), 60),
        spend(&user(3), 100),
        TxError::TreasuryInsufficient {
            needed: 100,
            available: 40,
        },
    );
    assert_eq!(c.balance(&treasury_address()), 40);
}

fn add_air(share_bps: u32) -> Action {
    Action::AddNetwork {
        name: "air".into(),
        family: FAMILY.into(),
        params_json: SENSOR_JSON.into(),
        share_bps,
        usage_bps: 0,
        require_maker: false,
    }
}

#[test]
fn adding_a_network_added_meanwhile_fails() {
    let mut c = gchain();
    second_fails(
        &mut c,
        add_air(1_000),
        add_air(2_000),
        TxError::NetworkExists {
            network: "air".into(),
        },
    );
    let next = c.next_epoch() + 1;
    assert_eq!(network_at(&c, "air", next).unwrap().share_bps, 1_000);
}

#[test]
fn a_share_that_no_longer_fits_fails() {
    let mut c = gchain();
    let raise = Action::SetNetworkShare {
        network: NETWORK.into(),
        share_bps: 8_000,
        usage_bps: 0,
    };
    second_fails(
        &mut c,
        raise,
        add_air(4_000),
        TxError::SharesTooLarge {
            total: 12_000,
            limit: 10_000,
        },
    );
    assert_eq!(network_at(&c, "air", c.next_epoch() + 1), None);
}

#[test]
fn an_invalid_action_is_refused_when_proposed() {
    let mut c = gchain();
    let unknown = Action::SetNetworkShare {
        network: "nope".into(),
        share_bps: 1,
        usage_bps: 0,
    };
    let stx = propose(&c, vec![spend(&user(2), 1), unknown]);
    c.reject(
        stx,
        TxError::ActionRefused {
            index: 1,
            error: Box::new(TxError::UnknownNetwork {
                network: "nope".into(),
            }),
        },
    );
    let stx = propose(&c, vec![add_air(SHARE_BPS + 1)]);
    c.reject(
        stx,
        TxError::ActionRefused {
            index: 0,
            error: Box::new(TxError::SharesTooLarge {
                total: 10_001,
                limit: 10_000,
            }),
        },
    );
    let stx = propose(&c, vec![Action::CancelUpgrade]);
    c.reject(
        stx,
        TxError::ActionRefused {
            index: 0,
            error: Box::new(TxError::NoUpgradePlanned),
        },
    );
}
