//! The signed transaction envelope and the list of calls it may carry.
//!
//! [`Call`] is the wire format: one enum whose borsh variant order is consensus
//! (blocks replay to the same state roots only while it holds), so its variants
//! are only ever appended. What a call does belongs to the module that owns it
//! (`Call::module`): each module's `apply` holds that module's handlers, and the
//! dispatcher ([`crate::execute`](mod@crate::execute)) routes a call to its module in one line.
//!
//! This file names the calls and says how the envelope is signed and hashed; it
//! imports no module that handles calls (their payloads signed by oracles live in
//! [`crate::oracle_set`]), so those modules can match on [`Call`] without an
//! import cycle.

use crate::compute_types::{ComputeAttrs, ComputeRequirements};
use crate::error::TxError;
use crate::oracle_set::{
    ComputeChecks, JobVerdict, ManifestEntry, ManifestHeader, OracleSet, OracleSignature,
    PricePoint, StorageSettlement,
};
use crate::{Amount, MAX_TX_BYTES};
use borsh::{BorshDeserialize, BorshSerialize};
use plinth_core::merkle::Proof;
use plinth_core::{Address, DeviceId, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};

/// What a transaction does.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Call {
    /// Move tokens to another account.
    Transfer {
        /// The receiving account (created if new).
        to: Address,
        /// Tokens moved.
        amount: Amount,
    },
    /// Register a device to the signer. `device_signature` is the device key's
    /// signature over [`crate::devices::registration_message`].
    RegisterDevice {
        /// The device's key.
        device: DeviceId,
        /// The network it joins.
        network: String,
        /// H3 cell index.
        location: u64,
        /// The device key's signature over the registration message.
        device_signature: Signature,
    },
    /// Hand a device to another owner.
    TransferDevice {
        /// The device.
        device: DeviceId,
        /// Its new owner.
        new_owner: Address,
    },
    /// Move a device to a new H3 cell.
    UpdateLocation {
        /// The device.
        device: DeviceId,
        /// The new H3 cell index.
        location: u64,
    },
    /// Take a device out of service for good.
    RetireDevice {
        /// The device.
        device: DeviceId,
    },
    /// Lock tokens as stake on a device or validator.
    Bond {
        /// What the stake is bonded to.
        target: StakeTarget,
        /// Tokens locked.
        amount: Amount,
    },
    /// Start unlocking stake; it becomes withdrawable after the unbonding period.
    Unbond {
        /// What the stake is bonded to.
        target: StakeTarget,
        /// Tokens to unlock.
        amount: Amount,
    },
    /// Move every matured unbonding entry back to the free balance.
    Withdraw,
    /// Put an epoch's reward manifest on the ledger, signed by the oracle quorum
    /// (at most [`crate::rewards::MAX_MANIFEST_SIGNATURES`] signatures). Any account
    /// may submit it.
    SubmitManifest {
        /// The manifest's header, which the oracles signed.
        header: ManifestHeader,
        /// The oracles' signatures over it.
        signatures: Vec<OracleSignature>,
    },
    /// Pay entry `index` of an accepted manifest to its owner, proven by a merkle
    /// proof. Anyone may submit it; the tokens always go to `entry.owner`.
    Claim {
        /// The manifest's network.
        network: String,
        /// The manifest's epoch.
        epoch: u64,
        /// The entry's position among the manifest's leaves.
        index: u64,
        /// The entry claimed.
        entry: ManifestEntry,
        /// Its merkle proof under the manifest's root.
        proof: Proof,
    },
    /// Replace the validator set from the next validator epoch on (admin only; see
    /// [`crate::validators`]).
    SetValidators {
        /// The new set.
        validators: Vec<crate::params::Validator>,
    },
    /// Post the token's price, signed by the oracle quorum; it must be newer than
    /// the current one. Any account may submit it.
    PostPrice {
        /// The price, which the oracles signed.
        price: PricePoint,
        /// The oracles' signatures over it.
        signatures: Vec<OracleSignature>,
    },
    /// Burn `amount` of the signer's tokens for credits credited to `to`, at the
    /// posted price (refused when it is stale).
    BurnForCredits {
        /// Tokens burned.
        amount: Amount,
        /// Who receives the credits (as its own credits).
        to: Address,
    },
    /// Give `amount` of the signer's own credits to `to`, which may spend but not
    /// pass them on.
    DelegateCredits {
        /// Who receives them.
        to: Address,
        /// Credits given.
        amount: u64,
    },
    /// Offer a storage device's space: its agent's endpoint, its price and the
    /// collateral each deal locks; `deposit` tokens go into its collateral pool.
    OfferStorage {
        /// The provider device (the signer's).
        device: DeviceId,
        /// Where its agent listens (`http://…` or `https://…`).
        endpoint: String,
        /// Credits per started MiB per epoch.
        price_per_mib_epoch: u64,
        /// Tokens locked per started MiB for the life of a deal.
        collateral_per_mib: Amount,
        /// Tokens moved from the signer's balance into the collateral pool.
        deposit: Amount,
    },
    /// Take free collateral of a provider device back to its owner's balance.
    WithdrawCollateral {
        /// The provider device (the signer's).
        device: DeviceId,
        /// Tokens withdrawn.
        amount: Amount,
    },
    /// Open a storage deal with a provider device: `price_per_epoch` credits (at
    /// least the provider's price) for each of `epochs` epochs are escrowed now;
    /// the collateral (at least `min_collateral`) must be free in the provider's
    /// pool but is locked only when the provider's receipt activates the deal.
    /// Its id is
    /// [`crate::storage::deal_id`] of the signer and nonce.
    OpenDeal {
        /// The provider device.
        provider: DeviceId,
        /// The file to store.
        manifest: plinth_storage::Manifest,
        /// How many epochs to store it.
        epochs: u64,
        /// Credits paid per epoch.
        price_per_epoch: u64,
        /// The least collateral the consumer accepts.
        min_collateral: Amount,
    },
    /// Settle storage deals for an epoch, signed by the oracle quorum. Any account
    /// may submit it.
    SettleStorage {
        /// The results, which the oracles signed.
        settlement: StorageSettlement,
        /// The oracles' signatures over them.
        signatures: Vec<OracleSignature>,
    },
    /// Close a deal whose last epoch passed a whole epoch ago unsettled: its
    /// escrow back to the consumer, its collateral to the provider's pool. Anyone
    /// may submit it.
    CloseDeal {
        /// The deal's id.
        deal: Hash,
    },
    /// Activate a pending deal with the provider's receipt: its device key's
    /// signature over [`plinth_storage::receipt_message`] (naming this chain's
    /// identity), which its agent gives once it holds every chunk. Locks the
    /// deal's collateral in the provider's pool (refused if the pool no longer
    /// holds it). Anyone may submit it.
    ActivateDeal {
        /// The deal's id.
        deal: Hash,
        /// The provider device's signature over the receipt message.
        receipt: Signature,
    },
    /// Put `set` in force from reward epoch `effective_epoch` on (after the
    /// block's epoch): the manifests, settlements and prices of that epoch and
    /// later need its signatures; earlier epochs keep their set. Signed by the
    /// validator admin (governance once it exists); see
    /// [`crate::oracle_set`] for the schedule.
    SetOracleSet {
        /// The oracle set (at least one member, a threshold of at least 1).
        set: OracleSet,
        /// The first reward epoch it signs for.
        effective_epoch: u64,
    },
    /// Lock `amount` of the signer's tokens in a new governance position for
    /// `lock_blocks` (see [`crate::governance::positions`]).
    GovLock {
        /// Tokens locked.
        amount: Amount,
        /// The lock, in blocks.
        lock_blocks: u64,
    },
    /// Lengthen a position's lock; on a cooling position, lock it again.
    GovExtend {
        /// The position.
        position: u64,
        /// The new lock, in blocks (at least the current lock, or the blocks left).
        lock_blocks: u64,
    },
    /// Move `amount` of a position into a new position with the same lock.
    GovSplit {
        /// The position.
        position: u64,
        /// Tokens moved.
        amount: Amount,
    },
    /// Start a position's cooldown (`lock_blocks` long; power decays to zero).
    GovUnlock {
        /// The position.
        position: u64,
    },
    /// Return a position's tokens to the signer once its cooldown ended.
    GovWithdraw {
        /// The position.
        position: u64,
    },
    /// Delegate the signer's voting power to `to` (none: stop delegating). The
    /// signer's own vote on a proposal overrides its delegate's.
    GovDelegate {
        /// The delegate.
        to: Option<Address>,
    },
    /// Propose `actions` with a deposit (see [`crate::governance::proposals`]).
    GovPropose {
        /// What it does when passed.
        actions: Vec<crate::gov_types::Action>,
        /// What it is for.
        description: String,
        /// Tokens deposited now.
        deposit: Amount,
        /// A height after the voting period to apply the actions at (none: at its end).
        execute_height: Option<u64>,
    },
    /// Add to a proposal's deposit during its deposit period.
    GovDeposit {
        /// The proposal.
        proposal: u64,
        /// Tokens deposited.
        amount: Amount,
    },
    /// Vote on a proposal in its voting period (a later vote replaces an earlier one).
    GovVote {
        /// The proposal.
        proposal: u64,
        /// The choice.
        option: crate::gov_types::VoteOption,
    },
    /// Register a device made by an approved maker: as [`Call::RegisterDevice`],
    /// plus the maker's signature over the device key
    /// ([`crate::governance::makers::maker_message`]); the maker pays its
    /// onboarding fee in credits.
    RegisterMadeDevice {
        /// The device's key.
        device: DeviceId,
        /// The network it joins.
        network: String,
        /// H3 cell index.
        location: u64,
        /// The device key's signature over the registration message.
        device_signature: Signature,
        /// The maker's key.
        maker: Address,
        /// The maker's signature over the device key.
        maker_signature: Signature,
    },
    /// Offer a compute device's capacity ([`crate::compute`]): its endpoint,
    /// attributes, prices and collateral terms; `deposit` tokens go into its
    /// collateral pool. With `attestation`, the device's maker's signature over
    /// [`crate::compute_types::attrs_attestation_message`], the attributes are
    /// marked attested.
    OfferCompute {
        /// The provider device (the signer's).
        device: DeviceId,
        /// Where its agent listens.
        endpoint: String,
        /// What it offers.
        attrs: ComputeAttrs,
        /// The maker's signature over the attributes, if any.
        attestation: Option<Signature>,
        /// Least credits per block of a lease.
        price_per_block: u64,
        /// Least credits per task of a job.
        price_per_task: u64,
        /// Tokens each lease locks from the pool.
        collateral_per_lease: Amount,
        /// Tokens each claimed task locks from the pool.
        collateral_per_task: Amount,
        /// Tokens moved from the signer's balance into the pool.
        deposit: Amount,
    },
    /// Take free compute collateral back to the device owner's balance.
    WithdrawComputeCollateral {
        /// The provider device (the signer's).
        device: DeviceId,
        /// Tokens withdrawn.
        amount: Amount,
    },
    /// Post an order for capacity: `deposit` credits are escrowed now; providers bid
    /// until `bid_blocks` have passed. Its id is
    /// [`crate::compute_types::order_id`] of the signer and nonce.
    PostOrder {
        /// The compute network.
        network: String,
        /// What a provider must offer.
        requirements: ComputeRequirements,
        /// The most credits per block.
        max_price_per_block: u64,
        /// The lease's longest duration, blocks.
        duration_blocks: u64,
        /// Credits escrowed (the lease's escrow).
        deposit: u64,
        /// Blocks bids are taken for.
        bid_blocks: u64,
    },
    /// Close an open order: its deposit back to the consumer, every bid's deposit
    /// back to its provider.
    CloseOrder {
        /// The order.
        order: Hash,
    },
    /// Bid on an open order with a provider device (signed by its owner).
    PlaceBid {
        /// The order.
        order: Hash,
        /// The provider device.
        device: DeviceId,
        /// Credits per block (at most the order's maximum, at least the offer's price).
        price_per_block: u64,
        /// Tokens put down with the bid.
        deposit: Amount,
        /// Blocks the bid stays open.
        expires_in: u64,
    },
    /// Withdraw a bid: its deposit back.
    WithdrawBid {
        /// The order.
        order: Hash,
        /// The provider device.
        device: DeviceId,
    },
    /// Accept a bid (the order's consumer): makes the lease (the order's id), returns
    /// the other bids' deposits, locks the provider's lease collateral.
    AcceptBid {
        /// The order.
        order: Hash,
        /// The bidding provider device.
        device: DeviceId,
    },
    /// Add credits to a lease's escrow (its consumer).
    DepositLease {
        /// The lease.
        lease: Hash,
        /// Credits added.
        amount: u64,
    },
    /// Close a lease: by its consumer or its provider's owner at any time; by anyone
    /// once it ended (escrow dry, duration over). Settles it first; the reason is
    /// recorded.
    CloseLease {
        /// The lease.
        lease: Hash,
    },
    /// Apply an epoch's capacity checks of a compute network, signed by the oracle
    /// quorum. Anyone may submit it.
    SettleChecks {
        /// The checks, which the oracles signed.
        checks: ComputeChecks,
        /// The oracles' signatures over them.
        signatures: Vec<OracleSignature>,
    },
    /// Upload one chunk of a WebAssembly module (chunks of
    /// [`crate::compute_types::MODULE_CHUNK_BYTES`]); the chunk that completes it
    /// checks the bytes against `module` and stores the module.
    UploadModule {
        /// The module's hash ([`crate::compute_types::module_hash`]).
        module: Hash,
        /// Its size, bytes.
        size: u32,
        /// The chunk's index.
        index: u32,
        /// The chunk's bytes.
        bytes: Vec<u8>,
    },
    /// Create a job: `tasks × redundancy × price_per_task` credits escrowed. Its id
    /// is [`crate::compute_types::job_id`] of the signer and nonce.
    CreateJob {
        /// The compute network.
        network: String,
        /// The module (on the ledger).
        module: Hash,
        /// The input (at most `max_input_bytes`).
        input: Vec<u8>,
        /// Number of tasks.
        tasks: u32,
        /// Fuel per task.
        fuel_per_task: u64,
        /// Credits per task result.
        price_per_task: u64,
        /// Spot-check rate, basis points (`None`: the chain's default).
        spot_check_bps: Option<u32>,
        /// Providers per task (1 = no redundancy).
        redundancy: u8,
        /// Restrict to this lease's provider.
        lease: Option<Hash>,
        /// Blocks until the job's deadline.
        deadline_blocks: u64,
    },
    /// Cancel a job (its consumer): tasks not claimed or done are refunded.
    CancelJob {
        /// The job.
        job: Hash,
    },
    /// Claim up to `count` open tasks of a job with a provider device (its owner
    /// signs): the lowest open tasks this provider holds no copy of.
    ClaimTasks {
        /// The job.
        job: Hash,
        /// The provider device.
        device: DeviceId,
        /// How many tasks (at most [`crate::compute_types::MAX_CLAIM_TASKS`]).
        count: u32,
    },
    /// Commit a claim's results: one [`crate::compute_types::task_commitment`] per
    /// task, in the claim's order (the provider's owner signs).
    CommitTasks {
        /// The claim.
        claim: Hash,
        /// The commitments.
        commitments: Vec<Hash>,
    },
    /// Reveal a committed claim's result hashes (a block after the commit at the
    /// earliest); each must open its commitment.
    RevealTasks {
        /// The claim.
        claim: Hash,
        /// The result hashes, in the claim's order.
        results: Vec<Hash>,
    },
    /// Apply the oracle set's spot check of a revealed claim. Anyone may submit it.
    VerifyClaim {
        /// The verdict, which the oracles signed.
        verdict: JobVerdict,
        /// The oracles' signatures over it.
        signatures: Vec<OracleSignature>,
    },
    /// Move a claim on once its window passed: expire an uncommitted claim, slash an
    /// unrevealed one, accept a revealed one the oracles did not check in time (or
    /// at once when the job checks nothing). Anyone may submit it.
    FinalizeClaim {
        /// The claim.
        claim: Hash,
    },
    /// Post a burst: `credits` (spent now) for the devices a custom family awards
    /// `tag` to in an epoch up to `deadline_epoch` ([`crate::bursts`]). Its id is
    /// [`crate::bursts::burst_id`] of the signer and nonce.
    PostBurst {
        /// The network (a `wasm` family's).
        network: String,
        /// The family's tag (the mapping family: an H3 cell at its resolution).
        tag: u64,
        /// Credits escrowed.
        credits: u64,
        /// The last epoch whose awards count.
        deadline_epoch: u64,
    },
    /// Pay an open burst to the devices of an award proven under an accepted
    /// manifest's awards root. Anyone may submit it.
    ClaimBurst {
        /// The burst.
        burst: Hash,
        /// The manifest's epoch.
        epoch: u64,
        /// The award's devices, strictly ascending.
        devices: Vec<DeviceId>,
        /// The award's inclusion proof.
        proof: Proof,
    },
    /// Give an open burst's credits back to its poster once it can no longer be
    /// claimed. Anyone may submit it.
    RefundBurst {
        /// The burst.
        burst: Hash,
    },
    /// Declare (or re-declare) an owned device of an energy network as a meter of
    /// `capacity_w` generating capacity (0: a consumer) at its registered site
    /// ([`crate::energy`]).
    DeclareMeter {
        /// The meter's device.
        device: DeviceId,
        /// Generating capacity, W.
        capacity_w: u64,
    },
    /// Post a bid or an offer for a meter, for each interval of
    /// `from_interval..=to_interval` (a standing order when more than one).
    PostEnergyOrder {
        /// The meter (owned by the signer).
        meter: DeviceId,
        /// Bid or offer.
        side: crate::energy::Side,
        /// Energy per interval, Wh.
        wh: u64,
        /// A bid's highest or an offer's lowest price, credits per kWh.
        price: u64,
        /// The first interval.
        from_interval: u64,
        /// The last interval.
        to_interval: u64,
    },
    /// Cancel an open order: what it holds goes back.
    CancelEnergyOrder {
        /// The order's sequence number.
        order: u64,
    },
    /// Post meters' signed interval readings. Anyone may submit them.
    PostReadings {
        /// Up to [`crate::energy::MAX_READINGS_PER_TX`] readings.
        readings: Vec<plinth_proofs::energy::SignedReading>,
    },
    /// Give a certificate to another account.
    TransferCertificate {
        /// The certificate.
        id: u64,
        /// The new holder.
        to: Address,
    },
    /// Retire a certificate: claim its energy for `beneficiary`; it no longer moves.
    RetireCertificate {
        /// The certificate.
        id: u64,
        /// Who the energy is claimed for (1 to 128 bytes).
        beneficiary: String,
    },
}

