//! Unit tests of the actions (compiled only under #[cfg(test)], from actions.rs), and the fixtures the schedule's tests share: a
//! genesis with governance, two networks and a changeable validator set.

use super::*;
use crate::genesis::{Fees, Genesis, GenesisAccount, GenesisNetwork, Staking, Token};
use crate::oracle_set::{oracle_set_at, OracleSet};
use crate::params::Validator;
use crate::state::MemStore;
use crate::validators::ValidatorSetGenesis;
use crate::{context::UNKNOWN_TIME, storage};
use plinth_core::{Address, Keypair};

pub(crate) const GENESIS_MS: u64 = 1_700_000_000_000;
pub(crate) const EPOCH_MS: u64 = 10_000;
pub(crate) const PER_EPOCH: u64 = 100_000;
pub(crate) const TAIL: u64 = 10_000;
pub(crate) const MAX_AGE: u64 = 2;
pub(crate) const TREASURY_BPS: u32 = 1_000;
pub(crate) const BALANCE: u64 = 1_000_000;
pub(crate) const PROPOSAL: u64 = 7;

pub(crate) fn key(seed: u8) -> Address {
    Address(Keypair::from_seed([seed; 32]).public())
}

fn bounds(min: u64, max: u64) -> Bounds {
    Bounds { min, max }
}

pub(crate) fn gov_params() -> GovParams {
    GovParams {
        min_lock_blocks: 10,
        max_lock_blocks: 1_000,
        max_multiplier_bps: 1_000_000,
        min_deposit: 1_000,
        deposit_period_blocks: 10,
        voting_period_blocks: 10,
        quorum_bps: 3_340,
        threshold_bps: 5_000,
        veto_bps: 3_340,
        max_description_bytes: 1_000,
        max_actions: 16,
        max_active_proposals: 8,
        treasury_bps: TREASURY_BPS,
        bounds: ParamBounds {
            credit_micro_usd: bounds(0, 100),
            price_max_age_ms: bounds(1_000, 3_600_000),
            storage_max_failures: bounds(0, 10),
            storage_max_deal_epochs: bounds(1, 1_000),
            storage_accept_epochs: bounds(1, 16),
            tail_per_epoch: bounds(0, 50_000),
        },
    }
}

fn network(name: &str, share_bps: u32) -> GenesisNetwork {
    GenesisNetwork {
        name: name.into(),
        family: "uptime".into(),
        params: toml::Table::new(),
        share_bps,
        usage_bps: 0,
        require_maker: false,
    }
}

/// Two uptime networks (weather 50 %, power 20 %), the treasury's 10 %, a
/// changeable validator set, manifests accepted for two epochs.
pub(crate) fn genesis() -> Genesis {
    Genesis {
        chain_id: "gov-test".into(),
        genesis_time_ms: GENESIS_MS,
        block_time_ms: 1_000,
        token: Token {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: 1 },
        staking: Staking {
            unbonding_blocks: 3,
            max_unbonding_entries: 2,
        },
        accounts: vec![GenesisAccount {
            address: key(1),
            balance: BALANCE,
        }],
        validators: vec![Validator {
            address: key(0xAA),
            name: "val-0".into(),
        }],
        networks: vec![network("weather", 5_000), network("power", 2_000)],
        emission: Emission {
            epoch_ms: EPOCH_MS,
            initial_per_epoch: PER_EPOCH,
            halving_interval_epochs: 0,
            tail_per_epoch: TAIL,
            manifest_max_age_epochs: MAX_AGE,
            net_emissions_cap_per_epoch: 0,
        },
        oracles: OracleSet {
            threshold: 1,
            members: vec![key(0x0C)],
        },
        validator_set: Some(ValidatorSetGenesis {
            admin: None,
            epoch_blocks: 10,
        }),
        credits: None,
        storage: None,
        compute: None,
        governance: Some(gov_params()),
        makers: Vec::new(),
        modules: Vec::new(),
    }
}

pub(crate) fn store(g: &Genesis) -> MemStore {
    let mut store = MemStore::new();
    let exec = g.execute(&store).unwrap();
    store.commit(&exec);
    store
}

/// A block in reward epoch `epoch` (ten blocks an epoch).
pub(crate) fn block(epoch: u64) -> BlockContext {
    BlockContext {
        height: epoch * 10 + 1,
        timestamp_ms: GENESIS_MS + epoch * EPOCH_MS,
        proposer: key(0xAA),
    }
}

