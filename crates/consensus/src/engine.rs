//! Wiring one validator: simplex consensus, marshal (block delivery and
//! backfill), the block broadcast buffer, the ledger application and transaction
//! gossip, over six p2p channels.
//!
//! ```text
//!  votes ─┐                         ┌─ Inline(Ledger) ─ propose / verify
//!  certs ─┼─ simplex::Engine ───────┤
//!  fetch ─┘     (reporter: Inline)  └─ marshal ─ buffer (blocks channel)
//!                                        │  └── resolver (backfill channel)
//!                                        ▼
//!                          Finalizer ─▶ committer ─▶ redb (ChainStore)
//!  txs ── gossip ◀─▶ Node mempool
//! ```
//!
//! The engine runs under any commonware runtime: the deterministic one in the
//! simulation tests, tokio in `plinth node`.

use crate::application::{Ledger, LedgerConfig, Scheme};
use crate::block::{digest_of, Block, Digest};
use crate::gossip;
use commonware_broadcast::buffered;
use commonware_consensus::marshal::{
    core::{Actor, Mailbox},
    resolver::p2p as resolver,
    standard::{Inline, Standard},
    Config as MarshalConfig, Start,
};
use commonware_consensus::simplex::{
    self,
    config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
    elector::RoundRobin,
};
use commonware_consensus::types::{Epoch, Epocher as _, FixedEpocher, ViewDelta};
use commonware_consensus::{CertifiableAutomaton, Relay, Reporter};
use commonware_cryptography::{
    certificate::{Provider as CertificateProvider, Scoped, Verifier as _},
    ed25519,
    sha256::Sha256,
    Digested, Digestible as _, Signer as _,
};
use commonware_macros::select;
use commonware_p2p::utils::mux::{Builder as _, MuxHandle, Muxer, SubReceiver, SubSender};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, Clock, Handle, Metrics, Spawner, Storage};
use commonware_storage::archive::immutable;
use commonware_utils::{ordered::Set, vec::NonEmptyVec, NZDuration, NZUsize, NZU16, NZU64};
use futures::StreamExt as _;
use plinth_node::Node;
use rand_core::CryptoRng;
use std::collections::BTreeMap;
use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Channel numbers on the p2p network.
pub mod channel {
    /// Simplex votes.
    pub const VOTES: u64 = 0;
    /// Simplex certificates (notarizations, finalizations).
    pub const CERTIFICATES: u64 = 1;
    /// Simplex's fetches of missing certificates.
    pub const RESOLVER: u64 = 2;
    /// Whole blocks, broadcast by marshal's buffer.
    pub const BLOCKS: u64 = 3;
    /// Marshal's backfill of blocks a validator missed.
    pub const BACKFILL: u64 = 4;
    /// Transaction gossip between mempools.
    pub const TXS: u64 = 5;
}

/// The six channels one validator uses.
pub struct Channels<S, R> {
    /// [`channel::VOTES`]: sender and receiver.
    pub votes: (S, R),
    /// [`channel::CERTIFICATES`].
    pub certificates: (S, R),
    /// [`channel::RESOLVER`].
    pub resolver: (S, R),
    /// [`channel::BLOCKS`].
    pub blocks: (S, R),
    /// [`channel::BACKFILL`].
    pub backfill: (S, R),
    /// [`channel::TXS`].
    pub txs: (S, R),
}

/// Consensus timing.
#[derive(Debug, Clone)]
pub struct Timeouts {
    /// How long to wait for the leader's proposal before voting to skip the view.
    pub leader: Duration,
    /// How long to wait for a notarization before voting to skip the view.
    pub certification: Duration,
    /// How often to resend a skip vote while a view is stuck.
    pub retry: Duration,
    /// How long to wait for a peer's answer to a fetch.
    pub fetch: Duration,
}

