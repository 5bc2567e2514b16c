"""HTML mode: trafilatura for body and metadata, with title/author/date post-processing."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.extract.byline import extract_author
from pipeline.extract.config import ExtractConfig

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")


def _trafilatura_options(url: str | None, config: ExtractConfig) -> dict:
    return dict(
        url=url,
        favor_precision=config.favor_precision,
        favor_recall=config.favor_recall,
        include_tables=config.include_tables,
        include_comments=config.include_comments,
        deduplicate=False,  # trafilatura's duplicate cache is process-wide: it would make results order-dependent
    )


def trafilatura_document(html: str, url: str | None, config: ExtractConfig, **overrides: object):
    """trafilatura's own `Document`, metadata included, for `html` (or None when it finds no main text)."""
    import trafilatura

    options = {**_trafilatura_options(url, config), "with_metadata": True, **overrides}
    return trafilatura.bare_extraction(html, **options)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None
    author: str | None
    date: str | None  # ISO date string as htmldate gives it
    sitename: str | None


def page_metadata(tree, url: str | None, config: ExtractConfig) -> PageMetadata:
    """Title, author, date and site name, the way trafilatura's `extract_metadata` finds them.

    trafilatura's own function also collects categories, tags and the license, which we do not store,
    and runs htmldate's extensive search by default: together they cost ~60% of its time
    (bench/throughput.py measures the difference), so only the fields we keep are looked up.
    """
    from htmldate import find_date
    from trafilatura import metadata

    found = metadata.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a single token is a handle or a section name, as trafilatura judges it
    try:
        found = metadata.extract_meta_json(tree, found)
    except Exception as exc:  # noqa: BLE001 - malformed JSON-LD must not cost the article
        logger.debug("JSON-LD metadata unreadable on %s: %s", url, exc)
    title = found.title or metadata.extract_title(tree)
    author = found.author or extract_author(tree)
    date = find_date(
        tree,
        url=found.url or url,
        original_date=True,
        extensive_search=config.date_extensive_search,
        max_date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    )
    return PageMetadata(title, author, date, found.sitename or metadata.extract_sitename(tree))


def trafilatura_body(tree, url: str | None, config: ExtractConfig):
    """trafilatura's main-text extraction (no metadata) on a parsed page, or None when it finds nothing."""
    import trafilatura

    return trafilatura.bare_extraction(tree, with_metadata=False, **_trafilatura_options(url, config))


def clean_author(author: str | None) -> str | None:
    """trafilatura joins every byline it finds with '; ': keep distinct names once, original spelling."""
    if not author:
        return None
    seen: dict[str, str] = {}
    for part in author.split(";"):
        part = _SPACES.sub(" ", part).strip(" ,|")
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return "; ".join(seen.values()) or None


def parse_date(value: str | None) -> datetime | None:
    """trafilatura's ISO date string as an aware UTC datetime (dates without a time are UTC midnight)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def clean_text(text: str | None) -> str:
    """Body as paragraphs separated by one newline, inner whitespace runs collapsed."""
    if not text:
        return ""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """The page rendered as plain text with html-text (block elements on their own lines)."""
    import html_text

    return html_text.extract_text(html, guess_layout=True)
