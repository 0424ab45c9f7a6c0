"""Typed models of the Plinth oracle API (version 1).

Generated from `crates/oracle/openapi.yaml` by `clients/python/tools/gen_models.py`;
do not edit (run it again after changing the document).
"""

# fmt: off
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ._schema import (  # noqa: F401
    AnyObj, AnyValue, Arr, Bool, Field, Int, Map, Model, Nullable, Num, Obj, Str, Type, Union,
)

_M = 'plinth.oracle_models'


@dataclass(frozen=True, kw_only=True)
class Award(Model):
    """`#/components/schemas/Award`."""

    tag: int
    """the family's tag (the mapping family: an H3 cell)"""
    devices: list[str]


@dataclass(frozen=True, kw_only=True)
class ChallengesItem(Model):
    """`GET /v1/challenges/{device}[]`."""

    device: str
    """a device, bech32m with prefix `pdev`"""
    challenge: str
    issued_ms: int
    deadline_ms: int


@dataclass(frozen=True, kw_only=True)
class ComputeChecks(Model):
    """what the oracle quorum signs about one compute network's capacity checks in one epoch"""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    network: str
    """the compute network"""
    epoch: int
    leases: list[ComputeChecksLeases]
    """one entry per lease checked (the ledger takes at most 128)"""


@dataclass(frozen=True, kw_only=True)
class ComputeChecksLeases(Model):
    """`#/components/schemas/ComputeChecks.leases[]`."""

    lease: str
    results: list[bool]
    """each check's outcome, oldest first (the ledger takes at most 64)"""


@dataclass(frozen=True, kw_only=True)
class CosignRefusalsItem(Model):
    """`GET /v1/cosign/refusals[]`."""

    network: str
    epoch: int
    proposer: str
    """an account, bech32m with prefix `plinth`"""
    code: str
    reason: str
    at_ms: int


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
class JobVerdict(Model):
    """what the oracle quorum signs after spot-checking a revealed compute claim"""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    claim: str
    epoch: int
    """the reward epoch of the seed block (names the oracle set that signs)"""
    seed_height: int
    """the block whose hash drew the checked tasks: the one after the reveal"""
    checks: list[JobVerdictChecks]
    """the drawn tasks, ascending, each with whether the revealed result is the re-executed one"""


@dataclass(frozen=True, kw_only=True)
class JobVerdictChecks(Model):
    """`#/components/schemas/JobVerdict.checks[]`."""

    task: int
    ok: bool


@dataclass(frozen=True, kw_only=True)
class Manifest(Model):
    """`#/components/schemas/Manifest`."""

    header: ManifestHeader
    """what the oracle quorum signs"""
    entries: list[ManifestEntry]
    batches: list[str]
    signatures: list[OracleSignature]
    rejected: dict[str, int]
    """reports not counted, by reason"""
    scored: int
    deals: list[ManifestDeals] | None = None
    """storage networks: every deal's outcome in the epoch"""
    usage: dict[str, int] | None = None
    """credits each device earned from consumers, by device id"""
    awards: list[Award] | None = None
    """a custom family's awards, ascending by tag, in the order the header's `awards` root commits to"""
    refusals: list[ManifestRefusals] | None = None
    """members that refused to co-sign this manifest, and why"""


@dataclass(frozen=True, kw_only=True)
class ManifestDeals(Model):
    """`#/components/schemas/Manifest.deals[]`."""

    deal: str
    provider: str
    """a device, bech32m with prefix `pdev`"""
    proven: bool
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManifestEntry(Model):
    """`#/components/schemas/ManifestEntry`."""

    device: str
    """a device, bech32m with prefix `pdev`"""
    owner: str
    """an account, bech32m with prefix `plinth`"""
    amount: int


@dataclass(frozen=True, kw_only=True)
class ManifestHeader(Model):
    """what the oracle quorum signs"""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int
    root: str
    total: int
    devices: int
    inputs: str
    registry_height: int
    """the block whose device registry the entries were scored over"""
    awards: str
    """merkle root of the custom family's awards (tag, devices), what bursts pay on; zero: none"""
    award_count: int
    """number of awards (leaves)"""


