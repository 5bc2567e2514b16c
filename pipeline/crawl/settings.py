"""Web-only Scrapy settings: polite and safe defaults the `news` spider applies in `update_settings`.

They sit at "spider" priority, so `-s NAME=VALUE` on the command line still wins (tests use that to
allow loopback addresses and to remove delays), while the project settings cannot weaken them by accident.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, Settings

from pipeline.config import ConfigError

_MW = "pipeline.crawl"

WEB_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    # Politeness: AutoThrottle adapts the delay to the server's latency; the hard caps stay per domain.
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_DELAY": 0.5,
    # News pages are well under 10 MB; the cap also cuts gzip/brotli/deflate bombs while decoding.
    "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,
    "DOWNLOAD_TIMEOUT": 30,
    "REDIRECT_MAX_TIMES": 5,
    "METAREFRESH_ENABLED": False,  # meta refresh is a redirect nobody audits; canonical links cover it
    "RETRY_TIMES": 2,
    "COOKIES_ENABLED": False,  # news pages need no session; cookies only grow request fingerprints
    "TELNETCONSOLE_ENABLED": False,
    "DEPTH_LIMIT": 4,
    "DEPTH_PRIORITY": 1,  # breadth first: fresh links on hubs before deep archives
    # Share of failed requests (exceptions and 5xx after retries) above which the run fails.
    "CRAWL_MAX_ERROR_RATE": 0.2,
    "ALLOW_PRIVATE_ADDRESSES": False,
    # A revalidation's fingerprint includes the listed <lastmod>: no dupefilter hides an updated article.
    "REQUEST_FINGERPRINTER_CLASS": f"{_MW}.incremental.RevisionFingerprinter",
}


# Component dictionaries are merged into the project's (replacing them would drop its extensions).
WEB_COMPONENTS: dict[str, dict[str, int | None]] = {
    "DOWNLOADER_MIDDLEWARES": {
        f"{_MW}.netguard.HopGuardMiddleware": 60,  # before robots.txt: its download is guarded too
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        f"{_MW}.robots.StrictRobotsTxtMiddleware": 100,
    },
    "EXTENSIONS": {f"{_MW}.health.CrawlHealth": 100, f"{_MW}.incremental.RunScopedJobDir": 100},
    # Only http(s): a page must never make the crawler read local files, S3 buckets, FTP or data: URIs.
    "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
}


SCHEDULER_BACKENDS = {
    "memory": None,  # Scrapy's scheduler; JOBDIR resumes a stopped run (incremental.RunScopedJobDir)
    "redis": f"{_MW}.frontier.LeasedScheduler",  # one frontier shared by processes on many hosts
}


def apply_scheduler_backend(settings: Settings) -> None:
    """`SCHEDULER_BACKEND`: Scrapy's scheduler (memory, JOBDIR) or the shared Redis frontier."""
    backend = settings.get("SCHEDULER_BACKEND") or "memory"
    if backend not in SCHEDULER_BACKENDS:
        raise ConfigError(f"SCHEDULER_BACKEND={backend!r} is not one of {', '.join(SCHEDULER_BACKENDS)}")
    if backend == "redis":
        if not settings.get("REDIS_URL"):
            raise ConfigError("SCHEDULER_BACKEND=redis needs REDIS_URL (redis://host:6379/0)")
        if settings.get("JOBDIR"):
            raise ConfigError("JOBDIR has no effect with SCHEDULER_BACKEND=redis (the frontier lives in Redis): drop it")
        if settings.getfloat("FRONTIER_LEASE_SECONDS") <= 0:
            raise ConfigError("FRONTIER_LEASE_SECONDS must be a positive number of seconds")
        settings.set("SCHEDULER", SCHEDULER_BACKENDS[backend], priority="spider")


def apply_web_settings(settings: Settings) -> None:
    """Apply the web defaults at "spider" priority and merge the web components into the project's."""
    apply_scheduler_backend(settings)
    for name, value in WEB_SETTINGS.items():
        settings.set(name, value, priority="spider")
    for name, components in WEB_COMPONENTS.items():
        # Import-path keys, like the *_BASE dicts: a class-object key set to None would not disable
        # the same component listed there by path.
        # At least "spider" priority: `CrawlerProcess.crawl(crawler)` re-applies the process settings to
        # the crawler's, which would reset a dict left at "default" priority.
        merged = settings.getdict(name)
        merged.update(components)
        settings.set(name, merged, priority=max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["spider"]))
