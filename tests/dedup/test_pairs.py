"""Candidate counting and sketch measures: the compiled kernels agree with counting every pair by hand."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from pipeline.dedup.pairs import MemoryPostings, key_ranges, sketch_overlaps, strong_matches


def _sets(rng, n, vocabulary):
    # a small vocabulary: keys are held by many sets, as mid-frequency shingles are in real runs
    return [np.unique(rng.integers(0, vocabulary, size=int(rng.integers(0, 12))).astype(np.uint32)) for _ in range(n)]


def _postings(sets):
    return MemoryPostings(np.concatenate(sets), np.repeat(np.arange(len(sets)), [len(s) for s in sets]), len(sets))


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
@pytest.mark.parametrize("size", [0, 1, 7, 2000])
def test_key_ranges_are_numpys_left_and_right_searches(dtype, size):
    rng = np.random.default_rng(size)
    sorted_keys = np.sort(rng.integers(0, 40, size=size)).astype(dtype)
    keys = rng.integers(0, 50, size=500).astype(dtype)  # absent keys, below, inside and above the stored ones
    starts, ends = key_ranges(sorted_keys, keys)
    assert np.array_equal(starts, np.searchsorted(sorted_keys, keys, "left"))
    assert np.array_equal(ends, np.searchsorted(sorted_keys, keys, "right"))


def test_strong_matches_within_one_set_of_documents_equal_counting_every_pair():
    rng = np.random.default_rng(8)
    sets = _sets(rng, 300, 60)
    lengths = np.array([len(s) for s in sets])
    brute = {(i, j): len(set(sets[i].tolist()) & set(sets[j].tolist())) for i, j in combinations(range(len(sets)), 2)}
    for min_shared in (1, 2, 3):
        q, r, shared = strong_matches(_postings(sets).postings, np.concatenate(sets), lengths, min_shared)
        found = {(i, j): c for i, j, c in zip(q.tolist(), r.tolist(), shared.tolist()) if i < j}
        expected = {pair: c for pair, c in brute.items() if c >= min_shared}
        assert found == expected and len(expected) > 100  # the test has pairs to find
        # every pair comes from both sides, and each document finds itself
        assert len(q) == 2 * len(expected) + int((lengths >= min_shared).sum())
        # the same set of documents on both sides: each pair once
        q, r, shared = strong_matches(_postings(sets).postings, np.concatenate(sets), lengths, min_shared, same_set=True)
        assert dict(zip(zip(q.tolist(), r.tolist()), shared.tolist())) == expected


def test_strong_matches_against_stored_documents_and_their_references():
    rng = np.random.default_rng(9)
    stored, queries = _sets(rng, 200, 50), _sets(rng, 40, 50)
    refs = rng.permutation(10**5)[: len(stored)]  # a backend's own references: sparse, in no order
    postings = MemoryPostings(np.concatenate(stored), np.repeat(refs, [len(s) for s in stored]), 10**5)
    q, r, shared = strong_matches(postings.postings, np.concatenate(queries), np.array([len(s) for s in queries]), 2)
    expected = Counter()
    for i, query in enumerate(queries):
        for j, row in enumerate(stored):
            common = len(set(query.tolist()) & set(row.tolist()))
            if common >= 2:
                expected[i, int(refs[j])] = common
    assert dict(zip(zip(q.tolist(), r.tolist()), shared.tolist())) == dict(expected) and expected


def test_sketch_overlaps_count_inside_the_window_both_sketches_speak_for():
    rng = np.random.default_rng(10)
    full = np.uint32(0xFFFFFFFF)
    documents = [np.unique(rng.integers(0, 400, size=int(rng.integers(0, 90))).astype(np.uint32)) for _ in range(60)]
    k = 32
    sketches = [d[:k] for d in documents]
    covers = np.array([s[-1] if len(d) > k else full for s, d in zip(sketches, documents)], dtype=np.uint32)
    lengths = np.array([len(s) for s in sketches])
    starts = np.cumsum(lengths) - lengths
    a, b = rng.integers(0, 60, size=700), rng.integers(0, 60, size=700)
    flat = np.concatenate(sketches)
    dropped = rng.random(len(flat)) < 0.1  # values a site's boilerplate took out: they do not count
    shared, count_a, count_b, anchors = sketch_overlaps(flat, dropped, starts, lengths, covers, a, b)
    kept = [set(flat[s : s + n][~dropped[s : s + n]].tolist()) for s, n in zip(starts, lengths)]
    for p, (i, j) in enumerate(zip(a.tolist(), b.tolist())):
        top = min(covers[i], covers[j])
        # a document's values up to the window's top are all in its sketch
        x, y = {v for v in kept[i] if v <= top}, {v for v in kept[j] if v <= top}
        both = x & y
        assert (shared[p], count_a[p], count_b[p], anchors[p]) == (len(both), len(x), len(y), sum(v & 1 for v in both)), p
    assert 0 < anchors.sum() < shared.sum() < count_a.sum()


def test_site_repeats_marks_the_values_held_by_enough_nodes_of_one_site():
    from pipeline.dedup.kernels import site_repeats

    rng = np.random.default_rng(12)
    sketches = [np.unique(rng.integers(0, 300, size=int(rng.integers(0, 40))).astype(np.uint32)) for _ in range(80)]
    sites = rng.integers(0, 4, size=80).astype(np.uint32)  # site 0: no site
    lengths = np.array([len(s) for s in sketches])
    order = rng.permutation(80)  # nodes need not sit in the order of their values
    starts = np.empty(80, dtype=np.int64)
    starts[order] = (np.cumsum(lengths[order]) - lengths[order])
    values = np.empty(int(lengths.sum()), dtype=np.uint32)
    for i, sketch in enumerate(sketches):
        values[starts[i] : starts[i] + len(sketch)] = sketch
    needed = np.where(sites == 2, 5, 3)  # one site asks for more holders (a larger site's share)
    repeated, kept = np.zeros(len(values), dtype=bool), np.empty(80, dtype=np.int64)
    site_repeats(values, starts, lengths, sites, needed, repeated, kept)
    for i, sketch in enumerate(sketches):
        holders = [sum(v in set(sketches[n].tolist()) for n in range(80) if sites[n] == sites[i]) for v in sketch.tolist()]
        expected = [bool(sites[i]) and h >= needed[i] for h in holders]
        assert repeated[starts[i] : starts[i] + len(sketch)].tolist() == expected, i
        assert kept[i] == len(sketch) - sum(expected)
    assert 0 < repeated.sum() < len(values)
