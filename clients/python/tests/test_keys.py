"""Device keys, ids and key files as the CLI has them."""

from __future__ import annotations

import os

import pytest

from plinth import DeviceKey
from plinth.errors import PlinthError
from plinth.keys import bech32m_decode, bech32m_encode, chain_identity, parse_device_id


def test_the_spec_examples_decode():
    # the examples of the OpenAPI documents: valid bech32m of 32 bytes
    key = parse_device_id("pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc")
    assert len(key) == 32
    assert bech32m_encode("pdev", key) == "pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc"
    assert len(bech32m_decode("plinth", "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q")) == 32


def test_typos_and_wrong_kinds_are_refused():
    good = "pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc"
    typo = good[:-5] + ("q" if good[-5] != "q" else "p") + good[-4:]
    with pytest.raises(ValueError, match="checksum"):
        parse_device_id(typo)
    with pytest.raises(ValueError, match="prefix"):
        parse_device_id("plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q")


def test_key_files_round_trip_and_refuse_open_modes(tmp_path):
    key = DeviceKey.generate()
    path = tmp_path / "dev.json"
    key.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert DeviceKey.load(path).device_id == key.device_id
    with pytest.raises(FileExistsError):
        key.save(path)
    os.chmod(path, 0o644)
    with pytest.raises(PlinthError, match="open to group or others"):
        DeviceKey.load(path)


def test_chain_identity_is_the_tagged_hash():
    # plinth_core::chain_identity(Hash::ZERO), as the Rust code computes it
    # (blake3 of u32le(12) ‖ "plinth/chain" ‖ 32 zero bytes)
    import blake3

    want = blake3.blake3((12).to_bytes(4, "little") + b"plinth/chain" + bytes(32)).hexdigest()
    assert chain_identity(bytes(32)).hex() == want
    with pytest.raises(ValueError):
        chain_identity(bytes(31))
