use crate::common::*;
use plinth_core::{Address, Keypair};
use plinth_ledger::{Call, Transaction};

#[test]
fn bad_input_gets_a_json_4xx_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Devnet::start(&tmp.path().join("dn"), free_port());
    let alice = net.key("alice");
    let alice_addr = Address(alice.public());
    let bob = Address(net.key("bob").public());
    let before_alice = net.get(&format!("/v1/accounts/{alice_addr}"));
    let before_bob = net.balance(&bob);

    let expect = |(status, body): (u16, serde_json::Value), want_status: u16, want_code: &str| {
        assert_eq!(status, want_status, "{body}");
        assert_eq!(body["error"]["code"], want_code, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 3);
    };

    expect(net.post_raw("/v1/txs", "{not json"), 400, "malformed_json");
    expect(
        net.post_raw("/v1/txs", r#"{"tx": "xyz"}"#),
        400,
        "malformed",
    );
    expect(
        net.post_raw("/v1/txs", r#"{"tx": "00ff00"}"#),
        400,
        "malformed",
    );
    expect(
        net.post_raw("/v1/txs", r#"{"wrong": "field"}"#),
        400,
        "malformed_json",
    );
    let huge = format!(r#"{{"tx": "{}"}}"#, "00".repeat(100_000));
    expect(net.post_raw("/v1/txs", &huge), 413, "too_large");
    let big_tx = format!(
        r#"{{"tx": "{}"}}"#,
        "00".repeat(plinth_ledger::MAX_TX_BYTES + 1)
    );
    expect(net.post_raw("/v1/txs", &big_tx), 413, "too_large");

    // Bad signature: a transaction signed by someone else.
    let mut forged = transfer(&alice, 0, bob, 5);
    forged.signature = Keypair::from_seed([9; 32]).sign(b"other");
    expect(net.submit(&forged), 400, "bad_signature");
    // Wrong nonce.
    expect(net.submit(&transfer(&alice, 7, bob, 5)), 422, "bad_nonce");
    // Unknown account (never funded).
    let stranger = Keypair::from_seed([42; 32]);
    expect(
        net.submit(&transfer(&stranger, 0, bob, 5)),
        422,
        "unknown_account",
    );
    // Insufficient funds.
    expect(
        net.submit(&transfer(&alice, 0, bob, u64::MAX / 2)),
        422,
        "insufficient_funds",
    );
    // Wrong chain.
    let other_chain = Transaction {
        chain_id: "elsewhere".into(),
        signer: alice_addr,
        nonce: 0,
        fee: 1000,
        call: Call::Transfer { to: bob, amount: 5 },
    }
    .sign(&alice);
    expect(net.submit(&other_chain), 400, "wrong_chain");
    // Fee below the minimum.
    let cheap = Transaction {
        chain_id: "plinth-devnet".into(),
        signer: alice_addr,
        nonce: 0,
        fee: 1,
        call: Call::Transfer { to: bob, amount: 5 },
    }
    .sign(&alice);
    expect(net.submit(&cheap), 422, "fee_too_low");
    // Bad queries.
    let r = ureq::get(&format!("{}/v1/accounts/plinth1nope", net.url())).call();
    match r {
        Err(ureq::Error::Status(400, resp)) => {
            let body: serde_json::Value = resp.into_json().unwrap();
            assert_eq!(body["error"]["code"], "invalid_address");
        }
        other => panic!("expected 400, got {other:?}"),
    }

    // Nothing changed, and the node is still up and sealing blocks.
    let h = net.height();
    net.wait_height(h + 2);
    let after_alice = net.get(&format!("/v1/accounts/{alice_addr}"));
    assert_eq!(after_alice["balance"], before_alice["balance"]);
    assert_eq!(after_alice["nonce"], before_alice["nonce"]);
    assert_eq!(net.balance(&bob), before_bob);

    // A good transaction, then the same one again: duplicate.
    let good = transfer(&alice, 0, bob, 5);
    let (status, body) = net.submit(&good);
    assert_eq!(status, 202, "{body}");
    expect(net.submit(&good), 409, "duplicate");
    // A batch reports each verdict in order.
    let batch = serde_json::json!({"txs": [
        hex::encode(transfer(&alice, 1, bob, 6).encode()),
        "zz",
        hex::encode(transfer(&alice, 9, bob, 6).encode()),
    ]});
    let (status, body) = net.post_raw("/v1/txs/batch", &batch.to_string());
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], 1);
    assert!(body["results"][0]["hash"].is_string());
    assert_eq!(body["results"][1]["error"]["code"], "malformed");
    assert_eq!(body["results"][2]["error"]["code"], "bad_nonce");
}