/// Executes `action` at `epoch`: its refusal, if any.
pub(crate) fn run<S: Store>(
    state: &mut Overlay<'_, S>,
    g: &Genesis,
    epoch: u64,
    action: &Action,
) -> Result<(), TxError> {
    let gov = g.governance.clone().unwrap();
    match execute(state, &g.params(), &gov, &block(epoch), PROPOSAL, action) {
        Ok(()) => Ok(()),
        Err(Fail::Tx(e)) => Err(e),
        Err(Fail::Fatal(e)) => panic!("fatal: {e}"),
    }
}

/// Validates `action` at `epoch`, changing nothing.
pub(crate) fn check_at<S: Store>(
    state: &Overlay<'_, S>,
    g: &Genesis,
    epoch: u64,
    action: &Action,
) -> Result<(), TxError> {
    let gov = g.governance.clone().unwrap();
    validate(state, &g.params(), &gov, &block(epoch), action)
}

fn share(network: &str, share_bps: u32, usage_bps: u32) -> Action {
    Action::SetNetworkShare {
        network: network.into(),
        share_bps,
        usage_bps,
    }
}

fn add(name: &str, family: &str, params_json: &str, share_bps: u32) -> Action {
    Action::AddNetwork {
        name: name.into(),
        family: family.into(),
        params_json: params_json.into(),
        share_bps,
        usage_bps: 0,
        require_maker: true,
    }
}

fn shares(state: &Overlay<'_, MemStore>, name: &str, epoch: u64) -> (u32, u32) {
    let n = schedule::network_at(state, name, epoch).unwrap().unwrap();
    (n.share_bps, n.usage_bps)
}

#[test]
fn a_network_share_changes_from_the_next_epoch() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    run(&mut state, &g, 3, &share("weather", 6_000, 2_500)).unwrap();
    assert_eq!(shares(&state, "weather", 3), (5_000, 0));
    assert_eq!(shares(&state, "weather", 4), (6_000, 2_500));
    assert_eq!(shares(&state, "weather", 400), (6_000, 2_500));
    assert_eq!(shares(&state, "power", 4), (2_000, 0));
    // Shares up to exactly 10,000 with the treasury's pass; one bps more does not.
    run(&mut state, &g, 3, &share("weather", 7_000, 0)).unwrap();
    assert_eq!(shares(&state, "weather", 4), (7_000, 0));
    assert_eq!(
        run(&mut state, &g, 3, &share("power", 2_001, 0)),
        Err(TxError::SharesTooLarge {
            total: 10_001,
            limit: 10_000
        })
    );
}

#[test]
fn a_network_share_is_refused_when_its_effect_is_invalid() {
    let g = genesis();
    let store = store(&g);
    let state = Overlay::new(&store);
    assert_eq!(
        check_at(&state, &g, 1, &share("nope", 1, 0)),
        Err(TxError::UnknownNetwork {
            network: "nope".into()
        })
    );
    assert_eq!(
        check_at(&state, &g, 1, &share("weather", 5_000, 10_001)),
        Err(TxError::OutOfBounds {
            param: "usage_bps".into(),
            value: 10_001,
            min: 0,
            max: 10_000
        })
    );
    assert_eq!(
        check_at(&state, &g, 1, &share("weather", 8_000, 0)),
        Err(TxError::SharesTooLarge {
            total: 11_000,
            limit: 10_000
        })
    );
}

