//! Storage deals: offers and their collateral pools, opening deals against credits,
//! oracle-signed settlements that pay, refund and slash, and replay of it all.

use crate::common::*;
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::credits::{self, Credits};
use plinth_ledger::genesis::GenesisNetwork;
use plinth_ledger::rewards::MAX_MANIFEST_SIGNATURES;
use plinth_ledger::state::MemStore;
use plinth_ledger::storage::{
    self, Deal, DealResult, DealStatus, EpochUsage, StorageOffer, StorageParams, StorageSettlement,
    MAX_SETTLEMENT_RESULTS, MIB,
};
use plinth_ledger::{keys, Call, Genesis, Overlay, Store, TxError};
use plinth_storage::{Manifest, ManifestError};

/// The storage network the provider's device is in.
const STORAGE: &str = "storage";
/// A second storage network, with no deals.
const VAULT: &str = "vault";
const ENDPOINT: &str = "http://93.184.216.34:9000";
const PRICE_PER_MIB: u64 = 10;
const COLLATERAL_PER_MIB: u64 = 1_000;
/// What the provider's owner deposits with its offer.
const DEPOSIT: u64 = 10_000;
/// Tokens the consumer burns for credits at $1: 10,000 credits of $0.00001.
const BURN: u64 = 100_000;
const CREDITS: u64 = 10_000;
/// The standard deal's file: three started MiB.
const SIZE: u64 = 3 * MIB - 5;
/// The standard deal's price per epoch and collateral at the offer's terms.
const PRICE: u64 = 3 * PRICE_PER_MIB;
const COLLATERAL: u64 = 3 * COLLATERAL_PER_MIB;

fn owner() -> Keypair {
    user(0)
}

fn consumer() -> Keypair {
    user(1)
}

/// Submits the oracles' signed messages (anyone may).
fn relayer() -> Keypair {
    user(2)
}

/// The provider: a device of `owner()` in the storage network.
fn provider() -> Keypair {
    device_key(0)
}

/// The test genesis with two storage networks beside "weather".
fn storage_genesis(storage: Option<StorageParams>) -> Genesis {
    let mut g = genesis(3);
    for name in [STORAGE, VAULT] {
        g.networks.push(GenesisNetwork {
            name: name.into(),
            family: storage::FAMILY.into(),
            params: Default::default(),
            share_bps: 1_000,
            usage_bps: 5_000,
            require_maker: false,
        });
    }
    g.storage = storage;
    g
}

fn register_in(c: &mut Chain, owner: &Keypair, device: &Keypair, network: &str) {
    let stx = c.tx(
        owner,
        register_call(&addr(owner), device, network, berlin()),
    );
    c.ok(stx);
}

fn offer_call(device: &Keypair, endpoint: &str, deposit: u64) -> Call {
    Call::OfferStorage {
        device: dev_id(device),
        endpoint: endpoint.into(),
        price_per_mib_epoch: PRICE_PER_MIB,
        collateral_per_mib: COLLATERAL_PER_MIB,
        deposit,
    }
}

/// A chain where the provider offers storage with `DEPOSIT` of collateral and the
/// consumer holds `CREDITS` credits.
fn market(storage: Option<StorageParams>) -> Chain {
    let mut c = Chain::from_genesis(storage_genesis(storage));
    register_in(&mut c, &owner(), &provider(), STORAGE);
    let stx = c.tx(&owner(), offer_call(&provider(), ENDPOINT, DEPOSIT));
    c.ok(stx);
    buy_credits(&mut c, &relayer(), &consumer(), BURN);
    assert_eq!(credits_of(&c, &addr(&consumer())).total(), CREDITS);
    c
}

fn manifest(size: u64, chunk_size: u32) -> Manifest {
    Manifest {
        root: Hash::of(&size.to_le_bytes()),
        size,
        chunk_size,
    }
}

fn open_call(manifest: Manifest, epochs: u64, price_per_epoch: u64) -> Call {
    Call::OpenDeal {
        provider: dev_id(&provider()),
        manifest,
        epochs,
        price_per_epoch,
        min_collateral: 0,
    }
}

/// The provider's receipt for deal `id` of `manifest`, as its agent signs it.
fn receipt(id: &Hash, manifest: &Manifest) -> plinth_core::Signature {
    provider().sign(&plinth_storage::receipt_message(&chain(), id, manifest))
}

fn activate_call(id: &Hash, manifest: &Manifest) -> Call {
    Call::ActivateDeal {
        deal: *id,
        receipt: receipt(id, manifest),
    }
}

/// Opens the standard deal for `epochs` epochs (must succeed) and leaves it
/// pending; returns its id.
fn open_pending(c: &mut Chain, epochs: u64) -> Hash {
    let nonce = c.nonce(&consumer());
    let stx = c.tx(
        &consumer(),
        open_call(manifest(SIZE, 64 * 1024), epochs, PRICE),
    );
    c.ok(stx);
    storage::deal_id(&addr(&consumer()), nonce)
}

/// Opens the standard deal for `epochs` epochs and activates it with the
/// provider's receipt (both must succeed); returns its id.
fn open(c: &mut Chain, epochs: u64) -> Hash {
    let id = open_pending(c, epochs);
    let stx = c.tx(&relayer(), activate_call(&id, &manifest(SIZE, 64 * 1024)));
    c.ok(stx);
    id
}

fn settlement(network: &str, epoch: u64, results: &[(Hash, bool)]) -> StorageSettlement {
    StorageSettlement {
        chain: chain(),
        network: network.into(),
        epoch,
        results: results
            .iter()
            .map(|&(deal, proven)| DealResult { deal, proven })
            .collect(),
    }
}

fn settle_call(s: &StorageSettlement, signers: &[u8]) -> Call {
    Call::SettleStorage {
        settlement: s.clone(),
        signatures: signers.iter().map(|i| s.sign(&oracle_key(*i))).collect(),
    }
}

/// Settles `results` of the storage network for `epoch` once it is over (must
/// succeed).
fn settle(c: &mut Chain, epoch: u64, results: &[(Hash, bool)]) {
    if c.next_epoch() <= epoch {
        c.finish_epoch(epoch);
    }
    let call = settle_call(&settlement(STORAGE, epoch, results), &[0, 2]);
    let stx = c.tx(&relayer(), call);
    c.ok(stx);
}

