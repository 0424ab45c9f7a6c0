//! Oracle tests against a real node and a real oracle on loopback ports.

mod common;
mod contract;
mod coverage;
mod credits;
mod ingest;
mod mqtt;
mod rewards;
mod storage;
mod storage_round;
