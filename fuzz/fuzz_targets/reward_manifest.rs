//! A reward manifest as the ledger meets it: the header and oracle signatures of
//! `SubmitManifest`, and an entry with its merkle proof as `Claim` carries them
//! (borsh of `(ManifestHeader, Vec<OracleSignature>, ManifestEntry, Proof)`,
//! under the transaction limit). Checks what the ledger computes from them:
//! signing bytes, the quorum count, the entry's leaf and the proof against the
//! header's root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_core::merkle::{self, Proof};
use plinth_ledger::rewards::manifest_root;
use plinth_ledger::{ManifestEntry, ManifestHeader, OracleSet, OracleSignature, MAX_TX_BYTES};

type Input = (ManifestHeader, Vec<OracleSignature>, ManifestEntry, Proof);

fuzz_target!(|data: &[u8]| {
    let Ok((header, signatures, entry, proof)) = plinth_core::decode::<Input>(data, MAX_TX_BYTES)
    else {
        return;
    };
    let input: Input = (header, signatures, entry, proof);
    assert_eq!(plinth_core::encode(&input), data, "re-encoding differs");
    let (header, signatures, entry, proof) = input;
    let _ = header.signing_bytes();
    // Signature checks are slow; two members are enough to reach every branch
    // (member, repeat, non-member, bad signature).
    let members = signatures.iter().take(2).map(|s| s.oracle).collect();
    let set = OracleSet {
        threshold: 1,
        members,
    };
    let _ = set.validate();
    let valid = set.count_valid(&header, &signatures[..signatures.len().min(4)]);
    assert!(valid as usize <= set.members.len());
    // The claim path: an adversarial proof (any index, leaf count and siblings)
    // must be refused or accepted, never crash.
    let _ = merkle::verify(header.root, entry.leaf(), &proof);
    // A one-entry manifest's proof of its only entry holds.
    let root = manifest_root(&[entry]);
    let own = plinth_ledger::rewards::manifest_proof(&[entry], 0).expect("entry 0 exists");
    assert!(merkle::verify(root, entry.leaf(), &own));
    let json = serde_json::to_vec(&header).expect("a header serialises");
    let back: ManifestHeader = serde_json::from_slice(&json).expect("its own JSON reads back");
    assert_eq!(back, header);
});
