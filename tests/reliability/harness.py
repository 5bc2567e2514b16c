"""Shared pieces of the run-side fault classes: an input folder, a crawl in its own process group, the lake's verdict.

The corpus is built from resources inside the repo (the fixture site's article pages and the seeds), so
CI's clean clone runs the same faults. A crawl runs as `python -m scrapy crawl files` in a new session,
so a test can signal the crawl process alone or its whole group (a terminal's Ctrl-C, systemd's
`KillMode=control-group`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "tests" / "resources" / "site" / "www"
SEEDS = REPO / "seeds"
TRACEBACK = "Traceback (most recent call last)"


def build_corpus(folder: Path, copies: int = 1) -> list[Path]:
    """The fixture site's 53 article pages and the 5 seeds, `copies` times (each its own URLs); returns the paths."""
    pages = sorted(SITE.glob("*/20*/*/*/*.html")) + sorted(SEEDS.glob("*.txt"))
    made = []
    for copy in range(copies):
        target = folder / f"copy{copy}"
        target.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages):
            made.append(Path(shutil.copyfile(page, target / f"{number:03d}_{page.name}")))
    return made


@dataclass
class Crawl:
    process: subprocess.Popen
    log: Path
    started: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 300) -> int:
        return self.process.wait(timeout=timeout)

    def signal(self, signum: int, *, group: bool = False) -> None:
        if self.process.poll() is None:
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        """Wait until `text` is in the log (False when the crawl ended first or time ran out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.process.poll() is not None:
                return text in self.output()
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Kill what is left of the crawl's process group (a test that failed half-way)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def start_crawl(inputs: Path, lake: Path, spool: Path, log: Path, *, settings: dict | None = None,
                args: tuple[str, ...] = (), env: dict | None = None) -> Crawl:
    """`scrapy crawl files -a path=INPUTS` into `lake`, in a new session, output to `log`."""
    command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={inputs}", *args]
    merged = {"LAKE_URI": str(lake), "LAKE_SPOOL_DIR": str(spool), "EXTRACT_WORKERS": "1", "LOG_LEVEL": "INFO",
              **(settings or {})}
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, **(env or {})})
    handle.close()
    return Crawl(process, log, time.monotonic())


def read(lake: Path, name: str) -> list[dict]:
    folder = lake / name
    if not folder.exists():
        return []
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()


@dataclass
class Verdict:
    lost: int  # inputs in neither articles nor rejects
    duplicated: int  # a doc_id or an input landed twice, or an article that a final reject contradicts
    articles: list[dict]
    rejects: list[dict]


def verdict(lake: Path, inputs: list[Path]) -> Verdict:
    """What the lake holds for `inputs`, which did not change between runs (so: one article per file at most)."""
    articles, rejects = read(lake, "articles"), read(lake, "rejects")
    urls = [row["url"] for row in articles]
    doc_ids = [row["doc_id"] for row in articles]
    landed = set(urls)
    expected = {path.resolve().as_uri() for path in inputs}
    lost = len(expected - landed - {row["url"] for row in rejects})
    # A retryable reject next to an article of the same input is superseded (docs/reliability.md); a final
    # one is a contradiction.
    contradicted = {row["url"] for row in rejects if not row.get("retryable")} & landed
    duplicated = (len(urls) - len(landed)) + (len(doc_ids) - len(set(doc_ids))) + len(contradicted)
    return Verdict(lost, duplicated, articles, rejects)


def crawl_and_judge(folder: Path, inputs: list[Path], lake: Path, spool: Path, log: Path, *,
                    settings: dict | None = None) -> tuple[int, Verdict]:
    """A crawl of `folder` left alone until it exits (a rerun after a fault, or a run on bad inputs): how many
    escapes it showed (a non-zero exit, a traceback) and what the lake then holds for `inputs`."""
    crawl = start_crawl(folder, lake, spool, log, settings=settings)
    try:
        code = crawl.wait(timeout=600)
    finally:
        crawl.stop()
    return (code != 0) + (TRACEBACK in crawl.output()), verdict(lake, inputs)


def busy_workers(crawl: Crawl, timeout: float = 120) -> list[int]:
    """The crawl's workers once there are some (they start after the forkserver's warm-up); [] if it ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and crawl.process.poll() is None:
        pids = worker_pids(crawl.pid)
        if pids:
            return pids
        time.sleep(0.05)
    return []


def worker_pids(crawl_pid: int) -> list[int]:
    """The extraction workers of a crawl: the children of its forkserver."""
    import psutil

    try:
        children = psutil.Process(crawl_pid).children()
    except psutil.NoSuchProcess:
        return []
    workers = []
    for child in children:
        try:
            if "forkserver" in " ".join(child.cmdline()):
                workers += [w.pid for w in child.children()]
        except psutil.NoSuchProcess:
            continue
    return workers


def no_process_left(crawl: Crawl, timeout: float = 30) -> bool:
    """True once nothing of the crawl's process group runs any more (forkserver, workers, trackers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(crawl.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
