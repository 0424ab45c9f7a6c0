//! `plinth oracle …` and the reward side of the wallet.

use crate::keystore::{Keystore, Passphrase};
use crate::wallet::{Ctx, SendOpts};
use anyhow::{bail, Context, Result};
pub use plinth_devnet::oracle::OracleFileConfig;
use plinth_oracle::{Oracle, OracleConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

/// A USD price as micro-USD (six decimals, exact).
pub fn parse_usd(text: &str) -> Result<u64> {
    let micro = crate::amount::parse(text.trim().trim_start_matches('$'), 6)
        .with_context(|| format!("`{text}` is not a USD price like 0.50"))?;
    if micro == 0 {
        bail!("the token price must be positive");
    }
    Ok(micro)
}

/// Loads the oracle key from a keystore file (its passphrase from
/// `passphrase_file` when given, else the environment or the terminal).
pub fn oracle_key(
    path: &std::path::Path,
    passphrase_file: Option<PathBuf>,
) -> Result<plinth_core::Keypair> {
    let ks = Keystore::load_with(path, Passphrase::from_file(passphrase_file))?;
    if !ks.is_encrypted() {
        tracing::warn!(
            keystore = %path.display(),
            "the oracle key is in an unencrypted development keystore \
             (`plinth wallet --keystore FILE encrypt` encrypts it)"
        );
    }
    if !ks.contains("oracle") {
        bail!("the keystore {} has no key named `oracle`", path.display());
    }
    ks.key("oracle")
}

pub fn open(cfg: &OracleFileConfig) -> Result<Arc<Oracle>> {
    let node = cfg
        .node
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8645".into());
    let Some(key) = &cfg.key else {
        bail!("no oracle key: pass --key FILE (a keystore holding a key named `oracle`)");
    };
    let mut oc = OracleConfig::new(
        cfg.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".plinth/oracle")),
        node,
    );
    if let Some(s) = cfg.max_skew_ms {
        oc.max_skew_ms = s;
    }
    if let Some(p) = &cfg.price_usd {
        oc.price_micro_usd = Some(parse_usd(p)?);
    }
    oc.peers = cfg.peers.clone();
    if let Some(t) = cfg.price_tolerance_bps {
        oc.price_tolerance_bps = t;
    }
    let ms = std::time::Duration::from_millis;
    if let Some(v) = cfg.close_grace_ms {
        oc.close_grace = ms(v);
    }
    if let Some(v) = cfg.exchange_interval_ms {
        oc.exchange_interval = ms(v.max(50));
    }
    if let Some(v) = cfg.propose_after_ms {
        oc.propose_after = ms(v);
    }
    if let Some(v) = cfg.proposal_timeout_ms {
        oc.proposal_timeout = ms(v.max(100));
    }
    if let Some(a) = &cfg.adversary {
        oc.adversary = Some(a.parse().map_err(anyhow::Error::msg)?);
        tracing::warn!(adversary = %a, "this oracle lies (a drill): its peers must refuse what it proposes");
    }
    let key = oracle_key(key, cfg.passphrase_file.clone())?;
    let oracle = Oracle::open(oc, key)?;
    Ok(oracle)
}

pub async fn run(cfg: OracleFileConfig) -> Result<()> {
    let http = cfg
        .http
        .unwrap_or_else(|| "127.0.0.1:8646".parse().expect("valid"));
    if let Some(ca) = &cfg.ca {
        plinth_tls::add_ca_file(ca).context("the config's `ca`")?;
    }
    let tls = plinth_devnet::node::server_tls(&cfg.tls)?;
    let o2 = cfg.clone();
    let oracle = tokio::task::spawn_blocking(move || open(&o2)).await??;
    let listener = tokio::net::TcpListener::bind(http)
        .await
        .with_context(|| format!("cannot listen on {http} (choose another with --http)"))?;
    let listener = plinth_tls::server::Listener::new(listener, tls)?;
    println!("oracle {}/v1/status", listener.url());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(plinth_oracle::run::run(
        oracle,
        plinth_oracle::run::Endpoints {
            http: listener,
            mqtt: cfg.mqtt.clone(),
        },
        stop_rx,
    ));
    plinth_devnet::node::shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = task.await;
    Ok(())
}

