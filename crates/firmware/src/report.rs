//! The report: its fields, its canonical encoding (borsh) and its signature.
//!
//! The layout, field by field (`docs/report-format.md` has the full spec):
//!
//! ```text
//! chain [32] ‖ device [32] ‖ u32le(len) network ‖ u64le epoch ‖ u64le timestamp_ms
//!   ‖ u64le seq ‖ u8 body tag ‖ body fields ‖ signature [64]
//! ```
//!
//! The signature is ed25519 (RFC 8032, pure) over `"plinth/report/v1" ‖ report`,
//! everything before it.

use crate::{
    Error, DOMAIN, HASH_TAG, MAX_CUSTOM_BYTES, MAX_CUSTOM_KIND_LEN, MAX_NETWORK_LEN,
    MAX_REPORT_BYTES, MAX_UNIT_LEN, SIGNATURE_LEN,
};
use ed25519_dalek::{Signer, SigningKey};

/// A device's signing key, from its 32-byte ed25519 seed (the secret the device
/// keeps: the `secret` of the key file `plinth device keygen` writes, as hex).
pub struct DeviceKey {
    signing: SigningKey,
}

impl DeviceKey {
    /// The key of `seed` (the public key is derived here, once).
    pub fn from_seed(seed: &[u8; 32]) -> DeviceKey {
        DeviceKey {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The device's public key: the device id's 32 bytes, and the report's
    /// `device` field.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The device id as the chain writes it (`pdev1…`, bech32m): the MQTT topic
    /// `plinth/reports/<device id>` and the id the device is registered under.
    pub fn device_id(&self) -> crate::DeviceIdText {
        crate::DeviceIdText::of(&self.public_key())
    }
}

/// The fields every report has, besides the device (which is the key's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The chain identity, [`chain_identity`] of the node's `/v1/status`
    /// `genesis_hash`. An oracle refuses reports of another chain.
    pub chain: [u8; 32],
    /// The network the device is registered in (`[a-z0-9-]{1,32}`).
    pub network: &'a str,
    /// The reward epoch the report is for: [`epoch_of`] `timestamp_ms`.
    pub epoch: u64,
    /// When the report was made, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Strictly increasing per device: the oracle refuses a sequence number it
    /// has seen from the device (keep it across reboots, e.g. in flash).
    pub seq: u64,
}

/// What a report says (`plinth_proofs::ReportBody`, variant for variant, in the
/// same order: the order is the tag byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// "I am up" (uptime networks).
    Heartbeat,
    /// The answer to a probe: the challenge the oracle issued
    /// (`GET /v1/challenges/<device id>`).
    ProbeAnswer {
        /// The challenge answered.
        challenge: [u8; 32],
    },
    /// A sensor reading in thousandths of `unit` (sensor networks).
    Reading {
        /// The value, thousandths of `unit`.
        value_milli: i64,
        /// The unit (the network's, e.g. `celsius`), at most 16 bytes.
        unit: &'a str,
    },
    /// A coverage hotspot's beacon for a round it was drawn for; the beacon's id,
    /// which the radio transmits, is [`report_hash`] of the signed report.
    Beacon {
        /// The round.
        round: u64,
        /// The round's draw (the block hash the draw came from).
        draw: [u8; 32],
        /// Declared transmit power (EIRP), hundredths of dBm.
        tx_power_centi_dbm: i32,
    },
    /// "I heard beacon `beacon`" (coverage networks).
    Witness {
        /// The id of the beacon heard (the payload received over the air).
        beacon: [u8; 32],
        /// Received signal strength, hundredths of dBm.
        rssi_centi_dbm: i32,
        /// Signal-to-noise ratio, hundredths of dB.
        snr_centi_db: i32,
        /// The frequency the beacon was heard on, hertz.
        frequency_hz: u64,
        /// When it was received, milliseconds since the Unix epoch.
        received_ms: u64,
    },
    /// A body for a custom (WebAssembly) family, which alone reads `data`.
    Custom {
        /// What the data is, as the family names it: `[a-z0-9_-]{1,32}`.
        kind: &'a str,
        /// The data, at most [`MAX_CUSTOM_BYTES`].
        data: &'a [u8],
    },
}

