//! The HTTP API through `rpc::router`, called in-process with `tower::oneshot`.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use plinth_ledger::Call;
use plinth_node::api::{
    AccountView, BlockView, DeviceView, ErrorBody, ProofView, StatusView, SubmitResponse, TxStatus,
};
use plinth_node::rpc::router;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tower::ServiceExt;

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.expect("infallible service");
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

async fn get_raw(app: &Router, uri: &str) -> (StatusCode, Vec<u8>) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// GET `uri`, expecting `status` and a JSON body of type `T`.
async fn get<T: DeserializeOwned>(app: &Router, uri: &str, status: StatusCode) -> T {
    let (s, body) = get_raw(app, uri).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(s, status, "GET {uri}: {text}");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {uri}: {e}: {text}"))
}

async fn post_json(app: &Router, uri: &str, json: serde_json::Value) -> (StatusCode, Vec<u8>) {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json.to_string()))
        .unwrap();
    send(app, req).await
}

#[tokio::test(flavor = "multi_thread")]
async fn status_accounts_blocks_devices_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let (ua, ub) = (user(0), user(1));
    let (a, b) = (addr(&ua), addr(&ub));
    let device = device_key(1);

    let s: StatusView = get(&app, "/v1/status", StatusCode::OK).await;
    assert_eq!(s.chain_id, CHAIN_ID);
    assert_eq!(s.height, 0);
    assert_eq!(s.genesis_hash, node.genesis_hash);
    assert_eq!(s.genesis_hash, genesis().hash());
    assert_eq!(s.validator, addr(&validator_key()));
    assert_eq!(s.token.symbol, "PLN");
    assert_eq!(s.token.decimals, 6);
    assert_eq!(s.min_fee, MIN_FEE);
    assert_eq!(s.block_time_ms, 100);
    assert_eq!(s.unbonding_blocks, 3);
    assert_eq!(s.mempool, 0);

    // Submit through the API: one accepted, one refused with a typed error.
    let reg = register(&ua, 0, &device);
    let pay = transfer(&ua, 1, &b, 1_234);
    for t in [&reg, &pay] {
        let (st, body) = post_json(
            &app,
            "/v1/txs",
            serde_json::json!({ "tx": hex::encode(t.encode()) }),
        )
        .await;
        assert_eq!(
            st,
            StatusCode::ACCEPTED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let r: SubmitResponse = serde_json::from_slice(&body).unwrap();
        assert_eq!((r.hash, r.status), (t.hash(), TxStatus::Pending));
    }
    let (st, body) = post_json(
        &app,
        "/v1/txs",
        serde_json::json!({ "tx": hex::encode(transfer(&ua, 9, &b, 1).encode()) }),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "bad_nonce");
    assert_eq!(e.error.details.unwrap()["expected"], 2);

    let s: StatusView = get(&app, "/v1/status", StatusCode::OK).await;
    assert_eq!(s.mempool, 2);
    let acct: AccountView = get(&app, &format!("/v1/accounts/{a}"), StatusCode::OK).await;
    assert_eq!(
        (acct.nonce, acct.next_nonce),
        (0, 2),
        "next_nonce counts pending"
    );
    assert!(acct.proof.is_none(), "no proof unless asked");

    let head = produce(&node).await;

    let s: StatusView = get(&app, "/v1/status", StatusCode::OK).await;
    assert_eq!(s.height, 1);
    assert_eq!(s.head_hash, head.hash());
    assert_eq!(s.state_root, head.state_root);
    assert_eq!(s.timestamp_ms, head.timestamp_ms);
    assert_eq!(s.mempool, 0);

    // An account with a proof of its state under the head's root.
    let acct: AccountView = get(
        &app,
        &format!("/v1/accounts/{a}?proof=true"),
        StatusCode::OK,
    )
    .await;
    assert!(acct.exists);
    assert_eq!(acct.address, a);
    assert_eq!(acct.balance, INITIAL_BALANCE - 1_234 - 2 * FEE);
    assert_eq!((acct.nonce, acct.next_nonce, acct.height), (2, 2, 1));
    let proof: ProofView = acct.proof.expect("a proof was asked for");
    assert_eq!(proof.height, 1);
    assert_eq!(proof.state_root, head.state_root);
    assert_eq!(
        proof.key,
        hex::encode(plinth_ledger::keys::account(a.key()))
    );
    assert!(proof.verify());
    // The proof is bound to its value and its root.
    let mut tampered = proof.clone();
    let mut v = hex::decode(tampered.value.as_ref().unwrap()).unwrap();
    v[0] ^= 1;
    tampered.value = Some(hex::encode(v));
    assert!(!tampered.verify());
    let mut other_root = proof.clone();
    other_root.state_root = node.store.block(0).unwrap().unwrap().header.state_root;
    assert!(!other_root.verify());
    // An address that never held anything: proven absent.
    let nobody = addr(&plinth_core::Keypair::from_seed([0x55; 32]));
    let acct: AccountView = get(
        &app,
        &format!("/v1/accounts/{nobody}?proof=true"),
        StatusCode::OK,
    )
    .await;
    assert!(!acct.exists);
    assert_eq!(acct.balance, 0);
    let proof = acct.proof.unwrap();
    assert_eq!(proof.value, None);
    assert!(proof.verify());
    let e: ErrorBody = get(&app, "/v1/accounts/not-an-address", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_address");

    // The latest block, by "latest", height and hash.
    let latest: BlockView = get(&app, "/v1/blocks/latest", StatusCode::OK).await;
    assert_eq!(latest.hash, head.hash());
    assert_eq!(latest.header, head.header);
    let hashes: Vec<_> = latest.txs.iter().map(|t| t.hash).collect();
    assert_eq!(hashes, vec![reg.hash(), pay.hash()]);
    assert_eq!(latest.txs[1].tx, pay.tx);
    assert_eq!(latest.receipts.len(), 2);
    assert!(latest.receipts.iter().all(|r| r.is_ok()));
    let by_height: BlockView = get(&app, "/v1/blocks/1", StatusCode::OK).await;
    assert_eq!(by_height.hash, head.hash());
    let by_hash: BlockView =
        get(&app, &format!("/v1/blocks/{}", head.hash()), StatusCode::OK).await;
    assert_eq!(by_hash.header, head.header);
    let e: ErrorBody = get(&app, "/v1/blocks/99", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "unknown_block");

    // Devices by owner.
    let mine: Vec<DeviceView> = get(&app, &format!("/v1/devices?owner={a}"), StatusCode::OK).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, dev_id(&device));
    assert_eq!(mine[0].owner, a);
    assert_eq!(mine[0].network, NETWORK);
    assert_eq!(mine[0].registered_height, 1);
    assert_eq!(
        mine[0].location,
        h3o::CellIndex::try_from(berlin()).unwrap().to_string()
    );
    assert!((mine[0].lat - 52.52).abs() < 0.01 && (mine[0].lon - 13.405).abs() < 0.01);
    let theirs: Vec<DeviceView> =
        get(&app, &format!("/v1/devices?owner={b}"), StatusCode::OK).await;
    assert!(theirs.is_empty());
    let other_net: Vec<DeviceView> = get(
        &app,
        &format!("/v1/devices?owner={a}&network=other"),
        StatusCode::OK,
    )
    .await;
    assert!(other_net.is_empty());
    let e: ErrorBody = get(&app, "/v1/devices?owner=nope", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_address");
    let one: DeviceView = get(
        &app,
        &format!("/v1/devices/{}?proof=true", dev_id(&device)),
        StatusCode::OK,
    )
    .await;
    assert!(one.proof.expect("device proof").verify());

    // Prometheus metrics.
    let (st, body) = get_raw(&app, "/metrics").await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("plinth_chain_height 1"), "{text}");
    assert!(
        text.contains("plinth_transactions_committed_total 2"),
        "{text}"
    );
    assert!(text.contains("plinth_mempool_transactions 0"), "{text}");
    assert!(text.contains("reason=\"bad_nonce\""), "{text}");
    // Every request counted by status code and timed; the data directory's
    // filesystem measured at each scrape.
    assert!(
        text.contains("plinth_http_requests_total{code=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains("plinth_http_requests_total{code=\"404\"}"),
        "{text}"
    );
    assert!(
        text.contains("plinth_http_request_duration_seconds_count"),
        "{text}"
    );
    let gauge = |name: &str| -> i64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing from {text}"));
        line[name.len() + 1..].parse().unwrap()
    };
    let (free, size) = (
        gauge("plinth_data_dir_available_bytes"),
        gauge("plinth_data_dir_size_bytes"),
    );
    assert!(0 < free && free <= size, "{free} of {size}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_bad_bodies_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    for uri in ["/nope", "/v1", "/v1/statuses", "/v2/status"] {
        let e: ErrorBody = get(&app, uri, StatusCode::NOT_FOUND).await;
        assert_eq!(e.error.code, "not_found", "{uri}");
        assert!(!e.error.message.is_empty());
    }
    let e: ErrorBody = get(&app, "/v1/txs/zz", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_hash");
    let e: ErrorBody = get(
        &app,
        &format!("/v1/txs/{}", plinth_core::Hash([3; 32])),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "unknown_transaction");

    let (st, body) = post_json(&app, "/v1/txs", serde_json::json!({ "tx": "not hex" })).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "malformed");
    let req = Request::post("/v1/txs")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{"))
        .unwrap();
    let (st, body) = send(&app, req).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "malformed_json");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_stream_a_block_event_per_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let resp = app
        .clone()
        .oneshot(Request::get("/v1/events").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ctype = resp.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ctype.starts_with("text/event-stream"), "{ctype}");
    let mut body = resp.into_body();

    let t = transfer(&user(0), 0, &addr(&user(1)), 5);
    assert!(node.submit(vec![t.encode()]).await.remove(0).is_ok());
    let head = produce(&node).await;

    // Read until one whole `block` event has arrived (keep-alive comments aside).
    let mut text = String::new();
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(end) = text.find("\n\n") {
                let event: String = text[..end].to_string();
                text.drain(..end + 2);
                if event.lines().any(|l| l == "event: block") {
                    return event;
                }
                continue;
            }
            let frame = body
                .frame()
                .await
                .expect("the event stream ended")
                .expect("the event stream failed");
            if let Ok(data) = frame.into_data() {
                text.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    })
    .await
    .expect("no block event within 10 s");
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap_or_else(|| panic!("no data line in {event:?}"));
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["type"], "block");
    assert_eq!(v["height"], 1);
    assert_eq!(v["txs"], 1);
    assert_eq!(v["hash"], head.hash().to_string());
    assert_eq!(v["state_root"], head.state_root.to_string());
    assert_eq!(v["timestamp_ms"], head.timestamp_ms);
}

