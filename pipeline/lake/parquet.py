"""Final Parquet files: zstd, statistics on, bounded row groups and file sizes, deterministic names."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.lake.config import LakeConfig

logger = logging.getLogger(__name__)


def write_files(
    tables: Iterable[pa.Table], schema: pa.Schema, out_dir: Path, prefix: str, config: LakeConfig
) -> list[Path]:
    """Stream `tables` into ``<out_dir>/<prefix>-<n>.parquet`` files; returns the files written.

    Rows keep their order; nothing is held in memory beyond one row group.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(f"{prefix}-*.parquet"):
        stale.unlink()  # a rewrite after a crash must not leave files of the earlier attempt

    def batches():
        for table in tables:
            yield from table.select(schema.names).cast(schema).to_batches()

    fmt = ds.ParquetFileFormat()
    options = fmt.make_write_options(
        compression=config.compression,
        compression_level=config.compression_level,
        write_statistics=True,
    )
    ds.write_dataset(
        pa.RecordBatchReader.from_batches(schema, batches()),
        out_dir,
        format=fmt,
        file_options=options,
        basename_template=f"{prefix}-{{i}}.parquet",
        min_rows_per_group=config.row_group_rows,
        max_rows_per_group=config.row_group_rows,
        max_rows_per_file=config.max_rows_per_file,
        existing_data_behavior="overwrite_or_ignore",
        preserve_order=True,
        create_dir=True,
    )
    files = sorted(out_dir.glob(f"{prefix}-*.parquet"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    # write_dataset may leave an empty file when there were no rows: such a file carries nothing.
    for path in list(files):
        if pq.ParquetFile(path).metadata.num_rows == 0:
            path.unlink()
            files.remove(path)
    return files


def num_rows(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows
