"""`NodeClient`: the node's HTTP API (`crates/node/openapi.yaml`), typed.

Each method is one route; it returns the generated models of
`plinth.node_models` (the route's answer as the document defines it) and raises
`ApiError` (with the API's `code` and `message`) on a non-2xx answer. Lists
that the API pages have an `iter_…` method that walks every page.
"""

from __future__ import annotations

from typing import Any, Iterator

from . import node_models as m
from ._http import Transport
from ._paging import pages
from ._route import route


class NodeClient:
    """A client of one node, e.g. `NodeClient("http://127.0.0.1:8645")`.

    `strict=True` refuses answers carrying fields the OpenAPI document does not
    list (the tests use it); by default they are kept in each model's `extra`.
    """

    def __init__(self, url: str, *, timeout: float = 10.0, strict: bool = False):
        self.http = Transport(url, m.ROUTES, timeout=timeout, strict=strict)

    def get(self, template: str, *, path: dict[str, Any] | None = None,
            query: dict[str, Any] | None = None) -> Any:
        """Any documented GET route by its template (`/v1/compute/jobs/{id}`),
        decoded as the document says: for the routes without a method below."""
        return self.http.call("GET", template, path=path, query=query)

    # -- chain ----------------------------------------------------------------

    @route("GET", "/v1/status")
    def status(self) -> m.Status:
        """Head, token, fees, epoch."""
        return self.get("/v1/status")

    @route("GET", "/v1/genesis")
    def genesis(self) -> m.GenesisResponse:
        """The chain id and genesis time."""
        return self.get("/v1/genesis")

    @route("GET", "/v1/networks")
    def networks(self, epoch: int | None = None) -> list[m.Network]:
        """The device networks as in force in `epoch` (default: the head's)."""
        return self.get("/v1/networks", query={"epoch": epoch})

    @route("GET", "/v1/supply")
    def supply(self) -> m.Supply:
        """The token supply."""
        return self.get("/v1/supply")

    @route("GET", "/v1/supply/epochs")
    def supply_epochs(self, *, before: int | None = None,
                      limit: int | None = None) -> list[m.SupplyEpochsItem]:
        """Minted and burned per reward epoch, newest first, below `before`."""
        return self.get("/v1/supply/epochs", query={"before": before, "limit": limit})

    def iter_supply_epochs(self, *, page_size: int = 1000) -> Iterator[m.SupplyEpochsItem]:
        """Every epoch with mints or burns, newest first."""
        return pages(lambda at: self.supply_epochs(before=at, limit=page_size),
                     lambda e: e.epoch, page_size)

    @route("GET", "/v1/price")
    def price(self) -> m.PriceResponse:
        """The token price the oracle set posted last."""
        return self.get("/v1/price")

    @route("GET", "/v1/oracles")
    def oracles(self, epoch: int | None = None) -> m.Oracles:
        """The oracle set in force at `epoch` and the whole schedule."""
        return self.get("/v1/oracles", query={"epoch": epoch})

    @route("GET", "/v1/registry")
    def registry(self, height: int | None = None) -> m.Registry:
        """Every network's registry digest as of a block."""
        return self.get("/v1/registry", query={"height": height})

    @route("GET", "/v1/validators")
    def validators(self) -> list[m.ValidatorsItem]:
        """The validator set with bonded stake."""
        return self.get("/v1/validators")

    @route("GET", "/v1/blocks")
    def blocks(self, *, limit: int | None = None, before: int | None = None) -> list[m.BlockSummary]:
        """Block summaries below `before`, newest first."""
        return self.get("/v1/blocks", query={"limit": limit, "before": before})

    def iter_blocks(self, *, before: int | None = None, page_size: int = 200) -> Iterator[m.BlockSummary]:
        """Every block below `before` (default: all), newest first, down to genesis."""
        return pages(lambda at: self.blocks(limit=page_size, before=before if at is None else at),
                     lambda b: b.height, page_size)

    @route("GET", "/v1/blocks/{id}")
    def block(self, id: int | str = "latest") -> m.Block:
        """A block by height, hash or `latest`, with its transactions and receipts."""
        return self.get("/v1/blocks/{id}", path={"id": id})

    @route("GET", "/v1/txs/{hash}")
    def tx(self, hash: str) -> m.Tx:
        """A transaction's status: pending, committed (with its receipt) or rejected."""
        return self.get("/v1/txs/{hash}", path={"hash": hash})

    @route("POST", "/v1/txs")
    def submit_tx(self, tx_hex: str) -> m.Submitted:
        """Submits one signed transaction (hex of its borsh encoding); answered once durable."""
        return self.http.call("POST", "/v1/txs", body={"tx": tx_hex})

    # -- accounts and devices -------------------------------------------------

    @route("GET", "/v1/accounts/{address}")
    def account(self, address: str, *, proof: bool = False) -> m.Account:
        """An account's balances, nonce and bonds (`proof`: with a state proof)."""
        return self.get("/v1/accounts/{address}", path={"address": address},
                        query={"proof": proof or None})

    @route("GET", "/v1/accounts/{address}/txs")
    def account_txs(self, address: str, *, limit: int | None = None) -> list[m.HistoryItem]:
        """The transactions that touched an account, newest first."""
        return self.get("/v1/accounts/{address}/txs", path={"address": address},
                        query={"limit": limit})

    @route("GET", "/v1/credits/{addr}")
    def credits(self, address: str) -> m.CreditsResponse:
        """An account's credits (own and delegated)."""
        return self.get("/v1/credits/{addr}", path={"addr": address})

    @route("GET", "/v1/devices")
    def devices(self, *, owner: str | None = None, network: str | None = None,
                limit: int | None = None, after: str | None = None) -> list[m.Device]:
        """Devices in id order, of an owner or a network, one page after `after`."""
        return self.get("/v1/devices", query={"owner": owner, "network": network,
                                              "limit": limit, "after": after})

    def iter_devices(self, *, network: str | None = None, page_size: int = 1000) -> Iterator[m.Device]:
        """Every device (of `network`), in id order, page by page."""
        # The network filter applies to each page of all devices: a filtered page
        # may be short before the end, so walk all devices and filter here.
        it = pages(lambda at: self.devices(limit=page_size, after=at), lambda d: d.id, page_size)
        return (d for d in it if network is None or d.network == network)

    @route("GET", "/v1/devices/{id}")
    def device(self, id: str, *, proof: bool = False) -> m.Device:
        """One device (`proof`: with a state proof)."""
        return self.get("/v1/devices/{id}", path={"id": id}, query={"proof": proof or None})

    @route("GET", "/v1/map")
    def map(self, *, res: int | None = None, network: str | None = None,
            ids: bool = False) -> m.MapResponse:
        """Devices clustered into H3 cells at resolution `res`."""
        return self.get("/v1/map", query={"res": res, "network": network, "ids": ids or None})

    # -- rewards --------------------------------------------------------------

    @route("GET", "/v1/rewards")
    def rewards(self, *, network: str | None = None, from_epoch: int | None = None,
                limit: int | None = None) -> list[m.RewardEpoch]:
        """Accepted reward manifests, per network in epoch order from `from_epoch`."""
        return self.get("/v1/rewards", query={"network": network, "from": from_epoch,
                                              "limit": limit})

    def iter_rewards(self, network: str, *, from_epoch: int = 0,
                     page_size: int = 500) -> Iterator[m.RewardEpoch]:
        """Every accepted manifest of `network` from `from_epoch`, in epoch order."""
        return pages(
            lambda at: self.rewards(network=network, limit=page_size,
                                    from_epoch=from_epoch if at is None else at),
            lambda r: r.header.epoch + 1, page_size)

    @route("GET", "/v1/rewards/{network}/{epoch}")
    def reward_epoch(self, network: str, epoch: int) -> m.RewardEpoch:
        """The accepted manifest of a network for an epoch and how much is claimed."""
        return self.get("/v1/rewards/{network}/{epoch}", path={"network": network, "epoch": epoch})

    @route("GET", "/v1/rewards/{network}/{epoch}/claimed/{index}")
    def reward_claimed(self, network: str, epoch: int, index: int) -> m.RewardsClaimedResponse:
        """Whether entry `index` of an accepted manifest is claimed."""
        return self.get("/v1/rewards/{network}/{epoch}/claimed/{index}",
                        path={"network": network, "epoch": epoch, "index": index})

    @route("GET", "/v1/explorer/manifests/{network}/{epoch}")
    def manifest_audit(self, network: str, epoch: int, *,
                       entries: bool = False) -> m.ExplorerManifestsResponse:
        """The oracle's manifest for an epoch, checked by the node against the ledger."""
        return self.get("/v1/explorer/manifests/{network}/{epoch}",
                        path={"network": network, "epoch": epoch},
                        query={"entries": entries or None})

    # -- storage, governance, compute, energy ---------------------------------

    @route("GET", "/v1/storage/offers")
    def storage_offers(self, *, network: str | None = None, limit: int | None = None,
                       after: str | None = None) -> list[m.Offer]:
        """Storage providers' offers in device order, one page after `after`."""
        return self.get("/v1/storage/offers", query={"network": network, "limit": limit,
                                                     "after": after})

    def iter_storage_offers(self, *, network: str | None = None,
                            page_size: int = 1000) -> Iterator[m.Offer]:
        """Every storage offer, in device order."""
        return pages(lambda at: self.storage_offers(network=network, limit=page_size, after=at),
                     lambda o: o.device, page_size)

    @route("GET", "/v1/deals")
    def deals(self, *, consumer: str | None = None, provider: str | None = None,
              network: str | None = None, limit: int | None = None,
              after: str | None = None) -> list[m.Deal]:
        """Storage deals of a consumer or provider, or a network's active ones (exactly one)."""
        return self.get("/v1/deals", query={"consumer": consumer, "provider": provider,
                                            "network": network, "limit": limit, "after": after})

    @route("GET", "/v1/deals/{id}")
    def deal(self, id: str) -> m.Deal:
        """One storage deal."""
        return self.get("/v1/deals/{id}", path={"id": id})

    @route("GET", "/v1/gov")
    def gov(self) -> m.Gov:
        """Governance at the head (404 `no_governance` on a chain without it)."""
        return self.get("/v1/gov")

    @route("GET", "/v1/gov/proposals")
    def proposals(self, *, status: str | None = None, after: int | None = None,
                  before: int | None = None, limit: int | None = None) -> list[m.ProposalView]:
        """Proposals with their live tally and verdict."""
        return self.get("/v1/gov/proposals", query={"status": status, "after": after,
                                                    "before": before, "limit": limit})

    @route("GET", "/v1/makers")
    def makers(self, *, after: str | None = None, limit: int | None = None) -> list[m.Maker]:
        """Approved device makers in address order, one page after `after`."""
        return self.get("/v1/makers", query={"after": after, "limit": limit})

    def iter_makers(self, *, page_size: int = 100) -> Iterator[m.Maker]:
        """Every device maker, in address order."""
        return pages(lambda at: self.makers(after=at, limit=page_size),
                     lambda mk: mk.address, page_size)

    @route("GET", "/v1/compute/params")
    def compute_params(self) -> m.ComputeParamsView:
        """The compute market's settings and compute networks."""
        return self.get("/v1/compute/params")

    @route("GET", "/v1/compute/offers")
    def compute_offers(self, *, network: str | None = None, after: str | None = None,
                       limit: int | None = None) -> list[m.ComputeOffer]:
        """Compute providers' offers with attributes and reputation."""
        return self.get("/v1/compute/offers", query={"network": network, "after": after,
                                                     "limit": limit})

    @route("GET", "/v1/energy/{network}/market")
    def energy_market(self, network: str) -> m.EnergyMarket:
        """An energy network's market: parameters, intervals, last clearings."""
        return self.get("/v1/energy/{network}/market", path={"network": network})
