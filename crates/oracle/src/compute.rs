//! Compute networks: the oracle set re-executes a drawn share of every revealed
//! claim's tasks (spot checks) and checks leased providers' capacity.
//!
//! ```text
//!  spot checks (every pass):
//!    GET /v1/compute/claims/pending?network=N ─▶ revealed claims
//!      rate 0, or verify window over ─▶ FinalizeClaim (pays it)
//!      seed = hash of the block after the reveal (once a later block exists)
//!      tasks = spot_check_tasks(seed, claim, rate) ─▶ re-execute each (the job's
//!      module and input from the ledger, checked against their hashes)
//!      ─▶ JobVerdict {claim, epoch of the seed block, seed height, [task, ok]}
//!      ─▶ POST /v1/cosign/verdict to the peers (each re-executes, signs the same)
//!      ─▶ VerifyClaim with the threshold's signatures
//!  capacity checks (each epoch):
//!    every active lease of N gets `checks_per_epoch` checks at times this oracle
//!    draws in the epoch: POST {provider endpoint}/v1/check {seed, rounds}, answered
//!    with the benchmark's result within `check_timeout_ms` (else failed)
//!    epoch over ─▶ ComputeChecks {N, epoch, [lease, [pass…]]} ─▶ POST /v1/cosign/checks
//!      (a peer signs only failures it saw itself) ─▶ SettleChecks
//! ```
//!
//! Everything here runs on the oracle's `oracle-compute` thread
//! ([`Oracle::compute_pass`]), so re-execution never delays ingest or the closer.

use crate::quorum::ProposalRefusal;
use crate::{now_ms, Oracle};
use anyhow::{Context, Result};
use plinth_api::compute::{ClaimView, LeasesQuery};
use plinth_api::oracle::{ChecksProposal, VerdictProposal};
use plinth_compute::check::{run_check, CheckAnswer, CheckRequest};
use plinth_compute::runner::{execute, ModuleCache};
use plinth_core::Hash;
use plinth_ledger::compute::{
    job_input_hash, spot_check_tasks, ComputeChecks, JobVerdict, LeaseChecks, TaskCheck,
    MAX_CHECK_RESULTS,
};
use plinth_ledger::{Call, OracleSignature};
use plinth_proofs::compute::ComputeEarnings;
use rand::Rng;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Steps of the benchmark a capacity check asks for.
pub const CHECK_ROUNDS: u32 = plinth_compute::check::ORACLE_ROUNDS;
/// How long a claim's verdict or finalization is not sent again.
const RESEND_AFTER: Duration = Duration::from_secs(20);
/// Epochs of capacity checks kept for co-signing.
const KEPT_EPOCHS: usize = 8;

/// Per lease, the outcomes of its checks in an epoch, in order.
type LeaseOutcomes = BTreeMap<Hash, Vec<bool>>;

/// What the compute job remembers between passes.
#[derive(Default)]
pub(crate) struct ComputeState {
    modules: Option<ModuleCache>,
    /// Job inputs by input hash (a few; the job's input is at most a few KiB).
    inputs: Mutex<Vec<(Hash, Vec<u8>)>>,
    /// Claims a verdict or finalization was sent for, and when.
    sent: Mutex<HashMap<Hash, Instant>>,
    /// Capacity checks: per (network, epoch), per lease, the outcomes in order.
    checks: Mutex<BTreeMap<(String, u64), LeaseOutcomes>>,
    /// Check times drawn per (lease, epoch): the times left, earliest last.
    schedule: Mutex<HashMap<(Hash, u64), Vec<u64>>>,
    /// (network, epoch) whose checks were settled.
    settled: Mutex<HashSet<(String, u64)>>,
}

impl ComputeState {
    fn modules(&self) -> &ModuleCache {
        self.modules.as_ref().expect("module cache")
    }

    /// A fresh state.
    pub(crate) fn new() -> ComputeState {
        ComputeState {
            modules: Some(ModuleCache::new(8)),
            ..ComputeState::default()
        }
    }
}

