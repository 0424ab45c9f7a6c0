//! The task ABI v1: input in, output out, failures named.

use crate::{module, wasm, wat, ECHO, FUEL, RETURN_I32};
use plinth_wasm::{outcome_bytes, Limits, Module, WasmError};

#[test]
fn echo_returns_the_input() {
    let m = module(ECHO);
    for len in [0usize, 1, 5, 4096, 200_000] {
        let input: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let out = m.run_task(&input, 0, 10 * FUEL).expect("echo runs");
        assert_eq!(out.output, input, "{len} bytes");
        assert!(out.fuel_used > 0);
    }
}

#[test]
fn the_task_index_reaches_the_entry() {
    let m = module(&format!(
        r#"{RETURN_I32}
        (func (export "plinth_task") (param i32 i32) (param $task i32) (result i64)
          (call $ret32 (local.get $task)))"#
    ));
    for task in [0u32, 1, 77, u32::MAX] {
        let out = m.run_task(b"", task, FUEL).unwrap();
        assert_eq!(out.output, task.to_le_bytes());
    }
}

#[test]
fn any_entry_of_the_same_type_can_be_called() {
    // A custom proof family's scoring entry: the sum of the input bytes times arg.
    let m = module(&format!(
        r#"{RETURN_I32}
        (func (export "plinth_score") (param $ptr i32) (param $len i32) (param $arg i32) (result i64)
          (local $i i32) (local $sum i32)
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $sum (i32.add (local.get $sum)
              (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
          (call $ret32 (i32.mul (local.get $sum) (local.get $arg))))"#
    ));
    let out = m.call("plinth_score", &[1, 2, 3, 4], 10, FUEL).unwrap();
    assert_eq!(out.output, 100u32.to_le_bytes());
    // That module has no compute entry.
    assert_eq!(
        m.run_task(b"", 0, FUEL),
        Err(WasmError::MissingExport("plinth_task".into()))
    );
    assert_eq!(m.check_entry("plinth_score"), Ok(()));
}

#[test]
fn a_negative_result_is_a_failed_task() {
    let m = module(
        r#"(func (export "plinth_task") (param i32 i32) (param $task i32) (result i64)
             (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $task))))"#,
    );
    let r = m.run_task(b"x", 7, FUEL);
    assert_eq!(r, Err(WasmError::TaskFailed(7)));
    assert!(r.as_ref().unwrap_err().is_deterministic());
    assert_eq!(
        outcome_bytes(&r).unwrap(),
        b"plinth/task-failed/v1:task_failed:7"
    );
    // Codes past u32::MAX saturate.
    let m = module(
        r#"(func (export "plinth_task") (param i32 i32 i32) (result i64)
             (i64.const -0x8000000000000000))"#,
    );
    assert_eq!(
        m.run_task(b"", 0, FUEL),
        Err(WasmError::TaskFailed(u32::MAX))
    );
}

#[test]
fn traps_are_deterministic_failures() {
    for body in [
        "(unreachable)",
        "(drop (i32.div_u (i32.const 1) (local.get $task))) (i64.const 0)",
        "(drop (i32.load (i32.const -1))) (i64.const 0)",
    ] {
        let m = module(&format!(
            r#"(func (export "plinth_task") (param i32 i32) (param $task i32) (result i64) {body})"#
        ));
        let r = m.run_task(b"", 0, FUEL);
        assert!(matches!(r, Err(WasmError::Trap(_))), "{body}: {r:?}");
        assert_eq!(outcome_bytes(&r).unwrap(), b"plinth/task-failed/v1:trap");
    }
}

#[test]
fn instantiation_failures_are_traps_that_read_the_same_every_time() {
    // An element segment past its table's end, and a data segment past the memory's.
    for segment in [
        r#"(table 4 funcref) (elem (i32.const 16) $t)"#,
        r#"(data (i32.const 65535) "ab")"#,
    ] {
        let m = module(&format!(
            r#"{segment}
            (func $t (export "plinth_task") (param i32 i32 i32) (result i64) (i64.const 0))"#
        ));
        let first = m.run_task(b"", 0, FUEL);
        assert!(
            matches!(first, Err(WasmError::Trap(_))),
            "{segment}: {first:?}"
        );
        assert_eq!(m.run_task(b"", 0, FUEL), first);
    }
}

