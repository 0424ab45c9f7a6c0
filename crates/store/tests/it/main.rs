//! Integration tests of the redb-backed chain store, as one test binary.

mod blocks;
mod common;
mod mempool;
mod registry;
mod tree;
