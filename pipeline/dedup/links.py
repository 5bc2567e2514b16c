"""Link decisions (exact, near_duplicate, same_story) and run-level clustering: the `Deduplicator`.

One `Deduplicator` is the single writer of a run: `add()` indexes each new document, `finish_run()`
decides every link of the run at once (with document frequencies that include the run's own documents,
so boilerplate repeated across the run is not story evidence) and resolves clusters; `commit()` persists.
Nothing depends on the order of `add()` calls.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.index import DedupIndex
from pipeline.dedup.pairs import expand_ranges, near_similarity, sketch_similarity, strong_pairs
from pipeline.dedup.records import DocFreq, Rep, StoredDoc, band_keys, content_key
from pipeline.dedup.rundocs import RunDocs
from pipeline.dedup.segments import low_bits
from pipeline.dedup.signatures import DocSignature

logger = logging.getLogger(__name__)

EXACT, NEAR, STORY = "exact", "near_duplicate", "same_story"


@dataclass(frozen=True)
class Link:
    """A linked pair: `doc_id` is this run's document, `other_doc_id` one of this or (when crossing) an earlier run."""

    doc_id: str
    other_doc_id: str
    kind: str
    similarity: float


@dataclass(frozen=True)
class Assignment:
    """Cluster results for one document of the run."""

    near_dup_of: str | None  # earliest-ingested member of its exact/near cluster; None for that member
    story_id: str  # doc_id of the earliest member of its story cluster (its own doc_id when alone)


@dataclass(frozen=True)
class RunOutcome:
    """Everything a run decided: an assignment per added document and every link of the run, each pair once."""

    assignments: dict[str, Assignment]
    links: list[Link]


