//! A validator set in one deterministic runtime: real nodes (redb stores in
//! temporary directories), commonware's simulated network between them.

use commonware_codec::{varint::UInt, ReadExt as _, Write as _};
use commonware_cryptography::ed25519;
use commonware_p2p::simulated::{self, Link, Oracle};
use commonware_p2p::{Manager as _, Message, Receiver};
use commonware_runtime::{deterministic, Clock as _, Handle, IoBuf, Quota, Supervisor as _};
use commonware_utils::{ordered::Set, probability, NZUsize, NZU32};
use plinth_consensus::engine::{self, channel, consensus_key, consensus_signer, Channels};
use plinth_consensus::{Ledger, LedgerConfig, Timeouts, ValidatorConfig};
use plinth_core::{Address, Hash, Keypair};
use plinth_ledger::{accounts, Call, Genesis, Overlay, Transaction};
use plinth_node::{Node, NodeConfig};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Number of seeds each scenario runs: `PLINTH_SIM_SEEDS` (default 3).
pub fn seeds() -> Vec<u64> {
    let n = std::env::var("PLINTH_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3u64);
    (0..n).collect()
}

pub const BLOCK_TIME: Duration = Duration::from_millis(200);

/// Users with funded accounts.
pub fn user(i: u8) -> Keypair {
    Keypair::from_seed([100 + i; 32])
}

pub fn validator_key(i: usize) -> Keypair {
    Keypair::from_seed([1 + i as u8; 32])
}

pub const USERS: u8 = 8;
pub const USER_BALANCE: u64 = 1_000_000;

/// The account allowed to change the validator set (when the chain can).
pub fn admin() -> u8 {
    USERS - 1
}

pub fn genesis(validators: usize, epoch_blocks: Option<u64>) -> Genesis {
    let mut text = String::from(
        "chain_id = \"sim\"\ngenesis_time_ms = 0\nblock_time_ms = 200\n\
         [token]\nname = \"Sim\"\nsymbol = \"SIM\"\ndecimals = 0\n\
         [fees]\nmin_fee = 1\n[staking]\nunbonding_blocks = 10\n",
    );
    for i in 0..USERS {
        text.push_str(&format!(
            "[[accounts]]\naddress = \"{}\"\nbalance = {USER_BALANCE}\n",
            Address(user(i).public())
        ));
    }
    for i in 0..validators {
        text.push_str(&format!(
            "[[validators]]\naddress = \"{}\"\nname = \"v{i}\"\n",
            Address(validator_key(i).public())
        ));
    }
    if let Some(epoch_blocks) = epoch_blocks {
        text.push_str(&format!(
            "[validator_set]\nadmin = \"{}\"\nepoch_blocks = {epoch_blocks}\n",
            Address(user(admin()).public())
        ));
    }
    Genesis::from_toml(&text).expect("test genesis")
}

/// [`genesis`] of `validators` without epochs, with governance: periods of
/// [`GOV_PERIOD_BLOCKS`], locks up to 100 blocks, a deposit of 1,000.
pub fn governed_genesis(validators: usize) -> Genesis {
    use plinth_ledger::governance::{Bounds, GovParams, ParamBounds};
    // TOML integers (the genesis hashes its TOML) stop at i64::MAX.
    let any = Bounds {
        min: 0,
        max: i64::MAX as u64,
    };
    let mut g = genesis(validators, None);
    g.governance = Some(GovParams {
        min_lock_blocks: 1,
        max_lock_blocks: 100,
        max_multiplier_bps: 1_000_000,
        min_deposit: 1_000,
        deposit_period_blocks: GOV_PERIOD_BLOCKS,
        voting_period_blocks: GOV_PERIOD_BLOCKS,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 1_000,
        max_actions: 4,
        max_active_proposals: 4,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: Bounds { min: 1, max: 1_000 },
            price_max_age_ms: any,
            storage_max_failures: Bounds { min: 1, max: 10 },
            storage_max_deal_epochs: Bounds { min: 1, max: 1_000 },
            storage_accept_epochs: Bounds { min: 1, max: 10 },
            tail_per_epoch: any,
        },
    });
    g.validate().expect("governed genesis");
    g
}

