//! Manifests the oracle set signs: one member proposes, every other member signs
//! only what it recomputes itself.
//!
//! ```text
//!  cut-off = epoch end + close_grace (no oracle accepts a report of the epoch after it)
//!  proposer: order(members, epoch)[0] from propose_after past the cut-off, then [1]
//!    after proposal_timeout, … (see `proposes`)
//!    pull every peer's input batches ─▶ close: registry checked against the ledger's
//!    digest at a height ─▶ epoch::compute ─▶ sign ─▶ POST /v1/cosign/manifest to each peer
//!    ─▶ signatures, or refusals (code + reason, kept in the manifest) ─▶ threshold: SubmitManifest
//!  co-signer (`cosign`): member? its signature? after the cut-off? the list hashes to `inputs`?
//!    no batch it held before the cut-off left out? ─▶ batches it lacks fetched from peers
//!    ─▶ reports re-admitted against the snapshot ─▶ snapshot's digest = the ledger's at its height
//!    ─▶ epoch::compute ─▶ the same header ─▶ signs, keeps the manifest (serves it and its batches)
//! ```
//!
//! The ledger takes a manifest only with `threshold` distinct signatures of the set
//! effective at its epoch, so an oracle that inflates, drops, invents or scores
//! over a forged registry signs alone.

use crate::epoch::{self, Manifest};
use crate::peers::{is_input, readmit};
use crate::spool::{RegistrySnapshot, SpoolBatch};
use crate::{now_ms, Oracle};
use plinth_api::node::OraclesView;
use plinth_api::oracle::{ManifestProposal, ManifestRefusal, RefusalRecord, SettlementProposal};
use plinth_api::OracleClient;
use plinth_core::{Address, DeviceId, Hash, SetHash};
use plinth_ledger::storage::StorageSettlement;
use plinth_ledger::{OracleSet, OracleSignature};
use plinth_proofs::DeviceInfo;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most batches a proposal may list.
pub const MAX_PROPOSAL_BATCHES: usize = 100_000;
/// How long a peer has to recompute and answer a proposal.
pub const COSIGN_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a manifest short of signatures is proposed again.
pub const GATHER_EVERY: Duration = Duration::from_secs(5);
/// Refusals kept for `GET /v1/cosign/refusals`.
pub const KEPT_REFUSALS: usize = 256;
/// How long an epoch's oracle set read from the node is used.
const SET_MAX_AGE: Duration = Duration::from_secs(30);

/// The members in `epoch`'s proposing order: rotated by the epoch.
pub fn order(members: &[Address], epoch: u64) -> Vec<Address> {
    if members.is_empty() {
        return Vec::new();
    }
    let k = (epoch % members.len() as u64) as usize;
    members[k..].iter().chain(&members[..k]).copied().collect()
}

/// The leaf of a device in the ledger's registry digest.
pub fn registry_leaf(d: &DeviceInfo) -> Vec<u8> {
    plinth_ledger::devices::registry_leaf(&d.id, &d.owner, d.location, d.active)
}

/// The digest of a network's registry, hashed on all cores.
pub fn registry_digest(devices: &[&DeviceInfo]) -> Hash {
    devices
        .par_chunks(4096)
        .map(|c| {
            let mut s = SetHash::new();
            c.iter().for_each(|d| s.insert(&registry_leaf(d)));
            s
        })
        .reduce(SetHash::new, |mut a, b| {
            a.combine(&b);
            a
        })
        .digest()
}