#[test]
fn family_params_are_checked_by_the_family_and_stored_canonical() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let set = |json: &str| Action::SetFamilyParams {
        network: "weather".into(),
        params_json: json.into(),
    };
    run(
        &mut state,
        &g,
        2,
        &set(r#"{ "probe_weight_bps": 5000, "heartbeat_interval_s": 30 }"#),
    )
    .unwrap();
    let params_at = |state: &Overlay<'_, MemStore>, e| {
        schedule::network_at(state, "weather", e)
            .unwrap()
            .unwrap()
            .params_json
    };
    assert_eq!(params_at(&state, 2), "{}");
    assert_eq!(
        params_at(&state, 3),
        r#"{"heartbeat_interval_s":30,"probe_weight_bps":5000}"#
    );
    let refused = check_at(&state, &g, 2, &set(r#"{"probe_weight_bps": 20000}"#));
    assert!(
        matches!(&refused, Err(TxError::BadFamilyParams { network, reason })
            if network == "weather" && reason.contains("probe_weight_bps")),
        "{refused:?}"
    );
    assert!(matches!(
        check_at(&state, &g, 2, &set("{not json")),
        Err(TxError::BadFamilyParams { .. })
    ));
    assert_eq!(
        check_at(&state, &g, 2, &set("{}")).and(check_at(
            &state,
            &g,
            2,
            &Action::SetFamilyParams {
                network: "nope".into(),
                params_json: "{}".into()
            }
        )),
        Err(TxError::UnknownNetwork {
            network: "nope".into()
        })
    );
}

#[test]
fn an_added_network_registers_at_once_and_earns_from_the_next_epoch() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    run(&mut state, &g, 5, &add("air", "uptime", "", 1_500)).unwrap();
    assert_eq!(
        schedule::network_names(&state).unwrap(),
        ["air", "power", "weather"]
    );
    let base: Network = state.get_t(&keys::network("air")).unwrap().unwrap();
    assert_eq!((base.share_bps, base.params_json.as_str()), (0, "{}"));
    assert!(base.require_maker);
    assert_eq!(shares(&state, "air", 5), (0, 0));
    assert_eq!(shares(&state, "air", 6), (1_500, 0));
    let names: Vec<String> = schedule::networks_at(&state, 6)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["air", "power", "weather"]);
    // Its share counts at once toward the next epoch's total.
    assert_eq!(
        check_at(&state, &g, 5, &share("power", 2_000 + 501, 0)),
        Err(TxError::SharesTooLarge {
            total: 10_001,
            limit: 10_000
        })
    );
    // Changed in the same epoch it was added: the changes compose.
    run(&mut state, &g, 5, &share("air", 500, 100)).unwrap();
    assert_eq!(shares(&state, "air", 6), (500, 100));
}

#[test]
fn adding_a_network_is_refused_when_its_effect_is_invalid() {
    let g = genesis();
    let store = store(&g);
    let state = Overlay::new(&store);
    for name in ["", "Air", "air_quality", &"a".repeat(33)] {
        assert_eq!(
            check_at(&state, &g, 1, &add(name, "uptime", "{}", 0)),
            Err(TxError::BadNetworkName {
                network: name.into()
            })
        );
    }
    assert!(check_at(&state, &g, 1, &add(&"a".repeat(32), "uptime", "{}", 0)).is_ok());
    assert_eq!(
        check_at(&state, &g, 1, &add("weather", "uptime", "{}", 0)),
        Err(TxError::NetworkExists {
            network: "weather".into()
        })
    );
    assert!(matches!(
        check_at(&state, &g, 1, &add("air", "telepathy", "{}", 0)),
        Err(TxError::BadFamilyParams { network, .. }) if network == "air"
    ));
    assert!(matches!(
        check_at(&state, &g, 1, &add("air", "sensor", "{}", 0)),
        Err(TxError::BadFamilyParams { .. })
    ));
    assert_eq!(
        check_at(&state, &g, 1, &add("air", "uptime", "{}", 2_001)),
        Err(TxError::SharesTooLarge {
            total: 10_001,
            limit: 10_000
        })
    );
}

#[test]
fn credit_and_storage_settings_change_at_once_within_bounds() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let credit = CreditParams {
        credit_micro_usd: 20,
        price_max_age_ms: 60_000,
    };
    run(
        &mut state,
        &g,
        1,
        &Action::SetCreditParams { params: credit },
    )
    .unwrap();
    assert_eq!(credits::params(&state).unwrap(), credit);
    let st = StorageParams {
        max_failures: 5,
        max_deal_epochs: 500,
        accept_epochs: 2,
        allow_private_endpoints: true,
    };
    run(&mut state, &g, 1, &Action::SetStorageParams { params: st }).unwrap();
    assert_eq!(storage::params(&state).unwrap(), st);

    let refused = |a: Action| check_at(&state, &g, 1, &a).unwrap_err();
    assert_eq!(
        refused(Action::SetCreditParams {
            params: CreditParams {
                credit_micro_usd: 101,
                ..credit
            }
        }),
        TxError::OutOfBounds {
            param: "credits.credit_micro_usd".into(),
            value: 101,
            min: 0,
            max: 100
        }
    );
    assert_eq!(
        refused(Action::SetCreditParams {
            params: CreditParams {
                price_max_age_ms: 999,
                ..credit
            }
        }),
        TxError::OutOfBounds {
            param: "credits.price_max_age_ms".into(),
            value: 999,
            min: 1_000,
            max: 3_600_000
        }
    );
    // Within the bounds, but refused by the settings' own checks.
    assert!(matches!(
        refused(Action::SetCreditParams {
            params: CreditParams {
                credit_micro_usd: 0,
                ..credit
            }
        }),
        TxError::InvalidParams { .. }
    ));
    assert!(matches!(
        refused(Action::SetStorageParams {
            params: StorageParams {
                max_failures: 0,
                ..st
            }
        }),
        TxError::InvalidParams { .. }
    ));
    for (st, param, value) in [
        (
            StorageParams {
                max_failures: 11,
                ..st
            },
            "storage.max_failures",
            11,
        ),
        (
            StorageParams {
                max_deal_epochs: 1_001,
                ..st
            },
            "storage.max_deal_epochs",
            1_001,
        ),
        (
            StorageParams {
                accept_epochs: 17,
                ..st
            },
            "storage.accept_epochs",
            17,
        ),
    ] {
        let e = refused(Action::SetStorageParams { params: st });
        assert!(
            matches!(&e, TxError::OutOfBounds { param: p, value: v, .. } if p == param && *v == value),
            "{e:?}"
        );
    }
}

