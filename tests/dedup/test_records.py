"""Count-min document frequencies: the compiled kernels agree with the numpy cell addressing."""

from __future__ import annotations

import numpy as np

from pipeline.dedup.records import DocFreq


def test_count_min_add_and_below_match_numpy_cells():
    rng = np.random.default_rng(11)
    depth, width = 4, 1 << 10  # narrow, so cells collide and the minimum over rows matters
    sets = [np.unique(rng.integers(0, 2**32, size=int(rng.integers(0, 300)), dtype=np.uint64).astype(np.uint32)) for _ in range(40)]
    sets += [np.arange(100, 130, dtype=np.uint32)] * 30  # the same shingles in many documents
    df = DocFreq.empty(depth, width)
    df.add_docs(sets)
    expected = np.zeros((depth, width), dtype=np.uint32)
    cells = DocFreq.cells(np.concatenate(sets), depth, width)
    for d in range(depth):
        expected[d] += np.bincount(cells[d], minlength=width).astype(np.uint32)
    assert np.array_equal(df.table, expected) and df.n_docs == 70
    values = np.concatenate([np.concatenate(sets), rng.integers(0, 2**32, size=500, dtype=np.uint64).astype(np.uint32)])
    for cutoff in (0.5, 3, 25.5, 31, 1000):
        assert np.array_equal(df.below(values, cutoff), df.counts(values) < cutoff)
    assert df.below(np.arange(115, 120, dtype=np.uint32), 30).sum() == 0
