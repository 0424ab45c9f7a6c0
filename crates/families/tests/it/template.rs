//! The template family through the runtime (it imports nothing, so
//! `plinth-wasm` runs it directly): scores, the cap, each rejection code, and
//! parameter errors.

use plinth_families::template::TEMPLATE;
use plinth_wasm::{Limits, Module, WasmError};

const START: u64 = 1_000_000;
const END: u64 = START + 3_600_000;

fn module() -> Module {
    Module::new(
        TEMPLATE.bytes,
        Limits {
            max_memory_bytes: 1 << 31,
            max_output_bytes: 256 << 20,
            max_input_bytes: 1 << 30,
            ..Limits::default()
        },
    )
    .unwrap()
}

/// A report body, borsh-encoded by hand (ABI.md): variant, then fields.
enum Body {
    Heartbeat,
    Custom(&'static str),
    Reading,
}

struct Input {
    params: String,
    devices: Vec<([u8; 32], bool)>,
    reports: Vec<([u8; 32], [u8; 32], u64, Body)>,
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend((b.len() as u32).to_le_bytes());
    out.extend(b);
}

impl Input {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(1u32.to_le_bytes());
        put_bytes(&mut out, b"beats");
        out.extend(7u64.to_le_bytes());
        out.extend(START.to_le_bytes());
        out.extend(END.to_le_bytes());
        put_bytes(&mut out, self.params.as_bytes());
        put_bytes(&mut out, b"");
        out.extend((self.devices.len() as u32).to_le_bytes());
        for (id, active) in &self.devices {
            out.extend(id);
            out.extend([9u8; 32]);
            out.extend(0x0872_8300_0000_0000u64.to_le_bytes());
            out.push(u8::from(*active));
        }
        out.extend((self.reports.len() as u32).to_le_bytes());
        for (seq, (hash, device, ts, body)) in self.reports.iter().enumerate() {
            out.extend(hash);
            out.extend(device);
            out.extend(7u64.to_le_bytes());
            out.extend(ts.to_le_bytes());
            out.extend((seq as u64).to_le_bytes());
            match body {
                Body::Heartbeat => out.push(0),
                Body::Reading => {
                    out.push(2);
                    out.extend(20_000i64.to_le_bytes());
                    put_bytes(&mut out, b"celsius");
                }
                Body::Custom(kind) => {
                    out.push(5);
                    put_bytes(&mut out, kind.as_bytes());
                    put_bytes(&mut out, b"\x01\x02");
                }
            }
        }
        out.extend(0u32.to_le_bytes());
        out
    }
}

/// Scores and (report hash, code) rejections, decoded from the output.
type Decoded = (Vec<([u8; 32], u64)>, Vec<([u8; 32], String)>);

fn decode(out: &[u8]) -> Decoded {
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &out[at..at + n];
        at += n;
        s.to_vec()
    };
    let u32_of = |b: Vec<u8>| u32::from_le_bytes(b.try_into().unwrap());
    assert_eq!(u32_of(take(4)), 1);
    let scores = (0..u32_of(take(4)))
        .map(|_| {
            let id: [u8; 32] = take(32).try_into().unwrap();
            (id, u64::from_le_bytes(take(8).try_into().unwrap()))
        })
        .collect();
    let rejections = (0..u32_of(take(4)))
        .map(|_| {
            let report: [u8; 32] = take(32).try_into().unwrap();
            let n = u32_of(take(4)) as usize;
            let code = String::from_utf8(take(n)).unwrap();
            let n = u32_of(take(4)) as usize;
            std::str::from_utf8(&take(n)).unwrap();
            (report, code)
        })
        .collect();
    assert_eq!(u32_of(take(4)), 0, "no state");
    assert_eq!(at, out.len(), "trailing bytes");
    (scores, rejections)
}

fn run(input: &Input) -> Result<Decoded, WasmError> {
    module()
        .call("plinth_score", &input.encode(), 1, 1_000_000_000)
        .map(|o| decode(&o.output))
}

fn id(i: u8) -> [u8; 32] {
    [i; 32]
}

