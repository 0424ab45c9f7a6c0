//! Capacity checks (Aethir's proof of capacity): the oracle asks a leased
//! provider to run a small benchmark task it can check, with a deadline.
//!
//! The benchmark is [`BENCH_WAT`], a module built into every agent and oracle (so a
//! check needs nothing on the ledger): an xorshift64* chain of `rounds` steps from
//! a seed the oracle draws; the answer is the result hash of its 8-byte output.
//! The oracle runs the same task itself in the same runtime, so the answer is
//! checked exactly; the deadline is the compute family's `check_timeout_ms`.
//!
//! ```text
//!  oracle ──POST /v1/check {lease, seed, rounds}──▶ agent: runs BENCH_WAT ──▶ {result}
//!  pass = the right result before the deadline; fail = wrong, late, refused or unreachable
//! ```

use crate::runner::{execute, limits};
use plinth_core::Hash;
use plinth_wasm::Module;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The largest check request body, bytes.
pub const MAX_CHECK_BODY: usize = 4 * 1024;
/// The most rounds a check may ask for (bounds the work an agent does per check).
/// Ten times what the oracle asks ([`ORACLE_ROUNDS`]): an unauthenticated caller
/// cannot make one check cost an agent more than a few hundred milliseconds.
pub const MAX_ROUNDS: u32 = 2_000_000;
/// The rounds the oracle's checks ask for.
pub const ORACLE_ROUNDS: u32 = 200_000;
/// Checks an agent runs at once; more get `503 busy`. Every member of the
/// oracle set draws the same check times, so a whole set checks a lease at the
/// same moment: room for a set of 16 (with 2, the third member of a set of
/// three saw an honest agent as failing).
pub const MAX_CHECKS_IN_FLIGHT: usize = 16;
/// Fuel a check's task gets: enough for [`MAX_ROUNDS`] rounds.
pub const CHECK_FUEL: u64 = 40 * MAX_ROUNDS as u64 + 10_000;

/// The benchmark module (WebAssembly text): input 8-byte seed then 4-byte rounds
/// (little endian), output the 8-byte state after `rounds` xorshift64* steps.
pub const BENCH_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "plinth_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "plinth_task") (param $p i32) (param $len i32) (param $task i32) (result i64)
    (local $x i64) (local $n i32)
    (if (i32.ne (local.get $len) (i32.const 12)) (then (return (i64.const -1))))
    (local.set $x (i64.xor (i64.load (local.get $p)) (i64.extend_i32_u (local.get $task))))
    (local.set $n (i32.load offset=8 (local.get $p)))
    (block $done
      (loop $step
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 12))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 25))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 27))))
        (local.set $x (i64.mul (local.get $x) (i64.const 2685821657736338717)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $step)))
    (i64.store (i32.const 0) (local.get $x))
    (i64.const 8)))"#;

/// The benchmark module, compiled once.
pub fn bench_module() -> &'static Module {
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(|| {
        let bytes = wat::parse_str(BENCH_WAT).expect("the benchmark module parses");
        Module::new(&bytes, limits()).expect("the benchmark module loads")
    })
}

/// `POST /v1/check`: a capacity check of a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The lease checked.
    pub lease: Hash,
    /// The seed the oracle drew.
    pub seed: u64,
    /// Steps to run (at most [`MAX_ROUNDS`]).
    pub rounds: u32,
}

/// The agent's answer to a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckAnswer {
    /// The result hash of the benchmark's output.
    pub result: Hash,
}

/// Why a check cannot be run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// More rounds than [`MAX_ROUNDS`].
    #[error("{rounds} rounds, at most {MAX_ROUNDS}")]
    TooManyRounds {
        /// Rounds asked for.
        rounds: u32,
    },
    /// The benchmark failed (cannot happen within the fuel).
    #[error("the benchmark failed: {0}")]
    Failed(String),
}

/// Runs a check: the answer an honest provider gives, and what the oracle
/// compares it with.
pub fn run_check(req: &CheckRequest) -> Result<CheckAnswer, CheckError> {
    if req.rounds > MAX_ROUNDS {
        return Err(CheckError::TooManyRounds { rounds: req.rounds });
    }
    let mut input = req.seed.to_le_bytes().to_vec();
    input.extend_from_slice(&req.rounds.to_le_bytes());
    let out = execute(bench_module(), &input, 0, CHECK_FUEL)
        .map_err(|e| CheckError::Failed(e.to_string()))?;
    if !out.succeeded {
        return Err(CheckError::Failed(
            String::from_utf8_lossy(&out.bytes).into(),
        ));
    }
    Ok(CheckAnswer { result: out.result })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_deterministic_and_bounded() {
        let req = CheckRequest {
            lease: Hash::tagged("t", b"lease"),
            seed: 42,
            rounds: 10_000,
        };
        let a = run_check(&req).unwrap();
        assert_eq!(a, run_check(&req).unwrap());
        let other = CheckRequest {
            seed: 43,
            ..req.clone()
        };
        assert_ne!(a, run_check(&other).unwrap());
        let too_many = CheckRequest {
            rounds: MAX_ROUNDS + 1,
            ..req
        };
        assert_eq!(
            run_check(&too_many),
            Err(CheckError::TooManyRounds {
                rounds: MAX_ROUNDS + 1
            })
        );
        // The most rounds fit the fuel: the fuel grows linearly with the rounds.
        let fuel = |rounds: u32| {
            let mut input = 7u64.to_le_bytes().to_vec();
            input.extend_from_slice(&rounds.to_le_bytes());
            bench_module()
                .run_task(&input, 0, CHECK_FUEL)
                .unwrap()
                .fuel_used
        };
        let per_1000 = fuel(2_000) - fuel(1_000);
        assert!(fuel(1_000) + per_1000 * u64::from(MAX_ROUNDS / 1_000) < CHECK_FUEL);
    }
}
