"""`scrapy crawl` into S3 (moto_server): through a proxy that throttles, drops answers and delays, with runs
killed mid-upload and mid-multipart; and a run spooled for S3 that the next run, on a local lake, leaves alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pipeline.lake.read import open_dataset
from tests.crawl import REPO
from tests.lake.audit import audit, input_urls
from tests.lake.conftest import moto, moto_bucket  # noqa: F401 - fixtures
from tests.lake.fault_proxy import FaultProxy
from tests.lake.runs import crawl, escaped, finish, kill, make_inputs, start

pytestmark = pytest.mark.timeout(600)


def wait_for(condition, what: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)


def test_s3_faults_lose_and_double_nothing(moto, moto_bucket, tmp_path, fault_record):  # noqa: F811
    proxy = FaultProxy(moto.endpoint).start()
    env = moto.env(proxy.endpoint)
    lake, spool, inputs = f"s3://{moto_bucket}/news", tmp_path / "spool", tmp_path / "inputs"
    try:
        # throttling (503 SlowDown, botocore backs off and retries) and lost answers (the server did the
        # work, the client never heard and tried again), on every kind of write of a run
        for part in ("/rejects/", "writer-lease", "/_state/dedup/df-", "/_state/templates"):
            proxy.fail("PUT", part, "503", times=2)
        for part in ("/articles/", "/links/", "/_state/dedup/segments/", "/_state/dedup/manifest.json", "/_runs/"):
            proxy.fail("PUT", part, "drop")
        runs = [crawl(make_inputs(inputs, "faults"), lake, spool, env=env)]
        assert sum(o == "503" for _, _, o in proxy.log) == 8
        assert sum(o.startswith("drop") for _, _, o in proxy.log) == 5

        # killed while its first file is on its way (the request still reaches the server afterwards)
        proxy.fail("PUT", "/articles/", "delay", delay=8)
        slow = start(make_inputs(inputs, "killed-uploading"), lake, spool, env=env)
        wait_for(lambda: any(m == "PUT" and "/articles/" in p for m, p in proxy.arrived), "an upload", slow)
        kill(slow)
        finish(slow)

        # a writer killed in the middle of a multipart upload (1 MiB threshold: a ~1.2 MB file goes up as one
        # part): the upload stays open on the server
        proxy.fail("PUT", "partNumber=", "delay", times=100, delay=2.0)
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.lake.writer_proc", lake, str(spool), "r-multipart", "4", "400000", str(2**20)],
            cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: any("partNumber=1" in p for _, p in proxy.arrived), "a multipart upload", writer)
        kill(writer)
        finish(writer)
        client = moto.client()
        assert client.list_multipart_uploads(Bucket=moto_bucket).get("Uploads")
        proxy.clear()

        runs.append(crawl(make_inputs(inputs, "after"), lake, spool, env=env))  # finishes both killed runs
        assert not client.list_multipart_uploads(Bucket=moto_bucket).get("Uploads")
        runs.append(crawl(inputs, lake, spool, env=env))
    finally:
        proxy.stop()
    found = audit(lake, inputs)
    fault_record(
        "S3: 503 SlowDown, lost answers, killed mid-upload, stale multipart",
        trials=3,
        **found.figures(),
        escaped=sum(escaped(r) for r in runs),
        note="moto_server behind a fault proxy; 8 throttled and 5 lost answers; then other inputs, then all inputs",
    )
    assert not found.dangling, found.dangling[:20]
    assert not list(spool.iterdir())


def test_a_run_spooled_for_s3_waits_for_its_lake_while_a_local_run_goes_by(moto, moto_bucket, tmp_path, fault_record):  # noqa: F811
    prod, other, spool = f"s3://{moto_bucket}/prod", str(tmp_path / "other-lake"), tmp_path / "spool"
    env = moto.env()
    prod_inputs, other_inputs = tmp_path / "prod-inputs", tmp_path / "other-inputs"
    killed = crawl(make_inputs(prod_inputs, "prod"), prod, spool, kill_at="upload", env=env)
    assert killed.returncode == -9, killed.stderr[-3000:]
    (waiting,) = spool.iterdir()  # closed, not published: as after a failed upload

    beside = crawl(make_inputs(other_inputs, "other"), other, spool, env=env)
    assert f"spooled run {waiting.name} belongs to the lake {prod}" in beside.stderr, beside.stderr[-3000:]
    assert (waiting / "state.json").exists()
    landed = set(open_dataset(other, "articles").to_table()["url"].to_pylist())
    assert landed and landed <= input_urls(other_inputs)  # nothing of the prod run
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "other-lake/_runs").glob("*.json")]
    assert waiting.name not in {m["run_id"] for m in manifests}
    assert all(m["lake"] == str(tmp_path / "other-lake") for m in manifests)

    again = crawl(prod_inputs, prod, spool, env=env)  # the next run on its lake publishes it, once
    assert not spool.exists() or not list(spool.iterdir())
    found = audit(prod, prod_inputs)
    fault_record(
        "a run spooled for one lake, the next run on another",
        trials=1,
        **found.figures(),
        escaped=escaped(beside) + escaped(again),
        note="S3 lake run killed before publishing; next run from the same folder on a local lake; then the S3 lake",
    )
    assert not found.dangling, found.dangling[:20]
    assert not audit(other, other_inputs).problems()
