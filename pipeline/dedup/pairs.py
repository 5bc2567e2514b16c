"""Vectorized candidate counting and pair measures: a whole run is checked in a few compiled passes, not pair by pair."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


def expand_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of `arange(s, s + n)` for every (s, n), without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - lengths, lengths) + np.repeat(np.asarray(starts, dtype=np.int64), lengths)


def key_ranges(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `keys` sits in `sorted_keys`: the [start, end) range of its equal entries (empty when absent)."""
    from pipeline.dedup.kernels import equal_ranges

    starts, ends = np.empty(len(keys), dtype=np.int64), np.empty(len(keys), dtype=np.int64)
    equal_ranges(sorted_keys, np.asarray(keys, dtype=sorted_keys.dtype), starts, ends)
    return starts, ends


@dataclass(frozen=True)
class Holders:
    """Who holds each looked-up key: key i is held by the documents refs[starts[i]:ends[i]], references below
    `size`. `refs` may be a backend's own lookup array, shared: the pairs a key makes are never materialized."""

    starts: np.ndarray
    ends: np.ndarray
    refs: np.ndarray
    size: int


class MemoryPostings:
    """Posting lists held in memory (a run's own nodes): the lookup a storage backend answers, same contract."""

    def __init__(self, keys: np.ndarray, owners: np.ndarray, size: int) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.owners, self.size = keys[order], owners[order], size

    def postings(self, keys: np.ndarray) -> Holders:
        return Holders(*key_ranges(self.keys, keys), self.owners, self.size)


def strong_matches(
    lookup, query_keys: np.ndarray, query_lengths: np.ndarray, min_shared: int, *, same_set: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, ref, shared): documents holding >= `min_shared` of each query's keys (query q's keys are the q-th run of
    `query_keys`, `query_lengths[q]` long). `lookup(keys)` says who holds each key (`Holders`), as
    `IndexStorage.postings` and `MemoryPostings.postings` do. With `same_set`, the holders are the queries
    themselves (document q holds query q's keys): each pair comes once, query < ref, for half the work.

    Pairs sharing fewer keys are never materialized: a key held by p documents makes p^2 / 2 weak pairs, which on
    100,000 articles of ordinary prose was billions of pairs (21 GB) before the `min_shared` filter.
    """
    from pipeline.dedup.kernels import shared_counts

    if not len(query_keys):
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    holders = lookup(query_keys)
    offsets = np.concatenate([[0], np.cumsum(query_lengths)]).astype(np.int64)
    starts, ends = holders.starts.astype(np.int64, copy=False), holders.ends.astype(np.int64, copy=False)
    return shared_counts(offsets, starts, ends, holders.refs, holders.size, min_shared, same_set)


def near_similarity(near: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """MinHash Jaccard estimates of the row pairs (a[i], b[i]) of `near` ([docs, num_perm])."""
    out = np.empty(len(a), dtype=np.float64)
    for s in range(0, len(a), chunk):
        out[s : s + chunk] = (near[a[s : s + chunk]] == near[b[s : s + chunk]]).mean(axis=1)
    return out


def sketch_overlaps(
    values: np.ndarray, dropped: np.ndarray, starts: np.ndarray, lengths: np.ndarray, covers: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(shared, count_a, count_b, shared anchors) of the sketch pairs (a[i], b[i]) within the window both speak for.

    Sketch s is `values[starts[s]:starts[s] + lengths[s]]` (sorted, distinct uint32), a bottom-k sample of its
    document's shingles up to `covers[s]`; values at positions marked in `dropped` do not count. Below the
    smaller cover both samples are complete, so the counts there estimate Jaccard (shared / (count_a + count_b
    - shared)) and containment (shared / min(count_a, count_b)), exactly when neither document has more
    shingles than its sketch holds. Anchors are the odd values (`anchors.py`).
    """
    from pipeline.dedup.kernels import sketch_overlaps as kernel

    n = len(a)
    shared, count_a, count_b, anchors = (np.zeros(n, dtype=np.int64) for _ in range(4))
    if n:
        kernel(values, dropped, starts.astype(np.int64), lengths.astype(np.int64), covers, a.astype(np.int64), b.astype(np.int64),
               shared, count_a, count_b, anchors)  # fmt: skip
    return shared, count_a, count_b, anchors