#[test]
fn the_emission_tail_changes_from_the_next_epoch_within_bounds() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let params = g.params();
    run(
        &mut state,
        &g,
        4,
        &Action::SetEmissionTail {
            tail_per_epoch: 50_000,
        },
    )
    .unwrap();
    let tail = |e| {
        schedule::emission_at(&state, &params, e)
            .unwrap()
            .tail_per_epoch
    };
    assert_eq!((tail(4), tail(5), tail(99)), (TAIL, 50_000, 50_000));
    assert_eq!(
        check_at(
            &state,
            &g,
            4,
            &Action::SetEmissionTail {
                tail_per_epoch: 50_001
            }
        ),
        Err(TxError::OutOfBounds {
            param: "emission.tail_per_epoch".into(),
            value: 50_001,
            min: 0,
            max: 50_000
        })
    );
}

#[test]
fn an_oracle_set_is_scheduled_as_the_admin_call_schedules_it() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let set = OracleSet {
        threshold: 2,
        members: vec![key(0x0C), key(0x0D), key(0x0E)],
    };
    let action = |set: &OracleSet, effective_epoch| Action::SetOracleSet {
        set: set.clone(),
        effective_epoch,
    };
    run(&mut state, &g, 3, &action(&set, 5)).unwrap();
    assert_eq!(oracle_set_at(&state, 4).unwrap(), g.oracles);
    assert_eq!(oracle_set_at(&state, 5).unwrap(), set);
    assert_eq!(
        check_at(&state, &g, 3, &action(&set, 3)),
        Err(TxError::OracleSetNotInFuture {
            effective_epoch: 3,
            current_epoch: 3
        })
    );
    let empty = OracleSet {
        threshold: 0,
        members: vec![],
    };
    assert_eq!(
        check_at(&state, &g, 3, &action(&empty, 9)),
        Err(TxError::InactiveOracleSet)
    );
    let twice = OracleSet {
        threshold: 1,
        members: vec![key(0x0C), key(0x0C)],
    };
    assert!(matches!(
        check_at(&state, &g, 3, &action(&twice, 9)),
        Err(TxError::InvalidOracleSet { .. })
    ));
}

#[test]
fn a_validator_set_is_scheduled_unless_the_genesis_fixed_it() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let set = vec![
        Validator {
            address: key(0xA1),
            name: "a".into(),
        },
        Validator {
            address: key(0xA2),
            name: "b".into(),
        },
    ];
    run(
        &mut state,
        &g,
        1,
        &Action::SetValidators {
            validators: set.clone(),
        },
    )
    .unwrap();
    let record = validators::load(&state).unwrap().unwrap();
    assert_eq!(record.pending, Some(set.clone()));
    assert_eq!(
        check_at(&state, &g, 1, &Action::SetValidators { validators: vec![] }),
        Err(TxError::EmptyValidatorSet)
    );
    let dup = vec![set[0].clone(), set[0].clone()];
    assert!(matches!(
        check_at(&state, &g, 1, &Action::SetValidators { validators: dup }),
        Err(TxError::DuplicateValidator { .. })
    ));

    let fixed = Genesis {
        validator_set: None,
        ..genesis()
    };
    let store = self::store(&fixed);
    let state = Overlay::new(&store);
    assert_eq!(
        check_at(
            &state,
            &fixed,
            1,
            &Action::SetValidators { validators: set }
        ),
        Err(TxError::ValidatorSetFixed)
    );
}