/// Runs `call` from `k` (it must succeed) and asserts that it changed nothing but
/// the fee and nonce: the state root is the one a 1-token transfer to oneself with
/// the same fee and nonce gives.
#[track_caller]
fn assert_no_effect(c: &mut Chain, k: &Keypair, call: Call) {
    let noop = c.tx(
        k,
        Call::Transfer {
            to: addr(k),
            amount: 1,
        },
    );
    let expected = c.dry_run(&[noop]);
    let stx = c.tx(k, call);
    let exec = c.dry_run(std::slice::from_ref(&stx));
    let changed: Vec<String> = exec
        .writes
        .iter()
        .filter(|(key, v)| expected.writes.get(*key) != Some(v) && c.store.get(key).unwrap() != **v)
        .map(|(key, v)| format!("{} = {v:?}", String::from_utf8_lossy(key)))
        .collect();
    assert!(
        changed.is_empty(),
        "the call should have changed nothing, but wrote {changed:?}"
    );
    c.ok(stx);
    assert_eq!(c.root(), expected.state_root);
}

fn deal_of(c: &Chain, id: &Hash) -> Deal {
    storage::deal(&Overlay::new(&c.store), id)
        .unwrap()
        .expect("deal exists")
}

fn offer_of(c: &Chain, device: &Keypair) -> Option<StorageOffer> {
    storage::offer(&Overlay::new(&c.store), &dev_id(device)).unwrap()
}

fn credits_of(c: &Chain, a: &Address) -> Credits {
    credits::load(&Overlay::new(&c.store), a).unwrap()
}

fn usage_of(c: &Chain, network: &str, epoch: u64) -> EpochUsage {
    storage::usage(&Overlay::new(&c.store), network, epoch).unwrap()
}

/// The deals in `network`'s active index.
fn active_deals(store: &MemStore, network: &str) -> Vec<Hash> {
    let prefix = keys::active_deals(network);
    store
        .scan(&prefix)
        .into_iter()
        .map(|(k, _)| Hash(k[prefix.len()..].try_into().unwrap()))
        .collect()
}

/// Every token is in an account, a collateral pool or the unclaimed pool.
fn assert_tokens_conserved(c: &Chain) {
    let pools: u64 = c
        .store
        .scan(b"soff/")
        .iter()
        .map(|(_, v)| {
            let o: StorageOffer = borsh::from_slice(v).unwrap();
            o.free + o.locked
        })
        .sum();
    let s = supply_record(&c.store);
    assert_eq!(supply(&c.store) + pools + s.unclaimed, s.total().unwrap());
}

#[test]
fn only_owners_of_storage_devices_offer_storage() {
    let mut c = Chain::from_genesis(storage_genesis(None));
    let (o, weather_device) = (owner(), device_key(1));
    register_in(&mut c, &o, &provider(), STORAGE);
    register_in(&mut c, &o, &weather_device, NETWORK);

    // Someone else's device.
    let stx = c.tx(&user(2), offer_call(&provider(), ENDPOINT, 0));
    c.reject(
        stx,
        TxError::NotDeviceOwner {
            device: dev_id(&provider()).to_string(),
            owner: addr(&o).to_string(),
        },
    );
    // A device nobody registered.
    let stx = c.tx(&o, offer_call(&device_key(9), ENDPOINT, 0));
    c.reject(
        stx,
        TxError::UnknownDevice {
            device: dev_id(&device_key(9)).to_string(),
        },
    );
    // A device of a sensor network.
    let stx = c.tx(&o, offer_call(&weather_device, ENDPOINT, 0));
    c.reject(
        stx,
        TxError::NotStorageNetwork {
            network: NETWORK.into(),
            family: FAMILY.into(),
        },
    );
    // Endpoints.
    for (endpoint, reason) in [
        ("ftp://10.0.0.7", "must start with http:// or https://"),
        ("10.0.0.7:9000", "must start with http:// or https://"),
        ("https://", "has no host"),
        (
            "http://10.0.0.7:9000",
            "names a loopback, private or link-local host, which this chain does not allow (genesis storage.allow_private_endpoints)",
        ),
        (
            "http://a b",
            "only printable ASCII without spaces is allowed",
        ),
        (
            "http://\u{e9}t\u{e9}",
            "only printable ASCII without spaces is allowed",
        ),
        (
            &format!("http://{}", "a".repeat(194)),
            "longer than 200 bytes",
        ),
    ] {
        let stx = c.tx(&o, offer_call(&provider(), endpoint, DEPOSIT));
        c.reject(
            stx,
            TxError::BadEndpoint {
                reason: reason.into(),
            },
        );
    }
    // Free storage is no offer.
    let mut call = offer_call(&provider(), ENDPOINT, DEPOSIT);
    if let Call::OfferStorage {
        price_per_mib_epoch,
        ..
    } = &mut call
    {
        *price_per_mib_epoch = 0;
    }
    let stx = c.tx(&o, call);
    c.reject(stx, TxError::ZeroAmount);
    // A deposit beyond the balance.
    let balance = c.balance(&addr(&o));
    let stx = c.tx(&o, offer_call(&provider(), ENDPOINT, balance));
    c.reject(
        stx,
        TxError::InsufficientFunds {
            needed: balance + FEE,
            available: balance,
        },
    );
    assert_eq!(offer_of(&c, &provider()), None);

    // The owner's offer: the deposit moves from the balance into the pool.
    let longest = format!("https://{}", "a".repeat(192));
    assert_eq!(longest.len(), storage::MAX_ENDPOINT_BYTES);
    let stx = c.tx(&o, offer_call(&provider(), &longest, DEPOSIT));
    c.ok(stx);
    assert_eq!(c.balance(&addr(&o)), balance - DEPOSIT - FEE);
    assert_eq!(
        offer_of(&c, &provider()),
        Some(StorageOffer {
            device: dev_id(&provider()),
            endpoint: longest,
            price_per_mib_epoch: PRICE_PER_MIB,
            collateral_per_mib: COLLATERAL_PER_MIB,
            free: DEPOSIT,
            locked: 0,
            active_deals: 0,
        })
    );
    // A new offer changes the terms and adds to the pool.
    let mut call = offer_call(&provider(), "https://store.example.com", 2_500);
    if let Call::OfferStorage {
        price_per_mib_epoch,
        collateral_per_mib,
        ..
    } = &mut call
    {
        *price_per_mib_epoch = 12;
        *collateral_per_mib = 0;
    }
    let stx = c.tx(&o, call);
    c.ok(stx);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(offer.endpoint, "https://store.example.com");
    assert_eq!(
        (offer.price_per_mib_epoch, offer.collateral_per_mib),
        (12, 0)
    );
    assert_eq!(offer.free, DEPOSIT + 2_500);
    assert_eq!(c.balance(&addr(&o)), balance - DEPOSIT - 2_500 - 2 * FEE);
    assert_tokens_conserved(&c);

    // A retired device makes no offers.
    let stx = c.tx(
        &o,
        Call::RetireDevice {
            device: dev_id(&provider()),
        },
    );
    c.ok(stx);
    let stx = c.tx(&o, offer_call(&provider(), ENDPOINT, 0));
    c.reject(
        stx,
        TxError::DeviceRetired {
            device: dev_id(&provider()).to_string(),
        },
    );
}

