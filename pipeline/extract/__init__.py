"""Extraction: raw bytes of a page or text dump -> title, body, author, date and language.

`extract_article` is what the Scrapy pipeline calls; `extract_text` and `extract_html` are the same
extractors for notebooks. Every input that yields no article raises `pipeline.errors.Rejected`; no other
exception escapes `extract_article`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pipeline.errors import Rejected
from pipeline.extract.config import ExtractConfig
from pipeline.extract.decode import decode_bytes, decode_text, sniff_declared
from pipeline.extract.html import clean_author, clean_text, html_to_text, page_metadata, parse_date, trafilatura_body
from pipeline.text.language import detect_language
from pipeline.text.normalize import tokenize
from pipeline.extract.templates import SiteTemplates
from pipeline.extract.text import extract_dump
from pipeline.extract.titles import choose_title, headings, page_title, without_headlines

logger = logging.getLogger(__name__)

__all__ = [
    "ExtractConfig",
    "Extracted",
    "Rejected",
    "SiteTemplates",
    "decode_bytes",
    "extract_article",
    "extract_html",
    "extract_text",
]


@dataclass
class Extracted:
    """The article found in one input; `text` is the body, paragraphs separated by a newline."""

    title: str | None
    text: str
    author: str | None
    published_at: datetime | None  # UTC-aware
    language: str | None  # ISO 639-1
    extraction: str  # "html" or "text"
    replaced_bytes: int = 0  # invalid UTF-8 bytes the decoder replaced with U+FFFD


def _body_language(text: str, config: ExtractConfig) -> str | None:
    # An extracted body is article text from its first line: a few thousand characters decide its
    # language, and py3langid's cost grows with the length (~15% of HTML-mode time on whole articles).
    return detect_language(text, config.language_min_chars, sample_chars=3000)


def _require_article(text: str, config: ExtractConfig, mode: str) -> None:
    words = len(tokenize(text))
    if words < config.min_body_words:
        raise Rejected("extract", "no_article", f"{mode} mode found {words} body words (< {config.min_body_words})")


def extract_text(dump: str, *, source: str | None = None, templates: SiteTemplates | None = None,
                 config: ExtractConfig | None = None) -> Extracted:
    """Text-dump mode: title, body, byline, date and language from a page's plain text."""
    config = config or ExtractConfig()
    template_keys = templates.template_keys(source, dump) if templates is not None else frozenset()
    result = extract_dump(dump, config, template_keys)
    text = "\n".join(result.paragraphs)
    _require_article(text, config, "text")
    language = _body_language(text, config) or result.language
    return Extracted(result.title, text, result.author, result.published_at, language, "text")


def extract_html(html: str, *, url: str | None = None, config: ExtractConfig | None = None) -> Extracted:
    """HTML mode: trafilatura body (without the headline it repeats) and metadata; the text mode on the rendered
    page when trafilatura finds little."""
    from trafilatura.utils import load_html

    config = config or ExtractConfig()
    tree = load_html(html)
    if tree is None:
        raise Rejected("extract", "no_article", "the HTML could not be parsed into a document")
    document = trafilatura_body(tree, url, config)  # works on a copy: `tree` stays intact for the metadata
    meta = page_metadata(tree, url, config)
    h1s = headings(tree)
    title = choose_title(meta.title, page_title(html), h1s, meta.sitename, url)
    text = without_headlines(clean_text(document.text if document is not None else None), [title, *h1s])
    if len(tokenize(text)) < config.html_second_opinion_words and config.html_text_fallback:
        # trafilatura found little: the text mode on the rendered page is a second opinion, the longer body wins
        fallback = extract_dump(html_to_text(html), config)
        alternative = "\n".join(fallback.paragraphs)
        if len(tokenize(alternative)) > len(tokenize(text)):
            text, title = alternative, title or fallback.title
    _require_article(text, config, "html")
    language = _body_language(text, config)
    return Extracted(title, text, clean_author(meta.author), parse_date(meta.date), language, "html")


def extract_article(raw: bytes, content_kind: str, *, url: str | None = None, source: str | None = None,
                    http_encoding: str | None = None, templates: SiteTemplates | None = None,
                    config: ExtractConfig | None = None) -> Extracted:
    """Decode and extract one fetched input; raises only `Rejected` (stage "read" or "extract")."""
    config = config or ExtractConfig()
    if content_kind not in ("html", "text"):
        raise Rejected("extract", "unknown_kind", f"content_kind must be 'html' or 'text', got {content_kind!r}")
    try:
        declared = http_encoding or (sniff_declared(raw) if content_kind == "html" else None)
        decoded = decode_text(raw, declared, max_control_ratio=config.max_control_ratio)
        if content_kind == "html":
            found = extract_html(decoded.text, url=url, config=config)
        else:
            found = extract_text(decoded.text, source=source, templates=templates, config=config)
        found.replaced_bytes = decoded.replaced_bytes
        return found
    except Rejected:
        raise
    except RecursionError as exc:  # pathological nesting in lxml/trafilatura
        raise Rejected("extract", "too_complex", f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # a library bug on odd input must become a reject row, not stop the crawl
        logger.warning("extraction failed on %s: %s: %s", url, type(exc).__name__, exc)
        raise Rejected("extract", "error", f"{type(exc).__name__}: {exc}") from exc
