//! The compute market's types (settings, offers, orders, bids, leases, modules,
//! jobs, claims, reputation, usage) and their ids. A leaf: `tx.rs` names these in
//! its calls without importing the module that applies them.
//!
//! The lifecycle and the rules are documented in [`crate::compute`].

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::{Address, DeviceId, Hash};
use serde::{Deserialize, Serialize};

/// The most bytes of an accelerator model name (`"nvidia-h100-80gb"`).
pub const MAX_MODEL_BYTES: usize = 64;
/// Module bytes are uploaded in chunks of this size (the last may be shorter), so
/// that every upload fits a transaction ([`crate::MAX_TX_BYTES`]).
pub const MODULE_CHUNK_BYTES: usize = 6 * 1024;
/// The most task results one commit or reveal carries (and one claim holds).
pub const MAX_CLAIM_TASKS: u32 = 128;
/// The most lease results one capacity settlement carries.
pub const MAX_CHECK_RESULTS: usize = 128;
/// The most bids one order collects.
pub const MAX_BIDS_PER_ORDER: usize = 64;

/// The chain's compute settings (genesis `[compute]`; the defaults when absent).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComputeParams {
    /// Failed capacity checks in a row that close a lease (a single miss never does:
    /// at least 2).
    pub max_check_failures: u32,
    /// Share of the lease's collateral, in basis points, slashed to the consumer
    /// when failed checks close the lease.
    pub check_slash_bps: u32,
    /// Share of a claim's collateral, in basis points, slashed to the consumer when
    /// a spot check finds a wrong result.
    pub cheat_slash_bps: u32,
    /// The spot-check rate a job gets when it names none (basis points of its tasks).
    pub default_spot_check_bps: u32,
    /// The lowest spot-check rate a job may name (0 lets a consumer go unverified).
    pub min_spot_check_bps: u32,
    /// The most providers one task may be given to (redundancy k).
    pub max_redundancy: u8,
    /// The most tasks of one job.
    pub max_tasks: u32,
    /// The most fuel one task may burn.
    pub max_fuel_per_task: u64,
    /// Blocks a claim has to commit its results in (else it expires: its tasks are
    /// open again, the provider's collateral comes back, its reputation records the miss).
    pub commit_blocks: u64,
    /// Blocks after the commit the provider has to reveal in (else the claim's
    /// collateral is slashed as for a wrong result).
    pub reveal_blocks: u64,
    /// Blocks after the reveal the oracle set has to send its verdict in; after that
    /// anyone may finalize the claim as verified (oracles down must not cost the provider).
    pub verify_blocks: u64,
    /// The largest module, bytes.
    pub max_module_bytes: u32,
    /// The largest job input, bytes.
    pub max_input_bytes: u32,
    /// The longest a bid may stay open, blocks.
    pub max_bid_blocks: u64,
    /// The longest lease, blocks.
    pub max_lease_blocks: u64,
    /// Whether provider endpoints may name loopback or private addresses
    /// (devnet and testnet), as [`crate::params::StorageParams::allow_private_endpoints`].
    pub allow_private_endpoints: bool,
}

impl Default for ComputeParams {
    fn default() -> Self {
        ComputeParams {
            max_check_failures: 3,
            check_slash_bps: 10_000,
            cheat_slash_bps: 10_000,
            default_spot_check_bps: 1_000,
            min_spot_check_bps: 0,
            max_redundancy: 3,
            max_tasks: 4_096,
            max_fuel_per_task: 20_000_000_000,
            commit_blocks: 120,
            reveal_blocks: 60,
            verify_blocks: 120,
            max_module_bytes: 512 * 1024,
            max_input_bytes: 4 * 1024,
            max_bid_blocks: 1_000,
            max_lease_blocks: 10_000_000,
            allow_private_endpoints: false,
        }
    }
}

