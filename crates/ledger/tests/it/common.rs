//! Shared fixtures: a small genesis, a chain driver over a `MemStore`, transaction
//! builders and state readers.

#![allow(dead_code)]

use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::accounts::{self, Account};
use plinth_ledger::block::tx_root;
use plinth_ledger::devices::{self, Device};
use plinth_ledger::emission::{self, Emission, Supply};
use plinth_ledger::genesis::{Fees, GenesisAccount, GenesisNetwork, Staking, Token};
use plinth_ledger::governance::makers::maker_message;
use plinth_ledger::governance::positions;
use plinth_ledger::governance::{
    proposals, treasury_address, Action, Bounds, GovParams, ParamBounds, Proposal, VoteOption,
};
use plinth_ledger::params::Validator;
use plinth_ledger::rewards::{self, ManifestEntry, ManifestHeader, OracleSet, RewardEpoch};
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    execute, staking, Block, BlockContext, BlockHeader, Call, Execution, Genesis, Overlay, Receipt,
    SealedHeader, SigCheck, SignedTx, StakeTarget, Store, Transaction, TxError,
};

pub const CHAIN_ID: &str = "plinth-test";
pub const NETWORK: &str = "weather";
pub const FAMILY: &str = "sensor";
pub const MIN_FEE: u64 = 10;
pub const FEE: u64 = 25;
pub const UNBONDING_BLOCKS: u64 = 3;
pub const MAX_UNBONDING: u64 = 2;
pub const INITIAL_BALANCE: u64 = 1_000_000;
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;
pub const BLOCK_TIME_MS: u64 = 1_000;
/// Reward epochs last ten blocks: epoch `e` is over from block `10 (e + 1)` on.
pub const EPOCH_MS: u64 = 10 * BLOCK_TIME_MS;
pub const INITIAL_PER_EPOCH: u64 = 100_000;
pub const HALVING_EPOCHS: u64 = 4;
pub const TAIL_PER_EPOCH: u64 = 10_000;
/// The "weather" network's share of each epoch's emission.
pub const SHARE_BPS: u32 = 5_000;
/// Oracles `oracle_key(0..ORACLES)` form the set; any `ORACLE_THRESHOLD` sign.
pub const ORACLES: u8 = 3;
pub const ORACLE_THRESHOLD: u32 = 2;

/// The key of funded user `i` (seeds 1..).
pub fn user(i: u8) -> Keypair {
    Keypair::from_seed([i + 1; 32])
}

/// The single validator's key (not a funded account at genesis).
pub fn validator_key() -> Keypair {
    Keypair::from_seed([0xAA; 32])
}

/// A device key (seeds distinct from the users' and the validator's).
pub fn device_key(i: u8) -> Keypair {
    let mut seed = [0xD0; 32];
    seed[0] = i;
    Keypair::from_seed(seed)
}

/// Oracle `i`'s key (member of the genesis oracle set for `i < ORACLES`).
pub fn oracle_key(i: u8) -> Keypair {
    let mut seed = [0x0C; 32];
    seed[0] = i;
    Keypair::from_seed(seed)
}

/// A key nobody funded.
pub fn stranger() -> Keypair {
    Keypair::from_seed([0x55; 32])
}

pub fn addr(k: &Keypair) -> Address {
    Address(k.public())
}

pub fn dev_id(k: &Keypair) -> DeviceId {
    DeviceId(k.public())
}

/// A valid H3 cell (resolution 9) at a point.
pub fn cell(lat: f64, lng: f64) -> u64 {
    u64::from(
        h3o::LatLng::new(lat, lng)
            .unwrap()
            .to_cell(h3o::Resolution::Nine),
    )
}

pub fn berlin() -> u64 {
    cell(52.52, 13.405)
}

pub fn paris() -> u64 {
    cell(48.8566, 2.3522)
}

