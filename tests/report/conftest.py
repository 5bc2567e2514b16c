"""Lakes built by real crawls for the report tests, the drift site, and headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crawl import REPO, SEEDS, run_crawl

HERE = Path(__file__).resolve().parent
# Loopback needs no politeness delays; the address guard must let 127.0.0.1 through.
WEB = {"ALLOW_PRIVATE_ADDRESSES": "true", "AUTOTHROTTLE_ENABLED": "false", "DOWNLOAD_DELAY": "0"}


@dataclass
class Run:
    returncode: int
    output: str
    stats: dict


def crawl(spider: str, lake: Path, *args: str, settings: dict | None = None, env: dict | None = None) -> Run:
    """One `scrapy crawl` subprocess into `lake`, with its stats read back from STATS_FILE."""
    stats_file = lake.parent / f"stats-{len(list(lake.parent.glob('stats-*.json')))}.json"
    merged = {"LAKE_SPOOL_DIR": str(lake.parent / "spool"), "STATS_FILE": str(stats_file), **(settings or {})}
    done = run_crawl(spider, lake, *args, settings=merged, env=env)
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    return Run(done.returncode, done.stdout + done.stderr, stats)


def serve_drift_site(layout: str, first: int, count: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "drift_site.py"), "--layout", layout, "--first", str(first), "--count", str(count)],
        stdout=subprocess.PIPE, text=True,
    )
    base = process.stdout.readline().strip()
    assert base.startswith("http://127.0.0.1:"), f"drift site did not start: {base!r}"
    return process, base


def crawl_drift_site(lake: Path, layout: str, first: int, settings: dict | None = None, env: dict | None = None) -> Run:
    process, base = serve_drift_site(layout, first, 20)
    try:
        return crawl("news", lake, f"feed_urls={base}/feed.xml", r"article_patterns=/news/\d+/",
                     settings={**WEB, **(settings or {})}, env=env)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture(scope="session")
def seeds_lake(tmp_path_factory) -> Path:
    """The seeds ingested once by `scrapy crawl files`: what `make demo` builds."""
    lake = tmp_path_factory.mktemp("seeds") / "lake"
    run = crawl("files", lake, f"path={SEEDS}")
    assert run.returncode == 0, run.output[-3000:]
    return lake


@pytest.fixture(scope="session")
def drift_lake(tmp_path_factory) -> tuple[Path, list[Run]]:
    """Three runs into one lake: the seeds, the news site, then the news site after its redesign (DRIFT_FAIL)."""
    lake = tmp_path_factory.mktemp("drift") / "lake"
    # Shipped configs, but one earlier run is history enough (the default asks for three).
    configs = lake.parent / "configs"
    shutil.copytree(REPO / "configs", configs)
    drift = (configs / "drift.yaml").read_text(encoding="utf-8")
    (configs / "drift.yaml").write_text(drift.replace("min_trailing_runs: 3", "min_trailing_runs: 1"), encoding="utf-8")
    env = {"NEWSDEDUP_CONFIG_DIR": str(configs)}
    runs = [crawl("files", lake, f"path={SEEDS}", env=env)]
    runs.append(crawl_drift_site(lake, "plain", 0, env=env))
    runs.append(crawl_drift_site(lake, "wrapped", 20, {"DRIFT_FAIL": "True"}, env=env))
    return lake, runs


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (`make servers` installs it). Missing as root (CI) is a failure, not a skip."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.geteuid() == 0:
            pytest.fail("chromium is not installed: `make servers` installs it with apt-get")
        pytest.skip("chromium is not installed (`sudo apt-get install chromium`, or `make servers` as root)")
    return path
