//! Plinth's proof families: the verification logic of each kind of physical work.
//!
//! ```text
//!  accepted reports (spool order) ─┐
//!  probe records (challenges)     ─┼─▶ family::score ─▶ FamilyOutput { scores, rejections }
//!  devices (registry at epoch end) ─┤                              │
//!  network params (genesis)       ─┘                 split(emission, scores) ─▶ rewards
//! ```
//!
//! Everything here is pure and deterministic: reports, challenge results and
//! parameters in; scores and rejections (with reasons) out. No clock, no
//! randomness, no floats in results: scores are fixed-point integers where
//! [`SCORE_ONE`] means 1.0. The oracle runs a family at each epoch's end; an
//! auditor runs the same code over the same spool and must get the same scores.

pub mod family;
pub mod report;
pub mod split;

pub use family::{Family, FamilyError};
pub use report::{Report, ReportBody, SignedReport};
pub use split::split;

use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash};
use serde::{Deserialize, Serialize};

/// Fixed-point 1.0 for scores and factors.
pub const SCORE_ONE: u64 = 1_000_000;

/// What a family knows of a device: the ledger's registry entry at epoch end.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub owner: Address,
    /// H3 cell index of the asserted location.
    pub location: u64,
    pub active: bool,
}

/// The epoch being scored: `[start_ms, end_ms)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct EpochWindow {
    pub epoch: u64,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// An oracle probe: a challenge issued to a device and whether (and when) the
/// device answered it with a valid signed `ProbeAnswer`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ProbeRecord {
    pub device: DeviceId,
    pub challenge: Hash,
    pub issued_ms: u64,
    pub deadline_ms: u64,
    /// Oracle receipt time of the answer, if one arrived.
    pub answered_ms: Option<u64>,
}

/// Why a family did not count a report.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ScoreRejection {
    UnknownDevice,
    InactiveDevice,
    OutsideEpoch,
    WrongKind,
    WrongUnit {
        expected: String,
        found: String,
    },
    OutOfRange {
        value_milli: i64,
        min_milli: i64,
        max_milli: i64,
    },
    Stale {
        age_ms: u64,
        max_ms: u64,
    },
    DuplicateInterval,
    UnknownChallenge,
    LateAnswer,
}

/// One report a family did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Rejected {
    pub report: Hash,
    pub device: DeviceId,
    pub why: ScoreRejection,
}

/// A family's verdict for one epoch.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct FamilyOutput {
    /// Devices with a positive score, by id (fixed point, [`SCORE_ONE`] = 1.0).
    pub scores: std::collections::BTreeMap<DeviceId, u64>,
    pub rejections: Vec<Rejected>,
}
