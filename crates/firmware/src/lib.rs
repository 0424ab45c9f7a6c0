//! Build and sign Plinth device reports on a microcontroller: no `std`, no
//! allocator, a C API and a static library.
//!
//! A device proves its work to the oracle with signed reports (the oracle's side
//! is `plinth_proofs::SignedReport`). This crate writes the exact bytes of one
//! into a buffer the caller owns, signed with the device's ed25519 key, so
//! firmware can publish them as they are (MQTT `plinth/reports/<device id>`, or
//! hex in `POST /v1/reports`). The byte format is specified in
//! `docs/report-format.md`; `docs/report-vectors.json` holds the test vectors
//! every implementation must reproduce, and this crate's tests reproduce each of
//! them byte for byte and compare every body with `plinth-proofs`, so the two
//! cannot drift.
//!
//! ```text
//!   seed (32 bytes) ──▶ DeviceKey ──▶ public key, device id (pdev1…)
//!                          │
//!   Header + Body ──▶ sign_report ──▶ out: borsh(Report) ‖ ed25519 signature
//!                                       │
//!                                       └──▶ report_hash (the report's id, a beacon's payload)
//! ```
//!
//! ```
//! use plinth_firmware::{sign_report, Body, DeviceKey, Header, MAX_REPORT_BYTES};
//!
//! let key = DeviceKey::from_seed(&[7; 32]);
//! let genesis_hash = [0x11; 32]; // the node's /v1/status genesis_hash
//! let (genesis_time_ms, epoch_ms) = (1_767_225_000_000, 60_000); // and these two
//! let now_ms = 1_767_225_600_000;
//! let header = Header {
//!     chain: plinth_firmware::chain_identity(&genesis_hash),
//!     network: "weather",
//!     epoch: plinth_firmware::epoch_of(genesis_time_ms, epoch_ms, now_ms),
//!     timestamp_ms: now_ms,
//!     seq: 1,
//! };
//! let body = Body::Reading { value_milli: 21_500, unit: "celsius" };
//! let mut out = [0u8; MAX_REPORT_BYTES];
//! let n = sign_report(&key, &header, &body, &mut out).unwrap();
//! let report = &out[..n]; // publish these bytes
//! assert_eq!(n, plinth_firmware::signed_len(&header, &body).unwrap());
//! # let _ = report;
//! ```
//!
//! # Memory
//!
//! Nothing is allocated: the report is written into `out`, and the signature is
//! computed over `out` itself (the domain tag is written in front of the report
//! and moved away after signing, which fits because a signature, 64 bytes, is
//! longer than the tag, 16). [`signed_len`] says how many bytes a report takes
//! before anything is written; [`MAX_REPORT_BYTES`] always suffices. On an
//! error nothing has been written. Each report derives the public key from the
//! seed again (one scalar multiplication besides the signature's), so no key
//! state outlives a call; [`DeviceKey`] keeps it for Rust callers who sign many.
//!
//! # Static library, `std` and the panic handler
//!
//! The crate is `#![no_std]` and its dependencies (`ed25519-dalek`, `blake3`,
//! both without default features) use neither `std` nor `alloc`. A Rust
//! *static library* is a final artifact, so it must contain a panic handler:
//!
//! - **Host builds** (the default feature `std`): `extern crate std` links the
//!   standard library's panic handler and unwinding runtime. This is what the C
//!   example and the tests link on Linux (`cc report.c libplinth_firmware.a
//!   -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`, the libraries `--print
//!   native-static-libs` lists). A no_std static library for a host target without
//!   `std` does not build in the workspace's profiles: they unwind on panic, and
//!   unwinding needs `std`'s personality routine. With `panic = "abort"` it
//!   builds (`scripts/test` builds it so, which proves that nothing in the
//!   dependency graph needs `std` or an allocator) but does not link into a
//!   host program: the host's precompiled `core` still names
//!   `rust_eh_personality`.
//! - **Bare metal** (`thumbv7em-none-eabihf`, `riscv32imc-unknown-none-elf`, …,
//!   whose targets abort on panic): build with `--no-default-features --features
//!   panic-handler` for a C project that has no Rust of its own (the handler
//!   halts in a loop; the watchdog resets the device), or
//!   `--no-default-features` and link the rlib from a Rust firmware that brings
//!   its own handler (`panic-halt`, `panic-probe`, …).
//!
//! Nothing in this crate panics on any input: every length is checked before a
//! byte is written, and the C functions check every pointer and length.
//!
//! # C API
//!
//! [`ffi`]: `plinth_report_heartbeat`, `plinth_report_reading`, … return the
//! number of bytes written or a negative [`Error`] code; `include/plinth.h`
//! declares them (a test checks the header against the exported functions).

