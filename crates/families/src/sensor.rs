//! The sensor family as a module (`sensor/sensor.c`): `plinth_proofs::sensor`
//! re-implemented in C, with the same parameters and defaults, the same integer
//! arithmetic and rounding, and so the same scores (the tests compare the two on
//! random epochs and on a 100,000-device one).
//!
//! A reading is checked in the native order and a failure is rejected with the
//! native reason's name as its code: `unknown_device`, `inactive_device`,
//! `wrong_kind`, `outside_epoch`, `stale`, `wrong_unit`, `out_of_range`.
//! Parameters that `plinth_proofs::sensor::SensorParams` refuses fail the epoch
//! with code 2 (`PF_ERR_PARAMS`).
//!
//! The one host function it needs beyond `h3_resolution` is `h3_disk1`: the
//! neighbourhood of each occupied cell, computed once per cell.

use crate::Shipped;

/// The sensor family's module, built by `build.sh sensor`.
pub const SENSOR: Shipped = Shipped {
    name: "sensor",
    bytes: include_bytes!("../sensor.wasm"),
};
