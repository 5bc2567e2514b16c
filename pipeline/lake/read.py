"""Reading the lake back as Arrow datasets, for the CLI and for notebooks (local folder or S3)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.lake.manifest import committed_keys
from pipeline.lake.schema import SCHEMAS, hive_partitioning
from pipeline.lake.store import open_store

logger = logging.getLogger(__name__)


def arrow_filesystem(uri: str):
    """(pyarrow filesystem, path) for a lake URI; S3 settings come from the AWS chain, as for writing."""
    import pyarrow.fs as pafs

    if uri.startswith("s3://"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        options = {"endpoint_override": endpoint} if endpoint else {}
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options), uri[len("s3://") :].rstrip("/")
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    return pafs.LocalFileSystem(), str(Path(uri).expanduser().resolve())


def open_dataset(lake_uri: str, name: str, snapshot: dict[str, list[str]] | None = None) -> ds.Dataset:
    """One dataset of the lake (`articles`, `links`, `rejects`) with `ingest_date` from the partitions.

    Only the files of published runs, as their manifests list them (`committed_keys`, or `snapshot` when the
    caller took it, for several datasets at one moment): rows of a run still publishing, and the files a
    compaction replaced, are not read twice. A folder without manifests is read as listed. A dataset with no
    files yet is an empty dataset of the right schema, not an error.
    """
    filesystem, root = arrow_filesystem(lake_uri)
    path = f"{root}/{name}"
    schema = SCHEMAS[name].append(hive_partitioning().schema.field(0))
    if snapshot is None:
        snapshot = committed_keys(open_store(lake_uri))
    if snapshot is not None:
        files = [f"{root}/{key}" for key in snapshot.get(name, [])]
        if not files:
            return ds.dataset([], schema=schema, format="parquet")
        return ds.dataset(files, filesystem=filesystem, format="parquet", partitioning=hive_partitioning(),
                          partition_base_dir=path, schema=schema)  # fmt: skip
    info = filesystem.get_file_info(path)
    if info.type.name == "NotFound":
        return ds.dataset([], schema=schema, format="parquet")
    return ds.dataset(
        path,
        filesystem=filesystem,
        format="parquet",
        partitioning=hive_partitioning(),
        schema=schema,
        # Temporary files of a local writer in the middle of a rename are not part of the lake.
        exclude_invalid_files=False,
        ignore_prefixes=[".", "_"],
    )
