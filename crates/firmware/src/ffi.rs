//! The C API: `include/plinth.h` declares every function here, with the same
//! signature (a test compares the two).
//!
//! Each report function takes the device's 32-byte seed, the header fields, the
//! body's fields and an output buffer, and returns the number of bytes written
//! (the signed report) or a negative error code (`PLINTH_ERR_*`, [`Error`]):
//!
//! - fixed-size inputs (`seed`, `chain`, `challenge`, `draw`, `beacon`) are
//!   pointers to 32 bytes;
//! - names (`network`, `unit`, `kind`) are NUL-terminated; at most their limit
//!   plus one bytes are read looking for the NUL, so an unterminated name is
//!   refused, never read past;
//! - `data` is a pointer and a length (NULL is fine when the length is 0);
//! - `out` must not overlap any input; nothing is written to it on an error, and
//!   never more than [`MAX_REPORT_BYTES`] bytes.
//!
//! These are the only `unsafe` lines of the crate: each turns a pointer into a
//! slice after checking it is not NULL and bounding its length.

use crate::{
    chain_identity, epoch_of, report_hash, sign_report, Body, DeviceKey, Error, Header,
    DEVICE_ID_LEN, MAX_CUSTOM_BYTES, MAX_CUSTOM_KIND_LEN, MAX_NETWORK_LEN, MAX_REPORT_BYTES,
    MAX_UNIT_LEN,
};
use core::ffi::c_char;

/// Reads 32 bytes at `p`.
///
/// # Safety
/// `p` is NULL or points to 32 readable bytes.
unsafe fn bytes32(p: *const u8) -> Result<[u8; 32], Error> {
    if p.is_null() {
        return Err(Error::NullPointer);
    }
    let mut out = [0u8; 32];
    core::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), 32);
    Ok(out)
}

/// The bytes of the NUL-terminated string at `p`, reading at most `max + 1`
/// bytes; `too_long` when there is no NUL within them.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string, or to at least `max + 1`
/// readable bytes.
unsafe fn c_name<'a>(p: *const c_char, max: usize, too_long: Error) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::NullPointer);
    }
    let p = p.cast::<u8>();
    for len in 0..=max {
        if *p.add(len) == 0 {
            let bytes = core::slice::from_raw_parts(p, len);
            return core::str::from_utf8(bytes).map_err(|_| too_long);
        }
    }
    Err(too_long)
}

/// The caller's output buffer, at most [`MAX_REPORT_BYTES`] of it.
///
/// # Safety
/// `out` is NULL or points to `out_len` writable bytes that nothing else refers to.
unsafe fn out_buf<'a>(out: *mut u8, out_len: usize) -> Result<&'a mut [u8], Error> {
    if out.is_null() {
        return Err(Error::NullPointer);
    }
    Ok(core::slice::from_raw_parts_mut(
        out,
        out_len.min(MAX_REPORT_BYTES),
    ))
}

/// The header fields every report function takes, read and checked.
///
/// # Safety
/// As for the report functions.
unsafe fn header<'a>(
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
) -> Result<Header<'a>, Error> {
    Ok(Header {
        chain: bytes32(chain)?,
        network: c_name(network, MAX_NETWORK_LEN, Error::Network)?,
        epoch,
        timestamp_ms,
        seq,
    })
}

/// Signs and writes a report; the length or the error's code.
///
/// # Safety
/// As for the report functions.
#[allow(clippy::too_many_arguments)]
unsafe fn report(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    body: Result<Body<'_>, Error>,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let signed = (|| {
        let seed = bytes32(seed)?;
        let header = header(chain, network, epoch, timestamp_ms, seq)?;
        let body = body?;
        let out = out_buf(out, out_len)?;
        sign_report(&DeviceKey::from_seed(&seed), &header, &body, out)
    })();
    match signed {
        // At most MAX_REPORT_BYTES (4096): fits an i32.
        Ok(n) => n as i32,
        Err(e) => e.code(),
    }
}

