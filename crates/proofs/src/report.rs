//! Device reports: the canonical, signed messages devices send to the oracle.
//!
//! A report names its chain, device, network, epoch, timestamp and a per-device
//! sequence number, and carries one body (heartbeat, probe answer, sensor reading). It is
//! encoded with the same canonical codec as transactions and signed by the device
//! key under its own domain tag, so a report signature can never pass for a
//! transaction signature or the other way round.

use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{DeviceId, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};

/// The largest encoded report accepted.
pub const MAX_REPORT_BYTES: usize = 4096;
/// The most bytes a custom body's data may hold.
pub const MAX_CUSTOM_BYTES: usize = 3584;
/// The longest custom body kind.
pub const MAX_CUSTOM_KIND_LEN: usize = 32;
/// The longest unit name in a reading.
pub const MAX_UNIT_LEN: usize = 16;
/// The longest network name.
pub const MAX_NETWORK_LEN: usize = 32;

/// What a report says.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReportBody {
    /// "I am up": the uptime family counts the heartbeat intervals it proves.
    Heartbeat,
    /// An answer to an oracle probe: the challenge the oracle issued (derived from
    /// a block hash, so it cannot be known in advance).
    ProbeAnswer {
        /// The challenge being answered.
        challenge: Hash,
    },
    /// A sensor reading in thousandths of `unit` (fixed point: no floats).
    Reading {
        /// The value, thousandths of `unit`.
        value_milli: i64,
        /// The unit of the value (the network's unit, e.g. `celsius`).
        unit: String,
    },
    /// A coverage hotspot's beacon for `round`, which the oracle drew it to send.
    /// It names the round's draw (the block hash the draw came from), so it cannot
    /// be made before the draw; the beacon's id, the payload the hotspot transmits
    /// and witnesses hear, is the hash of this signed report
    /// ([`SignedReport::hash`]), which only the device key can make.
    Beacon {
        /// The beacon round the hotspot was drawn for.
        round: u64,
        /// The round's draw ([`crate::BeaconRound::draw`]).
        draw: Hash,
        /// Declared transmit power, hundredths of dBm (EIRP).
        tx_power_centi_dbm: i32,
    },
    /// "I heard beacon `beacon`": what a coverage hotspot's radio measured.
    Witness {
        /// The id of the beacon heard (the beacon report's hash).
        beacon: Hash,
        /// Received signal strength, hundredths of dBm.
        rssi_centi_dbm: i32,
        /// Signal-to-noise ratio, hundredths of dB.
        snr_centi_db: i32,
        /// The frequency the beacon was heard on, hertz.
        frequency_hz: u64,
        /// When the beacon was received, milliseconds since the Unix epoch.
        received_ms: u64,
    },
    /// A body only the network's custom family (`wasm`) understands: Plinth
    /// carries it to the family's module without reading it, so a new kind of
    /// device needs no change to Plinth. Native families refuse it (`wrong_kind`).
    Custom {
        /// What the data is, as the family names it: 1 to 32 bytes of
        /// `[a-z0-9_-]` (e.g. `trip`, `drive`). JSON `type` (`kind` names the body).
        #[serde(rename = "type")]
        kind: String,
        /// The payload, at most [`MAX_CUSTOM_BYTES`], encoded as the family documents.
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
}

/// Custom data as hex in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// Whether `kind` is an acceptable custom body kind: 1 to
/// [`MAX_CUSTOM_KIND_LEN`] bytes of `[a-z0-9_-]`.
pub fn valid_custom_kind(kind: &str) -> bool {
    (1..=MAX_CUSTOM_KIND_LEN).contains(&kind.len())
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl ReportBody {
    /// A short name of the body's kind, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ReportBody::Heartbeat => "heartbeat",
            ReportBody::ProbeAnswer { .. } => "probe_answer",
            ReportBody::Reading { .. } => "reading",
            ReportBody::Beacon { .. } => "beacon",
            ReportBody::Witness { .. } => "witness",
            ReportBody::Custom { .. } => "custom",
        }
    }
}

/// The signed part of a report.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Report {
    /// The chain the report is for ([`plinth_core::chain_identity`] of its genesis
    /// hash): an oracle refuses reports for any other, so a report cannot be
    /// replayed to another chain's oracle, even one with the same `chain_id`.
    pub chain: Hash,
    /// The reporting device.
    pub device: DeviceId,
    /// The network the device is registered in.
    pub network: String,
    /// The reward epoch the report is for.
    pub epoch: u64,
    /// When the device made the report, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Strictly increasing per device; the oracle refuses a sequence it has seen.
    pub seq: u64,
    /// What the report says.
    pub body: ReportBody,
}

