"""Stage 4 of a run's decisions: which candidate pairs are near duplicates, which report the same story.

- **Site boilerplate** first: a sketch value held by `site_boilerplate_docs` nodes of one site (url host), and
  by `site_boilerplate_share` of them, is that site's furniture (menus, newsletter boxes, most-read lists the
  extractor kept), not evidence: it is dropped from those nodes' sketches before any measure (documents
  without a host, like local files, have no site; the text extractor's site templates do that job for them).
  The share keeps a large site's recurring topics (a name in 3 of its 10,000 articles) as evidence.
- **near_duplicate** when the MinHash Jaccard reaches `near_threshold` (method `jaccard`), or when the smaller
  document is (almost) inside the larger one: containment on the sketches >= `near_containment`, measured on
  at least `near_containment_min` values of the smaller one (method `containment`), or, for pages of different
  sites, when the MinHash says so: its Jaccard J (>= `near_minhash_floor`) and the two documents' shingle counts
  give the shared count, J (|A| + |B|) / (1 + J), and so the containment of the smaller one, >=
  `near_minhash_containment` (method `containment`); a smaller document, down to `near_containment_min_agreed`
  values, when both estimates say so. The sketches hold story shingles only (common-word
  bigrams dropped), so a page whose extractor kept menus and headlines (all rare words) next to the article's
  prose looks less contained there than it is; the MinHash holds every word bigram. Two pages of one site are
  judged on their sketches only (Jaccard and containment), where their shared furniture no longer counts.
- **same_story** otherwise when both sketches hold >= `story_min_shingles` values and their Jaccard reaches
  `story_threshold`, or `story_far_threshold` when both publish days are known and more than `story_max_days`
  apart; below `story_unanchored_threshold` the pair must also share `story_min_anchors` event anchors
  (numbers, quoted words: `anchors.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.candidates import Candidates, Nodes
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.pairs import near_similarity, sketch_overlaps
from pipeline.dedup.signatures import NO_DAY

logger = logging.getLogger(__name__)

JACCARD, CONTAINMENT = "jaccard", "containment"


@dataclass(frozen=True)
class Verdicts:
    """What each candidate pair (a[i], b[i]) is: a near duplicate (with its measure and method), the same story
    (with its sketch Jaccard), or neither."""

    a: np.ndarray
    b: np.ndarray
    near: np.ndarray
    near_similarity: np.ndarray
    by_containment: np.ndarray
    story: np.ndarray
    story_similarity: np.ndarray


def site_boilerplate(nodes: Nodes, min_docs: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """A mask over `nodes.values` of each site's boilerplate values, and each node's sketch length without them."""
    from pipeline.dedup.kernels import site_repeats

    _, node_site, per_site = np.unique(nodes.sites, return_inverse=True, return_counts=True)
    needed = np.maximum(min_docs, np.ceil(share * per_site)).astype(np.int64)[node_site]
    repeated = np.zeros(len(nodes.values), dtype=bool)
    kept = np.empty(len(nodes), dtype=np.int64)
    site_repeats(nodes.values, nodes.starts, nodes.lengths, nodes.sites, needed, repeated, kept)
    return repeated, kept


def minhash_containment(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Containment of the smaller set in the larger estimated from their Jaccard and sizes: |A n B| = J (|A| + |B|) / (1 + J);
    0 where a size is unknown (0)."""
    size_a, size_b = size_a.astype(np.float64), size_b.astype(np.float64)
    smaller = np.minimum(size_a, size_b)
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return np.divide(shared, smaller, out=np.zeros(len(jaccard)), where=smaller > 0)


def decide(candidates: Candidates, config: DedupConfig) -> Verdicts:
    """The verdict on every candidate pair (stage 4), as the module docstring says."""
    nodes, a, b = candidates.nodes, candidates.a, candidates.b
    dropped, lengths = site_boilerplate(nodes, config.site_boilerplate_docs, config.site_boilerplate_share)
    shared, count_a, count_b, anchors = sketch_overlaps(nodes.values, dropped, nodes.starts, nodes.lengths, nodes.covers, a, b)
    union = count_a + count_b - shared
    smaller = np.minimum(count_a, count_b)
    sketch_jaccard = np.divide(shared, union, out=np.zeros(len(a)), where=union > 0)
    containment = np.divide(shared, smaller, out=np.zeros(len(a)), where=smaller > 0)
    same_site = (nodes.sites[a] == nodes.sites[b]) & (nodes.sites[a] != 0)
    minhash = near_similarity(nodes.near, a, b)
    jaccard = np.where(same_site, sketch_jaccard, minhash)
    by_jaccard = jaccard >= config.near_threshold
    contained = minhash_containment(minhash, nodes.near_sizes[a], nodes.near_sizes[b])
    by_minhash = ~same_site & (minhash >= config.near_minhash_floor) & (contained >= config.near_minhash_containment)
    by_sketch = containment >= config.near_containment
    large_enough = smaller >= config.near_containment_min
    agreed = by_sketch & by_minhash & (smaller >= config.near_containment_min_agreed)
    by_containment = ~by_jaccard & ((by_sketch | by_minhash) & large_enough | agreed)
    containment = np.where(by_sketch, containment, np.maximum(containment, np.minimum(contained, 1.0)))
    near = by_jaccard | by_containment

    enough = np.minimum(lengths[a], lengths[b]) >= config.story_min_shingles
    day_a, day_b = nodes.days[a], nodes.days[b]
    far = (day_a != NO_DAY) & (day_b != NO_DAY) & (np.abs(day_a.astype(np.int64) - day_b) > config.story_max_days)
    threshold = np.where(far, config.story_far_threshold, config.story_threshold)
    anchored = (sketch_jaccard >= config.story_unanchored_threshold) | (anchors >= config.story_min_anchors)
    story = ~near & candidates.story_checked & enough & (sketch_jaccard >= threshold) & anchored
    return Verdicts(a, b, near, np.where(by_jaccard, jaccard, containment), by_containment, story, sketch_jaccard)
