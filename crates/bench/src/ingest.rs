//! `plinth bench ingest`: reports per second accepted and made durable by the
//! oracle over HTTP, against a node and an oracle started in this process.

use crate::peak_rss_mib;
use anyhow::{bail, Result};
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::{Call, Genesis, Transaction};
use plinth_node::{Node, NodeConfig};
use plinth_proofs::{Report, ReportBody};
use std::time::{Duration, Instant};

/// The benchmark's keys: owner, oracle, validator, then the devices.
fn key(i: usize) -> Keypair {
    crate::key(0xbe, i)
}

/// `plinth bench ingest`: reports per second accepted and made durable by the
/// oracle, over HTTP, in batches.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestBench {
    /// Registered devices the reports come from.
    #[arg(long, default_value_t = 10_000)]
    pub devices: usize,
    /// Signed reports to post.
    #[arg(long, default_value_t = 200_000)]
    pub reports: usize,
    /// Reports per HTTP request.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 2)]
    pub clients: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark and prints its result.
pub async fn run(b: IngestBench) -> Result<()> {
    if b.devices == 0 || b.reports == 0 || b.batch == 0 || b.clients == 0 {
        bail!("devices, reports, batch and clients must be positive");
    }
    // Batches in flight at once must not share a device: a device's later
    // report admitted before its earlier one makes that one a replay.
    if b.devices < b.clients * b.batch {
        bail!(
            "need --devices ≥ --clients × --batch ({} × {}): concurrent batches must not share a device, or a later sequence number can arrive first",
            b.clients,
            b.batch
        );
    }
    let dir = std::env::temp_dir().join(format!("plinth-bench-ingest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let owner = key(1);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (node_url, chain) = start_node(&b, &dir, &owner, stop_rx.clone()).await?;

    eprintln!("registering {} devices…", b.devices);
    let dev_keys: Vec<Keypair> = (0..b.devices).map(|i| key(1_000_000 + i)).collect();
    register_devices(&node_url, chain, &owner, &dev_keys).await?;

    let (oracle, oracle_url) = start_oracle(&dir, &node_url, stop_rx).await?;

    eprintln!("signing {} reports…", 3 * b.reports);
    let per_device = b.reports.div_ceil(b.devices) as u64;
    let bodies = json_bodies(&signed_reports(&b, oracle.chain, &dev_keys, 0), b.batch);
    // More sets, each later in every device's sequence: the binary body, then
    // admission alone.
    let binary: Vec<Vec<u8>> = signed_reports(&b, oracle.chain, &dev_keys, per_device)
        .chunks(b.batch)
        .map(plinth_oracle::http::frame_reports)
        .collect();
    let direct = signed_reports(&b, oracle.chain, &dev_keys, 2 * per_device);
    let report_bytes = bodies.iter().map(Vec::len).sum::<usize>() / b.reports;
    let binary_report_bytes = binary.iter().map(Vec::len).sum::<usize>() / b.reports;

    let url = format!("{oracle_url}/v1/reports");
    eprintln!(
        "posting {} JSON batches of {} from {} clients…",
        bodies.len(),
        b.batch,
        b.clients
    );
    let start = Instant::now();
    let accepted = post_batches(bodies, &url, "application/json", b.clients)?;
    let secs = start.elapsed().as_secs_f64();
    if accepted != b.reports {
        bail!("only {accepted} of {} reports were accepted", b.reports);
    }
    eprintln!("posting {} binary batches…", binary.len());
    let start = Instant::now();
    let binary_accepted =
        post_batches(binary, &url, plinth_oracle::http::REPORTS_BINARY, b.clients)?;
    let binary_secs = start.elapsed().as_secs_f64();
    if binary_accepted != b.reports {
        bail!(
            "only {binary_accepted} of {} binary reports were accepted",
            b.reports
        );
    }

    // The same work without HTTP, JSON or hex: raw reports straight into
    // `Oracle::submit` (signatures, admission, durable spool), from as many
    // concurrent submitters.
    eprintln!("submitting {} reports in process…", b.reports);
    let chunks: Vec<Vec<Vec<u8>>> = direct.chunks(b.batch).map(|c| c.to_vec()).collect();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let chunks = std::sync::Arc::new(chunks);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..b.clients {
        let (oracle, chunks, next) = (oracle.clone(), chunks.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0;
            let mut refused = None;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(raw) = chunks.get(i) else {
                    return (accepted, refused);
                };
                for v in oracle.submit(raw.clone()).await {
                    if v.status == plinth_oracle::ingest::VerdictStatus::Accepted {
                        accepted += 1;
                    } else if refused.is_none() {
                        refused = Some(format!("{:?}: {:?}", v.code, v.reason));
                    }
                }
            }
        }));
    }
    let mut direct_accepted = 0;
    let mut first_refusal = None;
    for t in tasks {
        let (n, refused) = t.await?;
        direct_accepted += n;
        first_refusal = first_refusal.or(refused);
    }
    let direct_secs = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    if direct_accepted != b.reports {
        bail!(
            "in process, only {direct_accepted} of {} reports were accepted; the first refusal: {}",
            b.reports,
            first_refusal.unwrap_or_default()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    print_result(
        &b,
        accepted,
        Seconds {
            json: secs,
            binary: binary_secs,
            direct: direct_secs,
        },
        (report_bytes, binary_report_bytes),
    )
}

/// Starts a node (block producer and HTTP API) on a new chain with one sensor
/// network and `owner` funded; returns its URL and the chain's identity.
async fn start_node(
    b: &IngestBench,
    dir: &std::path::Path,
    owner: &Keypair,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(String, plinth_core::Hash)> {
    let oracle_key = key(2);
    let validator = key(3);
    let now = plinth_oracle::now_ms();
    let genesis = Genesis::from_toml(&format!(
        "chain_id = \"bench\"\ngenesis_time_ms = {now}\nblock_time_ms = 100\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = 1\n[staking]\nunbonding_blocks = 10\n\
         [emission]\nepoch_ms = 3600000\ninitial_per_epoch = 1000000\n\
         [oracles]\nthreshold = 1\nmembers = [\"{o}\"]\n\
         [[validators]]\nname = \"v\"\naddress = \"{v}\"\n\
         [[accounts]]\naddress = \"{w}\"\nbalance = 1000000000000\n\
         [[networks]]\nname = \"weather\"\nfamily = \"sensor\"\nshare_bps = 10000\n\
         [networks.params]\nunit = \"celsius\"\nmin = -60\nmax = 60\n",
        o = Address(oracle_key.public()),
        v = Address(validator.public()),
        w = Address(owner.public()),
    ))?;
    let mut config = NodeConfig::new(dir.join("node"), Duration::from_millis(100));
    config.max_block_txs = 20_000;
    config.mempool_capacity = b.devices + 1;
    let chain = genesis.chain();
    let node = Node::open(genesis, validator, config)?;
    tokio::spawn(node.clone().run_producer(stop));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, plinth_node::rpc::router(node.clone())).await;
    });
    Ok((node_url, chain))
}

