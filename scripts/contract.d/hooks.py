"""Schemathesis hooks for Plinth's OpenAPI specs.

A pattern describes the shape of an address but not its bech32m checksum, nor
which 15 hex digits are an H3 cell. These strategies generate values of the
specs' custom formats that really are valid, so that a "schema-valid" request
is one the server must accept: `plinth-address` (`plinth1…`), `plinth-device`
(`pdev1…`), `h3-cell`, `interval-cell` (`interval:cell`, an energy clearing's
paging key) and `plinth-network` (any name, or one the devnet has). Values the devnet really holds (listed by
scripts/contract in PLINTH_KNOWN_* variables) are mixed in, so that lookups hit
existing accounts, devices and cells too, not only unknown ones.
"""

import os

import schemathesis
from hypothesis import strategies as st

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _to_5bit(data):
    acc, bits, out = 0, 0, []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def bech32m(hrp, data):
    """The bech32m string of `data` (bytes) under `hrp`."""
    five = _to_5bit(data)
    pm = _polymod(_hrp_expand(hrp) + five + [0] * 6) ^ BECH32M_CONST
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in five + checksum)


def _known(var):
    return [v for v in os.environ.get(var, "").split(",") if v]


def _with_known(random, var):
    known = _known(var)
    return st.one_of(st.sampled_from(known), random) if known else random


def _address(key):
    return bech32m("plinth", key)


def _device(key):
    return bech32m("pdev", key)


def _base_cell(number):
    """The resolution-0 H3 cell of base cell `number` (0..=121): always valid."""
    return "%x" % (0x8001FFFFFFFFFFF | (number << 45))


_keys = st.binary(min_size=32, max_size=32)
schemathesis.openapi.format(
    "plinth-address", _with_known(_keys.map(_address), "PLINTH_KNOWN_ADDRESSES")
)
schemathesis.openapi.format(
    "plinth-device", _with_known(_keys.map(_device), "PLINTH_KNOWN_DEVICES")
)
schemathesis.openapi.format(
    "plinth-network",
    _with_known(st.from_regex(r"\A[a-z0-9-]{1,32}\Z"), "PLINTH_KNOWN_NETWORKS"),
)
# The devnet's cells add finer resolutions to the base cells.
_base_cells = st.integers(min_value=0, max_value=121).map(_base_cell)
_cells = _with_known(_base_cells, "PLINTH_KNOWN_CELLS")
schemathesis.openapi.format("h3-cell", _cells)
# Any interval of at most 19 digits (a u64), then a valid cell.
schemathesis.openapi.format(
    "interval-cell",
    st.builds(
        lambda i, c: "%d:%s" % (i, c), st.integers(min_value=0, max_value=10**19 - 1), _cells
    ),
)
