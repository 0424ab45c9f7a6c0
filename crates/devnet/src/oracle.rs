//! `plinth oracle`'s configuration file: what `plinth testnet init` writes for
//! each oracle of a set and what `plinth oracle --config FILE` reads (flags on
//! top), one type for both so that a written file is always a readable one.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `plinth oracle` settings, from a TOML file (every field optional) with flags
/// on top. Unknown fields are refused, so a misspelt setting is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleFileConfig {
    /// The HTTP API of the node the oracle reads the chain from and submits to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// A keystore holding the oracle's key (named `oracle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// A file holding the keystore's passphrase when it is encrypted (e.g. a
    /// systemd credential); else `PLINTH_PASSPHRASE` or the terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase_file: Option<PathBuf>,
    /// Where the spool and the published manifests are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Address of the oracle's HTTP API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<SocketAddr>,
    /// Serve the HTTP API over HTTPS with this certificate and key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::node::TlsFiles>,
    /// A PEM file of CA certificates to trust beside the web roots, for an
    /// `https://` node or peer or an `mqtts://` broker (a testnet's own CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// `mqtt://host:port` (or `mqtts://` over TLS) of the broker devices publish to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mqtt: Option<String>,
    /// How far a report's timestamp may be from the oracle's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skew_ms: Option<u64>,
    /// The token price to post, in USD (e.g. "0.50"): runs the price feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd: Option<String>,
    /// The other oracles of the set (their HTTP APIs, e.g. `http://10.0.0.2:8646`):
    /// asked to co-sign prices and manifests, and to share report batches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
    /// Co-sign a peer's price only within this many basis points of our own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_tolerance_bps: Option<u32>,
    /// Wait after an epoch's end for late reports (the epoch's cut-off), in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_grace_ms: Option<u64>,
    /// How often the peers' spools are read, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_interval_ms: Option<u64>,
    /// How long after the cut-off an epoch's first proposer proposes, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose_after_ms: Option<u64>,
    /// How long the members wait for a proposer before the next one proposes, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_timeout_ms: Option<u64>,
    /// Makes the oracle lie, for tests and drills: `inflate`, `drop`, `invent` or
    /// `forge-registry` (its honest peers refuse what it proposes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adversary: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_config_reads_back_and_misspellings_are_refused() {
        let cfg = OracleFileConfig {
            node: Some("http://127.0.0.1:8700".into()),
            key: Some("/t/o1/keystore.json".into()),
            data_dir: Some("/t/o1/data".into()),
            http: Some("127.0.0.1:8801".parse().unwrap()),
            mqtt: Some("mqtt://127.0.0.1:1883".into()),
            peers: vec![
                "http://127.0.0.1:8800".into(),
                "http://127.0.0.1:8802".into(),
            ],
            ..OracleFileConfig::default()
        };
        let text = toml::to_string_pretty(&cfg).unwrap();
        assert_eq!(toml::from_str::<OracleFileConfig>(&text).unwrap(), cfg);
        let empty: OracleFileConfig = toml::from_str("").unwrap();
        assert_eq!(empty, OracleFileConfig::default());
        let err = toml::from_str::<OracleFileConfig>("peer = [\"http://x\"]").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
