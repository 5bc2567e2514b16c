"""Two `scrapy crawl` processes on one lake with the lake dedup backend: the second is refused, clearly.

Without the lease both loaded index state N and both wrote segment N+1: one run's documents vanished
from the index, and a later run landed them again.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.lake.audit import audit
from tests.lake.runs import crawl, escaped, finish, make_inputs, start

pytestmark = pytest.mark.timeout(600)


def test_a_second_writer_is_refused_while_the_first_holds_the_lake(tmp_path, fault_record):
    lake, inputs, flag = str(tmp_path / "lake"), tmp_path / "inputs", tmp_path / "go-on"
    first = start(
        make_inputs(inputs, "first"),
        lake,
        tmp_path / "spool-1",
        kill_at="pause:commit",
        env={"LAKE_PAUSE_FILE": str(flag)},
    )
    try:
        deadline = time.monotonic() + 180
        while not flag.with_name("go-on.reached").exists():  # files published, dedup commit next
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the first run never reached its commit"
            time.sleep(0.1)
        (first_run,) = [p.name for p in (tmp_path / "spool-1").iterdir()]
        second = crawl(make_inputs(tmp_path / "later", "second"), lake, tmp_path / "spool-2")  # another host's spool
    finally:
        flag.touch()
    done = finish(first)
    assert done.returncode == 0, done.stderr[-3000:]
    assert second.returncode == 1, second.stderr[-3000:]
    failure = next(line for line in second.stderr.splitlines() if line.startswith("newsdedup: run failed:"))
    assert re.search(rf"being written by run {first_run} \(pid \d+ on .+\) since \d{{4}}-\d\d-\d\dT", failure), failure
    assert "DEDUP_BACKEND=redis" in failure and "Traceback" not in second.stderr

    found = audit(lake, inputs)  # the first run's inputs, each once; the index holds every article
    fault_record(
        "a second writer on a lake (lake dedup backend)",
        trials=1,
        **found.figures(),
        escaped=escaped(second, expect_ok=False),
        note="a second scrapy crawl refused, with the holder named, while the first was closing",
    )
    assert not found.dangling, found.dangling[:20]
