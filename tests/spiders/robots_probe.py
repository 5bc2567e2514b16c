"""A minimal spider that sends many concurrent requests to paths robots.txt disallows.

Run with `scrapy runspider` outside the project; `-s PROBE_URLS=u1,u2,...` lists the URLs and
`-s PROBE_MIDDLEWARE=stock|strict` picks Scrapy's robots.txt middleware or the project's.
"""

from __future__ import annotations

import scrapy

STOCK = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
STRICT = "pipeline.crawl.robots.StrictRobotsTxtMiddleware"


class RobotsProbe(scrapy.Spider):
    name = "robots_probe"

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        settings.set("ROBOTSTXT_OBEY", True, priority="spider")
        settings.set("CONCURRENT_REQUESTS", 32, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 32, priority="spider")
        settings.set("TELNETCONSOLE_ENABLED", False, priority="spider")
        if settings.get("PROBE_MIDDLEWARE") == "strict":
            settings.set("DOWNLOADER_MIDDLEWARES", {STOCK: None, STRICT: 100}, priority="spider")

    async def start(self):
        for url in self.settings.get("PROBE_URLS").split(","):
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response):
        self.crawler.stats.inc_value("probe/fetched")

    def failed(self, failure):
        self.crawler.stats.inc_value("probe/refused")
