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

use crate::node::{node_parts, shutdown_signal, ConsensusFileConfig, NodeFileConfig, NodeParts};
use anyhow::{bail, Context, Result};
use commonware_runtime::{Runner as _, Supervisor as _};
use plinth_consensus::engine::{self, consensus_key, consensus_signer};
use plinth_consensus::network::{self, Peer};
use plinth_consensus::{Ledger, LedgerConfig, Timeouts, ValidatorConfig};
use plinth_core::Address;
use plinth_node::{Node, NodeConfig};

/// Runs a validator until SIGINT/SIGTERM.
pub fn run(cfg: NodeFileConfig) -> Result<()> {
    let consensus: ConsensusFileConfig = cfg.consensus.clone().context("no [consensus]")?;
    let NodeParts {
        genesis,
        key,
        data_dir,
        rpc,
        block_time,
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

    let node = Node::open(genesis, key, NodeConfig::new(data_dir.clone(), block_time))
        .with_context(|| format!("opening the chain in {}", data_dir.display()))?;
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

        let listener = crate::node::bind(rpc).await?;
        let addr = listener.local_addr()?;
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
        println!("  rpc  http://{addr}/v1/status");
        println!("  data {}", data_dir.display());
        tracing::info!(%addr, p2p = %consensus.listen, "validator serving");

        shutdown_signal().await;
        eprintln!("stopping");
        let _ = stop_tx.send(true);
        validator.abort();
        net.handle.abort();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), server).await;
        eprintln!("stopped at height {}", node.store.head()?.height);
        Ok::<(), anyhow::Error>(())
    })
}