@dataclass(frozen=True, kw_only=True)
class ManifestRefusals(Model):
    """`#/components/schemas/Manifest.refusals[]`."""

    oracle: str
    """an account, bech32m with prefix `plinth`"""
    code: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ManifestsAwardsResponse(Model):
    """`GET /v1/manifests/{network}/{epoch}/awards/{tag}`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int
    award: Award
    proof: ManifestsAwardsResponseProof


@dataclass(frozen=True, kw_only=True)
class ManifestsAwardsResponseProof(Model):
    """`GET /v1/manifests/{network}/{epoch}/awards/{tag}.proof`."""

    index: int
    leaf_count: int
    siblings: list[str]


@dataclass(frozen=True, kw_only=True)
class ManifestsItem(Model):
    """`GET /v1/manifests[]`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int


@dataclass(frozen=True, kw_only=True)
class Network(Model):
    """`#/components/schemas/Network`."""

    name: str
    """1 to 32 of a-z, 0-9, -"""
    family: str
    params: dict[str, Any]
    share_bps: int
    usage_bps: int
    require_maker: bool | None = None
    epoch: int | None = None
    """the reward epoch these values are in force in"""
    allowance: int | None = None
    """what the network may pay for `epoch`"""


@dataclass(frozen=True, kw_only=True)
class OracleSignature(Model):
    """`#/components/schemas/OracleSignature`."""

    oracle: str
    """an account, bech32m with prefix `plinth`"""
    signature: str
    """128 hex characters (lower case in answers)"""


@dataclass(frozen=True, kw_only=True)
class PricePoint(Model):
    """`#/components/schemas/PricePoint`."""

    chain: str
    """the chain identity (plinth_core::chain_identity of the genesis hash)"""
    micro_usd_per_token: int
    timestamp_ms: int


@dataclass(frozen=True, kw_only=True)
class ReportsResponse(Model):
    """`POST /v1/reports`."""

    accepted: int
    results: list[Verdict]


@dataclass(frozen=True, kw_only=True)
class RewardsItem(Model):
    """`GET /v1/rewards/{owner}[]`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    epoch: int
    index: int
    entry: ManifestEntry
    proof: RewardsItemProof


@dataclass(frozen=True, kw_only=True)
class RewardsItemProof(Model):
    """`GET /v1/rewards/{owner}[].proof`."""

    index: int
    leaf_count: int
    siblings: list[str]


@dataclass(frozen=True, kw_only=True)
class RoundsResponse(Model):
    """`GET /v1/rounds/{network}`."""

    network: str
    """1 to 32 of a-z, 0-9, -"""
    rounds: list[RoundsResponseRounds]


@dataclass(frozen=True, kw_only=True)
class RoundsResponseRounds(Model):
    """`GET /v1/rounds/{network}.rounds[]`."""

    round: int
    start_ms: int
    end_ms: int
    height: int
    draw: str


@dataclass(frozen=True, kw_only=True)
class StatusResponse(Model):
    """`GET /v1/status`."""

    chain_id: str
    chain: str
    """the chain's identity (a hash of its genesis hash): every report names it"""
    oracle: str
    """an account, bech32m with prefix `plinth`"""
    epoch: int
    epoch_ms: int
    genesis_time_ms: int
    networks: list[Network]


@dataclass(frozen=True, kw_only=True)
class Verdict(Model):
    """`#/components/schemas/Verdict`."""

    status: Literal['accepted', 'rejected']
    hash: str | None = None
    code: str | None = None
    reason: str | None = None



