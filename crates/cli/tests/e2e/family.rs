//! `plinth family upload` against a live devnet: a committed family module is
//! put on the ledger in chunks and its hash printed (the `module` a `wasm`
//! network names); uploading it again, or a module the genesis stored, sends
//! nothing and says it is there; a file that is not a family module is refused
//! before anything is sent.

use crate::common::*;
use plinth_core::{Address, Hash};
use plinth_ledger::compute_types::{module_chunks, module_hash};

fn shipped(name: &str) -> (String, Vec<u8>) {
    let path = format!("{}/../families/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn nonce(net: &Devnet, a: &Address) -> u64 {
    net.get(&format!("/v1/accounts/{a}"))["next_nonce"]
        .as_u64()
        .unwrap()
}

#[test]
fn family_upload_puts_a_module_on_the_ledger_once_and_prints_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Devnet::start(&tmp.path().join("dn"), free_port());
    let alice = Address(net.key("alice").public());
    let (template, bytes) = shipped("template");
    let hash = module_hash(&bytes);

    // Uploaded: the hash the ledger names it by, in as many chunks as it has.
    let before = nonce(&net, &alice);
    let out: serde_json::Value = serde_json::from_str(
        &net.ok(&["family", "upload", &template, "--from", "alice", "--json"]),
    )
    .unwrap();
    let chunks = module_chunks(bytes.len() as u32);
    assert_eq!(out["module"], hash.to_string());
    assert_eq!(out["uploaded"], true);
    assert_eq!(out["chunks"], chunks);
    assert_eq!(out["bytes"], bytes.len());
    assert_eq!(nonce(&net, &alice), before + u64::from(chunks));
    let info = net.get(&format!("/v1/compute/modules/{hash}"));
    assert_eq!(info["size"], bytes.len(), "{info}");
    assert_eq!(info["uploader"], alice.to_string(), "{info}");
    let stored = ureq::get(&format!("{}/v1/compute/modules/{hash}/bytes", net.url()))
        .call()
        .unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut stored.into_reader(), &mut got).unwrap();
    assert_eq!(got, bytes);

    // Again: nothing sent, the same hash, said to be there.
    let out = net.ok(&["family", "upload", &template, "--from", "alice"]);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "module {hash} ({} bytes) is on the ledger already",
            bytes.len()
        )
    );
    assert!(out.contains(&format!(r#"{{"module": "{hash}"}}"#)), "{out}");
    assert_eq!(nonce(&net, &alice), before + u64::from(chunks));

    // A module the devnet's genesis stored (the vehicles family) is there too.
    let (vehicles, bytes) = shipped("vehicles");
    let out: serde_json::Value =
        serde_json::from_str(&net.ok(&["family", "upload", &vehicles, "--from", "bob", "--json"]))
            .unwrap();
    assert_eq!(out["module"], module_hash(&bytes).to_string());
    assert_eq!(
        (&out["uploaded"], &out["chunks"]),
        (&false.into(), &0.into())
    );

    // Not a family module (WebAssembly, but an empty module): refused, nothing sent.
    let bad = tmp.path().join("empty.wasm");
    let bad_bytes = b"\0asm\x01\0\0\0".to_vec();
    std::fs::write(&bad, &bad_bytes).unwrap();
    let out = net.cli(&["family", "upload", bad.to_str().unwrap(), "--from", "alice"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a family module") && err.contains("does not export"),
        "{err}"
    );
    assert_eq!(nonce(&net, &alice), before + u64::from(chunks));
    let unknown: Hash = module_hash(&bad_bytes);
    assert!(get_opt(&format!("{}/v1/compute/modules/{unknown}", net.url())).is_none());
}
