"""Three `scrapy crawl news` processes share one source through the Redis frontier (real redis-server,
loopback site, one lake with DEDUP_BACKEND=redis): every article stored once, no URL fetched twice,
work split evenly; one process killed with SIGKILL mid-crawl and restarted: nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.spiders.newsroom import build

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3


class Fleet:
    """N crawl processes of one source, each with its own spool and stats file, started as process groups."""

    def __init__(self, folder: Path, news_cmd, source: Path, redis_url: str) -> None:
        self.folder, self.news_cmd, self.source, self.redis_url = folder, news_cmd, source, redis_url
        self.lake = folder / "lake"
        self.processes: dict[int, subprocess.Popen] = {}
        self.stats_files: list[Path] = []

    def start(self, slot: int) -> None:
        settings = {"SCHEDULER_BACKEND": "redis", "REDIS_URL": self.redis_url, "DEDUP_BACKEND": "redis",
                    "FRONTIER_LEASE_SECONDS": "6", "DEDUP_CLAIM_TTL_SECONDS": "4", "DOWNLOAD_DELAY": "0.5", "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
                    "EXTRACT_WORKERS": "1", "LAKE_SPOOL_DIR": str(self.folder / f"spool-{slot}")}
        command, stats_file = self.news_cmd(self.lake, "-a", f"source={self.source}", settings=settings)
        log = (self.folder / f"crawl-{slot}-{len(self.stats_files)}.log").open("w")
        self.processes[slot] = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        log.close()
        self.stats_files.append(stats_file)

    def kill(self, slot: int) -> None:
        """SIGKILL the crawler and its extraction workers (its process group): a host that died."""
        os.killpg(self.processes[slot].pid, signal.SIGKILL)
        self.processes[slot].wait(timeout=30)

    def wait(self, timeout: float = 400) -> list[dict]:
        deadline = time.monotonic() + timeout
        for slot, process in self.processes.items():
            try:
                process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            assert process.returncode == 0, self.log_tail(slot)
        return [json.loads(path.read_text(encoding="utf-8")) for path in self.stats_files if path.exists()]

    def log_tail(self, slot: int) -> str:
        logs = sorted(self.folder.glob(f"crawl-{slot}-*.log"))
        return logs[-1].read_text(encoding="utf-8")[-3000:] if logs else ""


@pytest.fixture
def fleet(tmp_path, make_site, news_cmd, crawl_redis_url):
    start_site, stop_site = make_site
    site = build(tmp_path / "site")
    log = tmp_path / "requests.jsonl"
    log.touch()
    server = start_site(log, "--root", str(site.root))
    source = site.source_file(server.base, tmp_path, name=f"newsroom-{uuid.uuid4().hex[:8]}")
    crawlers = Fleet(tmp_path, news_cmd, source, crawl_redis_url)
    yield site, server, crawlers
    for process in crawlers.processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    stop_site(server)


def stored_urls(read_lake, lake: Path, base: str) -> list[str]:
    return [url.removeprefix(base) for url in read_lake(lake, "articles").column("url").to_pylist()]


def designed_refetches(stats: list[dict]) -> int:
    """Second fetches the spider makes on purpose: a variant after its canonical page failed, a listed page
    first taken for a listing."""
    return sum(s.get("crawl/canonical/fallback", 0) + s.get("crawl/listed_after_fetch", 0) for s in stats)


def test_three_processes_share_the_frontier(fleet, read_lake):
    site, server, crawlers = fleet
    for slot in range(PROCESSES):
        crawlers.start(slot)
    stats = crawlers.wait()
    urls = stored_urls(read_lake, crawlers.lake, server.base)
    assert sorted(urls) == sorted(site.articles), "every article stored, once"
    counts = Counter(r["path"] for r in server.requests())
    assert counts.pop("/robots.txt") == PROCESSES
    twice = {path: n for path, n in counts.items() if n > 1}
    assert sum(n - 1 for n in twice.values()) == designed_refetches(stats), twice
    assert set(twice) <= set(site.quirks.values()) | site.listed
    assert sorted(s["frontier/role"] for s in stats) == ["seeder", "worker", "worker"]
    assert sum(s.get("frontier/seed/skipped", 0) for s in stats) > 0
    work = [s["downloader/request_count"] - s["robotstxt/request_count"] for s in stats]
    mean = sum(work) / len(work)
    print(f"\nrequests per process: {work} (mean {mean:.1f}, total {sum(work)} for {len(urls)} articles); "
          f"fetched twice: {twice}")
    assert all(abs(w - mean) <= 0.25 * mean for w in work), work


def test_a_process_killed_mid_crawl_loses_nothing(fleet, read_lake):
    site, server, crawlers = fleet
    for slot in range(PROCESSES):
        crawlers.start(slot)
    articles = set(site.articles)
    deadline = time.monotonic() + 240
    while sum(r["path"] in articles for r in server.requests()) < 25 and time.monotonic() < deadline:
        time.sleep(0.2)
    crawlers.kill(1)
    killed_at = len(server.requests())
    crawlers.start(1)  # the host comes back: same command, same spool
    stats = crawlers.wait()
    urls = stored_urls(read_lake, crawlers.lake, server.base)
    assert set(urls) == articles, f"lost: {sorted(articles - set(urls))}"
    assert len(urls) == len(set(urls)), f"duplicated: {[u for u, n in Counter(urls).items() if n > 1]}"
    assert sum(s.get("frontier/requeued", 0) for s in stats) > 0, "the killed process's requests were requeued"
    after = Counter(r["path"] for r in server.requests()[killed_at:])
    before = Counter(r["path"] for r in server.requests()[:killed_at])
    refetched = {p for p in after if p in before and p in articles}
    print(f"\nkilled after {killed_at} requests; {len(refetched)} article pages fetched again (held by the killed process)")
