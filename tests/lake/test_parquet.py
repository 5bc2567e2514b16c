"""Final Parquet layout: full row groups and files in row order, the last of each shorter, no file for no rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lake.config import LakeConfig
from pipeline.lake.parquet import write_files

SCHEMA = pa.schema([("x", pa.int64())])


def test_rows_fill_row_groups_and_files_in_order(tmp_path):
    batches = [pa.table({"x": list(range(start, min(start + 4, 23)))}) for start in range(0, 23, 4)]
    files = write_files(batches, SCHEMA, tmp_path, "part-r", LakeConfig(row_group_rows=5, max_rows_per_file=10))
    assert [f.name for f in files] == ["part-r-0.parquet", "part-r-1.parquet", "part-r-2.parquet"]
    layout = [[pq.ParquetFile(f).metadata.row_group(g).num_rows for g in range(pq.ParquetFile(f).metadata.num_row_groups)]
              for f in files]
    assert layout == [[5, 5], [5, 5], [3]]
    assert sum((pq.read_table(f).column("x").to_pylist() for f in files), []) == list(range(23))
    assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).statistics.has_min_max


def test_no_rows_no_file_and_stale_parts_are_removed(tmp_path):
    (tmp_path / "part-r-7.parquet").write_bytes(b"left by a crashed attempt")
    assert write_files([pa.table({"x": pa.array([], pa.int64())})], SCHEMA, tmp_path, "part-r", LakeConfig()) == []
    assert list(tmp_path.iterdir()) == []
