"""Device reports: `plinth_proofs::Report`, its canonical (borsh) encoding, its
signature and its hash, byte for byte as the Rust code makes them.

    Report   = chain [32] | device [32] | network string | epoch u64
               | timestamp_ms u64 | seq u64 | body
    body     = u8 variant, then its fields:
               0 Heartbeat
               1 ProbeAnswer { challenge [32] }
               2 Reading     { value_milli i64, unit string }
               3 Beacon      { round u64, draw [32], tx_power_centi_dbm i32 }
               4 Witness     { beacon [32], rssi_centi_dbm i32, snr_centi_db i32,
                               frequency_hz u64, received_ms u64 }
               5 Custom      { kind string, data bytes }
    string, bytes = u32 length, then the bytes; integers little-endian
    signing bytes = b"plinth/report/v1" | borsh(Report)
    SignedReport  = borsh(Report) | ed25519 signature [64]
    hash          = Hash::tagged("plinth/report", SignedReport)

`docs/report-vectors.json` holds test vectors every implementation reproduces
(the tests check this one against them).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any, Union

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import ReportError
from .keys import DeviceKey, device_id, parse_device_id, tagged_hash

#: The domain the device signs under.
REPORT_DOMAIN = b"plinth/report/v1"
#: The largest encoded (signed) report an oracle takes.
MAX_REPORT_BYTES = 4096
#: The most bytes a custom body's data may hold.
MAX_CUSTOM_BYTES = 3584
#: The longest custom body kind.
MAX_CUSTOM_KIND_LEN = 32
#: The longest unit name of a reading.
MAX_UNIT_LEN = 16
#: The longest network name.
MAX_NETWORK_LEN = 32

_U64 = (0, 2**64 - 1)
_I64 = (-(2**63), 2**63 - 1)
_I32 = (-(2**31), 2**31 - 1)
_KIND = re.compile(r"^[a-z0-9_-]{1,32}$")


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def int(self, fmt: str, value: int, bounds: tuple[int, int], what: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
            raise ReportError(f"{what} must be an integer in {bounds[0]}..={bounds[1]}, not {value!r}")
        self.out += struct.pack(fmt, value)

    def fixed(self, value: bytes, n: int, what: str) -> None:
        if len(value) != n:
            raise ReportError(f"{what} must be {n} bytes, not {len(value)}")
        self.out += value

    def bytes(self, value: bytes) -> None:
        self.out += struct.pack("<I", len(value)) + value

    def string(self, value: str, limit: int, what: str) -> None:
        b = value.encode("utf-8")
        if len(b) > limit:
            raise ReportError(f"{what} of {len(b)} bytes exceeds {limit}")
        self.bytes(b)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ReportError("malformed report: unexpected end of bytes")
        b = self.data[self.at:self.at + n]
        self.at += n
        return b

    def int(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def bytes(self, limit: int) -> bytes:
        n = self.int("<I")
        if n > limit:
            raise ReportError(f"malformed report: a length of {n} exceeds {limit}")
        return self.take(n)

    def string(self, limit: int) -> str:
        try:
            return self.bytes(limit).decode("utf-8")
        except UnicodeDecodeError:
            raise ReportError("malformed report: a string is not UTF-8") from None


def _hex32(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise ReportError(f"{what} must be 64 hex characters") from None
    if len(value) != 32:
        raise ReportError(f"{what} must be 32 bytes, not {len(value)}")
    return bytes(value)


# -- bodies --------------------------------------------------------------------

@dataclass(frozen=True)
class Heartbeat:
    """"I am up": the uptime family counts the intervals heartbeats prove."""

    VARIANT = 0

    def _write(self, w: _Writer) -> None:
        pass

    def to_json(self) -> dict[str, Any]:
        return {"kind": "heartbeat"}


@dataclass(frozen=True)
class ProbeAnswer:
    """An answer to an oracle probe: the challenge it issued (32 bytes)."""

    challenge: bytes
    VARIANT = 1

    def _write(self, w: _Writer) -> None:
        w.fixed(_hex32(self.challenge, "challenge"), 32, "challenge")

    def to_json(self) -> dict[str, Any]:
        return {"kind": "probe_answer", "challenge": _hex32(self.challenge, "challenge").hex()}


@dataclass(frozen=True)
class Reading:
    """A sensor reading in thousandths of `unit` (fixed point: no floats)."""

    value_milli: int
    unit: str
    VARIANT = 2

    def _write(self, w: _Writer) -> None:
        w.int("<q", self.value_milli, _I64, "value_milli")
        w.string(self.unit, MAX_UNIT_LEN, "unit")

    def to_json(self) -> dict[str, Any]:
        return {"kind": "reading", "value_milli": self.value_milli, "unit": self.unit}


@dataclass(frozen=True)
class Beacon:
    """A coverage hotspot's beacon for `round` (whose draw is `draw`)."""

    round: int
    draw: bytes
    tx_power_centi_dbm: int
    VARIANT = 3

    def _write(self, w: _Writer) -> None:
        w.int("<Q", self.round, _U64, "round")
        w.fixed(_hex32(self.draw, "draw"), 32, "draw")
        w.int("<i", self.tx_power_centi_dbm, _I32, "tx_power_centi_dbm")

    def to_json(self) -> dict[str, Any]:
        return {"kind": "beacon", "round": self.round, "draw": _hex32(self.draw, "draw").hex(),
                "tx_power_centi_dbm": self.tx_power_centi_dbm}


