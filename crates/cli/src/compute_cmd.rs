//! `plinth compute …`: a provider offers a device and runs its agent; a consumer
//! orders capacity and leases it, or runs verified jobs (the demo renderer
//! among them) and fetches their outputs checked against the ledger.
//!
//! ```text
//!  provider:  device register --network compute ─▶ compute offer ─▶ compute agent
//!  market:    compute order ─▶ compute bid (provider) ─▶ compute accept ─▶ lease ─▶ close
//!  jobs:      compute job --module M.wasm --input IN --tasks N   (or compute render SCENE.toml)
//!             ─▶ UploadModule…, CreateJob ─▶ agents claim, commit, reveal ─▶ oracle set
//!             spot-checks ─▶ completed ─▶ outputs from the providers, checked by hash
//! ```

use crate::amount;
use crate::storage_cmd::device_arg;
use crate::wallet::{parse_location, send, Ctx, SendOpts};
use anyhow::{bail, Context, Result};
use clap::Args;
use plinth_api::compute::LeasesQuery;
use plinth_compute::client::{self, JobSpec};
use plinth_compute::ledger::NodeLedger;
use plinth_compute::{Agent, AgentConfig};
use plinth_core::{Address, Hash};
use plinth_ledger::compute::{
    order_id, Accelerator, ComputeAttrs, ComputeRequirements, Job, JobStatus,
};
use plinth_ledger::Call;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn hash_arg(s: &str, what: &str) -> Result<Hash> {
    s.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}` is not a {what} id (64 hex characters)"))
}

fn address_arg(ctx: &Ctx, s: &str) -> Result<Address> {
    if let Ok(a) = s.parse::<Address>() {
        return Ok(a);
    }
    Ok(Address(ctx.keystore()?.key(s)?.public()))
}

/// The ledger as `plinth-compute` sees it, sending from keystore key `from`.
fn ledger(ctx: &Ctx, from: &str) -> Result<NodeLedger> {
    let key = ctx.keystore()?.key(from)?;
    Ok(NodeLedger::new(&ctx.node, key))
}

/// Runs the provider's agent until Ctrl-C.
pub fn agent(ctx: &Ctx, a: crate::cmd::compute::AgentArgs) -> Result<()> {
    let device = device_arg(&a.device)?;
    let ledger = Arc::new(ledger(ctx, &a.from)?);
    let offer = ledger.client().compute_offer(&device)?.with_context(|| {
        format!("device {device} has no compute offer (post one with `plinth compute offer`)")
    })?;
    let agent = Agent::new(
        AgentConfig {
            network: a.network.clone(),
            device,
            data_dir: a.data_dir.clone(),
            behaviour: a.behaviour,
            tasks_per_claim: a.tasks_per_claim,
            poll: Duration::from_millis(a.poll_ms),
        },
        ledger,
    )?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        let running = plinth_compute::server::start(agent, listener)?;
        tracing::info!(
            device = %device,
            network = %a.network,
            listen = %running.addr,
            endpoint = %offer.offer.endpoint,
            behaviour = %a.behaviour,
            "compute agent running"
        );
        tokio::signal::ctrl_c().await?;
        drop(running);
        anyhow::Ok(())
    })
}

/// `plinth compute offer`'s flags.
#[derive(Args)]
pub struct OfferArgs {
    #[command(flatten)]
    tx: crate::cmd::Tx,
    /// The provider device: id or key file.
    #[arg(long)]
    device: String,
    /// Where its agent listens, e.g. http://203.0.113.7:8660.
    #[arg(long)]
    endpoint: String,
    /// CPU cores offered.
    #[arg(long)]
    cores: u32,
    /// Memory offered, MiB.
    #[arg(long)]
    memory_mib: u64,
    /// The accelerator: MODEL:MEMORY_MIB[:COUNT], e.g. nvidia-h100:81920:1.
    #[arg(long)]
    accelerator: Option<String>,
    /// Where it runs: LAT,LON (an H3 cell at resolution 5 is recorded).
    #[arg(long)]
    region: String,
    /// Credits per block of a lease, at least.
    #[arg(long)]
    price_per_block: u64,
    /// Credits per task of a job, at least.
    #[arg(long, default_value_t = 1)]
    price_per_task: u64,
    /// Tokens each lease locks from the collateral pool.
    #[arg(long, default_value = "0")]
    collateral_per_lease: String,
    /// Tokens each claimed task locks from the collateral pool.
    #[arg(long, default_value = "0")]
    collateral_per_task: String,
    /// Tokens to add to the collateral pool.
    #[arg(long, default_value = "0")]
    deposit: String,
    /// The device maker's signature over these attributes (`plinth maker
    /// attest-compute`): the offer shows as attested.
    #[arg(long, value_parser = crate::cmd::maker::parse_signature)]
    attestation: Option<plinth_core::Signature>,
}

