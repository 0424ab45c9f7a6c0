//! The ledger as a commonware [`Application`]: build blocks from the mempool,
//! verify others' blocks by executing them, and persist finalized blocks.
//!
//! ```text
//!  propose(parent) ─▶ wait for the block time ─▶ resolve unfinalized ancestors
//!        ─▶ mempool batch (minus ancestors' txs) ─▶ execute on Layered view ─▶ seal
//!
//!  verify(block)   ─▶ leader == proposer, timestamp not too far ahead
//!        ─▶ resolve unfinalized ancestors ─▶ apply_block on Layered view (roots must match)
//!
//!  marshal Update::Block (height order, at least once)
//!        ─▶ committer: skip if height ≤ store head; else cached or fresh execution
//!        ─▶ Node::commit_finalized (one redb transaction) ─▶ ack
//! ```
//!
//! A block whose parent state plans an upgrade this binary does not know at
//! the block's height ([`plinth_node::upgrade`]) is neither proposed, voted for,
//! executed nor committed; once the committed head is the height before it, the
//! committer stops the node ([`Node::halt`]).
//!
//! Every execution of a block that is not final yet is kept in [`Executions`],
//! keyed by digest, so finalizing a block this validator proposed or verified
//! does not execute it again.

use crate::block::{digest_of, Block, Digest};
use crate::speculative::{Executed, Executions, Layered};
use commonware_actor::Feedback;
use commonware_consensus::marshal::{ancestry::Ancestry, Update};
use commonware_consensus::simplex::types::Context;
use commonware_consensus::Reporter;
use commonware_cryptography::{ed25519, Digested, Digestible as _};
use commonware_runtime::{Clock, Metrics, Spawner};
use commonware_utils::{acknowledgement::Exact, Acknowledgement as _};
use futures::channel::mpsc;
use futures::StreamExt as _;
use plinth_core::Address;
use plinth_ledger::{
    apply_block,
    block::tx_root_of_ids,
    execute,
    execute::{block_tx_ids, leave_out_rejected},
    BlockContext, BlockHeader, LedgerError, SealedHeader, SigCheck, SignedTx,
};
use plinth_node::upgrade::UpgradeNeeded;
use plinth_node::Node;
use plinth_store::{Snapshot, StoreError};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The signing scheme of the validator set.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// How blocks are built and checked.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most encoded bytes of transactions in one block.
    pub max_block_bytes: usize,
    /// The least time between a block's timestamp and its child's: a proposer
    /// waits this long after its parent before building.
    pub block_time: Duration,
    /// How far ahead of a verifier's clock a block's timestamp may be before the
    /// verifier waits for its clock to catch up.
    pub max_future: Duration,
    /// Most unfinalized blocks executed to build on or verify a block; a validator
    /// further behind waits for marshal to catch it up instead.
    pub max_speculative: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            max_block_txs: 10_000,
            max_block_bytes: 4 << 20,
            block_time: Duration::from_millis(250),
            max_future: Duration::from_secs(2),
            max_speculative: 64,
        }
    }
}

/// Why a block cannot be built on or voted for.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// Permanently invalid (a vote against).
    #[error("invalid block: {0}")]
    Invalid(String),
    /// Cannot be decided now (no vote).
    #[error("undecided: {0}")]
    Undecided(String),
    /// Needs an upgrade this binary does not know (no block, no vote).
    #[error(transparent)]
    Upgrade(UpgradeNeeded),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Undecided(format!("store: {e}"))
    }
}

/// The finalized state and the executed unfinalized blocks on top of it, oldest
/// first, ending with the block to build on.
struct Chain {
    snapshot: Snapshot,
    finalized: SealedHeader,
    layers: Vec<Arc<Executed>>,
}

impl Chain {
    /// The header and seal of the block to build on.
    fn tip(&self) -> SealedHeader {
        self.layers
            .last()
            .map(|l| l.block.ledger().sealed_header())
            .unwrap_or_else(|| self.finalized.clone())
    }
}

