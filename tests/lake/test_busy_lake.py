"""Readers and compaction while runs publish (real processes on one lake): every row seen once, none lost."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pipeline.report.summary import summary
from tests.crawl import REPO
from tests.lake.busy_lake import run_rows

pytestmark = pytest.mark.timeout(180)
WRITERS, RUNS, ROWS = 2, 8, 5


def start(*args: object) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.lake.busy_lake", *map(str, args)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_doc_ids(lake: Path) -> Counter[str]:
    """The doc_ids `newsdedup summary --articles --format json` lists."""
    out = io.StringIO()
    summary(str(lake), articles=True, as_json=True, out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    return Counter(r["doc_id"] for r in rows if r["type"] == "article")


def test_summary_and_compactions_while_runs_publish_see_every_row_once(tmp_path):
    lake, stop = tmp_path / "lake", tmp_path / "stop"
    runs = {}  # doc_id -> run id
    for writer in range(WRITERS):
        for run in range(RUNS):
            run_id, rows = run_rows(writer, run, ROWS)
            runs.update((r["doc_id"], run_id) for r in rows)
    writers = [start("publish", lake, tmp_path / f"spool-{w}", w, RUNS, ROWS) for w in range(WRITERS)]
    compactors = [start("compact", lake, stop) for _ in range(2)]  # two at once: the second must wait its turn
    seen: set[str] = set()
    reads = 0
    try:
        while any(w.poll() is None for w in writers) or reads < 3:
            found = read_doc_ids(lake)
            assert not {d: n for d, n in found.items() if n > 1}, f"read {reads}: doc_ids read twice"
            assert seen <= set(found), f"read {reads}: rows seen before are gone: {sorted(seen - set(found))}"
            per_run = Counter(runs[d] for d in found)
            assert set(per_run.values()) <= {ROWS}, f"read {reads}: runs read in part: {per_run}"
            seen |= set(found)
            reads += 1
    finally:
        stop.touch()
        outputs = [p.communicate(timeout=60) for p in writers + compactors]
    for process, (_, err) in zip(writers + compactors, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    made = [int(re.search(r"compactions (\d+)", out).group(1)) for out, _ in outputs[WRITERS:]]
    assert sum(made) >= 2, made
    assert read_doc_ids(lake) == Counter(runs.keys())  # every row once, after it all
