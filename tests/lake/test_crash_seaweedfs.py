"""Crash and restart against SeaweedFS (persistent S3 over HTTP): the server dies, the writer dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.lake import LakeConfig, LakeUnavailable, LakeWriter, open_store
from pipeline.lake.read import open_dataset
from tests.lake.fault_proxy import FaultProxy
from tests.lake.rows import DAY, article, recover
from tests.lake.writer_proc import texts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.timeout(180)


def test_server_killed_mid_run_then_restarted_every_row_lands_once(seaweedfs, seaweed_bucket, tmp_path):
    lake = f"s3://{seaweed_bucket}/lake"
    quick = LakeConfig(max_attempts=2, connect_timeout=1, read_timeout=5)
    first = [article(i, "r0") for i in range(3)]
    w0 = LakeWriter(open_store(lake, quick), run_id="r0", ingest_date=DAY, spool_dir=tmp_path / "spool", config=quick)
    for row in first:
        w0.add_article(row)
    w0.close({}, settings={})

    rows = [article(i, "r1") for i in range(10, 20)]
    w1 = LakeWriter(open_store(lake, quick), run_id="r1", ingest_date=DAY, spool_dir=tmp_path / "spool", config=quick)
    for row in rows[:5]:
        w1.add_article(row)
    seaweedfs.kill()
    try:
        for row in rows[5:]:
            w1.add_article(row)  # the crawl goes on: rows only touch the local spool
        with pytest.raises(LakeUnavailable, match="kept in the spool"):
            w1.close({}, settings={})
    finally:
        seaweedfs.start()
    w2 = LakeWriter(open_store(lake, quick), run_id="r2", ingest_date=DAY, spool_dir=tmp_path / "spool", config=quick)
    dedup, published = recover(w2)
    assert published == ["articles/ingest_date=2024-05-01/part-r1-0.parquet"]
    assert all(dedup.is_known(r["doc_id"]) for r in rows)  # r0 closed without a dedup stage
    w2.close({}, settings={})
    doc_ids = open_dataset(lake, "articles").to_table()["doc_id"].to_pylist()
    assert sorted(doc_ids) == sorted(r["doc_id"] for r in first + rows)  # the earlier run survived the crash too


def test_writer_killed_mid_multipart_upload_leaves_nothing_visible_and_next_run_finishes(
    seaweedfs, seaweed_bucket, tmp_path
):
    proxy = FaultProxy(seaweedfs.endpoint).start()
    proxy.fail("PUT", "partNumber=", "delay", times=100, delay=1.0)  # slow parts: a window to kill in
    client = seaweedfs.client()
    lake = f"s3://{seaweed_bucket}/lake"
    key = f"lake/articles/ingest_date={DAY}/part-r1-0.parquet"
    n, chars = 24, 400_000  # ~9.6 MB of bodies: a file of two 5 MiB parts
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.lake.writer_proc", lake, str(tmp_path / "spool"), "r1", str(n), str(chars)],
        cwd=REPO,
        env={**os.environ, **seaweedfs.env(proxy.endpoint)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(m == "PUT" and "partNumber=1" in p for m, p, _ in proxy.log):
            assert writer.poll() is None, writer.communicate()
            assert time.monotonic() < deadline, "the writer never started a multipart upload"
            time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(10)
        writer.stdout.close()
        writer.stderr.close()
        proxy.stop()
    uploads = client.list_multipart_uploads(Bucket=seaweed_bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [key]  # started, never completed
    assert "Contents" not in client.list_objects_v2(Bucket=seaweed_bucket, Prefix="lake/")  # nothing visible

    store = open_store(lake, LakeConfig())
    w2 = LakeWriter(store, run_id="r2", ingest_date=DAY, spool_dir=tmp_path / "spool", config=LakeConfig())
    _, published = recover(w2)
    assert [k for k in published if k.startswith("articles/")] == [key.removeprefix("lake/")]
    w2.close({}, settings={})
    assert not client.list_multipart_uploads(Bucket=seaweed_bucket).get("Uploads")  # the stale upload is aborted
    table = open_dataset(lake, "articles").to_table(columns=["doc_id", "text"])
    assert table["text"].to_pylist() == texts(n, chars)
    assert store.exists("_runs/r1.json")
