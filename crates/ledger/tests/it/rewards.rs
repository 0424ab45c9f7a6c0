//! Emission schedule, reward manifests (k-of-n oracle signatures) and merkle-proof
//! claims.

use crate::common::*;
use plinth_core::merkle::Proof;
use plinth_core::{Address, Hash};
use plinth_ledger::emission::Emission;
use plinth_ledger::rewards::{self, ManifestEntry, OracleSet, MAX_MANIFEST_SIGNATURES};
use plinth_ledger::{admit, Call, Genesis, LedgerError, PendingView, TxError, MAX_TX_BYTES};

/// Three entries: user 0, user 1 and a stranger (no account yet) earn 30,000.
fn three() -> Vec<ManifestEntry> {
    entries(
        &[addr(&user(0)), addr(&user(1)), addr(&stranger())],
        &[10_000, 15_000, 5_000],
    )
}

/// Submits a manifest over `es` for epoch `epoch` (already over), signed by oracles 0
/// and 1, from user 2.
fn accept(c: &mut Chain, epoch: u64, es: &[ManifestEntry]) {
    let header = manifest_header(NETWORK, epoch, es);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
}

#[test]
fn emission_halves_every_interval_down_to_the_tail() {
    let e = Emission {
        epoch_ms: 30_000,
        initial_per_epoch: 1_000_000_000,
        halving_interval_epochs: 100_000,
        tail_per_epoch: 100_000_000,
        ..Emission::default()
    };
    assert_eq!(e.per_epoch(0), 1_000_000_000);
    assert_eq!(e.per_epoch(99_999), 1_000_000_000);
    assert_eq!(e.per_epoch(100_000), 500_000_000);
    assert_eq!(e.per_epoch(200_000), 250_000_000);
    assert_eq!(e.per_epoch(300_000), 125_000_000);
    // 62,500,000 would be below the tail.
    assert_eq!(e.per_epoch(400_000), 100_000_000);
    assert_eq!(e.per_epoch(u64::MAX), 100_000_000);
    assert_eq!(e.network_allowance(0, 5_000), 500_000_000);
    assert_eq!(e.network_allowance(0, 10_000), 1_000_000_000);
    assert_eq!(e.network_allowance(0, 0), 0);

    // Shifts of 64 and more leave nothing (then the tail, here 0).
    let fast = Emission {
        epoch_ms: 1,
        initial_per_epoch: u64::MAX,
        halving_interval_epochs: 1,
        tail_per_epoch: 0,
        ..Emission::default()
    };
    assert_eq!(fast.per_epoch(0), u64::MAX);
    assert_eq!(fast.per_epoch(63), 1);
    assert_eq!(fast.per_epoch(64), 0);
    assert_eq!(fast.per_epoch(1_000), 0);
    assert_eq!(fast.per_epoch(u64::MAX), 0);
    // The allowance of a full share of u64::MAX does not overflow.
    assert_eq!(fast.network_allowance(0, 10_000), u64::MAX);
    assert_eq!(fast.network_allowance(0, 5_000), u64::MAX / 2);

    // No halving interval: the initial rate forever; a tail above it wins.
    let flat = Emission {
        epoch_ms: 1,
        initial_per_epoch: 7,
        halving_interval_epochs: 0,
        tail_per_epoch: 0,
        ..Emission::default()
    };
    assert_eq!(flat.per_epoch(u64::MAX), 7);
    let floor = Emission {
        tail_per_epoch: 9,
        ..flat
    };
    assert_eq!(floor.per_epoch(0), 9);

    // Epoch boundaries.
    assert_eq!(e.epoch_at(1_000, 0), 0);
    assert_eq!(e.epoch_at(1_000, 30_999), 0);
    assert_eq!(e.epoch_at(1_000, 31_000), 1);
    assert_eq!(e.epoch_end_ms(1_000, 0), Some(31_000));
    assert_eq!(e.epoch_end_ms(1_000, u64::MAX / 30_000), None);
}

