"""The lake: Parquet datasets (articles, links, rejects) in a local folder or S3, published per run."""

from __future__ import annotations

from pipeline.lake.config import LakeConfig
from pipeline.lake.lease import LakeBusy
from pipeline.lake.schema import ARTICLES, LINKS, REJECTS, SCHEMAS
from pipeline.lake.store import LakeUnavailable, LocalStore, Store, open_store
from pipeline.lake.writer import LakeWriter

__all__ = [
    "ARTICLES",
    "LINKS",
    "REJECTS",
    "SCHEMAS",
    "LakeBusy",
    "LakeConfig",
    "LakeUnavailable",
    "LakeWriter",
    "LocalStore",
    "Store",
    "open_store",
]