/// Governance's deposit and voting periods in [`governed_genesis`].
pub const GOV_PERIOD_BLOCKS: u64 = 10;

/// A signed transaction of `call` from user `from`.
pub fn signed(from: u8, nonce: u64, call: Call) -> Vec<u8> {
    Transaction {
        chain_id: "sim".into(),
        signer: Address(user(from).public()),
        nonce,
        fee: 1,
        call,
    }
    .sign(&user(from))
    .encode()
}

/// A signed transfer.
pub fn transfer(from: u8, to: u8, nonce: u64, amount: u64) -> Vec<u8> {
    Transaction {
        chain_id: "sim".into(),
        signer: Address(user(from).public()),
        nonce,
        fee: 1,
        call: Call::Transfer {
            to: Address(user(to).public()),
            amount,
        },
    }
    .sign(&user(from))
    .encode()
}

/// One validator of the set.
pub struct Validator {
    pub node: Option<Arc<Node>>,
    pub handle: Option<Handle<()>>,
}

/// The set: its network, its validators' directories and running parts.
pub struct Net {
    pub context: deterministic::Context,
    pub oracle: Oracle<ed25519::PublicKey, deterministic::Context>,
    pub genesis: Genesis,
    pub keys: Vec<ed25519::PublicKey>,
    pub dirs: Vec<tempfile::TempDir>,
    pub validators: Vec<Validator>,
    pub link: Link,
    restarts: u32,
    /// The upgrades the validators' binary knows (from their next launch on).
    pub known_upgrades: Vec<String>,
    /// The validator that forges blocks, if any (see [`Forge`]).
    pub byzantine: Option<usize>,
    /// What it forged so far.
    pub forged: Forged,
}

/// Counts of the copies a byzantine validator's blocks were replaced with.
#[derive(Debug, Clone, Default)]
pub struct Forged {
    /// Copies with a garbage seal.
    pub seals: Arc<AtomicU64>,
    /// Copies with one transaction's signature changed.
    pub signatures: Arc<AtomicU64>,
}

impl Forged {
    pub fn seals(&self) -> u64 {
        self.seals.load(Ordering::SeqCst)
    }

    pub fn signatures(&self) -> u64 {
        self.signatures.load(Ordering::SeqCst)
    }
}

/// A byzantine leader that sends different bodies under one header: of each
/// block the byzantine validator broadcasts, one honest validator (chosen by
/// height) gets a copy with the same header and either a garbage seal or one
/// transaction's signature replaced (alternately, where the block has
/// transactions); the others get the block.
/// Modelled at the victim's inbox (the message still comes from the leader's
/// authenticated key), so the leader runs the ordinary engine.
#[derive(Debug, Clone)]
struct Forge {
    leader: ed25519::PublicKey,
    me: usize,
    honest: Vec<usize>,
    forged: Forged,
}

impl Forge {
    fn apply(&self, message: IoBuf) -> IoBuf {
        let mut rest = bytes::Bytes::copy_from_slice(message.as_ref());
        let Ok(len) = UInt::<u64>::read(&mut rest) else {
            return message;
        };
        if len.0 != rest.len() as u64 {
            return message;
        }
        let Ok(mut block) = borsh::from_slice::<plinth_ledger::Block>(&rest) else {
            return message;
        };
        let victim = self.honest[block.header.height as usize % self.honest.len()];
        if victim != self.me {
            return message;
        }
        // Alternately, as far as blocks with transactions allow.
        if !block.txs.is_empty() && self.forged.signatures() <= self.forged.seals() {
            // Signed by someone else: a well-formed signature, not the signer's.
            let tx = &mut block.txs[0];
            tx.signature = user(USERS - 1).sign(&tx.tx.signing_bytes());
            self.forged.signatures.fetch_add(1, Ordering::SeqCst);
        } else {
            block.signature.0[7] ^= 0x5a;
            self.forged.seals.fetch_add(1, Ordering::SeqCst);
        }
        let inner = plinth_core::encode(&block);
        let mut out = Vec::with_capacity(inner.len() + 10);
        UInt(inner.len() as u64).write(&mut out);
        out.extend_from_slice(&inner);
        IoBuf::from(out)
    }
}

