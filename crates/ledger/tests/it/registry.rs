//! The registry digest: each network's `SetHash` over its devices' leaves, kept
//! up to date in O(1) by every device change. Property: after any sequence of
//! registrations, transfers, moves and retirements (valid or not), the stored
//! digest equals one built from scratch over the network's device records, and a
//! replay of the blocks gives the same state roots.

use crate::common::*;
use plinth_core::SetHash;
use plinth_ledger::devices::{self, registry_digest, registry_leaf, Device, RegistryDigest};
use plinth_ledger::genesis::GenesisNetwork;
use plinth_ledger::state::MemStore;
use plinth_ledger::{Call, Overlay, SigCheck};
use proptest::prelude::*;

const OTHER: &str = "air";
const USERS: u8 = 3;
const DEVICES: u8 = 6;

fn two_networks() -> Chain {
    let mut g = genesis(USERS);
    g.networks.push(GenesisNetwork {
        name: OTHER.into(),
        family: "uptime".into(),
        params: toml::Table::new(),
        share_bps: 1_000,
        usage_bps: 0,
        require_maker: false,
    });
    Chain::from_genesis(g)
}

/// The digest of `network` built from scratch over every device record in state.
fn from_scratch(store: &MemStore, network: &str) -> RegistryDigest {
    let mut d = RegistryDigest::default();
    for (_, v) in store.scan(b"dev/") {
        let dev: Device = borsh::from_slice(&v).unwrap();
        if dev.network == network {
            d.set.insert(&dev.registry_leaf());
            d.devices += 1;
        }
    }
    d
}

fn stored(store: &MemStore, network: &str) -> RegistryDigest {
    registry_digest(&Overlay::new(store), network).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Register { owner: u8, device: u8, other: bool },
    Transfer { owner: u8, device: u8, to: u8 },
    Move { owner: u8, device: u8, paris: bool },
    Retire { owner: u8, device: u8 },
    EndBlock,
}

fn op() -> impl Strategy<Value = Op> {
    let (u, d) = (0..USERS, 0..DEVICES);
    prop_oneof![
        (u.clone(), d.clone(), any::<bool>()).prop_map(|(owner, device, other)| Op::Register {
            owner,
            device,
            other
        }),
        (u.clone(), d.clone(), u.clone()).prop_map(|(owner, device, to)| Op::Transfer {
            owner,
            device,
            to
        }),
        (u.clone(), d.clone(), any::<bool>()).prop_map(|(owner, device, paris)| Op::Move {
            owner,
            device,
            paris
        }),
        (u, d).prop_map(|(owner, device)| Op::Retire { owner, device }),
        Just(Op::EndBlock),
    ]
}

fn call(op: &Op) -> Option<(u8, Call)> {
    let dev = |i: u8| dev_id(&device_key(i));
    Some(match *op {
        Op::Register {
            owner,
            device,
            other,
        } => {
            let network = if other { OTHER } else { NETWORK };
            let c = register_call(&addr(&user(owner)), &device_key(device), network, berlin());
            (owner, c)
        }
        Op::Transfer { owner, device, to } => (
            owner,
            Call::TransferDevice {
                device: dev(device),
                new_owner: addr(&user(to)),
            },
        ),
        Op::Move {
            owner,
            device,
            paris: p,
        } => (
            owner,
            Call::UpdateLocation {
                device: dev(device),
                location: if p { paris() } else { berlin() },
            },
        ),
        Op::Retire { owner, device } => (
            owner,
            Call::RetireDevice {
                device: dev(device),
            },
        ),
        Op::EndBlock => return None,
    })
}

/// Runs `ops` in blocks, checking the digests after each block; returns the chain.
fn run(ops: &[Op]) -> Chain {
    let mut c = two_networks();
    c.sigs = SigCheck::Trusted;
    let mut block = Vec::new();
    let mut nonces = [0u64; USERS as usize];
    let flush = |c: &mut Chain, block: &mut Vec<_>, nonces: &mut [u64]| {
        c.block(std::mem::take(block));
        for (i, n) in nonces.iter_mut().enumerate() {
            *n = c.nonce(&user(i as u8));
        }
        for network in [NETWORK, OTHER] {
            assert_eq!(stored(&c.store, network), from_scratch(&c.store, network));
        }
    };
    for op in ops {
        match call(op) {
            None => flush(&mut c, &mut block, &mut nonces),
            Some((who, call)) => {
                let n = &mut nonces[who as usize];
                block.push(tx(&user(who), *n, FEE, call));
                *n += 1;
            }
        }
    }
    flush(&mut c, &mut block, &mut nonces);
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_stored_digest_is_the_digest_of_the_registry(ops in prop::collection::vec(op(), 1..60)) {
        let c = run(&ops);
        let replayed = c.replay();
        prop_assert_eq!(replayed.scan(b"reg/"), c.store.scan(b"reg/"));
    }
}

/// A fixed sequence through every change, so the property is known to check
/// something: each network's digest moves with its own devices only, and a
/// retired device stays in it, inactive.
#[test]
fn every_device_change_moves_the_digest() {
    let mut c = two_networks();
    let empty = stored(&c.store, NETWORK);
    assert_eq!(empty, RegistryDigest::default());
    assert_eq!(empty.set.digest(), SetHash::new().digest());

    c.register(&user(0), &device_key(0), berlin());
    let registered = stored(&c.store, NETWORK);
    assert_eq!(registered.devices, 1);
    assert_eq!(stored(&c.store, OTHER), RegistryDigest::default());
    let id = dev_id(&device_key(0));
    let mut expected = SetHash::new();
    expected.insert(&registry_leaf(&id, &addr(&user(0)), berlin(), true));
    assert_eq!(registered.set, expected);

    let steps = [
        Call::UpdateLocation {
            device: id,
            location: paris(),
        },
        Call::TransferDevice {
            device: id,
            new_owner: addr(&user(1)),
        },
    ];
    let mut seen = vec![registered.set.digest()];
    for call in steps {
        let stx = c.tx(&user(0), call);
        c.ok(stx);
        seen.push(stored(&c.store, NETWORK).set.digest());
    }
    let stx = c.tx(&user(1), Call::RetireDevice { device: id });
    c.ok(stx);
    let retired = stored(&c.store, NETWORK);
    assert_eq!(retired.devices, 1, "a retired device still counts");
    let mut expected = SetHash::new();
    expected.insert(&registry_leaf(&id, &addr(&user(1)), paris(), false));
    assert_eq!(retired.set, expected);
    seen.push(retired.set.digest());
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "every change gives a new digest");
    assert_eq!(
        devices::load(&Overlay::new(&c.store), &id)
            .unwrap()
            .unwrap()
            .registry_leaf(),
        registry_leaf(&id, &addr(&user(1)), paris(), false)
    );
}

/// The leaf is byte for byte the proof families' `DeviceInfo`, which the oracle
/// hashes its registry snapshot as.
#[test]
fn the_leaf_is_the_encoding_of_device_info() {
    let info = plinth_proofs::DeviceInfo {
        id: dev_id(&device_key(3)),
        owner: addr(&user(2)),
        location: berlin(),
        active: false,
    };
    assert_eq!(
        registry_leaf(&info.id, &info.owner, info.location, info.active),
        plinth_core::encode(&info)
    );
}
