//! The networks by reward epoch, as the node keeps them (`GET /v1/networks?epoch=E`).
//!
//! Governance changes a network's share, usage split and family parameters, and
//! the emission's tail, from a reward epoch on, and adds networks. So every
//! computation of an epoch — its close, a co-signer's recomputation, an audit,
//! its beacon and storage rounds — takes the networks *of that epoch* from here:
//! each with its family rebuilt from that epoch's parameters and its allowance
//! for that epoch (what the ledger takes the epoch's manifest up to). Nothing
//! comes from the genesis or from what was read at start.
//!
//! ```text
//!  Oracle::networks_at(E) ─▶ cache ─▶ (miss) GET /v1/status, GET /v1/networks?epoch=E
//!                                     ─▶ EpochNetworks { E, [network + family + allowance] }
//! ```
//!
//! A change takes effect from the epoch after its executing block's, so an
//! epoch's values are settled once the chain's head is in that epoch or later:
//! such reads are kept (the [`KEPT_EPOCHS`] latest epochs); an epoch the head
//! has not reached yet is read again after [`UNSETTLED_MAX_AGE`].

use crate::chain::NetworkInfo;
use crate::epoch::EpochSpec;
use crate::Oracle;
use anyhow::{Context, Result};
use plinth_api::NodeClient;
use plinth_core::{FamilyKind, Hash};
use plinth_proofs::storage::StorageFamilyParams;
use plinth_proofs::{CoverageParams, EpochWindow, Family};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Most epochs whose networks are kept.
pub const KEPT_EPOCHS: usize = 256;
/// How long the networks of an epoch the head has not reached are used before
/// they are read again (a proposal may still change them).
pub const UNSETTLED_MAX_AGE: Duration = Duration::from_secs(1);

/// A network as in force in one epoch, with its family built from that epoch's
/// parameters.
#[derive(Debug, Clone)]
pub struct EpochNetwork {
    /// The node's view: share, usage split, parameters, allowance, epoch.
    pub info: NetworkInfo,
    /// Its proof family with the epoch's parameters, or why it is not scored.
    pub family: Result<Family, String>,
    /// A custom family's module, loaded from the ledger (see [`EpochNetwork::load_module`]).
    pub module: Option<plinth_wasm::Module>,
}

impl EpochNetwork {
    /// The network of `info`, its family built from `info.params`.
    pub fn new(info: NetworkInfo) -> EpochNetwork {
        let family = info.family().map_err(|e| e.to_string());
        EpochNetwork {
            info,
            family,
            module: None,
        }
    }

    /// For a custom (`wasm`) family, its module: read from the node's ledger
    /// (checked against its hash) and loaded, once per process for each hash.
    /// A module the ledger does not have, or that does not load, leaves the
    /// network unscored with the reason.
    pub fn load_module(&mut self, node: &NodeClient) {
        let Ok(Family::Wasm(p)) = &self.family else {
            return;
        };
        match family_module(node, &p.module) {
            Ok(m) => self.module = Some(m),
            Err(e) => self.family = Err(format!("family module {}: {e:#}", p.module)),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// What [`crate::epoch::compute`] needs to score this network's epoch
    /// `window` (of chain `chain`): the family, allowance and usage split of
    /// that epoch. `None` when the network is not scored (its family does not
    /// parse).
    pub fn spec(&self, chain: Hash, window: EpochWindow) -> Option<EpochSpec<'_>> {
        let family = self.family.as_ref().ok()?;
        Some(EpochSpec {
            chain,
            network: &self.info.name,
            family,
            window,
            allowance: self.info.allowance,
            usage_bps: self.info.usage_bps,
            wasm: self.module.as_ref(),
        })
    }
}

/// Every network as in force in one reward epoch.
#[derive(Debug, Clone)]
pub struct EpochNetworks {
    /// The epoch.
    pub epoch: u64,
    /// Its networks, in the node's order (by name).
    pub networks: Vec<EpochNetwork>,
}

impl EpochNetworks {
    /// The networks of `views`, which the node reported for `epoch`.
    pub fn new(epoch: u64, views: Vec<NetworkInfo>) -> EpochNetworks {
        EpochNetworks {
            epoch,
            networks: views.into_iter().map(EpochNetwork::new).collect(),
        }
    }

    /// Reads `epoch`'s networks from the node. Returns them and whether they are
    /// settled: the head was in `epoch` or later before they were read, so no
    /// proposal can change them any more.
    pub fn read(node: &NodeClient, epoch: u64) -> Result<(EpochNetworks, bool)> {
        let head_epoch = node.status().context("reading the chain's status")?.epoch;
        let views = node
            .networks_at(epoch)
            .with_context(|| format!("reading the networks of epoch {epoch}"))?;
        let mut networks = EpochNetworks::new(epoch, views);
        for n in &mut networks.networks {
            n.load_module(node);
        }
        Ok((networks, head_epoch >= epoch))
    }

