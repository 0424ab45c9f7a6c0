//! Integration tests of the proof families, as one test binary.

mod common;
mod family;
mod model;
mod order;
mod scale;
mod wasm;
