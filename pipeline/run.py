"""One ingestion run, without Scrapy: raw articles in, a published lake and a committed index out.

`IngestRun` owns the run's identity, the worker pool, the dedup index and the lake writer, and is the
one place where a failure becomes a `rejects` row. In a crawl, one Scrapy component owns it
(`pipeline.pipelines.IngestPipeline`); a notebook or another framework drives it the same way:

    run = IngestRun(run_options({"LAKE_URI": "./lake"}))
    run.open(); ...; await run.extract(article); run.deduplicate(article); run.land(article); ...; run.close({})
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pipeline.dedup import GRANTED, KNOWN, make_doc_id
from pipeline.errors import INTERNAL_REASONS, Rejected
from pipeline.items import Article
from pipeline.lake import LakeWriter
from pipeline.lake.store import open_store
from pipeline.options import RunOptions, run_options
from pipeline.recovery import open_dedup
from pipeline.shared_templates import LOG_NAME, load_templates, store_templates
from pipeline.workerpool import WorkerPool, pool_for
from pipeline.workers import GivenMetadata

logger = logging.getLogger(__name__)

__all__ = ["IngestRun", "RunOptions", "new_run_id", "run_options"]


def new_run_id(now: datetime) -> str:
    """Sortable, unique run id: UTC start time plus random suffix."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class IngestRun:
    """Extract → dedup → land for one run; `count` receives stats as (key, increment)."""

    def __init__(self, options: RunOptions, count: Callable[[str, int], None] | None = None) -> None:
        self.options = options
        self.started_at = datetime.now(UTC)
        self.run_id = new_run_id(self.started_at)
        self.count = count or (lambda key, n=1: None)
        self._pool: WorkerPool | None = None
        self._templates_sent = False
        self.is_open = False
        self._warm_up: threading.Thread | None = None
        self.inputs_done = 0  # inputs landed, found already ingested, or rejected
        self.internal_failures = 0  # rejects whose reason is in INTERNAL_REASONS

    def open(self) -> None:
        """Connect to the lake, finish what an earlier incomplete run left in the spool, load the index.

        Raises `LakeUnavailable` when the store cannot be reached: nothing has been fetched yet.
        """
        self.store = open_store(self.options.lake_uri, self.options.lake)
        self.writer = LakeWriter(
            self.store,
            run_id=self.run_id,
            ingest_date=self.started_at.date(),
            spool_dir=Path(self.options.spool_dir),
            config=self.options.lake,
        )
        self.dedup = open_dedup(self.writer, self.options.dedup, count=self.count)
        self.templates = load_templates(self.store, self.writer.run.path / LOG_NAME)
        self.is_open = True
        self.start_workers()
        # The kernels `finish_run` needs load (~0.7 s) in the background while the source starts sending
        # documents, rather than before it can (or at the run's end); `close()` waits for them.
        self._warm_up = threading.Thread(target=self.dedup.warm_up, name="dedup-warm-up", daemon=True)
        self._warm_up.start()

    def start_workers(self) -> None:
        """Start the worker pool (or take the one started early); it warms up while the source gets ready."""
        if self._pool is None:
            options = self.options
            self._pool = pool_for(options.workers, options.doc_timeout, options.extract, options.dedup)

    @property
    def pool(self) -> WorkerPool:
        self.start_workers()
        if not self._templates_sent:
            # Workers read the templates once, at their first document: everything a source
            # observed before sending documents (the files spider's pre-pass) reaches them.
            self._pool.set_templates(self.templates)
            self._templates_sent = True
        return self._pool

    async def extract(self, article: Article) -> Article:
        """Fill title, text and metadata, and compute the dedup signature, in a worker process."""
        result = await self.pool.run(
            article.raw,
            article.content_kind,
            url=article.url,
            source=article.source,
            http_encoding=article.http_encoding,
            given=GivenMetadata(article.title, article.language, article.author, article.published_at),
        )
        found = result.extracted
        article.title, article.text, article.language = found.title, found.text, found.language
        article.author, article.published_at, article.extraction = found.author, found.published_at, found.extraction
        article.extra["signature"] = result.signature
        self.count(f"extract/{found.extraction}/ok", 1)
        if result.attempts > 1:
            self.count("extract/retried_after_crash", 1)
        if found.replaced_bytes:
            self.count("extract/decode/replaced_bytes", found.replaced_bytes)
            self.count("extract/decode/documents_with_replaced_bytes", 1)
        self.count("time_us/read", int(result.read_seconds * 1e6))
        self.count("time_us/extract", int(result.extract_seconds * 1e6))
        self.count("time_us/sign", int(result.sign_seconds * 1e6))
        self.count("time_us/worker_wait", int(result.wait_seconds * 1e6))
        return article

    def deduplicate(self, article: Article) -> None:
        """Give the article its identity and add it to the index; its links are decided at `close()`."""
        started = time.perf_counter()
        signature = article.extra.pop("signature")
        article.run_id = self.run_id
        article.content_hash = signature.content_hash
        article.doc_id = make_doc_id(article.url, signature.content_hash)
        answer = self.dedup.add(article.doc_id, article.url, signature)
        if answer != GRANTED:
            # KNOWN: an earlier run (or this one) has it; else another live process claimed it and lands it
            article.already_ingested = True
            self.count("dedup/already_ingested" if answer == KNOWN else "dedup/claimed_elsewhere", 1)
        self.count("time_us/dedup", int((time.perf_counter() - started) * 1e6))

    def land(self, article: Article) -> None:
        """Append the article to the run's spool (skipped if an earlier run landed it)."""
        self.inputs_done += 1
        if article.already_ingested:
            return
        started = time.perf_counter()
        self.writer.add_article(
            {
                "doc_id": article.doc_id,
                "url": article.url,
                "source": article.source,
                "title": article.title,
                "text": article.text,
                "language": article.language,
                "author": article.author,
                "published_at": article.published_at,
                "fetched_at": article.fetched_at,
                "extraction": article.extraction,
                "content_hash": article.content_hash,
                "run_id": self.run_id,
            }
        )
        self.count("lake/articles", 1)
        self.count("time_us/land", int((time.perf_counter() - started) * 1e6))

    def reject(self, url: str, error: Rejected) -> None:
        """The one place a failure becomes a rejects row (one log line) and a stats count."""
        self.inputs_done += 1
        if error.reason in INTERNAL_REASONS:
            self.internal_failures += 1
        logger.log(logging.WARNING if error.retryable else logging.INFO, "rejected %s: %s", url, error)
        self.writer.add_reject(
            {
                "url": url,
                "stage": error.stage,
                "reason": error.reason,
                "detail": error.detail,
                "run_id": self.run_id,
                "retryable": error.retryable,
            }
        )
        self.count(f"rejects/{error.stage}/{error.reason}", 1)

    def error_rate_failure(self) -> str | None:
        """Why the run failed when too many inputs failed inside the pipeline (not for what they are), else None."""
        if not self.inputs_done:
            return None
        share = self.internal_failures / self.inputs_done
        if share <= self.options.max_error_rate:
            return None
        return (
            f"{self.internal_failures} of {self.inputs_done} inputs ({share:.1%}) failed inside the pipeline "
            f"({', '.join(sorted(INTERNAL_REASONS))}), above INGEST_MAX_ERROR_RATE={self.options.max_error_rate:.1%}; "
            "their rejects are retryable and the next run tries them again"
        )

    def close(self, settings: dict) -> dict:
        """Decide the run's links and clusters, publish the lake, commit the index, then write the manifest."""
        self.close_pool()
        if self._warm_up is not None:
            self._warm_up.join()
        # Other processes sharing the index commit one at a time: this run is decided against all of them.
        try:
            with self.dedup.exclusive():
                return self._publish(settings)
        except BaseException:
            # Not published: its inputs may go back to a queue at once, so its claims are left to lapse rather
            # than renewed while this process winds down; the spool's recovery sorts out who landed what.
            self.dedup.abandon()
            raise

    def _publish(self, settings: dict) -> dict:
        outcome = self.dedup.finish_run()
        for link in outcome.links:
            self.writer.add_link(
                {
                    "doc_id": link.doc_id,
                    "other_doc_id": link.other_doc_id,
                    "kind": link.kind,
                    "similarity": float(link.similarity),
                    "method": link.method,
                    "run_id": self.run_id,
                }
            )
            self.count(f"dedup/{link.kind}/linked", 1)
        pairs = {doc_id: (a.near_dup_of, a.story_id) for doc_id, a in outcome.assignments.items()}

        def commit_state() -> None:
            self.dedup.commit(outcome)
            if store_templates(self.store, self.templates.log, self.templates):
                self.count("templates/merged_with_other_runs", 1)

        index_run = outcome.update.run_seq if outcome.update is not None else None
        return self.writer.close(pairs, settings=settings, index_run=index_run, before_manifest=commit_state)

    def close_pool(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
