"""TLS for the clients: `https://` and `mqtts://` are checked against the
system's roots plus a CA file (a testnet's own CA, as `plinth testnet init
--tls` writes one), given as `ca_file=` or in PLINTH_CA_FILE, the variable the
`plinth` CLI and services read too."""

from __future__ import annotations

import os
import ssl

#: The environment variable a CA file is read from when none is given.
CA_ENV = "PLINTH_CA_FILE"


def ssl_context(ca_file: str | os.PathLike | None = None) -> ssl.SSLContext:
    """A client context that verifies servers against the default roots plus
    `ca_file` (or `$PLINTH_CA_FILE`)."""
    ctx = ssl.create_default_context()
    path = ca_file if ca_file is not None else os.environ.get(CA_ENV) or None
    if path is not None:
        ctx.load_verify_locations(cafile=os.fspath(path))
    return ctx
