//! The C functions, called through their C ABI: every vector, every error code,
//! every pointer that may be NULL, names without their NUL.

use crate::vectors::committed;
use plinth_firmware::ffi::*;
use plinth_firmware::{Error, MAX_CUSTOM_BYTES, MAX_REPORT_BYTES};
use plinth_proofs::ReportBody;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

const ERR_NULL: i32 = Error::NullPointer.code();

/// Calls the C function of `body`'s kind with the vector's fields.
fn c_report(
    seed: &[u8; 32],
    r: &plinth_proofs::Report,
    network: *const c_char,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    let (chain, e, t, s) = (r.chain.0.as_ptr(), r.epoch, r.timestamp_ms, r.seq);
    let seed = seed.as_ptr();
    // SAFETY: every pointer is NULL or valid for what the function reads or writes.
    unsafe {
        match &r.body {
            ReportBody::Heartbeat => {
                plinth_report_heartbeat(seed, chain, network, e, t, s, out, out_len)
            }
            ReportBody::ProbeAnswer { challenge } => plinth_report_probe_answer(
                seed,
                chain,
                network,
                e,
                t,
                s,
                challenge.0.as_ptr(),
                out,
                out_len,
            ),
            ReportBody::Reading { value_milli, unit } => {
                let unit = CString::new(unit.as_str()).unwrap();
                plinth_report_reading(
                    seed,
                    chain,
                    network,
                    e,
                    t,
                    s,
                    *value_milli,
                    unit.as_ptr(),
                    out,
                    out_len,
                )
            }
            ReportBody::Beacon {
                round,
                draw,
                tx_power_centi_dbm,
            } => plinth_report_beacon(
                seed,
                chain,
                network,
                e,
                t,
                s,
                *round,
                draw.0.as_ptr(),
                *tx_power_centi_dbm,
                out,
                out_len,
            ),
            ReportBody::Witness {
                beacon,
                rssi_centi_dbm,
                snr_centi_db,
                frequency_hz,
                received_ms,
            } => plinth_report_witness(
                seed,
                chain,
                network,
                e,
                t,
                s,
                beacon.0.as_ptr(),
                *rssi_centi_dbm,
                *snr_centi_db,
                *frequency_hz,
                *received_ms,
                out,
                out_len,
            ),
            ReportBody::Custom { kind, data } => {
                let kind = CString::new(kind.as_str()).unwrap();
                // An empty body is passed as NULL, which the API allows.
                let data_ptr = if data.is_empty() {
                    null()
                } else {
                    data.as_ptr()
                };
                plinth_report_custom(
                    seed,
                    chain,
                    network,
                    e,
                    t,
                    s,
                    kind.as_ptr(),
                    data_ptr,
                    data.len(),
                    out,
                    out_len,
                )
            }
        }
    }
}

#[test]
fn the_c_functions_reproduce_every_vector() {
    for v in committed().vectors {
        let network = CString::new(v.report.network.as_str()).unwrap();
        let mut out = vec![0u8; MAX_REPORT_BYTES];
        let n = c_report(
            &v.seed(),
            &v.report,
            network.as_ptr(),
            out.as_mut_ptr(),
            out.len(),
        );
        assert!(n > 0, "{}: {n}", v.name);
        let n = n as usize;
        assert_eq!(hex::encode(&out[..n]), v.signed_report, "{}", v.name);
        // The buffer may be the exact length; one byte less is refused,
        // untouched; a length past any real buffer is only an upper bound.
        let mut exact = vec![0u8; n];
        assert_eq!(
            c_report(
                &v.seed(),
                &v.report,
                network.as_ptr(),
                exact.as_mut_ptr(),
                n
            ),
            n as i32
        );
        assert_eq!(exact, out[..n]);
        let mut short = vec![0x55u8; n - 1];
        assert_eq!(
            c_report(
                &v.seed(),
                &v.report,
                network.as_ptr(),
                short.as_mut_ptr(),
                n - 1
            ),
            Error::BufferTooSmall.code()
        );
        assert!(short.iter().all(|b| *b == 0x55));
        let mut big = vec![0u8; MAX_REPORT_BYTES];
        assert_eq!(
            c_report(
                &v.seed(),
                &v.report,
                network.as_ptr(),
                big.as_mut_ptr(),
                usize::MAX
            ),
            n as i32
        );
        // NULL seed, chain, network and output.
        assert_eq!(
            c_report(&v.seed(), &v.report, null(), out.as_mut_ptr(), out.len()),
            ERR_NULL
        );
        assert_eq!(
            c_report(
                &v.seed(),
                &v.report,
                network.as_ptr(),
                null_mut(),
                out.len()
            ),
            ERR_NULL
        );
        let mut hash = [0u8; 32];
        // SAFETY: valid pointers and lengths.
        assert_eq!(
            unsafe { plinth_report_hash(out.as_ptr(), n, hash.as_mut_ptr()) },
            32
        );
        assert_eq!(hex::encode(hash), v.hash);
        let mut key = [0u8; 32];
        // SAFETY: valid pointers.
        assert_eq!(
            unsafe { plinth_public_key(v.seed().as_ptr(), key.as_mut_ptr()) },
            32
        );
        assert_eq!(hex::encode(key), v.public_key);
        let mut id = [0 as c_char; 64];
        // SAFETY: valid pointers, 64 bytes.
        assert_eq!(
            unsafe { plinth_device_id(v.seed().as_ptr(), id.as_mut_ptr(), 64) },
            63
        );
        // SAFETY: NUL-terminated by the call.
        let id = unsafe { CStr::from_ptr(id.as_ptr()) };
        assert_eq!(id.to_str().unwrap(), v.report.device.to_string());
    }
}