impl ComputeParams {
    /// Checks the settings; the reason says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_check_failures < 2 {
            return Err(
                "compute.max_check_failures must be at least 2 (one miss never closes a lease)"
                    .into(),
            );
        }
        for (name, v) in [
            ("check_slash_bps", self.check_slash_bps),
            ("cheat_slash_bps", self.cheat_slash_bps),
            ("default_spot_check_bps", self.default_spot_check_bps),
            ("min_spot_check_bps", self.min_spot_check_bps),
        ] {
            if v > 10_000 {
                return Err(format!("compute.{name} is {v}, at most 10000 basis points"));
            }
        }
        if self.default_spot_check_bps < self.min_spot_check_bps {
            return Err("compute.default_spot_check_bps is below min_spot_check_bps".into());
        }
        if self.max_redundancy == 0 {
            return Err("compute.max_redundancy must be at least 1".into());
        }
        for (name, v) in [
            ("max_tasks", u64::from(self.max_tasks)),
            ("max_fuel_per_task", self.max_fuel_per_task),
            ("commit_blocks", self.commit_blocks),
            ("reveal_blocks", self.reveal_blocks),
            ("verify_blocks", self.verify_blocks),
            ("max_module_bytes", u64::from(self.max_module_bytes)),
            ("max_input_bytes", u64::from(self.max_input_bytes)),
            ("max_bid_blocks", self.max_bid_blocks),
            ("max_lease_blocks", self.max_lease_blocks),
        ] {
            if v == 0 {
                return Err(format!("compute.{name} must be at least 1"));
            }
        }
        if self.max_input_bytes as usize > crate::MAX_TX_BYTES / 2 {
            return Err(format!(
                "compute.max_input_bytes must fit a transaction: at most {}",
                crate::MAX_TX_BYTES / 2
            ));
        }
        Ok(())
    }
}

/// An accelerator (GPU) a provider offers.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    /// The model, lower case (`a-z0-9-_.`, at most [`MAX_MODEL_BYTES`]).
    pub model: String,
    /// Its memory, MiB.
    pub memory_mib: u64,
    /// How many.
    pub count: u32,
}

/// What a provider offers.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeAttrs {
    /// CPU cores.
    pub cores: u32,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// The accelerator, if any.
    pub accelerator: Option<Accelerator>,
    /// Where it runs: an H3 cell (any resolution).
    pub region: u64,
}

/// What an order requires of a provider.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct ComputeRequirements {
    /// At least this many cores.
    pub min_cores: u32,
    /// At least this much memory, MiB.
    pub min_memory_mib: u64,
    /// This accelerator model (exactly), if any.
    pub accelerator_model: Option<String>,
    /// At least this much accelerator memory, MiB (per accelerator).
    pub min_accelerator_memory_mib: u64,
    /// Within this H3 cell (the provider's region is the cell or inside it), if any.
    pub region: Option<u64>,
    /// Only providers whose attributes their maker attested.
    pub attested_only: bool,
    /// At least this much collateral behind the lease.
    pub min_collateral: Amount,
}

/// A provider device's compute offer and collateral pool.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ComputeOffer {
    /// The provider device.
    pub device: DeviceId,
    /// Its network (a `compute`-family network).
    pub network: String,
    /// Where its agent listens (`http://…` or `https://…`): capacity checks, job results.
    pub endpoint: String,
    /// What it offers.
    pub attrs: ComputeAttrs,
    /// The device's maker, when the maker signed these attributes
    /// ([`attrs_attestation_message`]); cleared when the attributes change without one.
    pub attested_by: Option<Address>,
    /// Credits per block of a lease it asks for at least.
    pub price_per_block: u64,
    /// Credits per task of a job it asks for at least.
    pub price_per_task: u64,
    /// Tokens each lease locks from the pool.
    pub collateral_per_lease: Amount,
    /// Tokens each claimed task locks from the pool.
    pub collateral_per_task: Amount,
    /// Collateral not backing anything (withdrawable).
    pub free: Amount,
    /// Collateral backing open leases and claims.
    pub locked: Amount,
    /// Leases open now.
    pub open_leases: u32,
}

