//! The authenticated tree in the store: stale nodes are pruned in the commit that
//! makes them stale, proofs at the head still verify for every key, and a replay of
//! the stored blocks on a `MemStore` reproduces every root.

use crate::common::*;
use jmt::storage::{Node, NodeKey};
use plinth_core::Keypair;
use plinth_ledger::state::MemStore;
use plinth_ledger::{apply_block, keys, tree, SigCheck, SignedTx, Store};
use redb::{ReadableTableMetadata, TableDefinition};

/// A tiny deterministic generator (no dependency on `rand`).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Transfers among `users` for one block: mostly valid, some with a wrong nonce or
/// an amount the sender cannot pay (rejected in the block, changing nothing).
fn random_block(c: &Chain, users: &[Keypair], rng: &mut Lcg, n: usize) -> Vec<SignedTx> {
    let mut nonces: Vec<u64> = users.iter().map(|k| nonce(&c.store, &addr(k))).collect();
    let mut txs = Vec::new();
    for _ in 0..n {
        let from = rng.below(users.len() as u64) as usize;
        let to = rng.below(users.len() as u64) as usize;
        let (nonce, amount) = match rng.below(10) {
            0 => (nonces[from] + 5, 1),
            1 => (nonces[from], INITIAL_BALANCE * 10),
            _ => {
                nonces[from] += 1;
                (nonces[from] - 1, 1 + rng.below(500))
            }
        };
        txs.push(transfer(&users[from], nonce, &addr(&users[to]), amount));
    }
    txs
}

const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");

#[test]
fn stale_nodes_are_pruned_and_head_proofs_still_verify() {
    const BLOCKS: u64 = 60;
    let c = Chain::new(4);
    // Users 0..3 trade every block; user 3 is never touched after genesis, so its
    // leaf (written at version 0) must survive every pruning.
    let busy: Vec<Keypair> = (0..3).map(user).collect();
    let idle = addr(&user(3));
    let mut rng = Lcg(7);
    for _ in 0..BLOCKS {
        let txs = random_block(&c, &busy, &mut rng, 4);
        c.commit(txs);
    }
    let head = c.head();
    assert_eq!(head.height, BLOCKS);

    let snap = c.store.snapshot().unwrap();
    assert_eq!(tree::root(&snap, head.height).unwrap(), head.state_root);
    // Earlier versions' roots were stale and are gone: only the latest tree is kept.
    for old in [0, 1, head.height / 2, head.height - 1] {
        assert!(
            tree::root(&snap, old).is_err(),
            "the root of version {old} should have been pruned"
        );
    }

    // Every live key proves its value under the head's root.
    let entries = snap.scan(b"", usize::MAX).unwrap();
    assert!(
        entries.len() >= 6,
        "params, head, validator, accounts: {entries:?}"
    );
    for (key, value) in &entries {
        let (proved, proof) = tree::prove(&snap, key, head.height).unwrap();
        assert_eq!(
            proved.as_ref(),
            Some(value),
            "key {}",
            String::from_utf8_lossy(key)
        );
        assert!(tree::verify(head.state_root, key, Some(value), &proof));
        assert!(!tree::verify(head.state_root, key, None, &proof));
    }
    // The idle account is among them, unchanged since genesis.
    let idle_key = keys::account(idle.key());
    let (v, proof) = tree::prove(&snap, &idle_key, head.height).unwrap();
    let acct: plinth_ledger::accounts::Account = borsh::from_slice(&v.clone().unwrap()).unwrap();
    assert_eq!(acct.balance, INITIAL_BALANCE);
    assert!(tree::verify(
        head.state_root,
        &idle_key,
        v.as_deref(),
        &proof
    ));
    // And absence still proves.
    let nobody = keys::account(addr(&user(42)).key());
    let (v, proof) = tree::prove(&snap, &nobody, head.height).unwrap();
    assert_eq!(v, None);
    assert!(tree::verify(head.state_root, &nobody, None, &proof));
    drop(snap);

    // On disk: exactly one leaf per live key, at most as many internal nodes as
    // leaves, and one value per live key. Without pruning, 60 blocks would leave
    // hundreds of stale nodes behind.
    let path = c.path();
    let Chain { dir, store, .. } = c;
    drop(store);
    let db = redb::Database::open(&path).unwrap();
    let r = db.begin_read().unwrap();
    let state_len = r.open_table(STATE).unwrap().len().unwrap();
    assert_eq!(state_len, entries.len() as u64);
    let nodes = r.open_table(NODES).unwrap();
    let (mut leaves, mut internal) = (0u64, 0u64);
    let mut roots = Vec::new();
    for item in redb::ReadableTable::iter(&nodes).unwrap() {
        let (k, v) = item.unwrap();
        let key: NodeKey = borsh::from_slice(k.value()).unwrap();
        assert!(key.version() <= head.height);
        if key.nibble_path().nibbles().count() == 0 {
            roots.push(key.version());
        }
        match borsh::from_slice::<Node>(v.value()).unwrap() {
            Node::Leaf(_) => leaves += 1,
            Node::Internal(_) => internal += 1,
            Node::Null => panic!("null node stored"),
        }
    }
    assert_eq!(roots, vec![head.height], "only the head's root is kept");
    assert_eq!(leaves, state_len, "one leaf per live key");
    assert!(
        internal <= leaves,
        "{internal} internal nodes for {leaves} leaves: stale nodes were kept"
    );
    assert_eq!(r.open_table(VALUES).unwrap().len().unwrap(), state_len);
    drop(dir);
}

