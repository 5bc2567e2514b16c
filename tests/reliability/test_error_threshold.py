"""A run whose inputs fail inside the pipeline exits non-zero (#12 item 13); the next run supersedes its rejects.

The worker pool is broken by killing its forkserver (and workers) as the run starts: every document then
fails with `internal_error`. Before the fix such a run (302 inputs, 302 `internal_error` rejects) exited 0.
Now the share of internal failures above `INGEST_MAX_ERROR_RATE` (default 0.2) fails the run; its rejects
are retryable, and a healthy rerun lands every input, which supersedes them.
"""

from __future__ import annotations

import signal
import time

import psutil

from tests.reliability.conftest import trials
from tests.reliability.harness import TRACEBACK, build_corpus, start_crawl, verdict


def kill_the_pool(crawl_pid: int, timeout: float = 120) -> bool:
    """SIGKILL the crawl's forkserver and everything under it, as soon as it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = psutil.Process(crawl_pid).children()
        except psutil.NoSuchProcess:
            return False
        for child in children:
            try:
                if "forkserver" in " ".join(child.cmdline()):
                    for process in [*child.children(recursive=True), child]:
                        process.send_signal(signal.SIGKILL)
                    return True
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.02)
    return False


def test_a_broken_worker_pool_fails_the_run_and_a_rerun_supersedes_its_rejects(tmp_path, fault_record):
    inputs = build_corpus(tmp_path / "in")
    lost = duplicated = escaped = 0
    count = trials(1)
    for trial in range(count):
        lake, spool = tmp_path / f"lake{trial}", tmp_path / f"spool{trial}"
        broken = start_crawl(tmp_path / "in", lake, spool, tmp_path / f"broken{trial}.log")
        try:
            assert kill_the_pool(broken.pid), broken.output()[-3000:]
            code = broken.wait(timeout=600)
        finally:
            broken.stop()
        last = broken.output().strip().splitlines()[-1]
        escaped += code != 1
        escaped += not (last.startswith("newsdedup: run failed: ") and "INGEST_MAX_ERROR_RATE" in last)
        rejects = verdict(lake, inputs).rejects
        escaped += not rejects or not all(row["retryable"] for row in rejects)

        rerun = start_crawl(tmp_path / "in", lake, spool, tmp_path / f"rerun{trial}.log")
        try:
            escaped += rerun.wait(timeout=600) != 0
        finally:
            rerun.stop()
        escaped += TRACEBACK in rerun.output()
        found = verdict(lake, inputs)
        lost += found.lost
        duplicated += found.duplicated
    fault_record("broken worker pool (failure threshold), then a rerun", trials=count, lost=lost,
                 duplicated=duplicated, escaped=escaped, note="exit 1 above INGEST_MAX_ERROR_RATE; rerun supersedes")


def test_the_threshold_is_a_setting(tmp_path):
    inputs = build_corpus(tmp_path / "in")
    crawl = start_crawl(tmp_path / "in", tmp_path / "lake", tmp_path / "spool", tmp_path / "tolerant.log",
                        settings={"INGEST_MAX_ERROR_RATE": "1"})
    try:
        assert kill_the_pool(crawl.pid), crawl.output()[-3000:]
        assert crawl.wait(timeout=600) == 0, crawl.output()[-3000:]
    finally:
        crawl.stop()
    assert verdict(tmp_path / "lake", inputs).lost == 0
