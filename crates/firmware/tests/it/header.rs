//! `include/plinth.h` is kept by hand: this test holds it to the library. Every
//! `extern "C"` function of `src/ffi.rs` is declared with the same name, the
//! same parameters (C types of the Rust ones, same names, same order) and the
//! same return type, and nothing else is declared; every `#define` of a limit
//! or error code has the library's value.

use plinth_firmware::{
    Error, DEVICE_ID_LEN, MAX_CUSTOM_BYTES, MAX_CUSTOM_KIND_LEN, MAX_NETWORK_LEN, MAX_REPORT_BYTES,
    MAX_UNIT_LEN, SIGNATURE_LEN,
};
use std::collections::BTreeMap;

const HEADER: &str = include_str!("../../include/plinth.h");
const FFI: &str = include_str!("../../src/ffi.rs");

/// A function: its return type and its (type, name) parameters, C spelling.
type Signature = (String, Vec<(String, String)>);

fn c_type(rust: &str) -> String {
    match rust {
        "*const u8" => "const uint8_t *",
        "*mut u8" => "uint8_t *",
        "*const c_char" => "const char *",
        "*mut c_char" => "char *",
        "u64" => "uint64_t",
        "i64" => "int64_t",
        "i32" => "int32_t",
        "usize" => "size_t",
        other => panic!("no C type for the Rust type `{other}` in src/ffi.rs"),
    }
    .to_string()
}

/// Collapses whitespace and puts one space after a `*`.
fn normal(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" *", "*")
        .replace('*', " *")
        .replace("* ", "*")
        .replace('*', "* ")
        .trim()
        .to_string()
}

fn rust_exports() -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    let mut rest = FFI;
    let mut no_mangle = FFI.matches("#[no_mangle]").count();
    while let Some(i) = rest.find("extern \"C\" fn ") {
        let tail = &rest[i + "extern \"C\" fn ".len()..];
        let decl = &tail[..tail.find('{').expect("a body")];
        let (name, after) = decl.split_once('(').unwrap();
        let close = after.rfind(')').unwrap();
        let params = after[..close]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, t) = p.split_once(':').unwrap();
                (normal(&c_type(t.trim())), n.trim().to_string())
            })
            .collect();
        let ret = after[close + 1..]
            .trim()
            .strip_prefix("->")
            .expect("every export returns a value")
            .trim();
        out.insert(name.trim().to_string(), (normal(&c_type(ret)), params));
        no_mangle -= 1;
        rest = tail;
    }
    assert_eq!(
        no_mangle, 0,
        "a #[no_mangle] item that is not an extern \"C\" fn"
    );
    out
}

fn header_declarations() -> BTreeMap<String, Signature> {
    // Comments out, then one declaration per `;`.
    let mut text = String::new();
    let mut rest = HEADER;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").unwrap() + 2..];
    }
    text.push_str(rest);
    // Preprocessor lines and C++'s `extern "C" { … }` out.
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| !matches!(l.trim(), "extern \"C\" {" | "}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = BTreeMap::new();
    for decl in code.split(';').map(str::trim).filter(|d| d.contains('(')) {
        let (head, params) = decl.split_once('(').unwrap();
        let name_at = head.rfind([' ', '*']).unwrap() + 1;
        let (ret, name) = head.split_at(name_at);
        let params = params
            .trim_end_matches(')')
            .split(',')
            .map(|p| {
                let p = p.trim();
                let at = p.rfind([' ', '*']).unwrap() + 1;
                (normal(&p[..at]), p[at..].to_string())
            })
            .collect();
        out.insert(name.to_string(), (normal(ret), params));
    }
    out
}

#[test]
fn the_header_declares_every_export_with_its_signature() {
    let rust = rust_exports();
    let c = header_declarations();
    assert!(rust.len() >= 10, "found only {rust:?} in src/ffi.rs");
    for (name, sig) in &rust {
        assert_eq!(
            c.get(name),
            Some(sig),
            "include/plinth.h must declare `{name}` as in src/ffi.rs"
        );
    }
    for name in c.keys() {
        assert!(
            rust.contains_key(name),
            "include/plinth.h declares `{name}`, which the library does not export"
        );
    }
}

fn define(name: &str) -> i64 {
    HEADER
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("#define") && w.next() == Some(name))
                .then(|| w.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("include/plinth.h has no #define {name}"))
}

#[test]
fn the_headers_limits_and_error_codes_are_the_librarys() {
    for (name, value) in [
        ("PLINTH_MAX_REPORT_BYTES", MAX_REPORT_BYTES),
        ("PLINTH_SIGNATURE_LEN", SIGNATURE_LEN),
        ("PLINTH_MAX_NETWORK_LEN", MAX_NETWORK_LEN),
        ("PLINTH_MAX_UNIT_LEN", MAX_UNIT_LEN),
        ("PLINTH_MAX_CUSTOM_KIND_LEN", MAX_CUSTOM_KIND_LEN),
        ("PLINTH_MAX_CUSTOM_BYTES", MAX_CUSTOM_BYTES),
        ("PLINTH_DEVICE_ID_LEN", DEVICE_ID_LEN),
    ] {
        assert_eq!(define(name), value as i64, "{name}");
    }
    let codes = [
        ("PLINTH_ERR_NULL", Error::NullPointer),
        ("PLINTH_ERR_BUFFER_TOO_SMALL", Error::BufferTooSmall),
        ("PLINTH_ERR_NETWORK", Error::Network),
        ("PLINTH_ERR_UNIT", Error::Unit),
        ("PLINTH_ERR_CUSTOM_KIND", Error::CustomKind),
        ("PLINTH_ERR_CUSTOM_DATA", Error::CustomData),
        ("PLINTH_ERR_REPORT_LENGTH", Error::ReportLength),
    ];
    for (name, e) in codes {
        assert_eq!(define(name), i64::from(e.code()), "{name}");
    }
    // Every error the library has is in the header.
    let mut code = -1;
    while let Some(e) = Error::from_code(code) {
        assert!(
            codes.iter().any(|(_, c)| *c == e),
            "{e:?} has no PLINTH_ERR_ define"
        );
        code -= 1;
    }
    assert_eq!(
        HEADER.matches("#define PLINTH_ERR_").count(),
        codes.len(),
        "a PLINTH_ERR_ define the library does not have"
    );
}
