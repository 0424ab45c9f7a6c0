//! The registry index: each network's registry digest at every height a block
//! changed it (and at the genesis), written with the block, read as of any
//! height, checked by replay and rebuilt by replay for a store without it.

use crate::common::*;
use plinth_core::Keypair;
use plinth_ledger::devices::{self, registry_digest};
use plinth_ledger::genesis::GenesisNetwork;
use plinth_ledger::{Call, Genesis, Overlay, SignedTx, Transaction};
use plinth_store::{replay, ChainStore, NetworkRegistry};

const NETWORKS: [&str; 2] = ["weather", "air"];

fn genesis_with_networks() -> Genesis {
    let mut g = genesis(2);
    for name in NETWORKS {
        g.networks.push(GenesisNetwork {
            name: name.into(),
            family: "uptime".into(),
            params: toml::Table::new(),
            share_bps: 0,
            usage_bps: 0,
            require_maker: false,
        });
    }
    g
}

fn device_key(i: u8) -> Keypair {
    Keypair::from_seed([0xD0 + i; 32])
}

/// A valid H3 cell (resolution 9).
fn cell() -> u64 {
    u64::from(
        h3o::LatLng::new(52.52, 13.405)
            .unwrap()
            .to_cell(h3o::Resolution::Nine),
    )
}

/// User 0 registers device `i` in `network`.
fn register(c: &Chain, nonce: u64, i: u8, network: &str) -> SignedTx {
    let owner = addr(&user(0));
    let device = plinth_core::DeviceId(device_key(i).public());
    let msg = devices::registration_message(&c.genesis.chain(), &owner, &device, network, cell());
    Transaction {
        chain_id: CHAIN_ID.into(),
        signer: owner,
        nonce,
        fee: FEE,
        call: Call::RegisterDevice {
            device,
            network: network.into(),
            location: cell(),
            device_signature: device_key(i).sign(&msg),
        },
    }
    .sign(&user(0))
}

/// What the ledger holds for `network` at the head.
fn at_head(c: &Chain, network: &str) -> NetworkRegistry {
    let snap = c.store.snapshot().unwrap();
    let d = registry_digest(&Overlay::new(&snap), network).unwrap();
    NetworkRegistry {
        network: network.into(),
        digest: d.set.digest(),
        devices: d.devices,
    }
}

/// Blocks 1..=4: a device in "weather" (1), nothing (2), two in "air" (3), one
/// more in "weather" (4).
fn chain() -> Chain {
    let c = Chain::from_genesis(genesis_with_networks());
    c.commit(vec![register(&c, 0, 0, "weather")]);
    c.commit(vec![]);
    c.commit(vec![register(&c, 1, 1, "air"), register(&c, 2, 2, "air")]);
    c.commit(vec![register(&c, 3, 3, "weather")]);
    c
}

#[test]
fn the_index_answers_every_height_with_that_blocks_digests() {
    let c = chain();
    let empty = plinth_core::SetHash::new().digest();
    // Genesis: a row per network, empty.
    let g = c.store.registry(Some(0)).unwrap().unwrap();
    assert_eq!((g.height, g.time_ms), (0, GENESIS_TIME_MS));
    let names: Vec<&str> = g.networks.iter().map(|n| n.network.as_str()).collect();
    assert_eq!(names, ["air", "weather"], "every network, in name order");
    assert!(g
        .networks
        .iter()
        .all(|n| n.digest == empty && n.devices == 0));

    let at = |h| c.store.registry(Some(h)).unwrap().unwrap();
    let weather = |h| at(h).networks[1].clone();
    let air = |h| at(h).networks[0].clone();
    assert_eq!(weather(1).devices, 1);
    assert_eq!(weather(2), weather(1), "an empty block changes nothing");
    assert_eq!(air(2).devices, 0);
    assert_eq!(air(3).devices, 2);
    assert_eq!(weather(3), weather(1));
    assert_eq!(weather(4).devices, 2);
    assert_ne!(weather(4).digest, weather(3).digest);
    assert_eq!(at(3).time_ms, GENESIS_TIME_MS + 3 * BLOCK_TIME_MS);

    // The head, by default, is what the ledger holds.
    let head = c.store.registry(None).unwrap().unwrap();
    assert_eq!(head.height, 4);
    assert_eq!(
        head.networks,
        vec![at_head(&c, "air"), at_head(&c, "weather")]
    );
    assert_eq!(c.store.registry(Some(5)).unwrap(), None);

    // One row per network at the genesis, then one per change: 2 + 1 + 1 + 1.
    let rows = c.store.registry_index().unwrap();
    assert_eq!(rows.len(), 5);
}

#[test]
fn replay_checks_the_index_and_a_store_without_it_gets_it_rebuilt() {
    let c = chain();
    replay::replay(&c.store).unwrap();
    let rows = c.store.registry_index().unwrap();
    let head = c.store.registry(None).unwrap();

    // A store made before the index existed: no rows, no marker.
    let path = c.path();
    let Chain {
        dir,
        store,
        genesis,
        ..
    } = c;
    drop(store);
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let index = redb::TableDefinition::<&[u8], &[u8]>::new("registry_index");
        assert!(w.delete_table(index).unwrap());
        w.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
            .unwrap()
            .remove("registry_index")
            .unwrap();
        w.commit().unwrap();
    }
    let store = ChainStore::open_with_genesis(&path, &genesis).unwrap();
    assert_eq!(store.registry_index().unwrap(), rows);
    assert_eq!(store.registry(None).unwrap(), head);
    replay::replay(&store).unwrap();
    drop(dir);
}
