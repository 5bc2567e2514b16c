"""The shared frontier's Redis side alone, on a real redis-server: what scrapy-redis loses when a
process dies, and how leases, runs and seeding keep it."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from scrapy import Request, Spider
from scrapy_redis.queue import PriorityQueue

from pipeline.crawl.frontier import LeasedQueue
from pipeline.crawl.leases import Leases, frontier_prefix

LEASE = 0.3  # seconds: a dead worker is noticed quickly


class Source(Spider):
    name = "news"

    def parse(self, response):
        pass


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def prefix() -> str:
    return frontier_prefix(f"site-{uuid.uuid4().hex[:6]}")


def worker(client, prefix: str, name: str, lease: float = LEASE) -> Leases:
    return Leases(client, prefix, name, lease)


def urls(queue, count: int) -> list[str]:
    return [queue.pop().url for _ in range(count)]


def test_scrapy_redis_alone_loses_what_a_killed_process_popped(client, prefix):
    queue = PriorityQueue(client, Source(), f"{prefix}:plain")
    for k in range(10):
        queue.push(Request(f"http://site.example/{k}"))
    popped = urls(queue, 3)  # then the process is killed before it fetched them
    assert len(queue) == 7
    left = {queue.pop().url for _ in range(7)}
    assert not left & set(popped), "nothing in Redis still knows the 3 popped requests: they are lost"


def test_leased_requests_of_a_dead_worker_go_back_to_the_queue(client, prefix):
    dying, survivor = worker(client, prefix, "a"), worker(client, prefix, "b")
    assert dying.join().seed and not survivor.join().seed
    queue = LeasedQueue(client, Source(), dying)
    for k in range(10):
        queue.push(Request(f"http://site.example/{k}", priority=k))
    popped = urls(queue, 3)
    assert popped == ["http://site.example/9", "http://site.example/8", "http://site.example/7"]
    assert dying.held() == 3 and len(queue) == 7
    survivor.heartbeat(busy=False)
    assert survivor.reap() == 0, "a live worker's requests are not taken"
    time.sleep(LEASE * 1.5)  # the dying worker stops renewing its lease
    assert survivor.reap() == 3 and len(queue) == 10
    mine = LeasedQueue(client, Source(), survivor)
    assert urls(mine, 3) == popped, "requeued with their priority"


def test_a_worker_that_leaves_without_publishing_requeues_what_it_held(client, prefix):
    failing = worker(client, prefix, "a", lease=30)
    failing.join()
    queue = LeasedQueue(client, Source(), failing)
    queue.push(Request("http://site.example/1"))
    urls(queue, 1)
    assert failing.leave(published=False) == (1, False)
    assert len(queue) == 1


def test_runs_seeding_idle_and_end(client, prefix):
    first, second = worker(client, prefix, "a", lease=30), worker(client, prefix, "b", lease=30)
    opened = first.join()
    assert opened.seed and opened.new_run
    joined = second.join()
    assert not joined.seed and not joined.new_run and joined.run_id == opened.run_id
    queue = LeasedQueue(client, Source(), first)
    queue.push(Request("http://site.example/1"))
    client.sadd(first.dupefilter_key, "fingerprint")
    assert second.has_work(), "a request is queued"
    urls(queue, 1)  # popping marks the first worker busy
    assert second.has_work(), "the first worker may still queue more"
    first.heartbeat(busy=False)
    assert not second.has_work()
    assert second.leave(published=True) == (0, False)
    assert first.leave(published=True) == (0, True), "the last worker of a drained run ends it"
    assert not client.exists(first.dupefilter_key, first.run_key, first.workers_key)
    again = worker(client, prefix, "c").join()
    assert again.seed and again.new_run and again.run_id != opened.run_id


def test_a_run_whose_workers_all_died_is_seeded_again_by_the_next_worker(client, prefix):
    dead = worker(client, prefix, "a")
    opened = dead.join()
    queue = LeasedQueue(client, Source(), dead)
    queue.push(Request("http://site.example/1"))
    urls(queue, 1)
    time.sleep(LEASE * 1.5)
    rescuer = worker(client, prefix, "b")
    joined = rescuer.join()
    assert joined.seed and not joined.new_run and joined.run_id == opened.run_id
    assert len(LeasedQueue(client, Source(), rescuer)) == 1, "the dead worker's request was requeued"
