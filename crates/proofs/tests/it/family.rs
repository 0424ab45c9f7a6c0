//! Setting a family up from a network's name and parameters, as the ledger stores
//! them, and dispatching to it.

use crate::common::*;
use plinth_proofs::{Family, FamilyError, ReportBody, MAX_PARAMS_BYTES, SCORE_ONE};

/// What the ledger stores for a network: its genesis `[networks.params]` table as
/// JSON text.
fn params_json(toml_params: &str) -> String {
    let table: toml::Table = toml::from_str(toml_params).unwrap();
    serde_json::to_string(&table).unwrap()
}

#[test]
fn genesis_params_with_decimals_become_thousandths() {
    let json = params_json("unit = \"celsius\"\nmin = -40.5\nmax = 60\ntolerance_milli = 1500\n");
    let Family::Sensor(p) = Family::from_network("sensor", &json).unwrap() else {
        panic!("not a sensor family");
    };
    assert_eq!((p.min_milli, p.max_milli), (-40_500, 60_000));
    assert_eq!(p.tolerance_milli, 1_500);
    // The oracle re-serialises the stored value: same result.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        Family::from_network("sensor", &value.to_string()).unwrap(),
        Family::Sensor(p)
    );
    let json = params_json("min = 0.125\nmax = 99.999\nunit = \"ppm\"\n");
    let Family::Sensor(p) = Family::from_network("sensor", &json).unwrap() else {
        panic!("not a sensor family");
    };
    assert_eq!((p.min_milli, p.max_milli), (125, 99_999));
}

#[test]
fn uptime_params_default_when_absent() {
    for empty in ["", "null", "{}", "  {} "] {
        let f = Family::from_network("uptime", empty).unwrap();
        assert_eq!(f, Family::Uptime(Default::default()), "{empty:?}");
        assert_eq!(f.name(), "uptime");
    }
    let Family::Uptime(p) =
        Family::from_network("uptime", &params_json("heartbeat_interval_s = 5")).unwrap()
    else {
        panic!("not an uptime family");
    };
    assert_eq!(p.heartbeat_interval_s, 5);
    assert_eq!(p.probe_weight_bps, 10_000);
}

#[test]
fn errors_say_what_is_wrong() {
    let e = Family::from_network("lidar", "{}").unwrap_err();
    assert!(e.is_unknown_family());
    assert_eq!(
        e,
        FamilyError::UnknownFamily {
            name: "lidar".into()
        }
    );
    // The storage family: defaults, and its limits.
    let Family::Storage(p) = Family::from_network("storage", "{}").unwrap() else {
        panic!("not a storage family");
    };
    assert_eq!((p.challenge_items, p.answer_timeout_ms), (4, 10_000));
    let e = Family::from_network("storage", r#"{"challenge_items": 0}"#).unwrap_err();
    assert!(
        e.to_string().contains("challenge_items must be 1 to 64"),
        "{e}"
    );
    let e = Family::from_network("storage", r#"{"challenge_items": 65}"#).unwrap_err();
    assert!(e.is_bad_params());
    let e = Family::from_network("storage", r#"{"answer_timeout_ms": 0}"#).unwrap_err();
    assert!(e.to_string().contains("answer_timeout_ms"), "{e}");
    let e = Family::from_network("storage", r#"{"challenge_itemz": 4}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field"), "{e}");
    let e = Family::from_network("sensor", r#"{"unit": "celsius", "min": 0}"#).unwrap_err();
    assert!(e.is_bad_params());
    assert!(e.to_string().contains("missing field `max`"), "{e}");
    let e =
        Family::from_network("sensor", r#"{"unit": "c", "min": -40.5001, "max": 1}"#).unwrap_err();
    assert!(e.to_string().contains("more than 3 decimal places"), "{e}");
    let e = Family::from_network("uptime", r#"{"probe_weight_bps": 20000}"#).unwrap_err();
    assert!(e.to_string().contains("probe_weight_bps"), "{e}");
    let e = Family::from_network("uptime", "{not json").unwrap_err();
    assert!(e.is_bad_params());
    let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(MAX_PARAMS_BYTES));
    assert!(matches!(
        Family::from_network("uptime", &huge),
        Err(FamilyError::ParamsTooLarge { .. })
    ));
}

#[test]
fn the_dispatcher_runs_the_named_family() {
    let devices = registry([device(1, inside(berlin()))]);
    let beats: Vec<_> = (0..10)
        .map(|k| report(1, START + k * 60_000, k, ReportBody::Heartbeat))
        .collect();
    let uptime = Family::from_network("uptime", "{}").unwrap();
    let out = uptime.score(&WINDOW, &devices, &beats, &[]);
    assert_eq!(out.scores[&id(1)], SCORE_ONE);
    // The sensor family does not take heartbeats.
    let sensor =
        Family::from_network("sensor", r#"{"unit": "celsius", "min": -60, "max": 60}"#).unwrap();
    let out = sensor.score(&WINDOW, &devices, &beats, &[]);
    assert!(out.scores.is_empty());
    assert_eq!(out.rejections.len(), 10);
    let out = sensor.score(
        &WINDOW,
        &devices,
        &[reading(1, START, 1, 20_000, "celsius")],
        &[],
    );
    assert_eq!(out.scores[&id(1)], SCORE_ONE);
}
