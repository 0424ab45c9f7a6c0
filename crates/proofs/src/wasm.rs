//! Custom proof families: a WebAssembly module scores a network's epoch (the
//! Plinth family ABI v1, `crates/families/ABI.md`).
//!
//! ```text
//!  network params { module, fuel, …own } ─▶ WasmFamilyParams
//!  module bytes (ledger, by hash) ─▶ load ─▶ plinth_wasm::Module (imports: HOST only)
//!  window, registry, reports, probes, state ─▶ encode_input ─▶ plinth_score ─▶ decode_output
//!                                                 │ fuel, memory, output checked
//!                                                 ▼
//!          WasmScored { output: FamilyOutput, state, awards, fuel_used }  or  WasmFamilyError
//! ```
//!
//! Everything is deterministic: the input bytes are canonical (sorted as the ABI
//! says), the runtime is `plinth-wasm`'s (fuel, deterministic NaNs, limits
//! [`LIMITS`]), the host functions ([`HOST`]) are pure, and the output is checked
//! and put in canonical order. So the oracle, its co-signers and `plinth oracle
//! audit` get the same [`FamilyOutput`] and state, or the same error. Any error
//! (out of fuel, a trap, a failure code, an output that breaks a rule) fails the
//! epoch: there is never a partial output.

use crate::report::ReportBody;
use crate::{DeviceInfo, EpochWindow, FamilyOutput, ProbeRecord, Rejected, ScoreRejection};
use crate::{FamilyError, SignedReport, MAX_PARAMS_BYTES};
use borsh::{BorshDeserialize, BorshSerialize};
use h3o::{CellIndex, LatLng, Resolution};
use plinth_core::{DeviceId, Hash};
use plinth_wasm::{HostFn, HostFunction, HostFunctions, Limits, Module, WasmError};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// The ABI version this host speaks (the input's and output's `abi`).
pub const ABI_VERSION: u32 = 1;
/// The output version with awards (ABI v1 input, output `abi` 2: v1's fields,
/// then `awards`).
pub const OUTPUT_WITH_AWARDS: u32 = 2;
/// The most awards one output may hold.
pub const MAX_AWARDS: usize = 1_000_000;
/// The most devices one award may name (the ledger's `MAX_AWARD_DEVICES`).
pub const MAX_AWARD_DEVICES: usize = 8;
/// The entry a family module exports: `plinth_score(ptr, len, abi) -> i64`.
pub const SCORE_ENTRY: &str = "plinth_score";
/// Fuel an epoch may burn when the network does not say.
pub const DEFAULT_FUEL: u64 = 50_000_000_000;
/// The most fuel a network may give an epoch.
pub const MAX_FUEL: u64 = 2_000_000_000_000;
/// The largest state a module may hand to the next epoch.
pub const MAX_STATE_BYTES: usize = 16 * 1024 * 1024;
/// The longest rejection code.
pub const MAX_CODE_LEN: usize = 32;
/// The longest rejection reason.
pub const MAX_REASON_LEN: usize = 256;

/// The limits every family module is loaded and run under (part of consensus:
/// every oracle and auditor uses these).
pub const LIMITS: Limits = Limits {
    max_module_bytes: 512 * 1024,
    max_memory_bytes: 2 * 1024 * 1024 * 1024,
    max_output_bytes: 256 * 1024 * 1024,
    max_input_bytes: 1024 * 1024 * 1024,
};

/// Fuel charged per host call (besides the call's instructions).
pub const HOST_CALL_FUEL: u64 = 1_000;
/// Fuel charged per signature check, besides [`HOST_CALL_FUEL`].
pub const VERIFY_FUEL: u64 = 20_000;

/// The functions a family module may import, from module `plinth` (see ABI.md).
pub const HOST: HostFunctions = HostFunctions {
    module: "plinth",
    functions: &[
        host("h3_resolution", HostFn::I64ToI32(h3_resolution)),
        host("h3_parent", HostFn::I64I32ToI64(h3_parent)),
        host("h3_center_child", HostFn::I64I32ToI64(h3_center_child)),
        host("h3_disk1", HostFn::I64Out56ToI32(h3_disk1)),
        host("h3_distance_m", HostFn::I64I64ToI64(h3_distance_m)),
        host("geo_distance_m", HostFn::I32x4ToI64(geo_distance_m)),
        host("geo_to_h3", HostFn::I32x3ToI64(geo_to_h3)),
        HostFunction {
            name: "ed25519_verify",
            fuel: HOST_CALL_FUEL + VERIFY_FUEL,
            func: HostFn::Verify(ed25519_verify),
        },
    ],
};

