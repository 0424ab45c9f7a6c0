//! Verified jobs: modules, jobs, claims, commitments, reveals, the oracle set's
//! spot checks and redundancy. See the module docs of [`crate::compute`].
//!
//! Redundancy (a job's `k` above 1): each task goes to `k` different providers.
//! A claim reveals only once every copy of each of its tasks is committed (so no
//! provider commits after seeing another's result; its reveal window counts from
//! the last of those commits). A claim that passes its spot check (or is
//! finalized) adds its results to its tasks; once a task has `k` results the
//! strict majority decides: the providers who gave it are paid, the others'
//! copies are refunded to the consumer and recorded as outvoted; with no strict
//! majority the task's results are dropped and its copies run again (their price
//! stays in escrow). A committed claim whose task copies never all came before
//! the job's deadline expires without blame (collateral back).

use super::*;
use crate::context::BlockContext;
use crate::oracle_set::{check_envelope, check_quorum, OracleSignature};
use crate::params::ChainParams;

/// Applies a job call.
pub(crate) fn apply<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    let (state, params, block, signer) = (cx.state, cx.params, cx.block, &cx.signer);
    match call {
        Call::UploadModule {
            module,
            size,
            index,
            bytes,
        } => upload(state, block, signer, module, *size, *index, bytes),
        Call::CreateJob {
            network,
            module,
            input,
            tasks,
            fuel_per_task,
            price_per_task,
            spot_check_bps,
            redundancy,
            lease,
            deadline_blocks,
        } => {
            let p = self::params(state)?;
            let job = Job {
                id: job_id(signer, cx.nonce),
                consumer: *signer,
                network: network.clone(),
                module: *module,
                input_hash: job_input_hash(input),
                tasks: *tasks,
                fuel_per_task: *fuel_per_task,
                price_per_task: *price_per_task,
                spot_check_bps: spot_check_bps.unwrap_or(p.default_spot_check_bps),
                redundancy: *redundancy,
                lease: *lease,
                escrow: 0,
                created_height: block.height,
                deadline_height: block.height.saturating_add(*deadline_blocks),
                done: 0,
                claims: 0,
                status: JobStatus::Open,
            };
            create_job(state, &p, *deadline_blocks, job, input)
        }
        Call::CancelJob { job } => cancel_job(state, params, block, signer, job),
        Call::ClaimTasks { job, device, count } => {
            claim_tasks(state, block, signer, job, device, *count)
        }
        Call::CommitTasks { claim, commitments } => {
            commit_tasks(state, block, signer, claim, commitments)
        }
        Call::RevealTasks { claim, results } => reveal_tasks(state, block, signer, claim, results),
        Call::VerifyClaim {
            verdict,
            signatures,
        } => verify_claim(state, params, block, verdict, signatures),
        Call::FinalizeClaim { claim } => finalize_claim(state, params, block, claim),
        _ => unreachable!("compute::apply routes only job calls here"),
    }
}

fn upload_err(reason: impl Into<String>) -> Fail {
    TxError::BadModuleUpload {
        reason: reason.into(),
    }
    .into()
}