/// Why this oracle will not co-sign a proposed manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalRefusal {
    /// The manifest names another chain.
    #[error("the manifest is for chain {found}")]
    WrongChain {
        /// The chain it names.
        found: Hash,
    },
    /// The proposer is not a member of the epoch's oracle set.
    #[error("{oracle} is not a member of epoch {epoch}'s oracle set")]
    NotAnOracle {
        /// The proposer.
        oracle: Address,
        /// The epoch.
        epoch: u64,
    },
    /// This oracle is not a member of the epoch's set: its signature would not count.
    #[error("this oracle is not a member of epoch {epoch}'s oracle set")]
    NotAMember {
        /// The epoch.
        epoch: u64,
    },
    /// The proposer's signature does not verify.
    #[error("the proposer's signature does not verify")]
    BadSignature,
    /// The proposal is this oracle's own.
    #[error("the proposal is signed by this oracle itself")]
    FromSelf,
    /// The network is not one of the chain's scored networks.
    #[error("network `{network}` is not scored: {reason}")]
    UnknownNetwork {
        /// The network.
        network: String,
        /// Why.
        reason: String,
    },
    /// The epoch's cut-off has not passed.
    #[error("epoch {epoch} takes reports until {cutoff_ms} ms")]
    TooEarly {
        /// The epoch.
        epoch: u64,
        /// Its cut-off.
        cutoff_ms: u64,
    },
    /// The batch list is too long, unsorted, or not what the header's `inputs` hashes.
    #[error("the batch list: {reason}")]
    BadList {
        /// What is wrong.
        reason: String,
    },
    /// Batches this oracle held before the cut-off are not listed.
    #[error(
        "{count} input batches this oracle held before the cut-off are left out (e.g. {first})"
    )]
    OmitsBatches {
        /// How many.
        count: usize,
        /// One of them.
        first: Hash,
    },
    /// A listed batch could not be had from any peer.
    #[error("batch {hash} could not be fetched from any peer")]
    MissingBatch {
        /// The batch.
        hash: Hash,
    },
    /// A listed batch is corrupt, or one of its reports fails admission.
    #[error("{reason}")]
    InvalidBatch {
        /// What is wrong.
        reason: String,
    },
    /// The registry snapshot is not the ledger's registry at the height it names.
    #[error("registry snapshot: {reason}")]
    RegistryMismatch {
        /// What differs.
        reason: String,
    },
    /// Recomputed from the same batches, the manifest differs.
    #[error("recomputed from the listed batches: {reason}")]
    Differs {
        /// Where it differs.
        reason: String,
    },
    /// The settlement's results are not this oracle's deal outcomes.
    #[error("settlement: {reason}")]
    SettlementDiffers {
        /// Where it differs.
        reason: String,
    },
    /// Re-executed by this oracle, the spot check of a claim comes out otherwise.
    #[error("spot check: {reason}")]
    VerdictDiffers {
        /// Where it differs.
        reason: String,
    },
    /// The compute earnings listed are not the ledger's.
    #[error("{reason}")]
    EarningsMismatch {
        /// What differs.
        reason: String,
    },
    /// The custom family's state from the epoch before is not the one this
    /// oracle computed then.
    #[error("family state: {reason}")]
    StateMismatch {
        /// What differs.
        reason: String,
    },
    /// Capacity-check failures this oracle did not see itself.
    #[error("capacity checks: {reason}")]
    ChecksUnconfirmed {
        /// Which lease.
        reason: String,
    },
    /// The chain could not be read, or the spool failed.
    #[error("this oracle cannot check now: {reason}")]
    Unavailable {
        /// What failed.
        reason: String,
    },
}

impl ProposalRefusal {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProposalRefusal::WrongChain { .. } => "wrong_chain",
            ProposalRefusal::NotAnOracle { .. } => "not_an_oracle",
            ProposalRefusal::NotAMember { .. } => "not_a_member",
            ProposalRefusal::BadSignature => "bad_signature",
            ProposalRefusal::FromSelf => "from_self",
            ProposalRefusal::UnknownNetwork { .. } => "unknown_network",
            ProposalRefusal::TooEarly { .. } => "too_early",
            ProposalRefusal::BadList { .. } => "bad_batch_list",
            ProposalRefusal::OmitsBatches { .. } => "omits_batches",
            ProposalRefusal::MissingBatch { .. } => "missing_batch",
            ProposalRefusal::InvalidBatch { .. } => "invalid_batch",
            ProposalRefusal::RegistryMismatch { .. } => "registry_mismatch",
            ProposalRefusal::Differs { .. } => "differs",
            ProposalRefusal::SettlementDiffers { .. } => "settlement_differs",
            ProposalRefusal::VerdictDiffers { .. } => "verdict_differs",
            ProposalRefusal::ChecksUnconfirmed { .. } => "checks_unconfirmed",
            ProposalRefusal::EarningsMismatch { .. } => "earnings_mismatch",
            ProposalRefusal::StateMismatch { .. } => "state_mismatch",
            ProposalRefusal::Unavailable { .. } => "unavailable",
        }
    }

    pub(crate) fn unavailable(e: impl std::fmt::Display) -> ProposalRefusal {
        ProposalRefusal::Unavailable {
            reason: e.to_string(),
        }
    }
}

