//! The report test vectors (`docs/report-vectors.json`): made with `plinth-proofs`,
//! the oracle's own code, and reproduced byte for byte by this crate.
//!
//! `vectors_file_is_current` regenerates the file and fails when the committed one
//! differs; `PLINTH_WRITE_VECTORS=1 cargo test -p plinth-firmware --test it vectors`
//! rewrites it. `firmware_reproduces_every_vector` reads the committed file, so a
//! vector that this crate cannot reproduce fails here before any other
//! implementation meets it.

use crate::common::{body, header};
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_firmware::{report_hash, sign_report, signed_len, DeviceKey, DOMAIN, MAX_REPORT_BYTES};
use plinth_proofs::{Report, ReportBody, SignedReport};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The file as committed: the domain tag and one vector per case.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct VectorsFile {
    pub domain: String,
    pub vectors: Vec<Vector>,
}

/// One case: the key, the report (as JSON, as `serde` writes it) and every
/// derived byte string, hex.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Vector {
    pub name: String,
    pub seed: String,
    pub public_key: String,
    pub report: Report,
    pub signing_bytes: String,
    pub signature: String,
    pub signed_report: String,
    pub hash: String,
}

impl Vector {
    /// The seed's 32 bytes.
    pub fn seed(&self) -> [u8; 32] {
        hex::decode(&self.seed).unwrap().try_into().unwrap()
    }
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-vectors.json")
}

/// 32 bytes `start, start+1, …` (wrapping): fixed chains, challenges and draws.
fn counting(start: u8) -> Hash {
    Hash(core::array::from_fn(|i| start.wrapping_add(i as u8)))
}

/// The cases: every body kind, negative values, full-width integers, empty data.
fn cases() -> Vec<(&'static str, [u8; 32], Report)> {
    let report = |seed: u8, network: &str, epoch, timestamp_ms, seq, body| {
        let key = Keypair::from_seed([seed; 32]);
        (
            [seed; 32],
            Report {
                chain: counting(0),
                device: DeviceId(key.public()),
                network: network.into(),
                epoch,
                timestamp_ms,
                seq,
                body,
            },
        )
    };
    let t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let beacon = report(
        4,
        "lora",
        33,
        t0 + 4_000,
        12,
        ReportBody::Beacon {
            round: 42,
            draw: counting(0x80),
            tx_power_centi_dbm: 2_700,
        },
    );
    let beacon_id = Report::sign(beacon.1.clone(), &Keypair::from_seed(beacon.0)).hash();
    let mut all = vec![
        (
            "heartbeat",
            report(1, "backhaul", 33, t0, 1, ReportBody::Heartbeat),
        ),
        (
            "probe_answer",
            report(
                2,
                "backhaul",
                33,
                t0 + 2_000,
                2,
                ReportBody::ProbeAnswer {
                    challenge: counting(0x40),
                },
            ),
        ),
        (
            "reading",
            report(
                3,
                "weather",
                33,
                t0 + 3_000,
                3,
                ReportBody::Reading {
                    value_milli: -12_345,
                    unit: "celsius".into(),
                },
            ),
        ),
        ("beacon", beacon),
        (
            "witness",
            report(
                5,
                "lora",
                33,
                t0 + 5_000,
                5,
                ReportBody::Witness {
                    beacon: beacon_id,
                    rssi_centi_dbm: -10_250,
                    snr_centi_db: 725,
                    frequency_hz: 868_100_000,
                    received_ms: t0 + 4_010,
                },
            ),
        ),
        (
            "custom",
            report(
                6,
                "vehicles",
                33,
                t0 + 6_000,
                6,
                ReportBody::Custom {
                    kind: "trip".into(),
                    data: (0u8..40).collect(),
                },
            ),
        ),
        (
            "custom_empty_data",
            report(
                7,
                "mapping",
                33,
                t0 + 7_000,
                7,
                ReportBody::Custom {
                    kind: "ping".into(),
                    data: vec![],
                },
            ),
        ),
        (
            "heartbeat_wide_integers",
            report(
                8,
                "backhaul",
                0x0102_0304_0506_0708,
                u64::MAX - 1,
                u64::MAX,
                ReportBody::Heartbeat,
            ),
        ),
    ]
    .into_iter()
    .map(|(name, (seed, r))| (name, seed, r))
    .collect::<Vec<_>>();
    // A chain other than the counting one, so a fixed chain cannot hide.
    all[2].2.chain = plinth_core::chain_identity(&Hash::of(b"plinth report vectors"));
    all
}

