//! Device calls: register, transfer, update location, retire.

use crate::common::*;
use plinth_core::{DeviceId, Keypair};
use plinth_ledger::devices::{check_location, DeviceStatus};
use plinth_ledger::keys;
use plinth_ledger::{Call, TxError};

/// Devices listed under `owner` in the owner index.
fn owned(c: &Chain, owner: &Keypair) -> Vec<DeviceId> {
    let prefix = keys::owner_prefix(&owner.public());
    c.store
        .scan(&prefix)
        .into_iter()
        .map(|(k, _)| {
            let bytes: [u8; 32] = k[prefix.len()..].try_into().unwrap();
            DeviceId(plinth_core::PublicKey(bytes))
        })
        .collect()
}

fn invalid_location(cell: u64) -> TxError {
    check_location(cell).unwrap_err()
}

#[test]
fn register_device() {
    let mut c = Chain::new(2);
    let (a, d) = (user(0), device_key(0));
    let stx = c.tx(&a, register_call(&addr(&a), &d, NETWORK, berlin()));
    let r = c.one(stx);
    assert_eq!(r.error, None);
    assert_eq!(r.fee, FEE);

    let dev = device(&c.store, &dev_id(&d)).unwrap();
    assert_eq!(dev.id, dev_id(&d));
    assert_eq!(dev.owner, addr(&a));
    assert_eq!(dev.network, NETWORK);
    assert_eq!(dev.location, berlin());
    assert_eq!(dev.status, DeviceStatus::Active);
    assert_eq!(dev.registered_height, 1);
    assert_eq!(owned(&c, &a), vec![dev_id(&d)]);
    assert!(owned(&c, &user(1)).is_empty());
    // Registration costs only the fee.
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE - FEE);
    assert_eq!(c.nonce(&a), 1);
    assert_eq!(c.balance(&c.proposer()), FEE);
}

#[test]
fn register_into_unknown_network_is_rejected() {
    let mut c = Chain::new(1);
    let a = user(0);
    let stx = c.tx(
        &a,
        register_call(&addr(&a), &device_key(0), "rain", berlin()),
    );
    c.reject(
        stx,
        TxError::UnknownNetwork {
            network: "rain".into(),
        },
    );
    assert_eq!(device(&c.store, &dev_id(&device_key(0))), None);
}

#[test]
fn register_at_invalid_location_is_rejected() {
    let mut c = Chain::new(1);
    let a = user(0);
    for bad in [0u64, 12_345, u64::MAX, berlin() | (1 << 63)] {
        let err = invalid_location(bad);
        assert!(matches!(err, TxError::InvalidLocation { .. }));
        let stx = c.tx(&a, register_call(&addr(&a), &device_key(0), NETWORK, bad));
        c.reject(stx, err);
    }
    assert_eq!(device(&c.store, &dev_id(&device_key(0))), None);
    assert_eq!(c.nonce(&a), 0);
}

#[test]
fn register_twice_is_rejected() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    c.register(&a, &d, berlin());
    let again = c.tx(&a, register_call(&addr(&a), &d, NETWORK, paris()));
    c.reject(
        again,
        TxError::DeviceExists {
            device: dev_id(&d).to_string(),
        },
    );
    // Nor can anyone else claim it, even with the device's signature.
    let claim = c.tx(&b, register_call(&addr(&b), &d, NETWORK, paris()));
    c.reject(
        claim,
        TxError::DeviceExists {
            device: dev_id(&d).to_string(),
        },
    );
    let dev = device(&c.store, &dev_id(&d)).unwrap();
    assert_eq!(dev.owner, addr(&a));
    assert_eq!(dev.location, berlin());
}

