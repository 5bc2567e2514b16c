"""Fixtures shared by every room's tests: real servers on loopback, started once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.servers import start_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """URL of a real redis-server on a free loopback port (skips only when the binary is absent)."""
    if not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
        pytest.skip("redis-server is not installed (`make test` installs it with apt-get)")
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()