/// A genesis with `n` users funded with `INITIAL_BALANCE`, one validator, one
/// network ("weather", family "sensor", `SHARE_BPS` of the emission), an emission
/// schedule and a 2-of-3 oracle set.
pub fn genesis(n: u8) -> Genesis {
    let mut params = toml::Table::new();
    params.insert("min_readings".into(), toml::Value::Integer(3));
    Genesis {
        chain_id: CHAIN_ID.into(),
        genesis_time_ms: GENESIS_TIME_MS,
        block_time_ms: BLOCK_TIME_MS,
        token: Token {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: MIN_FEE },
        staking: Staking {
            unbonding_blocks: UNBONDING_BLOCKS,
            max_unbonding_entries: MAX_UNBONDING,
        },
        accounts: (0..n)
            .map(|i| GenesisAccount {
                address: addr(&user(i)),
                balance: INITIAL_BALANCE,
            })
            .collect(),
        validators: vec![Validator {
            address: addr(&validator_key()),
            name: "val-0".into(),
        }],
        networks: vec![GenesisNetwork {
            name: NETWORK.into(),
            family: FAMILY.into(),
            params,
            share_bps: SHARE_BPS,
            usage_bps: 0,
            require_maker: false,
        }],
        emission: Emission {
            epoch_ms: EPOCH_MS,
            initial_per_epoch: INITIAL_PER_EPOCH,
            halving_interval_epochs: HALVING_EPOCHS,
            tail_per_epoch: TAIL_PER_EPOCH,
            ..Emission::default()
        },
        oracles: OracleSet {
            threshold: ORACLE_THRESHOLD,
            members: (0..ORACLES).map(|i| addr(&oracle_key(i))).collect(),
        },
        validator_set: None,
        credits: None,
        storage: None,
        compute: None,
        governance: None,
        makers: Vec::new(),
        modules: Vec::new(),
    }
}

pub const GOV_MIN_LOCK: u64 = 2;
pub const GOV_MAX_LOCK: u64 = 100;
/// 2× at the longest lock.
pub const GOV_MULTIPLIER_BPS: u64 = 20_000;
pub const GOV_MIN_DEPOSIT: u64 = 1_000;
pub const GOV_DEPOSIT_BLOCKS: u64 = 5;
pub const GOV_VOTING_BLOCKS: u64 = 20;
pub const GOV_QUORUM_BPS: u32 = 4_000;
pub const GOV_THRESHOLD_BPS: u32 = 5_000;
pub const GOV_VETO_BPS: u32 = 3_000;
pub const GOV_MAX_DESCRIPTION: u32 = 64;
pub const GOV_MAX_ACTIONS: u32 = 3;
pub const GOV_MAX_ACTIVE: u32 = 3;
/// The emission tail proposals may set (`[governance.bounds]`).
pub const GOV_TAIL_BOUNDS: Bounds = Bounds {
    min: 1_000,
    max: 50_000,
};

/// The governance settings of [`genesis_with_governance`] (no treasury share, so
/// the supply moves only by what a test does).
pub fn gov_params() -> GovParams {
    let any = Bounds {
        min: 0,
        max: u64::MAX,
    };
    GovParams {
        min_lock_blocks: GOV_MIN_LOCK,
        max_lock_blocks: GOV_MAX_LOCK,
        max_multiplier_bps: GOV_MULTIPLIER_BPS,
        min_deposit: GOV_MIN_DEPOSIT,
        deposit_period_blocks: GOV_DEPOSIT_BLOCKS,
        voting_period_blocks: GOV_VOTING_BLOCKS,
        quorum_bps: GOV_QUORUM_BPS,
        threshold_bps: GOV_THRESHOLD_BPS,
        veto_bps: GOV_VETO_BPS,
        max_description_bytes: GOV_MAX_DESCRIPTION,
        max_actions: GOV_MAX_ACTIONS,
        max_active_proposals: GOV_MAX_ACTIVE,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: any,
            price_max_age_ms: any,
            storage_max_failures: any,
            storage_max_deal_epochs: any,
            storage_accept_epochs: any,
            tail_per_epoch: GOV_TAIL_BOUNDS,
        },
    }
}

