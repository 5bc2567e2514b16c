"""Fixtures shared by every room's tests: real servers on loopback, started once per session, and the seeds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.servers import start_redis

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "tests" / "resources"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """URL of a real redis-server on a free loopback port (skips only when the binary is absent)."""
    if not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
        pytest.skip("redis-server is not installed (`make test` installs it with apt-get)")
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def seeds_gold() -> dict:
    """The hand annotation of the seed dumps, by file name."""
    return json.loads((RESOURCES / "seeds_gold.json").read_text(encoding="utf-8"))["documents"]


@pytest.fixture(scope="session")
def seed_bytes(seeds_gold) -> dict[str, bytes]:
    return {name: (ROOT / "seeds" / name).read_bytes() for name in sorted(seeds_gold)}
