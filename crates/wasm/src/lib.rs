//! Plinth's one deterministic WebAssembly runtime: compute jobs (issue 16) run
//! their tasks here, and custom proof families (issue 17) their scoring.
//!
//! Same module, input, task, fuel and [`Limits`] → the same outcome on every
//! machine: the same output bytes and the same fuel used, or the same failure.
//! A provider commits to [`outcome_bytes`] of a task, and anyone can re-run it
//! to check.
//!
//! ```text
//!  module bytes ──Module::new──▶ Module (validated, compiled once; Arc)
//!                                  │ run_task(input, task, fuel) / call(entry, …)
//!                                  ▼
//!                fresh Store + Instance (fuel, memory limit)
//!                  start fn → plinth_alloc(len) → write input → plinth_task(ptr, len, task)
//!                                  │ i64: ptr << 32 | len, or -code
//!                                  ▼
//!                TaskOutput { output, fuel_used }  or  WasmError ──outcome_bytes──▶ committed bytes
//! ```
//!
//! - [`limits`]: [`Limits`] (module, memory, input and output sizes).
//! - [`module`]: [`Module`], [`TaskOutput`], the ABI's export names.
//! - [`error`]: [`WasmError`], [`outcome_bytes`].
//! - [`host`]: [`HostFunctions`], the fixed set of pure functions a module may
//!   import (none for compute tasks; custom families get `plinth_proofs::wasm`'s).
//!
//! # The Plinth task ABI, version 1
//!
//! A task module:
//!
//! - imports **nothing** (any import is refused: [`WasmError::Import`]); a
//!   custom proof family may import the pure functions its host offers
//!   ([`Module::with_host`], [`host`]);
//! - exports its linear memory as `memory` (one memory, 32-bit, whose initial
//!   size is at most `max_memory_bytes`);
//! - exports `plinth_alloc(len: i32) -> i32`, which returns where `len` bytes of
//!   input may be written (any allocator will do: a bump pointer is enough,
//!   since an instance serves one task);
//! - exports `plinth_task(input_ptr: i32, input_len: i32, task: i32) -> i64`,
//!   the entry of a compute job (a custom proof family names its own entry of
//!   the same type, e.g. `plinth_score`, run with [`Module::call`]);
//! - may have a start function; it runs within the task's fuel.
//!
//! The host, for each task:
//!
//! 1. creates a **fresh** store and instance: nothing carries over between
//!    tasks (globals, memory, tables start as the module declares them);
//! 2. gives the store the task's fuel, which pays for everything: instantiation
//!    and start function, `plinth_alloc`, the entry;
//! 3. calls `plinth_alloc(input.len())` and writes the input at the returned
//!    pointer (a range outside the memory is [`WasmError::BadOutput`]);
//! 4. calls `plinth_task(ptr, input.len(), task)` (the task index as the i32 of
//!    the same bits) and reads its `i64` result `r`:
//!    - `r < 0`: the task failed with code `-r` ([`WasmError::TaskFailed`]);
//!    - otherwise the output is `out_len = r & 0xffff_ffff` bytes at
//!      `out_ptr = r >> 32` in `memory`, copied out: longer than
//!      `max_output_bytes` is [`WasmError::OutputTooLarge`], outside the memory
//!      [`WasmError::BadOutput`]. (So `out_ptr` is below 2³¹, as every address
//!      of a memory within the limit is.)
//!
//! In C (clang `--target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export=…`):
//!
//! ```c
//! static unsigned char heap[1 << 20]; static unsigned long top;
//! __attribute__((export_name("plinth_alloc"))) void *plinth_alloc(int len) {
//!     void *p = heap + top; top += (len + 15) & ~15; return p;
//! }
//! __attribute__((export_name("plinth_task")))
//! long long plinth_task(const unsigned char *in, int len, int task) {
//!     unsigned char *out = plinth_alloc(4); /* … compute … */
//!     return ((long long)(unsigned)out << 32) | 4;   /* or: return -1; */
//! }
//! ```
//!
//! # Determinism
//!
//! - **Fuel** metering is on: every instruction costs fuel (wasmi's schedule, so
//!   the version is pinned exactly in the workspace); running out is
//!   [`WasmError::OutOfFuel`] and [`TaskOutput::fuel_used`] is the same on every
//!   machine.
//! - **No imports**: no clock, no randomness, no host state.
//! - **Memory**: the instance's memory can never exceed `max_memory_bytes`;
//!   `memory.grow` past it returns -1 to the module, and growth within it
//!   costs fuel by the byte (1 per 64 bytes) (what the module does then,
//!   e.g. trap, is its own deterministic outcome). A module declaring a larger
//!   initial memory is refused at load as [`WasmError::TooLarge`] with
//!   [`Limit::InitialMemory`] (a load error, like a module that is too large).
//!   Tables hold at most [`limits::MAX_TABLE_ELEMENTS`] elements each.
//! - **Proposals**: SIMD and relaxed SIMD (nondeterministic results), threads,
//!   memory64, multi-memory, custom page sizes and wide arithmetic are off; the
//!   deterministic post-MVP proposals clang emits by default (bulk memory,
//!   reference types, multi-value, sign extension, non-trapping float-to-int,
//!   mutable globals) and tail calls and extended constants are on.
//! - **NaNs**: wasmi evaluates floats with the host's instructions, and the
//!   bits of a NaN they produce differ between CPUs (x86 makes `0.0 / 0.0`
//!   negative, ARM positive; payloads propagate differently). This crate turns
//!   on wasmi's `deterministic` feature, its implementation of the Wasm 3.0
//!   *deterministic profile*: every float instruction that can produce a NaN
//!   (add, sub, mul, div, sqrt, min, max, ceil, floor, trunc, nearest, demote,
//!   promote) produces the canonical NaN `0x7fc00000` / `0x7ff8000000000000`,
//!   also when the translator folds constants. So no module rewriting is
//!   needed, and fuel is charged on the module as written. Bit-exact operations
//!   (`abs`, `neg`, `copysign`, loads, stores, `reinterpret`) keep their
//!   operand's bits, as the specification requires.
//! - **Stack**: wasmi's fixed recursion and value-stack limits; exceeding them
//!   is a trap, alike everywhere.
//! - Errors are split by [`WasmError::is_deterministic`]: only deterministic
//!   failures have [`outcome_bytes`]; load errors mean the job cannot run.
//!
//! # Why wasmi (and not wasmtime)
//!
//! Measured on the demo job (`crates/render/render.wasm`, the C path tracer, 48
//! tiles; BENCHMARKS.md, "WebAssembly runtime: wasmi vs wasmtime", 2 cores):
//!
//! | | wasmi 2.0 (this crate) | wasmtime 48 (cranelift, NaN canonicalisation, fuel) |
//! |---|---|---|
//! | demo tile | 25.3–26.1 ms (≈39 tasks/s) | 7.3–7.7 ms (≈135 tasks/s) |
//! | fresh instance (echo task) | 1.0–1.1 µs | 18.6–19.8 µs |
//! | compile `render.wasm` | 0.6 ms | 13–14 ms |
//! | cold release build, dependency alone | 15 s, 9 crates | 129–145 s, 103 crates |
//! | binary size added (stripped) | 1.5 MiB | 10.6 MiB |
//!
//! Both gave byte-identical tiles. wasmtime is 3.5× faster on long float-heavy
//! tasks; wasmi is chosen because that speed is not what limits Plinth: a whole
//! demo frame is 1.2 s of one core, and jobs pay in fuel, not seconds. What does
//! matter here favours wasmi: a fresh instance per task costs 1 µs (custom proof
//! families make many small calls); an untrusted upload is validated and
//! compiled in under a millisecond by an interpreter, with no JIT, no executable
//! memory and no signal handlers; it is pure Rust that runs wherever Plinth
//! builds; and it costs a tenth of the build time and binary size on our small
//! machines. Fuel counts are each runtime's own (the frame cost 14.0 G wasmi fuel,
//! 3.0 G wasmtime fuel), so a switch would be a consensus change of the fuel
//! schedule; the API here ([`Module`], [`Module::run_task`], [`Module::call`])
//! hides the runtime, so it stays possible.
//!
//! # Example
//!
//! ```
//! use plinth_wasm::{outcome_bytes, Limits, Module};
//!
//! // Echoes its input: the output is the input buffer itself.
//! let wasm = wat::parse_str(r#"
//!   (module
//!     (memory (export "memory") 1)
//!     (func (export "plinth_alloc") (param i32) (result i32) (i32.const 16))
//!     (func (export "plinth_task") (param $ptr i32) (param $len i32) (param $task i32) (result i64)
//!       (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
//!               (i64.extend_i32_u (local.get $len)))))
//! "#).unwrap();
//! let module = Module::new(&wasm, Limits::default()).unwrap();
//! let result = module.run_task(b"hello", 0, 10_000);
//! assert_eq!(result.as_ref().unwrap().output, b"hello");
//! assert_eq!(outcome_bytes(&result).unwrap(), b"hello");
//! // Too little fuel is an outcome too, the same everywhere.
//! let starved = module.run_task(b"hello", 0, 1);
//! assert_eq!(outcome_bytes(&starved).unwrap(), b"plinth/task-failed/v1:out_of_fuel");
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod host;
pub mod limits;
pub mod module;

pub use error::{outcome_bytes, Limit, WasmError, FAILURE_PREFIX};
pub use host::{HostFn, HostFunction, HostFunctions};
pub use limits::Limits;
pub use module::{Module, TaskOutput, ALLOC_EXPORT, MEMORY_EXPORT, TASK_ENTRY};
