//! Typed errors: a rejected transaction says exactly why; a block that cannot be
//! applied says which rule it broke.

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Why a transaction was rejected. A rejected transaction changes nothing.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    thiserror::Error,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TxError {
    /// The encoded transaction is larger than [`crate::MAX_TX_BYTES`].
    #[error("transaction of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The encoded size, in bytes.
        size: u64,
        /// The most allowed.
        limit: u64,
    },
    /// The bytes do not decode as a transaction.
    #[error("malformed transaction: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The signature is not the signer's over the transaction.
    #[error("bad signature")]
    BadSignature,
    /// The transaction, or an oracle-signed message it carries, names another chain.
    #[error("wrong chain: expected `{expected}`, found `{found}`")]
    WrongChain {
        /// What this chain expects.
        expected: String,
        /// What the transaction carried.
        found: String,
    },
    /// The nonce is not the signer's next one.
    #[error("wrong nonce: expected {expected}, found {found}")]
    BadNonce {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        found: u64,
    },
    /// The signer has no account.
    #[error("unknown account {address}")]
    UnknownAccount {
        /// The signer.
        address: String,
    },
    /// The free balance does not cover what the transaction spends.
    #[error("insufficient funds: needed {needed}, available {available}")]
    InsufficientFunds {
        /// Fee plus what the call moves.
        needed: Amount,
        /// The free balance.
        available: Amount,
    },
    /// The fee is below the chain's minimum.
    #[error("fee too low: minimum {min}, found {found}")]
    FeeTooLow {
        /// The chain's minimum fee.
        min: Amount,
        /// The fee the transaction offered.
        found: Amount,
    },
    /// An amount (or price) that must be positive is zero.
    #[error("amount must be greater than zero")]
    ZeroAmount,
    /// An amount would leave the range of its type.
    #[error("arithmetic overflow")]
    Overflow,
    /// No network has this name.
    #[error("unknown network `{network}`")]
    UnknownNetwork {
        /// The network.
        network: String,
    },
    /// The location is not a valid H3 cell.
    #[error("invalid location: {reason}")]
    InvalidLocation {
        /// What is wrong.
        reason: String,
    },
    /// The device is already registered.
    #[error("device {device} is already registered")]
    DeviceExists {
        /// The device.
        device: String,
    },
    /// No device has this key.
    #[error("unknown device {device}")]
    UnknownDevice {
        /// The device.
        device: String,
    },
    /// The signer does not own the device.
    #[error("device {device} is owned by {owner}, not the signer")]
    NotDeviceOwner {
        /// The device.
        device: String,
        /// Its owner.
        owner: String,
    },
    /// The device is retired.
    #[error("device {device} is retired")]
    DeviceRetired {
        /// The device.
        device: String,
    },
    /// The device key did not sign the registration.
    #[error("the device's signature does not prove possession of the device key")]
    BadDeviceSignature,
    /// Stake was bonded to an address that is not a validator.
    #[error("{address} is not a validator")]
    UnknownValidator {
        /// The address staked on.
        address: String,
    },
    /// More stake was asked to unbond than is bonded.
    #[error("insufficient bond: bonded {bonded}, requested {requested}")]
    InsufficientBond {
        /// Stake bonded on the target.
        bonded: Amount,
        /// Stake asked to unbond.
        requested: Amount,
    },
    /// No unbonding entry has matured.
    #[error(
        "nothing to withdraw: {pending} still unbonding, next release at height {next_release}"
    )]
    NothingToWithdraw {
        /// Tokens still unbonding.
        pending: Amount,
        /// The height of the next release (0: none).
        next_release: u64,
    },
    /// The account already has the most unbonding entries allowed.
    #[error("too many unbonding entries (limit {limit}); withdraw first")]
    TooManyUnbonding {
        /// Unbonding entries one account may have.
        limit: u64,
    },
    /// The same transaction appears twice in the block.
    #[error("duplicate transaction in block")]
    Duplicate,
    /// The epoch a manifest or settlement is for is not over at the block's time.
    #[error("epoch {epoch} is not over: it ends at {ends_at_ms} ms")]
    EpochNotOver {
        /// The message's epoch.
        epoch: u64,
        /// When the epoch ends, milliseconds since the Unix epoch.
        ends_at_ms: u64,
    },
    /// The manifest's epoch ended too long ago to be minted.
    #[error("the manifest for epoch {epoch} is too old: epoch {current_epoch} accepts manifests of at most {max_age_epochs} epochs before it")]
    ManifestTooOld {
        /// The manifest's epoch.
        epoch: u64,
        /// The epoch of the block.
        current_epoch: u64,
        /// How many epochs a manifest stays acceptable.
        max_age_epochs: u64,
    },
    /// A manifest for this network and epoch was already accepted.
    #[error("a reward manifest for network `{network}` epoch {epoch} was already accepted")]
    ManifestExists {
        /// The network.
        network: String,
        /// The epoch.
        epoch: u64,
    },
    /// The manifest pays more than the network's share of the epoch's emission.
    #[error(
        "the manifest pays {total}, more than the {allowed} the network may emit in its epoch"
    )]
    OverEmission {
        /// The manifest's total.
        total: Amount,
        /// What the network may emit in the epoch.
        allowed: Amount,
    },
    /// Too few distinct oracles signed the message.
    #[error("{valid} valid oracle signatures, {threshold} required")]
    NotEnoughOracleSignatures {
        /// Valid signatures of distinct members.
        valid: u32,
        /// Signatures the oracle set requires.
        threshold: u32,
    },
    /// The message carries more signatures than allowed.
    #[error("{count} signatures, at most {limit} allowed")]
    TooManySignatures {
        /// Signatures carried.
        count: u64,
        /// The most allowed.
        limit: u64,
    },
    /// The manifest pays a total to no entries.
    #[error("the manifest pays {total} to no devices")]
    EmptyManifest {
        /// The manifest's total.
        total: Amount,
    },
    /// The chain has no oracle set, so it accepts no oracle-signed message.
    #[error("this chain has no oracle set, so it accepts no reward manifests")]
    NoOracleSet,
    /// No manifest was accepted for this network and epoch.
    #[error("no reward manifest for network `{network}` epoch {epoch}")]
    UnknownManifest {
        /// The network.
        network: String,
        /// The epoch.
        epoch: u64,
    },
    /// The merkle proof does not prove the entry under the manifest's root.
    #[error("the merkle proof does not prove this entry under the manifest's root")]
    BadProof,
    /// The manifest entry was already claimed.
    #[error("entry {index} of network `{network}` epoch {epoch} is already claimed")]
    AlreadyClaimed {
        /// The network.
        network: String,
        /// The epoch.
        epoch: u64,
        /// The entry's index.
        index: u64,
    },
    /// Only the validator admin may change the validator set or the oracle set.
    #[error("only the validator admin ({}) may change the validator set and the oracle set", admin.as_deref().unwrap_or("none on this chain"))]
    NotValidatorAdmin {
        /// The validator admin, if the chain has one.
        admin: Option<String>,
    },
    /// A validator set cannot be empty.
    #[error("the validator set cannot be empty")]
    EmptyValidatorSet,
    /// The validator set is larger than allowed.
    #[error("{count} validators, at most {limit}")]
    TooManyValidators {
        /// Validators in the set.
        count: u64,
        /// The most allowed.
        limit: u64,
    },
    /// A validator is listed twice.
    #[error("validator {address} is listed twice")]
    DuplicateValidator {
        /// The validator.
        address: String,
    },
    /// A validator's key is not a valid ed25519 point.
    #[error("validator {address}: the key is not a valid ed25519 public key")]
    InvalidValidatorKey {
        /// The validator.
        address: String,
    },
    /// A validator's name is empty or longer than 64 characters.
    #[error("validator {address}: a name must be 1 to 64 characters")]
    BadValidatorName {
        /// The validator.
        address: String,
    },
    /// No token price has been posted.
    #[error("no token price has been posted: burning for credits needs one")]
    NoPrice,
    /// The posted price is too old for a burn.
    #[error("the token price is {age_ms} ms old, older than the {max_ms} ms a burn may use")]
    StalePrice {
        /// The price's age at the block's time.
        age_ms: u64,
        /// The oldest a burn may use.
        max_ms: u64,
    },
    /// The price's timestamp is too far ahead of the block's time.
    #[error("the price is {ahead_ms} ms ahead of the block's time")]
    PriceFromFuture {
        /// How far ahead of the block's time.
        ahead_ms: u64,
    },
    /// The price is not newer than the current one.
    #[error("the price of {found_ms} is not newer than the current one of {current_ms}")]
    OldPrice {
        /// The current price's timestamp.
        current_ms: u64,
        /// The posted price's timestamp.
        found_ms: u64,
    },
    /// The burn buys less than one credit.
    #[error("burning {amount} at {micro_usd_per_token} µUSD per token buys no credit")]
    BurnTooSmall {
        /// Tokens offered to burn.
        amount: Amount,
        /// The posted price.
        micro_usd_per_token: u64,
    },
    /// The account lacks the credits.
    #[error("insufficient credits: needed {needed}, available {available}")]
    InsufficientCredits {
        /// Credits needed.
        needed: u64,
        /// Credits the account may spend.
        available: u64,
    },
    /// The network is not a storage network.
    #[error("network `{network}` is a `{family}` network, not a storage network")]
    NotStorageNetwork {
        /// The network.
        network: String,
        /// Its proof family.
        family: String,
    },
    /// The provider endpoint is not acceptable.
    #[error("invalid provider endpoint: {reason}")]
    BadEndpoint {
        /// What is wrong.
        reason: String,
    },
    /// The device offers no storage.
    #[error("device {device} offers no storage")]
    NoStorageOffer {
        /// The device.
        device: String,
    },
    /// The deal's file manifest is not acceptable.
    #[error("invalid deal manifest: {reason}")]
    BadManifest {
        /// What is wrong.
        reason: String,
    },
    /// The deal's term is zero or longer than allowed.
    #[error("a deal lasts 1 to {max} epochs, not {epochs}")]
    BadDealTerm {
        /// The deal's term asked for.
        epochs: u64,
        /// The longest deal allowed.
        max: u64,
    },
    /// The deal offers less than the provider's price.
    #[error("the deal offers {offered} credits per epoch; the provider asks {required}")]
    PriceBelowOffer {
        /// What the deal offers per epoch.
        offered: u64,
        /// What the provider asks per epoch.
        required: u64,
    },
    /// The provider's pool lacks free collateral.
    #[error("insufficient collateral: needed {needed}, free {available}")]
    InsufficientCollateral {
        /// Collateral needed.
        needed: Amount,
        /// Free collateral in the pool.
        available: Amount,
    },
    /// The settlement carries more results than allowed.
    #[error("{count} deal results, at most {limit} per settlement")]
    TooManyResults {
        /// Results in the settlement.
        count: u64,
        /// The most allowed.
        limit: u64,
    },
    /// No deal has this id.
    #[error("no deal {deal}")]
    UnknownDeal {
        /// The deal's id.
        deal: String,
    },
    /// The deal has ended.
    #[error("deal {deal} has ended")]
    DealNotActive {
        /// The deal's id.
        deal: String,
    },
    /// The deal cannot be closed yet.
    #[error("deal {deal} can be closed from epoch {closable_from_epoch} on")]
    DealNotExpired {
        /// The deal's id.
        deal: String,
        /// The first epoch it can be closed in.
        closable_from_epoch: u64,
    },
    /// The provider's collateral is less than the consumer asked for.
    #[error("the provider's collateral for this deal would be {offered}, less than the {asked} asked for")]
    CollateralBelowAsked {
        /// The least collateral asked for.
        asked: Amount,
        /// The collateral the provider's terms give.
        offered: Amount,
    },
    /// The deal is not waiting for its provider's receipt.
    #[error("deal {deal} is not pending")]
    DealNotPending {
        /// The deal's id.
        deal: String,
    },
    /// The receipt is not the provider device's signature over the deal.
    #[error("the receipt is not the provider device's signature over the deal and its manifest")]
    BadReceipt,
    /// The deal was not activated in time.
    #[error("deal {deal} was not activated in time: it expired at epoch {epoch}")]
    DealExpired {
        /// The deal's id.
        deal: String,
        /// The epoch it expired at.
        epoch: u64,
    },
    /// The oracle set's shape is wrong (a member twice, a threshold above the
    /// members or the signatures a message may carry).
    #[error("invalid oracle set: {reason}")]
    InvalidOracleSet {
        /// What is wrong.
        reason: String,
    },
    /// A scheduled oracle set must be able to sign: at least one member and a
    /// threshold of at least 1.
    #[error("an oracle set needs at least one member and a threshold of at least 1")]
    InactiveOracleSet,
    /// An oracle set can only be scheduled for an epoch after the current one.
    #[error("an oracle set must take effect after the current epoch {current_epoch}, not at epoch {effective_epoch}")]
    OracleSetNotInFuture {
        /// The epoch the set was to take effect from.
        effective_epoch: u64,
        /// The block's epoch.
        current_epoch: u64,
    },
    /// Too many oracle sets are scheduled and not yet in force.
    #[error("{pending} oracle sets would be pending, at most {limit}")]
    TooManyPendingOracleSets {
        /// Sets that would be scheduled and not yet in force.
        pending: u64,
        /// The most allowed.
        limit: u64,
    },
    /// The chain has no `[governance]` section: governance calls are refused.
    #[error("this chain has no governance")]
    NoGovernance,
    /// A lock shorter than the genesis allows.
    #[error("a lock of {found} blocks is shorter than the minimum of {min}")]
    LockTooShort {
        /// The shortest lock.
        min: u64,
        /// The lock asked for.
        found: u64,
    },
    /// A lock longer than the genesis allows.
    #[error("a lock of {found} blocks is longer than the maximum of {max}")]
    LockTooLong {
        /// The longest lock.
        max: u64,
        /// The lock asked for.
        found: u64,
    },
    /// An extension that does not lengthen the lock.
    #[error("the new lock of {found} blocks does not extend the current {current}")]
    LockNotExtended {
        /// The lock (or, cooling, the blocks left) now.
        current: u64,
        /// The lock asked for.
        found: u64,
    },
    /// No position has this id.
    #[error("no governance position {id}")]
    UnknownPosition {
        /// The id.
        id: u64,
    },
    /// The position belongs to another account.
    #[error("position {id} belongs to another account")]
    NotPositionOwner {
        /// The id.
        id: u64,
    },
    /// The position is already cooling down.
    #[error("position {id} is already unlocking")]
    PositionCooling {
        /// The id.
        id: u64,
    },
    /// The position is locked: unlock it first and wait for the cooldown.
    #[error("position {id} is locked; unlock it and withdraw after its cooldown")]
    PositionLocked {
        /// The id.
        id: u64,
    },
    /// The cooldown has not ended yet.
    #[error("position {id} can be withdrawn from height {end_height}")]
    PositionNotMatured {
        /// The id.
        id: u64,
        /// The first height it can be withdrawn.
        end_height: u64,
    },
    /// A split must leave tokens in both positions.
    #[error("cannot split {amount} out of position {id} holding {held}")]
    BadSplit {
        /// The id.
        id: u64,
        /// The amount asked for.
        amount: Amount,
        /// What the position holds.
        held: Amount,
    },
    /// The account holds the most positions allowed.
    #[error("an account holds at most {limit} positions")]
    TooManyPositions {
        /// The most allowed.
        limit: u64,
    },
    /// The delegate has the most delegators allowed.
    #[error("{delegate} already has the most delegators allowed ({limit})")]
    TooManyDelegators {
        /// The delegate.
        delegate: String,
        /// The most allowed.
        limit: u64,
    },
    /// An account cannot delegate to itself.
    #[error("an account cannot delegate to itself")]
    SelfDelegation,
    /// The description is too long.
    #[error("description of {size} bytes exceeds the limit of {limit}")]
    DescriptionTooLong {
        /// Its size.
        size: u64,
        /// The most allowed.
        limit: u64,
    },
    /// A proposal must carry at least one action and at most the limit.
    #[error("a proposal carries 1 to {limit} actions, found {count}")]
    BadActionCount {
        /// Actions found.
        count: u64,
        /// The most allowed.
        limit: u64,
    },
    /// One of a proposal's actions is refused.
    #[error("action {index} is refused: {error}")]
    ActionRefused {
        /// The action's index in the proposal.
        index: u32,
        /// Why.
        error: Box<TxError>,
    },
    /// No proposal has this id.
    #[error("no proposal {id}")]
    UnknownProposal {
        /// The id.
        id: u64,
    },
    /// The proposal does not take deposits now.
    #[error("proposal {id} is not in its deposit period")]
    NotInDepositPeriod {
        /// The id.
        id: u64,
    },
    /// The proposal does not take votes now.
    #[error("proposal {id} is not in its voting period")]
    NotInVotingPeriod {
        /// The id.
        id: u64,
    },
    /// Too many proposals are open.
    #[error("at most {limit} proposals may be open at once")]
    TooManyActiveProposals {
        /// The most allowed.
        limit: u64,
    },
    /// Too many accounts deposited on the proposal.
    #[error("a proposal takes deposits from at most {limit} accounts")]
    TooManyDepositors {
        /// The most allowed.
        limit: u64,
    },
    /// The voter has no voting power (no positions, none delegated to it).
    #[error("no voting power")]
    NoVotingPower,
    /// The execution height is not after the end of the voting period.
    #[error("execute_height {found} must be after the voting period's end {voting_end}")]
    BadExecuteHeight {
        /// The voting period's last height (as if it opened now).
        voting_end: u64,
        /// The height asked for.
        found: u64,
    },
    /// Network shares and the treasury's share would add up past 10,000 bps.
    #[error("shares would add up to {total} bps, more than {limit}")]
    SharesTooLarge {
        /// The sum.
        total: u64,
        /// The most allowed.
        limit: u64,
    },
    /// The family refuses the parameters.
    #[error("network `{network}`: {reason}")]
    BadFamilyParams {
        /// The network.
        network: String,
        /// The family's reason.
        reason: String,
    },
    /// A network of that name exists.
    #[error("network `{network}` exists")]
    NetworkExists {
        /// The name.
        network: String,
    },
    /// A network name that is not `[a-z0-9-]{1,32}`.
    #[error("network name `{network}` must be 1 to 32 characters of a-z, 0-9 and -")]
    BadNetworkName {
        /// The name.
        network: String,
    },
    /// A value outside the bounds the genesis allows governance.
    #[error("{param} = {value} is outside [{min}, {max}]")]
    OutOfBounds {
        /// The parameter.
        param: String,
        /// The value asked for.
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// The treasury holds less than the spend.
    #[error("the treasury holds {available}, less than {needed}")]
    TreasuryInsufficient {
        /// The spend.
        needed: Amount,
        /// The treasury's balance.
        available: Amount,
    },
    /// An upgrade height that is not in the future.
    #[error("upgrade height {height} is not after the current height {current}")]
    UpgradeHeightPassed {
        /// The height asked for.
        height: u64,
        /// The current height.
        current: u64,
    },
    /// An upgrade name that is not `[a-z0-9._-]{1,64}`, or one already applied.
    #[error("upgrade name `{name}` is malformed or already applied")]
    BadUpgradeName {
        /// The name.
        name: String,
    },
    /// No upgrade is planned.
    #[error("no upgrade is planned")]
    NoUpgradePlanned,
    /// No approved maker has this key.
    #[error("{maker} is not an approved maker")]
    UnknownMaker {
        /// The key.
        maker: String,
    },
    /// The maker was approved before (revoked keys are never approved again).
    #[error("{maker} was approved before")]
    MakerExists {
        /// The key.
        maker: String,
    },
    /// The maker is revoked.
    #[error("maker {maker} is revoked from epoch {from_epoch}")]
    MakerRevoked {
        /// The key.
        maker: String,
        /// The first epoch its devices do not earn in.
        from_epoch: u64,
    },
    /// The network onboards only devices signed by an approved maker.
    #[error("network `{network}` registers only devices signed by an approved maker")]
    MakerRequired {
        /// The network.
        network: String,
    },
    /// The maker's signature over the device key does not verify.
    #[error("the maker's signature over the device key is invalid")]
    BadMakerSignature,
    /// The maker's account has too few credits for the onboarding fee.
    #[error("maker {maker} has {available} credits, the onboarding fee is {needed}")]
    MakerCreditsExhausted {
        /// The maker.
        maker: String,
        /// The fee.
        needed: u64,
        /// Its credits.
        available: u64,
    },
    /// A maker's name is empty or longer than 64 bytes.
    #[error("maker {maker}: a name must be 1 to 64 bytes")]
    BadMakerName {
        /// The maker.
        maker: String,
    },
    /// The chain has no `[validator_set]` section: its validator set never changes.
    #[error("this chain's validator set is fixed by its genesis")]
    ValidatorSetFixed,
    /// A parameter schedule would hold more changes than allowed (changes leave
    /// it once no acceptable manifest can need them).
    #[error("{pending} scheduled changes, at most {limit}")]
    TooManyPendingChanges {
        /// Changes the schedule would hold.
        pending: u64,
        /// The most allowed.
        limit: u64,
    },
    /// Settings refused by their own checks.
    #[error("invalid settings: {reason}")]
    InvalidParams {
        /// What is wrong.
        reason: String,
    },
    /// The network is not a compute network.
    #[error("network {network} is a {family} network, not a compute network")]
    NotComputeNetwork {
        /// The network.
        network: String,
        /// Its proof family.
        family: String,
    },
    /// The device made no compute offer.
    #[error("device {device} has no compute offer")]
    NoComputeOffer {
        /// The device.
        device: String,
    },
    /// Compute attributes, requirements or prices are not acceptable.
    #[error("invalid compute terms: {reason}")]
    BadComputeTerms {
        /// What is wrong.
        reason: String,
    },
    /// The attestation is not the device maker's signature over the attributes, or
    /// the device has no approved maker.
    #[error("attributes of device {device} are not attested: {reason}")]
    BadAttestation {
        /// The device.
        device: String,
        /// Why.
        reason: String,
    },
    /// No such order.
    #[error("no compute order {order}")]
    UnknownOrder {
        /// The order.
        order: String,
    },
    /// The order takes no bids (leased, closed, or its bidding window passed).
    #[error("order {order} is not open for bids")]
    OrderNotOpen {
        /// The order.
        order: String,
    },
    /// No such bid.
    #[error("no bid by {device} on order {order}")]
    UnknownBid {
        /// The order.
        order: String,
        /// The device.
        device: String,
    },
    /// The bid's price, deposit or window is not acceptable.
    #[error("bid refused: {reason}")]
    BadBid {
        /// Why.
        reason: String,
    },
    /// The provider does not meet the order's requirements.
    #[error("provider {device} does not meet the order: {reason}")]
    RequirementsNotMet {
        /// The provider.
        device: String,
        /// The first requirement it misses.
        reason: String,
    },
    /// No such lease.
    #[error("no lease {lease}")]
    UnknownLease {
        /// The lease.
        lease: String,
    },
    /// The lease is closed already.
    #[error("lease {lease} is closed")]
    LeaseClosed {
        /// The lease.
        lease: String,
    },
    /// Only the lease's parties may close it while it runs.
    #[error("lease {lease} is running: only its consumer or its provider's owner may close it")]
    NotLeaseParty {
        /// The lease.
        lease: String,
    },
    /// The signer is not the consumer of the order, lease or job.
    #[error("only the consumer {consumer} may do this")]
    NotConsumer {
        /// The consumer.
        consumer: String,
    },
    /// The module upload is not acceptable (size, index, chunk length, hash).
    #[error("module upload refused: {reason}")]
    BadModuleUpload {
        /// Why.
        reason: String,
    },
    /// No complete module with this hash is on the ledger.
    #[error("no module {module} on the ledger")]
    UnknownModule {
        /// The module's hash.
        module: String,
    },
    /// The job's terms are not acceptable.
    #[error("job refused: {reason}")]
    BadJob {
        /// Why.
        reason: String,
    },
    /// No such job.
    #[error("no job {job}")]
    UnknownJob {
        /// The job.
        job: String,
    },
    /// The job is not open (completed, cancelled, expired).
    #[error("job {job} is not open")]
    JobNotOpen {
        /// The job.
        job: String,
    },
    /// No task of the job is open to this provider.
    #[error("job {job} has no task open to {device}")]
    NoOpenTasks {
        /// The job.
        job: String,
        /// The provider.
        device: String,
    },
    /// No such claim.
    #[error("no claim {claim}")]
    UnknownClaim {
        /// The claim.
        claim: String,
    },
    /// The claim is not in the state this call needs.
    #[error("claim {claim} is {status}, not {expected}")]
    ClaimState {
        /// The claim.
        claim: String,
        /// Where it stands.
        status: String,
        /// Where it must stand.
        expected: String,
    },
    /// A commitment, reveal or window is wrong for the claim.
    #[error("claim {claim}: {reason}")]
    BadClaim {
        /// The claim.
        claim: String,
        /// Why.
        reason: String,
    },
    /// The verdict does not fit the claim (tasks not in it, too few drawn, wrong epoch).
    #[error("verdict refused: {reason}")]
    BadVerdict {
        /// Why.
        reason: String,
    },
    /// The window this call waits for has not passed yet.
    #[error("too early: possible from height {from_height}")]
    TooEarly {
        /// The first height it is possible at.
        from_height: u64,
    },
    /// No burst has this id.
    #[error("no burst {burst}")]
    UnknownBurst {
        /// The burst id.
        burst: String,
    },
    /// The burst is not open (paid or refunded).
    #[error("burst {burst} is {status}, not open")]
    BurstClosed {
        /// The burst id.
        burst: String,
        /// Where it stands.
        status: String,
    },
    /// A burst call is refused; the text says why.
    #[error("burst refused: {reason}")]
    BadBurst {
        /// Why.
        reason: String,
    },
    /// Bursts pay on a custom family's awards: the network is not a `wasm` one.
    #[error("network {network} is a {family} network: bursts need a custom (wasm) family")]
    NotCustomNetwork {
        /// The network.
        network: String,
        /// Its proof family.
        family: String,
    },
    /// Energy calls need an `energy` network.
    #[error("network {network} is a {family} network, not an energy one")]
    NotEnergyNetwork {
        /// The network.
        network: String,
        /// Its proof family.
        family: String,
    },
    /// An energy call is refused; the text says why.
    #[error("energy call refused: {reason}")]
    BadEnergy {
        /// Why.
        reason: String,
    },
    /// No energy order has this sequence number.
    #[error("no energy order {order}")]
    UnknownEnergyOrder {
        /// The order.
        order: u64,
    },
    /// No certificate has this id.
    #[error("no certificate {id}")]
    UnknownCertificate {
        /// The certificate.
        id: u64,
    },
    /// The signer does not own what the call changes.
    #[error("the signer does not own it")]
    NotOwner,
}