fn heartbeat(seed: *const u8, chain: *const u8, network: *const c_char, out: &mut [u8]) -> i32 {
    // SAFETY: the pointers are NULL or valid; `out` is as long as said.
    unsafe { plinth_report_heartbeat(seed, chain, network, 1, 2, 3, out.as_mut_ptr(), out.len()) }
}

#[test]
fn null_pointers_are_refused() {
    let (seed, chain) = ([1u8; 32], [2u8; 32]);
    let mut out = [0u8; 512];
    assert!(
        heartbeat(
            seed.as_ptr(),
            chain.as_ptr(),
            c"backhaul".as_ptr(),
            &mut out
        ) > 0
    );
    assert_eq!(
        heartbeat(null(), chain.as_ptr(), c"backhaul".as_ptr(), &mut out),
        ERR_NULL
    );
    assert_eq!(
        heartbeat(seed.as_ptr(), null(), c"backhaul".as_ptr(), &mut out),
        ERR_NULL
    );
    let (s, c, n, o) = (
        seed.as_ptr(),
        chain.as_ptr(),
        c"x".as_ptr(),
        out.as_mut_ptr(),
    );
    // SAFETY: each call has one NULL where a pointer is needed, the rest valid.
    unsafe {
        assert_eq!(
            plinth_report_probe_answer(s, c, n, 1, 2, 3, null(), o, 512),
            ERR_NULL
        );
        assert_eq!(
            plinth_report_reading(s, c, n, 1, 2, 3, 5, null(), o, 512),
            ERR_NULL
        );
        assert_eq!(
            plinth_report_beacon(s, c, n, 1, 2, 3, 4, null(), 5, o, 512),
            ERR_NULL
        );
        assert_eq!(
            plinth_report_witness(s, c, n, 1, 2, 3, null(), 1, 2, 3, 4, o, 512),
            ERR_NULL
        );
        assert_eq!(
            plinth_report_custom(s, c, n, 1, 2, 3, null(), [1u8].as_ptr(), 1, o, 512),
            ERR_NULL
        );
        let kind = c"trip".as_ptr();
        assert_eq!(
            plinth_report_custom(s, c, n, 1, 2, 3, kind, null(), 1, o, 512),
            ERR_NULL
        );
        assert!(plinth_report_custom(s, c, n, 1, 2, 3, kind, null(), 0, o, 512) > 0);
        assert_eq!(plinth_public_key(null(), o), ERR_NULL);
        assert_eq!(plinth_public_key(s, null_mut()), ERR_NULL);
        assert_eq!(plinth_device_id(null(), o.cast(), 64), ERR_NULL);
        assert_eq!(plinth_device_id(s, null_mut(), 64), ERR_NULL);
        assert_eq!(plinth_report_hash(null(), 200, o), ERR_NULL);
        assert_eq!(plinth_report_hash(o, 200, null_mut()), ERR_NULL);
    }
}

