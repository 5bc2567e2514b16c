"""Link decisions (exact, near_duplicate, same_story) and run-level clustering: the `Deduplicator`.

One `Deduplicator` is the single writer of a run: `add()` links each new document to documents of this
and earlier runs, `finish_run()` resolves clusters deterministically, `commit()` persists the run.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.index import DedupIndex
from pipeline.dedup.records import Rep, StoredDoc, band_keys, content_key
from pipeline.dedup.signatures import DocSignature, estimate_jaccard, sketch_jaccard

logger = logging.getLogger(__name__)

EXACT, NEAR, STORY = "exact", "near_duplicate", "same_story"


@dataclass(frozen=True)
class Link:
    """A pair found by `add()`: `doc_id` is the new document, `other_doc_id` one of this or an earlier run."""

    doc_id: str
    other_doc_id: str
    kind: str
    similarity: float


@dataclass(frozen=True)
class Assignment:
    """Cluster results for one document of the run."""

    near_dup_of: str | None  # earliest-ingested member of its exact/near cluster; None for that member
    story_id: str  # doc_id of the earliest member of its story cluster (its own doc_id when alone)


@dataclass
class _RunDoc:
    url: str
    content_key: int
    near: np.ndarray
    sketch: np.ndarray
    shingles: np.ndarray  # all story shingles, counted into the document frequencies at commit


class Deduplicator:
    """Links documents against the persistent index; see docs/dedup.md for the decisions."""

    def __init__(self, config: DedupConfig, index: DedupIndex) -> None:
        self.config = config
        self.index = index
        self.stats: Counter[str] = Counter()
        self._run_seq: int | None = None

    def _start_run(self) -> None:
        # Frequencies are frozen for the whole run so that links do not depend on arrival order.
        self._run_seq = self.index.begin_run()
        self._df = self.index.doc_freq()
        self._df_cutoff = max(self.config.story_min_df_docs, self.config.story_max_df * self._df.n_docs)
        self._docs: dict[str, _RunDoc] = {}
        self._near_buckets: defaultdict[int, list[str]] = defaultdict(list)
        self._story_postings: defaultdict[int, list[str]] = defaultdict(list)
        self._links: list[Link] = []
        self._earlier: dict[str, StoredDoc] = {}
        self._assignments: dict[str, Assignment] | None = None

    def is_known(self, doc_id: str) -> bool:
        """True when `doc_id` was ingested in an earlier run or already added in this one."""
        if self._run_seq is not None and doc_id in self._docs:
            return True
        return self.index.known(doc_id)

    def story_sketch(self, signature: DocSignature) -> np.ndarray:
        """The document's story shingles minus corpus-frequent ones, reduced to the bottom-k sketch."""
        values = signature.story_values
        if self._df.n_docs and len(values):
            values = values[self._df.counts(values) < self._df_cutoff]
        return values[: self.config.story_sketch_size]

    def add(self, doc_id: str, url: str, signature: DocSignature) -> list[Link]:
        """Index one new document and return its links to documents of this and earlier runs."""
        if self._run_seq is None:
            self._start_run()
        if self._assignments is not None:
            raise RuntimeError("add() after finish_run(): commit() first, then add the next run's documents")
        if self.is_known(doc_id):
            self.stats["dedup/known"] += 1
            return []
        cfg = self.config
        near = signature.near_values
        sketch = self.story_sketch(signature)
        keys = band_keys(near, cfg.near_bands)[0]
        near_cands = set(self.index.near_candidates(keys))
        for key in keys.tolist():
            near_cands.update(self._near_buckets.get(key, ()))
        story_cands: Counter[str] = Counter()
        if len(sketch) >= cfg.story_min_shingles:
            indexed = sketch[: cfg.story_index_size]
            story_cands.update(self.index.story_candidates(indexed))
            for value in indexed.tolist():
                story_cands.update(self._story_postings.get(value, ()))
            # one shared value is chance; the exact check runs only on candidates with more evidence
            story_cands = Counter({d: c for d, c in story_cands.items() if c >= cfg.story_min_shared})
        wanted = [d for d in near_cands | set(story_cands) if d not in self._docs and d not in self._earlier]
        self._earlier.update(self.index.fetch(wanted))
        ckey = content_key(signature.content_hash)
        links = []
        for other in sorted(near_cands | set(story_cands)):
            link = self._decide(doc_id, ckey, near, sketch, other, story_cands.get(other, 0))
            if link:
                links.append(link)
                self.stats[f"dedup/{link.kind}/linked"] += 1
        self._docs[doc_id] = _RunDoc(url, ckey, near, sketch, signature.story_values)
        for key in keys.tolist():
            self._near_buckets[key].append(doc_id)
        if len(sketch) >= cfg.story_min_shingles:
            for value in sketch[: cfg.story_index_size].tolist():
                self._story_postings[value].append(doc_id)
        self._links.extend(links)
        self.stats["dedup/added"] += 1
        return links

    def _decide(self, doc_id: str, ckey: int, near: np.ndarray, sketch: np.ndarray, other: str, shared: int) -> Link | None:
        cfg = self.config
        mine = self._docs.get(other)
        if mine is not None:
            o_ckey, o_near, o_sketch = mine.content_key, mine.near, mine.sketch
        elif other in self._earlier:
            rec = self._earlier[other]
            o_ckey, o_near, o_sketch = rec.content_key, rec.near, rec.story
        else:
            return None
        if ckey == o_ckey:
            return Link(doc_id, other, EXACT, 1.0)
        similarity = estimate_jaccard(near, o_near)
        if similarity >= cfg.near_threshold:
            return Link(doc_id, other, NEAR, similarity)
        if shared >= cfg.story_min_shared and min(len(sketch), len(o_sketch)) >= cfg.story_min_shingles:
            similarity = sketch_jaccard(sketch, o_sketch, cfg.story_sketch_size)
            if similarity >= cfg.story_threshold:
                return Link(doc_id, other, STORY, similarity)
        return None

    def finish_run(self) -> dict[str, Assignment]:
        """`near_dup_of` and `story_id` for every document added in this run (independent of add() order)."""
        if self._run_seq is None:
            return {}
        if self._assignments is not None:
            return self._assignments
        order = sorted(self._docs, key=lambda d: (self._docs[d].url, d))
        keys: dict[str, tuple[int, int, str]] = {d: (self._run_seq, rank, d) for rank, d in enumerate(order)}
        near_uf, story_uf = _UnionFind(keys), _UnionFind(keys)
        for rec in self._earlier.values():
            # an earlier document brings its cluster's representative along (transitivity across runs)
            for uf, rep in ((near_uf, rec.near_rep), (story_uf, rec.story_rep)):
                uf.add(rec.doc_id, (rec.run_seq, rec.rank, rec.doc_id))
                uf.add(rep.doc_id, rep.key)
                uf.union(rec.doc_id, rep.doc_id)
        for link in self._links:
            if link.kind in (EXACT, NEAR):
                near_uf.union(link.doc_id, link.other_doc_id)
            story_uf.union(link.doc_id, link.other_doc_id)
        self._assignments = {}
        for d in order:
            near_rep = near_uf.smallest(d)
            self._assignments[d] = Assignment(None if near_rep[2] == d else near_rep[2], story_uf.smallest(d)[2])
        self._reps = {d: (Rep(*_swap(near_uf.smallest(d))), Rep(*_swap(story_uf.smallest(d)))) for d in order}
        self._ranks = keys
        return self._assignments

    def commit(self) -> None:
        """Persist this run's documents into the index atomically; the next add() starts a new run."""
        if self._run_seq is None:
            return
        self.finish_run()
        records = [
            StoredDoc(d, doc.content_key, self._run_seq, self._ranks[d][1], *self._reps[d], doc.near, doc.sketch)
            for d, doc in self._docs.items()
        ]
        self.index.commit(self._run_seq, records, [doc.shingles for doc in self._docs.values()])
        self.stats["dedup/committed"] += len(records)
        self._run_seq = None


def _swap(key: tuple[int, int, str]) -> tuple[str, int, int]:
    return key[2], key[0], key[1]


class _UnionFind:
    """Union-find over doc_ids that remembers each set's smallest (run, rank, doc_id) key."""

    def __init__(self, keys: dict[str, tuple[int, int, str]]) -> None:
        self.parent = {d: d for d in keys}
        self.best = dict(keys)

    def add(self, node: str, key: tuple[int, int, str]) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.best[node] = key

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.best[ra] = min(self.best[ra], self.best[rb])

    def smallest(self, node: str) -> tuple[int, int, str]:
        return self.best[self.find(node)]