#[test]
fn only_free_collateral_can_be_withdrawn() {
    let mut c = market(None);
    let o = owner();
    let withdraw = |amount| Call::WithdrawCollateral {
        device: dev_id(&provider()),
        amount,
    };
    let stx = c.tx(&o, withdraw(DEPOSIT + 1));
    c.reject(
        stx,
        TxError::InsufficientCollateral {
            needed: DEPOSIT + 1,
            available: DEPOSIT,
        },
    );
    let stx = c.tx(&o, withdraw(0));
    c.reject(stx, TxError::ZeroAmount);
    let stx = c.tx(&user(2), withdraw(1));
    c.reject(
        stx,
        TxError::NotDeviceOwner {
            device: dev_id(&provider()).to_string(),
            owner: addr(&o).to_string(),
        },
    );
    // A storage device without an offer has no pool.
    register_in(&mut c, &o, &device_key(1), STORAGE);
    let stx = c.tx(
        &o,
        Call::WithdrawCollateral {
            device: dev_id(&device_key(1)),
            amount: 1,
        },
    );
    c.reject(
        stx,
        TxError::NoStorageOffer {
            device: dev_id(&device_key(1)).to_string(),
        },
    );

    let before = c.balance(&addr(&o));
    let stx = c.tx(&o, withdraw(1_000));
    c.ok(stx);
    assert_eq!(c.balance(&addr(&o)), before + 1_000 - FEE);
    assert_eq!(offer_of(&c, &provider()).unwrap().free, DEPOSIT - 1_000);

    // Collateral locked by a deal is not free.
    open(&mut c, 2);
    let free = DEPOSIT - 1_000 - COLLATERAL;
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!((offer.free, offer.locked), (free, COLLATERAL));
    let stx = c.tx(&o, withdraw(free + 1));
    c.reject(
        stx,
        TxError::InsufficientCollateral {
            needed: free + 1,
            available: free,
        },
    );
    let before = c.balance(&addr(&o));
    let stx = c.tx(&o, withdraw(free));
    c.ok(stx);
    assert_eq!(c.balance(&addr(&o)), before + free - FEE);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!((offer.free, offer.locked), (0, COLLATERAL));
    assert_tokens_conserved(&c);
}

#[test]
fn opening_a_deal_escrows_credits_and_locks_collateral() {
    let mut c = market(None);
    let me = addr(&consumer());
    let balance = c.balance(&me);
    let opened_epoch = c.next_epoch();
    let height = c.height() + 1;
    let id = open_pending(&mut c, 4);

    assert_eq!(credits_of(&c, &me).total(), CREDITS - 4 * PRICE);
    assert_eq!(
        c.balance(&me),
        balance - FEE,
        "a deal costs credits, not tokens"
    );
    let pending = Deal {
        id,
        consumer: me,
        provider: dev_id(&provider()),
        network: STORAGE.into(),
        manifest: manifest(SIZE, 64 * 1024),
        opened_height: height,
        opened_epoch,
        epochs: 4,
        start_epoch: 0,
        end_epoch: 0,
        price_per_epoch: PRICE,
        escrow: 4 * PRICE,
        collateral: COLLATERAL,
        next_epoch: 0,
        proven_epochs: 0,
        failed_epochs: 0,
        unsettled_epochs: 0,
        consecutive_failures: 0,
        status: DealStatus::Pending,
    };
    assert_eq!(deal_of(&c, &id), pending);
    // Pending deals are not challenged: not in the active index.
    assert!(active_deals(&c.store, STORAGE).is_empty());

    // The provider's receipt activates it from the next epoch.
    let start = c.next_epoch() + 1;
    let stx = c.tx(&relayer(), activate_call(&id, &manifest(SIZE, 64 * 1024)));
    c.ok(stx);
    assert_eq!(
        deal_of(&c, &id),
        Deal {
            start_epoch: start,
            end_epoch: start + 4,
            next_epoch: start,
            status: DealStatus::Active,
            ..pending
        }
    );
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT - COLLATERAL, COLLATERAL, 1)
    );
    assert_eq!(active_deals(&c.store, STORAGE), vec![id]);
    assert!(active_deals(&c.store, VAULT).is_empty());
    let listed = |prefix: Vec<u8>| c.store.scan(&prefix).len();
    assert_eq!(listed(keys::deals_of_consumer(me.key())), 1);
    assert_eq!(
        listed(keys::deals_of_provider(dev_id(&provider()).key())),
        1
    );

    // A consumer may pay more than the provider asks; a second deal is separate.
    let nonce = c.nonce(&consumer());
    let stx = c.tx(&consumer(), open_call(manifest(MIB, 1024 * 1024), 1, 25));
    c.ok(stx);
    let second = deal_of(&c, &storage::deal_id(&me, nonce));
    let stx = c.tx(&relayer(), activate_call(&second.id, &second.manifest));
    c.ok(stx);
    assert_ne!(second.id, id);
    assert_eq!((second.escrow, second.collateral), (25, COLLATERAL_PER_MIB));
    assert_eq!(credits_of(&c, &me).total(), CREDITS - 4 * PRICE - 25);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (
            DEPOSIT - COLLATERAL - COLLATERAL_PER_MIB,
            COLLATERAL + COLLATERAL_PER_MIB,
            2
        )
    );
    assert_eq!(active_deals(&c.store, STORAGE).len(), 2);
    assert_tokens_conserved(&c);
}

