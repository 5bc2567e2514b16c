"""Rebuild the dedup index from the lake's articles: `newsdedup reindex --lake URI`.

The index is derived data: every article row keeps what its signature is made of (text, language, title,
publish date). When the index cannot be used (a new index format after an upgrade, changed signature
parameters, a lost Redis, a damaged state folder), it is rebuilt here, run by run in the order the runs
were published, each run decided against the runs before it and committed, as the crawls themselves did.
Afterwards scheduled crawls link new articles to old ones again.

Rows already in the lake are not rewritten: their `near_dup_of` / `story_id` stay what their run decided.
When today's rules would cluster an article differently, the article is counted (`changed`) so the
operator knows; new articles are linked by today's rules.

Like `recovery`, this module knows both the lake and the dedup engine. It takes the lake's writer lease,
so no crawl with the lake backend writes while the index is rebuilt; crawls with the Redis backend do not
take that lease and must be stopped first (docs/dedup.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline.config import ConfigError
from pipeline.dedup import DedupConfig, Deduplicator, compute_signature, open_index
from pipeline.errors import Rejected
from pipeline.lake.lease import WriterLease
from pipeline.lake.manifest import list_run_ids
from pipeline.lake.read import open_dataset
from pipeline.lake.store import Store
from pipeline.options import RunOptions
from pipeline.run import new_run_id

logger = logging.getLogger(__name__)

SIGNED_COLUMNS = ["doc_id", "url", "title", "text", "language", "published_at", "near_dup_of", "story_id"]


@dataclass
class Reindexed:
    runs: int = 0
    documents: int = 0  # indexed
    unsigned: int = 0  # rows that cannot be signed any more (kept in the lake, not indexed)
    changed: int = 0  # articles today's rules would cluster differently than their row says
    seconds: float = 0.0


def clear_index(config: DedupConfig, store: Store) -> int:
    """Remove the index state of `config`'s backend; returns how many keys were removed."""
    if config.backend == "redis":
        import redis

        client = redis.Redis.from_url(config.redis_url)
        keys = list(client.scan_iter(match=f"{config.redis_prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        return len(keys)
    keys = store.list_keys(config.state_prefix)
    store.delete_keys(keys)
    return len(keys)


def _runs(articles: ds.Dataset) -> list[tuple[str, object]]:
    """(run_id, ingest_date) of every run that landed articles, oldest first (run ids sort by time)."""
    pairs = articles.to_table(columns=["run_id", "ingest_date"]).group_by(["run_id", "ingest_date"]).aggregate([])
    return sorted(zip(pairs["run_id"].to_pylist(), pairs["ingest_date"].to_pylist(), strict=True))


def reindex(store: Store, lake_uri: str, options: RunOptions) -> Reindexed:
    """Clear the configured index and rebuild it from the articles of the lake at `lake_uri`."""
    started = time.perf_counter()
    if not list_run_ids(store):
        raise ConfigError(f"{lake_uri} holds no published run: there is nothing to index (is the lake URI right?)")
    lease = WriterLease(store, new_run_id(datetime.now(UTC)), options.lake.lease_seconds).acquire()
    try:
        config = options.dedup
        removed = clear_index(config, store)
        logger.info("dedup index: %d key(s) of the old state removed", removed)
        articles = open_dataset(lake_uri, "articles")
        done = Reindexed()
        dedup = Deduplicator(config, open_index(config, store))  # one run after another, as crawls commit them
        for run_id, day in _runs(articles):
            rows = articles.to_table(
                columns=SIGNED_COLUMNS,
                filter=(pc.field("ingest_date") == day) & (pc.field("run_id") == run_id),
            )
            landed = {}
            for row in rows.to_pylist():
                if row["doc_id"] in landed or dedup.is_known(row["doc_id"]):
                    continue  # a row twice (an uncompacted overlap) is one document
                try:
                    signature = compute_signature(
                        row["text"], row["language"], config, title=row["title"], published_at=row["published_at"]
                    )
                except Rejected as exc:
                    logger.warning("run %s: %s cannot be signed (%s); it stays in the lake, not indexed", run_id, row["url"], exc)
                    done.unsigned += 1
                    continue
                dedup.add(row["doc_id"], row["url"], signature)
                landed[row["doc_id"]] = (row["near_dup_of"], row["story_id"])
            with dedup.exclusive():  # a shared (Redis) index: decided and committed as crawls do, one run at a time
                decision = dedup.finish_run()
                lease.confirm()  # still the lake's writer: commit
                dedup.commit(decision)
            done.runs += 1
            done.documents += len(landed)
            done.changed += sum(
                (a.near_dup_of, a.story_id) != landed[doc_id] for doc_id, a in decision.assignments.items()
            )
            logger.info("run %s: %d document(s) indexed", run_id, len(landed))
        dedup.index.close()
        done.seconds = time.perf_counter() - started
        return done
    finally:
        lease.release()
