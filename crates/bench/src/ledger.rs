//! `plinth bench ledger`: committed transfers per second through the node's own
//! submission path (decode, signature check, admission, durable mempool), block
//! execution, sealing and durable commit.

use anyhow::{bail, Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::{Call, Genesis, Transaction};
use plinth_node::{Node, NodeConfig};
use std::time::{Duration, Instant};

pub struct LedgerBench {
    pub txs: usize,
    pub accounts: usize,
    pub block_txs: usize,
    pub submit_batch: usize,
    pub json: bool,
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn key(i: usize) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    seed[8] = 0xbe;
    Keypair::from_seed(seed)
}

/// Raw single-core signature verification rates (individual, batched).
fn verify_rates() -> (f64, f64) {
    let n = 8192;
    let k = key(0);
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("message {i}").into_bytes())
        .collect();
    let sigs: Vec<_> = msgs.iter().map(|m| k.sign(m)).collect();
    let pk = k.public();
    let t = Instant::now();
    for (m, s) in msgs.iter().zip(&sigs) {
        pk.verify(m, s).expect("valid");
    }
    let single = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for chunk in msgs.iter().zip(&sigs).collect::<Vec<_>>().chunks(64) {
        let items: Vec<_> = chunk.iter().map(|(m, s)| (m.as_slice(), pk, **s)).collect();
        plinth_core::verify_batch(&items).expect("valid");
    }
    let batch = n as f64 / t.elapsed().as_secs_f64();
    (single, batch)
}

