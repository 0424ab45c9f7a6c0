"""`NodeClient`: the node's HTTP API (`crates/node/openapi.yaml`), typed.

Each method is one route; it returns the generated models of
`plinth.node_models` (the route's answer as the document defines it) and raises
`ApiError` (with the API's `code` and `message`) on a non-2xx answer. Lists
that the API pages have an `iter_…` method that walks every page.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from . import node_models as m
from ._http import Transport
from ._paging import pages
from ._route import route


class NodeClient:
    """A client of one node, e.g. `NodeClient("http://127.0.0.1:8645")`.

    `strict=True` refuses answers carrying fields the OpenAPI document does not
    list (the tests use it); by default they are kept in each model's `extra`.
    `https://` is checked against the system's roots plus `ca_file` (default:
    $PLINTH_CA_FILE).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, strict: bool = False,
                 ca_file: str | os.PathLike | None = None):
        self.http = Transport(url, m.ROUTES, timeout=timeout, strict=strict, ca_file=ca_file)

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

    @route("POST", "/v1/txs/batch")
    def submit_txs(self, txs_hex: list[str]) -> m.TxsBatchResponse:
        """Submits up to 20,000 signed transactions; one verdict each, in order."""
        return self.http.call("POST", "/v1/txs/batch", body={"txs": list(txs_hex)})

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

    def iter_compute_offers(self, *, network: str | None = None,
                            page_size: int = 1000) -> Iterator[m.ComputeOffer]:
        """Every compute offer, in device order."""
        return pages(lambda at: self.compute_offers(network=network, after=at, limit=page_size),
                     lambda o: o.device, page_size)

    @route("GET", "/v1/compute/offers/{device}")
    def compute_offer(self, device: str) -> m.ComputeOffer:
        """One provider's compute offer."""
        return self.get("/v1/compute/offers/{device}", path={"device": device})

    @route("GET", "/v1/compute/orders")
    def compute_orders(self, *, network: str | None = None, consumer: str | None = None,
                       status: str | None = None, after: str | None = None,
                       limit: int | None = None) -> list[m.ComputeOrder]:
        """Compute orders in id order, one page after `after`."""
        return self.get("/v1/compute/orders", query={"network": network, "consumer": consumer,
                                                     "status": status, "after": after,
                                                     "limit": limit})

    def iter_compute_orders(self, *, page_size: int = 1000, **filters: Any) -> Iterator[m.ComputeOrder]:
        """Every compute order (of `network`, `consumer`, `status`), in id order."""
        return pages(lambda at: self.compute_orders(after=at, limit=page_size, **filters),
                     lambda o: o.id, page_size)

    @route("GET", "/v1/compute/orders/{id}")
    def compute_order(self, id: str) -> m.ComputeOrderDetail:
        """One compute order with its bids."""
        return self.get("/v1/compute/orders/{id}", path={"id": id})

    @route("GET", "/v1/compute/leases")
    def leases(self, *, network: str | None = None, provider: str | None = None,
               consumer: str | None = None, active: bool | None = None,
               after: str | None = None, limit: int | None = None) -> list[m.Lease]:
        """Compute leases settled through the head, in id order."""
        return self.get("/v1/compute/leases", query={"network": network, "provider": provider,
                                                     "consumer": consumer, "active": active,
                                                     "after": after, "limit": limit})

    def iter_leases(self, *, page_size: int = 1000, **filters: Any) -> Iterator[m.Lease]:
        """Every lease (of `network`, `provider`, `consumer`, `active`), in id order."""
        return pages(lambda at: self.leases(after=at, limit=page_size, **filters),
                     lambda x: x.id, page_size)

    @route("GET", "/v1/compute/leases/{id}")
    def lease(self, id: str) -> m.Lease:
        """One lease, settled through the head."""
        return self.get("/v1/compute/leases/{id}", path={"id": id})

    @route("GET", "/v1/compute/modules/{hash}")
    def module(self, hash: str) -> m.Module:
        """A WebAssembly module's record (its bytes: `module_bytes`)."""
        return self.get("/v1/compute/modules/{hash}", path={"hash": hash})

    def module_bytes(self, hash: str) -> bytes:
        """A WebAssembly module's bytes."""
        return self.http.raw("GET", self.http.url("/v1/compute/modules/{hash}/bytes",
                                                  {"hash": hash}))[1]

    @route("GET", "/v1/compute/jobs")
    def jobs(self, *, network: str | None = None, consumer: str | None = None,
             status: str | None = None, after: str | None = None,
             limit: int | None = None) -> list[m.Job]:
        """Compute jobs in id order, one page after `after`."""
        return self.get("/v1/compute/jobs", query={"network": network, "consumer": consumer,
                                                   "status": status, "after": after,
                                                   "limit": limit})

    def iter_jobs(self, *, page_size: int = 1000, **filters: Any) -> Iterator[m.Job]:
        """Every job (of `network`, `consumer`, `status`), in id order."""
        return pages(lambda at: self.jobs(after=at, limit=page_size, **filters),
                     lambda j: j.id, page_size)

    @route("GET", "/v1/compute/jobs/{id}")
    def job(self, id: str) -> m.JobView:
        """One job with its progress."""
        return self.get("/v1/compute/jobs/{id}", path={"id": id})

    def job_input(self, id: str) -> bytes:
        """A job's input bytes."""
        return self.http.raw("GET", self.http.url("/v1/compute/jobs/{id}/input", {"id": id}))[1]

    @route("GET", "/v1/compute/jobs/{id}/tasks")
    def job_tasks(self, id: str, *, after: int | None = None,
                  limit: int | None = None) -> list[m.Task]:
        """A job's tasks in order, one page after task `after`."""
        return self.get("/v1/compute/jobs/{id}/tasks", path={"id": id},
                        query={"after": after, "limit": limit})

    def iter_job_tasks(self, id: str, *, page_size: int = 4096) -> Iterator[m.Task]:
        """Every task of a job, in order."""
        return pages(lambda at: self.job_tasks(id, after=at, limit=page_size),
                     lambda t: t.task, page_size)

    @route("GET", "/v1/compute/jobs/{id}/claims")
    def job_claims(self, id: str, *, after: int | None = None,
                   limit: int | None = None) -> list[m.Claim]:
        """A job's claims by number, one page after claim `after`."""
        return self.get("/v1/compute/jobs/{id}/claims", path={"id": id},
                        query={"after": after, "limit": limit})

    def iter_job_claims(self, id: str, *, page_size: int = 1000) -> Iterator[m.Claim]:
        """Every claim of a job, by number."""
        return pages(lambda at: self.job_claims(id, after=at, limit=page_size),
                     lambda c: c.number, page_size)

    @route("GET", "/v1/compute/claims/pending")
    def pending_claims(self, network: str, *, after: str | None = None,
                       limit: int | None = None) -> list[m.PendingClaim]:
        """A compute network's revealed claims waiting for the oracle set's spot check."""
        return self.get("/v1/compute/claims/pending", query={"network": network, "after": after,
                                                             "limit": limit})

    @route("GET", "/v1/compute/claims/{id}")
    def claim(self, id: str) -> m.Claim:
        """One task claim."""
        return self.get("/v1/compute/claims/{id}", path={"id": id})

    @route("GET", "/v1/compute/usage/{network}/{epoch}")
    def compute_usage(self, network: str, epoch: int) -> m.ComputeUsage:
        """A compute network's usage in an epoch."""
        return self.get("/v1/compute/usage/{network}/{epoch}",
                        path={"network": network, "epoch": epoch})

    @route("GET", "/v1/compute/earned/{network}/{epoch}")
    def compute_earned(self, network: str, epoch: int, *, after: str | None = None,
                       limit: int | None = None) -> list[m.ComputeEarnedItem]:
        """What each provider of a network earned in an epoch, in device order."""
        return self.get("/v1/compute/earned/{network}/{epoch}",
                        path={"network": network, "epoch": epoch},
                        query={"after": after, "limit": limit})

    @route("GET", "/v1/storage/offers/{device}")
    def storage_offer(self, device: str) -> m.Offer:
        """One storage provider's offer."""
        return self.get("/v1/storage/offers/{device}", path={"device": device})

    @route("GET", "/v1/storage/usage/{network}/{epoch}")
    def storage_usage(self, network: str, epoch: int) -> m.StorageUsageResponse:
        """Credits a storage network's deals used and refunded in an epoch."""
        return self.get("/v1/storage/usage/{network}/{epoch}",
                        path={"network": network, "epoch": epoch})

    @route("GET", "/v1/gov/proposals/{id}")
    def proposal(self, id: int) -> m.ProposalView:
        """One proposal with its live tally and verdict."""
        return self.get("/v1/gov/proposals/{id}", path={"id": id})

    @route("GET", "/v1/gov/proposals/{id}/votes")
    def votes(self, id: int, *, after: str | None = None,
              limit: int | None = None) -> list[m.VoteView]:
        """The votes on a proposal, in voter order."""
        return self.get("/v1/gov/proposals/{id}/votes", path={"id": id},
                        query={"after": after, "limit": limit})

    @route("GET", "/v1/gov/positions")
    def positions(self, owner: str) -> m.PositionsView:
        """An account's locked-token positions, power and delegation."""
        return self.get("/v1/gov/positions", query={"owner": owner})

    @route("GET", "/v1/gov/positions/{id}")
    def position(self, id: int) -> m.PositionView:
        """One locked-token position."""
        return self.get("/v1/gov/positions/{id}", path={"id": id})

    @route("GET", "/v1/makers/{address}")
    def maker(self, address: str) -> m.Maker:
        """One device maker."""
        return self.get("/v1/makers/{address}", path={"address": address})

    @route("GET", "/v1/bursts")
    def bursts(self, *, network: str | None = None, status: str | None = None,
               poster: str | None = None, after: str | None = None,
               limit: int | None = None) -> list[m.Burst]:
        """Bursts in id order, one page after `after`."""
        return self.get("/v1/bursts", query={"network": network, "status": status,
                                             "poster": poster, "after": after, "limit": limit})

    def iter_bursts(self, *, page_size: int = 1000, **filters: Any) -> Iterator[m.Burst]:
        """Every burst (of `network`, `status`, `poster`), in id order."""
        return pages(lambda at: self.bursts(after=at, limit=page_size, **filters),
                     lambda b: b.id, page_size)

    @route("GET", "/v1/bursts/{id}")
    def burst(self, id: str) -> m.Burst:
        """One burst."""
        return self.get("/v1/bursts/{id}", path={"id": id})

    @route("GET", "/v1/energy/{network}/clearings")
    def clearings(self, network: str, *, from_interval: int | None = None, zone: str | None = None,
                  after: str | None = None, limit: int | None = None) -> list[m.ZoneClearing]:
        """An energy network's clearings by interval and zone, one page after
        `after` (`interval:zone_hex`)."""
        return self.get("/v1/energy/{network}/clearings", path={"network": network},
                        query={"from": from_interval, "zone": zone, "after": after,
                               "limit": limit})

    def iter_clearings(self, network: str, *, page_size: int = 1000,
                       **filters: Any) -> Iterator[m.ZoneClearing]:
        """Every clearing of an energy network (from `from_interval`, of `zone`)."""
        return pages(lambda at: self.clearings(network, after=at, limit=page_size, **filters),
                     lambda c: f"{c.interval}:{c.zone_hex}", page_size)

    @route("GET", "/v1/energy/{network}/generation/{epoch}")
    def generation(self, network: str, epoch: int, *, after: str | None = None,
                   limit: int | None = None) -> list[m.EnergyGenerationItem]:
        """Each meter's verified generation in an epoch, in device order."""
        return self.get("/v1/energy/{network}/generation/{epoch}",
                        path={"network": network, "epoch": epoch},
                        query={"after": after, "limit": limit})

    @route("GET", "/v1/energy/orders")
    def energy_orders(self, *, network: str | None = None, meter: str | None = None,
                      owner: str | None = None, status: str | None = None,
                      after: int | None = None, limit: int | None = None) -> list[m.EnergyOrder]:
        """Energy orders by sequence number, one page after `after`."""
        return self.get("/v1/energy/orders", query={"network": network, "meter": meter,
                                                    "owner": owner, "status": status,
                                                    "after": after, "limit": limit})

    def iter_energy_orders(self, *, page_size: int = 1000, **filters: Any) -> Iterator[m.EnergyOrder]:
        """Every energy order (of `network`, `meter`, `owner`, `status`), by sequence."""
        return pages(lambda at: self.energy_orders(after=at, limit=page_size, **filters),
                     lambda o: o.seq, page_size)

    @route("GET", "/v1/energy/orders/{seq}")
    def energy_order(self, seq: int) -> m.EnergyOrder:
        """One energy order."""
        return self.get("/v1/energy/orders/{seq}", path={"seq": seq})

    @route("GET", "/v1/energy/meters/{device}")
    def meter(self, device: str) -> m.Meter:
        """A meter of an energy network."""
        return self.get("/v1/energy/meters/{device}", path={"device": device})

    @route("GET", "/v1/energy/meters/{device}/trades")
    def meter_trades(self, device: str, *, after: str | None = None,
                     limit: int | None = None) -> list[m.EnergyTrade]:
        """A meter's settled trades, one page after `after` (`interval:order`)."""
        return self.get("/v1/energy/meters/{device}/trades", path={"device": device},
                        query={"after": after, "limit": limit})

    @route("GET", "/v1/energy/certificates")
    def certificates(self, *, owner: str | None = None, after: int | None = None,
                     limit: int | None = None) -> list[m.Certificate]:
        """Certificates of verified generation, by id, one page after `after`."""
        return self.get("/v1/energy/certificates", query={"owner": owner, "after": after,
                                                          "limit": limit})

    def iter_certificates(self, *, owner: str | None = None,
                          page_size: int = 1000) -> Iterator[m.Certificate]:
        """Every certificate (held by `owner`), by id."""
        return pages(lambda at: self.certificates(owner=owner, after=at, limit=page_size),
                     lambda c: c.id, page_size)

    @route("GET", "/v1/energy/certificates/{id}")
    def certificate(self, id: int) -> m.Certificate:
        """One certificate."""
        return self.get("/v1/energy/certificates/{id}", path={"id": id})

    @route("GET", "/v1/map/{cell}")
    def map_cell(self, cell: str) -> list[m.Device]:
        """The devices inside an H3 cell (at most 500)."""
        return self.get("/v1/map/{cell}", path={"cell": cell})

    @route("GET", "/v1/explorer/config")
    def explorer_config(self) -> m.ExplorerConfigResponse:
        """What the explorer needs: the oracle's URL, if the node knows one."""
        return self.get("/v1/explorer/config")