#[test]
fn genesis_sections_are_optional_and_validated() {
    // The shared fixture's genesis round-trips through TOML with its new sections.
    let g = genesis(2);
    let back = Genesis::from_toml(&g.to_toml()).unwrap();
    assert_eq!(back, g);

    // A genesis without them parses to no emission and no oracles.
    let mut bare: toml::Table = g.to_toml().parse().unwrap();
    bare.remove("emission");
    bare.remove("oracles");
    for n in bare["networks"].as_array_mut().unwrap() {
        n.as_table_mut().unwrap().remove("share_bps");
    }
    let bare = Genesis::from_toml(&toml::to_string(&bare).unwrap()).unwrap();
    assert_eq!(bare.emission, Emission::default());
    assert_eq!(bare.emission.epoch_ms, 60_000);
    assert_eq!(bare.oracles, OracleSet::default());
    assert_eq!(bare.networks[0].share_bps, 0);

    let invalid = |edit: &dyn Fn(&mut Genesis), needle: &str| {
        let mut g = genesis(2);
        edit(&mut g);
        match Genesis::from_toml(&g.to_toml()) {
            Err(LedgerError::Genesis(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("expected `{needle}`, got {other:?}"),
        }
    };
    invalid(&|g| g.oracles.threshold = 4, "exceeds the 3 members");
    invalid(&|g| g.oracles.threshold = 0, "at least 1");
    invalid(
        &|g| g.oracles.members[1] = g.oracles.members[0],
        "listed twice",
    );
    invalid(
        &|g| {
            g.oracles = OracleSet {
                threshold: 0,
                members: vec![],
            };
            g.networks[0].share_bps = 6_000;
            let mut other = g.networks[0].clone();
            other.name = "backhaul".into();
            g.networks.push(other);
        },
        "add up to 12000",
    );
    invalid(&|g| g.emission.epoch_ms = 0, "epoch_ms");
}

#[test]
fn genesis_writes_the_supply_record_and_the_oracle_set() {
    let c = Chain::new(3);
    let s = supply_record(&c.store);
    assert_eq!(s.genesis, 3 * INITIAL_BALANCE);
    assert_eq!((s.minted, s.burned, s.unclaimed), (0, 0, 0));
    assert_eq!(s.circulating(), Some(3 * INITIAL_BALANCE));
    let set = rewards::oracle_set(&plinth_ledger::Overlay::new(&c.store)).unwrap();
    assert_eq!(set, c.genesis.oracles);
    let params = plinth_ledger::execute::params(&c.store).unwrap();
    assert_eq!(params.genesis_time_ms, GENESIS_TIME_MS);
    assert_eq!(params.emission.epoch_ms, EPOCH_MS);
}

#[test]
fn an_accepted_manifest_mints_its_total_into_the_unclaimed_pool() {
    let mut c = Chain::new(3);
    let es = three();
    c.finish_epoch(0);
    let submitter = addr(&user(2));
    let header = manifest_header(NETWORK, 0, &es);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
    let height = c.height();
    assert_eq!(height, 10);

    let r = reward_epoch(&c.store, NETWORK, 0).expect("manifest recorded");
    assert_eq!(r.header, header);
    assert_eq!((r.claimed, r.claims, r.submitted_height), (0, 0, height));
    let s = supply_record(&c.store);
    assert_eq!((s.minted, s.unclaimed, s.burned), (30_000, 30_000, 0));
    assert_eq!(s.circulating(), Some(3 * INITIAL_BALANCE));
    // The submitter paid the fee and nothing else; nobody was paid yet.
    assert_eq!(c.balance(&submitter), INITIAL_BALANCE - FEE);
    assert_eq!(c.balance(&addr(&user(0))), INITIAL_BALANCE);
    assert_eq!(account(&c.store, &addr(&stranger())), None);
    assert_eq!(supply(&c.store) + s.unclaimed, s.genesis + s.minted);
    assert!(!is_claimed(&c.store, NETWORK, 0, 0));

    // The exact allowance of a halved epoch is accepted too: epoch 4 emits 50,000,
    // half of which is this network's.
    c.finish_epoch(4);
    let es = entries(&[addr(&user(0))], &[25_000]);
    accept(&mut c, 4, &es);
    assert_eq!(supply_record(&c.store).minted, 55_000);
}

#[test]
fn manifest_rejections() {
    let mut c = Chain::new(3);
    let es = three();
    let submitter = user(2);
    let header = manifest_header(NETWORK, 0, &es);

    // The epoch is not over until block 10 (timestamp genesis + 10 s).
    c.advance_to(8);
    let stx = c.tx(&submitter, submit_call(&header, &[0, 1]));
    c.reject(
        stx,
        TxError::EpochNotOver {
            epoch: 0,
            ends_at_ms: GENESIS_TIME_MS + EPOCH_MS,
        },
    );
    assert_eq!(c.height(), 9);

    // Signed for a look-alike chain: same chain_id string, another genesis.
    let mut h = header.clone();
    h.chain = lookalike_chain();
    let stx = c.tx(&submitter, submit_call(&h, &[0, 1]));
    c.reject(
        stx,
        TxError::WrongChain {
            expected: chain().to_string(),
            found: lookalike_chain().to_string(),
        },
    );

    // Unknown network.
    let mut h = header.clone();
    h.network = "nope".into();
    let stx = c.tx(&submitter, submit_call(&h, &[0, 1]));
    c.reject(
        stx,
        TxError::UnknownNetwork {
            network: "nope".into(),
        },
    );

    // More than the network's share: 50,000 in epoch 0, 25,000 from epoch 4.
    let mut h = header.clone();
    h.total = 50_001;
    let stx = c.tx(&submitter, submit_call(&h, &[0, 1]));
    c.reject(
        stx,
        TxError::OverEmission {
            total: 50_001,
            allowed: 50_000,
        },
    );
    let mut h = header.clone();
    h.epoch = 4;
    h.total = 25_001;
    c.finish_epoch(4);
    let stx = c.tx(&submitter, submit_call(&h, &[0, 1]));
    c.reject(
        stx,
        TxError::OverEmission {
            total: 25_001,
            allowed: 25_000,
        },
    );

    // Tokens to nobody.
    let mut h = header.clone();
    h.devices = 0;
    let stx = c.tx(&submitter, submit_call(&h, &[0, 1]));
    c.reject(stx, TxError::EmptyManifest { total: 30_000 });

    // Not enough signatures, then too many.
    let stx = c.tx(&submitter, submit_call(&header, &[2]));
    c.reject(
        stx,
        TxError::NotEnoughOracleSignatures {
            valid: 1,
            threshold: 2,
        },
    );
    let signers = vec![0u8; MAX_MANIFEST_SIGNATURES + 1];
    let stx = c.tx(&submitter, submit_call(&header, &signers));
    c.reject(
        stx,
        TxError::TooManySignatures {
            count: 65,
            limit: 64,
        },
    );

    // Accepted once, then never again for the same network and epoch, not even
    // with another root.
    let stx = c.tx(&submitter, submit_call(&header, &[0, 1]));
    c.ok(stx);
    let other = entries(&[addr(&user(0))], &[1]);
    let h = manifest_header(NETWORK, 0, &other);
    let stx = c.tx(&submitter, submit_call(&h, &[1, 2]));
    c.reject(
        stx,
        TxError::ManifestExists {
            network: NETWORK.into(),
            epoch: 0,
        },
    );
    assert_eq!(supply_record(&c.store).minted, 30_000);
}

#[test]
fn a_chain_without_oracles_accepts_no_manifest() {
    let mut g = genesis(3);
    g.oracles = OracleSet::default();
    let mut c = Chain::from_genesis(g);
    let es = three();
    c.finish_epoch(0);
    let header = manifest_header(NETWORK, 0, &es);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1, 2]));
    c.reject(stx, TxError::NoOracleSet);
}

