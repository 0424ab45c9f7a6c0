//! `plinth storage …`: a provider offers space and runs its agent; a consumer puts a
//! file with a provider, gets it back checked against its root, and follows its
//! deals.
//!
//! ```text
//!  provider:  device register --network storage ─▶ storage offer ─▶ storage agent
//!  consumer:  wallet credits buy ─▶ storage put FILE ─▶ (OpenDeal on the ledger,
//!             then the chunks to the provider's agent) ─▶ storage get DEAL
//! ```
//!
//! The agent learns which deals exist from the ledger ([`NodeDealSource`]): it opens
//! a deal only if the ledger has it, active, with this device as the provider and
//! the same manifest the client sends.

use crate::amount;
use crate::keystore::DeviceKeyFile;
use crate::wallet::{send, Ctx, SendOpts};
use anyhow::{bail, Context, Result};
use plinth_api::node::{DealsQuery, OfferView, OffersQuery, StatusView, TxView};
use plinth_api::NodeClient;
use plinth_core::{Address, DeviceId, Hash};
use plinth_devnet::deals::NodeDealSource;
use plinth_ledger::storage::{self as ledger_storage, Deal, DealStatus, StorageOffer};
use plinth_ledger::{Call, Transaction};
use plinth_storage::agent::{Agent, AgentConfig, Behaviour, ReceiptKey};
use plinth_storage::client::{commit_file, ClientError, StorageClient};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Parses an agent's behaviour: `honest`, `drop:25%`, `hashes-only` or `offline`.
pub fn parse_behaviour(s: &str) -> Result<Behaviour, String> {
    match s.trim() {
        "honest" => Ok(Behaviour::Honest),
        "hashes-only" => Ok(Behaviour::HashesOnly),
        "offline" => Ok(Behaviour::Offline),
        other => {
            let Some(pct) = other.strip_prefix("drop:") else {
                return Err(format!(
                    "`{s}` is not a behaviour: use honest, drop:PERCENT (e.g. drop:25%), hashes-only or offline"
                ));
            };
            // A percentage with up to four decimals is parts per million.
            let per_million = amount::parse(pct.trim_end_matches('%'), 4)
                .map_err(|e| format!("drop:{pct}: {e}"))?;
            if per_million > 1_000_000 {
                return Err(format!("drop:{pct}: more than 100%"));
            }
            Ok(Behaviour::DropChunks {
                per_million: per_million as u32,
            })
        }
    }
}

/// Parses a byte count: `1048576`, or with a binary suffix `512KiB`, `64MiB`,
/// `10GiB`, `1TiB` (`K`, `M`, `G`, `T` too).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a byte count (e.g. 1048576, 64MiB, 10GiB)"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        other => {
            return Err(format!(
                "`{s}`: unknown unit `{other}` (use KiB, MiB, GiB or TiB)"
            ))
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// A device named by its id or by its key file.
pub fn device_arg(s: &str) -> Result<DeviceId> {
    let path = Path::new(s);
    if path.is_file() {
        return Ok(DeviceId(DeviceKeyFile::load(path)?.public()));
    }
    s.parse::<DeviceId>()
        .map_err(|_| anyhow::anyhow!("`{s}` is neither a device id nor a device key file"))
}

