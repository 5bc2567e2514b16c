"""Stage 3 of a run's decisions: candidate pairs of nodes, among the run's own and against the committed index.

Both sources answer the same lookup (posting lists, `IndexStorage.postings` or `MemoryPostings`) and are counted
by the same compiled kernel, so the lake and Redis backends give the same candidates:
- near: nodes sharing one LSH band key of their MinHashes;
- story (same-story and containment): nodes sharing at least `story_min_shared` of their indexed values (the
  smallest `story_index_size` of each sketch). A document inside one r times its size holds about 1/r of the
  larger one's smallest values: 48 / r shared, enough up to r ~ 10.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import numpy as np

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.groups import ExactGroups, Sketches
from pipeline.dedup.pairs import MemoryPostings, expand_ranges, strong_matches
from pipeline.dedup.records import FULL_COVER, Postings, StoredDoc, band_keys
from pipeline.dedup.rundocs import RunDocs
from pipeline.dedup.segments import low_bits
from pipeline.dedup.storage import NEAR, STORY, IndexStorage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Nodes:
    """Every node the decisions look at: the run's distinct texts (0..m-1), then the committed documents met as
    candidates (one per content: its earliest copy). Sketches are filtered with the run's frequencies."""

    ids: list[str]
    m: int
    earlier: list[StoredDoc]
    near: np.ndarray  # [nodes, num_perm], low 16 bits (the form the lake stores; both backends compare on it)
    near_sizes: np.ndarray  # distinct shingles under each MinHash
    values: np.ndarray  # sketch of node i: values[starts[i]:starts[i] + lengths[i]], speaking up to covers[i]
    starts: np.ndarray
    lengths: np.ndarray
    covers: np.ndarray
    sites: np.ndarray
    days: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Candidates:
    """Candidate node pairs (a < b, a of this run), each once, and each run node's own node (a text the index
    already holds is that committed document's node)."""

    nodes: Nodes
    a: np.ndarray
    b: np.ndarray
    story_checked: np.ndarray  # pairs found through shared story values (the only ones a same_story link may join)
    run_node: np.ndarray


def run_postings(near: np.ndarray, values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, config: DedupConfig) -> Postings:
    """The keys documents are found by: every LSH band key, and the first `story_index_size` sketch values of a
    sketch with at least `story_min_shingles` (shorter ones take part in no sketch decision)."""
    posted = np.where(lengths >= config.story_min_shingles, np.minimum(lengths, config.story_index_size), 0)
    keys = band_keys(near, config.near_bands) if len(near) else np.empty((0, config.near_bands), np.uint32)
    return Postings(keys, values[expand_ranges(starts, posted)], np.concatenate([[0], np.cumsum(posted)]).astype(np.int64))