const fn host(name: &'static str, func: HostFn) -> HostFunction {
    HostFunction {
        name,
        fuel: HOST_CALL_FUEL,
        func,
    }
}

fn cell(c: i64) -> Option<CellIndex> {
    CellIndex::try_from(u64::try_from(c).ok()?).ok()
}

fn res(r: i32) -> Option<Resolution> {
    Resolution::try_from(u8::try_from(r).ok()?).ok()
}

fn h3_resolution(c: i64) -> i32 {
    cell(c).map_or(-1, |c| u8::from(c.resolution()) as i32)
}

fn h3_parent(c: i64, r: i32) -> i64 {
    (|| Some(u64::from(cell(c)?.parent(res(r)?)?) as i64))().unwrap_or(-1)
}

fn h3_center_child(c: i64, r: i32) -> i64 {
    (|| Some(u64::from(cell(c)?.center_child(res(r)?)?) as i64))().unwrap_or(-1)
}

fn h3_disk1(c: i64, out: &mut [u8; 56]) -> i32 {
    let Some(c) = cell(c) else { return -1 };
    let mut disk: Vec<u64> = c.grid_disk_safe(1).map(u64::from).collect();
    disk.sort_unstable();
    disk.truncate(7);
    for (i, d) in disk.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&d.to_le_bytes());
    }
    disk.len() as i32
}

fn h3_distance_m(a: i64, b: i64) -> i64 {
    match (cell(a), cell(b)) {
        (Some(a), Some(b)) => {
            crate::coverage::distance_m(a.into(), b.into()).map_or(-1, |d| d as i64)
        }
        _ => -1,
    }
}

fn latlng(lat: i32, lng: i32) -> Option<LatLng> {
    if lat.unsigned_abs() > 90_000_000 || lng.unsigned_abs() > 180_000_000 {
        return None;
    }
    LatLng::new(f64::from(lat) / 1e6, f64::from(lng) / 1e6).ok()
}

fn geo_distance_m(lat_a: i32, lng_a: i32, lat_b: i32, lng_b: i32) -> i64 {
    match (latlng(lat_a, lng_a), latlng(lat_b, lng_b)) {
        (Some(a), Some(b)) => crate::coverage::haversine_m(a, b) as i64,
        _ => -1,
    }
}

fn geo_to_h3(lat: i32, lng: i32, r: i32) -> i64 {
    match (latlng(lat, lng), res(r)) {
        (Some(p), Some(r)) => u64::from(p.to_cell(r)) as i64,
        _ => -1,
    }
}

fn ed25519_verify(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> i32 {
    let key = plinth_core::PublicKey(*key);
    key.verify(msg, &plinth_core::Signature(*sig)).is_ok() as i32
}

/// A `wasm` network's parameters: the module, the fuel, and the rest, which are
/// the family's own (passed to the module as canonical JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmFamilyParams {
    /// The module's hash on the ledger (`module`).
    pub module: Hash,
    /// Fuel for one epoch (`fuel`, default [`DEFAULT_FUEL`]).
    pub fuel: u64,
    /// The other keys, canonical JSON (sorted keys, no spaces).
    pub params: String,
}

/// The keys of a `wasm` network's parameters the host reads (and does not pass on).
pub const HOST_PARAMS: &[&str] = &["module", "fuel", "max_reports_per_epoch"];