#[test]
fn endless_recursion_is_a_trap() {
    let m = module(
        r#"(func $f (export "plinth_task") (param i32 i32 i32) (result i64)
             (call $f (i32.const 0) (i32.const 0) (i32.const 0)))"#,
    );
    assert!(matches!(
        m.run_task(b"", 0, 100 * FUEL),
        Err(WasmError::Trap(_))
    ));
}

#[test]
fn an_output_outside_memory_is_a_bad_output() {
    for (ptr, len) in [
        ("0x7fff0000", "16"), // far past the one page
        ("65530", "16"),      // crosses the end
        ("65536", "0"),       // empty, at the very end: fine
        ("65537", "0"),       // empty, past the end
    ] {
        let m = module(&format!(
            r#"(func (export "plinth_task") (param i32 i32 i32) (result i64)
                 (call $pack (i32.const {ptr}) (i32.const {len})))"#
        ));
        let r = m.run_task(b"", 0, FUEL);
        if ptr == "65536" {
            assert_eq!(r.unwrap().output, b"");
        } else {
            assert!(
                matches!(r, Err(WasmError::BadOutput(_))),
                "{ptr}+{len}: {r:?}"
            );
            assert_eq!(
                outcome_bytes(&r).unwrap(),
                b"plinth/task-failed/v1:bad_output"
            );
        }
    }
}

#[test]
fn an_input_buffer_outside_memory_is_a_bad_output() {
    // An allocator that always answers the last byte of the one page.
    let bytes = wat(r#"(module (memory (export "memory") 1)
             (func (export "plinth_alloc") (param i32) (result i32) (i32.const 65535))
             (func (export "plinth_task") (param i32 i32 i32) (result i64) (i64.const 0)))"#);
    let m = Module::new(&bytes, Limits::default()).unwrap();
    assert_eq!(m.run_task(b"a", 0, FUEL).unwrap().output, b"");
    let r = m.run_task(b"ab", 0, FUEL);
    assert!(matches!(r, Err(WasmError::BadOutput(_))), "{r:?}");
    assert!(r.unwrap_err().is_deterministic());
}

#[test]
fn a_start_function_runs_before_the_task() {
    let m = module(&format!(
        r#"{RETURN_I32}
        (global $g (mut i32) (i32.const 0))
        (func $start (global.set $g (i32.const 42)))
        (start $start)
        (func (export "plinth_task") (param i32 i32 i32) (result i64)
          (call $ret32 (global.get $g)))"#
    ));
    assert_eq!(
        m.run_task(b"", 0, FUEL).unwrap().output,
        42u32.to_le_bytes()
    );
}

#[test]
fn every_task_gets_a_fresh_instance() {
    // A counter in a global and one in memory: both start from zero every task.
    let m = module(&format!(
        r#"{RETURN_I32}
        (global $calls (mut i32) (i32.const 0))
        (func (export "plinth_task") (param i32 i32 i32) (result i64)
          (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
          (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))
          (call $ret32 (i32.add (i32.mul (global.get $calls) (i32.const 1000))
                                (i32.load (i32.const 100)))))"#
    ));
    for _ in 0..3 {
        assert_eq!(
            m.run_task(b"", 0, FUEL).unwrap().output,
            1001u32.to_le_bytes()
        );
    }
}