struct Shared {
    node: Arc<Node>,
    config: LedgerConfig,
    executions: Executions,
    genesis: Block,
}

/// The application: one per validator, cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    shared: Arc<Shared>,
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Ledger {
    /// The application over `node`'s store and mempool.
    pub fn new(node: Arc<Node>, config: LedgerConfig) -> Result<Ledger, StoreError> {
        let genesis = node.store.block(0)?.ok_or(StoreError::Empty)?;
        let genesis = Block::new(genesis).map_err(|e| StoreError::Corrupt {
            what: "genesis block",
            reason: e.to_string(),
        })?;
        Ok(Ledger {
            shared: Arc::new(Shared {
                node,
                config,
                executions: Executions::default(),
                genesis,
            }),
        })
    }

    /// The genesis block (height 0), where marshal starts.
    pub fn genesis(&self) -> Block {
        self.shared.genesis.clone()
    }

    /// The node whose mempool and store the application uses.
    pub fn node(&self) -> &Arc<Node> {
        &self.shared.node
    }

    /// Unfinalized executions held in memory.
    pub fn speculative_len(&self) -> usize {
        self.shared.executions.len()
    }

    /// Executes the chain from the finalized head up to `first` (then what
    /// `ancestry` yields after it), reusing cached executions.
    async fn resolve<E: Clock>(
        &self,
        clock: &E,
        first: Block,
        ancestry: &mut (impl Ancestry<Block> + 'static),
    ) -> Result<Chain, Refusal> {
        let cfg = &self.shared.config;
        // A validator far behind the block waits for marshal to deliver the
        // finalized blocks instead of executing them all speculatively.
        let (snapshot, finalized) = loop {
            let snapshot = self.shared.node.store.snapshot()?;
            let height = snapshot.head().unwrap_or(0);
            let finalized = self
                .shared
                .node
                .store
                .block(height)?
                .ok_or(StoreError::Empty)?
                .sealed_header();
            if first.header().height <= height + cfg.max_speculative {
                break (snapshot, finalized);
            }
            drop(snapshot);
            clock.sleep(Duration::from_millis(50)).await;
        };
        let finalized_digest = digest_of(&finalized.hash());

        // Newest first: the blocks between the finalized head and `first`.
        let mut chain: Vec<Block> = Vec::new();
        let mut next = Some(first);
        loop {
            let block = match next.take() {
                Some(b) => b,
                None => match ancestry.next().await {
                    Some(b) => b.inner().clone(),
                    None => return Err(Refusal::Undecided("ancestry ended".into())),
                },
            };
            if block.digest() == finalized_digest {
                break;
            }
            if block.header().height <= finalized.height {
                return Err(Refusal::Invalid(format!(
                    "block {} at height {} is not on the finalized chain (head {})",
                    block.hash(),
                    block.header().height,
                    finalized.height
                )));
            }
            chain.push(block);
        }

        let mut layers: Vec<Arc<Executed>> = Vec::with_capacity(chain.len());
        for block in chain.into_iter().rev() {
            if let Some(done) = self.shared.executions.get(&block.digest()) {
                layers.push(done);
                continue;
            }
            let parent = layers
                .last()
                .map(|l| l.block.ledger().sealed_header())
                .unwrap_or_else(|| finalized.clone());
            let view = Layered::new(&snapshot, &layers);
            self.upgrade_gate(&view, block.header().height)?;
            // Signatures checked when the transactions were admitted (from a
            // client or by gossip) are not checked again (see
            // `plinth_ledger::execute::verify_signatures`).
            let sigs = SigCheck::Verify;
            let exec = match apply_block(&view, &parent, block.ledger(), sigs) {
                Ok(exec) => exec,
                Err(e @ (LedgerError::Store(_) | LedgerError::Corrupt { .. })) => {
                    return Err(Refusal::Undecided(e.to_string()))
                }
                Err(e) => return Err(Refusal::Invalid(e.to_string())),
            };
            let done = Arc::new(Executed {
                block,
                exec: Arc::new(exec),
            });
            self.shared.executions.insert(done.clone());
            layers.push(done);
        }
        Ok(Chain {
            snapshot,
            finalized,
            layers,
        })
    }

    /// Refuses block `height` on `state` (the state it builds on) when it needs
    /// an upgrade this binary does not know.
    fn upgrade_gate<S: plinth_ledger::Store>(&self, state: &S, height: u64) -> Result<(), Refusal> {
        match self.shared.node.upgrade_needed_at(state, height) {
            Ok(None) => Ok(()),
            Ok(Some(u)) => Err(Refusal::Upgrade(u)),
            Err(e) => Err(Refusal::Undecided(e.to_string())),
        }
    }

    /// Builds and seals a block on `chain`'s tip at `timestamp_ms`.
    fn build(&self, chain: &Chain, timestamp_ms: u64) -> Result<Block, Refusal> {
        let node = &self.shared.node;
        let cfg = &self.shared.config;
        let parent = chain.tip();
        // Transactions already in an unfinalized ancestor stay out.
        let in_flight: HashSet<plinth_core::Hash> = chain
            .layers
            .iter()
            .flat_map(|l| l.block.ledger().txs.iter().map(|t| t.hash()))
            .collect();
        let mut bytes = 0usize;
        let candidates: Vec<SignedTx> = node
            .mempool_batch(cfg.max_block_txs + in_flight.len())
            .into_iter()
            .filter(|t| !in_flight.contains(&t.hash()))
            .take(cfg.max_block_txs)
            .take_while(|t| {
                bytes += borsh::object_length(t).unwrap_or(usize::MAX / 2);
                bytes <= cfg.max_block_bytes
            })
            .collect();
        let ctx = BlockContext {
            height: parent.height + 1,
            timestamp_ms,
            proposer: node.validator(),
        };
        let view = Layered::new(&chain.snapshot, &chain.layers);
        self.upgrade_gate(&view, ctx.height)?;
        let mut exec = execute(&view, &ctx, &candidates, SigCheck::Trusted)
            .map_err(|e| Refusal::Undecided(e.to_string()))?;
        // As in single-validator production: rejected transactions wrote nothing,
        // so leaving them out keeps the writes and the root.
        let (included, rejected) = leave_out_rejected(&mut exec, candidates);
        // Left in the mempool, a rejected transaction would head its sender's
        // queue for good (every later nonce waits behind it).
        node.drop_rejected(rejected)
            .map_err(|e| Refusal::Undecided(e.to_string()))?;
        let header = BlockHeader {
            chain_id: node.params.chain_id.clone(),
            height: ctx.height,
            parent: parent.hash(),
            timestamp_ms,
            proposer: ctx.proposer,
            tx_root: tx_root_of_ids(&block_tx_ids(&included, &exec)),
            state_root: exec.state_root,
        };
        let block = Block::new(node.seal(header, included))
            .map_err(|e| Refusal::Undecided(e.to_string()))?;
        self.shared.executions.insert(Arc::new(Executed {
            block: block.clone(),
            exec: Arc::new(exec),
        }));
        Ok(block)
    }
}

impl<E> commonware_consensus::Application<E> for Ledger
where
    E: Clock + Spawner + Metrics,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = Block;
    type Input = ();

    fn propose(
        &mut self,
        (clock, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> impl std::future::Future<Output = Option<Digested<Self::Block>>> + Send {
        let this = self.clone();
        async move {
            let parent = ancestry.next().await?.inner().clone();
            // Pace the chain: a block no sooner than `block_time` after its parent.
            let earliest =
                parent.header().timestamp_ms + this.shared.config.block_time.as_millis() as u64;
            if ms(clock.current()) < earliest {
                clock
                    .sleep_until(UNIX_EPOCH + Duration::from_millis(earliest))
                    .await;
            }
            let chain = match this.resolve(&clock, parent, &mut ancestry).await {
                Ok(c) => c,
                Err(Refusal::Upgrade(u)) => {
                    tracing::debug!(round = %context.round, "not proposing: {u}");
                    return None;
                }
                Err(e) => {
                    tracing::warn!(round = %context.round, error = %e, "cannot build");
                    return None;
                }
            };
            let timestamp_ms = ms(clock.current()).max(chain.tip().timestamp_ms);
            match this.build(&chain, timestamp_ms) {
                Ok(block) => {
                    tracing::debug!(
                        height = block.header().height,
                        txs = block.ledger().txs.len(),
                        round = %context.round,
                        "proposed"
                    );
                    let digest = block.digest();
                    Some(Digested::precomputed(block, digest))
                }
                Err(Refusal::Upgrade(u)) => {
                    tracing::debug!(round = %context.round, "not proposing: {u}");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "block building failed");
                    None
                }
            }
        }
    }

    fn verify(
        &mut self,
        (clock, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> impl std::future::Future<Output = bool> + Send {
        let this = self.clone();
        async move {
            let Some(block) = ancestry.next().await else {
                return false;
            };
            let block = block.inner().clone();
            let header = block.header();
            if header.proposer != Address(plinth_core::PublicKey(leader_bytes(&context.leader))) {
                tracing::warn!(
                    height = header.height,
                    "block not sealed by the round's leader"
                );
                return false;
            }
            // A timestamp ahead of our clock by more than the allowed drift: wait
            // for our clock (the verdict may change), do not vote against.
            let limit = ms(clock.current()) + this.shared.config.max_future.as_millis() as u64;
            if header.timestamp_ms > limit {
                let wait_until =
                    header.timestamp_ms - this.shared.config.max_future.as_millis() as u64;
                clock
                    .sleep_until(UNIX_EPOCH + Duration::from_millis(wait_until))
                    .await;
            }
            let Some(parent) = ancestry.next().await else {
                return false;
            };
            let parent = parent.inner().clone();
            let chain = match this.resolve(&clock, parent, &mut ancestry).await {
                Ok(c) => c,
                Err(Refusal::Invalid(e)) => {
                    tracing::warn!(error = %e, "parent chain invalid");
                    return false;
                }
                Err(e @ (Refusal::Undecided(_) | Refusal::Upgrade(_))) => {
                    // Abstain: never resolve, consensus moves on without our vote.
                    tracing::warn!(error = %e, "cannot verify yet");
                    futures::future::pending::<()>().await;
                    return false;
                }
            };
            if let Some(done) = this.shared.executions.get(&block.digest()) {
                return done.block.header().parent == chain.tip().hash();
            }
            let view = Layered::new(&chain.snapshot, &chain.layers);
            if let Err(e) = this.upgrade_gate(&view, header.height) {
                tracing::warn!(height = header.height, error = %e, "not voting");
                return false;
            }
            // Signatures admission checked are not checked again.
            let sigs = SigCheck::Verify;
            match apply_block(&view, &chain.tip(), block.ledger(), sigs) {
                Ok(exec) => {
                    this.shared.executions.insert(Arc::new(Executed {
                        block,
                        exec: Arc::new(exec),
                    }));
                    true
                }
                Err(e) => {
                    tracing::warn!(height = header.height, error = %e, "block refused");
                    false
                }
            }
        }
    }
}

/// The raw bytes of a consensus public key (the same ed25519 key as the ledger's).
pub fn leader_bytes(key: &ed25519::PublicKey) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(key.as_ref());
    out
}

/// Receives finalized blocks from marshal (in height order, at least once) and
/// hands them to the committer.
#[derive(Clone)]
pub struct Finalizer {
    tx: mpsc::UnboundedSender<(Block, Exact)>,
}

impl Reporter for Finalizer {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Update<Block>) -> Feedback {
        match activity {
            Update::Block(block, ack) => {
                if self
                    .tx
                    .unbounded_send((block.inner().clone(), ack))
                    .is_err()
                {
                    return Feedback::Closed;
                }
            }
            Update::Tip(..) => {}
        }
        Feedback::Ok
    }
}

/// A finalized block could not be applied: this validator's state and the
/// finalized chain disagree, and it stops rather than diverge.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Executing the finalized block failed here.
    #[error("finalized block {height} does not apply: {reason}")]
    Diverged {
        /// The block's height.
        height: u64,
        /// Why it does not apply.
        reason: String,
    },
    /// The block needs an upgrade this binary does not know: not executed.
    #[error(transparent)]
    UpgradeNeeded(#[from] UpgradeNeeded),
    /// The store already holds another block at that height.
    #[error("finalized block {height} conflicts with the stored block of that height")]
    Conflict {
        /// The block's height.
        height: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Ledger {
    /// The reporter for marshal and the receiving end for [`Ledger::run_committer`].
    pub fn finalizer(&self) -> (Finalizer, mpsc::UnboundedReceiver<(Block, Exact)>) {
        let (tx, rx) = mpsc::unbounded();
        (Finalizer { tx }, rx)
    }

    /// Persists one finalized block (idempotent by height), unless it needs an
    /// upgrade this binary does not know. Blocking.
    pub fn commit(&self, block: &Block) -> Result<(), CommitError> {
        let node = &self.shared.node;
        let head = node.store.head()?;
        let height = block.header().height;
        if height <= head.height {
            // Redelivered after a restart: already in the store.
            let stored = node.store.block(height)?.map(|b| b.hash());
            if stored != Some(block.hash()) {
                return Err(CommitError::Conflict { height });
            }
            return Ok(());
        }
        {
            let snapshot = node.store.snapshot()?;
            if let Some(u) = node
                .upgrade_needed_at(&snapshot, height)
                .map_err(StoreError::from)?
            {
                return Err(u.into());
            }
        }
        let cached = self
            .shared
            .executions
            .get(&block.digest())
            .filter(|e| e.block.header().parent == head.hash());
        let exec = match cached {
            Some(e) => e.exec.clone(),
            None => {
                let snapshot = node.store.snapshot()?;
                let exec = apply_block(&snapshot, &head, block.ledger(), SigCheck::Verify)
                    .map_err(|e| CommitError::Diverged {
                        height,
                        reason: e.to_string(),
                    })?;
                Arc::new(exec)
            }
        };
        node.commit_finalized(block.ledger(), &exec)?;
        self.shared.executions.prune(height);
        Ok(())
    }

    /// Stops the node ([`Node::halt`]) when the block after the committed head
    /// needs an upgrade this binary does not know.
    fn halt_if_upgrade_needed(&self) {
        let node = &self.shared.node;
        match node.upgrade_needed() {
            Ok(Some(u)) => node.halt(u),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the upgrade plan"),
        }
    }

    /// Commits finalized blocks as marshal delivers them and acknowledges each
    /// once it is durable. Stops (and with it marshal's delivery) on a block
    /// that cannot be applied. Once the committed head is the height before an
    /// upgrade this binary does not know, it stops the node ([`Node::halt`]) and
    /// commits nothing more (marshal keeps serving peers the blocks they miss).
    pub async fn run_committer(
        self,
        mut rx: mpsc::UnboundedReceiver<(Block, Exact)>,
        mut on_commit: impl FnMut(u64) + Send,
    ) {
        self.halt_if_upgrade_needed();
        while let Some((block, ack)) = rx.next().await {
            match self.commit(&block) {
                Ok(()) => {
                    ack.acknowledge();
                    on_commit(block.header().height);
                    self.halt_if_upgrade_needed();
                }
                Err(CommitError::UpgradeNeeded(u)) => self.shared.node.halt(u),
                Err(e) => {
                    tracing::error!(error = %e, "stopping: finalized block not committed");
                    return;
                }
            }
        }
    }
}