impl WasmFamilyParams {
    /// Parses a `wasm` network's parameter object.
    pub fn from_json(text: &str) -> Result<WasmFamilyParams, FamilyError> {
        let bad = |reason: String| FamilyError::BadParams {
            family: "wasm".into(),
            reason,
        };
        if text.len() > MAX_PARAMS_BYTES {
            return Err(FamilyError::ParamsTooLarge {
                family: "wasm".into(),
                size: text.len(),
                limit: MAX_PARAMS_BYTES,
            });
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let serde_json::Value::Object(mut o) = v else {
            return Err(bad("parameters must be a JSON object".into()));
        };
        let module = o
            .get("module")
            .and_then(|m| m.as_str())
            .ok_or_else(|| bad("`module` (the module's hash, 64 hex digits) is required".into()))?
            .parse::<Hash>()
            .map_err(|e| bad(format!("module: {e}")))?;
        let fuel = match o.get("fuel") {
            None => DEFAULT_FUEL,
            Some(f) => f
                .as_u64()
                .filter(|f| (1..=MAX_FUEL).contains(f))
                .ok_or_else(|| bad(format!("fuel must be an integer from 1 to {MAX_FUEL}")))?,
        };
        for k in HOST_PARAMS {
            o.remove(*k);
        }
        // serde_json's map is sorted by key: this is the canonical text.
        let params = serde_json::Value::Object(o).to_string();
        Ok(WasmFamilyParams {
            module,
            fuel,
            params,
        })
    }
}

/// Loads a family module: validated and compiled under [`LIMITS`], importing
/// only [`HOST`], exporting `memory`, `plinth_alloc` and [`SCORE_ENTRY`]. What a
/// genesis, a proposal and the oracle check of a module a network names.
pub fn load(bytes: &[u8]) -> Result<Module, WasmError> {
    let module = Module::with_host(bytes, LIMITS, HOST)?;
    module.check_entry(SCORE_ENTRY)?;
    Ok(module)
}

/// Why a custom family could not score an epoch (the epoch fails and is retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WasmFamilyError {
    /// The module did not load, or ran out of fuel, trapped, failed, or returned
    /// an output outside its memory or over the limit.
    #[error("the family module: {0}")]
    Module(#[from] WasmError),
    /// The output does not follow the ABI.
    #[error("the family module's output breaks the ABI: {0}")]
    BadOutput(String),
}

impl WasmFamilyError {
    /// A stable code for metrics and logs: the runtime's failure code
    /// (`out_of_fuel`, `trap`, `task_failed:<n>`, …), `load` for a module that
    /// does not load, `bad_output` for an output that breaks the ABI.
    pub fn code(&self) -> String {
        match self {
            WasmFamilyError::Module(e) => e.failure_code().unwrap_or_else(|| "load".into()),
            WasmFamilyError::BadOutput(_) => "bad_output".into(),
        }
    }
}

/// What the module returned, checked and in canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmScored {
    /// Scores and rejections (each a [`ScoreRejection::Custom`]).
    pub output: FamilyOutput,
    /// The state for the next epoch.
    pub state: Vec<u8>,
    /// The awards (output version 2; empty for version 1): `(tag, devices)`,
    /// ascending by tag, each device scored.
    pub awards: Vec<(u64, Vec<DeviceId>)>,
    /// The fuel the run burnt (the same everywhere).
    pub fuel_used: u64,
}

/// An output checked against the ABI and its epoch, in canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOutput {
    /// Scores and rejections.
    pub output: FamilyOutput,
    /// The state for the next epoch.
    pub state: Vec<u8>,
    /// The awards: `(tag, devices)`, tags strictly ascending, each award's devices
    /// strictly ascending (1 to [`MAX_AWARD_DEVICES`]) and scored.
    pub awards: Vec<(u64, Vec<DeviceId>)>,
}

#[derive(BorshSerialize)]
struct InputDevice<'a> {
    id: &'a [u8; 32],
    owner: &'a [u8; 32],
    location: u64,
    active: u8,
}

#[derive(BorshSerialize)]
struct InputReport<'a> {
    hash: [u8; 32],
    device: &'a [u8; 32],
    epoch: u64,
    timestamp_ms: u64,
    seq: u64,
    body: &'a ReportBody,
}

#[derive(BorshSerialize)]
struct InputProbe<'a> {
    device: &'a [u8; 32],
    challenge: &'a [u8; 32],
    issued_ms: u64,
    deadline_ms: u64,
    answered_ms: Option<u64>,
}

#[derive(BorshSerialize)]
struct Input<'a> {
    abi: u32,
    network: &'a str,
    epoch: u64,
    start_ms: u64,
    end_ms: u64,
    params: &'a str,
    state: &'a [u8],
    devices: Vec<InputDevice<'a>>,
    reports: Vec<InputReport<'a>>,
    probes: Vec<InputProbe<'a>>,
}

