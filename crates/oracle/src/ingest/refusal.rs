//! Why a report was refused: each reason with a code the sender and the metrics
//! get, and words for people.

use serde::{Deserialize, Serialize};

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// The report names another chain.
    #[error("the report is signed for chain {found}, this oracle serves chain {expected}")]
    WrongChain {
        /// The chain this oracle serves.
        expected: String,
        /// The chain the report names.
        found: String,
    },
    /// The encoded report is over the size limit.
    #[error("report of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The report's size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not a report.
    #[error("malformed report: {reason}")]
    Malformed {
        /// What the decoder said.
        reason: String,
    },
    /// The report names a network this oracle does not serve.
    #[error("this oracle serves no network `{network}`")]
    UnknownNetwork {
        /// The network named.
        network: String,
    },
    /// The device is not in the registry.
    #[error("device {device} is not registered")]
    UnknownDevice {
        /// The device.
        device: String,
    },
    /// The device is registered to another network than the report names.
    #[error("device {device} is registered to network `{registered}`, not `{found}`")]
    WrongNetwork {
        /// The device.
        device: String,
        /// Its network in the registry.
        registered: String,
        /// The network the report names.
        found: String,
    },
    /// The device is retired.
    #[error("device {device} is retired")]
    InactiveDevice {
        /// The device.
        device: String,
    },
    /// The signature is not the device's.
    #[error("bad signature: not signed by the device's key")]
    BadSignature,
    /// The report's timestamp is too far behind the oracle's clock.
    #[error("stale report: {age_ms} ms old, the limit is {max_ms} ms")]
    Stale {
        /// How old the report is.
        age_ms: u64,
        /// The most it may be.
        max_ms: u64,
    },
    /// The report's timestamp is too far ahead of the oracle's clock.
    #[error("report from the future: {ahead_ms} ms ahead, the limit is {max_ms} ms")]
    FromFuture {
        /// How far ahead it is.
        ahead_ms: u64,
        /// The most it may be.
        max_ms: u64,
    },
    /// The report's epoch is not its timestamp's.
    #[error("report names epoch {found}, but its timestamp is in epoch {expected}")]
    WrongEpoch {
        /// The epoch of its timestamp.
        expected: u64,
        /// The epoch it names.
        found: u64,
    },
    /// The epoch takes no more reports.
    #[error("epoch {epoch} is closed: its rewards are being or have been computed")]
    EpochClosed {
        /// The epoch.
        epoch: u64,
    },
    /// The same report was accepted before.
    #[error("duplicate: this report was already accepted")]
    Duplicate,
    /// The sequence number is not above the device's last accepted one.
    #[error("replayed sequence number {found}: the device's last accepted is {last}")]
    Replay {
        /// The device's last accepted sequence number.
        last: u64,
        /// The report's.
        found: u64,
    },
    /// A probe answer to no challenge issued to this device.
    #[error("no outstanding challenge {challenge} for this device")]
    UnknownChallenge {
        /// The challenge answered.
        challenge: String,
    },
    /// The spool could not store the report (or the oracle is stopping).
    #[error("the oracle could not store the report: {reason}")]
    Unavailable {
        /// What failed.
        reason: String,
    },
    /// A beacon for a round this oracle did not draw (or with another draw).
    #[error("beacon for round {round}, which this oracle did not draw with that block hash")]
    UnknownRound {
        /// The round named.
        round: u64,
    },
    /// The device has had its network's most reports accepted in the epoch.
    #[error("device {device} already has {limit} reports accepted in epoch {epoch}, the most its network takes from one device")]
    RateLimited {
        /// The device.
        device: String,
        /// The epoch.
        epoch: u64,
        /// The most reports per device and epoch.
        limit: u64,
    },
    /// A probe answer received after the challenge's deadline.
    #[error("challenge {challenge} expired: its deadline passed {late_ms} ms before the oracle received the answer")]
    ChallengeExpired {
        /// The challenge answered.
        challenge: String,
        /// How late the answer is.
        late_ms: u64,
    },
}

impl Refusal {
    /// The machine-readable code (`stale`, `bad_signature`, …).
    pub fn code(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "refused".into())
    }
}
