"""Stage 5 of a run's decisions: links and clusters, and what the index keeps of the run.

Exact copies join their node's first member; near-duplicate pairs join near clusters; every link joins story
clusters. An earlier document brings its stored representatives along, so clusters are transitive across runs;
a representative is the smallest (run sequence, rank in its run, doc_id). A same_story link is reported once per
pair of near clusters (the most similar pair), never inside one, and not between clusters whose earlier members
already share a story: a copy joins the story through its cluster, without links of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.candidates import Candidates, run_postings
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.decisions import CONTAINMENT, JACCARD, Verdicts
from pipeline.dedup.groups import ExactGroups, Sketches
from pipeline.dedup.records import DocFreq, Postings, Rep, StoredDoc
from pipeline.dedup.rundocs import RunDocs

logger = logging.getLogger(__name__)

EXACT, NEAR, STORY = "exact", "near_duplicate", "same_story"
HASH = "hash"  # the method of exact links: equal content hashes


@dataclass(frozen=True)
class Link:
    """A linked pair: `doc_id` is this run's document, `other_doc_id` one of this or (when crossing) an earlier run;
    `similarity` is the measure named by `method` (`hash`, `jaccard` or `containment`)."""

    doc_id: str
    other_doc_id: str
    kind: str
    similarity: float
    method: str


@dataclass(frozen=True)
class Assignment:
    """Cluster results for one document of the run."""

    near_dup_of: str | None  # earliest-ingested member of its exact/near cluster; None for that member
    story_id: str  # doc_id of the earliest member of its story cluster (its own doc_id when alone)


@dataclass(frozen=True)
class IndexUpdate:
    """What the index keeps of a run: every document with its cluster representatives, sketch and posting keys."""

    run_seq: int
    docs: RunDocs
    ranks: dict[str, int]
    reps: dict[str, tuple[Rep, Rep]]
    sketch_values: np.ndarray
    sketch_starts: np.ndarray  # by row (add order): the sketch of the row's content
    sketch_lengths: np.ndarray
    run_df: DocFreq

    def records(self) -> list[StoredDoc]:
        docs, near = self.docs, self.docs.near()
        keys, sites, days, sizes = docs.content_keys().tolist(), docs.sites().tolist(), docs.days().tolist(), docs.near_sizes().tolist()
        return [
            StoredDoc(d, keys[row], self.run_seq, self.ranks[d], *self.reps[d], near[row],
                      self.sketch_values[start : start + length], sites[row], days[row], sizes[row])
            for row, (d, start, length) in enumerate(zip(docs.ids, self.sketch_starts.tolist(), self.sketch_lengths.tolist()))
        ]  # fmt: skip

    def postings(self, config: DedupConfig) -> Postings:
        return run_postings(self.docs.near(), self.sketch_values, self.sketch_starts, self.sketch_lengths, config)


def cluster(
    run_seq: int, docs: RunDocs, groups: ExactGroups, sketches: Sketches, candidates: Candidates, verdicts: Verdicts
) -> tuple[dict[str, Assignment], list[Link], IndexUpdate]:
    """Links, cluster assignments and the index update of the run (stage 5)."""
    nodes, m = candidates.nodes, candidates.nodes.m
    node_ids = nodes.ids
    keys_of = {d: (run_seq, rank, d) for rank, d in enumerate(groups.ids)}
    near_uf, story_uf = UnionFind(keys_of), UnionFind(keys_of)
    for rec in nodes.earlier:
        for uf, rep in ((near_uf, rec.near_rep), (story_uf, rec.story_rep)):
            uf.add(rec.doc_id, (rec.run_seq, rec.rank, rec.doc_id))
            uf.add(rep.doc_id, rep.key)
            uf.union(rec.doc_id, rep.doc_id)
    before = {rec.doc_id: rec.story_rep.doc_id for rec in nodes.earlier}
    links: list[Link] = []
    for doc_id, node in zip(groups.ids, candidates.run_node[groups.rep_of].tolist()):
        anchor = node_ids[node]
        if doc_id != anchor:
            near_uf.union(anchor, doc_id)
            story_uf.union(anchor, doc_id)
            links.append(Link(doc_id, anchor, EXACT, 1.0, HASH))
    a, b = verdicts.a, verdicts.b
    for i, j, sim, contained in zip(a[verdicts.near].tolist(), b[verdicts.near].tolist(), verdicts.near_similarity[verdicts.near].tolist(),
                                    verdicts.by_containment[verdicts.near].tolist()):  # fmt: skip
        near_uf.union(node_ids[i], node_ids[j])
        story_uf.union(node_ids[i], node_ids[j])
        doc, other = (node_ids[j], node_ids[i]) if j < m else (node_ids[i], node_ids[j])
        links.append(Link(doc, other, NEAR, sim, CONTAINMENT if contained else JACCARD))
    story_pairs = list(zip(a[verdicts.story].tolist(), b[verdicts.story].tolist(), verdicts.story_similarity[verdicts.story].tolist()))
    for i, j, _ in story_pairs:
        story_uf.union(node_ids[i], node_ids[j])
    links += _story_links(story_pairs, node_ids, m, near_uf, before)
    links.sort(key=lambda link: (link.doc_id, link.other_doc_id))

    assignments, reps = {}, {}
    for d in groups.ids:
        near_rep, story_rep = near_uf.smallest(d), story_uf.smallest(d)
        assignments[d] = Assignment(None if near_rep[2] == d else near_rep[2], story_rep[2])
        reps[d] = (Rep(near_rep[2], near_rep[0], near_rep[1]), Rep(story_rep[2], story_rep[0], story_rep[1]))
    sketch_row = np.empty(len(groups.order), dtype=np.int64)  # by row: the row holding that document's sketch
    sketch_row[groups.order] = groups.rep_rows[groups.rep_of]
    update = IndexUpdate(
        run_seq, docs, {d: key[1] for d, key in keys_of.items()}, reps, sketches.values,
        sketches.offsets[sketch_row], np.diff(sketches.offsets)[sketch_row], sketches.run_df,
    )  # fmt: skip
    return assignments, links, update


def _story_links(pairs, ids: list[str], m: int, near_uf: UnionFind, before: dict[str, str]) -> list[Link]:
    """One same_story link per pair of near clusters (the most similar pair), none inside a near cluster or
    between clusters whose earlier members already shared a story."""
    members: dict[str, set[str]] = {}
    for doc_id, rep in before.items():
        members.setdefault(near_uf.find(doc_id), set()).add(rep)
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    for i, j, sim in pairs:
        ci, cj = near_uf.find(ids[i]), near_uf.find(ids[j])
        if ci == cj or members.get(ci, set()) & members.get(cj, set()):
            continue
        doc, other = (ids[j], ids[i]) if j < m else (ids[i], ids[j])
        key = (min(ci, cj), max(ci, cj))
        candidate = (-sim, doc, other)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    return [Link(doc, other, STORY, -neg, JACCARD) for neg, doc, other in best.values()]


class UnionFind:
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