#[test]
fn deals_the_terms_or_funds_do_not_allow_are_refused() {
    let mut c = market(Some(StorageParams {
        max_failures: 3,
        max_deal_epochs: 50,
        accept_epochs: 4,
        ..Default::default()
    }));
    let me = addr(&consumer());
    let ok_manifest = manifest(SIZE, 64 * 1024);
    let cases = [
        (
            open_call(ok_manifest, 2, PRICE - 1),
            TxError::PriceBelowOffer {
                offered: PRICE - 1,
                required: PRICE,
            },
        ),
        (
            open_call(ok_manifest, 50, PRICE * 7),
            TxError::InsufficientCredits {
                needed: 50 * PRICE * 7,
                available: CREDITS,
            },
        ),
        (
            // 11 MiB needs 11,000 of collateral; the pool holds 10,000.
            open_call(manifest(11 * MIB, 64 * 1024), 1, 11 * PRICE_PER_MIB),
            TxError::InsufficientCollateral {
                needed: 11 * COLLATERAL_PER_MIB,
                available: DEPOSIT,
            },
        ),
        (
            open_call(manifest(0, 64 * 1024), 1, PRICE),
            TxError::BadManifest {
                reason: ManifestError::Empty.to_string(),
            },
        ),
        (
            open_call(manifest(SIZE, 3_000), 1, PRICE),
            TxError::BadManifest {
                reason: ManifestError::BadChunkSize { chunk_size: 3_000 }.to_string(),
            },
        ),
        (
            open_call(ok_manifest, 0, PRICE),
            TxError::BadDealTerm { epochs: 0, max: 50 },
        ),
        (
            open_call(ok_manifest, 51, PRICE),
            TxError::BadDealTerm {
                epochs: 51,
                max: 50,
            },
        ),
        (
            open_call(ok_manifest, u64::MAX / 2, u64::MAX),
            TxError::BadDealTerm {
                epochs: u64::MAX / 2,
                max: 50,
            },
        ),
    ];
    for (call, err) in cases {
        let stx = c.tx(&consumer(), call);
        c.reject(stx, err);
    }
    // A storage device that offers nothing, and a device nobody registered.
    register_in(&mut c, &owner(), &device_key(1), STORAGE);
    for (device, err) in [
        (
            device_key(1),
            TxError::NoStorageOffer {
                device: dev_id(&device_key(1)).to_string(),
            },
        ),
        (
            device_key(9),
            TxError::UnknownDevice {
                device: dev_id(&device_key(9)).to_string(),
            },
        ),
    ] {
        let stx = c.tx(
            &consumer(),
            Call::OpenDeal {
                provider: dev_id(&device),
                manifest: ok_manifest,
                epochs: 1,
                price_per_epoch: PRICE,
                min_collateral: 0,
            },
        );
        c.reject(stx, err);
    }
    // Nothing was escrowed or locked.
    assert_eq!(credits_of(&c, &me).total(), CREDITS);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT, 0, 0)
    );
    assert!(active_deals(&c.store, STORAGE).is_empty());
    // Exactly the credits and collateral there are: accepted; the collateral is
    // locked by the receipt.
    let nonce = c.nonce(&consumer());
    let big = manifest(10 * MIB, 1024 * 1024);
    let stx = c.tx(&consumer(), open_call(big, 10, CREDITS / 10));
    c.ok(stx);
    assert_eq!(credits_of(&c, &me).total(), 0);
    assert_eq!(offer_of(&c, &provider()).unwrap().free, DEPOSIT);
    let stx = c.tx(
        &relayer(),
        activate_call(&storage::deal_id(&me, nonce), &big),
    );
    c.ok(stx);
    assert_eq!(offer_of(&c, &provider()).unwrap().free, 0);
}