impl Oracle {
    /// One pass of the compute job over every compute network of the current
    /// epoch: spot checks, capacity checks due, settling the last epochs' checks.
    pub fn compute_pass(&self) -> Result<()> {
        let networks = self.current_networks()?;
        let compute: Vec<(String, plinth_proofs::compute::ComputeFamilyParams)> = networks
            .compute()
            .into_iter()
            .map(|(n, p)| (n.to_string(), *p))
            .collect();
        for (network, params) in compute {
            if let Err(e) = self.spot_checks(&network) {
                tracing::warn!(network, error = %format!("{e:#}"), "spot checks failed");
            }
            if let Err(e) = self.capacity_checks(&network, &params) {
                tracing::warn!(network, error = %format!("{e:#}"), "capacity checks failed");
            }
            if let Err(e) = self.settle_checks(&network) {
                tracing::warn!(network, error = %format!("{e:#}"), "settling capacity checks failed");
            }
        }
        Ok(())
    }

    fn sent_recently(&self, claim: &Hash) -> bool {
        let mut sent = self.compute.sent.lock().expect("sent");
        sent.retain(|_, at| at.elapsed() < RESEND_AFTER);
        sent.contains_key(claim)
    }

    fn mark_sent(&self, claim: &Hash) {
        self.compute
            .sent
            .lock()
            .expect("sent")
            .insert(*claim, Instant::now());
    }

    /// Spot-checks (or finalizes) every revealed claim of `network`.
    fn spot_checks(&self, network: &str) -> Result<()> {
        let height = self.node.status()?.height;
        for p in self.node.compute_all_pending_claims(network)? {
            let c = &p.claim;
            if self.sent_recently(&c.claim.id) {
                continue;
            }
            let unchecked = c.spot_check_bps == 0 || c.verify_due.is_some_and(|d| height > d);
            if unchecked {
                self.mark_sent(&c.claim.id);
                self.send_tx(Call::FinalizeClaim { claim: c.claim.id })?;
                continue;
            }
            let Some(seed_height) = c.seed_height else {
                continue;
            };
            if height <= seed_height {
                continue; // the verdict must land after the seed block
            }
            let verdict =
                self.verdict(c, &p.module, &p.input_hash, p.fuel_per_task, seed_height)?;
            let signatures = self.gather_verdict(&verdict);
            let set = self.set_at(verdict.epoch)?;
            if (signatures.len() as u32) < set.threshold {
                tracing::warn!(
                    claim = %c.claim.id,
                    signatures = signatures.len(),
                    threshold = set.threshold,
                    "spot check not co-signed by enough oracles"
                );
                continue;
            }
            let bad: Vec<u32> = verdict
                .checks
                .iter()
                .filter(|t| !t.ok)
                .map(|t| t.task)
                .collect();
            self.mark_sent(&c.claim.id);
            let tx = self.send_tx(Call::VerifyClaim {
                verdict: verdict.clone(),
                signatures,
            })?;
            if bad.is_empty() {
                tracing::info!(network, claim = %c.claim.id, provider = %c.claim.provider, checked = ?verdict.checks.iter().map(|t| t.task).collect::<Vec<_>>(), tx = %tx, "spot check passed");
            } else {
                tracing::warn!(network, claim = %c.claim.id, provider = %c.claim.provider, wrong_tasks = ?bad, tx = %tx, "CHEATER CAUGHT: spot check found wrong results; the claim is slashed");
            }
        }
        Ok(())
    }

    /// The job's input, checked against its hash.
    fn job_input(&self, job: &Hash, hash: &Hash) -> Result<Vec<u8>> {
        if let Some((_, b)) = self
            .compute
            .inputs
            .lock()
            .expect("inputs")
            .iter()
            .find(|(h, _)| h == hash)
        {
            return Ok(b.clone());
        }
        let bytes = self
            .node
            .compute_job_input(job)?
            .with_context(|| format!("job {job} has no input"))?;
        anyhow::ensure!(
            job_input_hash(&bytes) == *hash,
            "job {job}'s input does not hash to {hash}"
        );
        let mut inputs = self.compute.inputs.lock().expect("inputs");
        inputs.insert(0, (*hash, bytes.clone()));
        inputs.truncate(16);
        Ok(bytes)
    }

