//! `plinth energy`: a local energy market's meters, orders, clearings,
//! settlements and certificates (`plinth_ledger::energy`).

use super::{Common, Tx};
use crate::keystore::DeviceKeyFile;
use crate::wallet::{send, Ctx};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use plinth_api::energy::{CertificatesQuery, EnergyOrdersQuery, PageQuery};
use plinth_core::{DeviceId, Keypair};
use plinth_ledger::energy::{Order, OrderStatus, Side};
use plinth_ledger::Call;
use plinth_proofs::energy::Reading;
use std::path::PathBuf;

/// `plinth energy`'s flags and subcommand.
#[derive(Args)]
pub struct EnergyArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: EnergyCmd,
}

/// Which intervals an order trades in.
#[derive(Args)]
pub struct Intervals {
    /// The first interval (default: the first still taking orders).
    #[arg(long)]
    first: Option<u64>,
    /// How many intervals from it: more than one makes a standing order.
    #[arg(long, default_value_t = 1)]
    intervals: u64,
}

/// An order's fields.
#[derive(Args)]
pub struct OrderArgs {
    #[command(flatten)]
    tx: Tx,
    /// The meter (a device id, `pdev1…`) it trades for.
    #[arg(long)]
    meter: String,
    /// Energy per interval, Wh.
    #[arg(long)]
    wh: u64,
    /// Price, credits per kWh: an offer's lowest, a bid's highest.
    #[arg(long)]
    price: u64,
    #[command(flatten)]
    intervals: Intervals,
}