#[test]
fn imports_are_refused() {
    for (import, module_name, name) in [
        (
            r#"(import "env" "clock" (func (result i64)))"#,
            "env",
            "clock",
        ),
        (
            r#"(import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))"#,
            "wasi_snapshot_preview1",
            "random_get",
        ),
        (r#"(import "env" "g" (global i32))"#, "env", "g"),
    ] {
        let bytes = wat(&format!(
            r#"(module {import} (memory (export "memory") 1) {} {ECHO})"#,
            crate::ALLOC
        ));
        let e = Module::new(&bytes, Limits::default()).unwrap_err();
        assert_eq!(
            e,
            WasmError::Import {
                module: module_name.into(),
                name: name.into()
            }
        );
        assert!(!e.is_deterministic());
    }
    // An imported memory is an import too.
    let bytes = wat(
        r#"(module (import "env" "memory" (memory 1)) (export "memory" (memory 0))
        (func (export "plinth_alloc") (param i32) (result i32) (i32.const 0)))"#,
    );
    assert!(matches!(
        Module::new(&bytes, Limits::default()),
        Err(WasmError::Import { .. })
    ));
}

#[test]
fn missing_and_mistyped_exports_are_load_errors() {
    let alloc = r#"(func (export "plinth_alloc") (param i32) (result i32) (i32.const 0))"#;
    let cases: [(String, WasmError); 6] = [
        (
            format!("(memory 1) {alloc}"),
            WasmError::MissingExport("memory".into()),
        ),
        (
            r#"(memory (export "memory") 1)"#.into(),
            WasmError::MissingExport("plinth_alloc".into()),
        ),
        (
            format!(r#"(global (export "memory") i32 (i32.const 0)) {alloc}"#),
            WasmError::BadSignature("memory is a global, not a memory".into()),
        ),
        (
            r#"(memory (export "memory") 1) (func (export "plinth_alloc") (param i64) (result i32) (i32.const 0))"#.into(),
            WasmError::BadSignature(String::new()),
        ),
        (
            r#"(memory (export "memory") 1) (memory (export "plinth_alloc") 1)"#.into(),
            WasmError::Invalid(String::new()), // two memories: multi-memory is off
        ),
        (
            r#"(memory (export "memory") 1) (global (export "plinth_alloc") i32 (i32.const 0))"#.into(),
            WasmError::BadSignature("plinth_alloc is a global, not a function".into()),
        ),
    ];
    for (body, want) in cases {
        let got = Module::new(&wat(&format!("(module {body})")), Limits::default()).unwrap_err();
        match (&want, &got) {
            (WasmError::BadSignature(w), WasmError::BadSignature(_)) if w.is_empty() => {}
            (WasmError::Invalid(_), WasmError::Invalid(_)) => {}
            _ => assert_eq!(got, want, "{body}"),
        }
        assert!(got.is_load_error());
    }

    // A mistyped entry is refused before anything runs.
    let m =
        module(r#"(func (export "plinth_task") (param i32 i32 i32) (result i32) (i32.const 0))"#);
    let e = m.run_task(b"", 0, FUEL).unwrap_err();
    assert!(matches!(e, WasmError::BadSignature(_)), "{e:?}");
    assert_eq!(outcome_bytes(&Err(e)), None);
    assert!(matches!(
        m.check_entry("plinth_task"),
        Err(WasmError::BadSignature(_))
    ));
    assert_eq!(
        m.check_entry("plinth_score"),
        Err(WasmError::MissingExport("plinth_score".into()))
    );
}

#[test]
fn bytes_that_are_not_wasm_are_invalid() {
    for bytes in [&b""[..], b"\0asm", b"\0asm\x01\0\0\0\x01", b"hello world"] {
        let e = Module::new(bytes, Limits::default()).unwrap_err();
        assert!(matches!(e, WasmError::Invalid(_)), "{bytes:?}: {e:?}");
    }
    // SIMD is compiled out: a module using v128 does not validate.
    let simd = wasm(
        r#"(func (export "plinth_task") (param i32 i32 i32) (result i64)
             (drop (v128.const i64x2 0 0)) (i64.const 0))"#,
    );
    assert!(matches!(
        Module::new(&simd, Limits::default()),
        Err(WasmError::Invalid(_))
    ));
}
