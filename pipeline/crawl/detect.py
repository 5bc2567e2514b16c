"""Is this page an article? URL patterns, the page's own markup, and the extractor's result, as a score.

Listing pages (home, sections, tags, search) are followed but not stored, so a wrong "yes" puts a
teaser page in the lake and a wrong "no" loses an article. Cheap signals decide most pages; the
extractor (trafilatura) is only asked when they disagree or are silent.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from parsel import Selector

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BackgroundNewsArticle", "BlogPosting", "LiveBlogPosting", "Report", "ScholarlyArticle"}
)
LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "WebSite", "ProfilePage"})
THRESHOLD = 2
MIN_TEXT_CHARS = 400  # shorter extractions are teasers, captions or error pages


@dataclass(frozen=True)
class Verdict:
    """The decision with the signals that led to it (kept in the item's `extra` for audits)."""

    is_article: bool
    score: int
    signals: tuple[str, ...]


def jsonld_types(selector: Selector) -> set[str]:
    """Every schema.org `@type` declared in the page's JSON-LD blocks (top level and `@graph`)."""
    types: set[str] = set()
    for raw in selector.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kind = node.get("@type")
                types.update(k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str))
                stack.extend(v for k, v in node.items() if k == "@graph")
    return types


def page_score(url: str, selector: Selector, article_patterns: tuple[re.Pattern[str], ...] = (),
               listing_patterns: tuple[re.Pattern[str], ...] = ()) -> tuple[int, list[str]]:
    """Score from URL patterns and markup alone (no extraction); positive means article-like."""
    score, signals = 0, []

    def add(points: int, name: str) -> None:
        nonlocal score
        score += points
        signals.append(name)

    if any(p.search(url) for p in listing_patterns):
        add(-3, "url:listing")
    elif any(p.search(url) for p in article_patterns):
        add(2, "url:article")
    og_type = (selector.xpath("//meta[@property='og:type']/@content").get() or "").strip().lower()
    if og_type == "article":
        add(2, "og:article")
    elif og_type:
        add(-1, f"og:{og_type}")
    types = jsonld_types(selector)
    if types & ARTICLE_TYPES:
        add(2, "jsonld:article")
    elif types & LISTING_TYPES:
        add(-2, "jsonld:listing")
    articles = len(selector.xpath("//article"))
    if articles == 1:
        add(1, "html:one_article")
    elif articles >= 3:
        add(-2, "html:many_articles")
    if selector.xpath("//meta[@property='article:published_time' or @itemprop='datePublished']"
                      " | //*[@itemprop='datePublished']"):
        add(1, "meta:published_time")
    return score, signals


def extracted_length(html: str) -> int:
    """Characters of main text trafilatura finds in the page (0 when none)."""
    import trafilatura  # heavy; only needed for pages the cheap signals cannot settle

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    return len(text or "")


def classify(url: str, selector: Selector, article_patterns: tuple[re.Pattern[str], ...] = (),
             listing_patterns: tuple[re.Pattern[str], ...] = ()) -> Verdict:
    """Article or not: markup and URL score, with the extractor's result when that score is undecided."""
    score, signals = page_score(url, selector, article_patterns, listing_patterns)
    # Clearly decided either way: skip the extraction (it runs again in the pipeline for articles).
    if score >= THRESHOLD + 2 or score <= -2:
        return Verdict(score >= THRESHOLD, score, tuple(signals))
    if extracted_length(selector.get()) >= MIN_TEXT_CHARS:
        score += 2
        signals.append("extract:text")
    else:
        score -= 2
        signals.append("extract:none")
    return Verdict(score >= THRESHOLD, score, tuple(signals))
