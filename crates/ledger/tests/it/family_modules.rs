//! Custom families (issue 17): the module a `wasm` network names is checked
//! where it is named. A genesis naming a module it does not hold, bytes that are
//! not WebAssembly or a module importing a function outside the `plinth` host
//! set is refused; a proposal (`AddNetwork`, `SetFamilyParams`) naming a module
//! that is not on the ledger or does not load as a family is refused when
//! proposed; a committed family module (`crates/families/template.wasm`,
//! `sensor.wasm`), uploaded, is accepted and its network is in force from the
//! epoch after the proposal executes.

use crate::common::*;
use plinth_core::{Hash, Keypair};
use plinth_ledger::compute;
use plinth_ledger::genesis::{GenesisModule, GenesisNetwork};
use plinth_ledger::governance::{schedule, Action, ProposalStatus};
use plinth_ledger::params::Network;
use plinth_ledger::state::MemStore;
use plinth_ledger::{Call, Genesis, LedgerError, Overlay, SignedTx, TxError};

/// The template family as committed (built from `crates/families/template/`).
const TEMPLATE: &[u8] = include_bytes!("../../../families/template.wasm");
/// The sensor family as committed (built from `crates/families/sensor/`).
const SENSOR: &[u8] = include_bytes!("../../../families/sensor.wasm");

/// The name of the custom network in these tests.
const CUSTOM: &str = "rides";

/// Bytes that are not WebAssembly.
fn not_wasm() -> Vec<u8> {
    b"#!/bin/sh\necho this is not a WebAssembly module\n".to_vec()
}

/// A module with the family's exports that also imports `env.clock`, a
/// function outside the `plinth` host set.
fn foreign_import() -> Vec<u8> {
    wat::parse_str(
        r#"(module
             (import "env" "clock" (func (result i64)))
             (memory (export "memory") 1)
             (func (export "plinth_alloc") (param i32) (result i32) i32.const 0)
             (func (export "plinth_score") (param i32 i32 i32) (result i64) i64.const -1))"#,
    )
    .unwrap()
}

/// A valid WebAssembly module without `plinth_score`.
fn no_score_export() -> Vec<u8> {
    wat::parse_str(
        r#"(module
             (memory (export "memory") 1)
             (func (export "plinth_alloc") (param i32) (result i32) i32.const 0))"#,
    )
    .unwrap()
}

/// The `wasm` parameters naming the module `bytes` hash to.
fn params_json(bytes: &[u8]) -> String {
    format!(r#"{{"module":"{}"}}"#, compute::module_hash(bytes))
}

fn params_table(bytes: &[u8]) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert(
        "module".into(),
        toml::Value::String(compute::module_hash(bytes).to_string()),
    );
    t
}

/// [`genesis`] with the `wasm` network [`CUSTOM`] naming the module `named`
/// and holding `modules` (name, bytes) in `[[modules]]`.
fn genesis_naming(named: &[u8], modules: &[(&str, &[u8])]) -> Genesis {
    let mut g = genesis(4);
    g.networks.push(GenesisNetwork {
        name: CUSTOM.into(),
        family: "wasm".into(),
        params: params_table(named),
        share_bps: 1_000,
        usage_bps: 0,
        require_maker: false,
    });
    g.modules = modules
        .iter()
        .map(|(name, bytes)| GenesisModule {
            name: (*name).into(),
            hex: hex::encode(bytes),
        })
        .collect();
    g
}

/// The refusal of a genesis: `validate` and `execute` (what a node starting on
/// it runs) refuse it with the same message, which is returned.
fn refused(g: &Genesis) -> String {
    let Err(LedgerError::Genesis(message)) = g.validate() else {
        panic!("the genesis should be refused");
    };
    let Err(LedgerError::Genesis(again)) = g.execute(&MemStore::new()) else {
        panic!("executing the genesis should be refused");
    };
    assert_eq!(again, message);
    // The same refusal from the file a node reads.
    let Err(LedgerError::Genesis(from_file)) = Genesis::from_toml(&g.to_toml()) else {
        panic!("the genesis file should be refused");
    };
    assert_eq!(from_file, message);
    message
}

/// What `plinth_proofs::wasm::load` says about `bytes`.
fn load_error(bytes: &[u8]) -> String {
    plinth_proofs::wasm::load(bytes)
        .expect_err("the module should not load")
        .to_string()
}