/// A deal id typed out.
fn deal_arg(s: &str) -> Result<Hash> {
    s.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}` is not a deal id (64 hex characters)"))
}

fn offer_of(client: &NodeClient, device: &DeviceId) -> Result<OfferView> {
    client.offer(device)?.with_context(|| {
        format!(
            "device {device} offers no storage (its owner posts an offer with `plinth storage offer`)"
        )
    })
}

fn deal_of(client: &NodeClient, id: &Hash) -> Result<Deal> {
    client
        .deal(id)?
        .with_context(|| format!("the ledger has no deal {id}"))
}

/// How `plinth storage agent` runs.
pub struct AgentOpts {
    pub key: PathBuf,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub behaviour: Behaviour,
    pub capacity: u64,
}

/// Runs a provider's agent for the device in `opts.key` until Ctrl-C, opening only
/// deals the ledger has for that device.
pub fn agent(ctx: &Ctx, opts: AgentOpts) -> Result<()> {
    let key = DeviceKeyFile::load(&opts.key)?;
    let device = DeviceId(key.public());
    let client = ctx.client();
    // Receipts name the chain (its identity from the node's genesis hash), so the
    // agent needs it before it can sign one.
    let chain = client
        .status()
        .map(|s| s.chain())
        .context("reading the chain's identity from the node (receipts name it)")?;
    // The agent can serve without the node, but then it opens no deal: say so now.
    match client.device(&device) {
        Ok(Some(view)) => {
            let family = client
                .networks()?
                .into_iter()
                .find(|n| n.name == view.network)
                .map(|n| n.family)
                .unwrap_or_default();
            if family != ledger_storage::FAMILY {
                bail!(
                    "device {device} is in network `{}` of family `{family}`, not a storage network",
                    view.network
                );
            }
            match offer_of(&client, &device) {
                Ok(o) => println!(
                    "device {device} offers {} credits/MiB·epoch at {}",
                    o.offer.price_per_mib_epoch, o.offer.endpoint
                ),
                Err(_) => println!(
                    "note: device {device} has no offer on the ledger yet: post one with `plinth storage offer --device {} --endpoint http://{} …`",
                    opts.key.display(),
                    opts.listen
                ),
            }
        }
        Ok(None) => bail!(
            "device {device} is not registered: register it in a storage network first (`plinth device register --key {} --network storage …`)",
            opts.key.display()
        ),
        Err(e) => eprintln!("warning: {e:#}; deals cannot be opened until the node answers"),
    }
    let agent = Agent::open(AgentConfig {
        data_dir: opts.data_dir.clone(),
        capacity: opts.capacity,
        behaviour: opts.behaviour,
        deals: Some(Arc::new(NodeDealSource::new(&ctx.node, device))),
        receipt_key: Some(ReceiptKey {
            key: key.clone(),
            chain,
        }),
    })
    .with_context(|| format!("opening the agent's data in {}", opts.data_dir.display()))?;
    crate::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("cannot listen on {}", opts.listen))?;
        println!(
            "storage agent of device {device} on http://{} (data {}, {:?}, capacity {} bytes)",
            listener.local_addr()?,
            opts.data_dir.display(),
            opts.behaviour,
            opts.capacity
        );
        plinth_storage::agent::serve(agent, listener, plinth_devnet::node::shutdown_signal())
            .await?;
        Ok(())
    })
}

/// `plinth storage offer`: sets a provider device's terms and adds to its collateral.
pub fn offer(
    ctx: &Ctx,
    opts: &SendOpts,
    device: &str,
    endpoint: &str,
    price: u64,
    collateral: &str,
    deposit: &str,
) -> Result<()> {
    let device = device_arg(device)?;
    // The form only: whether a private address is allowed is the chain's
    // (genesis) setting, which the ledger applies.
    ledger_storage::check_endpoint(endpoint, true)
        .map_err(|e| anyhow::anyhow!("endpoint `{endpoint}`: {e}"))?;
    if price == 0 {
        bail!("--price must be at least 1 credit per MiB and epoch");
    }
    send(ctx, opts, |s| {
        Ok(Call::OfferStorage {
            device,
            endpoint: endpoint.to_string(),
            price_per_mib_epoch: price,
            collateral_per_mib: amount::parse(collateral, s.token.decimals)?,
            deposit: amount::parse(deposit, s.token.decimals)?,
        })
    })
}

/// `plinth storage withdraw`: free collateral back to the device's owner.
pub fn withdraw(ctx: &Ctx, opts: &SendOpts, device: &str, amount_text: &str) -> Result<()> {
    let device = device_arg(device)?;
    send(ctx, opts, |s| {
        Ok(Call::WithdrawCollateral {
            device,
            amount: amount::parse(amount_text, s.token.decimals)?,
        })
    })
}

/// `plinth storage close`: ends a deal whose end passed unsettled.
pub fn close(ctx: &Ctx, opts: &SendOpts, deal: &str) -> Result<()> {
    let deal: Hash = deal
        .parse()
        .map_err(|e| anyhow::anyhow!("`{deal}` is not a deal id: {e}"))?;
    send(ctx, opts, |_| Ok(Call::CloseDeal { deal }))
}

/// Signs `call` with `from`, submits it and waits for its block; returns the
/// signer, the nonce it used and the committed transaction. A rejection carries the
/// ledger's reason.
fn submit_and_wait(
    ctx: &Ctx,
    status: &StatusView,
    from: &str,
    fee: Option<&str>,
    call: Call,
) -> Result<(Address, u64, TxView)> {
    let key = ctx.keystore()?.key(from)?;
    let signer = Address(key.public());
    let client = ctx.client();
    let fee = match fee {
        Some(f) => amount::parse(f, status.token.decimals)?,
        None => status.min_fee,
    };
    let nonce = client.account(&signer)?.next_nonce;
    let tx = Transaction {
        chain_id: status.chain_id.clone(),
        signer,
        nonce,
        fee,
        call,
    }
    .sign(&key);
    let hash = tx.hash();
    client.submit(&tx)?;
    let view = client.wait_committed(&hash, Duration::from_secs(60))?;
    Ok((signer, nonce, view))
}

