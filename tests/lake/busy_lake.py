"""Processes that keep one lake busy: runs published one after another, or a partition compacted over and over.

    python -m tests.lake.busy_lake publish LAKE_URI SPOOL_DIR WRITER RUNS ROWS   # run ids w<WRITER>-<n>
    python -m tests.lake.busy_lake compact LAKE_URI STOP_FILE                    # until STOP_FILE exists

`compact` prints how many compactions it made and how many times another one held the lake.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.lake import LakeBusy, LakeConfig, LakeWriter, open_store
from pipeline.lake.compact import compact_partition
from tests.lake.rows import DAY, article

PARTITION = f"ingest_date={DAY.isoformat()}"


def run_rows(writer: int, run: int, rows: int) -> tuple[str, list[dict]]:
    """The run id and the articles of one run of one writer (doc_ids unique across writers and runs)."""
    run_id = f"w{writer}-{run:03d}"
    return run_id, [article(writer * 10_000 + run * 100 + i, run_id) for i in range(rows)]


def publish(lake: str, spool: str, writer: int, runs: int, rows: int) -> None:
    store = open_store(lake)
    for run in range(runs):
        run_id, articles = run_rows(writer, run, rows)
        lake_writer = LakeWriter(store, run_id=run_id, ingest_date=DAY, spool_dir=Path(spool), config=LakeConfig())
        for row in articles:
            lake_writer.add_article(row)
        lake_writer.close({}, settings={})


def compact(lake: str, stop: str) -> None:
    store, config = open_store(lake), LakeConfig()
    made = busy = 0
    while not Path(stop).exists():
        try:
            made += compact_partition(store, "articles", PARTITION, config) is not None
        except LakeBusy:
            busy += 1
        time.sleep(0.3)  # back to back, as no schedule would run them: each replaces the last one's file
    print(f"compactions {made} busy {busy}", flush=True)


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "publish":
        publish(args[0], args[1], *map(int, args[2:]))
    else:
        compact(*args)
