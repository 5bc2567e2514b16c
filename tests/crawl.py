"""Test helpers: run a real `scrapy crawl` subprocess and read the lake back with pyarrow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def run_crawl(
    spider: str,
    lake: str | Path,
    *args: str,
    settings: dict | None = None,
    env: dict | None = None,
    spool: str | Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """`python -m scrapy crawl SPIDER -a ARG... -s NAME=VALUE...` from the repo root; returns the finished process."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for arg in args:
        command += ["-a", arg]
    merged = {"LAKE_URI": str(lake), "LOG_LEVEL": "INFO", "EXTRACT_WORKERS": "1"}
    if spool is not None:
        merged["LAKE_SPOOL_DIR"] = str(spool)
    merged.update(settings or {})
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_dataset(lake: str | Path, name: str) -> pa.Table:
    """One dataset of a local lake (empty table if it has no files yet)."""
    path = Path(lake) / name
    if not path.exists():
        return pa.table({})
    return ds.dataset(path, format="parquet", partitioning="hive").to_table()
