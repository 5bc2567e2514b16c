"""One URL per article: tracking parameters and fragments stripped, the page's own canonical link honoured."""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from pipeline.crawl.netguard import host_allowed
from pipeline.urls import canonicalize

logger = logging.getLogger(__name__)


def same_page(first: str, second: str) -> bool:
    """Two canonical URLs that differ only by a trailing slash, http/https or a `www.` prefix."""

    def key(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        return host + (f":{parts.port}" if parts.port else ""), parts.path.rstrip("/") or "/", parts.query

    return key(first) == key(second)


def page_canonical(selector: Selector, page_url: str, allowed_domains: list[str] | tuple[str, ...]) -> str | None:
    """The canonical URL a page declares (`<link rel=canonical>`, else `og:url`), canonicalized.

    Ignored when it points outside the allowed domains: a page may not claim another site's URL.
    """
    candidates = selector.xpath(
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')), ' '),"
        " ' canonical ')]/@href"
    ).getall() + selector.xpath("//meta[@property='og:url']/@content").getall()
    for href in candidates:
        href = href.strip()
        if not href:
            continue
        absolute = urljoin(page_url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not host_allowed(parts.hostname or "", allowed_domains):
            logger.debug("ignoring canonical %s declared by %s", absolute, page_url)
            continue
        return canonicalize(absolute)
    return None