/// The attributes the flags describe.
pub(crate) fn attrs(
    cores: u32,
    memory_mib: u64,
    accelerator: Option<&str>,
    region: &str,
) -> Result<ComputeAttrs> {
    Ok(ComputeAttrs {
        cores,
        memory_mib,
        accelerator: accelerator.map(parse_accelerator).transpose()?,
        region: parse_location(region, 5)?,
    })
}

fn parse_accelerator(s: &str) -> Result<Accelerator> {
    let parts: Vec<&str> = s.split(':').collect();
    let (model, mem, count) = match parts.as_slice() {
        [m, mem] => (*m, *mem, "1"),
        [m, mem, n] => (*m, *mem, *n),
        _ => {
            bail!("--accelerator `{s}` must be MODEL:MEMORY_MIB[:COUNT], e.g. nvidia-h100:81920:1")
        }
    };
    Ok(Accelerator {
        model: model.to_string(),
        memory_mib: mem
            .parse()
            .with_context(|| format!("accelerator memory `{mem}` is not a number of MiB"))?,
        count: count
            .parse()
            .with_context(|| format!("accelerator count `{count}` is not a number"))?,
    })
}

/// Posts (or replaces) a device's compute offer.
pub fn offer(ctx: &Ctx, o: OfferArgs) -> Result<()> {
    let device = device_arg(&o.device)?;
    let attrs = attrs(o.cores, o.memory_mib, o.accelerator.as_deref(), &o.region)?;
    send(ctx, &o.tx.opts(), |s| {
        let d = s.token.decimals;
        Ok(Call::OfferCompute {
            device,
            endpoint: o.endpoint.clone(),
            attrs,
            attestation: o.attestation,
            price_per_block: o.price_per_block,
            price_per_task: o.price_per_task,
            collateral_per_lease: amount::parse(&o.collateral_per_lease, d)?,
            collateral_per_task: amount::parse(&o.collateral_per_task, d)?,
            deposit: amount::parse(&o.deposit, d)?,
        })
    })
}

/// Lists the offers of a network (or all).
pub fn offers(ctx: &Ctx, network: Option<&str>) -> Result<()> {
    let all = ctx.client().compute_all_offers(network)?;
    ctx.print(&all, || {
        let mut out = format!("{} compute offers\n", all.len());
        for v in &all {
            let o = &v.offer;
            let acc = o
                .attrs
                .accelerator
                .as_ref()
                .map_or("no accelerator".to_string(), |a| {
                    format!("{}× {} ({} MiB)", a.count, a.model, a.memory_mib)
                });
            let r = &v.reputation;
            out.push_str(&format!(
                "{} {} {} cores, {} MiB, {acc}{} region {} · {}/block {}/task · leases {} done {} failed · checks {}/{} · tasks {} verified, {} claims slashed\n",
                o.device,
                o.endpoint,
                o.attrs.cores,
                o.attrs.memory_mib,
                if v.attested { " [attested]" } else { "" },
                v.region_cell,
                o.price_per_block,
                o.price_per_task,
                r.leases_completed,
                r.leases_failed,
                r.checks_passed,
                r.checks_passed + r.checks_failed,
                r.tasks_verified,
                r.claims_slashed,
            ));
        }
        out.trim_end().to_string()
    });
    Ok(())
}

/// `plinth compute order`'s flags.
#[derive(Args)]
pub struct OrderArgs {
    #[command(flatten)]
    tx: crate::cmd::Tx,
    #[arg(long, default_value = "compute")]
    network: String,
    /// At least this many cores.
    #[arg(long, default_value_t = 1)]
    cores: u32,
    /// At least this much memory, MiB.
    #[arg(long, default_value_t = 0)]
    memory_mib: u64,
    /// This accelerator model exactly.
    #[arg(long)]
    accelerator: Option<String>,
    /// At least this much accelerator memory, MiB.
    #[arg(long, default_value_t = 0)]
    accelerator_memory_mib: u64,
    /// Only providers whose maker attested their attributes.
    #[arg(long)]
    attested_only: bool,
    /// The most credits per block.
    #[arg(long)]
    max_price: u64,
    /// How many blocks the lease runs.
    #[arg(long)]
    blocks: u64,
    /// Credits escrowed for the lease (refunded what is unused).
    #[arg(long)]
    deposit: u64,
    /// Blocks the order takes bids.
    #[arg(long, default_value_t = 50)]
    bid_blocks: u64,
}

