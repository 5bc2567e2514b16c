"""The Redis list of file inputs: popped entries are leased, acked after publishing, put back when their reader dies."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import redis

from pipeline.config import ConfigError
from pipeline.dedup import DedupConfig
from pipeline.sources.queue import InputQueue, open_queue

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _queue(redis_url: str, name: str, lease: float = 30.0) -> InputQueue:
    return InputQueue(redis.Redis.from_url(redis_url), name, lease)


def test_entries_are_shared_between_processes_and_acked_once_published(redis_url, name):
    first, second = _queue(redis_url, name), _queue(redis_url, name)
    first.push(["/data/a", "/data/b", "s3://bucket/c/"])
    assert [first.pop(), second.pop(), first.pop(), second.pop()] == ["/data/a", "/data/b", "s3://bucket/c/", None]
    assert first.held() == ["/data/a", "s3://bucket/c/"] and second.held() == ["/data/b"]
    assert first.leave(published=True) == 0
    assert second.leave(published=False) == 1  # its run was not published: read again by the next process
    third = _queue(redis_url, name)
    assert third.pop() == "/data/b"
    third.leave(published=True)
    status = third.status()
    assert status.pending == 0 and status.held == {}


def test_the_entries_of_a_killed_reader_go_back_when_its_lease_expires(redis_url, name):
    _queue(redis_url, name).push(["/data/a", "/data/b"])
    script = textwrap.dedent(f"""
        import time, redis
        from pipeline.sources.queue import InputQueue
        queue = InputQueue(redis.Redis.from_url({redis_url!r}), {name!r}, 1.0)
        print(queue.pop(), flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "/data/a"
        other = _queue(redis_url, name)
        time.sleep(1.5)  # alive, the reader renews its lease from a thread
        assert other.pop() == "/data/b" and other.pop() is None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        time.sleep(1.2)  # the lease expires
        assert other.pop() == "/data/a"
        assert other.requeued == 1
        other.leave(published=True)
        assert other.status().pending == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()


def test_a_claim_ttl_that_could_outlive_the_lease_is_refused(redis_url, name):
    queue = open_queue(redis_url, name, 30.0)
    shared = DedupConfig(backend="redis", claim_ttl_seconds=20.0)
    queue.check_claims(shared)
    with pytest.raises(ConfigError, match="at most 2/3 of FILES_QUEUE_LEASE_SECONDS"):
        queue.check_claims(dataclasses.replace(shared, claim_ttl_seconds=25.0))
    with pytest.raises(ConfigError, match="needs REDIS_URL"):
        open_queue(None, name, 30.0)


def test_enqueue_fills_the_list_with_absolute_paths_and_refuses_a_missing_one(redis_url, name, tmp_path, capsys, monkeypatch):
    from pipeline.cli import main

    (tmp_path / "shard").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["enqueue", "--redis", redis_url, name, "shard", "s3://archive/2024/"]) == 0
    assert capsys.readouterr().out.strip() == f"{name}: 2 input(s) queued; 2 pending, 0 held by 0 process(es)"
    assert main(["enqueue", "--redis", redis_url, name, "missing"]) == 1
    assert "path does not exist" in capsys.readouterr().err
    queue = _queue(redis_url, name)
    assert [queue.pop(), queue.pop(), queue.pop()] == [str(tmp_path / "shard"), "s3://archive/2024/", None]
    queue.leave(published=True)


def test_the_files_spider_takes_a_path_or_a_queue_not_both(tmp_path):
    from spiders.files import FilesSpider

    with pytest.raises(ConfigError, match="not both"):
        FilesSpider(path=str(tmp_path), queue="backfill")
    assert FilesSpider(queue="backfill").root is None
