//! A device maker's path, end to end: the C example of `plinth-firmware`
//! (`crates/firmware/examples/c/report.c`), compiled with the system C compiler
//! against `include/plinth.h` and the static library, signs a reading with a
//! registered device's key and publishes it with `mosquitto_pub`; the devnet's
//! oracle accepts it (its verdict on the device's ack topic), spools it, and
//! the bytes are exactly what `plinth-proofs` would have made.

use crate::common::*;
use plinth_core::{DeviceId, Keypair};
use plinth_oracle::spool::{decode_batch, SpoolBatch};
use plinth_proofs::{ReportBody, SignedReport};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The firmware crate's directory.
fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware")
}

/// `libplinth_firmware.a` as cargo built it for this test (plinth-firmware is
/// a dev-dependency: cargo builds every crate type of a dependency's library,
/// the static library included, into `deps/` beside this test's binary). Of
/// several builds (other feature sets), the newest: never older than the
/// sources this test was built from.
fn static_library() -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?;
            if !(name.starts_with("libplinth_firmware-") && name.ends_with(".a")) {
                return None;
            }
            Some((path.metadata().ok()?.modified().ok()?, path.clone()))
        })
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no libplinth_firmware-*.a in {}", deps.display()))
}

/// Compiles the example with `cc` as its Makefile does; `None` when there is no
/// C compiler.
fn compile_example(out: &Path) -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    if Command::new(&cc).arg("--version").output().is_err() {
        return None;
    }
    let dir = firmware_dir();
    let exe = out.join("report");
    let built = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I"])
        .arg(dir.join("include"))
        .arg("-o")
        .arg(&exe)
        .arg(dir.join("examples/c/report.c"))
        .arg(static_library())
        .args([
            "-lgcc_s",
            "-lutil",
            "-lrt",
            "-lpthread",
            "-lm",
            "-ldl",
            "-lc",
        ])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{cc} could not build examples/c/report.c:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    Some(exe)
}

/// Every report in the spool directories under `dir` (the devnet's oracle's).
fn spooled(dir: &Path) -> Vec<SignedReport> {
    let mut reports = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return reports;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            reports.extend(spooled(&path));
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let in_spool = path.ancestors().any(|a| a.ends_with("spool"));
        if let (true, Some(stem)) = (in_spool, name.strip_suffix(".batch")) {
            let Ok(hash) = stem.parse() else { continue };
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(SpoolBatch::Reports(rs)) = decode_batch(&hash, &bytes) {
                reports.extend(rs);
            }
        }
    }
    reports
}

/// `mosquitto_sub` on `topic` of the broker at `port`; the messages it prints,
/// a line each. The devnet starts its broker after the node answers: until
/// then mosquitto_sub exits at once, and is started again.
fn subscribe(port: u16, topic: &str) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut sub = until("mosquitto_sub connected to the devnet's broker", 60, || {
        let mut sub = Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic])
            // The devnet's broker (rumqttd) takes no empty client id.
            .args(["-i", "plinth-e2e-acks"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub must be installed (scripts/test installs mosquitto-clients)");
        std::thread::sleep(Duration::from_millis(500));
        match sub.try_wait().unwrap() {
            None => Some(sub),
            Some(_) => None,
        }
    });
    let (tx, lines) = mpsc::channel();
    let out = sub.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (sub, lines)
}

/// The value of `key=` among the example's stderr lines.
fn field(stderr: &str, key: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the example's output:\n{stderr}"))
        .to_string()
}

