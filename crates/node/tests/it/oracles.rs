//! What the oracles read from the node, through `NodeClient` over HTTP: the
//! oracle set in force at an epoch with its schedule (changed by the admin's
//! `SetOracleSet`), and every network's registry digest as of any height.

use crate::common::*;
use plinth_api::NodeClient;
use plinth_ledger::devices::registry_digest;
use plinth_ledger::oracle_set::OracleSet;
use plinth_ledger::validators::ValidatorSetGenesis;
use plinth_ledger::{Call, Overlay};
use plinth_node::api::{NetworkRegistryView, OracleSetView};
use plinth_node::rpc::router;
use plinth_node::Node;
use std::sync::Arc;

/// A node whose genesis names user 0 the admin.
fn with_admin(dir: &std::path::Path) -> Arc<Node> {
    let mut g = genesis();
    g.validator_set = Some(ValidatorSetGenesis {
        admin: Some(addr(&user(0))),
        epoch_blocks: 100,
    });
    Node::open(g, validator_key(), config(dir)).unwrap()
}

/// Serves `node` over HTTP; returns a client of it.
async fn serve(node: &Arc<Node>) -> NodeClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(node.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    NodeClient::new(&base)
}

/// Runs a blocking client call off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Submits `tx` and commits it in a block; it must succeed.
async fn commit(node: &Arc<Node>, tx: plinth_ledger::SignedTx) {
    let hash = tx.hash();
    node.submit(vec![tx.encode()]).await.pop().unwrap().unwrap();
    produce(node).await;
    let receipt = node.store.tx_location(&hash).unwrap();
    assert!(receipt.is_some(), "the transaction is in a block");
    let r = node
        .store
        .receipts(receipt.unwrap().height)
        .unwrap()
        .unwrap();
    assert_eq!(r[receipt.unwrap().index as usize].error, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oracle_set_in_force_at_an_epoch_and_its_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let node = with_admin(dir.path());
    let client = serve(&node).await;
    // A block at the wall clock: the head's epoch is the current one.
    produce(&node).await;
    let c = client.clone();
    let now = blocking(move || c.oracles().unwrap()).await;
    let base = OracleSetView {
        from_epoch: 0,
        threshold: 1,
        members: vec![addr(&oracle_key())],
    };
    assert_eq!((now.threshold, &now.members), (1, &base.members));
    assert_eq!(now.schedule, vec![base.clone()]);

    assert!(now.epoch > 0);
    // The admin rotates the oracle key two epochs ahead of the head's (the next
    // block may already be one epoch further).
    let rotated = plinth_core::Keypair::from_seed([0x0D; 32]);
    let from = now.epoch + 2;
    let set = OracleSet {
        threshold: 1,
        members: vec![addr(&rotated)],
    };
    let call = Call::SetOracleSet {
        set: set.clone(),
        effective_epoch: from,
    };
    commit(&node, signed(&user(0), 0, FEE, call)).await;

    let c = client.clone();
    let (now_after, before, after) = blocking(move || {
        (
            c.oracles().unwrap(),
            c.oracles_at(from - 1).unwrap(),
            c.oracles_at(from).unwrap(),
        )
    })
    .await;
    let scheduled = OracleSetView {
        from_epoch: from,
        threshold: 1,
        members: set.members.clone(),
    };
    assert_eq!(now_after.schedule, vec![base.clone(), scheduled]);
    assert_eq!(now_after.members, base.members, "not in force yet");
    assert_eq!((before.epoch, &before.members), (from - 1, &base.members));
    assert_eq!((after.epoch, &after.members), (from, &set.members));
    assert_eq!(after.schedule, now_after.schedule);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_digests_by_height() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let client = serve(&node).await;
    let empty = plinth_core::SetHash::new().digest();
    commit(&node, register(&user(1), 0, &device_key(0))).await; // block 1
    produce(&node).await; // block 2: no change
    commit(&node, register(&user(1), 1, &device_key(1))).await; // block 3

    let c = client.clone();
    let (g, one, two, head, above) = blocking(move || {
        (
            c.registry(Some(0)).unwrap(),
            c.registry(Some(1)).unwrap(),
            c.registry(Some(2)).unwrap(),
            c.registry(None).unwrap(),
            c.registry(Some(4)).unwrap_err(),
        )
    })
    .await;
    let names: Vec<&str> = g.networks.iter().map(|n| n.network.as_str()).collect();
    assert_eq!(names, [STORAGE, NETWORK], "every network, in name order");
    assert!(g
        .networks
        .iter()
        .all(|n| n.digest == empty && n.devices == 0));
    assert_eq!(
        g.time_ms,
        node.store.block(0).unwrap().unwrap().header.timestamp_ms
    );

    let weather = |v: &plinth_node::api::RegistryView| v.networks[1].clone();
    assert_eq!(weather(&one).devices, 1);
    assert_eq!(weather(&two), weather(&one));
    assert_eq!(
        two.time_ms,
        node.store.block(2).unwrap().unwrap().header.timestamp_ms
    );
    assert_eq!(head.height, 3);
    let snap = node.store.snapshot().unwrap();
    let d = registry_digest(&Overlay::new(&snap), NETWORK).unwrap();
    assert_eq!(
        weather(&head),
        NetworkRegistryView {
            network: NETWORK.into(),
            digest: d.set.digest(),
            devices: 2,
        }
    );
    assert_eq!(
        head.networks[0].digest, empty,
        "the storage network has none"
    );

    assert!(above.is_not_found());
    assert_eq!(above.code(), Some("unknown_block"));
}
