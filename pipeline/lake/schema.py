"""The lake's three datasets as explicit pyarrow schemas; `docs/schema.md` documents every column.

Files hold these columns; `ingest_date` is not stored in the files, it comes from the hive partition
folder (`ingest_date=YYYY-MM-DD`), which readers turn into a column.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
PARTITION_KEY = "ingest_date"

ARTICLES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("language", pa.string()),
        pa.field("author", pa.string()),
        pa.field("published_at", UTC_TIMESTAMP),
        pa.field("fetched_at", UTC_TIMESTAMP, nullable=False),
        pa.field("extraction", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("near_dup_of", pa.string()),
        pa.field("story_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

LINKS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("other_doc_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("similarity", pa.float64(), nullable=False),
        pa.field("method", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

REJECTS = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("retryable", pa.bool_()),  # may succeed later; superseded by a later article (docs/reliability.md)
    ]
)

SCHEMAS: dict[str, pa.Schema] = {"articles": ARTICLES, "links": LINKS, "rejects": REJECTS}
LINK_KINDS = ("exact", "near_duplicate", "same_story")
# Columns the lake fills itself when a run is finalized, so `add_article` must not pass them.
FILLED_AT_CLOSE = ("near_dup_of", "story_id")


def partition_dir(dataset: str, ingest_date: str) -> str:
    """The key prefix of one partition, e.g. ``articles/ingest_date=2024-05-01``."""
    return f"{dataset}/{PARTITION_KEY}={ingest_date}"


def hive_partitioning():
    """The partitioning readers should use: `ingest_date` as a string column, from folder names."""
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([pa.field(PARTITION_KEY, pa.string())]), flavor="hive")


def check_row(dataset: str, row: dict, *, skip: tuple[str, ...] = ()) -> None:
    """Raise ValueError when `row` has unknown columns or lacks a required one (a caller bug, not bad input)."""
    schema = SCHEMAS[dataset]
    unknown = set(row) - set(schema.names) - set(skip)
    if unknown:
        raise ValueError(f"{dataset}: unknown column(s) {sorted(unknown)}; the schema has {schema.names}")
    missing = [f.name for f in schema if not f.nullable and f.name not in skip and row.get(f.name) is None]
    if missing:
        raise ValueError(f"{dataset}: required column(s) {missing} missing or null")
    if dataset == "links" and row["kind"] not in LINK_KINDS:
        raise ValueError(f"links: kind {row['kind']!r} is not one of {LINK_KINDS}")