pub async fn ledger(b: LedgerBench) -> Result<()> {
    if b.accounts < 2 || b.txs == 0 || b.block_txs == 0 || b.submit_batch == 0 {
        bail!("need at least 2 accounts, 1 transaction and 1 transaction per block");
    }
    let dir = std::env::temp_dir().join(format!("plinth-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "generating {} accounts and {} signed transfers…",
        b.accounts, b.txs
    );
    let keys: Vec<Keypair> = (0..b.accounts).map(key).collect();
    let validator = key(usize::MAX / 2);
    let mut accounts_toml = String::new();
    for k in &keys {
        accounts_toml.push_str(&format!(
            "[[accounts]]\naddress = \"{}\"\nbalance = 1000000000000\n",
            Address(k.public())
        ));
    }
    let genesis = Genesis::from_toml(&format!(
        "chain_id = \"bench\"\ngenesis_time_ms = 0\nblock_time_ms = 1000\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = 1000\n[staking]\nunbonding_blocks = 10\n\
         [[validators]]\nname = \"v\"\naddress = \"{}\"\n{accounts_toml}",
        Address(validator.public())
    ))?;
    // Sign on both cores: account i sends its nonces in order to account i+1.
    let n = b.txs;
    let m = b.accounts;
    let sign_range = |range: std::ops::Range<usize>| -> Vec<Vec<u8>> {
        range
            .map(|i| {
                let from = i % m;
                let tx = Transaction {
                    chain_id: "bench".into(),
                    signer: Address(keys[from].public()),
                    nonce: (i / m) as u64,
                    fee: 1000,
                    call: Call::Transfer {
                        to: Address(keys[(from + 1 + i / m) % m].public()),
                        amount: 1 + (i % 1000) as u64,
                    },
                };
                tx.sign(&keys[from]).encode()
            })
            .collect()
    };
    let raw: Vec<Vec<u8>> = std::thread::scope(|s| {
        let half = n / 2;
        let a = s.spawn(move || sign_range(0..half));
        let second = sign_range(half..n);
        let mut first = a.join().expect("signing thread");
        first.extend(second);
        first
    });
    let tx_bytes: usize = raw.iter().map(|r| r.len()).sum::<usize>() / n;

    let (single, batched) = verify_rates();

    let mut config = NodeConfig::new(dir.clone(), Duration::from_secs(1));
    config.max_block_txs = b.block_txs;
    config.mempool_capacity = n + 1;
    config.mempool_per_sender = n + 1;
    let node = Node::open(genesis, validator, config).context("opening the bench chain")?;

    // As on a loaded node: clients keep submitting (in batches, as `POST
    // /v1/txs/batch` does) while the producer seals whatever the mempool holds.
    eprintln!("submitting and committing…");
    let start = Instant::now();
    let submitter = {
        let node = node.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            for chunk in raw.chunks(b.submit_batch) {
                let verdicts = node.submit(chunk.to_vec()).await;
                if let Some(e) = verdicts.iter().find_map(|v| v.as_ref().err()) {
                    bail!("a bench transaction was refused: {e}");
                }
            }
            Ok(t.elapsed().as_secs_f64())
        })
    };
    let producer = {
        let node = node.clone();
        tokio::task::spawn_blocking(move || -> Result<(usize, usize, f64)> {
            let (mut blocks, mut committed, mut busy) = (0usize, 0usize, 0.0);
            while committed < n {
                if node.mempool_len() == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let t = Instant::now();
                let header = node.produce_block()?;
                busy += t.elapsed().as_secs_f64();
                blocks += 1;
                committed += node
                    .store
                    .block(header.height)?
                    .map(|b| b.txs.len())
                    .unwrap_or(0);
            }
            Ok((blocks, committed, busy))
        })
    };
    let submit_secs = submitter.await??;
    let (blocks, committed, block_secs) = producer.await??;
    let elapsed = start.elapsed().as_secs_f64();
    if committed != n {
        bail!("only {committed} of {n} transfers were committed");
    }
    let tps = n as f64 / elapsed;
    let result = serde_json::json!({
        "transfers": n,
        "accounts": m,
        "block_txs": b.block_txs,
        "tx_bytes": tx_bytes,
        "seconds": elapsed,
        "transfers_per_second": tps,
        "submit_batch": b.submit_batch,
        "submission_seconds": submit_secs,
        "block_production_seconds": block_secs,
        "blocks": blocks,
        "blocks_per_second": blocks as f64 / elapsed,
        "peak_rss_mib": peak_rss_mib(),
        "ed25519_verify_per_second_one_core": single,
        "ed25519_batch_verify_per_second_one_core": batched,
        "cores": std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1),
    });
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench ledger: {n} transfers from {m} accounts, blocks of {} ({tx_bytes} bytes/tx)", b.block_txs);
        println!("  committed transfers/s   {tps:>12.0}");
        println!(
            "  blocks/s                {:>12.2}  ({blocks} blocks in {elapsed:.2}s)",
            blocks as f64 / elapsed
        );
        println!("  submission alone        {:>12.0} tx/s (decode, signatures, admission, durable mempool; batches of {})", n as f64 / submit_secs, b.submit_batch);
        println!(
            "  block production alone  {:>12.0} tx/s (execute, state root, seal, durable commit)",
            n as f64 / block_secs
        );
        println!(
            "  peak memory             {:>12.1} MiB",
            peak_rss_mib().unwrap_or(0.0)
        );
        println!("  ed25519 verify/s, 1 core: {single:.0} single, {batched:.0} batched");
    }
    Ok(())
}

/// `plinth bench epoch`: score one epoch of many devices and build its manifest.
pub struct EpochBench {
    pub devices: usize,
    pub family: String,
    pub json: bool,
}

