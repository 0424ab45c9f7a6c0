//! NaN canonicalisation: every float instruction that can make a NaN makes the
//! canonical one, whatever the CPU and whatever NaN went in.

use crate::{wasm, FUEL};
use plinth_wasm::{Limits, Module};

const CANONICAL_F32: u32 = 0x7fc0_0000;
const CANONICAL_F64: u64 = 0x7ff8_0000_0000_0000;

/// NaNs of every kind: signalling with a payload, quiet with a payload,
/// negative, and the canonical ones.
const NANS_F32: [u32; 5] = [
    0x7fa0_0001,
    0x7fc0_1234,
    0xffc0_0000,
    0xff80_0001,
    CANONICAL_F32,
];
const NANS_F64: [u64; 4] = [
    0x7ff4_0000_0000_0001,
    0x7ff8_0000_dead_beef,
    0xfff8_0000_0000_0000,
    CANONICAL_F64,
];
const VALUES_F32: [f32; 8] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.5,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e-40,
];
const VALUES_F64: [f64; 8] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e-310,
];

/// One exported entry per operation: operands are read from the input (a at
/// 0, b at 4 or 8), the result's bits are the output.
fn float_ops() -> Module {
    let mut body = String::new();
    let mut entry = |name: &str, ty: &str, expr: &str| {
        let width = if ty == "f32" { 4 } else { 8 };
        body.push_str(&format!(
            r#"(func (export "{name}") (param $p i32) (param $len i32) (param $arg i32) (result i64)
                 ({ty}.store (i32.const 0) {expr})
                 (call $pack (i32.const 0) (i32.const {width})))
            "#
        ));
    };
    for ty in ["f32", "f64"] {
        let w = if ty == "f32" { 4 } else { 8 };
        for op in ["add", "sub", "mul", "div", "min", "max", "copysign"] {
            entry(
                &format!("{ty}.{op}"),
                ty,
                &format!(
                    "({ty}.{op} ({ty}.load (local.get $p)) ({ty}.load offset={w} (local.get $p)))"
                ),
            );
        }
        for op in ["sqrt", "ceil", "floor", "trunc", "nearest", "abs", "neg"] {
            entry(
                &format!("{ty}.{op}"),
                ty,
                &format!("({ty}.{op} ({ty}.load (local.get $p)))"),
            );
        }
    }
    entry(
        "f32.demote_f64",
        "f32",
        "(f32.demote_f64 (f64.load (local.get $p)))",
    );
    entry(
        "f64.promote_f32",
        "f64",
        "(f64.promote_f32 (f32.load (local.get $p)))",
    );
    // Constant operands: wasmi folds these while compiling.
    entry(
        "const.f32.div",
        "f32",
        "(f32.div (f32.const 0) (f32.const 0))",
    );
    entry("const.f32.sqrt", "f32", "(f32.sqrt (f32.const -1))");
    entry(
        "const.f32.add",
        "f32",
        "(f32.add (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.const 1))",
    );
    entry(
        "const.f64.div",
        "f64",
        "(f64.div (f64.const 0) (f64.const 0))",
    );
    entry(
        "const.f64.mul",
        "f64",
        "(f64.mul (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)) (f64.const 2))",
    );
    entry(
        "const.f64.promote",
        "f64",
        "(f64.promote_f32 (f32.const nan:0x200001))",
    );
    Module::new(&wasm(&body), Limits::default()).expect("float module loads")
}

fn run32(m: &Module, op: &str, a: u32, b: u32) -> u32 {
    let input = [a.to_le_bytes(), b.to_le_bytes()].concat();
    let out = m.call(op, &input, 0, FUEL).unwrap().output;
    u32::from_le_bytes(out.try_into().unwrap())
}

fn run64(m: &Module, op: &str, a: u64, b: u64) -> u64 {
    let input = [a.to_le_bytes(), b.to_le_bytes()].concat();
    let out = m.call(op, &input, 0, FUEL).unwrap().output;
    u64::from_le_bytes(out.try_into().unwrap())
}

