//! `plinth_proofs::wasm::check_output`: the bytes a custom family's module
//! returns (ABI v1 output, or version 2 with awards), checked against the epoch it scored before the
//! oracle builds a manifest from them; and `with_state`, which splices a state
//! into recorded ABI input bytes (`plinth family test`). A module is untrusted
//! code: whatever it returns is either a canonical output whose every score
//! names a registered device and whose every rejection names an input report
//! once, or a `bad_output` failure.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_proofs::wasm::{
    check_output, with_state, EpochInput, MAX_AWARD_DEVICES, MAX_STATE_BYTES,
};
use std::collections::HashSet;

#[path = "../fixtures/family_output.rs"]
mod fixture;

type Fixture = (
    plinth_core::EpochWindow,
    std::collections::BTreeMap<plinth_core::DeviceId, plinth_proofs::DeviceInfo>,
    Vec<plinth_proofs::SignedReport>,
);

/// Made once: keys and signatures cost more than a run.
static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (window, devices, reports) =
        FIXTURE.get_or_init(|| (fixture::window(), fixture::devices(), fixture::reports()));
    let input = EpochInput {
        network: "fuzz",
        window,
        devices,
        reports,
        probes: &[],
        state: &[],
    };
    match check_output(data, &input) {
        Ok(checked) => {
            let (out, state) = (&checked.output, &checked.state);
            assert!(state.len() <= MAX_STATE_BYTES);
            for (device, score) in &out.scores {
                assert!(
                    devices.contains_key(device),
                    "a score for an unregistered device"
                );
                assert!(*score > 0, "a zero score");
            }
            let inputs: HashSet<_> = reports.iter().map(|r| r.hash()).collect();
            let mut seen = HashSet::new();
            for r in &out.rejections {
                assert!(inputs.contains(&r.report), "a rejection of no input report");
                assert!(seen.insert(r.report), "a report rejected twice");
            }
            assert!(
                out.rejections
                    .windows(2)
                    .all(|w| (w[0].device, w[0].report) < (w[1].device, w[1].report)),
                "the rejections are not in canonical order"
            );
            assert!(
                checked.awards.windows(2).all(|w| w[0].0 < w[1].0),
                "awards are not strictly ascending by tag"
            );
            for (_, ds) in &checked.awards {
                assert!(!ds.is_empty() && ds.len() <= MAX_AWARD_DEVICES);
                assert!(
                    ds.windows(2).all(|w| w[0] < w[1]),
                    "an award's devices repeat"
                );
                assert!(
                    ds.iter().all(|d| out.scores.contains_key(d)),
                    "an award names a device without a score"
                );
            }
            // The same bytes give the same result.
            assert_eq!(check_output(data, &input).ok().as_ref(), Some(&checked));
        }
        Err(e) => assert_eq!(e.code(), "bad_output", "{e}"),
    }
    if let Some(spliced) = with_state(data, b"state") {
        // Splicing again finds the state just put there.
        let again = with_state(&spliced, b"").expect("a spliced input splices again");
        assert_eq!(again.len() + 5, spliced.len());
    }
});