# The fields of each model: JSON name, attribute, type, required.
Award._fields = (
    Field('tag', 'tag', Int(minimum=0, maximum=18446744073709551615), True),
    Field('devices', 'devices', Arr(Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), min_items=1, max_items=8), True),
)
ChallengesItem._fields = (
    Field('device', 'device', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('challenge', 'challenge', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('issued_ms', 'issued_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deadline_ms', 'deadline_ms', Int(minimum=0, maximum=18446744073709551615), True),
)
ComputeChecks._fields = (
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('network', 'network', Str(), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('leases', 'leases', Arr(Obj(_M, 'ComputeChecksLeases')), True),
)
ComputeChecksLeases._fields = (
    Field('lease', 'lease', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('results', 'results', Arr(Bool()), True),
)
CosignRefusalsItem._fields = (
    Field('network', 'network', Str(), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('proposer', 'proposer', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('code', 'code', Str(), True),
    Field('reason', 'reason', Str(), True),
    Field('at_ms', 'at_ms', Int(minimum=0, maximum=18446744073709551615), True),
)
Error._fields = (
    Field('error', 'error', Obj(_M, 'ErrorDetail'), True),
)
ErrorDetail._fields = (
    Field('code', 'code', Str(), True),
    Field('message', 'message', Str(), True),
    Field('details', 'details', AnyObj(), False),
)
JobVerdict._fields = (
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('claim', 'claim', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('seed_height', 'seed_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('checks', 'checks', Arr(Obj(_M, 'JobVerdictChecks')), True),
)
JobVerdictChecks._fields = (
    Field('task', 'task', Int(minimum=0, maximum=4294967295), True),
    Field('ok', 'ok', Bool(), True),
)
Manifest._fields = (
    Field('header', 'header', Obj(_M, 'ManifestHeader'), True),
    Field('entries', 'entries', Arr(Obj(_M, 'ManifestEntry')), True),
    Field('batches', 'batches', Arr(Str(pattern='^[0-9a-f]{64}$')), True),
    Field('signatures', 'signatures', Arr(Obj(_M, 'OracleSignature')), True),
    Field('rejected', 'rejected', Map(Int(minimum=0)), True),
    Field('scored', 'scored', Int(minimum=0, maximum=18446744073709551615), True),
    Field('deals', 'deals', Arr(Obj(_M, 'ManifestDeals')), False),
    Field('usage', 'usage', Map(Int(minimum=0, maximum=18446744073709551615)), False),
    Field('awards', 'awards', Arr(Obj(_M, 'Award')), False),
    Field('refusals', 'refusals', Arr(Obj(_M, 'ManifestRefusals')), False),
)
ManifestDeals._fields = (
    Field('deal', 'deal', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('provider', 'provider', Str(pattern='^pdev1[02-9ac-hj-np-z]{58}$'), True),
    Field('proven', 'proven', Bool(), True),
    Field('reason', 'reason', Nullable(Str()), False),
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
    Field('devices', 'devices', Int(minimum=0, maximum=18446744073709551615), True),
    Field('inputs', 'inputs', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('registry_height', 'registry_height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('awards', 'awards', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('award_count', 'award_count', Int(minimum=0, maximum=18446744073709551615), True),
)
ManifestRefusals._fields = (
    Field('oracle', 'oracle', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('code', 'code', Str(), True),
    Field('reason', 'reason', Str(), True),
)
ManifestsAwardsResponse._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('award', 'award', Obj(_M, 'Award'), True),
    Field('proof', 'proof', Obj(_M, 'ManifestsAwardsResponseProof'), True),
)
ManifestsAwardsResponseProof._fields = (
    Field('index', 'index', Int(minimum=0, maximum=18446744073709551615), True),
    Field('leaf_count', 'leaf_count', Int(minimum=0, maximum=18446744073709551615), True),
    Field('siblings', 'siblings', Arr(Str(pattern='^[0-9a-f]{64}$')), True),
)
ManifestsItem._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
)
Network._fields = (
    Field('name', 'name', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('family', 'family', Str(), True),
    Field('params', 'params', AnyObj(), True),
    Field('share_bps', 'share_bps', Int(minimum=0), True),
    Field('usage_bps', 'usage_bps', Int(minimum=0), True),
    Field('require_maker', 'require_maker', Bool(), False),
    Field('epoch', 'epoch', Int(minimum=0), False),
    Field('allowance', 'allowance', Int(minimum=0), False),
)
OracleSignature._fields = (
    Field('oracle', 'oracle', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('signature', 'signature', Str(pattern='^[0-9a-fA-F]{128}$'), True),
)
PricePoint._fields = (
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('micro_usd_per_token', 'micro_usd_per_token', Int(minimum=0, maximum=18446744073709551615), True),
    Field('timestamp_ms', 'timestamp_ms', Int(minimum=0, maximum=18446744073709551615), True),
)
ReportsResponse._fields = (
    Field('accepted', 'accepted', Int(minimum=0), True),
    Field('results', 'results', Arr(Obj(_M, 'Verdict')), True),
)
RewardsItem._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('index', 'index', Int(minimum=0, maximum=18446744073709551615), True),
    Field('entry', 'entry', Obj(_M, 'ManifestEntry'), True),
    Field('proof', 'proof', Obj(_M, 'RewardsItemProof'), True),
)
RewardsItemProof._fields = (
    Field('index', 'index', Int(minimum=0, maximum=18446744073709551615), True),
    Field('leaf_count', 'leaf_count', Int(minimum=0, maximum=18446744073709551615), True),
    Field('siblings', 'siblings', Arr(Str(pattern='^[0-9a-f]{64}$')), True),
)
RoundsResponse._fields = (
    Field('network', 'network', Str(pattern='^[a-z0-9-]{1,32}$'), True),
    Field('rounds', 'rounds', Arr(Obj(_M, 'RoundsResponseRounds')), True),
)
RoundsResponseRounds._fields = (
    Field('round', 'round', Int(minimum=0, maximum=18446744073709551615), True),
    Field('start_ms', 'start_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('end_ms', 'end_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('height', 'height', Int(minimum=0, maximum=18446744073709551615), True),
    Field('draw', 'draw', Str(pattern='^[0-9a-f]{64}$'), True),
)
StatusResponse._fields = (
    Field('chain_id', 'chain_id', Str(), True),
    Field('chain', 'chain', Str(pattern='^[0-9a-f]{64}$'), True),
    Field('oracle', 'oracle', Str(pattern='^plinth1[02-9ac-hj-np-z]{58}$'), True),
    Field('epoch', 'epoch', Int(minimum=0, maximum=18446744073709551615), True),
    Field('epoch_ms', 'epoch_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('genesis_time_ms', 'genesis_time_ms', Int(minimum=0, maximum=18446744073709551615), True),
    Field('networks', 'networks', Arr(Obj(_M, 'Network')), True),
)
Verdict._fields = (
    Field('hash', 'hash', Str(pattern='^[0-9a-f]{64}$'), False),
    Field('status', 'status', Str(enum=('accepted', 'rejected')), True),
    Field('code', 'code', Str(), False),
    Field('reason', 'reason', Str(), False),
)

#: The type of each route's JSON success answer, by (method, path).
ROUTES: dict[tuple[str, str], Type] = {
    ('GET', '/v1/status'): Obj(_M, 'StatusResponse'),
    ('POST', '/v1/reports'): Obj(_M, 'ReportsResponse'),
    ('POST', '/v1/cosign/price'): Obj(_M, 'OracleSignature'),
    ('POST', '/v1/cosign/manifest'): Obj(_M, 'OracleSignature'),
    ('POST', '/v1/cosign/settlement'): Obj(_M, 'OracleSignature'),
    ('POST', '/v1/cosign/verdict'): Obj(_M, 'OracleSignature'),
    ('POST', '/v1/cosign/checks'): Obj(_M, 'OracleSignature'),
    ('GET', '/v1/cosign/refusals'): Arr(Obj(_M, 'CosignRefusalsItem')),
    ('GET', '/v1/challenges/{device}'): Arr(Obj(_M, 'ChallengesItem')),
    ('GET', '/v1/rounds/{network}'): Obj(_M, 'RoundsResponse'),
    ('GET', '/v1/spool/{epoch}'): Arr(Str(pattern='^[0-9a-f]{64}$')),
    ('GET', '/v1/manifests'): Arr(Obj(_M, 'ManifestsItem')),
    ('GET', '/v1/manifests/{network}/{epoch}'): Obj(_M, 'Manifest'),
    ('GET', '/v1/manifests/{network}/{epoch}/awards/{tag}'): Obj(_M, 'ManifestsAwardsResponse'),
    ('GET', '/v1/rewards/{owner}'): Arr(Obj(_M, 'RewardsItem')),
}

#: The annotation of each route's answer (what the client methods return).
ROUTE_TYPES: dict[tuple[str, str], str] = {
    ('GET', '/v1/status'): 'StatusResponse',
    ('POST', '/v1/reports'): 'ReportsResponse',
    ('POST', '/v1/cosign/price'): 'OracleSignature',
    ('POST', '/v1/cosign/manifest'): 'OracleSignature',
    ('POST', '/v1/cosign/settlement'): 'OracleSignature',
    ('POST', '/v1/cosign/verdict'): 'OracleSignature',
    ('POST', '/v1/cosign/checks'): 'OracleSignature',
    ('GET', '/v1/cosign/refusals'): 'list[CosignRefusalsItem]',
    ('GET', '/v1/challenges/{device}'): 'list[ChallengesItem]',
    ('GET', '/v1/rounds/{network}'): 'RoundsResponse',
    ('GET', '/v1/spool/{epoch}'): 'list[str]',
    ('GET', '/v1/manifests'): 'list[ManifestsItem]',
    ('GET', '/v1/manifests/{network}/{epoch}'): 'Manifest',
    ('GET', '/v1/manifests/{network}/{epoch}/awards/{tag}'): 'ManifestsAwardsResponse',
    ('GET', '/v1/rewards/{owner}'): 'list[RewardsItem]',
}