/// [`genesis`] with a `[governance]` section ([`gov_params`]).
pub fn genesis_with_governance(n: u8) -> Genesis {
    Genesis {
        governance: Some(gov_params()),
        ..genesis(n)
    }
}

/// Reads an account from committed state.
pub fn account(store: &MemStore, a: &Address) -> Option<Account> {
    accounts::load(&Overlay::new(store), a).unwrap()
}

/// Reads a device from committed state.
pub fn device(store: &MemStore, d: &DeviceId) -> Option<Device> {
    devices::load(&Overlay::new(store), d).unwrap()
}

/// `staker`'s bond on `target`.
pub fn bonded(store: &MemStore, staker: &Address, target: &StakeTarget) -> u64 {
    staking::bonded(&Overlay::new(store), staker, target).unwrap()
}

/// Everyone's stake on `target`.
pub fn stake_total(store: &MemStore, target: &StakeTarget) -> u64 {
    staking::total(&Overlay::new(store), target).unwrap()
}

/// Sum of `Account::total()` over every account in state.
pub fn supply(store: &MemStore) -> u64 {
    store
        .scan(b"acct/")
        .iter()
        .map(|(_, v)| borsh::from_slice::<Account>(v).unwrap().total())
        .sum()
}

/// The supply record in committed state.
pub fn supply_record(store: &MemStore) -> Supply {
    emission::supply(&Overlay::new(store)).unwrap()
}

/// The accepted manifest of `network` for `epoch`.
pub fn reward_epoch(store: &MemStore, network: &str, epoch: u64) -> Option<RewardEpoch> {
    rewards::reward_epoch(&Overlay::new(store), network, epoch).unwrap()
}

/// Whether entry `index` of a manifest has been claimed.
pub fn is_claimed(store: &MemStore, network: &str, epoch: u64, index: u64) -> bool {
    rewards::is_claimed(&Overlay::new(store), network, epoch, index).unwrap()
}

/// Manifest entries: device `device_key(i)` owned by `owners[i]`, earning `amounts[i]`.
pub fn entries(owners: &[Address], amounts: &[u64]) -> Vec<ManifestEntry> {
    owners
        .iter()
        .zip(amounts)
        .enumerate()
        .map(|(i, (owner, amount))| ManifestEntry {
            device: dev_id(&device_key(i as u8)),
            owner: *owner,
            amount: *amount,
        })
        .collect()
}

/// The header of a manifest over `entries` for `network` and `epoch`.
pub fn manifest_header(network: &str, epoch: u64, entries: &[ManifestEntry]) -> ManifestHeader {
    ManifestHeader {
        chain: chain(),
        network: network.into(),
        epoch,
        root: rewards::manifest_root(entries),
        total: entries.iter().map(|e| e.amount).sum(),
        devices: entries.len() as u64,
        inputs: Hash::of(b"spool batches"),
        registry_height: 0,
        awards: plinth_core::Hash::ZERO,
        award_count: 0,
    }
}

/// A `SubmitManifest` call signed by oracles `signers`.
pub fn submit_call(header: &ManifestHeader, signers: &[u8]) -> Call {
    Call::SubmitManifest {
        header: header.clone(),
        signatures: signers
            .iter()
            .map(|i| header.sign(&oracle_key(*i)))
            .collect(),
    }
}

/// A `Claim` call for `entries[index]` with its proof.
pub fn claim_call(network: &str, epoch: u64, entries: &[ManifestEntry], index: usize) -> Call {
    Call::Claim {
        network: network.into(),
        epoch,
        index: index as u64,
        entry: entries[index],
        proof: rewards::manifest_proof(entries, index).unwrap(),
    }
}

