//! `plinth wallet set-oracles`: the chain's admin schedules a new oracle set
//! from a future epoch; anyone else, a past epoch or a malformed set is refused
//! with its reason.

use crate::common::*;

#[test]
fn the_admin_schedules_an_oracle_set_from_a_future_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    // The first start writes the devnet's genesis and keystore. Make alice the
    // chain's admin and start a fresh chain from the edited genesis.
    let mut net = Devnet::start(&dir, free_port());
    let alice = net.ok(&["wallet", "address", "alice"]).trim().to_string();
    net.kill9();
    drop(net);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !["genesis.toml", "keystore.json"].contains(&name.as_str()) {
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    let genesis = dir.join("genesis.toml");
    let mut text = std::fs::read_to_string(&genesis).unwrap();
    text.push_str(&format!(
        "\n[validator_set]\nadmin = \"{alice}\"\nepoch_blocks = 100\n"
    ));
    std::fs::write(&genesis, text).unwrap();
    let net = Devnet::start(&dir, free_port());

    let oracle = net.get("/v1/oracles")["members"][0]
        .as_str()
        .unwrap()
        .to_string();
    let epoch = net.get("/v1/status")["epoch"].as_u64().unwrap();
    let from = (epoch + 2).to_string();
    let out = net.ok(&[
        "wallet",
        "set-oracles",
        "--from",
        "alice",
        "--member",
        &oracle,
        "--member",
        "bob",
        "--threshold",
        "2",
        "--from-epoch",
        &from,
    ]);
    assert!(out.contains("committed"), "{out}");
    let bob = net.ok(&["wallet", "address", "bob"]).trim().to_string();
    let at = net.get(&format!("/v1/oracles?epoch={from}"));
    assert_eq!(at["threshold"], 2);
    assert_eq!(at["members"], serde_json::json!([oracle, bob]));
    let before = net.get(&format!("/v1/oracles?epoch={}", epoch + 1));
    assert_eq!(before["members"], serde_json::json!([oracle]));
    let schedule = &net.get("/v1/oracles")["schedule"];
    assert_eq!(schedule.as_array().unwrap().len(), 2);
    assert_eq!(schedule[1]["from_epoch"], epoch + 2);

    // Bob is not the admin: the ledger says who is.
    let refused = |from: &str, threshold: &str, epoch: &str, reason: &str| {
        let args = [
            "wallet",
            "set-oracles",
            "--from",
            from,
            "--member",
            "bob",
            "--threshold",
            threshold,
            "--from-epoch",
            epoch,
        ];
        let out = net.cli(&args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success() && err.contains(reason),
            "{args:?}: {err}"
        );
    };
    let later = (epoch + 3).to_string();
    refused(
        "bob",
        "1",
        &later,
        &format!("only the validator admin ({alice})"),
    );
    // An epoch under way, and a threshold above the members, are refused before
    // anything is sent.
    refused("alice", "1", "0", "is not after the current epoch");
    refused("alice", "2", &later, "exceeds the 1 members");
}