    /// A network, by name.
    pub fn get(&self, name: &str) -> Option<&EpochNetwork> {
        self.networks.iter().find(|n| n.info.name == name)
    }

    /// The networks whose family parses: those the oracle scores.
    pub fn scored(&self) -> impl Iterator<Item = &EpochNetwork> {
        self.networks.iter().filter(|n| n.family.is_ok())
    }

    /// The node's views of every network.
    pub fn views(&self) -> Vec<NetworkInfo> {
        self.networks.iter().map(|n| n.info.clone()).collect()
    }

    /// The coverage networks and their parameters (they get beacon rounds).
    pub fn coverage(&self) -> Vec<(&str, &CoverageParams)> {
        self.networks
            .iter()
            .filter_map(|n| match &n.family {
                Ok(Family::Coverage(p)) => Some((n.name(), p)),
                _ => None,
            })
            .collect()
    }

    /// The storage networks and their parameters (they get storage rounds).
    pub fn storage(&self) -> Vec<(&str, &StorageFamilyParams)> {
        self.networks
            .iter()
            .filter_map(|n| match &n.family {
                Ok(Family::Storage(p)) => Some((n.name(), p)),
                _ => None,
            })
            .collect()
    }

    /// The custom (`wasm`) networks' names: each epoch's close hands them the
    /// state their module returned for the epoch before.
    pub fn wasm(&self) -> Vec<&str> {
        self.networks
            .iter()
            .filter(|n| matches!(n.family, Ok(Family::Wasm(_))))
            .map(|n| n.name())
            .collect()
    }

    /// The energy networks (paid by what the ledger verified and recorded).
    pub fn energy(&self) -> Vec<&str> {
        self.of_kind(FamilyKind::Energy)
    }

    /// Whether `network` is an energy network.
    pub fn is_energy(&self, network: &str) -> bool {
        self.energy().contains(&network)
    }

    /// The compute networks and their parameters (spot checks, capacity checks).
    pub fn compute(&self) -> Vec<(&str, &plinth_proofs::compute::ComputeFamilyParams)> {
        self.networks
            .iter()
            .filter_map(|n| match &n.family {
                Ok(Family::Compute(p)) => Some((n.name(), p)),
                _ => None,
            })
            .collect()
    }

    /// The names of the networks of `kind` (scored or not).
    pub fn of_kind(&self, kind: FamilyKind) -> Vec<&str> {
        self.networks
            .iter()
            .filter(|n| n.info.family == kind)
            .map(|n| n.name())
            .collect()
    }
}

/// Custom families' modules by hash: loaded once per process (a hash names
/// one module, so it never goes stale).
static FAMILY_MODULES: std::sync::LazyLock<Mutex<BTreeMap<Hash, plinth_wasm::Module>>> =
    std::sync::LazyLock::new(Default::default);

/// The custom family module `hash`, from the cache or the node's ledger.
pub fn family_module(node: &NodeClient, hash: &Hash) -> Result<plinth_wasm::Module> {
    if let Some(m) = FAMILY_MODULES.lock().expect("modules").get(hash) {
        return Ok(m.clone());
    }
    let bytes = node
        .compute_module_bytes(hash)
        .context("reading the module from the node")?
        .context("the ledger has no such module")?;
    let found = plinth_ledger::compute_types::module_hash(&bytes);
    anyhow::ensure!(found == *hash, "the node sent a module hashing to {found}");
    let m = plinth_proofs::wasm::load(&bytes).context("loading the module")?;
    FAMILY_MODULES
        .lock()
        .expect("modules")
        .insert(*hash, m.clone());
    Ok(m)
}

/// One epoch's networks as read, and when.
struct Cached {
    read: Instant,
    settled: bool,
    networks: Arc<EpochNetworks>,
}

/// The networks of the epochs read lately, and the latest epoch's (for answers
/// that must not wait for the node).
#[derive(Default)]
pub struct NetworkSchedule {
    epochs: Mutex<BTreeMap<u64, Cached>>,
    latest: RwLock<Option<Arc<EpochNetworks>>>,
}

impl NetworkSchedule {
    /// `epoch`'s networks: kept ones, else read from `node` (see the module's
    /// docs for what is kept).
    pub fn at(&self, node: &NodeClient, epoch: u64) -> Result<Arc<EpochNetworks>> {
        if let Some(c) = self.epochs.lock().expect("networks").get(&epoch) {
            if c.settled || c.read.elapsed() < UNSETTLED_MAX_AGE {
                return Ok(c.networks.clone());
            }
        }
        let (networks, settled) = EpochNetworks::read(node, epoch)?;
        let networks = Arc::new(networks);
        let mut epochs = self.epochs.lock().expect("networks");
        epochs.insert(
            epoch,
            Cached {
                read: Instant::now(),
                settled,
                networks: networks.clone(),
            },
        );
        while epochs.len() > KEPT_EPOCHS {
            epochs.pop_first();
        }
        let mut latest = self.latest.write().expect("latest networks");
        if latest.as_ref().is_none_or(|l| l.epoch <= epoch) {
            *latest = Some(networks.clone());
        }
        Ok(networks)
    }

