"""The local spool: a run's rows go to Parquet batch files on disk as they arrive, so memory stays flat.

Layout of one run under the spool folder::

    <run_id>/.lock                       held (flock) while the run's process is alive
    <run_id>/lake                        the URI of the lake the run belongs to (only runs on it touch it)
    <run_id>/pending/<dataset>/batch-NNNNN.parquet   rows as added, before close
    <run_id>/final/<lake key>            finished files, named exactly as in the lake
    <run_id>/state.json                  written once the final files exist: the run is ready to publish

A run folder without `state.json` belongs to a process that died before closing: nothing of it was
published or committed, so its inputs are ingested again by the next run on its lake and the folder is
discarded.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

STATE_FILE = "state.json"
LOCK_FILE = ".lock"
LAKE_FILE = "lake"


class RowSpool:
    """Rows of one dataset: buffered up to a row/byte limit, then written as one Parquet batch file."""

    def __init__(self, directory: Path, schema: pa.Schema, batch_rows: int, batch_bytes: int) -> None:
        self.directory = directory
        self.schema = schema
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self._rows: list[dict] = []
        self._bytes = 0
        self.count = 0
        self.batches = len(list(directory.glob("batch-*.parquet"))) if directory.exists() else 0

    def add(self, row: dict) -> None:
        self._rows.append(row)
        self.count += 1
        # Only strings can be large (article bodies); this is an estimate, good enough for a limit.
        self._bytes += sum(len(v) for v in row.values() if isinstance(v, str))
        if len(self._rows) >= self.batch_rows or self._bytes >= self.batch_bytes:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(self._rows, schema=self.schema)
        path = self.directory / f"batch-{self.batches:05d}.parquet"
        tmp = path.with_suffix(".tmp")
        # Fast compression: these files live minutes, the final files get the real settings.
        pq.write_table(table, tmp, compression="zstd", compression_level=1)
        os.replace(tmp, path)
        self.batches += 1
        self._rows, self._bytes = [], 0
        del table
        pa.default_memory_pool().release_unused()  # else Arrow's allocator keeps each batch's peak (~3x its size)

    def tables(self) -> Iterator[pa.Table]:
        """The spooled batches in the order they were written (call `flush` first)."""
        for path in sorted(self.directory.glob("batch-*.parquet")):
            yield pq.read_table(path, schema=self.schema)


class RunDir:
    """One run's folder in the spool, locked for as long as this object's process lives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_id = path.name
        self._lock: weakref.finalize | None = None

    def lock(self, *, wait: bool) -> bool:
        """Take the run's lock; False if another live process holds it (only when not waiting)."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        # Released when unlocked, when this object is collected, or by the kernel when the process dies.
        self._lock = weakref.finalize(self, os.close, fd)
        return True

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock()  # closing the descriptor releases the flock
            self._lock = None

    def pending(self, dataset: str) -> Path:
        return self.path / "pending" / dataset

    def final(self, key: str = "") -> Path:
        return self.path / "final" / key

    def final_keys(self) -> list[str]:
        root = self.final()
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))

    def claim(self, lake_uri: str) -> None:
        """Record the lake this run writes to (once, when the run starts)."""
        (self.path / LAKE_FILE).write_text(lake_uri + "\n", encoding="utf-8")

    def lake(self) -> str | None:
        """The lake this run belongs to; None for a folder written before runs recorded it."""
        try:
            return (self.path / LAKE_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def read_state(self) -> dict | None:
        try:
            return json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def write_state(self, state: dict) -> None:
        tmp = self.path / (STATE_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / STATE_FILE)

    def remove(self) -> None:
        self.unlock()
        shutil.rmtree(self.path, ignore_errors=True)


def other_runs(spool_dir: Path, current_run_id: str) -> list[RunDir]:
    """Run folders in the spool left by other runs, oldest first (run ids sort by start time)."""
    if not spool_dir.exists():
        return []
    return [RunDir(p) for p in sorted(spool_dir.iterdir()) if p.is_dir() and p.name != current_run_id]
