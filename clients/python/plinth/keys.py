"""ed25519 device keys, bech32m identifiers (`pdev1…`, `plinth1…`) and the
tagged blake3 hash, as `plinth-core` has them."""

from __future__ import annotations

import json
import os
import secrets
import stat
import struct
from pathlib import Path

import blake3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .errors import PlinthError

DEVICE_HRP = "pdev"
ACCOUNT_HRP = "plinth"


def tagged_hash(tag: str, data: bytes) -> bytes:
    """`Hash::tagged`: blake3 of the tag's length (u32, little-endian), the tag,
    then the data."""
    t = tag.encode()
    return blake3.blake3(struct.pack("<I", len(t)) + t + data).digest()


def chain_identity(genesis_hash: str | bytes) -> bytes:
    """The chain identity a report names: `Hash::tagged("plinth/chain", genesis hash)`
    (the genesis hash is the node's `/v1/status` `genesis_hash`)."""
    g = bytes.fromhex(genesis_hash) if isinstance(genesis_hash, str) else genesis_hash
    if len(g) != 32:
        raise ValueError("a genesis hash is 32 bytes")
    return tagged_hash("plinth/chain", g)


# -- bech32m (BIP 350) -------------------------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or (acc << (tobits - bits)) & maxv):
        raise ValueError("invalid padding")
    return out


def bech32m_encode(hrp: str, data: bytes) -> str:
    """Encodes bytes as bech32m under `hrp`."""
    five = _convert(data, 8, 5, True)
    poly = _polymod(_hrp_expand(hrp) + five + [0] * 6) ^ _BECH32M
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five + check)


def bech32m_decode(hrp: str, text: str) -> bytes:
    """Decodes a bech32m string that must have prefix `hrp`; raises `ValueError`
    for a bad checksum, character, length or prefix."""
    s = text.strip()
    if s.lower() != s and s.upper() != s:
        raise ValueError(f"{text!r}: mixed case")
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        raise ValueError(f"{text!r}: not bech32m")
    found, rest = s[:pos], s[pos + 1:]
    if found != hrp:
        raise ValueError(f"{text!r}: expected prefix {hrp}1, found {found}1")
    if any(c not in _CHARSET for c in rest):
        raise ValueError(f"{text!r}: invalid character")
    five = [_CHARSET.index(c) for c in rest]
    if _polymod(_hrp_expand(found) + five) != _BECH32M:
        raise ValueError(f"{text!r}: bad checksum")
    return bytes(_convert(five[:-6], 5, 8, False))


def device_id(public_key: bytes) -> str:
    """A device's id (`pdev1…`) from its 32-byte public key."""
    return bech32m_encode(DEVICE_HRP, public_key)


def address(public_key: bytes) -> str:
    """An account's address (`plinth1…`) from its 32-byte public key."""
    return bech32m_encode(ACCOUNT_HRP, public_key)


def parse_device_id(text: str) -> bytes:
    """The 32-byte public key a device id names."""
    key = bech32m_decode(DEVICE_HRP, text)
    if len(key) != 32:
        raise ValueError(f"{text!r}: expected 32 bytes of key, found {len(key)}")
    return key


class DeviceKey:
    """A device's ed25519 key pair (its seed is the 32-byte secret)."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise ValueError("an ed25519 seed is 32 bytes")
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.public_key: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls) -> DeviceKey:
        """A fresh key from the operating system's randomness."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_hex(cls, secret: str) -> DeviceKey:
        """A key from its seed in hex (64 characters)."""
        try:
            seed = bytes.fromhex(secret.strip())
        except ValueError:
            raise ValueError("a secret key is 64 hex characters") from None
        return cls(seed)

    @property
    def device_id(self) -> str:
        """The device's id, `pdev1…`."""
        return device_id(self.public_key)

    @property
    def secret_hex(self) -> str:
        """The seed in hex (keep it secret)."""
        return self._seed.hex()

    def sign(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of `message`."""
        return self._key.sign(message)

    def save(self, path: str | os.PathLike) -> None:
        """Writes the key as a device key file (`plinth device keygen`'s form:
        `{"device_id", "secret"}`), readable by its owner only; never overwrites."""
        text = json.dumps({"device_id": self.device_id, "secret": self.secret_hex}, indent=2)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    @classmethod
    def load(cls, path: str | os.PathLike) -> DeviceKey:
        """Reads a device key file (as `plinth device keygen` writes it), refusing
        one its group or others may open, or whose secret is not its id's."""
        p = Path(path)
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o077:
            raise PlinthError(f"device key {p} is open to group or others (mode {mode:o}); "
                              f"chmod 600 it")
        f = json.loads(p.read_text())
        key = cls.from_hex(f["secret"])
        if key.device_id != f["device_id"]:
            raise PlinthError(f"device key file {p} is inconsistent: its secret does not "
                              f"match its id")
        return key

    def __repr__(self) -> str:
        return f"DeviceKey({self.device_id})"
