"""One URL per page, for every source: the web spider, WARC records and JSONL exports name a page alike,
so its `doc_id` (url + content) is the same whichever way it arrived. No Scrapy here."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url


def canonicalize(url: str) -> str:
    """Lower-case scheme/host, default port, sorted query without trackers (utm_*, fbclid...), no fragment.

    Percent-encoding is made uniform the way Scrapy's request fingerprints see it (w3lib), so two
    spellings of one URL (`(` and `%28`) are one URL here too: a page whose canonical link spelled its
    own URL differently was taken for a variant, and the request for "its" canonical URL was then
    dropped as a duplicate of itself, losing the article.
    """
    try:
        normalized = normalize_url(url)
    except ValueError:
        # courlan refuses some malformed URLs; keep them as given rather than lose the link.
        normalized = url
    canonical = canonicalize_url(urldefrag(normalized)[0])
    parts = urlsplit(canonical)
    if parts.netloc and not parts.path:
        canonical = parts._replace(path="/").geturl()  # what the request line sends anyway
    return canonical
