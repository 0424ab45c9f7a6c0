//! The compute provider's agent: claims tasks of open jobs, runs them, commits
//! to their results, reveals them a block later, and serves the outputs to the
//! consumer.
//!
//! ```text
//!  every poll:  for each claim it holds (claims.json, written before moving on):
//!                 claimed   ─▶ run the tasks (outputs fsynced under results/) ─▶ CommitTasks
//!                 committed ─▶ RevealTasks (a later block; with redundancy once every
//!                              copy is committed)
//!                 revealed  ─▶ wait for the oracle set's spot check; FinalizeClaim once
//!                              the verify window passed
//!                 verified | slashed | expired ─▶ forgotten (outputs kept and served)
//!               with no claim in hand: ClaimTasks on the oldest open job with open tasks
//!  HTTP:        GET /v1/results/{job}/{task}  the output bytes (octet-stream)
//!               POST /v1/check                a capacity check: runs the task it names
//!               GET /v1/status                what the agent holds
//! ```
//!
//! A crash at any point loses nothing that matters: before it sends `ClaimTasks`
//! the agent writes down which job it claims from and how many claims the job
//! had (`claiming.json`), so a restart finds a claim it took but had not recorded
//! yet and goes on with it; a claim is recorded (`claims.json`) before it is
//! committed to, outputs are fsynced before their commitment is sent, and a
//! restarted agent picks its claims up from `claims.json`. Nothing is paid twice.
//!
//! [`Behaviour`] turns an agent into one of the devnet's cheaters.

use crate::ledger::ComputeLedger;
use crate::runner::{execute, ModuleCache};
use anyhow::{Context, Result};
use plinth_core::{DeviceId, Hash};
use plinth_ledger::compute::{claim_id, task_commitment, task_result_hash, ClaimStatus, TaskClaim};
use plinth_ledger::{Call, TxError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How the agent behaves: honestly, or as one of the devnet's cheaters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Behaviour {
    /// Runs every task and reveals its true results.
    #[default]
    Honest,
    /// Runs nothing: every result is made-up bytes.
    Garbage,
    /// Copies another provider's commitments on the same job (which, bound to that
    /// provider, never open to this one's results).
    Copier,
    /// Runs only some tasks; `per_million` of them get made-up results.
    Skipper {
        /// Tasks skipped per million.
        per_million: u32,
    },
}

impl std::fmt::Display for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Behaviour::Honest => write!(f, "honest"),
            Behaviour::Garbage => write!(f, "garbage"),
            Behaviour::Copier => write!(f, "copier"),
            Behaviour::Skipper { per_million } => {
                write!(f, "skipper:{}%", *per_million as f64 / 10_000.0)
            }
        }
    }
}

impl std::str::FromStr for Behaviour {
    type Err = String;

    /// `honest`, `garbage`, `copier` or `skipper:PERCENT` (e.g. `skipper:50%`).
    fn from_str(s: &str) -> Result<Behaviour, String> {
        match s.trim() {
            "honest" => Ok(Behaviour::Honest),
            "garbage" => Ok(Behaviour::Garbage),
            "copier" => Ok(Behaviour::Copier),
            other => {
                let pct = other
                    .strip_prefix("skipper:")
                    .ok_or_else(|| {
                        format!("`{s}` is not a behaviour: use honest, garbage, copier or skipper:PERCENT")
                    })?
                    .trim_end_matches('%');
                let whole: u32 = pct
                    .parse()
                    .map_err(|_| format!("skipper:{pct}: a whole percentage, 0 to 100"))?;
                if whole > 100 {
                    return Err(format!("skipper:{pct}: more than 100%"));
                }
                Ok(Behaviour::Skipper {
                    per_million: whole * 10_000,
                })
            }
        }
    }
}

/// How an agent is set up.
#[derive(Clone)]
pub struct AgentConfig {
    /// The compute network it works in.
    pub network: String,
    /// Its provider device (registered in `network`, with a compute offer).
    pub device: DeviceId,
    /// Where its claims and outputs live; created if missing.
    pub data_dir: PathBuf,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// The most tasks it claims at once.
    pub tasks_per_claim: u32,
    /// Time between two looks at the ledger.
    pub poll: Duration,
}

/// A claim the agent holds, as it records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldClaim {
    /// The claim.
    pub id: Hash,
    /// Its job.
    pub job: Hash,
    /// Its tasks.
    pub tasks: Vec<u32>,
    /// The result hashes it committed to (empty before).
    pub results: Vec<Hash>,
    /// The ledger refused its reveal for good (it is not tried again).
    #[serde(default)]
    pub reveal_refused: bool,
}

