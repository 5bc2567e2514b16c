"""`scrapy crawl` for newsdedup: mistakes in one line, a failed run in the exit status, stops that keep data.

- Start: `-s` names nobody knows get a warning naming the closest known setting (an error with
  `STRICT_SETTINGS=True`); the run's options are built once (`pipeline.options`) and a bad value, an
  unknown `LAKE_URI` scheme, a bad spider argument or an unknown spider is one line and a non-zero exit,
  not a traceback. The extraction workers start as soon as the options are known, ~1 s before Scrapy
  has built the crawler.
- End: a component that marked the run failed (`newsdedup/failure`, `pipeline.errors.mark_failed`) makes
  the command print the reason and exit 1.
- Signals (`pipeline/commands/stops.py`): the first SIGINT/SIGTERM stops gracefully (the documents in
  progress finish, the run publishes what it did, exit 1); a second one exits at once (128 + signal
  number), leaving whatever was not published in the spool for the next run.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from typing import NoReturn

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.python.failure import Failure

from pipeline.commands.stops import StopSignals, signal_name
from pipeline.config import ConfigError
from pipeline.errors import FAILURE_STAT

logger = logging.getLogger(__name__)

USER_MISTAKES = (ConfigError, UsageError)


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with one line on stderr."""
    print(f"newsdedup: {message}", file=sys.stderr)
    sys.exit(code)


class Command(ScrapyCrawlCommand):
    start_error: BaseException | None = None

    def process_options(self, args, opts) -> None:
        self.stops = StopSignals()
        self.stops.install()
        super().process_options(args, opts)
        # The pipeline's modules are imported here, not at the top: every `scrapy` command imports this one.
        from pipeline.commands.checks import misspelt_settings
        from pipeline.options import run_options
        from pipeline.workerpool import start_early

        strict = self.settings.getbool("STRICT_SETTINGS")
        for name, suggestion in misspelt_settings(self.settings):
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            if strict:
                fail(f"unknown setting {name}{hint}; STRICT_SETTINGS is on", code=2)
            print(f"newsdedup: warning: unknown setting {name}{hint}; it has no effect", file=sys.stderr)
        try:
            options = run_options(self.settings)
        except ConfigError as exc:
            fail(f"configuration error: {exc}")
        start_early(options.workers, options.doc_timeout, options.extract, options.dedup)

    def run(self, args, opts) -> None:
        from pipeline.workerpool import close_early

        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl files`")
        assert self.crawler_process
        try:
            try:
                crawler = self._create_crawler(args[0])
            except KeyError:
                names = ", ".join(sorted(self.crawler_process.spider_loader.list()))
                fail(f"no spider named {args[0]!r} (this project has: {names})", code=2)
            self._watch_start(self.crawler_process.crawl(crawler, **opts.spargs))
            # Scrapy, the pipeline and their modules stay loaded for the whole crawl: keeping them out of
            # the collector's full passes leaves more of this process's time to feeding the workers.
            gc.freeze()
            self.stops.watch(crawler)
            self.crawler_process.start(install_signal_handlers=False)  # ours are installed (`StopSignals`)
        finally:
            close_early()
        self.exitcode = self._report(crawler)
        self.stops.status_decided()
        # Everything is written and closed. The interpreter's final full collection walks every object
        # the crawl created (~0.5 s measured); frozen objects are skipped.
        gc.freeze()

    def _watch_start(self, started) -> None:
        """Note when the crawl ends, and keep the exception of one that could not start instead of a traceback."""

        def ended(error: BaseException | None) -> None:
            self.start_error = error
            self.stops.crawl_over()

        if isinstance(started, asyncio.Future):
            started.add_done_callback(lambda task: ended(None if task.cancelled() else task.exception()))
        else:  # a Twisted Deferred (CrawlerProcess)
            started.addBoth(lambda result: ended(result.value if isinstance(result, Failure) else None))

    def _report(self, crawler) -> int:
        """The exit status, with the one line that explains a failure."""
        if self.start_error is not None:
            if isinstance(self.start_error, USER_MISTAKES):
                print(f"newsdedup: cannot start: {self.start_error}", file=sys.stderr)
            else:
                logger.error("the crawl could not start", exc_info=self.start_error)
                print(f"newsdedup: cannot start: {type(self.start_error).__name__}: {self.start_error}", file=sys.stderr)
            return 1
        failure = crawler.stats.get_value(FAILURE_STAT)
        if not failure and self.stops.received and crawler.stats.get_value("finish_reason") != "finished":
            failure = f"stopped by {signal_name(self.stops.received)} before the run finished"
        if failure:
            print(f"newsdedup: run failed: {failure}", file=sys.stderr)
            return 1
        return 1 if self.crawler_process.bootstrap_failed else 0