#[test]
fn names_are_checked_and_read_no_further_than_their_limit() {
    let (seed, chain) = ([1u8; 32], [2u8; 32]);
    let (s, c) = (seed.as_ptr(), chain.as_ptr());
    let mut out = [0u8; MAX_REPORT_BYTES];
    let o = out.as_mut_ptr();
    // 33 bytes and no NUL: refused after reading exactly those 33 bytes.
    let unterminated = [b'a'; 33];
    assert_eq!(
        heartbeat(s, c, unterminated.as_ptr().cast(), &mut out),
        Error::Network.code()
    );
    for bad in [
        c"",
        c"Weather",
        c"a b",
        c"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert_eq!(
            heartbeat(s, c, bad.as_ptr(), &mut out),
            Error::Network.code(),
            "{bad:?}"
        );
    }
    assert!(heartbeat(s, c, c"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".as_ptr(), &mut out) > 0);
    let n = c"weather".as_ptr();
    let unit_unterminated = [b'u'; 17];
    // SAFETY: valid pointers; the unterminated unit is 17 readable bytes.
    unsafe {
        assert_eq!(
            plinth_report_reading(
                s,
                c,
                n,
                1,
                2,
                3,
                5,
                unit_unterminated.as_ptr().cast(),
                o,
                4096
            ),
            Error::Unit.code()
        );
        // Not UTF-8.
        let latin1 = [b'c', 0xE9, 0];
        assert_eq!(
            plinth_report_reading(s, c, n, 1, 2, 3, 5, latin1.as_ptr().cast(), o, 4096),
            Error::Unit.code()
        );
        assert!(plinth_report_reading(s, c, n, 1, 2, 3, 5, c"".as_ptr(), o, 4096) > 0);
        assert!(plinth_report_reading(s, c, n, 1, 2, 3, 5, c"µg/m³".as_ptr(), o, 4096) > 0);
        let kind_unterminated = [b'k'; 33];
        let d = [0u8; 4];
        for kind in [
            kind_unterminated.as_ptr().cast(),
            c"".as_ptr(),
            c"Trip".as_ptr(),
        ] {
            assert_eq!(
                plinth_report_custom(s, c, n, 1, 2, 3, kind, d.as_ptr(), 4, o, 4096),
                Error::CustomKind.code()
            );
        }
        // The data's length is refused before the pointer is read: the 4-byte
        // buffer is never read as 3,585 bytes.
        assert_eq!(
            plinth_report_custom(
                s,
                c,
                n,
                1,
                2,
                3,
                c"trip".as_ptr(),
                d.as_ptr(),
                MAX_CUSTOM_BYTES + 1,
                o,
                4096
            ),
            Error::CustomData.code()
        );
    }
}

#[test]
fn device_id_needs_room_for_its_nul_and_hash_a_reports_length() {
    let seed = [1u8; 32];
    let mut id = [0x7f as c_char; 64];
    let mut out = [0u8; 32];
    // SAFETY: valid pointers, lengths no longer than the buffers.
    unsafe {
        assert_eq!(
            plinth_device_id(seed.as_ptr(), id.as_mut_ptr(), 63),
            Error::BufferTooSmall.code()
        );
        assert!(id.iter().all(|c| *c == 0x7f), "nothing written");
        let report = [0u8; MAX_REPORT_BYTES + 1];
        assert_eq!(
            plinth_report_hash(report.as_ptr(), MAX_REPORT_BYTES + 1, out.as_mut_ptr()),
            Error::ReportLength.code()
        );
        assert_eq!(
            plinth_report_hash(report.as_ptr(), 10, out.as_mut_ptr()),
            Error::ReportLength.code()
        );
    }
}

#[test]
fn every_code_has_its_message() {
    let message = |code| {
        // SAFETY: the function returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(plinth_error_message(code)) }
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(message(0), "ok");
    assert_eq!(message(187), "ok");
    assert_eq!(message(-99), "unknown error");
    let mut seen = std::collections::BTreeSet::new();
    for code in -7..=-1 {
        let e = Error::from_code(code).unwrap();
        assert_eq!(e.code(), code);
        assert_eq!(message(code), e.message());
        assert!(seen.insert(message(code)), "two codes share a message");
    }
    assert_eq!(Error::from_code(-8), None);
}

#[test]
fn chain_identity_and_epoch_are_the_chains() {
    let genesis = plinth_core::Hash::of(b"a genesis");
    let mut out = [0u8; 32];
    // SAFETY: valid pointers.
    assert_eq!(
        unsafe { plinth_chain_identity(genesis.0.as_ptr(), out.as_mut_ptr()) },
        32
    );
    assert_eq!(out, plinth_core::chain_identity(&genesis).0);
    // SAFETY: NULL where a pointer is needed, the other valid.
    unsafe {
        assert_eq!(plinth_chain_identity(null(), out.as_mut_ptr()), ERR_NULL);
        assert_eq!(
            plinth_chain_identity(genesis.0.as_ptr(), null_mut()),
            ERR_NULL
        );
    }
    for (g, e, t) in [
        (1_000, 60_000, 999),
        (1_000, 60_000, 1_000),
        (1_000, 60_000, 60_999),
        (1_000, 60_000, 61_000),
        (1_000, 0, 5_000_000),
        (0, 1, u64::MAX),
        (u64::MAX, 7, 3),
    ] {
        let clock = plinth_core::epoch::EpochClock::new(g, e);
        assert_eq!(plinth_epoch_of(g, e, t), clock.epoch_of(t), "{g} {e} {t}");
    }
}
