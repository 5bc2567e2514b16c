"""Fixtures for the web spider: the fixture news site on a loopback port, and crawls run as subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "tests" / "resources" / "site"
SCRAPY = ROOT / ".venv" / "bin" / "scrapy"
SERVER = Path(__file__).resolve().parent / "site_server.py"
FAST = {  # loopback needs no politeness delays; the address guard must let 127.0.0.1 through
    "ALLOW_PRIVATE_ADDRESSES": "true",
    "AUTOTHROTTLE_ENABLED": "false",
    "DOWNLOAD_DELAY": "0",
    "EXTRACT_WORKERS": "2",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Site:
    base: str
    log: Path
    process: subprocess.Popen
    marks: list[int] = field(default_factory=list)

    def requests(self, since: int = 0) -> list[dict]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines[since:]]

    def mark(self) -> int:
        return len(self.log.read_text(encoding="utf-8").splitlines())

    def source_file(self, directory: Path) -> Path:
        path = directory / "daily-fixture.yaml"
        path.write_text((SITE / "source.yaml").read_text(encoding="utf-8").replace("{{BASE}}", self.base), encoding="utf-8")
        return path


def start_site(log: Path, *extra: str) -> Site:
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", "0", "--log", str(log), *extra],
        stdout=subprocess.PIPE, text=True,
    )
    base = process.stdout.readline().strip()
    assert base.startswith("http://127.0.0.1:"), f"site server did not start: {base!r}"
    return Site(base, log, process)


def stop_site(site: Site) -> None:
    os.kill(site.process.pid, signal.SIGTERM)
    site.process.wait(timeout=10)
    site.process.stdout.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    log = tmp_path_factory.mktemp("site") / "requests.jsonl"
    log.touch()
    running = start_site(log)
    yield running
    stop_site(running)


@dataclass
class Crawl:
    returncode: int
    output: str
    stats: dict

    def stat(self, key: str, default=0):
        return self.stats.get(key, default)


def news_command(lake: Path, *spider_args: str, settings: dict | None = None) -> tuple[list[str], Path]:
    """The `scrapy crawl news` command line (loopback settings) and the stats file it will write."""
    stats_file = lake.parent / f"stats-{time.monotonic_ns()}.json"
    merged = {**FAST, "LAKE_URI": str(lake), "LAKE_SPOOL_DIR": str(lake.parent / "spool"),
              "STATS_FILE": str(stats_file), **(settings or {})}
    command = [str(SCRAPY), "crawl", "news", *spider_args]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command, stats_file


def crawl(lake: Path, *spider_args: str, settings: dict | None = None, interrupt_after: int | None = None,
          site: Site | None = None) -> Crawl:
    """Run `scrapy crawl news` in a subprocess; optionally SIGINT it once the site served N article pages."""
    command, stats_file = news_command(lake, *spider_args, settings=settings)
    if interrupt_after is None:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
        returncode, output = done.returncode, done.stdout + done.stderr
    else:
        assert site is not None
        start = site.mark()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if sum(1 for r in site.requests(start) if r["path"].endswith(".html")) >= interrupt_after:
                process.send_signal(signal.SIGINT)  # graceful shutdown, as a scheduler's stop would
                break
            time.sleep(0.05)
        output, _ = process.communicate(timeout=120)
        returncode = process.returncode
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    return Crawl(returncode, output, stats)


def read_dataset(lake: Path, name: str):
    """One lake dataset as a pyarrow table (empty table when the folder does not exist)."""
    folder = lake / name
    if not folder.exists():
        return None
    return ds.dataset(str(folder), format="parquet", partitioning="hive").to_table()


# Test modules get the helpers through fixtures: importing conftest by module name depends on
# how pytest maps tests/spiders/ (a package named like the project's `spiders`).
@pytest.fixture(scope="session")
def run_news():
    return crawl


@pytest.fixture
def crawl_redis_url(redis_url):
    """The session's redis-server, but a database of the web crawl tests' own, emptied first: their
    dedup index (the fixture sites reuse the seed texts) must not meet other tests' documents."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture(scope="session")
def news_cmd():
    return news_command


@pytest.fixture(scope="session")
def read_lake():
    return read_dataset


@pytest.fixture(scope="session")
def make_site():
    return start_site, stop_site


@pytest.fixture(scope="session")
def site_dir() -> Path:
    return SITE