@dataclass(frozen=True)
class Witness:
    """What a coverage hotspot's radio measured of beacon `beacon`."""

    beacon: bytes
    rssi_centi_dbm: int
    snr_centi_db: int
    frequency_hz: int
    received_ms: int
    VARIANT = 4

    def _write(self, w: _Writer) -> None:
        w.fixed(_hex32(self.beacon, "beacon"), 32, "beacon")
        w.int("<i", self.rssi_centi_dbm, _I32, "rssi_centi_dbm")
        w.int("<i", self.snr_centi_db, _I32, "snr_centi_db")
        w.int("<Q", self.frequency_hz, _U64, "frequency_hz")
        w.int("<Q", self.received_ms, _U64, "received_ms")

    def to_json(self) -> dict[str, Any]:
        return {"kind": "witness", "beacon": _hex32(self.beacon, "beacon").hex(),
                "rssi_centi_dbm": self.rssi_centi_dbm, "snr_centi_db": self.snr_centi_db,
                "frequency_hz": self.frequency_hz, "received_ms": self.received_ms}


@dataclass(frozen=True)
class Custom:
    """A body only the network's custom (WebAssembly) family reads: `kind` is 1 to
    32 bytes of `[a-z0-9_-]`, `data` at most 3,584 bytes."""

    kind: str
    data: bytes
    VARIANT = 5

    def _write(self, w: _Writer) -> None:
        if not _KIND.match(self.kind):
            raise ReportError(f"custom body kind {self.kind!r} must be 1 to "
                              f"{MAX_CUSTOM_KIND_LEN} bytes of [a-z0-9_-]")
        if len(self.data) > MAX_CUSTOM_BYTES:
            raise ReportError(f"custom body data of {len(self.data)} bytes exceeds {MAX_CUSTOM_BYTES}")
        w.string(self.kind, MAX_CUSTOM_KIND_LEN, "custom kind")
        w.bytes(bytes(self.data))

    def to_json(self) -> dict[str, Any]:
        return {"kind": "custom", "type": self.kind, "data": bytes(self.data).hex()}


Body = Union[Heartbeat, ProbeAnswer, Reading, Beacon, Witness, Custom]


def body_from_json(j: dict[str, Any]) -> Body:
    """A body from its serde JSON form (`{"kind": "reading", …}`)."""
    kind = j.get("kind")
    if kind == "heartbeat":
        return Heartbeat()
    if kind == "probe_answer":
        return ProbeAnswer(bytes.fromhex(j["challenge"]))
    if kind == "reading":
        return Reading(j["value_milli"], j["unit"])
    if kind == "beacon":
        return Beacon(j["round"], bytes.fromhex(j["draw"]), j["tx_power_centi_dbm"])
    if kind == "witness":
        return Witness(bytes.fromhex(j["beacon"]), j["rssi_centi_dbm"], j["snr_centi_db"],
                       j["frequency_hz"], j["received_ms"])
    if kind == "custom":
        return Custom(j["type"], bytes.fromhex(j["data"]))
    raise ReportError(f"unknown body kind {kind!r}")


def _read_body(r: _Reader) -> Body:
    v = r.int("<B")
    if v == 0:
        return Heartbeat()
    if v == 1:
        return ProbeAnswer(r.take(32))
    if v == 2:
        return Reading(r.int("<q"), r.string(MAX_UNIT_LEN))
    if v == 3:
        return Beacon(r.int("<Q"), r.take(32), r.int("<i"))
    if v == 4:
        return Witness(r.take(32), r.int("<i"), r.int("<i"), r.int("<Q"), r.int("<Q"))
    if v == 5:
        kind = r.string(MAX_CUSTOM_KIND_LEN)
        if not _KIND.match(kind):
            raise ReportError("malformed report: custom body kind must be 1 to 32 bytes of [a-z0-9_-]")
        return Custom(kind, r.bytes(MAX_CUSTOM_BYTES))
    raise ReportError(f"malformed report: unknown body variant {v}")


