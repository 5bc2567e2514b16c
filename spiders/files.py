"""The file source: page files, text dumps, web archives (WARC, CC-NEWS) and JSONL exports, local or in S3.

`scrapy crawl files -a path=PATH` reads PATH (a file or a directory, walked recursively in sorted order,
or an ``s3://`` object or prefix); without it, the project's `seeds/`. What is read, and how, is
`pipeline.sources`: every path found ends as articles or rejects rows.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

import scrapy
from scrapy import signals

from pipeline.pipelines import get_run
from pipeline.sources import SourceOptions, items_for, iterate_in_thread, load_config, resolve_root

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "seeds"
PROGRESS_LOG_EVERY_S = 10.0


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str | None = None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.root = resolve_root(path or DEFAULT_PATH)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.options = SourceOptions(
            max_bytes=settings.getint("FILES_MAX_BYTES"),
            follow_symlinks=settings.getbool("FILES_FOLLOW_SYMLINKS"),
            parallel_inputs=settings.getint("FILES_PARALLEL_INPUTS"),
            config=load_config(),
        )
        spider.in_flight = asyncio.Semaphore(crawler.settings.getint("MAX_ITEMS_IN_FLIGHT"))
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    async def start(self):
        run = get_run(self.crawler)
        if not run.is_open:
            return  # the lake is unreachable; the pipeline is closing the crawl with the reason
        self.progress = Progress()
        self.all_done = asyncio.Event()
        items = items_for(self.root, self.options, self.crawler.stats.inc_value, observe_text=run.templates.observe)
        async for item in iterate_in_thread(items):  # read in a thread: the reactor stays free
            await self.in_flight.acquire()  # backpressure: bounded items between disk and lake
            self.progress.sent += 1
            yield item
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


class Progress:
    """A progress bar on a terminal, periodic log lines otherwise; the total is known once every item is sent."""

    def __init__(self) -> None:
        self.sent = self.done = 0
        self.total: int | None = None
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(unit="item", desc="files")

    @property
    def finished(self) -> bool:
        return self.done == self.total

    def all_sent(self) -> None:
        self.total = self.sent
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_log >= PROGRESS_LOG_EVERY_S or self.finished:
            self.last_log = now
            rate = self.done / max(now - self.started, 1e-9)
            logger.info("files: %d item(s) done of %s read so far, %.1f items/s", self.done, self.sent, rate)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
