//! The mapping family (Hivemapper-like street-level mapping): dashcams report
//! drives — GPS tracks over H3 cells with a content hash of their imagery — and
//! the family pays coverage and freshness per hex where devices of another owner
//! corroborate it. The rules, parameters and the state are in
//! `crates/families/mapping/README.md`; the source is `mapping/mapping.c`.
//!
//! A drive travels as `ReportBody::Custom { kind: "drive", data }` with `data`
//! = [`Drive::encode`].

use crate::Shipped;

/// The mapping family's module (built from `mapping/mapping.c`).
pub const MAPPING: Shipped = Shipped {
    name: "mapping",
    bytes: include_bytes!("../mapping.wasm"),
};

/// The custom body kind of a drive.
pub const KIND: &str = "drive";
/// The drive body's format version (its first byte).
pub const VERSION: u8 = 1;
/// The bytes before the points: version, drive id, start, imagery, point count.
pub const HEADER_BYTES: usize = 51;
/// The bytes of one point: time offset and cell.
pub const POINT_BYTES: usize = 12;
/// The fewest points a drive may have.
pub const MIN_POINTS: usize = 2;
/// The most points a drive may have (its body is then 3,123 bytes, under the
/// 3,584 a custom body may carry).
pub const MAX_POINTS: usize = 256;

// The longest drive fits a custom body (ABI.md: at most 3,584 bytes).
const _: () = assert!(HEADER_BYTES + MAX_POINTS * POINT_BYTES <= 3584);

/// One point of a drive's track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Milliseconds after the drive's [`Drive::start_ms`]; strictly increasing
    /// along the track.
    pub t_ms: u32,
    /// The H3 cell the dashcam was in (at the network's `resolution`).
    pub cell: u64,
}

/// A drive: what a dashcam reports (the imagery itself travels elsewhere; the
/// report carries its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drive {
    /// The device's own id of the drive: a device never reports one twice.
    pub drive_id: u64,
    /// When the drive started, milliseconds since the Unix epoch.
    pub start_ms: u64,
    /// The content hash of the drive's imagery: no drive may reuse it.
    pub imagery: [u8; 32],
    /// The track, in time order.
    pub points: Vec<Point>,
}

impl Drive {
    /// The body's bytes (`mapping/README.md`, "Body"): little-endian
    /// `version u8, drive_id u64, start_ms u64, imagery [32], n u16`, then `n`
    /// times `t_ms u32, cell u64`.
    ///
    /// # Panics
    ///
    /// If the track has more than `u16::MAX` points (the family refuses more
    /// than [`MAX_POINTS`] as `malformed`; this encodes them, for tests).
    pub fn encode(&self) -> Vec<u8> {
        let n = u16::try_from(self.points.len()).expect("at most 65,535 points");
        let mut out = Vec::with_capacity(HEADER_BYTES + self.points.len() * POINT_BYTES);
        out.push(VERSION);
        out.extend(self.drive_id.to_le_bytes());
        out.extend(self.start_ms.to_le_bytes());
        out.extend(self.imagery);
        out.extend(n.to_le_bytes());
        for p in &self.points {
            out.extend(p.t_ms.to_le_bytes());
            out.extend(p.cell.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_the_documented_layout() {
        let d = Drive {
            drive_id: 0x0102,
            start_ms: 7,
            imagery: [9; 32],
            points: vec![
                Point {
                    t_ms: 1,
                    cell: 0x8a,
                },
                Point {
                    t_ms: 2,
                    cell: 0x8b,
                },
            ],
        };
        let b = d.encode();
        assert_eq!(b.len(), HEADER_BYTES + 2 * POINT_BYTES);
        assert_eq!(b[0], VERSION);
        assert_eq!(&b[1..9], &0x0102u64.to_le_bytes());
        assert_eq!(&b[9..17], &7u64.to_le_bytes());
        assert_eq!(&b[17..49], &[9; 32]);
        assert_eq!(&b[49..51], &2u16.to_le_bytes());
        assert_eq!(&b[51..55], &1u32.to_le_bytes());
        assert_eq!(&b[55..63], &0x8au64.to_le_bytes());
    }
}