/// Registers every device to `owner` on the `weather` network and waits until
/// the last one is on the ledger.
async fn register_devices(
    node_url: &str,
    chain: plinth_core::Hash,
    owner: &Keypair,
    dev_keys: &[Keypair],
) -> Result<()> {
    let owner_addr = Address(owner.public());
    let txs: Vec<Vec<u8>> = dev_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let id = DeviceId(k.public());
            let cell = u64::from(
                h3o::LatLng::new(
                    52.0 + (i / 1000) as f64 * 0.001,
                    13.0 + (i % 1000) as f64 * 0.001,
                )
                .expect("valid")
                .to_cell(h3o::Resolution::Twelve),
            );
            let msg = plinth_ledger::devices::registration_message(
                &chain,
                &owner_addr,
                &id,
                "weather",
                cell,
            );
            Transaction {
                chain_id: "bench".into(),
                signer: owner_addr,
                nonce: i as u64,
                fee: 1,
                call: Call::RegisterDevice {
                    device: id,
                    network: "weather".into(),
                    location: cell,
                    device_signature: k.sign(&msg),
                },
            }
            .sign(owner)
            .encode()
        })
        .collect();
    let client = plinth_api::NodeClient::new(node_url);
    // One sender may have at most 1,000 transactions pending: a wave at a time,
    // each committed before the next.
    for (txs, keys) in txs.chunks(1_000).zip(dev_keys.chunks(1_000)) {
        let body = serde_json::json!({"txs": txs.iter().map(hex::encode).collect::<Vec<_>>()});
        let c = client.clone();
        let r: serde_json::Value =
            tokio::task::spawn_blocking(move || c.post("/v1/txs/batch", &body)).await??;
        if r["accepted"].as_u64() != Some(txs.len() as u64) {
            let first = r["results"]
                .as_array()
                .and_then(|a| a.iter().find(|v| v.get("error").is_some()).cloned());
            bail!(
                "registrations refused: {} of {} accepted; first refusal: {}",
                r["accepted"],
                txs.len(),
                first.unwrap_or_default()
            );
        }
        let last = DeviceId(keys.last().expect("devices").public());
        loop {
            let c = client.clone();
            let found = tokio::task::spawn_blocking(move || {
                c.get_opt::<serde_json::Value>(&format!("/v1/devices/{last}"))
            })
            .await??;
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Opens and serves the oracle (HTTP only); returns the chain it serves and its URL.
async fn start_oracle(
    dir: &std::path::Path,
    node_url: &str,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(std::sync::Arc<plinth_oracle::Oracle>, String)> {
    let mut ocfg = plinth_oracle::OracleConfig::new(dir.join("oracle"), node_url.to_string());
    // Reports are signed up front; let them stay fresh for the whole run.
    ocfg.max_skew_ms = 600_000;
    let ok = key(2);
    let oracle =
        tokio::task::spawn_blocking(move || plinth_oracle::Oracle::open(ocfg, ok)).await??;
    let olistener =
        plinth_tls::server::Listener::plain(tokio::net::TcpListener::bind("127.0.0.1:0").await?)?;
    let oracle_url = olistener.url();
    tokio::spawn(plinth_oracle::run::run(
        oracle.clone(),
        plinth_oracle::run::Endpoints {
            http: olistener,
            mqtt: None,
        },
        stop,
    ));
    Ok((oracle, oracle_url))
}

/// `b.reports` signed readings, round-major over the devices (so each device's
/// sequence numbers increase), the first with sequence number `after + 1`.
fn signed_reports(
    b: &IngestBench,
    chain: plinth_core::Hash,
    dev_keys: &[Keypair],
    after: u64,
) -> Vec<Vec<u8>> {
    use rayon::prelude::*;
    let ts = plinth_oracle::now_ms();
    (0..b.reports)
        .into_par_iter()
        .map(|i| {
            let k = &dev_keys[i % dev_keys.len()];
            let round = (i / dev_keys.len()) as u64;
            Report {
                chain,
                device: DeviceId(k.public()),
                network: "weather".into(),
                epoch: 0,
                timestamp_ms: ts,
                seq: after + round + 1,
                body: ReportBody::Reading {
                    value_milli: 15_000,
                    unit: "celsius".into(),
                },
            }
            .sign(k)
            .encode()
        })
        .collect()
}

/// The reports as JSON request bodies (hex) of `batch` reports each.
fn json_bodies(reports: &[Vec<u8>], batch: usize) -> Vec<Vec<u8>> {
    reports
        .chunks(batch)
        .map(|c| {
            let hex: Vec<String> = c.iter().map(hex::encode).collect();
            serde_json::json!({ "reports": hex })
                .to_string()
                .into_bytes()
        })
        .collect()
}

/// Posts the bodies (of `content_type`) from `clients` threads; returns the
/// reports accepted.
fn post_batches(
    bodies: Vec<Vec<u8>>,
    url: &str,
    content_type: &str,
    clients: usize,
) -> Result<usize> {
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (bodies, next, url) = (bodies.clone(), next.clone(), url.to_string());
        let content_type = content_type.to_string();
        handles.push(std::thread::spawn(move || -> Result<usize> {
            let agent = ureq::AgentBuilder::new().build();
            let mut accepted = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(body) = bodies.get(i) else {
                    return Ok(accepted);
                };
                // Only the count is read (the per-report results skipped
                // unparsed), so the clients take little of the cores they share.
                #[derive(serde::Deserialize)]
                struct Accepted {
                    accepted: usize,
                }
                let text = agent
                    .post(&url)
                    .set("content-type", &content_type)
                    .send_bytes(body)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .into_string()?;
                let resp: Accepted = serde_json::from_str(&text)?;
                accepted += resp.accepted;
            }
        }));
    }
    let mut accepted = 0;
    for h in handles {
        accepted += h.join().map_err(|_| anyhow::anyhow!("client panicked"))??;
    }
    Ok(accepted)
}

/// How long each way of sending took.
struct Seconds {
    /// Over HTTP, JSON bodies of hex.
    json: f64,
    /// Over HTTP, binary bodies.
    binary: f64,
    /// In process.
    direct: f64,
}

/// Prints the result (a table, or JSON); `bytes` per report of a JSON and a
/// binary request.
fn print_result(
    b: &IngestBench,
    accepted: usize,
    secs: Seconds,
    bytes: (usize, usize),
) -> Result<()> {
    let rate = accepted as f64 / secs.json;
    let binary_rate = accepted as f64 / secs.binary;
    let direct_rate = accepted as f64 / secs.direct;
    // The machine's raw signature rate in the same run (see `bench ledger`).
    let (_, batched) = crate::ledger::verify_rates();
    let result = serde_json::json!({
        "ed25519_batch_verify_per_second_one_core": batched,
        "reports": accepted,
        "devices": b.devices,
        "batch": b.batch,
        "clients": b.clients,
        "seconds": secs.json,
        "reports_per_second": rate,
        "binary_seconds": secs.binary,
        "binary_reports_per_second": binary_rate,
        "in_process_seconds": secs.direct,
        "in_process_reports_per_second": direct_rate,
        "request_bytes_per_report": bytes.0,
        "binary_request_bytes_per_report": bytes.1,
        "peak_rss_mib": peak_rss_mib(),
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench ingest: {accepted} signed reports from {} devices, HTTP batches of {}, {} clients", b.devices, b.batch, b.clients);
        println!(
            "  accepted and durable, JSON   {rate:>10.0} reports/s  ({:.2} s, {} request bytes/report)",
            secs.json, bytes.0
        );
        println!(
            "  accepted and durable, binary {binary_rate:>10.0} reports/s  ({:.2} s, {} request bytes/report)",
            secs.binary, bytes.1
        );
        println!(
            "  the same in process          {direct_rate:>10.0} reports/s  ({:.2} s; no HTTP, JSON or hex)",
            secs.direct
        );
        println!("  ed25519 batched/s, 1 core    {batched:>10.0}");
        println!(
            "  peak memory                  {:>10.1} MiB",
            peak_rss_mib().unwrap_or(0.0)
        );
    }
    Ok(())
}
