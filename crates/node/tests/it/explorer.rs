//! Contract tests of the explorer's endpoints and assets (`explorer::routes`).

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use plinth_core::Address;
use plinth_ledger::rewards::{manifest_proof, manifest_root, ManifestEntry, ManifestHeader};
use plinth_ledger::{Call, RewardEpoch};
use plinth_node::api::{DeviceView, ErrorBody};
use plinth_node::explorer::{
    ExplorerConfig, ExplorerConfigView, ManifestAudit, ManifestSigner, MapView,
};
use plinth_node::rpc::{router, router_with};
use serde::de::DeserializeOwned;
use tower::ServiceExt;

async fn get_raw(app: &Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.expect("infallible service");
    let status = resp.status();
    let mime = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, mime, body)
}

async fn get<T: DeserializeOwned>(app: &Router, uri: &str, status: StatusCode) -> T {
    let (s, _, body) = get_raw(app, uri).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(s, status, "GET {uri}: {text}");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {uri}: {e}: {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn assets_are_served_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let (s, mime, body) = get_raw(&app, "/").await;
    assert_eq!(
        (s, mime.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("/explorer/app.js") && html.contains("/explorer/style.css"));
    for (path, mime) in [
        ("/explorer/app.js", "text/javascript; charset=utf-8"),
        ("/explorer/gov.js", "text/javascript; charset=utf-8"),
        ("/explorer/compute.js", "text/javascript; charset=utf-8"),
        ("/explorer/energy.js", "text/javascript; charset=utf-8"),
        ("/explorer/basemap.js", "text/javascript; charset=utf-8"),
        ("/explorer/style.css", "text/css; charset=utf-8"),
        ("/explorer", "text/html; charset=utf-8"),
    ] {
        let (s, m, body) = get_raw(&app, path).await;
        assert_eq!((s, m.as_str()), (StatusCode::OK, mime), "{path}");
        assert!(!body.is_empty());
    }
    let e: ErrorBody = get(&app, "/explorer/secret.txt", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "not_found");
    // The API still answers unknown paths with a JSON error.
    let e: ErrorBody = get(&app, "/v1/nope", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "not_found");
}

/// The rings of one country of a quantized TopoJSON `countries` object, as
/// [lon, lat] positions: each arc's deltas summed, scaled and translated; `~i`
/// walks arc `i` backwards (the decoding `web/basemap.js` does).
fn country_rings(topo: &serde_json::Value, name: &str) -> Vec<Vec<[f64; 2]>> {
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let t = &topo["transform"];
    let (scale, translate) = (&t["scale"], &t["translate"]);
    let arcs: Vec<Vec<[f64; 2]>> = topo["arcs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arc| {
            let (mut x, mut y) = (0.0, 0.0);
            let arc = arc.as_array().unwrap();
            arc.iter()
                .map(|d| {
                    (x, y) = (x + f(&d[0]), y + f(&d[1]));
                    [
                        x * f(&scale[0]) + f(&translate[0]),
                        y * f(&scale[1]) + f(&translate[1]),
                    ]
                })
                .collect()
        })
        .collect();
    let g = topo["objects"]["countries"]["geometries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["properties"]["name"] == name)
        .unwrap_or_else(|| panic!("no country {name}"));
    let polygons = match g["type"].as_str().unwrap() {
        "Polygon" => vec![g["arcs"].clone()],
        "MultiPolygon" => g["arcs"].as_array().unwrap().clone(),
        other => panic!("{name} is a {other}"),
    };
    let mut rings = Vec::new();
    for polygon in &polygons {
        for ring in polygon.as_array().unwrap() {
            let mut out: Vec<[f64; 2]> = Vec::new();
            for i in ring.as_array().unwrap() {
                let i = i.as_i64().unwrap();
                let mut arc = arcs[if i < 0 { !i } else { i } as usize].clone();
                if i < 0 {
                    arc.reverse();
                }
                out.pop();
                out.extend(arc);
            }
            rings.push(out);
        }
    }
    rings
}

/// Whether (lon, lat) lies inside `rings` (even-odd rule, as the page fills them).
fn inside(rings: &[Vec<[f64; 2]>], lon: f64, lat: f64) -> bool {
    let mut inside = false;
    for r in rings {
        for (a, b) in r.iter().zip(r.iter().cycle().skip(1)) {
            if (a[1] > lat) != (b[1] > lat)
                && lon < a[0] + (lat - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
            {
                inside = !inside;
            }
        }
    }
    inside
}

#[tokio::test(flavor = "multi_thread")]
async fn the_basemap_is_served_from_the_binary_as_topojson() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(open(dir.path()));
    let (s, mime, body) = get_raw(&app, "/explorer/basemap/countries-110m.json").await;
    assert_eq!((s, mime.as_str()), (StatusCode::OK, "application/json"));
    let topo: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(topo["type"], "Topology");
    assert_eq!(topo["transform"]["scale"].as_array().unwrap().len(), 2);
    let arcs = topo["arcs"].as_array().unwrap().len() as i64;
    let countries = topo["objects"]["countries"]["geometries"]
        .as_array()
        .unwrap();
    assert!(countries.len() > 150, "{} countries", countries.len());
    // Every arc a polygon names exists.
    fn indices(v: &serde_json::Value, out: &mut Vec<i64>) {
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| indices(x, out)),
            v => out.push(v.as_i64().unwrap()),
        }
    }
    let mut used = Vec::new();
    countries
        .iter()
        .for_each(|g| indices(&g["arcs"], &mut used));
    assert!(used.iter().all(|&i| (if i < 0 { !i } else { i }) < arcs));
    // Decoded, the outlines are where the devnet's fleets are: Berlin is in
    // Germany, not in Poland; Paris in France.
    let germany = country_rings(&topo, "Germany");
    assert!(inside(&germany, 13.405, 52.52));
    assert!(!inside(&country_rings(&topo, "Poland"), 13.405, 52.52));
    assert!(inside(&country_rings(&topo, "France"), 2.35, 48.86));
    // Each ring closes on itself.
    assert!(germany
        .iter()
        .all(|r| r.len() > 3 && r[0] == r[r.len() - 1]));

    // Only the files the node embeds are served from there.
    let e: ErrorBody = get(
        &app,
        "/explorer/basemap/land-50m.json",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "not_found");
    let e: ErrorBody = get(&app, "/explorer/basemap/..%2Fapp.js", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_names_the_oracle_once_set() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let c: ExplorerConfigView =
        get(&router(node.clone()), "/v1/explorer/config", StatusCode::OK).await;
    assert_eq!(c.oracle, None);
    let config = ExplorerConfig::default();
    let app = router_with(node, config.clone());
    // Set after the router is built, as the devnet does once its oracle is up.
    config.set_oracle("http://127.0.0.1:8646");
    let c: ExplorerConfigView = get(&app, "/v1/explorer/config", StatusCode::OK).await;
    assert_eq!(c.oracle.as_deref(), Some("http://127.0.0.1:8646"));
}

#[tokio::test(flavor = "multi_thread")]
async fn map_clusters_devices_into_h3_cells() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let m: MapView = get(&app, "/v1/map", StatusCode::OK).await;
    assert_eq!((m.devices, m.cells.len(), m.truncated), (0, 0, false));

    let owner = user(0);
    let txs = vec![
        register(&owner, 0, &device_key(0)).encode(),
        register(&owner, 1, &device_key(1)).encode(),
    ];
    assert!(node.submit(txs).await.iter().all(Result::is_ok));
    produce(&node).await;

    let berlin = h3o::CellIndex::try_from(berlin()).unwrap();
    let res5 = berlin.parent(h3o::Resolution::Five).unwrap();
    let m: MapView = get(&app, "/v1/map?res=5", StatusCode::OK).await;
    assert_eq!((m.res, m.devices), (5, 2));
    assert_eq!(m.cells.len(), 1);
    let c = &m.cells[0];
    assert_eq!(c.cell, res5.to_string());
    assert_eq!((c.devices, c.active), (2, 2));
    assert_eq!(c.networks.get(NETWORK), Some(&2));
    assert_eq!(c.boundary.len(), 6, "a hexagon");
    let (lat, lon) = (c.lat, c.lon);
    assert!(c
        .boundary
        .iter()
        .all(|[la, lo]| (la - lat).abs() < 1.0 && (lo - lon).abs() < 1.0));
    // Finer than the devices' own cells: each device stays in its own cell.
    let m: MapView = get(&app, "/v1/map?res=15", StatusCode::OK).await;
    assert_eq!(m.devices, 2);
    let m: MapView = get(&app, "/v1/map?network=other", StatusCode::OK).await;
    assert_eq!((m.devices, m.cells.len()), (0, 0));
    let m: MapView = get(&app, "/v1/map?res=5&ids=true", StatusCode::OK).await;
    let mut ids = m.cells[0].ids.clone().expect("ids asked for");
    ids.sort();
    let mut want = vec![dev_id(&device_key(0)), dev_id(&device_key(1))];
    want.sort();
    assert_eq!(ids, want);
    let m: MapView = get(&app, "/v1/map?res=5", StatusCode::OK).await;
    assert_eq!(m.cells[0].ids, None, "ids only when asked for");
    let e: ErrorBody = get(&app, "/v1/map?res=16", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_resolution");

    let devs: Vec<DeviceView> = get(&app, &format!("/v1/map/{res5}"), StatusCode::OK).await;
    let mut ids: Vec<_> = devs.iter().map(|d| d.id).collect();
    ids.sort();
    let mut want = vec![dev_id(&device_key(0)), dev_id(&device_key(1))];
    want.sort();
    assert_eq!(ids, want);
    let elsewhere = h3o::LatLng::new(-33.9, 18.4)
        .unwrap()
        .to_cell(h3o::Resolution::Five);
    let devs: Vec<DeviceView> = get(&app, &format!("/v1/map/{elsewhere}"), StatusCode::OK).await;
    assert!(devs.is_empty());
    let e: ErrorBody = get(&app, "/v1/map/not-a-cell", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_cell");
}

fn manifest(epoch: u64, entries: &[ManifestEntry]) -> ManifestHeader {
    ManifestHeader {
        chain: genesis().chain(),
        network: NETWORK.into(),
        epoch,
        root: manifest_root(entries),
        total: entries.iter().map(|e| e.amount).sum(),
        devices: entries.len() as u64,
        inputs: plinth_core::Hash::of(b"batches"),
        registry_height: 0,
        awards: plinth_core::Hash::ZERO,
        award_count: 0,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rewards_lists_accepted_epochs_skipping_claim_markers() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let app = router(node.clone());
    let none: Vec<RewardEpoch> = get(&app, "/v1/rewards", StatusCode::OK).await;
    assert!(none.is_empty());

    let entries = vec![
        ManifestEntry {
            device: dev_id(&device_key(0)),
            owner: addr(&user(1)),
            amount: 300_000,
        },
        ManifestEntry {
            device: dev_id(&device_key(1)),
            owner: addr(&user(2)),
            amount: 200_000,
        },
    ];
    // Epochs 0, 1 and 3 (the genesis is long past, so all have ended).
    let headers: Vec<_> = [0, 1, 3].iter().map(|&e| manifest(e, &entries)).collect();
    let txs: Vec<Vec<u8>> = headers
        .iter()
        .enumerate()
        .map(|(n, h)| {
            signed(
                &user(0),
                n as u64,
                FEE,
                Call::SubmitManifest {
                    header: h.clone(),
                    signatures: vec![h.sign(&oracle_key())],
                },
            )
            .encode()
        })
        .collect();
    assert!(node.submit(txs).await.iter().all(Result::is_ok));
    produce(&node).await;
    // Claims put markers between epoch 0's key and epoch 1's.
    let claims: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            signed(
                &user(3),
                i,
                FEE,
                Call::Claim {
                    network: NETWORK.into(),
                    epoch: 0,
                    index: i,
                    entry: entries[i as usize],
                    proof: manifest_proof(&entries, i as usize).unwrap(),
                },
            )
            .encode()
        })
        .collect();
    assert!(node.submit(claims).await.iter().all(Result::is_ok));
    produce(&node).await;

    let epochs = |v: &[RewardEpoch]| v.iter().map(|r| r.header.epoch).collect::<Vec<_>>();
    let all: Vec<RewardEpoch> = get(&app, "/v1/rewards", StatusCode::OK).await;
    assert_eq!(epochs(&all), vec![0, 1, 3]);
    assert_eq!(all[0].header, headers[0]);
    assert_eq!((all[0].claims, all[0].claimed), (2, 500_000));
    assert_eq!((all[1].claims, all[1].claimed), (0, 0));
    let v: Vec<RewardEpoch> = get(&app, "/v1/rewards?network=weather&from=1", StatusCode::OK).await;
    assert_eq!(epochs(&v), vec![1, 3]);
    let v: Vec<RewardEpoch> = get(&app, "/v1/rewards?from=2&limit=5", StatusCode::OK).await;
    assert_eq!(epochs(&v), vec![3]);
    let v: Vec<RewardEpoch> = get(&app, "/v1/rewards?limit=2", StatusCode::OK).await;
    assert_eq!(epochs(&v), vec![0, 1]);
    let v: Vec<RewardEpoch> = get(&app, "/v1/rewards?from=4", StatusCode::OK).await;
    assert!(v.is_empty());
    let e: ErrorBody = get(&app, "/v1/rewards?network=nope", StatusCode::NOT_FOUND).await;
    assert_eq!(e.error.code, "unknown_network");
    let e: ErrorBody = get(&app, "/v1/rewards?from=x", StatusCode::BAD_REQUEST).await;
    assert_eq!(e.error.code, "invalid_epoch");

    // The overview's supply-per-epoch table: newest first, what each manifest minted.
    let per: Vec<plinth_node::api::EpochSupplyView> =
        get(&app, "/v1/supply/epochs", StatusCode::OK).await;
    let rows: Vec<(u64, u64, u64, i128)> = per
        .iter()
        .map(|e| (e.epoch, e.minted, e.burned, e.net))
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, 500_000, 0, 500_000),
            (1, 500_000, 0, 500_000),
            (0, 500_000, 0, 500_000)
        ]
    );
    let per: Vec<plinth_node::api::EpochSupplyView> =
        get(&app, "/v1/supply/epochs?before=2&limit=1", StatusCode::OK).await;
    assert_eq!(per.iter().map(|e| e.epoch).collect::<Vec<_>>(), vec![1]);
}