fn hash(i: u8) -> [u8; 32] {
    let mut h = [0xEE; 32];
    h[0] = i;
    h
}

#[test]
fn heartbeats_count_up_to_the_cap_and_the_rest_is_rejected_by_code() {
    let devices = vec![(id(1), true), (id(2), true), (id(3), false), (id(5), true)];
    let mut reports = Vec::new();
    // 1: five heartbeats in the window, cap 4 → 1.0.
    for k in 0..5 {
        reports.push((hash(10 + k), id(1), START + u64::from(k), Body::Heartbeat));
    }
    // 2: one in the window, one on each edge, one reading.
    reports.push((hash(20), id(2), START, Body::Heartbeat));
    reports.push((hash(21), id(2), START - 1, Body::Heartbeat));
    reports.push((hash(22), id(2), END, Body::Heartbeat));
    reports.push((hash(23), id(2), END - 1, Body::Reading));
    // 3: inactive; 4: unknown.
    reports.push((hash(30), id(3), START, Body::Heartbeat));
    reports.push((hash(40), id(4), START, Body::Heartbeat));
    let input = Input {
        params: r#"{"max_per_device":4}"#.into(),
        devices,
        reports,
    };
    let (scores, rejections) = run(&input).unwrap();
    assert_eq!(scores, vec![(id(1), 1_000_000), (id(2), 250_000)]);
    let want = [
        (hash(21), "outside_epoch"),
        (hash(22), "outside_epoch"),
        (hash(23), "wrong_kind"),
        (hash(30), "inactive_device"),
        (hash(40), "unknown_device"),
    ];
    assert_eq!(
        rejections,
        want.map(|(h, c)| (h, c.to_string())).to_vec(),
        "in report order"
    );
}

#[test]
fn a_custom_kind_replaces_heartbeats_and_defaults_apply() {
    let input = Input {
        params: r#"{"kind":"ping","other":[1,{"x":"}"}]}"#.into(),
        devices: vec![(id(1), true)],
        reports: vec![
            (hash(1), id(1), START, Body::Custom("ping")),
            (hash(2), id(1), START, Body::Custom("pong")),
            (hash(3), id(1), START, Body::Heartbeat),
        ],
    };
    let (scores, rejections) = run(&input).unwrap();
    // One of the default 60.
    assert_eq!(scores, vec![(id(1), 1_000_000 / 60)]);
    assert_eq!(rejections.len(), 2);
    assert!(rejections.iter().all(|(_, c)| c == "wrong_kind"));
    // No params at all: the defaults.
    let input = Input {
        params: "{}".into(),
        devices: vec![(id(1), true)],
        reports: vec![(hash(1), id(1), START, Body::Heartbeat)],
    };
    assert_eq!(run(&input).unwrap().0, vec![(id(1), 1_000_000 / 60)]);
}

#[test]
fn bad_parameters_and_bad_input_fail_with_their_codes() {
    for params in [
        r#"{"max_per_device":0}"#,
        r#"{"max_per_device":1.5}"#,
        r#"{"max_per_device":"4"}"#,
        r#"{"kind":""}"#,
        r#"{"kind":7}"#,
        r#"[1]"#,
        r#"{"max_per_device":4"#,
    ] {
        let input = Input {
            params: params.into(),
            devices: vec![],
            reports: vec![],
        };
        assert_eq!(
            run(&input).unwrap_err(),
            WasmError::TaskFailed(2),
            "{params}"
        );
    }
    let mut bytes = Input {
        params: "{}".into(),
        devices: vec![(id(1), true)],
        reports: vec![],
    }
    .encode();
    bytes.push(0); // a trailing byte
    let m = module();
    assert_eq!(
        m.call("plinth_score", &bytes, 1, 1_000_000_000)
            .unwrap_err(),
        WasmError::TaskFailed(1)
    );
    bytes.pop();
    // Another ABI version.
    assert_eq!(
        m.call("plinth_score", &bytes, 2, 1_000_000_000)
            .unwrap_err(),
        WasmError::TaskFailed(1)
    );
    assert!(m.call("plinth_score", &bytes, 1, 1_000_000_000).is_ok());
}
