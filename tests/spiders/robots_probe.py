"""A minimal spider that sends many concurrent requests to one site and counts what it was allowed to fetch.

Run with `scrapy runspider` outside the project; `-s PROBE_URLS=u1,u2,...` lists the URLs,
`-s PROBE_MIDDLEWARE=stock|strict` picks Scrapy's robots.txt middleware or the project's (strict also
installs the project's address guard, as the news spider does), `-s PROBE_ALLOWED_DOMAINS=a,b` sets
the spider's allowed domains.
"""

from __future__ import annotations

import scrapy

STOCK = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
STRICT = "pipeline.crawl.robots.StrictRobotsTxtMiddleware"
GUARD = "pipeline.crawl.netguard.HopGuardMiddleware"


class RobotsProbe(scrapy.Spider):
    name = "robots_probe"

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        settings.set("ROBOTSTXT_OBEY", True, priority="spider")
        settings.set("CONCURRENT_REQUESTS", 32, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 32, priority="spider")
        settings.set("TELNETCONSOLE_ENABLED", False, priority="spider")
        settings.set("RETRY_TIMES", 0, priority="spider")
        if settings.get("PROBE_MIDDLEWARE") == "strict":
            settings.set("DOWNLOADER_MIDDLEWARES", {STOCK: None, STRICT: 100, GUARD: 60}, priority="spider")

    async def start(self):
        self.allowed_domains = [d for d in (self.settings.get("PROBE_ALLOWED_DOMAINS") or "").split(",") if d]
        for url in self.settings.get("PROBE_URLS").split(","):
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response):
        self.crawler.stats.inc_value("probe/fetched")

    def failed(self, failure):
        self.crawler.stats.inc_value("probe/refused")