#[test]
fn upgrades_are_planned_replaced_cancelled_and_applied_once() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let plan = |name: &str, height| Action::PlanUpgrade {
        name: name.into(),
        height,
    };
    // block(1) is height 11.
    assert_eq!(
        check_at(&state, &g, 1, &Action::CancelUpgrade),
        Err(TxError::NoUpgradePlanned)
    );
    assert_eq!(
        check_at(&state, &g, 1, &plan("v2", 11)),
        Err(TxError::UpgradeHeightPassed {
            height: 11,
            current: 11
        })
    );
    for bad in ["", "V2", "v 2", &"v".repeat(65)] {
        assert_eq!(
            check_at(&state, &g, 1, &plan(bad, 100)),
            Err(TxError::BadUpgradeName { name: bad.into() })
        );
    }
    run(&mut state, &g, 1, &plan("v2.0_rc-1", 50)).unwrap();
    run(&mut state, &g, 1, &plan("v2", 40)).unwrap();
    let planned =
        |state: &Overlay<'_, MemStore>| state.get_t::<UpgradePlan>(keys::UPGRADE).unwrap();
    assert_eq!(
        planned(&state),
        Some(UpgradePlan {
            name: "v2".into(),
            height: 40,
            proposal: PROPOSAL
        })
    );
    run(&mut state, &g, 1, &Action::CancelUpgrade).unwrap();
    assert_eq!(planned(&state), None);
    run(&mut state, &g, 1, &plan("v2", 40)).unwrap();
    end_block_upgrade(&mut state, 39).unwrap();
    assert!(planned(&state).is_some());
    end_block_upgrade(&mut state, 40).unwrap();
    assert_eq!(planned(&state), None);
    assert_eq!(upgrades_applied(&state).unwrap().len(), 1);
    assert_eq!(
        check_at(&state, &g, 5, &plan("v2", 100)),
        Err(TxError::BadUpgradeName { name: "v2".into() })
    );
    assert!(check_at(&state, &g, 5, &plan("v3", 100)).is_ok());
}

#[test]
fn makers_are_approved_once_and_revoked_from_the_next_epoch() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let maker = key(0x3A);
    let approve = Action::ApproveMaker {
        maker,
        name: "Acme".into(),
        onboard_fee_credits: 5,
    };
    run(&mut state, &g, 1, &approve).unwrap();
    let m = makers::load(&state, &maker).unwrap().unwrap();
    assert_eq!((m.approved_by, m.onboard_fee_credits), (Some(PROPOSAL), 5));
    assert_eq!(m.revoked_from_epoch, None);
    assert!(matches!(
        check_at(&state, &g, 1, &approve),
        Err(TxError::MakerExists { .. })
    ));
    let revoke = |maker| Action::RevokeMaker { maker };
    assert!(matches!(
        check_at(&state, &g, 4, &revoke(key(0x3B))),
        Err(TxError::UnknownMaker { .. })
    ));
    run(&mut state, &g, 4, &revoke(maker)).unwrap();
    assert!(!makers::revoked_in(&state, &maker, 4).unwrap());
    assert!(makers::revoked_in(&state, &maker, 5).unwrap());
    assert_eq!(
        check_at(&state, &g, 4, &revoke(maker)),
        Err(TxError::MakerRevoked {
            maker: maker.to_string(),
            from_epoch: 5
        })
    );
}

/// Runs the treasury mint as the block at `height` in `epoch` would, after a
/// head at `head_epoch`.
fn mint_at(state: &mut Overlay<'_, MemStore>, g: &Genesis, head_epoch: u64, epoch: u64) {
    state.put_t(
        keys::HEAD.to_vec(),
        &(epoch * 10, GENESIS_MS + head_epoch * EPOCH_MS + 5),
    );
    mint_treasury(state, &block(epoch), &g.params()).unwrap();
}

fn conserved(state: &Overlay<'_, MemStore>) -> bool {
    let supply = emission::supply(state).unwrap();
    let held: u64 = [key(1), key(2), treasury_address()]
        .iter()
        .map(|a| accounts::load(state, a).unwrap().map_or(0, |a| a.total()))
        .sum();
    Some(held + supply.unclaimed) == supply.total()
}