impl Timeouts {
    /// Timeouts for a chain whose blocks come every `block_time`: a proposer
    /// waits that long before building, so the leader timeout is longer.
    pub fn for_block_time(block_time: Duration) -> Timeouts {
        let leader = block_time * 2 + Duration::from_secs(1);
        Timeouts {
            leader,
            certification: leader * 2,
            retry: Duration::from_secs(5),
            fetch: Duration::from_secs(2),
        }
    }
}

/// What one validator needs besides its node and its network.
pub struct ValidatorConfig {
    /// The validator's key: its p2p identity and its consensus signing key.
    pub signer: ed25519::PrivateKey,
    /// The genesis validator set (the set of every epoch on a chain without a
    /// `[validator_set]` section; otherwise read from the ledger's state).
    pub participants: Set<ed25519::PublicKey>,
    /// Separates this chain's consensus signatures from any other's.
    pub namespace: Vec<u8>,
    /// Prefix of the names of the consensus journals and archives.
    pub partition_prefix: String,
    /// How the ledger application builds and checks blocks.
    pub ledger: LedgerConfig,
    /// Consensus timing.
    pub timeouts: Timeouts,
    /// Tells the p2p network which peers matter for a validator epoch (called
    /// with the epoch and its set when the validator enters it).
    pub track: PeerTracker,
}

/// See [`ValidatorConfig::track`].
pub type PeerTracker = Box<dyn FnMut(u64, Set<ed25519::PublicKey>) + Send>;

/// The namespace of a chain's consensus messages.
pub fn namespace(chain_id: &str) -> Vec<u8> {
    format!("plinth/{chain_id}/consensus/v1").into_bytes()
}

/// The largest message on any channel, for the p2p configuration.
pub fn max_message_size(ledger: &LedgerConfig) -> u32 {
    // A block is its transactions plus a header and signature of well under 1 KiB;
    // votes and certificates of a small ed25519 set are far smaller.
    let block = ledger.max_block_bytes + 64 * 1024;
    block.max(gossip::MAX_GOSSIP_BYTES) as u32 + 1024
}

/// Converts a ledger public key to the consensus one.
pub fn consensus_key(key: &plinth_core::PublicKey) -> Option<ed25519::PublicKey> {
    use commonware_codec::DecodeExt as _;
    ed25519::PublicKey::decode(key.0.to_vec()).ok()
}

/// The consensus validator set of ledger validator addresses (`None` if a key is
/// invalid or listed twice).
pub fn validator_set(addresses: &[plinth_core::Address]) -> Option<Set<ed25519::PublicKey>> {
    let keys: Option<Vec<ed25519::PublicKey>> =
        addresses.iter().map(|a| consensus_key(&a.0)).collect();
    Set::try_from(keys?).ok()
}

/// Converts a ledger secret seed to the consensus signer.
pub fn consensus_signer(seed: [u8; 32]) -> ed25519::PrivateKey {
    use commonware_codec::DecodeExt as _;
    ed25519::PrivateKey::decode(seed.to_vec()).expect("any 32 bytes are an ed25519 seed")
}

const PAGE_SIZE: u16 = 4096;
const PAGE_CACHE: usize = 1024;
const ITEMS_PER_SECTION: NonZeroU64 = NZU64!(1024);

fn archive_config<C>(prefix: &str, name: &str, codec: C, cache: &CacheRef) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 64,
        freezer_table_resize_frequency: 10,
        freezer_table_resize_chunk_size: 10,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1 << 20,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        codec_config: codec,
        replay_buffer: NZUsize!(1 << 16),
        freezer_key_write_buffer: NZUsize!(1 << 16),
        freezer_value_write_buffer: NZUsize!(1 << 16),
        ordinal_write_buffer: NZUsize!(1 << 16),
    }
}

/// Starts one validator under `context`. Returns the handle of its supervising
/// task: aborting it stops every part of the validator (a crash, in tests).
pub fn start<E, S, R, P, B>(
    context: E,
    ledger: Ledger,
    cfg: ValidatorConfig,
    peers: P,
    blocker: B,
    channels: Channels<S, R>,
) -> Handle<()>
where
    E: Clock + Spawner + Metrics + Storage + CryptoRng + rand_core::Rng,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    context.spawn(move |context| async move {
        run(context, ledger, cfg, peers, blocker, channels).await;
    })
}

