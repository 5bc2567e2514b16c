"""The reliability suite's shared contract: every fault-class test reports its trials through `fault_record`.

A test drives real processes and servers through a fault (a kill, an S3 error, a bad input, a signal),
then checks the lake: `lost` inputs (in neither `articles` nor `rejects`), `duplicated` rows (a doc_id or
an input landed twice) and `escaped` exceptions (tracebacks, exit codes that lie). It calls
`fault_record(fault_class, trials=..., lost=..., duplicated=..., escaped=...)` once, which asserts all
three are zero and, when `NEWSDEDUP_RELIABILITY_OUT` names a file, appends the figures there as a JSON
line; `bench/reliability.py` (`make reliability`) runs the suite that way and writes the table in
`docs/reliability.md`. `RELIABILITY_TRIALS` scales the randomized loops (`make test` runs a few each).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def trials(default: int) -> int:
    """How many randomized trials a loop runs: `RELIABILITY_TRIALS` when set (the bench), else `default`."""
    return int(os.environ.get("RELIABILITY_TRIALS") or default)


@pytest.fixture
def fault_record(request):
    """Report one fault class's figures; fails the test unless nothing was lost, doubled or escaped."""
    out = os.environ.get("NEWSDEDUP_RELIABILITY_OUT")

    def record(fault_class: str, *, trials: int, lost: int, duplicated: int, escaped: int, note: str = "") -> None:
        row = {
            "fault_class": fault_class,
            "test": request.node.nodeid,
            "trials": trials,
            "lost": lost,
            "duplicated": duplicated,
            "escaped": escaped,
            "note": note,
        }
        if out:
            with Path(out).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        assert trials > 0, f"{fault_class}: no trial ran"
        assert (lost, duplicated, escaped) == (0, 0, 0), f"{fault_class}: {row}"

    return record