def find_candidates(docs: RunDocs, groups: ExactGroups, sketches: Sketches, index: IndexStorage, config: DedupConfig) -> Candidates:
    """Candidate pairs of the run's nodes, among themselves and with committed documents (stage 3)."""
    rows = groups.rep_rows
    m = len(rows)
    near = docs.near()[rows]
    starts, lengths = sketches.offsets[rows], np.diff(sketches.offsets)[rows]
    postings = run_postings(near, sketches.values, starts, lengths, config)
    bands = config.near_bands
    band_queries, by_band = postings.near.ravel(), np.full(m, bands)
    story_queries, by_story = postings.story_values, np.diff(postings.story_offsets)
    run_near = strong_matches(MemoryPostings(band_queries, np.repeat(np.arange(m), bands), m).postings, band_queries, by_band, 1,
                              same_set=True)  # fmt: skip
    run_story = strong_matches(MemoryPostings(story_queries, np.repeat(np.arange(m), by_story), m).postings, story_queries, by_story,
                               config.story_min_shared, same_set=True)  # fmt: skip
    old_near = strong_matches(partial(index.postings, NEAR), band_queries, by_band, 1)
    old_story = strong_matches(partial(index.postings, STORY), story_queries, by_story, config.story_min_shared)

    refs, at = np.unique(np.concatenate([old_near[1], old_story[1]]), return_inverse=True)
    records = index.fetch(refs)
    earlier = _earliest_of_each_content(records)
    slot = {rec.content_key: m + i for i, rec in enumerate(earlier)}
    ref_node = np.array([slot[rec.content_key] for rec in records], dtype=np.int64)
    run_node = np.array([slot.get(int(key), i) for i, key in enumerate(groups.content_keys[groups.reps].tolist())], dtype=np.int64)
    n_nodes = m + len(earlier)

    def codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """lo * n_nodes + hi of node pairs with a node of this run (pairs of committed ones were decided)."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = (lo != hi) & (lo < m)
        return lo[keep] * n_nodes + hi[keep]

    split = len(old_near[1])
    story_codes = np.unique(np.concatenate([
        codes(run_node[run_story[0]], run_node[run_story[1]]), codes(run_node[old_story[0]], ref_node[at[split:]]),
    ]))  # fmt: skip
    near_codes = np.concatenate([codes(run_node[run_near[0]], run_node[run_near[1]]), codes(run_node[old_near[0]], ref_node[at[:split]])])
    pairs = np.unique(np.concatenate([near_codes, story_codes]))
    nodes = _nodes(docs, groups, sketches, near, earlier, config)
    return Candidates(nodes, pairs // n_nodes, pairs % n_nodes, np.isin(pairs, story_codes), run_node)


def _nodes(docs: RunDocs, groups: ExactGroups, sketches: Sketches, near: np.ndarray, earlier: list[StoredDoc], config: DedupConfig) -> Nodes:
    """The node table: the run's sketches as they are (only nodes' rows hold values), committed ones re-filtered
    with today's frequencies (their cover stays: the values they dropped were in the window they speak for)."""
    rows = groups.rep_rows
    k = config.story_sketch_size
    old_lengths = np.array([len(rec.story) for rec in earlier], dtype=np.int64)
    old_covers = np.array([rec.story[-1] if len(rec.story) >= k else FULL_COVER for rec in earlier], dtype=np.uint32)
    flat_old = np.concatenate([rec.story for rec in earlier]).astype(np.uint32) if earlier else np.empty(0, np.uint32)
    keep = sketches.df.below(flat_old, sketches.cutoff)
    kept_lengths = np.bincount(np.repeat(np.arange(len(earlier)), old_lengths)[keep], minlength=len(earlier)).astype(np.int64)
    lengths = np.concatenate([np.diff(sketches.offsets)[rows], kept_lengths])
    starts = np.concatenate([sketches.offsets[rows], len(sketches.values) + np.cumsum(kept_lengths) - kept_lengths])
    old_near = np.array([rec.near for rec in earlier], dtype=np.uint32).reshape(-1, config.num_perm)
    return Nodes(
        ids=[groups.ids[p] for p in groups.reps.tolist()] + [rec.doc_id for rec in earlier],
        m=len(rows),
        earlier=earlier,
        near=low_bits(np.concatenate([near, old_near])),
        near_sizes=np.concatenate([docs.near_sizes()[rows], np.array([rec.near_size for rec in earlier], dtype=np.uint32)]),
        values=np.concatenate([sketches.values, flat_old[keep]]),
        starts=starts,
        lengths=lengths,
        covers=np.concatenate([sketches.covers[rows], old_covers]).astype(np.uint32),
        sites=np.concatenate([docs.sites()[rows], np.array([rec.site for rec in earlier], dtype=np.uint32)]),
        days=np.concatenate([docs.days()[rows], np.array([rec.day for rec in earlier], dtype=np.int32)]),
    )


def _earliest_of_each_content(records: list[StoredDoc]) -> list[StoredDoc]:
    """Committed copies of one content: the earliest-ingested stands for them all (sorted by doc_id)."""
    earliest: dict[int, StoredDoc] = {}
    for rec in records:
        held = earliest.get(rec.content_key)
        if held is None or (rec.run_seq, rec.rank, rec.doc_id) < (held.run_seq, held.rank, held.doc_id):
            earliest[rec.content_key] = rec
    return sorted(earliest.values(), key=lambda rec: rec.doc_id)
