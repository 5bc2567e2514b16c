"""Which discovered links are worth a request: articles and the hubs that list them, not every link.

An article page links to tags, authors, share and login URLs, comment threads, newsletters and a
footer of about/terms/careers pages; following all of them spent 20 requests per stored article on
a test site, mostly 404s. Here a URL is an `article` (per-source `article_patterns`, else the shape
of news URLs: a date, a slug of three or more words, or a slug with a numeric id), a `hub` (per-source
`listing_patterns`, courlan's navigation pages, short section paths such as `/world/`), or `other`.
Hub pages have their article and hub links followed, hubs only up to `max_hub_depth` hops from a
start page; article pages have only their article links followed (related stories); `other` links
are never followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from courlan.filters import is_navigation_page, is_not_crawlable, type_filter

LinkKind = Literal["article", "hub", "other"]

_DATE = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?")
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cms)$", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[-_+.~,]+")
# Pages every site has and no news crawl wants: not articles, not lists of articles.
_UTILITY = re.compile(
    r"^/(?:about|accessibility|account|advertise|advertising|careers?|contact|cookies?|feedback|help|imprint|jobs"
    r"|legal|login|logout|newsletters?|privacy|register|shop|sign-?in|sign-?up|subscribe|subscriptions?|terms)"
    r"(?:-[\w-]*)?(?:/|\.\w+$|$)",
    re.IGNORECASE,
)
MAX_SECTION_SEGMENT = 30  # `/world/`, `/news/middle-east/`: short names, unlike article slugs


def _slug_words(path: str) -> tuple[list[str], bool]:
    """Words of the last path segment (page suffix dropped), and whether it carries a numeric id."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return [], False
    words = [w for w in _WORD_SPLIT.split(_PAGE_SUFFIX.sub("", segments[-1])) if w]
    has_id = any(w.isdigit() and len(w) >= 5 for w in words)
    return [w for w in words if not w.isdigit()], has_id


def looks_like_article(url: str) -> bool:
    """The default article shape: no query, and a dated path, a slug of >= 3 words, or a slug with an id."""
    parts = urlsplit(url)
    if parts.query or is_navigation_page(url) or not type_filter(url, strict=True):
        return False
    words, has_id = _slug_words(parts.path)
    if not words:
        return False
    return len(words) >= 3 or has_id or bool(_DATE.search(parts.path))


def looks_like_hub(url: str) -> bool:
    """The default hub shape: a navigation page (tag, category, page N...) or a short section path."""
    parts = urlsplit(url)
    if is_navigation_page(url):
        return True
    segments = [s for s in parts.path.split("/") if s]
    if parts.query or len(segments) > 2:
        return False
    return all(len(s) <= MAX_SECTION_SEGMENT and not _PAGE_SUFFIX.search(s) and "." not in s for s in segments)


@dataclass(frozen=True)
class LinkPolicy:
    """Per-source patterns first, then the default shapes; deny patterns and utility pages always win."""

    article_patterns: tuple[re.Pattern[str], ...] = ()
    listing_patterns: tuple[re.Pattern[str], ...] = ()
    deny_patterns: tuple[re.Pattern[str], ...] = ()
    max_hub_depth: int = 2

    def kind(self, url: str) -> LinkKind:
        """What a (canonical) URL most likely is, from the URL alone."""
        path = urlsplit(url).path or "/"
        if any(p.search(url) for p in self.deny_patterns) or _UTILITY.search(path) or is_not_crawlable(url):
            return "other"
        if any(p.search(url) for p in self.listing_patterns):
            return "hub"
        if any(p.search(url) for p in self.article_patterns) or looks_like_article(url):
            return "article"
        return "hub" if looks_like_hub(url) else "other"

    def followed_kind(self, url: str, *, from_article: bool, hub_depth: int) -> LinkKind | None:
        """The kind of a link worth requesting from a page (an article, or a hub `hub_depth` hops from a
        start page), or None when the link is not followed."""
        kind = self.kind(url)
        if kind == "article" or (kind == "hub" and not from_article and hub_depth < self.max_hub_depth):
            return kind
        return None