/// `plinth energy`'s subcommands.
#[derive(Subcommand)]
pub enum EnergyCmd {
    /// Declare an owned device of an energy network as a meter (its generating
    /// capacity; 0 for a consumer).
    Meter {
        #[command(flatten)]
        tx: Tx,
        /// The device id (`pdev1…`).
        device: String,
        /// Generating capacity, W.
        #[arg(long)]
        capacity_w: u64,
    },
    /// Offer a meter's energy (collateral at the penalty price is held per interval).
    Offer(OrderArgs),
    /// Bid for energy for a meter (escrow at the bid's price is held per interval).
    Bid(OrderArgs),
    /// List orders.
    Orders {
        #[arg(long)]
        network: Option<String>,
        #[arg(long)]
        meter: Option<String>,
        /// Key name or address of the owner.
        #[arg(long)]
        owner: Option<String>,
        /// open, done, cancelled or out_of_credits.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        after: Option<u64>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Cancel an open order: what it holds comes back.
    Cancel {
        #[command(flatten)]
        tx: Tx,
        /// The order's sequence number.
        order: u64,
    },
    /// A network's market: its clock, balancing account and the last cleared
    /// interval's zones.
    Market { network: String },
    /// A meter's settled trades (what it delivered or received, paid, was
    /// penalised and got back).
    Settlements {
        /// The meter (`pdev1…`).
        meter: String,
        /// After this `interval:order`.
        #[arg(long)]
        after: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Certificates of verified generation: list, transfer, retire.
    Certificates {
        #[command(subcommand)]
        action: CertCmd,
    },
    /// Post a meter's signed reading of an interval (its counters so far).
    Read {
        #[command(flatten)]
        tx: Tx,
        /// The meter's key file (`plinth device keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The interval the reading closes.
        #[arg(long)]
        interval: u64,
        /// Import counter, Wh.
        #[arg(long)]
        import_wh: u64,
        /// Export counter, Wh.
        #[arg(long)]
        export_wh: u64,
    },
}

/// `plinth energy certificates`' subcommands.
#[derive(Subcommand)]
pub enum CertCmd {
    /// List certificates (an account's, or all).
    List {
        /// Key name or address of the holder.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        after: Option<u64>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Give a certificate to another account.
    Transfer {
        #[command(flatten)]
        tx: Tx,
        id: u64,
        /// Key name or address of the new holder.
        #[arg(long)]
        to: String,
    },
    /// Retire a certificate for a beneficiary: it no longer moves.
    Retire {
        #[command(flatten)]
        tx: Tx,
        id: u64,
        #[arg(long)]
        beneficiary: String,
    },
}

fn device(s: &str) -> Result<DeviceId> {
    s.parse()
        .with_context(|| format!("{s:?} is not a device id (pdev1…)"))
}

impl EnergyArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            EnergyCmd::Meter {
                tx,
                device: d,
                capacity_w,
            } => {
                let device = device(&d)?;
                send(&c, &tx.opts(), |_| {
                    Ok(Call::DeclareMeter { device, capacity_w })
                })
            }
            EnergyCmd::Offer(o) => order(&c, Side::Offer, o),
            EnergyCmd::Bid(o) => order(&c, Side::Bid, o),
            EnergyCmd::Orders {
                network,
                meter,
                owner,
                status,
                after,
                limit,
            } => {
                let owner = match owner {
                    Some(o) => Some(c.keystore()?.resolve(&o)?.to_string()),
                    None => None,
                };
                let list = c.client().energy_orders(&EnergyOrdersQuery {
                    network,
                    meter,
                    owner,
                    status,
                    after,
                    limit: Some(limit),
                })?;
                c.print(&list, || orders_table(&list));
                Ok(())
            }
            EnergyCmd::Cancel { tx, order } => {
                send(&c, &tx.opts(), |_| Ok(Call::CancelEnergyOrder { order }))
            }
            EnergyCmd::Market { network } => {
                let m = c.client().energy_market(&network)?;
                c.print(&m, || {
                    let mut out = format!(
                        "energy market {}\n  interval       {} ms (now {}, orders open from {})\n  gate closure   {} ms before, settlement {} ms after\n  penalty price  {} credits/kWh\n  cleared up to  {} (settled up to {})\n  open orders    {}\n  balancing      {} credits",
                        m.network,
                        m.params.interval_ms,
                        m.interval_now,
                        m.first_open,
                        m.params.gate_ms,
                        m.params.settle_ms,
                        m.params.penalty_price,
                        m.market.next_clear.saturating_sub(1),
                        m.market.next_settle.saturating_sub(1),
                        m.market.open_orders,
                        m.market.balancing,
                    );
                    if !m.last_cleared.is_empty() {
                        out.push_str(&format!(
                            "\n\n{:<16}  {:>8}  {:>12}  {:>10}  {:>5}  {:>6}  settled",
                            "zone", "interval", "price/kWh", "volume Wh", "bids", "offers"
                        ));
                        for z in &m.last_cleared {
                            let c = &z.clearing;
                            out.push_str(&format!(
                                "\n{:<16}  {:>8}  {:>12}  {:>10}  {:>5}  {:>6}  {}",
                                z.zone_hex,
                                c.interval,
                                c.price,
                                c.volume_wh,
                                c.bids,
                                c.offers,
                                c.settled
                                    .as_ref()
                                    .map_or("no".to_string(), |s| format!(
                                        "{} Wh delivered, {} credits",
                                        s.delivered_wh, s.paid
                                    ))
                            ));
                        }
                    }
                    out
                });
                Ok(())
            }
            EnergyCmd::Settlements {
                meter,
                after,
                limit,
            } => {
                let id = device(&meter)?;
                let list = c.client().energy_trades(
                    &id,
                    &PageQuery {
                        after,
                        limit: Some(limit),
                    },
                )?;
                c.print(&list, || {
                    let mut out = format!(
                        "{:>8}  {:>6}  {:<5}  {:>9}  {:>9}  {:>10}  {:>8}  {:>8}  {:>8}",
                        "interval",
                        "order",
                        "side",
                        "price",
                        "traded Wh",
                        "delivered",
                        "paid",
                        "penalty",
                        "returned"
                    );
                    for t in &list {
                        out.push_str(&format!(
                            "\n{:>8}  {:>6}  {:<5}  {:>9}  {:>9}  {:>10}  {:>8}  {:>8}  {:>8}",
                            t.interval,
                            t.order,
                            t.side.name(),
                            t.price,
                            t.traded_wh,
                            t.delivered_wh,
                            t.paid,
                            t.penalty,
                            t.returned
                        ));
                    }
                    out
                });
                Ok(())
            }
            EnergyCmd::Certificates { action } => certificates(&c, action),
            EnergyCmd::Read {
                tx,
                key,
                interval,
                import_wh,
                export_wh,
            } => {
                let key: Keypair = DeviceKeyFile::load(&key)?;
                let chain = plinth_core::chain_identity(&c.client().status()?.genesis_hash);
                let reading = Reading {
                    meter: DeviceId(key.public()),
                    interval,
                    import_wh,
                    export_wh,
                }
                .sign(&chain, &key);
                send(&c, &tx.opts(), |_| {
                    Ok(Call::PostReadings {
                        readings: vec![reading],
                    })
                })
            }
        }
    }
}

