//! Proof families written as WebAssembly (the Plinth family ABI v1,
//! `crates/families/ABI.md`), built from C in this directory and committed as
//! modules, so the devnet, the tests and the benchmarks use exactly the bytes a
//! network would name on chain.
//!
//! ```text
//!  NAME/NAME.c + sdk/plinth_family.h ──build.sh NAME──▶ NAME.wasm (committed; the tests rebuild it)
//!                                                          │ uploaded to the ledger, named by hash
//!                                                          ▼
//!             network { family: "wasm", params: { module: <hash>, … } } ─▶ plinth_proofs::wasm
//! ```
//!
//! Modules:
//!
//! - [`sensor`]: the sensor family, re-implemented: the same scores as
//!   `plinth_proofs::sensor` (parity is tested).
//! - [`vehicles`]: connected vehicles (DIMO-like): paired devices, trips,
//!   streak levels.
//! - [`mapping`]: street-level mapping (Hivemapper-like): drives over H3 cells,
//!   coverage, freshness and cross-device agreement.
//! - [`template`]: the smallest useful family, the one to copy.

#![warn(missing_docs)]

pub mod mapping;
pub mod sensor;
pub mod template;
pub mod vehicles;

use plinth_core::Hash;

/// A family module shipped in this crate.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    /// Its name (the directory it is built from).
    pub name: &'static str,
    /// The committed module bytes.
    pub bytes: &'static [u8],
}

impl Shipped {
    /// The module's hash, as the ledger names it (`plinth_ledger::compute::module_hash`):
    /// what a network's `module` parameter names.
    pub fn hash(&self) -> Hash {
        Hash::tagged("plinth/wasm-module", self.bytes)
    }
}
