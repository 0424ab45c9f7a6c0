//! `plinth sim`: a small scenario through the real binary, its files checked.

use crate::common::bin;
use std::process::Command;

const SCENARIO: &str = r#"
name = "e2e"
runs = 6
seed = 3

[horizon]
epochs = 120
epoch_ms = 86400000

[emission]
decimals = 6
genesis_supply = 1000000000
initial_per_epoch = 1000000
halving_interval_epochs = 60

[price]
model = "endogenous"
start_usd = 1.0
volatility_per_year = 0.3
depth_usd = 100000.0

[[networks]]
name = "hotspots"
share_bps = 9000
usage_bps = 2000

[[networks.cohorts]]
name = "home"
initial = 100
device_cost_usd = 50.0
running_cost_usd = 0.01
hurdle_epochs = 300.0
max_join_rate = 0.02
min_joins = 1
leave_after_epochs = 10
leave_rate = 0.05
capacity_usd = 1.0

[networks.demand]
curve = "exponential"
start_usd = 0.2
growth_per_epoch = 0.05
noise = 0.1
"#;

#[test]
fn sim_writes_percentiles_and_a_summary_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let run = |out: &str, threads: &str| {
        let o = Command::new(bin())
            .args(["sim", scenario.to_str().unwrap(), "--out"])
            .arg(dir.path().join(out))
            .args(["--sweep", "price.depth_usd=10000,1000000"])
            .args(["--find", "burn_equals_emission"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        stdout
    };
    let stdout = run("a", "1");
    assert!(stdout.contains("burn = emission"), "{stdout}");
    assert!(stdout.contains("price.depth_usd=10000"), "{stdout}");
    run("b", "2");
    for csv in ["point-000.csv", "point-001.csv"] {
        let a = std::fs::read_to_string(dir.path().join("a").join(csv)).unwrap();
        let b = std::fs::read_to_string(dir.path().join("b").join(csv)).unwrap();
        assert_eq!(a, b, "{csv}: same seed, same bytes, on 1 or 2 threads");
        let mut lines = a.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        for col in [
            "supply_p50",
            "minted_p50",
            "burned_p50",
            "net_inflation_p50",
            "operators.hotspots_p50",
            "roi.hotspots_p50",
            "payback_epochs.hotspots_p50",
            "price_usd_p50",
            "credits_burned_p50",
        ] {
            assert!(header.contains(&col), "{col} missing from {header:?}");
        }
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 120);
        assert!(rows.iter().all(|r| r.len() == header.len()));
        // Epoch 0 mints 90% of the first emission into a supply of 1,000 tokens
        // and burns what the first demand costs.
        let supply = header.iter().position(|c| *c == "supply_p50").unwrap();
        let minted = header.iter().position(|c| *c == "minted_p50").unwrap();
        assert_eq!(rows[0][minted], "900000");
        let s0: u64 = rows[0][supply].parse().unwrap();
        assert!(s0 <= 1_000_900_000 && s0 > 1_000_000_000, "{s0}");
    }
    // The report: every chart as inline SVG, nothing fetched.
    let report = std::fs::read_to_string(dir.path().join("a/point-000.html")).unwrap();
    assert_eq!(report.matches("<svg").count(), 8);
    assert!(report.contains("Emission vs burn") && report.contains("hotspots"));
    assert!(!report.contains("<script"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("a/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "e2e");
    assert_eq!(summary["runs"], 6);
    let points = summary["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[1]["label"], "price.depth_usd=1000000");
    assert_eq!(points[1]["csv"], "point-001.csv");
    assert_eq!(points[1]["report"], "point-001.html");
    let reach = &points[0]["burn_equals_emission"];
    assert_eq!(
        reach["reached"].as_u64().unwrap() + reach["never"].as_u64().unwrap(),
        6
    );
    let supply = |k: &str| points[0]["final_supply"][k].as_u64().unwrap();
    assert!(supply("min") <= supply("median") && supply("median") <= supply("max"));
    let minted = points[0]["total_minted"]["median"].as_u64().unwrap();
    assert!(minted > 0 && minted <= 120 * 900_000, "{minted}");
}

#[test]
fn sim_refuses_a_bad_scenario_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bad.toml");
    std::fs::write(
        &scenario,
        SCENARIO.replace("leave_rate = 0.05", "leave_rate = 5.0"),
    )
    .unwrap();
    let o = Command::new(bin())
        .args(["sim", scenario.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("networks.hotspots.cohorts.home.leave_rate"),
        "{err}"
    );
    let o = Command::new(bin())
        .args(["sim", "no-such-builtin"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("built-in"));
}

#[test]
fn sim_runs_the_devnet_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["sim", "devnet", "--runs", "2", "--json", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["epoch_ms"], 30_000);
    // Every network of the devnet's genesis, with the default economics.
    let networks: Vec<&str> = summary["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        networks.contains(&"weather") && networks.contains(&"solar"),
        "{networks:?}"
    );
    assert!(
        summary["points"][0]["total_minted"]["median"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// The report in a browser: headless chromium parses every chart as SVG
/// elements (its DOM) and paints them (a screenshot far from blank). Skipped
/// where chromium is missing (`scripts/test` installs it).
#[test]
fn sim_report_shows_its_charts_in_chromium() {
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("skipped: no /usr/bin/chromium");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["sim", "flywheel", "--runs", "4", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let url = format!("file://{}", dir.path().join("point-000.html").display());
    let headless = |extra: &[&str]| {
        let o = Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    let dom = String::from_utf8(headless(&["--dump-dom"])).unwrap();
    assert_eq!(dom.matches("<svg").count(), 8, "eight charts in the DOM");
    assert!(
        dom.matches("<polyline").count() >= 8,
        "each chart draws its lines"
    );
    assert!(dom.contains("Emission vs burn"));
    let shot = dir.path().join("shot.png");
    headless(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=800,1400",
    ]);
    // A blank page of that size compresses to a few KB; painted charts to ~100 KB.
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(
        png.len() > 40_000,
        "the charts are painted ({} bytes)",
        png.len()
    );
}