#[test]
fn nan_results_are_canonical() {
    let m = float_ops();
    let nan32 = |op: &str, a: f32, b: f32| run32(&m, op, a.to_bits(), b.to_bits());
    assert_eq!(nan32("f32.div", 0.0, 0.0), CANONICAL_F32, "0/0");
    assert_eq!(nan32("f32.sqrt", -1.0, 0.0), CANONICAL_F32, "sqrt(-1)");
    assert_eq!(
        nan32("f32.sub", f32::INFINITY, f32::INFINITY),
        CANONICAL_F32,
        "inf-inf"
    );
    assert_eq!(nan32("f32.mul", 0.0, f32::INFINITY), CANONICAL_F32, "0*inf");
    let nan64 = |op: &str, a: f64, b: f64| run64(&m, op, a.to_bits(), b.to_bits());
    assert_eq!(nan64("f64.div", 0.0, 0.0), CANONICAL_F64);
    assert_eq!(nan64("f64.sqrt", -1.0, 0.0), CANONICAL_F64);
    assert_eq!(
        nan64("f64.add", f64::INFINITY, f64::NEG_INFINITY),
        CANONICAL_F64
    );

    // NaN operands with payloads and signs, on either side.
    for nan in NANS_F32 {
        for v in VALUES_F32 {
            for op in ["add", "sub", "mul", "div", "min", "max"] {
                let op = format!("f32.{op}");
                assert_eq!(
                    run32(&m, &op, nan, v.to_bits()),
                    CANONICAL_F32,
                    "{op}({nan:#x}, {v})"
                );
                assert_eq!(
                    run32(&m, &op, v.to_bits(), nan),
                    CANONICAL_F32,
                    "{op}({v}, {nan:#x})"
                );
            }
        }
        for op in ["sqrt", "ceil", "floor", "trunc", "nearest"] {
            assert_eq!(
                run32(&m, &format!("f32.{op}"), nan, 0),
                CANONICAL_F32,
                "{op}({nan:#x})"
            );
        }
        let promoted = run64(&m, "f64.promote_f32", u64::from(nan), 0);
        assert_eq!(promoted, CANONICAL_F64, "promote({nan:#x})");
    }
    for nan in NANS_F64 {
        for v in VALUES_F64 {
            for op in ["add", "sub", "mul", "div", "min", "max"] {
                let op = format!("f64.{op}");
                assert_eq!(
                    run64(&m, &op, nan, v.to_bits()),
                    CANONICAL_F64,
                    "{op}({nan:#x}, {v})"
                );
                assert_eq!(
                    run64(&m, &op, v.to_bits(), nan),
                    CANONICAL_F64,
                    "{op}({v}, {nan:#x})"
                );
            }
        }
        for op in ["sqrt", "ceil", "floor", "trunc", "nearest"] {
            assert_eq!(
                run64(&m, &format!("f64.{op}"), nan, 0),
                CANONICAL_F64,
                "{op}({nan:#x})"
            );
        }
        assert_eq!(
            run32(&m, "f32.demote_f64", nan as u32, (nan >> 32) as u32),
            CANONICAL_F32
        );
    }
}

#[test]
fn constant_folded_nans_are_canonical_too() {
    let m = float_ops();
    for op in ["const.f32.div", "const.f32.sqrt", "const.f32.add"] {
        assert_eq!(run32(&m, op, 0, 0), CANONICAL_F32, "{op}");
    }
    for op in ["const.f64.div", "const.f64.mul", "const.f64.promote"] {
        assert_eq!(run64(&m, op, 0, 0), CANONICAL_F64, "{op}");
    }
}