#[test]
fn a_network_without_a_share_may_only_submit_empty_manifests() {
    let mut g = genesis(3);
    g.networks[0].share_bps = 0;
    let mut c = Chain::from_genesis(g);
    let es = three();
    c.finish_epoch(0);
    let header = manifest_header(NETWORK, 0, &es);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.reject(
        stx,
        TxError::OverEmission {
            total: 30_000,
            allowed: 0,
        },
    );
    // An empty manifest still records the epoch as done (nothing to claim).
    let header = manifest_header(NETWORK, 0, &[]);
    assert_eq!(header.root, Hash::ZERO);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
    assert_eq!(supply_record(&c.store).minted, 0);
}

#[test]
fn two_of_three_oracles_must_sign() {
    let mut c = Chain::new(3);
    let es = three();
    c.finish_epoch(0);
    let header = manifest_header(NETWORK, 0, &es);
    let s = |i: u8| header.sign(&oracle_key(i));
    let submit = |c: &Chain, signatures| {
        c.tx(
            &user(2),
            Call::SubmitManifest {
                header: header.clone(),
                signatures,
            },
        )
    };
    let short = |valid| TxError::NotEnoughOracleSignatures {
        valid,
        threshold: 2,
    };

    // One valid signature is not enough.
    let stx = submit(&c, vec![s(0)]);
    c.reject(stx, short(1));
    // The same oracle twice counts once.
    let stx = submit(&c, vec![s(1), s(1), s(1)]);
    c.reject(stx, short(1));
    // A non-member's signature counts for nothing.
    let outsider = plinth_core::Keypair::from_seed([0x77; 32]);
    let stx = submit(&c, vec![s(0), header.sign(&outsider)]);
    c.reject(stx, short(1));
    // Neither does a member's signature over another header, nor a signature
    // claimed for a member but made by someone else.
    let mut other = header.clone();
    other.total -= 1;
    let forged = rewards::OracleSignature {
        oracle: addr(&oracle_key(1)),
        signature: other.sign(&oracle_key(1)).signature,
    };
    let stolen = rewards::OracleSignature {
        oracle: addr(&oracle_key(2)),
        signature: header.sign(&outsider).signature,
    };
    let stx = submit(&c, vec![s(0), forged, stolen]);
    c.reject(stx, short(1));
    // No signature at all.
    let stx = submit(&c, vec![]);
    c.reject(stx, short(0));
    // Only a member's first signature is looked at: a bad one is not made up for
    // by a good one later.
    let stx = submit(&c, vec![forged, s(0), s(1)]);
    c.reject(stx, short(1));
    // Two distinct members: accepted, whatever else comes along.
    let stx = submit(&c, vec![forged, s(2), header.sign(&outsider), s(2), s(0)]);
    c.ok(stx);
    assert!(reward_epoch(&c.store, NETWORK, 0).is_some());
}

