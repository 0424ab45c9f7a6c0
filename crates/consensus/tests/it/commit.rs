//! Committing finalized blocks: idempotent by height (marshal redelivers after a
//! restart), refusing a different block at a committed height or a block whose
//! state root this node does not compute.

use crate::harness::{genesis, transfer, validator_key, USER_BALANCE};
use plinth_consensus::application::CommitError;
use plinth_consensus::{Block, Ledger, LedgerConfig};
use plinth_core::{Address, Hash};
use plinth_ledger::{block::tx_root, execute, BlockContext, BlockHeader, SigCheck, SignedTx};
use plinth_node::{Node, NodeConfig};
use std::sync::Arc;
use std::time::Duration;

fn block_on(node: &Node, timestamp_ms: u64, txs: Vec<SignedTx>, proposer: usize) -> Block {
    let head = node.store.head().unwrap();
    let key = validator_key(proposer);
    let ctx = BlockContext {
        height: head.height + 1,
        timestamp_ms,
        proposer: Address(key.public()),
    };
    let snapshot = node.store.snapshot().unwrap();
    let exec = execute(&snapshot, &ctx, &txs, SigCheck::Verify).unwrap();
    let header = BlockHeader {
        chain_id: node.params.chain_id.clone(),
        height: ctx.height,
        parent: head.hash(),
        timestamp_ms,
        proposer: ctx.proposer,
        tx_root: tx_root(&txs),
        state_root: exec.state_root,
    };
    Block::new(plinth_ledger::Block::seal(header, txs, &key)).unwrap()
}

fn open(dir: &std::path::Path) -> (Arc<Node>, Ledger) {
    let node = Node::open(
        genesis(4, None),
        validator_key(0),
        NodeConfig::new(dir.to_path_buf(), Duration::from_millis(200)),
    )
    .unwrap();
    let ledger = Ledger::new(node.clone(), LedgerConfig::default()).unwrap();
    (node, ledger)
}

#[test]
fn finalized_blocks_commit_once_by_height() {
    let dir = tempfile::tempdir().unwrap();
    let (node, ledger) = open(dir.path());
    let tx = SignedTx::decode(&transfer(0, 1, 0, 42)).unwrap();
    let one = block_on(&node, 10, vec![tx], 1);
    ledger.commit(&one).unwrap();
    assert_eq!(node.store.head().unwrap().hash(), one.hash());

    // Redelivered (as after a restart): nothing changes.
    let root = node.store.head().unwrap().state_root;
    ledger.commit(&one).unwrap();
    assert_eq!(node.store.head().unwrap().height, 1);
    assert_eq!(node.store.head().unwrap().state_root, root);

    // Another block at height 1 is not the finalized chain this node holds.
    let head = node.store.block(0).unwrap().unwrap().sealed_header();
    let other = {
        let key = validator_key(2);
        let header = BlockHeader {
            timestamp_ms: 11,
            proposer: Address(key.public()),
            parent: head.hash(),
            tx_root: tx_root(&[]),
            ..one.header().clone()
        };
        Block::new(plinth_ledger::Block::seal(header, Vec::new(), &key)).unwrap()
    };
    assert!(matches!(
        ledger.commit(&other),
        Err(CommitError::Conflict { height: 1 })
    ));

    // A block claiming a state root this node does not compute is refused and
    // leaves the store as it was.
    let mut bad = block_on(&node, 20, Vec::new(), 3).ledger().clone();
    bad.header.state_root = Hash::tagged("x", b"wrong");
    let bad = Block::new(plinth_ledger::Block::seal(
        bad.header,
        Vec::new(),
        &validator_key(3),
    ))
    .unwrap();
    assert!(matches!(
        ledger.commit(&bad),
        Err(CommitError::Diverged { height: 2, .. })
    ));
    assert_eq!(node.store.head().unwrap().height, 1);

    // After a restart the store still holds block 1, and it is skipped again.
    drop(ledger);
    drop(node);
    let (node, ledger) = open(dir.path());
    ledger.commit(&one).unwrap();
    assert_eq!(node.store.head().unwrap().hash(), one.hash());
    let snapshot = node.store.snapshot().unwrap();
    let received = plinth_ledger::accounts::load(
        &plinth_ledger::Overlay::new(&snapshot),
        &Address(crate::harness::user(1).public()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(received.balance, USER_BALANCE + 42);
}
