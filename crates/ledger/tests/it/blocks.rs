//! `apply_block`: header checks, seal, transaction root, state root.

use crate::common::*;
use plinth_core::Hash;
use plinth_ledger::state::MemStore;
use plinth_ledger::{apply_block, Block, Call, LedgerError, SigCheck, SignedTx};

fn some_txs() -> Vec<SignedTx> {
    vec![
        tx(
            &user(0),
            0,
            FEE,
            Call::Transfer {
                to: addr(&user(1)),
                amount: 1_000,
            },
        ),
        tx(
            &user(1),
            0,
            FEE,
            register_call(&addr(&user(1)), &device_key(0), NETWORK, berlin()),
        ),
        // Rejected: bad nonce. Still part of the block.
        tx(
            &user(2),
            9,
            FEE,
            Call::Transfer {
                to: addr(&user(0)),
                amount: 1,
            },
        ),
    ]
}

/// A chain and a sealed next block (not committed), plus the parent header.
fn setup() -> (Chain, Block) {
    let c = Chain::new(3);
    let (block, _) = c.seal(some_txs());
    (c, block)
}

fn reseal(c: &Chain, mut block: Block, f: impl FnOnce(&mut Block)) -> Block {
    f(&mut block);
    Block::seal(block.header, block.txs, &c.validator)
}

#[test]
fn a_sealed_block_applies_with_the_same_root() {
    let (c, block) = setup();
    let mut store = c.store.clone();
    let exec = apply_block(&store, &c.head, &block, SigCheck::Verify).unwrap();
    assert_eq!(exec.state_root, block.header.state_root);
    assert_eq!(exec.version, 1);
    assert_eq!(exec.receipts.len(), 3);
    assert!(exec.receipts[0].is_ok() && exec.receipts[1].is_ok());
    assert!(!exec.receipts[2].is_ok());
    store.commit(&exec);
    assert_eq!(
        account(&store, &addr(&user(1))).unwrap().balance,
        INITIAL_BALANCE + 1_000 - FEE
    );
    assert!(device(&store, &dev_id(&device_key(0))).is_some());

    // The next block builds on it.
    let mut c2 = c;
    c2.store = store;
    c2.head = block.sealed_header();
    let (next, _) = c2.seal(vec![tx(&user(0), 1, FEE, Call::Withdraw)]);
    let exec = apply_block(&c2.store, &c2.head, &next, SigCheck::Verify).unwrap();
    assert_eq!(exec.state_root, next.header.state_root);
    assert_eq!(exec.version, 2);
}

#[test]
fn the_genesis_block_is_the_parent_of_height_one() {
    let g = genesis(3);
    let mut store = MemStore::new();
    let exec = g.execute(&store).unwrap();
    store.commit(&exec);
    let parent = g.block(exec.state_root);
    assert_eq!(parent.header.height, 0);
    assert_eq!(parent.header.state_root, exec.state_root);
    let (c, block) = setup();
    assert_eq!(c.head, parent.sealed_header());
    assert!(apply_block(&store, &parent.sealed_header(), &block, SigCheck::Verify).is_ok());
    // Genesis on a non-empty store is refused.
    assert!(matches!(g.execute(&store), Err(LedgerError::Genesis(_))));
}

#[test]
fn trusted_and_verified_execution_agree_on_good_signatures() {
    let (c, block) = setup();
    let verified = apply_block(&c.store, &c.head, &block, SigCheck::Verify).unwrap();
    let trusted = apply_block(&c.store, &c.head, &block, SigCheck::Trusted).unwrap();
    assert_eq!(verified.state_root, trusted.state_root);
    assert_eq!(verified.receipts, trusted.receipts);
}

#[test]
fn wrong_state_root_is_refused() {
    let (c, block) = setup();
    let bad = reseal(&c, block, |b| b.header.state_root = Hash([7; 32]));
    match apply_block(&c.store, &c.head, &bad, SigCheck::Verify) {
        Err(LedgerError::StateRootMismatch { claimed, computed }) => {
            assert_eq!(claimed, Hash([7; 32]).to_hex());
            assert_ne!(computed, claimed);
        }
        other => panic!("expected StateRootMismatch, got {:?}", other.err()),
    }
}

#[test]
fn wrong_parent_is_refused() {
    let (c, block) = setup();
    let bad = reseal(&c, block, |b| b.header.parent = Hash([1; 32]));
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadParent { .. })
    ));
}

#[test]
fn unknown_proposer_is_refused() {
    let (c, block) = setup();
    let impostor = user(0);
    let mut header = block.header.clone();
    header.proposer = addr(&impostor);
    // Correctly signed by the impostor, who is not a validator.
    let bad = Block::seal(header, block.txs.clone(), &impostor);
    assert!(bad.verify_seal());
    match apply_block(&c.store, &c.head, &bad, SigCheck::Verify) {
        Err(LedgerError::UnknownProposer { proposer }) => {
            assert_eq!(proposer, addr(&impostor).to_string())
        }
        other => panic!("expected UnknownProposer, got {:?}", other.err()),
    }
}

