"""Fixtures for the lake tests: real S3 servers over HTTP (session-scoped) and a fault-injecting proxy."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.lake.fault_proxy import FaultProxy
from tests.servers import S3Server, start_moto, start_seaweedfs

_buckets = itertools.count()


@pytest.fixture(scope="session")
def moto(tmp_path_factory) -> Iterator[S3Server]:
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory) -> Iterator[S3Server]:
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs") / "data")
    yield server
    server.stop()


def _bucket(server: S3Server) -> str:
    name = f"lake-{next(_buckets)}"
    server.create_bucket(name)
    return name


@pytest.fixture
def moto_bucket(moto, monkeypatch) -> str:
    """A fresh bucket on moto; the AWS_* chain of this process points at it."""
    for key, value in moto.env().items():
        monkeypatch.setenv(key, value)
    return _bucket(moto)


@pytest.fixture
def seaweed_bucket(seaweedfs, monkeypatch) -> str:
    for key, value in seaweedfs.env().items():
        monkeypatch.setenv(key, value)
    return _bucket(seaweedfs)


@pytest.fixture
def proxy(moto, monkeypatch) -> Iterator[FaultProxy]:
    """A fault proxy in front of moto; the AWS_* chain points at the proxy."""
    fault = FaultProxy(moto.endpoint).start()
    for key, value in moto.env(fault.endpoint).items():
        monkeypatch.setenv(key, value)
    yield fault
    fault.stop()