/// Writes the device's 32-byte public key to `out`; returns 32, or
/// `PLINTH_ERR_NULL`.
///
/// # Safety
/// `seed` points to 32 readable bytes, `out` to 32 writable ones.
#[no_mangle]
pub unsafe extern "C" fn plinth_public_key(seed: *const u8, out: *mut u8) -> i32 {
    let key = match bytes32(seed) {
        Ok(seed) => DeviceKey::from_seed(&seed).public_key(),
        Err(e) => return e.code(),
    };
    if out.is_null() {
        return Error::NullPointer.code();
    }
    core::ptr::copy_nonoverlapping(key.as_ptr(), out, 32);
    32
}

/// Writes the device id (`pdev1…`, 63 characters) and a NUL to `out`; returns
/// 63, `PLINTH_ERR_NULL` or `PLINTH_ERR_BUFFER_TOO_SMALL` (`out_len` under 64).
/// The id names the device's MQTT topic, `plinth/reports/<device id>`.
///
/// # Safety
/// `seed` points to 32 readable bytes, `out` to `out_len` writable ones.
#[no_mangle]
pub unsafe extern "C" fn plinth_device_id(
    seed: *const u8,
    out: *mut c_char,
    out_len: usize,
) -> i32 {
    let id = match bytes32(seed) {
        Ok(seed) => DeviceKey::from_seed(&seed).device_id(),
        Err(e) => return e.code(),
    };
    if out.is_null() {
        return Error::NullPointer.code();
    }
    if out_len < DEVICE_ID_LEN + 1 {
        return Error::BufferTooSmall.code();
    }
    let out = out.cast::<u8>();
    core::ptr::copy_nonoverlapping(id.as_bytes().as_ptr(), out, DEVICE_ID_LEN);
    *out.add(DEVICE_ID_LEN) = 0;
    DEVICE_ID_LEN as i32
}

/// A heartbeat ("I am up"); the signed report's length, or a negative error code.
///
/// # Safety
/// `seed` and `chain` point to 32 readable bytes, `network` to a NUL-terminated
/// string, `out` to `out_len` writable bytes overlapping no input.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_heartbeat(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        Ok(Body::Heartbeat),
        out,
        out_len,
    )
}

/// The answer to a probe: `challenge`, 32 bytes, as the oracle issued it.
///
/// # Safety
/// As [`plinth_report_heartbeat`]; `challenge` points to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_probe_answer(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    challenge: *const u8,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let body = bytes32(challenge).map(|challenge| Body::ProbeAnswer { challenge });
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        body,
        out,
        out_len,
    )
}

/// A sensor reading: `value_milli` thousandths of `unit` (NUL-terminated, at
/// most 16 bytes of UTF-8).
///
/// # Safety
/// As [`plinth_report_heartbeat`]; `unit` points to a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_reading(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    value_milli: i64,
    unit: *const c_char,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let body =
        c_name(unit, MAX_UNIT_LEN, Error::Unit).map(|unit| Body::Reading { value_milli, unit });
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        body,
        out,
        out_len,
    )
}

/// A coverage beacon for `round`, naming the round's `draw` (32 bytes); the
/// beacon's id to transmit is `plinth_report_hash` of the result.
///
/// # Safety
/// As [`plinth_report_heartbeat`]; `draw` points to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_beacon(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    round: u64,
    draw: *const u8,
    tx_power_centi_dbm: i32,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let body = bytes32(draw).map(|draw| Body::Beacon {
        round,
        draw,
        tx_power_centi_dbm,
    });
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        body,
        out,
        out_len,
    )
}

/// A witness of the beacon whose id (32 bytes, as received) is `beacon`.
///
/// # Safety
/// As [`plinth_report_heartbeat`]; `beacon` points to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_witness(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    beacon: *const u8,
    rssi_centi_dbm: i32,
    snr_centi_db: i32,
    frequency_hz: u64,
    received_ms: u64,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let body = bytes32(beacon).map(|beacon| Body::Witness {
        beacon,
        rssi_centi_dbm,
        snr_centi_db,
        frequency_hz,
        received_ms,
    });
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        body,
        out,
        out_len,
    )
}