/// A stand-in oracle serving `manifests` (by epoch) at `/v1/manifests/weather/{epoch}`.
async fn fake_oracle(manifests: Vec<(u64, serde_json::Value)>) -> String {
    use axum::extract::Path;
    use axum::response::IntoResponse;
    let manifests = std::sync::Arc::new(manifests);
    let app = Router::new().route(
        "/v1/manifests/{network}/{epoch}",
        axum::routing::get(move |Path((network, epoch)): Path<(String, u64)>| {
            let manifests = manifests.clone();
            async move {
                match manifests.iter().find(|(e, _)| *e == epoch) {
                    Some((_, m)) if network == NETWORK => axum::Json(m.clone()).into_response(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_proxy_checks_the_oracle_against_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());

    // No oracle configured.
    let e: ErrorBody = get(
        &router(node.clone()),
        "/v1/explorer/manifests/weather/0",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e.error.code, "no_oracle");

    let entries: Vec<ManifestEntry> = (0..12u8)
        .map(|i| ManifestEntry {
            device: dev_id(&device_key(i)),
            owner: addr(&user(1)),
            amount: 1_000 * (u64::from(i) + 1),
        })
        .collect();
    // Epochs 0, 1 and 3 on the ledger.
    let headers: Vec<_> = [0, 1, 3].iter().map(|&e| manifest(e, &entries)).collect();
    let txs: Vec<Vec<u8>> = headers
        .iter()
        .enumerate()
        .map(|(n, h)| {
            signed(
                &user(0),
                n as u64,
                FEE,
                Call::SubmitManifest {
                    header: h.clone(),
                    signatures: vec![h.sign(&oracle_key())],
                },
            )
            .encode()
        })
        .collect();
    assert!(node.submit(txs).await.iter().all(Result::is_ok));
    produce(&node).await;

    // The oracle serves epoch 0 as accepted (signed by the oracle, refused by
    // another member), epoch 1 with one amount changed, epoch 2 (which the ledger
    // lacks) and not epoch 3.
    let doc = |h: &ManifestHeader, entries: &[ManifestEntry]| {
        serde_json::json!({
            "header": h, "entries": entries, "batches": [], "signatures": [],
            "rejected": {"bad_signature": 3, "late": 1}, "scored": entries.len(),
        })
    };
    let refuser = addr(&user(2));
    let mut signed_doc = doc(&headers[0], &entries);
    signed_doc["signatures"] = serde_json::json!([headers[0].sign(&oracle_key())]);
    signed_doc["refusals"] = serde_json::json!([{
        "oracle": refuser, "code": "omits_batches",
        "reason": "the proposal omits 2 batches this oracle holds from before the cut-off",
    }]);
    let mut tampered = entries.clone();
    tampered[0].amount += 1;
    let url = fake_oracle(vec![
        (0, signed_doc.clone()),
        (1, doc(&headers[1], &tampered)),
        (2, doc(&manifest(2, &entries), &entries)),
    ])
    .await;
    let config = ExplorerConfig::default();
    config.set_oracle(url);
    let app = router_with(node.clone(), config);

    let a: ManifestAudit = get(&app, "/v1/explorer/manifests/weather/0", StatusCode::OK).await;
    assert!(a.consistent, "{:?}", a.problems);
    assert!(a.problems.is_empty());
    assert_eq!((a.network.as_str(), a.epoch), (NETWORK, 0));
    assert_eq!((a.devices_paid, a.total, a.scored), (12, 78_000, 12));
    assert_eq!(a.top_earners.len(), 10);
    assert_eq!(a.top_earners[0], entries[11]);
    assert!(a.top_earners.windows(2).all(|w| w[0].amount >= w[1].amount));
    assert_eq!(a.rejected.get("bad_signature"), Some(&3));
    assert_eq!(a.entries, None);
    // Who signed, and who refused and why.
    assert_eq!(
        a.signatures,
        vec![ManifestSigner {
            oracle: addr(&oracle_key()),
            valid: true
        }]
    );
    assert_eq!(a.refusals.len(), 1);
    let r = &a.refusals[0];
    assert_eq!((r.oracle, r.code.as_str()), (refuser, "omits_batches"));
    assert!(r.reason.contains("omits 2 batches"), "{}", r.reason);
    let a: ManifestAudit = get(
        &app,
        "/v1/explorer/manifests/weather/0?entries=true",
        StatusCode::OK,
    )
    .await;
    assert_eq!(a.entries.as_deref(), Some(&entries[..]));

    let a: ManifestAudit = get(&app, "/v1/explorer/manifests/weather/1", StatusCode::OK).await;
    assert!(!a.consistent);
    assert_eq!(a.problems.len(), 2, "root and total: {:?}", a.problems);
    assert!(a.signatures.is_empty() && a.refusals.is_empty());

    for uri in [
        "/v1/explorer/manifests/weather/2",
        "/v1/explorer/manifests/weather/3",
        "/v1/explorer/manifests/nope/0",
    ] {
        let e: ErrorBody = get(&app, uri, StatusCode::NOT_FOUND).await;
        assert_eq!(e.error.code, "unknown_manifest", "{uri}");
    }
    let e: ErrorBody = get(
        &app,
        "/v1/explorer/manifests/weather/x",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.error.code, "invalid_epoch");

    // A signature over another header is shown as not valid, and is a problem.
    let mut forged = signed_doc;
    forged["signatures"] =
        serde_json::json!([headers[0].sign(&oracle_key()), headers[1].sign(&user(3)),]);
    let config = ExplorerConfig::default();
    config.set_oracle(fake_oracle(vec![(0, forged)]).await);
    let a: ManifestAudit = get(
        &router_with(node.clone(), config),
        "/v1/explorer/manifests/weather/0",
        StatusCode::OK,
    )
    .await;
    assert!(!a.consistent);
    let valid: Vec<(Address, bool)> = a.signatures.iter().map(|s| (s.oracle, s.valid)).collect();
    assert_eq!(
        valid,
        vec![(addr(&oracle_key()), true), (addr(&user(3)), false)]
    );
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
    assert!(a.problems[0].contains("not valid"), "{:?}", a.problems);

    // An oracle that is not there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = ExplorerConfig::default();
    config.set_oracle(format!("http://127.0.0.1:{port}"));
    let app = router_with(node, config);
    let e: ErrorBody = get(
        &app,
        "/v1/explorer/manifests/weather/0",
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert_eq!(e.error.code, "oracle_unreachable");
}
