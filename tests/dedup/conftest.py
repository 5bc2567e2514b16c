"""Fixtures for the dedup tests: gold seed bodies, a lake folder, and a real redis-server."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.dedup import DedupConfig, compute_signature, make_doc_id

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture(scope="session")
def seed_bodies() -> dict[str, str]:
    """Gold bodies of the five seeds, keyed by their 3-digit prefix ('000' .. '004')."""
    docs = json.loads((RESOURCES / "seeds_gold.json").read_text(encoding="utf-8"))["documents"]
    return {name[:3]: "\n".join(doc["body"]) for name, doc in docs.items()}


@pytest.fixture
def config() -> DedupConfig:
    return DedupConfig()


def seed_doc(seed_bodies, key: str, config: DedupConfig, url: str | None = None):
    """(doc_id, url, signature) of one seed, as the pipeline would compute them."""
    url = url or f"file:///seeds/{key}.txt"
    sig = compute_signature(seed_bodies[key], "ar", config)
    return make_doc_id(url, sig.content_hash), url, sig


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throw-away redis-server on a free loopback port, stopped by PID at the end of the session."""
    binary = shutil.which("redis-server") or (REDIS_SERVER if Path(REDIS_SERVER).exists() else None)
    if binary is None:
        pytest.skip("redis-server binary not found (apt install redis-server; `make test` installs it)")
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail(f"redis-server exited with {proc.returncode}")
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer within 5 s")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