/// The ledger module that owns a call and applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Module {
    Accounts,
    Devices,
    Staking,
    Rewards,
    Validators,
    Credits,
    Storage,
    OracleSet,
    Governance,
    Compute,
    Bursts,
    Energy,
}

impl Call {
    /// The module that owns this call: the one place that maps each call to its
    /// module (the dispatcher routes on it).
    pub(crate) fn module(&self) -> Module {
        match self {
            Call::Transfer { .. } => Module::Accounts,
            Call::RegisterDevice { .. }
            | Call::TransferDevice { .. }
            | Call::UpdateLocation { .. }
            | Call::RetireDevice { .. }
            | Call::RegisterMadeDevice { .. } => Module::Devices,
            Call::Bond { .. } | Call::Unbond { .. } | Call::Withdraw => Module::Staking,
            Call::SubmitManifest { .. } | Call::Claim { .. } => Module::Rewards,
            Call::SetValidators { .. } => Module::Validators,
            Call::PostPrice { .. } | Call::BurnForCredits { .. } | Call::DelegateCredits { .. } => {
                Module::Credits
            }
            Call::OfferStorage { .. }
            | Call::WithdrawCollateral { .. }
            | Call::OpenDeal { .. }
            | Call::SettleStorage { .. }
            | Call::CloseDeal { .. }
            | Call::ActivateDeal { .. } => Module::Storage,
            Call::SetOracleSet { .. } => Module::OracleSet,
            Call::GovLock { .. }
            | Call::GovExtend { .. }
            | Call::GovSplit { .. }
            | Call::GovUnlock { .. }
            | Call::GovWithdraw { .. }
            | Call::GovDelegate { .. }
            | Call::GovPropose { .. }
            | Call::GovDeposit { .. }
            | Call::GovVote { .. } => Module::Governance,
            Call::OfferCompute { .. }
            | Call::WithdrawComputeCollateral { .. }
            | Call::PostOrder { .. }
            | Call::CloseOrder { .. }
            | Call::PlaceBid { .. }
            | Call::WithdrawBid { .. }
            | Call::AcceptBid { .. }
            | Call::DepositLease { .. }
            | Call::CloseLease { .. }
            | Call::SettleChecks { .. }
            | Call::UploadModule { .. }
            | Call::CreateJob { .. }
            | Call::CancelJob { .. }
            | Call::ClaimTasks { .. }
            | Call::CommitTasks { .. }
            | Call::RevealTasks { .. }
            | Call::VerifyClaim { .. }
            | Call::FinalizeClaim { .. } => Module::Compute,
            Call::PostBurst { .. } | Call::ClaimBurst { .. } | Call::RefundBurst { .. } => {
                Module::Bursts
            }
            Call::DeclareMeter { .. }
            | Call::PostEnergyOrder { .. }
            | Call::CancelEnergyOrder { .. }
            | Call::PostReadings { .. }
            | Call::TransferCertificate { .. }
            | Call::RetireCertificate { .. } => Module::Energy,
        }
    }