#[test]
fn settlements_need_a_quorum_a_finished_epoch_and_a_storage_network() {
    let mut c = market(None);
    let id = open(&mut c, 3);
    let epoch = deal_of(&c, &id).start_epoch;
    let good = settlement(STORAGE, epoch, &[(id, true)]);

    // The epoch is not over yet, up to its last block.
    let not_over = TxError::EpochNotOver {
        epoch,
        ends_at_ms: GENESIS_TIME_MS + (epoch + 1) * EPOCH_MS,
    };
    let stx = c.tx(&relayer(), settle_call(&good, &[0, 1]));
    c.reject(stx, not_over.clone());
    c.advance_to((epoch + 1) * EPOCH_MS / BLOCK_TIME_MS - 2);
    assert_eq!(c.next_epoch(), epoch);
    let stx = c.tx(&relayer(), settle_call(&good, &[0, 1]));
    c.reject(stx, not_over);
    assert_eq!(c.next_epoch(), epoch + 1);

    let not_enough = |valid| TxError::NotEnoughOracleSignatures {
        valid,
        threshold: ORACLE_THRESHOLD,
    };
    // One oracle, or one oracle twice.
    let stx = c.tx(&relayer(), settle_call(&good, &[1]));
    c.reject(stx, not_enough(1));
    let stx = c.tx(&relayer(), settle_call(&good, &[1, 1]));
    c.reject(stx, not_enough(1));
    // Keys outside the oracle set.
    let stx = c.tx(
        &relayer(),
        Call::SettleStorage {
            settlement: good.clone(),
            signatures: vec![good.sign(&user(0)), good.sign(&oracle_key(ORACLES))],
        },
    );
    c.reject(stx, not_enough(0));
    // Results changed after signing.
    let signed = settlement(STORAGE, epoch, &[(id, false)]);
    let stx = c.tx(
        &relayer(),
        Call::SettleStorage {
            settlement: good.clone(),
            signatures: vec![signed.sign(&oracle_key(0)), signed.sign(&oracle_key(1))],
        },
    );
    c.reject(stx, not_enough(0));
    // A sensor network, an unknown one, another chain.
    let stx = c.tx(
        &relayer(),
        settle_call(&settlement(NETWORK, epoch, &[(id, true)]), &[0, 1]),
    );
    c.reject(
        stx,
        TxError::NotStorageNetwork {
            network: NETWORK.into(),
            family: FAMILY.into(),
        },
    );
    let stx = c.tx(
        &relayer(),
        settle_call(&settlement("rain", epoch, &[(id, true)]), &[0, 1]),
    );
    c.reject(
        stx,
        TxError::UnknownNetwork {
            network: "rain".into(),
        },
    );
    // Signed for a look-alike chain: same chain_id string, another genesis.
    let mut elsewhere = good.clone();
    elsewhere.chain = lookalike_chain();
    let stx = c.tx(&relayer(), settle_call(&elsewhere, &[0, 1]));
    c.reject(
        stx,
        TxError::WrongChain {
            expected: chain().to_string(),
            found: lookalike_chain().to_string(),
        },
    );
    // Too many results or signatures.
    let many: Vec<(Hash, bool)> = (0..=MAX_SETTLEMENT_RESULTS as u64)
        .map(|i| (Hash::of(&i.to_le_bytes()), true))
        .collect();
    let stx = c.tx(
        &relayer(),
        settle_call(&settlement(STORAGE, epoch, &many), &[0, 1]),
    );
    c.reject(
        stx,
        TxError::TooManyResults {
            count: MAX_SETTLEMENT_RESULTS as u64 + 1,
            limit: MAX_SETTLEMENT_RESULTS as u64,
        },
    );
    let stx = c.tx(
        &relayer(),
        Call::SettleStorage {
            settlement: good.clone(),
            signatures: vec![good.sign(&oracle_key(0)); MAX_MANIFEST_SIGNATURES + 1],
        },
    );
    c.reject(
        stx,
        TxError::TooManySignatures {
            count: MAX_MANIFEST_SIGNATURES as u64 + 1,
            limit: MAX_MANIFEST_SIGNATURES as u64,
        },
    );
    assert_eq!(deal_of(&c, &id).next_epoch, epoch);

    // The full limit of results, with two oracles of three: accepted.
    let mut full = many;
    full.truncate(MAX_SETTLEMENT_RESULTS - 1);
    full.push((id, true));
    let stx = c.tx(
        &relayer(),
        settle_call(&settlement(STORAGE, epoch, &full), &[2, 1]),
    );
    c.ok(stx);
    assert_eq!(deal_of(&c, &id).proven_epochs, 1);
}

#[test]
fn proven_epochs_pay_failed_ones_refund_and_the_last_completes_the_deal() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open(&mut c, 3);
    let s = deal_of(&c, &id).start_epoch;
    let spent = CREDITS - 3 * PRICE;
    let balance = c.balance(&me);

    // Proven: the epoch's price leaves the escrow for good and counts as usage.
    settle(&mut c, s, &[(id, true)]);
    let d = deal_of(&c, &id);
    assert_eq!(
        (d.escrow, d.proven_epochs, d.next_epoch),
        (2 * PRICE, 1, s + 1)
    );
    assert_eq!(
        credits_of(&c, &me),
        Credits {
            own: spent,
            delegated: 0
        }
    );
    assert_eq!(
        usage_of(&c, STORAGE, s),
        EpochUsage {
            credits_used: PRICE,
            proven: 1,
            ..EpochUsage::default()
        }
    );
    assert_eq!(usage_of(&c, VAULT, s), EpochUsage::default());

    // Failed: the epoch's price goes back to the consumer as delegated credits.
    settle(&mut c, s + 1, &[(id, false)]);
    let d = deal_of(&c, &id);
    assert_eq!(
        (d.escrow, d.failed_epochs, d.consecutive_failures),
        (PRICE, 1, 1)
    );
    assert_eq!(d.status, DealStatus::Active);
    assert_eq!(
        credits_of(&c, &me),
        Credits {
            own: spent,
            delegated: PRICE
        }
    );
    assert_eq!(
        usage_of(&c, STORAGE, s + 1),
        EpochUsage {
            credits_refunded: PRICE,
            failed: 1,
            ..EpochUsage::default()
        }
    );

    // The last epoch: proven, the deal completes and the collateral is free again.
    settle(&mut c, s + 2, &[(id, true)]);
    let d = deal_of(&c, &id);
    assert_eq!(d.status, DealStatus::Completed);
    assert_eq!(
        (
            d.escrow,
            d.proven_epochs,
            d.failed_epochs,
            d.consecutive_failures
        ),
        (0, 2, 1, 0)
    );
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT, 0, 0)
    );
    assert!(active_deals(&c.store, STORAGE).is_empty());
    assert_eq!(credits_of(&c, &me).total(), CREDITS - 2 * PRICE);
    assert_eq!(
        c.balance(&me),
        balance,
        "the consumer's tokens are untouched"
    );
    assert_eq!(usage_of(&c, STORAGE, s + 2).credits_used, PRICE);
    // The whole pool can be withdrawn.
    let stx = c.tx(
        &owner(),
        Call::WithdrawCollateral {
            device: dev_id(&provider()),
            amount: DEPOSIT,
        },
    );
    c.ok(stx);
    assert_tokens_conserved(&c);

    // A completed deal takes no more results.
    c.finish_epoch(s + 3);
    let call = settle_call(&settlement(STORAGE, s + 3, &[(id, false)]), &[0, 1]);
    assert_no_effect(&mut c, &relayer(), call);
    assert_eq!(deal_of(&c, &id), d);
}