/// A proposal's batches, with their names, in its order.
type Listed = Vec<(Hash, SpoolBatch)>;

/// A peer's answer, or its refusal's code and reason.
pub(crate) type Answer<T> = Result<T, (String, String)>;

/// The co-signing job's state: the oracle sets read, when each manifest was last
/// proposed, and the refusals this oracle gave.
#[derive(Default)]
pub struct Quorum {
    sets: Mutex<HashMap<u64, (Instant, OraclesView)>>,
    gathered: Mutex<HashMap<(String, u64), Instant>>,
    refusals: Mutex<VecDeque<RefusalRecord>>,
}

impl Oracle {
    /// The oracle set effective at `epoch`, read from the node (cached).
    pub fn set_at(&self, epoch: u64) -> anyhow::Result<OraclesView> {
        if let Some((at, set)) = self.quorum.sets.lock().expect("sets").get(&epoch) {
            if at.elapsed() < SET_MAX_AGE {
                return Ok(set.clone());
            }
        }
        let set = self.node.oracles_at(epoch)?;
        let mut sets = self.quorum.sets.lock().expect("sets");
        if sets.len() > 64 {
            sets.clear();
        }
        sets.insert(epoch, (Instant::now(), set.clone()));
        Ok(set)
    }

    /// When `epoch` stops taking reports: its end plus the close grace.
    pub fn cutoff_ms(&self, epoch: u64) -> u64 {
        self.clock
            .window(epoch)
            .end_ms
            .saturating_add(self.config.close_grace.as_millis() as u64)
    }

    /// Whether this oracle may propose `epoch`'s manifests at `now`: alone it
    /// always may; in a set, the first in the epoch's order may from
    /// `propose_after` after the cut-off, the next one `proposal_timeout`
    /// later, and so on, so a proposer that is down is replaced.
    pub fn proposes(&self, epoch: u64, now: u64) -> bool {
        if self.config.peers.is_empty() {
            return true;
        }
        let start = self
            .cutoff_ms(epoch)
            .saturating_add(self.config.propose_after.as_millis() as u64);
        if now < start {
            return false;
        }
        let Ok(set) = self.set_at(epoch) else {
            return false;
        };
        let timeout = self.config.proposal_timeout.as_millis().max(1) as u64;
        let turns = ((now - start) / timeout).saturating_add(1) as usize;
        order(&set.members, epoch)
            .into_iter()
            .take(turns)
            .any(|m| m == self.address())
    }

    /// Distinct valid signatures of `epoch`'s set over the manifest, and the
    /// threshold.
    pub fn signed_by(&self, m: &Manifest) -> anyhow::Result<(u32, u32)> {
        let view = self.set_at(m.header.epoch)?;
        let set = OracleSet {
            threshold: view.threshold,
            members: view.members,
        };
        Ok((set.count_valid(&m.header, &m.signatures), set.threshold))
    }

    /// Asks every peer that has not signed `m` to co-sign it (at most every
    /// [`GATHER_EVERY`]); adds their signatures, records their refusals, and
    /// republishes it. Returns whether it has the threshold.
    pub fn gather(&self, m: &mut Manifest) -> anyhow::Result<bool> {
        let (valid, threshold) = self.signed_by(m)?;
        if valid >= threshold {
            return Ok(true);
        }
        let key = (m.header.network.clone(), m.header.epoch);
        {
            let mut g = self.quorum.gathered.lock().expect("gathered");
            if g.get(&key).is_some_and(|t| t.elapsed() < GATHER_EVERY) {
                return Ok(false);
            }
            g.insert(key, Instant::now());
        }
        let own = m.header.sign(self.key());
        let req = ManifestProposal {
            header: m.header.clone(),
            batches: m.batches.clone(),
            signature: own,
        };
        let signed: HashSet<Address> = m.signatures.iter().map(|s| s.oracle).collect();
        let peers: Vec<String> = self
            .config
            .peers
            .iter()
            .filter(|u| {
                self.peers
                    .address_of(u)
                    .is_none_or(|a| !signed.contains(&a))
            })
            .cloned()
            .collect();
        let answers = ask_all(&peers, |c| c.cosign_manifest(&req));
        let msg = m.header.signing_bytes();
        for (url, answer) in answers {
            match answer {
                Ok(sig) if sig.oracle.key().verify(&msg, &sig.signature).is_ok() => {
                    if !m.signatures.iter().any(|s| s.oracle == sig.oracle) {
                        m.signatures.push(sig);
                    }
                    m.refusals.retain(|r| r.oracle != sig.oracle);
                }
                Ok(_) => tracing::warn!(peer = %url, "peer answered a bad signature"),
                Err((code, reason)) => {
                    let Some(oracle) = self.peers.address_of(&url) else {
                        tracing::debug!(peer = %url, %reason, "peer not reachable");
                        continue;
                    };
                    tracing::warn!(peer = %url, %code, %reason, network = %m.header.network,
                        epoch = m.header.epoch, "peer refused to co-sign");
                    m.refusals.retain(|r| r.oracle != oracle);
                    m.refusals.push(ManifestRefusal {
                        oracle,
                        code,
                        reason,
                    });
                }
            }
        }
        if !m.signatures.iter().any(|s| s.oracle == own.oracle) {
            m.signatures.insert(0, own);
        }
        self.manifests
            .publish(&m.header.network, m.header.epoch, m)?;
        let (valid, threshold) = self.signed_by(m)?;
        Ok(valid >= threshold)
    }

