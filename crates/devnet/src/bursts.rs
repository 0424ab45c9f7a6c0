//! The devnet's bursts (`plinth_ledger::bursts`): a keeper that pays and refunds
//! the bursts of every custom family's network as anyone may, and two demo
//! bursts on the mapping network — one on the hex the fleet's honest dashcams
//! will drive through a few epochs on (paid to them), one on a hex nobody maps
//! (refunded after its deadline).
//!
//! The keeper has an account of its own (`<dir>/bursts/keeper.key.json`, funded
//! by the dev account that funds the compute providers) so that its nonces never
//! race the claimer's or the fleet's.

use crate::compute::key_at;
use crate::services::submit_all;
use anyhow::{Context, Result};
use plinth_api::compute::BurstView;
use plinth_api::{award_claim, AwardLookup, NodeClient, OracleClient};
use plinth_core::{Address, Hash, Keypair};
use plinth_device::fleet::FleetConfig;
use plinth_device::radio::Position;
use plinth_ledger::bursts::BURST_CLAIM_EPOCHS;
use plinth_ledger::Call;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The demo bursts' network.
pub const DEMO_NETWORK: &str = "mapping";
/// Credits of the demo burst the fleet earns.
pub const DEMO_PAID_CREDITS: u64 = 5_000;
/// Credits of the demo burst nobody earns.
pub const DEMO_REFUNDED_CREDITS: u64 = 1_000;
/// How far, metres, the hex nobody maps lies from the fleet's centre.
const NOBODY_M: f64 = 80_000.0;

/// The keeper's key file under the devnet's directory.
pub fn keeper_path(dir: &Path) -> std::path::PathBuf {
    dir.join("bursts").join("keeper.key.json")
}

/// Makes the keeper's account (once) and funds it from `funder`. Call it before
/// anything else signs with `funder` concurrently.
pub fn fund_keeper(dir: &Path, node_url: &str, funder: &Keypair) -> Result<Keypair> {
    let keeper = key_at(&keeper_path(dir))?;
    let client = NodeClient::new(node_url);
    let status = client.status()?;
    let unit = 10u64.pow(status.token.decimals as u32);
    let addr = Address(keeper.public());
    if client.account(&addr)?.balance < unit {
        submit_all(
            &client,
            &status,
            funder,
            vec![Call::Transfer {
                to: addr,
                amount: 50 * unit,
            }],
        )
        .context("funding the burst keeper")?;
    }
    Ok(keeper)
}

/// Starts the keeper's thread: the demo bursts once, then every 5 s claims and
/// refunds, until `stop`.
pub fn start_keeper(
    node_url: &str,
    oracle_url: &str,
    keeper: Keypair,
    fleet: Option<FleetConfig>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let (node_url, oracle_url) = (node_url.to_string(), oracle_url.to_string());
    std::thread::Builder::new()
        .name("bursts".into())
        .spawn(move || {
            let node = NodeClient::new(&node_url);
            let oracle = OracleClient::new(&oracle_url);
            let mut posted = fleet.is_none();
            let mut checked: BTreeMap<Hash, BTreeSet<u64>> = BTreeMap::new();
            while !stop.load(Ordering::SeqCst) {
                if !posted {
                    match post_demo(&node, &keeper, fleet.as_ref()) {
                        Ok(()) => posted = true,
                        Err(e) => tracing::debug!(error = %format!("{e:#}"), "demo bursts not posted yet; will retry"),
                    }
                }
                if let Err(e) = keep(&node, &oracle, &keeper, &mut checked) {
                    tracing::debug!(error = %format!("{e:#}"), "burst keeping failed; will retry");
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        })?;
    Ok(())
}

/// Posts the two demo bursts, unless the keeper posted some already (a restarted
/// devnet keeps its bursts).
fn post_demo(node: &NodeClient, keeper: &Keypair, fleet: Option<&FleetConfig>) -> Result<()> {
    let Some(cfg) = fleet else { return Ok(()) };
    let me = Address(keeper.public());
    let mine = node.bursts(&plinth_api::compute::BurstsQuery {
        poster: Some(me.to_string()),
        limit: Some(1),
        ..Default::default()
    })?;
    if !mine.is_empty() {
        return Ok(());
    }
    let status = node.status()?;
    let clock = status.clock();
    let now = plinth_api::clock::now_ms();
    // Where the honest dashcams will be two epochs from now; nobody 80 km away.
    let at = now + 2 * clock.epoch_ms;
    let cell = plinth_device::fleet::mapped_cell_at(cfg, DEMO_NETWORK, at)
        .context("the fleet has no road of honest dashcams on the mapping network")?;
    let res = h3o::CellIndex::try_from(cell)
        .map(|c| c.resolution())
        .context("a fleet cell")?;
    let far = Position::new(cfg.center.0, cfg.center.1)
        .offset(0.0, NOBODY_M)
        .cell(res);
    let unit = 10u64.pow(status.token.decimals as u32);
    submit_all(
        node,
        &status,
        keeper,
        vec![
            Call::BurnForCredits {
                amount: unit,
                to: me,
            },
            Call::PostBurst {
                network: DEMO_NETWORK.into(),
                tag: cell,
                credits: DEMO_PAID_CREDITS,
                deadline_epoch: clock.epoch_of(at) + 2,
            },
            Call::PostBurst {
                network: DEMO_NETWORK.into(),
                tag: far,
                credits: DEMO_REFUNDED_CREDITS,
                deadline_epoch: status.epoch + 1,
            },
        ],
    )?;
    tracing::info!(
        paid_hex = %format!("{cell:x}"),
        unmapped_hex = %format!("{far:x}"),
        "demo bursts posted on the mapping network"
    );
    Ok(())
}

/// One pass: every open burst of every custom family's network is claimed when
/// an accepted manifest awards its hex, or refunded once its window passed.
/// `checked` remembers the epochs whose manifest awarded nothing.
fn keep(
    node: &NodeClient,
    oracle: &OracleClient,
    keeper: &Keypair,
    checked: &mut BTreeMap<Hash, BTreeSet<u64>>,
) -> Result<()> {
    let status = node.status()?;
    let mut calls = Vec::new();
    let mut open_ids = BTreeSet::new();
    for n in node.networks()?.into_iter().filter(|n| n.family == "wasm") {
        let open: Vec<BurstView> = node.all_bursts(&n.name, "open")?;
        for BurstView { burst: b, .. } in open {
            open_ids.insert(b.id);
            let seen = checked.entry(b.id).or_default();
            let last = b.deadline_epoch.min(status.epoch.saturating_sub(1));
            let mut claim = None;
            for epoch in b.from_epoch..=last {
                if seen.contains(&epoch) {
                    continue;
                }
                match award_claim(node, oracle, &b, epoch)? {
                    AwardLookup::Claim(call) => {
                        claim = Some(*call);
                        break;
                    }
                    AwardLookup::NoAward => {
                        seen.insert(epoch);
                    }
                    AwardLookup::NoManifest => {}
                }
            }
            if let Some(call) = claim {
                tracing::info!(burst = %b.id, hex = %format!("{:x}", b.tag), "claiming a burst");
                calls.push(call);
            } else if status.epoch > b.deadline_epoch.saturating_add(BURST_CLAIM_EPOCHS) {
                tracing::info!(burst = %b.id, hex = %format!("{:x}", b.tag), "refunding a burst nobody earned");
                calls.push(Call::RefundBurst { burst: b.id });
            }
        }
    }
    checked.retain(|id, _| open_ids.contains(id));
    submit_all(node, &status, keeper, calls)
}
