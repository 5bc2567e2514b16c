"""The web source: news sites read through sitemaps, RSS/Atom feeds and links, incrementally and politely.

`scrapy crawl news -a source=configs/sources/NAME.yaml`, or ad hoc with comma-separated lists:
`-a start_urls=URL,URL -a sitemap_urls=URL -a feed_urls=URL -a allowed_domains=HOST`.
Sitemaps, feeds and start pages are re-read every run; a page already stored (by canonical URL) is
not requested again unless a sitemap or feed says it changed, then with a conditional request.
Only article pages become `Article` items; listing pages are followed, not stored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from w3lib.encoding import http_content_type_encoding

from pipeline.config import ConfigError
from pipeline.crawl.canonical import canonicalize, page_canonical
from pipeline.crawl.detect import classify
from pipeline.crawl.feeds import Entry, FeedError, parse_feed, parse_sitemap
from pipeline.crawl.health import FAILURE_KEY
from pipeline.crawl.netguard import host_allowed
from pipeline.crawl.seen import SeenStore, open_seen_store
from pipeline.crawl.settings import apply_web_settings
from pipeline.crawl.source import SourceConfig, load_source, source_from_arguments
from pipeline.items import Article
from pipeline.signals import run_opened

logger = logging.getLogger(__name__)

STORED_KINDS = ("article", "alias", "gone")  # records whose page need not be fetched again
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_SCRAPY_AGENT = "Scrapy/"


def _now() -> datetime:
    return datetime.now(UTC)


def validators(response: Response) -> dict[str, str]:
    """The response's ETag / Last-Modified, for the next run's conditional request."""
    found = {}
    for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value.decode("latin-1")
    return found


def conditional_headers(record: dict[str, Any] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from a stored record (empty when nothing was stored)."""
    headers = {}
    if record and record.get("etag"):
        headers["If-None-Match"] = record["etag"]
    if record and record.get("last_modified"):
        headers["If-Modified-Since"] = record["last_modified"]
    return headers


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, source: str | None = None, **arguments: Any) -> None:
        spider_arguments = {k: arguments.pop(k) for k in list(arguments) if k not in ("_job",)}
        super().__init__(**arguments)
        if source and spider_arguments:
            raise ConfigError(f"give either -a source=FILE or ad-hoc arguments, not both ({', '.join(spider_arguments)})")
        self.source: SourceConfig = load_source(source) if source else source_from_arguments(**spider_arguments)
        self.allowed_domains = list(self.source.allowed_domains)
        # Domains are checked in _candidate (LinkExtractor's allow_domains compares host:port).
        self.links = LinkExtractor(unique=True)
        self.article_regexes = self.source.article_regexes
        self.listing_regexes = self.source.listing_regexes
        self.deny_regexes = self.source.deny_regexes
        self.seen: SeenStore | None = None
        self._stored_this_run: set[str] = set()
        self._feed_records: dict[str, dict[str, Any]] = {}

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        apply_web_settings(settings)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        for name, value in spider.source.settings.items():
            settings.set(name, value, priority="spider")
        agent = settings.get("USER_AGENT") or ""
        if not agent or agent.startswith(DEFAULT_SCRAPY_AGENT):
            raise ConfigError("set USER_AGENT to a real agent naming the crawler and a contact URL")
        crawler.signals.connect(spider.on_run_opened, signal=run_opened)
        crawler.signals.connect(spider.on_spider_closed, signal=signals.spider_closed)
        return spider

    def on_run_opened(self, run) -> None:
        # The run's store and dedup backend: LAKE_URI is read once, for the run, and one store serves both.
        self.seen = open_seen_store(self.source.name, run.store, run.options.dedup.backend, run.options.dedup.redis_url)

    # --- entry points, re-read every run -------------------------------------------------------

    async def start(self):
        for url in self.source.sitemap_urls:
            yield self._feed_request(url, self.parse_sitemap, dont_filter=True)
        for url in self.source.feed_urls:
            yield self._feed_request(url, self.parse_feed, dont_filter=True)
        for url in self.source.start_urls:
            yield self._page_request(canonicalize(url), via="start", dont_filter=True)

    def _feed_request(self, url: str, callback, *, dont_filter: bool) -> Request:
        url = canonicalize(url)
        record = self.seen.get(url) if self.seen else None
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=conditional_headers(record),
            dont_filter=dont_filter,
            meta={"handle_httpstatus_list": [304]},
        )

    def parse_sitemap(self, response: Response):
        entries = self._read_feed(response, "sitemap")
        if entries is None:
            # An unchanged index still has children that change (the news sitemap): re-read them.
            record = self.seen.get(canonicalize(response.url)) or {} if response.status == 304 else {}
            for child in record.get("children", ()):
                yield self._feed_request(child, self.parse_sitemap, dont_filter=False)
            return
        kind, entries = entries
        children = []
        for entry in entries:
            url = urljoin(response.url, entry.url)
            if kind == "index":
                if host_allowed(urlsplit(url).hostname or "", self.allowed_domains):
                    children.append(canonicalize(url))
                    yield self._feed_request(url, self.parse_sitemap, dont_filter=False)
            elif request := self._candidate(url, via="sitemap", modified=entry.modified):
                yield request
        if children:
            self._feed_records[canonicalize(response.url)]["children"] = children

    def parse_feed(self, response: Response):
        entries = self._read_feed(response, "feed")
        for entry in entries[1] if entries else ():
            if request := self._candidate(urljoin(response.url, entry.url), via="feed", modified=entry.modified):
                yield request

    def _read_feed(self, response: Response, what: str) -> tuple[str, list[Entry] | tuple[Entry, ...]] | None:
        stats = self.crawler.stats
        stats.inc_value("crawl/pages/fetched")
        if response.status == 304:
            stats.inc_value(f"crawl/{what}/not_modified")
            return None
        body = response.body
        try:
            if body[:2] == b"\x1f\x8b":  # .xml.gz sitemaps; the cap also stops gzip bombs
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            if what == "sitemap":
                sitemap = parse_sitemap(body)
                kind, entries = sitemap.kind, sitemap.entries
            else:
                kind, entries = "feed", parse_feed(body)
        except (FeedError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", "unreadable")
            stats.inc_value(f"crawl/{what}/rejected/{reason}")
            logger.warning("%s %s refused: %s", what, response.url, exc)
            return None
        stats.inc_value(f"crawl/{what}/read")
        stats.inc_value(f"crawl/{what}/entries", len(entries))
        # Kept apart and stored only if the run finishes: a 304 next run must not hide unfetched entries.
        self._feed_records[canonicalize(response.url)] = {"kind": what, "fetched_at": _now().isoformat(), **validators(response)}
        return kind, entries

    # --- pages ------------------------------------------------------------------------------------

    def _candidate(self, url: str, *, via: str, modified: datetime | None = None) -> Request | None:
        """A request for a discovered URL, or None when it is off-site or already stored and unchanged."""
        url = canonicalize(url)
        if urlsplit(url).scheme not in ("http", "https") or not host_allowed(urlsplit(url).hostname or "", self.allowed_domains):
            return None
        if url in self._stored_this_run or any(p.search(url) for p in self.deny_regexes):
            return None
        record = self.seen.get(url) if self.seen else None
        headers: dict[str, str] = {}
        if record and record.get("kind") in STORED_KINDS:
            fetched = datetime.fromisoformat(record["fetched_at"])
            if modified is None or modified <= fetched:
                self.crawler.stats.inc_value("crawl/skipped/already_stored")
                return None
            headers = conditional_headers(record)  # listed as changed since: ask, but only for news
            self.crawler.stats.inc_value("crawl/revalidated")
        return self._page_request(url, via=via, headers=headers)

    def _page_request(self, url: str, *, via: str, headers: dict[str, str] | None = None, dont_filter: bool = False,
                      canonical_of: str | None = None) -> Request:
        # Page redirects are followed by the spider, not RedirectMiddleware, so the old URL is remembered
        # as an alias and the target goes through the same seen/domain checks as any link.
        meta: dict[str, Any] = {"via": via, "handle_httpstatus_list": [304, *REDIRECTS], "dont_redirect": True}
        if canonical_of:
            meta["canonical_of"] = canonical_of
        return Request(url, callback=self.parse_page, errback=self.on_error, headers=headers or {},
                       dont_filter=dont_filter, meta=meta)

    def parse_page(self, response: Response):
        stats = self.crawler.stats
        stats.inc_value("crawl/pages/fetched")
        if response.status == 304:
            stats.inc_value("crawl/pages/not_modified")
            return
        if response.status in REDIRECTS:
            yield from self._redirect(response)
            return
        if not isinstance(response, TextResponse) or b"html" not in (response.headers.get(b"Content-Type") or b"html"):
            stats.inc_value("crawl/pages/not_html")
            return
        fetched_url = canonicalize(response.url)
        verdict = classify(fetched_url, response.selector, self.article_regexes, self.listing_regexes)
        if verdict.is_article:
            yield from self._article(response, fetched_url, verdict)
        else:
            stats.inc_value("crawl/pages/listing")  # not remembered: listings are re-read every run
        if self.source.follow_links:
            for link in self.links.extract_links(response):
                if request := self._candidate(link.url, via="link"):
                    yield request

    def _redirect(self, response: Response):
        location = response.headers.get(b"Location")
        if not location:
            return
        target = canonicalize(urljoin(response.url, location.decode("latin-1")))
        self.crawler.stats.inc_value("crawl/pages/redirect")
        self.seen.put(canonicalize(response.url), {"kind": "alias", "canonical": target, "fetched_at": _now().isoformat()})
        if request := self._candidate(target, via=response.meta.get("via", "link")):
            yield request
        elif not host_allowed(urlsplit(target).hostname or "", self.allowed_domains):
            self.crawler.stats.inc_value("crawl/refused/offsite_redirect")

    def _article(self, response: Response, fetched_url: str, verdict):
        stats = self.crawler.stats
        canonical = page_canonical(response.selector, response.url, self.allowed_domains) or fetched_url
        now = _now()
        aliases = {canonicalize(u) for u in response.meta.get("redirect_urls", [])} | {fetched_url}
        aliases.discard(canonical)
        for alias in aliases:
            self.seen.put(alias, {"kind": "alias", "canonical": canonical, "fetched_at": now.isoformat()})
        if canonical != fetched_url and "canonical_of" not in response.meta:
            # An AMP/print/tracking variant: fetch the page it names instead (once, the dupefilter sees to it).
            stats.inc_value("crawl/articles/variant_redirected")
            if canonical not in self._stored_this_run and (self.seen.get(canonical) or {}).get("kind") not in STORED_KINDS:
                yield self._page_request(canonical, via="canonical", canonical_of=response.url)
            return
        if canonical in self._stored_this_run:
            stats.inc_value("crawl/articles/duplicate_url")
            return
        self._stored_this_run.add(canonical)
        self.seen.put(canonical, {"kind": "article", "fetched_at": now.isoformat(), **validators(response)})
        stats.inc_value("crawl/articles/yielded")
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        yield Article(
            url=canonical,
            source=urlsplit(canonical).hostname or self.source.name,
            raw=response.body,
            content_kind="html",
            fetched_at=now,
            http_encoding=http_content_type_encoding(content_type) if content_type else None,
            extra={
                "fetched_url": response.url,
                "status": response.status,
                "via": response.meta.get("via"),
                "detection": list(verdict.signals),
                "crawl_source": self.source.name,
            },
        )

    # --- failures and the end of the run -----------------------------------------------------------

    def on_error(self, failure) -> None:
        stats = self.crawler.stats
        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value("crawl/pages/fetched")
            stats.inc_value(f"crawl/http_status/{status}")
            if status >= 500:
                stats.inc_value("crawl/errors")
            elif status in (404, 410) and failure.request.callback == self.parse_page:
                # Gone pages are not asked for again unless a sitemap or feed lists them as changed.
                self.seen.put(canonicalize(failure.request.url), {"kind": "gone", "fetched_at": _now().isoformat()})
            return
        if failure.check(IgnoreRequest):
            stats.inc_value("crawl/refused")  # robots.txt, offsite, address guard: counted where refused
            return
        stats.inc_value("crawl/errors")
        stats.inc_value(f"crawl/errors/{failure.type.__name__}")
        logger.warning("failed %s: %s", failure.request.url, failure.getErrorMessage())

    def on_spider_closed(self, spider, reason: str) -> None:
        if self.seen is None:
            return
        stats = self.crawler.stats
        if stats.get_value(FAILURE_KEY):
            # The lake did not publish this run: forget its pages so the next run fetches them again.
            logger.warning("run failed (%s): seen-URL store not updated", stats.get_value(FAILURE_KEY))
            return
        if reason == "finished":
            for url, record in self._feed_records.items():
                self.seen.put(url, record)
        stats.set_value("crawl/seen/committed", self.seen.commit())
