//! Integration tests of the node: submission, block production, the durable
//! mempool across restarts, and the HTTP API, as one test binary.

mod api;
mod common;
mod compute;
mod contract;
mod explorer;
mod gov;
mod hostile;
mod oracles;
mod produce;
mod restart;
mod submit;
