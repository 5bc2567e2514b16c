"""Final Parquet layout: full row groups and files in row order, the last of each shorter, no file for no rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.lake.config import MIB, LakeConfig
from pipeline.lake.parquet import write_files

SCHEMA = pa.schema([("x", pa.int64())])
ARTICLES = pa.schema([("x", pa.int64()), ("text", pa.string())])


def row_group_sizes(files: list[Path]) -> list[list[int]]:
    metas = [pq.ParquetFile(f).metadata for f in files]
    return [[meta.row_group(g).num_rows for g in range(meta.num_row_groups)] for meta in metas]


def row_group_bytes(files: list[Path]) -> list[int]:
    """Arrow (uncompressed, in-memory) bytes of every row group, read back one at a time."""
    return [pq.ParquetFile(f).read_row_group(g).nbytes for f in files for g in range(pq.ParquetFile(f).num_row_groups)]


def articles(lengths: list[int], start: int = 0) -> pa.Table:
    texts = [f"{start + i:06d}".ljust(length, "w") for i, length in enumerate(lengths)]
    return pa.table({"x": list(range(start, start + len(lengths))), "text": texts}, schema=ARTICLES)


def test_rows_fill_row_groups_and_files_in_order(tmp_path):
    batches = [pa.table({"x": list(range(start, min(start + 4, 23)))}) for start in range(0, 23, 4)]
    files = write_files(batches, SCHEMA, tmp_path, "part-r", LakeConfig(row_group_rows=5, max_rows_per_file=10))
    assert [f.name for f in files] == ["part-r-0.parquet", "part-r-1.parquet", "part-r-2.parquet"]
    assert row_group_sizes(files) == [[5, 5], [5, 5], [3]]
    assert sum((pq.read_table(f).column("x").to_pylist() for f in files), []) == list(range(23))
    assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).statistics.has_min_max


def test_long_texts_close_row_groups_at_the_byte_bound(tmp_path):
    # 40 texts of 100 KB in spool batches of 7 rows: 10 rows fill 1 MiB, long before 20 rows
    tables = [articles([100_000] * min(7, 40 - start), start) for start in range(0, 40, 7)]
    config = LakeConfig(row_group_rows=20, row_group_bytes=MIB, max_rows_per_file=25)
    files = write_files(tables, ARTICLES, tmp_path, "part-r", config)
    assert row_group_sizes(files) == [[10, 10, 5], [5, 10]]
    sizes = row_group_bytes(files)
    assert max(sizes) <= MIB
    assert [size // 100_000 for size in sizes] == [10, 10, 5, 5, 10]
    assert pa.concat_tables(pq.read_table(f) for f in files).equals(pa.concat_tables(tables))


def test_one_batch_larger_than_the_bound_is_split_and_a_huge_row_stands_alone(tmp_path):
    # rows far from the batch's average size, so estimating from it alone would misplace every cut
    lengths = [400_000] * 3 + [50_000] * 30 + [3 * MIB] + [50_000] * 5
    table = articles(lengths)
    assert table.to_batches()[0].num_rows == len(lengths)
    files = write_files([table], ARTICLES, tmp_path, "part-r", LakeConfig(row_group_bytes=MIB))
    sizes = row_group_sizes(files)[0]
    assert sizes == [2, 13, 18, 1, 5]  # 1 MiB holds 2 texts of 400 KB, or 1 of them and 12 of 50 KB
    assert [size <= MIB for size in row_group_bytes(files)] == [True, True, True, False, True]
    assert pq.read_table(files[0]).equals(table)


def test_row_group_bytes_below_one_mib_is_rejected():
    with pytest.raises(ValueError, match="row_group_bytes must be at least 1 MiB"):
        LakeConfig(row_group_bytes=MIB - 1)
    assert LakeConfig(row_group_bytes=MIB).row_group_bytes == MIB


def test_no_rows_no_file_and_stale_parts_are_removed(tmp_path):
    (tmp_path / "part-r-7.parquet").write_bytes(b"left by a crashed attempt")
    assert write_files([pa.table({"x": pa.array([], pa.int64())})], SCHEMA, tmp_path, "part-r", LakeConfig()) == []
    assert list(tmp_path.iterdir()) == []
