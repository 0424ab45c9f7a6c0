//! Why a module did not load or a task produced no output, and the bytes a
//! provider commits to for each outcome.

use crate::TaskOutput;

/// Which of the [`Limits`](crate::Limits) a module or an input exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The module's bytes (`max_module_bytes`).
    Module,
    /// A task's input (`max_input_bytes`).
    Input,
    /// The memory the module declares it starts with (`max_memory_bytes`).
    InitialMemory,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Module => "module",
            Limit::Input => "input",
            Limit::InitialMemory => "initial memory",
        })
    }
}

/// Why loading a module or running a task failed.
///
/// Two kinds (see [`WasmError::is_deterministic`]): *load errors* say the module,
/// the entry or the input is unusable under the limits (refuse the job), and
/// *deterministic failures* are outcomes of running the task that every machine
/// reaches alike (commit to them with [`outcome_bytes`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    /// The module, the input or the module's initial memory is over its limit.
    #[error("{limit} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Which limit.
        limit: Limit,
        /// The size found, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// Not a valid WebAssembly module (or one using a disabled proposal, such as SIMD).
    #[error("invalid module: {0}")]
    Invalid(String),
    /// The module imports something the host does not offer (task modules may
    /// import nothing; families only the functions of `plinth_proofs::wasm`), or
    /// an offered function with another type.
    #[error("the module imports {module}.{name}, which the host does not offer with that type")]
    Import {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },
    /// The module does not export what the ABI needs (`memory`, `plinth_alloc`, the entry).
    #[error("the module does not export {0}")]
    MissingExport(String),
    /// An export the ABI needs has the wrong kind or type.
    #[error("bad export: {0}")]
    BadSignature(String),
    /// The task used all its fuel.
    #[error("out of fuel")]
    OutOfFuel,
    /// The instance needed more memory (or table space) than allowed.
    #[error("memory limit exceeded")]
    MemoryLimit,
    /// The module trapped (unreachable, out-of-bounds access, division by zero,
    /// stack overflow, …).
    #[error("trap: {0}")]
    Trap(String),
    /// A pointer and length the module returned (the input buffer from
    /// `plinth_alloc`, or the output) lie outside its memory.
    #[error("bad output: {0}")]
    BadOutput(String),
    /// The output is longer than `max_output_bytes`.
    #[error("output of {len} bytes exceeds the limit of {max}")]
    OutputTooLarge {
        /// The length the module returned.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The entry returned a negative value `-code`: the task itself says it failed.
    #[error("the task failed with code {0}")]
    TaskFailed(u32),
}

/// What [`outcome_bytes`] puts before the failure code of a deterministic failure.
pub const FAILURE_PREFIX: &[u8] = b"plinth/task-failed/v1:";

impl WasmError {
    /// True for outcomes that depend only on module, input, task, fuel and limits
    /// (so every honest machine reaches the same one): out of fuel, trap, memory
    /// limit, task failed, bad output, output too large. False for load errors:
    /// too large, invalid, import, missing export, bad signature.
    pub fn is_deterministic(&self) -> bool {
        self.failure_code().is_some()
    }

    /// True for the errors that say the module, the entry or the input cannot be
    /// used at all (the negation of [`is_deterministic`](Self::is_deterministic)).
    pub fn is_load_error(&self) -> bool {
        !self.is_deterministic()
    }

    /// The stable code of a deterministic failure (`out_of_fuel`, `trap`,
    /// `memory_limit`, `task_failed:<n>`, `bad_output`, `output_too_large`);
    /// `None` for a load error.
    ///
    /// Codes name the kind of failure only, never a runtime's message, so they
    /// stay the same across runtime versions that agree on the outcome.
    pub fn failure_code(&self) -> Option<String> {
        Some(match self {
            WasmError::OutOfFuel => "out_of_fuel".into(),
            WasmError::Trap(_) => "trap".into(),
            WasmError::MemoryLimit => "memory_limit".into(),
            WasmError::TaskFailed(code) => format!("task_failed:{code}"),
            WasmError::BadOutput(_) => "bad_output".into(),
            WasmError::OutputTooLarge { .. } => "output_too_large".into(),
            WasmError::TooLarge { .. }
            | WasmError::Invalid(_)
            | WasmError::Import { .. }
            | WasmError::MissingExport(_)
            | WasmError::BadSignature(_) => return None,
        })
    }
}

/// The bytes whose hash a provider commits to for a task.
///
/// - `Ok`: the output itself.
/// - A deterministic failure: the failure record [`FAILURE_PREFIX`] followed by
///   its [`failure_code`](WasmError::failure_code), e.g.
///   `plinth/task-failed/v1:out_of_fuel`.
/// - A load error: `None` (nothing to commit: the job cannot be run).
///
/// A module could output a failure record itself; that is harmless, since every
/// machine computes the same bytes for it.
pub fn outcome_bytes(result: &Result<TaskOutput, WasmError>) -> Option<Vec<u8>> {
    match result {
        Ok(out) => Some(out.output.clone()),
        Err(e) => e
            .failure_code()
            .map(|code| [FAILURE_PREFIX, code.as_bytes()].concat()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_of_each_error() {
        let cases = [
            (WasmError::OutOfFuel, Some("out_of_fuel")),
            (WasmError::Trap("unreachable".into()), Some("trap")),
            (WasmError::MemoryLimit, Some("memory_limit")),
            (WasmError::TaskFailed(7), Some("task_failed:7")),
            (WasmError::BadOutput("x".into()), Some("bad_output")),
            (
                WasmError::OutputTooLarge { len: 2, max: 1 },
                Some("output_too_large"),
            ),
            (
                WasmError::TooLarge {
                    limit: Limit::Module,
                    len: 2,
                    max: 1,
                },
                None,
            ),
            (WasmError::Invalid("x".into()), None),
            (
                WasmError::Import {
                    module: "env".into(),
                    name: "f".into(),
                },
                None,
            ),
            (WasmError::MissingExport("memory".into()), None),
            (WasmError::BadSignature("x".into()), None),
        ];
        for (e, code) in cases {
            assert_eq!(e.is_deterministic(), code.is_some(), "{e}");
            assert_eq!(e.is_load_error(), code.is_none(), "{e}");
            let expected = code.map(|c| format!("plinth/task-failed/v1:{c}").into_bytes());
            assert_eq!(outcome_bytes(&Err(e)), expected);
        }
    }

    #[test]
    fn trap_messages_do_not_change_the_outcome() {
        let a = outcome_bytes(&Err(WasmError::Trap("unreachable".into())));
        let b = outcome_bytes(&Err(WasmError::Trap("integer divide by zero".into())));
        assert_eq!(a, b);
    }

    #[test]
    fn output_is_committed_as_is() {
        let ok = Ok(TaskOutput {
            output: b"pixels".to_vec(),
            fuel_used: 42,
        });
        assert_eq!(outcome_bytes(&ok), Some(b"pixels".to_vec()));
    }
}
