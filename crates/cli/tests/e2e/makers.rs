//! `plinth maker sign` and `plinth device register --maker`: on a devnet whose
//! genesis approves carol as a maker and whose `weather` network requires one, a
//! device registers only with carol's certificate.

use crate::common::*;
use plinth_core::{Address, DeviceId, Signature};
use plinth_devnet::keystore::Keystore;
use plinth_ledger::genesis::GenesisMaker;
use plinth_ledger::Genesis;

/// A devnet in `dir` whose genesis (written as a first start writes it) is
/// edited by `edit` before the chain starts.
fn devnet_with(dir: &std::path::Path, edit: impl FnOnce(&mut Genesis)) -> Devnet {
    let epoch = std::time::Duration::from_secs(30);
    assert!(plinth_devnet::devnet::init(dir, 5, 1, None, epoch).unwrap());
    let path = dir.join("genesis.toml");
    let mut genesis = Genesis::from_toml(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut genesis);
    std::fs::write(&path, genesis.to_toml()).unwrap();
    Devnet::start(dir, free_port())
}

fn signature(hex_text: &str) -> Signature {
    let mut out = [0u8; 64];
    hex::decode_to_slice(hex_text.trim(), &mut out).expect("a hex signature");
    Signature(out)
}

#[test]
fn a_maker_signs_a_device_key_and_the_owner_registers_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    // Carol, a funded devnet account, is the maker.
    let mut maker = None;
    let net = devnet_with(&dir, |g| {
        let keystore = Keystore::load(&dir.join("keystore.json")).unwrap();
        let carol = keystore.resolve("carol").unwrap();
        maker = Some(carol);
        g.makers.push(GenesisMaker {
            address: carol,
            name: "Carol's Sensors".into(),
            onboard_fee_credits: 0,
        });
        let weather = g.networks.iter_mut().find(|n| n.name == "weather").unwrap();
        weather.require_maker = true;
    });
    let carol = maker.unwrap();

    let key_file = tmp.path().join("dev.json");
    let key = key_file.to_str().unwrap();
    let id = net.ok(&["device", "keygen", "--out", key]);
    let id: DeviceId = id.lines().next().unwrap().trim().parse().unwrap();
    let register = |extra: &[&str]| {
        let mut args = vec![
            "device",
            "register",
            "--from",
            "alice",
            "--key",
            key,
            "--network",
            "weather",
            "--location",
            "52.52,13.40",
        ];
        args.extend_from_slice(extra);
        net.cli(&args)
    };
    let refused = |extra: &[&str], reason: &str| {
        let out = register(extra);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success() && err.contains(reason),
            "{extra:?}: {err}"
        );
    };

    // The certificate: carol's key (from the keystore) over the device key.
    let hex_sig = net.ok(&[
        "maker",
        "sign",
        "--key",
        "carol",
        "--device",
        &id.to_string(),
    ]);
    assert!(plinth_device::maker::verify_device(
        &carol,
        &id,
        &signature(&hex_sig)
    ));
    // A key file signs too: here the device's own key, which is no maker.
    let own_sig = net.ok(&["maker", "sign", "--key", key, "--device", &id.to_string()]);
    let own = Address(id.0);
    assert!(plinth_device::maker::verify_device(
        &own,
        &id,
        &signature(&own_sig)
    ));

    // Without a maker, with a certificate by the wrong key, or by a key nobody
    // approved: refused with the reason; each flag needs the other.
    refused(&[], "maker_required");
    let carol_text = carol.to_string();
    refused(
        &["--maker", "carol", "--maker-signature", own_sig.trim()],
        "bad_maker_signature",
    );
    refused(
        &[
            "--maker",
            &own.to_string(),
            "--maker-signature",
            own_sig.trim(),
        ],
        "unknown_maker",
    );
    refused(&["--maker", "carol"], "--maker-signature");
    refused(&["--maker-signature", hex_sig.trim()], "--maker");
    refused(
        &["--maker", "carol", "--maker-signature", "beef"],
        "128 hex characters",
    );

    let out = register(&["--maker", &carol_text, "--maker-signature", hex_sig.trim()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show: serde_json::Value =
        serde_json::from_str(&net.ok(&["device", "show", &id.to_string(), "--json"])).unwrap();
    assert_eq!(show["network"], "weather");
    assert_eq!(show["status"], "active");
}
