"""HTML mode's title: the headline as the page shows it, without the site name.

Sources: og:title (or whatever trafilatura's metadata found), the page's <h1> elements and its <title>.
The headline is the metadata title with a site-name segment (" | Site", " - Site", "Site: ") removed;
an <h1> that agrees with it (same words, or the headline with a kicker or a site name around it) wins,
because that is what a reader sees, and so does a page's only <h1> on the same subject (the metadata title
is then one written for search engines); an <h1> that names the site never does.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_SEPARATOR = re.compile(r"\s+[|\-–—·»›:]\s+|\s*::\s*|\s+_\s*|_(?=\S)")
_WORDS = re.compile(r"\w+")


def page_title(html: str) -> str | None:
    """The document's <title> text, entities decoded and whitespace collapsed."""
    match = _TITLE_TAG.search(html[:200000])
    if not match:
        return None
    title = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())
    return title or None


def _norm(text: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())


def _words(text: str) -> set[str]:
    return set(_WORDS.findall(_norm(text)))


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def strip_site_name(title: str, site_words: set[str]) -> str:
    """`title` without its site-name segments: a first or last segment whose words all belong to the site
    name (og:site_name, the <title>'s own suffix, the host), kept when nothing else would remain."""
    parts = [p.strip() for p in _SEPARATOR.split(title) if p and p.strip()]
    if len(parts) < 2 or not site_words:
        return title
    while len(parts) > 1 and _words(parts[-1]) <= site_words:
        parts.pop()
    while len(parts) > 1 and _words(parts[0]) <= site_words:
        parts.pop(0)
    if len(parts) == len(_SEPARATOR.split(title)):
        return title
    # rebuild from the original string so inner punctuation stays as printed
    start, end = title.find(parts[0]), title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if start >= 0 and end > start else title


def _site_words(sitename: str | None, url: str | None, tag_title: str | None, metadata_title: str | None) -> set[str]:
    words = _words(sitename or "")
    if url:
        host = re.sub(r"^[a-z]+://", "", url).split("/")[0]
        words |= _words(host.replace(".", " ")) - {"www"}
    # a segment the <title> and the metadata title both end with is the site name
    if tag_title and metadata_title:
        tail_a = _SEPARATOR.split(tag_title)[-1].strip()
        tail_b = _SEPARATOR.split(metadata_title)[-1].strip()
        if tail_a and _norm(tail_a) == _norm(tail_b) and _norm(tail_a) != _norm(tag_title):
            words |= _words(tail_a)
    return words


# Elements inside an <h1> that are not the headline: a subtitle in <small>, a byline or date block.
_NOT_HEADLINE = frozenset(("small", "h2", "h3", "h4", "h5", "h6", "time", "address", "script", "style", "button"))


def _heading_text(element) -> str:
    """The text of a heading without the subtitle, byline or date printed inside it."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NOT_HEADLINE:
            parts.append(_heading_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def headings(tree) -> list[str]:
    """The texts of the page's first <h1> elements, whitespace collapsed."""
    out = []
    for element in tree.iter("h1"):
        text = " ".join(_heading_text(element).split())
        if text:
            out.append(text)
        if len(out) == 3:
            break
    return out


def choose_title(metadata_title: str | None, tag_title: str | None, h1s: list[str], sitename: str | None = None,
                 url: str | None = None) -> str | None:
    """The headline: the metadata title (else the <title>) without the site name, or the <h1> agreeing with it."""
    base = metadata_title or tag_title
    if not base:
        return h1s[0] if h1s else None
    site = _site_words(sitename, url, tag_title, metadata_title)
    headline = strip_site_name(base, site)
    wanted = _words(headline)
    for h1 in h1s:
        h1_words = _words(h1)
        if not h1_words or h1_words <= site:
            continue  # the site's name or logo as a heading
        if _norm(h1) in _norm(base) and len(h1_words) >= 2:
            return h1  # the headline itself, the metadata adding a site name or a kicker
        if _dice(h1_words, wanted) >= 0.6:
            return h1  # the same headline worded for the page: what a reader sees
    if len(h1s) == 1 and _sole_heading_wins(h1s[0], headline, site):
        return h1s[0]  # the page's only heading, on the same subject: the metadata title is written for search
    return headline


def without_headlines(text: str, headlines: list[str | None]) -> str:
    """`text` without the lines that repeat a headline (the chosen title or an <h1>), compared normalized.

    trafilatura keeps an <h1> printed inside the article container as the body's first line; the headline
    is stored as the title, and the body references (readability's, the seeds', the labelled pages') never
    hold it. Only lines about as short as a headline are normalized: paragraphs cannot equal one.
    """
    wanted = {_norm(headline) for headline in headlines if headline}
    wanted.discard("")
    if not wanted:
        return text
    longest = max(map(len, wanted)) + 16  # NFKC and whitespace collapsing change a length a little
    lines = text.split("\n")
    kept = [line for line in lines if len(line) > longest or _norm(line) not in wanted]
    return text if len(kept) == len(lines) else "\n".join(kept)


def _sole_heading_wins(h1: str, headline: str, site: set[str]) -> bool:
    """Whether a page's only <h1>, not agreeing with the metadata headline, is the headline a reader sees:
    it shares a word with it, is not the site's name, and does not wrap it in extra segments
    ("Show: Headline | Video of 16.10.") the way a player or section banner does."""
    words = _words(h1)
    if not words & _words(headline) or words <= site:
        return False
    return not (_norm(headline) in _norm(h1) and len(_SEPARATOR.split(h1)) > len(_SEPARATOR.split(headline)))