/// A claim being taken, written before `ClaimTasks` is sent: the job, and the
/// number of claims it had then (the new claim is one of the next ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claiming {
    /// The job claimed from.
    pub job: Hash,
    /// Its claim count before the claim.
    pub from: u32,
}

/// Claims of one job a recovery looks at past [`Claiming::from`] (others may
/// have claimed between the count and the claim).
const RECOVERY_SCAN: u32 = 256;

/// What the agent shows at `GET /v1/status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AgentStatus {
    /// Its device.
    pub device: String,
    /// How it behaves.
    pub behaviour: String,
    /// Claims in hand.
    pub claims: Vec<HeldClaim>,
    /// Claims verified (paid) since start.
    pub verified: u64,
    /// Claims slashed since start.
    pub slashed: u64,
    /// Claims expired since start.
    pub expired: u64,
}

/// The agent's claims and outputs on disk.
pub struct AgentStore {
    dir: PathBuf,
}

impl AgentStore {
    /// Opens (creating) the store in `dir`.
    pub fn open(dir: &Path) -> Result<AgentStore> {
        std::fs::create_dir_all(dir.join("results"))
            .with_context(|| format!("creating {}", dir.display()))?;
        Ok(AgentStore {
            dir: dir.to_path_buf(),
        })
    }

    fn claims_path(&self) -> PathBuf {
        self.dir.join("claims.json")
    }

    /// The claims recorded.
    pub fn claims(&self) -> Result<Vec<HeldClaim>> {
        match std::fs::read(self.claims_path()) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("reading {}", self.claims_path().display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).context("reading claims.json"),
        }
    }

    /// Records `claims` durably (a new file, fsynced, renamed over the old).
    pub fn save_claims(&self, claims: &[HeldClaim]) -> Result<()> {
        write_durably(&self.claims_path(), &serde_json::to_vec_pretty(claims)?)
    }

    fn claiming_path(&self) -> PathBuf {
        self.dir.join("claiming.json")
    }

    /// The claim being taken when the agent stopped, if any.
    pub fn claiming(&self) -> Result<Option<Claiming>> {
        match std::fs::read(self.claiming_path()) {
            Ok(b) => Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("reading {}", self.claiming_path().display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).context("reading claiming.json"),
        }
    }

    /// Records (durably) the claim about to be taken, or that none is.
    pub fn set_claiming(&self, claiming: Option<&Claiming>) -> Result<()> {
        match claiming {
            Some(c) => write_durably(&self.claiming_path(), &serde_json::to_vec(c)?),
            None => match std::fs::remove_file(self.claiming_path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).context("removing claiming.json")
                }
                _ => Ok(()),
            },
        }
    }

    fn output_path(&self, job: &Hash, task: u32) -> PathBuf {
        self.dir
            .join("results")
            .join(job.to_string())
            .join(task.to_string())
    }

    /// Stores a task's output durably.
    pub fn put_output(&self, job: &Hash, task: u32, bytes: &[u8]) -> Result<()> {
        let path = self.output_path(job, task);
        std::fs::create_dir_all(path.parent().expect("a parent"))?;
        write_durably(&path, bytes)
    }

    /// A task's output, if stored.
    pub fn output(&self, job: &Hash, task: u32) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.output_path(job, task)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new
/// one whole.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The agent: its config, the ledger, its store and what it has done.
pub struct Agent {
    config: AgentConfig,
    ledger: Arc<dyn ComputeLedger>,
    store: AgentStore,
    modules: ModuleCache,
    status: std::sync::Mutex<AgentStatus>,
    /// Capacity checks running now (at most [`crate::check::MAX_CHECKS_IN_FLIGHT`]).
    checks_in_flight: std::sync::atomic::AtomicUsize,
}

impl Agent {
    /// An agent over `ledger` (whose account must own the device).
    pub fn new(config: AgentConfig, ledger: Arc<dyn ComputeLedger>) -> Result<Arc<Agent>> {
        let store = AgentStore::open(&config.data_dir)?;
        let status = AgentStatus {
            device: config.device.to_string(),
            behaviour: config.behaviour.to_string(),
            claims: store.claims()?,
            ..AgentStatus::default()
        };
        Ok(Arc::new(Agent {
            config,
            ledger,
            store,
            modules: ModuleCache::new(8),
            status: std::sync::Mutex::new(status),
            checks_in_flight: std::sync::atomic::AtomicUsize::new(0),
        }))
    }

