"""A news site to crawl: YAML files in `configs/sources/` or ad-hoc `-a` spider arguments, validated at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from pipeline.config import ConfigError, build, read_yaml

# Per-site overrides a source file may set; safety settings (robots, address guard, handlers) are not among them.
SITE_SETTINGS = frozenset(
    {"DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
     "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
     "DEPTH_LIMIT", "RETRY_TIMES", "ROBOTSTXT_USER_AGENT", "DEFAULT_REQUEST_HEADERS"}
)


@dataclass(frozen=True)
class SourceConfig:
    """Where a site's articles are found and how to recognise them."""

    name: str = ""
    start_urls: tuple[str, ...] = ()  # home and section pages: re-read every run, links followed
    sitemap_urls: tuple[str, ...] = ()  # sitemap indexes, urlsets, Google News sitemaps
    feed_urls: tuple[str, ...] = ()  # RSS 2.0, RSS 1.0, Atom
    allowed_domains: tuple[str, ...] = ()  # default: the hosts of the URLs above
    article_patterns: tuple[str, ...] = ()  # regexes (searched in the URL) of article pages
    listing_patterns: tuple[str, ...] = ()  # regexes of pages never stored: tags, search, authors...
    deny_patterns: tuple[str, ...] = ()  # regexes of URLs never requested (print views, comments, logins)
    follow_links: bool = True  # follow article and hub links found in pages (sitemaps and feeds are always read)
    max_hub_depth: int = 2  # hub pages followed from a start page: home -> section -> its page 2
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"source {self.name or '(ad hoc)'}"
        if not (self.start_urls or self.sitemap_urls or self.feed_urls):
            raise ConfigError(f"{where}: give at least one of start_urls, sitemap_urls, feed_urls")
        urls = self.start_urls + self.sitemap_urls + self.feed_urls
        for url in urls:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ConfigError(f"{where}: {url!r} is not an absolute http(s) URL")
        for pattern in self.article_patterns + self.listing_patterns + self.deny_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where}: bad URL pattern {pattern!r}: {exc}") from exc
        if self.max_hub_depth < 0:
            raise ConfigError(f"{where}: max_hub_depth must be 0 or more, got {self.max_hub_depth}")
        unknown = sorted(set(self.settings) - SITE_SETTINGS)
        if unknown:
            raise ConfigError(
                f"{where}: settings {', '.join(unknown)} cannot be set per site; allowed: {', '.join(sorted(SITE_SETTINGS))}"
            )
        if not self.allowed_domains:
            hosts = tuple(dict.fromkeys(urlsplit(u).hostname or "" for u in urls))
            object.__setattr__(self, "allowed_domains", hosts)
        if not self.name:
            object.__setattr__(self, "name", self.allowed_domains[0])
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def article_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.article_patterns)

    @property
    def deny_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.deny_patterns)

    @property
    def listing_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.listing_patterns)


def load_source(path: str | Path) -> SourceConfig:
    """Read one `configs/sources/*.yaml` file (the name defaults to the file's stem)."""
    path = Path(path)
    data = read_yaml(path)
    data.setdefault("name", path.stem)
    return build(SourceConfig, data, where=str(path))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def source_from_arguments(**arguments: str | None) -> SourceConfig:
    """Ad-hoc source from comma-separated spider arguments (`-a start_urls=URL,URL -a feed_urls=...`)."""
    list_keys = ("start_urls", "sitemap_urls", "feed_urls", "allowed_domains", "article_patterns", "listing_patterns",
                 "deny_patterns")
    unknown = sorted(set(arguments) - set(list_keys) - {"name"})
    if unknown:
        raise ConfigError(f"unknown spider argument(s) {', '.join(unknown)}; known: source, name, {', '.join(list_keys)}")
    values: dict[str, Any] = {k: _split(arguments.get(k)) for k in list_keys if arguments.get(k)}
    if arguments.get("name"):
        values["name"] = arguments["name"]
    return build(SourceConfig, values, where="spider arguments")
