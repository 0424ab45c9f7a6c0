//! The provider agent's tests against a real agent: its HTTP API on a loopback
//! port (`plinth_compute::server::start`) and its store on disk.

mod api;
mod store;
