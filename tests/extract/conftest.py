"""Shared fixtures of the extraction tests: the seed dumps with their gold annotation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "tests" / "resources"


@pytest.fixture(scope="session")
def seeds_gold() -> dict:
    return json.loads((RESOURCES / "seeds_gold.json").read_text(encoding="utf-8"))["documents"]


@pytest.fixture(scope="session")
def seed_bytes(seeds_gold) -> dict[str, bytes]:
    return {name: (ROOT / "seeds" / name).read_bytes() for name in sorted(seeds_gold)}
