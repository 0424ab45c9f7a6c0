//! `plinth device run` and `plinth device fleet`.

use crate::keystore::DeviceKeyFile;
use crate::wallet::Ctx;
use anyhow::{bail, Context, Result};
use plinth_api::node::DeviceView;
use plinth_device::agent::{AgentConfig, Work};
use plinth_device::fleet::{FleetConfig, FleetNetwork, FleetRun};
use plinth_device::{DeviceKey, OracleClient};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn network_info(ctx: &Ctx, name: &str) -> Result<serde_json::Value> {
    let networks: Vec<serde_json::Value> = ctx.client().get("/v1/networks")?;
    networks
        .into_iter()
        .find(|n| n["name"] == name)
        .with_context(|| format!("the chain has no network `{name}`"))
}

pub fn run(
    ctx: &Ctx,
    key_file: &Path,
    oracle: &str,
    interval: Duration,
    value: Option<&str>,
) -> Result<()> {
    let key = DeviceKeyFile::load(key_file)?;
    let id = plinth_core::DeviceId(key.public());
    let view: DeviceView = ctx
        .client()
        .get(&format!("/v1/devices/{id}"))
        .with_context(|| format!("device {id} is not registered (see `plinth device register`)"))?;
    let net = network_info(ctx, &view.network)?;
    // Reports name the chain: its identity from the node's genesis hash.
    let chain = plinth_core::chain_identity(&ctx.client().status()?.genesis_hash);
    let family = net["family"].as_str().unwrap_or_default();
    let work = match family.parse() {
        Ok(plinth_core::FamilyKind::Uptime) => Work::Uptime,
        Ok(plinth_core::FamilyKind::Sensor) => {
            let unit = net["params"]["unit"].as_str().unwrap_or("unit").to_string();
            let value_milli = match value {
                Some(v) => {
                    let neg = v.starts_with('-');
                    let m = crate::amount::parse(v.trim_start_matches('-'), 3)? as i64;
                    if neg {
                        -m
                    } else {
                        m
                    }
                }
                None => bail!("a sensor device needs --value (in {unit})"),
            };
            Work::Sensor { unit, value_milli }
        }
        Ok(plinth_core::FamilyKind::Coverage) => {
            // The family's parameters, less the oracle's own.
            let mut own = net["params"].clone();
            if let Some(o) = own.as_object_mut() {
                o.remove(plinth_oracle::chain::MAX_REPORTS_PARAM);
            }
            let params = match plinth_proofs::Family::from_kind(
                plinth_core::FamilyKind::Coverage,
                &own.to_string(),
            )? {
                plinth_proofs::Family::Coverage(p) => p,
                _ => unreachable!("a coverage family"),
            };
            // 27 dBm, a typical LoRa hotspot's EIRP, within the network's limit.
            let tx_power_centi_dbm = (params.max_tx_power_dbm * 100).min(2_700);
            Work::Coverage {
                params,
                tx_power_centi_dbm,
            }
        }
        _ => bail!("no device agent for the `{family}` family"),
    };
    println!(
        "device {id} reporting to {oracle} on `{}` every {interval:?}",
        view.network
    );
    let stop = AtomicBool::new(false);
    plinth_device::agent::run(
        DeviceKey::new(key, &view.network, chain),
        &OracleClient::new(oracle),
        &AgentConfig { interval, work },
        &stop,
    )
}

/// What `plinth device fleet` runs.
pub struct FleetOpts<'a> {
    /// How many devices.
    pub count: usize,
    /// Share of cheaters, basis points.
    pub cheaters_bps: u32,
    /// The oracle the devices report to.
    pub oracle: &'a str,
    /// The owners' key names, in turn.
    pub owners: &'a [String],
    /// The maker's key name (default: the keystore's `maker`, if any).
    pub maker: Option<&'a str>,
    /// How often devices report.
    pub interval: Duration,
    /// The seed of the fleet.
    pub seed: u64,
}

pub fn fleet(ctx: &Ctx, opts: FleetOpts<'_>) -> Result<()> {
    let FleetOpts {
        count,
        cheaters_bps,
        oracle,
        owners,
        maker,
        interval,
        seed,
    } = opts;
    let ks = ctx.keystore()?;
    // The devnet's keystore holds its genesis maker as `maker`.
    let maker = match maker {
        Some(m) => Some(ks.key(m)?),
        None => ks.key("maker").ok(),
    };
    let owners = owners
        .iter()
        .map(|o| ks.key(o))
        .collect::<Result<Vec<_>>>()?;
    let networks: Vec<serde_json::Value> = ctx.client().get("/v1/networks")?;
    let networks: Vec<FleetNetwork> = networks
        .iter()
        .filter_map(|n| {
            FleetNetwork::from_listing(
                n["name"].as_str().unwrap_or_default(),
                n["family"].as_str().unwrap_or_default(),
                &n["params"],
            )
        })
        .collect();
    if networks.is_empty() {
        bail!(
            "the chain has no network the fleet simulates (sensor, uptime, coverage, \
             or a vehicles or mapping module)"
        );
    }
    let cfg = FleetConfig {
        count,
        cheaters_bps,
        networks,
        center: (52.52, 13.405),
        spread_deg: 0.03,
        seed,
        chain: plinth_core::chain_identity(&ctx.client().status()?.genesis_hash),
    };
    let how = FleetRun {
        node: ctx.node.clone(),
        oracle: oracle.to_string(),
        report_to: Vec::new(),
        owners,
        interval,
        maker,
    };
    println!(
        "fleet of {count} devices ({}% cheating) reporting to {oracle}",
        cheaters_bps as f64 / 100.0
    );
    let stop = AtomicBool::new(false);
    plinth_device::fleet::run(&cfg, &how, &stop, |share| {
        let cheat_pct = share.cheaters_bps() as f64 / 100.0;
        let parts: Vec<String> = share
            .by_strategy
            .iter()
            .map(|(s, a)| format!("{s:?}={a}"))
            .collect();
        println!(
            "epoch {} `{}`: paid {} — cheaters {cheat_pct:.2}% ({})",
            share.epoch,
            share.network,
            share.total,
            parts.join(", ")
        );
    })
}
