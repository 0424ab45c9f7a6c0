//! `Genesis::from_toml` (the genesis file an operator is handed) and the JSON
//! form oracles and auditors read from a node's `GET /v1/genesis`. The first byte
//! picks which. A valid genesis must survive its own round trip with the same
//! hash (nodes compare genesis hashes), and every network's parameters must give
//! the proof family an answer, not a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_ledger::Genesis;

fn check(g: &Genesis) {
    let text = g.to_toml();
    let again = Genesis::from_toml(&text).expect("a valid genesis's own TOML is valid");
    assert_eq!(again.to_toml(), text, "TOML round trip differs");
    assert_eq!(
        again.hash(),
        g.hash(),
        "the hash changed in a TOML round trip"
    );
    let _ = g.params();
    for n in &g.networks {
        let json = serde_json::to_string(&n.params).expect("params serialise");
        let _ = plinth_proofs::Family::from_network(&n.family, &json);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, data)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(g) = Genesis::from_toml(text) {
            check(&g);
        }
    } else if let Ok(g) = serde_json::from_slice::<Genesis>(data) {
        if g.validate().is_ok() {
            check(&g);
        }
    }
});
