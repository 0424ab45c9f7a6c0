//! The vehicles family (DIMO-like connected cars): an aftermarket device paired
//! with a vehicle by its owner's signature reports trips (`ReportBody::Custom`
//! of kind [`TRIP_KIND`], data [`Trip::encode`]); connected epochs build streak
//! levels ([`STREAK_THRESHOLDS`], [`STREAK_POINTS`]), GPS fixes add quality
//! points, and implausible tracks (teleports, speeding, odometers going back),
//! unpaired devices, replayed trips and vehicles claimed by several devices are
//! refused with a code.
//!
//! The body format, the rules, the scores and the state are specified in
//! `crates/families/vehicles/README.md`; the module is built from
//! `vehicles/vehicles.c`. This file encodes trip bodies (the device simulator
//! and the tests make reports with it) and decodes the family's state.

use plinth_core::Keypair;

/// The vehicles family module, built from `vehicles/vehicles.c`.
pub const VEHICLES: crate::Shipped = crate::Shipped {
    name: "vehicles",
    bytes: include_bytes!("../vehicles.wasm"),
};

/// The custom body kind of a trip report.
pub const TRIP_KIND: &str = "trip";

/// The version byte a trip body starts with.
pub const TRIP_VERSION: u8 = 1;

/// The domain tag of a pairing attestation ([`pairing_message`]).
pub const PAIRING_DOMAIN: &[u8] = b"plinth/vehicle-pair/v1";

/// The fewest GPS fixes a trip has.
pub const MIN_FIXES: usize = 2;

/// The most GPS fixes a trip has (its body is then 3,491 bytes).
pub const MAX_FIXES: usize = 240;

/// The bytes of a trip body before its fixes.
pub const TRIP_HEADER_BYTES: usize = 1 + 32 + 64 + 8 + 8 + 8 + 8 + 2;

/// The bytes of one encoded fix.
pub const FIX_BYTES: usize = 4 + 4 + 4 + 2;

/// The streak (connected epochs) at which each level starts: levels 0 to 3.
pub const STREAK_THRESHOLDS: [u32; 4] = [0, 4, 21, 36];

/// The points each streak level earns in an epoch the vehicle is connected.
pub const STREAK_POINTS: [u64; 4] = [0, 1_000, 2_000, 3_000];

/// The streak level (0 to 3) of a streak.
pub fn streak_level(streak: u32) -> usize {
    STREAK_THRESHOLDS
        .iter()
        .rposition(|t| streak >= *t)
        .unwrap_or(0)
}

/// One GPS fix of a trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fix {
    /// Milliseconds since the trip's start; strictly increasing along a trip.
    pub offset_ms: u32,
    /// Latitude, micro-degrees (±90,000,000).
    pub lat: i32,
    /// Longitude, micro-degrees (±180,000,000).
    pub lng: i32,
    /// Speed, tenths of km/h.
    pub speed_dkmh: u16,
}

/// A trip report's body (`ReportBody::Custom { kind: "trip", data }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    /// The vehicle's id.
    pub vehicle: [u8; 32],
    /// The pairing attestation: the device owner's signature over
    /// [`pairing_message`] (see [`sign_pairing`]).
    pub pairing: [u8; 64],
    /// The trip's id, strictly increasing per vehicle (its start time in ms
    /// is a good choice).
    pub trip_id: u64,
    /// The trip's start, milliseconds since the Unix epoch.
    pub start_ms: u64,
    /// The vehicle's odometer at the start, metres.
    pub odometer_start_m: u64,
    /// The vehicle's odometer at the end, metres.
    pub odometer_end_m: u64,
    /// The GPS fixes ([`MIN_FIXES`] to [`MAX_FIXES`] for the family to count it).
    pub fixes: Vec<Fix>,
}

