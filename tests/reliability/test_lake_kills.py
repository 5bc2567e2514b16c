"""kill -9 during a run and its close, then a run on other inputs, then the first inputs again.

Runs on different input folders follow each other, each killed: every run finishes what the one before
left in the spool (dedup state included) before its own work. A last run over every input folder then
must add nothing: a recovered run whose documents never reached the dedup index shows up as doubled
articles, a temporary file left in a dataset folder as rows DuckDB or polars count twice.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.lake.audit import audit
from tests.lake.runs import crawl, escaped, finish, kill, make_inputs, start
from tests.reliability.conftest import trials

pytestmark = pytest.mark.timeout(600)

# the last point leaves nothing to commit: every other point is followed by a run on other inputs
NAMED_POINTS = ("land:4", "rename", "commit", "manifest", "cleanup")


def finish_and_audit(tmp_path, lake: str, spool, fault_record, fault_class: str, killed: int, note: str = "") -> None:
    """A run over every input folder, then what the lake holds."""
    inputs = tmp_path / "inputs"
    again = crawl(inputs, lake, spool)
    found = audit(lake, inputs)
    fault_record(
        fault_class,
        trials=killed,
        **found.figures(),
        escaped=escaped(again),
        note=f"{found.inputs} inputs; each killed run followed by one on other inputs, then all inputs again{note}",
    )
    assert not found.dangling, found.dangling[:20]
    assert not list(spool.iterdir()), "a run was left in the spool"


def test_kill_at_each_named_point_of_the_close(tmp_path, fault_record):
    lake, spool = str(tmp_path / "lake"), tmp_path / "spool"
    for point in NAMED_POINTS:
        killed = crawl(make_inputs(tmp_path / "inputs", point.replace(":", "-")), lake, spool, kill_at=point)
        assert killed.returncode == -9, f"{point}: the run was not killed there\n{killed.stderr[-3000:]}"
    finish_and_audit(
        tmp_path, lake, spool, fault_record, "kill -9 at named points of a run and its close", len(NAMED_POINTS)
    )


def test_kill_at_random_moments(tmp_path, fault_record):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    lake, spool = str(tmp_path / "lake"), tmp_path / "spool"
    n = trials(2)
    for i in range(n):
        process = start(make_inputs(tmp_path / "inputs", f"random-{i}"), lake, spool)
        time.sleep(rng.uniform(1.0, 7.0))  # a run here takes ~3-8 s: start-up, crawl, close
        kill(process)
        finish(process)
    finish_and_audit(tmp_path, lake, spool, fault_record, "kill -9 at random moments of a run", n, f"; seed {seed}")