#[test]
fn register_without_the_device_key_is_rejected() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));

    // Signed by some other key.
    let call = register_call(&addr(&a), &device_key(1), NETWORK, berlin());
    let Call::RegisterDevice {
        device_signature, ..
    } = call
    else {
        unreachable!()
    };
    let forged = Call::RegisterDevice {
        device: dev_id(&d),
        network: NETWORK.into(),
        location: berlin(),
        device_signature,
    };
    c.reject(c.tx(&a, forged), TxError::BadDeviceSignature);

    // The device signed for `a`; `b` cannot reuse that signature.
    let for_a = register_call(&addr(&a), &d, NETWORK, berlin());
    c.reject(c.tx(&b, for_a), TxError::BadDeviceSignature);

    // The device signed one location; the call asserts another.
    let Call::RegisterDevice {
        device: id,
        network,
        device_signature,
        ..
    } = register_call(&addr(&a), &d, NETWORK, berlin())
    else {
        unreachable!()
    };
    let moved = Call::RegisterDevice {
        device: id,
        network,
        location: paris(),
        device_signature,
    };
    c.reject(c.tx(&a, moved), TxError::BadDeviceSignature);

    // A signature for a look-alike chain (same chain_id string, another genesis).
    let msg = plinth_ledger::devices::registration_message(
        &lookalike_chain(),
        &addr(&a),
        &dev_id(&d),
        NETWORK,
        berlin(),
    );
    let other_chain = Call::RegisterDevice {
        device: dev_id(&d),
        network: NETWORK.into(),
        location: berlin(),
        device_signature: d.sign(&msg),
    };
    c.reject(c.tx(&a, other_chain), TxError::BadDeviceSignature);
    assert_eq!(device(&c.store, &dev_id(&d)), None);
}

#[test]
fn transfer_device_to_a_new_owner() {
    let mut c = Chain::new(2);
    let (a, d) = (user(0), device_key(0));
    let new_owner = stranger();
    c.register(&a, &d, berlin());
    let stx = c.tx(
        &a,
        Call::TransferDevice {
            device: dev_id(&d),
            new_owner: addr(&new_owner),
        },
    );
    c.ok(stx);
    let dev = device(&c.store, &dev_id(&d)).unwrap();
    assert_eq!(dev.owner, addr(&new_owner));
    assert_eq!(dev.location, berlin());
    assert_eq!(dev.status, DeviceStatus::Active);
    assert_eq!(dev.registered_height, 1);
    assert!(owned(&c, &a).is_empty());
    assert_eq!(owned(&c, &new_owner), vec![dev_id(&d)]);
    // The new owner exists as an (empty) account.
    let acct = account(&c.store, &addr(&new_owner)).unwrap();
    assert_eq!(acct.balance, 0);
    assert_eq!(c.balance(&addr(&a)), INITIAL_BALANCE - 2 * FEE);
    assert_eq!(c.nonce(&a), 2);

    // The old owner has lost control of it.
    let back = c.tx(
        &a,
        Call::TransferDevice {
            device: dev_id(&d),
            new_owner: addr(&a),
        },
    );
    c.reject(
        back,
        TxError::NotDeviceOwner {
            device: dev_id(&d).to_string(),
            owner: addr(&new_owner).to_string(),
        },
    );
}

#[test]
fn register_and_transfer_in_one_block() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    let txs = vec![
        tx(&a, 0, FEE, register_call(&addr(&a), &d, NETWORK, berlin())),
        tx(
            &a,
            1,
            FEE,
            Call::TransferDevice {
                device: dev_id(&d),
                new_owner: addr(&b),
            },
        ),
    ];
    let receipts = c.block(txs);
    assert!(receipts.iter().all(|r| r.is_ok()), "{receipts:?}");
    assert_eq!(device(&c.store, &dev_id(&d)).unwrap().owner, addr(&b));
    assert!(owned(&c, &a).is_empty());
    assert_eq!(owned(&c, &b), vec![dev_id(&d)]);
}

#[test]
fn transfer_device_rejections() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    let unknown = device_key(9);
    c.reject(
        c.tx(
            &a,
            Call::TransferDevice {
                device: dev_id(&unknown),
                new_owner: addr(&b),
            },
        ),
        TxError::UnknownDevice {
            device: dev_id(&unknown).to_string(),
        },
    );
    c.register(&a, &d, berlin());
    c.reject(
        c.tx(
            &b,
            Call::TransferDevice {
                device: dev_id(&d),
                new_owner: addr(&b),
            },
        ),
        TxError::NotDeviceOwner {
            device: dev_id(&d).to_string(),
            owner: addr(&a).to_string(),
        },
    );
    c.ok(c.tx(&a, Call::RetireDevice { device: dev_id(&d) }));
    c.reject(
        c.tx(
            &a,
            Call::TransferDevice {
                device: dev_id(&d),
                new_owner: addr(&b),
            },
        ),
        TxError::DeviceRetired {
            device: dev_id(&d).to_string(),
        },
    );
    assert_eq!(device(&c.store, &dev_id(&d)).unwrap().owner, addr(&a));
    assert_eq!(owned(&c, &a), vec![dev_id(&d)]);
}

