//! Sizes: module, input, output, memory and tables stay within their limits.

use crate::{module, wasm, wat, ECHO, FUEL, RETURN_I32};
use plinth_wasm::{outcome_bytes, Limit, Limits, Module, WasmError};

const PAGE: usize = 64 * 1024;

#[test]
fn memory_cannot_grow_past_the_limit() {
    // Task n grows the memory by n pages and returns memory.grow's answer;
    // task 1000 then also writes to the last page it asked for.
    let body = format!(
        r#"{RETURN_I32}
        (func (export "plinth_task") (param i32 i32) (param $task i32) (result i64)
          (local $old i32)
          (local.set $old (memory.grow (local.get $task)))
          (if (i32.eq (local.get $task) (i32.const 1000))
            (then (i32.store (i32.sub (i32.mul (i32.add (local.get $old) (local.get $task))
                                               (i32.const 65536)) (i32.const 4))
                             (i32.const 1))))
          (call $ret32 (local.get $old)))"#
    );
    let limits = Limits {
        max_memory_bytes: 4 * PAGE,
        ..Limits::default()
    };
    let m = Module::new(&wasm(&body), limits).unwrap();
    // One page to start; three more fit.
    assert_eq!(m.run_task(b"", 3, FUEL).unwrap().output, 1i32.to_le_bytes());
    // Four more do not: the module sees -1 …
    assert_eq!(
        m.run_task(b"", 4, FUEL).unwrap().output,
        (-1i32).to_le_bytes()
    );
    // … and writing where the memory would have been traps, alike everywhere.
    let r = m.run_task(b"", 1000, FUEL);
    assert!(matches!(r, Err(WasmError::Trap(_))), "{r:?}");
    assert!(r.unwrap_err().is_deterministic());
    // Under the default 64 MiB limit, 1000 pages fit, and growing is paid in
    // fuel by the byte (1 per 64 bytes: 1,024,000 for 1000 pages).
    let roomy = module(&body);
    assert_eq!(roomy.run_task(b"", 1000, FUEL), Err(WasmError::OutOfFuel));
    let grown = roomy.run_task(b"", 1000, 2 * FUEL).unwrap();
    assert_eq!(grown.output, 1i32.to_le_bytes());
    assert!(grown.fuel_used > 1_024_000);
}

#[test]
fn an_input_the_memory_cannot_hold_is_a_bad_output() {
    // The allocator's memory.grow fails past 2 pages: the buffer it returns is
    // out of bounds, and the host says so.
    let limits = Limits {
        max_memory_bytes: 2 * PAGE,
        ..Limits::default()
    };
    let m = Module::new(&wasm(ECHO), limits).unwrap();
    let fits = vec![1u8; PAGE];
    assert_eq!(m.run_task(&fits, 0, FUEL).unwrap().output, fits);
    let r = m.run_task(&vec![1u8; 2 * PAGE], 0, FUEL);
    assert!(matches!(r, Err(WasmError::BadOutput(_))), "{r:?}");
}

#[test]
fn a_larger_initial_memory_is_refused_at_load() {
    let limits = Limits {
        max_memory_bytes: 4 * PAGE,
        ..Limits::default()
    };
    let module_with = |memory: &str| {
        wat(&format!(
            r#"(module (memory (export "memory") {memory}) {} {ECHO})"#,
            crate::ALLOC
        ))
    };
    assert_eq!(
        Module::new(&module_with("5"), limits).unwrap_err(),
        WasmError::TooLarge {
            limit: Limit::InitialMemory,
            len: 5 * PAGE,
            max: 4 * PAGE
        }
    );
    // Exactly the limit loads; so does a larger declared maximum (growth is
    // what the limit stops).
    assert!(Module::new(&module_with("4"), limits).is_ok());
    assert!(Module::new(&module_with("1 1000"), limits).is_ok());
    // The largest memory WebAssembly can declare.
    assert!(matches!(
        Module::new(&module_with("65536"), Limits::default()),
        Err(WasmError::TooLarge {
            limit: Limit::InitialMemory,
            ..
        })
    ));
}

#[test]
fn a_huge_table_is_a_memory_limit() {
    let m = module(
        r#"(table 1000000 funcref)
           (func (export "plinth_task") (param i32 i32 i32) (result i64) (i64.const 0))"#,
    );
    let r = m.run_task(b"", 0, FUEL);
    assert_eq!(r, Err(WasmError::MemoryLimit));
    assert_eq!(
        outcome_bytes(&r).unwrap(),
        b"plinth/task-failed/v1:memory_limit"
    );
    // A table grown past the limit: table.grow answers -1.
    let m = module(&format!(
        r#"{RETURN_I32}
        (table 10 funcref)
        (func (export "plinth_task") (param i32 i32) (param $task i32) (result i64)
          (call $ret32 (table.grow (ref.null func) (local.get $task))))"#
    ));
    assert_eq!(
        m.run_task(b"", 10, FUEL).unwrap().output,
        10i32.to_le_bytes()
    );
    assert_eq!(
        m.run_task(b"", 1 << 16, FUEL).unwrap().output,
        (-1i32).to_le_bytes()
    );
}

#[test]
fn outputs_are_bounded() {
    let limits = Limits {
        max_output_bytes: 100,
        ..Limits::default()
    };
    let m = Module::new(&wasm(ECHO), limits).unwrap();
    assert_eq!(m.run_task(&[9; 100], 0, FUEL).unwrap().output, [9; 100]);
    let r = m.run_task(&[9; 101], 0, FUEL);
    assert_eq!(r, Err(WasmError::OutputTooLarge { len: 101, max: 100 }));
    assert_eq!(
        outcome_bytes(&r).unwrap(),
        b"plinth/task-failed/v1:output_too_large"
    );

    // Under the default 1 MiB: a 2 MiB output is refused whatever it points at.
    let m = module(
        r#"(func (export "plinth_task") (param i32 i32 i32) (result i64)
             (call $pack (i32.const 0) (i32.const 0x200000)))"#,
    );
    assert_eq!(
        m.run_task(b"", 0, FUEL),
        Err(WasmError::OutputTooLarge {
            len: 2 << 20,
            max: 1 << 20
        })
    );
}

#[test]
fn inputs_and_modules_are_bounded() {
    let limits = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    let bytes = wasm(ECHO);
    let m = Module::new(&bytes, limits).unwrap();
    assert!(m.run_task(&[0; 10], 0, FUEL).is_ok());
    let e = m.run_task(&[0; 11], 0, FUEL).unwrap_err();
    assert_eq!(
        e,
        WasmError::TooLarge {
            limit: Limit::Input,
            len: 11,
            max: 10
        }
    );
    assert!(e.is_load_error());

    let tight = Limits {
        max_module_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    assert_eq!(
        Module::new(&bytes, tight).unwrap_err(),
        WasmError::TooLarge {
            limit: Limit::Module,
            len: bytes.len(),
            max: bytes.len() - 1
        }
    );
    assert_eq!(*m.limits(), limits);
}