#[test]
fn failures_in_a_row_slash_the_deal() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open(&mut c, 10);
    let s = deal_of(&c, &id).start_epoch;
    let balance = c.balance(&me);
    let max = StorageParams::default().max_failures as u64;
    assert_eq!(max, 3);

    // Two failures, then a proof: the count starts over.
    settle(&mut c, s, &[(id, false)]);
    settle(&mut c, s + 1, &[(id, false)]);
    assert_eq!(deal_of(&c, &id).consecutive_failures, 2);
    settle(&mut c, s + 2, &[(id, true)]);
    assert_eq!(deal_of(&c, &id).consecutive_failures, 0);
    settle(&mut c, s + 3, &[(id, false)]);
    settle(&mut c, s + 4, &[(id, false)]);
    let d = deal_of(&c, &id);
    assert_eq!((d.status, d.consecutive_failures), (DealStatus::Active, 2));
    assert_eq!(active_deals(&c.store, STORAGE), vec![id]);

    // The third in a row: slashed.
    settle(&mut c, s + 5, &[(id, false)]);
    let d = deal_of(&c, &id);
    assert_eq!(d.status, DealStatus::Slashed);
    assert_eq!(
        (
            d.escrow,
            d.proven_epochs,
            d.failed_epochs,
            d.consecutive_failures
        ),
        (0, 1, 5, 3)
    );
    // The collateral goes to the consumer's balance; every credit but the one
    // proven epoch's comes back.
    assert_eq!(c.balance(&me), balance + COLLATERAL);
    assert_eq!(
        credits_of(&c, &me),
        Credits {
            own: CREDITS - 10 * PRICE,
            delegated: 9 * PRICE
        }
    );
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT - COLLATERAL, 0, 0)
    );
    assert!(active_deals(&c.store, STORAGE).is_empty());
    assert_eq!(
        usage_of(&c, STORAGE, s + 5),
        EpochUsage {
            credits_used: 0,
            credits_refunded: PRICE + 4 * PRICE,
            proven: 0,
            failed: 1,
            slashed: 1,
        }
    );
    // The provider lost the collateral.
    let stx = c.tx(
        &owner(),
        Call::WithdrawCollateral {
            device: dev_id(&provider()),
            amount: DEPOSIT,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientCollateral {
            needed: DEPOSIT,
            available: DEPOSIT - COLLATERAL,
        },
    );
    assert_tokens_conserved(&c);

    // A slashed deal takes no more results, proven or not.
    for proven in [true, false] {
        let call = settle_call(&settlement(STORAGE, s + 6, &[(id, proven)]), &[0, 1]);
        c.finish_epoch(s + 6);
        assert_no_effect(&mut c, &relayer(), call);
    }
    assert_eq!(deal_of(&c, &id), d);
}

#[test]
fn the_genesis_sets_how_many_failures_slash() {
    let mut c = market(Some(StorageParams {
        max_failures: 1,
        max_deal_epochs: 100,
        accept_epochs: 4,
        ..Default::default()
    }));
    let me = addr(&consumer());
    let id = open(&mut c, 5);
    let s = deal_of(&c, &id).start_epoch;
    let balance = c.balance(&me);
    settle(&mut c, s, &[(id, false)]);
    let d = deal_of(&c, &id);
    assert_eq!((d.status, d.escrow), (DealStatus::Slashed, 0));
    assert_eq!(c.balance(&me), balance + COLLATERAL);
    assert_eq!(credits_of(&c, &me).total(), CREDITS);
}

#[test]
fn a_settlement_applies_once() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open(&mut c, 3);
    let s = deal_of(&c, &id).start_epoch;
    let call = settle_call(&settlement(STORAGE, s, &[(id, true)]), &[0, 1]);
    c.finish_epoch(s);
    let stx = c.tx(&relayer(), call.clone());
    c.ok(stx);
    let after = (
        deal_of(&c, &id),
        credits_of(&c, &me),
        usage_of(&c, STORAGE, s),
    );
    assert_eq!(after.0.proven_epochs, 1);

    // The same settlement again, another verdict for the settled epoch, an epoch
    // before the deal began.
    assert_no_effect(&mut c, &relayer(), call);
    let other = settle_call(&settlement(STORAGE, s, &[(id, false)]), &[1, 2]);
    assert_no_effect(&mut c, &relayer(), other);
    let before = settle_call(&settlement(STORAGE, s - 1, &[(id, false)]), &[0, 1]);
    assert_no_effect(&mut c, &relayer(), before);
    // The deal's results for another storage network's epoch.
    c.finish_epoch(s + 1);
    let vault = settle_call(&settlement(VAULT, s + 1, &[(id, false)]), &[0, 1]);
    let stx = c.tx(&relayer(), vault);
    c.ok(stx);
    assert_eq!(usage_of(&c, VAULT, s + 1), EpochUsage::default());
    assert_eq!(
        (
            deal_of(&c, &id),
            credits_of(&c, &me),
            usage_of(&c, STORAGE, s)
        ),
        after
    );

    // A deal listed twice in one settlement: the first result counts.
    settle(&mut c, s + 1, &[(id, false), (id, true)]);
    let d = deal_of(&c, &id);
    assert_eq!(
        (d.proven_epochs, d.failed_epochs, d.next_epoch),
        (1, 1, s + 2)
    );
    assert_eq!(
        usage_of(&c, STORAGE, s + 1),
        EpochUsage {
            credits_refunded: PRICE,
            failed: 1,
            ..EpochUsage::default()
        }
    );
}

