"""Shared fixtures. The devnet tests (`test_devnet.py`) need a running devnet,
which `scripts/python-test` starts: its URLs, data directory and the `plinth`
binary come in as PLINTH_NODE, PLINTH_ORACLE, PLINTH_MQTT, PLINTH_DATA_DIR and
PLINTH_BIN. Without them those tests fail (not skip) unless
PLINTH_SKIP_DEVNET=1 says to leave them out, so CI cannot pass them silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def devnet_env() -> dict[str, str]:
    names = ["PLINTH_NODE", "PLINTH_ORACLE", "PLINTH_MQTT", "PLINTH_DATA_DIR", "PLINTH_BIN"]
    if os.environ.get("PLINTH_SKIP_DEVNET") == "1":
        pytest.skip("PLINTH_SKIP_DEVNET=1")
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.fail(f"no devnet: {', '.join(missing)} unset (scripts/python-test starts one)")
    return {n: os.environ[n] for n in names}
