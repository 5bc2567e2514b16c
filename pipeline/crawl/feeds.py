"""Sitemaps (index, urlset, Google News) and RSS/Atom feeds parsed without entity expansion.

The XML comes from the network, so it is parsed with defusedxml: a DTD declaring entities (billion
laughs, external entities reading local files or URLs) is refused outright instead of being expanded.
A refused or malformed document raises `FeedError`; the spider counts it and moves on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

logger = logging.getLogger(__name__)


class FeedError(ValueError):
    """A sitemap or feed that cannot be used; `reason` is a short stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """One URL listed by a sitemap or feed, with the date it says the page last changed.

    `news` is true for feed items and Google News sitemap entries: pages the site itself calls news
    articles, extracted whatever the page's markup says (a plain sitemap also lists sections and tags).
    """

    url: str
    modified: datetime | None = None
    news: bool = False


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: `index` lists further sitemaps, `urlset` lists pages."""

    kind: str
    entries: tuple[Entry, ...]


def _parse_xml(body: bytes) -> Element:
    try:
        return fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError("unsafe_xml", f"{type(exc).__name__}: {exc}") from exc
    except ParseError as exc:
        raise FeedError("malformed_xml", str(exc)) from exc


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: Element, *names: str) -> str | None:
    """Text of the first descendant whose local name is one of `names` (searched in that order)."""
    for name in names:
        for child in element.iter():
            if child is not element and _local(child.tag) == name and child.text and child.text.strip():
                return child.text.strip()
    return None


def parse_date(value: str | None) -> datetime | None:
    """W3C/ISO 8601 or RFC 822 date as an aware UTC datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_sitemap(body: bytes) -> Sitemap:
    """Entries of a sitemap index or urlset; a Google News entry's publication date counts as its date."""
    root = _parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise FeedError("not_a_sitemap", f"root element <{kind}>")
    item_tag = "sitemap" if kind == "sitemapindex" else "url"
    entries = []
    for item in root:
        if _local(item.tag) != item_tag:
            continue
        loc = next((c.text.strip() for c in item if _local(c.tag) == "loc" and c.text), None)
        if loc:
            modified = parse_date(_child_text(item, "lastmod", "publication_date"))
            news = any(_local(child.tag) == "news" for child in item)
            entries.append(Entry(loc, modified, news))
    return Sitemap("index" if kind == "sitemapindex" else "urlset", tuple(entries))


def parse_feed(body: bytes) -> list[Entry]:
    """Item links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root = _parse_xml(body)
    kind = _local(root.tag)
    if kind == "feed":
        return [entry for item in root if _local(item.tag) == "entry" and (entry := _atom_entry(item))]
    if kind not in ("rss", "RDF"):
        raise FeedError("not_a_feed", f"root element <{kind}>")
    entries = []
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = _child_text(item, "link")
        if not link:
            guid = next((c for c in item if _local(c.tag) == "guid"), None)
            if guid is not None and guid.get("isPermaLink", "true") == "true" and guid.text:
                link = guid.text.strip()
        if link:
            entries.append(Entry(link, parse_date(_child_text(item, "pubDate", "date", "updated")), news=True))
    return entries


def _atom_entry(item: Element) -> Entry | None:
    for link in item:
        if _local(link.tag) == "link" and link.get("rel", "alternate") == "alternate" and link.get("href"):
            return Entry(link.get("href", "").strip(), parse_date(_child_text(item, "updated", "published")), news=True)
    return None