#[test]
fn claims_pay_the_owner_once() {
    let mut c = Chain::new(3);
    let es = three();
    c.finish_epoch(0);
    accept(&mut c, 0, &es);
    let (u0, u1) = (addr(&user(0)), addr(&user(1)));

    // The owner claims: balance += amount less the fee.
    let stx = c.tx(&user(0), claim_call(NETWORK, 0, &es, 0));
    c.ok(stx);
    assert_eq!(c.balance(&u0), INITIAL_BALANCE + 10_000 - FEE);
    assert!(is_claimed(&c.store, NETWORK, 0, 0));
    let r = reward_epoch(&c.store, NETWORK, 0).unwrap();
    assert_eq!((r.claimed, r.claims), (10_000, 1));
    let s = supply_record(&c.store);
    assert_eq!(s.unclaimed, 20_000);
    assert_eq!(supply(&c.store) + s.unclaimed, s.genesis + s.minted);

    // Anyone may claim for an owner: user 2 pays the fee, the stranger (no account
    // until now) gets the tokens.
    let before = c.balance(&addr(&user(2)));
    let stx = c.tx(&user(2), claim_call(NETWORK, 0, &es, 2));
    c.ok(stx);
    assert_eq!(c.balance(&addr(&stranger())), 5_000);
    assert_eq!(c.balance(&addr(&user(2))), before - FEE);

    // A second claim of the same entry, by anyone, is refused.
    let already = TxError::AlreadyClaimed {
        network: NETWORK.into(),
        epoch: 0,
        index: 0,
    };
    let stx = c.tx(&user(0), claim_call(NETWORK, 0, &es, 0));
    c.reject(stx, already.clone());
    let stx = c.tx(&user(1), claim_call(NETWORK, 0, &es, 0));
    c.reject(stx, already);

    // The last entry: everything is claimed, the pool is empty.
    let stx = c.tx(&user(1), claim_call(NETWORK, 0, &es, 1));
    c.ok(stx);
    assert_eq!(c.balance(&u1), INITIAL_BALANCE + 15_000 - FEE);
    let r = reward_epoch(&c.store, NETWORK, 0).unwrap();
    assert_eq!((r.claimed, r.claims), (30_000, 3));
    let s = supply_record(&c.store);
    assert_eq!((s.minted, s.unclaimed), (30_000, 0));
    assert_eq!(s.circulating(), Some(3 * INITIAL_BALANCE + 30_000));
    assert_eq!(supply(&c.store), s.genesis + s.minted);
}

