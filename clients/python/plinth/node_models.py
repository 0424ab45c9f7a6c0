"""Typed models of the Plinth node API (version 1).

Generated from `crates/node/openapi.yaml` by `clients/python/tools/gen_models.py`;
do not edit (run it again after changing the document).
"""

# fmt: off
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ._schema import (  # noqa: F401
    AnyObj, AnyValue, Arr, Bool, Field, Int, Map, Model, Nullable, Num, Obj, Str, Type, Union,
)

_M = 'plinth.node_models'


@dataclass(frozen=True, kw_only=True)
class Account(Model):
    """`#/components/schemas/Account`."""

    address: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    exists: bool
    balance: int
    nonce: int
    next_nonce: int
    bonded: int
    unbonding: list[AccountUnbonding]
    bonds: list[AccountBonds]
    height: int
    proof: Proof | None = None
    """jmt SparseMerkleProof (borsh, hex) of `key` having `value` (absent = non-existence) under `state_root`"""


@dataclass(frozen=True, kw_only=True)
class AccountBonds(Model):
    """`#/components/schemas/Account.bonds[]`."""

    target: StakeTargetDevice | StakeTargetValidator
    amount: int


@dataclass(frozen=True, kw_only=True)
class AccountUnbonding(Model):
    """`#/components/schemas/Account.unbonding[]`."""

    amount: int
    release_height: int


@dataclass(frozen=True, kw_only=True)
class Action(Model):
    """What a proposal does when it passes, tagged by `type` (the serde form of `plinth_ledger::governance::Action`; `plinth gov propose --actions FILE` takes a JSON array of these): `set_network_share {network, share_bps, usage_bps}`, `set_family_params {network, params_json}`, `add_network {name, family, params_json, share_bps, usage_bps, require_maker}`, `set_credit_params {params: {credit_micro_usd, price_max_age_ms}}`, `set_storage_params {params: {max_failures, max_deal_epochs, accept_epochs, allow_private_endpoints}}`, `set_emission_tail {tail_per_epoch}`, `set_oracle_set {set: {threshold, members}, effective_epoch}`, `set_validators {validators: [{address, name}]}`, `treasury_spend {to, amount}`, `approve_maker {maker, name, onboard_fee_credits}`, `revoke_maker {maker}`, `plan_upgrade {name, height}`, `cancel_upgrade {}`."""

    type: Literal['set_network_share', 'set_family_params', 'add_network', 'set_credit_params', 'set_storage_params', 'set_emission_tail', 'set_oracle_set', 'set_validators', 'treasury_spend', 'approve_maker', 'revoke_maker', 'plan_upgrade', 'cancel_upgrade']
    network: str | None = None
    """1 to 32 of a-z, 0-9, -"""
    name: str | None = None
    family: str | None = None
    params_json: str | None = None
    """the family's parameters as JSON text"""
    share_bps: int | None = None
    usage_bps: int | None = None
    require_maker: bool | None = None
    params: dict[str, Any] | None = None
    tail_per_epoch: int | None = None
    set: ActionSet | None = None
    effective_epoch: int | None = None
    validators: list[ActionValidators] | None = None
    to: str | None = None
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    amount: int | None = None
    maker: str | None = None
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    onboard_fee_credits: int | None = None
    height: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActionSet(Model):
    """`#/components/schemas/Action.set`."""

    threshold: int
    members: list[str]


@dataclass(frozen=True, kw_only=True)
class ActionValidators(Model):
    """`#/components/schemas/Action.validators[]`."""

    address: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    name: str


@dataclass(frozen=True, kw_only=True)
class Block(Model):
    """`#/components/schemas/Block`."""

    hash: str
    header: BlockHeader
    txs: list[BlockTxs]
    """each transaction with its hash"""
    receipts: list[Receipt]


@dataclass(frozen=True, kw_only=True)
class BlockHeader(Model):
    """`#/components/schemas/BlockHeader`."""

    chain_id: str
    height: int
    parent: str
    timestamp_ms: int
    proposer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    tx_root: str
    state_root: str


@dataclass(frozen=True, kw_only=True)
class BlockSummary(Model):
    """`#/components/schemas/BlockSummary`."""

    hash: str
    height: int
    timestamp_ms: int
    txs: int
    proposer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    state_root: str


@dataclass(frozen=True, kw_only=True)
class BlockTxs(Model):
    """`#/components/schemas/Block.txs[]`."""

    chain_id: str
    signer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    nonce: int
    fee: int
    call: BlockTxsCall
    hash: str


@dataclass(frozen=True, kw_only=True)
class BlockTxsCall(Model):
    """`#/components/schemas/Block.txs[].call`."""

    type: str


@dataclass(frozen=True, kw_only=True)
class Bounds(Model):
    """`#/components/schemas/Bounds`."""

    min: int
    max: int


@dataclass(frozen=True, kw_only=True)
class Burst(Model):
    """`#/components/schemas/Burst`."""

    id: str
    network: str
    """1 to 32 of a-z, 0-9, -"""
    tag: int
    """the family's tag (the mapping family: an H3 cell)"""
    tag_hex: str
    """the tag in hex (an H3 cell as it is written)"""
    poster: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    credits: int
    from_epoch: int
    """the epoch it was posted in; awards from it on count"""
    deadline_epoch: int
    """the last epoch whose awards count"""
    status: BurstStatus
    """`open`; `paid` (with the manifest's epoch, each device paid and its credits, the height); `refunded` (with the height)"""


@dataclass(frozen=True, kw_only=True)
class BurstStatus(Model):
    """`open`; `paid` (with the manifest's epoch, each device paid and its credits, the height); `refunded` (with the height)"""

    status: Literal['open', 'paid', 'refunded']
    epoch: int | None = None
    paid: list[list[str | int]] | None = None
    height: int | None = None


@dataclass(frozen=True, kw_only=True)
class Certificate(Model):
    """a certificate of verified generation (`params.certificate_wh`, one MWh by default)"""

    id: int
    network: str
    """1 to 32 of a-z, 0-9, -"""
    meter: str
    """the meter that generated it"""
    owner: str
    """who holds it"""
    wh: int
    """energy certified, Wh"""
    first_interval: int
    """the first interval of the generation"""
    last_interval: int
    """the last"""
    issued_height: int
    retired: CertificateRetired | None
    """its retirement (claimed for its beneficiary; it can no longer move), if retired"""


@dataclass(frozen=True, kw_only=True)
class CertificateRetired(Model):
    """its retirement (claimed for its beneficiary; it can no longer move), if retired"""

    height: int
    beneficiary: str
    """who the energy is claimed for (at most 128 bytes)"""