    /// This oracle's spot check of a revealed claim: the tasks drawn from the
    /// seed block's hash, re-executed and compared with the revealed results.
    fn verdict(
        &self,
        c: &ClaimView,
        module: &Hash,
        input_hash: &Hash,
        fuel: u64,
        seed_height: u64,
    ) -> Result<JobVerdict> {
        let block = self
            .node
            .block(seed_height)?
            .with_context(|| format!("no block at {seed_height}"))?;
        let claim = &c.claim;
        let tasks = spot_check_tasks(&block.hash, &claim.id, &claim.tasks, c.spot_check_bps);
        let module = self.compute.modules().get(module, || {
            self.node
                .compute_module_bytes(module)?
                .with_context(|| format!("module {module} is not on the ledger"))
        })?;
        let input = self.job_input(&claim.job, input_hash)?;
        let mut checks = Vec::with_capacity(tasks.len());
        for t in tasks {
            let i = claim
                .tasks
                .binary_search(&t)
                .map_err(|_| anyhow::anyhow!("drawn task {t} is not the claim's"))?;
            let ran = execute(&module, &input, t, fuel)
                .with_context(|| format!("task {t} of job {} cannot run", claim.job))?;
            checks.push(TaskCheck {
                task: t,
                ok: claim.results.get(i) == Some(&ran.result),
            });
        }
        Ok(JobVerdict {
            chain: self.chain,
            claim: claim.id,
            epoch: self.clock.epoch_of(block.header.timestamp_ms),
            seed_height,
            checks,
        })
    }

    /// This oracle's signature and the peers' over `verdict`.
    fn gather_verdict(&self, verdict: &JobVerdict) -> Vec<OracleSignature> {
        let own = verdict.sign(self.key());
        let req = VerdictProposal {
            verdict: verdict.clone(),
            signature: own,
        };
        self.gather_cosignatures(own, &verdict.signing_bytes(), "a spot check", |c| {
            c.cosign_verdict(&req)
        })
    }

    /// What `network`'s providers earned in `epoch`, read from the ledger once a
    /// block after the epoch's end exists (the epoch's earnings are final then).
    pub(crate) fn compute_earnings(&self, network: &str, epoch: u64) -> Result<ComputeEarnings> {
        let status = self.node.status()?;
        let end = self.clock.window(epoch).end_ms;
        anyhow::ensure!(
            status.timestamp_ms >= end,
            "no block after epoch {epoch}'s end yet: its compute earnings may still change"
        );
        let mut earned: Vec<(plinth_core::DeviceId, u64)> = self
            .node
            .compute_all_earned(network, epoch)?
            .into_iter()
            .map(|e| (e.device, e.credits))
            .collect();
        earned.sort();
        let view = self.node.price()?;
        let work = ledger_work(
            &self.node,
            network,
            epoch,
            self.networks_at(epoch)?.is_energy(network),
        )?;
        Ok(ComputeEarnings {
            work,
            network: network.to_string(),
            epoch,
            height: status.height,
            earned,
            price: view.price.map(|p| plinth_proofs::storage::TokenPrice {
                micro_usd_per_token: p.micro_usd_per_token,
                credit_micro_usd: view.credit_micro_usd,
                decimals: self.decimals,
            }),
        })
    }

    /// Whether `e` is what the ledger recorded (a co-signer's check).
    pub fn check_earnings(&self, e: &ComputeEarnings) -> Result<(), String> {
        check_earnings(&self.node, e)
    }

    /// `POST /v1/cosign/verdict`: signs a spot check that this oracle, re-executing
    /// the same claim from the same seed block, comes to as well.
    pub fn cosign_verdict(&self, p: &VerdictProposal) -> Result<OracleSignature, ProposalRefusal> {
        let v = &p.verdict;
        let r = self
            .check_proposer(&v.chain, v.epoch, &v.signing_bytes(), &p.signature)
            .and_then(|_| self.check_verdict(v));
        match r {
            Ok(()) => Ok(v.sign(self.key())),
            Err(e) => {
                self.record_refusal("compute", v.epoch, p.signature.oracle, &e);
                Err(e)
            }
        }
    }