    /// What the call costs the signer beyond the fee: the tokens it moves out of
    /// the signer's free balance, which the balance must cover before it runs.
    pub(crate) fn cost(&self) -> Amount {
        match self {
            Call::Transfer { amount, .. }
            | Call::Bond { amount, .. }
            | Call::BurnForCredits { amount, .. }
            | Call::GovLock { amount, .. }
            | Call::GovDeposit { amount, .. } => *amount,
            Call::GovPropose { deposit, .. } => *deposit,
            Call::OfferStorage { deposit, .. } => *deposit,
            Call::OfferCompute { deposit, .. } | Call::PlaceBid { deposit, .. } => *deposit,
            _ => 0,
        }
    }
}

/// What stake is bonded to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StakeTarget {
    /// A device (its owner's operating stake).
    Device(DeviceId),
    /// A validator.
    Validator(Address),
}

impl StakeTarget {
    pub(crate) fn tag(&self) -> u8 {
        match self {
            StakeTarget::Device(_) => 0,
            StakeTarget::Validator(_) => 1,
        }
    }

    pub(crate) fn key(&self) -> &plinth_core::PublicKey {
        match self {
            StakeTarget::Device(d) => &d.0,
            StakeTarget::Validator(a) => &a.0,
        }
    }
}

/// The signed part of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Transaction {
    /// The chain it is for (the genesis `chain_id`).
    pub chain_id: String,
    /// Who signs it and pays its fee.
    pub signer: Address,
    /// The signer's next nonce: each applies once, in order.
    pub nonce: u64,
    /// The fee, at least the chain's `min_fee`.
    pub fee: Amount,
    /// What it does.
    pub call: Call,
}

