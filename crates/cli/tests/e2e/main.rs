//! End-to-end tests: the real `plinth` binary, on free loopback ports.

mod bad_input;
mod common;
mod compute;
mod devnet;
mod energy;
mod family;
mod firmware;
mod gov;
mod gov_share;
mod keys;
mod makers;
mod oracle_crash;
mod oracle_quorum;
mod oracle_set;
mod oracles;
mod rewards;
mod sim;
mod storage;
mod testnet;
mod tls;
mod upgrade;