/// Signs a transaction for this chain.
pub fn tx(signer: &Keypair, nonce: u64, fee: u64, call: Call) -> SignedTx {
    Transaction {
        chain_id: CHAIN_ID.into(),
        signer: addr(signer),
        nonce,
        fee,
        call,
    }
    .sign(signer)
}

/// A `RegisterDevice` call signed by the device key for `owner`.
pub fn register_call(owner: &Address, device: &Keypair, network: &str, location: u64) -> Call {
    let id = dev_id(device);
    let msg = devices::registration_message(&chain(), owner, &id, network, location);
    Call::RegisterDevice {
        device: id,
        network: network.into(),
        location,
        device_signature: device.sign(&msg),
    }
}

thread_local! {
    /// The identity of the chain last started on this thread (each test runs on
    /// its own), which the message helpers below sign for.
    static CHAIN: std::cell::Cell<Hash> = const { std::cell::Cell::new(Hash::ZERO) };
}

/// The identity ([`Genesis::chain`]) of the chain last started on this thread:
/// what oracle-signed messages and receipts built by these helpers name.
pub fn chain() -> Hash {
    CHAIN.with(|c| c.get())
}

/// The identity of another chain with the same `chain_id` string (and everything
/// else) but a genesis a millisecond later: what a message replayed from a
/// look-alike chain names.
pub fn lookalike_chain() -> Hash {
    let mut g = genesis(3);
    g.genesis_time_ms += 1;
    assert_eq!(g.chain_id, CHAIN_ID);
    g.chain()
}

/// A chain on a `MemStore`: genesis committed, blocks produced by the validator.
pub struct Chain {
    pub genesis: Genesis,
    pub store: MemStore,
    /// The header and seal of the head block (the genesis block at first).
    pub head: SealedHeader,
    pub validator: Keypair,
    /// Every produced block, in order.
    pub blocks: Vec<Block>,
    /// How blocks are executed (`Verify` unless a test opts out for speed).
    pub sigs: SigCheck,
}

impl Chain {
    pub fn new(users: u8) -> Chain {
        Self::from_genesis(genesis(users))
    }

    pub fn from_genesis(genesis: Genesis) -> Chain {
        let mut store = MemStore::new();
        let exec = genesis.execute(&store).unwrap();
        store.commit(&exec);
        let head = genesis.block(exec.state_root).sealed_header();
        CHAIN.with(|c| c.set(genesis.chain()));
        Chain {
            genesis,
            store,
            head,
            validator: validator_key(),
            blocks: Vec::new(),
            sigs: SigCheck::Verify,
        }
    }

    pub fn proposer(&self) -> Address {
        addr(&self.validator)
    }

    pub fn height(&self) -> u64 {
        self.head.height
    }

    pub fn root(&self) -> Hash {
        self.head.state_root
    }

    /// The context of the next block.
    pub fn next_ctx(&self) -> BlockContext {
        let height = self.head.height + 1;
        BlockContext {
            height,
            timestamp_ms: GENESIS_TIME_MS + height * BLOCK_TIME_MS,
            proposer: self.proposer(),
        }
    }

    /// Executes `txs` as the next block without committing anything.
    pub fn dry_run(&self, txs: &[SignedTx]) -> Execution {
        execute(&self.store, &self.next_ctx(), txs, self.sigs).unwrap()
    }

    /// Seals a block of `txs` with the root of its dry execution (not committed).
    pub fn seal(&self, txs: Vec<SignedTx>) -> (Block, Execution) {
        let ctx = self.next_ctx();
        let exec = execute(&self.store, &ctx, &txs, self.sigs).unwrap();
        let header = BlockHeader {
            chain_id: CHAIN_ID.into(),
            height: ctx.height,
            parent: self.head.hash(),
            timestamp_ms: ctx.timestamp_ms,
            proposer: ctx.proposer,
            tx_root: tx_root(&txs),
            state_root: exec.state_root,
        };
        (Block::seal(header, txs, &self.validator), exec)
    }

