//! Storage deals end to end through the oracle: providers' agents really store the
//! data; after each epoch the oracle challenges them, settles the deals on the
//! ledger and pays work and usage rewards; a provider that kept only hashes is
//! slashed.

use crate::common::*;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::storage::{self, DealStatus};
use plinth_ledger::{Call, Overlay};
use plinth_storage::agent::{spawn, Agent, AgentConfig, Behaviour, RunningAgent};
use plinth_storage::client::StorageClient;

const TOKEN: u64 = 1_000_000;

fn agent(
    dir: &std::path::Path,
    behaviour: Behaviour,
    device: &Keypair,
    chain: plinth_core::Hash,
) -> RunningAgent {
    let mut cfg = AgentConfig::new(dir);
    cfg.behaviour = behaviour;
    cfg.receipt_key = Some(plinth_storage::agent::ReceiptKey {
        key: device.clone(),
        chain,
    });
    spawn(Agent::open(cfg).unwrap(), "127.0.0.1:0", 2).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn deals_are_challenged_settled_paid_and_slashed() {
    let honest_key = key(40);
    let bluffer_key = key(41);
    let net = Net::start(&[("storage", &honest_key), ("storage", &bluffer_key)]).await;
    let honest = agent(
        &net.dir.path().join("a"),
        Behaviour::Honest,
        &honest_key,
        net.chain,
    );
    let bluffer = agent(
        &net.dir.path().join("b"),
        Behaviour::HashesOnly,
        &bluffer_key,
        net.chain,
    );
    let (honest_dev, bluffer_dev) = (
        DeviceId(honest_key.public()),
        DeviceId(bluffer_key.public()),
    );
    for (dev, a) in [(honest_dev, &honest), (bluffer_dev, &bluffer)] {
        submit(
            &net,
            &net.owner,
            Call::OfferStorage {
                device: dev,
                endpoint: a.url(),
                price_per_mib_epoch: 10,
                collateral_per_mib: 2 * TOKEN,
                deposit: 10 * TOKEN,
            },
        )
        .await;
    }
    // A consumer with tokens buys credits at the oracle's price.
    let consumer = key(42);
    let consumer_addr = Address(consumer.public());
    submit(
        &net,
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
        &net,
        &consumer,
        Call::BurnForCredits {
            amount: TOKEN,
            to: consumer_addr,
        },
    )
    .await;

    // One file, 300 KiB (one started MiB: 10 credits per epoch), kept by both.
    let data: Vec<u8> = (0..300 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = net.dir.path().join("file.bin");
    std::fs::write(&file, &data).unwrap();
    let commitment = plinth_storage::client::commit_file(&file, 64 * 1024).unwrap();
    let mut ids = Vec::new();
    for (dev, epochs) in [(honest_dev, 3), (bluffer_dev, 10)] {
        let nonce = submit(
            &net,
            &consumer,
            Call::OpenDeal {
                provider: dev,
                manifest: commitment.manifest,
                epochs,
                price_per_epoch: 10,
                min_collateral: 2 * TOKEN,
            },
        )
        .await;
        ids.push(storage::deal_id(&consumer_addr, nonce));
    }
    let (honest_deal, bluffer_deal) = (ids[0], ids[1]);
    // Each agent takes the file and gives its receipt, which activates the deal.
    for (id, a, dev) in [
        (honest_deal, &honest, honest_dev),
        (bluffer_deal, &bluffer, bluffer_dev),
    ] {
        let client = StorageClient::new(&a.url());
        client.open_deal(&id, &commitment).unwrap();
        let status = client.upload(&id, &commitment, &file).unwrap();
        assert!(status.complete);
        let receipt = client
            .receipt(&net.chain, &id, &commitment.manifest, &dev)
            .unwrap();
        submit(&net, &consumer, Call::ActivateDeal { deal: id, receipt }).await;
        assert_eq!(deal(&net, &id).status, DealStatus::Active);
    }
    let escrow_at_start = deal(&net, &honest_deal).escrow;
    assert_eq!(escrow_at_start, 30);
    let balance_before_slash = net.balance(&consumer);

    // The honest provider proves every epoch; its deal completes and its
    // collateral returns to its pool.
    wait_long("the honest deal completes", || {
        deal(&net, &honest_deal).status == DealStatus::Completed
    })
    .await;
    let d = deal(&net, &honest_deal);
    assert_eq!((d.proven_epochs, d.failed_epochs), (3, 0), "{d:?}");
    assert_eq!(d.escrow, 0);
    let offer = storage::offer(
        &Overlay::new(&net.node.store.snapshot().unwrap()),
        &honest_dev,
    )
    .unwrap()
    .unwrap();
    assert_eq!((offer.free, offer.locked), (10 * TOKEN, 0));

    // The provider that kept only hashes fails every challenge (its segments'
    // bytes are zeros) and is slashed after two failures in a row: the
    // collateral goes to the consumer, the escrow comes back as credits.
    wait_long("the bluffing deal is slashed", || {
        deal(&net, &bluffer_deal).status == DealStatus::Slashed
    })
    .await;
    let d = deal(&net, &bluffer_deal);
    assert_eq!((d.proven_epochs, d.failed_epochs), (0, 2), "{d:?}");
    assert_eq!(d.escrow, 0);
    assert_eq!(net.balance(&consumer), balance_before_slash + 2 * TOKEN);

    // The oracle's manifests pay the honest provider for work and usage, and an
    // audit recomputes one from the spool and the chain.
    let e = d.start_epoch;
    let m = net
        .oracle
        .manifest("storage", e)
        .unwrap()
        .expect("manifest");
    assert_eq!(m.usage.get(&honest_dev), Some(&10));
    assert!(!m.usage.contains_key(&bluffer_dev));
    let outcome = |id: &Hash| m.deals.iter().find(|o| o.deal == *id).unwrap().clone();
    assert!(outcome(&honest_deal).proven);
    assert!(!outcome(&bluffer_deal).proven);
    // Work and usage both go to it, up to the token value of the 10 credits its
    // deal paid at $1.50 a token (self-dealing must not pay): 66 units, far below
    // the network's allowance, the rest of which is not minted.
    let allowance = net.oracle.emission.network_allowance(e, 2000);
    let cap = plinth_proofs::storage::TokenPrice {
        micro_usd_per_token: PRICE_MICRO_USD,
        credit_micro_usd: 10,
        decimals: 6,
    }
    .tokens_for(10);
    assert_eq!(cap, 66);
    assert!(cap < allowance);
    assert_eq!(m.entries.len(), 1);
    assert_eq!(m.entries[0].device, honest_dev);
    assert_eq!(m.entries[0].amount, cap);
    let usage = storage::usage(
        &Overlay::new(&net.node.store.snapshot().unwrap()),
        "storage",
        e,
    )
    .unwrap();
    assert_eq!(usage.credits_used, 10);
    assert_eq!(usage.proven, 1);
    let (node_url, oracle_url) = (net.node_url.clone(), net.oracle_url.clone());
    wait_long("the manifest is on the ledger", || {
        plinth_ledger::rewards::reward_epoch(
            &Overlay::new(&net.node.store.snapshot().unwrap()),
            "storage",
            e,
        )
        .unwrap()
        .is_some()
    })
    .await;
    let report = tokio::task::spawn_blocking(move || {
        plinth_oracle::audit::audit(
            &node_url,
            &oracle_url,
            "storage",
            e,
            plinth_oracle::audit::BatchSource::Oracle,
        )
    })
    .await
    .unwrap()
    .unwrap();
    plinth_oracle::audit::require_ok(&report).unwrap();
}
