"""Crawl health: a scheduled run that fetched nothing, or failed too often, must end in a non-zero exit.

Counts come from the stats the spider keeps where it decides (`crawl/pages/fetched`, `crawl/errors`);
the verdict goes to the `newsdedup/failure` stat, which the project's `crawl` command turns into a
message and exit status 1. A cron job or Scrapyd poller then sees the failure instead of a quiet empty run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals

from pipeline.config import ConfigError
from pipeline.errors import FAILURE_STAT as FAILURE_KEY

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def health_failure(pages: int, errors: int, max_error_rate: float) -> str | None:
    """Why the run failed (None when healthy): nothing fetched, or errors above the allowed share."""
    if pages == 0 and errors == 0:
        return "the crawl fetched no page (check start URLs, robots.txt, allowed domains and address guard)"
    attempts = pages + errors
    rate = errors / attempts
    if pages == 0 or rate > max_error_rate:
        return (
            f"error rate {rate:.1%} ({errors} of {attempts} page requests failed) "
            f"is above CRAWL_MAX_ERROR_RATE={max_error_rate:.1%}"
        )
    return None


class CrawlHealth:
    """Extension: on close, record the failure reason of an unhealthy crawl."""

    def __init__(self, crawler: Crawler, max_error_rate: float) -> None:
        self.crawler = crawler
        self.max_error_rate = max_error_rate

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        rate = crawler.settings.getfloat("CRAWL_MAX_ERROR_RATE", -1.0)
        if not 0.0 <= rate <= 1.0:
            raise ConfigError(f"CRAWL_MAX_ERROR_RATE must be a share between 0 and 1, got {rate!r}")
        ext = cls(crawler, rate)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        pages = int(stats.get_value("crawl/pages/fetched", 0))
        errors = int(stats.get_value("crawl/errors", 0))
        failure = health_failure(pages, errors, self.max_error_rate)
        if failure is None:
            logger.info("crawl health: %d pages fetched, %d errors (%s)", pages, errors, reason)
            return
        logger.error("crawl health: %s", failure)
        if not stats.get_value(FAILURE_KEY):
            stats.set_value(FAILURE_KEY, failure)
