"""A Redis list of file inputs shared by any number of `scrapy crawl files` processes, with leases.

    newsdedup enqueue backfill s3://archive/cc-news/2024/ /data/dumps/   # fill the list
    scrapy crawl files -a queue=backfill -s REDIS_URL=redis://...         # on every host, as often as wanted

Each entry is what `-a path=` takes: a local path or an ``s3://`` URI of a file, a folder or an archive
shard. A process pops entries one at a time while it reads; a popped entry moves, in the same Lua
script, into the process's `held` list, and the process keeps a short `alive` key renewed from a thread.
Its held entries are dropped (acked) only once the run that read them is published; when the run is not
published they go back to the list, and when the process dies (SIGKILL, host lost) its `alive` key
expires and the next process to pop puts them back first. The same rule as the web crawl's frontier
(`pipeline/crawl/leases.py`), on a plain list: an input is read again rather than lost.

Keys under ``newsdedup:inputs:{NAME}`` (one Redis Cluster slot): `:pending` (list), `:workers` (set),
`:held:<worker>` (list), `:alive:<worker>` (lease). No Scrapy here.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.config import ConfigError
from pipeline.items import Article, RejectRecord
from pipeline.renewal import Renewal
from pipeline.sources import InputNotFound, SourceOptions, items_for, resolve_root

if TYPE_CHECKING:
    from pipeline.dedup import DedupConfig

logger = logging.getLogger(__name__)

# Move every held entry of workers whose lease expired back to the list. KEYS: workers, pending. ARGV: prefix.
_REAP = """
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':alive:' .. w) == 0 then
    local held = ARGV[1] .. ':held:' .. w
    for _, entry in ipairs(redis.call('LRANGE', held, 0, -1)) do
      redis.call('LPUSH', KEYS[2], entry)
      moved = moved + 1
    end
    redis.call('DEL', held)
    redis.call('SREM', KEYS[1], w)
  end
end
return moved
"""

# KEYS: workers, pending. ARGV: prefix, worker, lease ms. Reaps, then pops one entry into the worker's lease.
_POP = _REAP.replace("return moved", "") + """
local entry = redis.call('LPOP', KEYS[2])
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SET', ARGV[1] .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
if entry then redis.call('RPUSH', ARGV[1] .. ':held:' .. ARGV[2], entry) end
return {entry or false, moved}
"""

# KEYS: workers, pending. ARGV: prefix, worker, published (1: ack, 0: back to the list). Returns entries requeued.
_LEAVE = """
local held = ARGV[1] .. ':held:' .. ARGV[2]
local moved = 0
if ARGV[3] == '0' then
  for _, entry in ipairs(redis.call('LRANGE', held, 0, -1)) do
    redis.call('LPUSH', KEYS[2], entry)
    moved = moved + 1
  end
end
redis.call('DEL', held, ARGV[1] .. ':alive:' .. ARGV[2])
redis.call('SREM', KEYS[1], ARGV[2])
return moved
"""


def queue_prefix(name: str) -> str:
    """Key prefix of one input list; the hash tag keeps its keys in one cluster slot."""
    return "newsdedup:inputs:{" + name + "}"


@dataclass(frozen=True)
class QueueStatus:
    """What a list holds: entries waiting, and entries popped but not acked, by process."""

    pending: int
    held: dict[str, int]  # worker -> entries it holds (alive or not yet reaped)


class InputQueue:
    """One process's view of a named input list (a redis-py client: `redis.Redis.from_url(REDIS_URL)`)."""

    def __init__(self, client: Any, name: str, lease_seconds: float = 60.0) -> None:
        if not name:
            raise ValueError("an input queue needs a name")
        if lease_seconds <= 0:
            raise ValueError(f"the lease must last a positive number of seconds, got {lease_seconds}")
        self.client = client
        self.name = name
        self.prefix = queue_prefix(name)
        self.pending_key = f"{self.prefix}:pending"
        self.workers_key = f"{self.prefix}:workers"
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_ms = int(lease_seconds * 1000)
        self.requeued = 0  # entries of dead workers this process put back
        self._pop = client.register_script(_POP)
        self._leave = client.register_script(_LEAVE)
        self._renewal = Renewal(self.renew, self.lease_ms / 3000, f"input queue {name} lease")

    def push(self, entries: list[str]) -> int:
        """Append entries to the list; returns its length."""
        return int(self.client.rpush(self.pending_key, *entries)) if entries else self.status().pending

    def pop(self) -> str | None:
        """The next entry, now leased to this process (None when the list is empty)."""
        entry, moved = self._pop(keys=[self.workers_key, self.pending_key], args=[self.prefix, self.worker, self.lease_ms])
        if moved:
            self.requeued += int(moved)
            logger.info("input queue %s: %d input(s) of dead processes put back", self.name, moved)
        self._renewal.start()
        return entry.decode() if isinstance(entry, bytes) else entry or None

    def renew(self) -> None:
        """Extend this process's lease (called from the renewal thread)."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self.workers_key, self.worker)
            pipe.set(f"{self.prefix}:alive:{self.worker}", 1, px=self.lease_ms)
            pipe.execute()

    def leave(self, *, published: bool) -> int:
        """Ack the held entries (their run is published) or put them back; returns how many were put back."""
        self._renewal.stop()
        return int(self._leave(keys=[self.workers_key, self.pending_key], args=[self.prefix, self.worker, int(published)]))

    def check_claims(self, dedup: DedupConfig) -> None:
        """Refuse a dedup claim TTL that could outlive this lease (see `DedupConfig.check_claims_within`)."""
        dedup.check_claims_within(self.lease_ms / 1000, "FILES_QUEUE_LEASE_SECONDS")

    def held(self) -> list[str]:
        """The entries this process holds (popped, not yet acked)."""
        return [e.decode() for e in self.client.lrange(f"{self.prefix}:held:{self.worker}", 0, -1)]

    def status(self) -> QueueStatus:
        """Entries waiting, and held by each process that popped some."""
        workers = sorted(w.decode() for w in self.client.smembers(self.workers_key))
        pipe = self.client.pipeline(transaction=False)
        pipe.llen(self.pending_key)
        for worker in workers:
            pipe.llen(f"{self.prefix}:held:{worker}")
        pending, *held = pipe.execute()
        return QueueStatus(int(pending), dict(zip(workers, map(int, held), strict=True)))


def open_queue(url: str | None, name: str, lease_seconds: float) -> InputQueue:
    """The named input list in Redis at `url`; a missing or unreachable Redis is a `ConfigError` (start-up)."""
    if not url:
        raise ConfigError("the input queue needs REDIS_URL (-s REDIS_URL=redis://HOST:6379/0 or the environment)")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach REDIS_URL {url} for the input queue {name!r}: {exc}") from None
    return InputQueue(client, name, lease_seconds)


def queued_items(
    queue: InputQueue,
    options: SourceOptions,
    count: Callable[[str, int], None],
    observe_text: Callable[[str, str], None] | None = None,
) -> Iterator[Article | RejectRecord]:
    """The items of every entry this process pops, one entry at a time, until the list is empty."""
    while (entry := queue.pop()) is not None:
        count("files/queue/popped", 1)
        logger.info("input queue %s: reading %s", queue.name, entry)
        try:
            yield from items_for(resolve_root(entry), options, count, observe_text)
        except InputNotFound as exc:  # a path gone since it was queued: a reject, and the next entry
            yield RejectRecord(entry, "read", "not_found", str(exc))
