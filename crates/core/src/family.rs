//! The kinds of proof family a network can name: one enum instead of strings.
//!
//! A network names its family in genesis and on the ledger as a string
//! (`"uptime"`, `"sensor"`, `"coverage"`, `"storage"`), and that string stays what
//! is stored and encoded. Code that decides by family parses it into a
//! [`FamilyKind`], or compares the stored name with one (`name == FamilyKind::Coverage`),
//! so a misspelt family is a compile error, not a silent mismatch. The verification
//! logic of each family lives in `plinth-proofs`.
//!
//! ```
//! use plinth_core::FamilyKind;
//! let kind: FamilyKind = "coverage".parse().unwrap();
//! assert_eq!(kind, FamilyKind::Coverage);
//! assert_eq!(kind.to_string(), "coverage");
//! assert!("coverage" == FamilyKind::Coverage && String::from("sensor") != FamilyKind::Uptime);
//! assert!("weather".parse::<FamilyKind>().is_err());
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of proof family that verifies a network's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FamilyKind {
    /// Devices prove they are up: heartbeats and answers to oracle probes.
    Uptime,
    /// Devices report readings that must be plausible and agree with neighbours'.
    Sensor,
    /// Radio hotspots prove the area they cover by beacons and witnesses.
    Coverage,
    /// Providers prove they keep the data of storage deals, in storage rounds.
    Storage,
    /// Compute providers prove capacity by the oracle's checks and results by its
    /// spot checks; paid by the credits their leases and jobs earned.
    Compute,
    /// A custom family: a WebAssembly module on the ledger, named by hash in the
    /// network's parameters, scores the reports (`plinth_proofs::wasm`).
    Wasm,
    /// Meters of a local energy market: signed interval readings the ledger
    /// checks and settles trades against; paid by verified generation
    /// (`plinth_proofs::energy`).
    Energy,
}

/// A family name no [`FamilyKind`] has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown proof family `{name}` (known: uptime, sensor, coverage, storage, compute, wasm, energy)"
)]
pub struct UnknownFamily {
    /// The name as given, cut to its first 64 characters.
    pub name: String,
}

impl FamilyKind {
    /// Every kind, in the order of [`FamilyKind::name`]s networks know.
    pub const ALL: [FamilyKind; 7] = [
        FamilyKind::Uptime,
        FamilyKind::Sensor,
        FamilyKind::Coverage,
        FamilyKind::Storage,
        FamilyKind::Compute,
        FamilyKind::Wasm,
        FamilyKind::Energy,
    ];

    /// The family's name, as genesis and the ledger store it.
    pub const fn name(self) -> &'static str {
        match self {
            FamilyKind::Uptime => "uptime",
            FamilyKind::Sensor => "sensor",
            FamilyKind::Coverage => "coverage",
            FamilyKind::Storage => "storage",
            FamilyKind::Compute => "compute",
            FamilyKind::Wasm => "wasm",
            FamilyKind::Energy => "energy",
        }
    }

    /// The kind a family name names.
    pub fn parse(name: &str) -> Result<FamilyKind, UnknownFamily> {
        FamilyKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| UnknownFamily {
                name: name.chars().take(64).collect(),
            })
    }

    /// Whether the family's devices send reports to the oracle (uptime, sensor,
    /// coverage, wasm); storage providers prove their deals in storage rounds instead,
    /// compute providers by capacity checks and spot checks, energy meters by
    /// readings the ledger takes.
    pub const fn proven_by_reports(self) -> bool {
        !matches!(
            self,
            FamilyKind::Storage | FamilyKind::Compute | FamilyKind::Energy
        )
    }
}

impl FromStr for FamilyKind {
    type Err = UnknownFamily;

    fn from_str(name: &str) -> Result<FamilyKind, UnknownFamily> {
        FamilyKind::parse(name)
    }
}

impl fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// A stored family name equals a kind when it is that kind's name, so code that
// holds the name (genesis, the ledger, API views) decides by kind without parsing.
impl PartialEq<str> for FamilyKind {
    fn eq(&self, name: &str) -> bool {
        self.name() == name
    }
}

impl PartialEq<FamilyKind> for str {
    fn eq(&self, kind: &FamilyKind) -> bool {
        kind.name() == self
    }
}

impl PartialEq<FamilyKind> for &str {
    fn eq(&self, kind: &FamilyKind) -> bool {
        kind.name() == *self
    }
}

impl PartialEq<FamilyKind> for String {
    fn eq(&self, kind: &FamilyKind) -> bool {
        kind.name() == self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_to_their_kind() {
        for kind in FamilyKind::ALL {
            assert_eq!(FamilyKind::parse(kind.name()), Ok(kind));
            assert_eq!(kind.to_string().parse::<FamilyKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.name())
            );
            assert!(kind.name() == kind && kind == *kind.name());
        }
        assert_eq!(
            FamilyKind::ALL.map(FamilyKind::name),
            ["uptime", "sensor", "coverage", "storage", "compute", "wasm", "energy"]
        );
    }

    #[test]
    fn unknown_names_are_refused_and_bounded() {
        for name in ["", "Uptime", "coverage ", "weather"] {
            assert_eq!(
                FamilyKind::parse(name),
                Err(UnknownFamily { name: name.into() })
            );
        }
        let long = "x".repeat(1_000);
        assert_eq!(FamilyKind::parse(&long).unwrap_err().name.len(), 64);
        let stored: String = FamilyKind::Storage.to_string();
        assert!(stored != FamilyKind::Coverage && stored == FamilyKind::Storage);
    }

    #[test]
    fn storage_and_compute_are_proven_without_reports() {
        let by_reports: Vec<FamilyKind> = FamilyKind::ALL
            .into_iter()
            .filter(|k| k.proven_by_reports())
            .collect();
        assert_eq!(
            by_reports,
            [
                FamilyKind::Uptime,
                FamilyKind::Sensor,
                FamilyKind::Coverage,
                FamilyKind::Wasm
            ]
        );
    }
}
