"""The HTTP transport both clients share: JSON over `urllib`, typed errors, and
answers decoded through the generated route table."""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping

from ._schema import Type, decode
from ._tls import ssl_context
from .errors import ApiError, ModelError, TransportError

#: The most bytes of an answer read (a whole manifest of a large network fits).
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class Transport:
    """Sends requests to one base URL and decodes the answers.

    `routes` is a generated module's `ROUTES`: the answer of `(method, path
    template)` is decoded as the type the OpenAPI document gives it. `strict`
    refuses answers with fields the document does not list. An `https://` URL
    is checked against the system's roots plus `ca_file` (default:
    $PLINTH_CA_FILE).
    """

    def __init__(
        self,
        base_url: str,
        routes: Mapping[tuple[str, str], Type],
        *,
        timeout: float = 10.0,
        strict: bool = False,
        headers: Mapping[str, str] | None = None,
        ca_file: str | os.PathLike | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base URL {base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.routes = routes
        self.timeout = timeout
        self.strict = strict
        self.headers = dict(headers or {})
        self.context: ssl.SSLContext | None = (
            ssl_context(ca_file) if self.base_url.startswith("https://") else None)

    def url(self, template: str, path: Mapping[str, Any] | None = None,
            query: Mapping[str, Any] | None = None) -> str:
        """The URL of `template` with its `{params}` filled (escaped) and a query."""
        route = template
        for name, value in (path or {}).items():
            route = route.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        if "{" in route:
            raise ValueError(f"{template}: path parameter missing in {route}")
        q = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        return self.base_url + route + ("?" + urllib.parse.urlencode(q) if q else "")

    def raw(self, method: str, url: str, body: Any = None) -> tuple[int, bytes, str]:
        """Sends one request; returns status, body and content type of a 2xx
        answer, raises `ApiError` for any other."""
        data = None
        headers = {"accept": "application/json", **self.headers}
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                return resp.status, _read(resp), resp.headers.get("content-type", "")
        except urllib.error.HTTPError as e:
            raise _api_error(method, url, e.code, _read(e)) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise TransportError(f"{method} {url}: {reason}") from None

    def call(self, method: str, template: str, *, path: Mapping[str, Any] | None = None,
             query: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """Sends a request to a documented route and decodes its answer as the
        document says."""
        t = self.routes.get((method, template))
        if t is None:
            raise ValueError(f"{method} {template} is not a JSON route of the document")
        url = self.url(template, path, query)
        _, data, _ = self.raw(method, url, body)
        try:
            value = json.loads(data)
        except ValueError:
            raise ModelError(f"{method} {template}", "the answer is not JSON") from None
        return decode(t, value, f"{method} {template}", strict=self.strict)


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _read(resp: Any) -> bytes:
    data = resp.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise TransportError(f"answer larger than {MAX_ANSWER_BYTES} bytes")
    return data


def _api_error(method: str, url: str, status: int, body: bytes) -> ApiError:
    text = body.decode("utf-8", "replace")
    try:
        err = json.loads(text)["error"]
        return ApiError(status, str(err["code"]), str(err.get("message", "")), err.get("details"),
                        method=method, url=url)
    except (ValueError, KeyError, TypeError):
        return ApiError(status, None, text.strip()[:500] or "(empty answer)", method=method, url=url)