#[test]
fn a_replay_of_the_stored_blocks_gives_identical_roots() {
    const BLOCKS: u64 = 40;
    let c = Chain::new(5);
    let users: Vec<Keypair> = (0..5).map(user).collect();
    let mut rng = Lcg(42);
    let mut rejected = 0;
    for h in 0..BLOCKS {
        let n = (h % 7) as usize; // some empty blocks too
        let txs = random_block(&c, &users, &mut rng, n);
        let (_, receipts) = c.commit(txs);
        rejected += receipts.iter().filter(|r| !r.is_ok()).count();
    }
    assert!(
        rejected > 0,
        "the blocks should include rejected transactions"
    );
    // Reopen first: the replay reads what is durable.
    let c = c.reopen();
    let head = c.head();
    assert_eq!(head.height, BLOCKS);

    let mut mem = MemStore::new();
    let exec = c.genesis.execute(&mem).unwrap();
    let genesis_block = c.store.block(0).unwrap().unwrap();
    assert_eq!(exec.state_root, genesis_block.header.state_root);
    mem.commit(&exec);
    let mut parent = genesis_block.sealed_header();
    for h in 1..=BLOCKS {
        let block = c.store.block(h).unwrap().expect("stored block");
        let exec = apply_block(&mem, &parent, &block, SigCheck::Verify)
            .unwrap_or_else(|e| panic!("block {h} does not replay: {e}"));
        assert_eq!(exec.state_root, block.header.state_root, "root at {h}");
        assert_eq!(
            Some(exec.receipts.clone()),
            c.store.receipts(h).unwrap(),
            "receipts at {h}"
        );
        mem.commit(&exec);
        parent = block.sealed_header();
    }
    assert_eq!(parent, head);
    assert_eq!(mem.version().unwrap(), Some(BLOCKS));
    // `plinth replay` does the same and agrees.
    let report = plinth_store::replay::replay(&c.store).unwrap();
    assert_eq!(
        (report.height, report.state_root),
        (BLOCKS, head.state_root)
    );
    assert_eq!(tree::root(&mem, BLOCKS).unwrap(), head.state_root);

    // Same state, entry for entry.
    let snap = c.store.snapshot().unwrap();
    assert_eq!(
        snap.scan(b"", usize::MAX).unwrap(),
        mem.scan(b""),
        "replayed state differs from the stored state"
    );
    assert_eq!(
        tree::root(&snap, BLOCKS).unwrap(),
        tree::root(&mem, BLOCKS).unwrap()
    );
}