const TX_DOMAIN: &[u8] = b"plinth/tx/v1";

impl Transaction {
    /// The bytes the signer signs: a domain tag, then the canonical encoding.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = TX_DOMAIN.to_vec();
        borsh::to_writer(&mut out, self).expect("vec write");
        out
    }

    /// Signs the transaction with `key` (which should be the signer's).
    pub fn sign(self, key: &Keypair) -> SignedTx {
        let signature = key.sign(&self.signing_bytes());
        SignedTx {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its signer's signature.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SignedTx {
    /// The signed transaction.
    pub tx: Transaction,
    /// The signer's signature over [`Transaction::signing_bytes`].
    pub signature: Signature,
}

impl SignedTx {
    /// The transaction's id: the hash of the signed encoding, signature included.
    /// Its one definition, used by blocks' `tx_root`, receipts, the mempool, the
    /// store's index and the API. A copy with another signature (a forgery, or the
    /// signer's second signature) is another transaction, so a proposer cannot
    /// pass a forged copy off as someone's pending transaction.
    pub fn hash(&self) -> Hash {
        Self::hash_of(&self.encode())
    }

    /// The id of the transaction whose canonical encoding is `bytes`.
    pub fn hash_of(bytes: &[u8]) -> Hash {
        Hash::tagged("plinth/txid", bytes)
    }

    /// The canonical (borsh) encoding, signature included.
    pub fn encode(&self) -> Vec<u8> {
        plinth_core::encode(self)
    }

    /// Decodes untrusted bytes under the ledger's size limit.
    pub fn decode(bytes: &[u8]) -> Result<SignedTx, TxError> {
        plinth_core::decode(bytes, MAX_TX_BYTES).map_err(|e| match e {
            plinth_core::CodecError::TooLarge { size, limit } => TxError::TooLarge {
                size: size as u64,
                limit: limit as u64,
            },
            plinth_core::CodecError::Malformed(reason) => TxError::Malformed { reason },
        })
    }

    /// Checks the signer's signature.
    pub fn verify_signature(&self) -> Result<(), TxError> {
        self.tx
            .signer
            .key()
            .verify(&self.tx.signing_bytes(), &self.signature)
            .map_err(|_| TxError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_decode_verify() {
        let k = Keypair::from_seed([3; 32]);
        let tx = Transaction {
            chain_id: "t".into(),
            signer: Address(k.public()),
            nonce: 0,
            fee: 1,
            call: Call::Withdraw,
        }
        .sign(&k);
        let back = SignedTx::decode(&tx.encode()).unwrap();
        assert_eq!(back, tx);
        assert!(back.verify_signature().is_ok());
        let mut forged = back.clone();
        forged.tx.nonce = 1;
        assert_eq!(forged.verify_signature(), Err(TxError::BadSignature));
        assert!(matches!(
            SignedTx::decode(&[1, 2, 3]),
            Err(TxError::Malformed { .. })
        ));
        assert!(matches!(
            SignedTx::decode(&vec![0; MAX_TX_BYTES + 1]),
            Err(TxError::TooLarge { .. })
        ));
    }
}
