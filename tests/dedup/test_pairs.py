"""Candidate pairs: the compiled shared-key counter agrees with counting every pair."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np

from pipeline.dedup.pairs import strong_pairs


def _sets(rng, n, vocabulary):
    # a small vocabulary: keys are held by many sets, as mid-frequency shingles are in real runs
    return [np.unique(rng.integers(0, vocabulary, size=int(rng.integers(0, 12))).astype(np.uint32)) for _ in range(n)]


def test_strong_pairs_within_one_set_of_documents_equal_counting_every_pair():
    rng = np.random.default_rng(8)
    sets = _sets(rng, 300, 60)
    lengths = np.array([len(s) for s in sets])
    flat = np.concatenate(sets)
    owners = np.repeat(np.arange(len(sets)), lengths)
    order = np.argsort(flat, kind="stable")
    for min_shared in (1, 2, 3):
        a, b, shared = strong_pairs(flat, lengths, flat[order], owners[order], len(sets), min_shared, same_set=True)
        brute = {(i, j): len(set(sets[i].tolist()) & set(sets[j].tolist())) for i, j in combinations(range(len(sets)), 2)}
        expected = {pair: c for pair, c in brute.items() if c >= min_shared}
        assert dict(zip(zip(a.tolist(), b.tolist()), shared.tolist())) == expected
        assert len(a) == len(expected) and len(expected) > 100  # each pair once, and the test has pairs to find
    # the same pairs as enumerating every pair that shares a key, then keeping those sharing two
    every = {pair: c for pair, c in brute.items() if c >= 1}
    a, b, _ = strong_pairs(flat, lengths, flat[order], owners[order], len(sets), 2, same_set=True)
    assert sorted(zip(a.tolist(), b.tolist())) == sorted(pair for pair, c in every.items() if c >= 2)


def test_strong_pairs_against_stored_rows():
    rng = np.random.default_rng(9)
    stored, queries = _sets(rng, 200, 50), _sets(rng, 40, 50)
    keys = np.concatenate(stored)
    rows = np.repeat(np.arange(len(stored)), [len(s) for s in stored])
    order = np.argsort(keys, kind="stable")
    q, r, shared = strong_pairs(np.concatenate(queries), np.array([len(s) for s in queries]), keys[order], rows[order], len(stored), 2)
    expected = Counter()
    for i, query in enumerate(queries):
        for j, row in enumerate(stored):
            common = len(set(query.tolist()) & set(row.tolist()))
            if common >= 2:
                expected[i, j] = common
    assert dict(zip(zip(q.tolist(), r.tolist()), shared.tolist())) == dict(expected) and expected


def test_sketch_similarity_in_batches_equals_one_pass():
    from pipeline.dedup.pairs import sketch_similarity

    rng = np.random.default_rng(10)
    sketches = [np.unique(rng.integers(0, 400, size=int(rng.integers(0, 60))).astype(np.uint32)) for _ in range(50)]
    lengths = np.array([len(s) for s in sketches])
    starts = np.cumsum(lengths) - lengths
    a, b = rng.integers(0, 50, size=500), rng.integers(0, 50, size=500)
    one = sketch_similarity(np.concatenate(sketches), starts, lengths, a, b, 32, chunk=10**6)
    assert np.array_equal(sketch_similarity(np.concatenate(sketches), starts, lengths, a, b, 32, chunk=7), one)
    assert 0 < one.mean() < 1