#[test]
fn a_c_program_signs_a_reading_that_the_oracle_accepts_over_mqtt() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(report_exe) = compile_example(tmp.path()) else {
        eprintln!("SKIPPED: no C compiler (`cc`, or $CC) to build examples/c/report.c");
        return;
    };

    let dir = tmp.path().join("dn");
    let (port, mqtt_port) = (free_port(), free_port());
    let child = Command::new(bin())
        // One simulated device: with none the devnet runs no oracle at all.
        .args([
            "devnet",
            "--block-time",
            "200ms",
            "--devices",
            "1",
            "--cheaters",
            "0%",
        ])
        .args(["--rpc", &format!("127.0.0.1:{port}")])
        .args(["--oracle-http", &format!("127.0.0.1:{}", free_port())])
        .args(["--mqtt", &format!("127.0.0.1:{mqtt_port}")])
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plinth devnet");
    let net = Devnet::adopt(child, &dir, port);

    // The device: a key from a seed the C program is given as hex, registered
    // as a weather sensor of alice.
    let seed = [0x5a; 32];
    let device = Keypair::from_seed(seed);
    let id = DeviceId(device.public()).to_string();
    let seed_hex = hex::encode(seed);
    let printed_id = Command::new(&report_exe)
        .args(["-k", &seed_hex, "-i"])
        .output()
        .unwrap();
    assert!(printed_id.status.success());
    assert_eq!(String::from_utf8(printed_id.stdout).unwrap().trim(), id);
    register_sensors(&net, &net.key("alice"), std::slice::from_ref(&device));

    // The verdicts on the device's ack topic, as mosquitto_sub prints them.
    let (mut sub, lines) = subscribe(mqtt_port, &format!("plinth/acks/{id}"));

    let status = net.get("/v1/status");
    let (genesis_hash, genesis_ms, epoch_ms) = (
        status["genesis_hash"].as_str().unwrap().to_string(),
        status["genesis_time_ms"].as_u64().unwrap().to_string(),
        status["epoch_ms"].as_u64().unwrap().to_string(),
    );
    // The oracle's MQTT client, and mosquitto_sub, subscribe in their own time
    // (a report or a verdict published before reaches nobody), and the oracle
    // learns of the registration from the node a moment after it is committed
    // (`unknown_device` until then). Send one reading per try, a new sequence
    // number each, until the oracle accepts one; any other refusal fails.
    let file = tmp.path().join("report.bin");
    let mut accepted = None;
    let mut verdicts = Vec::new();
    for seq in 1..=40u64 {
        let run = Command::new(&report_exe)
            .args(["-k", &seed_hex, "-g", &genesis_hash, "-G", &genesis_ms])
            .args(["-E", &epoch_ms, "-n", "weather", "-u", "celsius"])
            .args(["-s", &seq.to_string(), "-v", "21500"])
            .arg("-o")
            .arg(&file)
            .args(["-b", &format!("127.0.0.1:{mqtt_port}")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "the example failed:\n{stderr}");
        assert_eq!(field(&stderr, "device"), id);
        assert_eq!(field(&stderr, "topic"), format!("plinth/reports/{id}"));
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(field(&stderr, "bytes"), bytes.len().to_string());
        let hash = field(&stderr, "hash");
        // This report's verdict (named by the hash the program printed).
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        let mut verdict = None;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            let Ok(line) = lines.recv_timeout(left) else {
                break;
            };
            let v: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON verdict: {line}: {e}"));
            if v["hash"] == hash.as_str() {
                verdict = Some(v);
                break;
            }
        }
        match verdict {
            Some(v) if v["status"] == "accepted" => {
                accepted = Some((hash, bytes));
                break;
            }
            Some(v) => {
                assert_eq!(v["code"], "unknown_device", "refused: {v}");
                verdicts.push(v);
                std::thread::sleep(Duration::from_millis(500));
            }
            None => {}
        }
    }
    let _ = sub.kill();
    let _ = sub.wait();
    let (hash, bytes) = accepted.unwrap_or_else(|| {
        panic!("the oracle accepted none of the example's reports; verdicts: {verdicts:?}")
    });

    // The bytes are a report plinth-proofs reads, signed by the device, saying
    // what the program was told, and hashed as the program said.
    let report = SignedReport::decode(&bytes).unwrap();
    assert!(report.verify_signature());
    assert_eq!(report.hash().to_hex(), hash);
    assert_eq!(report.report.device, DeviceId(device.public()));
    assert_eq!(report.report.network, "weather");
    assert_eq!(
        report.report.chain,
        plinth_core::chain_identity(&genesis_hash.parse().unwrap())
    );
    assert_eq!(
        report.report.body,
        ReportBody::Reading {
            value_milli: 21_500,
            unit: "celsius".into()
        }
    );
    assert_eq!(report.clone().report.sign(&device).encode(), bytes);
    // The oracle spooled it (acknowledged only once fsynced).
    assert!(
        spooled(&dir).contains(&report),
        "the accepted report is not in the oracle's spool under {}",
        dir.display()
    );
}
