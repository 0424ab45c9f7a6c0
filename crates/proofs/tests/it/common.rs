//! Builders shared by the integration tests. Families never check signatures (the
//! oracle does, at ingest), so reports here carry a dummy one: it keeps the
//! property and scale tests fast.

use h3o::{CellIndex, LatLng, Resolution};
use plinth_core::{Address, DeviceId, PublicKey, Signature};
use plinth_proofs::{DeviceInfo, EpochWindow, Report, ReportBody, SignedReport};
use std::collections::BTreeMap;

pub const START: u64 = 1_700_000_000_000;
pub const WINDOW: EpochWindow = EpochWindow {
    epoch: 42,
    start_ms: START,
    end_ms: START + 600_000,
};

/// A device id from a number (any 32 bytes make an id).
pub fn id(i: u32) -> DeviceId {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&i.to_be_bytes());
    k[31] = 1;
    DeviceId(PublicKey(k))
}

pub fn device(i: u32, location: u64) -> DeviceInfo {
    DeviceInfo {
        id: id(i),
        owner: Address(PublicKey([9; 32])),
        location,
        active: true,
    }
}

pub fn registry(devices: impl IntoIterator<Item = DeviceInfo>) -> BTreeMap<DeviceId, DeviceInfo> {
    devices.into_iter().map(|d| (d.id, d)).collect()
}

pub fn report(i: u32, timestamp_ms: u64, seq: u64, body: ReportBody) -> SignedReport {
    SignedReport {
        report: Report {
            chain: plinth_core::Hash::ZERO,
            device: id(i),
            network: "net".into(),
            epoch: WINDOW.epoch,
            timestamp_ms,
            seq,
            body,
        },
        signature: Signature([0; 64]),
    }
}

pub fn reading(i: u32, timestamp_ms: u64, seq: u64, value_milli: i64, unit: &str) -> SignedReport {
    report(
        i,
        timestamp_ms,
        seq,
        ReportBody::Reading {
            value_milli,
            unit: unit.into(),
        },
    )
}

/// A resolution-7 cell in Berlin.
pub fn berlin() -> CellIndex {
    LatLng::new(52.52, 13.40)
        .unwrap()
        .to_cell(Resolution::Seven)
}

/// A resolution-12 location inside `cell`.
pub fn inside(cell: CellIndex) -> u64 {
    cell.center_child(Resolution::Twelve).unwrap().into()
}
