"""Vectorized candidate pairs and similarities: a whole run is checked in a few numpy passes, not pair by pair."""

from __future__ import annotations

import logging

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


def strong_pairs(
    query_keys: np.ndarray, query_lengths: np.ndarray, sorted_keys: np.ndarray, key_rows: np.ndarray, n_rows: int,
    min_shared: int, *, same_set: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, row, shared): rows holding >= `min_shared` of each query's keys (query q's keys are the q-th run of
    `query_keys`, `query_lengths[q]` long; `sorted_keys[i]` is held by row `key_rows[i]`).

    Pairs sharing fewer keys are never materialized: a key held by p rows makes p^2 / 2 weak pairs, which on
    100,000 articles of ordinary prose was billions of pairs (21 GB) before the `min_shared` filter.
    With `same_set` the queries are the rows themselves and each pair comes once, query < row.
    """
    from pipeline.dedup.kernels import shared_counts

    offsets = np.concatenate([[0], np.cumsum(query_lengths)]).astype(np.int64)
    start = np.searchsorted(sorted_keys, query_keys, "left").astype(np.int64)
    end = np.searchsorted(sorted_keys, query_keys, "right").astype(np.int64)
    return shared_counts(offsets, start, end, key_rows.astype(np.int64, copy=False), n_rows, min_shared, same_set)


def near_similarity(near: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """MinHash Jaccard estimates of the row pairs (a[i], b[i]) of `near` ([docs, num_perm])."""
    out = np.empty(len(a), dtype=np.float64)
    for s in range(0, len(a), chunk):
        out[s : s + chunk] = (near[a[s : s + chunk]] == near[b[s : s + chunk]]).mean(axis=1)
    return out


def sketch_similarity(
    values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, a: np.ndarray, b: np.ndarray, k: int, chunk: int = 4096
) -> np.ndarray:
    """Bottom-k Jaccard of the sketch pairs (a[i], b[i]); exact when both sets have at most k elements.

    Sketch s is `values[starts[s]:starts[s] + lengths[s]]` (sorted, distinct uint32). Per pair: the k smallest
    values of the union, and how many of them both sketches hold (the classic bottom-k estimator).
    """
    if not len(a):
        return np.empty(0, dtype=np.float64)
    if len(a) > chunk:  # ~20 bytes of temporaries per sketch value: pairs in bounded batches
        return np.concatenate(
            [sketch_similarity(values, starts, lengths, a[s : s + chunk], b[s : s + chunk], k) for s in range(0, len(a), chunk)]
        )
    la, lb = lengths[a], lengths[b]
    pair = np.arange(len(a), dtype=np.uint64)
    elements = np.concatenate([values[expand_ranges(starts[a], la)], values[expand_ranges(starts[b], lb)]])
    owner = np.concatenate([np.repeat(pair, la), np.repeat(pair, lb)])
    # two sorted runs (every a-sketch, then every b-sketch, pair by pair): the stable sort (timsort) merges
    # them in linear time, where the default sort did ~3x the work
    key = np.sort((owner << np.uint64(32)) | elements.astype(np.uint64), kind="stable")
    both = np.zeros(len(key), dtype=bool)
    both[:-1] = key[1:] == key[:-1]  # a value in both sketches appears twice in a row
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, both = key[first], both[first]
    group = (key >> np.uint64(32)).astype(np.int64)
    rank = expand_ranges(np.zeros(len(a)), np.bincount(group, minlength=len(a)))  # position in its pair; group ascends
    within = rank < k
    inter = np.bincount(group[within & both], minlength=len(a))
    union = np.bincount(group[within], minlength=len(a))
    return np.divide(inter, union, out=np.zeros(len(a)), where=union > 0)
