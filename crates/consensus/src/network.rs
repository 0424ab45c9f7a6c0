//! Real networking for a validator: commonware's authenticated `lookup` p2p.
//!
//! Every validator knows every other validator's key and address (they are in
//! its configuration, written by `plinth testnet init`), so peers are not
//! discovered by gossip: the application supplies the address book, which rules
//! out address poisoning. Connections are authenticated by the validators'
//! ed25519 keys and encrypted (commonware's `sake` handshake, `cups` stream with
//! ChaCha20-Poly1305).

use crate::engine::{channel, max_message_size, Channels, PeerTracker};
use crate::LedgerConfig;
use commonware_cryptography::{ed25519, ChaCha20Poly1305};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager as _};
use commonware_runtime::{Clock, Handle, Metrics, Network, Quota, Resolver, Spawner};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{ordered::Map, NZUsize, NZU32};
use rand_core::CryptoRng;
use std::net::SocketAddr;
use std::time::Duration;

/// One validator's p2p identity and address.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The validator's key: its p2p identity.
    pub key: ed25519::PublicKey,
    /// Where it listens.
    pub address: SocketAddr,
}

/// The p2p network's handles once started.
pub struct Started<E: Spawner + Clock + Metrics> {
    /// Tracks peers; also the blocker and the peer provider consensus uses.
    pub oracle: lookup::Oracle<ed25519::PublicKey>,
    /// The six channels the engine runs over.
    pub channels:
        Channels<lookup::Sender<ed25519::PublicKey, E>, lookup::Receiver<ed25519::PublicKey>>,
    /// The network's task: it runs until aborted.
    pub handle: Handle<()>,
    /// Every validator's address: the peers of every validator epoch.
    pub book: Map<ed25519::PublicKey, Address>,
}

impl<E: Spawner + Clock + Metrics> Started<E> {
    /// The engine's [`PeerTracker`]: each validator epoch connects to every
    /// validator of the address book (past, current and future members alike,
    /// so that a validator leaving the set still serves blocks to late joiners).
    pub fn tracker(&self) -> PeerTracker {
        let mut oracle = self.oracle.clone();
        let book = self.book.clone();
        Box::new(move |epoch, _set| {
            let _ = oracle.track(epoch, book.clone());
        })
    }
}

/// Why the network cannot start.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// Two validators of the configuration have the same key.
    #[error("validator keys in the configuration are not distinct")]
    DuplicatePeers,
}

/// Starts the lookup network on `listen` with `validators` (this one included)
/// as the only peers.
pub fn start<E>(
    context: E,
    signer: ed25519::PrivateKey,
    namespace: &[u8],
    listen: SocketAddr,
    validators: &[Peer],
    ledger: &LedgerConfig,
) -> Result<Started<E>, NetworkError>
where
    E: Spawner + Clock + CryptoRng + Network + Resolver + Metrics,
{
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer,
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let mut cfg = lookup::Config::local(
        handshake,
        namespace,
        listen,
        NZUsize!(validators.len().max(1)),
        max_message_size(ledger),
        NZUsize!(4096),
    );
    // Restarted validators reconnect quickly.
    cfg.peer_connection_cooldown = Duration::from_millis(250);
    cfg.dial_frequency = Duration::from_millis(200);
    cfg.ping_frequency = Duration::from_secs(1);
    let (mut network, oracle) = lookup::Network::new(context, cfg);
    let book: Map<ed25519::PublicKey, Address> = validators
        .iter()
        .map(|p| (p.key.clone(), Address::from(p.address)))
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| NetworkError::DuplicatePeers)?;
    let fast = Quota::per_second(NZU32!(10_000));
    let blocks = Quota::per_second(NZU32!(1_000));
    let channels = Channels {
        votes: network.register(channel::VOTES, fast),
        certificates: network.register(channel::CERTIFICATES, fast),
        resolver: network.register(channel::RESOLVER, fast),
        blocks: network.register(channel::BLOCKS, blocks),
        backfill: network.register(channel::BACKFILL, blocks),
        txs: network.register(channel::TXS, blocks),
    };
    let handle = network.start();
    Ok(Started {
        oracle,
        channels,
        handle,
        book,
    })
}
