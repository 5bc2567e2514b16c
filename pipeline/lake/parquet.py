"""Final Parquet files: zstd, statistics on, bounded row groups and file sizes, deterministic names."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lake.config import LakeConfig

logger = logging.getLogger(__name__)


def write_files(
    tables: Iterable[pa.Table],
    schema: pa.Schema,
    out_dir: Path,
    prefix: str,
    config: LakeConfig,
    *,
    empty_file: bool = False,
) -> list[Path]:
    """Stream `tables` into ``<out_dir>/<prefix>-<n>.parquet`` files; returns the files written.

    No rows give no file, or with `empty_file` one file of zero rows that carries the schema (what makes
    a dataset readable, with its columns, before it holds any row).

    Rows keep their order; a row group closes at `row_group_rows` rows or `row_group_bytes` of Arrow data,
    whichever comes first (a single row larger than that is a group of its own), and files hold
    `max_rows_per_file` rows (the last shorter). Memory beyond the incoming table is about one row group's
    bytes, whatever the text lengths. Written with `pq.ParquetWriter`: `pyarrow.dataset.write_dataset` does
    the same but importing it loads pandas, ~0.3 s of every crawl's start.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(f"{prefix}-*.parquet"):
        stale.unlink()  # a rewrite after a crash must not leave files of the earlier attempt
    files: list[Path] = []
    writer: pq.ParquetWriter | None = None
    room = 0  # rows the open file can still take
    try:
        for group in _row_groups(tables, schema, config.row_group_rows, config.row_group_bytes):
            while group.num_rows:
                if writer is None or room == 0:
                    if writer is not None:
                        writer.close()
                    files.append(out_dir / f"{prefix}-{len(files)}.parquet")
                    writer = pq.ParquetWriter(
                        files[-1],
                        schema,
                        compression=config.compression,
                        compression_level=config.compression_level,
                        write_statistics=True,
                    )
                    room = config.max_rows_per_file
                part = group.slice(0, room)
                # row_group_size caps rows per row group: the part's own count keeps it one row group
                writer.write_table(part, row_group_size=part.num_rows)
                # Arrow's allocator keeps freed blocks for reuse: over a 100k-article run it held ~400 MB
                # more than one row group needs, and kept it after the write
                pa.default_memory_pool().release_unused()
                room -= part.num_rows
                group = group.slice(part.num_rows)
    finally:
        if writer is not None:
            writer.close()
    if not files and empty_file:
        files.append(out_dir / f"{prefix}-0.parquet")
        pq.write_table(schema.empty_table(), files[0], compression=config.compression)
    return files


def _row_groups(tables: Iterable[pa.Table], schema: pa.Schema, max_rows: int, max_bytes: int) -> Iterator[pa.Table]:
    """The rows of `tables`, in order, as tables of at most `max_rows` rows and `max_bytes` bytes (or one row)."""
    group: list[pa.RecordBatch] = []
    rows = nbytes = 0
    for table in tables:
        for batch in table.select(schema.names).cast(schema).to_batches():
            while batch.num_rows:
                take = _rows_that_fit(batch, max_rows - rows, max_bytes - nbytes)
                if take or not group:
                    piece = batch.slice(0, max(take, 1))  # a row larger than max_bytes is a group of its own
                    group.append(piece)
                    rows += piece.num_rows
                    nbytes += piece.nbytes
                    batch = batch.slice(piece.num_rows)
                if take == 0 or rows == max_rows or nbytes >= max_bytes:
                    yield pa.Table.from_batches(group, schema)
                    group, rows, nbytes = [], 0, 0
    if group:
        yield pa.Table.from_batches(group, schema)


def _rows_that_fit(batch: pa.RecordBatch, room_rows: int, room_bytes: int) -> int:
    """How many leading rows of `batch` fit in `room_rows` rows and `room_bytes` bytes (0 if not even one)."""
    bytes_per_row = max(batch.nbytes / batch.num_rows, 1)  # all-null columns hold no bytes
    # the estimate assumes rows of average size, so it is checked: the first rows may be longer or shorter
    take = min(batch.num_rows, room_rows, max(int(room_bytes / bytes_per_row), 1))
    while take and batch.slice(0, take).nbytes > room_bytes:
        take //= 2
    return take


def num_rows(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows
