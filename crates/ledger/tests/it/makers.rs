//! Device makers: a network that requires one registers only devices whose key
//! an approved maker signed at manufacture, and the maker's credits pay its
//! onboarding fee. The makers here are approved at genesis.

use crate::common::*;
use plinth_core::{Address, Keypair};
use plinth_ledger::credits::{self, Credits, PricePoint};
use plinth_ledger::genesis::{GenesisMaker, GenesisNetwork};
use plinth_ledger::governance::makers::{self, maker_message, Maker};
use plinth_ledger::{Call, Genesis, LedgerError, Overlay, TxError};

/// A network whose devices must be onboarded by an approved maker.
const FACTORY: &str = "factory";
/// Credits the maker `acme` is charged per device.
const FEE_CREDITS: u64 = 60;
/// Tokens burned for the maker: at $1 per token, 1,000 units are $0.001, 100
/// credits of $0.00001.
const BURN: u64 = 1_000;
const BOUGHT_CREDITS: u64 = 100;

/// The maker `acme`'s key (approved at genesis, charging `FEE_CREDITS`).
fn acme() -> Keypair {
    Keypair::from_seed([0x4D; 32])
}

/// A key no genesis approved.
fn rogue() -> Keypair {
    Keypair::from_seed([0x4E; 32])
}

/// The shared genesis, plus the `factory` network (maker required) and the
/// maker `acme`.
fn makers_genesis() -> Genesis {
    let mut g = genesis(3);
    g.networks.push(GenesisNetwork {
        name: FACTORY.into(),
        family: FAMILY.into(),
        params: Default::default(),
        share_bps: 1_000,
        usage_bps: 0,
        require_maker: true,
    });
    g.makers.push(GenesisMaker {
        address: addr(&acme()),
        name: "Acme Sensors".into(),
        onboard_fee_credits: FEE_CREDITS,
    });
    g
}

/// The maker's signature over `device`'s key, as made at manufacture.
fn certificate(maker: &Keypair, device: &Keypair) -> plinth_core::Signature {
    maker.sign(&maker_message(&addr(maker), &dev_id(device)))
}

/// A `RegisterMadeDevice` call: `device` (signed for `owner`) made by `maker`,
/// whose certificate is `maker_signature`.
fn made_call(
    owner: &Address,
    device: &Keypair,
    network: &str,
    maker: &Address,
    maker_signature: plinth_core::Signature,
) -> Call {
    let Call::RegisterDevice {
        device,
        network,
        location,
        device_signature,
    } = register_call(owner, device, network, berlin())
    else {
        unreachable!("register_call builds a RegisterDevice")
    };
    Call::RegisterMadeDevice {
        device,
        network,
        location,
        device_signature,
        maker: *maker,
        maker_signature,
    }
}

/// `device` made by `acme`, registered to user 0 in `network`, with a good certificate.
fn acme_call(device: &Keypair, network: &str) -> Call {
    made_call(
        &addr(&user(0)),
        device,
        network,
        &addr(&acme()),
        certificate(&acme(), device),
    )
}

fn maker_of(c: &Chain, a: &Address) -> Option<Maker> {
    makers::load(&Overlay::new(&c.store), a).unwrap()
}

fn credits_of(c: &Chain, a: &Address) -> Credits {
    credits::load(&Overlay::new(&c.store), a).unwrap()
}