const REPORT_DOMAIN: &[u8] = b"plinth/report/v1";

impl Report {
    /// The bytes the device signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = REPORT_DOMAIN.to_vec();
        borsh::to_writer(&mut out, self).expect("vec write");
        out
    }

    /// Signs the report with the device key.
    pub fn sign(self, key: &Keypair) -> SignedReport {
        let signature = key.sign(&self.signing_bytes());
        SignedReport {
            report: self,
            signature,
        }
    }
}

/// A report with the device's signature.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SignedReport {
    /// The signed report.
    pub report: Report,
    /// The device key's signature over [`Report::signing_bytes`].
    pub signature: Signature,
}

/// Bytes in a signature's encoding.
const SIGNATURE_BYTES: usize = 64;

/// A report as decoded from the bytes a device sent
/// ([`SignedReport::decode_received`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The report.
    pub report: SignedReport,
    /// Its [`SignedReport::hash`].
    pub hash: Hash,
    /// Its [`Report::signing_bytes`].
    pub signing_bytes: Vec<u8>,
}

/// Why report bytes were refused before any state was consulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportDecodeError {
    /// The bytes are more than a report may be.
    #[error("report of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The input's size, bytes.
        size: usize,
        /// The largest report accepted, bytes.
        limit: usize,
    },
    /// Not the encoding of a report, or a field over its limit.
    #[error("malformed report: {0}")]
    Malformed(String),
}

impl SignedReport {
    /// The report's identity: the hash of its canonical encoding, signature
    /// included (signatures are strict, so there is one encoding per report).
    pub fn hash(&self) -> Hash {
        Hash::tagged("plinth/report", &self.encode())
    }

    /// The canonical encoding of the signed report, signature included.
    pub fn encode(&self) -> Vec<u8> {
        plinth_core::encode(self)
    }

    /// Decodes untrusted bytes: size limit first, then structure and field limits.
    pub fn decode(bytes: &[u8]) -> Result<SignedReport, ReportDecodeError> {
        let r: SignedReport =
            plinth_core::decode(bytes, MAX_REPORT_BYTES).map_err(|e| match e {
                plinth_core::CodecError::TooLarge { size, limit } => {
                    ReportDecodeError::TooLarge { size, limit }
                }
                plinth_core::CodecError::Malformed(m) => ReportDecodeError::Malformed(m),
            })?;
        if r.report.network.len() > MAX_NETWORK_LEN {
            return Err(ReportDecodeError::Malformed("network name too long".into()));
        }
        match &r.report.body {
            ReportBody::Reading { unit, .. } if unit.len() > MAX_UNIT_LEN => {
                return Err(ReportDecodeError::Malformed("unit name too long".into()));
            }
            ReportBody::Custom { kind, .. } if !valid_custom_kind(kind) => {
                return Err(ReportDecodeError::Malformed(format!(
                    "custom body kind must be 1 to {MAX_CUSTOM_KIND_LEN} bytes of [a-z0-9_-]"
                )));
            }
            ReportBody::Custom { data, .. } if data.len() > MAX_CUSTOM_BYTES => {
                return Err(ReportDecodeError::Malformed(format!(
                    "custom body data of {} bytes exceeds {MAX_CUSTOM_BYTES}",
                    data.len()
                )));
            }
            _ => {}
        }
        Ok(r)
    }

    /// [`SignedReport::decode`], with the report's hash and the bytes its
    /// signature covers taken from `bytes` as received rather than from a
    /// re-encoding. The encoding is canonical (decoding then encoding gives the
    /// same bytes, which the `report` fuzz target checks), so these are
    /// [`SignedReport::hash`] and [`Report::signing_bytes`], at a copy's cost.
    pub fn decode_received(bytes: &[u8]) -> Result<Received, ReportDecodeError> {
        let report = SignedReport::decode(bytes)?;
        // The signature is the encoding's last 64 bytes.
        let signed = &bytes[..bytes.len() - SIGNATURE_BYTES];
        let mut signing_bytes = Vec::with_capacity(REPORT_DOMAIN.len() + signed.len());
        signing_bytes.extend_from_slice(REPORT_DOMAIN);
        signing_bytes.extend_from_slice(signed);
        Ok(Received {
            hash: Hash::tagged("plinth/report", bytes),
            signing_bytes,
            report,
        })
    }

