"""Atomic doc_id claims on a shared Redis index: the first live process to meet a page lands it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
import redis

from pipeline.config import ConfigError
from pipeline.dedup import CLAIMED, GRANTED, KNOWN, DedupConfig, Deduplicator, open_index
from pipeline.lake.store import LocalStore

from .conftest import seed_doc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _shared(config, redis_url, ttl: float = 30.0):
    prefix = f"test:{uuid.uuid4().hex}"
    return dataclasses.replace(config, backend="redis", redis_url=redis_url, redis_prefix=prefix, claim_ttl_seconds=ttl)


def _commit(dedup: Deduplicator):
    with dedup.exclusive():
        decision = dedup.finish_run()
        dedup.commit(decision)
    return decision


def test_two_processes_meeting_the_same_pages_land_each_once(config, seed_bodies, redis_url):
    shared = _shared(config, redis_url)
    first, second = (Deduplicator(shared, open_index(shared)) for _ in range(2))
    docs = {key: seed_doc(seed_bodies, key, config) for key in ("000", "001", "002")}
    assert [first.add(*docs[k]) for k in ("000", "001")] == [GRANTED, GRANTED]
    assert [second.add(*docs[k]) for k in ("001", "002")] == [CLAIMED, GRANTED]
    assert second.add(*docs["002"]) == KNOWN  # met twice in one run
    assert second.stats["dedup/claimed_elsewhere"] == 1
    landed = [sorted(_commit(d).assignments) for d in (first, second)]
    assert landed == [sorted([docs["000"][0], docs["001"][0]]), [docs["002"][0]]]
    index = redis.Redis.from_url(redis_url)
    assert index.hlen(f"{shared.redis_prefix}:docs") == 3
    assert not index.keys(f"{shared.redis_prefix}:claim*")  # the claims became the records
    third = Deduplicator(shared, open_index(shared))
    assert [third.add(*docs[k]) for k in ("000", "001", "002")] == [KNOWN] * 3


def test_a_live_claim_outlasts_its_ttl_and_a_dead_one_expires(config, seed_bodies, redis_url):
    shared = _shared(config, redis_url, ttl=0.6)
    doc_id, url, sig = seed_doc(seed_bodies, "003", config)
    holder = Deduplicator(shared, open_index(shared))
    assert holder.add(doc_id, url, sig) == GRANTED
    time.sleep(1.5)  # 2.5 TTLs: renewed from the holder's thread meanwhile
    other = Deduplicator(shared, open_index(shared))
    assert other.add(doc_id, url, sig) == CLAIMED
    holder.abandon()  # renewing no more, as a dead process: its claim ends with the TTL
    time.sleep(1.0)
    assert other.add(doc_id, url, sig) == GRANTED
    assert _commit(other).assignments.keys() == {doc_id}


def test_the_claims_of_a_killed_process_are_released_by_expiry(config, seed_bodies, redis_url):
    shared = _shared(config, redis_url, ttl=1.0)
    doc_id, url, sig = seed_doc(seed_bodies, "004", config)
    script = textwrap.dedent(f"""
        import sys, time
        from pipeline.dedup import DedupConfig, Deduplicator, open_index, compute_signature
        config = DedupConfig(backend="redis", redis_url={redis_url!r}, redis_prefix={shared.redis_prefix!r},
                             claim_ttl_seconds=1.0)
        dedup = Deduplicator(config, open_index(config))
        print(dedup.claims.claim({doc_id!r}), flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == GRANTED
        other = Deduplicator(shared, open_index(shared))
        time.sleep(1.5)  # alive, it renews
        assert other.add(doc_id, url, sig) == CLAIMED
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while other.add(doc_id, url, sig) == CLAIMED:
            assert time.monotonic() < deadline, "the dead process's claim did not expire"
            time.sleep(0.1)
        assert _commit(other).assignments.keys() == {doc_id}
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()


def test_a_run_committing_after_another_is_decided_against_it(config, seed_bodies, redis_url):
    """000 and 002 are one story; the run that started first but commits last links to the other's document."""
    shared = _shared(config, redis_url)
    early, late = (Deduplicator(shared, open_index(shared)) for _ in range(2))
    doc_000, doc_002 = seed_doc(seed_bodies, "000", config), seed_doc(seed_bodies, "002", config)
    early.add(*doc_002)
    late.add(*doc_000)
    first = _commit(late)
    assert first.links == []
    second = _commit(early)
    assert [(x.doc_id, x.other_doc_id, x.kind) for x in second.links] == [(doc_002[0], doc_000[0], "same_story")]
    # the representative is the document committed first, as in a single run where it is the smaller url
    assert second.assignments[doc_002[0]].story_id == doc_000[0]


def test_exclusive_serializes_deciding_and_committing(config, redis_url):
    shared = _shared(config, redis_url, ttl=0.6)
    holder, waiter = (open_index(shared) for _ in range(2))
    order: list[str] = []
    with holder.exclusive(600):

        def wait_turn() -> None:
            with waiter.exclusive(600):
                order.append("waiter")

        thread = threading.Thread(target=wait_turn)
        thread.start()
        time.sleep(1.5)  # longer than the lock's timeout: renewed while held
        order.append("holder")
    thread.join(10)
    assert order == ["holder", "waiter"]


def test_the_lake_backend_grants_what_it_does_not_know(tmp_path, config, seed_bodies):
    index = open_index(config, LocalStore(tmp_path / "lake"))
    dedup = Deduplicator(config, index)
    doc = seed_doc(seed_bodies, "001", config)
    assert dedup.add(*doc) == GRANTED
    dedup.commit(dedup.finish_run())
    assert index.claim([doc[0], "0" * 20], "any", 1000) == [KNOWN, GRANTED]


def test_a_claim_may_not_outlive_the_lease_that_hands_work_to_another_process():
    """A claim held by a dead process past the lease of its work (a frontier request, a queued input) would
    make the process that takes the work over find every page claimed, and land none."""
    shared = DedupConfig(backend="redis", redis_url="redis://127.0.0.1:1/0", claim_ttl_seconds=25)
    with pytest.raises(ConfigError, match="DEDUP_CLAIM_TTL_SECONDS .* FRONTIER_LEASE_SECONDS"):
        shared.check_claims_within(30.0, "FRONTIER_LEASE_SECONDS")
    shared.check_claims_within(60.0, "FILES_QUEUE_LEASE_SECONDS")
    DedupConfig(claim_ttl_seconds=25).check_claims_within(30.0, "FRONTIER_LEASE_SECONDS")  # one writer: no claims