/// Why a block could not be applied, or the store failed underneath the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The block's height does not follow the head.
    #[error("block height {found} does not follow head {head}")]
    BadHeight {
        /// The head's height.
        head: u64,
        /// The block's height.
        found: u64,
    },
    /// The block's parent is not the head.
    #[error("block parent {found} is not the head {expected}")]
    BadParent {
        /// The parent's id.
        expected: String,
        /// The parent the header names.
        found: String,
    },
    /// The block is for another chain.
    #[error("block for chain `{found}`, expected `{expected}`")]
    WrongChain {
        /// This chain's `chain_id`.
        expected: String,
        /// The block's.
        found: String,
    },
    /// The block's proposer is not a validator.
    #[error("block proposer {proposer} is not a validator")]
    UnknownProposer {
        /// The proposer.
        proposer: String,
    },
    /// The seal is not the proposer's signature over the header.
    #[error("bad block signature")]
    BadBlockSignature,
    /// The header's `tx_root` does not match the transactions.
    #[error("block transaction root mismatch")]
    TxRootMismatch,
    /// The header's state root differs from the one executing the block gives.
    #[error("block state root {claimed} differs from computed {computed}")]
    StateRootMismatch {
        /// The root the header claims.
        claimed: String,
        /// The root executing the block gives.
        computed: String,
    },
    /// The block's timestamp is before its parent's.
    #[error("block timestamp {found} is before its parent's {parent}")]
    BadTimestamp {
        /// The parent's timestamp.
        parent: u64,
        /// The block's timestamp.
        found: u64,
    },
    /// The store holds no state yet.
    #[error("state is not initialised: no genesis")]
    NoGenesis,
    /// The genesis is invalid; the text says why.
    #[error("invalid genesis: {0}")]
    Genesis(String),
    /// A state entry does not decode.
    #[error("corrupt state entry {key}: {reason}")]
    Corrupt {
        /// The key (lossy UTF-8) or the entry.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The transaction would be rejected (admission).
    #[error("transaction rejected: {0}")]
    Rejected(TxError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] anyhow::Error),
}