#[test]
fn epochs_settle_in_order_and_unsettled_ones_are_refunded_at_close() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open(&mut c, 3);
    let s = deal_of(&c, &id).start_epoch;

    // A result for a later epoch does nothing while an earlier one is unsettled
    // (relayed early, or the oracles skipped one): no implicit skipping.
    c.finish_epoch(s + 1);
    let early = settle_call(&settlement(STORAGE, s + 1, &[(id, false)]), &[0, 1]);
    assert_no_effect(&mut c, &relayer(), early);
    assert_eq!(deal_of(&c, &id).next_epoch, s);

    // In order, both apply.
    settle(&mut c, s, &[(id, true)]);
    settle(&mut c, s + 1, &[(id, false)]);
    let d = deal_of(&c, &id);
    assert_eq!(
        (d.proven_epochs, d.failed_epochs, d.next_epoch, d.escrow),
        (1, 1, s + 2, PRICE)
    );

    // The last epoch is never settled: a whole epoch after the end, anyone closes
    // the deal; its escrow comes back, counted in the usage of the close's epoch.
    c.finish_epoch(s + 3);
    let close_epoch = c.next_epoch();
    let stx = c.tx(&relayer(), Call::CloseDeal { deal: id });
    c.ok(stx);
    let d = deal_of(&c, &id);
    assert_eq!(d.status, DealStatus::Completed);
    assert_eq!(
        (
            d.unsettled_epochs,
            d.proven_epochs,
            d.failed_epochs,
            d.escrow
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(
        credits_of(&c, &me),
        Credits {
            own: CREDITS - 3 * PRICE,
            delegated: 2 * PRICE
        }
    );
    assert_eq!(usage_of(&c, STORAGE, close_epoch).credits_refunded, PRICE);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!((offer.free, offer.locked), (DEPOSIT, 0));
    assert!(active_deals(&c.store, STORAGE).is_empty());
    assert_tokens_conserved(&c);
}

#[test]
fn a_deal_is_challenged_only_after_its_providers_receipt() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open_pending(&mut c, 3);
    let m = manifest(SIZE, 64 * 1024);

    // A receipt must be the provider device's signature over this deal and
    // manifest: not the owner's, not over another manifest.
    let forged = [
        owner().sign(&plinth_storage::receipt_message(&chain(), &id, &m)),
        provider().sign(&plinth_storage::receipt_message(
            &chain(),
            &id,
            &manifest(SIZE + 1, 64 * 1024),
        )),
        provider().sign(&plinth_storage::receipt_message(
            &chain(),
            &Hash::of(b"other"),
            &m,
        )),
        // Given on a look-alike chain (same chain_id, another genesis) for a
        // deal with the same id.
        provider().sign(&plinth_storage::receipt_message(
            &lookalike_chain(),
            &id,
            &m,
        )),
    ];
    for receipt in forged {
        let stx = c.tx(&relayer(), Call::ActivateDeal { deal: id, receipt });
        c.reject(stx, TxError::BadReceipt);
    }
    // A pending deal is not settled: a consumer who never uploads cannot have it
    // fail and collect the collateral.
    c.finish_epoch(c.next_epoch());
    let e = c.next_epoch() - 1;
    let call = settle_call(&settlement(STORAGE, e, &[(id, false)]), &[0, 1]);
    assert_no_effect(&mut c, &relayer(), call);
    assert_eq!(deal_of(&c, &id).status, DealStatus::Pending);

    // Not activated within `accept_epochs` (4): anyone may close it, and every
    // credit and the collateral go back.
    let opened = deal_of(&c, &id).opened_epoch;
    let stx = c.tx(&relayer(), Call::CloseDeal { deal: id });
    c.reject(
        stx,
        TxError::DealNotExpired {
            deal: id.to_string(),
            closable_from_epoch: opened + 4,
        },
    );
    c.finish_epoch(opened + 3);
    let stx = c.tx(&relayer(), activate_call(&id, &m));
    c.reject(
        stx,
        TxError::DealExpired {
            deal: id.to_string(),
            epoch: opened + 4,
        },
    );
    let stx = c.tx(&relayer(), Call::CloseDeal { deal: id });
    c.ok(stx);
    let d = deal_of(&c, &id);
    assert_eq!(
        (d.status, d.escrow, d.unsettled_epochs),
        (DealStatus::Completed, 0, 0)
    );
    assert_eq!(credits_of(&c, &me).total(), CREDITS);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT, 0, 0)
    );
    let stx = c.tx(&relayer(), activate_call(&id, &m));
    c.reject(
        stx,
        TxError::DealNotPending {
            deal: id.to_string(),
        },
    );
    assert_tokens_conserved(&c);
}

