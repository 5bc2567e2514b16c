"""A run whose inputs fail inside the pipeline exits non-zero (#12 item 13); the next run supersedes its rejects.

The worker processes cannot start on this "host": a `sitecustomize` on the crawl's PYTHONPATH ends every
forkserver as it starts (as a broken install of a worker dependency would), so every document fails
with `internal_error`. Before the fix such a run (302 inputs, 302 `internal_error` rejects) exited 0.
Now the share of internal failures above `INGEST_MAX_ERROR_RATE` (default 0.2) fails the run; its
rejects are retryable, and a healthy rerun lands every input, which supersedes them.
"""

from __future__ import annotations

from tests.reliability.conftest import trials
from tests.reliability.harness import build_corpus, crawl_and_judge, start_crawl, verdict

BROKEN_WORKERS = """
import os, sys
if any("multiprocessing.forkserver" in part for part in sys.orig_argv):
    os._exit(1)
"""


def broken_workers_env(tmp_path) -> dict:
    folder = tmp_path / "broken-workers"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(BROKEN_WORKERS, encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


def test_a_broken_worker_pool_fails_the_run_and_a_rerun_supersedes_its_rejects(tmp_path, fault_record):
    inputs = build_corpus(tmp_path / "in")
    lost = duplicated = escaped = 0
    count = trials(1)
    for trial in range(count):
        lake, spool = tmp_path / f"lake{trial}", tmp_path / f"spool{trial}"
        broken = start_crawl(tmp_path / "in", lake, spool, tmp_path / f"broken{trial}.log",
                             env=broken_workers_env(tmp_path))
        try:
            code = broken.wait(timeout=600)
        finally:
            broken.stop()
        last = broken.output().strip().splitlines()[-1]
        escaped += code != 1
        escaped += not (last.startswith("newsdedup: run failed: ") and "INGEST_MAX_ERROR_RATE" in last)
        rejects = verdict(lake, inputs).rejects
        escaped += len(rejects) != len(inputs) or not all(row["retryable"] for row in rejects)

        escapes, found = crawl_and_judge(tmp_path / "in", inputs, lake, spool, tmp_path / f"rerun{trial}.log")
        escaped, lost, duplicated = escaped + escapes, lost + found.lost, duplicated + found.duplicated
    fault_record("workers that cannot start (failure threshold), then a rerun", trials=count, lost=lost,
                 duplicated=duplicated, escaped=escaped, note="exit 1 above INGEST_MAX_ERROR_RATE; rerun supersedes")


def test_the_threshold_is_a_setting(tmp_path):
    inputs = build_corpus(tmp_path / "in")
    crawl = start_crawl(tmp_path / "in", tmp_path / "lake", tmp_path / "spool", tmp_path / "tolerant.log",
                        settings={"INGEST_MAX_ERROR_RATE": "1"}, env=broken_workers_env(tmp_path))
    try:
        assert crawl.wait(timeout=600) == 0, crawl.output()[-3000:]
    finally:
        crawl.stop()
    assert verdict(tmp_path / "lake", inputs).lost == 0
