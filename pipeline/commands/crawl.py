"""`scrapy crawl` that exits non-zero, with the reason, when a component marked the run as failed.

Components record a failure with ``stats.set_value(FAILURE_STAT, "why")`` (lake unreachable, nothing
fetched, error rate too high); Scrapy's own command only fails on bootstrap errors.

It also starts the extraction workers as soon as the settings are known, before Scrapy loads the spiders
and builds the crawler, so they are warm ~1 s sooner (the pipeline modules, which import this one, are
imported inside the methods).
"""

from __future__ import annotations

import gc
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

FAILURE_STAT = "newsdedup/failure"


class Command(ScrapyCrawlCommand):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        from pipeline.pipelines import start_workers_early

        start_workers_early(self.settings)

    def run(self, args, opts) -> None:
        from pipeline.workers import close_early

        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl files`")
        assert self.crawler_process
        try:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            # Scrapy, the pipeline and their modules stay loaded for the whole crawl: keeping them out of
            # the collector's full passes leaves more of this process's time to feeding the workers.
            gc.freeze()
            self.crawler_process.start()
        finally:
            close_early()
        failure = crawler.stats.get_value(FAILURE_STAT) if crawler.stats else None
        if failure:
            print(f"newsdedup: run failed: {failure}", file=sys.stderr)
        if failure or self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        # Everything is written and closed. The interpreter's final full collection walks every object
        # the crawl created (~0.5 s measured); frozen objects are skipped.
        gc.freeze()