#[test]
fn tampered_seal_is_refused() {
    let (c, block) = setup();
    let mut bad = block.clone();
    bad.signature.0[0] ^= 0x40;
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadBlockSignature)
    ));
    // A header changed after sealing no longer matches its signature.
    let mut bad = block.clone();
    bad.header.timestamp_ms += 1;
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadBlockSignature)
    ));
    // Signed by someone else on the validator's behalf.
    let bad = Block::seal(block.header.clone(), block.txs.clone(), &user(0));
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadBlockSignature)
    ));
}

#[test]
fn tampered_transactions_are_refused() {
    let (c, block) = setup();
    let mut dropped = block.clone();
    dropped.txs.pop();
    let mut reordered = block.clone();
    reordered.txs.swap(0, 1);
    let mut added = block.clone();
    added.txs.push(tx(&user(2), 0, FEE, Call::Withdraw));
    let mut replaced = block.clone();
    replaced.txs[0] = tx(
        &user(0),
        0,
        FEE,
        Call::Transfer {
            to: addr(&user(2)),
            amount: 1_000,
        },
    );
    for bad in [dropped, reordered, added, replaced] {
        assert!(bad.verify_seal());
        assert!(matches!(
            apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
            Err(LedgerError::TxRootMismatch)
        ));
    }
}

#[test]
fn other_header_rules() {
    let (c, block) = setup();
    let bad = reseal(&c, block.clone(), |b| b.header.chain_id = "other".into());
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::WrongChain { .. })
    ));
    let bad = reseal(&c, block.clone(), |b| b.header.height = 2);
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadHeight { head: 0, found: 2 })
    ));
    let bad = reseal(&c, block.clone(), |b| {
        b.header.timestamp_ms = c.head.timestamp_ms - 1
    });
    assert!(matches!(
        apply_block(&c.store, &c.head, &bad, SigCheck::Verify),
        Err(LedgerError::BadTimestamp { .. })
    ));
    // A block whose parent is fine but whose store is behind or ahead fails too.
    let mut ahead = c.store.clone();
    ahead.commit(&c.dry_run(&[]));
    assert!(matches!(
        apply_block(&ahead, &c.head, &block, SigCheck::Verify),
        Err(LedgerError::BadHeight { head: 1, found: 1 })
    ));
    assert!(matches!(
        apply_block(&MemStore::new(), &c.head, &block, SigCheck::Verify),
        Err(LedgerError::NoGenesis)
    ));
}

#[test]
fn a_sealed_header_is_read_from_a_block_encoding_without_its_transactions() {
    let (_, block) = setup();
    for b in [
        block.clone(),
        Block::seal(block.header.clone(), Vec::new(), &validator_key()),
    ] {
        let bytes = plinth_core::encode(&b);
        let read = plinth_ledger::SealedHeader::of_encoded_block(&bytes).unwrap();
        assert_eq!(read, b.sealed_header());
        assert_eq!(read.hash(), b.hash());
        // Cut inside the header: an error.
        for cut in [0, 10, 40] {
            assert!(plinth_ledger::SealedHeader::of_encoded_block(&bytes[..cut]).is_err());
        }
        // Too short to hold a transaction count and a seal: an error.
        if b.txs.is_empty() {
            let cut = bytes.len() - 1;
            assert!(plinth_ledger::SealedHeader::of_encoded_block(&bytes[..cut]).is_err());
        }
    }
}

#[test]
fn leaving_rejected_transactions_out_keeps_ids_and_renumbers_receipts() {
    let (c, block) = setup();
    let mut exec = apply_block(&c.store, &c.head, &block, SigCheck::Verify).unwrap();
    let ids: Vec<Hash> = block.txs.iter().map(|t| t.hash()).collect();
    assert_eq!(plinth_ledger::execute::block_tx_ids(&block.txs, &exec), ids);
    let (included, rejected) =
        plinth_ledger::execute::leave_out_rejected(&mut exec, block.txs.clone());
    assert_eq!(included, block.txs[..2].to_vec());
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, ids[2]);
    assert_eq!(
        exec.receipts
            .iter()
            .map(|r| (r.tx_hash, r.index))
            .collect::<Vec<_>>(),
        vec![(ids[0], 0), (ids[1], 1)]
    );
    assert_eq!(
        plinth_ledger::block::tx_root_of_ids(&ids[..2]),
        plinth_ledger::block::tx_root(&included)
    );
    // Receipts that do not line up with the transactions are not trusted for ids.
    assert_eq!(
        plinth_ledger::execute::block_tx_ids(&block.txs, &exec),
        ids,
        "computed afresh when the counts differ"
    );
}
