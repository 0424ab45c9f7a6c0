"""Against a real devnet (`scripts/python-test` starts one): every client method
decodes what the node and the oracle really answer, paging walks whole lists,
errors carry the API's code, and a device registered on the chain has its
signed reports accepted over HTTP and MQTT and paid in the epoch's manifest,
while a report with a bad signature is refused with its reason."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from plinth import (
    ApiError,
    Device,
    DeviceKey,
    NodeClient,
    OracleClient,
    Reading,
    ReportRefused,
    SignedReport,
    chain_identity,
)
from plinth._schema import Model

pytestmark = pytest.mark.devnet

# Fields the servers send that the documents leave out on purpose, or do not
# list yet. Any other undocumented field fails `test_every_method_decodes`.
UNDOCUMENTED = {
    # the document describes the genesis by two fields; the rest is the whole genesis
    "GenesisResponse": "*",
    # a transaction's call and a refusal carry the fields of their kind
    "TransactionCall": "*",
    "BlockTxsCall": "*",
    "ReceiptError": "*",
}


def undocumented(value: Any, where: str = "") -> list[str]:
    """Every field of a decoded answer that its document does not list (and
    UNDOCUMENTED does not allow), as `Model.field`."""
    out = []
    if isinstance(value, Model):
        name = type(value).__name__
        allowed = UNDOCUMENTED.get(name, set())
        out += [f"{where or name}.{k}" for k in value.extra if allowed != "*" and k not in allowed]
        for f in dataclasses.fields(value):
            if f.name != "extra":
                out += undocumented(getattr(value, f.name), f"{name}.{f.name}")
    elif isinstance(value, list):
        for v in value:
            out += undocumented(v, where)
    elif isinstance(value, dict):
        for v in value.values():
            out += undocumented(v, where)
    return out


@pytest.fixture(scope="session")
def node(devnet_env) -> NodeClient:
    client = NodeClient(devnet_env["PLINTH_NODE"])
    deadline = time.monotonic() + 60
    while True:  # the script waited for it; this is belt and braces
        try:
            if client.status().height > 2:
                return client
        except Exception:
            pass
        if time.monotonic() > deadline:
            pytest.fail("the devnet's node does not answer")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def oracle(devnet_env, node) -> OracleClient:
    return OracleClient(devnet_env["PLINTH_ORACLE"])


def wait_for(what: str, fn, timeout: float = 60.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def walked_between(read, walk):
    """A paged walk of a list that only grows holds everything a read before it
    returned, only what a read after it returns, each item once, in the list's order."""
    before = read()
    walked = walk()
    after = read()
    assert len(walked) == len(set(walked)), f"an item twice in the walk: {walked}"
    assert set(before) <= set(walked), f"the walk lost items: {set(before) - set(walked)}"
    assert set(walked) <= set(after), f"the walk made up items: {set(walked) - set(after)}"
    assert walked == [x for x in after if x in set(walked)], "the walk's order is not the list's"
    return walked


def closed_manifest(oracle: OracleClient, network: str, epoch: int):
    def get():
        try:
            return oracle.manifest(network, epoch)
        except ApiError as e:
            if e.code == "unknown_manifest":
                return None
            raise
    return wait_for(f"the {network} manifest of epoch {epoch}", get, timeout=90)