#[derive(BorshDeserialize)]
struct OutputScore {
    device: [u8; 32],
    score: u64,
}

#[derive(BorshDeserialize)]
struct OutputRejection {
    report: [u8; 32],
    code: String,
    reason: String,
}

#[derive(BorshDeserialize)]
struct OutputAward {
    tag: u64,
    devices: Vec<[u8; 32]>,
}

#[derive(BorshDeserialize)]
struct Output {
    abi: u32,
    scores: Vec<OutputScore>,
    rejections: Vec<OutputRejection>,
    state: Vec<u8>,
    /// Present in output version 2 only.
    #[borsh(skip)]
    awards: Vec<OutputAward>,
}

impl Output {
    /// Decodes version 1 (no awards) or 2 (awards after the state); trailing
    /// bytes are an error.
    fn decode(bytes: &[u8]) -> Result<Output, String> {
        let mut rest = bytes;
        let mut out =
            Output::deserialize(&mut rest).map_err(|e| format!("does not decode: {e}"))?;
        if out.abi == OUTPUT_WITH_AWARDS {
            out.awards = Vec::<OutputAward>::deserialize(&mut rest)
                .map_err(|e| format!("awards do not decode: {e}"))?;
        }
        if !rest.is_empty() {
            return Err(format!("does not decode: {} trailing bytes", rest.len()));
        }
        Ok(out)
    }
}

/// What one epoch gives a family module.
#[derive(Debug, Clone, Copy)]
pub struct EpochInput<'a> {
    /// The network's name.
    pub network: &'a str,
    /// The epoch scored.
    pub window: &'a EpochWindow,
    /// The registry at the epoch's close.
    pub devices: &'a BTreeMap<DeviceId, DeviceInfo>,
    /// The epoch's accepted reports (any order; exact duplicates count once).
    pub reports: &'a [SignedReport],
    /// The epoch's challenge results (any order).
    pub probes: &'a [ProbeRecord],
    /// The state the module returned for the previous epoch (empty if none).
    pub state: &'a [u8],
}

/// The canonical input bytes of one epoch (ABI.md, "Input"), with each input
/// report's hash and device.
pub fn encode_input(
    params: &WasmFamilyParams,
    e: &EpochInput<'_>,
) -> (Vec<u8>, HashMap<Hash, DeviceId>) {
    // Hashing a million reports is a second of one core: spread it (the order
    // is the input's, whatever the threads).
    let mut reports: Vec<(Hash, &SignedReport)> =
        e.reports.par_iter().map(|r| (r.hash(), r)).collect();
    reports.sort_unstable_by(|(ha, a), (hb, b)| {
        (a.report.device, a.report.seq, ha).cmp(&(b.report.device, b.report.seq, hb))
    });
    reports.dedup_by(|a, b| a.0 == b.0);
    let mut probes: Vec<&ProbeRecord> = e.probes.iter().collect();
    probes.sort_by_key(|p| (p.device, p.challenge, p.issued_ms));
    let input = Input {
        abi: ABI_VERSION,
        network: e.network,
        epoch: e.window.epoch,
        start_ms: e.window.start_ms,
        end_ms: e.window.end_ms,
        params: &params.params,
        state: e.state,
        devices: e
            .devices
            .values()
            .map(|d| InputDevice {
                id: d.id.key().as_bytes(),
                owner: d.owner.key().as_bytes(),
                location: d.location,
                active: d.active as u8,
            })
            .collect(),
        reports: reports
            .iter()
            .map(|(h, r)| InputReport {
                hash: *h.as_bytes(),
                device: r.report.device.key().as_bytes(),
                epoch: r.report.epoch,
                timestamp_ms: r.report.timestamp_ms,
                seq: r.report.seq,
                body: &r.report.body,
            })
            .collect(),
        probes: probes
            .iter()
            .map(|p| InputProbe {
                device: p.device.key().as_bytes(),
                challenge: p.challenge.as_bytes(),
                issued_ms: p.issued_ms,
                deadline_ms: p.deadline_ms,
                answered_ms: p.answered_ms,
            })
            .collect(),
    };
    let bytes = borsh::to_vec(&input).expect("vec write");
    let by_hash = reports
        .into_iter()
        .map(|(h, r)| (h, r.report.device))
        .collect();
    (bytes, by_hash)
}

