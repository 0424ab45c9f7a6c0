//! Oracle tests against a real node and a real oracle on loopback ports.

mod common;
mod compute;
mod contract;
mod coverage;
mod credits;
mod flood;
mod governance;
mod hostile;
mod ingest;
mod mqtt;
mod quorum;
mod rewards;
mod self_dealing;
mod storage;
mod storage_round;