/// Checks that the agent at `endpoint` answers, so that no deal is paid for with a
/// provider that cannot take the file.
fn probe_agent(endpoint: &str) -> Result<()> {
    let c = StorageClient::with_timeout(endpoint, Duration::from_secs(10));
    match c.status(&Hash::ZERO) {
        Ok(_) => Ok(()),
        Err(ClientError::Refused { status: 404, .. }) => Ok(()),
        Err(e) => bail!(
            "the provider's agent at {endpoint} does not answer properly ({e}); no deal was opened"
        ),
    }
}

/// What `plinth storage put` does.
pub struct PutOpts {
    pub file: PathBuf,
    /// The provider device; with `deal`, taken from the ledger.
    pub provider: Option<String>,
    pub epochs: Option<u64>,
    pub chunk_size: u32,
    /// Resume the upload of a deal already on the ledger instead of opening one.
    pub deal: Option<String>,
    pub from: Option<String>,
    pub fee: Option<String>,
}

#[derive(serde::Serialize)]
struct PutView {
    deal: Hash,
    provider: DeviceId,
    endpoint: String,
    root: Hash,
    size: u64,
    chunk_size: u32,
    chunks: u64,
    price_per_epoch: u64,
    epochs: u64,
    start_epoch: u64,
    end_epoch: u64,
    escrow: u64,
    tx: Option<Hash>,
}

