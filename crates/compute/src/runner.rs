//! Running a job's tasks: modules fetched once, checked against their hash and
//! compiled once, then each task on a fresh instance ([`plinth_wasm`]).
//!
//! The provider's agent, the oracle's spot checks and the consumer's check of a
//! fetched output all go through [`execute`] and [`limits`], so they commit to,
//! re-execute and compare the same bytes.

use plinth_core::Hash;
use plinth_ledger::compute::{module_hash, task_result_hash};
use plinth_wasm::{outcome_bytes, Limits, Module, WasmError};
use std::collections::VecDeque;
use std::sync::Mutex;

/// The stack of a thread that runs tasks: the interpreter's translation and
/// execution of a large module need more than a spawned thread's default 2 MiB.
pub const THREAD_STACK_BYTES: usize = 64 << 20;

/// The limits every party runs tasks under (the runtime's defaults: the ledger's
/// largest module, 64 MiB of memory, 1 MiB of output).
pub fn limits() -> Limits {
    Limits::default()
}

/// Why a task could not be run at all (no outcome anybody could commit to).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The module's bytes could not be fetched.
    #[error("fetching module {module}: {reason}")]
    Fetch {
        /// The module.
        module: Hash,
        /// What failed.
        reason: String,
    },
    /// The fetched bytes are not the module the job names.
    #[error("the bytes fetched for module {expected} hash to {found}")]
    WrongModule {
        /// The module named.
        expected: Hash,
        /// What the bytes hash to.
        found: Hash,
    },
    /// The module does not load (not valid, imports, missing exports, too large).
    #[error("module {module} does not load: {error}")]
    Load {
        /// The module.
        module: Hash,
        /// Why.
        error: WasmError,
    },
}

/// A task run: the bytes a provider commits to (the output, or the canonical
/// record of a deterministic failure) and their result hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// [`plinth_wasm::outcome_bytes`] of the run.
    pub bytes: Vec<u8>,
    /// [`task_result_hash`] of `bytes`: what the ledger's claim reveals.
    pub result: Hash,
    /// Whether the task produced an output (not a deterministic failure).
    pub succeeded: bool,
}

/// Runs task `task` of `module` over `input` with `fuel`.
pub fn execute(module: &Module, input: &[u8], task: u32, fuel: u64) -> Result<Executed, WasmError> {
    let run = module.run_task(input, task, fuel);
    match outcome_bytes(&run) {
        Some(bytes) => Ok(Executed {
            result: task_result_hash(&bytes),
            succeeded: run.is_ok(),
            bytes,
        }),
        None => Err(run.expect_err("a run without outcome bytes failed")),
    }
}

/// Compiled modules by hash, the most recently used kept (at most `capacity`).
pub struct ModuleCache {
    capacity: usize,
    modules: Mutex<VecDeque<(Hash, Module)>>,
}

impl ModuleCache {
    /// A cache of at most `capacity` modules (at least one).
    pub fn new(capacity: usize) -> ModuleCache {
        ModuleCache {
            capacity: capacity.max(1),
            modules: Mutex::new(VecDeque::new()),
        }
    }

    /// Module `hash`, compiled; fetched with `fetch` (and checked against the
    /// hash) the first time.
    pub fn get(
        &self,
        hash: &Hash,
        fetch: impl FnOnce() -> anyhow::Result<Vec<u8>>,
    ) -> Result<Module, RunError> {
        {
            let mut m = self.modules.lock().expect("module cache");
            if let Some(i) = m.iter().position(|(h, _)| h == hash) {
                let entry = m.remove(i).expect("present");
                let module = entry.1.clone();
                m.push_front(entry);
                return Ok(module);
            }
        }
        let bytes = fetch().map_err(|e| RunError::Fetch {
            module: *hash,
            reason: format!("{e:#}"),
        })?;
        let found = module_hash(&bytes);
        if found != *hash {
            return Err(RunError::WrongModule {
                expected: *hash,
                found,
            });
        }
        let module = Module::new(&bytes, limits()).map_err(|error| RunError::Load {
            module: *hash,
            error,
        })?;
        let mut m = self.modules.lock().expect("module cache");
        m.push_front((*hash, module.clone()));
        m.truncate(self.capacity);
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes its input, prefixed by the task index byte.
    fn echo() -> Vec<u8> {
        wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func (export "plinth_alloc") (param i32) (result i32) i32.const 16)
                 (func (export "plinth_task") (param i32 i32 i32) (result i64)
                   (i32.store8 (i32.sub (local.get 0) (i32.const 1)) (local.get 2))
                   (i64.or
                     (i64.shl (i64.extend_i32_u (i32.sub (local.get 0) (i32.const 1))) (i64.const 32))
                     (i64.extend_i32_u (i32.add (local.get 1) (i32.const 1))))))"#,
        )
        .unwrap()
    }

    #[test]
    fn tasks_run_and_modules_are_checked_and_cached() {
        let bytes = echo();
        let hash = module_hash(&bytes);
        let cache = ModuleCache::new(2);
        let m = cache.get(&hash, || Ok(bytes.clone())).unwrap();
        let out = execute(&m, b"abc", 7, 100_000).unwrap();
        assert_eq!(out.bytes, b"\x07abc");
        assert_eq!(out.result, task_result_hash(b"\x07abc"));
        assert!(out.succeeded);
        // Cached: not fetched again.
        cache
            .get(&hash, || panic!("fetched a cached module"))
            .unwrap();
        // Bytes that are not the module named.
        let other = module_hash(b"other");
        assert!(matches!(
            cache.get(&other, || Ok(bytes.clone())),
            Err(RunError::WrongModule { .. })
        ));
        // Out of fuel is an outcome everyone commits to alike.
        let starved = execute(&m, b"abc", 7, 1).unwrap();
        assert!(!starved.succeeded);
        assert_eq!(starved, execute(&m, b"abc", 7, 1).unwrap());
        assert_ne!(starved.result, out.result);
    }
}