/// A validator's end of one channel: the simulated network's receiver, through
/// a [`Forge`] on an honest validator's block channel when the net has a
/// byzantine validator.
#[derive(Debug)]
pub struct Inbox {
    inner: simulated::Receiver<ed25519::PublicKey>,
    forge: Option<Forge>,
}

impl Receiver for Inbox {
    type Error = simulated::Error;
    type PublicKey = ed25519::PublicKey;

    async fn recv(&mut self) -> Result<Message<ed25519::PublicKey>, simulated::Error> {
        let (from, message) = self.inner.recv().await?;
        match &self.forge {
            Some(f) if from == f.leader => Ok((from, f.apply(message))),
            _ => Ok((from, message)),
        }
    }

    fn capacity(&self) -> NonZeroUsize {
        self.inner.capacity()
    }
}

pub fn ledger_config() -> LedgerConfig {
    LedgerConfig {
        block_time: BLOCK_TIME,
        ..LedgerConfig::default()
    }
}

impl Net {
    /// Starts `n` validators, all linked.
    pub async fn start(context: deterministic::Context, n: usize) -> Net {
        Self::start_with(context, n, n, None).await
    }

    /// Starts `n` nodes of which the first `validators` form the genesis set;
    /// with `epoch_blocks`, the set can change every that many blocks.
    pub async fn start_with(
        context: deterministic::Context,
        n: usize,
        validators: usize,
        epoch_blocks: Option<u64>,
    ) -> Net {
        Self::start_full(context, n, genesis(validators, epoch_blocks), None).await
    }

    /// Starts `n` validators of a chain with governance ([`governed_genesis`]).
    pub async fn start_governed(context: deterministic::Context, n: usize) -> Net {
        Self::start_full(context, n, governed_genesis(n), None).await
    }

    /// Starts `n` validators of which `byzantine` forges blocks (see [`Forge`]).
    pub async fn start_byzantine(
        context: deterministic::Context,
        n: usize,
        byzantine: usize,
    ) -> Net {
        Self::start_full(context, n, genesis(n, None), Some(byzantine)).await
    }