#[test]
fn a_deal_refuses_collateral_below_what_the_consumer_asked() {
    let mut c = market(None);
    // The owner cuts the collateral to nothing just before the consumer's deal.
    let stx = c.tx(
        &owner(),
        Call::OfferStorage {
            device: dev_id(&provider()),
            endpoint: ENDPOINT.into(),
            price_per_mib_epoch: PRICE_PER_MIB,
            collateral_per_mib: 0,
            deposit: 0,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        &consumer(),
        Call::OpenDeal {
            provider: dev_id(&provider()),
            manifest: manifest(SIZE, 64 * 1024),
            epochs: 2,
            price_per_epoch: PRICE,
            min_collateral: COLLATERAL,
        },
    );
    c.reject(
        stx,
        TxError::CollateralBelowAsked {
            asked: COLLATERAL,
            offered: 0,
        },
    );
}

#[test]
fn results_for_unknown_deals_are_ignored() {
    let mut c = market(None);
    let id = open(&mut c, 2);
    let s = deal_of(&c, &id).start_epoch;
    let unknown = Hash::of(b"no such deal");
    settle(&mut c, s, &[(unknown, true), (id, true), (unknown, false)]);
    assert_eq!(deal_of(&c, &id).proven_epochs, 1);
    assert_eq!(
        storage::deal(&Overlay::new(&c.store), &unknown).unwrap(),
        None
    );
    assert_eq!(
        usage_of(&c, STORAGE, s),
        EpochUsage {
            credits_used: PRICE,
            proven: 1,
            ..EpochUsage::default()
        }
    );
    // A settlement of unknown deals only.
    c.finish_epoch(s + 1);
    let call = settle_call(&settlement(STORAGE, s + 1, &[(unknown, false)]), &[0, 1]);
    let stx = c.tx(&relayer(), call);
    c.ok(stx);
    assert_eq!(deal_of(&c, &id).next_epoch, s + 1);
    assert_eq!(usage_of(&c, STORAGE, s + 1), EpochUsage::default());
}

#[test]
fn a_deal_lifecycle_replays_to_the_same_roots() {
    let mut a = market(None);
    let kept = open_pending(&mut a, 3);
    let lost = {
        let nonce = a.nonce(&consumer());
        let stx = a.tx(
            &consumer(),
            open_call(manifest(MIB + 1, 4096), 6, 2 * PRICE_PER_MIB),
        );
        // Two deals and a refused one in the same block.
        let refused = tx(
            &consumer(),
            nonce + 1,
            FEE,
            open_call(manifest(SIZE, 1024), 3, 1),
        );
        let receipts = a.block(vec![stx, refused]);
        assert!(receipts[0].is_ok());
        assert!(receipts[1].error.is_some());
        storage::deal_id(&addr(&consumer()), nonce)
    };
    // Both activated in one block.
    let first = a.tx(&relayer(), activate_call(&kept, &manifest(SIZE, 64 * 1024)));
    let second = tx(
        &relayer(),
        a.nonce(&relayer()) + 1,
        FEE,
        activate_call(&lost, &manifest(MIB + 1, 4096)),
    );
    let receipts = a.block(vec![first, second]);
    assert!(receipts.iter().all(|r| r.is_ok()), "{receipts:?}");
    let s = deal_of(&a, &kept).start_epoch;
    assert_eq!(deal_of(&a, &lost).start_epoch, s);
    for e in 0..3 {
        settle(&mut a, s + e, &[(kept, e != 1), (lost, false)]);
    }
    assert_eq!(deal_of(&a, &kept).status, DealStatus::Completed);
    assert_eq!(deal_of(&a, &lost).status, DealStatus::Slashed);
    let stx = a.tx(
        &owner(),
        Call::WithdrawCollateral {
            device: dev_id(&provider()),
            amount: DEPOSIT - 2 * COLLATERAL_PER_MIB,
        },
    );
    a.ok(stx);
    assert_eq!(offer_of(&a, &provider()).unwrap().free, 0);
    assert_tokens_conserved(&a);

    let b = a.replay();
    assert_eq!(b.scan(b""), a.store.scan(b""));
    assert!(active_deals(&b, STORAGE).is_empty());
}

#[test]
fn a_deal_its_oracles_never_settled_is_closed_after_its_end() {
    let mut c = market(None);
    let me = addr(&consumer());
    let id = open(&mut c, 3);
    let s = deal_of(&c, &id).start_epoch;
    settle(&mut c, s, &[(id, true)]);

    // Nobody may close a deal before a whole epoch has passed after its end
    // (end = s + 3): the oracles may still settle its last epoch.
    let close = Call::CloseDeal { deal: id };
    c.finish_epoch(s + 2);
    let stx = c.tx(&relayer(), close.clone());
    c.reject(
        stx,
        TxError::DealNotExpired {
            deal: id.to_string(),
            closable_from_epoch: s + 4,
        },
    );
    let unknown = Hash::of(b"no such deal");
    let stx = c.tx(&relayer(), Call::CloseDeal { deal: unknown });
    c.reject(
        stx,
        TxError::UnknownDeal {
            deal: unknown.to_string(),
        },
    );

    // A whole epoch after its end, anyone closes it: the two unsettled epochs'
    // escrow goes back to the consumer, the collateral to the provider's pool.
    c.finish_epoch(s + 3);
    let stx = c.tx(&relayer(), close.clone());
    c.ok(stx);
    let d = deal_of(&c, &id);
    assert_eq!(d.status, DealStatus::Completed);
    assert_eq!(
        (d.proven_epochs, d.unsettled_epochs, d.escrow, d.next_epoch),
        (1, 2, 0, s + 3)
    );
    assert_eq!(
        credits_of(&c, &me),
        Credits {
            own: CREDITS - 3 * PRICE,
            delegated: 2 * PRICE
        }
    );
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT, 0, 0)
    );
    assert!(active_deals(&c.store, STORAGE).is_empty());
    assert_tokens_conserved(&c);

    // Once ended, it stays ended: no second close, no late settlement.
    let stx = c.tx(&relayer(), close);
    c.reject(
        stx,
        TxError::DealNotActive {
            deal: id.to_string(),
        },
    );
    let late = settle_call(&settlement(STORAGE, s + 2, &[(id, true)]), &[0, 1]);
    assert_no_effect(&mut c, &relayer(), late);
}

#[test]
fn collateral_is_locked_when_a_deal_is_activated_not_when_it_is_opened() {
    let mut c = market(None);
    // Four pending deals ask for 4 × 3,000 of a 10,000 pool: opening locks none
    // of it, so nobody can tie the pool up with deals the provider never took.
    let ids: Vec<Hash> = (0..4).map(|_| open_pending(&mut c, 1)).collect();
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!(
        (offer.free, offer.locked, offer.active_deals),
        (DEPOSIT, 0, 0)
    );
    // Each receipt locks its deal's collateral.
    let m = manifest(SIZE, 64 * 1024);
    for (n, id) in ids[..3].iter().enumerate() {
        let stx = c.tx(&relayer(), activate_call(id, &m));
        c.ok(stx);
        let offer = offer_of(&c, &provider()).unwrap();
        let locked = (n as u64 + 1) * COLLATERAL;
        assert_eq!(
            (offer.free, offer.locked, offer.active_deals),
            (DEPOSIT - locked, locked, n as u64 + 1)
        );
    }
    // The pool no longer holds the fourth deal's collateral: refused.
    let stx = c.tx(&relayer(), activate_call(&ids[3], &m));
    c.reject(
        stx,
        TxError::InsufficientCollateral {
            needed: COLLATERAL,
            available: DEPOSIT - 3 * COLLATERAL,
        },
    );
    assert_eq!(deal_of(&c, &ids[3]).status, DealStatus::Pending);
    assert_tokens_conserved(&c);
}

#[test]
fn collateral_withdrawn_while_a_deal_is_pending_refuses_its_activation() {
    let mut c = market(None);
    let id = open_pending(&mut c, 2);
    // Pending deals lock nothing: the owner may take the whole pool back…
    let stx = c.tx(
        &owner(),
        Call::WithdrawCollateral {
            device: dev_id(&provider()),
            amount: DEPOSIT,
        },
    );
    c.ok(stx);
    // …and then the receipt cannot activate the deal.
    let stx = c.tx(&relayer(), activate_call(&id, &manifest(SIZE, 64 * 1024)));
    c.reject(
        stx,
        TxError::InsufficientCollateral {
            needed: COLLATERAL,
            available: 0,
        },
    );
    // Closing the never-activated deal after `accept_epochs` refunds the consumer
    // and leaves the (empty) pool alone.
    let expires = deal_of(&c, &id).opened_epoch + StorageParams::default().accept_epochs;
    c.finish_epoch(expires - 1);
    let stx = c.tx(&relayer(), Call::CloseDeal { deal: id });
    c.ok(stx);
    assert_eq!(credits_of(&c, &addr(&consumer())).total(), CREDITS);
    let offer = offer_of(&c, &provider()).unwrap();
    assert_eq!((offer.free, offer.locked, offer.active_deals), (0, 0, 0));
    assert_tokens_conserved(&c);
}
