"""The file source: page files, text dumps, web archives (WARC, CC-NEWS) and JSONL exports, local or in S3.

`scrapy crawl files -a path=PATH` reads PATH (a file or a directory, walked recursively in sorted order,
or an ``s3://`` object or prefix); without it, the project's `seeds/`. What is read, and how, is
`pipeline.sources`: every path found ends as articles or rejects rows. The run
(`pipeline.run.IngestRun`, owned by the item pipeline) reaches the spider through the `run_opened`
signal, before `start()`: the spider shows it every text dump before the first document is extracted.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider

from pipeline.config import ConfigError
from pipeline.errors import mark_failed
from pipeline.progress import Progress
from pipeline.signals import run_opened
from pipeline.options import configured_sources
from pipeline.sources import InputNotFound, SourceOptions, items_for, iterate_in_thread, resolve_root

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "seeds"


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str | None = None, **kwargs) -> None:
        # Scrapyd and Scrapy pass their own arguments with a leading underscore (`_job`).
        unknown = sorted(name for name in kwargs if not name.startswith("_"))
        if unknown:
            raise ConfigError(f"files spider: unknown argument(s) {', '.join(unknown)}; it takes -a path=FILE_OR_FOLDER")
        super().__init__(**kwargs)
        try:
            self.root = resolve_root(path or DEFAULT_PATH)
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
        crawler.signals.connect(spider.run_opened, signal=run_opened)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    def run_opened(self, run) -> None:
        self.run = run

    async def start(self):
        self.progress = Progress(unit="item")
        self.all_done = asyncio.Event()
        # Without the ingest pipeline (a bare spider) there are no templates to learn.
        observe = self.run.templates.observe if self.run is not None else None
        items = items_for(self.root, self.options, self.crawler.stats.inc_value, observe_text=observe)
        async for item in iterate_in_thread(items):  # read in a thread: the reactor stays free
            await self.in_flight.acquire()  # backpressure: bounded items between disk and lake
            self.progress.sent += 1
            yield item
        if not self.progress.sent:
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