    fn check_verdict(&self, v: &JobVerdict) -> Result<(), ProposalRefusal> {
        let differs = |reason: String| ProposalRefusal::VerdictDiffers { reason };
        let c = self
            .node
            .compute_claim(&v.claim)
            .map_err(ProposalRefusal::unavailable)?
            .ok_or_else(|| differs(format!("claim {} is not on the ledger", v.claim)))?;
        if c.seed_height != Some(v.seed_height) {
            return Err(differs(format!(
                "the seed block of claim {} is {:?}, not {}",
                v.claim, c.seed_height, v.seed_height
            )));
        }
        let job = self
            .node
            .compute_job(&c.claim.job)
            .map_err(ProposalRefusal::unavailable)?
            .ok_or_else(|| differs(format!("job {} is not on the ledger", c.claim.job)))?
            .job;
        let own = self
            .verdict(
                &c,
                &job.module,
                &job.input_hash,
                job.fuel_per_task,
                v.seed_height,
            )
            .map_err(ProposalRefusal::unavailable)?;
        if own != *v {
            return Err(differs(format!(
                "re-executed, claim {} checks {:?} in epoch {}, not {:?} in epoch {}",
                v.claim, own.checks, own.epoch, v.checks, v.epoch
            )));
        }
        Ok(())
    }

    /// Runs the capacity checks due now on `network`'s active leases.
    fn capacity_checks(
        &self,
        network: &str,
        params: &plinth_proofs::compute::ComputeFamilyParams,
    ) -> Result<()> {
        if params.checks_per_epoch == 0 {
            return Ok(());
        }
        let now = now_ms();
        let epoch = self.clock.epoch_of(now);
        let window = self.clock.window(epoch);
        let mut leases = Vec::new();
        let mut after = None;
        loop {
            let page = self.node.compute_leases(&LeasesQuery {
                network: Some(network.to_string()),
                active: Some(true),
                after: after.clone(),
                ..LeasesQuery::default()
            })?;
            let n = page.len();
            after = page.last().map(|l| l.lease.id.to_string());
            leases.extend(page);
            if n < plinth_api::compute::DEFAULT_COMPUTE_PAGE {
                break;
            }
        }
        for view in leases {
            let lease = &view.lease;
            if !self.check_due(
                &lease.id,
                epoch,
                params.checks_per_epoch,
                window.start_ms,
                window.end_ms,
                now,
            ) {
                continue;
            }
            let offer = self.node.compute_offer(&lease.provider)?;
            let pass = match offer {
                Some(o) => self.check_once(&o.offer.endpoint, &lease.id, params.check_timeout_ms),
                None => false,
            };
            tracing::info!(network, lease = %lease.id, provider = %lease.provider, pass, "capacity check");
            let mut checks = self.compute.checks.lock().expect("checks");
            checks
                .entry((network.to_string(), epoch))
                .or_default()
                .entry(lease.id)
                .or_default()
                .push(pass);
            while checks.len() > KEPT_EPOCHS * 4 {
                let first = checks.keys().next().cloned().expect("non-empty");
                checks.remove(&first);
            }
        }
        Ok(())
    }

    /// Whether a check of `lease` is due at `now`: `per_epoch` times drawn at
    /// random in the epoch's window (the provider cannot know them).
    fn check_due(
        &self,
        lease: &Hash,
        epoch: u64,
        per_epoch: u32,
        start: u64,
        end: u64,
        now: u64,
    ) -> bool {
        let mut schedule = self.compute.schedule.lock().expect("schedule");
        schedule.retain(|(_, e), _| *e + 1 >= epoch);
        let times = schedule.entry((*lease, epoch)).or_insert_with(|| {
            let mut rng = rand::thread_rng();
            // From now (a lease seen mid-epoch) to the end, leaving the timeout.
            let from = now.max(start);
            let to = end.saturating_sub(1).max(from + 1);
            let mut t: Vec<u64> = (0..per_epoch).map(|_| rng.gen_range(from..to)).collect();
            t.sort_unstable_by(|a, b| b.cmp(a));
            t
        });
        if times.last().is_some_and(|t| *t <= now) {
            times.pop();
            true
        } else {
            false
        }
    }

