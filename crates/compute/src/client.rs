//! The consumer's side of a job: put the module on the ledger, create the job,
//! follow it to the end (moving stuck claims on), and fetch every task's output
//! from a provider that produced the accepted result, checked against the ledger.
//!
//! ```text
//!  submit:  module on the ledger? else UploadModule × chunks ─▶ CreateJob ─▶ job id
//!  follow:  job open ─▶ FinalizeClaim for claims past their window (expired,
//!           unrevealed, unchecked) ─▶ completed | cancelled | expired
//!  outputs: per task: the accepted result (TaskSlot::result) ─▶ providers that gave it
//!           ─▶ GET {endpoint}/v1/results/{job}/{task} ─▶ hash must be the result
//! ```

use crate::ledger::ComputeLedger;
use anyhow::{bail, Context, Result};
use plinth_core::Hash;
use plinth_ledger::compute::{
    claim_id, job_id, module_chunks, module_hash, task_result_hash, ClaimStatus, Job, JobStatus,
    MODULE_CHUNK_BYTES,
};
use plinth_ledger::{Call, TxError};
use std::collections::HashSet;
use std::io::Read;
use std::time::{Duration, Instant};

/// What a consumer asks for.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The compute network.
    pub network: String,
    /// The module's bytes (uploaded if the ledger does not have it).
    pub module: Vec<u8>,
    /// The input every task reads.
    pub input: Vec<u8>,
    /// Number of tasks.
    pub tasks: u32,
    /// Fuel per task.
    pub fuel_per_task: u64,
    /// Credits per task result.
    pub price_per_task: u64,
    /// Spot-check rate in basis points (`None`: the chain's default).
    pub spot_check_bps: Option<u32>,
    /// Providers per task.
    pub redundancy: u8,
    /// Blocks until the job's deadline.
    pub deadline_blocks: u64,
    /// Only this lease's provider may run it.
    pub lease: Option<Hash>,
}

fn refused(what: &str, e: TxError) -> anyhow::Error {
    anyhow::anyhow!("{what} refused by the ledger: {e}")
}

/// Puts `bytes` on the ledger as a module (nothing when it is there); its hash.
pub fn upload_module(ledger: &dyn ComputeLedger, bytes: &[u8]) -> Result<Hash> {
    let hash = module_hash(bytes);
    if ledger.module_bytes(&hash)?.is_some() {
        return Ok(hash);
    }
    let size = u32::try_from(bytes.len()).context("module too large")?;
    for index in 0..module_chunks(size) {
        let start = index as usize * MODULE_CHUNK_BYTES;
        let end = (start + MODULE_CHUNK_BYTES).min(bytes.len());
        let sent = ledger.send(Call::UploadModule {
            module: hash,
            size,
            index,
            bytes: bytes[start..end].to_vec(),
        })?;
        if let Some(e) = sent.error {
            return Err(refused(&format!("module chunk {index}"), e));
        }
    }
    Ok(hash)
}

/// Creates the job (uploading the module first when needed); its id.
pub fn submit(ledger: &dyn ComputeLedger, spec: &JobSpec) -> Result<Hash> {
    let module = upload_module(ledger, &spec.module)?;
    let sent = ledger.send(Call::CreateJob {
        network: spec.network.clone(),
        module,
        input: spec.input.clone(),
        tasks: spec.tasks,
        fuel_per_task: spec.fuel_per_task,
        price_per_task: spec.price_per_task,
        spot_check_bps: spec.spot_check_bps,
        redundancy: spec.redundancy,
        lease: spec.lease,
        deadline_blocks: spec.deadline_blocks,
    })?;
    if let Some(e) = sent.error {
        return Err(refused("the job", e));
    }
    Ok(job_id(&ledger.account(), sent.nonce))
}

