//! Integration tests of plinth-consensus: validator sets under commonware's
//! deterministic runtime and simulated network.

mod commit;
mod epochs;
mod harness;
mod simulation;
mod upgrade;