#[test]
fn a_genesis_naming_a_module_it_does_not_hold_is_refused() {
    // The module named is not in [[modules]] at all (another one is).
    let g = genesis_naming(TEMPLATE, &[("sensor", SENSOR)]);
    assert_eq!(
        refused(&g),
        format!(
            "network {CUSTOM}: module {} is not in [[modules]]",
            compute::module_hash(TEMPLATE)
        )
    );
    // Nor with no modules.
    let g = genesis_naming(TEMPLATE, &[]);
    assert!(refused(&g).ends_with("is not in [[modules]]"));
}

#[test]
fn a_genesis_naming_bytes_that_are_not_webassembly_is_refused() {
    let bytes = not_wasm();
    let g = genesis_naming(&bytes, &[("script", &bytes)]);
    let message = refused(&g);
    assert_eq!(
        message,
        format!(
            "network {CUSTOM}: module \"script\": {}",
            load_error(&bytes)
        )
    );
    assert!(message.contains("invalid module"), "{message}");
}

#[test]
fn a_genesis_naming_a_module_that_imports_a_foreign_function_is_refused() {
    let bytes = foreign_import();
    let g = genesis_naming(&bytes, &[("clock", &bytes)]);
    let message = refused(&g);
    assert_eq!(
        message,
        format!("network {CUSTOM}: module \"clock\": {}", load_error(&bytes))
    );
    assert!(message.contains("imports env.clock"), "{message}");
}

#[test]
fn a_genesis_with_a_committed_family_module_starts() {
    let g = genesis_naming(TEMPLATE, &[("template", TEMPLATE), ("sensor", SENSOR)]);
    g.validate().unwrap();
    let c = Chain::from_genesis(g);
    let n = network_at(&c, CUSTOM, 0).expect("the network exists at genesis");
    assert_eq!(n.family, "wasm");
    assert_eq!(n.params_json, params_json(TEMPLATE));
    let state = Overlay::new(&c.store);
    for bytes in [TEMPLATE, SENSOR] {
        let stored = compute::module_bytes(&state, &compute::module_hash(bytes)).unwrap();
        assert_eq!(stored.as_deref(), Some(bytes));
    }
}

// ---------------------------------------------------------------------------
// Proposals

/// The proposer (pays the deposits) and uploader.
fn prop() -> Keypair {
    user(0)
}

/// The only holder of voting power: its yes passes every proposal.
fn voter() -> Keypair {
    user(1)
}

/// A governance chain (with [`CUSTOM`] on the template module when `custom`)
/// whose voter holds power.
fn gchain(custom: bool) -> Chain {
    let g = if custom {
        genesis_naming(TEMPLATE, &[("template", TEMPLATE)])
    } else {
        genesis(4)
    };
    let mut c = Chain::from_genesis(Genesis {
        governance: Some(gov_params()),
        ..g
    });
    lock(&mut c, &voter(), 1_000, 10);
    c
}

fn network_at(c: &Chain, name: &str, epoch: u64) -> Option<Network> {
    schedule::network_at(&Overlay::new(&c.store), name, epoch).unwrap()
}

/// Uploads `bytes` in chunks, as `plinth family upload` does.
fn upload(c: &mut Chain, bytes: &[u8]) -> Hash {
    let module = compute::module_hash(bytes);
    for (i, chunk) in bytes.chunks(compute::MODULE_CHUNK_BYTES).enumerate() {
        let call = Call::UploadModule {
            module,
            size: bytes.len() as u32,
            index: i as u32,
            bytes: chunk.to_vec(),
        };
        let stx = c.tx(&prop(), call);
        c.ok(stx);
    }
    assert!(compute::module_bytes(&Overlay::new(&c.store), &module)
        .unwrap()
        .is_some());
    module
}

fn add_custom(params_json: String) -> Action {
    Action::AddNetwork {
        name: "mapping".into(),
        family: "wasm".into(),
        params_json,
        share_bps: 1_000,
        usage_bps: 0,
        require_maker: false,
    }
}

fn set_custom(params_json: String) -> Action {
    Action::SetFamilyParams {
        network: CUSTOM.into(),
        params_json,
    }
}

fn propose(c: &Chain, action: Action) -> SignedTx {
    c.tx(
        &prop(),
        Call::GovPropose {
            actions: vec![action],
            description: "a custom family".into(),
            deposit: GOV_MIN_DEPOSIT,
            execute_height: None,
        },
    )
}

