//! The host side of custom (`wasm`) families: what a module may import, how it
//! fails an epoch, and how its output is checked. The shipped C families are
//! tested in `plinth-families`.

use crate::common::*;
use plinth_core::Hash;
use plinth_proofs::wasm::{self, EpochInput, WasmFamilyError, WasmFamilyParams};
use plinth_proofs::{DeviceInfo, Family, ReportBody, ScoreRejection};
use plinth_wasm::WasmError;
use std::collections::BTreeMap;

/// Hex of bytes as a WAT data string (`\00\01…`).
fn data(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A family module whose `plinth_score` returns `out` (put at address 1024) after
/// running `body` (WAT instructions with no net stack effect), importing `imports`.
fn module(imports: &str, body: &str, out: &[u8]) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module {imports}
          (memory (export "memory") 2)
          (data (i32.const 1024) "{}")
          (func (export "plinth_alloc") (param i32) (result i32) (i32.const 4096))
          (func (export "plinth_score") (param $p i32) (param $n i32) (param $abi i32) (result i64)
            {body}
            (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.const {}))))"#,
        data(out),
        out.len()
    ))
    .unwrap()
}

/// The output of ABI v1: scores, rejections (report, code, reason), state.
fn output(
    scores: &[([u8; 32], u64)],
    rejections: &[([u8; 32], &str, &str)],
    state: &[u8],
) -> Vec<u8> {
    let mut o = 1u32.to_le_bytes().to_vec();
    o.extend((scores.len() as u32).to_le_bytes());
    for (d, s) in scores {
        o.extend(d);
        o.extend(s.to_le_bytes());
    }
    o.extend((rejections.len() as u32).to_le_bytes());
    for (r, code, reason) in rejections {
        o.extend(r);
        for s in [code, reason] {
            o.extend((s.len() as u32).to_le_bytes());
            o.extend(s.as_bytes());
        }
    }
    o.extend((state.len() as u32).to_le_bytes());
    o.extend(state);
    o
}

/// An output of version 2: `output` with abi 2 and `awards` after the state.
fn awarded(scores: &[([u8; 32], u64)], awards: &[(u64, Vec<[u8; 32]>)]) -> Vec<u8> {
    let mut sorted = scores.to_vec();
    sorted.sort();
    let mut o = output(&sorted, &[], b"");
    o[..4].copy_from_slice(&2u32.to_le_bytes());
    o.extend((awards.len() as u32).to_le_bytes());
    for (tag, ds) in awards {
        o.extend(tag.to_le_bytes());
        o.extend((ds.len() as u32).to_le_bytes());
        for d in ds {
            o.extend(d);
        }
    }
    o
}

#[test]
fn awards_come_back_checked() {
    let devices = registry([device(1, 0), device(2, 0)]);
    let (a, b) = (id(1).key().0, id(2).key().0);
    let (lo, hi) = (a.min(b), a.max(b));
    let out = awarded(&[(a, 3), (b, 4)], &[(7, vec![lo]), (9, vec![lo, hi])]);
    let s = run(&module("", "", &out), &devices, &[]).unwrap();
    let key = |k: [u8; 32]| plinth_core::DeviceId(plinth_core::PublicKey(k));
    assert_eq!(
        s.awards,
        vec![(7, vec![key(lo)]), (9, vec![key(lo), key(hi)])]
    );
    // Version 1 has none.
    let s = run(&module("", "", &output(&[], &[], b"")), &devices, &[]).unwrap();
    assert!(s.awards.is_empty());
}

fn params(fuel: u64) -> WasmFamilyParams {
    let Family::Wasm(p) = Family::from_network(
        "wasm",
        &format!(
            r#"{{"module": "{}", "fuel": {fuel}, "b": 2, "a": [1]}}"#,
            Hash::ZERO
        ),
    )
    .unwrap() else {
        unreachable!()
    };
    p
}

