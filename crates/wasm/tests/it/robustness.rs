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

/// Decodes a hex string (test inputs found by fuzzing).
fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn code_after_a_function_end_is_invalid_not_an_assertion() {
    // Found by the wasm_module fuzz target: a body with operators after its
    // final `end` reached an internal assertion of wasmi's translator (debug
    // builds) before its validator refused it. Module::new validates first.
    let bytes = unhex(
        "0061736d01000000010d0260017f017f60037f7f7f017e03030200010504010101100607017f01418008\
         0b072703066d656d6f727902000c706c696e74685f616c6c6f6300000b706c696e74685f7461736b0001\
         0a1b021101017f010000000000000b010b070020024000ac0a002c046e616d65021d0200020003\
         6c656e0101700115000370747201036c656e02047461736b0706010003746f70",
    );
    assert!(matches!(
        Module::new(&bytes, Limits::default()),
        Err(plinth_wasm::WasmError::Invalid(_))
    ));
}