/// Checks a module's output against the ABI and the input, and puts it in
/// canonical order.
fn decode_output(
    bytes: &[u8],
    devices: &BTreeMap<DeviceId, DeviceInfo>,
    reports: &HashMap<Hash, DeviceId>,
) -> Result<CheckedOutput, WasmFamilyError> {
    let bad = |s: String| WasmFamilyError::BadOutput(s);
    let out = Output::decode(bytes).map_err(bad)?;
    if out.abi != ABI_VERSION && out.abi != OUTPUT_WITH_AWARDS {
        return Err(bad(format!(
            "abi {} (this host speaks {ABI_VERSION}, or {OUTPUT_WITH_AWARDS} with awards)",
            out.abi
        )));
    }
    if out.state.len() > MAX_STATE_BYTES {
        return Err(bad(format!(
            "state of {} bytes exceeds {MAX_STATE_BYTES}",
            out.state.len()
        )));
    }
    let mut scored = Vec::with_capacity(out.scores.len());
    let mut last: Option<[u8; 32]> = None;
    // Scores ascend strictly, as the registry's ids do: one walk along both
    // finds each scored device (a million lookups would cost more).
    let mut registry = devices.keys().peekable();
    for s in out.scores {
        if last.is_some_and(|l| l >= s.device) {
            return Err(bad("scores are not strictly ascending by device".into()));
        }
        last = Some(s.device);
        let id = DeviceId(plinth_core::PublicKey(s.device));
        while registry.next_if(|d| **d < id).is_some() {}
        if registry.peek() != Some(&&id) {
            return Err(bad(format!(
                "a score for {id}, which is not in the registry"
            )));
        }
        if s.score == 0 {
            return Err(bad(format!("a zero score for {id}")));
        }
        scored.push((id, s.score));
    }
    // In order already: the map is built in bulk.
    let scores: BTreeMap<DeviceId, u64> = scored.into_iter().collect();
    let mut rejections = Vec::with_capacity(out.rejections.len());
    let mut seen = std::collections::HashSet::new();
    for r in out.rejections {
        let report = Hash(r.report);
        let Some(device) = reports.get(&report) else {
            return Err(bad(format!(
                "a rejection of {report}, which is not an input report"
            )));
        };
        if !seen.insert(report) {
            return Err(bad(format!("report {report} rejected twice")));
        }
        if r.code.len() > MAX_CODE_LEN
            || r.code.is_empty()
            || !r
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad(format!(
                "rejection code {:?}: 1 to {MAX_CODE_LEN} bytes of [a-z0-9_]",
                r.code.chars().take(40).collect::<String>()
            )));
        }
        if r.reason.len() > MAX_REASON_LEN {
            return Err(bad(format!("a reason longer than {MAX_REASON_LEN} bytes")));
        }
        rejections.push(Rejected {
            report,
            device: *device,
            why: ScoreRejection::Custom {
                code: r.code,
                detail: r.reason,
            },
        });
    }
    if out.awards.len() > MAX_AWARDS {
        return Err(bad(format!(
            "{} awards exceed {MAX_AWARDS}",
            out.awards.len()
        )));
    }
    let mut awards = Vec::with_capacity(out.awards.len());
    let mut last_tag: Option<u64> = None;
    for a in out.awards {
        if last_tag.is_some_and(|t| t >= a.tag) {
            return Err(bad("awards are not strictly ascending by tag".into()));
        }
        last_tag = Some(a.tag);
        if a.devices.is_empty() || a.devices.len() > MAX_AWARD_DEVICES {
            return Err(bad(format!(
                "award {}: {} devices (1 to {MAX_AWARD_DEVICES})",
                a.tag,
                a.devices.len()
            )));
        }
        if !a.devices.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad(format!(
                "award {}: devices are not strictly ascending",
                a.tag
            )));
        }
        let mut ds = Vec::with_capacity(a.devices.len());
        for d in a.devices {
            let id = DeviceId(plinth_core::PublicKey(d));
            if !scores.contains_key(&id) {
                return Err(bad(format!("award {}: device {id} has no score", a.tag)));
            }
            ds.push(id);
        }
        awards.push((a.tag, ds));
    }
    Ok(CheckedOutput {
        output: FamilyOutput { scores, rejections }.canonical(),
        state: out.state,
        awards,
    })
}