/// `plinth storage put`: commits to the file, opens the deal on the ledger (credits
/// escrowed), then opens it on the provider's agent and uploads every chunk.
pub fn put(ctx: &Ctx, opts: &PutOpts) -> Result<()> {
    let client = ctx.client();
    let commitment = match commit_file(&opts.file, opts.chunk_size) {
        Ok(c) => c,
        Err(e @ ClientError::File { .. }) => bail!("{e}"),
        Err(e) => bail!("{}: {e}", opts.file.display()),
    };
    let m = commitment.manifest;
    let (deal, offer, tx) = match &opts.deal {
        Some(id) => {
            let id = deal_arg(id)?;
            let deal = deal_of(&client, &id)?;
            if deal.manifest != m {
                bail!(
                    "deal {id} commits to root {} of {} bytes in chunks of {}; {} in chunks of {} is root {} of {} bytes",
                    deal.manifest.root,
                    deal.manifest.size,
                    deal.manifest.chunk_size,
                    opts.file.display(),
                    m.chunk_size,
                    m.root,
                    m.size
                );
            }
            let offer = offer_of(&client, &deal.provider)?;
            (deal, offer, None)
        }
        None => {
            let (Some(provider), Some(epochs), Some(from)) =
                (&opts.provider, opts.epochs, &opts.from)
            else {
                bail!("a new deal needs --provider, --epochs and --from");
            };
            let provider = device_arg(provider)?;
            let offer = offer_of(&client, &provider)?;
            if !offer.device_active {
                bail!("provider {provider} is retired");
            }
            let price = ledger_storage::price_per_epoch(&offer.offer, m.size)
                .context("the price of this file overflows")?;
            let total = price
                .checked_mul(epochs)
                .context("the price of this deal overflows")?;
            let signer = ctx.keystore()?.resolve(from)?;
            let credits = client.credits(&signer)?;
            if credits.total < total {
                bail!(
                    "{epochs} epochs of {} bytes at {} credits/MiB·epoch cost {total} credits; {from} has {} (buy some with `plinth wallet credits buy`)",
                    m.size,
                    offer.offer.price_per_mib_epoch,
                    credits.total
                );
            }
            probe_agent(&offer.offer.endpoint)?;
            let status = client.status()?;
            let (signer, nonce, view) = submit_and_wait(
                ctx,
                &status,
                from,
                opts.fee.as_deref(),
                Call::OpenDeal {
                    provider,
                    manifest: m,
                    epochs,
                    price_per_epoch: price,
                    // The collateral of the terms read above, not less.
                    min_collateral: ledger_storage::collateral_for(&offer.offer, m.size)
                        .context("the collateral of this file overflows")?,
                },
            )
            .context("opening the deal on the ledger")?;
            let id = ledger_storage::deal_id(&signer, nonce);
            let deal = deal_of(&client, &id)?;
            (deal, offer, Some(view.hash))
        }
    };
    let endpoint = offer.offer.endpoint.clone();
    let agent = StorageClient::new(&endpoint);
    let uploaded = agent
        .open_deal(&deal.id, &commitment)
        .and_then(|_| agent.upload(&deal.id, &commitment, &opts.file));
    let stored = match uploaded {
        Ok(s) => s,
        Err(e) => bail!(
            "deal {} is on the ledger, but uploading to the provider at {endpoint} failed: {e}\n(retry with `plinth storage put {} --deal {} --chunk-size {}`)",
            deal.id,
            opts.file.display(),
            deal.id,
            m.chunk_size
        ),
    };
    if !stored.complete {
        bail!(
            "the provider holds {} of {} chunks of deal {}",
            stored.stored,
            stored.chunks,
            deal.id
        );
    }
    // The provider's receipt activates the deal from the next epoch.
    let (deal, tx) = if deal.status == DealStatus::Pending {
        let status = client.status()?;
        let chain = plinth_core::chain_identity(&status.genesis_hash);
        let receipt = agent
            .receipt(&chain, &deal.id, &m, &deal.provider)
            .map_err(|e| {
                anyhow::anyhow!("the provider gave no receipt for deal {}: {e}", deal.id)
            })?;
        let Some(from) = &opts.from else {
            bail!("deal {} is pending: pass --from to activate it", deal.id);
        };
        let (_, _, view) = submit_and_wait(
            ctx,
            &status,
            from,
            opts.fee.as_deref(),
            Call::ActivateDeal {
                deal: deal.id,
                receipt,
            },
        )
        .context("activating the deal with the provider's receipt")?;
        (deal_of(&client, &deal.id)?, tx.or(Some(view.hash)))
    } else {
        (deal, tx)
    };
    let view = PutView {
        deal: deal.id,
        provider: deal.provider,
        endpoint,
        root: m.root,
        size: m.size,
        chunk_size: m.chunk_size,
        chunks: m.chunk_count(),
        price_per_epoch: deal.price_per_epoch,
        epochs: deal.epochs,
        start_epoch: deal.start_epoch,
        end_epoch: deal.end_epoch,
        escrow: deal.escrow,
        tx,
    };
    ctx.print(&view, || {
        format!(
            "deal      {}\nprovider  {} at {}\nroot      {}\nsize      {} bytes ({} chunks of {}), all stored\nprice     {} credits/epoch for {} epochs ({}..{}); {} credits in escrow",
            view.deal,
            view.provider,
            view.endpoint,
            view.root,
            view.size,
            view.chunks,
            view.chunk_size,
            view.price_per_epoch,
            view.epochs,
            view.start_epoch,
            view.end_epoch,
            view.escrow
        )
    });
    Ok(())
}

/// `plinth storage get`: downloads a deal's file from its provider, every chunk
/// checked against the deal's root; the file appears at `out` only when complete.
pub fn get(ctx: &Ctx, deal: &str, out: &Path) -> Result<()> {
    let client = ctx.client();
    let id = deal_arg(deal)?;
    let deal = deal_of(&client, &id)?;
    let offer = offer_of(&client, &deal.provider)?;
    let endpoint = offer.offer.endpoint;
    let m = deal.manifest;
    // The client's errors already name their cause: print them once, not as a chain.
    if let Err(e) = StorageClient::new(&endpoint).get(&id, &m.root, m.size, out) {
        bail!(
            "getting deal {id} from provider {} at {endpoint}: {e}",
            deal.provider
        );
    }
    ctx.print(
        &serde_json::json!({"deal": id, "out": out, "size": m.size, "root": m.root}),
        || {
            format!(
                "wrote {} bytes to {}, every chunk checked against root {}",
                m.size,
                out.display(),
                m.root
            )
        },
    );
    Ok(())
}

fn status_word(s: DealStatus) -> &'static str {
    match s {
        DealStatus::Active => "active",
        DealStatus::Completed => "completed",
        DealStatus::Slashed => "slashed",
        DealStatus::Pending => "pending (waiting for the provider's receipt)",
    }
}