/// The runtime a validator runs under: the deterministic one in tests, tokio
/// in `plinth node`.
trait Runtime: Clock + Spawner + Metrics + Storage + CryptoRng + rand_core::Rng {}

impl<E: Clock + Spawner + Metrics + Storage + CryptoRng + rand_core::Rng> Runtime for E {}

/// The supervising task of one validator: reads where the chain is, starts
/// transaction gossip, marshal and the first epoch's simplex instance, then
/// runs the epoch loop until marshal or a channel stops.
async fn run<E, S, R, P, B>(
    context: E,
    ledger: Ledger,
    cfg: ValidatorConfig,
    peers: P,
    blocker: B,
    channels: Channels<S, R>,
) where
    E: Runtime,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    let public_key = cfg.signer.public_key();
    let shared = Shared {
        public_key: public_key.clone(),
        max_block: cfg.ledger.max_block_bytes + 64 * 1024,
        mailbox_size: NZUsize!(1024),
        page_cache: CacheRef::new(NZU16!(PAGE_SIZE), NZUsize!(PAGE_CACHE)),
        prefix: cfg.partition_prefix,
    };

    // Where the chain is: the epoch to run, its validator set and its genesis
    // (the previous epoch's last block).
    let node = ledger.node().clone();
    let start = match epoch_start(&node, &cfg.participants) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the validator set; not starting");
            return;
        }
    };
    let epocher = start.epocher();
    let schemes = EpochSchemes::default();

    start_gossip(&context, &node, channels.txs);
    let marshal = start_marshal(
        &context,
        &shared,
        &ledger,
        MarshalNetwork {
            peers: peers.clone(),
            blocker: blocker.clone(),
            fetch_timeout: cfg.timeouts.fetch,
            blocks: channels.blocks,
            backfill: channels.backfill,
        },
        &schemes,
        &epocher,
    )
    .await;
    let (subchannels, vote_backup) = EpochChannels::start(
        &context,
        channels.votes,
        channels.certificates,
        channels.resolver,
    );

    let app = Inline::new(
        context.child("application"),
        ledger,
        marshal.mailbox.clone(),
        epocher.clone(),
    );
    let engines = EpochEngines {
        context: context.child("epochs"),
        namespace: cfg.namespace,
        signer: cfg.signer,
        schemes,
        blocker,
        app,
        shared,
        timeouts: cfg.timeouts,
    };
    let mut epochs = Epochs::new(engines, subchannels, cfg.track, &start, node);
    epochs.enter(start.epoch, start.set, start.floor).await;
    tracing::info!(validator = %public_key, epoch = start.epoch, "validator started");
    epochs.run(context, marshal, vote_backup, epocher).await;
}

/// Settings marshal, the block buffer, the backfill resolver and the simplex
/// instances share.
struct Shared {
    /// The validator's p2p identity.
    public_key: ed25519::PublicKey,
    /// The largest encoded block, for the codecs.
    max_block: usize,
    /// The size of every actor's mailbox.
    mailbox_size: NonZeroUsize,
    /// The page cache of every journal and archive.
    page_cache: CacheRef,
    /// Prefix of the names of the consensus journals and archives.
    prefix: String,
}

/// Starts transaction gossip: the node's outbox to the `txs` channel, and the
/// channel's transactions into the node's mempool.
fn start_gossip<E, S, R>(context: &E, node: &Arc<Node>, txs: (S, R))
where
    E: Clock + Spawner,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    let (outbox_tx, outbox_rx) = tokio::sync::mpsc::unbounded_channel();
    node.set_gossip(outbox_tx);
    let (tx_sender, tx_receiver) = txs;
    let gossip_out = node.clone();
    context
        .child("gossip_out")
        .spawn(move |context| gossip::run_sender(context, gossip_out, tx_sender, outbox_rx));
    let gossip_node = node.clone();
    context
        .child("gossip_in")
        .dedicated()
        .spawn(move |_| gossip::run_receiver(gossip_node, tx_receiver));
}

