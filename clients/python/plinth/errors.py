"""The exceptions of the Plinth client: one base, one type per kind of failure."""

from __future__ import annotations

from typing import Any


class PlinthError(Exception):
    """Base of every error this package raises."""


class ApiError(PlinthError):
    """A node or oracle answered with a non-2xx status.

    `code` and `message` are the API's own (`{"error": {"code", "message",
    "details"}}`), e.g. `unknown_device`, `invalid_limit`; `status` is the HTTP
    status. An answer that is not that JSON body has `code` `None` and its text
    as `message`.
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        details: Any = None,
        *,
        method: str = "",
        url: str = "",
    ):
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {status} {code or 'error'}: {message}".strip())

    def is_not_found(self) -> bool:
        """Whether the thing asked for does not exist (404)."""
        return self.status == 404


class TransportError(PlinthError):
    """The server could not be reached or the connection failed."""


class ModelError(PlinthError):
    """A JSON value does not match the schema it was decoded as."""

    def __init__(self, where: str, problem: str):
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class ReportError(PlinthError):
    """A report cannot be encoded or decoded (a field over its limit, bad bytes)."""


class ReportRefused(PlinthError):
    """The oracle refused a report: `code` (`bad_signature`, `duplicate`, …) and
    `reason` are its verdict's."""

    def __init__(self, code: str | None, reason: str | None, hash: str | None = None):
        self.code = code
        self.reason = reason
        self.hash = hash
        super().__init__(f"report refused: {code}: {reason}")