# -- reports -------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """The signed part of a report.

    `chain` is the chain identity (`plinth.keys.chain_identity` of the genesis
    hash, or the oracle's `/v1/status` `chain`), `device` the device id
    (`pdev1…`), `epoch` the reward epoch, `timestamp_ms` when it was made (Unix
    ms), `seq` strictly increasing per device.
    """

    chain: bytes
    device: str
    network: str
    epoch: int
    timestamp_ms: int
    seq: int
    body: Body

    def encode(self) -> bytes:
        """The canonical (borsh) encoding."""
        w = _Writer()
        w.fixed(_hex32(self.chain, "chain"), 32, "chain")
        try:
            w.fixed(parse_device_id(self.device), 32, "device")
        except ValueError as e:
            raise ReportError(f"device: {e}") from None
        w.string(self.network, MAX_NETWORK_LEN, "network name")
        w.int("<Q", self.epoch, _U64, "epoch")
        w.int("<Q", self.timestamp_ms, _U64, "timestamp_ms")
        w.int("<Q", self.seq, _U64, "seq")
        w.int("<B", self.body.VARIANT, (0, 5), "body")
        self.body._write(w)
        return bytes(w.out)

    def signing_bytes(self) -> bytes:
        """What the device signs: the domain tag, then the encoding."""
        return REPORT_DOMAIN + self.encode()

    def sign(self, key: DeviceKey) -> SignedReport:
        """Signs the report with the device's key (which must be `device`'s)."""
        if key.device_id != self.device:
            raise ReportError(f"the key of {key.device_id} cannot sign a report of {self.device}")
        return SignedReport(self, key.sign(self.signing_bytes()))

    def to_json(self) -> dict[str, Any]:
        """The serde JSON form (as `docs/report-vectors.json` has it)."""
        return {"chain": _hex32(self.chain, "chain").hex(), "device": self.device,
                "network": self.network, "epoch": self.epoch, "timestamp_ms": self.timestamp_ms,
                "seq": self.seq, "body": self.body.to_json()}

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Report:
        """A report from its serde JSON form."""
        return cls(_hex32(j["chain"], "chain"), j["device"], j["network"], j["epoch"],
                   j["timestamp_ms"], j["seq"], body_from_json(j["body"]))


@dataclass(frozen=True)
class SignedReport:
    """A report with the device's 64-byte signature."""

    report: Report
    signature: bytes

    def encode(self) -> bytes:
        """The canonical encoding, signature included: what is sent (HTTP as hex,
        MQTT as raw bytes)."""
        if len(self.signature) != 64:
            raise ReportError(f"a signature is 64 bytes, not {len(self.signature)}")
        out = self.report.encode() + bytes(self.signature)
        if len(out) > MAX_REPORT_BYTES:
            raise ReportError(f"report of {len(out)} bytes exceeds the limit of {MAX_REPORT_BYTES} bytes")
        return out

    def hash(self) -> str:
        """The report's id: `Hash::tagged("plinth/report", encoding)`, hex (the
        `hash` of the oracle's verdict)."""
        return tagged_hash("plinth/report", self.encode()).hex()

    def verify(self) -> bool:
        """Whether the signature is the device's over the signing bytes."""
        try:
            Ed25519PublicKey.from_public_bytes(parse_device_id(self.report.device)).verify(
                bytes(self.signature), self.report.signing_bytes())
            return True
        except (InvalidSignature, ValueError):
            return False

    @classmethod
    def decode(cls, data: bytes) -> SignedReport:
        """Decodes a signed report's bytes: size limit first, then structure."""
        if len(data) > MAX_REPORT_BYTES:
            raise ReportError(f"report of {len(data)} bytes exceeds the limit of {MAX_REPORT_BYTES} bytes")
        r = _Reader(bytes(data))
        chain = r.take(32)
        device = device_id(r.take(32))
        network = r.string(MAX_NETWORK_LEN)
        epoch, timestamp_ms, seq = r.int("<Q"), r.int("<Q"), r.int("<Q")
        body = _read_body(r)
        signature = r.take(64)
        if r.at != len(r.data):
            raise ReportError(f"malformed report: {len(r.data) - r.at} bytes left over")
        return cls(Report(chain, device, network, epoch, timestamp_ms, seq, body), signature)