/// The p2p side of marshal: its peers, the two channels it uses and how long
/// it waits for a peer's answer.
struct MarshalNetwork<P, B, S, R> {
    peers: P,
    blocker: B,
    fetch_timeout: Duration,
    /// [`channel::BLOCKS`].
    blocks: (S, R),
    /// [`channel::BACKFILL`].
    backfill: (S, R),
}

/// A running marshal and the stream of heights the ledger committed.
struct Marshal {
    /// Marshal's mailbox (the application's, and the epoch loop's hints).
    mailbox: Mailbox<Scheme, Standard<Block>>,
    /// Marshal's task: when it ends, the validator stops.
    handle: Handle<()>,
    /// Each height the committer wrote to the store, in order.
    committed: futures::channel::mpsc::UnboundedReceiver<u64>,
}

/// Starts block delivery: the backfill resolver, the block broadcast buffer,
/// marshal over its two archives, and the committer that writes what marshal
/// finalizes to the store.
async fn start_marshal<E, S, R, P, B>(
    context: &E,
    shared: &Shared,
    ledger: &Ledger,
    network: MarshalNetwork<P, B, S, R>,
    schemes: &EpochSchemes,
    epocher: &FixedEpocher,
) -> Marshal
where
    E: Runtime,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    // Backfill of missing blocks and finalizations from peers.
    let resolver_cfg = resolver::Config {
        public_key: shared.public_key.clone(),
        peer_provider: network.peers.clone(),
        blocker: network.blocker,
        mailbox_size: shared.mailbox_size,
        fetch_timeout: NZDuration!(network.fetch_timeout),
        fetch_retry_delay: Duration::from_millis(100),
        priority_requests: false,
        priority_responses: false,
    };
    let backfill = resolver::init(context.child("resolver"), resolver_cfg, network.backfill);

    // Whole blocks from their proposers.
    let (buffer_engine, buffer) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: shared.public_key.clone(),
            mailbox_size: shared.mailbox_size,
            deque_size: 10,
            priority: false,
            codec_config: shared.max_block,
            peer_provider: network.peers,
            strategy: Sequential,
        },
    );
    buffer_engine.start(network.blocks);

    // Marshal: finalized blocks in order, persisted, delivered to the ledger.
    let (prefix, cache) = (&shared.prefix, &shared.page_cache);
    let finalizations = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            prefix,
            "finalizations-by-height",
            Scheme::certificate_codec_config_unbounded(),
            cache,
        ),
    )
    .await
    .expect("finalizations archive opens");
    let blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(prefix, "finalized-blocks", shared.max_block, cache),
    )
    .await
    .expect("blocks archive opens");
    let config = marshal_config(shared, ledger.genesis(), schemes, epocher);
    let (actor, mailbox, _floor) =
        Actor::init(context.child("marshal"), finalizations, blocks, config).await;
    let (finalizer, finalized) = ledger.finalizer();
    let (committed_tx, committed) = futures::channel::mpsc::unbounded::<u64>();
    let committer = ledger.clone();
    context.child("committer").dedicated().spawn(move |_| {
        committer.run_committer(finalized, move |height| {
            let _ = committed_tx.unbounded_send(height);
        })
    });
    let handle = actor.start(finalizer, buffer, backfill);
    Marshal {
        mailbox,
        handle,
        committed,
    }
}

