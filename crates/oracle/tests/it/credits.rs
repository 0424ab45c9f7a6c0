//! The oracle's price feed: it posts the token price on a schedule, the ledger
//! keeps the newest, and a consumer's burn for credits uses it.

use crate::common::*;
use plinth_core::Address;
use plinth_ledger::{Call, Overlay, Transaction};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn the_price_feed_makes_burns_possible_and_stays_fresh() {
    let net = Net::start(&[]).await;
    let view = || {
        let snap = net.node.store.snapshot().unwrap();
        let o = Overlay::new(&snap);
        plinth_ledger::credits::price(&o).unwrap()
    };
    // The first price lands within a few blocks.
    wait_until(|| view().is_some()).await;
    let first = view().unwrap();
    assert_eq!(first.micro_usd_per_token, PRICE_MICRO_USD);
    assert_eq!(first.chain, net.chain);

    // A consumer burns 1 token: $1.50 = 150,000 credits.
    let owner = Address(net.owner.public());
    let nonce = {
        let snap = net.node.store.snapshot().unwrap();
        plinth_ledger::accounts::load(&Overlay::new(&snap), &owner)
            .unwrap()
            .unwrap()
            .nonce
    };
    let burn = Transaction {
        chain_id: "oracle-test".into(),
        signer: owner,
        nonce,
        fee: 10,
        call: Call::BurnForCredits {
            amount: 1_000_000,
            to: owner,
        },
    }
    .sign(&net.owner);
    net.node
        .submit(vec![burn.encode()])
        .await
        .remove(0)
        .unwrap();
    let credits = || {
        let snap = net.node.store.snapshot().unwrap();
        plinth_ledger::credits::load(&Overlay::new(&snap), &owner)
            .unwrap()
            .own
    };
    wait_until(|| credits() > 0).await;
    assert_eq!(credits(), 150_000);

    // Newer prices keep coming (every 500 ms here).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    wait_until(|| view().unwrap().timestamp_ms > first.timestamp_ms).await;
}

/// With a set of two oracles and a threshold of two, a price needs both: the feed
/// oracle gets its peer's co-signature when their prices agree, and a peer refuses
/// a price out of its tolerance or time, and any request not signed by another
/// member of the set.
#[tokio::test(flavor = "multi_thread")]
async fn prices_are_co_signed_by_the_oracle_set() {
    let peer_key = key(7);
    let peer_addr = Address(peer_key.public());
    let peer_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer_url = format!("http://{}", peer_listener.local_addr().unwrap());
    let peers = vec![peer_url.clone()];
    let net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[],
        None,
        |g| {
            g.oracles.threshold = 2;
            g.oracles.members.push(peer_addr);
        },
        move |c| c.peers = peers,
    )
    .await;
    // Until the peer is up, the feed oracle cannot post: one of two signatures.
    let lone = net.oracle.post_price(now_ms()).unwrap_err().to_string();
    assert!(lone.contains("1 of the 2 signatures"), "{lone}");
    assert!(lone.contains("unreachable"), "{lone}");

    // The peer observes $1.52: within 2% of the feed's $1.50.
    let (peer, _, _peer_stop) = start_oracle_with(
        net.dir.path().join("peer"),
        &net.node_url,
        &peer_key,
        Some(peer_listener),
        |c| {
            c.price_micro_usd = Some(1_520_000);
            c.price_interval = Duration::from_secs(3600);
        },
    )
    .await;
    let price = || {
        let snap = net.node.store.snapshot().unwrap();
        plinth_ledger::credits::price(&Overlay::new(&snap)).unwrap()
    };
    wait_until(|| price().is_some_and(|p| p.micro_usd_per_token == PRICE_MICRO_USD)).await;

    // The peer refuses what it does not agree with, and says why. (Its checks may
    // read the oracle set from the node: blocking, so off the async workers.)
    let feed_key = net.oracle_key.clone();
    let cosign = move |point: &plinth_ledger::credits::PricePoint| {
        let (peer, req) = (
            peer.clone(),
            plinth_oracle::cosign::CosignRequest {
                price: point.clone(),
                signature: point.sign(&feed_key),
            },
        );
        async move {
            tokio::task::spawn_blocking(move || peer.cosign_price(&req, now_ms()))
                .await
                .unwrap()
        }
    };
    let mut point = price().unwrap();
    point.timestamp_ms = now_ms();
    let agreed = cosign(&point).await.unwrap();
    assert_eq!(agreed.oracle, peer_addr);
    point.micro_usd_per_token = 1_600_000;
    let refusal = cosign(&point).await.unwrap_err();
    assert_eq!(refusal.code(), "price_out_of_tolerance");
    point.micro_usd_per_token = 1_500_000;
    point.timestamp_ms = now_ms() - 60_000;
    assert_eq!(cosign(&point).await.unwrap_err().code(), "bad_timestamp");
    point.timestamp_ms = now_ms() + 6_000;
    assert_eq!(cosign(&point).await.unwrap_err().code(), "from_future");
    point.timestamp_ms = now_ms();
    // For a look-alike chain (same chain_id string, another genesis): refused.
    point.chain = net.lookalike_chain();
    assert_eq!(cosign(&point).await.unwrap_err().code(), "wrong_chain");
    point.chain = net.chain;

    // Over HTTP: only a member of the oracle set, other than the peer itself, with
    // a valid signature over the price gets a co-signature; a refusal says why.
    let url = format!("{peer_url}/v1/cosign/price");
    let post = |body: serde_json::Value| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || match ureq::post(&url).send_json(body) {
            Ok(r) => (r.status(), r.into_json::<serde_json::Value>().unwrap()),
            Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap()),
            Err(e) => panic!("{e}"),
        })
    };
    let request = |point: &plinth_ledger::credits::PricePoint, signer: &plinth_core::Keypair| serde_json::json!({"price": point, "signature": point.sign(signer)});
    let (status, answer) = post(request(&point, &net.oracle_key)).await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["oracle"], serde_json::json!(peer_addr));
    // A bare price (no requester) is not a request.
    let (status, answer) = post(serde_json::to_value(&point).unwrap()).await.unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_body"))
    );
    // Anyone outside the set is refused, however well it signs.
    let (status, answer) = post(request(&point, &key(99))).await.unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("not_an_oracle")),
        "{answer}"
    );
    // A member's name with someone else's signature is refused.
    let mut forged = request(&point, &key(99));
    forged["signature"]["oracle"] = serde_json::json!(Address(net.oracle_key.public()));
    let (status, answer) = post(forged).await.unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("bad_signature")),
        "{answer}"
    );
    // A signature over another price is refused.
    let mut other = point.clone();
    other.micro_usd_per_token += 1;
    let mut swapped = request(&point, &net.oracle_key);
    swapped["signature"] = serde_json::json!(other.sign(&net.oracle_key));
    let (_, answer) = post(swapped).await.unwrap();
    assert_eq!(answer["error"]["code"], "bad_signature");
    // The peer does not co-sign a request signed with its own key.
    let (status, answer) = post(request(&point, &peer_key)).await.unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("from_self"))
    );
    // A member's price out of tolerance is a 422 with the code.
    point.micro_usd_per_token = 3_000_000;
    let (status, answer) = post(request(&point, &net.oracle_key)).await.unwrap();
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["code"], "price_out_of_tolerance");
}
