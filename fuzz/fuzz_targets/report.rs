//! `SignedReport::decode`: the device reports the oracle ingests over HTTP and MQTT.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_proofs::report::{ReportDecodeError, MAX_NETWORK_LEN, MAX_REPORT_BYTES, MAX_UNIT_LEN};
use plinth_proofs::{ReportBody, SignedReport};

fuzz_target!(|data: &[u8]| {
    let report = match SignedReport::decode(data) {
        Ok(r) => r,
        Err(ReportDecodeError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (data.len(), MAX_REPORT_BYTES));
            assert!(data.len() > MAX_REPORT_BYTES);
            return;
        }
        Err(ReportDecodeError::Malformed(_)) => {
            assert!(data.len() <= MAX_REPORT_BYTES);
            return;
        }
    };
    assert!(
        data.len() <= MAX_REPORT_BYTES,
        "decoded {} bytes",
        data.len()
    );
    assert!(report.report.network.len() <= MAX_NETWORK_LEN);
    if let ReportBody::Reading { unit, .. } = &report.report.body {
        assert!(unit.len() <= MAX_UNIT_LEN);
    }
    assert_eq!(report.encode(), data, "re-encoding differs");
    // What ingest takes from the bytes received is what a re-encoding gives.
    let received = SignedReport::decode_received(data).expect("it decoded once");
    assert_eq!(received.hash, report.hash());
    assert_eq!(received.signing_bytes, report.report.signing_bytes());
    assert_eq!(received.report, report);
    let _ = report.verify_signature();
    let _ = report.report.body.kind();
    let json = serde_json::to_vec(&report).expect("a decoded report serialises");
    let back: SignedReport = serde_json::from_slice(&json).expect("its own JSON reads back");
    assert_eq!(back, report);
});