/// Marshal's configuration: the chain starts at `genesis`; each epoch's
/// finalizations are checked with its scheme in `schemes`.
fn marshal_config(
    shared: &Shared,
    genesis: Block,
    schemes: &EpochSchemes,
    epocher: &FixedEpocher,
) -> MarshalConfig<EpochSchemes, FixedEpocher, Sequential, Block, Digested<Block>> {
    let genesis_digest = genesis.digest();
    MarshalConfig {
        provider: schemes.clone(),
        epocher: epocher.clone(),
        start: Start::Genesis(Digested::precomputed(genesis, genesis_digest)),
        partition_prefix: format!("{}-marshal", shared.prefix),
        mailbox_size: shared.mailbox_size,
        view_retention: ViewDelta::new(10),
        prunable_items_per_section: NZU64!(10),
        page_cache: shared.page_cache.clone(),
        replay_buffer: NZUsize!(1 << 16),
        key_write_buffer: NZUsize!(1 << 16),
        value_write_buffer: NZUsize!(1 << 16),
        block_codec_config: shared.max_block,
        max_repair: NZUsize!(64),
        max_pending_acks: NZUsize!(16),
        strategy: Sequential,
    }
}

/// Votes from epochs no simplex instance runs: `(epoch, (sender, message))`.
type VoteBackup =
    commonware_utils::channel::mpsc::Receiver<(u64, commonware_p2p::Message<ed25519::PublicKey>)>;

/// The three consensus channels, each split into one sub-channel per epoch.
struct EpochChannels<S: Sender> {
    votes: MuxHandle<S>,
    certificates: MuxHandle<S>,
    resolvers: MuxHandle<S>,
}

impl<S: Sender<PublicKey = ed25519::PublicKey>> EpochChannels<S> {
    /// Starts the muxers of the vote, certificate and resolver channels. Votes
    /// of an epoch without a sub-channel come out of the returned backup.
    fn start<E, R>(
        context: &E,
        votes: (S, R),
        certificates: (S, R),
        resolver: (S, R),
    ) -> (Self, VoteBackup)
    where
        E: Spawner,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        let (vote_mux, votes, vote_backup) =
            Muxer::builder(context.child("vote_mux"), votes.0, votes.1)
                .with_backup()
                .build();
        vote_mux.start();
        let (certificate_mux, certificates) = Muxer::new(
            context.child("certificate_mux"),
            certificates.0,
            certificates.1,
        );
        certificate_mux.start();
        let (resolver_mux, resolvers) =
            Muxer::new(context.child("resolver_mux"), resolver.0, resolver.1);
        resolver_mux.start();
        let channels = EpochChannels {
            votes,
            certificates,
            resolvers,
        };
        (channels, vote_backup)
    }

    /// The vote, certificate and resolver sub-channels of `epoch`.
    async fn register(&mut self, epoch: u64) -> [(SubSender<S>, SubReceiver<S::PublicKey>); 3] {
        [
            self.votes.register(epoch).await.expect("vote sub-channel"),
            self.certificates
                .register(epoch)
                .await
                .expect("certificate sub-channel"),
            self.resolvers
                .register(epoch)
                .await
                .expect("resolver sub-channel"),
        ]
    }
}

/// The validator epochs a validator runs, and what entering the next needs.
struct Epochs<E, B, A, S: Sender> {
    /// The simplex instance of each epoch still running.
    running: BTreeMap<u64, Handle<()>>,
    engines: EpochEngines<E, B, A>,
    subchannels: EpochChannels<S>,
    track: PeerTracker,
    /// The set the newest epoch runs with: the fallback should the next one be
    /// unusable.
    newest_set: Set<ed25519::PublicKey>,
    /// Blocks per epoch; `None` on a chain with one epoch.
    epoch_blocks: Option<u64>,
    /// A boundary block whose next set could not be read yet (a store error):
    /// retried, never a reason to stop.
    unread: Option<u64>,
    node: Arc<Node>,
}