@dataclass(frozen=True, kw_only=True)
class Claim(Model):
    """a provider's claim on tasks of a job, with its deadlines and outcome"""

    id: str
    job: str
    provider: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    tasks: list[int]
    collateral: int
    claimed_height: int
    commit_deadline: int
    commitments: list[str]
    committed_height: int
    results: list[str]
    revealed_height: int
    status: Literal['claimed', 'committed', 'revealed', 'verified', 'slashed', 'expired']
    number: int
    """its number in its job"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    spot_check_bps: int
    check_count: int
    """how many of its tasks a verdict checks"""
    reveal_due: int | None
    """the last height the reveal may land at (with redundancy, counted from the last commit of the tasks' copies, once all are committed)"""
    seed_height: int | None
    """the block whose hash draws the checked tasks"""
    seed: str | None
    """that block's hash, once it exists"""
    checked_tasks: list[int] | None
    """the tasks a verdict re-executes, drawn from the seed by the ledger's rule (spot_check_tasks); a claim slashed for a wrong result has it among these"""
    verify_due: int | None
    finalizable_from: int | None
    """the first height a FinalizeClaim applies at, while the claim is open"""
    slash_reason: Literal['wrong_result', 'not_revealed'] | None
    height: int


@dataclass(frozen=True, kw_only=True)
class ClaimCounts(Model):
    """`#/components/schemas/ClaimCounts`."""

    claimed: int
    committed: int
    revealed: int
    verified: int
    slashed: int
    expired: int


@dataclass(frozen=True, kw_only=True)
class ComputeAttrs(Model):
    """what a provider offers"""

    cores: int
    memory_mib: int
    accelerator: ComputeAttrsAccelerator | None
    region: int
    """an H3 cell index as a number (JSON readers without 64-bit integers use the hex `region_cell` beside it)"""


@dataclass(frozen=True, kw_only=True)
class ComputeAttrsAccelerator(Model):
    """`#/components/schemas/ComputeAttrs.accelerator`."""

    model: str
    """lower case, e.g. nvidia-h100"""
    memory_mib: int
    count: int


@dataclass(frozen=True, kw_only=True)
class ComputeBid(Model):
    """`#/components/schemas/ComputeBid`."""

    order: str
    provider: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    price_per_block: int
    deposit: int
    attrs: ComputeAttrs
    """what a provider offers"""
    attested: bool
    expires_height: int
    placed_height: int
    live: bool
    """whether the consumer can still accept it in the next block"""
    region_cell: str
    """an H3 cell index in hex"""


@dataclass(frozen=True, kw_only=True)
class ComputeEarnedItem(Model):
    """`GET /v1/compute/earned/{network}/{epoch}[]`."""

    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    credits: int


@dataclass(frozen=True, kw_only=True)
class ComputeOffer(Model):
    """a provider's compute offer and collateral pool, with its device's owner and status and its reputation"""

    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    device_active: bool
    attested: bool
    """whether the device's maker signed these attributes"""
    maker_name: str | None
    reputation: Reputation
    """a provider's record on the ledger"""
    region_cell: str
    """an H3 cell index in hex"""
    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    endpoint: str
    attrs: ComputeAttrs
    """what a provider offers"""
    attested_by: str | None
    price_per_block: int
    price_per_task: int
    collateral_per_lease: int
    collateral_per_task: int
    free: int
    locked: int
    open_leases: int


@dataclass(frozen=True, kw_only=True)
class ComputeOrder(Model):
    """`#/components/schemas/ComputeOrder`."""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    requirements: ComputeRequirements
    max_price_per_block: int
    duration_blocks: int
    deposit: int
    created_height: int
    bids_until: int
    bidders: list[str]
    status: Literal['open', 'leased', 'closed']
    taking_bids: bool
    """whether a bid placed in the next block is taken"""
    lease: str | None
    """the lease made from it (same id)"""
    height: int


@dataclass(frozen=True, kw_only=True)
class ComputeOrderDetail(Model):
    """`#/components/schemas/ComputeOrderDetail`."""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    requirements: ComputeRequirements
    max_price_per_block: int
    duration_blocks: int
    deposit: int
    created_height: int
    bids_until: int
    bidders: list[str]
    status: Literal['open', 'leased', 'closed']
    taking_bids: bool
    """whether a bid placed in the next block is taken"""
    lease: str | None
    """the lease made from it (same id)"""
    height: int
    bids: list[ComputeBid]


@dataclass(frozen=True, kw_only=True)
class ComputeParams(Model):
    """the genesis's `[compute]` section (the defaults without one)"""

    max_check_failures: int
    """failed capacity checks in a row that close a lease"""
    check_slash_bps: int
    """share of a lease's collateral slashed to the consumer when checks close it"""
    cheat_slash_bps: int
    """share of a claim's collateral slashed to the consumer for a wrong result"""
    default_spot_check_bps: int
    min_spot_check_bps: int
    max_redundancy: int
    max_tasks: int
    max_fuel_per_task: int
    commit_blocks: int
    reveal_blocks: int
    verify_blocks: int
    max_module_bytes: int
    max_input_bytes: int
    max_bid_blocks: int
    max_lease_blocks: int
    allow_private_endpoints: bool


@dataclass(frozen=True, kw_only=True)
class ComputeParamsView(Model):
    """`#/components/schemas/ComputeParamsView`."""

    params: ComputeParams
    """the genesis's `[compute]` section (the defaults without one)"""
    configured: bool
    """whether the genesis has a `[compute]` section"""
    networks: list[str]
    """the networks of family compute"""
    height: int


@dataclass(frozen=True, kw_only=True)
class ComputeRequirements(Model):
    """`#/components/schemas/ComputeRequirements`."""

    min_cores: int
    min_memory_mib: int
    accelerator_model: str | None
    min_accelerator_memory_mib: int
    region: int | None
    """an H3 cell the provider's region must lie in"""
    attested_only: bool
    min_collateral: int


@dataclass(frozen=True, kw_only=True)
class ComputeUsage(Model):
    """`#/components/schemas/ComputeUsage`."""

    credits_used: int
    credits_refunded: int
    checks_passed: int
    checks_failed: int
    tasks_paid: int
    tasks_outvoted: int
    claims_slashed: int
    leases_closed: int


@dataclass(frozen=True, kw_only=True)
class CreditsResponse(Model):
    """`GET /v1/credits/{addr}`."""

    address: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    own: int
    delegated: int
    total: int


@dataclass(frozen=True, kw_only=True)
class Deal(Model):
    """`#/components/schemas/Deal`."""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    provider: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    manifest: DealManifest
    opened_height: int
    opened_epoch: int
    """the epoch of the block that opened it"""
    epochs: int
    start_epoch: int
    """the first epoch the provider must prove (0 until the deal is active)"""
    end_epoch: int
    """the epoch after the last one (0 until the deal is active)"""
    price_per_epoch: int
    escrow: int
    collateral: int
    next_epoch: int
    """the next epoch to settle"""
    proven_epochs: int
    failed_epochs: int
    unsettled_epochs: int
    """epochs the oracles left unsettled (refunded)"""
    consecutive_failures: int
    """failed epochs since the last proven one"""
    status: Literal['active', 'completed', 'slashed', 'pending']


@dataclass(frozen=True, kw_only=True)
class DealManifest(Model):
    """`#/components/schemas/Deal.manifest`."""

    root: str
    size: int
    chunk_size: int


@dataclass(frozen=True, kw_only=True)
class Device(Model):
    """`#/components/schemas/Device`."""

    id: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    location: str
    """H3 cell (empty if the stored cell is not valid)"""
    lat: float
    lon: float
    resolution: int
    status: Literal['active', 'retired']
    registered_height: int
    stake: int
    proof: Proof | None = None
    """jmt SparseMerkleProof (borsh, hex) of `key` having `value` (absent = non-existence) under `state_root`"""


@dataclass(frozen=True, kw_only=True)
class EnergyGenerationItem(Model):
    """`GET /v1/energy/{network}/generation/{epoch}[]`."""

    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    wh: int
    """verified generation, Wh"""


@dataclass(frozen=True, kw_only=True)
class EnergyMarket(Model):
    """`#/components/schemas/EnergyMarket`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    params: EnergyParams
    """an energy network's parameters (its `params`)"""
    genesis_time_ms: int
    """interval `i` starts at genesis_time_ms + i × params.interval_ms"""
    interval_now: int
    """the interval the head is in"""
    first_open: int
    """the first interval still taking orders"""
    next_clear: int
    """the next interval to clear"""
    next_settle: int
    """the next interval to settle"""
    balancing: int
    """credits the balancing account took in (deviations and rounding)"""
    open_orders: int
    """orders in the books (all zones)"""
    last_cleared: list[ZoneClearing]
    """each zone's clearing of the last cleared interval (zones that had orders)"""


@dataclass(frozen=True, kw_only=True)
class EnergyOrder(Model):
    """a bid or offer: for one interval, or a standing one for each of a range"""

    seq: int
    """its sequence number (time priority)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    meter: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    owner: str
    """who posted it (the meter's owner then): pays, earns and gets refunds"""
    zone: int
    """the meter's zone, an H3 cell index as a number"""
    side: Literal['bid', 'offer']
    wh: int
    """energy per interval, Wh"""
    price: int
    """a bid's highest or an offer's lowest price, credits per kWh"""
    from_interval: int
    to_interval: int
    held: int
    """credits held for the next interval it trades in"""
    filled_wh: int
    """energy filled so far, Wh"""
    height: int
    """the height it was posted at"""
    status: EnergyOrderStatus
    """`open` (in its zone's book); `done` (its last interval cleared); `cancelled` by its owner (with the `height`); `out_of_credits` (with the `interval` its owner's credits did not cover)"""


@dataclass(frozen=True, kw_only=True)
class EnergyOrderStatus(Model):
    """`open` (in its zone's book); `done` (its last interval cleared); `cancelled` by its owner (with the `height`); `out_of_credits` (with the `interval` its owner's credits did not cover)"""

    status: Literal['open', 'done', 'cancelled', 'out_of_credits']
    height: int | None = None
    interval: int | None = None


@dataclass(frozen=True, kw_only=True)
class EnergyParams(Model):
    """an energy network's parameters (its `params`)"""

    interval_ms: int
    """length of a trading interval"""
    gate_ms: int
    """orders for an interval close this long before it starts (gate closure)"""
    settle_ms: int
    """readings of an interval are taken until this long after its end; then it settles (missing readings count as zero)"""
    zone_resolution: int
    """a meter's zone is the H3 parent of its site at this resolution"""
    penalty_price: int
    """credits per kWh a seller pays for energy it sold and did not deliver (and the collateral its offers hold)"""
    max_capacity_w: int
    """the largest capacity a meter may declare, W (and the most a connection imports)"""
    lat_cdeg: int
    """the community's latitude, centi-degrees"""
    lng_cdeg: int
    """its longitude, centi-degrees"""
    day_ms: int
    """the sun's day in wall-clock ms (a devnet runs days in minutes)"""
    sun_offset_ms: int
    """shifts the sun's calendar, ms"""
    margin_bps: int
    """margin over the clear-sky ceiling"""
    zone_tolerance_bps: int
    """a generator whose share of its ceiling exceeds its zone's median by more than this (of the ceiling) is refused"""
    zone_min_generators: int
    """zones with fewer generators are not compared"""
    max_order_intervals: int
    """the most intervals one (standing) order spans"""
    certificate_wh: int
    """verified generation per certificate, Wh"""
    settle_budget_per_block: int
    """readings and fills one block settles at most (whole zones, at least one a block): a large interval settles over several blocks"""


@dataclass(frozen=True, kw_only=True)
class EnergyTrade(Model):
    """one order's trade in one interval, as settled"""

    interval: int
    order: int
    """the order's sequence number"""
    side: Literal['bid', 'offer']
    price: int
    """the zone's clearing price, credits per kWh"""
    traded_wh: int
    """energy traded, Wh"""
    delivered_wh: int
    """energy delivered (a seller's) or received (a buyer's share), Wh"""
    paid: int
    """credits earned (seller) or paid (buyer)"""
    penalty: int
    """credits of collateral taken for a seller's deviation"""
    returned: int
    """credits that went back to the owner"""
    height: int
    """the height it settled at"""


@dataclass(frozen=True, kw_only=True)
class Error(Model):
    """`#/components/schemas/Error`."""

    error: ErrorDetail


@dataclass(frozen=True, kw_only=True)
class ErrorDetail(Model):
    """`#/components/schemas/ErrorDetail`."""

    code: str
    message: str
    details: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class ExplorerConfigResponse(Model):
    """`GET /v1/explorer/config`."""

    oracle: str | None
    """base URL of the oracle's HTTP API, when the node knows one"""


@dataclass(frozen=True, kw_only=True)
class ExplorerManifestsResponse(Model):
    """`GET /v1/explorer/manifests/{network}/{epoch}`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int
    consistent: bool
    problems: list[str]
    top_earners: list[ManifestEntry]
    """the 10 largest entries, largest first"""
    rejected: dict[str, int]
    """reports the oracle did not count, by reason"""
    devices_paid: int
    total: int
    scored: int
    signatures: list[ExplorerManifestsResponseSignatures]
    """the oracles whose signatures the manifest carries (at most 64 checked), each verified over the ledger's header; an invalid one is also a problem"""
    refusals: list[ExplorerManifestsResponseRefusals]
    """members of the oracle set that refused to co-sign the manifest, as its proposer recorded them"""
    entries: list[ManifestEntry] | None = None
    """only with `entries=true`"""


@dataclass(frozen=True, kw_only=True)
class ExplorerManifestsResponseRefusals(Model):
    """`GET /v1/explorer/manifests/{network}/{epoch}.refusals[]`."""

    oracle: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    code: str
    """e.g. `omits_batches`, `invalid_batch`, `registry_mismatch`, `differs`"""
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExplorerManifestsResponseSignatures(Model):
    """`GET /v1/explorer/manifests/{network}/{epoch}.signatures[]`."""

    oracle: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    valid: bool


@dataclass(frozen=True, kw_only=True)
class GenesisResponse(Model):
    """`GET /v1/genesis`."""

    chain_id: str
    genesis_time_ms: int


@dataclass(frozen=True, kw_only=True)
class Gov(Model):
    """`#/components/schemas/Gov`."""

    params: GovParams
    """the genesis's `[governance]` section"""
    treasury: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    treasury_balance: int
    total_power: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    tokens_locked: int
    upgrade: UpgradePlan | None
    upgrades_applied: list[UpgradePlan]
    active_proposals: list[int]
    next_proposal: int
    height: int


@dataclass(frozen=True, kw_only=True)
class GovParams(Model):
    """the genesis's `[governance]` section"""

    min_lock_blocks: int
    max_lock_blocks: int
    max_multiplier_bps: int
    """multiplier of a position locked for max_lock_blocks (1,000,000 = 100×)"""
    min_deposit: int
    deposit_period_blocks: int
    voting_period_blocks: int
    quorum_bps: int
    threshold_bps: int
    veto_bps: int
    max_description_bytes: int
    max_actions: int
    max_active_proposals: int
    treasury_bps: int
    bounds: dict[str, Bounds]


@dataclass(frozen=True, kw_only=True)
class HistoryItem(Model):
    """`#/components/schemas/HistoryItem`."""

    hash: str
    height: int
    index: int
    tx: Transaction
    """A signed transaction's content; `call.type` names its kind (`transfer`, `register_device`, `claim`, …)"""
    receipt: Receipt | None


@dataclass(frozen=True, kw_only=True)
class Job(Model):
    """`#/components/schemas/Job`."""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    module: str
    input_hash: str
    tasks: int
    fuel_per_task: int
    price_per_task: int
    spot_check_bps: int
    redundancy: int
    lease: str | None
    escrow: int
    created_height: int
    deadline_height: int
    done: int
    claims: int
    """claims ever made on it"""
    status: Literal['open', 'completed', 'cancelled', 'expired']


@dataclass(frozen=True, kw_only=True)
class JobView(Model):
    """`#/components/schemas/JobView`."""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    module: str
    input_hash: str
    tasks: int
    fuel_per_task: int
    price_per_task: int
    spot_check_bps: int
    redundancy: int
    lease: str | None
    escrow: int
    created_height: int
    deadline_height: int
    done: int
    claims: int
    """claims ever made on it"""
    status: Literal['open', 'completed', 'cancelled', 'expired']
    progress: JobViewProgress
    """with redundancy a task has several copies: it may be in flight (a copy claimed) and open (a copy free) at once"""
    height: int


@dataclass(frozen=True, kw_only=True)
class JobViewProgress(Model):
    """with redundancy a task has several copies: it may be in flight (a copy claimed) and open (a copy free) at once"""

    tasks_done: int
    tasks_in_flight: int
    """tasks not done with a copy held by a claim not decided yet"""
    tasks_open: int
    """tasks not done with a copy free to claim"""
    tasks_counted: int
    """tasks counted (the first 16,384)"""
    claims: ClaimCounts
    claims_counted: int
    """claims counted (the first 10,000)"""


@dataclass(frozen=True, kw_only=True)
class Lease(Model):
    """a lease settled through the head; one whose payment stopped but that no transaction closed yet is `closed` with `closed_height` 0 and `awaiting_close`"""

    id: str
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    provider: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    price_per_block: int
    attrs: ComputeAttrs
    """what a provider offers"""
    escrow: int
    """credits held"""
    paid: int
    """credits paid to the provider through the head"""
    start_height: int
    end_height: int
    settled_height: int
    """paid up to this height (exclusive)"""
    collateral: int
    next_check_epoch: int
    checks_passed: int
    checks_failed: int
    consecutive_failures: int
    status: LeaseStatus
    closed_height: int
    awaiting_close: bool
    """payment stopped (escrow dry, duration over) but no transaction closed the lease yet: anyone may close it"""
    pays_until: int
    """payment runs to this height (exclusive) if nothing changes"""
    region_cell: str
    """an H3 cell index in hex"""
    height: int


@dataclass(frozen=True, kw_only=True)
class LeaseStatus(Model):
    """`#/components/schemas/Lease.status`."""

    status: Literal['active', 'closed']
    reason: Literal['closed_by_consumer', 'closed_by_provider', 'escrow_exhausted', 'duration_ended', 'failed_checks', 'provider_gone'] | None = None


@dataclass(frozen=True, kw_only=True)
class Maker(Model):
    """`#/components/schemas/Maker`."""

    address: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    name: str
    onboard_fee_credits: int
    devices: int
    approved_by: int | None
    """the proposal that approved it (null: listed in the genesis)"""
    revoked_from_epoch: int | None
    """the first reward epoch its devices no longer earn in"""


@dataclass(frozen=True, kw_only=True)
class ManifestEntry(Model):
    """`#/components/schemas/ManifestEntry`."""

    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    amount: int


@dataclass(frozen=True, kw_only=True)
class ManifestHeader(Model):
    """What the oracle quorum signs (domain `plinth/manifest/v1` + borsh of these fields, in order)"""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int
    root: str
    total: int
    devices: int
    """number of entries (leaves)"""
    inputs: str
    """hash of the list of spool batch hashes the oracle scored"""
    registry_height: int
    """the block whose device registry the entries were scored over (0: none)"""
    awards: str
    """merkle root of a custom family's awards (tag, devices), what bursts pay on; zero: none"""
    award_count: int
    """number of awards (leaves)"""


@dataclass(frozen=True, kw_only=True)
class MapResponse(Model):
    """`GET /v1/map`."""

    res: int
    devices: int
    truncated: bool
    """more than 200,000 devices exist; the rest are not drawn"""
    height: int
    cells: list[MapResponseCells]


@dataclass(frozen=True, kw_only=True)
class MapResponseCells(Model):
    """`GET /v1/map.cells[]`."""

    cell: str
    """an H3 cell index in hex"""
    lat: float
    lon: float
    boundary: list[list[float]]
    """[lat, lon] pairs in degrees"""
    devices: int
    active: int
    networks: dict[str, int]
    """devices per network"""
    stake: int
    ids: list[str] | None = None
    """only with `ids=true`"""


@dataclass(frozen=True, kw_only=True)
class Meter(Model):
    """a meter of an energy network, with its device's owner"""

    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    site: int
    """the H3 cell it is registered at, as a number (one meter per site)"""
    zone: int
    """the site's parent at the network's zone resolution, as a number"""
    capacity_w: int
    """generating capacity, W (0: a consumer)"""
    last: MeterLast | None
    """its last accepted reading (the baseline of its next)"""
    refused: int
    """readings refused so far"""
    last_refusal: MeterLastRefusal | None
    generated_wh: int
    """verified generation so far, Wh"""
    uncertified_wh: int
    """verified generation not yet certified, Wh"""
    uncertified_from: int | None
    """the first interval of the uncertified generation"""
    orders: list[int]
    """its open orders' sequence numbers"""
    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    site_hex: str
    """an H3 cell index in hex"""
    zone_hex: str
    """an H3 cell index in hex"""


@dataclass(frozen=True, kw_only=True)
class MeterLast(Model):
    """its last accepted reading (the baseline of its next)"""

    interval: int
    import_wh: int
    """import counter, Wh"""
    export_wh: int
    """export counter, Wh"""


@dataclass(frozen=True, kw_only=True)
class MeterLastRefusal(Model):
    """`#/components/schemas/Meter.last_refusal`."""

    interval: int
    """the reading's interval"""
    code: str
    """e.g. `export_at_night`"""
    reason: str


@dataclass(frozen=True, kw_only=True)
class Module(Model):
    """`#/components/schemas/Module`."""

    hash: str
    size: int
    uploader: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    height: int


@dataclass(frozen=True, kw_only=True)
class Network(Model):
    """`#/components/schemas/Network`."""

    name: str
    """1 to 32 of a-z, 0-9, -"""
    family: str
    params: dict[str, Any]
    share_bps: int
    """share of each epoch's emission, in basis points"""
    usage_bps: int
    """part of the share paid by credits the network's devices earned (usage rewards), in basis points"""
    require_maker: bool
    """whether devices must be onboarded by an approved maker"""
    epoch: int
    """the reward epoch these values are in force in"""
    allowance: int
    """what the network's manifest of `epoch` may pay at most: the epoch's emission times `share_bps`"""


@dataclass(frozen=True, kw_only=True)
class Offer(Model):
    """`#/components/schemas/Offer`."""

    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    device_active: bool
    device: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    endpoint: str
    price_per_mib_epoch: int
    collateral_per_mib: int
    free: int
    locked: int
    active_deals: int


@dataclass(frozen=True, kw_only=True)
class OracleSetEntry(Model):
    """an oracle set, in force from `from_epoch` until the next entry's"""

    from_epoch: int
    threshold: int
    members: list[str]


@dataclass(frozen=True, kw_only=True)
class Oracles(Model):
    """`#/components/schemas/Oracles`."""

    threshold: int
    """signatures of distinct members a message about `epoch` needs"""
    members: list[str]
    epoch: int
    """the reward epoch `threshold` and `members` are in force at"""
    schedule: list[OracleSetEntry]


@dataclass(frozen=True, kw_only=True)
class PendingClaim(Model):
    """`#/components/schemas/PendingClaim`."""

    id: str
    job: str
    provider: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""
    tasks: list[int]
    collateral: int
    claimed_height: int
    commit_deadline: int
    commitments: list[str]
    committed_height: int
    results: list[str]
    revealed_height: int
    status: Literal['claimed', 'committed', 'revealed', 'verified', 'slashed', 'expired']
    number: int
    """its number in its job"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    consumer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    spot_check_bps: int
    check_count: int
    """how many of its tasks a verdict checks"""
    reveal_due: int | None
    """the last height the reveal may land at (with redundancy, counted from the last commit of the tasks' copies, once all are committed)"""
    seed_height: int | None
    """the block whose hash draws the checked tasks"""
    seed: str | None
    """that block's hash, once it exists"""
    checked_tasks: list[int] | None
    """the tasks a verdict re-executes, drawn from the seed by the ledger's rule (spot_check_tasks); a claim slashed for a wrong result has it among these"""
    verify_due: int | None
    finalizable_from: int | None
    """the first height a FinalizeClaim applies at, while the claim is open"""
    slash_reason: Literal['wrong_result', 'not_revealed'] | None
    height: int
    module: str
    input_hash: str
    fuel_per_task: int


@dataclass(frozen=True, kw_only=True)
class Position(Model):
    """`#/components/schemas/Position`."""

    id: int
    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    amount: int
    lock_blocks: int
    lock: PositionLock
    """`locked`, or `cooling` down to `end_height` (withdrawable from there)"""
    created_height: int


@dataclass(frozen=True, kw_only=True)
class PositionLock(Model):
    """`locked`, or `cooling` down to `end_height` (withdrawable from there)"""

    state: Literal['locked', 'cooling']
    end_height: int | None = None


@dataclass(frozen=True, kw_only=True)
class PositionView(Model):
    """`#/components/schemas/PositionView`."""

    position: Position
    power: Power
    """power at the head"""
    locked_power: Power
    """power while locked (a cooldown decays from it to 0)"""
    cooldown_end: int | None
    height: int


@dataclass(frozen=True, kw_only=True)
class PositionsView(Model):
    """`#/components/schemas/PositionsView`."""

    owner: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    power: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    delegate: str | None
    delegators: list[str]
    delegated_power: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    positions: list[PositionView]
    height: int


@dataclass(frozen=True, kw_only=True)
class Power(Model):
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""

    raw: str
    """a non-negative integer below 2^128, as a decimal string"""
    display: str
    """a non-negative integer below 2^128, as a decimal string"""


@dataclass(frozen=True, kw_only=True)
class PriceResponse(Model):
    """`GET /v1/price`."""

    price: PriceResponsePrice | None
    credit_micro_usd: int
    """fiat price of one credit (10 = $0.00001)"""
    price_max_age_ms: int
    head_time_ms: int
    fresh: bool


@dataclass(frozen=True, kw_only=True)
class PriceResponsePrice(Model):
    """`GET /v1/price.price`."""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    micro_usd_per_token: int
    timestamp_ms: int


@dataclass(frozen=True, kw_only=True)
class Proof(Model):
    """jmt SparseMerkleProof (borsh, hex) of `key` having `value` (absent = non-existence) under `state_root`"""

    height: int
    state_root: str
    key: str
    value: str | None
    proof: str


@dataclass(frozen=True, kw_only=True)
class Proposal(Model):
    """a proposal as the ledger holds it; `status.status` is one of deposit_period, voting, passed, executed (with `height`), failed (with `height`, the failing `action`'s index and its `error`), rejected, vetoed, no_quorum, lapsed"""

    id: int
    proposer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    actions: list[Action]
    description: str
    deposits: list[list[str | int]]
    """[depositor, amount] pairs, in the order they first deposited"""
    total_deposit: int
    submitted_height: int
    deposit_end: int
    voting_start: int | None
    voting_end: int | None
    """last height of the voting period; power is measured here"""
    execute_height: int | None
    tally: Tally
    """raw power counted per option"""
    total_power: str | None
    """the total voting power at the voting end"""
    voters: int
    status: ProposalStatus


@dataclass(frozen=True, kw_only=True)
class ProposalStatus(Model):
    """`#/components/schemas/Proposal.status`."""

    status: Literal['deposit_period', 'voting', 'passed', 'executed', 'failed', 'rejected', 'vetoed', 'no_quorum', 'lapsed']
    height: int | None = None
    action: int | None = None
    error: ProposalStatusError | None = None


@dataclass(frozen=True, kw_only=True)
class ProposalStatusError(Model):
    """`#/components/schemas/Proposal.status.error`."""

    code: str


@dataclass(frozen=True, kw_only=True)
class ProposalView(Model):
    """`#/components/schemas/ProposalView`."""

    proposal: Proposal
    """a proposal as the ledger holds it; `status.status` is one of deposit_period, voting, passed, executed (with `height`), failed (with `height`, the failing `action`'s index and its `error`), rejected, vetoed, no_quorum, lapsed"""
    tally: ProposalViewTally
    verdict: ProposalViewVerdict
    """what the vote would decide if it ended now, by the genesis's exact rules in order: no quorum when voted × 10,000 < quorum_bps × total; vetoed when veto × 10,000 > veto_bps × voted; passed when yes × 10,000 > threshold_bps × (yes + no + veto); else rejected"""
    height: int


@dataclass(frozen=True, kw_only=True)
class ProposalViewTally(Model):
    """`#/components/schemas/ProposalView.tally`."""

    yes: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    no: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    abstain: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    veto: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""
    voted: Power
    """voting power: `raw` = Σ amount × multiplier bps × blocks; `display` = raw / (max_lock_blocks × 10,000), tokens × multiplier in the smallest unit"""


@dataclass(frozen=True, kw_only=True)
class ProposalViewVerdict(Model):
    """what the vote would decide if it ended now, by the genesis's exact rules in order: no quorum when voted × 10,000 < quorum_bps × total; vetoed when veto × 10,000 > veto_bps × voted; passed when yes × 10,000 > threshold_bps × (yes + no + veto); else rejected"""

    total_power: Power
    """the tallied total once tallied; while voting, the total projected at the voting end; before, the total now"""
    turnout_bps: int
    yes_bps: int
    """yes among yes + no + veto"""
    veto_bps: int
    """veto among all votes"""
    quorum_reached: bool
    would_veto: bool
    would_pass: bool
    outcome: Literal['passed', 'rejected', 'vetoed', 'no_quorum']
    period_end: int | None
    """last height of the deposit or voting period the proposal is in"""
    blocks_left: int


@dataclass(frozen=True, kw_only=True)
class Receipt(Model):
    """`#/components/schemas/Receipt`."""

    tx_hash: str
    index: int
    fee: int
    error: ReceiptError | None
    """why the ledger refused it (`code` and its fields); null when it applied"""


@dataclass(frozen=True, kw_only=True)
class ReceiptError(Model):
    """why the ledger refused it (`code` and its fields); null when it applied"""

    code: str


@dataclass(frozen=True, kw_only=True)
class Registry(Model):
    """`#/components/schemas/Registry`."""

    height: int
    time_ms: int
    """the block's time (Unix milliseconds)"""
    networks: list[RegistryNetworks]
    """every network of the chain, in name order"""


@dataclass(frozen=True, kw_only=True)
class RegistryNetworks(Model):
    """`#/components/schemas/Registry.networks[]`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    digest: str
    devices: int
    """devices registered in the network, retired ones included"""


@dataclass(frozen=True, kw_only=True)
class Reputation(Model):
    """a provider's record on the ledger"""

    leases_completed: int
    leases_failed: int
    """leases closed by failed capacity checks"""
    checks_passed: int
    checks_failed: int
    tasks_verified: int
    claims_slashed: int
    claims_expired: int
    credits_earned: int
    tasks_outvoted: int
    """results of redundant jobs the task's majority outvoted"""


@dataclass(frozen=True, kw_only=True)
class RewardEpoch(Model):
    """`#/components/schemas/RewardEpoch`."""

    header: ManifestHeader
    """What the oracle quorum signs (domain `plinth/manifest/v1` + borsh of these fields, in order)"""
    claimed: int
    claims: int
    submitted_height: int


@dataclass(frozen=True, kw_only=True)
class RewardsClaimedResponse(Model):
    """`GET /v1/rewards/{network}/{epoch}/claimed/{index}`."""

    claimed: bool


@dataclass(frozen=True, kw_only=True)
class StakeTargetDevice(Model):
    """`#/components/schemas/StakeTarget/device`."""

    kind: Literal['device']
    id: str
    """a device, bech32m with prefix `pdev` (the checksum must hold)"""


@dataclass(frozen=True, kw_only=True)
class StakeTargetValidator(Model):
    """`#/components/schemas/StakeTarget/validator`."""

    kind: Literal['validator']
    id: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""


@dataclass(frozen=True, kw_only=True)
class Status(Model):
    """`#/components/schemas/Status`."""

    chain_id: str
    genesis_hash: str
    height: int
    head_hash: str
    state_root: str
    timestamp_ms: int
    block_time_ms: int
    mempool: int
    validator: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    token: StatusToken
    min_fee: int
    unbonding_blocks: int
    genesis_time_ms: int
    epoch_ms: int
    """length of a reward epoch"""
    epoch: int
    """reward epoch of the head block's timestamp: (timestamp_ms - genesis_time_ms) / epoch_ms"""


@dataclass(frozen=True, kw_only=True)
class StatusToken(Model):
    """`#/components/schemas/Status.token`."""

    name: str
    symbol: str
    decimals: int


@dataclass(frozen=True, kw_only=True)
class StorageUsageResponse(Model):
    """`GET /v1/storage/usage/{network}/{epoch}`."""

    credits_used: int
    credits_refunded: int
    proven: int
    failed: int
    slashed: int


@dataclass(frozen=True, kw_only=True)
class Submitted(Model):
    """`#/components/schemas/Submitted`."""

    hash: str
    status: Literal['pending']


@dataclass(frozen=True, kw_only=True)
class Supply(Model):
    """`#/components/schemas/Supply`."""

    genesis: int
    minted: int
    burned: int
    unclaimed: int
    """minted by accepted manifests, not yet claimed"""
    circulating: int
    """genesis + minted - burned - unclaimed"""
    height: int


@dataclass(frozen=True, kw_only=True)
class SupplyEpochsItem(Model):
    """`GET /v1/supply/epochs[]`."""

    epoch: int
    minted: int
    burned: int
    net: int
    """minted − burned"""


@dataclass(frozen=True, kw_only=True)
class Tally(Model):
    """raw power counted per option"""

    yes: str
    """a non-negative integer below 2^128, as a decimal string"""
    no: str
    """a non-negative integer below 2^128, as a decimal string"""
    abstain: str
    """a non-negative integer below 2^128, as a decimal string"""
    veto: str
    """a non-negative integer below 2^128, as a decimal string"""


@dataclass(frozen=True, kw_only=True)
class Task(Model):
    """`#/components/schemas/Task`."""

    task: int
    claims: list[str]
    """the claims holding it now"""
    results: list[list[str]]
    """[provider, result hash] pairs accepted for it"""
    done: bool
    result: str | None
    """the result that counts"""


@dataclass(frozen=True, kw_only=True)
class Transaction(Model):
    """A signed transaction's content; `call.type` names its kind (`transfer`, `register_device`, `claim`, …)"""

    chain_id: str
    signer: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    nonce: int
    fee: int
    call: TransactionCall


@dataclass(frozen=True, kw_only=True)
class TransactionCall(Model):
    """`#/components/schemas/Transaction.call`."""

    type: str


@dataclass(frozen=True, kw_only=True)
class Tx(Model):
    """`#/components/schemas/Tx`."""

    hash: str
    status: Literal['pending', 'committed', 'rejected']
    height: int | None = None
    index: int | None = None
    receipt: Receipt | None = None
    error: ErrorDetail | None = None
    tx: Transaction | None = None
    """A signed transaction's content; `call.type` names its kind (`transfer`, `register_device`, `claim`, …)"""


@dataclass(frozen=True, kw_only=True)
class TxsBatchResponse(Model):
    """`POST /v1/txs/batch`."""

    accepted: int
    results: list[TxsBatchResponseResults]


@dataclass(frozen=True, kw_only=True)
class TxsBatchResponseResults(Model):
    """the transaction's hash when accepted, else why not"""

    hash: str | None = None
    error: ErrorDetail | None = None


@dataclass(frozen=True, kw_only=True)
class UpgradePlan(Model):
    """`#/components/schemas/UpgradePlan`."""

    name: str
    height: int
    """the first height only a binary knowing `name` executes"""
    proposal: int
    """the proposal that planned it"""


@dataclass(frozen=True, kw_only=True)
class ValidatorsItem(Model):
    """`GET /v1/validators[]`."""

    address: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    name: str
    stake: int


@dataclass(frozen=True, kw_only=True)
class VoteView(Model):
    """`#/components/schemas/VoteView`."""

    voter: str
    """an account, bech32m with prefix `plinth` (the checksum must hold)"""
    option: Literal['yes', 'no', 'abstain', 'veto']
    height: int
    """height of the latest vote"""
    power: Power
    """the voter's own power as counted"""
    delegated_power: Power
    """power of its delegators counted under its vote"""


@dataclass(frozen=True, kw_only=True)
class ZoneClearing(Model):
    """what a zone's interval cleared, and how it settled"""

    zone_hex: str
    """an H3 cell index in hex"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    interval: int
    zone: int
    """the zone, an H3 cell index as a number (JSON readers without 64-bit integers use the hex `zone_hex` beside it)"""
    price: int
    """the clearing price, credits per kWh (0: nothing traded)"""
    volume_wh: int
    """energy traded, Wh"""
    bids: int
    """bids in the auction"""
    offers: int
    """offers in the auction"""
    height: int
    """the height it cleared at"""
    settled: ZoneClearingSettled | None
    """how it settled, once it has"""


@dataclass(frozen=True, kw_only=True)
class ZoneClearingSettled(Model):
    """how it settled, once it has"""

    delivered_wh: int
    """energy the sellers delivered, Wh"""
    paid: int
    """credits the buyers paid"""
    balancing: int
    """credits to the balancing account (deviations, rounding)"""
    height: int
    """the height it settled at"""



# The fields of each model: JSON name, attribute, type, required.
Account._fields = (
    Field('address', 'address', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('exists', 'exists', Bool(), True),
    Field('balance', 'balance', Int(minimum=0, maximum=18446744073709551615), True),
    Field('nonce', 'nonce', Int(minimum=0, maximum=18446744073709551615), True),
    Field('next_nonce', 'next_nonce', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bonded', 'bonded', Int(minimum=0, maximum=18446744073709551615), True),
    Field('unbonding', 'unbonding', Arr(Obj(_M, 'AccountUnbonding')), True),
    Field('bonds', 'bonds', Arr(Obj(_M, 'AccountBonds')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proof', 'proof', Obj(_M, 'Proof'), False),
)
AccountBonds._fields = (
    Field('target', 'target', Union(Obj(_M, 'StakeTargetDevice'), Obj(_M, 'StakeTargetValidator')), True),
    Field('amount', 'amount', Int(minimum=0, maximum=18446744073709551615), True),
)
AccountUnbonding._fields = (
    Field('amount', 'amount', Int(minimum=0, maximum=18446744073709551615), True),
    Field('release_height', 'release_height', Int(minimum=0, maximum=18446744073709551615), True),
)
Action._fields = (
    Field('type', 'type', Str(enum=('set_network_share', 'set_family_params', 'add_network', 'set_credit_params', 'set_storage_params', 'set_emission_tail', 'set_oracle_set', 'set_validators', 'treasury_spend', 'approve_maker', 'revoke_maker', 'plan_upgrade', 'cancel_upgrade')), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), False),
    Field('name', 'name', Str(), False),
    Field('family', 'family', Str(), False),
    Field('params_json', 'params_json', Str(), False),
    Field('share_bps', 'share_bps', Int(minimum=0, maximum=10000), False),
    Field('usage_bps', 'usage_bps', Int(minimum=0, maximum=10000), False),
    Field('require_maker', 'require_maker', Bool(), False),
    Field('params', 'params', AnyObj(), False),
    Field('tail_per_epoch', 'tail_per_epoch', Int(minimum=0, maximum=18446744073709551615), False),
    Field('set', 'set', Obj(_M, 'ActionSet'), False),
    Field('effective_epoch', 'effective_epoch', Int(minimum=0, maximum=18446744073709551615), False),
    Field('validators', 'validators', Arr(Obj(_M, 'ActionValidators')), False),
    Field('to', 'to', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), False),
    Field('amount', 'amount', Int(minimum=0, maximum=18446744073709551615), False),
    Field('maker', 'maker', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), False),
    Field('onboard_fee_credits', 'onboard_fee_credits', Int(minimum=0, maximum=18446744073709551615), False),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), False),
)
ActionSet._fields = (
    Field('threshold', 'threshold', Int(minimum=0), True),
    Field('members', 'members', Arr(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$')), True),
)
ActionValidators._fields = (
    Field('address', 'address', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('name', 'name', Str(), True),
)
Block._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('header', 'header', Obj(_M, 'BlockHeader'), True),
    Field('txs', 'txs', Arr(Obj(_M, 'BlockTxs')), True),
    Field('receipts', 'receipts', Arr(Obj(_M, 'Receipt')), True),
)
BlockHeader._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('parent', 'parent', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('timestamp_ms', 'timestamp_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proposer', 'proposer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('tx_root', 'tx_root', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('state_root', 'state_root', Str(pattern='^[0-9a-f]{64}$'), True),
)
BlockSummary._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('timestamp_ms', 'timestamp_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('txs', 'txs', Int(minimum=0), True),
    Field('proposer', 'proposer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('state_root', 'state_root', Str(pattern='^[0-9a-f]{64}$'), True),
)
BlockTxs._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('signer', 'signer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('nonce', 'nonce', Int(minimum=0, maximum=18446744073709551615), True),
    Field('fee', 'fee', Int(minimum=0, maximum=18446744073709551615), True),
    Field('call', 'call', Obj(_M, 'BlockTxsCall'), True),
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
)
BlockTxsCall._fields = (
    Field('type', 'type', Str(), True),
)
Bounds._fields = (
    Field('min', 'min', Int(minimum=0, maximum=18446744073709551615), True),
    Field('max', 'max', Int(minimum=0, maximum=18446744073709551615), True),
)
Burst._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('tag', 'tag', Int(minimum=0, maximum=18446744073709551615), True),
    Field('tag_hex', 'tag_hex', Str(pattern='^[0-9a-f]{1,16}$'), True),
    Field('poster', 'poster', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('credits', 'credits', Int(minimum=0, maximum=18446744073709551615), True),
    Field('from_epoch', 'from_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deadline_epoch', 'deadline_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('status', 'status', Obj(_M, 'BurstStatus'), True),
)
BurstStatus._fields = (
    Field('status', 'status', Str(enum=('open', 'paid', 'refunded')), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), False),
    Field('paid', 'paid', Arr(Arr(Union(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), Int(minimum=0, maximum=18446744073709551615)), min_items=2, max_items=2), max_items=8), False),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), False),
)
Certificate._fields = (
    Field('id', 'id', Int(minimum=0, maximum=18446744073709551615), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('meter', 'meter', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('wh', 'wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('first_interval', 'first_interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('last_interval', 'last_interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('issued_height', 'issued_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('retired', 'retired', Nullable(Obj(_M, 'CertificateRetired')), True),
)
CertificateRetired._fields = (
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('beneficiary', 'beneficiary', Str(), True),
)
Claim._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('job', 'job', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('tasks', 'tasks', Arr(Int(minimum=0, maximum=4294967295), max_items=128), True),
    Field('collateral', 'collateral', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claimed_height', 'claimed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('commit_deadline', 'commit_deadline', Int(minimum=0, maximum=18446744073709551615), True),
    Field('commitments', 'commitments', Arr(Str(pattern='^[0-9a-f]{64}$'), max_items=128), True),
    Field('committed_height', 'committed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('results', 'results', Arr(Str(pattern='^[0-9a-f]{64}$'), max_items=128), True),
    Field('revealed_height', 'revealed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('status', 'status', Str(enum=('claimed', 'committed', 'revealed', 'verified', 'slashed', 'expired')), True),
    Field('number', 'number', Int(minimum=0, maximum=4294967295), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('spot_check_bps', 'spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('check_count', 'check_count', Int(minimum=0, maximum=4294967295), True),
    Field('reveal_due', 'reveal_due', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('seed_height', 'seed_height', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('seed', 'seed', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('checked_tasks', 'checked_tasks', Nullable(Arr(Int(minimum=0, maximum=4294967295), max_items=128)), True),
    Field('verify_due', 'verify_due', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('finalizable_from', 'finalizable_from', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('slash_reason', 'slash_reason', Nullable(Str(enum=('wrong_result', 'not_revealed'))), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
ClaimCounts._fields = (
    Field('claimed', 'claimed', Int(minimum=0, maximum=4294967295), True),
    Field('committed', 'committed', Int(minimum=0, maximum=4294967295), True),
    Field('revealed', 'revealed', Int(minimum=0, maximum=4294967295), True),
    Field('verified', 'verified', Int(minimum=0, maximum=4294967295), True),
    Field('slashed', 'slashed', Int(minimum=0, maximum=4294967295), True),
    Field('expired', 'expired', Int(minimum=0, maximum=4294967295), True),
)
ComputeAttrs._fields = (
    Field('cores', 'cores', Int(minimum=0, maximum=4294967295), True),
    Field('memory_mib', 'memory_mib', Int(minimum=0, maximum=18446744073709551615), True),
    Field('accelerator', 'accelerator', Nullable(Obj(_M, 'ComputeAttrsAccelerator')), True),
    Field('region', 'region', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeAttrsAccelerator._fields = (
    Field('model', 'model', Str(), True),
    Field('memory_mib', 'memory_mib', Int(minimum=0, maximum=18446744073709551615), True),
    Field('count', 'count', Int(minimum=0, maximum=4294967295), True),
)
ComputeBid._fields = (
    Field('order', 'order', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('price_per_block', 'price_per_block', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deposit', 'deposit', Int(minimum=0, maximum=18446744073709551615), True),
    Field('attrs', 'attrs', Obj(_M, 'ComputeAttrs'), True),
    Field('attested', 'attested', Bool(), True),
    Field('expires_height', 'expires_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('placed_height', 'placed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('live', 'live', Bool(), True),
    Field('region_cell', 'region_cell', Str(pattern='^[0-9a-f]{15}$'), True),
)
ComputeEarnedItem._fields = (
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('credits', 'credits', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeOffer._fields = (
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('device_active', 'device_active', Bool(), True),
    Field('attested', 'attested', Bool(), True),
    Field('maker_name', 'maker_name', Nullable(Str()), True),
    Field('reputation', 'reputation', Obj(_M, 'Reputation'), True),
    Field('region_cell', 'region_cell', Str(pattern='^[0-9a-f]{15}$'), True),
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('endpoint', 'endpoint', Str(), True),
    Field('attrs', 'attrs', Obj(_M, 'ComputeAttrs'), True),
    Field('attested_by', 'attested_by', Nullable(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$')), True),
    Field('price_per_block', 'price_per_block', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price_per_task', 'price_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('collateral_per_lease', 'collateral_per_lease', Int(minimum=0, maximum=18446744073709551615), True),
    Field('collateral_per_task', 'collateral_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('free', 'free', Int(minimum=0, maximum=18446744073709551615), True),
    Field('locked', 'locked', Int(minimum=0, maximum=18446744073709551615), True),
    Field('open_leases', 'open_leases', Int(minimum=0, maximum=4294967295), True),
)
ComputeOrder._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('requirements', 'requirements', Obj(_M, 'ComputeRequirements'), True),
    Field('max_price_per_block', 'max_price_per_block', Int(minimum=0, maximum=18446744073709551615), True),
    Field('duration_blocks', 'duration_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deposit', 'deposit', Int(minimum=0, maximum=18446744073709551615), True),
    Field('created_height', 'created_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bids_until', 'bids_until', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bidders', 'bidders', Arr(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), max_items=64), True),
    Field('status', 'status', Str(enum=('open', 'leased', 'closed')), True),
    Field('taking_bids', 'taking_bids', Bool(), True),
    Field('lease', 'lease', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeOrderDetail._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('requirements', 'requirements', Obj(_M, 'ComputeRequirements'), True),
    Field('max_price_per_block', 'max_price_per_block', Int(minimum=0, maximum=18446744073709551615), True),
    Field('duration_blocks', 'duration_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deposit', 'deposit', Int(minimum=0, maximum=18446744073709551615), True),
    Field('created_height', 'created_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bids_until', 'bids_until', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bidders', 'bidders', Arr(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), max_items=64), True),
    Field('status', 'status', Str(enum=('open', 'leased', 'closed')), True),
    Field('taking_bids', 'taking_bids', Bool(), True),
    Field('lease', 'lease', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bids', 'bids', Arr(Obj(_M, 'ComputeBid'), max_items=64), True),
)
ComputeParams._fields = (
    Field('max_check_failures', 'max_check_failures', Int(minimum=0, maximum=4294967295), True),
    Field('check_slash_bps', 'check_slash_bps', Int(minimum=0, maximum=10000), True),
    Field('cheat_slash_bps', 'cheat_slash_bps', Int(minimum=0, maximum=10000), True),
    Field('default_spot_check_bps', 'default_spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('min_spot_check_bps', 'min_spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('max_redundancy', 'max_redundancy', Int(minimum=0, maximum=255), True),
    Field('max_tasks', 'max_tasks', Int(minimum=0, maximum=4294967295), True),
    Field('max_fuel_per_task', 'max_fuel_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('commit_blocks', 'commit_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('reveal_blocks', 'reveal_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('verify_blocks', 'verify_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('max_module_bytes', 'max_module_bytes', Int(minimum=0, maximum=4294967295), True),
    Field('max_input_bytes', 'max_input_bytes', Int(minimum=0, maximum=4294967295), True),
    Field('max_bid_blocks', 'max_bid_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('max_lease_blocks', 'max_lease_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('allow_private_endpoints', 'allow_private_endpoints', Bool(), True),
)
ComputeParamsView._fields = (
    Field('params', 'params', Obj(_M, 'ComputeParams'), True),
    Field('configured', 'configured', Bool(), True),
    Field('networks', 'networks', Arr(Str(pattern='^[a-z0-9-]{1,32}$')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeRequirements._fields = (
    Field('min_cores', 'min_cores', Int(minimum=0, maximum=4294967295), True),
    Field('min_memory_mib', 'min_memory_mib', Int(minimum=0, maximum=18446744073709551615), True),
    Field('accelerator_model', 'accelerator_model', Nullable(Str()), True),
    Field('min_accelerator_memory_mib', 'min_accelerator_memory_mib', Int(minimum=0, maximum=18446744073709551615), True),
    Field('region', 'region', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('attested_only', 'attested_only', Bool(), True),
    Field('min_collateral', 'min_collateral', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeUsage._fields = (
    Field('credits_used', 'credits_used', Int(minimum=0, maximum=18446744073709551615), True),
    Field('credits_refunded', 'credits_refunded', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_passed', 'checks_passed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_failed', 'checks_failed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('tasks_paid', 'tasks_paid', Int(minimum=0, maximum=18446744073709551615), True),
    Field('tasks_outvoted', 'tasks_outvoted', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claims_slashed', 'claims_slashed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('leases_closed', 'leases_closed', Int(minimum=0, maximum=18446744073709551615), True),
)
CreditsResponse._fields = (
    Field('address', 'address', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('own', 'own', Int(minimum=0, maximum=18446744073709551615), True),
    Field('delegated', 'delegated', Int(minimum=0, maximum=18446744073709551615), True),
    Field('total', 'total', Int(minimum=0, maximum=18446744073709551615), True),
)
Deal._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('manifest', 'manifest', Obj(_M, 'DealManifest'), True),
    Field('opened_height', 'opened_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('opened_epoch', 'opened_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('epochs', 'epochs', Int(minimum=0, maximum=18446744073709551615), True),
    Field('start_epoch', 'start_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('end_epoch', 'end_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price_per_epoch', 'price_per_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('escrow', 'escrow', Int(minimum=0, maximum=18446744073709551615), True),
    Field('collateral', 'collateral', Int(minimum=0, maximum=18446744073709551615), True),
    Field('next_epoch', 'next_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proven_epochs', 'proven_epochs', Int(minimum=0, maximum=18446744073709551615), True),
    Field('failed_epochs', 'failed_epochs', Int(minimum=0, maximum=18446744073709551615), True),
    Field('unsettled_epochs', 'unsettled_epochs', Int(minimum=0, maximum=18446744073709551615), True),
    Field('consecutive_failures', 'consecutive_failures', Int(minimum=0), True),
    Field('status', 'status', Str(enum=('active', 'completed', 'slashed', 'pending')), True),
)
DealManifest._fields = (
    Field('root', 'root', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('size', 'size', Int(minimum=0, maximum=18446744073709551615), True),
    Field('chunk_size', 'chunk_size', Int(minimum=0, maximum=18446744073709551615), True),
)
Device._fields = (
    Field('id', 'id', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('location', 'location', Str(pattern='^([0-9a-f]{15})?$'), True),
    Field('lat', 'lat', Num(), True),
    Field('lon', 'lon', Num(), True),
    Field('resolution', 'resolution', Int(minimum=0, maximum=15), True),
    Field('status', 'status', Str(enum=('active', 'retired')), True),
    Field('registered_height', 'registered_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('stake', 'stake', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proof', 'proof', Obj(_M, 'Proof'), False),
)
EnergyGenerationItem._fields = (
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('wh', 'wh', Int(minimum=0, maximum=18446744073709551615), True),
)
EnergyMarket._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('params', 'params', Obj(_M, 'EnergyParams'), True),
    Field('genesis_time_ms', 'genesis_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('interval_now', 'interval_now', Int(minimum=0, maximum=18446744073709551615), True),
    Field('first_open', 'first_open', Int(minimum=0, maximum=18446744073709551615), True),
    Field('next_clear', 'next_clear', Int(minimum=0, maximum=18446744073709551615), True),
    Field('next_settle', 'next_settle', Int(minimum=0, maximum=18446744073709551615), True),
    Field('balancing', 'balancing', Int(minimum=0, maximum=18446744073709551615), True),
    Field('open_orders', 'open_orders', Int(minimum=0, maximum=18446744073709551615), True),
    Field('last_cleared', 'last_cleared', Arr(Obj(_M, 'ZoneClearing'), max_items=1000), True),
)
EnergyOrder._fields = (
    Field('seq', 'seq', Int(minimum=0, maximum=18446744073709551615), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('meter', 'meter', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('zone', 'zone', Int(minimum=0, maximum=18446744073709551615), True),
    Field('side', 'side', Str(enum=('bid', 'offer')), True),
    Field('wh', 'wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price', 'price', Int(minimum=0, maximum=18446744073709551615), True),
    Field('from_interval', 'from_interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('to_interval', 'to_interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('held', 'held', Int(minimum=0, maximum=18446744073709551615), True),
    Field('filled_wh', 'filled_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('status', 'status', Obj(_M, 'EnergyOrderStatus'), True),
)
EnergyOrderStatus._fields = (
    Field('status', 'status', Str(enum=('open', 'done', 'cancelled', 'out_of_credits')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), False),
    Field('interval', 'interval', Int(minimum=0, maximum=18446744073709551615), False),
)
EnergyParams._fields = (
    Field('interval_ms', 'interval_ms', Int(minimum=10000, maximum=86400000), True),
    Field('gate_ms', 'gate_ms', Int(minimum=0, maximum=604800000), True),
    Field('settle_ms', 'settle_ms', Int(minimum=0, maximum=604800000), True),
    Field('zone_resolution', 'zone_resolution', Int(minimum=0, maximum=15), True),
    Field('penalty_price', 'penalty_price', Int(minimum=1, maximum=18446744073709551615), True),
    Field('max_capacity_w', 'max_capacity_w', Int(minimum=1, maximum=100000000), True),
    Field('lat_cdeg', 'lat_cdeg', Int(minimum=-9000, maximum=9000), True),
    Field('lng_cdeg', 'lng_cdeg', Int(minimum=-18000, maximum=18000), True),
    Field('day_ms', 'day_ms', Int(minimum=60000, maximum=86400000), True),
    Field('sun_offset_ms', 'sun_offset_ms', Int(minimum=-9223372036854775808, maximum=9223372036854775807), True),
    Field('margin_bps', 'margin_bps', Int(minimum=0, maximum=10000), True),
    Field('zone_tolerance_bps', 'zone_tolerance_bps', Int(minimum=0, maximum=10000), True),
    Field('zone_min_generators', 'zone_min_generators', Int(minimum=0, maximum=4294967295), True),
    Field('max_order_intervals', 'max_order_intervals', Int(minimum=1, maximum=100000), True),
    Field('certificate_wh', 'certificate_wh', Int(minimum=1, maximum=18446744073709551615), True),
    Field('settle_budget_per_block', 'settle_budget_per_block', Int(minimum=1, maximum=10000000), True),
)
EnergyTrade._fields = (
    Field('interval', 'interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('order', 'order', Int(minimum=0, maximum=18446744073709551615), True),
    Field('side', 'side', Str(enum=('bid', 'offer')), True),
    Field('price', 'price', Int(minimum=0, maximum=18446744073709551615), True),
    Field('traded_wh', 'traded_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('delivered_wh', 'delivered_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('paid', 'paid', Int(minimum=0, maximum=18446744073709551615), True),
    Field('penalty', 'penalty', Int(minimum=0, maximum=18446744073709551615), True),
    Field('returned', 'returned', Int(minimum=0, maximum=18446744073709551615), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
Error._fields = (
    Field('error', 'error', Obj(_M, 'ErrorDetail'), True),
)
ErrorDetail._fields = (
    Field('code', 'code', Str(), True),
    Field('message', 'message', Str(), True),
    Field('details', 'details', AnyObj(), False),
)
ExplorerConfigResponse._fields = (
    Field('oracle', 'oracle', Nullable(Str()), True),
)
ExplorerManifestsResponse._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('consistent', 'consistent', Bool(), True),
    Field('problems', 'problems', Arr(Str()), True),
    Field('top_earners', 'top_earners', Arr(Obj(_M, 'ManifestEntry')), True),
    Field('rejected', 'rejected', Map(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('devices_paid', 'devices_paid', Int(minimum=0, maximum=18446744073709551615), True),
    Field('total', 'total', Int(minimum=0), True),
    Field('scored', 'scored', Int(minimum=0, maximum=18446744073709551615), True),
    Field('signatures', 'signatures', Arr(Obj(_M, 'ExplorerManifestsResponseSignatures')), True),
    Field('refusals', 'refusals', Arr(Obj(_M, 'ExplorerManifestsResponseRefusals')), True),
    Field('entries', 'entries', Arr(Obj(_M, 'ManifestEntry')), False),
)
ExplorerManifestsResponseRefusals._fields = (
    Field('oracle', 'oracle', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('code', 'code', Str(), True),
    Field('reason', 'reason', Str(), True),
)
ExplorerManifestsResponseSignatures._fields = (
    Field('oracle', 'oracle', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('valid', 'valid', Bool(), True),
)
GenesisResponse._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('genesis_time_ms', 'genesis_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
)
Gov._fields = (
    Field('params', 'params', Obj(_M, 'GovParams'), True),
    Field('treasury', 'treasury', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('treasury_balance', 'treasury_balance', Int(minimum=0, maximum=18446744073709551615), True),
    Field('total_power', 'total_power', Obj(_M, 'Power'), True),
    Field('tokens_locked', 'tokens_locked', Int(minimum=0, maximum=18446744073709551615), True),
    Field('upgrade', 'upgrade', Nullable(Obj(_M, 'UpgradePlan')), True),
    Field('upgrades_applied', 'upgrades_applied', Arr(Obj(_M, 'UpgradePlan')), True),
    Field('active_proposals', 'active_proposals', Arr(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('next_proposal', 'next_proposal', Int(minimum=0, maximum=18446744073709551615), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
GovParams._fields = (
    Field('min_lock_blocks', 'min_lock_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('max_lock_blocks', 'max_lock_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('max_multiplier_bps', 'max_multiplier_bps', Int(minimum=0, maximum=18446744073709551615), True),
    Field('min_deposit', 'min_deposit', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deposit_period_blocks', 'deposit_period_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('voting_period_blocks', 'voting_period_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('quorum_bps', 'quorum_bps', Int(minimum=0, maximum=10000), True),
    Field('threshold_bps', 'threshold_bps', Int(minimum=0, maximum=10000), True),
    Field('veto_bps', 'veto_bps', Int(minimum=0, maximum=10000), True),
    Field('max_description_bytes', 'max_description_bytes', Int(minimum=1), True),
    Field('max_actions', 'max_actions', Int(minimum=1), True),
    Field('max_active_proposals', 'max_active_proposals', Int(minimum=1), True),
    Field('treasury_bps', 'treasury_bps', Int(minimum=0, maximum=10000), True),
    Field('bounds', 'bounds', Map(Obj(_M, 'Bounds'), required=('credit_micro_usd', 'price_max_age_ms', 'storage_max_failures', 'storage_max_deal_epochs', 'storage_accept_epochs', 'tail_per_epoch')), True),
)
HistoryItem._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('index', 'index', Int(minimum=0), True),
    Field('tx', 'tx', Obj(_M, 'Transaction'), True),
    Field('receipt', 'receipt', Nullable(Obj(_M, 'Receipt')), True),
)
Job._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('module', 'module', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('input_hash', 'input_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('tasks', 'tasks', Int(minimum=0, maximum=4294967295), True),
    Field('fuel_per_task', 'fuel_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price_per_task', 'price_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('spot_check_bps', 'spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('redundancy', 'redundancy', Int(minimum=0, maximum=255), True),
    Field('lease', 'lease', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('escrow', 'escrow', Int(minimum=0, maximum=18446744073709551615), True),
    Field('created_height', 'created_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deadline_height', 'deadline_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('done', 'done', Int(minimum=0, maximum=4294967295), True),
    Field('claims', 'claims', Int(minimum=0, maximum=4294967295), True),
    Field('status', 'status', Str(enum=('open', 'completed', 'cancelled', 'expired')), True),
)
JobView._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('module', 'module', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('input_hash', 'input_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('tasks', 'tasks', Int(minimum=0, maximum=4294967295), True),
    Field('fuel_per_task', 'fuel_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price_per_task', 'price_per_task', Int(minimum=0, maximum=18446744073709551615), True),
    Field('spot_check_bps', 'spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('redundancy', 'redundancy', Int(minimum=0, maximum=255), True),
    Field('lease', 'lease', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('escrow', 'escrow', Int(minimum=0, maximum=18446744073709551615), True),
    Field('created_height', 'created_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deadline_height', 'deadline_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('done', 'done', Int(minimum=0, maximum=4294967295), True),
    Field('claims', 'claims', Int(minimum=0, maximum=4294967295), True),
    Field('status', 'status', Str(enum=('open', 'completed', 'cancelled', 'expired')), True),
    Field('progress', 'progress', Obj(_M, 'JobViewProgress'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
JobViewProgress._fields = (
    Field('tasks_done', 'tasks_done', Int(minimum=0, maximum=4294967295), True),
    Field('tasks_in_flight', 'tasks_in_flight', Int(minimum=0, maximum=4294967295), True),
    Field('tasks_open', 'tasks_open', Int(minimum=0, maximum=4294967295), True),
    Field('tasks_counted', 'tasks_counted', Int(minimum=0, maximum=4294967295), True),
    Field('claims', 'claims', Obj(_M, 'ClaimCounts'), True),
    Field('claims_counted', 'claims_counted', Int(minimum=0, maximum=4294967295), True),
)
Lease._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('price_per_block', 'price_per_block', Int(minimum=0, maximum=18446744073709551615), True),
    Field('attrs', 'attrs', Obj(_M, 'ComputeAttrs'), True),
    Field('escrow', 'escrow', Int(minimum=0, maximum=18446744073709551615), True),
    Field('paid', 'paid', Int(minimum=0, maximum=18446744073709551615), True),
    Field('start_height', 'start_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('end_height', 'end_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('settled_height', 'settled_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('collateral', 'collateral', Int(minimum=0, maximum=18446744073709551615), True),
    Field('next_check_epoch', 'next_check_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_passed', 'checks_passed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_failed', 'checks_failed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('consecutive_failures', 'consecutive_failures', Int(minimum=0, maximum=4294967295), True),
    Field('status', 'status', Obj(_M, 'LeaseStatus'), True),
    Field('closed_height', 'closed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('awaiting_close', 'awaiting_close', Bool(), True),
    Field('pays_until', 'pays_until', Int(minimum=0, maximum=18446744073709551615), True),
    Field('region_cell', 'region_cell', Str(pattern='^[0-9a-f]{15}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
LeaseStatus._fields = (
    Field('status', 'status', Str(enum=('active', 'closed')), True),
    Field('reason', 'reason', Str(enum=('closed_by_consumer', 'closed_by_provider', 'escrow_exhausted', 'duration_ended', 'failed_checks', 'provider_gone')), False),
)
Maker._fields = (
    Field('address', 'address', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('name', 'name', Str(), True),
    Field('onboard_fee_credits', 'onboard_fee_credits', Int(minimum=0, maximum=18446744073709551615), True),
    Field('devices', 'devices', Int(minimum=0, maximum=18446744073709551615), True),
    Field('approved_by', 'approved_by', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('revoked_from_epoch', 'revoked_from_epoch', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
)
ManifestEntry._fields = (
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('amount', 'amount', Int(minimum=0, maximum=18446744073709551615), True),
)
ManifestHeader._fields = (
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('root', 'root', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('total', 'total', Int(minimum=0, maximum=18446744073709551615), True),
    Field('devices', 'devices', Int(minimum=0), True),
    Field('inputs', 'inputs', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('registry_height', 'registry_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('awards', 'awards', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('award_count', 'award_count', Int(minimum=0, maximum=18446744073709551615), True),
)
MapResponse._fields = (
    Field('res', 'res', Int(minimum=0, maximum=15), True),
    Field('devices', 'devices', Int(minimum=0, maximum=18446744073709551615), True),
    Field('truncated', 'truncated', Bool(), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('cells', 'cells', Arr(Obj(_M, 'MapResponseCells')), True),
)
MapResponseCells._fields = (
    Field('cell', 'cell', Str(pattern='^[0-9a-f]{15}$'), True),
    Field('lat', 'lat', Num(), True),
    Field('lon', 'lon', Num(), True),
    Field('boundary', 'boundary', Arr(Arr(Num(), min_items=2, max_items=2)), True),
    Field('devices', 'devices', Int(minimum=0, maximum=18446744073709551615), True),
    Field('active', 'active', Int(minimum=0, maximum=18446744073709551615), True),
    Field('networks', 'networks', Map(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('stake', 'stake', Int(minimum=0, maximum=18446744073709551615), True),
    Field('ids', 'ids', Arr(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$')), False),
)
Meter._fields = (
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('site', 'site', Int(minimum=0, maximum=18446744073709551615), True),
    Field('zone', 'zone', Int(minimum=0, maximum=18446744073709551615), True),
    Field('capacity_w', 'capacity_w', Int(minimum=0, maximum=18446744073709551615), True),
    Field('last', 'last', Nullable(Obj(_M, 'MeterLast')), True),
    Field('refused', 'refused', Int(minimum=0, maximum=18446744073709551615), True),
    Field('last_refusal', 'last_refusal', Nullable(Obj(_M, 'MeterLastRefusal')), True),
    Field('generated_wh', 'generated_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('uncertified_wh', 'uncertified_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('uncertified_from', 'uncertified_from', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('orders', 'orders', Arr(Int(minimum=0, maximum=18446744073709551615), max_items=8), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('site_hex', 'site_hex', Str(pattern='^[0-9a-f]{15}$'), True),
    Field('zone_hex', 'zone_hex', Str(pattern='^[0-9a-f]{15}$'), True),
)
MeterLast._fields = (
    Field('interval', 'interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('import_wh', 'import_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('export_wh', 'export_wh', Int(minimum=0, maximum=18446744073709551615), True),
)
MeterLastRefusal._fields = (
    Field('interval', 'interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('code', 'code', Str(), True),
    Field('reason', 'reason', Str(), True),
)
Module._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('size', 'size', Int(minimum=0, maximum=4294967295), True),
    Field('uploader', 'uploader', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
Network._fields = (
    Field('name', 'name', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('family', 'family', Str(), True),
    Field('params', 'params', AnyObj(), True),
    Field('share_bps', 'share_bps', Int(minimum=0), True),
    Field('usage_bps', 'usage_bps', Int(minimum=0), True),
    Field('require_maker', 'require_maker', Bool(), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('allowance', 'allowance', Int(minimum=0, maximum=18446744073709551615), True),
)
Offer._fields = (
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('device_active', 'device_active', Bool(), True),
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('endpoint', 'endpoint', Str(), True),
    Field('price_per_mib_epoch', 'price_per_mib_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('collateral_per_mib', 'collateral_per_mib', Int(minimum=0, maximum=18446744073709551615), True),
    Field('free', 'free', Int(minimum=0, maximum=18446744073709551615), True),
    Field('locked', 'locked', Int(minimum=0, maximum=18446744073709551615), True),
    Field('active_deals', 'active_deals', Int(minimum=0, maximum=18446744073709551615), True),
)
OracleSetEntry._fields = (
    Field('from_epoch', 'from_epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('threshold', 'threshold', Int(minimum=0), True),
    Field('members', 'members', Arr(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$')), True),
)
Oracles._fields = (
    Field('threshold', 'threshold', Int(minimum=0), True),
    Field('members', 'members', Arr(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$')), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('schedule', 'schedule', Arr(Obj(_M, 'OracleSetEntry')), True),
)
PendingClaim._fields = (
    Field('id', 'id', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('job', 'job', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('tasks', 'tasks', Arr(Int(minimum=0, maximum=4294967295), max_items=128), True),
    Field('collateral', 'collateral', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claimed_height', 'claimed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('commit_deadline', 'commit_deadline', Int(minimum=0, maximum=18446744073709551615), True),
    Field('commitments', 'commitments', Arr(Str(pattern='^[0-9a-f]{64}$'), max_items=128), True),
    Field('committed_height', 'committed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('results', 'results', Arr(Str(pattern='^[0-9a-f]{64}$'), max_items=128), True),
    Field('revealed_height', 'revealed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('status', 'status', Str(enum=('claimed', 'committed', 'revealed', 'verified', 'slashed', 'expired')), True),
    Field('number', 'number', Int(minimum=0, maximum=4294967295), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('consumer', 'consumer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('spot_check_bps', 'spot_check_bps', Int(minimum=0, maximum=10000), True),
    Field('check_count', 'check_count', Int(minimum=0, maximum=4294967295), True),
    Field('reveal_due', 'reveal_due', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('seed_height', 'seed_height', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('seed', 'seed', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('checked_tasks', 'checked_tasks', Nullable(Arr(Int(minimum=0, maximum=4294967295), max_items=128)), True),
    Field('verify_due', 'verify_due', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('finalizable_from', 'finalizable_from', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('slash_reason', 'slash_reason', Nullable(Str(enum=('wrong_result', 'not_revealed'))), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('module', 'module', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('input_hash', 'input_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('fuel_per_task', 'fuel_per_task', Int(minimum=0, maximum=18446744073709551615), True),
)
Position._fields = (
    Field('id', 'id', Int(minimum=0, maximum=18446744073709551615), True),
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('amount', 'amount', Int(minimum=0, maximum=18446744073709551615), True),
    Field('lock_blocks', 'lock_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('lock', 'lock', Obj(_M, 'PositionLock'), True),
    Field('created_height', 'created_height', Int(minimum=0, maximum=18446744073709551615), True),
)
PositionLock._fields = (
    Field('state', 'state', Str(enum=('locked', 'cooling')), True),
    Field('end_height', 'end_height', Int(minimum=0, maximum=18446744073709551615), False),
)
PositionView._fields = (
    Field('position', 'position', Obj(_M, 'Position'), True),
    Field('power', 'power', Obj(_M, 'Power'), True),
    Field('locked_power', 'locked_power', Obj(_M, 'Power'), True),
    Field('cooldown_end', 'cooldown_end', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
PositionsView._fields = (
    Field('owner', 'owner', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('power', 'power', Obj(_M, 'Power'), True),
    Field('delegate', 'delegate', Nullable(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$')), True),
    Field('delegators', 'delegators', Arr(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), max_items=256), True),
    Field('delegated_power', 'delegated_power', Obj(_M, 'Power'), True),
    Field('positions', 'positions', Arr(Obj(_M, 'PositionView'), max_items=16), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
Power._fields = (
    Field('raw', 'raw', Str(pattern='^[0-9]{1,39}$'), True),
    Field('display', 'display', Str(pattern='^[0-9]{1,39}$'), True),
)
PriceResponse._fields = (
    Field('price', 'price', Nullable(Obj(_M, 'PriceResponsePrice')), True),
    Field('credit_micro_usd', 'credit_micro_usd', Int(minimum=0), True),
    Field('price_max_age_ms', 'price_max_age_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('head_time_ms', 'head_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('fresh', 'fresh', Bool(), True),
)
PriceResponsePrice._fields = (
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('micro_usd_per_token', 'micro_usd_per_token', Int(minimum=0, maximum=18446744073709551615), True),
    Field('timestamp_ms', 'timestamp_ms', Int(minimum=0, maximum=18446744073709551615), True),
)
Proof._fields = (
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('state_root', 'state_root', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('key', 'key', Str(pattern='^([0-9a-f]{2})*$'), True),
    Field('value', 'value', Nullable(Str(pattern='^([0-9a-f]{2})*$')), True),
    Field('proof', 'proof', Str(pattern='^([0-9a-f]{2})*$'), True),
)
Proposal._fields = (
    Field('id', 'id', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proposer', 'proposer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('actions', 'actions', Arr(Obj(_M, 'Action')), True),
    Field('description', 'description', Str(), True),
    Field('deposits', 'deposits', Arr(Arr(Union(Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), Int(minimum=0, maximum=18446744073709551615)), min_items=2, max_items=2)), True),
    Field('total_deposit', 'total_deposit', Int(minimum=0, maximum=18446744073709551615), True),
    Field('submitted_height', 'submitted_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deposit_end', 'deposit_end', Int(minimum=0, maximum=18446744073709551615), True),
    Field('voting_start', 'voting_start', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('voting_end', 'voting_end', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('execute_height', 'execute_height', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('tally', 'tally', Obj(_M, 'Tally'), True),
    Field('total_power', 'total_power', Nullable(Str(pattern='^[0-9]{1,39}$')), True),
    Field('voters', 'voters', Int(minimum=0, maximum=18446744073709551615), True),
    Field('status', 'status', Obj(_M, 'ProposalStatus'), True),
)
ProposalStatus._fields = (
    Field('status', 'status', Str(enum=('deposit_period', 'voting', 'passed', 'executed', 'failed', 'rejected', 'vetoed', 'no_quorum', 'lapsed')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), False),
    Field('action', 'action', Int(minimum=0), False),
    Field('error', 'error', Obj(_M, 'ProposalStatusError'), False),
)
ProposalStatusError._fields = (
    Field('code', 'code', Str(), True),
)
ProposalView._fields = (
    Field('proposal', 'proposal', Obj(_M, 'Proposal'), True),
    Field('tally', 'tally', Obj(_M, 'ProposalViewTally'), True),
    Field('verdict', 'verdict', Obj(_M, 'ProposalViewVerdict'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
ProposalViewTally._fields = (
    Field('yes', 'yes', Obj(_M, 'Power'), True),
    Field('no', 'no', Obj(_M, 'Power'), True),
    Field('abstain', 'abstain', Obj(_M, 'Power'), True),
    Field('veto', 'veto', Obj(_M, 'Power'), True),
    Field('voted', 'voted', Obj(_M, 'Power'), True),
)
ProposalViewVerdict._fields = (
    Field('total_power', 'total_power', Obj(_M, 'Power'), True),
    Field('turnout_bps', 'turnout_bps', Int(minimum=0, maximum=10000), True),
    Field('yes_bps', 'yes_bps', Int(minimum=0, maximum=10000), True),
    Field('veto_bps', 'veto_bps', Int(minimum=0, maximum=10000), True),
    Field('quorum_reached', 'quorum_reached', Bool(), True),
    Field('would_veto', 'would_veto', Bool(), True),
    Field('would_pass', 'would_pass', Bool(), True),
    Field('outcome', 'outcome', Str(enum=('passed', 'rejected', 'vetoed', 'no_quorum')), True),
    Field('period_end', 'period_end', Nullable(Int(minimum=0, maximum=18446744073709551615)), True),
    Field('blocks_left', 'blocks_left', Int(minimum=0, maximum=18446744073709551615), True),
)
Receipt._fields = (
    Field('tx_hash', 'tx_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('index', 'index', Int(minimum=0), True),
    Field('fee', 'fee', Int(minimum=0, maximum=18446744073709551615), True),
    Field('error', 'error', Nullable(Obj(_M, 'ReceiptError')), True),
)
ReceiptError._fields = (
    Field('code', 'code', Str(), True),
)
Registry._fields = (
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('time_ms', 'time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('networks', 'networks', Arr(Obj(_M, 'RegistryNetworks')), True),
)
RegistryNetworks._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('digest', 'digest', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('devices', 'devices', Int(minimum=0, maximum=18446744073709551615), True),
)
Reputation._fields = (
    Field('leases_completed', 'leases_completed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('leases_failed', 'leases_failed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_passed', 'checks_passed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks_failed', 'checks_failed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('tasks_verified', 'tasks_verified', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claims_slashed', 'claims_slashed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claims_expired', 'claims_expired', Int(minimum=0, maximum=18446744073709551615), True),
    Field('credits_earned', 'credits_earned', Int(minimum=0, maximum=18446744073709551615), True),
    Field('tasks_outvoted', 'tasks_outvoted', Int(minimum=0, maximum=18446744073709551615), True),
)
RewardEpoch._fields = (
    Field('header', 'header', Obj(_M, 'ManifestHeader'), True),
    Field('claimed', 'claimed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('claims', 'claims', Int(minimum=0, maximum=18446744073709551615), True),
    Field('submitted_height', 'submitted_height', Int(minimum=0, maximum=18446744073709551615), True),
)
RewardsClaimedResponse._fields = (
    Field('claimed', 'claimed', Bool(), True),
)
StakeTargetDevice._fields = (
    Field('kind', 'kind', Str(enum=('device',)), True),
    Field('id', 'id', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
)
StakeTargetValidator._fields = (
    Field('kind', 'kind', Str(enum=('validator',)), True),
    Field('id', 'id', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
)
Status._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('genesis_hash', 'genesis_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('head_hash', 'head_hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('state_root', 'state_root', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('timestamp_ms', 'timestamp_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('block_time_ms', 'block_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('mempool', 'mempool', Int(minimum=0), True),
    Field('validator', 'validator', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('token', 'token', Obj(_M, 'StatusToken'), True),
    Field('min_fee', 'min_fee', Int(minimum=0, maximum=18446744073709551615), True),
    Field('unbonding_blocks', 'unbonding_blocks', Int(minimum=0, maximum=18446744073709551615), True),
    Field('genesis_time_ms', 'genesis_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('epoch_ms', 'epoch_ms', Int(minimum=0), True),
    Field('epoch', 'epoch', Int(minimum=0), True),
)
StatusToken._fields = (
    Field('name', 'name', Str(), True),
    Field('symbol', 'symbol', Str(), True),
    Field('decimals', 'decimals', Int(minimum=0, maximum=255), True),
)
StorageUsageResponse._fields = (
    Field('credits_used', 'credits_used', Int(minimum=0, maximum=18446744073709551615), True),
    Field('credits_refunded', 'credits_refunded', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proven', 'proven', Int(minimum=0, maximum=18446744073709551615), True),
    Field('failed', 'failed', Int(minimum=0, maximum=18446744073709551615), True),
    Field('slashed', 'slashed', Int(minimum=0, maximum=18446744073709551615), True),
)
Submitted._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('status', 'status', Str(enum=('pending',)), True),
)
Supply._fields = (
    Field('genesis', 'genesis', Int(minimum=0, maximum=18446744073709551615), True),
    Field('minted', 'minted', Int(minimum=0, maximum=18446744073709551615), True),
    Field('burned', 'burned', Int(minimum=0, maximum=18446744073709551615), True),
    Field('unclaimed', 'unclaimed', Int(minimum=0), True),
    Field('circulating', 'circulating', Int(minimum=0), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)
SupplyEpochsItem._fields = (
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('minted', 'minted', Int(minimum=0, maximum=18446744073709551615), True),
    Field('burned', 'burned', Int(minimum=0, maximum=18446744073709551615), True),
    Field('net', 'net', Int(), True),
)
Tally._fields = (
    Field('yes', 'yes', Str(pattern='^[0-9]{1,39}$'), True),
    Field('no', 'no', Str(pattern='^[0-9]{1,39}$'), True),
    Field('abstain', 'abstain', Str(pattern='^[0-9]{1,39}$'), True),
    Field('veto', 'veto', Str(pattern='^[0-9]{1,39}$'), True),
)
Task._fields = (
    Field('task', 'task', Int(minimum=0, maximum=4294967295), True),
    Field('claims', 'claims', Arr(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('results', 'results', Arr(Arr(Union(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), Str(pattern='^[0-9a-f]{64}$')), min_items=2, max_items=2)), True),
    Field('done', 'done', Bool(), True),
    Field('result', 'result', Nullable(Str(pattern='^[0-9a-f]{64}$')), True),
)
Transaction._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('signer', 'signer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('nonce', 'nonce', Int(minimum=0, maximum=18446744073709551615), True),
    Field('fee', 'fee', Int(minimum=0, maximum=18446744073709551615), True),
    Field('call', 'call', Obj(_M, 'TransactionCall'), True),
)
TransactionCall._fields = (
    Field('type', 'type', Str(), True),
)
Tx._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('status', 'status', Str(enum=('pending', 'committed', 'rejected')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), False),
    Field('index', 'index', Int(minimum=0), False),
    Field('receipt', 'receipt', Obj(_M, 'Receipt'), False),
    Field('error', 'error', Obj(_M, 'ErrorDetail'), False),
    Field('tx', 'tx', Obj(_M, 'Transaction'), False),
)
TxsBatchResponse._fields = (
    Field('accepted', 'accepted', Int(minimum=0), True),
    Field('results', 'results', Arr(Obj(_M, 'TxsBatchResponseResults')), True),
)
TxsBatchResponseResults._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), False),
    Field('error', 'error', Obj(_M, 'ErrorDetail'), False),
)
UpgradePlan._fields = (
    Field('name', 'name', Str(pattern='^[a-z0-9._-]{1,64}$'), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proposal', 'proposal', Int(minimum=0, maximum=18446744073709551615), True),
)
ValidatorsItem._fields = (
    Field('address', 'address', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('name', 'name', Str(), True),
    Field('stake', 'stake', Int(minimum=0, maximum=18446744073709551615), True),
)
VoteView._fields = (
    Field('voter', 'voter', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('option', 'option', Str(enum=('yes', 'no', 'abstain', 'veto')), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('power', 'power', Obj(_M, 'Power'), True),
    Field('delegated_power', 'delegated_power', Obj(_M, 'Power'), True),
)
ZoneClearing._fields = (
    Field('zone_hex', 'zone_hex', Str(pattern='^[0-9a-f]{15}$'), True),
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('interval', 'interval', Int(minimum=0, maximum=18446744073709551615), True),
    Field('zone', 'zone', Int(minimum=0, maximum=18446744073709551615), True),
    Field('price', 'price', Int(minimum=0, maximum=18446744073709551615), True),
    Field('volume_wh', 'volume_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('bids', 'bids', Int(minimum=0, maximum=4294967295), True),
    Field('offers', 'offers', Int(minimum=0, maximum=4294967295), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('settled', 'settled', Nullable(Obj(_M, 'ZoneClearingSettled')), True),
)
ZoneClearingSettled._fields = (
    Field('delivered_wh', 'delivered_wh', Int(minimum=0, maximum=18446744073709551615), True),
    Field('paid', 'paid', Int(minimum=0, maximum=18446744073709551615), True),
    Field('balancing', 'balancing', Int(minimum=0, maximum=18446744073709551615), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
)

#: The type of each route's JSON success answer, by (method, path).
ROUTES: dict[tuple[str, str], Type] = {
    ('GET', '/v1/status'): Obj(_M, 'Status'),
    ('GET', '/v1/genesis'): Obj(_M, 'GenesisResponse'),
    ('GET', '/v1/networks'): Arr(Obj(_M, 'Network')),
    ('GET', '/v1/supply'): Obj(_M, 'Supply'),
    ('GET', '/v1/supply/epochs'): Arr(Obj(_M, 'SupplyEpochsItem')),
    ('GET', '/v1/price'): Obj(_M, 'PriceResponse'),
    ('GET', '/v1/storage/offers'): Arr(Obj(_M, 'Offer')),
    ('GET', '/v1/storage/offers/{device}'): Obj(_M, 'Offer'),
    ('GET', '/v1/storage/usage/{network}/{epoch}'): Obj(_M, 'StorageUsageResponse'),
    ('GET', '/v1/deals'): Arr(Obj(_M, 'Deal')),
    ('GET', '/v1/deals/{id}'): Obj(_M, 'Deal'),
    ('GET', '/v1/credits/{addr}'): Obj(_M, 'CreditsResponse'),
    ('GET', '/v1/oracles'): Obj(_M, 'Oracles'),
    ('GET', '/v1/registry'): Obj(_M, 'Registry'),
    ('GET', '/v1/gov'): Obj(_M, 'Gov'),
    ('GET', '/v1/gov/proposals'): Arr(Obj(_M, 'ProposalView')),
    ('GET', '/v1/gov/proposals/{id}'): Obj(_M, 'ProposalView'),
    ('GET', '/v1/gov/proposals/{id}/votes'): Arr(Obj(_M, 'VoteView')),
    ('GET', '/v1/gov/positions'): Obj(_M, 'PositionsView'),
    ('GET', '/v1/gov/positions/{id}'): Obj(_M, 'PositionView'),
    ('GET', '/v1/makers'): Arr(Obj(_M, 'Maker')),
    ('GET', '/v1/makers/{address}'): Obj(_M, 'Maker'),
    ('GET', '/v1/compute/params'): Obj(_M, 'ComputeParamsView'),
    ('GET', '/v1/compute/offers'): Arr(Obj(_M, 'ComputeOffer')),
    ('GET', '/v1/compute/offers/{device}'): Obj(_M, 'ComputeOffer'),
    ('GET', '/v1/compute/orders'): Arr(Obj(_M, 'ComputeOrder')),
    ('GET', '/v1/compute/orders/{id}'): Obj(_M, 'ComputeOrderDetail'),
    ('GET', '/v1/compute/leases'): Arr(Obj(_M, 'Lease')),
    ('GET', '/v1/compute/leases/{id}'): Obj(_M, 'Lease'),
    ('GET', '/v1/compute/modules/{hash}'): Obj(_M, 'Module'),
    ('GET', '/v1/compute/jobs'): Arr(Obj(_M, 'Job')),
    ('GET', '/v1/compute/jobs/{id}'): Obj(_M, 'JobView'),
    ('GET', '/v1/compute/jobs/{id}/tasks'): Arr(Obj(_M, 'Task')),
    ('GET', '/v1/compute/jobs/{id}/claims'): Arr(Obj(_M, 'Claim')),
    ('GET', '/v1/compute/claims/pending'): Arr(Obj(_M, 'PendingClaim')),
    ('GET', '/v1/compute/claims/{id}'): Obj(_M, 'Claim'),
    ('GET', '/v1/compute/usage/{network}/{epoch}'): Obj(_M, 'ComputeUsage'),
    ('GET', '/v1/bursts'): Arr(Obj(_M, 'Burst')),
    ('GET', '/v1/bursts/{id}'): Obj(_M, 'Burst'),
    ('GET', '/v1/compute/earned/{network}/{epoch}'): Arr(Obj(_M, 'ComputeEarnedItem')),
    ('GET', '/v1/energy/{network}/market'): Obj(_M, 'EnergyMarket'),
    ('GET', '/v1/energy/{network}/clearings'): Arr(Obj(_M, 'ZoneClearing')),
    ('GET', '/v1/energy/{network}/generation/{epoch}'): Arr(Obj(_M, 'EnergyGenerationItem')),
    ('GET', '/v1/energy/orders'): Arr(Obj(_M, 'EnergyOrder')),
    ('GET', '/v1/energy/orders/{seq}'): Obj(_M, 'EnergyOrder'),
    ('GET', '/v1/energy/meters/{device}'): Obj(_M, 'Meter'),
    ('GET', '/v1/energy/meters/{device}/trades'): Arr(Obj(_M, 'EnergyTrade')),
    ('GET', '/v1/energy/certificates'): Arr(Obj(_M, 'Certificate')),
    ('GET', '/v1/energy/certificates/{id}'): Obj(_M, 'Certificate'),
    ('GET', '/v1/rewards'): Arr(Obj(_M, 'RewardEpoch')),
    ('GET', '/v1/map'): Obj(_M, 'MapResponse'),
    ('GET', '/v1/map/{cell}'): Arr(Obj(_M, 'Device')),
    ('GET', '/v1/explorer/config'): Obj(_M, 'ExplorerConfigResponse'),
    ('GET', '/v1/explorer/manifests/{network}/{epoch}'): Obj(_M, 'ExplorerManifestsResponse'),
    ('GET', '/v1/rewards/{network}/{epoch}'): Obj(_M, 'RewardEpoch'),
    ('GET', '/v1/rewards/{network}/{epoch}/claimed/{index}'): Obj(_M, 'RewardsClaimedResponse'),
    ('GET', '/v1/validators'): Arr(Obj(_M, 'ValidatorsItem')),
    ('GET', '/v1/accounts/{address}'): Obj(_M, 'Account'),
    ('GET', '/v1/accounts/{address}/txs'): Arr(Obj(_M, 'HistoryItem')),
    ('GET', '/v1/devices'): Arr(Obj(_M, 'Device')),
    ('GET', '/v1/devices/{id}'): Obj(_M, 'Device'),
    ('GET', '/v1/blocks'): Arr(Obj(_M, 'BlockSummary')),
    ('GET', '/v1/blocks/{id}'): Obj(_M, 'Block'),
    ('POST', '/v1/txs'): Obj(_M, 'Submitted'),
    ('POST', '/v1/txs/batch'): Obj(_M, 'TxsBatchResponse'),
    ('GET', '/v1/txs/{hash}'): Obj(_M, 'Tx'),
}

#: The annotation of each route's answer (what the client methods return).
ROUTE_TYPES: dict[tuple[str, str], str] = {
    ('GET', '/v1/status'): 'Status',
    ('GET', '/v1/genesis'): 'GenesisResponse',
    ('GET', '/v1/networks'): 'list[Network]',
    ('GET', '/v1/supply'): 'Supply',
    ('GET', '/v1/supply/epochs'): 'list[SupplyEpochsItem]',
    ('GET', '/v1/price'): 'PriceResponse',
    ('GET', '/v1/storage/offers'): 'list[Offer]',
    ('GET', '/v1/storage/offers/{device}'): 'Offer',
    ('GET', '/v1/storage/usage/{network}/{epoch}'): 'StorageUsageResponse',
    ('GET', '/v1/deals'): 'list[Deal]',
    ('GET', '/v1/deals/{id}'): 'Deal',
    ('GET', '/v1/credits/{addr}'): 'CreditsResponse',
    ('GET', '/v1/oracles'): 'Oracles',
    ('GET', '/v1/registry'): 'Registry',
    ('GET', '/v1/gov'): 'Gov',
    ('GET', '/v1/gov/proposals'): 'list[ProposalView]',
    ('GET', '/v1/gov/proposals/{id}'): 'ProposalView',
    ('GET', '/v1/gov/proposals/{id}/votes'): 'list[VoteView]',
    ('GET', '/v1/gov/positions'): 'PositionsView',
    ('GET', '/v1/gov/positions/{id}'): 'PositionView',
    ('GET', '/v1/makers'): 'list[Maker]',
    ('GET', '/v1/makers/{address}'): 'Maker',
    ('GET', '/v1/compute/params'): 'ComputeParamsView',
    ('GET', '/v1/compute/offers'): 'list[ComputeOffer]',
    ('GET', '/v1/compute/offers/{device}'): 'ComputeOffer',
    ('GET', '/v1/compute/orders'): 'list[ComputeOrder]',
    ('GET', '/v1/compute/orders/{id}'): 'ComputeOrderDetail',
    ('GET', '/v1/compute/leases'): 'list[Lease]',
    ('GET', '/v1/compute/leases/{id}'): 'Lease',
    ('GET', '/v1/compute/modules/{hash}'): 'Module',
    ('GET', '/v1/compute/jobs'): 'list[Job]',
    ('GET', '/v1/compute/jobs/{id}'): 'JobView',
    ('GET', '/v1/compute/jobs/{id}/tasks'): 'list[Task]',
    ('GET', '/v1/compute/jobs/{id}/claims'): 'list[Claim]',
    ('GET', '/v1/compute/claims/pending'): 'list[PendingClaim]',
    ('GET', '/v1/compute/claims/{id}'): 'Claim',
    ('GET', '/v1/compute/usage/{network}/{epoch}'): 'ComputeUsage',
    ('GET', '/v1/bursts'): 'list[Burst]',
    ('GET', '/v1/bursts/{id}'): 'Burst',
    ('GET', '/v1/compute/earned/{network}/{epoch}'): 'list[ComputeEarnedItem]',
    ('GET', '/v1/energy/{network}/market'): 'EnergyMarket',
    ('GET', '/v1/energy/{network}/clearings'): 'list[ZoneClearing]',
    ('GET', '/v1/energy/{network}/generation/{epoch}'): 'list[EnergyGenerationItem]',
    ('GET', '/v1/energy/orders'): 'list[EnergyOrder]',
    ('GET', '/v1/energy/orders/{seq}'): 'EnergyOrder',
    ('GET', '/v1/energy/meters/{device}'): 'Meter',
    ('GET', '/v1/energy/meters/{device}/trades'): 'list[EnergyTrade]',
    ('GET', '/v1/energy/certificates'): 'list[Certificate]',
    ('GET', '/v1/energy/certificates/{id}'): 'Certificate',
    ('GET', '/v1/rewards'): 'list[RewardEpoch]',
    ('GET', '/v1/map'): 'MapResponse',
    ('GET', '/v1/map/{cell}'): 'list[Device]',
    ('GET', '/v1/explorer/config'): 'ExplorerConfigResponse',
    ('GET', '/v1/explorer/manifests/{network}/{epoch}'): 'ExplorerManifestsResponse',
    ('GET', '/v1/rewards/{network}/{epoch}'): 'RewardEpoch',
    ('GET', '/v1/rewards/{network}/{epoch}/claimed/{index}'): 'RewardsClaimedResponse',
    ('GET', '/v1/validators'): 'list[ValidatorsItem]',
    ('GET', '/v1/accounts/{address}'): 'Account',
    ('GET', '/v1/accounts/{address}/txs'): 'list[HistoryItem]',
    ('GET', '/v1/devices'): 'list[Device]',
    ('GET', '/v1/devices/{id}'): 'Device',
    ('GET', '/v1/blocks'): 'list[BlockSummary]',
    ('GET', '/v1/blocks/{id}'): 'Block',
    ('POST', '/v1/txs'): 'Submitted',
    ('POST', '/v1/txs/batch'): 'TxsBatchResponse',
    ('GET', '/v1/txs/{hash}'): 'Tx',
}