impl Trip {
    /// The body's data, as the family reads it (`vehicles/README.md`, "Body").
    /// Encodes any number of fixes up to `u16::MAX` (the family counts trips of
    /// [`MIN_FIXES`] to [`MAX_FIXES`]), so tests can make malformed trips.
    ///
    /// # Panics
    /// With more than `u16::MAX` fixes.
    pub fn encode(&self) -> Vec<u8> {
        let n = u16::try_from(self.fixes.len()).expect("at most 65,535 fixes");
        let mut out = Vec::with_capacity(TRIP_HEADER_BYTES + FIX_BYTES * self.fixes.len());
        out.push(TRIP_VERSION);
        out.extend_from_slice(&self.vehicle);
        out.extend_from_slice(&self.pairing);
        for v in [
            self.trip_id,
            self.start_ms,
            self.odometer_start_m,
            self.odometer_end_m,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&n.to_le_bytes());
        for f in &self.fixes {
            out.extend_from_slice(&f.offset_ms.to_le_bytes());
            out.extend_from_slice(&f.lat.to_le_bytes());
            out.extend_from_slice(&f.lng.to_le_bytes());
            out.extend_from_slice(&f.speed_dkmh.to_le_bytes());
        }
        out
    }

    /// Reads a trip body back: `None` unless `data` is exactly one body of
    /// version [`TRIP_VERSION`] (any fix count).
    pub fn decode(data: &[u8]) -> Option<Trip> {
        let mut r = Reader(data);
        if r.take::<1>()? != [TRIP_VERSION] {
            return None;
        }
        let vehicle = r.take::<32>()?;
        let pairing = r.take::<64>()?;
        let trip_id = r.u64()?;
        let start_ms = r.u64()?;
        let odometer_start_m = r.u64()?;
        let odometer_end_m = r.u64()?;
        let n = u16::from_le_bytes(r.take()?);
        let fixes = (0..n)
            .map(|_| {
                Some(Fix {
                    offset_ms: u32::from_le_bytes(r.take()?),
                    lat: i32::from_le_bytes(r.take()?),
                    lng: i32::from_le_bytes(r.take()?),
                    speed_dkmh: u16::from_le_bytes(r.take()?),
                })
            })
            .collect::<Option<Vec<Fix>>>()?;
        r.0.is_empty().then_some(Trip {
            vehicle,
            pairing,
            trip_id,
            start_ms,
            odometer_start_m,
            odometer_end_m,
            fixes,
        })
    }
}

/// The message a device's owner signs to pair the device with a vehicle:
/// [`PAIRING_DOMAIN`] ‖ device id ‖ vehicle id (86 bytes).
pub fn pairing_message(device: &[u8; 32], vehicle: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(PAIRING_DOMAIN.len() + 64);
    m.extend_from_slice(PAIRING_DOMAIN);
    m.extend_from_slice(device);
    m.extend_from_slice(vehicle);
    m
}

/// The pairing attestation ([`Trip::pairing`]): `owner` (the key of the
/// device's registry owner) signs [`pairing_message`].
pub fn sign_pairing(owner: &Keypair, device: &[u8; 32], vehicle: &[u8; 32]) -> [u8; 64] {
    owner.sign(&pairing_message(device, vehicle)).0
}

/// The custom body kind of an unpairing.
pub const UNPAIR_KIND: &str = "unpair";

/// The domain tag of an unpairing ([`unpair_message`]).
pub const UNPAIR_DOMAIN: &[u8] = b"plinth/vehicle-unpair/v1";

/// The bytes of an unpair body: version, vehicle, signature.
pub const UNPAIR_BYTES: usize = 1 + 32 + 64;

/// The message a device's owner signs to unpair the device from a vehicle in
/// `epoch` (the epoch of the report that carries it, so it cannot be sent again
/// in another): [`UNPAIR_DOMAIN`] ‖ device id ‖ vehicle id ‖ epoch (u64 LE), 96
/// bytes.
pub fn unpair_message(device: &[u8; 32], vehicle: &[u8; 32], epoch: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(UNPAIR_DOMAIN.len() + 72);
    m.extend_from_slice(UNPAIR_DOMAIN);
    m.extend_from_slice(device);
    m.extend_from_slice(vehicle);
    m.extend_from_slice(&epoch.to_le_bytes());
    m
}

/// An unpair body (`ReportBody::Custom { kind: "unpair", data }`) for a report
/// of `device` in `epoch`, signed by `owner` (the device's registry owner):
/// version 1 ‖ vehicle ‖ signature over [`unpair_message`].
pub fn unpair_body(owner: &Keypair, device: &[u8; 32], vehicle: &[u8; 32], epoch: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(UNPAIR_BYTES);
    out.push(1);
    out.extend_from_slice(vehicle);
    out.extend_from_slice(&owner.sign(&unpair_message(device, vehicle, epoch)).0);
    out
}