/// Asserts that proposing `action` is refused (nothing charged, nothing
/// written) because the module is `reason`.
fn refused_when_proposed(c: &mut Chain, action: Action, network: &str, reason: String) {
    let stx = propose(c, action);
    c.reject(
        stx,
        TxError::ActionRefused {
            index: 0,
            error: Box::new(TxError::BadFamilyParams {
                network: network.into(),
                reason,
            }),
        },
    );
}

fn not_on_ledger(bytes: &[u8]) -> String {
    format!(
        "module {} is not on the ledger (upload it first)",
        compute::module_hash(bytes)
    )
}

fn does_not_load(bytes: &[u8]) -> String {
    format!(
        "module {}: {}",
        compute::module_hash(bytes),
        load_error(bytes)
    )
}

#[test]
fn add_network_naming_a_missing_or_invalid_module_is_refused_when_proposed() {
    let mut c = gchain(false);
    // Not uploaded.
    refused_when_proposed(
        &mut c,
        add_custom(params_json(TEMPLATE)),
        "mapping",
        not_on_ledger(TEMPLATE),
    );
    // On the ledger (any bytes may be uploaded) but not a loadable family.
    for bytes in [not_wasm(), foreign_import(), no_score_export()] {
        upload(&mut c, &bytes);
        refused_when_proposed(
            &mut c,
            add_custom(params_json(&bytes)),
            "mapping",
            does_not_load(&bytes),
        );
    }
    assert!(does_not_load(&not_wasm()).contains("invalid module"));
    assert!(does_not_load(&foreign_import()).contains("imports env.clock"));
    assert!(does_not_load(&no_score_export()).contains("does not export plinth_score"));
    assert_eq!(network_at(&c, "mapping", c.next_epoch() + 1), None);
    c.replay();
}

#[test]
fn set_family_params_naming_a_missing_or_invalid_module_is_refused_when_proposed() {
    let mut c = gchain(true);
    refused_when_proposed(
        &mut c,
        set_custom(params_json(SENSOR)),
        CUSTOM,
        not_on_ledger(SENSOR),
    );
    for bytes in [not_wasm(), foreign_import()] {
        upload(&mut c, &bytes);
        refused_when_proposed(
            &mut c,
            set_custom(params_json(&bytes)),
            CUSTOM,
            does_not_load(&bytes),
        );
    }
    let next = c.next_epoch() + 1;
    assert_eq!(
        network_at(&c, CUSTOM, next).unwrap().params_json,
        params_json(TEMPLATE)
    );
    c.replay();
}

/// Passes `action` and produces blocks to its voting end, where it executes;
/// returns the executing block's reward epoch.
fn enact(c: &mut Chain, action: Action) -> u64 {
    let p = pass(c, &prop(), &voter(), vec![action], None);
    let end = proposal(c, p).voting_end.unwrap();
    c.advance_to(end);
    assert_eq!(
        proposal(c, p).status,
        ProposalStatus::Executed { height: end }
    );
    end * BLOCK_TIME_MS / EPOCH_MS
}

#[test]
fn an_uploaded_family_module_is_accepted_and_its_network_is_in_force_next_epoch() {
    let mut c = gchain(false);
    let module = upload(&mut c, TEMPLATE);
    let now = enact(&mut c, add_custom(params_json(TEMPLATE)));
    // In the executing epoch it exists without a share; from the next, in full.
    assert_eq!(network_at(&c, "mapping", now).unwrap().share_bps, 0);
    let n = network_at(&c, "mapping", now + 1).expect("the network exists");
    assert_eq!((n.family.as_str(), n.share_bps), ("wasm", 1_000));
    assert_eq!(n.params_json, format!(r#"{{"module":"{module}"}}"#));
    // Devices register on it.
    let call = register_call(&addr(&user(0)), &device_key(0), "mapping", berlin());
    c.ok(c.tx(&user(0), call));
    c.replay();
}

#[test]
fn set_family_params_to_an_uploaded_family_module_is_in_force_next_epoch() {
    let mut c = gchain(true);
    upload(&mut c, SENSOR);
    let now = enact(&mut c, set_custom(params_json(SENSOR)));
    assert_eq!(
        network_at(&c, CUSTOM, now).unwrap().params_json,
        params_json(TEMPLATE)
    );
    assert_eq!(
        network_at(&c, CUSTOM, now + 1).unwrap().params_json,
        params_json(SENSOR)
    );
    c.replay();
}