/// What a maker signs to attest a provider's attributes: a domain tag, the chain's
/// identity, the device and the attributes' canonical encoding.
pub fn attrs_attestation_message(chain: &Hash, device: &DeviceId, attrs: &ComputeAttrs) -> Vec<u8> {
    let mut m = b"plinth/compute-attrs/v1".to_vec();
    m.extend_from_slice(&plinth_core::encode(&(chain, device, attrs)));
    m
}

/// Where an order stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Taking bids.
    Open,
    /// A bid was accepted: the lease has the order's id.
    Leased,
    /// Closed by the consumer before a bid was accepted (deposit refunded).
    Closed,
}

/// A consumer's order for capacity.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ComputeOrder {
    /// Its id ([`order_id`]); the lease made from it has the same id.
    pub id: Hash,
    /// Who pays.
    pub consumer: Address,
    /// The compute network.
    pub network: String,
    /// What a provider must offer.
    pub requirements: ComputeRequirements,
    /// The most credits per block the consumer pays.
    pub max_price_per_block: u64,
    /// How long the lease runs at most, blocks.
    pub duration_blocks: u64,
    /// Credits escrowed now (they become the lease's escrow).
    pub deposit: u64,
    /// Height of the block that posted it.
    pub created_height: u64,
    /// Bids are taken until this height (exclusive).
    pub bids_until: u64,
    /// The devices with a bid placed and not withdrawn, in bidding order (at most
    /// [`MAX_BIDS_PER_ORDER`]).
    pub bidders: Vec<DeviceId>,
    /// Where it stands.
    pub status: OrderStatus,
}

/// A provider's bid on an order.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ComputeBid {
    /// The order.
    pub order: Hash,
    /// The provider device.
    pub provider: DeviceId,
    /// Credits per block.
    pub price_per_block: u64,
    /// Tokens the provider's owner put down (returned when the bid ends either way).
    pub deposit: Amount,
    /// The offer's attributes when the bid was placed (a bid cannot hide the accelerator).
    pub attrs: ComputeAttrs,
    /// Whether those attributes are maker-attested.
    pub attested: bool,
    /// The bid lapses at this height (exclusive).
    pub expires_height: u64,
    /// Height of the block that placed it.
    pub placed_height: u64,
}

/// Why a lease ended. Every close records one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LeaseCloseReason {
    /// The consumer closed it.
    ClosedByConsumer,
    /// The provider's owner closed it.
    ClosedByProvider,
    /// The escrow ran dry: the provider was paid exactly what it covered.
    EscrowExhausted,
    /// Its duration ran out.
    DurationEnded,
    /// Capacity checks failed `max_check_failures` times in a row: the unused escrow
    /// went back, the collateral was slashed.
    FailedChecks,
    /// The provider device was retired or left its network.
    ProviderGone,
}

/// Where a lease stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum LeaseStatus {
    /// Running: paying the provider per block.
    Active,
    /// Ended, and why.
    Closed(LeaseCloseReason),
}

/// A lease: credits in escrow paying a provider per block, settled lazily.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Lease {
    /// Its id: the order's.
    pub id: Hash,
    /// Who pays.
    pub consumer: Address,
    /// The provider device.
    pub provider: DeviceId,
    /// The compute network.
    pub network: String,
    /// Credits per block (the accepted bid's price).
    pub price_per_block: u64,
    /// The attributes of the accepted bid.
    pub attrs: ComputeAttrs,
    /// Credits held, not yet paid.
    pub escrow: u64,
    /// Credits paid to the provider so far.
    pub paid: u64,
    /// Height of the block that accepted the bid: payment runs from here.
    pub start_height: u64,
    /// Payment stops here at the latest (`start + duration`).
    pub end_height: u64,
    /// Paid up to this height (exclusive).
    pub settled_height: u64,
    /// Tokens of the provider's pool locked behind it.
    pub collateral: Amount,
    /// The first reward epoch whose capacity checks are not applied yet.
    pub next_check_epoch: u64,
    /// Capacity checks passed and failed.
    pub checks_passed: u64,
    /// Capacity checks failed.
    pub checks_failed: u64,
    /// Failed checks since the last passed one.
    pub consecutive_failures: u32,
    /// Where it stands.
    pub status: LeaseStatus,
    /// The height it closed at (0 while active).
    pub closed_height: u64,
}