class Deduplicator:
    """Links documents against the persistent index; see docs/dedup.md for the decisions."""

    def __init__(self, config: DedupConfig, index: DedupIndex) -> None:
        self.config = config
        self.index = index
        self.stats: Counter[str] = Counter()
        self._run_seq: int | None = None
        self._docs: RunDocs | None = None

    def warm_up(self) -> None:
        """Load the compiled kernels `finish_run` uses now rather than at the run's end.

        numba loads them from its cache in ~0.7 s (compiles them, ~2 s, the first time on a machine); a run
        calls this while its workers start, when the main process has nothing else to do.
        """
        scratch = DocFreq.empty(1, 2)
        scratch.add_docs([np.zeros(1, dtype=np.uint32)])
        scratch.below(np.zeros(1, dtype=np.uint32), 1.0)

    def _start_run(self) -> None:
        self._run_seq = self.index.begin_run()
        self._docs = RunDocs(self.config.num_perm)
        self._outcome: RunOutcome | None = None

    def is_known(self, doc_id: str) -> bool:
        """True when `doc_id` was ingested in an earlier run or already added in this one."""
        if self._run_seq is not None and doc_id in self._docs:
            return True
        return self.index.known(doc_id)

    def add(self, doc_id: str, url: str, signature: DocSignature) -> None:
        """Index one new document of this run (a known doc_id is ignored); links are decided by `finish_run()`."""
        if self._run_seq is None:
            self._start_run()
        if self._outcome is not None:
            raise RuntimeError("add() after finish_run(): commit() first, then add the next run's documents")
        if self.is_known(doc_id):
            self.stats["dedup/known"] += 1
            return
        self._docs.add(doc_id, url, content_key(signature.content_hash), signature.near, signature.story)
        self.stats["dedup/added"] += 1

    def _filter(self, sets: list[np.ndarray], df: DocFreq, cutoff: float) -> list[np.ndarray]:
        """Each stored sketch minus shingles that are corpus-frequent now (one count-min pass for all)."""
        if not sets:
            return []
        flat = np.concatenate(sets)
        keep = df.below(flat, cutoff) if len(flat) else np.empty(0, bool)
        bounds = np.cumsum([len(s) for s in sets])[:-1]
        return [s[m] for s, m in zip(sets, np.split(keep, bounds))]

    def finish_run(self) -> RunOutcome:
        """Links and clusters of every document added in this run (independent of add() order).

        Exact copies are grouped first: a group is compared to everything else through one member (its
        smallest url, or the earliest-ingested copy in the index), and each other copy gets one `exact` link
        to that member. A thousand copies of one page cost a thousand links, not half a million pairs.
        """
        if self._run_seq is None:
            return RunOutcome({}, [])
        if self._outcome is not None:
            return self._outcome
        cfg = self.config
        order = self._docs.url_order()
        ids = [self._docs.ids[row] for row in order]
        ckeys = self._docs.content_keys()[order]
        reps, rep_of = _first_of_each(ckeys)  # one node per content: its first copy in url order
        m = len(reps)
        rep_rows = order[reps]
        is_rep = np.zeros(len(order), dtype=bool)
        is_rep[rep_rows] = True

        # Frequencies as of the whole run (committed + this run's contents, a copy counted once): a sum, so
        # order-free; a page served under a thousand urls does not make its own words common.
        self._run_df = DocFreq.empty(cfg.df_depth, cfg.df_width)
        self._docs.count_shingles(is_rep, self._run_df)
        df = self.index.doc_freq()
        df.merge(self._run_df)
        cutoff = max(cfg.story_min_df_docs, cfg.story_max_df * df.n_docs)
        # sketches by row, copies read through their content's first row
        self._sketch_values, self._sketch_offsets = self._docs.story_sketches(
            is_rep, lambda values: df.below(values, cutoff), cfg.story_sketch_size
        )
        self._docs.drop_shingles()  # counted and cut to sketches: nothing reads them again
        self._sketch_row = np.empty(len(order), dtype=np.int64)  # by row: the row holding that document's sketch
        self._sketch_row[order] = rep_rows[rep_of]
        rep_sizes = np.diff(self._sketch_offsets)[rep_rows]
        near = self._docs.near()[rep_rows]
        keys = band_keys(near, cfg.near_bands) if m else np.empty((0, cfg.near_bands), np.uint32)
        index_sizes = np.where(rep_sizes >= cfg.story_min_shingles, np.minimum(rep_sizes, cfg.story_index_size), 0)
        indexed_flat = self._sketch_values[expand_ranges(self._sketch_offsets[rep_rows], index_sizes)]
        indexed = np.split(indexed_flat, np.cumsum(index_sizes)[:-1]) if m else []

        # candidates: this run's contents among themselves, then against committed documents
        by_key = np.argsort(keys.ravel(), kind="stable")
        near_a, near_b, _ = strong_pairs(
            keys.ravel(), np.full(m, cfg.near_bands), keys.ravel()[by_key], by_key // cfg.near_bands, m, 1, same_set=True
        )
        # one shared value is chance: candidates need story_min_shared of them
        by_value = np.argsort(indexed_flat, kind="stable")
        story_a, story_b, _ = strong_pairs(
            indexed_flat, index_sizes, indexed_flat[by_value], np.repeat(np.arange(m), index_sizes)[by_value], m,
            cfg.story_min_shared, same_set=True,
        )
        q_near, ids_near = self.index.near_candidates(keys) if m else (np.empty(0, np.int64), [])
        q_story, ids_story, _ = self.index.story_candidates(indexed, cfg.story_min_shared) if m else (np.empty(0, np.int64), [], None)
        records = self.index.fetch(sorted(set(ids_near) | set(ids_story)))
        earlier = _earliest_of_each_content(records.values())
        slot = {rec.content_key: m + i for i, rec in enumerate(earlier)}
        earlier_node = {doc_id: slot[rec.content_key] for doc_id, rec in records.items()}
        # a content this run shares with the index is that committed document's node
        rep_node = np.array([slot.get(int(ckeys[p]), i) for i, p in enumerate(reps.tolist())], dtype=np.int64)
        nodes = m + len(earlier)

        def pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            """Codes lo * nodes + hi of node pairs with at least one node of this run (earlier pairs were decided)."""
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            keep = (lo != hi) & (lo < m)
            return lo[keep] * nodes + hi[keep]

        def cross(queries: np.ndarray, doc_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
            found = np.array([earlier_node.get(d, -1) for d in doc_ids], dtype=np.int64)
            return rep_node[queries[found >= 0].astype(np.int64)], found[found >= 0]

        story_codes = np.concatenate([pairs(rep_node[story_a], rep_node[story_b]), pairs(*cross(q_story, ids_story))])
        codes = np.unique(np.concatenate([pairs(rep_node[near_a], rep_node[near_b]), pairs(*cross(q_near, ids_near)), story_codes]))
        a, b = codes // nodes, codes % nodes

        # decisions, all candidate pairs at once; earlier sketches are re-filtered with today's frequencies
        earlier_sketches = self._filter([rec.story for rec in earlier], df, cutoff)
        # compared on their low 16 bits, the form the lake index stores (b-bit MinHash, see segments.py)
        near_all = low_bits(np.concatenate([near, np.array([rec.near for rec in earlier], dtype=np.uint32).reshape(-1, cfg.num_perm)]))
        sizes = np.concatenate([rep_sizes, np.array([len(s) for s in earlier_sketches], dtype=np.int64)])
        near_sim = near_similarity(near_all, a, b)
        is_near = near_sim >= cfg.near_threshold
        check = ~is_near & np.isin(codes, story_codes)
        check &= np.minimum(sizes[a], sizes[b]) >= cfg.story_min_shingles
        story_sim = np.zeros(len(a))
        story_sim[check] = self._story_similarity(a[check], b[check], rep_rows, earlier_sketches)
        is_story = check & (story_sim >= cfg.story_threshold)

        node_ids = [ids[p] for p in reps.tolist()] + [rec.doc_id for rec in earlier]
        keys_of = {d: (self._run_seq, rank, d) for rank, d in enumerate(ids)}
        near_uf, story_uf = _UnionFind(keys_of), _UnionFind(keys_of)
        for rec in earlier:
            # an earlier document brings its cluster's representative along (transitivity across runs)
            for uf, rep in ((near_uf, rec.near_rep), (story_uf, rec.story_rep)):
                uf.add(rec.doc_id, (rec.run_seq, rec.rank, rec.doc_id))
                uf.add(rep.doc_id, rep.key)
                uf.union(rec.doc_id, rep.doc_id)
        before = {rec.doc_id: rec.story_rep.doc_id for rec in earlier}
        links: list[Link] = []
        for p, anchor in zip(ids, (node_ids[rep_node[r]] for r in rep_of.tolist())):
            if p != anchor:
                near_uf.union(anchor, p)
                story_uf.union(anchor, p)
                links.append(Link(p, anchor, EXACT, 1.0))
        for i, j, kind, sim in _flagged(a, b, is_near, near_sim, NEAR):
            near_uf.union(node_ids[i], node_ids[j])
            story_uf.union(node_ids[i], node_ids[j])
            links.append(Link(node_ids[j] if j < m else node_ids[i], node_ids[i] if j < m else node_ids[j], kind, sim))
        story_pairs = list(_flagged(a, b, is_story, story_sim, STORY))
        for i, j, _, _ in story_pairs:
            story_uf.union(node_ids[i], node_ids[j])
        links += self._story_links(story_pairs, node_ids, m, near_uf, before)
        links.sort(key=lambda link: (link.doc_id, link.other_doc_id))

        assignments = {}
        for d in ids:
            near_rep = near_uf.smallest(d)
            assignments[d] = Assignment(None if near_rep[2] == d else near_rep[2], story_uf.smallest(d)[2])
        self._reps = {d: (Rep(*_swap(near_uf.smallest(d))), Rep(*_swap(story_uf.smallest(d)))) for d in ids}
        self._ranks = keys_of
        self._outcome = RunOutcome(assignments, links)
        return self._outcome

    def _story_similarity(self, a: np.ndarray, b: np.ndarray, rep_rows: np.ndarray, earlier_sketches: list[np.ndarray]) -> np.ndarray:
        """Bottom-k Jaccard of node pairs, on the sketches of just the nodes involved (this run's node i is
        `rep_rows[i]`'s sketch, node len(rep_rows) + j the j-th earlier one)."""
        nodes, pair_of = np.unique(np.concatenate([a, b]), return_inverse=True)
        m, offsets = len(rep_rows), self._sketch_offsets
        sketches = [
            self._sketch_values[offsets[rep_rows[i]] : offsets[rep_rows[i] + 1]] if i < m else earlier_sketches[i - m]
            for i in nodes.tolist()
        ]
        lengths = np.array([len(s) for s in sketches], dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        flat = np.concatenate(sketches) if sketches else np.empty(0, np.uint32)
        return sketch_similarity(flat, starts, lengths, pair_of[: len(a)], pair_of[len(a) :], self.config.story_sketch_size)

    @staticmethod
    def _story_links(pairs, ids: list[str], n: int, near_uf: _UnionFind, before: dict[str, str]) -> list[Link]:
        """One same_story link per pair of near clusters (the most similar pair), none inside a near cluster
        or between clusters whose earlier members already shared a story: duplicates inherit the story_id."""
        members: dict[str, set[str]] = {}
        for doc_id, rep in before.items():
            members.setdefault(near_uf.find(doc_id), set()).add(rep)
        best: dict[tuple[str, str], tuple[float, str, str]] = {}
        for i, j, _, sim in pairs:
            ci, cj = near_uf.find(ids[i]), near_uf.find(ids[j])
            if ci == cj or members.get(ci, set()) & members.get(cj, set()):
                continue
            doc, other = (ids[j], ids[i]) if j < n else (ids[i], ids[j])
            key = (min(ci, cj), max(ci, cj))
            candidate = (-sim, doc, other)
            if key not in best or candidate < best[key]:
                best[key] = candidate
        return [Link(doc, other, STORY, -neg) for neg, doc, other in best.values()]

    def commit(self) -> None:
        """Persist this run's documents into the index atomically; the next add() starts a new run."""
        if self._run_seq is None:
            return
        self.finish_run()
        near, values, offsets = self._docs.near(), self._sketch_values, self._sketch_offsets
        records = [
            StoredDoc(d, key, self._run_seq, self._ranks[d][1], *self._reps[d], near[row], values[offsets[at] : offsets[at + 1]])
            for row, (d, key, at) in enumerate(zip(self._docs.ids, self._docs.content_keys().tolist(), self._sketch_row.tolist()))
        ]
        self.index.commit(self._run_seq, records, self._run_df)
        self.stats["dedup/committed"] += len(records)
        self._run_seq, self._docs = None, None


def _first_of_each(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the first occurrence of each distinct key, ascending, and each position's key as an index
    into them."""
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    by_first = np.argsort(first)
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = np.arange(len(first))
    return first[by_first], rank[group]


def _earliest_of_each_content(records) -> list[StoredDoc]:
    """Committed copies of one content: the earliest-ingested stands for them all (sorted by doc_id)."""
    earliest: dict[int, StoredDoc] = {}
    for rec in records:
        held = earliest.get(rec.content_key)
        if held is None or (rec.run_seq, rec.rank, rec.doc_id) < (held.run_seq, held.rank, held.doc_id):
            earliest[rec.content_key] = rec
    return sorted(earliest.values(), key=lambda rec: rec.doc_id)


def _flagged(a, b, flagged, sim, kind):
    """(i, j, kind, similarity) of the flagged pairs, in index order."""
    for i, j, s in zip(a[flagged].tolist(), b[flagged].tolist(), sim[flagged].tolist()):
        yield i, j, kind, s


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
