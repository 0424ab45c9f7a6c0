//! A loaded task module and the host side of the task ABI: a fresh instance per
//! task, the input written through `plinth_alloc`, the output read back.

use crate::error::{Limit, WasmError};
use crate::host::HostFunctions;
use crate::limits::{Limits, MAX_TABLES, MAX_TABLE_ELEMENTS, PAGE_BYTES};
use std::sync::Arc;
use wasmi::errors::{ErrorKind, InstantiationError, MemoryError, TableError};
use wasmi::{
    CompilationMode, Config, EnforcedLimits, Engine, ExternType, FuncType, Instance, Linker, Store,
    StoreLimits, StoreLimitsBuilder, TrapCode, ValType,
};

/// The linear memory every task module exports.
pub const MEMORY_EXPORT: &str = "memory";
/// `plinth_alloc(len: i32) -> i32`: where the host writes a task's input.
pub const ALLOC_EXPORT: &str = "plinth_alloc";
/// `plinth_task(input_ptr: i32, input_len: i32, task: i32) -> i64`: the compute
/// job entry that [`Module::run_task`] calls.
pub const TASK_ENTRY: &str = "plinth_task";

/// What a task returned, and the fuel it burnt (instantiation and start
/// function, `plinth_alloc` and the entry, together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOutput {
    /// The bytes the entry pointed at.
    pub output: Vec<u8>,
    /// Fuel consumed; the same on every machine for the same module, input,
    /// task and fuel.
    pub fuel_used: u64,
}

/// A validated, compiled task module: compile once with [`Module::new`], run
/// many tasks (from any number of threads) with [`Module::run_task`] or
/// [`Module::call`]. Cloning is cheap (shared).
#[derive(Clone, Debug)]
pub struct Module {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Holds its own engine: nothing is shared between modules.
    module: wasmi::Module,
    limits: Limits,
    /// What the module may import; a linker defining it when it imports any.
    host: HostFunctions,
    linker: Option<Linker<Host>>,
}

/// What a task's store carries: the limiter of its memory and tables.
#[derive(Debug)]
struct Host {
    limits: StoreLimits,
}

impl Module {
    /// Validates and compiles `bytes` as a task module under `limits`.
    ///
    /// Refuses, in this order: a module over `max_module_bytes`
    /// ([`WasmError::TooLarge`]), invalid WebAssembly or a disabled proposal
    /// ([`WasmError::Invalid`]), any import ([`WasmError::Import`]), a missing or
    /// mistyped `memory` or `plinth_alloc` ([`WasmError::MissingExport`],
    /// [`WasmError::BadSignature`]) and an initial memory over `max_memory_bytes`
    /// ([`WasmError::TooLarge`] with [`Limit::InitialMemory`]). The entries
    /// themselves are checked when called (or with [`Module::check_entry`]).
    pub fn new(bytes: &[u8], limits: Limits) -> Result<Module, WasmError> {
        Module::with_host(bytes, limits, HostFunctions::NONE)
    }

    /// As [`Module::new`], but the module may import the functions of `host`
    /// (each with exactly its type); any other import is [`WasmError::Import`].
    pub fn with_host(
        bytes: &[u8],
        limits: Limits,
        host: HostFunctions,
    ) -> Result<Module, WasmError> {
        if bytes.len() > limits.max_module_bytes {
            return Err(WasmError::TooLarge {
                limit: Limit::Module,
                len: bytes.len(),
                max: limits.max_module_bytes,
            });
        }
        let engine = Engine::new(&config());
        let invalid = |e: wasmi::Error| WasmError::Invalid(e.to_string());
        // Validate the whole module before translating any of it (which
        // validates again, function by function): wasmi's translator then only
        // ever sees valid code. Fuzzing found invalid bodies that trip its
        // internal assertions before its own validation refuses them.
        wasmi::Module::validate(&engine, bytes).map_err(invalid)?;
        let module = wasmi::Module::new(&engine, bytes).map_err(invalid)?;
        for import in module.imports() {
            let offered = match (import.ty(), host.find(import.module(), import.name())) {
                (ExternType::Func(ty), Some(f)) => *ty == f.func.ty(),
                _ => false,
            };
            if !offered {
                return Err(WasmError::Import {
                    module: import.module().to_owned(),
                    name: import.name().to_owned(),
                });
            }
        }
        let linker = module
            .imports()
            .next()
            .is_some()
            .then(|| host.linker(&engine));
        match module.get_export(MEMORY_EXPORT) {
            None => return Err(WasmError::MissingExport(MEMORY_EXPORT.into())),
            Some(ExternType::Memory(memory)) => {
                // Saturating: a declared size past the address space is over any limit.
                let bytes = usize::try_from(memory.minimum())
                    .unwrap_or(usize::MAX)
                    .saturating_mul(PAGE_BYTES);
                if bytes > limits.max_memory_bytes {
                    return Err(WasmError::TooLarge {
                        limit: Limit::InitialMemory,
                        len: bytes,
                        max: limits.max_memory_bytes,
                    });
                }
            }
            Some(other) => {
                return Err(WasmError::BadSignature(format!(
                    "{MEMORY_EXPORT} is a {}, not a memory",
                    kind(&other)
                )))
            }
        }
        let module = Module {
            inner: Arc::new(Inner {
                module,
                limits,
                host,
                linker,
            }),
        };
        module.check_func(ALLOC_EXPORT, &[ValType::I32], &[ValType::I32])?;
        Ok(module)
    }