/// Checks output bytes a module returned for `epoch` against the ABI and the
/// epoch's input, as [`run`] does: the output (in canonical order), the state
/// and the awards, or [`WasmFamilyError::BadOutput`].
pub fn check_output(
    bytes: &[u8],
    epoch: &EpochInput<'_>,
) -> Result<CheckedOutput, WasmFamilyError> {
    let by_hash: HashMap<Hash, DeviceId> = epoch
        .reports
        .par_iter()
        .map(|r| (r.hash(), r.report.device))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    decode_output(bytes, epoch.devices, &by_hash)
}

/// Scores one epoch with a family module (see the module docs). `module` must
/// come from [`load`].
pub fn run(
    module: &Module,
    params: &WasmFamilyParams,
    epoch: &EpochInput<'_>,
) -> Result<WasmScored, WasmFamilyError> {
    let (input, by_hash) = encode_input(params, epoch);
    let out = module.call(SCORE_ENTRY, &input, ABI_VERSION as i32, params.fuel)?;
    drop(input);
    let c = decode_output(&out.output, epoch.devices, &by_hash)?;
    Ok(WasmScored {
        output: c.output,
        state: c.state,
        awards: c.awards,
        fuel_used: out.fuel_used,
    })
}

/// `input` (ABI v1 input bytes) with its `state` replaced by `state`; `None` if
/// the bytes are not an ABI v1 input's beginning. `plinth family test` uses it
/// to hand each recorded epoch the state the module returned for the one before.
pub fn with_state(input: &[u8], state: &[u8]) -> Option<Vec<u8>> {
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(input.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    if u32_at(0)? != ABI_VERSION as usize {
        return None;
    }
    let mut at: usize = 4;
    at = at.checked_add(4)?.checked_add(u32_at(at)?)?; // network
    at = at.checked_add(24)?; // epoch, start_ms, end_ms
    at = at.checked_add(4)?.checked_add(u32_at(at)?)?; // params
    let old = u32_at(at)?;
    let rest = at.checked_add(4)?.checked_add(old)?;
    if rest > input.len() {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() - old + state.len());
    out.extend_from_slice(&input[..at]);
    out.extend_from_slice(&(state.len() as u32).to_le_bytes());
    out.extend_from_slice(state);
    out.extend_from_slice(&input[rest..]);
    Some(out)
}

/// What a module returned for raw input bytes, decoded but not checked against
/// a registry (for `plinth family test`, which replays recorded inputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawScored {
    /// Scores by device, in the module's order.
    pub scores: Vec<(DeviceId, u64)>,
    /// Rejections: report, code, reason.
    pub rejections: Vec<(Hash, String, String)>,
    /// The state for the next epoch.
    pub state: Vec<u8>,
    /// The awards (output version 2): tag and devices, in the module's order.
    pub awards: Vec<(u64, Vec<DeviceId>)>,
    /// The fuel burnt.
    pub fuel_used: u64,
}

/// Runs a module on raw ABI v1 input bytes with `fuel`.
pub fn run_raw(module: &Module, input: &[u8], fuel: u64) -> Result<RawScored, WasmFamilyError> {
    let out = module.call(SCORE_ENTRY, input, ABI_VERSION as i32, fuel)?;
    let o = Output::decode(&out.output).map_err(WasmFamilyError::BadOutput)?;
    Ok(RawScored {
        scores: o
            .scores
            .into_iter()
            .map(|s| (DeviceId(plinth_core::PublicKey(s.device)), s.score))
            .collect(),
        rejections: o
            .rejections
            .into_iter()
            .map(|r| (Hash(r.report), r.code, r.reason))
            .collect(),
        state: o.state,
        awards: o
            .awards
            .into_iter()
            .map(|a| {
                let ds = a
                    .devices
                    .into_iter()
                    .map(|d| DeviceId(plinth_core::PublicKey(d)))
                    .collect();
                (a.tag, ds)
            })
            .collect(),
        fuel_used: out.fuel_used,
    })
}
