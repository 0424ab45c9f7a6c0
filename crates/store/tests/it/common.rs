//! Shared fixtures: a genesis with funded users, and a chain driver that executes,
//! seals and commits blocks into a `ChainStore` in a temporary directory.

#![allow(dead_code)]

use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::accounts::{self, Account};
use plinth_ledger::block::tx_root;
use plinth_ledger::{
    execute, Block, BlockContext, BlockHeader, Call, Execution, Genesis, Overlay, Receipt,
    SealedHeader, SigCheck, SignedTx, Transaction,
};
use plinth_store::ChainStore;
use std::path::PathBuf;
use tempfile::TempDir;

pub const CHAIN_ID: &str = "store-test";
pub const MIN_FEE: u64 = 10;
pub const FEE: u64 = 25;
pub const INITIAL_BALANCE: u64 = 1_000_000;
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;
pub const BLOCK_TIME_MS: u64 = 1_000;

/// The key of funded user `i`.
pub fn user(i: u8) -> Keypair {
    Keypair::from_seed([i + 1; 32])
}

/// The validator's key (not funded at genesis).
pub fn validator_key() -> Keypair {
    Keypair::from_seed([0xAA; 32])
}

pub fn addr(k: &Keypair) -> Address {
    Address(k.public())
}

/// A genesis for `chain_id` with `users` funded accounts and one validator.
pub fn genesis_for(chain_id: &str, users: u8) -> Genesis {
    let mut accounts = String::new();
    for i in 0..users {
        accounts.push_str(&format!(
            "[[accounts]]\naddress = \"{}\"\nbalance = {INITIAL_BALANCE}\n",
            addr(&user(i))
        ));
    }
    Genesis::from_toml(&format!(
        "chain_id = \"{chain_id}\"\ngenesis_time_ms = {GENESIS_TIME_MS}\n\
         block_time_ms = {BLOCK_TIME_MS}\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = {MIN_FEE}\n[staking]\nunbonding_blocks = 3\n\
         [[validators]]\nname = \"v\"\naddress = \"{}\"\n{accounts}",
        addr(&validator_key())
    ))
    .expect("valid genesis")
}

pub fn genesis(users: u8) -> Genesis {
    genesis_for(CHAIN_ID, users)
}

/// A signed transfer.
pub fn transfer(from: &Keypair, nonce: u64, to: &Address, amount: u64) -> SignedTx {
    Transaction {
        chain_id: CHAIN_ID.into(),
        signer: addr(from),
        nonce,
        fee: FEE,
        call: Call::Transfer { to: *to, amount },
    }
    .sign(from)
}

/// Reads an account from the store's latest committed state.
pub fn account(store: &ChainStore, a: &Address) -> Option<Account> {
    let snap = store.snapshot().unwrap();
    accounts::load(&Overlay::new(&snap), a).unwrap()
}

pub fn balance(store: &ChainStore, a: &Address) -> u64 {
    account(store, a).map_or(0, |a| a.balance)
}

pub fn nonce(store: &ChainStore, a: &Address) -> u64 {
    account(store, a).map_or(0, |a| a.nonce)
}

/// A chain on a `ChainStore` in a temporary directory.
pub struct Chain {
    pub dir: TempDir,
    pub store: ChainStore,
    pub genesis: Genesis,
    pub validator: Keypair,
}

impl Chain {
    pub fn new(users: u8) -> Chain {
        Chain::from_genesis(genesis(users))
    }

    pub fn from_genesis(genesis: Genesis) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let store = ChainStore::open_with_genesis(&dir.path().join("chain.redb"), &genesis)
            .expect("open with genesis");
        Chain {
            dir,
            store,
            genesis,
            validator: validator_key(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("chain.redb")
    }

    /// Closes the store and opens it again from its file.
    pub fn reopen(self) -> Chain {
        let Chain {
            dir,
            store,
            genesis,
            validator,
        } = self;
        drop(store);
        let store = ChainStore::open_with_genesis(&dir.path().join("chain.redb"), &genesis)
            .expect("reopen");
        Chain {
            dir,
            store,
            genesis,
            validator,
        }
    }

    pub fn head(&self) -> SealedHeader {
        self.store.head().unwrap()
    }

    /// Executes `txs` on the head and seals the result, without committing.
    pub fn seal(&self, txs: Vec<SignedTx>) -> (Block, Execution) {
        let head = self.head();
        let ctx = BlockContext {
            height: head.height + 1,
            timestamp_ms: GENESIS_TIME_MS + (head.height + 1) * BLOCK_TIME_MS,
            proposer: addr(&self.validator),
        };
        let exec = {
            let snap = self.store.snapshot().unwrap();
            execute(&snap, &ctx, &txs, SigCheck::Verify).unwrap()
        };
        let header = BlockHeader {
            chain_id: CHAIN_ID.into(),
            height: ctx.height,
            parent: head.hash(),
            timestamp_ms: ctx.timestamp_ms,
            proposer: ctx.proposer,
            tx_root: tx_root(&txs),
            state_root: exec.state_root,
        };
        (Block::seal(header, txs, &self.validator), exec)
    }

    /// Executes, seals and commits the next block; returns it and its receipts.
    pub fn commit_dropping(&self, txs: Vec<SignedTx>, dropped: &[Hash]) -> (Block, Vec<Receipt>) {
        let (block, exec) = self.seal(txs);
        let receipts = exec.receipts.clone();
        self.store.commit_block(&block, &exec, dropped).unwrap();
        (block, receipts)
    }

    pub fn commit(&self, txs: Vec<SignedTx>) -> (Block, Vec<Receipt>) {
        self.commit_dropping(txs, &[])
    }
}
