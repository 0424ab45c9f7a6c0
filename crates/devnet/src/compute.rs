//! The devnet's compute network: five providers' agents — two honest, one that
//! returns garbage, one that copies another provider's commitments, one that
//! skips half its tasks — and a demo render of the path tracer's scene, so that a
//! newcomer sees cheaters caught and slashed and a verified picture assembled.
//!
//! Each provider has its own account (`<dir>/compute/<i>/owner.key.json`, funded
//! by the devnet's last dev account), device key and data directory; keys and
//! ports are kept across restarts.

use crate::keystore::DeviceKeyFile;
use anyhow::{Context, Result};
use plinth_api::NodeClient as Client;
use plinth_compute::client::JobSpec;
use plinth_compute::ledger::NodeLedger;
use plinth_compute::server::RunningAgent;
use plinth_compute::{Agent, AgentConfig, Behaviour};
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::compute::ComputeAttrs;
use plinth_ledger::Call;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The devnet's compute providers, in order.
pub const COMPUTE_BEHAVIOURS: [Behaviour; 5] = [
    Behaviour::Honest,
    Behaviour::Honest,
    Behaviour::Garbage,
    Behaviour::Copier,
    Behaviour::Skipper {
        per_million: 500_000,
    },
];

/// Tokens each provider's account gets (fees and its collateral pool).
const PROVIDER_TOKENS: u64 = 2_000;
/// Tokens each provider puts in its collateral pool.
const POOL_TOKENS: u64 = 1_000;
/// Tokens each claimed task locks.
const COLLATERAL_PER_TASK_TOKENS: u64 = 5;

/// One running compute provider.
pub struct ComputeProvider {
    /// Its device.
    pub device: DeviceId,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// Its agent.
    pub agent: RunningAgent,
}

pub(crate) fn key_at(path: &Path) -> Result<Keypair> {
    if path.exists() {
        return DeviceKeyFile::load(path);
    }
    let k = Keypair::generate();
    DeviceKeyFile::write(path, &k)?;
    Ok(k)
}

/// Starts the compute providers under `<dir>/compute/<i>` when the chain has a
/// compute network: accounts funded by `funder`, devices registered, offers
/// posted, agents running. Blocking (call it off the async runtime's threads).
pub fn start_compute_providers(
    dir: &Path,
    node_url: &str,
    funder: &Keypair,
    rt: &tokio::runtime::Handle,
) -> Result<Vec<ComputeProvider>> {
    let client = Client::new(node_url);
    let params = client.compute_params()?;
    let Some(network) = params.networks.first().cloned() else {
        tracing::info!("the chain has no compute network: no compute providers");
        return Ok(Vec::new());
    };
    let status = client.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let chain = plinth_core::chain_identity(&status.genesis_hash);
    let mut providers = Vec::new();
    let mut funding = Vec::new();
    let mut homes = Vec::new();
    for i in 0..COMPUTE_BEHAVIOURS.len() {
        let home = dir.join("compute").join(i.to_string());
        std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
        let owner = key_at(&home.join("owner.key.json"))?;
        let device = key_at(&home.join("device.key.json"))?;
        let addr = Address(owner.public());
        if client.account(&addr)?.balance < unit {
            funding.push(Call::Transfer {
                to: addr,
                amount: PROVIDER_TOKENS * unit,
            });
        }
        homes.push((home, owner, device));
    }
    crate::services::submit_all(&client, &status, funder, funding)?;
    for (i, (home, owner, device_key)) in homes.into_iter().enumerate() {
        let behaviour = COMPUTE_BEHAVIOURS[i];
        let device = DeviceId(device_key.public());
        let signer = Address(owner.public());
        if client.device(&device)?.is_none() {
            let cell = u64::from(
                h3o::LatLng::new(52.51 - 0.004 * i as f64, 13.40 + 0.004 * i as f64)
                    .context("a provider's location")?
                    .to_cell(h3o::Resolution::Twelve),
            );
            let msg = plinth_ledger::devices::registration_message(
                &chain, &signer, &device, &network, cell,
            );
            crate::services::submit_all(
                &client,
                &status,
                &owner,
                vec![Call::RegisterDevice {
                    device,
                    network: network.clone(),
                    location: cell,
                    device_signature: device_key.sign(&msg),
                }],
            )?;
        }
        // The same port as last time keeps the offer's endpoint valid.
        let port_path = home.join("port");
        let last: Option<u16> = std::fs::read_to_string(&port_path)
            .ok()
            .and_then(|p| p.trim().parse().ok());
        let listener = rt.block_on(async {
            match last {
                Some(p) => match tokio::net::TcpListener::bind(("127.0.0.1", p)).await {
                    Ok(l) => Ok(l),
                    Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await,
                },
                None => tokio::net::TcpListener::bind("127.0.0.1:0").await,
            }
        })?;
        let port = listener.local_addr()?.port();
        std::fs::write(&port_path, port.to_string())?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let offer = client.compute_offer(&device)?;
        if offer.as_ref().is_none_or(|o| o.offer.endpoint != endpoint) {
            let region = u64::from(
                h3o::LatLng::new(52.52, 13.405)
                    .context("the region")?
                    .to_cell(h3o::Resolution::Five),
            );
            crate::services::submit_all(
                &client,
                &status,
                &owner,
                vec![Call::OfferCompute {
                    device,
                    endpoint: endpoint.clone(),
                    attrs: ComputeAttrs {
                        cores: 2,
                        memory_mib: 4_096,
                        accelerator: None,
                        region,
                    },
                    attestation: None,
                    price_per_block: 1,
                    price_per_task: 1,
                    collateral_per_lease: 10 * unit,
                    collateral_per_task: COLLATERAL_PER_TASK_TOKENS * unit,
                    deposit: if offer.is_some() {
                        0
                    } else {
                        POOL_TOKENS * unit
                    },
                }],
            )?;
        }
        let ledger = Arc::new(NodeLedger::new(node_url, owner));
        let agent = Agent::new(
            AgentConfig {
                network: network.clone(),
                device,
                data_dir: home.clone(),
                behaviour,
                tasks_per_claim: 4,
                poll: Duration::from_millis(300),
            },
            ledger,
        )?;
        let running = {
            let _guard = rt.enter();
            plinth_compute::server::start(agent, listener)?
        };
        tracing::info!(%device, %endpoint, %behaviour, network = %network, "compute provider");
        providers.push(ComputeProvider {
            device,
            behaviour,
            agent: running,
        });
    }
    Ok(providers)
}