/// A WebAssembly module on the ledger (its bytes under [`crate::keys::module_chunk`]).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// Its hash ([`module_hash`] of the bytes).
    pub hash: Hash,
    /// Its size, bytes.
    pub size: u32,
    /// Who completed its upload.
    pub uploader: Address,
    /// The height it was completed at.
    pub height: u64,
}

/// A module upload in progress: one per (uploader, module).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ModuleUpload {
    /// The module's hash, as the uploader announced it.
    pub hash: Hash,
    /// The announced size, bytes.
    pub size: u32,
    /// Chunks received so far (each index once).
    pub received: u32,
    /// Height of the first chunk.
    pub started_height: u64,
}

/// The hash that names a module: BLAKE3 of its bytes, tagged.
pub fn module_hash(bytes: &[u8]) -> Hash {
    Hash::tagged("plinth/wasm-module", bytes)
}

/// How many chunks a module of `size` bytes has.
pub fn module_chunks(size: u32) -> u32 {
    (size as usize).div_ceil(MODULE_CHUNK_BYTES) as u32
}

/// Where a job stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Tasks are being claimed, run and verified.
    Open,
    /// Every task is done (verified or finalized): the consumer can fetch the results.
    Completed,
    /// Cancelled by the consumer: unclaimed tasks refunded; claims in flight finish.
    Cancelled,
    /// Its deadline passed with tasks not done: those were refunded.
    Expired,
}

/// A job: `tasks` runs of a deterministic module over one input, paid per task.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Job {
    /// Its id ([`job_id`]).
    pub id: Hash,
    /// Who pays.
    pub consumer: Address,
    /// The compute network whose providers run it.
    pub network: String,
    /// The module ([`ModuleInfo`]), which must be on the ledger.
    pub module: Hash,
    /// The input's hash (`Hash::tagged("plinth/job-input", input)`; the bytes under
    /// [`crate::keys::job_input`]).
    pub input_hash: Hash,
    /// Number of tasks (task `i` runs the module's entry point with `i`).
    pub tasks: u32,
    /// Fuel each task may burn.
    pub fuel_per_task: u64,
    /// Credits paid per task result (per provider, with redundancy).
    pub price_per_task: u64,
    /// Share of each claim's tasks the oracle set re-executes, basis points.
    pub spot_check_bps: u32,
    /// How many providers run each task (majority of the revealed results decides).
    pub redundancy: u8,
    /// Only this lease's provider may claim its tasks, if set.
    pub lease: Option<Hash>,
    /// Credits held for results not paid yet.
    pub escrow: u64,
    /// Height it was created at.
    pub created_height: u64,
    /// After this height no new claims; unfinished tasks are refunded.
    pub deadline_height: u64,
    /// Tasks done (every copy of the task verified or finalized).
    pub done: u32,
    /// Claims ever made on it (claim ids are `claim_id(job, n)`).
    pub claims: u32,
    /// Where it stands.
    pub status: JobStatus,
}

/// One task's progress.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct TaskSlot {
    /// Claims holding a copy of the task now (at most the job's redundancy).
    pub claims: Vec<Hash>,
    /// Result hashes accepted for it, by provider (verified or finalized).
    pub results: Vec<(DeviceId, Hash)>,
    /// Whether it is done: `redundancy` results accepted (and, with redundancy, the
    /// majority result is [`TaskSlot::result`]).
    pub done: bool,
    /// The result that counts, once done.
    pub result: Option<Hash>,
}

/// Where a claim stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Tasks claimed; results not committed yet.
    Claimed,
    /// Result commitments on the ledger; waiting for the reveal.
    Committed,
    /// Results revealed; waiting for the oracle set's spot check.
    Revealed,
    /// Spot-checked (or finalized after the verify window): paid.
    Verified,
    /// A spot check (or a redundant majority) found a wrong result, or the provider
    /// did not reveal: collateral slashed, tasks open again.
    Slashed,
    /// Not committed in time: tasks open again, collateral back.
    Expired,
}