#[test]
fn claim_rejections() {
    let mut c = Chain::new(3);
    let es = three();
    let claimer = user(0);

    // Nothing to claim before the manifest.
    let stx = c.tx(&claimer, claim_call(NETWORK, 0, &es, 0));
    c.reject(
        stx,
        TxError::UnknownManifest {
            network: NETWORK.into(),
            epoch: 0,
        },
    );
    c.finish_epoch(0);
    accept(&mut c, 0, &es);
    let stx = c.tx(&claimer, claim_call(NETWORK, 1, &es, 0));
    c.reject(
        stx,
        TxError::UnknownManifest {
            network: NETWORK.into(),
            epoch: 1,
        },
    );
    let stx = c.tx(&claimer, claim_call("nope", 0, &es, 0));
    c.reject(
        stx,
        TxError::UnknownNetwork {
            network: "nope".into(),
        },
    );

    let good = claim_call(NETWORK, 0, &es, 0);
    let tamper = |f: &dyn Fn(&mut u64, &mut ManifestEntry, &mut Proof)| {
        let mut call = good.clone();
        if let Call::Claim {
            index,
            entry,
            proof,
            ..
        } = &mut call
        {
            f(index, entry, proof);
        }
        call
    };
    let cases = [
        // More than the entry says.
        tamper(&|_, e, _| e.amount += 1),
        // Paid to someone else.
        tamper(&|_, e, _| e.owner = addr(&user(2))),
        // Another entry's proof.
        tamper(&|_, _, p| *p = rewards::manifest_proof(&es, 1).unwrap()),
        // The index of the call and of the proof disagree.
        tamper(&|i, _, _| *i = 1),
        // The proof claims another tree size.
        tamper(&|_, _, p| p.leaf_count = 4),
        // A sibling changed.
        tamper(&|_, _, p| p.siblings[0] = Hash([9; 32])),
        // No siblings at all.
        tamper(&|_, _, p| p.siblings.clear()),
        // Out of range.
        tamper(&|i, _, p| {
            *i = 3;
            p.index = 3;
        }),
    ];
    for call in cases {
        let stx = c.tx(&claimer, call);
        c.reject(stx, TxError::BadProof);
    }
    assert!(!is_claimed(&c.store, NETWORK, 0, 0));
    assert_eq!(supply_record(&c.store).unclaimed, 30_000);
    let stx = c.tx(&claimer, good);
    c.ok(stx);
}