#[test]
fn the_treasury_mints_its_share_at_an_epoch_change_and_spends_it() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let treasury = |state: &Overlay<'_, MemStore>| {
        accounts::load(state, &treasury_address())
            .unwrap()
            .map_or(0, |a| a.balance)
    };
    // Same epoch as the head: nothing.
    mint_at(&mut state, &g, 0, 0);
    assert_eq!(treasury(&state), 0);
    // The first block of epoch 1 mints 10 % of epoch 0's emission.
    mint_at(&mut state, &g, 0, 1);
    assert_eq!(treasury(&state), PER_EPOCH / 10);
    assert_eq!(emission::supply(&state).unwrap().minted, PER_EPOCH / 10);
    assert_eq!(
        credits::epoch_supply(&state, 0).unwrap().minted,
        PER_EPOCH / 10
    );
    assert!(conserved(&state));
    // Epochs 2 to 4 had no block: only epoch 1, the previous block's, is minted.
    run(
        &mut state,
        &g,
        1,
        &Action::SetEmissionTail { tail_per_epoch: 0 },
    )
    .unwrap();
    mint_at(&mut state, &g, 1, 5);
    assert_eq!(treasury(&state), 2 * PER_EPOCH / 10);
    assert_eq!(
        credits::epoch_supply(&state, 1).unwrap().minted,
        PER_EPOCH / 10
    );

    let spend = |amount| Action::TreasurySpend { to: key(2), amount };
    assert_eq!(check_at(&state, &g, 5, &spend(0)), Err(TxError::ZeroAmount));
    // More than it holds: valid when proposed, refused when executed.
    assert!(check_at(&state, &g, 5, &spend(1_000_000)).is_ok());
    assert_eq!(
        run(&mut state, &g, 5, &spend(1_000_000)),
        Err(TxError::TreasuryInsufficient {
            needed: 1_000_000,
            available: 2 * PER_EPOCH / 10
        })
    );
    let total = emission::supply(&state).unwrap().total();
    run(&mut state, &g, 5, &spend(15_000)).unwrap();
    assert_eq!(treasury(&state), 2 * PER_EPOCH / 10 - 15_000);
    assert_eq!(
        accounts::load(&state, &key(2)).unwrap().unwrap().balance,
        15_000
    );
    assert_eq!(emission::supply(&state).unwrap().total(), total);
    assert!(conserved(&state));
}

#[test]
fn the_treasury_mint_follows_the_emission_in_force_in_the_minted_epoch() {
    // Only the tail: each epoch emits TAIL until a proposal raises it.
    let mut g = genesis();
    g.emission.initial_per_epoch = 0;
    let store = store(&g);
    let mut state = Overlay::new(&store);
    let tail = |tail_per_epoch| Action::SetEmissionTail { tail_per_epoch };
    run(&mut state, &g, 2, &tail(50_000)).unwrap();
    mint_at(&mut state, &g, 2, 3);
    assert_eq!(credits::epoch_supply(&state, 2).unwrap().minted, TAIL / 10);
    mint_at(&mut state, &g, 3, 4);
    assert_eq!(credits::epoch_supply(&state, 3).unwrap().minted, 5_000);
    assert!(conserved(&state));

    // A chain without governance mints nothing.
    let bare = Genesis {
        governance: None,
        ..genesis()
    };
    let store = self::store(&bare);
    let mut state = Overlay::new(&store);
    mint_at(&mut state, &bare, 0, 1);
    assert_eq!(emission::supply(&state).unwrap().minted, 0);
}

#[test]
fn admission_judges_by_the_head_epoch() {
    let g = genesis();
    let store = store(&g);
    let mut state = Overlay::new(&store);
    state.put_t(keys::HEAD.to_vec(), &(40u64, GENESIS_MS + 4 * EPOCH_MS));
    let ctx = BlockContext {
        height: 41,
        timestamp_ms: UNKNOWN_TIME,
        proposer: key(0xAA),
    };
    let gov = g.governance.clone().unwrap();
    let set = OracleSet {
        threshold: 1,
        members: vec![key(0x0D)],
    };
    let at = |effective_epoch| Action::SetOracleSet {
        set: set.clone(),
        effective_epoch,
    };
    assert_eq!(
        validate(&state, &g.params(), &gov, &ctx, &at(4)),
        Err(TxError::OracleSetNotInFuture {
            effective_epoch: 4,
            current_epoch: 4
        })
    );
    assert!(validate(&state, &g.params(), &gov, &ctx, &at(5)).is_ok());
}