#[test]
fn update_location() {
    let mut c = Chain::new(2);
    let (a, d) = (user(0), device_key(0));
    c.register(&a, &d, berlin());
    c.ok(c.tx(
        &a,
        Call::UpdateLocation {
            device: dev_id(&d),
            location: paris(),
        },
    ));
    let dev = device(&c.store, &dev_id(&d)).unwrap();
    assert_eq!(dev.location, paris());
    assert_eq!(dev.owner, addr(&a));
    assert_eq!(dev.status, DeviceStatus::Active);
    assert_eq!(c.nonce(&a), 2);

    // Any valid cell, at any resolution.
    let coarse = u64::from(
        h3o::LatLng::new(-33.87, 151.21)
            .unwrap()
            .to_cell(h3o::Resolution::Five),
    );
    c.ok(c.tx(
        &a,
        Call::UpdateLocation {
            device: dev_id(&d),
            location: coarse,
        },
    ));
    assert_eq!(device(&c.store, &dev_id(&d)).unwrap().location, coarse);
}

#[test]
fn update_location_rejections() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    let unknown = device_key(9);
    c.reject(
        c.tx(
            &a,
            Call::UpdateLocation {
                device: dev_id(&unknown),
                location: paris(),
            },
        ),
        TxError::UnknownDevice {
            device: dev_id(&unknown).to_string(),
        },
    );
    c.register(&a, &d, berlin());
    c.reject(
        c.tx(
            &a,
            Call::UpdateLocation {
                device: dev_id(&d),
                location: 7,
            },
        ),
        invalid_location(7),
    );
    c.reject(
        c.tx(
            &b,
            Call::UpdateLocation {
                device: dev_id(&d),
                location: paris(),
            },
        ),
        TxError::NotDeviceOwner {
            device: dev_id(&d).to_string(),
            owner: addr(&a).to_string(),
        },
    );
    c.ok(c.tx(&a, Call::RetireDevice { device: dev_id(&d) }));
    c.reject(
        c.tx(
            &a,
            Call::UpdateLocation {
                device: dev_id(&d),
                location: paris(),
            },
        ),
        TxError::DeviceRetired {
            device: dev_id(&d).to_string(),
        },
    );
    assert_eq!(device(&c.store, &dev_id(&d)).unwrap().location, berlin());
}

#[test]
fn retire_device() {
    let mut c = Chain::new(2);
    let (a, b, d) = (user(0), user(1), device_key(0));
    let unknown = device_key(9);
    c.reject(
        c.tx(
            &a,
            Call::RetireDevice {
                device: dev_id(&unknown),
            },
        ),
        TxError::UnknownDevice {
            device: dev_id(&unknown).to_string(),
        },
    );
    c.register(&a, &d, berlin());
    c.reject(
        c.tx(&b, Call::RetireDevice { device: dev_id(&d) }),
        TxError::NotDeviceOwner {
            device: dev_id(&d).to_string(),
            owner: addr(&a).to_string(),
        },
    );
    assert_eq!(
        device(&c.store, &dev_id(&d)).unwrap().status,
        DeviceStatus::Active
    );
    c.ok(c.tx(&a, Call::RetireDevice { device: dev_id(&d) }));
    let dev = device(&c.store, &dev_id(&d)).unwrap();
    assert_eq!(dev.status, DeviceStatus::Retired);
    assert_eq!(dev.owner, addr(&a));
    assert_eq!(dev.location, berlin());
    // Retirement is for good.
    c.reject(
        c.tx(&a, Call::RetireDevice { device: dev_id(&d) }),
        TxError::DeviceRetired {
            device: dev_id(&d).to_string(),
        },
    );
    // And a retired device cannot be registered again.
    c.reject(
        c.tx(&b, register_call(&addr(&b), &d, NETWORK, paris())),
        TxError::DeviceExists {
            device: dev_id(&d).to_string(),
        },
    );
}
