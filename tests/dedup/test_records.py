"""Count-min document frequencies: the compiled kernels agree with the numpy cell addressing."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_merged_tables_count_what_one_table_counts():
    rng = np.random.default_rng(3)
    sets = [np.unique(rng.integers(0, 5000, size=200).astype(np.uint32)) for _ in range(30)]
    whole, first, second = (DocFreq.empty(3, 1 << 12) for _ in range(3))
    whole.add_docs(sets)
    first.add_docs(sets[:11])
    second.add_docs(sets[11:])
    first.merge(second)
    assert np.array_equal(first.table, whole.table) and first.n_docs == whole.n_docs == 30
    with pytest.raises(ValueError, match="shape"):
        first.merge(DocFreq.empty(3, 1 << 10))


def test_run_docs_give_back_what_was_added_in_any_row_order():
    from pipeline.dedup.rundocs import RunDocs

    rng = np.random.default_rng(4)
    docs = RunDocs(num_perm=8)
    added = []
    for i in range(2500):  # ~2.5M shingles: more than one block of the file is read
        near = rng.integers(0, 2**32, size=8, dtype=np.uint64).astype(np.uint32)
        shingles = np.unique(rng.integers(0, 2**32, size=int(rng.integers(0, 2000)), dtype=np.uint64).astype(np.uint32))
        url = f"https://example.org/{rng.integers(1000)}/{i}"
        docs.add(f"id{i}", url, i * 7, i % 5, i - 3, near, shingles, 100 + i)
        added.append((url, near, shingles))
    assert [docs.urls[r] for r in docs.url_order()] == sorted(url for url, _, _ in added)
    assert "id7" in docs and "id2500" not in docs and len(docs) == 2500
    assert docs.content_keys().tolist() == [i * 7 for i in range(2500)]
    assert docs.sites().tolist() == [i % 5 for i in range(2500)] and docs.days().tolist() == [i - 3 for i in range(2500)]
    assert docs.near_sizes().tolist() == [100 + i for i in range(2500)]
    assert np.array_equal(docs.near(), np.array([near for _, near, _ in added]))
    with pytest.raises(ValueError, match="8"):
        docs.add("bad", "u", 0, 0, -1, np.zeros(5, np.uint32), np.zeros(0, np.uint32), 0)

    selected = rng.random(2500) < 0.7
    counted, expected = DocFreq.empty(2, 1 << 12), DocFreq.empty(2, 1 << 12)
    docs.count_shingles(selected, counted)
    expected.add_docs([s for (_, _, s), chosen in zip(added, selected) if chosen])
    assert np.array_equal(counted.table, expected.table) and counted.n_docs == expected.n_docs == selected.sum()

    keep = lambda values: values % 3 != 0  # noqa: E731
    values, offsets, covers = docs.story_sketches(selected, keep, k=100)
    for row, (_, _, shingles) in enumerate(added):
        kept = shingles[keep(shingles)] if selected[row] else shingles[:0]
        assert np.array_equal(values[offsets[row] : offsets[row + 1]], kept[:100])
        # a sketch cut at k speaks for the values up to its last one; a whole one for all values
        assert covers[row] == (kept[99] if len(kept) > 100 else 0xFFFFFFFF)
    docs.drop_shingles()


def test_merged_lookups_equal_a_stable_sort_of_both():
    from pipeline.dedup.segments import _merge

    rng = np.random.default_rng(6)
    for size_a, size_b in ((0, 5), (5, 0), (300, 40), (40, 300)):
        keys_a, keys_b = np.sort(rng.integers(0, 50, size_a).astype(np.uint32)), np.sort(rng.integers(0, 50, size_b).astype(np.uint32))
        rows_a, rows_b = np.arange(size_a, dtype=np.uint32), np.arange(size_a, size_a + size_b, dtype=np.uint32)
        keys, rows = _merge(keys_a, rows_a, keys_b, rows_b)
        order = np.argsort(np.concatenate([keys_a, keys_b]), kind="stable")
        assert np.array_equal(keys, np.concatenate([keys_a, keys_b])[order])
        assert np.array_equal(rows, np.concatenate([rows_a, rows_b])[order])