    /// Checks the device's signature (strict).
    pub fn verify_signature(&self) -> bool {
        self.report
            .device
            .key()
            .verify(&self.report.signing_bytes(), &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: &Keypair) -> SignedReport {
        Report {
            chain: Hash::ZERO,
            device: DeviceId(key.public()),
            network: "weather".into(),
            epoch: 3,
            timestamp_ms: 1_000,
            seq: 7,
            body: ReportBody::Reading {
                value_milli: 21_500,
                unit: "celsius".into(),
            },
        }
        .sign(key)
    }

    #[test]
    fn round_trip_sign_verify() {
        let k = Keypair::from_seed([1; 32]);
        let r = sample(&k);
        let back = SignedReport::decode(&r.encode()).unwrap();
        assert_eq!(back, r);
        assert!(back.verify_signature());
        let mut forged = back.clone();
        forged.report.seq = 8;
        assert!(!forged.verify_signature());
        assert_ne!(forged.hash(), r.hash());
    }

    #[test]
    fn limits() {
        assert!(matches!(
            SignedReport::decode(&vec![0; MAX_REPORT_BYTES + 1]),
            Err(ReportDecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            SignedReport::decode(&[1, 2, 3]),
            Err(ReportDecodeError::Malformed(_))
        ));
        let k = Keypair::from_seed([1; 32]);
        let mut r = sample(&k);
        r.report.body = ReportBody::Reading {
            value_milli: 1,
            unit: "x".repeat(MAX_UNIT_LEN + 1),
        };
        assert!(SignedReport::decode(&r.encode()).is_err());
    }

    #[test]
    fn custom_bodies_are_checked_on_decode() {
        let k = Keypair::from_seed([1; 32]);
        let mut r = sample(&k);
        let custom = |kind: &str, len: usize| ReportBody::Custom {
            kind: kind.into(),
            data: vec![7; len],
        };
        r.report.body = custom("trip", MAX_CUSTOM_BYTES);
        let ok = r.clone().report.sign(&k);
        assert!(ok.encode().len() <= MAX_REPORT_BYTES);
        assert_eq!(SignedReport::decode(&ok.encode()).unwrap(), ok);
        for (kind, len) in [
            ("trip", MAX_CUSTOM_BYTES + 1),
            ("", 1),
            ("Trip", 1),
            ("a b", 1),
            (&"x".repeat(MAX_CUSTOM_KIND_LEN + 1), 1),
        ] {
            r.report.body = custom(kind, len);
            let bad = r.clone().report.sign(&k);
            assert!(
                matches!(
                    SignedReport::decode(&bad.encode()),
                    Err(ReportDecodeError::Malformed(_))
                ),
                "{kind:?} {len}"
            );
        }
        // JSON carries the data as hex.
        let j = serde_json::to_value(custom("trip", 2)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"kind": "custom", "type": "trip", "data": "0707"})
        );
    }

    #[test]
    fn a_received_report_hashes_and_signs_as_its_re_encoding() {
        let key = Keypair::from_seed([9; 32]);
        for r in [sample(&key), {
            let mut r = sample(&key).report;
            r.body = ReportBody::Custom {
                kind: "air".into(),
                data: vec![1, 2, 3],
            };
            r.sign(&key)
        }] {
            let got = SignedReport::decode_received(&r.encode()).unwrap();
            assert_eq!(got.report, r);
            assert_eq!(got.hash, r.hash());
            assert_eq!(got.signing_bytes, r.report.signing_bytes());
        }
        assert!(SignedReport::decode_received(&[0; 10]).is_err());
    }

    #[test]
    fn the_signature_covers_the_chain() {
        let k = Keypair::from_seed([1; 32]);
        let r = sample(&k);
        let mut elsewhere = r.clone();
        elsewhere.report.chain = plinth_core::chain_identity(&Hash::of(b"another genesis"));
        assert!(!elsewhere.verify_signature());
    }

    #[test]
    fn a_transaction_signature_is_not_a_report_signature() {
        let k = Keypair::from_seed([1; 32]);
        let r = sample(&k);
        let sig = k.sign(&plinth_core::encode(&r.report));
        let mut wrong = r.clone();
        wrong.signature = sig;
        assert!(!wrong.verify_signature());
    }
}
