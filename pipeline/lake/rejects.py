"""Reading back which rejects the lake already holds, so re-running the same inputs adds no reject rows."""

from __future__ import annotations

import io
import logging

import pyarrow.parquet as pq

from pipeline.lake.manifest import committed_keys
from pipeline.lake.store import LakeUnavailable, Store

logger = logging.getLogger(__name__)

KEY_COLUMNS = ("url", "stage", "reason")
ATTEMPTS = 3  # a compaction replacing the files being read makes the reader start over on the new ones


def lake_reject_keys(store: Store, *, exclude_run: str | None = None) -> set[tuple[str, str, str]]:
    """(url, stage, reason) of every published reject in the lake, except rows of `exclude_run` (a run being
    republished)."""
    for _ in range(ATTEMPTS):
        snapshot = committed_keys(store)
        keys = snapshot["rejects"] if snapshot is not None else store.list_keys("rejects")
        found = _read_keys(store, [k for k in keys if k.endswith(".parquet")], exclude_run)
        if found is not None:
            return found
        logger.info("a file of rejects was replaced while read (a compaction): reading them again")
    raise LakeUnavailable(f"the rejects of {store.uri} kept changing while read ({ATTEMPTS} attempts)")


def _read_keys(store: Store, keys: list[str], exclude_run: str | None) -> set[tuple[str, str, str]] | None:
    """The reject keys in `keys`; None when one of the files is gone (deleted by a compaction meanwhile)."""
    found: set[tuple[str, str, str]] = set()
    for key in keys:
        data = store.read_bytes(key)
        if data is None:
            return None
        table = pq.read_table(io.BytesIO(data), columns=[*KEY_COLUMNS, "run_id"])
        for url, stage, reason, run_id in zip(*(table[c].to_pylist() for c in table.column_names), strict=True):
            if run_id != exclude_run:
                found.add((url, stage, reason))
    return found