/// Set to `0` to run the devnet's compute providers without the demo render (the
/// e2e tests do, so that tests about other things do not share the CPU with it).
pub const DEMO_RENDER_ENV: &str = "PLINTH_DEVNET_DEMO_RENDER";

/// The demo render's consumer: an account of its own (`<dir>/compute/consumer.key.json`),
/// funded by `funder`; the render starts on a thread of its own (unless
/// [`DEMO_RENDER_ENV`] is `0`).
pub fn start_demo_consumer(dir: &Path, node_url: &str, funder: &Keypair) -> Result<()> {
    if std::env::var(DEMO_RENDER_ENV).is_ok_and(|v| v == "0") {
        return Ok(());
    }
    let client = Client::new(node_url);
    let status = client.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let consumer = key_at(&dir.join("compute").join("consumer.key.json"))?;
    let addr = Address(consumer.public());
    if client.account(&addr)?.balance < unit {
        crate::services::submit_all(
            &client,
            &status,
            funder,
            vec![Call::Transfer {
                to: addr,
                amount: 100 * unit,
            }],
        )?;
    }
    start_demo_render(dir, node_url, consumer);
    Ok(())
}

/// Where the demo render's picture is written.
pub fn demo_frame_path(dir: &Path) -> PathBuf {
    dir.join("compute").join("demo-frame.png")
}

/// On a devnet without a demo frame yet, `consumer` buys credits and renders the
/// path tracer's demo scene on the compute network (a thread of its own); the
/// picture lands at [`demo_frame_path`] and the log says when.
pub fn start_demo_render(dir: &Path, node_url: &str, consumer: Keypair) {
    let out = demo_frame_path(dir);
    if out.exists() {
        return;
    }
    let node_url = node_url.to_string();
    let dir = dir.to_path_buf();
    let _ = std::thread::Builder::new()
        .name("compute-demo".into())
        .spawn(move || {
            if let Err(e) = demo_render(&dir, &node_url, consumer, &out) {
                tracing::warn!(error = %format!("{e:#}"), "the demo render did not finish");
            }
        });
}

