"""The report encoder against docs/report-vectors.json, made by plinth-proofs:
every vector's signing bytes, signature, signed report and hash, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plinth import DeviceKey, Report, SignedReport
from plinth.errors import ReportError
from plinth.report import REPORT_DOMAIN, Custom, Reading


def vectors(repo):
    with open(repo / "docs/report-vectors.json", encoding="utf-8") as f:
        return json.load(f)


def test_the_vectors_file_is_there_and_names_the_domain(repo):
    doc = vectors(repo)
    assert doc["domain"].encode() == REPORT_DOMAIN
    kinds = {v["report"]["body"]["kind"] for v in doc["vectors"]}
    # every body kind has a vector
    assert kinds == {"heartbeat", "probe_answer", "reading", "beacon", "witness", "custom"}


def _cases():
    path = Path(__file__).resolve().parents[3] / "docs/report-vectors.json"
    return [pytest.param(v, id=v["name"]) for v in json.loads(path.read_text())["vectors"]]


@pytest.mark.parametrize("v", _cases())
def test_vector(v):
    key = DeviceKey(bytes.fromhex(v["seed"]))
    assert key.public_key.hex() == v["public_key"]
    report = Report.from_json(v["report"])
    assert report.device == key.device_id
    assert report.signing_bytes().hex() == v["signing_bytes"]
    signed = report.sign(key)
    assert signed.signature.hex() == v["signature"]  # ed25519 is deterministic
    assert signed.encode().hex() == v["signed_report"]
    assert signed.hash() == v["hash"]
    assert signed.verify()
    # and back: the bytes decode to the same report, whose JSON is the vector's
    back = SignedReport.decode(bytes.fromhex(v["signed_report"]))
    assert back == signed
    assert back.report.to_json() == v["report"]


def test_a_changed_byte_breaks_the_signature(repo):
    v = vectors(repo)["vectors"][0]
    signed = SignedReport.decode(bytes.fromhex(v["signed_report"]))
    bad = SignedReport(signed.report, bytes([signed.signature[0] ^ 1]) + signed.signature[1:])
    assert not bad.verify()
    assert bad.hash() != v["hash"]


def test_limits_are_refused_before_sending():
    key = DeviceKey(bytes(32))
    base = dict(chain=bytes(32), device=key.device_id, epoch=0, timestamp_ms=0, seq=1)
    with pytest.raises(ReportError, match="network name"):
        Report(network="x" * 33, body=Reading(1, "c"), **base).encode()
    with pytest.raises(ReportError, match="unit"):
        Report(network="weather", body=Reading(1, "u" * 17), **base).encode()
    with pytest.raises(ReportError, match="kind"):
        Report(network="mapping", body=Custom("Drive", b""), **base).encode()
    with pytest.raises(ReportError, match="3584"):
        Report(network="mapping", body=Custom("drive", bytes(3585)), **base).encode()
    with pytest.raises(ReportError, match="epoch"):
        Report(network="weather", body=Reading(1, "c"), **{**base, "epoch": -1}).encode()
    with pytest.raises(ReportError, match="cannot sign"):
        Report(network="weather", body=Reading(1, "c"), **base).sign(DeviceKey(bytes([1] * 32)))
    with pytest.raises(ReportError, match="left over"):
        good = Report(network="weather", body=Reading(1, "c"), **base).sign(key).encode()
        SignedReport.decode(good + b"\0")