/// Posts an order, its intervals from `--first` (default: the first open one).
fn order(c: &Ctx, side: Side, o: OrderArgs) -> Result<()> {
    let meter = device(&o.meter)?;
    if o.intervals.intervals == 0 {
        bail!("--intervals must be at least 1");
    }
    let from = match o.intervals.first {
        Some(f) => f,
        None => {
            let network = c
                .client()
                .energy_meter(&meter)?
                .with_context(|| format!("device {meter} is not a meter (plinth energy meter)"))?
                .meter
                .network;
            c.client().energy_market(&network)?.first_open
        }
    };
    let to = from.saturating_add(o.intervals.intervals - 1);
    send(c, &o.tx.opts(), |_| {
        Ok(Call::PostEnergyOrder {
            meter,
            side,
            wh: o.wh,
            price: o.price,
            from_interval: from,
            to_interval: to,
        })
    })
}

fn orders_table(list: &[Order]) -> String {
    let mut out = format!(
        "{:>6}  {:<10}  {:<5}  {:>7}  {:>9}  {:>13}  {:>8}  {:<14}  meter",
        "order", "network", "side", "Wh", "price", "intervals", "held", "status"
    );
    for o in list {
        let status = match &o.status {
            OrderStatus::OutOfCredits { interval } => format!("no credits@{interval}"),
            s => s.name().to_string(),
        };
        out.push_str(&format!(
            "\n{:>6}  {:<10}  {:<5}  {:>7}  {:>9}  {:>13}  {:>8}  {:<14}  {}",
            o.seq,
            o.network,
            o.side.name(),
            o.wh,
            o.price,
            format!("{}..={}", o.from_interval, o.to_interval),
            o.held,
            status,
            o.meter
        ));
    }
    out
}

fn certificates(c: &Ctx, action: CertCmd) -> Result<()> {
    match action {
        CertCmd::List {
            owner,
            after,
            limit,
        } => {
            let owner = match owner {
                Some(o) => Some(c.keystore()?.resolve(&o)?.to_string()),
                None => None,
            };
            let list = c.client().energy_certificates(&CertificatesQuery {
                owner,
                after,
                limit: Some(limit),
            })?;
            c.print(&list, || {
                let mut out = format!(
                    "{:>6}  {:<10}  {:>9}  {:>15}  {:<64}  retired",
                    "id", "network", "Wh", "intervals", "holder"
                );
                for x in &list {
                    out.push_str(&format!(
                        "\n{:>6}  {:<10}  {:>9}  {:>15}  {:<64}  {}",
                        x.id,
                        x.network,
                        x.wh,
                        format!("{}..={}", x.first_interval, x.last_interval),
                        x.owner.to_string(),
                        x.retired
                            .as_ref()
                            .map_or("no".to_string(), |r| format!("for {}", r.beneficiary))
                    ));
                }
                out
            });
            Ok(())
        }
        CertCmd::Transfer { tx, id, to } => {
            let to = c.keystore()?.resolve(&to)?;
            send(c, &tx.opts(), |_| Ok(Call::TransferCertificate { id, to }))
        }
        CertCmd::Retire {
            tx,
            id,
            beneficiary,
        } => send(c, &tx.opts(), |_| {
            Ok(Call::RetireCertificate {
                id,
                beneficiary: beneficiary.clone(),
            })
        }),
    }
}
