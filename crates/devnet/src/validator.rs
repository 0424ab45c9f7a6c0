//! `plinth node` as a member of a validator set: the ledger under commonware
//! simplex consensus over authenticated p2p, with the same HTTP API as a
//! single-validator node.
//!
//! ```text
//!  node.toml ─▶ Node (redb store, mempool) ─┬─▶ HTTP API /v1 (axum, same router as devnet)
//!                                           └─▶ plinth-consensus engine ◀─▶ lookup p2p (peers from node.toml)
//! ```
//!
//! Everything runs on commonware's tokio runtime, whose storage (consensus
//! journals and marshal's block archives) lives in `DATA_DIR/consensus`.
//!
//! An upgrade planned at height H that the binary does not know
//! ([`plinth_node::upgrade`]): no validator proposes or votes for block H, so
//! none finalizes past H−1. Each stops once it has committed H−1, after
//! [`halt_linger`] more of serving its peers (a validator a little behind still
//! gets H−1's block and finalization from them), and exits with
//! [`UpgradeNeeded`](plinth_node::upgrade::UpgradeNeeded). One further behind
//! catches up to H−1 when its peers come back with the upgraded binary, and
//! stops there too unless it runs that binary.

use crate::node::{
    node_parts, open_node, shutdown_signal, ConsensusFileConfig, NodeFileConfig, NodeParts,
};
use anyhow::{bail, Context, Result};
use commonware_runtime::{Runner as _, Supervisor as _};
use plinth_consensus::engine::{self, consensus_key, consensus_signer};
use plinth_consensus::network::{self, Peer};
use plinth_consensus::{Ledger, LedgerConfig, Timeouts, ValidatorConfig};
use plinth_core::Address;
use plinth_node::NodeConfig;
use std::time::Duration;

/// How long a validator that stopped for an upgrade keeps serving its peers
/// before it exits: ten blocks, and at least five seconds.
pub fn halt_linger(block_time: Duration) -> Duration {
    (block_time * 10).max(Duration::from_secs(5))
}

/// Runs a validator until SIGINT/SIGTERM, or until the chain reaches an upgrade
/// other than `known_upgrades` (the binary's): then it returns
/// [`UpgradeNeeded`](plinth_node::upgrade::UpgradeNeeded).
pub fn run(cfg: NodeFileConfig, known_upgrades: Vec<String>) -> Result<()> {
    let consensus: ConsensusFileConfig = cfg.consensus.clone().context("no [consensus]")?;
    let NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
        tls,
    } = node_parts(&cfg)?;

    // The address book holds at least the genesis validators (and may hold
    // nodes that can join the set later); a node outside the current set follows.
    let listed: Vec<Address> = consensus.validators.iter().map(|v| v.address).collect();
    let expected: Vec<Address> = genesis.validators.iter().map(|v| v.address).collect();
    if let Some(missing) = expected.iter().find(|a| !listed.contains(a)) {
        bail!("[consensus] validators lacks genesis validator {missing}");
    }
    let me = Address(key.public());
    let mut peers = Vec::new();
    for v in &consensus.validators {
        peers.push(Peer {
            key: consensus_key(&v.address.0).context("validator key")?,
            address: v.p2p,
        });
    }
    let participants = engine::validator_set(&expected).context("validator set")?;
    let namespace = engine::namespace(&genesis.chain_id);
    let mut seed = [0u8; 32];
    hex::decode_to_slice(key.secret_hex(), &mut seed).context("validator key")?;
    let signer = consensus_signer(seed);
    let ledger_cfg = LedgerConfig {
        block_time,
        ..LedgerConfig::default()
    };

    let config = NodeConfig {
        known_upgrades,
        ..NodeConfig::new(data_dir.clone(), block_time)
    };
    let node = open_node(genesis, key, config)?;
    let head = node.store.head()?;

    let runtime = commonware_runtime::tokio::Runner::new(
        commonware_runtime::tokio::Config::new()
            .with_storage_directory(data_dir.join("consensus"))
            .with_worker_threads(2),
    );
    runtime.start(|context| async move {
        let net = network::start(
            context.child("p2p"),
            signer.clone(),
            &namespace,
            consensus.listen,
            &peers,
            &ledger_cfg,
        )?;
        let ledger = Ledger::new(node.clone(), ledger_cfg.clone())?;
        let validator = engine::start(
            context.child("validator"),
            ledger,
            ValidatorConfig {
                signer,
                participants,
                namespace: namespace.clone(),
                partition_prefix: "plinth".into(),
                ledger: ledger_cfg,
                timeouts: Timeouts::for_block_time(block_time),
                track: net.tracker(),
            },
            net.oracle.clone(),
            net.oracle.clone(),
            net.channels,
        );

        let listener = crate::node::bind_http(rpc, tls).await?;
        let addr = listener.addr();
        let url = listener.url();
        let explorer = plinth_node::explorer::ExplorerConfig::default();
        let app = plinth_node::rpc::router_with(node.clone(), explorer);
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.changed().await;
                })
                .await
        });
        println!(
            "node {me} of `{}` at height {} ({} genesis validators, {} nodes in the address book)",
            node.params.chain_id,
            head.height,
            expected.len(),
            peers.len()
        );
        println!("  p2p  {}", consensus.listen);
        println!("  rpc  {url}/v1/status");
        println!("  data {}", data_dir.display());
        tracing::info!(%addr, p2p = %consensus.listen, "validator serving");

        let halted = tokio::select! {
            _ = shutdown_signal() => None,
            needed = node.halted() => Some(needed),
        };
        if let Some(needed) = &halted {
            // Peers a little behind still need H-1's block and finalization.
            eprintln!(
                "{needed}: serving peers {:?} more, then stopping",
                halt_linger(block_time)
            );
            tokio::select! {
                _ = shutdown_signal() => {}
                _ = tokio::time::sleep(halt_linger(block_time)) => {}
            }
        }
        eprintln!("stopping");
        let _ = stop_tx.send(true);
        validator.abort();
        net.handle.abort();
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
        eprintln!("stopped at height {}", node.store.head()?.height);
        halted.map_or(Ok(()), |needed| Err(needed.into()))
    })
}