impl Body<'_> {
    /// The enum tag byte: the variant's position in `plinth_proofs::ReportBody`.
    fn tag(&self) -> u8 {
        match self {
            Body::Heartbeat => 0,
            Body::ProbeAnswer { .. } => 1,
            Body::Reading { .. } => 2,
            Body::Beacon { .. } => 3,
            Body::Witness { .. } => 4,
            Body::Custom { .. } => 5,
        }
    }

    /// Checks the body's limits; the length of its encoding, tag included.
    fn checked_len(&self) -> Result<usize, Error> {
        Ok(1 + match self {
            Body::Heartbeat => 0,
            Body::ProbeAnswer { .. } => 32,
            Body::Reading { unit, .. } => {
                if unit.len() > MAX_UNIT_LEN {
                    return Err(Error::Unit);
                }
                8 + 4 + unit.len()
            }
            Body::Beacon { .. } => 8 + 32 + 4,
            Body::Witness { .. } => 32 + 4 + 4 + 8 + 8,
            Body::Custom { kind, data } => {
                if !valid_custom_kind(kind.as_bytes()) {
                    return Err(Error::CustomKind);
                }
                if data.len() > MAX_CUSTOM_BYTES {
                    return Err(Error::CustomData);
                }
                4 + kind.len() + 4 + data.len()
            }
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.put(&[self.tag()])?;
        match self {
            Body::Heartbeat => Ok(()),
            Body::ProbeAnswer { challenge } => w.put(challenge),
            Body::Reading { value_milli, unit } => {
                w.put(&value_milli.to_le_bytes())?;
                w.string(unit.as_bytes())
            }
            Body::Beacon {
                round,
                draw,
                tx_power_centi_dbm,
            } => {
                w.put(&round.to_le_bytes())?;
                w.put(draw)?;
                w.put(&tx_power_centi_dbm.to_le_bytes())
            }
            Body::Witness {
                beacon,
                rssi_centi_dbm,
                snr_centi_db,
                frequency_hz,
                received_ms,
            } => {
                w.put(beacon)?;
                w.put(&rssi_centi_dbm.to_le_bytes())?;
                w.put(&snr_centi_db.to_le_bytes())?;
                w.put(&frequency_hz.to_le_bytes())?;
                w.put(&received_ms.to_le_bytes())
            }
            Body::Custom { kind, data } => {
                w.string(kind.as_bytes())?;
                w.string(data)
            }
        }
    }
}

/// Whether `name` is a network name the chain can have: 1 to 32 bytes of `[a-z0-9-]`.
pub(crate) fn valid_network(name: &[u8]) -> bool {
    (1..=MAX_NETWORK_LEN).contains(&name.len())
        && name
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Whether `kind` is a custom body kind the oracle accepts: 1 to 32 bytes of `[a-z0-9_-]`.
pub(crate) fn valid_custom_kind(kind: &[u8]) -> bool {
    (1..=MAX_CUSTOM_KIND_LEN).contains(&kind.len())
        && kind
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// The length of the unsigned report (`borsh(Report)`), after checking every
/// field's limits.
pub fn unsigned_len(header: &Header<'_>, body: &Body<'_>) -> Result<usize, Error> {
    if !valid_network(header.network.as_bytes()) {
        return Err(Error::Network);
    }
    Ok(32 + 32 + 4 + header.network.len() + 8 + 8 + 8 + body.checked_len()?)
}

/// The length of the signed report: what [`sign_report`] writes.
pub fn signed_len(header: &Header<'_>, body: &Body<'_>) -> Result<usize, Error> {
    Ok(unsigned_len(header, body)? + SIGNATURE_LEN)
}

/// Writes the signed report of `key` into `out`; the number of bytes written.
///
/// `out` holds `borsh(Report) ‖ signature` afterwards, exactly the bytes of
/// `plinth_proofs::SignedReport::encode`. Every field is checked before
/// anything is written: on an error `out` is untouched.
pub fn sign_report(
    key: &DeviceKey,
    header: &Header<'_>,
    body: &Body<'_>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let n = unsigned_len(header, body)?;
    let total = n + SIGNATURE_LEN;
    if out.len() < total {
        return Err(Error::BufferTooSmall);
    }
    // Sign in place: the domain tag, then the report right after it (the tag is
    // shorter than the signature, so both fit in `total` bytes).
    let signed_part = DOMAIN.len() + n;
    let mut w = Writer {
        buf: &mut out[..signed_part],
        pos: 0,
    };
    w.put(DOMAIN)?;
    w.put(&header.chain)?;
    w.put(&key.public_key())?;
    w.string(header.network.as_bytes())?;
    w.put(&header.epoch.to_le_bytes())?;
    w.put(&header.timestamp_ms.to_le_bytes())?;
    w.put(&header.seq.to_le_bytes())?;
    body.write(&mut w)?;
    debug_assert_eq!(w.pos, signed_part);
    let signature = key.signing.sign(&out[..signed_part]).to_bytes();
    out.copy_within(DOMAIN.len()..signed_part, 0);
    out[n..total].copy_from_slice(&signature);
    Ok(total)
}

/// The shortest signed report (an empty network name, a heartbeat), bytes.
pub(crate) const MIN_REPORT_BYTES: usize = 32 + 32 + 4 + 8 + 8 + 8 + 1 + SIGNATURE_LEN;

/// A signed report's id: `blake3(u32le(13) ‖ "plinth/report" ‖ signed)`, as
/// `plinth_proofs::SignedReport::hash`. A beacon's id is its report's hash; the
/// oracle's verdict names each report by it.
pub fn report_hash(signed: &[u8]) -> Result<[u8; 32], Error> {
    if !(MIN_REPORT_BYTES..=MAX_REPORT_BYTES).contains(&signed.len()) {
        return Err(Error::ReportLength);
    }
    let mut h = blake3::Hasher::new();
    h.update(&(HASH_TAG.len() as u32).to_le_bytes());
    h.update(HASH_TAG);
    h.update(signed);
    Ok(*h.finalize().as_bytes())
}

/// The chain identity of the chain whose genesis hash is `genesis_hash` (the
/// node's `/v1/status` `genesis_hash`): `blake3(u32le(12) ‖ "plinth/chain" ‖
/// genesis_hash)`, as `plinth_core::chain_identity`. Reports name it in `chain`.
pub fn chain_identity(genesis_hash: &[u8; 32]) -> [u8; 32] {
    const TAG: &[u8] = b"plinth/chain";
    let mut h = blake3::Hasher::new();
    h.update(&(TAG.len() as u32).to_le_bytes());
    h.update(TAG);
    h.update(genesis_hash);
    *h.finalize().as_bytes()
}

/// The reward epoch of `timestamp_ms` on a chain whose epochs of `epoch_ms`
/// start at `genesis_time_ms` (the node's `/v1/status` fields of those names),
/// as `plinth_core::epoch::EpochClock::epoch_of`: timestamps before genesis,
/// and every timestamp when `epoch_ms` is 0, are epoch 0. The oracle refuses a
/// report whose `epoch` is not the epoch of its `timestamp_ms`.
pub fn epoch_of(genesis_time_ms: u64, epoch_ms: u64, timestamp_ms: u64) -> u64 {
    timestamp_ms
        .saturating_sub(genesis_time_ms)
        .checked_div(epoch_ms)
        .unwrap_or(0)
}

/// Writes into a buffer whose length was checked before: a write past its end
/// is an error, never a panic.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.pos + bytes.len();
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// A borsh string or byte vector: u32 little-endian length, then the bytes.
    /// (Callers bound the lengths far below `u32::MAX`.)
    fn string(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.put(&(bytes.len() as u32).to_le_bytes())?;
        self.put(bytes)
    }
}
