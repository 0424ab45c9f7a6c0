//! Integration tests of the ledger state machine, as one test binary.

mod admit;
mod blocks;
mod bursts;
mod common;
mod compute;
mod credits;
mod devices;
mod energy;
mod energy_conservation;
mod envelope;
mod family_modules;
mod gov_actions;
mod governance;
mod makers;
mod oracle_set;
mod proofs;
mod registry;
mod replay;
mod rewards;
mod signatures;
mod staking;
mod storage;
mod supply;
mod transfer;
mod validators;