/// `plinth storage deals`: a consumer's or a provider's deals, or a network's
/// active ones.
pub fn deals(
    ctx: &Ctx,
    consumer: Option<&str>,
    provider: Option<&str>,
    network: Option<&str>,
) -> Result<()> {
    let query = match (consumer, provider, network) {
        (Some(c), None, None) => DealsQuery {
            consumer: Some(ctx.keystore()?.resolve(c)?.to_string()),
            ..Default::default()
        },
        (None, Some(p), None) => DealsQuery {
            provider: Some(device_arg(p)?.to_string()),
            ..Default::default()
        },
        (None, None, Some(n)) => DealsQuery {
            network: Some(n.to_string()),
            ..Default::default()
        },
        _ => bail!("name exactly one of --consumer WALLET, --provider DEVICE or --network NAME"),
    };
    let deals = ctx.client().deals(&query)?;
    ctx.print(&deals, || {
        if deals.is_empty() {
            return "no deals".into();
        }
        deals
            .iter()
            .map(|d| {
                format!(
                    "{}  {:<9} {:>12} bytes  epochs {}..{}  proven {} failed {}  escrow {}  provider {}",
                    d.id,
                    status_word(d.status),
                    d.manifest.size,
                    d.start_epoch,
                    d.end_epoch,
                    d.proven_epochs,
                    d.failed_epochs,
                    d.escrow,
                    d.provider
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// `plinth storage show`: one deal.
pub fn show(ctx: &Ctx, deal: &str) -> Result<()> {
    let client = ctx.client();
    let d = deal_of(&client, &deal_arg(deal)?)?;
    let status = client.status()?;
    let dec = status.token.decimals;
    let sym = &status.token.symbol;
    ctx.print(&d, || {
        format!(
            "deal        {}\n  status      {}\n  consumer    {}\n  provider    {} (network {})\n  root        {}\n  size        {} bytes in chunks of {}\n  epochs      {}..{} (next to settle {}, now {})\n  proven      {} epochs\n  failed      {} epochs ({} in a row)\n  unsettled   {} epochs (refunded)\n  price       {} credits/epoch\n  escrow      {} credits\n  collateral  {} {sym}",
            d.id,
            status_word(d.status),
            d.consumer,
            d.provider,
            d.network,
            d.manifest.root,
            d.manifest.size,
            d.manifest.chunk_size,
            d.start_epoch,
            d.end_epoch,
            d.next_epoch,
            status.epoch,
            d.proven_epochs,
            d.failed_epochs,
            d.consecutive_failures,
            d.unsettled_epochs,
            d.price_per_epoch,
            d.escrow,
            amount::format(d.collateral, dec)
        )
    });
    Ok(())
}

/// `plinth storage offers`: providers' offers, of one network or all.
pub fn offers(ctx: &Ctx, network: Option<&str>) -> Result<()> {
    let client = ctx.client();
    let offers = client.offers(&OffersQuery {
        network: network.map(str::to_string),
        ..Default::default()
    })?;
    let status = client.status()?;
    let dec = status.token.decimals;
    let sym = &status.token.symbol;
    ctx.print(&offers, || {
        if offers.is_empty() {
            return "no storage offers".into();
        }
        offers
            .iter()
            .map(|o| {
                let StorageOffer {
                    device,
                    endpoint,
                    price_per_mib_epoch,
                    collateral_per_mib,
                    free,
                    locked,
                    active_deals,
                } = &o.offer;
                format!(
                    "{device}  {:<8} {endpoint}\n    {price_per_mib_epoch} credits/MiB·epoch, collateral {} {sym}/MiB, pool {} free + {} locked, {active_deals} active deals{}",
                    o.network,
                    amount::format(*collateral_per_mib, dec),
                    amount::format(*free, dec),
                    amount::format(*locked, dec),
                    if o.device_active { "" } else { " (retired)" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviours_parse() {
        assert_eq!(parse_behaviour("honest"), Ok(Behaviour::Honest));
        assert_eq!(parse_behaviour("hashes-only"), Ok(Behaviour::HashesOnly));
        assert_eq!(parse_behaviour("offline"), Ok(Behaviour::Offline));
        assert_eq!(
            parse_behaviour("drop:25%"),
            Ok(Behaviour::DropChunks {
                per_million: 250_000
            })
        );
        assert_eq!(
            parse_behaviour("drop:0.5"),
            Ok(Behaviour::DropChunks { per_million: 5_000 })
        );
        assert!(parse_behaviour("drop:101%").is_err());
        assert!(parse_behaviour("drop:x").is_err());
        assert!(parse_behaviour("lazy").is_err());
    }

    #[test]
    fn byte_counts_parse() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("10G"), Ok(10 << 30));
        assert_eq!(parse_bytes("1_024"), Ok(1024));
        assert!(parse_bytes("1.5GiB").is_err());
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("99999999TiB").is_err());
    }
}
