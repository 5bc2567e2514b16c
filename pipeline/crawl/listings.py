"""Reading one fetched sitemap or feed: safe decompression and parsing, counted in stats.

A 304 answer (unchanged since the validators the seen-URL store kept) or a document that cannot be
used gives None; the spider then falls back to what it remembered (an index's children).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.utils.gz import gunzip

from pipeline.crawl.feeds import Entry, FeedError, parse_feed, parse_sitemap
from pipeline.crawl.incremental import validators

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listing:
    """A read sitemap (`index` or `urlset`) or feed, with the seen-store record to keep once the run finishes."""

    kind: str
    entries: tuple[Entry, ...]
    record: dict[str, Any] = field(default_factory=dict)


def read_listing(response: Response, what: str, crawler: Crawler) -> Listing | None:
    """The entries of a sitemap (`what="sitemap"`) or feed; None when unchanged (304) or unusable."""
    stats = crawler.stats
    stats.inc_value("crawl/pages/fetched")
    if response.status == 304:
        stats.inc_value(f"crawl/{what}/not_modified")
        return None
    body = response.body
    try:
        if body[:2] == b"\x1f\x8b":  # .xml.gz sitemaps; the cap also stops gzip bombs
            body = gunzip(body, max_size=crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if what == "sitemap":
            sitemap = parse_sitemap(body)
            kind, entries = sitemap.kind, sitemap.entries
        else:
            kind, entries = "feed", tuple(parse_feed(body))
    except (FeedError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", "unreadable")
        stats.inc_value(f"crawl/{what}/rejected/{reason}")
        logger.warning("%s %s refused: %s", what, response.url, exc)
        return None
    stats.inc_value(f"crawl/{what}/read")
    stats.inc_value(f"crawl/{what}/entries", len(entries))
    # Stored only if the run finishes: a 304 next run must not hide entries this run did not fetch.
    record = {"kind": what, "fetched_at": datetime.now(UTC).isoformat(), **validators(response)}
    return Listing(kind, entries, record)
