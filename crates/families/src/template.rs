//! The template family (`template/template.c`): the smallest useful family, the
//! one to copy when writing a new one.
//!
//! A report counts when its device is registered and active, it is a
//! `Heartbeat` (or, when the network sets `kind`, a `Custom` report of that
//! kind) and it is stamped inside the epoch window; otherwise it is rejected
//! with `unknown_device`, `inactive_device`, `wrong_kind` or `outside_epoch`,
//! checked in that order. A device scores
//! `min(counted, max_per_device) × 1,000,000 / max_per_device`.
//!
//! Parameters: `max_per_device` (integer ≥ 1, default 60) and `kind`
//! (optional string, 1 to 32 bytes). Anything else in the parameters is
//! ignored; a bad value fails the epoch with code 2 (`PF_ERR_PARAMS`).

use crate::Shipped;

/// The template family's module, built by `build.sh template`.
pub const TEMPLATE: Shipped = Shipped {
    name: "template",
    bytes: include_bytes!("../template.wasm"),
};
