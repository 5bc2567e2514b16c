"""What earlier runs already fetched, so a scheduled crawl skips known articles and sends conditional requests.

One record per canonical URL: what the page was (`article`, `listing`, `feed`, `rejected`, `alias`),
when it was fetched, and its validators (ETag, Last-Modified). Changes are buffered during the run and
written once at the end (`commit`), after the lake has published that run's articles: a crash before
then re-fetches pages instead of losing them. Two backends: a gzipped JSON object next to the lake
(`_state/crawl/seen/<source>.json.gz`) or a Redis hash.

The store also settles, for the crawl in progress, a page reached by a link before a feed or news
sitemap listed it (`listed` / `not_article`): in memory for one process, in Redis for processes
sharing a frontier, where the two events may happen in different processes.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from abc import ABC, abstractmethod
from typing import Any

from pipeline.lake.store import Store

logger = logging.getLogger(__name__)

Record = dict[str, Any]


def _safe_name(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", source).strip("._") or "default"


class SeenStore(ABC):
    """Read-through, write-at-commit map from canonical URL to its record."""

    def __init__(self) -> None:
        self._pending: dict[str, Record] = {}
        self._listing: dict[str, str] = {}

    def listed(self, url: str) -> bool:
        """Note that a feed or news sitemap lists `url`; True when it was already handled as a non-article."""
        return self._settle(url, "listed", "not_article")

    def not_article(self, url: str) -> bool:
        """Note that `url` was handled as a non-article; True when it is listed (so it is an article after all).

        Every time, not once: the process that settled it may have died before storing the page, and the
        page's requeued request (reached by a link, so not marked listed) is fetched again elsewhere."""
        return self._settle(url, "not_article", "listed")

    def _settle(self, url: str, mine: str, theirs: str) -> bool:
        """Record `mine` unless `theirs` is recorded: then mark the URL settled and return True (once for
        `listed`, so a page is asked for again once; always for `not_article`)."""
        state = self._listing.get(url)
        if state == theirs or (state == "settled" and mine == "not_article"):
            self._listing[url] = "settled"
            return True
        self._listing.setdefault(url, mine)
        return False

    def get(self, url: str) -> Record | None:
        """The record of `url`, including changes not committed yet."""
        return self._pending.get(url) or self._load(url)

    def put(self, url: str, record: Record) -> None:
        """Remember `url` (written at `commit`)."""
        self._pending[url] = record

    def pending(self) -> int:
        return len(self._pending)

    def commit(self) -> int:
        """Persist buffered records; returns how many were written."""
        if not self._pending:
            return 0
        count = len(self._pending)
        self._write(self._pending)
        self._pending = {}
        return count

    @abstractmethod
    def _load(self, url: str) -> Record | None: ...

    @abstractmethod
    def _write(self, records: dict[str, Record]) -> None: ...


class LakeSeenStore(SeenStore):
    """All records of one source in one gzipped JSON object under the lake's `_state/`."""

    def __init__(self, store: Store, source: str) -> None:
        super().__init__()
        self.store = store
        self.key = f"_state/crawl/seen/{_safe_name(source)}.json.gz"
        data = store.read_bytes(self.key)
        self._records: dict[str, Record] = json.loads(gzip.decompress(data)) if data else {}
        logger.info("seen-URL store %s/%s: %d known URLs", store.uri, self.key, len(self._records))

    def _load(self, url: str) -> Record | None:
        return self._records.get(url)

    def _write(self, records: dict[str, Record]) -> None:
        self._records.update(records)
        payload = json.dumps(self._records, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self.store.write_bytes(self.key, gzip.compress(payload.encode("utf-8"), mtime=0))

    def __len__(self) -> int:
        return len(self._records)


# KEYS: listing hash. ARGV: url, mine, theirs, ttl seconds. The same state machine as SeenStore._settle.
_SETTLE = """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if state == ARGV[3] or (state == 'settled' and ARGV[2] == 'not_article') then
  redis.call('HSET', KEYS[1], ARGV[1], 'settled')
  return 1
end
if not state then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 0
"""
LISTING_TTL = 86400  # listing states outlive any one crawl, and a stale one costs one request at most


class RedisSeenStore(SeenStore):
    """Records in one Redis hash per source (shared by crawlers on several machines)."""

    def __init__(self, redis_url: str, source: str) -> None:
        super().__init__()
        import redis  # optional dependency, only for this backend

        self.client = redis.Redis.from_url(redis_url)
        self.key = f"newsdedup:crawl:seen:{_safe_name(source)}"
        self.listing_key = f"newsdedup:crawl:listing:{_safe_name(source)}"
        self._settle_script = self.client.register_script(_SETTLE)
        self.client.ping()  # fail at start-up, not at the first page, when Redis is unreachable

    def _settle(self, url: str, mine: str, theirs: str) -> bool:
        return bool(self._settle_script(keys=[self.listing_key], args=[url, mine, theirs, LISTING_TTL]))

    def _load(self, url: str) -> Record | None:
        raw = self.client.hget(self.key, url)
        return json.loads(raw) if raw else None

    def _write(self, records: dict[str, Record]) -> None:
        pipe = self.client.pipeline(transaction=False)
        items = list(records.items())
        for start in range(0, len(items), 1000):
            chunk = dict(items[start : start + 1000])
            pipe.hset(self.key, mapping={u: json.dumps(r, separators=(",", ":")) for u, r in chunk.items()})
        pipe.execute()

    def __len__(self) -> int:
        return int(self.client.hlen(self.key))


def open_seen_store(source: str, store: Store, backend: str, redis_url: str | None = None) -> SeenStore:
    """Next to the dedup state: Redis for the `redis` backend, else the lake's `_state/` folder in `store`."""
    if backend == "redis":
        return RedisSeenStore(redis_url, source)
    return LakeSeenStore(store, source)
