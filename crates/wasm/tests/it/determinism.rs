//! Same module, input, task and fuel → same outcome and same fuel, every time.

use crate::{module, wasm, ECHO, FUEL, RETURN_I32};
use plinth_wasm::{outcome_bytes, Limits, Module, WasmError};

/// Sums `task` rounds of a hash-like mix over the input: work proportional to
/// input length × task.
const MIX: &str = r#"
  (func (export "plinth_task") (param $ptr i32) (param $len i32) (param $task i32) (result i64)
    (local $i i32) (local $r i32) (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (block $rounds_done (loop $round
      (br_if $rounds_done (i32.ge_u (local.get $r) (local.get $task)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $h (i32.mul (i32.xor (local.get $h)
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))) (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $round)))
    (call $ret32 (local.get $h)))
"#;

fn mix() -> Module {
    module(&format!("{RETURN_I32} {MIX}"))
}

#[test]
fn repeated_runs_agree_on_output_and_fuel() {
    let m = mix();
    let input = b"a compute job's input".repeat(10);
    let first = m.run_task(&input, 5, FUEL).unwrap();
    for _ in 0..5 {
        assert_eq!(m.run_task(&input, 5, FUEL).unwrap(), first);
    }
    // A second compilation of the same bytes agrees too.
    let again = Module::new(&wasm(&format!("{RETURN_I32} {MIX}")), Limits::default()).unwrap();
    assert_eq!(again.run_task(&input, 5, FUEL).unwrap(), first);
    // The fuel given does not change the fuel used, only whether it suffices.
    assert_eq!(m.run_task(&input, 5, 50 * FUEL).unwrap(), first);
}

#[test]
fn threads_sharing_a_module_agree() {
    let m = mix();
    let want: Vec<_> = (0..8u32)
        .map(|t| m.run_task(b"shared", t, FUEL).unwrap())
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                s.spawn(move || {
                    (0..8u32)
                        .map(|t| m.run_task(b"shared", t, FUEL).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), want);
        }
    });
}

#[test]
fn fuel_used_is_exactly_what_a_task_needs() {
    let m = mix();
    let input = [7u8; 64];
    let used = m.run_task(&input, 3, FUEL).unwrap().fuel_used;
    let exact = m.run_task(&input, 3, used).unwrap();
    assert_eq!(exact.fuel_used, used);
    assert_eq!(m.run_task(&input, 3, used - 1), Err(WasmError::OutOfFuel));
    // More work costs more fuel.
    assert!(m.run_task(&input, 4, FUEL).unwrap().fuel_used > used);
    assert!(m.run_task(&[7u8; 128], 3, FUEL).unwrap().fuel_used > used);
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let m = module(
        r#"(func (export "plinth_task") (param i32 i32 i32) (result i64)
             (loop $forever (br $forever)) (i64.const 0))"#,
    );
    for fuel in [0, 1, 1_000, FUEL] {
        let r = m.run_task(b"", 0, fuel);
        assert_eq!(r, Err(WasmError::OutOfFuel), "fuel {fuel}");
        assert_eq!(
            outcome_bytes(&r).unwrap(),
            b"plinth/task-failed/v1:out_of_fuel"
        );
    }
}

#[test]
fn the_start_function_and_alloc_pay_from_the_same_fuel() {
    let looping_start = module(
        r#"(func $start (loop $forever (br $forever)))
           (start $start)
           (func (export "plinth_task") (param i32 i32 i32) (result i64) (i64.const 0))"#,
    );
    assert_eq!(
        looping_start.run_task(b"", 0, FUEL),
        Err(WasmError::OutOfFuel)
    );

    // The echo's entry does almost nothing: its fuel goes to instantiation and
    // plinth_alloc, and one unit less is not enough.
    let echo = module(ECHO);
    let small = echo.run_task(b"", 0, FUEL).unwrap().fuel_used;
    assert_eq!(echo.run_task(b"", 0, small - 1), Err(WasmError::OutOfFuel));
}