#[test]
fn bit_exact_operations_keep_their_operands_bits() {
    // abs, neg and copysign only touch the sign (the specification says so, and
    // every CPU agrees): the payload survives.
    let m = float_ops();
    assert_eq!(run32(&m, "f32.abs", 0xffc0_1234, 0), 0x7fc0_1234);
    assert_eq!(run32(&m, "f32.neg", 0x7fa0_0001, 0), 0xffa0_0001);
    assert_eq!(
        run32(&m, "f32.copysign", 0x7fa0_0001, (-1.0f32).to_bits()),
        0xffa0_0001
    );
    assert_eq!(
        run64(&m, "f64.neg", 0x7ff4_0000_0000_0001, 0),
        0xfff4_0000_0000_0001
    );
}

#[test]
fn results_that_are_not_nan_are_ieee_exact() {
    // Canonicalisation changes NaNs only: every other result is the correctly
    // rounded IEEE result, as the host computes it.
    let m = float_ops();
    let mut values32 = VALUES_F32.to_vec();
    values32.extend([3.0, 0.1, -7.25, 1e30, f32::MIN_POSITIVE, 0.5, 1.5, -2.5]);
    for &a in &values32 {
        for &b in &values32 {
            let cases: [(&str, f32); 6] = [
                ("add", a + b),
                ("sub", a - b),
                ("mul", a * b),
                ("div", a / b),
                (
                    "min",
                    if a == b {
                        if a.is_sign_negative() {
                            a
                        } else {
                            b
                        }
                    } else {
                        a.min(b)
                    },
                ),
                (
                    "max",
                    if a == b {
                        if a.is_sign_positive() {
                            a
                        } else {
                            b
                        }
                    } else {
                        a.max(b)
                    },
                ),
            ];
            for (op, want) in cases {
                if want.is_nan() {
                    continue;
                }
                let got = run32(&m, &format!("f32.{op}"), a.to_bits(), b.to_bits());
                assert_eq!(got, want.to_bits(), "f32.{op}({a}, {b})");
            }
        }
        let unary: [(&str, f32); 5] = [
            ("sqrt", a.sqrt()),
            ("ceil", a.ceil()),
            ("floor", a.floor()),
            ("trunc", a.trunc()),
            ("nearest", a.round_ties_even()),
        ];
        for (op, want) in unary {
            if !want.is_nan() {
                assert_eq!(
                    run32(&m, &format!("f32.{op}"), a.to_bits(), 0),
                    want.to_bits(),
                    "{op}({a})"
                );
            }
        }
    }
    for &a in &VALUES_F64 {
        for &b in &[3.0f64, 0.1, -7.25, 1e300] {
            assert_eq!(
                run64(&m, "f64.div", a.to_bits(), b.to_bits()),
                (a / b).to_bits()
            );
            assert_eq!(
                run64(&m, "f64.mul", a.to_bits(), b.to_bits()),
                (a * b).to_bits()
            );
        }
        assert_eq!(
            run32(
                &m,
                "f32.demote_f64",
                a.to_bits() as u32,
                (a.to_bits() >> 32) as u32
            ),
            (a as f32).to_bits()
        );
    }
}

#[test]
fn the_host_alone_would_not_be_canonical() {
    // Why the runtime must canonicalise: the host's own float instructions keep
    // payloads (and on x86 give 0/0 the sign bit), so an interpreter that
    // used them bare would leak CPU-specific bits into task outputs.
    use std::hint::black_box;
    let with_payload = f32::from_bits(0x7fa0_0001);
    let host = (black_box(with_payload) + black_box(1.0f32)).to_bits();
    assert!(f32::from_bits(host).is_nan());
    assert_ne!(host, CANONICAL_F32, "the host kept the payload: {host:#x}");
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        (black_box(0.0f32) / black_box(0.0f32)).to_bits(),
        0xffc0_0000
    );
    // The module gives the canonical NaN for the same operations.
    let m = float_ops();
    assert_eq!(
        run32(&m, "f32.add", 0x7fa0_0001, 1.0f32.to_bits()),
        CANONICAL_F32
    );
    assert_eq!(run32(&m, "f32.div", 0, 0), CANONICAL_F32);
}
