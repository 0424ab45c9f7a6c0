//! Random reports of every kind: the firmware writes exactly what `plinth-proofs`
//! encodes, the oracle's decoder takes it and the signature verifies; every
//! limit is refused with its own error, before anything is written.

use crate::common::{body, header};
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_firmware::{
    report_hash, sign_report, signed_len, Body, DeviceKey, Error, Header, MAX_CUSTOM_BYTES,
    MAX_CUSTOM_KIND_LEN, MAX_NETWORK_LEN, MAX_REPORT_BYTES, MAX_UNIT_LEN,
};
use plinth_proofs::{Report, ReportBody, SignedReport};
use proptest::prelude::*;

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

fn body_strategy() -> impl Strategy<Value = ReportBody> {
    prop_oneof![
        Just(ReportBody::Heartbeat),
        hash().prop_map(|challenge| ReportBody::ProbeAnswer { challenge }),
        // Any UTF-8 of at most 16 bytes (`\PC`: any printable character, at
        // most 4 bytes each).
        (any::<i64>(), prop_oneof!["[a-z]{0,16}", "\\PC{0,4}"])
            .prop_map(|(value_milli, unit)| ReportBody::Reading { value_milli, unit }),
        (any::<u64>(), hash(), any::<i32>()).prop_map(|(round, draw, tx_power_centi_dbm)| {
            ReportBody::Beacon {
                round,
                draw,
                tx_power_centi_dbm,
            }
        }),
        (
            hash(),
            any::<i32>(),
            any::<i32>(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(
                |(beacon, rssi_centi_dbm, snr_centi_db, frequency_hz, received_ms)| {
                    ReportBody::Witness {
                        beacon,
                        rssi_centi_dbm,
                        snr_centi_db,
                        frequency_hz,
                        received_ms,
                    }
                }
            ),
        (
            "[a-z0-9_-]{1,32}",
            prop::collection::vec(any::<u8>(), 0..=MAX_CUSTOM_BYTES)
        )
            .prop_map(|(kind, data)| ReportBody::Custom { kind, data }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn firmware_bytes_are_the_oracles(
        seed in any::<[u8; 32]>(),
        chain in hash(),
        network in "[a-z0-9-]{1,32}",
        epoch in any::<u64>(),
        timestamp_ms in any::<u64>(),
        seq in any::<u64>(),
        body_ in body_strategy(),
    ) {
        let keypair = Keypair::from_seed(seed);
        let report = Report {
            chain,
            device: DeviceId(keypair.public()),
            network,
            epoch,
            timestamp_ms,
            seq,
            body: body_,
        };
        let expected = report.clone().sign(&keypair);
        let key = DeviceKey::from_seed(&seed);
        let mut out = vec![0u8; MAX_REPORT_BYTES];
        let n = sign_report(&key, &header(&report), &body(&report.body), &mut out).unwrap();
        prop_assert_eq!(&out[..n], &expected.encode()[..]);
        let decoded = SignedReport::decode(&out[..n]).unwrap();
        prop_assert!(decoded.verify_signature());
        prop_assert_eq!(report_hash(&out[..n]).unwrap(), expected.hash().0);
        let id = key.device_id();
        prop_assert_eq!(id.as_str(), DeviceId(keypair.public()).to_string());
    }
}

fn sample<'a>(network: &'a str) -> Header<'a> {
    Header {
        chain: [9; 32],
        network,
        epoch: 1,
        timestamp_ms: 2,
        seq: 3,
    }
}

/// Signs into a buffer of `len` bytes filled with 0xAA; the result, and
/// whether the buffer is untouched.
fn try_sign(header: &Header<'_>, body: &Body<'_>, len: usize) -> (Result<usize, Error>, bool) {
    let mut out = vec![0xAA; len];
    let r = sign_report(&DeviceKey::from_seed(&[1; 32]), header, body, &mut out);
    (r, out.iter().all(|b| *b == 0xAA))
}

#[test]
fn every_limit_is_refused_with_its_error_and_nothing_written() {
    let long_network = "n".repeat(MAX_NETWORK_LEN + 1);
    let long_unit = "u".repeat(MAX_UNIT_LEN + 1);
    let long_kind = "k".repeat(MAX_CUSTOM_KIND_LEN + 1);
    let big = vec![0u8; MAX_CUSTOM_BYTES + 1];
    let cases: Vec<(Header, Body, Error)> = vec![
        (sample(""), Body::Heartbeat, Error::Network),
        (sample(&long_network), Body::Heartbeat, Error::Network),
        (sample("Weather"), Body::Heartbeat, Error::Network),
        (sample("wea_ther"), Body::Heartbeat, Error::Network),
        (sample("wéather"), Body::Heartbeat, Error::Network),
        (
            sample("weather"),
            Body::Reading {
                value_milli: 1,
                unit: &long_unit,
            },
            Error::Unit,
        ),
        (
            sample("vehicles"),
            Body::Custom {
                kind: "",
                data: &[],
            },
            Error::CustomKind,
        ),
        (
            sample("vehicles"),
            Body::Custom {
                kind: "Trip",
                data: &[],
            },
            Error::CustomKind,
        ),
        (
            sample("vehicles"),
            Body::Custom {
                kind: &long_kind,
                data: &[],
            },
            Error::CustomKind,
        ),
        (
            sample("vehicles"),
            Body::Custom {
                kind: "trip",
                data: &big,
            },
            Error::CustomData,
        ),
    ];
    for (h, b, err) in cases {
        let (r, untouched) = try_sign(&h, &b, MAX_REPORT_BYTES);
        assert_eq!(r, Err(err), "{h:?} {b:?}");
        assert_eq!(signed_len(&h, &b), Err(err));
        assert!(untouched, "{h:?} {b:?} wrote on an error");
    }
}

#[test]
fn the_buffer_must_hold_the_whole_signed_report() {
    let h = sample("weather");
    let b = Body::Reading {
        value_milli: -5,
        unit: "celsius",
    };
    let n = signed_len(&h, &b).unwrap();
    assert_eq!(n, 32 + 32 + (4 + 7) + 24 + (1 + 8 + 4 + 7) + 64);
    for short in [0, 1, 16, n - 64, n - 1] {
        let (r, untouched) = try_sign(&h, &b, short);
        assert_eq!(r, Err(Error::BufferTooSmall), "{short} bytes");
        assert!(untouched, "{short} bytes");
    }
    let (r, _) = try_sign(&h, &b, n);
    assert_eq!(r, Ok(n));
}

#[test]
fn the_largest_report_fits_the_oracles_limit() {
    let network = "n".repeat(MAX_NETWORK_LEN);
    let kind = "k".repeat(MAX_CUSTOM_KIND_LEN);
    let data = vec![0xEE; MAX_CUSTOM_BYTES];
    let h = sample(&network);
    let b = Body::Custom {
        kind: &kind,
        data: &data,
    };
    let mut out = vec![0; MAX_REPORT_BYTES];
    let n = sign_report(&DeviceKey::from_seed(&[1; 32]), &h, &b, &mut out).unwrap();
    assert_eq!(n, 3813, "as the docs say");
    assert!(SignedReport::decode(&out[..n]).unwrap().verify_signature());
    // And the longest reading.
    let unit = "u".repeat(MAX_UNIT_LEN);
    let r = Body::Reading {
        value_milli: i64::MIN,
        unit: &unit,
    };
    let n = sign_report(&DeviceKey::from_seed(&[1; 32]), &h, &r, &mut out).unwrap();
    assert!(SignedReport::decode(&out[..n]).unwrap().verify_signature());
}

#[test]
fn report_hash_refuses_what_cannot_be_a_report() {
    // The shortest conceivable report: an empty network (the firmware never
    // makes one; the hash still takes its length).
    let shortest = 32 + 32 + 4 + 24 + 1 + 64;
    assert_eq!(
        report_hash(&vec![0; shortest - 1]),
        Err(Error::ReportLength)
    );
    assert!(report_hash(&vec![0; shortest]).is_ok());
    assert!(report_hash(&vec![0; MAX_REPORT_BYTES]).is_ok());
    assert_eq!(
        report_hash(&vec![0; MAX_REPORT_BYTES + 1]),
        Err(Error::ReportLength)
    );
}
