//! `plinth burst`: bursts on a custom family's network (the mapping network's:
//! credits for an H3 cell to be mapped by a deadline, refunded if nobody does;
//! `plinth_ledger::bursts`).

use super::{Common, Tx};
use crate::wallet::{send, Ctx};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use plinth_api::compute::BurstsQuery;
use plinth_api::{award_claim, AwardLookup, OracleClient};
use plinth_core::Hash;
use plinth_ledger::bursts::{BurstStatus, BURST_CLAIM_EPOCHS};
use plinth_ledger::Call;

/// `plinth burst`'s flags and subcommand.
#[derive(Args)]
pub struct BurstArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: BurstCmd,
}

/// `plinth burst`'s subcommands.
#[derive(Subcommand)]
pub enum BurstCmd {
    /// Put credits on a hex: the devices the network's family awards it to in an
    /// epoch up to the deadline earn them; nobody by then, they come back.
    Post {
        #[command(flatten)]
        tx: Tx,
        /// The network (a custom family's, e.g. `mapping`).
        #[arg(long)]
        network: String,
        /// The hex: an H3 cell (hex, at the network's resolution)…
        #[arg(long, conflicts_with_all = ["lat", "lng"])]
        cell: Option<String>,
        /// …or a place: latitude, degrees (with --lng)…
        #[arg(long, requires = "lng", allow_hyphen_values = true)]
        lat: Option<f64>,
        /// …and longitude, degrees.
        #[arg(long, requires = "lat", allow_hyphen_values = true)]
        lng: Option<f64>,
        /// Credits to escrow.
        #[arg(long)]
        credits: u64,
        /// The last reward epoch whose awards count…
        #[arg(long, conflicts_with = "epochs")]
        deadline_epoch: Option<u64>,
        /// …or how many epochs after the current one.
        #[arg(long)]
        epochs: Option<u64>,
    },
    /// List bursts (newest ids not first: in id order, paged).
    List {
        #[arg(long)]
        network: Option<String>,
        /// open, paid or refunded.
        #[arg(long)]
        status: Option<String>,
        /// Key name or address of the poster.
        #[arg(long)]
        poster: Option<String>,
        #[arg(long)]
        after: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// One burst.
    Show { id: String },
    /// Pay an open burst to the devices of the first manifest's award of its hex
    /// (anyone may; the fee is the signer's).
    Claim {
        #[command(flatten)]
        tx: Tx,
        id: String,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
    },
    /// Give an open burst's credits back to its poster once its claim window
    /// passed (anyone may).
    Refund {
        #[command(flatten)]
        tx: Tx,
        id: String,
    },
}

impl BurstArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            BurstCmd::Post {
                tx,
                network,
                cell,
                lat,
                lng,
                credits,
                deadline_epoch,
                epochs,
            } => {
                let tag = tag_of(&c, &network, cell.as_deref(), lat.zip(lng))?;
                let deadline = match (deadline_epoch, epochs) {
                    (Some(d), _) => d,
                    (None, Some(n)) => c.client().status()?.epoch.saturating_add(n),
                    (None, None) => bail!("give --deadline-epoch or --epochs"),
                };
                send(&c, &tx.opts(), |_| {
                    Ok(Call::PostBurst {
                        network,
                        tag,
                        credits,
                        deadline_epoch: deadline,
                    })
                })
            }
            BurstCmd::List {
                network,
                status,
                poster,
                after,
                limit,
            } => {
                let poster = match poster {
                    Some(p) => Some(c.keystore()?.resolve(&p)?.to_string()),
                    None => None,
                };
                let list = c.client().bursts(&BurstsQuery {
                    network,
                    status,
                    poster,
                    after,
                    limit: Some(limit),
                })?;
                c.print(&list, || {
                    let mut out = format!(
                        "{:<64}  {:<10}  {:<16}  {:>10}  {:>9}  status",
                        "id", "network", "hex", "credits", "deadline"
                    );
                    for b in &list {
                        out.push_str(&format!(
                            "\n{:<64}  {:<10}  {:<16}  {:>10}  {:>9}  {}",
                            b.burst.id.to_string(),
                            b.burst.network,
                            b.tag_hex,
                            b.burst.credits,
                            b.burst.deadline_epoch,
                            b.burst.status.name()
                        ));
                    }
                    out
                });
                Ok(())
            }
            BurstCmd::Show { id } => {
                let id: Hash = id.parse().context("a burst id is 64 hex digits")?;
                let b = c
                    .client()
                    .burst(&id)?
                    .with_context(|| format!("no burst {id}"))?;
                c.print(&b, || {
                    let s = &b.burst;
                    let status = match &s.status {
                        BurstStatus::Open => "open".to_string(),
                        BurstStatus::Paid { epoch, paid, height } => format!(
                            "paid at height {height} on epoch {epoch}'s award: {}",
                            paid.iter()
                                .map(|(d, c)| format!("{d} {c}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        BurstStatus::Refunded { height } => {
                            format!("refunded at height {height}")
                        }
                    };
                    format!(
                        "burst {}\n  network   {}\n  hex       {}\n  credits   {}\n  poster    {}\n  epochs    {}..={} (refundable from epoch {})\n  status    {status}",
                        s.id,
                        s.network,
                        b.tag_hex,
                        s.credits,
                        s.poster,
                        s.from_epoch,
                        s.deadline_epoch,
                        s.deadline_epoch.saturating_add(BURST_CLAIM_EPOCHS + 1),
                    )
                });
                Ok(())
            }
            BurstCmd::Claim { tx, id, oracle } => claim(&c, &tx, &id, &oracle),
            BurstCmd::Refund { tx, id } => {
                let burst: Hash = id.parse().context("a burst id is 64 hex digits")?;
                send(&c, &tx.opts(), |_| Ok(Call::RefundBurst { burst }))
            }
        }
    }
}

