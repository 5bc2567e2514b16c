"""The Scrapy component that owns a crawl's run: `IngestPipeline`.

Like Scrapy's `FilesPipeline`, it is built `from_crawler` (the settings and YAML are merged once into
`RunOptions`), owns its resources (one `IngestRun`: worker pool, dedup index, lake writer), opens them
when the spider opens and publishes when it closes. Every item goes through extract → dedup → lake;
every failure, expected (`Rejected`) or not, becomes a rejects row through `IngestRun.reject` and drops
the item: nothing is lost silently. Sources get the run from the `run_opened` signal
(`pipeline/signals.py`), never by importing this module. A run that cannot open, cannot publish,
was stopped early or failed too often internally sets `newsdedup/failure` (`pipeline/errors.py`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem
from twisted.python.failure import Failure

from pipeline.config import ConfigError
from pipeline.errors import Rejected, mark_failed
from pipeline.items import Article, RejectRecord
from pipeline.lake import LakeUnavailable
from pipeline.options import run_options
from pipeline.run import IngestRun
from pipeline.signals import run_opened
from pipeline.workers import quiet_libraries

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RUN_ID_STAT = "newsdedup/run_id"
LAKE_URI_STAT = "newsdedup/lake_uri"


class IngestPipeline:
    """Extract, deduplicate and land every `Article`; record every `RejectRecord`; publish at close."""

    def __init__(self, run: IngestRun, crawler: Crawler, manifest_settings: dict) -> None:
        self.run = run
        self.crawler = crawler
        self.stats = crawler.stats
        self.manifest_settings = manifest_settings
        self._unexpected: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        options = run_options(crawler.settings)  # ConfigError: the crawl does not start (one line, exit 1)
        quiet_libraries()
        manifest_settings = {
            "LAKE_URI": options.lake_uri,
            "EXTRACT_WORKERS": options.workers,
            "EXTRACT_TIMEOUT": options.doc_timeout,
            "DEDUP_BACKEND": options.dedup.backend,
            "FILES_MAX_BYTES": crawler.settings.getint("FILES_MAX_BYTES"),
        }
        pipeline = cls(IngestRun(options, count=crawler.stats.inc_value), crawler, manifest_settings)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the run, then tell the sources; any failure closes the spider before anything is fetched."""
        try:
            self.run.open()
        except (LakeUnavailable, ConfigError) as exc:
            self._refuse_start(str(exc))
        except Exception as exc:  # noqa: BLE001 - Redis down, a bug: the crawl must not run without its run
            logger.exception("opening the run failed")
            self._refuse_start(f"opening the run failed: {type(exc).__name__}: {exc}")
        self.stats.set_value(RUN_ID_STAT, self.run.run_id)
        self.stats.set_value(LAKE_URI_STAT, self.run.store.uri)
        for receiver, result in self.crawler.signals.send_catch_log(run_opened, run=self.run):
            if isinstance(result, Failure):
                self._refuse_start(f"{getattr(receiver, '__qualname__', receiver)}: {result.getErrorMessage()}")

    def _refuse_start(self, reason: str) -> None:
        # Without the lake there is no index to link against, and the inputs are still where they were
        # for the next run: stop before fetching anything.
        logger.error("%s; stopping the crawl", reason)
        mark_failed(self.stats, reason)
        self.run.close_pool()
        raise CloseSpider("run_not_opened")

    async def process_item(self, item):
        if isinstance(item, RejectRecord):
            self.run.reject(item.url, Rejected(item.stage, item.reason, item.detail))
            raise DropItem(f"{item.stage}/{item.reason}", log_level="DEBUG")
        if not isinstance(item, Article):
            return item
        stage = "extract"
        try:
            await self.run.extract(item)
            stage = "dedup"
            self.run.deduplicate(item)
            stage = "lake"
            self.run.land(item)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a rejects row
            if not isinstance(exc, Rejected):
                self._log_unexpected(item.url, exc)
                exc = Rejected(stage, "internal_error", f"{type(exc).__name__}: {exc}")
            self.run.reject(item.url, exc)
            raise DropItem(str(exc), log_level="DEBUG") from None  # `reject` logged it, once
        item.raw = b""  # the bytes are in no dataset; free them before Scrapy's stats/feeds see the item
        return item

    def _log_unexpected(self, url: str, error: Exception) -> None:
        # A broken pool fails every document the same way: one traceback per kind of error is enough.
        kind = f"{type(error).__name__}: {error}"
        if kind not in self._unexpected:
            self._unexpected.add(kind)
            logger.error("unexpected error on %s (further ones like it are only counted)", url, exc_info=error)

    def close_spider(self) -> None:
        """Publish what the run did (files, index state, manifest), then judge its error rate."""
        if not self.run.is_open:
            return  # the run never opened: nothing was fetched, nothing to publish
        try:
            manifest = self.run.close(self.manifest_settings)
        except LakeUnavailable as exc:
            logger.error("%s", exc)
            mark_failed(self.stats, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - reported as the run's failure; the spool is kept
            logger.exception("publishing the run failed")
            mark_failed(self.stats, f"publishing the run failed: {type(exc).__name__}: {exc}")
            return
        for dataset, rows in sorted(manifest.get("rows", {}).items()):
            self.stats.set_value(f"lake/rows/{dataset}", rows)
        logger.info("run %s published to %s", self.run.run_id, self.run.store.uri)
        failure = self.run.error_rate_failure()
        if failure:
            logger.error("%s", failure)
            mark_failed(self.stats, failure)

    def spider_closed(self, spider, reason: str) -> None:
        if reason == "shutdown":  # a stop signal (SIGINT, SIGTERM) or `crawler.stop()`
            mark_failed(
                self.stats,
                "stopped before every input was read (shutdown); what was processed is published "
                "or kept in the spool, and the next run on the same inputs ingests the rest",
            )
