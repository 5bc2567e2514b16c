"""The file source: page text dumps (.txt) and saved pages (.html/.htm, optionally .gz) from disk.

`scrapy crawl files -a path=PATH` walks PATH (a file or a directory, recursively, in sorted order);
without it, the project's `seeds/`. Every input file ends as an article or a rejects row. The run
(`pipeline.run.IngestRun`, owned by the item pipeline) reaches the spider through the `run_opened`
signal, before `start()`: the spider shows it every text dump before the first document is extracted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider

from pipeline.config import ConfigError
from pipeline.errors import Rejected, mark_failed
from pipeline.items import Article, RejectRecord
from pipeline.localfiles import LocalFile, content_kind, list_inputs, read_limited
from pipeline.progress import Progress
from pipeline.signals import run_opened

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
        self.root = Path(path).expanduser().resolve() if path else DEFAULT_PATH
        if not self.root.exists():
            raise ConfigError(f"files spider: path does not exist: {self.root}")
        self.run = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_bytes = crawler.settings.getint("FILES_MAX_BYTES")
        spider.in_flight = asyncio.Semaphore(crawler.settings.getint("MAX_ITEMS_IN_FLIGHT"))
        crawler.signals.connect(spider.run_opened, signal=run_opened)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    def run_opened(self, run) -> None:
        self.run = run

    async def start(self):
        files = list_inputs(self.root)
        logger.info("files: %d input file(s) under %s", len(files), self.root)
        self.crawler.stats.set_value("files/total", len(files))
        if not files:
            mark_failed(self.crawler.stats, f"nothing to ingest under {self.root} (no input file)")
            raise CloseSpider("no_inputs")
        self._observe_templates(files)
        self.progress = Progress(len(files))
        self.all_done = asyncio.Event()
        for path in files:
            await self.in_flight.acquire()  # backpressure: bounded items between disk and lake
            yield self._article(path)
        # Returning only once every file is through the pipelines lets the engine see it is idle at
        # once, instead of at its next periodic idle check, seconds later.
        await self.all_done.wait()

    def _article(self, path: Path) -> Article | RejectRecord:
        """The file as an article whose bytes the extraction worker reads (see `pipeline.localfiles`)."""
        url = path.as_uri()
        try:
            modified = path.stat().st_mtime
        except OSError as exc:
            return RejectRecord(url, "read", "unreadable", f"{type(exc).__name__}: {exc}")
        return Article(
            url=url,
            source="file",
            raw=LocalFile(str(path), self.max_bytes),
            content_kind=content_kind(path),
            fetched_at=datetime.fromtimestamp(modified, UTC),
        )

    def _observe_templates(self, files: list[Path]) -> None:
        """Show every text dump to the run's template learner before extraction starts."""
        if self.run is None:
            return  # driven without the ingest pipeline: there are no templates to learn
        for path in files:
            if content_kind(path) != "text":
                continue
            try:
                dump = read_limited(path, self.max_bytes).decode("utf-8")
            except (Rejected, UnicodeDecodeError):
                continue  # not readable as UTF-8 here: it is still extracted (and rejected if need be) later
            self.run.templates.observe("file", dump)

    def item_finished(self, item, **kwargs) -> None:
        self.in_flight.release()
        self.progress.advance()
        if self.progress.done == self.progress.total:
            self.all_done.set()

    def closed(self, reason: str) -> None:
        if hasattr(self, "progress"):
            self.progress.close()