/// The tag of a hex given as a cell or a place (at the network's `resolution`
/// parameter, 9 when it has none).
fn tag_of(c: &Ctx, network: &str, cell: Option<&str>, at: Option<(f64, f64)>) -> Result<u64> {
    if let Some(cell) = cell {
        let tag = u64::from_str_radix(cell, 16)
            .ok()
            .filter(|t| h3o::CellIndex::try_from(*t).is_ok())
            .with_context(|| format!("{cell:?} is not an H3 cell (hex)"))?;
        return Ok(tag);
    }
    let Some((lat, lng)) = at else {
        bail!("give --cell, or --lat and --lng");
    };
    let n = c
        .client()
        .networks()?
        .into_iter()
        .find(|n| n.name == network)
        .with_context(|| format!("no network {network}"))?;
    let res = n.params["resolution"].as_u64().unwrap_or(9);
    let res = u8::try_from(res)
        .ok()
        .and_then(|r| h3o::Resolution::try_from(r).ok())
        .with_context(|| format!("network {network}'s resolution {res} is not an H3 resolution"))?;
    let ll = h3o::LatLng::new(lat, lng).context("latitude and longitude out of range")?;
    Ok(u64::from(ll.to_cell(res)))
}

/// Looks through the burst's epochs (those with a manifest on the ledger) for
/// an award of its hex and sends the claim.
fn claim(c: &Ctx, tx: &Tx, id: &str, oracle: &str) -> Result<()> {
    let id: Hash = id.parse().context("a burst id is 64 hex digits")?;
    let node = c.client();
    let b = node
        .burst(&id)?
        .with_context(|| format!("no burst {id}"))?
        .burst;
    if b.status != BurstStatus::Open {
        bail!("burst {id} is {}, not open", b.status.name());
    }
    let oracle = OracleClient::new(oracle);
    let head = node.status()?.epoch;
    let mut missing = Vec::new();
    for epoch in b.from_epoch..=b.deadline_epoch.min(head) {
        match award_claim(&node, &oracle, &b, epoch)? {
            AwardLookup::Claim(call) => return send(c, &tx.opts(), |_| Ok(*call)),
            AwardLookup::NoManifest => missing.push(epoch),
            AwardLookup::NoAward => {}
        }
    }
    bail!(
        "no manifest so far awards hex {:x} in epochs {}..={}{}",
        b.tag,
        b.from_epoch,
        b.deadline_epoch,
        if missing.is_empty() {
            String::new()
        } else {
            format!(" (epochs without a manifest on the ledger yet: {missing:?})")
        }
    )
}