fn run(
    bytes: &[u8],
    devices: &BTreeMap<plinth_core::DeviceId, DeviceInfo>,
    reports: &[plinth_proofs::SignedReport],
) -> Result<wasm::WasmScored, WasmFamilyError> {
    let m = wasm::load(bytes)?;
    wasm::run(
        &m,
        &params(10_000_000),
        &EpochInput {
            network: "cars",
            window: &WINDOW,
            devices,
            reports,
            probes: &[],
            state: b"before",
        },
    )
}

#[test]
fn params_keep_the_family_s_own_keys_as_canonical_json() {
    let p = params(7);
    assert_eq!((p.module, p.fuel), (Hash::ZERO, 7));
    assert_eq!(p.params, r#"{"a":[1],"b":2}"#);
    for bad in [
        r#"{}"#,
        r#"{"module": "xyz"}"#,
        &format!(r#"{{"module": "{}", "fuel": 0}}"#, Hash::ZERO),
        &format!(r#"{{"module": "{}", "fuel": 3000000000000}}"#, Hash::ZERO),
        "[1]",
    ] {
        let e = Family::from_network("wasm", bad).unwrap_err();
        assert!(e.is_bad_params(), "{bad}: {e}");
    }
}

#[test]
fn a_module_s_scores_rejections_and_state_come_back_checked_and_ordered() {
    let devices = registry([device(1, 0), device(2, 0)]);
    let r1 = report(
        1,
        START + 1,
        1,
        ReportBody::Custom {
            kind: "trip".into(),
            data: vec![1, 2],
        },
    );
    let r2 = report(2, START + 1, 1, ReportBody::Heartbeat);
    let reports = [r1.clone(), r2.clone()];
    let out = output(
        &[(id(1).key().0, 5), (id(2).key().0, 7)],
        &[
            (r2.hash().0, "not_a_trip", "heartbeats earn nothing here"),
            (r1.hash().0, "slow", ""),
        ],
        b"after",
    );
    let got = run(&module("", "", &out), &devices, &reports).unwrap();
    assert_eq!(got.output.scores, BTreeMap::from([(id(1), 5), (id(2), 7)]));
    assert_eq!(got.state, b"after");
    assert!(got.fuel_used > 0);
    // Rejections in canonical order (device, then report), codes kept.
    let whys: Vec<_> = got
        .output
        .rejections
        .iter()
        .map(|r| (r.device, r.why.clone()))
        .collect();
    assert_eq!(
        whys,
        vec![
            (
                id(1),
                ScoreRejection::Custom {
                    code: "slow".into(),
                    detail: "".into()
                }
            ),
            (
                id(2),
                ScoreRejection::Custom {
                    code: "not_a_trip".into(),
                    detail: "heartbeats earn nothing here".into()
                }
            ),
        ]
    );
    // The same inputs give the same result.
    assert_eq!(run(&module("", "", &out), &devices, &reports).unwrap(), got);
}

/// Score 1 for each of `ids`, ascending by id.
fn sorted_scores(ids: &[[u8; 32]]) -> Vec<([u8; 32], u64)> {
    let mut v: Vec<([u8; 32], u64)> = ids.iter().map(|d| (*d, 1)).collect();
    v.sort();
    v
}

#[test]
fn an_output_that_breaks_the_abi_fails_the_epoch() {
    let devices = registry([device(1, 0), device(2, 0)]);
    let r1 = report(1, START + 1, 1, ReportBody::Heartbeat);
    let reports = [r1.clone()];
    let (a, b) = (id(1).key().0, id(2).key().0);
    let stranger = id(3).key().0;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (output(&[(b, 1), (a, 1)], &[], b""), "ascending"),
        (output(&[(a, 1), (a, 2)], &[], b""), "ascending"),
        (output(&[(stranger, 1)], &[], b""), "not in the registry"),
        // A stranger among registered devices, wherever it sorts.
        (
            output(&sorted_scores(&[a, b, stranger]), &[], b""),
            "not in the registry",
        ),
        (
            output(&sorted_scores(&[b, stranger]), &[], b""),
            "not in the registry",
        ),
        (output(&[(a, 0)], &[], b""), "zero score"),
        (
            output(&[], &[([5; 32], "x", "")], b""),
            "not an input report",
        ),
        (
            output(&[], &[(r1.hash().0, "x", ""), (r1.hash().0, "y", "")], b""),
            "twice",
        ),
        (
            output(&[], &[(r1.hash().0, "Bad Code", "")], b""),
            "rejection code",
        ),
        (output(&[], &[(r1.hash().0, "", "")], b""), "rejection code"),
        (
            output(&[], &[(r1.hash().0, "x", &"r".repeat(257))], b""),
            "reason longer",
        ),
        ([output(&[], &[], b""), vec![0]].concat(), "does not decode"),
        (output(&[], &[], b"")[..10].to_vec(), "does not decode"),
        (
            [
                3u32.to_le_bytes().to_vec(),
                output(&[], &[], b"")[4..].to_vec(),
            ]
            .concat(),
            "abi 3",
        ),
        // Version 2 needs its awards; each award's devices ascending, scored,
        // 1 to 8; tags ascending.
        (awarded(&[(a, 1)], &[])[..12].to_vec(), "does not decode"),
        (
            [
                2u32.to_le_bytes().to_vec(),
                output(&[], &[], b"")[4..].to_vec(),
            ]
            .concat(),
            "awards do not decode",
        ),
        (
            awarded(&[(a, 1), (b, 1)], &[(9, vec![a]), (9, vec![b])]),
            "ascending by tag",
        ),
        (
            awarded(&[(a, 1), (b, 1)], &[(9, vec![a.max(b), a.min(b)])]),
            "devices are not strictly ascending",
        ),
        (awarded(&[(a, 1)], &[(9, vec![b])]), "has no score"),
        (awarded(&[(a, 1)], &[(9, vec![])]), "0 devices"),
        (awarded(&[(a, 1)], &[(9, vec![a; 9])]), "9 devices"),
    ];
    for (out, why) in cases {
        match run(&module("", "", &out), &devices, &reports) {
            Err(e @ WasmFamilyError::BadOutput(_)) => {
                assert!(e.to_string().contains(why), "{e} / {why}");
                assert_eq!(e.code(), "bad_output");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
}

#[test]
fn out_of_fuel_traps_and_failure_codes_fail_the_epoch() {
    let devices = registry([device(1, 0)]);
    let ok = output(&[], &[], b"");
    let spin = "(loop $l (br $l))";
    let e = run(&module("", spin, &ok), &devices, &[]).unwrap_err();
    assert_eq!(
        (e.code(), e),
        (
            "out_of_fuel".to_string(),
            WasmFamilyError::Module(WasmError::OutOfFuel)
        )
    );
    let e = run(&module("", "unreachable", &ok), &devices, &[]).unwrap_err();
    assert_eq!(e.code(), "trap");
    let fail = wat::parse_str(
        r#"(module (memory (export "memory") 1)
            (func (export "plinth_alloc") (param i32) (result i32) (i32.const 16))
            (func (export "plinth_score") (param i32 i32 i32) (result i64) (i64.const -2)))"#,
    )
    .unwrap();
    assert_eq!(
        run(&fail, &devices, &[]).unwrap_err().code(),
        "task_failed:2"
    );
}

#[test]
fn only_the_plinth_host_functions_may_be_imported_with_their_types() {
    let ok = output(&[], &[], b"");
    // Allowed: the functions of ABI.md, with their types.
    let h3 = r#"(import "plinth" "h3_resolution" (func $res (param i64) (result i32)))"#;
    wasm::load(&module(h3, "", &ok)).unwrap();
    for (import, name) in [
        (
            r#"(import "env" "h3_resolution" (func (param i64) (result i32)))"#,
            "env.h3_resolution",
        ),
        (
            r#"(import "plinth" "clock" (func (result i64)))"#,
            "plinth.clock",
        ),
        (
            r#"(import "plinth" "h3_resolution" (func (param i32) (result i32)))"#,
            "plinth.h3_resolution",
        ),
        (
            r#"(import "plinth" "h3_parent" (global i64))"#,
            "plinth.h3_parent",
        ),
    ] {
        let e = wasm::load(&module(import, "", &ok)).unwrap_err();
        assert!(matches!(e, WasmError::Import { .. }), "{import}: {e}");
        assert!(e.to_string().contains(name), "{e}");
    }
    // The entry must be there, with its type.
    let no_entry = wat::parse_str(
        r#"(module (memory (export "memory") 1)
            (func (export "plinth_alloc") (param i32) (result i32) (i32.const 16)))"#,
    )
    .unwrap();
    assert_eq!(
        wasm::load(&no_entry).unwrap_err(),
        WasmError::MissingExport("plinth_score".into())
    );
    // Too large.
    let big = vec![0u8; wasm::LIMITS.max_module_bytes + 1];
    assert!(matches!(
        wasm::load(&big).unwrap_err(),
        WasmError::TooLarge { .. }
    ));
}

#[test]
fn host_functions_answer_as_h3o_does_and_cost_fuel() {
    // h3_resolution of a valid cell, and of garbage; the answer is the score.
    let cell = u64::from(
        h3o::LatLng::new(52.52, 13.40)
            .unwrap()
            .to_cell(h3o::Resolution::Nine),
    );
    let devices = registry([device(1, 0)]);
    let d = id(1).key().0;
    // Score = 100 + resolution: write it into the output at its score field
    // (offset 4 + 4 + 32 = 40) before returning.
    let out = output(&[(d, 1)], &[], b"");
    let body = format!(
        "(i64.store (i32.const 1064) (i64.extend_i32_s (i32.add (i32.const 100) (call $res (i64.const {cell})))))"
    );
    let h3 = r#"(import "plinth" "h3_resolution" (func $res (param i64) (result i32)))"#;
    let got = run(&module(h3, &body, &out), &devices, &[]).unwrap();
    assert_eq!(got.output.scores[&id(1)], 109);
    let body = "(i64.store (i32.const 1064) (i64.extend_i32_s (i32.add (i32.const 100) (call $res (i64.const 12345)))))";
    let got2 = run(&module(h3, body, &out), &devices, &[]).unwrap();
    assert_eq!(got2.output.scores[&id(1)], 99);
    assert!(got.fuel_used >= wasm::HOST_CALL_FUEL);
    // h3_disk1 writes 7 ascending cells.
    let disk = r#"(import "plinth" "h3_disk1" (func $disk (param i64 i32) (result i32)))"#;
    let body = format!(
        "(i64.store (i32.const 1064) (i64.extend_i32_s (call $disk (i64.const {cell}) (i32.const 2048))))"
    );
    let got = run(&module(disk, &body, &out), &devices, &[]).unwrap();
    assert_eq!(got.output.scores[&id(1)], 7);
    // Out of bounds for the 56 bytes: a trap.
    let body = format!("(drop (call $disk (i64.const {cell}) (i32.const 131060)))");
    assert_eq!(
        run(&module(disk, &body, &out), &devices, &[])
            .unwrap_err()
            .code(),
        "trap"
    );
}

#[test]
fn a_recorded_input_takes_another_state() {
    let devices = registry([device(1, 0)]);
    let input = EpochInput {
        network: "cars",
        window: &WINDOW,
        devices: &devices,
        reports: &[],
        probes: &[],
        state: b"old",
    };
    let (bytes, _) = wasm::encode_input(&params(1), &input);
    let swapped = wasm::with_state(&bytes, b"newer state").unwrap();
    let (expected, _) = wasm::encode_input(
        &params(1),
        &EpochInput {
            state: b"newer state",
            ..input
        },
    );
    assert_eq!(swapped, expected);
    assert!(wasm::with_state(&bytes[..10], b"x").is_none());
    let m = wasm::load(&module("", "", &output(&[(id(1).key().0, 3)], &[], b"s"))).unwrap();
    let raw = wasm::run_raw(&m, &swapped, 1_000_000).unwrap();
    assert_eq!((raw.scores, raw.state), (vec![(id(1), 3)], b"s".to_vec()));
}
