//! Integration tests of the device crate: the fleet simulator against the proof
//! families, without network I/O.

mod coverage;
mod custom;