/// Posts an order; prints its id (the lease it becomes has the same id).
pub fn order(ctx: &Ctx, o: OrderArgs) -> Result<()> {
    let opts = o.tx.opts();
    let from = address_arg(ctx, &opts.from)?;
    let client = ctx.client();
    let status = client.status()?;
    let nonce = client.account(&from)?.next_nonce;
    let call = Call::PostOrder {
        network: o.network.clone(),
        requirements: ComputeRequirements {
            min_cores: o.cores,
            min_memory_mib: o.memory_mib,
            accelerator_model: o.accelerator.clone(),
            min_accelerator_memory_mib: o.accelerator_memory_mib,
            region: None,
            attested_only: o.attested_only,
            min_collateral: 0,
        },
        max_price_per_block: o.max_price,
        duration_blocks: o.blocks,
        deposit: o.deposit,
        bid_blocks: o.bid_blocks,
    };
    let (_, hash, view) = crate::wallet::submit_call(ctx, &opts, &status, call)?;
    if let Some(e) = view
        .as_ref()
        .and_then(|v| v.receipt.as_ref())
        .and_then(|r| r.error.as_ref())
    {
        bail!("the order was refused: {e}");
    }
    let id = order_id(&from, nonce);
    ctx.print(&serde_json::json!({ "order": id, "tx": hash }), || {
        format!("order {id} (tx {hash})")
    });
    Ok(())
}

/// Bids on an order.
pub fn bid(
    ctx: &Ctx,
    opts: &SendOpts,
    order: &str,
    device: &str,
    price: u64,
    deposit: &str,
    expires_in: u64,
) -> Result<()> {
    let order = hash_arg(order, "order")?;
    let device = device_arg(device)?;
    send(ctx, opts, |s| {
        Ok(Call::PlaceBid {
            order,
            device,
            price_per_block: price,
            deposit: amount::parse(deposit, s.token.decimals)?,
            expires_in,
        })
    })
}

/// Accepts a bid: the lease (same id as the order).
pub fn accept(ctx: &Ctx, opts: &SendOpts, order: &str, device: &str) -> Result<()> {
    let order = hash_arg(order, "order")?;
    let device = device_arg(device)?;
    send(ctx, opts, |_| Ok(Call::AcceptBid { order, device }))
}

/// Shows a lease, or lists leases.
pub fn lease(
    ctx: &Ctx,
    id: Option<&str>,
    network: Option<&str>,
    provider: Option<&str>,
    consumer: Option<&str>,
) -> Result<()> {
    let client = ctx.client();
    if let Some(id) = id {
        let id = hash_arg(id, "lease")?;
        let v = client
            .compute_lease(&id)?
            .with_context(|| format!("no lease {id}"))?;
        ctx.print(&v, || lease_line(&v));
        return Ok(());
    }
    let q = LeasesQuery {
        network: network.map(str::to_string),
        provider: provider
            .map(|p| device_arg(p).map(|d| d.to_string()))
            .transpose()?,
        consumer: consumer
            .map(|c| address_arg(ctx, c).map(|a| a.to_string()))
            .transpose()?,
        ..LeasesQuery::default()
    };
    let list = client.compute_leases(&q)?;
    ctx.print(&list, || {
        list.iter().map(lease_line).collect::<Vec<_>>().join("\n")
    });
    Ok(())
}

fn lease_line(v: &plinth_api::compute::LeaseView) -> String {
    let l = &v.lease;
    format!(
        "lease {} {} provider {} consumer {} · {}/block · paid {} · escrow {} · pays until {}",
        l.id,
        match l.status {
            plinth_ledger::compute::LeaseStatus::Active => "active".to_string(),
            plinth_ledger::compute::LeaseStatus::Closed(r) => format!("closed ({r:?})"),
        },
        l.provider,
        l.consumer,
        l.price_per_block,
        l.paid,
        l.escrow,
        v.pays_until
    )
}

/// Closes a lease.
pub fn close(ctx: &Ctx, opts: &SendOpts, lease: &str) -> Result<()> {
    let lease = hash_arg(lease, "lease")?;
    send(ctx, opts, |_| Ok(Call::CloseLease { lease }))
}

