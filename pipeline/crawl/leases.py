"""The shared crawl frontier's bookkeeping in Redis: runs, workers, and leases on popped requests.

scrapy-redis keeps the queue (a sorted set of encoded requests, scored by priority) and the
dupefilter (a set of fingerprints), but a popped request lives only in the memory of the process
that popped it: a process killed with SIGKILL loses it, and the dupefilter makes sure nobody asks
for it again. Here a pop moves the request into the worker's `held` hash in the same atomic step;
the worker keeps an `alive` key with a short expiry renewed by its heartbeat. Held requests are
released once the worker's run is published (its items are safe in the lake), or pushed back to
the queue when the worker leaves without publishing or dies (its `alive` key expired: any other
worker, or the next one to start, "reaps" it).

A run is one pass of a source's frontier: it starts when a worker joins and no run is open (the
queue and dupefilter are new), and ends when the last worker leaves with the queue empty (then the
next scheduled start begins a new run: entry points read again, a fresh dupefilter). A worker that
joins a run on which no live worker is working seeds it (reads sitemaps, feeds and start pages),
whether the run is new or was left by workers that died; the others only pop. All keys of a source
share one `{...}` hash tag, so the Lua scripts touch a single Redis Cluster slot.

No Scrapy here: requests are opaque bytes. Scrapy-facing code is in `frontier.py`.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# KEYS: workers, run, queue, dupefilter. ARGV: prefix, worker, lease ms, run id, now.
_JOIN = """
local live = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':alive:' .. w) == 1 then live = live + 1 end
end
local new_run = 0
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[2], 'id', ARGV[4], 'started', ARGV[5], 'seeded', 0)
  new_run = 1
end
local seed = 0
if live == 0 then
  seed = 1
  redis.call('HINCRBY', KEYS[2], 'seeded', 1)
end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SET', ARGV[1] .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('SET', ARGV[1] .. ':busy:' .. ARGV[2], '1', 'PX', ARGV[3])
return {seed, new_run, redis.call('HGET', KEYS[2], 'id')}
"""

# Push every entry of one held hash back to the queue ("score\\nrequest"). ARGV: held key, queue key.
_REQUEUE = """
local function requeue(held, queue)
  local moved = 0
  for _, value in ipairs(redis.call('HVALS', held)) do
    local cut = string.find(value, '\\n', 1, true)
    redis.call('ZADD', queue, tonumber(string.sub(value, 1, cut - 1)), string.sub(value, cut + 1))
    moved = moved + 1
  end
  redis.call('DEL', held)
  return moved
end
"""

# KEYS: workers, queue. ARGV: prefix. Requeues the held requests of workers whose lease expired.
_REAP = _REQUEUE + """
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':alive:' .. w) == 0 then
    moved = moved + requeue(ARGV[1] .. ':held:' .. w, KEYS[2])
    redis.call('DEL', ARGV[1] .. ':busy:' .. w)
    redis.call('SREM', KEYS[1], w)
  end
end
return moved
"""

# KEYS: queue, workers. ARGV: prefix, worker, lease ms. Pops the best request into the worker's lease.
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.call('INCR', ARGV[1] .. ':lease_ids')
redis.call('HSET', ARGV[1] .. ':held:' .. ARGV[2], id, top[2] .. '\\n' .. top[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SET', ARGV[1] .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('SET', ARGV[1] .. ':busy:' .. ARGV[2], '1', 'PX', ARGV[3])
return top[1]
"""

# KEYS: workers. ARGV: prefix, worker, lease ms, busy (0/1). Returns 1 when the lease had expired.
_HEARTBEAT = """
local lost = 1 - redis.call('EXISTS', ARGV[1] .. ':alive:' .. ARGV[2])
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SET', ARGV[1] .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
if ARGV[4] == '1' then
  redis.call('SET', ARGV[1] .. ':busy:' .. ARGV[2], '1', 'PX', ARGV[3])
else
  redis.call('DEL', ARGV[1] .. ':busy:' .. ARGV[2])
end
return lost
"""

# KEYS: workers, queue. ARGV: prefix, worker. 1 while the run has work: queued, or in progress elsewhere.
_HAS_WORK = """
if redis.call('ZCARD', KEYS[2]) > 0 then return 1 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if w ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. ':busy:' .. w) == 1 then return 1 end
end
return 0
"""

