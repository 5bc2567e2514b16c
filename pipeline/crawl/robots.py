"""robots.txt obeyed for every request, however many wait for the file at once (RFC 9309 error rules).

Scrapy 2.19's `RobotsTxtMiddleware` lets every request that arrives while robots.txt is downloading
await one shared Deferred; Twisted passes the first waiter's return value (None) down the chain, so
the third and later waiters get no parser and are let through. Here each waiter gets its own Deferred,
fired with the parser once the download ends. The status rules follow RFC 9309 section 2.3.1:
a 4xx answer means "no rules" (allow all); anything else that is not a 2xx robots.txt means
"disallow all": 5xx, an unreachable server, a redirect chain that ends without a file, and a
redirect the guards refuse (to a host outside `allowed_domains` or one the address guard blocks).
Scrapy's middleware (and ours until now) let the last case through as allow-all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Drop-in replacement for Scrapy's middleware: same settings, signals and stats keys."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._ready: dict[str, RobotParser] = {}
        self._waiting: dict[str, list[Deferred[RobotParser]]] = {}

    async def robot_parser(self, request: Request) -> RobotParser:
        netloc = urlparse_cached(request).netloc
        if netloc in self._ready:
            return self._ready[netloc]
        if netloc in self._waiting:
            # One Deferred per waiter: a shared one would hand later waiters the earlier callbacks' result.
            waiter: Deferred[RobotParser] = Deferred()
            self._waiting[netloc].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[netloc] = []
        parser = await self._fetch_parser(request, netloc)
        self._ready[netloc] = parser
        for waiter in self._waiting.pop(netloc):
            waiter.callback(parser)
        return parser

    async def _fetch_parser(self, request: Request, netloc: str) -> RobotParser:
        url = urlparse_cached(request)
        robots_request = Request(
            f"{url.scheme}://{netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        self._stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except IgnoreRequest as exc:
            # A guard refused the robots.txt request or one of its redirect hops: the rules are unknown.
            return self._disallow_all(netloc, "refused", str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "unreachable"
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            return self._disallow_all(netloc, "unreachable", f"{type(exc).__name__}: {exc}")
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if 400 <= response.status < 500:
            body = b""  # RFC 9309: an "unavailable" robots.txt means no restrictions
        elif 200 <= response.status < 300:
            body = response.body
        else:
            return self._disallow_all(netloc, f"status_{response.status}", f"{response.url} answered {response.status}")
        parser = self._build(body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        return parser

    def _disallow_all(self, netloc: str, reason: str, detail: str) -> RobotParser:
        """The parser for a robots.txt that could not be read: nothing on `netloc` may be fetched."""
        # Called once per host: the parser is cached for the rest of the crawl.
        self._stats.inc_value("robotstxt/disallow_all")
        self._stats.inc_value(f"robotstxt/disallow_all/{reason}")
        logger.warning("robots.txt of %s could not be read (%s): disallowing the whole site", netloc, detail)
        return self._build(DISALLOW_ALL)

    def _build(self, body: bytes) -> RobotParser:
        return build_from_crawler(self._parserimpl, self.crawler, body)
