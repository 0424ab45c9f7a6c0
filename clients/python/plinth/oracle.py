"""`OracleClient`: an oracle's HTTP API (`crates/oracle/openapi.yaml`), typed.

Each method is one route and returns the generated models of
`plinth.oracle_models`; a non-2xx answer raises `ApiError` with the API's
`code` and `message`. `submit_reports` sends signed reports (see
`plinth.report` and `plinth.device`); each gets a verdict of its own.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

from . import oracle_models as m
from ._http import Transport
from ._paging import pages
from ._route import route
from .report import SignedReport

#: The most reports one `POST /v1/reports` takes.
MAX_REPORTS_PER_REQUEST = 20_000


class OracleClient:
    """A client of one oracle, e.g. `OracleClient("http://127.0.0.1:8646")`.

    `strict=True` refuses answers carrying fields the OpenAPI document does not
    list; by default they are kept in each model's `extra`. `https://` is
    checked against the system's roots plus `ca_file` (default: $PLINTH_CA_FILE).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, strict: bool = False,
                 ca_file: str | os.PathLike | None = None):
        self.http = Transport(url, m.ROUTES, timeout=timeout, strict=strict, ca_file=ca_file)

    def get(self, template: str, *, path: dict[str, Any] | None = None,
            query: dict[str, Any] | None = None) -> Any:
        """Any documented GET route by its template, decoded as the document says."""
        return self.http.call("GET", template, path=path, query=query)

    @route("GET", "/v1/status")
    def status(self) -> m.StatusResponse:
        """The oracle's chain, address, current epoch and the networks it scores."""
        return self.get("/v1/status")

    @route("POST", "/v1/reports")
    def submit_reports(self, reports: Iterable[SignedReport | bytes]) -> m.ReportsResponse:
        """Sends signed reports (or their encoded bytes); one verdict each, in order.

        A refused report is not an exception: its verdict says `rejected` with a
        `code` and `reason` (`bad_signature`, `duplicate`, `unknown_device`, …).
        """
        hexes = [(r.encode() if isinstance(r, SignedReport) else bytes(r)).hex() for r in reports]
        if len(hexes) > MAX_REPORTS_PER_REQUEST:
            raise ValueError(f"{len(hexes)} reports; one request takes at most "
                             f"{MAX_REPORTS_PER_REQUEST}")
        return self.http.call("POST", "/v1/reports", body={"reports": hexes})

    @route("GET", "/v1/challenges/{device}")
    def challenges(self, device: str) -> list[m.ChallengesItem]:
        """The challenges a device may still answer, oldest first."""
        return self.get("/v1/challenges/{device}", path={"device": device})

    @route("GET", "/v1/rounds/{network}")
    def rounds(self, network: str) -> m.RoundsResponse:
        """The beacon rounds of a coverage network."""
        return self.get("/v1/rounds/{network}", path={"network": network})

    @route("GET", "/v1/spool/{epoch}")
    def spool(self, epoch: int) -> list[str]:
        """The hashes of a closed epoch's spool batches (403 `epoch_open` before)."""
        return self.get("/v1/spool/{epoch}", path={"epoch": epoch})

    def spool_batch(self, epoch: int, hash: str) -> bytes:
        """One spool batch's bytes (borsh), as stored."""
        url = self.http.url("/v1/spool/{epoch}/{hash}", {"epoch": epoch, "hash": hash})
        return self.http.raw("GET", url)[1]

    @route("GET", "/v1/manifests")
    def manifests(self, *, limit: int | None = None, after: str | None = None) -> list[m.ManifestsItem]:
        """Published manifests' network and epoch, ascending by epoch, one page
        after `after` (`<epoch>:<network>` or `<epoch>`)."""
        return self.get("/v1/manifests", query={"limit": limit, "after": after})

    def iter_manifests(self, *, after: str | None = None,
                       page_size: int = 1000) -> Iterator[m.ManifestsItem]:
        """Every published manifest's network and epoch, ascending by epoch."""
        return pages(
            lambda at: self.manifests(limit=page_size, after=after if at is None else at),
            lambda i: f"{i.epoch}:{i.network}", page_size)

    @route("GET", "/v1/manifests/{network}/{epoch}")
    def manifest(self, network: str, epoch: int) -> m.Manifest:
        """A published manifest: header, entries, batches, signatures, rejections."""
        return self.get("/v1/manifests/{network}/{epoch}", path={"network": network, "epoch": epoch})

    @route("GET", "/v1/manifests/{network}/{epoch}/awards/{tag}")
    def award(self, network: str, epoch: int, tag: int) -> m.ManifestsAwardsResponse:
        """One award of a manifest with its merkle proof."""
        return self.get("/v1/manifests/{network}/{epoch}/awards/{tag}",
                        path={"network": network, "epoch": epoch, "tag": tag})

    @route("GET", "/v1/rewards/{owner}")
    def rewards(self, owner: str) -> list[m.RewardsItem]:
        """Every manifest entry paying `owner`, with its merkle proof."""
        return self.get("/v1/rewards/{owner}", path={"owner": owner})

    @route("GET", "/v1/cosign/refusals")
    def cosign_refusals(self) -> list[m.CosignRefusalsItem]:
        """The proposals this oracle refused to co-sign lately."""
        return self.get("/v1/cosign/refusals")