/// The UploadModule call: stages a chunk under the uploader; the chunk that
/// completes the module checks the bytes against its hash and stores it. A staged
/// chunk may be sent again (it replaces the first), so a wrong chunk can be fixed.
fn upload<S: Store>(
    state: &mut Overlay<'_, S>,
    block: &BlockContext,
    signer: &Address,
    hash: &Hash,
    size: u32,
    index: u32,
    bytes: &[u8],
) -> Result<(), Fail> {
    let max = params(state)?.max_module_bytes;
    if size == 0 || size > max {
        return Err(upload_err(format!(
            "a module is 1 to {max} bytes, not {size}"
        )));
    }
    let chunks = module_chunks(size);
    if index >= chunks {
        return Err(upload_err(format!(
            "chunk {index} of a {size}-byte module, which has {chunks}"
        )));
    }
    let expected = if index + 1 == chunks {
        size as usize - index as usize * MODULE_CHUNK_BYTES
    } else {
        MODULE_CHUNK_BYTES
    };
    if bytes.len() != expected {
        return Err(upload_err(format!(
            "chunk {index} must be {expected} bytes, not {}",
            bytes.len()
        )));
    }
    if module(state, hash)?.is_some() {
        return Err(upload_err(format!(
            "module {hash} is on the ledger already"
        )));
    }
    let key = keys::module_upload(signer.key(), hash);
    let mut up: ModuleUpload = state.get_t(&key)?.unwrap_or(ModuleUpload {
        hash: *hash,
        size,
        received: 0,
        started_height: block.height,
    });
    if up.size != size {
        return Err(upload_err(format!(
            "this upload of {hash} announced {} bytes, not {size}",
            up.size
        )));
    }
    let chunk_key = keys::module_upload_chunk(signer.key(), hash, index);
    if state.get(&chunk_key)?.is_none() {
        up.received += 1;
    }
    state.put(chunk_key, bytes.to_vec());
    if up.received < chunks {
        state.put_t(key, &up);
        return Ok(());
    }
    // Complete: check, then move the chunks to the module's keys.
    let mut all = Vec::with_capacity(size as usize);
    let mut parts = Vec::with_capacity(chunks as usize);
    for i in 0..chunks {
        let k = keys::module_upload_chunk(signer.key(), hash, i);
        let c = state.get(&k)?.ok_or_else(|| LedgerError::Corrupt {
            key: format!("upload of {hash} chunk {i}"),
            reason: "a counted chunk is missing".into(),
        })?;
        all.extend_from_slice(&c);
        state.delete(k);
        parts.push(c);
    }
    let found = module_hash(&all);
    if found != *hash {
        return Err(upload_err(format!(
            "the chunks hash to {found}, not {hash}: send the wrong chunk again"
        )));
    }
    state.delete(key);
    store_module(state, hash, parts, *signer, block.height);
    Ok(())
}

/// Stores a complete module, given as its chunks of [`MODULE_CHUNK_BYTES`] (the
/// last one shorter), under `hash` (which the caller checked).
pub(crate) fn store_module<S: Store>(
    state: &mut Overlay<'_, S>,
    hash: &Hash,
    chunks: Vec<Vec<u8>>,
    uploader: Address,
    height: u64,
) {
    let size: usize = chunks.iter().map(Vec::len).sum();
    for (i, c) in chunks.into_iter().enumerate() {
        state.put(keys::module_chunk(hash, i as u32), c);
    }
    state.put_t(
        keys::module(hash),
        &ModuleInfo {
            hash: *hash,
            size: size as u32,
            uploader,
            height,
        },
    );
}

fn job_err(reason: impl Into<String>) -> Fail {
    TxError::BadJob {
        reason: reason.into(),
    }
    .into()
}

/// The CreateJob call: checks the terms and escrows `tasks × redundancy × price`.
fn create_job<S: Store>(
    state: &mut Overlay<'_, S>,
    p: &ComputeParams,
    deadline_blocks: u64,
    mut job: Job,
    input: &[u8],
) -> Result<(), Fail> {
    compute_network(state, &job.network)?;
    if module(state, &job.module)?.is_none() {
        return Err(TxError::UnknownModule {
            module: job.module.to_string(),
        }
        .into());
    }
    if input.len() > p.max_input_bytes as usize {
        return Err(job_err(format!(
            "the input is {} bytes, at most {}",
            input.len(),
            p.max_input_bytes
        )));
    }
    if job.tasks == 0 || job.tasks > p.max_tasks {
        return Err(job_err(format!("a job has 1 to {} tasks", p.max_tasks)));
    }
    if job.fuel_per_task == 0 || job.fuel_per_task > p.max_fuel_per_task {
        return Err(job_err(format!(
            "fuel per task is 1 to {}",
            p.max_fuel_per_task
        )));
    }
    if job.price_per_task == 0 {
        return Err(TxError::ZeroAmount.into());
    }
    if job.spot_check_bps < p.min_spot_check_bps || job.spot_check_bps > 10_000 {
        return Err(job_err(format!(
            "the spot-check rate is {} to 10000 basis points",
            p.min_spot_check_bps
        )));
    }
    if job.redundancy == 0 || job.redundancy > p.max_redundancy {
        return Err(job_err(format!("redundancy is 1 to {}", p.max_redundancy)));
    }
    let window = p
        .commit_blocks
        .saturating_add(p.reveal_blocks)
        .saturating_add(p.verify_blocks);
    if deadline_blocks < window || deadline_blocks > p.max_lease_blocks {
        return Err(job_err(format!(
            "the deadline is {window} (one claim's commit, reveal and verify windows) to {} blocks away",
            p.max_lease_blocks
        )));
    }
    if let Some(id) = &job.lease {
        let l = lease(state, id)?.ok_or_else(|| TxError::UnknownLease {
            lease: id.to_string(),
        })?;
        if l.consumer != job.consumer {
            return Err(TxError::NotConsumer {
                consumer: l.consumer.to_string(),
            }
            .into());
        }
        if l.status != LeaseStatus::Active || l.network != job.network {
            return Err(job_err(format!(
                "lease {id} is not an active lease of {}",
                job.network
            )));
        }
    }
    let escrow = u64::from(job.tasks)
        .checked_mul(u64::from(job.redundancy))
        .and_then(|n| n.checked_mul(job.price_per_task))
        .ok_or(TxError::Overflow)?;
    credits::spend(state, &job.consumer, escrow)?;
    job.escrow = escrow;
    state.put(keys::job_input(&job.id), input.to_vec());
    state.put(
        keys::job_by_consumer(job.consumer.key(), &job.id),
        Vec::new(),
    );
    state.put_t(keys::job(&job.id), &job);
    Ok(())
}

