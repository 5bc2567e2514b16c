"""The writer lease on a local folder, moto and SeaweedFS: refusal with the holder named, heartbeat, expiry,
takeover from a dead process, lost answers, and a holder that lost its lease not committing."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid

import pytest

from pipeline.lake import LakeConfig, LakeUnavailable, open_store
from pipeline.lake.lease import LEASE_KEY, LakeBusy, WriterLease
from pipeline.lake.owner import this_process

TTL = 1.0  # renewed every 0.25 s


@pytest.fixture(scope="module")
def seaweed_lease_bucket(seaweedfs) -> str:
    """One bucket for every test here: each new SeaweedFS bucket takes volumes of the session's server."""
    seaweedfs.create_bucket("lease-tests")
    return "lease-tests"


@pytest.fixture(params=["local", "moto", "seaweedfs"])
def store(request, tmp_path, monkeypatch):
    if request.param == "local":
        return open_store(str(tmp_path / "lake"))
    if request.param == "moto":
        bucket = request.getfixturevalue("moto_bucket")
    else:
        for key, value in request.getfixturevalue("seaweedfs").env().items():
            monkeypatch.setenv(key, value)
        bucket = request.getfixturevalue("seaweed_lease_bucket")
    # SeaweedFS answers 500 while it allocates a new bucket's first volume: retried, as in production
    return open_store(f"s3://{bucket}/{uuid.uuid4().hex}", LakeConfig(max_attempts=8))


def foreign_holder(store, *, pid: int, boot_id: str, ttl: float) -> None:
    """A lease written by another process, as it would have written it."""
    me = this_process()
    process = {**me.as_dict(), "pid": pid, "boot_id": boot_id, "host": "crawler-7"}
    body = {"run_id": "20240501T000000Z-aaaaaa", "token": "x", "process": process, "ttl_seconds": ttl}
    body["acquired_at"] = "2024-05-01T00:00:00+00:00"
    assert store.write_if(LEASE_KEY, json.dumps(body).encode(), tag=None)


def test_second_writer_is_refused_with_the_holder_named_until_the_first_releases(store):
    first = WriterLease(store, "run-1", TTL).acquire()
    time.sleep(2.5 * TTL)  # the heartbeat keeps it: a lifetime without renewal would free it
    with pytest.raises(LakeBusy) as refused:
        WriterLease(store, "run-2", TTL).acquire()
    message = str(refused.value)
    assert f"being written by run run-1 (pid {os.getpid()} on " in message
    assert f"since {first.acquired_at}" in message and "DEDUP_BACKEND=redis" in message
    first.confirm()  # still ours
    first.release()
    assert store.read_versioned(LEASE_KEY) is None
    second = WriterLease(store, "run-2", TTL).acquire()
    second.release()
    second.release()  # idempotent


def test_lease_of_a_killed_process_on_this_machine_is_taken_at_once(store, caplog):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    foreign_holder(store, pid=int(dead.stdout), boot_id=this_process().boot_id, ttl=3600)
    with caplog.at_level(logging.WARNING):
        lease = WriterLease(store, "run-2", TTL).acquire()
    assert "its process has exited" in caplog.text
    lease.release()


def test_lease_of_another_host_is_free_only_after_its_lifetime(store, caplog):
    foreign_holder(store, pid=1, boot_id="another-machine", ttl=1)
    with pytest.raises(LakeBusy, match=r"pid 1 on crawler-7\) since 2024-05-01T00:00:00\+00:00"):
        WriterLease(store, "run-2", TTL).acquire()
    time.sleep(2.5)  # ages come from the store's clock, in whole seconds on S3
    with caplog.at_level(logging.WARNING):
        lease = WriterLease(store, "run-2", TTL).acquire()
    assert "not renewed for" in caplog.text
    lease.release()


def test_a_holder_that_lost_its_lease_refuses_to_commit(store):
    lease = WriterLease(store, "run-1", TTL).acquire()
    lease._stop.set()  # its heartbeat stops, as when cut off from the store
    lease._state["heartbeat"].join()
    time.sleep(2.5 * TTL)
    taker = WriterLease(store, "run-2", TTL).acquire()
    with pytest.raises(LakeUnavailable, match="lost the writer lease .*now held by run run-2"):
        lease.confirm()
    lease.release()  # does not delete the new holder's lease
    assert json.loads(store.read_versioned(LEASE_KEY).data)["run_id"] == "run-2"
    taker.release()


def test_conditional_writes_refuse_a_stale_tag_and_a_second_create(store):
    tag = store.write_if("_state/x.json", b"one", tag=None)
    assert tag and store.write_if("_state/x.json", b"two", tag=None) is None
    assert store.write_if("_state/x.json", b"three", tag="not-the-tag") is None
    newer = store.write_if("_state/x.json", b"four", tag=tag)
    assert newer and store.read_versioned("_state/x.json").data == b"four"
    assert not store.delete_if("_state/x.json", tag) and store.delete_if("_state/x.json", newer)


def test_a_lost_answer_to_the_lease_write_still_gives_the_lease(proxy, caplog):
    bucket = "lake-lease-lost-answer"
    store = open_store(f"s3://{bucket}/lake", LakeConfig(max_attempts=3))
    store.client.create_bucket(Bucket=bucket)
    proxy.fail("PUT", "writer-lease", "drop")  # written, but the client hears nothing and retries: 412
    proxy.fail("GET", "writer-lease", "503")  # and the first look answers SlowDown: retried
    lease = WriterLease(store, "run-1", 60).acquire()
    assert [o for m, p, o in proxy.log if m == "PUT" and "writer-lease" in p] == ["drop(200)", "412"]
    assert json.loads(store.read_versioned(LEASE_KEY).data)["token"] == lease.token
    lease.release()