/// Scores an epoch of `devices` sensors (or uptime devices) with one report each,
/// through the same `epoch::compute` the oracle and `oracle audit` run: family
/// scores, the exact split, manifest entries and the merkle root.
pub fn epoch(b: EpochBench) -> Result<()> {
    use plinth_core::{DeviceId, PublicKey, Signature};
    use plinth_oracle::epoch::{compute, EpochSpec, RegistrySnapshot};
    use plinth_oracle::spool::SpoolBatch;
    use plinth_proofs::{DeviceInfo, Family, Report, ReportBody, SignedReport};

    let n = b.devices;
    let (family, params) = match b.family.as_str() {
        "sensor" => ("sensor", r#"{"unit":"celsius","min":-60,"max":60}"#),
        "uptime" => ("uptime", r#"{"heartbeat_interval_s":60}"#),
        other => bail!("no benchmark for family `{other}` (sensor or uptime)"),
    };
    let family_impl = Family::from_network(family, params)?;
    eprintln!("generating {n} devices and reports…");
    let start_ms = 1_700_000_000_000u64;
    let owner = Address(key(1).public());
    // Spread devices over a ~100 km square at H3 resolution 12; fake device ids
    // (scoring does not check signatures: ingest did).
    let side = (n as f64).sqrt().ceil() as usize;
    let mut devices = Vec::with_capacity(n);
    let mut reports = Vec::with_capacity(n);
    for i in 0..n {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let id = DeviceId(PublicKey(k));
        let (x, y) = ((i % side) as f64, (i / side) as f64);
        let lat = 52.0 + y / side as f64;
        let lon = 13.0 + x / side as f64;
        let cell = h3o::LatLng::new(lat, lon)?.to_cell(h3o::Resolution::Twelve);
        devices.push(DeviceInfo {
            id,
            owner,
            location: u64::from(cell),
            active: true,
        });
        let body = if family == "sensor" {
            ReportBody::Reading {
                value_milli: 15_000 + (y as i64 * 7) % 3_000,
                unit: "celsius".into(),
            }
        } else {
            ReportBody::Heartbeat
        };
        reports.push(SignedReport {
            report: Report {
                // Scoring alone: no chain checks it.
                chain: plinth_core::Hash::ZERO,
                device: id,
                network: "bench".into(),
                epoch: 0,
                timestamp_ms: start_ms + 1_000 + (i as u64 % 50_000),
                seq: 1,
                body,
            },
            signature: Signature([0; 64]),
        });
    }
    let batches = vec![
        (
            plinth_core::Hash::of(b"reports"),
            SpoolBatch::Reports(reports),
        ),
        (
            plinth_core::Hash::of(b"registry"),
            SpoolBatch::Registry(vec![RegistrySnapshot {
                network: "bench".into(),
                devices,
            }]),
        ),
    ];
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let spec = EpochSpec {
        chain: plinth_core::Hash::ZERO,
        network: "bench",
        family: &family_impl,
        window: plinth_proofs::EpochWindow {
            epoch: 0,
            start_ms,
            end_ms: start_ms + 3_600_000,
        },
        allowance: 1_000_000_000_000,
        usage_bps: 0,
    };
    let t = Instant::now();
    let m = compute(&spec, batches);
    let secs = t.elapsed().as_secs_f64();
    let rss_after = peak_rss_mib().unwrap_or(0.0);
    if m.header.total != 1_000_000_000_000 {
        bail!(
            "the manifest pays {} instead of the whole allowance",
            m.header.total
        );
    }
    let result = serde_json::json!({
        "family": family,
        "devices": n,
        "seconds": secs,
        "paid_devices": m.header.devices,
        "root": m.header.root,
        "peak_rss_mib": rss_after,
        "peak_rss_mib_before_scoring": rss_before,
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench epoch: {n} {family} devices, one report each");
        println!("  score + split + manifest + root   {secs:>8.2} s");
        println!(
            "  devices paid                      {:>8}",
            m.header.devices
        );
        println!("  root                              {}", m.header.root);
        println!("  peak memory                       {rss_after:>8.1} MiB (inputs alone: {rss_before:.1} MiB)");
    }
    Ok(())
}

/// `plinth bench ingest`: reports per second accepted and made durable by the
/// oracle, over HTTP, in batches.
pub struct IngestBench {
    pub devices: usize,
    pub reports: usize,
    pub batch: usize,
    pub clients: usize,
    pub json: bool,
}

pub async fn ingest(b: IngestBench) -> Result<()> {
    use plinth_core::DeviceId;
    use plinth_proofs::{Report, ReportBody};
    if b.devices == 0 || b.reports == 0 || b.batch == 0 || b.clients == 0 {
        bail!("devices, reports, batch and clients must be positive");
    }
    let dir = std::env::temp_dir().join(format!("plinth-bench-ingest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let owner = key(1);
    let oracle_key = key(2);
    let validator = key(3);
    let now = crate::serve::now_ms();
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
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(node.clone().run_producer(stop_rx.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, plinth_node::rpc::router(node.clone())).await;
    });

    eprintln!("registering {} devices…", b.devices);
    let dev_keys: Vec<Keypair> = (0..b.devices).map(|i| key(1_000_000 + i)).collect();
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
            .sign(&owner)
            .encode()
        })
        .collect();
    let client = plinth_oracle::chain::NodeClient::new(&node_url);
    for chunk in txs.chunks(10_000) {
        let body = serde_json::json!({"txs": chunk.iter().map(hex::encode).collect::<Vec<_>>()});
        let c = client.clone();
        let r: serde_json::Value =
            tokio::task::spawn_blocking(move || c.post("/v1/txs/batch", &body)).await??;
        if r["accepted"].as_u64() != Some(chunk.len() as u64) {
            bail!("registrations refused: {r}");
        }
    }
    let last = DeviceId(dev_keys.last().expect("devices").public());
    loop {
        let c = client.clone();
        let found = tokio::task::spawn_blocking(move || {
            c.get_opt::<serde_json::Value>(&format!("/v1/devices/{last}"))
        })
        .await??;
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut ocfg = plinth_oracle::OracleConfig::new(dir.join("oracle"), node_url.clone());
    // Reports are signed up front; let them stay fresh for the whole run.
    ocfg.max_skew_ms = 600_000;
    let ok = oracle_key.clone();
    let oracle =
        tokio::task::spawn_blocking(move || plinth_oracle::Oracle::open(ocfg, ok)).await??;
    let olistener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let oracle_url = format!("http://{}", olistener.local_addr()?);
    tokio::spawn(plinth_oracle::run::run(
        oracle.clone(),
        plinth_oracle::run::Endpoints {
            http: olistener,
            mqtt: None,
        },
        stop_rx,
    ));

    eprintln!("signing {} reports…", b.reports);
    let ts = crate::serve::now_ms();
    let per_device = b.reports.div_ceil(b.devices);
    let bodies: Vec<String> = {
        let mut all = Vec::with_capacity(b.reports);
        'outer: for round in 0..per_device {
            for k in &dev_keys {
                if all.len() == b.reports {
                    break 'outer;
                }
                let r = Report {
                    chain: oracle.chain,
                    device: DeviceId(k.public()),
                    network: "weather".into(),
                    epoch: 0,
                    timestamp_ms: ts,
                    seq: round as u64 + 1,
                    body: ReportBody::Reading {
                        value_milli: 15_000,
                        unit: "celsius".into(),
                    },
                }
                .sign(k);
                all.push(hex::encode(r.encode()));
            }
        }
        // Round-major order keeps each device's sequence numbers increasing.
        all.chunks(b.batch)
            .map(|c| serde_json::json!({ "reports": c }).to_string())
            .collect()
    };
    let report_bytes = bodies.iter().map(|s| s.len()).sum::<usize>() / b.reports;

    eprintln!(
        "posting {} batches of {} from {} clients…",
        bodies.len(),
        b.batch,
        b.clients
    );
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..b.clients {
        let (bodies, next, url) = (
            bodies.clone(),
            next.clone(),
            format!("{oracle_url}/v1/reports"),
        );
        handles.push(std::thread::spawn(move || -> Result<usize> {
            let agent = ureq::AgentBuilder::new().build();
            let mut accepted = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(body) = bodies.get(i) else {
                    return Ok(accepted);
                };
                let resp: serde_json::Value = agent
                    .post(&url)
                    .set("content-type", "application/json")
                    .send_string(body)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .into_json()?;
                accepted += resp["accepted"].as_u64().unwrap_or(0) as usize;
            }
        }));
    }
    let mut accepted = 0;
    for h in handles {
        accepted += h.join().map_err(|_| anyhow::anyhow!("client panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    if accepted != b.reports {
        bail!("only {accepted} of {} reports were accepted", b.reports);
    }
    let rate = accepted as f64 / secs;
    let result = serde_json::json!({
        "reports": accepted,
        "devices": b.devices,
        "batch": b.batch,
        "clients": b.clients,
        "seconds": secs,
        "reports_per_second": rate,
        "request_bytes_per_report": report_bytes,
        "peak_rss_mib": peak_rss_mib(),
    });
    let _ = std::fs::remove_dir_all(&dir);
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("plinth bench ingest: {accepted} signed reports from {} devices, HTTP batches of {}, {} clients", b.devices, b.batch, b.clients);
        println!("  accepted and durable   {rate:>12.0} reports/s  ({secs:.2} s)");
        println!("  request bytes/report   {report_bytes:>12}");
        println!(
            "  peak memory            {:>12.1} MiB",
            peak_rss_mib().unwrap_or(0.0)
        );
    }
    Ok(())
}
