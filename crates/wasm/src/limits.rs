//! How large a module, its memory, a task's input and its output may be.

/// One WebAssembly page: what `memory.grow` and a memory's declared sizes count in.
pub const PAGE_BYTES: usize = 64 * 1024;

/// The most elements any table of an instance may hold (initially or grown).
///
/// A C program's function-pointer table holds one element per address-taken
/// function, far fewer than this; the bound keeps a hostile module from making
/// the host allocate a huge table.
pub const MAX_TABLE_ELEMENTS: usize = 1 << 16;

/// The most tables an instance may have (the `reference-types` proposal allows
/// several; C compilers emit one).
pub const MAX_TABLES: usize = 16;

/// The size limits a [`Module`](crate::Module) is loaded and run under.
///
/// They are part of what makes an outcome reproducible: every machine that runs
/// a task must use the same limits (the ledger's compute parameters say which).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest module accepted by [`Module::new`](crate::Module::new), in bytes.
    pub max_module_bytes: usize,
    /// The most bytes the instance's linear memory may ever hold. A module that
    /// declares a larger initial memory is refused at load; `memory.grow` beyond
    /// it returns -1 to the module.
    pub max_memory_bytes: usize,
    /// The longest output a task may return, in bytes.
    pub max_output_bytes: usize,
    /// The longest input a task may be given, in bytes.
    pub max_input_bytes: usize,
}

impl Limits {
    /// 512 KiB: a compiled C program of a few thousand lines, with room to spare.
    pub const DEFAULT_MAX_MODULE_BYTES: usize = 512 * 1024;
    /// 64 MiB (1,024 pages).
    pub const DEFAULT_MAX_MEMORY_BYTES: usize = 64 * 1024 * 1024;
    /// 1 MiB.
    pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;
    /// 4 MiB.
    pub const DEFAULT_MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_module_bytes: Self::DEFAULT_MAX_MODULE_BYTES,
            max_memory_bytes: Self::DEFAULT_MAX_MEMORY_BYTES,
            max_output_bytes: Self::DEFAULT_MAX_OUTPUT_BYTES,
            max_input_bytes: Self::DEFAULT_MAX_INPUT_BYTES,
        }
    }
}