    /// Produces, seals and commits the next block; returns its receipts.
    pub fn block(&mut self, txs: Vec<SignedTx>) -> Vec<Receipt> {
        let (block, exec) = self.seal(txs);
        assert_eq!(exec.receipts.len(), block.txs.len());
        self.store.commit(&exec);
        assert_eq!(self.store.version().unwrap(), Some(block.header.height));
        self.head = block.sealed_header();
        self.blocks.push(block);
        exec.receipts
    }

    /// Produces a block with one transaction and returns its receipt.
    pub fn one(&mut self, stx: SignedTx) -> Receipt {
        let mut r = self.block(vec![stx]);
        assert_eq!(r.len(), 1);
        r.remove(0)
    }

    /// Produces a block with one transaction that must succeed.
    pub fn ok(&mut self, stx: SignedTx) {
        let r = self.one(stx);
        assert_eq!(r.error, None, "transaction should have succeeded");
        assert!(r.is_ok());
    }

    /// Asserts that `stx`, alone in the next block, is rejected with exactly `err`
    /// and changes nothing: the resulting state root equals that of an empty block
    /// at the same height, and the receipt charges no fee. Then commits the block.
    pub fn reject(&mut self, stx: SignedTx, err: TxError) {
        let signer = stx.tx.signer;
        let before_signer = account(&self.store, &signer);
        let before_proposer = account(&self.store, &self.proposer());
        let empty = self.dry_run(&[]);
        let receipts = self.block(vec![stx.clone()]);
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].error, Some(err));
        assert!(!receipts[0].is_ok());
        assert_eq!(receipts[0].fee, 0, "a rejected transaction pays no fee");
        assert_eq!(receipts[0].tx_hash, stx.hash());
        assert_eq!(
            self.root(),
            empty.state_root,
            "a rejected transaction must change nothing but the head marker"
        );
        assert_eq!(account(&self.store, &signer), before_signer);
        assert_eq!(account(&self.store, &self.proposer()), before_proposer);
    }

    /// Replays every produced block on a fresh store, each checked as a block
    /// from elsewhere: the same state root block by block. Returns the store.
    pub fn replay(&self) -> MemStore {
        let mut store = MemStore::new();
        let exec = self.genesis.execute(&store).unwrap();
        store.commit(&exec);
        let mut parent = self.genesis.block(exec.state_root).sealed_header();
        for block in &self.blocks {
            let exec =
                plinth_ledger::apply_block(&store, &parent, block, SigCheck::Verify).unwrap();
            assert_eq!(exec.state_root, block.header.state_root);
            store.commit(&exec);
            parent = block.sealed_header();
        }
        assert_eq!(parent.state_root, self.root());
        store
    }

    /// The committed nonce of `k`'s account (0 if unknown).
    pub fn nonce(&self, k: &Keypair) -> u64 {
        account(&self.store, &addr(k)).map_or(0, |a| a.nonce)
    }

    /// The committed nonce of the account at `a` (0 if unknown).
    pub fn nonce_of(&self, a: &Address) -> u64 {
        account(&self.store, a).map_or(0, |a| a.nonce)
    }

    pub fn balance(&self, a: &Address) -> u64 {
        account(&self.store, a).map_or(0, |a| a.balance)
    }

    /// Signs a transaction from `k` with its next nonce and the standard fee.
    pub fn tx(&self, k: &Keypair, call: Call) -> SignedTx {
        tx(k, self.nonce(k), FEE, call)
    }

    /// Registers `device` to `owner` at `location` (must succeed).
    pub fn register(&mut self, owner: &Keypair, device: &Keypair, location: u64) {
        let call = register_call(&addr(owner), device, NETWORK, location);
        let stx = self.tx(owner, call);
        self.ok(stx);
    }

    /// The epoch the next block's timestamp falls in.
    pub fn next_epoch(&self) -> u64 {
        (self.next_ctx().timestamp_ms - GENESIS_TIME_MS) / EPOCH_MS
    }

    /// Produces empty blocks until the next block is the first in which `epoch` is
    /// over.
    pub fn finish_epoch(&mut self, epoch: u64) {
        self.advance_to((epoch + 1) * (EPOCH_MS / BLOCK_TIME_MS) - 1);
    }

    /// Produces empty blocks until the head is at `height`.
    pub fn advance_to(&mut self, height: u64) {
        while self.height() < height {
            self.block(vec![]);
        }
    }
}

