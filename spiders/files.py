"""The file source: page files, text dumps, web archives (WARC, CC-NEWS) and JSONL exports, local or in S3.

`scrapy crawl files -a path=PATH` reads PATH (a file or a directory, walked recursively in sorted order,
or an ``s3://`` object or prefix); without it, the project's `seeds/`. `-a queue=NAME` (with REDIS_URL)
reads the entries any number of processes pop from one Redis list instead (`pipeline.sources.queue`,
docs/scaling.md). What is read, and how, is
`pipeline.sources`: every path found ends as articles or rejects rows. The run
(`pipeline.run.IngestRun`, owned by the item pipeline) reaches the spider through the `run_opened`
signal, before `start()`: the spider shows it every text dump before the first document is extracted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider

from pipeline.config import ConfigError
from pipeline.errors import FAILURE_STAT, mark_failed
from pipeline.progress import Progress
from pipeline.signals import run_opened
from pipeline.options import configured_sources
from pipeline.sources import InputNotFound, SourceOptions, items_for, iterate_in_thread, resolve_root
from pipeline.sources.queue import InputQueue, open_queue, queued_items

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "seeds"


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str | None = None, queue: str | None = None, **kwargs) -> None:
        # Scrapyd and Scrapy pass their own arguments with a leading underscore (`_job`).
        unknown = sorted(name for name in kwargs if not name.startswith("_"))
        if unknown:
            raise ConfigError(
                f"files spider: unknown argument(s) {', '.join(unknown)}; it takes -a path=FILE_OR_FOLDER or -a queue=NAME"
            )
        if path and queue:
            raise ConfigError("files spider: give -a path=... or -a queue=..., not both")
        super().__init__(**kwargs)
        self.queue_name = queue
        self.queue: InputQueue | None = None
        try:
            self.root = None if queue else resolve_root(path or DEFAULT_PATH)
        except InputNotFound as exc:
            raise ConfigError(str(exc)) from None
        self.run = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.options = SourceOptions(
            max_bytes=settings.getint("FILES_MAX_BYTES"),
            follow_symlinks=settings.getbool("FILES_FOLLOW_SYMLINKS"),
            parallel_inputs=settings.getint("FILES_PARALLEL_INPUTS"),
            config=configured_sources(),
        )
        spider.in_flight = asyncio.Semaphore(settings.getint("MAX_ITEMS_IN_FLIGHT"))
        if spider.queue_name:
            spider.queue = open_queue(settings.get("REDIS_URL"), spider.queue_name, settings.getfloat("FILES_QUEUE_LEASE_SECONDS"))
        crawler.signals.connect(spider.run_opened, signal=run_opened)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    def run_opened(self, run) -> None:
        if self.queue is not None:
            self.queue.check_claims(run.options.dedup)
        self.run = run
        # s3:// inputs are read with the lake's S3 retries and timeouts: the run's options, merged once
        self.options = dataclasses.replace(self.options, s3_config=run.options.lake)

    async def start(self):
        self.progress = Progress(unit="item")
        self.all_done = asyncio.Event()
        # Without the ingest pipeline (a bare spider) there are no templates to learn.
        observe = self.run.templates.observe if self.run is not None else None
        count = self.crawler.stats.inc_value
        if self.queue is not None:
            items = queued_items(self.queue, self.options, count, observe_text=observe)
        else:
            items = items_for(self.root, self.options, count, observe_text=observe)
        async for item in iterate_in_thread(items):  # read in a thread: the reactor stays free
            await self.in_flight.acquire()  # backpressure: bounded items between disk and lake
            self.progress.sent += 1
            yield item
        if not self.progress.sent and self.queue is not None:
            logger.info("input queue %s is empty: nothing left to ingest", self.queue_name)
        elif not self.progress.sent:
            mark_failed(self.crawler.stats, f"nothing to ingest under {self.root} (no input file)")
            raise CloseSpider("no_inputs")
        self.progress.all_sent()
        if self.progress.finished:
            self.all_done.set()
        # Returning only once every item is through the pipelines lets the engine see it is idle at
        # once, instead of at its next periodic idle check, seconds later.
        await self.all_done.wait()

    def item_finished(self, item, **kwargs) -> None:
        self.in_flight.release()
        self.progress.advance()
        if self.progress.finished:
            self.all_done.set()

    def closed(self, reason: str) -> None:
        if hasattr(self, "progress"):
            self.progress.close()
        if self.queue is not None:
            # Called after the item pipelines closed: the run is published unless it failed.
            published = not self.crawler.stats.get_value(FAILURE_STAT)
            requeued = self.queue.leave(published=published)
            self.crawler.stats.set_value("files/queue/requeued_from_dead", self.queue.requeued)
            logger.info("input queue %s: %s", self.queue_name,
                        "inputs acked" if published else f"run not published: {requeued} input(s) put back")