#[test]
fn claims_never_exceed_the_signed_total() {
    // A bad manifest whose entries add up to more than its signed total: the
    // entries pay out until the total is reached, and not beyond.
    let mut c = Chain::new(3);
    let es = three();
    c.finish_epoch(0);
    let mut header = manifest_header(NETWORK, 0, &es);
    header.total = 20_000;
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
    let stx = c.tx(&user(0), claim_call(NETWORK, 0, &es, 1));
    c.ok(stx);
    let stx = c.tx(&user(0), claim_call(NETWORK, 0, &es, 2));
    c.ok(stx);
    let stx = c.tx(&user(0), claim_call(NETWORK, 0, &es, 0));
    c.reject(stx, TxError::BadProof);
    let s = supply_record(&c.store);
    assert_eq!((s.minted, s.unclaimed), (20_000, 0));
    assert_eq!(supply(&c.store), s.genesis + s.minted);
}

#[test]
fn admission_leaves_the_epoch_to_the_block() {
    let mut c = Chain::new(3);
    let es = three();
    let header = manifest_header(NETWORK, 0, &es);
    let p = c.proposer();
    let none = PendingView { count: 0, spend: 0 };
    // Admission cannot know the next block's timestamp: the manifest gets in…
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    assert_eq!(admit(&c.store, &stx, none, &p).unwrap(), FEE);
    // …but other rules are checked there already.
    let weak = c.tx(&user(2), submit_call(&header, &[0]));
    assert!(matches!(
        admit(&c.store, &weak, none, &p),
        Err(LedgerError::Rejected(
            TxError::NotEnoughOracleSignatures { .. }
        ))
    ));
    // The block judges the epoch.
    c.reject(
        stx,
        TxError::EpochNotOver {
            epoch: 0,
            ends_at_ms: GENESIS_TIME_MS + EPOCH_MS,
        },
    );
    c.finish_epoch(0);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
    let claim = c.tx(&user(0), claim_call(NETWORK, 0, &es, 0));
    assert_eq!(admit(&c.store, &claim, none, &p).unwrap(), FEE);
}

#[test]
fn a_claim_for_a_million_devices_and_a_full_quorum_fit_in_a_transaction() {
    // A proof in a tree of 1,000,000 leaves has 20 siblings.
    let n = 1_000_000u64;
    let leaves: Vec<Hash> = (0..n)
        .map(|i| plinth_core::merkle::leaf_hash(&i.to_le_bytes()))
        .collect();
    let index = 765_432usize;
    let proof = plinth_core::merkle::prove(&leaves, index).unwrap();
    assert_eq!(proof.siblings.len(), 20);
    let entry = ManifestEntry {
        device: dev_id(&device_key(0)),
        owner: addr(&user(0)),
        amount: u64::MAX,
    };
    let stx = tx(
        &user(0),
        u64::MAX,
        u64::MAX,
        Call::Claim {
            network: "n".repeat(32),
            epoch: u64::MAX,
            index: index as u64,
            entry,
            proof,
        },
    );
    let size = stx.encode().len();
    assert!(size <= MAX_TX_BYTES, "{size} bytes");
    assert!(size < 1_024, "{size} bytes");

    // A manifest with the most signatures allowed fits too.
    let header = manifest_header(&"n".repeat(32), u64::MAX, &[]);
    let signers = vec![0u8; MAX_MANIFEST_SIGNATURES];
    let stx = tx(&user(0), u64::MAX, u64::MAX, submit_call(&header, &signers));
    let size = stx.encode().len();
    assert!(size <= MAX_TX_BYTES, "{size} bytes");
    assert_eq!(plinth_ledger::SignedTx::decode(&stx.encode()).unwrap(), stx);
}

