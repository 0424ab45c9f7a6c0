//! `plinth_wasm::Module::new`: the WebAssembly modules uploaded for compute jobs
//! and custom proof families; a module that loads then runs a task with little
//! fuel, twice, and must reach the same outcome both times.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_wasm::{outcome_bytes, Limit, Limits, Module, WasmError};

/// Small limits and fuel, so each input runs in milliseconds.
const LIMITS: Limits = Limits {
    max_module_bytes: 8 * 1024,
    max_memory_bytes: 1 << 20,
    max_output_bytes: 64 * 1024,
    max_input_bytes: 1024,
};
const FUEL: u64 = 100_000;

fuzz_target!(|data: &[u8]| {
    let module = match Module::new(data, LIMITS) {
        Ok(m) => m,
        Err(WasmError::TooLarge {
            limit: Limit::Module,
            len,
            max,
        }) => {
            assert_eq!((len, max), (data.len(), LIMITS.max_module_bytes));
            assert!(len > max);
            return;
        }
        Err(e) => {
            assert!(
                e.is_load_error(),
                "Module::new returned a run outcome: {e:?}"
            );
            return;
        }
    };
    assert!(data.len() <= LIMITS.max_module_bytes);
    let first = module.run_task(b"fuzz input", 3, FUEL);
    let again = module.run_task(b"fuzz input", 3, FUEL);
    assert_eq!(first, again, "two runs of one task differ");
    match &first {
        Ok(out) => {
            assert!(out.fuel_used <= FUEL);
            assert!(out.output.len() <= LIMITS.max_output_bytes);
        }
        Err(e) => assert_eq!(e.is_deterministic(), outcome_bytes(&first).is_some()),
    }
    let _ = module.call("plinth_score", b"", -1, FUEL);
});
