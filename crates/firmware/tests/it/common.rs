//! Turning the oracle's report type into the firmware's.

use plinth_firmware::{Body, Header};
use plinth_proofs::{Report, ReportBody};

/// The firmware's header of `r` (the device is the signing key's).
pub fn header(r: &Report) -> Header<'_> {
    Header {
        chain: r.chain.0,
        network: &r.network,
        epoch: r.epoch,
        timestamp_ms: r.timestamp_ms,
        seq: r.seq,
    }
}

/// The firmware's body of `b`.
pub fn body(b: &ReportBody) -> Body<'_> {
    match b {
        ReportBody::Heartbeat => Body::Heartbeat,
        ReportBody::ProbeAnswer { challenge } => Body::ProbeAnswer {
            challenge: challenge.0,
        },
        ReportBody::Reading { value_milli, unit } => Body::Reading {
            value_milli: *value_milli,
            unit,
        },
        ReportBody::Beacon {
            round,
            draw,
            tx_power_centi_dbm,
        } => Body::Beacon {
            round: *round,
            draw: draw.0,
            tx_power_centi_dbm: *tx_power_centi_dbm,
        },
        ReportBody::Witness {
            beacon,
            rssi_centi_dbm,
            snr_centi_db,
            frequency_hz,
            received_ms,
        } => Body::Witness {
            beacon: beacon.0,
            rssi_centi_dbm: *rssi_centi_dbm,
            snr_centi_db: *snr_centi_db,
            frequency_hz: *frequency_hz,
            received_ms: *received_ms,
        },
        ReportBody::Custom { kind, data } => Body::Custom { kind, data },
    }
}
