//! Keys at rest: a keystore encrypted in place, a command that signs with it
//! (with the passphrase, and refused without or with a wrong one), export and
//! import, a device key file imported, and key files open to others refused; a
//! new keystore encrypted unless `--development` (`wallet new`, `genesis init`).
//! No devnet: `plinth maker sign` signs offline.

use crate::common::bin;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `plinth ARGS` with the keystore `ks`, `PLINTH_PASSPHRASE` set to `pass` (or
/// unset), stdin not a terminal.
fn plinth(ks: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    let (head, tail) = args.split_at(1);
    cmd.args(head)
        .arg("--keystore")
        .arg(ks)
        .args(tail)
        .env_remove("PLINTH_PASSPHRASE")
        .env_remove("PLINTH_PASSPHRASE_FILE")
        .stdin(Stdio::null());
    if let Some(p) = pass {
        cmd.env("PLINTH_PASSPHRASE", p);
    }
    cmd.output().expect("run plinth")
}

fn ok(ks: &Path, pass: Option<&str>, args: &[&str]) -> String {
    let out = plinth(ks, pass, args);
    assert!(
        out.status.success(),
        "plinth {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn fails(ks: &Path, pass: Option<&str>, args: &[&str]) -> String {
    let out = plinth(ks, pass, args);
    assert!(!out.status.success(), "plinth {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_encrypted_keystore_signs_only_with_its_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ks = dir.join("keystore.json");
    let cheap = ["--kdf-memory-mib", "1", "--kdf-iterations", "1"];

    // A development keystore and a device key, as the binary writes them.
    ok(&ks, None, &["wallet", "new", "maker", "--development"]);
    let dev = json(&ks);
    assert_eq!(
        (dev["development"].clone(), dev["encrypted"].clone()),
        (true.into(), false.into())
    );
    let device_key = dir.join("sensor.key.json");
    let made = ok(
        &ks,
        None,
        &[
            "device",
            "--json",
            "keygen",
            "--out",
            device_key.to_str().unwrap(),
        ],
    );
    let device: serde_json::Value = serde_json::from_str(&made).unwrap();
    let device = device["device_id"].as_str().unwrap().to_string();
    let sign = [
        "maker",
        "sign",
        "--key",
        "maker",
        "--device",
        device.as_str(),
    ];
    let signature = ok(&ks, None, &sign);
    assert_eq!(signature.len(), 128);

    // Encrypt in place: no secret left in the clear, still owner-only.
    let mut encrypt = vec!["wallet", "encrypt"];
    encrypt.extend(cheap);
    let err = fails(&ks, None, &encrypt);
    assert!(err.contains("needs a passphrase"), "{err}");
    ok(&ks, Some("correct horse"), &encrypt);
    let enc = json(&ks);
    assert_eq!(enc["version"], 2);
    assert_eq!(enc["encrypted"], true);
    assert_eq!(enc["kdf"]["name"], "argon2id");
    assert_eq!(enc["cipher"], "xchacha20poly1305");
    assert!(!std::fs::read_to_string(&ks)
        .unwrap()
        .contains(dev["keys"][0]["secret"].as_str().unwrap()));
    #[cfg(unix)]
    assert_eq!(mode(&ks), 0o600);
    let err = fails(&ks, Some("correct horse"), &encrypt);
    assert!(err.contains("already encrypted"), "{err}");

    // Signing needs the passphrase; a wrong one opens nothing; listing needs none.
    let err = fails(&ks, None, &sign);
    assert!(
        err.contains(
            "is encrypted: set PLINTH_PASSPHRASE, pass --passphrase-file, or run in a terminal"
        ),
        "{err}"
    );
    let err = fails(&ks, Some("wrong"), &sign);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(ok(&ks, Some("correct horse"), &sign), signature);
    assert!(ok(&ks, None, &["wallet", "list"]).contains("maker"));

    // The passphrase from a file (a service's credential).
    let pass_file = dir.join("passphrase");
    std::fs::write(&pass_file, "correct horse\n").unwrap();
    let mut with_file = vec!["maker", "--passphrase-file", pass_file.to_str().unwrap()];
    with_file.extend(&sign[1..]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(ok(&ks, None, &with_file), signature);

    // Export (encrypted, as its keystore is) and import elsewhere.
    let exported = dir.join("maker.json");
    let export = [
        "wallet",
        "export",
        "maker",
        "--out",
        exported.to_str().unwrap(),
    ];
    let err = fails(&ks, None, &export);
    assert!(err.contains("is encrypted"), "{err}");
    assert!(!exported.exists());
    ok(&ks, Some("correct horse"), &export);
    assert_eq!(json(&exported)["encrypted"], true);
    let other = dir.join("other.json");
    let import = [
        "wallet",
        "import",
        exported.to_str().unwrap(),
        "--name",
        "m2",
    ];
    let err = fails(&other, None, &import);
    assert!(err.contains("is encrypted"), "{err}");
    ok(&other, Some("correct horse"), &import);
    // `other` was created as a development keystore: it signs without a passphrase.
    assert_eq!(json(&other)["development"], true);
    let sign_m2 = ["maker", "sign", "--key", "m2", "--device", device.as_str()];
    assert_eq!(ok(&other, None, &sign_m2), signature);
    let err = fails(&other, Some("correct horse"), &import);
    assert!(err.contains("already in the keystore as `m2`"), "{err}");

    // A device key file imports under its file's name.
    ok(
        &other,
        None,
        &["wallet", "import", device_key.to_str().unwrap()],
    );
    assert!(ok(&other, None, &["wallet", "list"]).contains("sensor"));

    // A key file open to others is refused, naming the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ks, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = fails(&ks, None, &["wallet", "list"]);
        assert!(
            err.contains("mode 644") && err.contains(&format!("chmod 600 {}", ks.display())),
            "{err}"
        );
        std::fs::set_permissions(&device_key, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = fails(
            &other,
            None,
            &[
                "wallet",
                "import",
                device_key.to_str().unwrap(),
                "--name",
                "x",
            ],
        );
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[test]
fn a_new_keystore_is_encrypted_unless_development() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ks = dir.join("keystore.json");
    let new = [
        "wallet",
        "new",
        "ops",
        "--json",
        "--kdf-memory-mib",
        "1",
        "--kdf-iterations",
        "1",
    ];

    // No passphrase anywhere and no --development: stopped, nothing written.
    let err = fails(&ks, None, &new);
    assert!(
        err.contains(
            "needs a passphrase: set PLINTH_PASSPHRASE, pass --passphrase-file, or run in a \
             terminal"
        ) && err.contains("--development"),
        "{err}"
    );
    assert!(!ks.exists());

    // With PLINTH_PASSPHRASE: an encrypted keystore, no secret in the clear.
    let made: serde_json::Value = serde_json::from_str(&ok(&ks, Some("hunter2"), &new)).unwrap();
    assert_eq!(made["encrypted"], true);
    let enc = json(&ks);
    assert_eq!(
        (enc["version"].clone(), enc["encrypted"].clone()),
        (2.into(), true.into())
    );
    assert!(enc["development"].is_null() && enc["keys"][0]["secret"].is_null());
    #[cfg(unix)]
    assert_eq!(mode(&ks), 0o600);
    // A key added to it is sealed too (it keeps its form); --development is refused.
    let mut second = new;
    second[2] = "ops2";
    let err = fails(&ks, None, &second);
    assert!(err.contains("is encrypted"), "{err}");
    ok(&ks, Some("hunter2"), &second);
    assert_eq!(json(&ks)["keys"].as_array().unwrap().len(), 2);
    let err = fails(
        &ks,
        Some("hunter2"),
        &["wallet", "new", "dev", "--development"],
    );
    assert!(err.contains("--development only applies"), "{err}");

    // --development: the unencrypted development form, marked, no passphrase asked;
    // keys added to it stay in the clear. `--encrypt` (now the default) conflicts.
    let dev = dir.join("dev.json");
    ok(&dev, None, &["wallet", "new", "a", "--development"]);
    ok(&dev, None, &["wallet", "new", "b"]);
    let d = json(&dev);
    assert_eq!(
        (d["development"].clone(), d["encrypted"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(d["keys"].as_array().unwrap().len(), 2);
    let err = fails(&dev, None, &["wallet", "new", "c", "--encrypt"]);
    assert!(err.contains("wallet --keystore"), "{err}");
    let err = fails(
        &dir.join("x.json"),
        None,
        &["wallet", "new", "c", "--encrypt", "--development"],
    );
    assert!(err.contains("cannot be used with"), "{err}");

    // `genesis init`: the same default.
    let genesis = |keystore: &Path, pass: Option<&str>, extra: &[&str]| {
        let mut cmd = Command::new(bin());
        cmd.args(["genesis", "init", "--out"])
            .arg(dir.join("genesis.toml"))
            .arg("--keystore")
            .arg(keystore)
            .args(["--force", "--kdf-memory-mib", "1", "--kdf-iterations", "1"])
            .args(extra)
            .env_remove("PLINTH_PASSPHRASE")
            .env_remove("PLINTH_PASSPHRASE_FILE")
            .stdin(Stdio::null());
        if let Some(p) = pass {
            cmd.env("PLINTH_PASSPHRASE", p);
        }
        cmd.output().expect("run plinth")
    };
    let gks = dir.join("genesis-keys.json");
    let out = genesis(&gks, None, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("needs a passphrase"),
        "{err}"
    );
    assert!(!gks.exists() && !dir.join("genesis.toml").exists());
    let out = genesis(&gks, Some("hunter2"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&gks)["encrypted"], true);
    let gdev = dir.join("genesis-dev.json");
    let out = genesis(&gdev, None, &["--development"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&gdev)["development"], true);
}