/// Posts a $1 price and burns `BURN` of user 1's tokens for `acme`'s credits.
fn fund_acme(c: &mut Chain) {
    let price = PricePoint {
        chain: chain(),
        micro_usd_per_token: 1_000_000,
        timestamp_ms: c.next_ctx().timestamp_ms,
    };
    let stx = c.tx(
        &user(2),
        Call::PostPrice {
            signatures: vec![price.sign(&oracle_key(0)), price.sign(&oracle_key(1))],
            price,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &user(1),
        Call::BurnForCredits {
            amount: BURN,
            to: addr(&acme()),
        },
    );
    c.ok(stx);
    assert_eq!(credits_of(c, &addr(&acme())).total(), BOUGHT_CREDITS);
}

#[test]
fn genesis_makers_are_approved_from_the_start() {
    let c = Chain::from_genesis(makers_genesis());
    assert_eq!(
        maker_of(&c, &addr(&acme())),
        Some(Maker {
            address: addr(&acme()),
            name: "Acme Sensors".into(),
            onboard_fee_credits: FEE_CREDITS,
            devices: 0,
            approved_by: None,
            revoked_from_epoch: None,
        })
    );
    assert_eq!(maker_of(&c, &addr(&rogue())), None);
    let o = Overlay::new(&c.store);
    assert!(!makers::revoked_in(&o, &addr(&acme()), 0).unwrap());
    assert!(!makers::revoked_in(&o, &addr(&rogue()), 0).unwrap());
}

#[test]
fn the_genesis_makers_list_round_trips_is_validated_and_is_optional() {
    let g = makers_genesis();
    let text = g.to_toml();
    assert!(text.contains("[[makers]]"), "{text}");
    assert_eq!(Genesis::from_toml(&text).unwrap(), g);

    // Without makers nothing is written: older genesis files keep their hash.
    let plain = genesis(3);
    assert!(!plain.to_toml().contains("makers"));
    assert!(!serde_json::to_string(&plain).unwrap().contains("makers"));

    let invalid = |edit: &dyn Fn(&mut Genesis), needle: &str| {
        let mut g = makers_genesis();
        edit(&mut g);
        match Genesis::from_toml(&g.to_toml()) {
            Err(LedgerError::Genesis(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("expected `{needle}`, got {other:?}"),
        }
    };
    invalid(
        &|g| {
            let again = g.makers[0].clone();
            g.makers.push(again)
        },
        "listed twice",
    );
    invalid(&|g| g.makers[0].name = String::new(), "1 to 64 bytes");
    invalid(&|g| g.makers[0].name = "x".repeat(65), "1 to 64 bytes");
    let mut longest = makers_genesis();
    longest.makers[0].name = "x".repeat(64);
    Genesis::from_toml(&longest.to_toml()).unwrap();
}

#[test]
fn a_made_device_registers_and_its_maker_pays_the_fee() {
    let mut c = Chain::from_genesis(makers_genesis());
    fund_acme(&mut c);
    let acme_addr = addr(&acme());
    let owner = addr(&user(0));
    let before = c.balance(&owner);

    let stx = c.tx(&user(0), acme_call(&device_key(0), FACTORY));
    c.ok(stx);
    let d = device(&c.store, &dev_id(&device_key(0))).expect("registered");
    assert_eq!(d.owner, owner);
    assert_eq!(d.network, FACTORY);
    assert_eq!(d.maker, Some(acme_addr));
    assert!(d.is_active());
    // The maker paid the fee in credits (spent: gone); the owner only the tx fee.
    assert_eq!(
        credits_of(&c, &acme_addr).total(),
        BOUGHT_CREDITS - FEE_CREDITS
    );
    assert_eq!(c.balance(&owner), before - FEE);
    assert_eq!(maker_of(&c, &acme_addr).unwrap().devices, 1);

    // The second device finds the maker's credits short: refused, nothing spent.
    let stx = c.tx(&user(0), acme_call(&device_key(1), FACTORY));
    c.reject(
        stx,
        TxError::MakerCreditsExhausted {
            maker: acme_addr.to_string(),
            needed: FEE_CREDITS,
            available: BOUGHT_CREDITS - FEE_CREDITS,
        },
    );
    assert_eq!(device(&c.store, &dev_id(&device_key(1))), None);
    assert_eq!(maker_of(&c, &acme_addr).unwrap().devices, 1);

    // More credits: it registers, on a network that does not require a maker too.
    let stx = c.tx(
        &user(1),
        Call::BurnForCredits {
            amount: BURN,
            to: acme_addr,
        },
    );
    c.ok(stx);
    let stx = c.tx(&user(0), acme_call(&device_key(1), NETWORK));
    c.ok(stx);
    let d = device(&c.store, &dev_id(&device_key(1))).unwrap();
    assert_eq!((d.network.as_str(), d.maker), (NETWORK, Some(acme_addr)));
    assert_eq!(
        credits_of(&c, &acme_addr).total(),
        2 * BOUGHT_CREDITS - 2 * FEE_CREDITS
    );
    assert_eq!(maker_of(&c, &acme_addr).unwrap().devices, 2);
    // A plain registration there carries no maker.
    c.register(&user(1), &device_key(2), paris());
    assert_eq!(
        device(&c.store, &dev_id(&device_key(2))).unwrap().maker,
        None
    );

    c.replay();
}

#[test]
fn a_network_that_requires_a_maker_refuses_devices_without_one() {
    let mut c = Chain::from_genesis(makers_genesis());
    let call = register_call(&addr(&user(0)), &device_key(0), FACTORY, berlin());
    let stx = c.tx(&user(0), call);
    c.reject(
        stx,
        TxError::MakerRequired {
            network: FACTORY.into(),
        },
    );
    assert_eq!(device(&c.store, &dev_id(&device_key(0))), None);
    // The other network does not require one.
    c.register(&user(0), &device_key(0), berlin());
}

#[test]
fn bad_certificates_and_unknown_makers_are_refused() {
    let mut c = Chain::from_genesis(makers_genesis());
    fund_acme(&mut c);
    let (owner, acme_addr) = (addr(&user(0)), addr(&acme()));
    let d = device_key(0);

    // Signed by another key, or over another device: refused.
    let forged = made_call(&owner, &d, FACTORY, &acme_addr, certificate(&rogue(), &d));
    let stx = c.tx(&user(0), forged);
    c.reject(stx, TxError::BadMakerSignature);
    let other = made_call(
        &owner,
        &d,
        FACTORY,
        &acme_addr,
        certificate(&acme(), &device_key(9)),
    );
    let stx = c.tx(&user(0), other);
    c.reject(stx, TxError::BadMakerSignature);

    // A key governance never approved, with its own good signature.
    let unknown = made_call(
        &owner,
        &d,
        FACTORY,
        &addr(&rogue()),
        certificate(&rogue(), &d),
    );
    let stx = c.tx(&user(0), unknown);
    c.reject(
        stx,
        TxError::UnknownMaker {
            maker: addr(&rogue()).to_string(),
        },
    );

    // Every check of a plain registration holds too: the device's own signature…
    let mut call = acme_call(&d, FACTORY);
    if let Call::RegisterMadeDevice {
        device_signature, ..
    } = &mut call
    {
        *device_signature = d.sign(b"something else");
    }
    let stx = c.tx(&user(0), call);
    c.reject(stx, TxError::BadDeviceSignature);
    // …the network…
    let stx = c.tx(&user(0), acme_call(&d, "nowhere"));
    c.reject(
        stx,
        TxError::UnknownNetwork {
            network: "nowhere".into(),
        },
    );
    // …and a device registered once only.
    let stx = c.tx(&user(0), acme_call(&d, FACTORY));
    c.ok(stx);
    let stx = c.tx(&user(0), acme_call(&d, FACTORY));
    c.reject(
        stx,
        TxError::DeviceExists {
            device: dev_id(&d).to_string(),
        },
    );
    assert_eq!(maker_of(&c, &acme_addr).unwrap().devices, 1);
    assert_eq!(
        credits_of(&c, &acme_addr).total(),
        BOUGHT_CREDITS - FEE_CREDITS
    );
}

#[test]
fn a_maker_without_credits_onboards_nothing() {
    let mut c = Chain::from_genesis(makers_genesis());
    let stx = c.tx(&user(0), acme_call(&device_key(0), FACTORY));
    c.reject(
        stx,
        TxError::MakerCreditsExhausted {
            maker: addr(&acme()).to_string(),
            needed: FEE_CREDITS,
            available: 0,
        },
    );
    assert_eq!(device(&c.store, &dev_id(&device_key(0))), None);
    assert_eq!(maker_of(&c, &addr(&acme())).unwrap().devices, 0);
}

#[test]
fn a_free_maker_needs_no_credits() {
    let mut g = makers_genesis();
    g.makers[0].onboard_fee_credits = 0;
    let mut c = Chain::from_genesis(g);
    let stx = c.tx(&user(0), acme_call(&device_key(0), FACTORY));
    c.ok(stx);
    assert_eq!(maker_of(&c, &addr(&acme())).unwrap().devices, 1);
    assert_eq!(credits_of(&c, &addr(&acme())), Credits::default());
}
