"""Pages that name another URL as their canonical one (AMP, print views, tracking copies).

Such a variant is not stored: the page it names is fetched instead, so one article is one row.
But a canonical link is only a claim, and every way it can be wrong used to lose the article:
a canonical URL spelled differently from the page's own (trailing slash, `www.`, https), one
pointing at the home page (a CMS default for `og:url`), one that redirects back to the page or
answers 404. Here the variant is stored under its own URL whenever the page it names turns out
not to be an article of its own, known now (seen store, this run) or learned when that page's
answer arrives (then the variant is fetched again: one extra request, only in that case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from scrapy.http import Request

from pipeline.crawl.canonical import same_page
from pipeline.crawl.links import LinkPolicy
from pipeline.crawl.seen import SeenStore

Action = Literal["store", "skip", "defer"]


class Variants:
    """Decides what a declared canonical URL means for a fetched article page, and resolves deferrals."""

    def __init__(self, seen: SeenStore, stored: set[str], policy: LinkPolicy) -> None:
        self._seen = seen
        self._stored = stored  # canonical URLs stored this run (owned by the spider)
        self._policy = policy
        self._handled: set[str] = set()  # URLs whose answer was handled in this process this run
        self._waiting: dict[str, tuple[str, bool]] = {}  # canonical URL -> (variant URL, listed)

    def is_stored(self, url: str) -> bool:
        return url in self._stored or (self._seen.get(url) or {}).get("kind") == "article"

    def decide(self, fetched: str, declared: str | None, meta: dict[str, Any]) -> tuple[Action, str]:
        """`store` under the fetched URL, `skip` (the named page holds the article) or `defer` to it; and why."""
        if not declared or declared == fetched or meta.get("keep_url") or "canonical_of" in meta:
            return "store", ""
        if same_page(declared, fetched):
            return "store", "same_page"
        if self._policy.kind(declared) == "hub":
            return "store", "declared_hub"
        if self.is_stored(declared):
            return "skip", "variant_of_stored"
        record = self._seen.get(declared) or {}
        if record.get("kind") == "alias":
            target = record.get("canonical") or ""
            if target != fetched and self.is_stored(target):
                return "skip", "variant_of_stored"
            return "store", "declared_redirects"
        if record.get("kind") == "gone" or declared in self._handled:
            return "store", "declared_not_article"
        self._waiting[declared] = (fetched, bool(meta.get("listed")))
        return "defer", "variant"

    def resolved(self, url: str, meta: dict[str, Any], refetch: Callable[[str, bool], Request]) -> Iterator[Request]:
        """`url` was answered (any outcome): variants waiting on it are fetched again unless it stored an article.

        Waiting variants come from this process (`decide`) or, for a request made by another process of
        a shared frontier, from the request's own meta.
        """
        self._handled.add(url)
        waiting: dict[str, bool] = {}
        if entry := self._waiting.pop(url, None):
            waiting[entry[0]] = entry[1]
        if meta.get("canonical_of"):
            waiting.setdefault(meta["canonical_of"], bool(meta.get("variant_listed")))
        if url in self._stored:
            return
        for variant, listed in waiting.items():
            if variant not in self._stored:
                yield refetch(variant, listed)