    /// Signatures of peers over `settlement` (this oracle's own first): as many as
    /// answer, for the ledger to count.
    pub fn gather_settlement(&self, settlement: &StorageSettlement) -> Vec<OracleSignature> {
        let own = settlement.sign(self.key());
        let req = SettlementProposal {
            settlement: settlement.clone(),
            signature: own,
        };
        self.gather_cosignatures(own, &settlement.signing_bytes(), "a settlement", |c| {
            c.cosign_settlement(&req)
        })
    }

    /// `own` and the peers' valid signatures over `msg` (one per oracle), each
    /// peer asked with `ask`; a refusal is logged as refusing `what`.
    pub(crate) fn gather_cosignatures(
        &self,
        own: OracleSignature,
        msg: &[u8],
        what: &str,
        ask: impl Fn(&OracleClient) -> Result<OracleSignature, plinth_api::ClientError> + Sync,
    ) -> Vec<OracleSignature> {
        let mut sigs = vec![own];
        if self.config.peers.is_empty() {
            return sigs;
        }
        for (url, answer) in ask_all(&self.config.peers, ask) {
            match answer {
                Ok(sig)
                    if sig.oracle.key().verify(msg, &sig.signature).is_ok()
                        && !sigs.iter().any(|s| s.oracle == sig.oracle) =>
                {
                    sigs.push(sig)
                }
                Ok(_) => {}
                Err((code, reason)) => {
                    tracing::warn!(peer = %url, %code, %reason, "peer refused {what}")
                }
            }
        }
        sigs
    }