pub fn audit(
    node: &str,
    oracle: &str,
    network: &str,
    epoch: u64,
    spool: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let source = match spool {
        Some(dir) => plinth_oracle::audit::BatchSource::Dir(dir),
        None => plinth_oracle::audit::BatchSource::Oracle,
    };
    let r = plinth_oracle::audit::audit(node, oracle, network, epoch, source)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else if r.ok {
        let against = if r.ledger_root.is_some() {
            "as on the ledger"
        } else {
            "as published (it pays nothing, so the ledger holds no manifest)"
        };
        println!(
            "audit ok: `{}` epoch {}: {} batches recomputed to root {} (total {}), {against}",
            r.network, r.epoch, r.batches, r.recomputed_root, r.recomputed_total
        );
        if let Some(s) = &r.settlement {
            println!(
                "  storage settlement: {} proven, {} failed, {} credits used, as the ledger applied them",
                s.proven, s.failed, s.credits_used
            );
        }
    } else {
        println!("audit FAILED: `{}` epoch {}", r.network, r.epoch);
        for p in &r.problems {
            println!("  - {p}");
        }
    }
    plinth_oracle::audit::require_ok(&r)
}

/// One reward as the wallet shows it.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct RewardRow {
    pub network: String,
    pub epoch: u64,
    pub index: u64,
    pub device: plinth_core::DeviceId,
    pub amount: u64,
    /// False while the manifest is published by the oracle but not yet on the ledger.
    pub on_ledger: bool,
    pub claimed: bool,
}

fn reward_rows(
    ctx: &Ctx,
    owner: &plinth_core::Address,
    oracle: &str,
) -> Result<(Vec<plinth_oracle::RewardClaim>, Vec<RewardRow>)> {
    let client = ctx.client();
    let claims = plinth_api::OracleClient::new(oracle).rewards(owner)?;
    let mut rows = Vec::with_capacity(claims.len());
    for c in &claims {
        // `None` while the ledger holds no manifest for the epoch.
        let claimed = client.reward_claimed(&c.network, c.epoch, c.index)?;
        let on_ledger = claimed.is_some();
        rows.push(RewardRow {
            network: c.network.clone(),
            epoch: c.epoch,
            index: c.index,
            device: c.entry.device,
            amount: c.entry.amount,
            on_ledger,
            claimed: claimed.unwrap_or(false),
        });
    }
    Ok((claims, rows))
}

pub fn rewards(ctx: &Ctx, who: &str, oracle: &str) -> Result<()> {
    let owner = ctx.keystore()?.resolve(who)?;
    let (_, rows) = reward_rows(ctx, &owner, oracle)?;
    let decimals = ctx.client().status()?.token.decimals;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no rewards for {owner} yet");
        return Ok(());
    }
    let mut by_epoch: std::collections::BTreeMap<(u64, String), (u64, u64, usize)> =
        Default::default();
    for r in &rows {
        let e = by_epoch.entry((r.epoch, r.network.clone())).or_default();
        e.2 += 1;
        if r.claimed {
            e.0 += r.amount;
        } else {
            e.1 += r.amount;
        }
    }
    println!(
        "{:<8} {:<10} {:>8} {:>16} {:>16}",
        "epoch", "network", "devices", "claimed", "unclaimed"
    );
    for ((epoch, network), (claimed, unclaimed, n)) in by_epoch {
        println!(
            "{epoch:<8} {network:<10} {n:>8} {:>16} {:>16}",
            crate::amount::format(claimed, decimals),
            crate::amount::format(unclaimed, decimals)
        );
    }
    Ok(())
}

/// Claims every unclaimed reward of the signer's devices (or of one epoch).
pub fn claim(ctx: &Ctx, opts: &SendOpts, oracle: &str, epoch: Option<u64>) -> Result<()> {
    let owner = ctx.keystore()?.resolve(&opts.from)?;
    let (claims, rows) = reward_rows(ctx, &owner, oracle)?;
    let todo: Vec<&plinth_oracle::RewardClaim> = claims
        .iter()
        .zip(&rows)
        .filter(|(c, r)| r.on_ledger && !r.claimed && epoch.is_none_or(|e| e == c.epoch))
        .map(|(c, _)| c)
        .collect();
    if todo.is_empty() {
        println!("nothing to claim");
        return Ok(());
    }
    let total: u64 = todo.iter().map(|c| c.entry.amount).sum();
    let n = todo.len();
    for (i, c) in todo.into_iter().enumerate() {
        let last = i + 1 == n;
        let o = SendOpts {
            from: opts.from.clone(),
            fee: opts.fee.clone(),
            wait: opts.wait && last,
        };
        crate::wallet::send_quiet(
            ctx,
            &o,
            plinth_ledger::Call::Claim {
                network: c.network.clone(),
                epoch: c.epoch,
                index: c.index,
                entry: c.entry,
                proof: c.proof.clone(),
            },
        )?;
    }
    let decimals = ctx.client().status()?.token.decimals;
    println!(
        "claimed {} rewards, {} in all",
        n,
        crate::amount::format(total, decimals)
    );
    Ok(())
}