fn demo_render(dir: &Path, node_url: &str, consumer: Keypair, out: &Path) -> Result<()> {
    let client = Client::new(node_url);
    let params = client.compute_params()?;
    let Some(network) = params.networks.first().cloned() else {
        return Ok(());
    };
    let scene = plinth_render::Scene::from_toml(plinth_render::DEMO_SCENE)
        .map_err(|e| anyhow::anyhow!("the demo scene: {e}"))?;
    let input = scene
        .encode()
        .map_err(|e| anyhow::anyhow!("the demo scene: {e}"))?;
    let tasks = scene.tasks();
    let ledger = NodeLedger::new(node_url, consumer.clone());
    // Credits for the tiles (every tile may be paid for twice when a cheater's
    // claim is re-run; plenty).
    let status = client.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let sent = ledger_send(
        &ledger,
        Call::BurnForCredits {
            amount: 20 * unit,
            to: Address(consumer.public()),
        },
    );
    if let Err(e) = sent {
        tracing::warn!(error = %format!("{e:#}"), "buying credits for the demo render");
    }
    let spec = JobSpec {
        network: network.clone(),
        module: plinth_render::MODULE.to_vec(),
        input,
        tasks,
        fuel_per_task: 4_000_000_000,
        price_per_task: 2,
        // Every tile re-executed by the oracle set: the demo's picture must be
        // exact, and every cheater's claim is caught. (A consumer who takes the
        // default rate pays less for verification and accepts that a cheater's
        // claim may pass its check; README: "Verified jobs".)
        spot_check_bps: Some(10_000),
        redundancy: 1,
        deadline_blocks: 5_000,
        lease: None,
    };
    if let Err(e) = demo_leases(dir, node_url, &ledger, &network) {
        tracing::warn!(error = %format!("{e:#}"), "the demo leases were not made");
    }
    let job = plinth_compute::client::submit(&ledger, &spec)?;
    tracing::info!(%job, tiles = tasks, %network, "demo render submitted");
    let done = plinth_compute::client::follow(
        &ledger,
        &job,
        Duration::from_secs(3_600),
        Duration::from_secs(1),
        |_| {},
    )?;
    let outputs = plinth_compute::client::outputs(&ledger, &done)?;
    let mut frame = plinth_render::Frame::new(scene.tiling());
    for (t, o) in outputs.iter().enumerate() {
        frame
            .insert(t as u32, o)
            .map_err(|e| anyhow::anyhow!("tile {t}: {e}"))?;
    }
    std::fs::write(out, frame.to_png())?;
    tracing::info!(%job, path = %out.display(), "DEMO RENDER FINISHED: every tile verified, frame written");
    Ok(())
}

fn ledger_send(ledger: &NodeLedger, call: Call) -> Result<()> {
    use plinth_compute::ComputeLedger;
    if let Some(e) = ledger.send(call)?.error {
        anyhow::bail!("{e}");
    }
    Ok(())
}

/// The providers whose capacity the demo leases: one honest, the garbage one
/// (whose checks fail until its lease is closed and its collateral slashed).
const LEASED: [usize; 2] = [0, 2];

/// The demo consumer orders capacity twice; providers 0 (honest) and 2 (garbage)
/// each bid on one order and the consumer accepts both, so that the oracle's
/// capacity checks have leases to check: one passes epoch after epoch, the
/// other fails `max_check_failures` times in a row and is closed and slashed.
fn demo_leases(dir: &Path, node_url: &str, consumer: &NodeLedger, network: &str) -> Result<()> {
    use plinth_compute::ComputeLedger;
    use plinth_ledger::compute::{order_id, ComputeRequirements};
    let sent = |l: &NodeLedger, call: Call| -> Result<u64> {
        let s = l.send(call)?;
        match s.error {
            None => Ok(s.nonce),
            Some(e) => anyhow::bail!("{e}"),
        }
    };
    for i in LEASED {
        let home = dir.join("compute").join(i.to_string());
        let owner = DeviceKeyFile::load(&home.join("owner.key.json"))?;
        let device = DeviceId(DeviceKeyFile::load(&home.join("device.key.json"))?.public());
        let nonce = sent(
            consumer,
            Call::PostOrder {
                network: network.to_string(),
                requirements: ComputeRequirements {
                    min_cores: 1,
                    ..ComputeRequirements::default()
                },
                max_price_per_block: 2,
                duration_blocks: 100_000,
                deposit: 100_000,
                bid_blocks: 40,
            },
        )?;
        let order = order_id(&consumer.account(), nonce);
        let provider = NodeLedger::new(node_url, owner);
        sent(
            &provider,
            Call::PlaceBid {
                order,
                device,
                price_per_block: 1,
                deposit: 0,
                expires_in: 40,
            },
        )?;
        sent(consumer, Call::AcceptBid { order, device })?;
        tracing::info!(lease = %order, provider = %device, behaviour = %COMPUTE_BEHAVIOURS[i], "demo lease: the oracle checks its capacity every epoch");
    }
    Ok(())
}