// ---------------------------------------------------------------------------
// Governance: positions, proposals and votes through blocks.

pub fn proposal(c: &Chain, id: u64) -> Proposal {
    proposals::load(&Overlay::new(&c.store), id)
        .unwrap()
        .expect("proposal exists")
}

pub fn lock_call(amount: u64, lock_blocks: u64) -> Call {
    Call::GovLock {
        amount,
        lock_blocks,
    }
}

/// Locks `amount` for `lock_blocks` from `k`; returns the new position's id.
pub fn lock(c: &mut Chain, k: &Keypair, amount: u64, lock_blocks: u64) -> u64 {
    let stx = c.tx(k, lock_call(amount, lock_blocks));
    c.ok(stx);
    *positions::of_owner(&Overlay::new(&c.store), &addr(k))
        .unwrap()
        .last()
        .unwrap()
}

pub fn vote_call(proposal: u64, option: VoteOption) -> Call {
    Call::GovVote { proposal, option }
}

pub fn vote(c: &mut Chain, k: &Keypair, p: u64, option: VoteOption) {
    let stx = c.tx(k, vote_call(p, option));
    c.ok(stx);
}

/// Funds the treasury with `amount` from user `from`.
pub fn fund_treasury(c: &mut Chain, from: &Keypair, amount: u64) {
    c.ok(c.tx(
        from,
        Call::Transfer {
            to: treasury_address(),
            amount,
        },
    ));
}

pub fn spend(to: &Keypair, amount: u64) -> Action {
    Action::TreasurySpend {
        to: addr(to),
        amount,
    }
}

/// `prop` proposes `actions` and `voter` passes them; returns the id.
pub fn pass(
    c: &mut Chain,
    prop: &Keypair,
    voter: &Keypair,
    actions: Vec<Action>,
    execute_height: Option<u64>,
) -> u64 {
    let call = Call::GovPropose {
        actions,
        description: "spend".into(),
        deposit: GOV_MIN_DEPOSIT,
        execute_height,
    };
    c.ok(c.tx(prop, call));
    let p = *proposals::active(&Overlay::new(&c.store))
        .unwrap()
        .last()
        .unwrap();
    vote(c, voter, p, VoteOption::Yes);
    p
}

/// The maker's signature over `device`'s key, as made at manufacture.
pub fn certificate(maker: &Keypair, device: &Keypair) -> plinth_core::Signature {
    maker.sign(&maker_message(&addr(maker), &dev_id(device)))
}

/// A `RegisterMadeDevice` call: `device` (signed for `owner`) made by `maker`,
/// whose certificate is `maker_signature`.
pub fn made_call(
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

/// Posts a price of $1 per token (signed by oracles 0 and 1, sent by `relayer`)
/// and has `buyer` burn `amount` for credits of its own.
pub fn buy_credits(c: &mut Chain, relayer: &Keypair, buyer: &Keypair, amount: u64) {
    let price = plinth_ledger::credits::PricePoint {
        chain: chain(),
        micro_usd_per_token: 1_000_000,
        timestamp_ms: c.next_ctx().timestamp_ms,
    };
    let stx = c.tx(
        relayer,
        Call::PostPrice {
            signatures: vec![price.sign(&oracle_key(0)), price.sign(&oracle_key(1))],
            price,
        },
    );
    c.ok(stx);
    let stx = c.tx(
        buyer,
        Call::BurnForCredits {
            amount,
            to: addr(buyer),
        },
    );
    c.ok(stx);
}
