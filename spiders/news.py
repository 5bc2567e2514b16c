"""The web source: news sites read through sitemaps, RSS/Atom feeds and links, incrementally and politely.

`scrapy crawl news -a source=configs/sources/NAME.yaml`, or ad hoc with comma-separated lists:
`-a start_urls=URL,URL -a sitemap_urls=URL -a feed_urls=URL -a allowed_domains=HOST`.
Sitemaps, feeds and start pages are re-read every run; a page already stored (by canonical URL) is
not requested again unless a sitemap or feed says it changed, then with a conditional request.
Links are followed by kind (`pipeline/crawl/links.py`): article links from every page, hub links
from hubs. Pages listed in a feed or news sitemap are always extracted; other pages are classified
(`pipeline/crawl/detect.py`). A fetched page that yields no row is counted as `crawl/skipped/<reason>`.
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
from w3lib.encoding import http_content_type_encoding

from pipeline.config import ConfigError
from pipeline.crawl.canonical import page_canonical
from pipeline.urls import canonicalize
from pipeline.crawl.detect import Verdict, classify
from pipeline.crawl.health import FAILURE_KEY
from pipeline.crawl.incremental import REVISION, conditional_headers, validators
from pipeline.crawl.links import LinkPolicy
from pipeline.crawl.listings import read_listing
from pipeline.crawl.netguard import host_allowed
from pipeline.crawl.seen import RedisSeenStore, SeenStore, open_seen_store
from pipeline.crawl.settings import apply_web_settings
from pipeline.crawl.source import SourceConfig, load_source, source_from_arguments
from pipeline.crawl.variants import Variants
from pipeline.items import Article
from pipeline.signals import run_opened

logger = logging.getLogger(__name__)

STORED_KINDS = ("article", "alias", "gone")  # records whose page need not be fetched again
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_SCRAPY_AGENT = "Scrapy/"


def _now() -> datetime:
    return datetime.now(UTC)


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
        self.policy = LinkPolicy(self.source.article_regexes, self.source.listing_regexes, self.source.deny_regexes,
                                 self.source.max_hub_depth)
        self.seen: SeenStore | None = None
        self.variants: Variants | None = None
        self._stored_this_run: set[str] = set()
        self._sitemaps_requested: set[str] = set()
        # Entry points are requested by start() once a run (not filtered, so a resumed run reads them again).
        self._entry_points = {canonicalize(u) for u in (*self.source.start_urls, *self.source.feed_urls)}
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
        if self.settings.get("SCHEDULER_BACKEND") == "redis":
            if not isinstance(self.seen, RedisSeenStore):
                raise ConfigError("SCHEDULER_BACKEND=redis shares the crawl between processes: the seen-URL store must "
                                  "be shared too (set DEDUP_BACKEND=redis and REDIS_URL)")
            run.options.dedup.check_claims_within(self.settings.getfloat("FRONTIER_LEASE_SECONDS"), "FRONTIER_LEASE_SECONDS")
        self.variants = Variants(self.seen, self._stored_this_run, self.policy)

    # --- entry points, re-read every run -------------------------------------------------------

    async def start(self):
        for url in self.source.sitemap_urls:
            yield self._feed_request(url, self.parse_sitemap)
        for url in self.source.feed_urls:
            yield self._feed_request(url, self.parse_feed)
        for url in self.source.start_urls:
            yield self._page_request(canonicalize(url), via="start", dont_filter=True, hub_depth=0)

    def _feed_request(self, url: str, callback) -> Request:
        # Not filtered: a run resumed from JOBDIR re-reads them; the set stops index loops.
        url = canonicalize(url)
        self._sitemaps_requested.add(url)
        return Request(url, callback=callback, errback=self.on_error, headers=conditional_headers(self.seen.get(url)),
                       dont_filter=True, meta={"handle_httpstatus_list": [304]})

    def parse_sitemap(self, response: Response):
        url = canonicalize(response.url)
        listing = read_listing(response, "sitemap", self.crawler)
        if listing is None:
            # An unchanged index still has children that change (the news sitemap): re-read them.
            record = (self.seen.get(url) or {}) if response.status == 304 else {}
            children = record.get("children", ())
        elif listing.kind == "index":
            children = [canonicalize(urljoin(response.url, e.url)) for e in listing.entries]
            children = [c for c in children if host_allowed(urlsplit(c).hostname or "", self.allowed_domains)]
        else:
            children = []
            for entry in listing.entries:
                if request := self._candidate(urljoin(response.url, entry.url), via="sitemap", modified=entry.modified,
                                              listed=entry.news):
                    yield request
        if listing is not None:
            self._feed_records[url] = {**listing.record, **({"children": children} if children else {})}
        for child in children:
            if child not in self._sitemaps_requested:
                yield self._feed_request(child, self.parse_sitemap)

    def parse_feed(self, response: Response):
        listing = read_listing(response, "feed", self.crawler)
        if listing is None:
            return
        self._feed_records[canonicalize(response.url)] = listing.record
        for entry in listing.entries:
            if request := self._candidate(urljoin(response.url, entry.url), via="feed", modified=entry.modified, listed=True):
                yield request

    # --- pages ------------------------------------------------------------------------------------

    def _candidate(self, url: str, *, via: str, modified: datetime | None = None, listed: bool = False,
                   hub_depth: int | None = None) -> Request | None:
        """A request for a discovered URL, or None when it is off-site or already stored and unchanged."""
        url = canonicalize(url)
        if urlsplit(url).scheme not in ("http", "https") or not host_allowed(urlsplit(url).hostname or "", self.allowed_domains):
            return None
        if url in self._stored_this_run or url in self._entry_points or any(p.search(url) for p in self.policy.deny_patterns):
            return None
        if listed and self.seen.listed(url):
            # Reached earlier by a link and not taken for an article: ask again, as the listed page it is.
            self.crawler.stats.inc_value("crawl/listed_after_fetch")
            return self._page_request(url, via=via, dont_filter=True, listed=True)
        record = self.seen.get(url)
        headers: dict[str, str] = {}
        revision = None
        if record and record.get("kind") in STORED_KINDS:
            fetched = datetime.fromisoformat(record["fetched_at"])
            if modified is None or modified <= fetched:
                self.crawler.stats.inc_value("crawl/not_requested/already_stored")
                return None
            headers = conditional_headers(record)  # listed as changed since: ask, but only for news
            revision = modified.isoformat()
            self.crawler.stats.inc_value("crawl/revalidated")
        return self._page_request(url, via=via, headers=headers, listed=listed, hub_depth=hub_depth, revision=revision)

    def _page_request(self, url: str, *, via: str, headers: dict[str, str] | None = None, dont_filter: bool = False,
                      listed: bool = False, hub_depth: int | None = None, revision: str | None = None,
                      **meta: Any) -> Request:
        # Page redirects are followed by the spider, not RedirectMiddleware, so the old URL is remembered
        # as an alias and the target goes through the same seen/domain checks as any link.
        meta.update({"via": via, "listed": listed, "handle_httpstatus_list": [304, *REDIRECTS], "dont_redirect": True})
        if hub_depth is not None:
            meta["hub_depth"] = hub_depth
        if revision:
            meta[REVISION] = revision
        return Request(url, callback=self.parse_page, errback=self.on_error, headers=headers or {},
                       dont_filter=dont_filter, meta=meta)

    def parse_page(self, response: Response):
        stats = self.crawler.stats
        stats.inc_value("crawl/pages/fetched")
        fetched_url = canonicalize(response.url)
        if response.status in REDIRECTS:
            yield from self._redirect(response, fetched_url)
        elif response.status == 304:
            stats.inc_value("crawl/pages/not_modified")
            self._skip(fetched_url, "not_modified")
        elif not isinstance(response, TextResponse) or b"html" not in (response.headers.get(b"Content-Type") or b"html"):
            stats.inc_value("crawl/pages/not_html")
            self._skip(fetched_url, "not_html")
        else:
            verdict = classify(fetched_url, response.selector, self.policy.article_patterns, self.policy.listing_patterns)
            if not verdict.is_article and (response.meta.get("listed") or self.seen.not_article(fetched_url)):
                # The site lists it as news (feed, news sitemap): a short brief or bare markup is still an article.
                verdict = Verdict(True, verdict.score, (*verdict.signals, "listed"))
            if verdict.is_article:
                yield from self._article(response, fetched_url, verdict)
            else:
                stats.inc_value("crawl/pages/listing")  # not remembered: listings are re-read every run
                self._skip(fetched_url, "listing", ", ".join(verdict.signals))
            if self.source.follow_links:
                yield from self._follow(response, from_article=verdict.is_article)
        yield from self.variants.resolved(fetched_url, response.meta, self._variant_request)

    def _follow(self, response: Response, *, from_article: bool):
        # A page reached other than through start pages (sitemap, feed, link) is treated as the deepest hub.
        hub_depth = response.meta.get("hub_depth", self.policy.max_hub_depth)
        followed = ignored = 0
        for link in self.links.extract_links(response):
            url = canonicalize(link.url)
            kind = self.policy.followed_kind(url, from_article=from_article, hub_depth=hub_depth)
            if kind is None:
                ignored += 1
            elif request := self._candidate(url, via="link", hub_depth=hub_depth + 1 if kind == "hub" else None):
                followed += 1
                yield request
        self.crawler.stats.inc_value("crawl/links/followed", followed)
        self.crawler.stats.inc_value("crawl/links/ignored", ignored)

    def _redirect(self, response: Response, fetched_url: str):
        location = response.headers.get(b"Location")
        self.crawler.stats.inc_value("crawl/pages/redirect")
        if not location:
            self._skip(fetched_url, "redirect_without_location")
            return
        target = canonicalize(urljoin(response.url, location.decode("latin-1")))
        self.seen.put(fetched_url, {"kind": "alias", "canonical": target, "fetched_at": _now().isoformat()})
        meta = response.meta
        if request := self._candidate(target, via=meta.get("via", "link"), listed=meta.get("listed", False),
                                      hub_depth=meta.get("hub_depth")):
            yield request
        elif not host_allowed(urlsplit(target).hostname or "", self.allowed_domains):
            self.crawler.stats.inc_value("crawl/refused/offsite_redirect")

    def _article(self, response: Response, fetched_url: str, verdict: Verdict):
        declared = page_canonical(response.selector, response.url, self.allowed_domains)
        action, reason = self.variants.decide(fetched_url, declared, response.meta)
        if action in ("defer", "skip"):
            # An AMP/print/tracking variant: next runs skip it (a fallback below stores it as an article).
            self.seen.put(fetched_url, {"kind": "alias", "canonical": declared, "fetched_at": _now().isoformat()})
        if action == "defer":
            # Fetch the page it names instead; should that yield no article, this one is fetched again.
            self.crawler.stats.inc_value("crawl/articles/variant_redirected")
            self._skip(fetched_url, "variant", f"canonical {declared}")
            yield self._page_request(declared, via="canonical", canonical_of=fetched_url,
                                     variant_listed=response.meta.get("listed", False))
            return
        if action == "skip":
            self._skip(fetched_url, reason, f"canonical {declared}")
            return
        if reason:
            self.crawler.stats.inc_value(f"crawl/canonical/{reason}")
        now = _now()
        self._stored_this_run.add(fetched_url)
        self.seen.put(fetched_url, {"kind": "article", "fetched_at": now.isoformat(), **validators(response)})
        self.crawler.stats.inc_value("crawl/articles/yielded")
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        yield Article(
            url=fetched_url,
            source=urlsplit(fetched_url).hostname or self.source.name,
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

    def _variant_request(self, url: str, listed: bool) -> Request:
        """Fetch a variant again to store it under its own URL: the page it named yielded no article."""
        self.crawler.stats.inc_value("crawl/canonical/fallback")
        return self._page_request(url, via="variant", dont_filter=True, listed=listed, keep_url=True)

    def _skip(self, url: str, reason: str, detail: str = "") -> None:
        """A fetched page that yields no row: counted and logged, so a lost article can be found."""
        self.crawler.stats.inc_value(f"crawl/skipped/{reason}")
        logger.info("no article from %s: %s%s", url, reason, f" ({detail})" if detail else "")

    # --- failures and the end of the run -----------------------------------------------------------

    def on_error(self, failure):
        stats = self.crawler.stats
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value("crawl/pages/fetched")
            stats.inc_value(f"crawl/http_status/{status}")
            if status >= 500:
                stats.inc_value("crawl/errors")
            elif status in (404, 410) and request.callback == self.parse_page:
                # Gone pages are not asked for again unless a sitemap or feed lists them as changed.
                self.seen.put(canonicalize(request.url), {"kind": "gone", "fetched_at": _now().isoformat()})
        elif failure.check(IgnoreRequest):
            stats.inc_value("crawl/refused")  # robots.txt, offsite, address guard: counted where refused
        else:
            stats.inc_value("crawl/errors")
            stats.inc_value(f"crawl/errors/{failure.type.__name__}")
            logger.warning("failed %s: %s", request.url, failure.getErrorMessage())
        if request.callback == self.parse_page:
            yield from self.variants.resolved(canonicalize(request.url), request.meta, self._variant_request)

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