/// The CancelJob call (the consumer; anyone once the deadline passed, which makes
/// it an expiry): every copy of a task that is neither claimed nor done is
/// refunded; accepted results of undecided tasks with no copy in flight are
/// decided with what they have; claims in flight keep their share of the escrow
/// and finish (what they cannot finish is refunded when they end).
fn cancel_job<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
) -> Result<(), Fail> {
    let mut job = self::job(state, id)?.ok_or_else(|| TxError::UnknownJob {
        job: id.to_string(),
    })?;
    // After its deadline anyone may close a job (an expiry), before only its consumer.
    if job.consumer != *signer && block.height < job.deadline_height {
        return Err(TxError::NotConsumer {
            consumer: job.consumer.to_string(),
        }
        .into());
    }
    if job.status != JobStatus::Open {
        return Err(TxError::JobNotOpen {
            job: id.to_string(),
        }
        .into());
    }
    let epoch = block.current_epoch(state, params)?;
    let mut open_copies = 0u64;
    let mut d = Decided::default();
    for t in 0..job.tasks {
        let key = keys::task_slot(id, t);
        let mut slot = task_slot(state, id, t)?;
        if slot.done {
            continue;
        }
        let taken = slot.claims.len() + slot.results.len();
        open_copies += u64::from(job.redundancy).saturating_sub(taken as u64);
        if slot.claims.is_empty() && !slot.results.is_empty() {
            // Accepted results waiting for copies that will not come now.
            decide(&mut slot, usize::from(job.redundancy), false, &mut d);
            state.put_t(key, &slot);
        }
    }
    let back = open_copies
        .checked_mul(job.price_per_task)
        .ok_or(TxError::Overflow)?
        .min(job.escrow);
    job.escrow -= back;
    refund(state, &job.network, epoch, &job.consumer, back)?;
    job.status = if block.height >= job.deadline_height {
        JobStatus::Expired
    } else {
        JobStatus::Cancelled
    };
    settle_decided(state, &mut job, epoch, &d)?;
    state.put_t(keys::job(id), &job);
    Ok(())
}

/// Refunds `copies` task copies of a job that is no longer open (a claim in
/// flight at its cancel that was slashed or expired: nothing re-runs them).
fn refund_closed_copies<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    job: &mut Job,
    copies: usize,
) -> Result<(), Fail> {
    if job.status == JobStatus::Open {
        return Ok(());
    }
    let back = (copies as u64)
        .checked_mul(job.price_per_task)
        .ok_or(TxError::Overflow)?
        .min(job.escrow);
    job.escrow -= back;
    let epoch = block.current_epoch(state, params)?;
    refund(state, &job.network, epoch, &job.consumer, back)?;
    state.put_t(keys::job(&job.id), job);
    Ok(())
}

fn load_claim<S: Store>(state: &Overlay<'_, S>, id: &Hash) -> Result<TaskClaim, Fail> {
    Ok(claim(state, id)?.ok_or_else(|| TxError::UnknownClaim {
        claim: id.to_string(),
    })?)
}

fn status_name(s: ClaimStatus) -> String {
    format!("{s:?}").to_lowercase()
}

fn expect_status(c: &TaskClaim, expected: ClaimStatus) -> Result<(), Fail> {
    if c.status != expected {
        return Err(TxError::ClaimState {
            claim: c.id.to_string(),
            status: status_name(c.status),
            expected: status_name(expected),
        }
        .into());
    }
    Ok(())
}

fn bad_claim(id: &Hash, reason: impl Into<String>) -> Fail {
    TxError::BadClaim {
        claim: id.to_string(),
        reason: reason.into(),
    }
    .into()
}

