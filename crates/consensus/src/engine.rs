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

use crate::application::{Ledger, LedgerConfig, Scheme, EPOCH};
use crate::gossip;
use commonware_broadcast::buffered;
use commonware_consensus::marshal::{
    core::Actor, resolver::p2p as resolver, standard::Inline, Config as MarshalConfig, Start,
};
use commonware_consensus::simplex::{
    self,
    config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
    elector::RoundRobin,
};
use commonware_consensus::types::{FixedEpocher, ViewDelta};
use commonware_cryptography::{
    certificate::{ConstantProvider, Verifier as _},
    ed25519,
    sha256::Sha256,
    Digested, Digestible as _, Signer as _,
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, Clock, Handle, Metrics, Spawner, Storage};
use commonware_storage::archive::immutable;
use commonware_utils::{ordered::Set, NZDuration, NZUsize, NZU16, NZU64};
use rand_core::CryptoRng;
use std::num::{NonZeroU64, NonZeroUsize};
use std::time::Duration;

/// Channel numbers on the p2p network.
pub mod channel {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BLOCKS: u64 = 3;
    pub const BACKFILL: u64 = 4;
    pub const TXS: u64 = 5;
}

/// The six channels one validator uses.
pub struct Channels<S, R> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub resolver: (S, R),
    pub blocks: (S, R),
    pub backfill: (S, R),
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
    /// The validator set, in the order of [`Set`].
    pub participants: Set<ed25519::PublicKey>,
    /// Separates this chain's consensus signatures from any other's.
    pub namespace: Vec<u8>,
    /// Prefix of the names of the consensus journals and archives.
    pub partition_prefix: String,
    pub ledger: LedgerConfig,
    pub timeouts: Timeouts,
}

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

async fn run<E, S, R, P, B>(
    context: E,
    ledger: Ledger,
    cfg: ValidatorConfig,
    peers: P,
    blocker: B,
    channels: Channels<S, R>,
) where
    E: Clock + Spawner + Metrics + Storage + CryptoRng + rand_core::Rng,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    let public_key = cfg.signer.public_key();
    let scheme = Scheme::signer(&cfg.namespace, cfg.participants.clone(), cfg.signer.clone())
        .expect("this validator's key is in the validator set");
    let prefix = cfg.partition_prefix.clone();
    let max_block = cfg.ledger.max_block_bytes + 64 * 1024;
    let mailbox_size = NZUsize!(1024);
    let page_cache = CacheRef::new(NZU16!(PAGE_SIZE), NZUsize!(PAGE_CACHE));

    // Transaction gossip.
    let node = ledger.node().clone();
    let (outbox_tx, outbox_rx) = tokio::sync::mpsc::unbounded_channel();
    node.set_gossip(outbox_tx);
    let (tx_sender, tx_receiver) = channels.txs;
    context
        .child("gossip_out")
        .spawn(move |_| gossip::run_sender(tx_sender, outbox_rx));
    let gossip_node = node.clone();
    context
        .child("gossip_in")
        .dedicated()
        .spawn(move |_| gossip::run_receiver(gossip_node, tx_receiver));

    // Backfill of missing blocks and finalizations from peers.
    let resolver_cfg = resolver::Config {
        public_key: public_key.clone(),
        peer_provider: peers.clone(),
        blocker: blocker.clone(),
        mailbox_size,
        fetch_timeout: NZDuration!(cfg.timeouts.fetch),
        fetch_retry_delay: Duration::from_millis(100),
        priority_requests: false,
        priority_responses: false,
    };
    let backfill = resolver::init(context.child("resolver"), resolver_cfg, channels.backfill);

    // Whole blocks from their proposers.
    let (buffer_engine, buffer) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: public_key.clone(),
            mailbox_size,
            deque_size: 10,
            priority: false,
            codec_config: max_block,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    buffer_engine.start(channels.blocks);

    // Marshal: finalized blocks in order, persisted, delivered to the ledger.
    let finalizations = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations-by-height",
            Scheme::certificate_codec_config_unbounded(),
            &page_cache,
        ),
    )
    .await
    .expect("finalizations archive opens");
    let blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&prefix, "finalized-blocks", max_block, &page_cache),
    )
    .await
    .expect("blocks archive opens");
    // Blocks of a static set are all in one epoch.
    let epocher = FixedEpocher::new(NonZeroU64::new(u64::MAX).expect("non-zero"));
    let genesis = ledger.genesis();
    let genesis_digest = genesis.digest();
    let (actor, marshal, _floor) = Actor::init(
        context.child("marshal"),
        finalizations,
        blocks,
        MarshalConfig {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(Digested::precomputed(genesis, genesis_digest)),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size,
            view_retention: ViewDelta::new(10),
            prunable_items_per_section: NZU64!(10),
            page_cache: page_cache.clone(),
            replay_buffer: NZUsize!(1 << 16),
            key_write_buffer: NZUsize!(1 << 16),
            value_write_buffer: NZUsize!(1 << 16),
            block_codec_config: max_block,
            max_repair: NZUsize!(64),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;
    let (finalizer, finalized) = ledger.finalizer();
    let committer = ledger.clone();
    context
        .child("committer")
        .dedicated()
        .spawn(move |_| committer.run_committer(finalized));
    let marshal_handle = actor.start(finalizer, buffer, backfill);

    // Simplex over the ledger, verifying each block before voting for it.
    let app = Inline::new(context.child("application"), ledger, marshal, epocher);
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker,
            automaton: app.clone(),
            relay: app.clone(),
            reporter: app,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size,
            epoch: EPOCH,
            floor: Floor::Genesis(genesis_digest),
            replay_buffer: NZUsize!(1 << 16),
            write_buffer: NZUsize!(1 << 16),
            page_cache,
            leader_timeout: cfg.timeouts.leader,
            certification_timeout: cfg.timeouts.certification,
            timeout_retry: cfg.timeouts.retry,
            view_retention: ViewDelta::new(10),
            skip: SkipPolicy::Enabled {
                timeout: cfg.timeouts.certification + cfg.timeouts.retry,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(cfg.timeouts.fetch),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::SilentVoters,
            track_historical_votes: false,
        },
    );
    let engine_handle = engine.start(channels.votes, channels.certificates, channels.resolver);
    tracing::info!(validator = %public_key, "validator started");
    let _ = futures::future::join(engine_handle, marshal_handle).await;
}

/// The smallest `NonZeroUsize` helper for callers configuring p2p.
pub fn peers_per_set(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n.max(1)).expect("non-zero")
}
