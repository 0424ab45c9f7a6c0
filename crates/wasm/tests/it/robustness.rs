//! Hostile bytes: loading never panics, whatever the input.

use crate::{wasm, ECHO};
use plinth_wasm::{Limits, Module};
use proptest::prelude::*;

/// Loads `bytes` and, if it loads, runs a task with little fuel: neither may panic.
fn load_and_run(bytes: &[u8]) {
    if let Ok(m) = Module::new(bytes, Limits::default()) {
        let _ = m.run_task(b"input", 0, 10_000);
        let _ = m.call("plinth_score", b"", -1, 10_000);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        load_and_run(&bytes);
    }

    #[test]
    fn random_sections_after_a_valid_header_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend(body);
        load_and_run(&bytes);
    }

    #[test]
    fn mutated_valid_modules_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = wasm(ECHO);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        load_and_run(&bytes);
    }
}

#[test]
fn a_code_section_of_no_functions_is_invalid_not_a_panic() {
    // Found by `random_sections_after_a_valid_header_never_panic`: wasmi's
    // strict enforced limits divide by the declared function count.
    let bytes = b"\0asm\x01\0\0\0\x0a\x80\x08\x00";
    assert!(matches!(
        Module::new(bytes, Limits::default()),
        Err(plinth_wasm::WasmError::Invalid(_))
    ));
}
