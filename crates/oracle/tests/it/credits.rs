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
    assert_eq!(first.chain_id, "oracle-test");

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
