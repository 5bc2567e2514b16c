"""Run reporting (periodic progress with queue sizes, a summary at the end) and a fix for closing while
items from `start()` are in the pipelines.

Enabled by default; `STATS_FILE` (a path) also writes every stat of the run there, for schedulers
and benchmarks that read figures instead of logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path

from scrapy import signals
from scrapy.extensions.logstats import LogStats

logger = logging.getLogger(__name__)

SUMMARY_PREFIXES = ("extract/", "dedup/", "lake/", "rejects/", "files/", "time_us/")


class RunSummary:
    def __init__(self, stats, stats_file: str | None) -> None:
        self.stats = stats
        self.stats_file = Path(stats_file) if stats_file else None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.stats, crawler.settings.get("STATS_FILE"))
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        # engine_stopped comes after the pipelines closed, so lake and index figures are final.
        stats = self.stats.get_stats()
        lines = [f"  {key}: {value}" for key, value in sorted(stats.items()) if key.startswith(SUMMARY_PREFIXES)]
        logger.info("run summary:\n%s", "\n".join(lines) or "  (nothing processed)")
        if self.stats_file:
            self.stats_file.parent.mkdir(parents=True, exist_ok=True)
            self.stats_file.write_text(json.dumps(stats, default=_jsonable, indent=1, sort_keys=True), encoding="utf-8")


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


class QueueLogStats(LogStats):
    """Scrapy's periodic items/min and pages/min line, plus the queue sizes a stalled crawl shows."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = super().from_crawler(crawler)
        extension.crawler = crawler
        return extension

    def log(self, spider) -> None:
        super().log(spider)
        engine = self.crawler.engine
        if engine is None or engine.scheduler is None:
            return
        logger.info(
            "queues: %d request(s) scheduled, %d downloading, %d item(s) in the pipelines",
            len(engine.scheduler),
            len(engine.downloader.active),
            engine.scraper.slot.itemproc_size if engine.scraper.slot else 0,
        )


RECHECK_S = 0.1


class StartItemsDrain:
    """Lets a spider close while items it yielded from `start()` are still in the item pipelines.

    Scrapy (2.19) waits for the pipelines to be idle before closing them, but only checks again after a
    *response* is processed: an item from `start()` that finishes later never wakes the close. The
    files spider yields only such items, so Ctrl-C (or any early close) waited forever at "Closing
    spider (shutdown)" (scrapy/scrapy#7029). This extension repeats Scrapy's own check after every item.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(extension.item_done, signal=signal)
        return extension

    def item_done(self, **kwargs) -> None:
        # The signal comes before the scraper stops counting the item: look again shortly after.
        asyncio.get_running_loop().call_later(RECHECK_S, self.check_closing)

    def check_closing(self) -> None:
        scraper = getattr(self.crawler.engine, "scraper", None)
        slot = getattr(scraper, "slot", None)
        closing = getattr(slot, "closing", None)
        if closing is None or closing.called:
            return  # not closing (Scrapy checks itself when it starts to), or already closed
        if slot.is_idle():
            closing.callback(self.crawler.spider)
        else:
            asyncio.get_running_loop().call_later(RECHECK_S, self.check_closing)
