"""Thin Scrapy item pipelines: extract → dedup → lake, all calling one `IngestRun` per crawl.

Every failure, expected (`Rejected`) or not, becomes a rejects row through `IngestRun.reject` and
drops the item; nothing is lost silently. A lake that cannot be published marks the crawl failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from scrapy.exceptions import DropItem

from pipeline.commands.crawl import FAILURE_STAT
from pipeline.config import ConfigError, load_section
from pipeline.dedup import load_config as load_dedup_config
from pipeline.errors import Rejected
from pipeline.extract import load_config as load_extract_config
from pipeline.items import Article, RejectRecord
from pipeline.lake import LakeConfig, LakeUnavailable
from pipeline.run import IngestRun, RunOptions
from pipeline.workers import start_early

logger = logging.getLogger(__name__)

_RUN_ATTR = "_newsdedup_run"
SETTINGS_IN_MANIFEST = ("LAKE_URI", "EXTRACT_WORKERS", "EXTRACT_TIMEOUT", "DEDUP_BACKEND", "FILES_MAX_BYTES")


def run_options_from_settings(settings) -> RunOptions:
    """Map Scrapy settings (and configs/*.yaml) onto `RunOptions`; bad config fails at start-up."""
    try:
        dedup = load_dedup_config()
        dedup = dataclasses.replace(
            dedup,
            backend=settings.get("DEDUP_BACKEND") or dedup.backend,
            redis_url=settings.get("REDIS_URL") or dedup.redis_url,
        )
        return RunOptions(
            lake_uri=settings.get("LAKE_URI"),
            spool_dir=settings.get("LAKE_SPOOL_DIR"),
            workers=settings.getint("EXTRACT_WORKERS"),
            doc_timeout=settings.getfloat("EXTRACT_TIMEOUT"),
            extract=load_extract_config(),
            dedup=dedup,
            lake=load_section(LakeConfig, "lake.yaml"),
        )
    except ValueError as exc:  # ConfigError included
        raise ConfigError(f"newsdedup configuration error: {exc}") from exc


def start_workers_early(settings) -> None:
    """Start the extraction workers before Scrapy builds the crawler; the run takes them over (`workers.pool_for`)."""
    try:
        options = run_options_from_settings(settings)
    except ConfigError:
        return  # reported, and the crawl stopped, when the run is created
    start_early(options.workers, options.doc_timeout, options.extract, options.dedup)


def get_run(crawler) -> IngestRun:
    """The crawl's single `IngestRun`, created on first use and shared by all components."""
    run = getattr(crawler, _RUN_ATTR, None)
    if run is None:
        try:
            options = run_options_from_settings(crawler.settings)
        except ConfigError as exc:
            crawler.stats.set_value(FAILURE_STAT, str(exc))
            raise
        run = IngestRun(options, count=crawler.stats.inc_value)
        setattr(crawler, _RUN_ATTR, run)
        crawler.stats.set_value("newsdedup/run_id", run.run_id)
        crawler.stats.set_value("newsdedup/lake_uri", options.lake_uri)
    return run


class _RunPipeline:
    def __init__(self, run: IngestRun, crawler) -> None:
        self.run = run
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(get_run(crawler), crawler)

    def _reject(self, item: Article, error: Exception) -> DropItem:
        if not isinstance(error, Rejected):
            logger.exception("unexpected error on %s", item.url)
            error = Rejected(self.stage, "internal_error", f"{type(error).__name__}: {error}")
        self.run.reject(item.url, error)
        return DropItem(str(error), log_level="INFO")


class ExtractPipeline(_RunPipeline):
    """Boilerplate removal and signatures, off the reactor thread."""

    stage = "extract"

    def open_spider(self) -> None:
        try:
            self.run.open()
        except LakeUnavailable as exc:
            # Stop before fetching anything: without the lake there is no index to link against,
            # and the inputs are still where they were for the next run.
            logger.error("%s; stopping the crawl", exc)
            self.crawler.stats.set_value(FAILURE_STAT, str(exc))
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="lake_unavailable"))
            )

    async def process_item(self, item):
        if not self.run.is_open:
            raise DropItem("the lake is unreachable; the crawl is stopping", log_level="DEBUG")
        if not isinstance(item, Article):
            return item
        try:
            return await self.run.extract(item)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a rejects row
            raise self._reject(item, exc) from exc

    def close_spider(self) -> None:
        self.run.close_pool()


class DedupPipeline(_RunPipeline):
    """Identity and links against the persistent index (single writer, in the main process)."""

    stage = "dedup"

    def process_item(self, item):
        if not isinstance(item, Article):
            return item
        try:
            self.run.deduplicate(item)
        except Exception as exc:  # noqa: BLE001
            raise self._reject(item, exc) from exc
        return item


class LakePipeline(_RunPipeline):
    """Spools rows during the crawl; publishes files, index state and manifest when it closes."""

    stage = "lake"

    def process_item(self, item):
        if isinstance(item, RejectRecord):
            self.run.reject(item.url, Rejected(item.stage, item.reason, item.detail))
            raise DropItem(f"{item.stage}/{item.reason}: {item.url}", log_level="INFO")
        if isinstance(item, Article):
            try:
                self.run.land(item)
            except Exception as exc:  # noqa: BLE001
                raise self._reject(item, exc) from exc
            item.raw = b""  # the bytes are in no dataset; free them before Scrapy's stats/feeds see the item
        return item

    def close_spider(self) -> None:
        if not self.run.is_open:
            return  # the lake was unreachable at start: nothing was fetched, nothing to publish
        settings = {name: self.crawler.settings.get(name) for name in SETTINGS_IN_MANIFEST}
        try:
            manifest = self.run.close(settings)
        except LakeUnavailable as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value(FAILURE_STAT, str(exc))
            return
        except Exception as exc:
            logger.exception("publishing the run failed")
            self.crawler.stats.set_value(FAILURE_STAT, f"publishing the run failed: {type(exc).__name__}: {exc}")
            return
        for dataset, rows in sorted(manifest.get("rows", {}).items()):
            self.crawler.stats.set_value(f"lake/rows/{dataset}", rows)
        logger.info("run %s published to %s", self.run.run_id, self.run.store.uri)
