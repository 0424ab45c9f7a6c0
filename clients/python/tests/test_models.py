"""The generated models: in sync with the OpenAPI documents, and decoding that
checks what it decodes."""

from __future__ import annotations

import importlib.util
import inspect
import sys

import pytest

import plinth.node_models as nm
import plinth.oracle_models as om
from plinth import NodeClient, OracleClient
from plinth.errors import ModelError


def _generator(repo):
    spec = importlib.util.spec_from_file_location("gen_models", repo / "clients/python/tools/gen_models.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gen_models"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("api", ["node", "oracle"])
def test_committed_models_equal_a_fresh_generation(repo, api):
    fresh = _generator(repo).generate(api)
    committed = (repo / f"clients/python/plinth/{api}_models.py").read_text(encoding="utf-8")
    assert committed == fresh, (
        f"plinth/{api}_models.py is stale: run python3 clients/python/tools/gen_models.py")


@pytest.mark.parametrize("api,models", [("node", nm), ("oracle", om)])
def test_every_json_route_of_the_document_has_a_type(repo, api, models):
    gen = _generator(repo)
    spec = gen.load(gen.APIS[api])
    json_routes = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        for status, resp in op["responses"].items()
        if status.startswith("2") and "application/json" in resp.get("content", {})
    }
    assert json_routes == set(models.ROUTES)


@pytest.mark.parametrize("client,models", [(NodeClient, nm), (OracleClient, om)])
def test_each_client_method_returns_its_routes_type(client, models):
    """A method's return annotation is the type the document gives its route."""
    methods = [f for _, f in inspect.getmembers(client, inspect.isfunction)
               if hasattr(f, "__plinth_route__")]
    assert len(methods) >= (30 if client is NodeClient else 10)
    for f in methods:
        route = f.__plinth_route__
        want = models.ROUTE_TYPES[route]
        got = inspect.signature(f).return_annotation
        got = got if isinstance(got, str) else got.__name__
        assert got.replace("m.", "") == want, f"{client.__name__}.{f.__name__} ({route})"


def test_decoding_checks_types_required_fields_enums_and_patterns():
    good = {"id": "pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc",
            "owner": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q",
            "network": "weather", "location": "8c1f1d48c39c1ff", "lat": 52.5, "lon": 13,
            "resolution": 12, "status": "active", "registered_height": 3, "stake": 0}
    d = nm.Device.from_json(good, strict=True)
    assert d.status == "active" and d.lon == 13.0 and d.proof is None
    for change, problem in [
        ({"stake": -1}, "below the minimum"),
        ({"stake": True}, "expected an integer"),
        ({"status": "gone"}, "not one of"),
        ({"network": "Weather"}, "does not match"),
        ({"id": None}, "expected a string"),
    ]:
        with pytest.raises(ModelError, match=problem):
            nm.Device.from_json({**good, **change})
    missing = dict(good)
    del missing["owner"]
    with pytest.raises(ModelError, match="'owner' is missing"):
        nm.Device.from_json(missing)
    # fields the document does not list: kept, or refused when strict
    assert nm.Device.from_json({**good, "new": 1}).extra == {"new": 1}
    with pytest.raises(ModelError, match="does not list"):
        nm.Device.from_json({**good, "new": 1}, strict=True)


def test_one_of_picks_the_variant_by_its_tag():
    dev = {"kind": "device", "id": "pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc"}
    val = {"kind": "validator", "id": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q"}
    bond = nm.AccountBonds.from_json({"target": dev, "amount": 5})
    assert isinstance(bond.target, nm.StakeTargetDevice)
    assert isinstance(nm.AccountBonds.from_json({"target": val, "amount": 5}).target,
                      nm.StakeTargetValidator)
    with pytest.raises(ModelError, match="matches none"):
        nm.AccountBonds.from_json({"target": {"kind": "validator", "id": dev["id"]}, "amount": 5})


def test_yes_and_no_stay_names():
    # YAML 1.1 would read the tally's `yes`/`no` keys as booleans
    assert [f.json for f in nm.Tally._fields] == ["yes", "no", "abstain", "veto"]


@pytest.mark.parametrize("client,models,left_out", [
    (NodeClient, nm, set()),
    # the co-signing routes are for the oracles of a set, not for clients
    (OracleClient, om, {("POST", p) for p in ["/v1/cosign/price", "/v1/cosign/manifest",
                                               "/v1/cosign/settlement", "/v1/cosign/verdict",
                                               "/v1/cosign/checks"]}),
])
def test_every_read_of_the_document_has_a_method(client, models, left_out):
    covered = {f.__plinth_route__ for _, f in inspect.getmembers(client, inspect.isfunction)
               if hasattr(f, "__plinth_route__")}
    reads = {r for r in models.ROUTES if r[0] == "GET"}
    assert reads - covered == set(), "GET routes without a client method"
    assert set(models.ROUTES) - covered == left_out