/// Moves on the job's claims that are past their window (anyone may): expired
/// uncommitted claims, unrevealed ones (slashed), revealed ones nobody checked.
/// `settled` remembers the claims already over. Returns how many were moved.
pub fn finalize_due(
    ledger: &dyn ComputeLedger,
    job: &Job,
    settled: &mut HashSet<u32>,
) -> Result<usize> {
    let params = ledger.params()?;
    let h = ledger.height()?;
    let mut moved = 0;
    for n in 0..job.claims {
        if settled.contains(&n) {
            continue;
        }
        let Some(c) = ledger.claim(&claim_id(&job.id, n))? else {
            continue;
        };
        let due = match c.status {
            ClaimStatus::Claimed => h >= c.commit_deadline,
            ClaimStatus::Committed => h > c.committed_height + params.reveal_blocks,
            ClaimStatus::Revealed => {
                job.spot_check_bps == 0 || h > c.revealed_height + params.verify_blocks
            }
            _ => {
                settled.insert(n);
                false
            }
        };
        if due {
            let sent = ledger.send(Call::FinalizeClaim { claim: c.id })?;
            if sent.error.is_none() {
                moved += 1;
                match c.status {
                    ClaimStatus::Committed => tracing::warn!(
                        claim = %c.id,
                        provider = %c.provider,
                        job = %job.id,
                        "CHEATER CAUGHT: the claim's commitments were never opened (a copied commitment cannot be); slashed"
                    ),
                    ClaimStatus::Claimed => {
                        tracing::info!(claim = %c.id, provider = %c.provider, "claim expired uncommitted; its tasks are open again")
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(moved)
}

/// Follows `job` until it is no longer open (or `timeout`), moving stuck claims
/// on; `progress` sees the job at every look.
pub fn follow(
    ledger: &dyn ComputeLedger,
    job: &Hash,
    timeout: Duration,
    poll: Duration,
    mut progress: impl FnMut(&Job),
) -> Result<Job> {
    let start = Instant::now();
    let mut settled = HashSet::new();
    loop {
        let j = ledger
            .job(job)?
            .with_context(|| format!("job {job} is not on the ledger"))?;
        progress(&j);
        if j.status != JobStatus::Open {
            return Ok(j);
        }
        if start.elapsed() > timeout {
            bail!(
                "job {job} is still open after {:?}: {} of {} tasks done",
                timeout,
                j.done,
                j.tasks
            );
        }
        finalize_due(ledger, &j, &mut settled)?;
        std::thread::sleep(poll);
    }
}

/// The largest output fetched from a provider.
pub const MAX_OUTPUT_BYTES: u64 = 1 << 20;

/// Fetches task `task`'s output from the provider at `endpoint`.
pub fn fetch_output(endpoint: &str, job: &Hash, task: u32) -> Result<Vec<u8>> {
    let url = format!("{}/v1/results/{job}/{task}", endpoint.trim_end_matches('/'));
    let resp = plinth_api::client::agent(Duration::from_secs(30))
        .get(&url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(MAX_OUTPUT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_OUTPUT_BYTES {
        bail!("{url}: more than {MAX_OUTPUT_BYTES} bytes");
    }
    Ok(bytes)
}

/// Every task's output of a completed job, each from a provider whose result
/// the ledger accepted and checked against that result.
pub fn outputs(ledger: &dyn ComputeLedger, job: &Job) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(job.tasks as usize);
    for task in 0..job.tasks {
        let slot = ledger.task_slot(&job.id, task)?;
        let Some(result) = slot.result else {
            bail!("task {task} of job {} has no accepted result", job.id);
        };
        let mut errors = Vec::new();
        let mut got = None;
        for (provider, r) in &slot.results {
            if *r != result {
                continue;
            }
            let Some(offer) = ledger.offer(provider)? else {
                errors.push(format!("{provider}: no offer"));
                continue;
            };
            match fetch_output(&offer.endpoint, &job.id, task) {
                Ok(bytes) if task_result_hash(&bytes) == result => {
                    got = Some(bytes);
                    break;
                }
                Ok(_) => errors.push(format!("{provider}: an output that is not the result")),
                Err(e) => errors.push(format!("{provider}: {e:#}")),
            }
        }
        match got {
            Some(bytes) => out.push(bytes),
            None => bail!(
                "no provider served task {task}'s output: {}",
                errors.join("; ")
            ),
        }
    }
    Ok(out)
}
