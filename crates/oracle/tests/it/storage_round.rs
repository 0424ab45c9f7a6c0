//! Storage rounds under pressure: a provider whose agent never answers costs only
//! its own batch's deadline (honest providers in later batches are still proven),
//! a provider naming another's endpoint gets nothing from it, the seed is the first
//! block at or after the epoch's end, an epoch in which every deal failed (no
//! manifest on the ledger) is audited against the ledger's settlement counters,
//! and an oracle back from downtime settles every epoch it missed, in order.

use crate::common::*;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::storage::{self, DealStatus};
use plinth_ledger::{Call, Overlay};
use plinth_oracle::spool::SpoolBatch;
use plinth_storage::agent::{spawn, Agent, AgentConfig, RunningAgent};
use plinth_storage::client::StorageClient;
use plinth_storage::Commitment;
use std::time::Duration;

const TOKEN: u64 = 1_000_000;
const PRICE: u64 = 10;

fn honest_agent(dir: &std::path::Path) -> RunningAgent {
    spawn(
        Agent::open(AgentConfig::new(dir)).unwrap(),
        "127.0.0.1:0",
        2,
    )
    .unwrap()
}

/// An endpoint that accepts connections and never answers; returns its URL.
fn black_hole() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

/// What the storage tests share: a consumer with credits and a committed file.
struct Market {
    consumer: Keypair,
    commitment: Commitment,
    file: std::path::PathBuf,
}