/// One vehicle in the family's state (`vehicles/README.md`, "State").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VehicleEntry {
    /// The vehicle's id.
    pub vehicle: [u8; 32],
    /// The device of its last counted trip (the device holding it).
    pub device: [u8; 32],
    /// The last epoch it was connected (had a counted trip).
    pub last_epoch: u64,
    /// Its streak then (see [`streak_level`]); 0 once the device was unpaired
    /// from it (no device holds it).
    pub streak: u32,
    /// The highest counted trip id.
    pub last_trip: u64,
    /// Its odometer at the end of the last counted trip, metres.
    pub odometer_m: u64,
}

/// The family's state: the epoch that wrote it and its vehicles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VehiclesState {
    /// The epoch whose run wrote the state (0 for the empty state).
    pub epoch: u64,
    /// The vehicles, strictly ascending by id.
    pub vehicles: Vec<VehicleEntry>,
}

impl VehiclesState {
    /// The version the state starts with.
    pub const VERSION: u32 = 1;

    /// Decodes a state as the module writes it; the empty state (before the
    /// first epoch) has no vehicles. `None` if the bytes are not a state.
    pub fn decode(bytes: &[u8]) -> Option<VehiclesState> {
        if bytes.is_empty() {
            return Some(VehiclesState::default());
        }
        let mut r = Reader(bytes);
        if u32::from_le_bytes(r.take()?) != Self::VERSION {
            return None;
        }
        let epoch = r.u64()?;
        let count = u32::from_le_bytes(r.take()?);
        let mut vehicles = Vec::new();
        for _ in 0..count {
            vehicles.push(VehicleEntry {
                vehicle: r.take()?,
                device: r.take()?,
                last_epoch: r.u64()?,
                streak: u32::from_le_bytes(r.take()?),
                last_trip: r.u64()?,
                odometer_m: r.u64()?,
            });
        }
        let ascending = vehicles.windows(2).all(|w| w[0].vehicle < w[1].vehicle);
        (r.0.is_empty() && ascending).then_some(VehiclesState { epoch, vehicles })
    }

    /// The entry of `vehicle`, if the state keeps it.
    pub fn vehicle(&self, vehicle: &[u8; 32]) -> Option<&VehicleEntry> {
        self.vehicles
            .binary_search_by(|e| e.vehicle.cmp(vehicle))
            .ok()
            .map(|i| &self.vehicles[i])
    }
}

/// A little-endian reader over a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(n: usize) -> Trip {
        Trip {
            vehicle: [7; 32],
            pairing: [9; 64],
            trip_id: 11,
            start_ms: 1_000,
            odometer_start_m: 5,
            odometer_end_m: 900,
            fixes: (0..n)
                .map(|i| Fix {
                    offset_ms: i as u32 * 1_000,
                    lat: -(i as i32),
                    lng: i as i32,
                    speed_dkmh: 3,
                })
                .collect(),
        }
    }

    #[test]
    fn a_trip_encodes_to_its_documented_size_and_back() {
        for n in [0, 2, 200, MAX_FIXES] {
            let t = trip(n);
            let b = t.encode();
            assert_eq!(b.len(), TRIP_HEADER_BYTES + FIX_BYTES * n);
            assert_eq!(Trip::decode(&b), Some(t));
        }
        assert_eq!(trip(MAX_FIXES).encode().len(), 3_491);
        assert!(trip(MAX_FIXES).encode().len() <= 3_584);
        let b = trip(2).encode();
        assert_eq!(b[0], 1);
        assert_eq!(&b[97..105], &11u64.to_le_bytes());
        assert_eq!(&b[129..131], &2u16.to_le_bytes());
        assert_eq!(Trip::decode(&b[..b.len() - 1]), None);
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(Trip::decode(&longer), None);
    }

    #[test]
    fn streak_levels_start_at_the_documented_streaks() {
        let levels: Vec<usize> = [0, 1, 3, 4, 20, 21, 35, 36, 1_000]
            .into_iter()
            .map(streak_level)
            .collect();
        assert_eq!(levels, [0, 0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn the_pairing_message_is_domain_device_vehicle() {
        let m = pairing_message(&[1; 32], &[2; 32]);
        assert_eq!(m.len(), 86);
        assert!(m.starts_with(b"plinth/vehicle-pair/v1"));
        assert_eq!(&m[22..54], &[1; 32]);
        assert_eq!(&m[54..], &[2; 32]);
    }
}
