"""Reading the lake back as Arrow datasets, for the CLI and for notebooks (local folder or S3)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.lake.schema import SCHEMAS, hive_partitioning

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


def open_dataset(lake_uri: str, name: str) -> ds.Dataset:
    """One dataset of the lake (`articles`, `links`, `rejects`) with `ingest_date` from the partitions.

    A dataset with no files yet is an empty dataset of the right schema, not an error.
    """
    filesystem, root = arrow_filesystem(lake_uri)
    path = f"{root}/{name}"
    schema = SCHEMAS[name].append(hive_partitioning().schema.field(0))
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
