"""A `scrapy crawl files -a queue=...` process killed with SIGKILL mid-run, then restarted: 0 inputs lost, 0 doubled."""

from __future__ import annotations

import os
import signal
import socket

import pytest
import redis

from pipeline.sources.queue import queue_prefix
from tests.scale.processes import Lake, Shared, popped, wait_until

pytestmark = pytest.mark.timeout(600)


def test_a_process_killed_mid_run_and_restarted_loses_and_doubles_nothing(
    corpus, single, redis_url, moto, lake_bucket, tmp_path
):
    shared = Shared(redis_url, f"s3://{lake_bucket}/news", moto.env())
    shared.fill(corpus)
    client = redis.Redis.from_url(redis_url)
    victim = shared.start(tmp_path / "spool-victim", tmp_path / "log-victim.txt", MAX_ITEMS_IN_FLIGHT=1)
    other = shared.start(tmp_path / "spool-other", tmp_path / "log-other.txt", MAX_ITEMS_IN_FLIGHT=2)
    me = f"{socket.gethostname()}:{victim.pid}:"
    try:
        # Mid-run: the victim holds an input and claims on pages it has not published.
        def claiming() -> bool:
            tokens = [k.decode() for k in client.keys(f"{shared.dedup_prefix}:claims:{me}*")]
            return any(client.scard(k) >= 3 for k in tokens)

        wait_until(claiming, 120, "the victim to hold claims")
        held = [k for k in client.keys(f"{queue_prefix(shared.queue)}:held:{me}*") if client.llen(k)]
        assert held, "the victim holds no input"
        os.killpg(victim.pid, signal.SIGKILL)  # the process and its extraction worker, as a lost host
        victim.wait(10)
        assert other.wait(timeout=400) == 0, (tmp_path / "log-other.txt").read_text()[-3000:]
        # Restarted once its lease has expired (as a supervisor restarting it would after a while)
        wait_until(lambda: not client.keys(f"{queue_prefix(shared.queue)}:alive:{me}*"), 30, "the victim's lease to expire")
        restarted = shared.start(tmp_path / "spool-victim", tmp_path / "log-restarted.txt")
        assert restarted.wait(timeout=400) == 0, (tmp_path / "log-restarted.txt").read_text()[-3000:]
    finally:
        for process in (victim, other):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
    logs = {name: (tmp_path / f"log-{name}.txt").read_text() for name in ("other", "restarted")}
    assert sum(popped(log) for log in logs.values()) >= len(held)  # the victim's inputs were read again
    lake = Lake.read(shared.lake, moto.env())
    assert lake.url_counts() == single.url_counts()  # 0 lost, 0 doubled
    assert max(lake.doc_ids().values()) == 1
    assert lake.documents() == single.documents()
    assert lake.link_pairs() == single.link_pairs()
    status = shared.status()
    assert status.pending == 0 and status.held == {}