#![no_std]
#![deny(unsafe_code)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod id;
mod report;

#[allow(unsafe_code)]
pub mod ffi;

pub use id::{DeviceIdText, DEVICE_ID_LEN};
pub use report::{
    chain_identity, epoch_of, report_hash, sign_report, signed_len, unsigned_len, Body, DeviceKey,
    Header,
};

/// The domain tag signed in front of every report: a report signature can never
/// pass for the signature of any other Plinth message.
pub const DOMAIN: &[u8] = b"plinth/report/v1";
/// The tag of a report's hash (its id): `blake3(u32le(13) ‖ "plinth/report" ‖ report)`.
pub const HASH_TAG: &[u8] = b"plinth/report";
/// The length of an ed25519 signature, the last bytes of a signed report.
pub const SIGNATURE_LEN: usize = 64;
/// The largest signed report the oracle accepts, bytes. Every report this crate
/// can make fits (the largest, a custom body with the most data, takes 3,813).
pub const MAX_REPORT_BYTES: usize = 4096;
/// The longest network name, bytes (networks are named `[a-z0-9-]{1,32}`).
pub const MAX_NETWORK_LEN: usize = 32;
/// The longest unit name of a reading, bytes of UTF-8.
pub const MAX_UNIT_LEN: usize = 16;
/// The longest custom body kind, bytes (`[a-z0-9_-]{1,32}`).
pub const MAX_CUSTOM_KIND_LEN: usize = 32;
/// The most bytes a custom body's data may hold.
pub const MAX_CUSTOM_BYTES: usize = 3584;

/// Why a report was not made. The C API returns `-(code)`: each variant's
/// discriminant is the negative `int32_t` a C function returns (`PLINTH_ERR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    /// A pointer the call needs is NULL (C API only).
    NullPointer = -1,
    /// `out` is shorter than the signed report ([`signed_len`] says how long it is;
    /// [`MAX_REPORT_BYTES`] always suffices).
    BufferTooSmall = -2,
    /// The network name is not 1 to 32 bytes of `[a-z0-9-]`, or (C) has no NUL
    /// within 33 bytes.
    Network = -3,
    /// The unit is longer than 16 bytes, not UTF-8, or (C) has no NUL within 17 bytes.
    Unit = -4,
    /// The custom body kind is not 1 to 32 bytes of `[a-z0-9_-]`, or (C) has no NUL
    /// within 33 bytes.
    CustomKind = -5,
    /// The custom body data is longer than [`MAX_CUSTOM_BYTES`].
    CustomData = -6,
    /// Bytes to hash are not a signed report's length (more than
    /// [`MAX_REPORT_BYTES`], or fewer than the shortest report).
    ReportLength = -7,
}

impl Error {
    /// The negative code the C API returns for this error.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The error a negative C code stands for, if any.
    pub const fn from_code(code: i32) -> Option<Error> {
        Some(match code {
            -1 => Error::NullPointer,
            -2 => Error::BufferTooSmall,
            -3 => Error::Network,
            -4 => Error::Unit,
            -5 => Error::CustomKind,
            -6 => Error::CustomData,
            -7 => Error::ReportLength,
            _ => return None,
        })
    }

    /// A short description, for logs.
    pub fn message(self) -> &'static str {
        // The texts are ASCII.
        self.c_message().to_str().unwrap_or("")
    }

    /// The description as C reads it (`plinth_error_message`).
    pub const fn c_message(self) -> &'static core::ffi::CStr {
        match self {
            Error::NullPointer => c"a required pointer is NULL",
            Error::BufferTooSmall => c"the output buffer is too small for the signed report",
            Error::Network => c"the network name must be 1 to 32 bytes of a-z, 0-9 and -",
            Error::Unit => c"the unit must be at most 16 bytes of UTF-8",
            Error::CustomKind => c"the custom body kind must be 1 to 32 bytes of a-z, 0-9, _ and -",
            Error::CustomData => c"the custom body data is longer than 3584 bytes",
            Error::ReportLength => c"not the length of a signed report",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

/// The panic handler of a bare-metal static library (feature `panic-handler`,
/// without `std`): halt. Nothing in this crate panics on any input; this only
/// satisfies the linker. A watchdog resets a halted device.
#[cfg(all(feature = "panic-handler", not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