#[test]
fn manifest_helpers_match_the_core_merkle_tree() {
    let es = entries(
        &[addr(&user(0)), addr(&user(1)), addr(&user(2))],
        &[1, 2, 3],
    );
    let root = rewards::manifest_root(&es);
    let leaves: Vec<Hash> = es.iter().map(|e| e.leaf()).collect();
    assert_eq!(root, plinth_core::merkle::root(&leaves));
    assert_eq!(
        es[0].leaf(),
        plinth_core::merkle::leaf_hash(&borsh::to_vec(&es[0]).unwrap())
    );
    for (i, e) in es.iter().enumerate() {
        let p = rewards::manifest_proof(&es, i).unwrap();
        assert!(plinth_core::merkle::verify(root, e.leaf(), &p));
    }
    assert_eq!(rewards::manifest_proof(&es, 3), None);
    // The signing bytes are domain-separated and cover every field.
    let h = manifest_header(NETWORK, 0, &es);
    assert!(h.signing_bytes().starts_with(b"plinth/manifest/v1"));
    let mut h2 = h.clone();
    h2.inputs = Hash::ZERO;
    assert_ne!(h.signing_bytes(), h2.signing_bytes());
    let _: Address = h.sign(&oracle_key(0)).oracle;
}

#[test]
fn a_manifest_older_than_the_age_limit_is_refused() {
    let mut g = genesis(3);
    g.emission.manifest_max_age_epochs = 2;
    let mut c = Chain::from_genesis(g);
    let es = three();
    // Epoch 3: epoch 1 is 2 epochs back (accepted), epoch 0 is 3 (refused).
    c.finish_epoch(2);
    assert_eq!(c.next_epoch(), 3);
    let old = manifest_header(NETWORK, 0, &es);
    let stx = c.tx(&user(2), submit_call(&old, &[0, 1]));
    c.reject(
        stx,
        TxError::ManifestTooOld {
            epoch: 0,
            current_epoch: 3,
            max_age_epochs: 2,
        },
    );
    accept(&mut c, 1, &es);
    assert!(reward_epoch(&c.store, NETWORK, 0).is_none());
    // Once the head itself is past the limit, admission refuses it already.
    c.finish_epoch(3);
    let stx = c.tx(&user(2), submit_call(&old, &[0, 1]));
    let none = PendingView { count: 0, spend: 0 };
    assert!(matches!(
        admit(&c.store, &stx, none, &c.proposer()),
        Err(LedgerError::Rejected(TxError::ManifestTooOld {
            epoch: 0,
            ..
        }))
    ));
}

#[test]
fn the_manifest_age_limit_defaults_and_is_validated() {
    // Left out: the default, and not written back (older files keep their hash).
    let g = genesis(3);
    assert_eq!(g.emission.manifest_max_age_epochs, 16);
    assert!(!g.to_toml().contains("manifest_max_age_epochs"));
    let back = Genesis::from_toml(&g.to_toml()).unwrap();
    assert_eq!(back.hash(), g.hash());
    let mut zero = genesis(3);
    zero.emission.manifest_max_age_epochs = 0;
    assert!(zero.validate().is_err());
    let mut set = genesis(3);
    set.emission.manifest_max_age_epochs = 5;
    assert!(set.to_toml().contains("manifest_max_age_epochs = 5"));
    assert_ne!(set.hash(), g.hash());
}

#[test]
fn an_empty_manifest_closes_its_epoch_for_good() {
    // What the oracle submits for an epoch that paid nothing: afterwards no
    // manifest (a leaked key's, say) can mint that epoch.
    let mut c = Chain::new(3);
    c.finish_epoch(0);
    let empty = manifest_header(NETWORK, 0, &[]);
    let stx = c.tx(&user(2), submit_call(&empty, &[0, 1]));
    c.ok(stx);
    let minted = supply_record(&c.store).minted;
    let stx = c.tx(
        &user(2),
        submit_call(&manifest_header(NETWORK, 0, &three()), &[0, 1]),
    );
    c.reject(
        stx,
        TxError::ManifestExists {
            network: NETWORK.into(),
            epoch: 0,
        },
    );
    assert_eq!(supply_record(&c.store).minted, minted);
}
