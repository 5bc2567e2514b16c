"""Reading back which rejects the lake already holds, so re-running the same inputs adds no reject rows."""

from __future__ import annotations

import io
import logging

import pyarrow.parquet as pq

from pipeline.lake.store import Store

logger = logging.getLogger(__name__)

KEY_COLUMNS = ("url", "stage", "reason")


def lake_reject_keys(store: Store, *, exclude_run: str | None = None) -> set[tuple[str, str, str]]:
    """(url, stage, reason) of every reject in the lake, except rows of `exclude_run` (a run being republished)."""
    keys: set[tuple[str, str, str]] = set()
    for key in store.list_keys("rejects"):
        if not key.endswith(".parquet"):
            continue
        data = store.read_bytes(key)
        if data is None:  # deleted meanwhile (compaction)
            continue
        table = pq.read_table(io.BytesIO(data), columns=[*KEY_COLUMNS, "run_id"])
        for url, stage, reason, run_id in zip(*(table[c].to_pylist() for c in table.column_names), strict=True):
            if run_id != exclude_run:
                keys.add((url, stage, reason))
    return keys
