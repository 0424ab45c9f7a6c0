//! Integration tests of the task ABI: one binary, one module per concern.
//! Test modules are written in WAT.

mod abi;
mod determinism;
mod limits;
mod nan;
mod robustness;

use plinth_wasm::{Limits, Module};

/// Enough fuel for every small test task.
pub const FUEL: u64 = 1_000_000;

/// A bump allocator from offset 1024 that grows the memory when needed; its
/// result is out of bounds when growing failed (the host then refuses it).
pub const ALLOC: &str = r#"
  (global $top (mut i32) (i32.const 1024))
  (func $alloc (export "plinth_alloc") (param $len i32) (result i32)
    (local $p i32) (local $need i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $len)))
    (local.set $need (i32.sub (global.get $top) (i32.mul (memory.size) (i32.const 65536))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (drop (memory.grow
        (i32.div_u (i32.add (local.get $need) (i32.const 65535)) (i32.const 65536))))))
    (local.get $p))
  ;; (ptr, len) packed as the entry's i64 result
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
"#;

/// The bytes of a module made of one page of exported memory, [`ALLOC`] and `body`.
pub fn wasm(body: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module (memory (export "memory") 1) {ALLOC} {body})"#
    ))
}

/// Any WAT text, assembled.
pub fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT assembles")
}

/// A module of [`wasm`]`(body)` under the default limits.
pub fn module(body: &str) -> Module {
    Module::new(&wasm(body), Limits::default()).expect("test module loads")
}

/// The echo task: the output is the input buffer.
pub const ECHO: &str = r#"
  (func (export "plinth_task") (param $ptr i32) (param $len i32) (param $task i32) (result i64)
    (call $pack (local.get $ptr) (local.get $len)))
"#;

/// Writes the i32 on the stack as 4 little-endian bytes at 0 and returns them.
pub const RETURN_I32: &str = r#"
  (func $ret32 (param $v i32) (result i64)
    (i32.store (i32.const 0) (local.get $v))
    (call $pack (i32.const 0) (i32.const 4)))
  (func $ret64 (param $v i64) (result i64)
    (i64.store (i32.const 0) (local.get $v))
    (call $pack (i32.const 0) (i32.const 8)))
"#;