    async fn start_full(
        context: deterministic::Context,
        n: usize,
        genesis: Genesis,
        byzantine: Option<usize>,
    ) -> Net {
        let (network, oracle) = simulated::Network::new(
            context.child("network"),
            simulated::Config {
                max_size: engine::max_message_size(&ledger_config()),
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
        );
        network.start();
        let keys: Vec<ed25519::PublicKey> = (0..n)
            .map(|i| consensus_key(&validator_key(i).public()).expect("key"))
            .collect();
        let set: Set<ed25519::PublicKey> = Set::try_from(keys.clone()).expect("distinct keys");
        oracle.manager().track(0, set);
        let mut net = Net {
            context,
            oracle,
            genesis,
            keys,
            dirs: (0..n).map(|_| scratch_dir()).collect(),
            validators: (0..n)
                .map(|_| Validator {
                    node: None,
                    handle: None,
                })
                .collect(),
            link: Link {
                latency: Duration::from_millis(10),
                jitter: Duration::from_millis(3),
                success_rate: probability!(1.0),
            },
            restarts: 0,
            known_upgrades: Vec::new(),
            byzantine,
            forged: Forged::default(),
        };
        net.link_all().await;
        for i in 0..n {
            net.launch(i).await;
        }
        net
    }

    pub async fn link(&mut self, a: usize, b: usize) {
        let (ka, kb) = (self.keys[a].clone(), self.keys[b].clone());
        let _ = self
            .oracle
            .add_link(ka.clone(), kb.clone(), self.link.clone())
            .await;
        let _ = self.oracle.add_link(kb, ka, self.link.clone()).await;
    }

    pub async fn unlink(&mut self, a: usize, b: usize) {
        let (ka, kb) = (self.keys[a].clone(), self.keys[b].clone());
        let _ = self.oracle.remove_link(ka.clone(), kb.clone()).await;
        let _ = self.oracle.remove_link(kb, ka).await;
    }

    pub async fn link_all(&mut self) {
        for a in 0..self.keys.len() {
            for b in a + 1..self.keys.len() {
                self.link(a, b).await;
            }
        }
    }

    /// Opens validator `i`'s node (its store survives crashes) and starts it.
    pub async fn launch(&mut self, i: usize) {
        let key = validator_key(i);
        let config = NodeConfig {
            known_upgrades: self.known_upgrades.clone(),
            ..NodeConfig::new(self.dirs[i].path().to_path_buf(), BLOCK_TIME)
        };
        let node = open_node(&self.context, &self.genesis, &key, config).await;
        let ledger = Ledger::new(node.clone(), ledger_config()).expect("ledger");
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(100_000));
        let mut regs = Vec::new();
        for ch in [
            channel::VOTES,
            channel::CERTIFICATES,
            channel::RESOLVER,
            channel::BLOCKS,
            channel::BACKFILL,
            channel::TXS,
        ] {
            let (sender, inner) = control.register(ch, quota).await.expect("register channel");
            let forge = match self.byzantine {
                Some(b) if b != i && ch == channel::BLOCKS => Some(Forge {
                    leader: self.keys[b].clone(),
                    me: i,
                    honest: (0..self.keys.len()).filter(|v| *v != b).collect(),
                    forged: self.forged.clone(),
                }),
                _ => None,
            };
            regs.push((sender, Inbox { inner, forge }));
        }
        let mut regs = regs.into_iter();
        let mut next = || regs.next().expect("six channels");
        let channels = Channels {
            votes: next(),
            certificates: next(),
            resolver: next(),
            blocks: next(),
            backfill: next(),
            txs: next(),
        };
        let cfg = ValidatorConfig {
            signer: consensus_signer(seed(&key)),
            participants: engine::validator_set(
                &self
                    .genesis
                    .validators
                    .iter()
                    .map(|v| v.address)
                    .collect::<Vec<_>>(),
            )
            .expect("genesis set"),
            namespace: engine::namespace(&self.genesis.chain_id),
            partition_prefix: format!("v{i}"),
            ledger: ledger_config(),
            timeouts: Timeouts::for_block_time(BLOCK_TIME),
            track: {
                // Every node of the simulation is a peer of every epoch.
                let mut manager = self.oracle.manager();
                let everyone: Set<ed25519::PublicKey> =
                    Set::try_from(self.keys.clone()).expect("distinct keys");
                Box::new(move |epoch, _set| {
                    let _ = manager.track(epoch, everyone.clone());
                })
            },
        };
        let context = if self.restarts == 0 {
            self.context.child("validator")
        } else {
            self.context.child("restarted")
        }
        .with_attribute("index", i)
        .with_attribute("incarnation", self.restarts);
        let handle = engine::start(
            context,
            ledger,
            cfg,
            self.oracle.manager(),
            control,
            channels,
        );
        self.validators[i] = Validator {
            node: Some(node),
            handle: Some(handle),
        };
    }

    /// Kills validator `i` (every task it runs) without any shutdown.
    pub async fn crash(&mut self, i: usize) {
        if let Some(h) = self.validators[i].handle.take() {
            h.abort();
        }
        self.validators[i].node = None;
        // Let the runtime drop the aborted tasks (and with them the store).
        self.context.sleep(Duration::from_millis(10)).await;
    }

    /// Stops every validator (end of a scenario).
    pub async fn crash_all(&mut self) {
        for i in 0..self.validators.len() {
            self.crash(i).await;
        }
    }

    /// Restarts a crashed validator from its directory and journals.
    pub async fn restart(&mut self, i: usize) {
        self.restarts += 1;
        self.launch(i).await;
    }