fn generate() -> VectorsFile {
    let vectors = cases()
        .into_iter()
        .map(|(name, seed, report)| {
            let key = Keypair::from_seed(seed);
            let signing_bytes = report.signing_bytes();
            let signed = report.clone().sign(&key);
            assert!(signed.verify_signature());
            let encoded = signed.encode();
            assert_eq!(SignedReport::decode(&encoded).unwrap(), signed);
            Vector {
                name: name.into(),
                seed: hex::encode(seed),
                public_key: hex::encode(key.public().0),
                report,
                signing_bytes: hex::encode(signing_bytes),
                signature: hex::encode(signed.signature.0),
                signed_report: hex::encode(&encoded),
                hash: signed.hash().to_hex(),
            }
        })
        .collect();
    VectorsFile {
        domain: "plinth/report/v1".into(),
        vectors,
    }
}

/// The committed vectors (while they are being rewritten: the new ones, so no
/// test reads a half-written file).
pub fn committed() -> VectorsFile {
    if std::env::var_os("PLINTH_WRITE_VECTORS").is_some() {
        return generate();
    }
    let text = std::fs::read_to_string(path()).expect("docs/report-vectors.json");
    serde_json::from_str(&text).expect("docs/report-vectors.json parses")
}

#[test]
fn vectors_file_is_current() {
    let mut text = serde_json::to_string_pretty(&generate()).unwrap();
    text.push('\n');
    if std::env::var_os("PLINTH_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(path().parent().unwrap()).unwrap();
        std::fs::write(path(), &text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        on_disk == text,
        "docs/report-vectors.json is not what plinth-proofs makes now; if the change \
         to the report format is intended, regenerate it with\n  \
         PLINTH_WRITE_VECTORS=1 cargo test -p plinth-firmware --test it vectors\n\
         and say so in docs/report-format.md (every device implementation must follow)"
    );
}

#[test]
fn every_body_kind_has_a_vector() {
    let file = committed();
    for kind in [
        "heartbeat",
        "probe_answer",
        "reading",
        "beacon",
        "witness",
        "custom",
    ] {
        assert!(
            file.vectors.iter().any(|v| v.report.body.kind() == kind),
            "no vector of {kind}"
        );
    }
}

#[test]
fn firmware_reproduces_every_vector() {
    let file = committed();
    assert_eq!(file.domain.as_bytes(), DOMAIN);
    for v in &file.vectors {
        let key = DeviceKey::from_seed(&v.seed());
        assert_eq!(hex::encode(key.public_key()), v.public_key, "{}", v.name);
        assert_eq!(key.device_id().as_str(), v.report.device.to_string());
        let (h, b) = (header(&v.report), body(&v.report.body));
        let mut out = [0u8; MAX_REPORT_BYTES];
        let n = sign_report(&key, &h, &b, &mut out).unwrap();
        assert_eq!(n, signed_len(&h, &b).unwrap());
        let (report, signature) = out[..n].split_at(n - 64);
        assert_eq!(hex::encode(&out[..n]), v.signed_report, "{}", v.name);
        assert_eq!(hex::encode(signature), v.signature, "{}", v.name);
        assert_eq!(
            hex::encode([DOMAIN, report].concat()),
            v.signing_bytes,
            "{}",
            v.name
        );
        assert_eq!(hex::encode(report_hash(&out[..n]).unwrap()), v.hash);
        // Nothing past the report was touched.
        assert!(out[n..].iter().all(|b| *b == 0), "{}", v.name);
    }
}