    /// The limits the module was loaded with (and its tasks run under).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The host functions the module was allowed to import.
    pub fn host(&self) -> &HostFunctions {
        &self.inner.host
    }

    /// Checks that `entry` is exported as `fn(i32, i32, i32) -> i64`, as
    /// [`Module::call`] needs: [`WasmError::MissingExport`] or
    /// [`WasmError::BadSignature`] otherwise. Useful to refuse a module when
    /// it is uploaded rather than when its first task runs.
    pub fn check_entry(&self, entry: &str) -> Result<(), WasmError> {
        self.check_func(
            entry,
            &[ValType::I32, ValType::I32, ValType::I32],
            &[ValType::I64],
        )
    }

    /// Runs one task with the Plinth task ABI v1 (see the crate docs): a fresh
    /// instance, `plinth_alloc(input.len())`, the input written there, then
    /// `plinth_task(ptr, len, task)`, everything within `fuel`.
    pub fn run_task(&self, input: &[u8], task: u32, fuel: u64) -> Result<TaskOutput, WasmError> {
        // The task index travels as the i32 with the same bits.
        self.call(TASK_ENTRY, input, task as i32, fuel)
    }

    /// The same ABI for any exported entry `fn(ptr: i32, len: i32, arg: i32) -> i64`
    /// (custom proof families call e.g. `plinth_score`).
    pub fn call(
        &self,
        entry: &str,
        input: &[u8],
        arg: i32,
        fuel: u64,
    ) -> Result<TaskOutput, WasmError> {
        let limits = &self.inner.limits;
        // Load errors first, before any fuel is spent.
        self.check_entry(entry)?;
        let input_len = i32::try_from(input.len())
            .ok()
            .filter(|_| input.len() <= limits.max_input_bytes)
            .ok_or(WasmError::TooLarge {
                limit: Limit::Input,
                len: input.len(),
                max: limits.max_input_bytes,
            })?;

        let module = &self.inner.module;
        let mut store = Store::new(
            module.engine(),
            Host {
                limits: StoreLimitsBuilder::new()
                    .memory_size(limits.max_memory_bytes)
                    .table_elements(MAX_TABLE_ELEMENTS)
                    .tables(MAX_TABLES)
                    .memories(1)
                    .instances(1)
                    .build(),
            },
        );
        store.limiter(|host| &mut host.limits);
        store
            .set_fuel(fuel)
            .expect("the engine is configured to consume fuel");

        let instance = match &self.inner.linker {
            Some(linker) => linker.instantiate_and_start(&mut store, module),
            None => Instance::new(&mut store, module, &[]),
        }
        .map_err(runtime_error)?;
        let memory = instance
            .get_memory(&store, MEMORY_EXPORT)
            .expect("checked at load");
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, ALLOC_EXPORT)
            .expect("checked at load");
        let entry = instance
            .get_typed_func::<(i32, i32, i32), i64>(&store, entry)
            .expect("checked above");

        let input_ptr = alloc.call(&mut store, input_len).map_err(runtime_error)?;
        memory
            .write(&mut store, input_ptr as u32 as usize, input)
            .map_err(|_| {
                WasmError::BadOutput(format!(
                    "{ALLOC_EXPORT}({}) returned {}: the input does not fit in a memory of {} bytes",
                    input.len(),
                    input_ptr as u32,
                    memory.data_size(&store)
                ))
            })?;
        let r = entry
            .call(&mut store, (input_ptr, input_len, arg))
            .map_err(runtime_error)?;
        if r < 0 {
            // Codes past u32::MAX (never meant) saturate rather than wrap.
            return Err(WasmError::TaskFailed(
                u32::try_from(r.unsigned_abs()).unwrap_or(u32::MAX),
            ));
        }
        let (out_ptr, out_len) = ((r >> 32) as usize, (r as u32) as usize);
        if out_len > limits.max_output_bytes {
            return Err(WasmError::OutputTooLarge {
                len: out_len,
                max: limits.max_output_bytes,
            });
        }
        let data = memory.data(&store);
        let output = data
            .get(out_ptr..out_ptr + out_len)
            .ok_or_else(|| {
                WasmError::BadOutput(format!(
                    "output of {out_len} bytes at {out_ptr} lies outside a memory of {} bytes",
                    data.len()
                ))
            })?
            .to_vec();
        let left = store.get_fuel().expect("fuel metering is on");
        Ok(TaskOutput {
            output,
            fuel_used: fuel - left,
        })
    }

    /// Checks that `name` is an exported function of type `params -> results`.
    fn check_func(
        &self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<(), WasmError> {
        let want = FuncType::new(params.iter().copied(), results.iter().copied());
        match self.inner.module.get_export(name) {
            None => Err(WasmError::MissingExport(name.into())),
            Some(ExternType::Func(ty)) if ty == want => Ok(()),
            Some(ExternType::Func(ty)) => Err(WasmError::BadSignature(format!(
                "{name} has type {ty:?}, the ABI needs {want:?}"
            ))),
            Some(other) => Err(WasmError::BadSignature(format!(
                "{name} is a {}, not a function",
                kind(&other)
            ))),
        }
    }
}