impl<E, B, A, S> Epochs<E, B, A, S>
where
    E: Runtime,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    A: EpochApplication,
    S: Sender<PublicKey = ed25519::PublicKey>,
{
    /// The epoch loop's state before the first epoch is entered: at `start`,
    /// none running.
    fn new(
        engines: EpochEngines<E, B, A>,
        subchannels: EpochChannels<S>,
        track: PeerTracker,
        start: &EpochStart,
        node: Arc<Node>,
    ) -> Self {
        Epochs {
            running: BTreeMap::new(),
            engines,
            subchannels,
            track,
            newest_set: start.set.clone(),
            epoch_blocks: start.epoch_blocks,
            unread: None,
            node,
        }
    }

    /// The epoch loop: leaves epochs once a later one has a finalized block,
    /// enters the next at each boundary block, and asks marshal to fetch a
    /// boundary it missed. Ends when marshal stops or a channel closes; never
    /// because a next set cannot be read (that is retried every [`SET_RETRY`]).
    async fn run(
        mut self,
        context: E,
        marshal: Marshal,
        mut vote_backup: VoteBackup,
        epocher: FixedEpocher,
    ) {
        let Marshal {
            mailbox,
            mut handle,
            mut committed,
        } = marshal;
        loop {
            let current = *self.running.keys().last().expect("an epoch runs");
            let boundary = select! {
                _ = &mut handle => {
                    tracing::error!("marshal stopped");
                    break;
                },
                height = committed.next() => {
                    let Some(height) = height else { break };
                    self.committed(height)
                },
                message = vote_backup.recv() => {
                    let Some((their_epoch, (from, _))) = message else { break };
                    // A vote from a later epoch than any we run means we
                    // missed a boundary: marshal fetches that boundary's
                    // finalization from the sender.
                    if their_epoch > current {
                        if let Some(boundary) = epocher.last(Epoch::new(current)) {
                            mailbox.hint_finalized(boundary, NonEmptyVec::new(from));
                        }
                    }
                    None
                },
                _ = context.sleep(SET_RETRY) => self.unread,
            };
            if let Some(height) = boundary {
                self.enter_after(height).await;
            }
        }
    }

    /// Takes in a committed height: leaves the epochs before its own, and
    /// returns the boundary whose next epoch is still to enter, if any.
    fn committed(&mut self, height: u64) -> Option<u64> {
        let epoch_blocks = self.epoch_blocks?;
        // Once the next epoch has a finalized block, the earlier ones are
        // done: a validator still in them catches up through marshal.
        let epoch = height / epoch_blocks;
        let old: Vec<u64> = self.running.range(..epoch).map(|(e, _)| *e).collect();
        for old in old {
            if let Some(h) = self.running.remove(&old) {
                h.abort();
                tracing::info!(epoch = old, "left validator epoch");
            }
        }
        if plinth_ledger::validators::is_last_in_epoch(height, epoch_blocks)
            && !self.running.contains_key(&(epoch + 1))
        {
            return Some(height);
        }
        self.unread
    }

    /// Enters the epoch after boundary block `height` unless it runs already;
    /// should its set not be read yet, keeps `height` to retry.
    async fn enter_after(&mut self, height: u64) {
        let Some(epoch_blocks) = self.epoch_blocks else {
            return;
        };
        let epoch = height / epoch_blocks + 1;
        if self.running.contains_key(&epoch) {
            self.unread = None;
            return;
        }
        // The boundary block is final: its state names the next set.
        let (set, floor) = match next_set(&self.node, height, &self.newest_set) {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(error = %e, height, "cannot read the next validator set yet; retrying");
                self.unread = Some(height);
                return;
            }
        };
        self.unread = None;
        self.enter(epoch, set, floor).await;
        tracing::info!(epoch, "entered validator epoch");
    }

    /// Starts the simplex instance of `epoch` with `set`, from `floor`, and
    /// tells the p2p network the set's peers.
    async fn enter(&mut self, epoch: u64, set: Set<ed25519::PublicKey>, floor: Digest) {
        (self.track)(epoch, set.clone());
        self.newest_set = set.clone();
        let engine = self.engines.engine(epoch, set, floor);
        let [votes, certificates, resolvers] = self.subchannels.register(epoch).await;
        let handle = engine.start(votes, certificates, resolvers);
        self.running.insert(epoch, handle);
    }
}