# KEYS: workers, queue, run, dupefilter. ARGV: prefix, worker, release (1: run published, 0: requeue).
# Returns {requests requeued, 1 if this worker ended the run}.
_LEAVE = _REQUEUE + """
local held = ARGV[1] .. ':held:' .. ARGV[2]
local moved = 0
if ARGV[3] == '1' then redis.call('DEL', held) else moved = requeue(held, KEYS[2]) end
redis.call('DEL', ARGV[1] .. ':busy:' .. ARGV[2], ARGV[1] .. ':alive:' .. ARGV[2])
redis.call('SREM', KEYS[1], ARGV[2])
if redis.call('SCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3], KEYS[4], ARGV[1] .. ':lease_ids')
  return {moved, 1}
end
return {moved, 0}
"""


def frontier_prefix(source: str) -> str:
    """Key prefix of one source's frontier; the hash tag keeps all its keys in one cluster slot."""
    return "newsdedup:frontier:{" + source.replace("%", "_") + "}"


@dataclass(frozen=True)
class Joined:
    """What a worker learned when it joined: whether it seeds, whether the run is new, its id, and how
    many requests of dead workers it put back in the queue."""

    seed: bool
    new_run: bool
    run_id: str
    requeued: int


class Leases:
    """One worker's view of a source's frontier run (Redis client from redis-py, bytes responses)."""

    def __init__(self, client: Any, prefix: str, worker: str, lease_seconds: float) -> None:
        if lease_seconds <= 0:
            raise ValueError(f"the lease must last a positive number of seconds, got {lease_seconds}")
        self.client = client
        self.prefix = prefix
        self.worker = worker
        self.lease_ms = int(lease_seconds * 1000)
        self.queue_key = f"{prefix}:requests"
        self.dupefilter_key = f"{prefix}:dupefilter"
        self.workers_key = f"{prefix}:workers"
        self.run_key = f"{prefix}:run"
        self._join = client.register_script(_JOIN)
        self._reap = client.register_script(_REAP)
        self._pop = client.register_script(_POP)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._has_work = client.register_script(_HAS_WORK)
        self._leave = client.register_script(_LEAVE)

    def join(self) -> Joined:
        """Reap dead workers, then join the open run (opening one if none is); seed if nobody is working."""
        requeued = self.reap()
        seed, new_run, run_id = self._join(
            keys=[self.workers_key, self.run_key, self.queue_key, self.dupefilter_key],
            args=[self.prefix, self.worker, self.lease_ms, uuid.uuid4().hex[:12], f"{time.time():.3f}"],
        )
        return Joined(bool(seed), bool(new_run), run_id.decode() if isinstance(run_id, bytes) else str(run_id), requeued)

    def pop(self) -> bytes | None:
        """The highest-priority request, now held by this worker; None when the queue is empty."""
        return self._pop(keys=[self.queue_key, self.workers_key], args=[self.prefix, self.worker, self.lease_ms]) or None

    def heartbeat(self, busy: bool) -> bool:
        """Renew this worker's lease and busy flag; True when the lease had expired (requests may run twice)."""
        return bool(self._heartbeat(keys=[self.workers_key], args=[self.prefix, self.worker, self.lease_ms, int(busy)]))

    def renew(self) -> None:
        """Renew only this worker's lease (from a thread: a reactor busy closing the run must not lose it)."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self.workers_key, self.worker)
            pipe.set(f"{self.prefix}:alive:{self.worker}", 1, px=self.lease_ms)
            pipe.execute()

    def reap(self) -> int:
        """Push the held requests of workers whose lease expired back to the queue; how many."""
        return int(self._reap(keys=[self.workers_key, self.queue_key], args=[self.prefix]))

    def has_work(self) -> bool:
        """Whether the run still has work: requests queued, or another worker busy (it may queue more)."""
        return bool(self._has_work(keys=[self.workers_key, self.queue_key], args=[self.prefix, self.worker]))

    def leave(self, *, published: bool) -> tuple[int, bool]:
        """Leave the run: release held requests (their results were published) or requeue them.

        Returns (requests requeued, whether this worker ended the run: nobody left, nothing queued).
        """
        moved, ended = self._leave(
            keys=[self.workers_key, self.queue_key, self.run_key, self.dupefilter_key],
            args=[self.prefix, self.worker, int(published)],
        )
        return int(moved), bool(ended)

    def held(self) -> int:
        """How many requests this worker holds (popped, not yet released)."""
        return int(self.client.hlen(f"{self.prefix}:held:{self.worker}"))