/// Offers storage from each `(device, endpoint)`, gives a consumer credits and
/// commits a 300 KiB file (one started MiB: [`PRICE`] credits per epoch).
async fn market(net: &Net, offers: &[(DeviceId, String)]) -> Market {
    submit_all(
        net,
        &net.owner,
        offers
            .iter()
            .map(|(dev, endpoint)| Call::OfferStorage {
                device: *dev,
                endpoint: endpoint.clone(),
                price_per_mib_epoch: PRICE,
                collateral_per_mib: 2 * TOKEN,
                deposit: 10 * TOKEN,
            })
            .collect(),
    )
    .await;
    let consumer = key(60);
    let consumer_addr = Address(consumer.public());
    submit(
        net,
        &net.owner,
        Call::Transfer {
            to: consumer_addr,
            amount: 10 * TOKEN,
        },
    )
    .await;
    wait_until(|| {
        plinth_ledger::credits::price(&Overlay::new(&net.node.store.snapshot().unwrap()))
            .unwrap()
            .is_some()
    })
    .await;
    submit(
        net,
        &consumer,
        Call::BurnForCredits {
            amount: TOKEN,
            to: consumer_addr,
        },
    )
    .await;
    let data: Vec<u8> = (0..300 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = net.dir.path().join("file.bin");
    std::fs::write(&file, &data).unwrap();
    let commitment = plinth_storage::client::commit_file(&file, 64 * 1024).unwrap();
    Market {
        consumer,
        commitment,
        file,
    }
}

impl Market {
    /// Opens one deal per `(provider, epochs)`; returns their ids.
    async fn open(&self, net: &Net, deals: &[(DeviceId, u64)]) -> Vec<Hash> {
        let first = submit_all(
            net,
            &self.consumer,
            deals
                .iter()
                .map(|(dev, epochs)| Call::OpenDeal {
                    provider: *dev,
                    manifest: self.commitment.manifest,
                    epochs: *epochs,
                    price_per_epoch: PRICE,
                    min_collateral: 0,
                })
                .collect(),
        )
        .await;
        let consumer = Address(self.consumer.public());
        (0..deals.len() as u64)
            .map(|i| storage::deal_id(&consumer, first + i))
            .collect()
    }

    /// Uploads the file to an agent for `deal`.
    fn upload(&self, agent: &RunningAgent, deal: &Hash) {
        let client = StorageClient::new(&agent.url());
        client.open_deal(deal, &self.commitment).unwrap();
        assert!(
            client
                .upload(deal, &self.commitment, &self.file)
                .unwrap()
                .complete
        );
    }

    /// Activates every deal with its provider's receipt, all in one block early in
    /// an epoch (so they start together).
    async fn activate(&self, net: &Net, deals: &[(Hash, &Keypair)]) {
        let in_epoch = || (now_ms() - net.genesis_time_ms) % EPOCH_MS;
        wait_long("the start of an epoch", || (100..800).contains(&in_epoch())).await;
        let calls = deals
            .iter()
            .map(|(id, provider)| Call::ActivateDeal {
                deal: *id,
                receipt: provider.sign(&plinth_storage::receipt_message(
                    &net.chain,
                    id,
                    &self.commitment.manifest,
                )),
            })
            .collect();
        submit_all(net, &self.consumer, calls).await;
    }
}

/// Every SettleStorage transaction on the chain: `(network, epoch)` per tx.
fn settlements(net: &Net) -> Vec<(String, u64)> {
    let head = net.node.store.head().unwrap().height;
    let mut out = Vec::new();
    for h in 0..=head {
        let Some(b) = net.node.store.block(h).unwrap() else {
            continue;
        };
        for t in b.txs {
            if let Call::SettleStorage { settlement, .. } = t.tx.call {
                out.push((settlement.network, settlement.epoch));
            }
        }
    }
    out
}

fn audit(net: &Net, epoch: u64) -> plinth_oracle::audit::AuditReport {
    plinth_oracle::audit::audit(
        &net.node_url,
        &net.oracle_url,
        "storage",
        epoch,
        plinth_oracle::audit::BatchSource::Oracle,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_provider_costs_only_its_own_batch() {
    // Providers are challenged one at a time here, in device order: the silent
    // one first.
    let mut keys: Vec<Keypair> = (50..54).map(key).collect();
    keys.sort_by_key(|k| DeviceId(k.public()));
    let [silent_key, a_key, b_key, squatter_key] = <[Keypair; 4]>::try_from(keys).unwrap();
    let net = Net::start_custom(
        tempfile::tempdir().unwrap(),
        &[
            ("storage", &silent_key),
            ("storage", &a_key),
            ("storage", &b_key),
            ("storage", &squatter_key),
        ],
        None,
        |_| {},
        |c| c.storage_providers_at_once = 1,
    )
    .await;
    let dev = |k: &Keypair| DeviceId(k.public());
    let a = honest_agent(&net.dir.path().join("a"));
    let b = honest_agent(&net.dir.path().join("b"));
    // The squatter's offer names a's endpoint: it shares nothing with a.
    let market = market(
        &net,
        &[
            (dev(&silent_key), black_hole()),
            (dev(&a_key), a.url()),
            (dev(&b_key), b.url()),
            (dev(&squatter_key), a.url()),
        ],
    )
    .await;
    let ids = market
        .open(
            &net,
            &[
                (dev(&silent_key), 3),
                (dev(&a_key), 1),
                (dev(&b_key), 1),
                (dev(&squatter_key), 3),
            ],
        )
        .await;
    let (silent_deal, a_deal, b_deal, squatter_deal) = (ids[0], ids[1], ids[2], ids[3]);
    market.upload(&a, &a_deal);
    market.upload(&b, &b_deal);
    market
        .activate(
            &net,
            &[
                (silent_deal, &silent_key),
                (a_deal, &a_key),
                (b_deal, &b_key),
                (squatter_deal, &squatter_key),
            ],
        )
        .await;
    let start = deal(&net, &a_deal).start_epoch;
    for id in &ids {
        assert_eq!(deal(&net, id).start_epoch, start, "activated together");
    }

    // The honest deals are proven although the silent agent held its batch up
    // for the whole answer timeout.
    for id in [a_deal, b_deal] {
        wait_long("an honest deal completes", || {
            deal(&net, &id).status != DealStatus::Active
        })
        .await;
        let d = deal(&net, &id);
        assert_eq!(d.status, DealStatus::Completed, "{d:?}");
        assert_eq!((d.proven_epochs, d.failed_epochs), (1, 0), "{d:?}");
    }
    // The silent provider and the squatter fail twice and are slashed.
    for id in [silent_deal, squatter_deal] {
        wait_long("a failing deal is slashed", || {
            deal(&net, &id).status == DealStatus::Slashed
        })
        .await;
        let d = deal(&net, &id);
        assert_eq!((d.proven_epochs, d.failed_epochs), (0, 2), "{d:?}");
    }
    let m = net
        .oracle
        .manifest("storage", start)
        .unwrap()
        .expect("manifest");
    let outcome = |id: &Hash| m.deals.iter().find(|o| o.deal == *id).unwrap().clone();
    assert!(outcome(&a_deal).proven && outcome(&b_deal).proven);
    assert!(!outcome(&silent_deal).proven);
    assert!(!outcome(&squatter_deal).proven);

    // The seed of each round is the first block at or after its epoch's end.
    for epoch in [start, start + 1] {
        let end = net.genesis_time_ms + (epoch + 1) * EPOCH_MS;
        let rounds: Vec<_> = net
            .oracle
            .spool
            .batches(epoch)
            .unwrap()
            .iter()
            .filter_map(|h| match net.oracle.spool.read(epoch, h).unwrap() {
                SpoolBatch::Storage(rs) => Some(rs),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(rounds.len(), 1);
        let r = &rounds[0];
        let block = |h: u64| net.node.store.block(h).unwrap().unwrap();
        assert_eq!(block(r.seed_height).hash(), r.seed);
        assert!(block(r.seed_height).header.timestamp_ms >= end);
        assert!(block(r.seed_height - 1).header.timestamp_ms < end);
    }
    // Each epoch was settled with one transaction.
    let mut sent = settlements(&net);
    let n = sent.len();
    sent.dedup();
    assert_eq!(sent.len(), n, "a settlement was sent twice: {sent:?}");

    // Both epochs audit clean: the first against its manifest on the ledger, the
    // second (every deal failed, nothing paid: an empty manifest on the ledger,
    // which closes the epoch) against it too; both against the settlement
    // counters.
    // Each epoch's manifest follows its settlement; under load a little later.
    for epoch in [start, start + 1] {
        wait_long("the epoch's manifest is on the ledger", || {
            plinth_ledger::rewards::reward_epoch(
                &plinth_ledger::Overlay::new(&net.node.store.snapshot().unwrap()),
                "storage",
                epoch,
            )
            .unwrap()
            .is_some()
        })
        .await;
    }
    let net = std::sync::Arc::new(net);
    let n2 = net.clone();
    let reports = tokio::task::spawn_blocking(move || (audit(&n2, start), audit(&n2, start + 1)))
        .await
        .unwrap();
    let (paid, failed) = reports;
    plinth_oracle::audit::require_ok(&paid).unwrap();
    assert!(paid.ledger_root.is_some());
    let s = paid.settlement.as_ref().expect("settlement audited");
    assert_eq!((s.proven, s.failed, s.credits_used), (2, 2, 2 * PRICE));
    assert_eq!((s.ledger_proven, s.ledger_failed), (2, 2));
    plinth_oracle::audit::require_ok(&failed).unwrap();
    assert_eq!(
        (failed.ledger_root, failed.recomputed_total),
        (Some(Hash::ZERO), 0)
    );
    let s = failed.settlement.as_ref().expect("settlement audited");
    assert_eq!((s.proven, s.failed), (0, 2));
    assert_eq!((s.ledger_proven, s.ledger_failed), (0, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oracle_back_from_downtime_settles_every_missed_epoch() {
    let provider = key(55);
    let mut net = Net::start(&[("storage", &provider)]).await;
    let agent = honest_agent(&net.dir.path().join("agent"));
    let market = market(&net, &[(DeviceId(provider.public()), agent.url())]).await;
    let id = market.open(&net, &[(DeviceId(provider.public()), 6)]).await[0];
    market.upload(&agent, &id);
    market.activate(&net, &[(id, &provider)]).await;
    let start = deal(&net, &id).start_epoch;

    // The first epoch is settled; then the oracle is down for three epochs.
    wait_long("the first epoch is settled", || {
        deal(&net, &id).next_epoch > start
    })
    .await;
    net.stop_oracle().await;
    tokio::time::sleep(Duration::from_millis(3 * EPOCH_MS)).await;
    let d = deal(&net, &id);
    assert_eq!(d.next_epoch, start + 1, "nothing settled while down: {d:?}");
    net.resume_oracle(|_| {}).await;

    // Back up, it challenges and settles every epoch it missed, in order, and the
    // rest of the term: the deal is proven in each of its epochs.
    wait_long("the deal completes", || {
        deal(&net, &id).status == DealStatus::Completed
    })
    .await;
    let d = deal(&net, &id);
    assert_eq!(
        (d.proven_epochs, d.failed_epochs, d.unsettled_epochs),
        (6, 0, 0),
        "{d:?}"
    );
    for e in d.start_epoch..d.end_epoch {
        let m = net
            .oracle
            .manifest("storage", e)
            .unwrap()
            .expect("manifest");
        assert!(
            m.deals.iter().any(|o| o.deal == id && o.proven),
            "epoch {e}"
        );
    }
}