/// How long a validator waits before reading a next validator set again after
/// the store failed to give it.
const SET_RETRY: Duration = Duration::from_secs(1);

/// What starting a simplex instance for an epoch needs.
struct EpochEngines<E, B, A> {
    context: E,
    namespace: Vec<u8>,
    signer: ed25519::PrivateKey,
    schemes: EpochSchemes,
    blocker: B,
    app: A,
    shared: Shared,
    timeouts: Timeouts,
}

/// What a simplex instance needs of its application: it proposes and
/// verifies blocks, relays them, and hears of every vote and certificate.
trait EpochApplication:
    CertifiableAutomaton<Context = SimplexContext, Digest = Digest>
    + Relay<Digest = Digest, PublicKey = ed25519::PublicKey, Plan = SimplexPlan>
    + Reporter<Activity = SimplexActivity>
{
}

impl<A> EpochApplication for A where
    A: CertifiableAutomaton<Context = SimplexContext, Digest = Digest>
        + Relay<Digest = Digest, PublicKey = ed25519::PublicKey, Plan = SimplexPlan>
        + Reporter<Activity = SimplexActivity>
{
}

/// The consensus context a block is proposed in.
type SimplexContext = simplex::types::Context<Digest, ed25519::PublicKey>;
/// Whom a proposer relays its block to.
type SimplexPlan = simplex::Plan<ed25519::PublicKey>;
/// A vote or certificate simplex reports.
type SimplexActivity = simplex::types::Activity<Scheme, Digest>;

impl<E, B, A> EpochEngines<E, B, A>
where
    E: Runtime,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    A: EpochApplication,
{
    /// The simplex instance of `epoch`, signing if this validator is in `set`
    /// (an observer otherwise); registers the epoch's scheme for marshal.
    fn engine(
        &self,
        epoch: u64,
        set: Set<ed25519::PublicKey>,
        floor: Digest,
    ) -> simplex::Engine<E, Scheme, RoundRobin<Sha256>, B, Digest, A, A, A, Sequential> {
        let scheme = match Scheme::signer(&self.namespace, set.clone(), self.signer.clone()) {
            Some(s) => {
                self.schemes
                    .register(epoch, Scoped::scheme(Arc::new(s.clone())));
                s
            }
            None => {
                let v = Scheme::verifier(&self.namespace, set);
                self.schemes
                    .register(epoch, Scoped::verifier(Arc::new(v.clone())));
                v
            }
        };
        let t = &self.timeouts;
        simplex::Engine::new(
            self.context.child("simplex").with_attribute("epoch", epoch),
            simplex::config::Config {
                scheme,
                elector: RoundRobin::<Sha256>::default(),
                blocker: self.blocker.clone(),
                automaton: self.app.clone(),
                relay: self.app.clone(),
                reporter: self.app.clone(),
                strategy: Sequential,
                partition: format!("{}-simplex-{epoch}", self.shared.prefix),
                mailbox_size: self.shared.mailbox_size,
                epoch: Epoch::new(epoch),
                floor: Floor::Genesis(floor),
                replay_buffer: NZUsize!(1 << 16),
                write_buffer: NZUsize!(1 << 16),
                page_cache: self.shared.page_cache.clone(),
                leader_timeout: t.leader,
                certification_timeout: t.certification,
                timeout_retry: t.retry,
                view_retention: ViewDelta::new(10),
                skip: SkipPolicy::Enabled {
                    timeout: t.certification + t.retry,
                    budget: SkipBudget::Participants,
                },
                fetch_timeout: NZDuration!(t.fetch),
                fetch_retry_delay: Duration::from_millis(100),
                forward: ForwardPolicy::SilentVoters,
                track_historical_votes: false,
            },
        )
    }
}

/// Where a validator starts: the epoch after its finalized head, that epoch's
/// set and genesis.
struct EpochStart {
    epoch_blocks: Option<u64>,
    epoch: u64,
    set: Set<ed25519::PublicKey>,
    floor: Digest,
}

