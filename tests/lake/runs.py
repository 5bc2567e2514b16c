"""Real `scrapy crawl files` runs for the lake's fault tests: to completion, killed at a point, or left running.

Every run starts in a session of its own, so a kill takes its worker processes with it (as a machine
or container dying would) and nothing outlives the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.crawl import REPO
from tests.lake.dumps import write_dumps


def make_inputs(root: Path, name: str, count: int = 10) -> Path:
    """A folder of `count` generated dumps (with exact and near copies) plus two inputs that are rejected."""
    folder = root / name
    write_dumps(folder, count, seed=sum(map(ord, name)))
    (folder / f"{name}-empty.txt").write_bytes(b"")
    (folder / f"{name}-binary.txt").write_bytes(bytes(range(256)) * 8)
    return folder


def command(inputs: Path, lake: str, spool: Path, kill_at: str | None, settings: dict | None) -> list[str]:
    merged = {
        "LAKE_URI": lake,
        "LAKE_SPOOL_DIR": str(spool),
        "EXTRACT_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        **(settings or {}),
    }
    head = [sys.executable, "-m", "tests.lake.kill_at", kill_at] if kill_at else [sys.executable, "-m", "scrapy"]
    args = [*head, "crawl", "files", "-a", f"path={inputs}"]
    for name, value in merged.items():
        args += ["-s", f"{name}={value}"]
    return args


def start(
    inputs: Path,
    lake: str,
    spool: Path,
    *,
    kill_at: str | None = None,
    settings: dict | None = None,
    env: dict | None = None,
) -> subprocess.Popen:
    return subprocess.Popen(
        command(inputs, lake, spool, kill_at, settings),
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen, timeout: float = 240) -> subprocess.CompletedProcess:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)
        out, err = process.communicate()
        raise AssertionError(f"the crawl did not end within {timeout} s:\n{err[-3000:]}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the run and its workers."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def crawl(inputs: Path, lake: str, spool: Path, **kwargs) -> subprocess.CompletedProcess:
    timeout = kwargs.pop("timeout", 240)
    return finish(start(inputs, lake, spool, **kwargs), timeout)


def escaped(result: subprocess.CompletedProcess, *, expect_ok: bool = True) -> int:
    """1 when a run that should have succeeded failed, or any run printed a traceback; else 0."""
    failed = expect_ok and result.returncode != 0
    return int(failed or "Traceback (most recent call last)" in result.stderr)
