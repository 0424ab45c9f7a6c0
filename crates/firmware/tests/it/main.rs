//! The firmware crate against the oracle's own code (`plinth-proofs`): the
//! committed test vectors, random reports, every error, the C functions, and the
//! C header.

mod common;
mod encode;
mod ffi;
mod header;
mod vectors;