impl EpochStart {
    /// Where each epoch begins and ends (one endless epoch on a chain
    /// without epochs).
    fn epocher(&self) -> FixedEpocher {
        FixedEpocher::new(NonZeroU64::new(self.epoch_blocks.unwrap_or(u64::MAX)).expect("non-zero"))
    }
}

/// Why the validator set could not be read from the store.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] plinth_store::StoreError),
    /// The ledger could not read the set from state.
    #[error(transparent)]
    Ledger(#[from] plinth_ledger::LedgerError),
    /// A key of the set in state is not a consensus key, or keys repeat.
    #[error("the validator set in state is not a valid consensus set")]
    Invalid,
    /// A block the set's epoch needs is not in the store (the height).
    #[error("block {0} is missing from the store")]
    MissingBlock(u64),
}

fn block_digest(node: &Node, height: u64) -> Result<Digest, SetError> {
    let block = node
        .store
        .block(height)?
        .ok_or(SetError::MissingBlock(height))?;
    Ok(digest_of(&block.hash()))
}

fn epoch_start(node: &Node, genesis_set: &Set<ed25519::PublicKey>) -> Result<EpochStart, SetError> {
    let head = node.store.head()?.height;
    let snapshot = node.store.snapshot()?;
    match plinth_ledger::validators::current(&snapshot)? {
        None => Ok(EpochStart {
            epoch_blocks: None,
            epoch: 0,
            set: genesis_set.clone(),
            floor: block_digest(node, 0)?,
        }),
        Some((epoch_blocks, members)) => {
            // The state after the head names the set of the epoch the next block
            // is in: it changes only at the end of an epoch's last block.
            let epoch = (head + 1) / epoch_blocks;
            let floor = if epoch == 0 {
                0
            } else {
                epoch * epoch_blocks - 1
            };
            Ok(EpochStart {
                epoch_blocks: Some(epoch_blocks),
                epoch,
                set: validator_set(&members).ok_or(SetError::Invalid)?,
                floor: block_digest(node, floor)?,
            })
        }
    }
}

/// The set and genesis of the epoch after boundary block `height`. The ledger
/// admits only sets consensus can run ([`plinth_ledger::validators::check_set`]);
/// should the state name one all the same, the epoch keeps `fallback` (the set
/// before it) rather than stop: every validator reads the same state, so all
/// fall back alike. Errors are the store's, worth a retry.
fn next_set(
    node: &Node,
    height: u64,
    fallback: &Set<ed25519::PublicKey>,
) -> Result<(Set<ed25519::PublicKey>, Digest), SetError> {
    let snapshot = node.store.snapshot()?;
    let members = plinth_ledger::validators::current(&snapshot)?.map(|(_, m)| m);
    let set = match members.as_deref().and_then(validator_set) {
        Some(set) if !set.is_empty() => set,
        _ => {
            tracing::error!(
                height,
                "the next validator set in state is not a valid consensus set; keeping the current one"
            );
            fallback.clone()
        }
    };
    Ok((set, block_digest(node, height)?))
}

/// The signing scheme of each epoch a validator has entered, for marshal (which
/// verifies finalizations with it) and the simplex instances.
#[derive(Clone, Default)]
pub struct EpochSchemes {
    inner: Arc<Mutex<BTreeMap<u64, Scoped<Scheme>>>>,
}

impl EpochSchemes {
    fn register(&self, epoch: u64, scoped: Scoped<Scheme>) {
        self.inner
            .lock()
            .expect("schemes lock")
            .insert(epoch, scoped);
    }
}

impl CertificateProvider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Scoped<Scheme>> {
        self.inner
            .lock()
            .expect("schemes lock")
            .get(&epoch.get())
            .cloned()
    }
}

/// The smallest `NonZeroUsize` helper for callers configuring p2p.
pub fn peers_per_set(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n.max(1)).expect("non-zero")
}