#[tokio::test(flavor = "multi_thread")]
async fn rewards_supply_and_oracles() {
    use plinth_ledger::rewards::{manifest_proof, manifest_root, ManifestEntry, ManifestHeader};
    use plinth_ledger::RewardEpoch;
    use plinth_node::api::{ClaimedView, OraclesView, SupplyView, TxView};

    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let genesis_supply = USERS as u64 * INITIAL_BALANCE;

    // Status at genesis: epoch 0 of one-minute epochs.
    let s: StatusView = get(&app, "/v1/status", StatusCode::OK).await;
    assert_eq!(
        (s.genesis_time_ms, s.epoch_ms, s.epoch),
        (GENESIS_TIME_MS, EPOCH_MS, 0)
    );
    let o: OraclesView = get(&app, "/v1/oracles", StatusCode::OK).await;
    assert_eq!((o.threshold, o.members), (1, vec![addr(&oracle_key())]));
    let nets: Vec<serde_json::Value> = get(&app, "/v1/networks", StatusCode::OK).await;
    let weather = nets.iter().find(|n| n["name"] == NETWORK).unwrap();
    assert_eq!(weather["share_bps"], SHARE_BPS);
    assert_eq!(weather["usage_bps"], 0);
    let storage = nets.iter().find(|n| n["name"] == STORAGE).unwrap();
    assert_eq!(
        (&storage["family"], &storage["usage_bps"]),
        (&"storage".into(), &5000.into())
    );
    let sup: SupplyView = get(&app, "/v1/supply", StatusCode::OK).await;
    assert_eq!(
        (
            sup.genesis,
            sup.minted,
            sup.burned,
            sup.unclaimed,
            sup.circulating
        ),
        (genesis_supply, 0, 0, 0, genesis_supply)
    );

    let e: ErrorBody = get(&app, "/v1/rewards/weather/0", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "unknown_manifest");
    let e: ErrorBody = get(&app, "/v1/rewards/nope/0", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "unknown_manifest");
    let e: ErrorBody = get(&app, "/v1/rewards/weather/x", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_epoch");
    let e: ErrorBody = get(
        &app,
        "/v1/rewards/weather/0/claimed/0",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "unknown_manifest");

    // Epoch 0 ended long ago (the node's blocks carry the wall clock): the oracle's
    // manifest goes on chain, submitted by user 0.
    let stranger = addr(&plinth_core::Keypair::from_seed([0x55; 32]));
    let entries = vec![
        ManifestEntry {
            device: dev_id(&device_key(0)),
            owner: addr(&user(1)),
            amount: 300_000,
        },
        ManifestEntry {
            device: dev_id(&device_key(1)),
            owner: stranger,
            amount: 200_000,
        },
    ];
    let header = ManifestHeader {
        chain: genesis().chain(),
        network: NETWORK.into(),
        epoch: 0,
        root: manifest_root(&entries),
        total: 500_000,
        devices: 2,
        inputs: plinth_core::Hash::of(b"batches"),
        registry_height: 0,
        awards: plinth_core::Hash::ZERO,
        award_count: 0,
    };
    let submit = signed(
        &user(0),
        0,
        FEE,
        Call::SubmitManifest {
            header: header.clone(),
            signatures: vec![header.sign(&oracle_key())],
        },
    );
    // One for an epoch that has not ended: admitted, then refused by the block.
    let mut future = header.clone();
    future.epoch = 1_000_000_000;
    let early = signed(
        &user(2),
        0,
        FEE,
        Call::SubmitManifest {
            signatures: vec![future.sign(&oracle_key())],
            header: future,
        },
    );
    for t in [&submit, &early] {
        let (st, body) = post_json(
            &app,
            "/v1/txs",
            serde_json::json!({ "tx": hex::encode(t.encode()) }),
        )
        .await;
        assert_eq!(
            st,
            StatusCode::ACCEPTED,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
    let head = produce(&node).await;
    let t: TxView = get(&app, &format!("/v1/txs/{}", early.hash()), StatusCode::OK).await;
    assert_eq!(t.status, TxStatus::Rejected);
    assert_eq!(t.error.unwrap().code, "epoch_not_over");

    let r: RewardEpoch = get(&app, "/v1/rewards/weather/0", StatusCode::OK).await;
    assert_eq!(r.header, header);
    assert_eq!(
        (r.claimed, r.claims, r.submitted_height),
        (0, 0, head.height)
    );
    let raw: serde_json::Value = get(&app, "/v1/rewards/weather/0", StatusCode::OK).await;
    assert_eq!(raw["header"]["root"], header.root.to_string());
    assert_eq!(raw["header"]["total"], 500_000);
    let c: ClaimedView = get(&app, "/v1/rewards/weather/0/claimed/1", StatusCode::OK).await;
    assert!(!c.claimed);
    let sup: SupplyView = get(&app, "/v1/supply", StatusCode::OK).await;
    assert_eq!(
        (sup.minted, sup.unclaimed, sup.circulating),
        (500_000, 500_000, genesis_supply)
    );
    let s: StatusView = get(&app, "/v1/status", StatusCode::OK).await;
    assert_eq!(s.epoch, (head.timestamp_ms - GENESIS_TIME_MS) / EPOCH_MS);

    // User 3 claims the stranger's entry for them.
    let claim = signed(
        &user(3),
        0,
        FEE,
        Call::Claim {
            network: NETWORK.into(),
            epoch: 0,
            index: 1,
            entry: entries[1],
            proof: manifest_proof(&entries, 1).unwrap(),
        },
    );
    assert!(node.submit(vec![claim.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    assert_eq!(balance(&node, &stranger), 200_000);
    // The claim shows in the owner's history, not only the claimer's.
    let hist: Vec<plinth_node::api::HistoryItem> = get(
        &app,
        &format!("/v1/accounts/{stranger}/txs"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        hist.iter().map(|h| h.hash).collect::<Vec<_>>(),
        vec![claim.hash()]
    );
    let c: ClaimedView = get(&app, "/v1/rewards/weather/0/claimed/1", StatusCode::OK).await;
    assert!(c.claimed);
    let c: ClaimedView = get(&app, "/v1/rewards/weather/0/claimed/0", StatusCode::OK).await;
    assert!(!c.claimed);
    let e: ErrorBody = get(
        &app,
        "/v1/rewards/weather/0/claimed/-1",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.error.code, "invalid_index");
    let r: RewardEpoch = get(&app, "/v1/rewards/weather/0", StatusCode::OK).await;
    assert_eq!((r.claimed, r.claims), (200_000, 1));
    let sup: SupplyView = get(&app, "/v1/supply", StatusCode::OK).await;
    assert_eq!(
        (sup.minted, sup.unclaimed, sup.circulating),
        (500_000, 300_000, genesis_supply + 200_000)
    );

    // A second claim of the same entry is refused at submission.
    let again = signed(
        &user(3),
        1,
        FEE,
        Call::Claim {
            network: NETWORK.into(),
            epoch: 0,
            index: 1,
            entry: entries[1],
            proof: manifest_proof(&entries, 1).unwrap(),
        },
    );
    let (st, body) = post_json(
        &app,
        "/v1/txs",
        serde_json::json!({ "tx": hex::encode(again.encode()) }),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "already_claimed");
    assert_eq!(e.error.details.unwrap()["index"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn all_devices_page_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let owner = user(0);
    let txs: Vec<Vec<u8>> = (0..3u64)
        .map(|i| register(&owner, i, &device_key(40 + i as u8)).encode())
        .collect();
    for v in node.submit(txs).await {
        v.unwrap();
    }
    produce(&node).await;
    let app = router(node.clone());
    let all: Vec<DeviceView> = get(&app, "/v1/devices", StatusCode::OK).await;
    assert_eq!(all.len(), 3);
    let mut ids: Vec<_> = all.iter().map(|d| d.id).collect();
    ids.sort();
    let page1: Vec<DeviceView> = get(&app, "/v1/devices?limit=2", StatusCode::OK).await;
    assert_eq!(page1.iter().map(|d| d.id).collect::<Vec<_>>(), ids[..2]);
    let page2: Vec<DeviceView> = get(
        &app,
        &format!("/v1/devices?limit=2&after={}", ids[1]),
        StatusCode::OK,
    )
    .await;
    assert_eq!(page2.iter().map(|d| d.id).collect::<Vec<_>>(), ids[2..]);
    let e: ErrorBody = get(&app, "/v1/devices?after=nope", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_device_id");
}

#[tokio::test]
async fn price_credits_and_supply_per_epoch() {
    use plinth_ledger::credits::PricePoint;
    use plinth_node::api::{CreditsView, EpochSupplyView, PriceView};

    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let alice = addr(&user(0));
    let bob = addr(&user(1));

    let p: PriceView = get(&app, "/v1/price", StatusCode::OK).await;
    assert!(p.price.is_none() && !p.fresh);
    assert_eq!((p.credit_micro_usd, p.price_max_age_ms), (10, 600_000));

    // The oracle posts $2.00 (blocks carry the wall clock, so use it).
    let point = PricePoint {
        chain: genesis().chain(),
        micro_usd_per_token: 2_000_000,
        timestamp_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    };
    let post = signed(
        &user(2),
        0,
        FEE,
        Call::PostPrice {
            price: point.clone(),
            signatures: vec![point.sign(&oracle_key())],
        },
    );
    // Alice burns 0.05 tokens for bob: $0.10 = 10,000 credits.
    let burn = signed(
        &user(0),
        0,
        FEE,
        Call::BurnForCredits {
            amount: 50_000,
            to: bob,
        },
    );
    assert!(node.submit(vec![post.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    let r = node.submit(vec![burn.encode()]).await.remove(0);
    assert!(r.is_ok(), "{r:?}");
    let head = produce(&node).await;

    let p: PriceView = get(&app, "/v1/price", StatusCode::OK).await;
    assert_eq!(p.price, Some(point));
    assert!(p.fresh);
    assert_eq!(p.head_time_ms, head.timestamp_ms);
    let c: CreditsView = get(&app, &format!("/v1/credits/{bob}"), StatusCode::OK).await;
    assert_eq!((c.own, c.delegated, c.total), (10_000, 0, 10_000));
    let c: CreditsView = get(&app, &format!("/v1/credits/{alice}"), StatusCode::OK).await;
    assert_eq!(c.total, 0);
    let e: ErrorBody = get(&app, "/v1/credits/nobody", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_address");

    let epochs: Vec<EpochSupplyView> = get(&app, "/v1/supply/epochs", StatusCode::OK).await;
    assert_eq!(epochs.len(), 1);
    assert_eq!(
        (epochs[0].minted, epochs[0].burned, epochs[0].net),
        (0, 50_000, -50_000)
    );
    let s: plinth_node::api::SupplyView = get(&app, "/v1/supply", StatusCode::OK).await;
    assert_eq!(s.burned, 50_000);
}

#[tokio::test]
async fn storage_offers_deals_and_usage() {
    use plinth_ledger::credits::PricePoint;
    use plinth_ledger::storage::{Deal, DealStatus, EpochUsage};
    use plinth_node::storage_api::OfferView;

    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let (owner, consumer) = (user(0), user(1));
    let provider = device_key(9);
    let dev = dev_id(&provider);

    // A provider device in the storage network, with an offer and 0.1 token of
    // collateral; the oracle posts a price and the consumer buys credits.
    let location = berlin();
    let msg = plinth_ledger::devices::registration_message(
        &genesis().chain(),
        &addr(&owner),
        &dev,
        STORAGE,
        location,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let point = PricePoint {
        chain: genesis().chain(),
        micro_usd_per_token: 1_000_000,
        timestamp_ms: now,
    };
    let txs = [
        signed(
            &owner,
            0,
            FEE,
            Call::RegisterDevice {
                device: dev,
                network: STORAGE.into(),
                location,
                device_signature: provider.sign(&msg),
            },
        ),
        signed(
            &owner,
            1,
            FEE,
            Call::OfferStorage {
                device: dev,
                endpoint: "http://store.example.com:9700".into(),
                price_per_mib_epoch: 5,
                collateral_per_mib: 1_000,
                deposit: 100_000,
            },
        ),
        signed(
            &user(2),
            0,
            FEE,
            Call::PostPrice {
                price: point.clone(),
                signatures: vec![point.sign(&oracle_key())],
            },
        ),
    ];
    // Admission checks against committed state: a block after each.
    for tx in txs {
        let r = node.submit(vec![tx.encode()]).await.remove(0);
        assert!(r.is_ok(), "{r:?}");
        produce(&node).await;
    }
    let burn = signed(
        &consumer,
        0,
        FEE,
        Call::BurnForCredits {
            amount: 10_000,
            to: addr(&consumer),
        },
    );
    assert!(node.submit(vec![burn.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    let manifest = plinth_storage::Commitment::of_bytes(&[7u8; 3000], 1024)
        .unwrap()
        .manifest;
    let open_deal = signed(
        &consumer,
        1,
        FEE,
        Call::OpenDeal {
            provider: dev,
            manifest,
            epochs: 4,
            price_per_epoch: 5,
            min_collateral: 0,
        },
    );
    let r = node.submit(vec![open_deal.encode()]).await.remove(0);
    assert!(r.is_ok(), "{r:?}");
    produce(&node).await;
    let id = plinth_ledger::storage::deal_id(&addr(&consumer), 1);
    let d: Deal = get(&app, &format!("/v1/deals/{id}"), StatusCode::OK).await;
    assert_eq!(d.status, DealStatus::Pending);
    // Pending deals are not listed among a network's active ones.
    let ds: Vec<Deal> = get(&app, "/v1/deals?network=storage", StatusCode::OK).await;
    assert!(ds.is_empty());
    let activate = signed(
        &user(2),
        1,
        FEE,
        Call::ActivateDeal {
            deal: id,
            receipt: provider.sign(&plinth_storage::receipt_message(
                &genesis().chain(),
                &id,
                &manifest,
            )),
        },
    );
    let r = node.submit(vec![activate.encode()]).await.remove(0);
    assert!(r.is_ok(), "{r:?}");
    produce(&node).await;

    let o: OfferView = get(&app, &format!("/v1/storage/offers/{dev}"), StatusCode::OK).await;
    assert_eq!((o.owner, o.network.as_str()), (addr(&owner), STORAGE));
    assert_eq!(o.offer.endpoint, "http://store.example.com:9700");
    assert_eq!((o.offer.free, o.offer.locked), (99_000, 1_000));
    assert_eq!(o.offer.active_deals, 1);
    let all: Vec<OfferView> = get(&app, "/v1/storage/offers", StatusCode::OK).await;
    assert_eq!(all.len(), 1);
    let none: Vec<OfferView> =
        get(&app, "/v1/storage/offers?network=weather", StatusCode::OK).await;
    assert!(none.is_empty());
    let page: Vec<OfferView> = get(
        &app,
        "/v1/storage/offers?network=storage&limit=1",
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.len(), 1);
    let after: Vec<OfferView> = get(
        &app,
        &format!("/v1/storage/offers?after={dev}"),
        StatusCode::OK,
    )
    .await;
    assert!(after.is_empty());
    let e: ErrorBody = get(
        &app,
        "/v1/storage/offers?after=nope",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.error.code, "invalid_device_id");
    let e: ErrorBody = get(
        &app,
        &format!("/v1/storage/offers/{}", dev_id(&device_key(3))),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "no_storage_offer");

    let d: Deal = get(&app, &format!("/v1/deals/{id}"), StatusCode::OK).await;
    assert_eq!((d.consumer, d.provider), (addr(&consumer), dev));
    assert_eq!(
        (d.escrow, d.collateral, d.status),
        (20, 1_000, DealStatus::Active)
    );
    assert_eq!(d.manifest, manifest);
    for q in [
        format!("consumer={}", addr(&consumer)),
        format!("provider={dev}"),
        format!("network={STORAGE}"),
    ] {
        let ds: Vec<Deal> = get(&app, &format!("/v1/deals?{q}"), StatusCode::OK).await;
        assert_eq!(ds.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id], "{q}");
    }
    let ds: Vec<Deal> = get(
        &app,
        &format!("/v1/deals?consumer={}", addr(&owner)),
        StatusCode::OK,
    )
    .await;
    assert!(ds.is_empty());
    for (q, code) in [
        ("", "bad_query"),
        ("?consumer=x&provider=y", "bad_query"),
        ("?network=Not%20A%20Name", "invalid_network"),
        ("?consumer=nobody", "invalid_address"),
    ] {
        let e: ErrorBody = get(&app, &format!("/v1/deals{q}"), StatusCode::BAD_REQUEST).await;
        assert_eq!(e.error.code, code, "{q}");
    }
    let e: ErrorBody = get(
        &app,
        &format!("/v1/deals/{}", plinth_core::Hash::of(b"x")),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "unknown_deal");
    let e: ErrorBody = get(&app, "/v1/deals/zz", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_deal_id");
    let u: EpochUsage = get(&app, "/v1/storage/usage/storage/0", StatusCode::OK).await;
    assert_eq!(u, EpochUsage::default());

    // A second deal: lists come in id order and page with `after`.
    let second = signed(
        &consumer,
        2,
        FEE,
        Call::OpenDeal {
            provider: dev,
            manifest,
            epochs: 1,
            price_per_epoch: 5,
            min_collateral: 0,
        },
    );
    assert!(node.submit(vec![second.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    let second_id = plinth_ledger::storage::deal_id(&addr(&consumer), 2);
    let activate = signed(
        &user(2),
        2,
        FEE,
        Call::ActivateDeal {
            deal: second_id,
            receipt: provider.sign(&plinth_storage::receipt_message(
                &genesis().chain(),
                &second_id,
                &manifest,
            )),
        },
    );
    assert!(node.submit(vec![activate.encode()]).await.remove(0).is_ok());
    produce(&node).await;
    let mut ids = vec![id, second_id];
    ids.sort();
    let all: Vec<Deal> = get(&app, "/v1/deals?network=storage", StatusCode::OK).await;
    assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    let first: Vec<Deal> = get(&app, "/v1/deals?network=storage&limit=1", StatusCode::OK).await;
    assert_eq!(first.iter().map(|d| d.id).collect::<Vec<_>>(), ids[..1]);
    let rest: Vec<Deal> = get(
        &app,
        &format!("/v1/deals?network=storage&limit=1&after={}", ids[0]),
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest.iter().map(|d| d.id).collect::<Vec<_>>(), ids[1..]);
    let none: Vec<Deal> = get(
        &app,
        &format!("/v1/deals?provider={dev}&after={}", ids[1]),
        StatusCode::OK,
    )
    .await;
    assert!(none.is_empty());
    let e: ErrorBody = get(
        &app,
        "/v1/deals?network=storage&after=x",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.error.code, "invalid_deal_id");
}

/// At most `MAX_EVENT_STREAMS` event streams at once: the next is a 503 JSON
/// `busy`, and a stream's slot comes back when its client leaves.
#[tokio::test(flavor = "multi_thread")]
async fn event_streams_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let get = |app: Router| async move {
        app.oneshot(Request::get("/v1/events").body(Body::empty()).unwrap())
            .await
            .unwrap()
    };
    let mut open_streams = Vec::new();
    for _ in 0..plinth_node::rpc::MAX_EVENT_STREAMS {
        let resp = get(app.clone()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        open_streams.push(resp.into_body());
    }
    let resp = get(app.clone()).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, "busy");
    open_streams.pop();
    assert_eq!(get(app.clone()).await.status(), StatusCode::OK);
}