    /// The networks of the latest epoch read (none before the first read).
    pub fn latest(&self) -> Option<Arc<EpochNetworks>> {
        self.latest.read().expect("latest networks").clone()
    }
}

impl Oracle {
    /// Every network as in force in reward epoch `epoch`, with its family and
    /// allowance for that epoch (from the node, kept once settled).
    pub fn networks_at(&self, epoch: u64) -> Result<Arc<EpochNetworks>> {
        self.networks.at(&self.node, epoch)
    }

    /// A network as in force in `epoch`; `None` if the chain has none of that
    /// name then.
    pub fn network_at(&self, name: &str, epoch: u64) -> Result<Option<EpochNetwork>> {
        Ok(self.networks_at(epoch)?.get(name).cloned())
    }

    /// The networks as in force in the current epoch (by the oracle's clock).
    pub fn current_networks(&self) -> Result<Arc<EpochNetworks>> {
        self.networks_at(self.clock.epoch_of(crate::now_ms()))
    }

    /// The networks of the latest epoch read, without asking the node (what the
    /// oracle's status shows).
    pub fn latest_networks(&self) -> Vec<NetworkInfo> {
        self.networks
            .latest()
            .map(|n| n.views())
            .unwrap_or_default()
    }

    /// The first epoch in `lo..=hi` that has network `name`, `hi + 1` if none
    /// does. Networks are added by proposal and never removed, so this is a
    /// binary search (its reads are kept: they are of past epochs).
    pub fn first_epoch_with(&self, name: &str, lo: u64, hi: u64) -> Result<u64> {
        let (mut lo, mut hi) = (lo, hi.saturating_add(1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.networks_at(mid)?.get(name).is_some() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    /// Re-reads the current epoch's networks and gives admission the networks
    /// and report caps of the current epoch (a network added by proposal is
    /// served from the epoch it is in force).
    pub fn refresh_networks(&self) -> Result<()> {
        let current = self.current_networks()?;
        self.ingest.set_networks(&current.views())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(epoch: u64, share_bps: u32, allowance: u64, params: serde_json::Value) -> NetworkInfo {
        NetworkInfo {
            name: "weather".into(),
            family: "sensor".into(),
            params,
            share_bps,
            usage_bps: 0,
            require_maker: false,
            epoch,
            allowance,
        }
    }

    /// Two epochs of one network, its share and parameters changed between
    /// them: each scores with its own family and allowance.
    #[test]
    fn each_epoch_scores_with_its_own_family_and_allowance() {
        let chain = Hash::of(b"chain");
        let window = |epoch| EpochWindow {
            epoch,
            start_ms: epoch * 1000,
            end_ms: (epoch + 1) * 1000,
        };
        let before = EpochNetworks::new(
            4,
            vec![view(
                4,
                3_000,
                300,
                serde_json::json!({"unit": "celsius", "min": -60, "max": 60}),
            )],
        );
        let after = EpochNetworks::new(
            5,
            vec![view(
                5,
                4_000,
                400,
                serde_json::json!({"unit": "celsius", "min": -60, "max": 10}),
            )],
        );
        let spec = |n: &EpochNetworks| {
            let s = n
                .get("weather")
                .unwrap()
                .spec(chain, window(n.epoch))
                .unwrap();
            let Family::Sensor(p) = s.family else {
                panic!("a sensor network")
            };
            (s.allowance, p.max_milli, s.window.epoch)
        };
        assert_eq!(spec(&before), (300, 60_000, 4));
        assert_eq!(spec(&after), (400, 10_000, 5));
    }

    /// A network whose parameters its family refuses is listed but not scored.
    #[test]
    fn a_network_with_bad_params_is_not_scored() {
        let n = EpochNetworks::new(3, vec![view(3, 1_000, 100, serde_json::json!({"min": 1}))]);
        assert_eq!(n.networks.len(), 1);
        assert_eq!(n.scored().count(), 0);
        assert!(n
            .get("weather")
            .unwrap()
            .spec(
                Hash::ZERO,
                EpochWindow {
                    epoch: 3,
                    start_ms: 0,
                    end_ms: 1,
                }
            )
            .is_none());
        assert_eq!(n.of_kind(FamilyKind::Sensor), vec!["weather"]);
    }
}
