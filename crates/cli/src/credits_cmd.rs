//! `plinth wallet credits buy|balance|delegate` and `plinth wallet supply`.

use crate::amount;
use crate::wallet::{send, Ctx, SendOpts};
use anyhow::{bail, Result};
use plinth_api::node::SupplyEpochsQuery;
use plinth_ledger::Call;

/// Burns `amount_text` tokens for credits, credited to `to` (default: the signer).
pub fn buy(ctx: &Ctx, opts: &SendOpts, amount_text: &str, to: Option<&str>) -> Result<()> {
    let price = ctx.client().price()?;
    match &price.price {
        None => bail!("no token price has been posted yet: the oracle's price feed must run first"),
        Some(_) if !price.fresh => bail!(
            "the posted token price is older than {} ms: a burn would be refused until the oracle posts a new one",
            price.price_max_age_ms
        ),
        Some(_) => {}
    }
    let to = match to {
        Some(t) => ctx.keystore()?.resolve(t)?,
        None => ctx.keystore()?.resolve(&opts.from)?,
    };
    send(ctx, opts, |s| {
        Ok(Call::BurnForCredits {
            amount: amount::parse(amount_text, s.token.decimals)?,
            to,
        })
    })
}

/// Gives `credits` of the signer's own credits to `to` (spend-only for them).
pub fn delegate(ctx: &Ctx, opts: &SendOpts, to: &str, credits: u64) -> Result<()> {
    let to = ctx.keystore()?.resolve(to)?;
    send(ctx, opts, |_| {
        Ok(Call::DelegateCredits {
            to,
            amount: credits,
        })
    })
}

pub fn balance(ctx: &Ctx, who: &str) -> Result<()> {
    let addr = ctx.keystore()?.resolve(who)?;
    let c = ctx.client().credits(&addr)?;
    let price = ctx.client().price()?;
    ctx.print(&c, || {
        // One credit is `credit_micro_usd` µUSD.
        let usd = c.total as u128 * price.credit_micro_usd as u128;
        format!(
            "{addr}\n  credits   {:>14} (own {}, delegated {})\n  worth     {:>14}.{:06} USD",
            c.total,
            c.own,
            c.delegated,
            usd / 1_000_000,
            usd % 1_000_000
        )
    });
    Ok(())
}

/// The supply, and minted, burned and net supply per reward epoch.
pub fn supply(ctx: &Ctx, limit: usize) -> Result<()> {
    let s = ctx.client().supply()?;
    let epochs = ctx.client().supply_epochs(&SupplyEpochsQuery {
        limit: Some(limit as u64),
        ..Default::default()
    })?;
    let status = ctx.client().status()?;
    let d = status.token.decimals;
    let sym = &status.token.symbol;
    ctx.print(
        &serde_json::json!({"supply": s, "epochs": epochs}),
        || {
            let mut out = format!(
                "supply at height {}: total {} {sym} (genesis {}, minted {}, burned {}), circulating {}, unclaimed {}\n",
                s.height,
                amount::format(s.genesis + s.minted - s.burned, d),
                amount::format(s.genesis, d),
                amount::format(s.minted, d),
                amount::format(s.burned, d),
                amount::format(s.circulating, d),
                amount::format(s.unclaimed, d),
            );
            out.push_str(&format!("{:>8}  {:>20}  {:>20}  {:>21}\n", "epoch", "minted", "burned", "net"));
            for e in &epochs {
                let net = if e.net < 0 {
                    format!("-{}", amount::format(e.net.unsigned_abs() as u64, d))
                } else {
                    amount::format(e.net as u64, d)
                };
                out.push_str(&format!(
                    "{:>8}  {:>20}  {:>20}  {:>21}\n",
                    e.epoch,
                    amount::format(e.minted, d),
                    amount::format(e.burned, d),
                    net
                ));
            }
            out.trim_end().to_string()
        },
    );
    Ok(())
}
