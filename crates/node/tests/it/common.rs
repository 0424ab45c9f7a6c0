//! Shared fixtures: a genesis, keys, transaction builders and a node in a
//! temporary directory.

#![allow(dead_code)]

use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::accounts::{self, Account};
use plinth_ledger::{devices, Call, Genesis, Overlay, SealedHeader, SignedTx, Transaction};
use plinth_node::{Node, NodeConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CHAIN_ID: &str = "node-test";
pub const NETWORK: &str = "weather";
/// A storage network (family `storage`).
pub const STORAGE: &str = "storage";
pub const MIN_FEE: u64 = 10;
pub const FEE: u64 = 25;
pub const INITIAL_BALANCE: u64 = 1_000_000;
pub const USERS: u8 = 4;

pub fn user(i: u8) -> Keypair {
    Keypair::from_seed([i + 1; 32])
}

pub fn validator_key() -> Keypair {
    Keypair::from_seed([0xAA; 32])
}

pub fn device_key(i: u8) -> Keypair {
    let mut seed = [0xD0; 32];
    seed[0] = i;
    Keypair::from_seed(seed)
}

/// The genesis oracle set's only member (threshold 1).
pub fn oracle_key() -> Keypair {
    Keypair::from_seed([0x0C; 32])
}

/// Reward epochs are a minute long; the network gets half of 1,000,000 per epoch.
pub const EPOCH_MS: u64 = 60_000;
pub const INITIAL_PER_EPOCH: u64 = 1_000_000;
pub const SHARE_BPS: u32 = 5_000;
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;

pub fn addr(k: &Keypair) -> Address {
    Address(k.public())
}

pub fn dev_id(k: &Keypair) -> DeviceId {
    DeviceId(k.public())
}

/// A valid H3 cell (Berlin, resolution 9).
pub fn berlin() -> u64 {
    u64::from(
        h3o::LatLng::new(52.52, 13.405)
            .unwrap()
            .to_cell(h3o::Resolution::Nine),
    )
}

/// The test chain. Its genesis lies far in the past and blocks carry the wall
/// clock, so manifests for its first epochs are accepted for a billion epochs.
pub fn genesis() -> Genesis {
    let mut accounts = String::new();
    for i in 0..USERS {
        accounts.push_str(&format!(
            "[[accounts]]\naddress = \"{}\"\nbalance = {INITIAL_BALANCE}\n",
            addr(&user(i))
        ));
    }
    Genesis::from_toml(&format!(
        "chain_id = \"{CHAIN_ID}\"\ngenesis_time_ms = {GENESIS_TIME_MS}\nblock_time_ms = 100\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = {MIN_FEE}\n[staking]\nunbonding_blocks = 3\n\
         [emission]\nepoch_ms = {EPOCH_MS}\ninitial_per_epoch = {INITIAL_PER_EPOCH}\n\
         manifest_max_age_epochs = 1000000000\n\
         [oracles]\nthreshold = 1\nmembers = [\"{}\"]\n\
         [[validators]]\nname = \"v\"\naddress = \"{}\"\n\
         [[networks]]\nname = \"{NETWORK}\"\nfamily = \"sensor\"\nshare_bps = {SHARE_BPS}\n\
         [[networks]]\nname = \"{STORAGE}\"\nfamily = \"storage\"\nshare_bps = 1000\nusage_bps = 5000\n{accounts}",
        addr(&oracle_key()),
        addr(&validator_key())
    ))
    .expect("valid genesis")
}

pub fn config(dir: &Path) -> NodeConfig {
    NodeConfig::new(dir.to_path_buf(), Duration::from_millis(100))
}

/// Opens a node on `dir` with `config`. The previous node on the same directory
/// may still be releasing the database (its durability thread drops its handle
/// after the node is dropped), so opening is retried for a short while.
pub fn open_with(config: NodeConfig) -> Arc<Node> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Node::open(genesis(), validator_key(), config.clone()) {
            Ok(node) => return node,
            Err(plinth_store::StoreError::Db(e)) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("opening the node: {e}"),
        }
    }
}

pub fn open(dir: &Path) -> Arc<Node> {
    open_with(config(dir))
}

/// Produces a block on a blocking thread, as the producer loop does.
pub async fn produce(node: &Arc<Node>) -> SealedHeader {
    let node = node.clone();
    tokio::task::spawn_blocking(move || node.produce_block())
        .await
        .expect("producer thread")
        .expect("block production")
}

pub fn signed(from: &Keypair, nonce: u64, fee: u64, call: Call) -> SignedTx {
    Transaction {
        chain_id: CHAIN_ID.into(),
        signer: addr(from),
        nonce,
        fee,
        call,
    }
    .sign(from)
}

pub fn transfer(from: &Keypair, nonce: u64, to: &Address, amount: u64) -> SignedTx {
    signed(from, nonce, FEE, Call::Transfer { to: *to, amount })
}

pub fn register(owner: &Keypair, nonce: u64, device: &Keypair) -> SignedTx {
    let id = dev_id(device);
    let location = berlin();
    let msg =
        devices::registration_message(&genesis().chain(), &addr(owner), &id, NETWORK, location);
    signed(
        owner,
        nonce,
        FEE,
        Call::RegisterDevice {
            device: id,
            network: NETWORK.into(),
            location,
            device_signature: device.sign(&msg),
        },
    )
}

pub fn account(node: &Node, a: &Address) -> Option<Account> {
    let snap = node.store.snapshot().unwrap();
    accounts::load(&Overlay::new(&snap), a).unwrap()
}

pub fn balance(node: &Node, a: &Address) -> u64 {
    account(node, a).map_or(0, |a| a.balance)
}

pub fn nonce(node: &Node, a: &Address) -> u64 {
    account(node, a).map_or(0, |a| a.nonce)
}

pub fn device_owner(node: &Node, d: &DeviceId) -> Option<Address> {
    let snap = node.store.snapshot().unwrap();
    devices::load(&Overlay::new(&snap), d)
        .unwrap()
        .map(|d| d.owner)
}