/// A provider's claim on tasks of a job.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TaskClaim {
    /// Its id ([`claim_id`]).
    pub id: Hash,
    /// The job.
    pub job: Hash,
    /// The provider device.
    pub provider: DeviceId,
    /// The tasks, ascending.
    pub tasks: Vec<u32>,
    /// Tokens of the provider's pool locked behind it.
    pub collateral: Amount,
    /// Height of the claim.
    pub claimed_height: u64,
    /// Commitments are due before this height.
    pub commit_deadline: u64,
    /// One commitment per task ([`task_commitment`]), once committed.
    pub commitments: Vec<Hash>,
    /// Height of the commit (0 before).
    pub committed_height: u64,
    /// One result hash per task, once revealed.
    pub results: Vec<Hash>,
    /// Height of the reveal (0 before).
    pub revealed_height: u64,
    /// Where it stands.
    pub status: ClaimStatus,
}

/// What a provider commits for a task before revealing: binds the job, the task,
/// the provider and the result, so a commitment copied from another provider never
/// opens to a result.
pub fn task_commitment(job: &Hash, task: u32, provider: &DeviceId, result: &Hash) -> Hash {
    Hash::tagged(
        "plinth/task-commit",
        &plinth_core::encode(&(job, task, provider, result)),
    )
}

/// The hash of a task's output bytes, as providers reveal it.
pub fn task_result_hash(output: &[u8]) -> Hash {
    Hash::tagged("plinth/task-result", output)
}

/// The id of the order posted by `consumer`'s transaction with nonce `nonce`.
pub fn order_id(consumer: &Address, nonce: u64) -> Hash {
    Hash::tagged(
        "plinth/compute-order",
        &plinth_core::encode(&(consumer, nonce)),
    )
}

/// The id of the job created by `consumer`'s transaction with nonce `nonce`.
pub fn job_id(consumer: &Address, nonce: u64) -> Hash {
    Hash::tagged(
        "plinth/compute-job",
        &plinth_core::encode(&(consumer, nonce)),
    )
}

/// The id of the `n`th claim on `job`.
pub fn claim_id(job: &Hash, n: u32) -> Hash {
    Hash::tagged("plinth/task-claim", &plinth_core::encode(&(job, n)))
}

/// The hash naming a job input.
pub fn job_input_hash(input: &[u8]) -> Hash {
    Hash::tagged("plinth/job-input", input)
}

/// A provider's record, shown to consumers and in the explorer.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct Reputation {
    /// Leases that ended by a close of either party, their duration or a dry escrow.
    pub leases_completed: u64,
    /// Leases closed by failed capacity checks.
    pub leases_failed: u64,
    /// Capacity checks passed.
    pub checks_passed: u64,
    /// Capacity checks failed.
    pub checks_failed: u64,
    /// Task results verified or finalized (paid).
    pub tasks_verified: u64,
    /// Claims slashed (wrong result, no reveal, outvoted).
    pub claims_slashed: u64,
    /// Claims that expired uncommitted.
    pub claims_expired: u64,
    /// Credits earned in all.
    pub credits_earned: u64,
    /// Task results of redundant jobs that the majority of the task's providers
    /// outvoted (not paid; the copy's price went back to the consumer).
    pub tasks_outvoted: u64,
}

/// Credits used and refunded in one compute network's epoch, and what was checked.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct ComputeUsage {
    /// Credits paid to providers (leases and tasks; gone).
    pub credits_used: u64,
    /// Credits returned to consumers.
    pub credits_refunded: u64,
    /// Capacity checks passed.
    pub checks_passed: u64,
    /// Capacity checks failed.
    pub checks_failed: u64,
    /// Task results paid.
    pub tasks_paid: u64,
    /// Task results of redundant jobs outvoted by the task's majority.
    pub tasks_outvoted: u64,
    /// Claims slashed.
    pub claims_slashed: u64,
    /// Leases closed.
    pub leases_closed: u64,
}
