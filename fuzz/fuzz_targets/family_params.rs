//! `Family::from_network`: a network's proof-family parameters (JSON), as the
//! oracle, the device agent and the CLI read them from the chain. The first byte
//! picks the family name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_proofs::{Family, FamilyError, FAMILY_NAMES, MAX_PARAMS_BYTES};

fuzz_target!(|data: &[u8]| {
    let Some((&which, data)) = data.split_first() else {
        return;
    };
    let Ok(params) = std::str::from_utf8(data) else {
        return;
    };
    let name = FAMILY_NAMES[which as usize % FAMILY_NAMES.len()];
    match Family::from_network(name, params) {
        Ok(f) => {
            assert!(params.len() <= MAX_PARAMS_BYTES);
            assert_eq!(f.name(), name);
        }
        Err(FamilyError::ParamsTooLarge { size, limit, .. }) => {
            assert_eq!((size, limit), (params.len(), MAX_PARAMS_BYTES));
        }
        Err(_) => {}
    }
});