    /// One check of the provider at `endpoint`: the right benchmark result before
    /// the deadline.
    fn check_once(&self, endpoint: &str, lease: &Hash, timeout_ms: u64) -> bool {
        let req = CheckRequest {
            lease: *lease,
            seed: rand::thread_rng().gen(),
            rounds: CHECK_ROUNDS,
        };
        let Ok(expected) = run_check(&req) else {
            return false;
        };
        let url = format!("{}/v1/check", endpoint.trim_end_matches('/'));
        let started = Instant::now();
        let answer: Result<CheckAnswer, String> =
            plinth_api::client::agent(Duration::from_millis(timeout_ms))
                .post(&url)
                .send_json(&req)
                .map_err(|e| e.to_string())
                .and_then(|r| r.into_json().map_err(|e| e.to_string()));
        let in_time = started.elapsed() <= Duration::from_millis(timeout_ms);
        match answer {
            Ok(a) => a == expected && in_time,
            Err(e) => {
                tracing::debug!(%url, error = %e, "capacity check unanswered");
                false
            }
        }
    }

    /// Settles the capacity checks of `network`'s finished epochs.
    fn settle_checks(&self, network: &str) -> Result<()> {
        let current = self.clock.epoch_of(now_ms());
        let due: Vec<(u64, BTreeMap<Hash, Vec<bool>>)> = {
            let checks = self.compute.checks.lock().expect("checks");
            let settled = self.compute.settled.lock().expect("settled");
            checks
                .iter()
                .filter(|((n, e), _)| {
                    n == network && *e < current && !settled.contains(&(n.clone(), *e))
                })
                .map(|((_, e), l)| (*e, l.clone()))
                .collect()
        };
        for (epoch, leases) in due {
            let entries: Vec<LeaseChecks> = leases
                .into_iter()
                .map(|(lease, mut results)| {
                    results.truncate(64);
                    LeaseChecks { lease, results }
                })
                .collect();
            for part in entries.chunks(MAX_CHECK_RESULTS) {
                let checks = ComputeChecks {
                    chain: self.chain,
                    network: network.to_string(),
                    epoch,
                    leases: part.to_vec(),
                };
                let signatures = self.gather_checks(&checks);
                let set = self.set_at(epoch)?;
                if (signatures.len() as u32) < set.threshold {
                    tracing::warn!(
                        network,
                        epoch,
                        "capacity checks not co-signed by enough oracles"
                    );
                    continue;
                }
                let failing: Vec<Hash> = checks
                    .leases
                    .iter()
                    .filter(|l| l.results.iter().any(|ok| !ok))
                    .map(|l| l.lease)
                    .collect();
                let tx = self.send_tx(Call::SettleChecks { checks, signatures })?;
                tracing::info!(network, epoch, leases = part.len(), tx = %tx, "capacity checks settled");
                self.report_closed_leases(network, epoch, &failing);
            }
            self.compute
                .settled
                .lock()
                .expect("settled")
                .insert((network.to_string(), epoch));
        }
        Ok(())
    }