/// A custom body: `kind` (NUL-terminated, `[a-z0-9_-]{1,32}`) and `data_len`
/// bytes of `data` (at most 3584; `data` may be NULL when `data_len` is 0).
///
/// # Safety
/// As [`plinth_report_heartbeat`]; `kind` points to a NUL-terminated string,
/// `data` to `data_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_custom(
    seed: *const u8,
    chain: *const u8,
    network: *const c_char,
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    kind: *const c_char,
    data: *const u8,
    data_len: usize,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let body = (|| {
        let kind = c_name(kind, MAX_CUSTOM_KIND_LEN, Error::CustomKind)?;
        // The length is bounded before the slice is made.
        let data: &[u8] = match (data.is_null(), data_len) {
            (_, 0) => &[],
            (true, _) => return Err(Error::NullPointer),
            (false, n) if n > MAX_CUSTOM_BYTES => return Err(Error::CustomData),
            (false, n) => core::slice::from_raw_parts(data, n),
        };
        Ok(Body::Custom { kind, data })
    })();
    report(
        seed,
        chain,
        network,
        epoch,
        timestamp_ms,
        seq,
        body,
        out,
        out_len,
    )
}

/// Writes the 32-byte id of the signed report `report` (`report_len` bytes) to
/// `out`: what the oracle's verdict names, and a beacon's over-the-air payload.
/// Returns 32, `PLINTH_ERR_NULL` or `PLINTH_ERR_REPORT_LENGTH`.
///
/// # Safety
/// `report` points to `report_len` readable bytes, `out` to 32 writable ones.
#[no_mangle]
pub unsafe extern "C" fn plinth_report_hash(
    report: *const u8,
    report_len: usize,
    out: *mut u8,
) -> i32 {
    if report.is_null() || out.is_null() {
        return Error::NullPointer.code();
    }
    if report_len > MAX_REPORT_BYTES {
        return Error::ReportLength.code();
    }
    match report_hash(core::slice::from_raw_parts(report, report_len)) {
        Ok(h) => {
            core::ptr::copy_nonoverlapping(h.as_ptr(), out, 32);
            32
        }
        Err(e) => e.code(),
    }
}

/// Writes the chain identity of the chain whose genesis hash (32 bytes, the
/// node's `/v1/status` `genesis_hash`) is `genesis_hash` to `out`: the `chain`
/// every report names. Returns 32 or `PLINTH_ERR_NULL`.
///
/// # Safety
/// `genesis_hash` points to 32 readable bytes, `out` to 32 writable ones.
#[no_mangle]
pub unsafe extern "C" fn plinth_chain_identity(genesis_hash: *const u8, out: *mut u8) -> i32 {
    let chain = match bytes32(genesis_hash) {
        Ok(g) => chain_identity(&g),
        Err(e) => return e.code(),
    };
    if out.is_null() {
        return Error::NullPointer.code();
    }
    core::ptr::copy_nonoverlapping(chain.as_ptr(), out, 32);
    32
}

/// The reward epoch of `timestamp_ms` (the `epoch` a report made then must
/// name), from the node's `/v1/status` `genesis_time_ms` and `epoch_ms`.
#[no_mangle]
pub extern "C" fn plinth_epoch_of(genesis_time_ms: u64, epoch_ms: u64, timestamp_ms: u64) -> u64 {
    epoch_of(genesis_time_ms, epoch_ms, timestamp_ms)
}

/// A short English description of a return code of this API (a static,
/// NUL-terminated string; `"ok"` for lengths, `"unknown error"` for codes this
/// version does not know).
#[no_mangle]
pub extern "C" fn plinth_error_message(code: i32) -> *const c_char {
    let text = match Error::from_code(code) {
        _ if code >= 0 => c"ok",
        Some(e) => e.c_message(),
        None => c"unknown error",
    };
    text.as_ptr()
}