def test_every_method_decodes(node, oracle):
    # an epoch with a weather manifest on the ledger
    # (one that paid devices, so reward reads have data)
    reward = wait_for("an accepted weather manifest that paid devices", lambda: next(
        (r for r in node.rewards(network="weather", limit=500) if r.header.devices), None))
    epoch = reward.header.epoch
    device = next(node.iter_devices(network="weather"))
    owner = device.owner
    block = wait_for("a block with transactions",
                     lambda: next((b for b in node.blocks(limit=200) if b.txs), None))
    full = node.block(block.height)
    assert full.hash == block.hash and len(full.txs) == block.txs
    offer = node.storage_offers(limit=1)[0]
    deal = node.deals(provider=offer.device, limit=1)
    answers: dict[str, Any] = {
        "status": node.status(),
        "genesis": node.genesis(),
        "networks": node.networks(),
        "networks(epoch)": node.networks(epoch=epoch),
        "supply": node.supply(),
        "supply_epochs": node.supply_epochs(limit=5),
        "price": node.price(),
        "oracles": node.oracles(),
        "registry": node.registry(),
        "validators": node.validators(),
        "blocks": node.blocks(limit=5),
        "block(latest)": node.block(),
        "block(height)": full,
        "block(hash)": node.block(block.hash),
        "tx": node.tx(full.txs[0].hash),
        "account": node.account(owner),
        "account(proof)": node.account(owner, proof=True),
        "account_txs": node.account_txs(owner, limit=5),
        "credits": node.credits(owner),
        "devices": node.devices(limit=10),
        "devices(owner)": node.devices(owner=owner),
        "device": node.device(device.id),
        "device(proof)": node.device(device.id, proof=True),
        "map": node.map(res=4, ids=True),
        "rewards": node.rewards(limit=10),
        "reward_epoch": node.reward_epoch("weather", epoch),
        "reward_claimed": node.reward_claimed("weather", epoch, 0),
        "manifest_audit": node.manifest_audit("weather", epoch, entries=True),
        "storage_offers": node.storage_offers(),
        "deals": deal,
        "gov": node.gov(),
        "proposals": node.proposals(),
        "makers": node.makers(),
        "compute_params": node.compute_params(),
        "compute_offers": node.compute_offers(),
        "energy_market": node.energy_market("solar"),
        "get(compute/jobs)": node.get("/v1/compute/jobs"),
        "oracle.status": oracle.status(),
        "oracle.manifests": oracle.manifests(limit=10),
        "oracle.manifest": oracle.manifest("weather", epoch),
        "oracle.rewards": oracle.rewards(owner),
        "oracle.challenges": oracle.challenges(device.id),
        "oracle.rounds": oracle.rounds("lora"),
        "oracle.spool": oracle.spool(epoch),
        "oracle.cosign_refusals": oracle.cosign_refusals(),
    }
    if deal:
        answers["deal"] = node.deal(deal[0].id)
    assert answers["device"] == device
    assert answers["device(proof)"].proof is not None
    assert answers["account(proof)"].proof is not None
    assert answers["manifest_audit"].consistent, answers["manifest_audit"].problems
    assert answers["oracle.manifest"].header.root == reward.header.root
    assert answers["oracle.spool"], "a closed epoch's spool lists its batches"
    assert any(r.network == "weather" for r in answers["oracle.rewards"])
    problems = {name: undocumented(value) for name, value in answers.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, f"fields the documents do not list: {problems}"
    # the models are what strict decoding gives: every method again, refusing
    # any field outside the documents and UNDOCUMENTED
    strict = NodeClient(node.http.base_url, strict=True)
    assert strict.device(device.id) == device
    assert strict.account(owner).balance >= 0


def test_paging_walks_whole_lists(node, oracle):
    everything = node.devices(limit=10000)
    assert len(everything) > 7
    assert [d.id for d in node.iter_devices(page_size=7)] == [d.id for d in everything]
    weather = [d.id for d in everything if d.network == "weather"]
    assert [d.id for d in node.iter_devices(network="weather", page_size=5)] == weather

    head = node.status().height
    heights = [b.height for b in node.iter_blocks(before=head, page_size=9)]
    assert heights == list(range(head - 1, -1, -1)) or heights == list(range(head - 1, 0, -1))

    last = node.rewards(network="weather", limit=500)
    walked = [r.header.epoch for r in node.iter_rewards("weather", page_size=3)]
    assert walked[:len(last)] == [r.header.epoch for r in last]
    assert walked == sorted(set(walked))

    first = oracle.manifests(limit=1000)
    cut = first[-1].epoch - 1  # epochs up to here are complete in both reads
    walked_m = [(i.epoch, i.network) for i in oracle.iter_manifests(page_size=7) if i.epoch <= cut]
    assert walked_m == [(i.epoch, i.network) for i in first if i.epoch <= cut]
    assert len(walked_m) > 7


def test_errors_carry_the_api_code(node, oracle):
    unknown = DeviceKey(bytes([7] * 32)).device_id
    with pytest.raises(ApiError) as e:
        node.device(unknown)
    assert (e.value.status, e.value.code) == (404, "unknown_device") and e.value.is_not_found()
    with pytest.raises(ApiError) as e:
        node.devices(limit=0)
    assert (e.value.status, e.value.code) == (400, "invalid_limit")
    assert "limit" in e.value.message
    with pytest.raises(ApiError) as e:
        oracle.manifest("weather", 10**12)
    assert (e.value.status, e.value.code) == (404, "unknown_manifest")
    with pytest.raises(ApiError) as e:
        oracle.manifests(after="not-an-epoch")
    assert e.value.status == 400 and e.value.code


def test_a_device_reports_over_http_and_mqtt(devnet_env, node, oracle, tmp_path):
    # a device of our own key, registered by the CLI as a user would
    key = DeviceKey.generate()
    key.save(tmp_path / "sensor.json")
    out = subprocess.run(
        [devnet_env["PLINTH_BIN"], "device", "--keystore", f"{devnet_env['PLINTH_DATA_DIR']}/keystore.json",
         "--node", devnet_env["PLINTH_NODE"], "register", "--from", "alice",
         "--key", str(tmp_path / "sensor.json"), "--network", "weather",
         # far from the devnet's fleet (Berlin): a lone sensor agrees with itself
         "--location", "-33.87,151.21"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    registered = node.device(key.device_id)
    assert registered.network == "weather" and registered.status == "active"

    dev = Device.connect(key, "weather", devnet_env["PLINTH_ORACLE"], mqtt=devnet_env["PLINTH_MQTT"])
    # the chain identity the oracle names is the node's genesis hash, tagged
    assert dev.chain == chain_identity(node.status().genesis_hash)
    with dev:
        # the oracle reads the registry as of its last block: wait for one past ours
        def sent():
            try:
                return dev.send(dev.report(Reading(21_500, "celsius")))
            except ReportRefused as e:
                if e.code == "unknown_device":
                    return None
                raise
        http = wait_for("the oracle to know the device", sent, timeout=30)
        report = dev.report(Reading(21_600, "celsius"))
        epoch = report.report.epoch
        mqtt = dev.send(report, via="mqtt")
        assert mqtt.status == "accepted" and mqtt.hash == report.hash()
        assert http.hash and http.hash != mqtt.hash
        # the MQTT report is in the oracle's spool: sent again, it is a duplicate
        again = dev.send_http([report])[0]
        assert (again.status, again.code) == ("rejected", "duplicate")

        # a bad signature is refused with its reason, over both transports
        honest = dev.report(Reading(21_700, "celsius"))
        forged = SignedReport(honest.report, bytes(64))
        with pytest.raises(ReportRefused) as e:
            dev.send(forged)
        forged_epoch = forged.report.epoch
        assert e.value.code == "bad_signature" and "signature" in e.value.reason
        with pytest.raises(ReportRefused) as e:
            dev.send(SignedReport(dev.report(Reading(21_800, "celsius")).report, bytes(64)), via="mqtt")
        assert e.value.code == "bad_signature"

    # the example sensor, as a user runs it, over both transports
    example = Path(__file__).resolve().parents[1] / "examples/sensor.py"
    for extra in ([], ["--mqtt", devnet_env["PLINTH_MQTT"]]):
        run = subprocess.run(
            [sys.executable, str(example), "--key", str(tmp_path / "sensor.json"),
             "--oracle", devnet_env["PLINTH_ORACLE"], "--count", "2", "--every", "0.2", *extra],
            capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout.count("accepted as") == 2, run.stdout

    # the epoch closes: its manifest scored our reports and counted the refusals
    manifest = closed_manifest(oracle, "weather", epoch)
    paid = [e for e in manifest.entries if e.device == key.device_id]
    assert paid and paid[0].owner == registered.owner and paid[0].amount > 0, manifest.entries
    refused = closed_manifest(oracle, "weather", forged_epoch).rejected
    assert refused.get("bad_signature", 0) >= 1, refused


def test_compute_storage_energy_and_governance_reads_decode(node):
    """The devnet's compute demo (leases, a render job), storage providers, bursts,
    the solar neighbourhood and the governance genesis, read through every
    method that has data to read; fields outside the documents fail as above."""
    job = wait_for("the demo render job with claims", lambda: next(
        (j for j in node.jobs(network="compute") if node.job_claims(j.id, limit=1)), None))
    lease = wait_for("a lease", lambda: next(iter(node.leases(network="compute")), None))
    order = node.compute_orders(network="compute")[0]
    claim = node.job_claims(job.id, limit=1)[0]
    offer = node.compute_offers(network="compute")[0]
    storage_offer = node.storage_offers(network="storage")[0]
    burst = wait_for("a burst", lambda: next(iter(node.bursts()), None))
    maker = node.makers()[0]
    epoch = node.status().epoch - 1
    solar = next(node.iter_devices(network="solar"))
    cell = node.map(res=5).cells[0].cell
    answers: dict[str, Any] = {
        "compute_offer": node.compute_offer(offer.device),
        "compute_order": node.compute_order(order.id),
        "lease": node.lease(lease.id),
        "module": node.module(job.module),
        "job": node.job(job.id),
        "job_tasks": node.job_tasks(job.id, limit=5),
        "job_claims": node.job_claims(job.id),
        "claim": node.claim(claim.id),
        "pending_claims": node.pending_claims("compute"),
        "compute_usage": node.compute_usage("compute", epoch),
        "compute_earned": node.compute_earned("compute", epoch),
        "storage_offer": node.storage_offer(storage_offer.device),
        "storage_usage": node.storage_usage("storage", epoch),
        "positions": node.positions(maker.address),
        "maker": node.maker(maker.address),
        "burst": node.burst(burst.id),
        "meter": node.meter(solar.id),
        "meter_trades": node.meter_trades(solar.id),
        "energy_orders": node.energy_orders(network="solar"),
        "clearings": node.clearings("solar"),
        "generation": node.generation("solar", epoch),
        "certificates": node.certificates(),
        "map_cell": node.map_cell(cell),
        "explorer_config": node.explorer_config(),
    }
    assert answers["compute_order"].id == order.id and answers["lease"] == lease
    assert answers["claim"].job == job.id and answers["burst"] == burst
    assert answers["maker"] == maker and answers["meter"].device == solar.id
    assert answers["map_cell"], "the cell of the map has devices"
    assert answers["explorer_config"].oracle
    # module bytes and job input are bytes, the module a WebAssembly one
    assert node.module_bytes(job.module)[:4] == b"\0asm"
    assert len(node.job_input(job.id)) > 0
    # paging: a job's tasks and claims one at a time are the whole lists
    # (claims and bursts keep arriving on a running devnet: a walk lies between a read
    # before it and one after it)
    walked_between(lambda: [t.task for t in node.job_tasks(job.id, limit=4096)],
                   lambda: [t.task for t in node.iter_job_tasks(job.id, page_size=7)])
    walked_between(lambda: [c.number for c in node.job_claims(job.id, limit=1000)],
                   lambda: [c.number for c in node.iter_job_claims(job.id, page_size=2)])
    walked_between(lambda: [b.id for b in node.bursts(limit=1000)],
                   lambda: [b.id for b in node.iter_bursts(page_size=1)])
    for name, more in [("energy_order", lambda: node.energy_order(answers["energy_orders"][0].seq)),
                       ("certificate", lambda: node.certificate(answers["certificates"][0].id)),
                       ("proposal", lambda: node.proposal(node.proposals()[0].proposal.id))]:
        try:
            answers[name] = more()
        except IndexError:  # none yet on this devnet: the list itself decoded
            pass
    problems = {k: v for k, v in ((n, undocumented(a)) for n, a in answers.items()) if v}
    assert not problems, f"fields the documents do not list: {problems}"
