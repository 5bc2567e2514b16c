"""A worker killed mid-document (SIGKILL: the OOM killer, an operator) costs nothing (#12 item 5).

The document goes again to a fresh worker; only a document that kills its worker twice becomes a
`worker_crashed` reject, marked retryable, which the next run supersedes. Before the fix every kill
was a reject, and after a rerun the same input sat in both `articles` and `rejects`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time

from tests.reliability.conftest import trials
from tests.reliability.harness import TRACEBACK, build_corpus, busy_workers, crawl_and_judge, start_crawl


def test_workers_killed_at_random_then_a_rerun_loses_and_doubles_nothing(tmp_path, fault_record):
    inputs = build_corpus(tmp_path / "in", copies=2)
    lost = duplicated = escaped = kills = retried = 0
    count = trials(1)
    for trial in range(count):
        rng = random.Random(31 + trial)
        lake, spool, stats = tmp_path / f"lake{trial}", tmp_path / f"spool{trial}", tmp_path / f"stats{trial}.json"
        crawl = start_crawl(tmp_path / "in", lake, spool, tmp_path / f"killed{trial}.log",
                            settings={"STATS_FILE": stats})
        try:
            assert crawl.wait_for("path(s) that cannot be read under"), crawl.output()[-3000:]
            for _ in range(3):
                pids = busy_workers(crawl)
                time.sleep(rng.uniform(0.1, 1.0))
                if crawl.process.poll() is not None or not pids:
                    break
                try:
                    os.kill(rng.choice(pids), signal.SIGKILL)
                except ProcessLookupError:
                    continue  # that worker had just been replaced
                kills += 1
            code = crawl.wait(timeout=600)
        finally:
            crawl.stop()
        output = crawl.output()
        escaped += (code != 0) + (TRACEBACK in output)
        retried += json.loads(stats.read_text(encoding="utf-8")).get("extract/retried_after_crash", 0)

        escapes, found = crawl_and_judge(tmp_path / "in", inputs, lake, spool, tmp_path / f"rerun{trial}.log")
        escaped, lost, duplicated = escaped + escapes, lost + found.lost, duplicated + found.duplicated
    assert kills, "no worker was found to kill"
    fault_record("SIGKILL of an extraction worker, then a rerun", trials=kills, lost=lost, duplicated=duplicated,
                 escaped=escaped, note=f"{retried} documents in flight retried in a fresh worker or pool")