/// Whether `device` already holds a copy of the task (a claim of it, or an
/// accepted result): with redundancy, each copy goes to a different provider.
fn holds_copy<S: Store>(
    state: &Overlay<'_, S>,
    slot: &TaskSlot,
    device: &DeviceId,
) -> Result<bool, Fail> {
    if slot.results.iter().any(|(p, _)| p == device) {
        return Ok(true);
    }
    for id in &slot.claims {
        if load_claim(state, id)?.provider == *device {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Where the copies of a claim's tasks stand (redundancy).
enum Copies {
    /// Every copy of every task is committed (or accepted); the last commit's height.
    Committed(u64),
    /// A copy is claimed but not committed; its commit deadline (the latest such).
    Uncommitted(u64),
    /// A task has fewer than `redundancy` copies claimed.
    Missing,
}

fn copies<S: Store>(state: &Overlay<'_, S>, job: &Job, c: &TaskClaim) -> Result<Copies, Fail> {
    let k = usize::from(job.redundancy);
    let mut last = c.committed_height;
    let mut uncommitted: Option<u64> = None;
    let mut missing = false;
    if k == 1 {
        return Ok(Copies::Committed(last));
    }
    for &t in &c.tasks {
        let slot = task_slot(state, &c.job, t)?;
        let mut n = slot.results.len();
        for id in &slot.claims {
            let other = load_claim(state, id)?;
            n += 1;
            if other.status == ClaimStatus::Claimed {
                uncommitted = Some(uncommitted.unwrap_or(0).max(other.commit_deadline));
            } else {
                last = last.max(other.committed_height);
            }
        }
        missing |= n < k;
    }
    Ok(match (uncommitted, missing) {
        (Some(h), _) => Copies::Uncommitted(h),
        (None, true) => Copies::Missing,
        (None, false) => Copies::Committed(last),
    })
}

/// The claim's copies all committed: the last commit's height; else why it waits.
fn copies_committed<S: Store>(
    state: &Overlay<'_, S>,
    job: &Job,
    c: &TaskClaim,
) -> Result<Option<u64>, Fail> {
    Ok(match copies(state, job, c)? {
        Copies::Committed(h) => Some(h),
        _ => None,
    })
}

/// The strict majority of a task's results, if one has more than half of `k`.
fn majority(results: &[(DeviceId, Hash)], k: usize) -> Option<Hash> {
    results.iter().map(|(_, r)| *r).find(|r| {
        let n = results.iter().filter(|(_, x)| x == r).count();
        n * 2 > k
    })
}

/// The ClaimTasks call: the lowest open tasks, collateral locked per task.
fn claim_tasks<S: Store>(
    state: &mut Overlay<'_, S>,
    block: &BlockContext,
    signer: &Address,
    job_id: &Hash,
    device: &DeviceId,
    count: u32,
) -> Result<(), Fail> {
    let mut job = self::job(state, job_id)?.ok_or_else(|| TxError::UnknownJob {
        job: job_id.to_string(),
    })?;
    if job.status != JobStatus::Open || block.height >= job.deadline_height {
        return Err(TxError::JobNotOpen {
            job: job_id.to_string(),
        }
        .into());
    }
    let d = crate::devices::owned_active(state, device, signer)?;
    if d.network != job.network {
        return Err(job_err(format!(
            "the device works in {}, the job in {}",
            d.network, job.network
        )));
    }
    if let Some(l) = &job.lease {
        let lease = lease(state, l)?;
        if !lease.is_some_and(|l| l.status == LeaseStatus::Active && l.provider == *device) {
            return Err(job_err(format!(
                "only the provider of lease {l} may claim this job's tasks"
            )));
        }
    }
    if count == 0 || count > MAX_CLAIM_TASKS {
        return Err(job_err(format!(
            "a claim holds 1 to {MAX_CLAIM_TASKS} tasks"
        )));
    }
    let id = claim_id(job_id, job.claims);
    let mut tasks = Vec::new();
    for t in 0..job.tasks {
        if tasks.len() == count as usize {
            break;
        }
        let mut slot = task_slot(state, job_id, t)?;
        let taken = slot.claims.len() + slot.results.len();
        if slot.done || taken >= usize::from(job.redundancy) {
            continue;
        }
        if job.redundancy > 1 && holds_copy(state, &slot, device)? {
            continue;
        }
        slot.claims.push(id);
        state.put_t(keys::task_slot(job_id, t), &slot);
        tasks.push(t);
    }
    if tasks.is_empty() {
        return Err(TxError::NoOpenTasks {
            job: job_id.to_string(),
            device: device.to_string(),
        }
        .into());
    }
    let mut off = offer(state, device)?.ok_or_else(|| TxError::NoComputeOffer {
        device: device.to_string(),
    })?;
    let collateral = off
        .collateral_per_task
        .checked_mul(tasks.len() as crate::Amount)
        .ok_or(TxError::Overflow)?;
    if off.free < collateral {
        return Err(TxError::InsufficientCollateral {
            needed: collateral,
            available: off.free,
        }
        .into());
    }
    off.free -= collateral;
    off.locked = off
        .locked
        .checked_add(collateral)
        .ok_or(TxError::Overflow)?;
    state.put_t(keys::compute_offer(device.key()), &off);
    let commit_deadline = block
        .height
        .saturating_add(self::params(state)?.commit_blocks);
    let c = TaskClaim {
        id,
        job: *job_id,
        provider: *device,
        tasks,
        collateral,
        claimed_height: block.height,
        commit_deadline,
        commitments: Vec::new(),
        committed_height: 0,
        results: Vec::new(),
        revealed_height: 0,
        status: ClaimStatus::Claimed,
    };
    state.put(keys::job_claim(job_id, job.claims), id.as_bytes().to_vec());
    job.claims += 1;
    state.put_t(keys::job(job_id), &job);
    state.put_t(keys::claim(&id), &c);
    Ok(())
}

/// The provider's owner of a claim, or why the signer is not it.
fn check_provider_owner<S: Store>(
    state: &Overlay<'_, S>,
    c: &TaskClaim,
    signer: &Address,
) -> Result<(), Fail> {
    crate::devices::owned(state, &c.provider, signer)?;
    Ok(())
}

/// The CommitTasks call.
fn commit_tasks<S: Store>(
    state: &mut Overlay<'_, S>,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
    commitments: &[Hash],
) -> Result<(), Fail> {
    let mut c = load_claim(state, id)?;
    check_provider_owner(state, &c, signer)?;
    expect_status(&c, ClaimStatus::Claimed)?;
    if block.height >= c.commit_deadline {
        return Err(bad_claim(
            id,
            format!("commitments were due before height {}", c.commit_deadline),
        ));
    }
    if commitments.len() != c.tasks.len() {
        return Err(bad_claim(
            id,
            format!(
                "{} commitments for {} tasks",
                commitments.len(),
                c.tasks.len()
            ),
        ));
    }
    c.commitments = commitments.to_vec();
    c.committed_height = block.height;
    c.status = ClaimStatus::Committed;
    state.put_t(keys::claim(id), &c);
    Ok(())
}

/// The RevealTasks call: each result must open its commitment; a block after the
/// commit at the earliest, within `reveal_blocks`.
fn reveal_tasks<S: Store>(
    state: &mut Overlay<'_, S>,
    block: &BlockContext,
    signer: &Address,
    id: &Hash,
    results: &[Hash],
) -> Result<(), Fail> {
    let mut c = load_claim(state, id)?;
    check_provider_owner(state, &c, signer)?;
    expect_status(&c, ClaimStatus::Committed)?;
    if block.height <= c.committed_height {
        return Err(TxError::TooEarly {
            from_height: c.committed_height + 1,
        }
        .into());
    }
    let job = claim_job(state, &c)?;
    let last_commit = match copies_committed(state, &job, &c)? {
        Some(h) => h,
        None => {
            return Err(bad_claim(
                id,
                "waiting for the commitments of the task's other copies (redundancy)",
            ))
        }
    };
    let last = last_commit.saturating_add(self::params(state)?.reveal_blocks);
    if block.height > last {
        return Err(bad_claim(
            id,
            format!("the reveal was due by height {last}"),
        ));
    }
    if results.len() != c.tasks.len() {
        return Err(bad_claim(
            id,
            format!("{} results for {} tasks", results.len(), c.tasks.len()),
        ));
    }
    for ((task, commitment), result) in c.tasks.iter().zip(&c.commitments).zip(results) {
        if task_commitment(&c.job, *task, &c.provider, result) != *commitment {
            return Err(bad_claim(
                id,
                format!("the result of task {task} does not open its commitment"),
            ));
        }
    }
    c.results = results.to_vec();
    c.revealed_height = block.height;
    c.status = ClaimStatus::Revealed;
    state.put(keys::pending_claim(&job.network, id), Vec::new());
    state.put_t(keys::claim(id), &c);
    Ok(())
}

/// How many of a claim's `n` tasks a spot check at `bps` re-executes:
/// `ceil(n × bps / 10000)`, at least one when `bps > 0`.
pub fn spot_check_count(n: usize, bps: u32) -> usize {
    if bps == 0 || n == 0 {
        return 0;
    }
    ((n as u64 * u64::from(bps.min(10_000))).div_ceil(10_000) as usize).clamp(1, n)
}

/// The tasks of a revealed claim that the oracle set re-executes: the claim's
/// [`spot_check_count`] tasks drawn without replacement from `seed` (the hash of
/// the first block after the reveal) and the claim's id, ascending. Pure: every
/// oracle, the provider and an auditor draw the same.
pub fn spot_check_tasks(seed: &Hash, claim: &Hash, tasks: &[u32], bps: u32) -> Vec<u32> {
    let m = spot_check_count(tasks.len(), bps);
    let mut pool = tasks.to_vec();
    for i in 0..m {
        let h = Hash::tagged(
            "plinth/spot-check",
            &plinth_core::encode(&(seed, claim, i as u32)),
        );
        let r = u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"));
        let j = i + (r % (pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(m);
    pool.sort_unstable();
    pool
}

fn claim_job<S: Store>(state: &Overlay<'_, S>, c: &TaskClaim) -> Result<Job, Fail> {
    Ok(
        self::job(state, &c.job)?.ok_or_else(|| LedgerError::Corrupt {
            key: format!("job {}", c.job),
            reason: "a claim's job is missing".into(),
        })?,
    )
}

/// Releases a claim's collateral: `slashed` of it to the job's consumer, the rest
/// back to the provider's pool.
fn release_collateral<S: Store>(
    state: &mut Overlay<'_, S>,
    c: &TaskClaim,
    consumer: &Address,
    slashed: crate::Amount,
) -> Result<(), Fail> {
    if let Some(mut off) = offer(state, &c.provider)? {
        off.locked = off.locked.saturating_sub(c.collateral);
        off.free = off
            .free
            .checked_add(c.collateral - slashed)
            .ok_or(TxError::Overflow)?;
        state.put_t(keys::compute_offer(c.provider.key()), &off);
    }
    if slashed > 0 {
        crate::accounts::credit(state, consumer, slashed)?;
    }
    Ok(())
}

/// Takes the claim off its tasks' slots (its tasks open again).
fn leave_slots<S: Store>(state: &mut Overlay<'_, S>, c: &TaskClaim) -> Result<(), Fail> {
    for &t in &c.tasks {
        let key = keys::task_slot(&c.job, t);
        let mut slot: TaskSlot = state.get_or_default(&key)?;
        slot.claims.retain(|id| *id != c.id);
        state.put_t(key, &slot);
    }
    Ok(())
}

/// What deciding tasks comes to: tasks paid per provider, copies refunded,
/// copies outvoted per provider, tasks done.
#[derive(Default)]
struct Decided {
    paid: Vec<(DeviceId, u64)>,
    refunded: u64,
    outvoted: Vec<(DeviceId, u64)>,
    done: u32,
}

fn bump(list: &mut Vec<(DeviceId, u64)>, d: &DeviceId) {
    match list.iter_mut().find(|(x, _)| x == d) {
        Some((_, n)) => *n += 1,
        None => list.push((*d, 1)),
    }
}

/// Decides a task from its results: once it has `k` (or, when its job is no
/// longer open, with whatever it has), the strict majority is paid and the rest
/// refunded and outvoted; no majority drops the results so its copies run again.
fn decide(slot: &mut TaskSlot, k: usize, open: bool, out: &mut Decided) {
    if slot.done || slot.results.is_empty() || (open && slot.results.len() < k) {
        return;
    }
    let need = if open { k } else { slot.results.len() };
    match majority(&slot.results, need) {
        Some(m) => {
            for (p, r) in &slot.results {
                if *r == m {
                    bump(&mut out.paid, p);
                } else {
                    out.refunded += 1;
                    bump(&mut out.outvoted, p);
                }
            }
            slot.done = true;
            slot.result = Some(m);
            out.done += 1;
        }
        None if open => slot.results.clear(),
        None => {
            // A closed job with no majority: nothing stands, every copy refunded.
            out.refunded += slot.results.len() as u64;
            slot.results.clear();
        }
    }
}

/// Pays, refunds and records what deciding tasks came to.
fn settle_decided<S: Store>(
    state: &mut Overlay<'_, S>,
    job: &mut Job,
    epoch: u64,
    d: &Decided,
) -> Result<(), Fail> {
    let mut tasks_paid = 0u64;
    for (p, n) in &d.paid {
        let pay = n
            .checked_mul(job.price_per_task)
            .ok_or(TxError::Overflow)?
            .min(job.escrow);
        job.escrow -= pay;
        tasks_paid += n;
        record_payment(state, &job.network, epoch, p, pay)?;
        update_reputation(state, p, |r| {
            r.tasks_verified = r.tasks_verified.checked_add(*n)?;
            Some(())
        })?;
    }
    let mut outvoted = 0u64;
    for (p, n) in &d.outvoted {
        outvoted += n;
        update_reputation(state, p, |r| {
            r.tasks_outvoted = r.tasks_outvoted.checked_add(*n)?;
            Some(())
        })?;
    }
    if d.refunded > 0 {
        let back = d
            .refunded
            .checked_mul(job.price_per_task)
            .ok_or(TxError::Overflow)?
            .min(job.escrow);
        job.escrow -= back;
        refund(state, &job.network, epoch, &job.consumer, back)?;
    }
    update_usage(state, &job.network, epoch, |u| {
        u.tasks_paid = u.tasks_paid.checked_add(tasks_paid)?;
        u.tasks_outvoted = u.tasks_outvoted.checked_add(outvoted)?;
        Some(())
    })?;
    job.done += d.done;
    if job.done >= job.tasks {
        job.status = JobStatus::Completed;
    }
    Ok(())
}

/// A claim whose results stand (spot-checked or finalized): its results join its
/// tasks, which are decided (with redundancy 1 at once: the provider is paid),
/// and its collateral comes back.
fn accept<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    c: &mut TaskClaim,
) -> Result<(), Fail> {
    let mut job = claim_job(state, c)?;
    let k = usize::from(job.redundancy);
    let open = job.status == JobStatus::Open;
    let mut d = Decided::default();
    for (i, &t) in c.tasks.iter().enumerate() {
        let key = keys::task_slot(&c.job, t);
        let mut slot: TaskSlot = state.get_or_default(&key)?;
        slot.claims.retain(|id| *id != c.id);
        if !slot.done {
            slot.results.push((c.provider, c.results[i]));
            decide(&mut slot, k, open, &mut d);
        } else if slot.result == Some(c.results[i]) {
            // A copy in flight when its closed job decided the task.
            slot.results.push((c.provider, c.results[i]));
            bump(&mut d.paid, &c.provider);
        } else {
            d.refunded += 1;
            bump(&mut d.outvoted, &c.provider);
        }
        state.put_t(key, &slot);
    }
    let epoch = block.current_epoch(state, params)?;
    settle_decided(state, &mut job, epoch, &d)?;
    release_collateral(state, c, &job.consumer, 0)?;
    state.delete(keys::pending_claim(&job.network, &c.id));
    state.put_t(keys::job(&job.id), &job);
    c.status = ClaimStatus::Verified;
    state.put_t(keys::claim(&c.id), c);
    Ok(())
}

/// Slashes a claim (a wrong result, or no reveal): `cheat_slash_bps` of its
/// collateral to the consumer, its tasks open again (their price stays in the
/// job's escrow for the re-run).
fn slash<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    c: &mut TaskClaim,
) -> Result<(), Fail> {
    let mut job = claim_job(state, c)?;
    leave_slots(state, c)?;
    refund_closed_copies(state, params, block, &mut job, c.tasks.len())?;
    let bps = self::params(state)?.cheat_slash_bps;
    let slashed =
        (u128::from(c.collateral) * u128::from(bps.min(10_000)) / 10_000) as crate::Amount;
    release_collateral(state, c, &job.consumer, slashed)?;
    let epoch = block.current_epoch(state, params)?;
    update_reputation(state, &c.provider, |r| {
        r.claims_slashed = r.claims_slashed.checked_add(1)?;
        Some(())
    })?;
    update_usage(state, &job.network, epoch, |u| {
        u.claims_slashed = u.claims_slashed.checked_add(1)?;
        Some(())
    })?;
    state.delete(keys::pending_claim(&job.network, &c.id));
    c.status = ClaimStatus::Slashed;
    state.put_t(keys::claim(&c.id), c);
    Ok(())
}

/// The VerifyClaim call: the oracle set's spot check of a revealed claim.
fn verify_claim<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    v: &JobVerdict,
    signatures: &[OracleSignature],
) -> Result<(), Fail> {
    check_envelope(params, &v.chain, signatures)?;
    let bad = |reason: String| -> Fail { TxError::BadVerdict { reason }.into() };
    if v.checks.len() > MAX_CLAIM_TASKS as usize {
        return Err(bad(format!(
            "{} checks, at most {MAX_CLAIM_TASKS}",
            v.checks.len()
        )));
    }
    let mut c = load_claim(state, &v.claim)?;
    expect_status(&c, ClaimStatus::Revealed)?;
    let job = claim_job(state, &c)?;
    if v.seed_height <= c.revealed_height || v.seed_height >= block.height {
        return Err(bad(format!(
            "the seed block {} must come after the reveal at {} and before this block",
            v.seed_height, c.revealed_height
        )));
    }
    if v.epoch > block.current_epoch(state, params)? {
        return Err(bad(format!("epoch {} has not begun", v.epoch)));
    }
    let want = spot_check_count(c.tasks.len(), job.spot_check_bps);
    if v.checks.len() != want {
        return Err(bad(format!(
            "{} tasks checked, the job's rate draws {want}",
            v.checks.len()
        )));
    }
    if !v.checks.windows(2).all(|w| w[0].task < w[1].task)
        || v.checks
            .iter()
            .any(|t| c.tasks.binary_search(&t.task).is_err())
    {
        return Err(bad(
            "the checked tasks must be distinct tasks of the claim, ascending".into(),
        ));
    }
    check_quorum(state, v.epoch, &v.signing_bytes(), signatures)?;
    if v.checks.iter().all(|t| t.ok) {
        accept(state, params, block, &mut c)
    } else {
        slash(state, params, block, &mut c)
    }
}

/// Expires a claim: its tasks open again and its collateral comes back; `blame`
/// records the miss in the provider's reputation (not committed in time).
fn expire<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    c: &mut TaskClaim,
    blame: bool,
) -> Result<(), Fail> {
    let mut job = claim_job(state, c)?;
    leave_slots(state, c)?;
    refund_closed_copies(state, params, block, &mut job, c.tasks.len())?;
    release_collateral(state, c, &job.consumer, 0)?;
    if blame {
        update_reputation(state, &c.provider, |r| {
            r.claims_expired = r.claims_expired.checked_add(1)?;
            Some(())
        })?;
    }
    c.status = ClaimStatus::Expired;
    state.put_t(keys::claim(&c.id), c);
    Ok(())
}

/// The FinalizeClaim call: moves a claim on once its window passed.
fn finalize_claim<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    block: &BlockContext,
    id: &Hash,
) -> Result<(), Fail> {
    let mut c = load_claim(state, id)?;
    let p = self::params(state)?;
    let h = block.height;
    match c.status {
        ClaimStatus::Claimed if h >= c.commit_deadline => {
            expire(state, params, block, &mut c, true)
        }
        ClaimStatus::Claimed => Err(TxError::TooEarly {
            from_height: c.commit_deadline,
        }
        .into()),
        ClaimStatus::Committed => {
            let job = claim_job(state, &c)?;
            let last = match copies(state, &job, &c)? {
                Copies::Committed(last) => last,
                Copies::Uncommitted(deadline) => {
                    return Err(TxError::TooEarly {
                        from_height: deadline,
                    }
                    .into())
                }
                // The task's other copies never came: nobody's fault.
                Copies::Missing if h >= job.deadline_height || job.status != JobStatus::Open => {
                    return expire(state, params, block, &mut c, false)
                }
                Copies::Missing => {
                    return Err(TxError::TooEarly {
                        from_height: job.deadline_height,
                    }
                    .into())
                }
            };
            let due = last.saturating_add(p.reveal_blocks);
            if h <= due {
                return Err(TxError::TooEarly {
                    from_height: due + 1,
                }
                .into());
            }
            slash(state, params, block, &mut c)
        }
        ClaimStatus::Revealed => {
            let job = claim_job(state, &c)?;
            let due = c.revealed_height.saturating_add(p.verify_blocks);
            if job.spot_check_bps > 0 && h <= due {
                return Err(TxError::TooEarly {
                    from_height: due + 1,
                }
                .into());
            }
            accept(state, params, block, &mut c)
        }
        s => Err(TxError::ClaimState {
            claim: id.to_string(),
            status: status_name(s),
            expected: "claimed, committed or revealed".into(),
        }
        .into()),
    }
}