/// `plinth compute job`'s flags.
#[derive(Args)]
pub struct JobArgs {
    /// The consumer (key name or address in the keystore): pays.
    #[arg(long)]
    from: String,
    #[arg(long, default_value = "compute")]
    network: String,
    /// The WebAssembly module (Plinth task ABI v1).
    #[arg(long)]
    module: PathBuf,
    /// The input every task reads.
    #[arg(long)]
    input: PathBuf,
    /// Number of tasks.
    #[arg(long)]
    tasks: u32,
    /// Fuel per task.
    #[arg(long, default_value_t = 1_000_000_000)]
    fuel: u64,
    /// Credits per task result.
    #[arg(long, default_value_t = 1)]
    price: u64,
    /// Share of each claim's tasks the oracle set re-executes, e.g. 10% (default:
    /// the chain's).
    #[arg(long, value_parser = crate::cmd::compute::parse_rate)]
    spot_check: Option<u32>,
    /// Providers per task (majority decides).
    #[arg(long, default_value_t = 1)]
    redundancy: u8,
    /// Blocks until the job's deadline.
    #[arg(long, default_value_t = 2_000)]
    deadline_blocks: u64,
    /// Only this lease's provider runs it (a lease of the consumer's).
    #[arg(long)]
    lease: Option<String>,
    /// Where to write each task's output (`DIR/TASK`); without it, the job is
    /// only created.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seconds to wait for the job.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// Creates a job; with `--out`, follows it and writes the checked outputs.
pub fn job(ctx: &Ctx, j: JobArgs) -> Result<()> {
    let ledger = ledger(ctx, &j.from)?;
    let spec = JobSpec {
        network: j.network,
        module: std::fs::read(&j.module)
            .with_context(|| format!("reading {}", j.module.display()))?,
        input: std::fs::read(&j.input).with_context(|| format!("reading {}", j.input.display()))?,
        tasks: j.tasks,
        fuel_per_task: j.fuel,
        price_per_task: j.price,
        spot_check_bps: j.spot_check,
        redundancy: j.redundancy,
        deadline_blocks: j.deadline_blocks,
        lease: j
            .lease
            .as_deref()
            .map(|l| hash_arg(l, "lease"))
            .transpose()?,
    };
    let id = client::submit(&ledger, &spec)?;
    let Some(out) = j.out else {
        ctx.print(&serde_json::json!({ "job": id }), || format!("job {id}"));
        return Ok(());
    };
    let done = follow(ctx, &ledger, &id, j.timeout)?;
    let outputs = client::outputs(&ledger, &done)?;
    std::fs::create_dir_all(&out)?;
    for (t, o) in outputs.iter().enumerate() {
        std::fs::write(out.join(t.to_string()), o)?;
    }
    ctx.print(
        &serde_json::json!({ "job": id, "tasks": outputs.len(), "out": out }),
        || {
            format!(
                "job {id}: {} outputs checked and written to {}",
                outputs.len(),
                out.display()
            )
        },
    );
    Ok(())
}

/// Follows a job to its end, printing progress (text mode).
fn follow(ctx: &Ctx, ledger: &NodeLedger, id: &Hash, timeout: u64) -> Result<Job> {
    let mut last = u32::MAX;
    let started = Instant::now();
    let job = client::follow(
        ledger,
        id,
        Duration::from_secs(timeout),
        Duration::from_millis(500),
        |j| {
            if j.done != last && !ctx.json {
                eprintln!(
                    "job {}: {}/{} tasks done ({:.0} s)",
                    j.id,
                    j.done,
                    j.tasks,
                    started.elapsed().as_secs_f64()
                );
            }
            last = j.done;
        },
    )?;
    if job.status != JobStatus::Completed {
        bail!(
            "job {id} ended {:?} with {} of {} tasks done",
            job.status,
            job.done,
            job.tasks
        );
    }
    Ok(job)
}

/// `plinth compute render`'s flags.
#[derive(Args)]
pub struct RenderArgs {
    /// The scene (TOML; see crates/render/scene/demo.toml).
    scene: PathBuf,
    /// The consumer (key name or address in the keystore): pays.
    #[arg(long)]
    from: String,
    /// Where to write the picture.
    #[arg(long, default_value = "frame.png")]
    out: PathBuf,
    #[arg(long, default_value = "compute")]
    network: String,
    /// Credits per tile.
    #[arg(long, default_value_t = 2)]
    price: u64,
    /// Share of each claim's tiles the oracle set re-renders (default: the chain's).
    #[arg(long, value_parser = crate::cmd::compute::parse_rate)]
    spot_check: Option<u32>,
    /// Providers per tile (majority decides).
    #[arg(long, default_value_t = 1)]
    redundancy: u8,
    /// Fuel per tile.
    #[arg(long, default_value_t = 4_000_000_000)]
    fuel: u64,
    /// Blocks until the job's deadline.
    #[arg(long, default_value_t = 2_000)]
    deadline_blocks: u64,
    /// Only this lease's provider renders it (a lease of the consumer's).
    #[arg(long)]
    lease: Option<String>,
    /// Seconds to wait.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
}

/// Renders a scene on the network: one task per tile, verified, assembled.
pub fn render(ctx: &Ctx, r: RenderArgs) -> Result<()> {
    let text = std::fs::read_to_string(&r.scene)
        .with_context(|| format!("reading {}", r.scene.display()))?;
    let scene = plinth_render::Scene::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", r.scene.display()))?;
    let input = scene
        .encode()
        .map_err(|e| anyhow::anyhow!("{}: {e}", r.scene.display()))?;
    let ledger = ledger(ctx, &r.from)?;
    let spec = JobSpec {
        network: r.network,
        module: plinth_render::MODULE.to_vec(),
        input,
        tasks: scene.tasks(),
        fuel_per_task: r.fuel,
        price_per_task: r.price,
        spot_check_bps: r.spot_check,
        redundancy: r.redundancy,
        deadline_blocks: r.deadline_blocks,
        lease: r
            .lease
            .as_deref()
            .map(|l| hash_arg(l, "lease"))
            .transpose()?,
    };
    let id = client::submit(&ledger, &spec)?;
    if !ctx.json {
        eprintln!("job {id}: {} tiles on network {}", spec.tasks, spec.network);
    }
    let done = follow(ctx, &ledger, &id, r.timeout)?;
    let outputs = client::outputs(&ledger, &done)?;
    let mut frame = plinth_render::Frame::new(scene.tiling());
    for (t, o) in outputs.iter().enumerate() {
        frame
            .insert(t as u32, o)
            .map_err(|e| anyhow::anyhow!("tile {t}: {e}"))?;
    }
    std::fs::write(&r.out, frame.to_png())
        .with_context(|| format!("writing {}", r.out.display()))?;
    let t = frame.tiling();
    ctx.print(
        &serde_json::json!({ "job": id, "tiles": outputs.len(), "width": t.width(), "height": t.height(), "out": r.out }),
        || format!("job {id}: {}×{} frame from {} verified tiles written to {}", t.width(), t.height(), outputs.len(), r.out.display()),
    );
    Ok(())
}

/// Shows whatever `id` names: a job, a claim, a lease or an order.
pub fn show(ctx: &Ctx, id: &str) -> Result<()> {
    let id = hash_arg(id, "job, claim, lease or order")?;
    let c = ctx.client();
    if let Some(j) = c.compute_job(&id)? {
        return {
            ctx.print(&j, || {
                let p = &j.progress;
                format!(
                    "job {} {:?} network {} module {} · {}/{} tasks done, {} in flight, {} open · claims: {} verified, {} slashed, {} expired, {} revealed · escrow {} · p {} bps · k {}",
                    j.job.id, j.job.status, j.job.network, j.job.module, j.job.done, j.job.tasks,
                    p.tasks_in_flight, p.tasks_open, p.claims.verified, p.claims.slashed,
                    p.claims.expired, p.claims.revealed, j.job.escrow, j.job.spot_check_bps, j.job.redundancy
                )
            });
            Ok(())
        };
    }
    if let Some(cl) = c.compute_claim(&id)? {
        ctx.print(&cl, || {
            format!(
                "claim {} of job {} by {} {:?}{} · tasks {:?}",
                cl.claim.id,
                cl.claim.job,
                cl.claim.provider,
                cl.claim.status,
                cl.slash_reason
                    .map(|r| format!(" ({r:?})"))
                    .unwrap_or_default(),
                cl.claim.tasks
            )
        });
        return Ok(());
    }
    if let Some(l) = c.compute_lease(&id)? {
        ctx.print(&l, || lease_line(&l));
        return Ok(());
    }
    if let Some(o) = c.compute_order(&id)? {
        ctx.print(&o, || {
            format!(
                "order {} {:?} · {} bids",
                o.order.order.id,
                o.order.order.status,
                o.bids.len()
            )
        });
        return Ok(());
    }
    bail!("{id} is no job, claim, lease or order on this chain")
}
