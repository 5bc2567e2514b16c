"""Per-site template learning for text dumps: lines that recur on many pages of one site are template.

A `source` is not assumed to be one site (local files all come as source "file"), so pages are grouped
into *site clusters* by the lines they share: two dumps of one site share many menu, footer and label
lines, two unrelated dumps share (almost) none. A short line is template when it appears on at least
`template_min_pages` pages of the dump's cluster.

A text-like line (`length_low` characters and more) shared by pages is boilerplate only when it is not
the body of any of them: it must appear on `template_min_pages - 1` other pages that tell a *different
story* than this one (at most half of the shorter page's text-like lines are on the other page, counting only
the lines rare in the cluster: see `_tells_same_story`). A site-wide "about us"
paragraph or newsletter pitch printed under every article is shared by different stories and goes; the
paragraphs of one story printed twice (two URLs, a syndicated copy) are shared only by copies of that
story and stay, so a template never makes two different pages' bodies the same.
"""

from __future__ import annotations

import json
import logging

import xxhash

from pipeline.extract.blocks import line_key
from pipeline.extract.config import ExtractConfig

logger = logging.getLogger(__name__)

_FORMAT = 2
_MAX_KEYS = 50000  # per cluster; beyond this, lines seen on one page only are forgotten
_SAME_STORY = 0.5  # two pages sharing this share of their text-like lines tell the same story


def _tells_same_story(shared: set[str], lines: set[str], other_lines: set[str], counts: dict[str, int]) -> bool:
    """Two pages tell one story when more than half the text-like lines of the shorter one are on the longer one.

    Containment, not Jaccard: a syndicated copy cut short, or a page dump that adds comments and related
    lists to the article, shares the article's lines but few of the longer page's. Counted only on the lines
    printed on at most twice as many pages of the cluster (`counts`) as the least printed shared line: a copy
    wrapped in another site's page shares the article with its original, and the wrapper's furniture (related
    headlines and their teasers, printed on every page of that site) would otherwise outnumber the article."""
    cut = 2 * min(counts.get(hashed, 0) for hashed in shared)

    def rare(hashes: set[str]) -> int:
        return sum(1 for hashed in hashes if counts.get(hashed, 0) <= cut)

    story_shared = rare(shared)
    return story_shared >= 2 and story_shared > _SAME_STORY * min(rare(lines), rare(other_lines))


def _hash(key: str) -> str:
    return xxhash.xxh64_hexdigest(key.encode("utf-8"))


def _page_keys(dump: str) -> dict[str, str]:
    """Hashed matching keys of the dump's lines -> the key itself (used to judge the line's length)."""
    keys = {}
    for line in dump.splitlines():
        key = line_key(line)
        if len(key) >= 2:
            keys[_hash(key)] = key
    return keys


class SiteTemplates:
    """Learned template lines, grouped per source into clusters of pages that share lines."""

    def __init__(self, config: ExtractConfig | None = None) -> None:
        self.config = config or ExtractConfig()
        # source -> list of clusters; a cluster is {"pages": [page hashes], "lines": {line hash: page count},
        # "long": {page hash: set of the page's text-like line hashes}}
        self._clusters: dict[str, list[dict]] = {}

    def _long(self, keys: dict[str, str]) -> set[str]:
        return {hashed for hashed, key in keys.items() if len(key) >= self.config.length_low}

    def _match(self, source: str, keys: set[str]) -> dict | None:
        """The cluster of `source` sharing the most lines with `keys`, if it shares enough to be one site."""
        best, best_shared = None, 0
        for cluster in self._clusters.get(source, []):
            shared = sum(1 for key in keys if key in cluster["lines"])
            if shared > best_shared:
                best, best_shared = cluster, shared
        return best if best_shared >= self.config.template_min_shared else None

    def observe(self, source: str, dump: str) -> None:
        """Learn from one page of `source` (observing the same dump twice counts it once)."""
        keys = _page_keys(dump)
        if not keys:
            return
        page = _hash("\n".join(sorted(keys)))
        cluster = self._match(source, set(keys))
        if cluster is None:
            cluster = {"pages": [], "lines": {}, "long": {}}
            self._clusters.setdefault(source, []).append(cluster)
        if page in cluster["pages"]:
            return
        cluster["pages"].append(page)
        cluster["long"][page] = self._long(keys)
        for key in keys:
            cluster["lines"][key] = cluster["lines"].get(key, 0) + 1
        if len(cluster["pages"]) > self.config.template_max_pages:
            for forgotten in cluster["pages"][:-self.config.template_max_pages]:
                cluster["long"].pop(forgotten, None)
            cluster["pages"] = cluster["pages"][-self.config.template_max_pages:]
        if len(cluster["lines"]) > _MAX_KEYS:
            cluster["lines"] = {k: n for k, n in cluster["lines"].items() if n > 1}

    def template_keys(self, source: str | None, dump: str) -> frozenset[str]:
        """Matching keys (see `blocks.line_key`) of the dump's lines that are template on its site."""
        if source is None:
            return frozenset()
        keys = _page_keys(dump)
        cluster = self._match(source, set(keys))
        if cluster is None:
            return frozenset()
        page = _hash("\n".join(sorted(keys)))
        own = 1 if page in cluster["pages"] else 0
        needed = self.config.template_min_pages - 1
        long_lines = self._long(keys)
        # text-like lines counted only on the other pages that tell another story than this one
        other_stories: dict[str, int] = {}
        same_story = 0
        counts = cluster["lines"]
        for other, lines in cluster["long"].items():
            if other == page:
                continue
            shared = lines & long_lines
            if not shared:
                continue
            if _tells_same_story(shared, lines, long_lines, counts):
                same_story += 1
            else:
                for hashed in shared:
                    other_stories[hashed] = other_stories.get(hashed, 0) + 1
        result = set()
        for hashed, key in keys.items():
            if hashed in long_lines:
                template = other_stories.get(hashed, 0) >= needed
            else:
                # copies of this story print its short lines too (subheadings, short paragraphs): they are not
                # the site's pages that make a short line template
                template = cluster["lines"].get(hashed, 0) - own - same_story >= needed
            if template:
                result.add(key)
        return frozenset(result)

    def to_json(self) -> str:
        """Serialize the learned clusters (line hashes only, no page text)."""
        clusters = {source: [{**c, "long": {p: sorted(h) for p, h in c["long"].items()}} for c in cs]
                    for source, cs in self._clusters.items()}
        return json.dumps({"format": _FORMAT, "clusters": clusters}, separators=(",", ":"))

    @classmethod
    def from_json(cls, s: str, config: ExtractConfig | None = None) -> SiteTemplates:
        """Restore templates saved by `to_json`; a malformed document is a ValueError."""
        data = json.loads(s)
        if not isinstance(data, dict) or data.get("format") not in (1, _FORMAT) or not isinstance(data.get("clusters"), dict):
            raise ValueError("not a SiteTemplates document (expected format %d)" % _FORMAT)
        templates = cls(config)
        # format 1 kept no page's text-like lines: its pages never make a text-like line template
        templates._clusters = {source: [{**c, "long": {p: set(h) for p, h in c.get("long", {}).items()}} for c in cs]
                               for source, cs in data["clusters"].items()}
        return templates