/// The engine settings every task module runs under. Changing any of them
/// (like changing the wasmi version) can change fuel use and outcomes: a
/// consensus change.
fn config() -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        // All functions translated (and so validated) at load: no compile work
        // or compile errors at run time.
        .compilation_mode(CompilationMode::Eager)
        // No `EnforcedLimits::strict()`: in wasmi 2.0.0 its average-bytes-per-
        // function check divides by the code section's declared function count,
        // so 12 bytes (`\0asm`, version, a code section declaring 1,024 bytes
        // and 0 functions) panic the host. The module size limit bounds what
        // the compiler is given instead; translation is linear in it.
        .enforced_limits(EnforcedLimits::default())
        // One memory, 32-bit: the memory limit is the limit of the one memory.
        // (SIMD, relaxed SIMD and memory64 are compiled out by the crate's
        // features; threads are not supported by wasmi.)
        .wasm_multi_memory(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false);
    config
}

/// Maps an error raised while instantiating or running to its outcome. Every
/// error here depends only on module, input, task, fuel and limits.
fn runtime_error(e: wasmi::Error) -> WasmError {
    let memory_limit = |m: &MemoryError| {
        matches!(
            m,
            MemoryError::ResourceLimiterDeniedAllocation | MemoryError::OutOfSystemMemory
        )
    };
    let table_limit = |t: &TableError| {
        matches!(
            t,
            TableError::ResourceLimiterDeniedAllocation | TableError::OutOfSystemMemory
        )
    };
    match e.kind() {
        ErrorKind::Memory(m)
        | ErrorKind::Instantiation(InstantiationError::FailedToInstantiateMemory(m))
            if memory_limit(m) =>
        {
            return WasmError::MemoryLimit
        }
        ErrorKind::Table(t)
        | ErrorKind::Instantiation(InstantiationError::FailedToInstantiateTable(t))
            if table_limit(t) =>
        {
            return WasmError::MemoryLimit
        }
        ErrorKind::Instantiation(
            InstantiationError::TooManyTables
            | InstantiationError::TooManyMemories
            | InstantiationError::TooManyInstances,
        ) => return WasmError::MemoryLimit,
        _ => {}
    }
    match e.as_trap_code() {
        Some(TrapCode::OutOfFuel) => WasmError::OutOfFuel,
        Some(TrapCode::GrowthOperationLimited | TrapCode::OutOfSystemMemory) => {
            WasmError::MemoryLimit
        }
        Some(code) => WasmError::Trap(code.trap_message().into()),
        None => WasmError::Trap(match e.kind() {
            // Its message names the store's table handle, which differs per
            // task; the error must read the same everywhere.
            ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit {
                table_index,
                len,
                ..
            }) => format!(
                "out of bounds table access: an element segment of {len} at {table_index} \
                 does not fit its table"
            ),
            _ => e.to_string(),
        }),
    }
}

/// A readable name of an export's kind.
fn kind(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "function",
        ExternType::Global(_) => "global",
        ExternType::Table(_) => "table",
        ExternType::Memory(_) => "memory",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_is_cheap_to_share_across_threads() {
        fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
        assert_send_sync_clone::<Module>();
    }

    #[test]
    fn runtime_errors_map_to_outcomes() {
        let fuel = wasmi::Error::from(TrapCode::OutOfFuel);
        assert_eq!(runtime_error(fuel), WasmError::OutOfFuel);
        let trap = wasmi::Error::from(TrapCode::UnreachableCodeReached);
        assert!(matches!(runtime_error(trap), WasmError::Trap(_)));
        let denied = wasmi::Error::from(MemoryError::ResourceLimiterDeniedAllocation);
        assert_eq!(runtime_error(denied), WasmError::MemoryLimit);
    }
}
