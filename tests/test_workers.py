"""The worker pool: slow pages are stopped and rejected, and results do not depend on the worker count."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from pipeline.dedup import DedupConfig
from pipeline.errors import Rejected
from pipeline.extract import ExtractConfig
from pipeline import workerpool
from pipeline.workerpool import WorkerPool, close_early, pool_for, start_early
from tests.crawl import SEEDS, read_dataset, run_crawl

# ~4 MB of paragraphs: trafilatura needs ~5 s of CPU on it (a real page can be far worse); the time
# limits below (3 s) leave the seeds room on a loaded machine.
SLOW_PAGE = (
    "<html><body><article>"
    + "".join(f"<p>Paragraph number {i} has a few words of its own to read {i * 7}.</p>" for i in range(60000))
    + "</article></body></html>"
).encode()


def test_pool_stops_a_slow_document_replaces_the_worker_and_goes_on():
    seed = (SEEDS / "000_3b93ccf9d086253d.txt").read_bytes()

    async def scenario():
        pool = WorkerPool(1, 3.0, ExtractConfig(), DedupConfig())
        try:
            with pytest.raises(Rejected) as rejected:
                await pool.run(SLOW_PAGE, "html", url="file:///slow.html", source="file", http_encoding=None)
            after = await pool.run(seed, "text", url="file:///seed.txt", source="file", http_encoding=None)
        finally:
            pool.close()
        return rejected.value, after

    rejected, after = asyncio.run(scenario())
    assert (rejected.stage, rejected.reason) == ("extract", "timeout")
    assert after.extracted.title.startswith("لافروف")


def busy_worker(pool_started_from: int, seconds_of_cpu: float):
    """The pool's worker once it has spent `seconds_of_cpu` on the current document (psutil)."""
    import psutil

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for child in psutil.Process(pool_started_from).children(recursive=True):
            if "forkserver" in " ".join(child.cmdline()) and child.ppid() != pool_started_from:
                times = child.cpu_times()
                if times.user + times.system >= seconds_of_cpu:
                    return child
        time.sleep(0.05)
    raise AssertionError("no worker got busy")


def test_a_worker_killed_mid_document_is_retried_once_in_a_fresh_worker():
    # A page that keeps one worker busy for about a second: long enough to be killed in the middle.
    page = SLOW_PAGE[: len(SLOW_PAGE) // 6] + b"</article></body></html>"

    async def scenario():
        pool = WorkerPool(1, 120.0, ExtractConfig(), DedupConfig())
        try:
            await pool.run(b"warm-up", "text", url=None, source=None, http_encoding=None)
        except Rejected:
            pass
        try:
            task = asyncio.ensure_future(pool.run(page, "html", url="file:///slow.html", source="file", http_encoding=None))
            worker = await asyncio.get_running_loop().run_in_executor(None, busy_worker, os.getpid(), 0.3)
            worker.kill()
            return await task
        finally:
            pool.close()

    result = asyncio.run(scenario())
    assert result.attempts == 2
    assert "Paragraph number" in result.extracted.text


def test_an_idle_worker_killed_between_documents_does_not_break_the_pool():
    # pebble gives up on a whole pool when a worker dies with no document to blame (an idle worker
    # chosen by the OOM killer); every later document then failed.
    seed = (SEEDS / "000_3b93ccf9d086253d.txt").read_bytes()

    async def scenario():
        pool = WorkerPool(1, 120.0, ExtractConfig(), DedupConfig())
        try:
            await pool.run(seed, "text", url="file:///first.txt", source="file", http_encoding=None)
            idle = await asyncio.get_running_loop().run_in_executor(None, busy_worker, os.getpid(), 0.0)
            idle.kill()
            idle.wait(timeout=30)
            await asyncio.sleep(1.0)  # pebble notices the death between documents
            return await pool.run(seed, "text", url="file:///second.txt", source="file", http_encoding=None)
        finally:
            pool.close()

    assert asyncio.run(scenario()).extracted.language == "ar"


def test_a_run_takes_the_pool_started_early_only_when_it_asks_for_the_same_one():
    extract, dedup = ExtractConfig(), DedupConfig()
    start_early(1, 30.0, extract, dedup)
    early = workerpool._early
    try:
        assert pool_for(1, 30.0, extract, dedup) is early  # taken over, nothing left waiting
        assert workerpool._early is None
        start_early(1, 30.0, extract, dedup)
        other = pool_for(1, 5.0, extract, dedup)  # another time limit: a new pool, the early one closed
        assert other is not early and other.timeout == 5.0 and workerpool._early is None
        other.close()
    finally:
        early.close()
        close_early()


def test_slow_page_becomes_a_reject_and_the_crawl_finishes(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "0000_slow.html").write_bytes(SLOW_PAGE)
    for seed in ("000_3b93ccf9d086253d.txt", "002_e29d59dd00f27b6d.txt"):
        (inputs / seed).write_bytes((SEEDS / seed).read_bytes())
    result = run_crawl("files", tmp_path / "lake", f"path={inputs}", spool=tmp_path / "spool",
                       settings={"EXTRACT_TIMEOUT": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    rejects = read_dataset(tmp_path / "lake", "rejects").to_pylist()
    assert [(Path(r["url"]).name, r["stage"], r["reason"]) for r in rejects] == [("0000_slow.html", "extract", "timeout")]
    articles = read_dataset(tmp_path / "lake", "articles")
    assert sorted(Path(u).name for u in articles.column("url").to_pylist()) == [
        "000_3b93ccf9d086253d.txt", "002_e29d59dd00f27b6d.txt"
    ]


def lake_content(lake: Path) -> tuple:
    """What a user compares between runs: articles and links by file name, without run-specific ids."""
    articles = read_dataset(lake, "articles").to_pylist()
    name = {row["doc_id"]: Path(row["url"]).name for row in articles}
    story = {row["doc_id"]: row["story_id"] for row in articles}
    rows = sorted(
        (name[row["doc_id"]], row["title"], row["text"], row["language"], row["content_hash"],
         name.get(row["near_dup_of"]), sorted(n for d, n in name.items() if story[d] == row["story_id"]))
        for row in articles
    )
    links = sorted(
        (sorted((name[link["doc_id"]], name[link["other_doc_id"]])), link["kind"], round(link["similarity"], 6))
        for link in read_dataset(lake, "links").to_pylist()
    )
    return rows, links


def test_one_and_two_workers_give_the_same_lake(tmp_path):
    lakes = []
    for workers in (1, 2):
        lake = tmp_path / f"lake{workers}"
        result = run_crawl("files", lake, f"path={SEEDS}", spool=tmp_path / f"spool{workers}",
                           settings={"EXTRACT_WORKERS": str(workers)})
        assert result.returncode == 0, result.stderr[-3000:]
        lakes.append(lake_content(lake))
    assert lakes[0] == lakes[1]
    assert len(lakes[0][0]) == 5