    /// What the agent holds and has done.
    pub fn status(&self) -> AgentStatus {
        self.status.lock().expect("status").clone()
    }

    /// A task's stored output.
    pub fn output(&self, job: &Hash, task: u32) -> Result<Option<Vec<u8>>> {
        self.store.output(job, task)
    }

    /// Answers a capacity check (a garbage provider answers made-up results).
    pub fn answer_check(
        &self,
        req: &crate::check::CheckRequest,
    ) -> Result<crate::check::CheckAnswer> {
        if self.config.behaviour == Behaviour::Garbage {
            return Ok(crate::check::CheckAnswer {
                result: Hash::tagged("plinth/agent-garbage", &req.seed.to_le_bytes()),
            });
        }
        // On a thread with the interpreter's stack (this runs on a blocking-pool thread).
        let req = req.clone();
        let answer = std::thread::Builder::new()
            .name("compute-check".into())
            .stack_size(crate::runner::THREAD_STACK_BYTES)
            .spawn(move || crate::check::run_check(&req))?
            .join()
            .map_err(|_| anyhow::anyhow!("the check panicked"))??;
        Ok(answer)
    }

    /// Takes a place for one capacity check; `false` when
    /// [`crate::check::MAX_CHECKS_IN_FLIGHT`] run already. Give it back with
    /// [`Agent::end_check`].
    pub fn begin_check(&self) -> bool {
        let n = self.checks_in_flight.fetch_add(1, Ordering::SeqCst);
        if n >= crate::check::MAX_CHECKS_IN_FLIGHT {
            self.checks_in_flight.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Gives back the place [`Agent::begin_check`] took.
    pub fn end_check(&self) {
        self.checks_in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Runs the agent's loop on this thread until `stop`.
    pub fn run(&self, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) {
            if let Err(e) = self.step() {
                tracing::warn!(device = %self.config.device, error = %format!("{e:#}"), "compute agent step failed");
            }
            let mut slept = Duration::ZERO;
            while slept < self.config.poll && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
                slept += Duration::from_millis(50);
            }
        }
    }

    /// One look at the ledger: moves every held claim on, and claims new tasks
    /// when it holds none.
    pub fn step(&self) -> Result<()> {
        let mut claims = self.store.claims()?;
        // A claim taken but not recorded before a crash: found, recorded.
        if let Some(intent) = self.store.claiming()? {
            if let Some(held) = self.recover(&intent, &claims)? {
                tracing::info!(device = %self.config.device, claim = %held.id, job = %held.job, "compute claim recovered after a restart");
                claims.push(held);
                self.store.save_claims(&claims)?;
            }
            self.store.set_claiming(None)?;
        }
        let mut kept = Vec::new();
        for held in claims.drain(..) {
            if self.advance(&held)? {
                // What advancing recorded (results, a refused reveal) is on disk.
                let latest = self.store.claims()?.into_iter().find(|c| c.id == held.id);
                kept.push(latest.unwrap_or(held));
            }
        }
        if kept.is_empty() {
            if let Some(held) = self.claim_new()? {
                kept.push(held);
                // Recorded before anything is committed to.
                self.store.save_claims(&kept)?;
            }
            self.store.set_claiming(None)?;
        }
        self.store.save_claims(&kept)?;
        self.status.lock().expect("status").claims = kept;
        Ok(())
    }

    /// Moves one held claim on; whether it is still held.
    fn advance(&self, held: &HeldClaim) -> Result<bool> {
        let Some(claim) = self.ledger.claim(&held.id)? else {
            tracing::warn!(claim = %held.id, "a held claim is not on the ledger: forgotten");
            return Ok(false);
        };
        match claim.status {
            ClaimStatus::Claimed => {
                self.commit(held, &claim)?;
                Ok(true)
            }
            ClaimStatus::Committed => {
                self.reveal(held, &claim)?;
                Ok(true)
            }
            ClaimStatus::Revealed => {
                self.finalize_when_due(&claim)?;
                Ok(true)
            }
            ClaimStatus::Verified | ClaimStatus::Slashed | ClaimStatus::Expired => {
                let mut s = self.status.lock().expect("status");
                match claim.status {
                    ClaimStatus::Verified => s.verified += 1,
                    ClaimStatus::Slashed => s.slashed += 1,
                    _ => s.expired += 1,
                }
                drop(s);
                tracing::info!(
                    device = %self.config.device,
                    behaviour = %self.config.behaviour,
                    claim = %claim.id,
                    job = %claim.job,
                    tasks = claim.tasks.len(),
                    status = ?claim.status,
                    "compute claim settled"
                );
                Ok(false)
            }
        }
    }

    /// This device's claim in `intent`'s job that is not among `held`, if it took
    /// one (still `Claimed`: nothing was committed without a record).
    fn recover(&self, intent: &Claiming, held: &[HeldClaim]) -> Result<Option<HeldClaim>> {
        for n in intent.from..intent.from.saturating_add(RECOVERY_SCAN) {
            let id = claim_id(&intent.job, n);
            let Some(c) = self.ledger.claim(&id)? else {
                break;
            };
            if c.provider == self.config.device
                && c.status == ClaimStatus::Claimed
                && !held.iter().any(|h| h.id == id)
            {
                return Ok(Some(HeldClaim {
                    id,
                    job: intent.job,
                    tasks: c.tasks,
                    results: Vec::new(),
                    reveal_refused: false,
                }));
            }
        }
        Ok(None)
    }

    /// Takes the lowest open tasks of the oldest open job that has some.
    fn claim_new(&self) -> Result<Option<HeldClaim>> {
        let height = self.ledger.height()?;
        for job in self.ledger.open_jobs(&self.config.network)? {
            if job.deadline_height <= height + 1 {
                continue;
            }
            let before = job.claims;
            // Written down first: a crash after the claim lands finds it again.
            self.store.set_claiming(Some(&Claiming {
                job: job.id,
                from: before,
            }))?;
            let call = Call::ClaimTasks {
                job: job.id,
                device: self.config.device,
                count: self.config.tasks_per_claim.max(1),
            };
            match self.ledger.send(call)?.error {
                None => {}
                Some(TxError::NoOpenTasks { .. } | TxError::JobNotOpen { .. }) => continue,
                Some(e) => {
                    tracing::debug!(job = %job.id, error = %e, "claim refused");
                    continue;
                }
            }
            let after = self.ledger.job(&job.id)?.map_or(before, |j| j.claims);
            for n in before..after {
                let id = claim_id(&job.id, n);
                if let Some(c) = self.ledger.claim(&id)? {
                    if c.provider == self.config.device && c.status == ClaimStatus::Claimed {
                        tracing::info!(device = %self.config.device, claim = %id, job = %job.id, tasks = ?c.tasks, "compute tasks claimed");
                        return Ok(Some(HeldClaim {
                            id,
                            job: job.id,
                            tasks: c.tasks,
                            results: Vec::new(),
                            reveal_refused: false,
                        }));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Whether this agent fakes `task` of `job` (skipper): drawn from the job, the
    /// task and the device, so a restart fakes the same tasks.
    fn skips(&self, job: &Hash, task: u32) -> bool {
        match self.config.behaviour {
            Behaviour::Garbage => true,
            Behaviour::Skipper { per_million } => {
                let h = Hash::tagged(
                    "plinth/agent-skip",
                    &plinth_core::encode(&(job, task, &self.config.device)),
                );
                let r = u32::from_le_bytes(h.as_bytes()[..4].try_into().expect("4 bytes"));
                r % 1_000_000 < per_million
            }
            _ => false,
        }
    }

    /// The results of a claim's tasks: run (or faked), the outputs stored.
    fn results(&self, claim: &TaskClaim) -> Result<Vec<Hash>> {
        let job = self
            .ledger
            .job(&claim.job)?
            .with_context(|| format!("job {} is gone", claim.job))?;
        let mut module = None;
        let mut input = None;
        let mut results = Vec::with_capacity(claim.tasks.len());
        for &task in &claim.tasks {
            if let Some(bytes) = self.store.output(&claim.job, task)? {
                results.push(task_result_hash(&bytes));
                continue;
            }
            let bytes = if self.skips(&claim.job, task) {
                // Made-up output of a plausible size.
                let h = Hash::tagged(
                    "plinth/agent-garbage",
                    &plinth_core::encode(&(claim.job, task, &self.config.device)),
                );
                h.as_bytes().repeat(4)
            } else {
                if module.is_none() {
                    module = Some(self.modules.get(&job.module, || {
                        self.ledger
                            .module_bytes(&job.module)?
                            .with_context(|| format!("module {} is not on the ledger", job.module))
                    })?);
                    input = Some(self.ledger.job_input(&claim.job)?);
                }
                let m = module.as_ref().expect("loaded");
                let input = input.as_deref().expect("loaded");
                execute(m, input, task, job.fuel_per_task)
                    .with_context(|| format!("task {task} of job {} cannot run", claim.job))?
                    .bytes
            };
            self.store.put_output(&claim.job, task, &bytes)?;
            results.push(task_result_hash(&bytes));
        }
        Ok(results)
    }

    /// Commits to a claim's results (the copier: to someone else's commitments).
    fn commit(&self, held: &HeldClaim, claim: &TaskClaim) -> Result<()> {
        let commitments = if self.config.behaviour == Behaviour::Copier {
            match self.copied_commitments(claim)? {
                Some(c) => c,
                None => return Ok(()), // nothing to copy yet
            }
        } else {
            let results = self.results(claim)?;
            let mut h = held.clone();
            h.results = results.clone();
            self.remember(h)?;
            claim
                .tasks
                .iter()
                .zip(&results)
                .map(|(&t, r)| task_commitment(&claim.job, t, &claim.provider, r))
                .collect()
        };
        match self
            .ledger
            .send(Call::CommitTasks {
                claim: claim.id,
                commitments,
            })?
            .error
        {
            None => {
                tracing::info!(device = %self.config.device, claim = %claim.id, "compute results committed")
            }
            Some(e) => tracing::warn!(claim = %claim.id, error = %e, "commit refused"),
        }
        Ok(())
    }

    /// Another provider's commitments on the same job, as many as this claim has
    /// tasks (the copier's).
    fn copied_commitments(&self, claim: &TaskClaim) -> Result<Option<Vec<Hash>>> {
        let Some(job) = self.ledger.job(&claim.job)? else {
            return Ok(None);
        };
        for n in (0..job.claims).rev() {
            let Some(other) = self.ledger.claim(&claim_id(&claim.job, n))? else {
                continue;
            };
            if other.provider != claim.provider && !other.commitments.is_empty() {
                let mut c: Vec<Hash> = other
                    .commitments
                    .iter()
                    .copied()
                    .cycle()
                    .take(claim.tasks.len())
                    .collect();
                c.truncate(claim.tasks.len());
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Records `held` (its results) before they are committed to.
    fn remember(&self, held: HeldClaim) -> Result<()> {
        let mut claims = self.store.claims()?;
        match claims.iter_mut().find(|c| c.id == held.id) {
            Some(c) => *c = held,
            None => claims.push(held),
        }
        self.store.save_claims(&claims)
    }

    /// Reveals a committed claim's results (the copier reveals what it copied).
    fn reveal(&self, held: &HeldClaim, claim: &TaskClaim) -> Result<()> {
        if held.reveal_refused || self.ledger.height()? <= claim.committed_height {
            return Ok(());
        }
        let results = if !held.results.is_empty() {
            held.results.clone()
        } else {
            // The copier (or results lost): reveal what runs give.
            self.results(claim)?
        };
        match self
            .ledger
            .send(Call::RevealTasks {
                claim: claim.id,
                results,
            })?
            .error
        {
            None => {
                tracing::info!(device = %self.config.device, claim = %claim.id, "compute results revealed")
            }
            Some(TxError::TooEarly { .. }) => {}
            Some(TxError::BadClaim { reason, .. }) if reason.contains("other copies") => {}
            Some(e) => {
                tracing::warn!(claim = %claim.id, error = %e, "reveal refused; not tried again");
                let mut h = held.clone();
                h.reveal_refused = true;
                self.remember(h)?;
            }
        }
        Ok(())
    }

    /// Finalizes a revealed claim once the oracle set's window passed unchecked
    /// (at once for a job without spot checks).
    fn finalize_when_due(&self, claim: &TaskClaim) -> Result<()> {
        let params = self.ledger.params()?;
        let unchecked = self
            .ledger
            .job(&claim.job)?
            .is_some_and(|j| j.spot_check_bps == 0);
        let due = claim.revealed_height.saturating_add(params.verify_blocks);
        if !unchecked && self.ledger.height()? <= due {
            return Ok(());
        }
        match self
            .ledger
            .send(Call::FinalizeClaim { claim: claim.id })?
            .error
        {
            None | Some(TxError::TooEarly { .. }) => Ok(()),
            Some(e) => {
                tracing::debug!(claim = %claim.id, error = %e, "finalize refused");
                Ok(())
            }
        }
    }
}
