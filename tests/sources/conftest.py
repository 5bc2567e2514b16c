"""Reading an input root the way the files spider does, without Scrapy: items and stats collected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.errors import Rejected
from pipeline.items import Article, RejectRecord
from pipeline.localfiles import LocalFile
from pipeline.sources import SourceOptions, items_for, resolve_root


@dataclass
class Read:
    articles: list[Article] = field(default_factory=list)
    rejects: list[RejectRecord] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)

    def reasons(self) -> Counter:
        return Counter(r.reason for r in self.rejects)

    def by_url(self) -> dict[str, Article]:
        return {a.url: a for a in self.articles}

    def pages(self) -> dict[str, bytes | str]:
        """URL -> the bytes an extraction worker gets (it reads a `LocalFile` itself), or the reason its read is rejected."""
        found = {}
        for article in self.articles:
            try:
                found[article.url] = article.raw.read() if isinstance(article.raw, LocalFile) else article.raw
            except Rejected as exc:
                found[article.url] = exc.reason
        return found


def read_root(root: str | Path, **options) -> Read:
    """Every item `items_for` produces for `root`, split into articles and rejects, with the stats it counted."""
    found = Read()
    for item in items_for(resolve_root(root), SourceOptions(**options), lambda key, n=1: found.stats.update({key: n})):
        (found.articles if isinstance(item, Article) else found.rejects).append(item)
    return found


@pytest.fixture
def read():
    return read_root
