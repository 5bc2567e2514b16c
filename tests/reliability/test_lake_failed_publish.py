"""A run whose publish fails puts its inputs back at once; when another process lands some of them before the
failed run's spool is published, that spool adds none of those rows again, and still lands the rest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import redis

from pipeline.sources.queue import queue_prefix
from tests.lake.fault_proxy import FaultProxy
from tests.scale.conftest import corpus, lake_bucket, moto  # noqa: F401 - fixtures
from tests.scale.processes import Lake, Shared, wait_until

pytestmark = pytest.mark.timeout(300)


def spooled_urls(spool: Path) -> Counter[str]:
    """The input URLs of the run waiting in `spool`: its final articles and its spooled rejects."""
    (run,) = [p.parent for p in spool.glob("*/state.json")]
    files = [*run.glob("final/articles/*/*.parquet"), *run.glob("pending/rejects/*.parquet")]
    return Counter(url for f in files for url in pq.read_table(f, columns=["url"])["url"].to_pylist())


def test_a_failed_publish_whose_inputs_another_process_landed_adds_no_row_twice(
    corpus, redis_url, moto, lake_bucket, tmp_path, fault_record  # noqa: F811
):
    shared = Shared(redis_url, f"s3://{lake_bucket}/news", moto.env())
    dumps_a, dumps_b = corpus[2], corpus[3]  # two folders; seeds 000 (in a) and 002 (in b) tell the same story
    shared.fill([dumps_b, dumps_a])
    proxy = FaultProxy(moto.endpoint).start()
    proxy.fail("PUT", "/articles/", "503", times=1000)  # the store refuses its data files: the publish fails
    try:
        cut_off = Shared(redis_url, shared.lake, moto.env(proxy.endpoint), shared.queue, shared.dedup_prefix)
        failed = cut_off.start(tmp_path / "spool-failed", tmp_path / "log-failed.txt", LAKE_MAX_ATTEMPTS=1)
        assert failed.wait(timeout=200) == 1, (tmp_path / "log-failed.txt").read_text()[-3000:]
    finally:
        proxy.stop()
    assert "run not published: 2 input(s) put back" in (tmp_path / "log-failed.txt").read_text()
    waiting = spooled_urls(tmp_path / "spool-failed")
    client = redis.Redis.from_url(redis_url)
    # Another host takes one of the entries back (the other is taken off the list, as by a host still busy with
    # it): the failed run's spool must drop the first entry's rows and keep the second's.
    assert client.lrem(f"{queue_prefix(shared.queue)}:pending", 0, dumps_a) == 1
    wait_until(lambda: not client.keys(f"{shared.dedup_prefix}:claim:*"), 30, "the failed run's claims to lapse")
    other = shared.start(tmp_path / "spool-other", tmp_path / "log-other.txt")
    assert other.wait(timeout=200) == 0, (tmp_path / "log-other.txt").read_text()[-3000:]
    landed_elsewhere = Lake.read(shared.lake, moto.env()).url_counts()
    assert landed_elsewhere and set(landed_elsewhere) < set(waiting)
    # The failed run's host comes back: its next process publishes the spooled run before anything else.
    restarted = shared.start(tmp_path / "spool-failed", tmp_path / "log-restarted.txt")
    assert restarted.wait(timeout=200) == 0, (tmp_path / "log-restarted.txt").read_text()[-3000:]
    lake = Lake.read(shared.lake, moto.env())
    landed = lake.url_counts()
    fault_record(
        "publish refused by S3: the run's inputs go back, another process lands some, its spool is published later",
        trials=1,
        lost=len(set(waiting) - set(landed)),
        duplicated=sum(n - 1 for n in landed.values()) + sum(n - 1 for n in lake.doc_ids().values()),
        escaped=0,
        note=f"{sum(landed_elsewhere.values())} of its {len(waiting)} inputs landed by the other process first",
    )
    assert landed == waiting  # every input once, in articles or rejects
    doc_ids = set(lake.doc_ids())
    assert all({x["doc_id"], x["other_doc_id"]} <= doc_ids for x in lake.links)
    assert len(lake.link_pairs()) == len(lake.links)  # no pair linked twice
    assert not list((tmp_path / "spool-failed").glob("*/state.json"))
