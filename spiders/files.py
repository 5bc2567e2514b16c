"""The file source: page text dumps (.txt) and saved pages (.html/.htm, optionally .gz) from disk.

`scrapy crawl files -a path=PATH` walks PATH (a file or a directory, recursively, in sorted order);
without it, the project's `seeds/`. Every input file ends as an article or a rejects row.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy import signals

from pipeline.items import Article, RejectRecord
from pipeline.pipelines import get_run

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "seeds"
KINDS = {".txt": "text", ".html": "html", ".htm": "html"}
PROGRESS_LOG_EVERY_S = 10.0


def content_kind(path: Path) -> str | None:
    """`text` or `html` from the file name (a trailing .gz is looked through), else None."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return KINDS.get(suffixes[-1]) if suffixes else None


def list_inputs(root: Path) -> list[Path]:
    """The files to ingest under `root`, in a stable order; hidden files and other types are skipped."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".") and content_kind(p) is not None
    )


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes (decompressed if .gz); raises ValueError past `max_bytes`."""
    if path.stat().st_size > max_bytes:
        raise ValueError(f"file is {path.stat().st_size} bytes, over FILES_MAX_BYTES={max_bytes}")
    if path.suffix.lower() != ".gz":
        return path.read_bytes()
    with gzip.open(path, "rb") as fh:  # bounded read: a small .gz may inflate without limit
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"decompressed size is over FILES_MAX_BYTES={max_bytes}")
    return data


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str | None = None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.root = Path(path).expanduser().resolve() if path else DEFAULT_PATH
        if not self.root.exists():
            raise ValueError(f"files spider: path does not exist: {self.root}")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_bytes = crawler.settings.getint("FILES_MAX_BYTES")
        spider.in_flight = asyncio.Semaphore(crawler.settings.getint("MAX_ITEMS_IN_FLIGHT"))
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    async def start(self):
        if not get_run(self.crawler).is_open:
            return  # the lake is unreachable; the pipeline is closing the crawl with the reason
        files = list_inputs(self.root)
        logger.info("files: %d input file(s) under %s", len(files), self.root)
        self.crawler.stats.set_value("files/total", len(files))
        self._observe_templates(files)
        self.progress = Progress(len(files))
        self.all_done = asyncio.Event()
        if not files:
            self.all_done.set()
        for path in files:
            await self.in_flight.acquire()  # backpressure: bounded items between disk and lake
            yield self._read(path)
        # Returning only once every file is through the pipelines lets the engine see it is idle at
        # once, instead of at its next periodic idle check, seconds later.
        await self.all_done.wait()

    def _read(self, path: Path) -> Article | RejectRecord:
        started = time.perf_counter()
        try:
            return self._load(path)
        finally:
            self.crawler.stats.inc_value("time_us/read", int((time.perf_counter() - started) * 1e6))

    def _load(self, path: Path) -> Article | RejectRecord:
        url = path.as_uri()
        try:
            raw = read_limited(path, self.max_bytes)
        except ValueError as exc:
            return RejectRecord(url, "read", "too_large", str(exc))
        except (OSError, EOFError, zlib.error) as exc:
            return RejectRecord(url, "read", "unreadable", f"{type(exc).__name__}: {exc}")
        return Article(
            url=url,
            source="file",
            raw=raw,
            content_kind=content_kind(path),
            fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        )

    def _observe_templates(self, files: list[Path]) -> None:
        """Show every text dump to the template learner before extraction starts."""
        run = get_run(self.crawler)
        for path in files:
            if content_kind(path) != "text":
                continue
            try:
                dump = read_limited(path, self.max_bytes).decode("utf-8")
            except (ValueError, OSError, EOFError, zlib.error, UnicodeDecodeError):
                continue  # not readable as UTF-8 here: it is still extracted (and rejected if need be) later
            run.templates.observe("file", dump)

    def item_finished(self, item, **kwargs) -> None:
        self.in_flight.release()
        self.progress.advance()
        if self.progress.done == self.progress.total:
            self.all_done.set()

    def closed(self, reason: str) -> None:
        if hasattr(self, "progress"):
            self.progress.close()


class Progress:
    """A progress bar on a terminal, periodic log lines otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", desc="files")

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_log >= PROGRESS_LOG_EVERY_S or self.done == self.total:
            self.last_log = now
            rate = self.done / max(now - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate else float("inf")
            logger.info("files: %d/%d done, %.1f files/s, ETA %.0f s", self.done, self.total, rate, eta)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