    pub fn node(&self, i: usize) -> &Arc<Node> {
        self.validators[i].node.as_ref().expect("validator running")
    }

    pub fn height(&self, i: usize) -> u64 {
        self.node(i).store.head().expect("head").height
    }

    /// Waits until every validator in `who` has finalized `height`.
    pub async fn wait_height(&self, who: &[usize], height: u64) {
        while who.iter().any(|i| self.height(*i) < height) {
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every validator in `who` has finalized `height`, or `within`
    /// has passed; whether they did.
    pub async fn wait_height_within(&self, who: &[usize], height: u64, within: Duration) -> bool {
        let deadline = self.context.current() + within;
        while who.iter().any(|i| self.height(*i) < height) {
            if self.context.current() >= deadline {
                return false;
            }
            self.context.sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// Replays validator `i`'s stored chain as `plinth replay` does (the
    /// validator must be crashed: the store is opened again).
    pub async fn replay(
        &self,
        i: usize,
    ) -> Result<plinth_store::replay::ReplayReport, plinth_store::replay::ReplayError> {
        let path = self.dirs[i].path().join("chain.redb");
        let store = loop {
            match plinth_store::ChainStore::open(&path) {
                Ok(store) => break store,
                Err(e) => {
                    tracing::debug!(error = %e, "store still held; retrying");
                    self.context.sleep(Duration::from_millis(10)).await;
                }
            }
        };
        plinth_store::replay::replay(&store)
    }

    /// Waits until the transaction is in a finalized block on every validator in
    /// `who`.
    pub async fn wait_tx(&self, who: &[usize], hash: Hash) {
        loop {
            let done = who.iter().all(|i| {
                self.node(*i)
                    .store
                    .tx_location(&hash)
                    .expect("tx index")
                    .is_some()
            });
            if done {
                return;
            }
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    /// Checks that the validators in `who` hold the same chain up to the lowest
    /// head among them, and that each one's stored state matches its head's root.
    pub fn assert_same_chain(&self, who: &[usize]) -> u64 {
        let common = who.iter().map(|i| self.height(*i)).min().expect("someone");
        for h in 0..=common {
            let first = self
                .node(who[0])
                .store
                .block(h)
                .expect("read")
                .expect("block");
            for i in &who[1..] {
                let other = self.node(*i).store.block(h).expect("read").expect("block");
                assert_eq!(
                    first.hash(),
                    other.hash(),
                    "validators {} and {i} disagree at height {h}",
                    who[0]
                );
            }
        }
        for i in who {
            let node = self.node(*i);
            let snap = node.store.snapshot().expect("snapshot");
            let head = node.store.head().expect("head");
            let root = plinth_ledger::tree::root(&snap, head.height).expect("root");
            assert_eq!(
                root, head.state_root,
                "validator {i}: state differs from its head's root"
            );
        }
        common
    }

    /// A user's balance as validator `i` has it.
    pub fn balance(&self, i: usize, u: u8) -> u64 {
        let snap = self.node(i).store.snapshot().expect("snapshot");
        accounts::load(&Overlay::new(&snap), &Address(user(u).public()))
            .expect("read")
            .map(|a| a.balance)
            .unwrap_or(0)
    }
}

/// A node's directory: in memory (/dev/shm) where there is one, since the
/// simulations test consensus, not the disk (the e2e test kills real processes).
fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("plinth-sim")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().expect("tempdir")
}

fn seed(key: &Keypair) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(key.secret_hex(), &mut out).expect("hex seed");
    out
}

/// Opens a node's store, retrying while a crashed incarnation still holds it.
async fn open_node(
    context: &deterministic::Context,
    genesis: &Genesis,
    key: &Keypair,
    config: NodeConfig,
) -> Arc<Node> {
    loop {
        match Node::open(genesis.clone(), key.clone(), config.clone()) {
            Ok(node) => return node,
            Err(e) => {
                tracing::debug!(error = %e, "store still held; retrying");
                context.sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