    /// The refusals this oracle gave lately, oldest first.
    pub fn refusals(&self) -> Vec<RefusalRecord> {
        self.quorum
            .refusals
            .lock()
            .expect("refusals")
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn record_refusal(
        &self,
        network: &str,
        epoch: u64,
        proposer: Address,
        r: &ProposalRefusal,
    ) {
        self.metrics
            .cosign_refusals
            .get_or_create(&crate::metrics::ReasonLabel {
                reason: r.code().into(),
            })
            .inc();
        tracing::warn!(network, epoch, %proposer, code = r.code(), reason = %r, "proposal refused");
        let mut q = self.quorum.refusals.lock().expect("refusals");
        if q.len() >= KEPT_REFUSALS {
            q.pop_front();
        }
        q.push_back(RefusalRecord {
            network: network.to_string(),
            epoch,
            proposer,
            code: r.code().into(),
            reason: r.to_string(),
            at_ms: now_ms(),
        });
    }

    /// `POST /v1/cosign/manifest`: recomputes a member's proposal and signs the
    /// header if it is the same; every refusal is recorded (metrics, API).
    pub fn cosign_manifest(
        &self,
        p: &ManifestProposal,
    ) -> Result<OracleSignature, ProposalRefusal> {
        let r = self.check_proposal(p);
        match &r {
            Ok(_) => {
                self.metrics.manifests_cosigned.inc();
            }
            Err(e) => self.record_refusal(&p.header.network, p.header.epoch, p.signature.oracle, e),
        }
        r
    }

    fn check_proposal(&self, p: &ManifestProposal) -> Result<OracleSignature, ProposalRefusal> {
        let h = &p.header;
        self.check_proposer(&h.chain, h.epoch, &h.signing_bytes(), &p.signature)?;
        // The network as in force in the manifest's epoch: its family, share
        // and usage split then, whatever a proposal changed since.
        let networks = self
            .networks_at(h.epoch)
            .map_err(ProposalRefusal::unavailable)?;
        let n = networks
            .get(&h.network)
            .ok_or_else(|| ProposalRefusal::UnknownNetwork {
                network: h.network.clone(),
                reason: format!("no such network in epoch {}", h.epoch),
            })?;
        let spec = n
            .spec(self.chain, self.clock.window(h.epoch))
            .ok_or_else(|| ProposalRefusal::UnknownNetwork {
                network: h.network.clone(),
                reason: n.family.clone().err().unwrap_or_default(),
            })?;
        let cutoff = self.cutoff_ms(h.epoch);
        if now_ms() < cutoff {
            return Err(ProposalRefusal::TooEarly {
                epoch: h.epoch,
                cutoff_ms: cutoff,
            });
        }
        check_list(&p.batches, &h.inputs)?;
        self.check_omissions(h.epoch, &p.batches, cutoff)?;
        let (batches, held) = self.listed_batches(h.epoch, &p.batches, &p.signature.oracle)?;
        self.check_inputs(h.epoch, &batches, &held)?;
        // A custom family's state from the epoch before must be the one this
        // oracle computed then, if it did.
        if matches!(spec.family, plinth_proofs::Family::Wasm(_)) {
            self.check_family_state(&h.network, h.epoch, &batches)?;
        }
        let (mut m, state) =
            epoch::try_compute(&spec, batches).map_err(|e| ProposalRefusal::Differs {
                reason: format!("the family failed here ({}): {e}", e.code()),
            })?;
        if m.header != *h {
            return Err(ProposalRefusal::Differs {
                reason: differences(&m.header, h),
            });
        }
        if matches!(spec.family, plinth_proofs::Family::Wasm(_)) {
            self.manifests
                .save_state(&h.network, h.epoch, &state)
                .map_err(ProposalRefusal::unavailable)?;
        }
        let mine = m.header.sign(self.key());
        // Kept, so this oracle serves the manifest, its batches and its claims.
        if self
            .manifests
            .read(&h.network, h.epoch)
            .map_err(ProposalRefusal::unavailable)?
            .is_none()
        {
            m.signatures = vec![p.signature, mine];
            self.manifests
                .publish(&h.network, h.epoch, &m)
                .map_err(ProposalRefusal::unavailable)?;
        }
        Ok(mine)
    }

    /// The checks every co-signing starts with: this chain, a member of the
    /// epoch's set other than this oracle, and its valid signature over `msg`.
    pub(crate) fn check_proposer(
        &self,
        chain: &Hash,
        epoch: u64,
        msg: &[u8],
        sig: &OracleSignature,
    ) -> Result<(), ProposalRefusal> {
        if *chain != self.chain {
            return Err(ProposalRefusal::WrongChain { found: *chain });
        }
        if sig.oracle == self.address() {
            return Err(ProposalRefusal::FromSelf);
        }
        let set = self.set_at(epoch).map_err(ProposalRefusal::unavailable)?;
        if !set.members.contains(&self.address()) {
            return Err(ProposalRefusal::NotAMember { epoch });
        }
        if !set.members.contains(&sig.oracle) {
            return Err(ProposalRefusal::NotAnOracle {
                oracle: sig.oracle,
                epoch,
            });
        }
        if sig.oracle.key().verify(msg, &sig.signature).is_err() {
            return Err(ProposalRefusal::BadSignature);
        }
        Ok(())
    }

    /// Refuses a custom family's state from the epoch before unless it is the
    /// one this oracle computed then (when it did; an oracle that did not close
    /// nor co-sign that epoch has nothing to compare with).
    fn check_family_state(
        &self,
        network: &str,
        epoch: u64,
        batches: &[(Hash, SpoolBatch)],
    ) -> Result<(), ProposalRefusal> {
        let Some(before) = epoch.checked_sub(1) else {
            return Ok(());
        };
        let Some(mine) = self
            .manifests
            .read_state(network, before)
            .map_err(ProposalRefusal::unavailable)?
        else {
            return Ok(());
        };
        let listed: Vec<&crate::spool::FamilyState> = batches
            .iter()
            .filter_map(|(_, b)| match b {
                SpoolBatch::FamilyStates(fs) => Some(fs.iter().filter(|f| f.network == network)),
                _ => None,
            })
            .flatten()
            .collect();
        match listed.as_slice() {
            [one] if one.epoch == before && one.state == mine => Ok(()),
            [one] => Err(ProposalRefusal::StateMismatch {
                reason: format!(
                    "the listed state of epoch {} hashes to {}, this oracle's of epoch {before} to {}",
                    one.epoch,
                    Hash::of(&one.state),
                    Hash::of(&mine)
                ),
            }),
            found => Err(ProposalRefusal::StateMismatch {
                reason: format!(
                    "{} states of {network} listed, one expected",
                    found.len()
                ),
            }),
        }
    }

    /// Refuses a list that leaves out an input batch this oracle stored before
    /// the cut-off.
    fn check_omissions(
        &self,
        epoch: u64,
        list: &[Hash],
        cutoff: u64,
    ) -> Result<(), ProposalRefusal> {
        let listed: HashSet<&Hash> = list.iter().collect();
        let mut omitted = Vec::new();
        for h in self
            .spool
            .batches(epoch)
            .map_err(ProposalRefusal::unavailable)?
        {
            if listed.contains(&h) || self.spool.stored_ms(epoch, &h).is_none_or(|t| t >= cutoff) {
                continue;
            }
            // Only inputs: close batches are each closer's own.
            match self.spool.read(epoch, &h) {
                Ok(b) if is_input(&b) => omitted.push(h),
                _ => {}
            }
        }
        match omitted.first() {
            Some(first) => Err(ProposalRefusal::OmitsBatches {
                count: omitted.len(),
                first: *first,
            }),
            None => Ok(()),
        }
    }

    /// Every listed batch, from this oracle's spools or fetched from its peers
    /// (the proposer first) and kept apart; and which of them this oracle's own
    /// spool holds (admitted or re-admitted when they came in).
    fn listed_batches(
        &self,
        epoch: u64,
        list: &[Hash],
        proposer: &Address,
    ) -> Result<(Listed, HashSet<Hash>), ProposalRefusal> {
        let mut out = Vec::with_capacity(list.len());
        let mut held = HashSet::new();
        for h in list {
            let local = if self.spool.has(epoch, h) {
                held.insert(*h);
                Some(self.spool.read(epoch, h))
            } else if self.foreign.has(epoch, h) {
                Some(self.foreign.read(epoch, h))
            } else {
                None
            };
            let batch = match local {
                Some(b) => b.map_err(|e| ProposalRefusal::InvalidBatch {
                    reason: e.to_string(),
                })?,
                None => {
                    let bytes = self
                        .fetch_batch(epoch, h, Some(proposer))
                        .ok_or(ProposalRefusal::MissingBatch { hash: *h })?;
                    let b = crate::spool::decode_batch(h, &bytes).map_err(|e| {
                        ProposalRefusal::InvalidBatch {
                            reason: e.to_string(),
                        }
                    })?;
                    // Kept apart, for audits of a manifest this oracle signs (the
                    // exchange takes inputs into the spool after its own checks).
                    self.foreign
                        .write_raw(epoch, &bytes)
                        .map_err(ProposalRefusal::unavailable)?;
                    b
                }
            };
            out.push((*h, batch));
        }
        Ok((out, held))
    }

    /// The listed batches as a whole: one close record naming exactly the
    /// registry, storage, earnings and family state batches listed; the registry snapshot the ledger's
    /// at the height it names; every report this oracle's spool does not hold
    /// (`held`: checked when it came in) re-admitted against it.
    fn check_inputs(
        &self,
        epoch: u64,
        batches: &[(Hash, SpoolBatch)],
        held: &HashSet<Hash>,
    ) -> Result<(), ProposalRefusal> {
        let invalid = |reason: String| ProposalRefusal::InvalidBatch { reason };
        let mut named: HashSet<Hash> = HashSet::new();
        let mut closes = 0;
        let mut close_parts: HashSet<Hash> = HashSet::new();
        let mut snaps: Vec<&RegistrySnapshot> = Vec::new();
        let mut earnings: Vec<&plinth_proofs::compute::ComputeEarnings> = Vec::new();
        for (h, b) in batches {
            match b {
                SpoolBatch::Closed(hs) => {
                    closes += 1;
                    named.extend(hs.iter().copied());
                }
                SpoolBatch::Registry(ss) => {
                    close_parts.insert(*h);
                    snaps.extend(ss);
                }
                SpoolBatch::Storage(_) => {
                    close_parts.insert(*h);
                }
                SpoolBatch::Earnings(es) => {
                    close_parts.insert(*h);
                    earnings.extend(es);
                }
                // Checked against this oracle's own state (`check_state`).
                SpoolBatch::FamilyStates(_) => {
                    close_parts.insert(*h);
                }
                _ => {}
            }
        }
        if closes == 0 || named != close_parts {
            return Err(invalid(
                "the close record does not name exactly the registry, storage, earnings and family state batches listed"
                    .into(),
            ));
        }
        let registry = self.check_registry(epoch, &snaps)?;
        // Compute earnings are the ledger's: the parts of each network together
        // must be exactly what it recorded.
        if let Some(e) = earnings.iter().find(|e| e.epoch != epoch) {
            return Err(invalid(format!(
                "compute earnings of epoch {} in epoch {epoch}",
                e.epoch
            )));
        }
        let networks: std::collections::BTreeSet<&str> =
            earnings.iter().map(|e| e.network.as_str()).collect();
        for network in networks {
            if let Some(whole) = crate::compute::merged_earnings(network, earnings.iter().copied())
            {
                self.check_earnings(&whole)
                    .map_err(|reason| ProposalRefusal::EarningsMismatch { reason })?;
            }
        }
        for (h, b) in batches.iter().filter(|(h, _)| !held.contains(h)) {
            if let SpoolBatch::Reports(rs) = b {
                readmit(self, *h, epoch, rs, |d| {
                    registry.get(d).map(|(n, a)| (n.as_str(), *a))
                })
                .map_err(|e| invalid(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Checks the snapshots against the ledger's registry digests at the height
    /// they name (see [`check_registry`]).
    fn check_registry(
        &self,
        epoch: u64,
        snaps: &[&RegistrySnapshot],
    ) -> Result<HashMap<DeviceId, (String, bool)>, ProposalRefusal> {
        check_registry(&self.node, self.clock.window(epoch).end_ms, snaps)
            .map_err(|reason| ProposalRefusal::RegistryMismatch { reason })
    }

    /// `POST /v1/cosign/settlement`: signs a settlement whose every result is
    /// this oracle's outcome of that deal in its manifest of the epoch.
    pub fn cosign_settlement(
        &self,
        p: &SettlementProposal,
    ) -> Result<OracleSignature, ProposalRefusal> {
        let s = &p.settlement;
        let r = self
            .check_proposer(&s.chain, s.epoch, &s.signing_bytes(), &p.signature)
            .and_then(|_| self.check_settlement(s));
        match r {
            Ok(()) => Ok(s.sign(self.key())),
            Err(e) => {
                self.record_refusal(&s.network, s.epoch, p.signature.oracle, &e);
                Err(e)
            }
        }
    }

    fn check_settlement(&self, s: &StorageSettlement) -> Result<(), ProposalRefusal> {
        let differs = |reason: String| ProposalRefusal::SettlementDiffers { reason };
        let m = self
            .manifests
            .read(&s.network, s.epoch)
            .map_err(ProposalRefusal::unavailable)?
            .ok_or_else(|| differs("this oracle holds no manifest of the epoch".into()))?;
        let outcomes: HashMap<Hash, bool> = m.deals.iter().map(|d| (d.deal, d.proven)).collect();
        for r in &s.results {
            match outcomes.get(&r.deal) {
                Some(p) if *p == r.proven => {}
                Some(p) => return Err(differs(format!("deal {}: proven is {p}", r.deal))),
                None => return Err(differs(format!("deal {} is not in the manifest", r.deal))),
            }
        }
        Ok(())
    }
}

/// Checks an epoch's registry snapshots against the ledger's registry digests
/// at the height they name, which must be a block at or after the epoch's end
/// (`end_ms`): every network's devices hash to its digest. Returns the registry
/// (device → network, active); the reason otherwise.
pub fn check_registry(
    node: &plinth_api::NodeClient,
    end_ms: u64,
    snaps: &[&RegistrySnapshot],
) -> Result<HashMap<DeviceId, (String, bool)>, String> {
    let height = snaps.first().map_or(0, |s| s.height);
    if snaps.iter().any(|s| s.height != height) {
        return Err("parts name different heights".into());
    }
    let view = node
        .registry(Some(height))
        .map_err(|e| format!("height {height}: {e}"))?;
    if view.time_ms < end_ms {
        return Err(format!(
            "height {height} (at {} ms) is before the epoch's end ({end_ms} ms)",
            view.time_ms
        ));
    }
    let mut by_network: BTreeMap<&str, Vec<&DeviceInfo>> = BTreeMap::new();
    for s in snaps {
        by_network.entry(&s.network).or_default().extend(&s.devices);
    }
    let mut registry = HashMap::new();
    for (network, devices) in matching_registry(&view, by_network)? {
        for d in devices {
            registry.insert(d.id, (network.to_string(), d.active));
        }
    }
    Ok(registry)
}

/// Pairs each network of `view` (the ledger's registry digests at a height) with
/// its devices from `by_network`, checking their count and digest; a network
/// whose devices differ, or one the ledger does not have, is the reason.
pub fn matching_registry<'v, 'd>(
    view: &'v plinth_api::node::RegistryView,
    mut by_network: BTreeMap<&str, Vec<&'d DeviceInfo>>,
) -> Result<Vec<(&'v str, Vec<&'d DeviceInfo>)>, String> {
    let mut out = Vec::with_capacity(view.networks.len());
    for n in &view.networks {
        let devices = by_network.remove(n.network.as_str()).unwrap_or_default();
        if devices.len() as u64 != n.devices || registry_digest(&devices) != n.digest {
            return Err(format!(
                "network `{}`: {} devices that do not hash to the ledger's {} devices at height {}",
                n.network,
                devices.len(),
                n.devices,
                view.height
            ));
        }
        out.push((n.network.as_str(), devices));
    }
    if let Some(extra) = by_network.keys().next() {
        return Err(format!("network `{extra}` is not on the ledger"));
    }
    Ok(out)
}

/// Checks a proposal's batch list: bounded, strictly ascending, hashing to
/// `inputs`.
fn check_list(list: &[Hash], inputs: &Hash) -> Result<(), ProposalRefusal> {
    let bad = |reason: String| Err(ProposalRefusal::BadList { reason });
    if list.len() > MAX_PROPOSAL_BATCHES {
        return bad(format!(
            "{} batches, at most {MAX_PROPOSAL_BATCHES}",
            list.len()
        ));
    }
    if list.windows(2).any(|w| w[0] >= w[1]) {
        return bad("not strictly ascending".into());
    }
    if epoch::inputs_hash(list) != *inputs {
        return bad("does not hash to the header's inputs".into());
    }
    Ok(())
}

/// What differs between a recomputed header and a proposed one, in words.
fn differences(
    ours: &plinth_ledger::rewards::ManifestHeader,
    theirs: &plinth_ledger::rewards::ManifestHeader,
) -> String {
    let mut d = Vec::new();
    if ours.total != theirs.total {
        d.push(format!("total {} (proposed {})", ours.total, theirs.total));
    }
    if ours.devices != theirs.devices {
        d.push(format!(
            "{} entries (proposed {})",
            ours.devices, theirs.devices
        ));
    }
    if ours.root != theirs.root {
        d.push(format!("root {} (proposed {})", ours.root, theirs.root));
    }
    if ours.registry_height != theirs.registry_height {
        d.push(format!(
            "registry height {} (proposed {})",
            ours.registry_height, theirs.registry_height
        ));
    }
    if d.is_empty() {
        d.push("header fields differ".into());
    }
    d.join(", ")
}

/// Asks every peer in parallel; per peer its answer, or the refusal's code and
/// reason (`unreachable` when it did not answer).
pub(crate) fn ask_all<T: Send>(
    peers: &[String],
    ask: impl Fn(&OracleClient) -> Result<T, plinth_api::ClientError> + Sync,
) -> Vec<(String, Answer<T>)> {
    use plinth_api::ClientError;
    let ask = &ask;
    std::thread::scope(|s| {
        let hs: Vec<_> = peers
            .iter()
            .map(|url| {
                s.spawn(move || {
                    let c = OracleClient::with_timeout(url, COSIGN_TIMEOUT);
                    let r = ask(&c).map_err(|e| match e {
                        ClientError::Api { error, .. } => (error.code, error.message),
                        e => ("unreachable".to_string(), e.to_string()),
                    });
                    (url.clone(), r)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("peer ask"))
            .collect()
    })
}