    /// Logs the leases among `failing` that failed checks closed (once the
    /// settlement is in a block, within a few seconds).
    fn report_closed_leases(&self, network: &str, epoch: u64, failing: &[Hash]) {
        use plinth_ledger::compute::{LeaseCloseReason, LeaseStatus};
        if failing.is_empty() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left: Vec<Hash> = failing.to_vec();
        while !left.is_empty() && Instant::now() < deadline {
            left.retain(|id| match self.node.compute_lease(id) {
                Ok(Some(v)) if v.lease.status == LeaseStatus::Closed(LeaseCloseReason::FailedChecks) => {
                    tracing::warn!(network, lease = %id, provider = %v.lease.provider, slashed = v.lease.collateral, "CHEATER CAUGHT: capacity checks failed in a row; the lease is closed, its escrow refunded and its collateral slashed");
                    false
                }
                // Still waiting while the settlement is not applied.
                Ok(Some(v)) => v.lease.next_check_epoch <= epoch,
                _ => false,
            });
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn gather_checks(&self, checks: &ComputeChecks) -> Vec<OracleSignature> {
        let own = checks.sign(self.key());
        let req = ChecksProposal {
            checks: checks.clone(),
            signature: own,
        };
        self.gather_cosignatures(own, &checks.signing_bytes(), "capacity checks", |c| {
            c.cosign_checks(&req)
        })
    }

    /// `POST /v1/cosign/checks`: signs capacity checks whose every failure, lease
    /// by lease, this oracle saw itself (it checks the same leases in the epoch):
    /// no member can close a lease with failures it made up.
    pub fn cosign_checks(&self, p: &ChecksProposal) -> Result<OracleSignature, ProposalRefusal> {
        let c = &p.checks;
        let r = self
            .check_proposer(&c.chain, c.epoch, &c.signing_bytes(), &p.signature)
            .and_then(|_| {
                let own = self.compute.checks.lock().expect("checks");
                let mine = own.get(&(c.network.clone(), c.epoch));
                for l in &c.leases {
                    let claimed = l.results.iter().filter(|ok| !**ok).count();
                    let seen = mine
                        .and_then(|m| m.get(&l.lease))
                        .map_or(0, |r| r.iter().filter(|ok| !**ok).count());
                    if claimed > seen {
                        return Err(ProposalRefusal::ChecksUnconfirmed {
                            reason: format!(
                                "lease {}: {claimed} failures listed, this oracle saw {seen}",
                                l.lease
                            ),
                        });
                    }
                }
                Ok(())
            });
        match r {
            Ok(()) => Ok(c.sign(self.key())),
            Err(e) => {
                self.record_refusal(&c.network, c.epoch, p.signature.oracle, &e);
                Err(e)
            }
        }
    }
}

/// The work the ledger verified in `network`'s epoch, sorted: an energy
/// network's verified generation (none for other networks).
pub fn ledger_work(
    node: &plinth_api::NodeClient,
    network: &str,
    epoch: u64,
    energy: bool,
) -> Result<Vec<(plinth_core::DeviceId, u64)>> {
    if !energy {
        return Ok(Vec::new());
    }
    let mut work: Vec<_> = node
        .energy_all_generation(network, epoch)?
        .into_iter()
        .map(|g| (g.device, g.wh))
        .collect();
    work.sort();
    Ok(work)
}

/// Whether `e` (a network's whole earnings list, sorted) is what the ledger
/// recorded for its network and epoch (and, for an energy network, its verified
/// generation): the co-signers' and the audit's check.
pub fn check_earnings(node: &plinth_api::NodeClient, e: &ComputeEarnings) -> Result<(), String> {
    let energy = node
        .networks()
        .map_err(|err| format!("reading the networks: {err}"))?
        .iter()
        .any(|n| n.name == e.network && n.family == plinth_core::FamilyKind::Energy);
    let work = ledger_work(node, &e.network, e.epoch, energy)
        .map_err(|err| format!("reading the ledger's generation: {err}"))?;
    if work != e.work {
        return Err(format!(
            "verified generation of {} in epoch {}: {} meters listed, the ledger has {} (or other amounts)",
            e.network,
            e.epoch,
            e.work.len(),
            work.len()
        ));
    }
    let mut ledger: Vec<(plinth_core::DeviceId, u64)> = node
        .compute_all_earned(&e.network, e.epoch)
        .map_err(|err| format!("reading the ledger's earnings: {err}"))?
        .into_iter()
        .map(|v| (v.device, v.credits))
        .collect();
    ledger.sort();
    if ledger != e.earned {
        return Err(format!(
            "compute earnings of {} in epoch {}: {} providers listed, the ledger has {} (or other amounts)",
            e.network,
            e.epoch,
            e.earned.len(),
            ledger.len()
        ));
    }
    Ok(())
}

/// The earnings parts of `network` among `batches`, merged into one sorted list
/// (`None` when there are none).
pub fn merged_earnings<'a>(
    network: &str,
    parts: impl IntoIterator<Item = &'a ComputeEarnings>,
) -> Option<ComputeEarnings> {
    let mut whole: Option<ComputeEarnings> = None;
    for e in parts.into_iter().filter(|e| e.network == network) {
        match &mut whole {
            Some(w) => {
                w.earned.extend(e.earned.iter().copied());
                w.work.extend(e.work.iter().copied());
            }
            None => whole = Some(e.clone()),
        }
    }
    if let Some(w) = &mut whole {
        w.earned.sort();
        w.work.sort();
    }
    whole
}
