"""Runs the reliability suite (`tests/reliability/`) and writes its table into `docs/reliability.md`.

Each fault-class test reports trials, lost inputs, duplicated rows and escaped exceptions through the
`fault_record` fixture; this script collects those rows and replaces the table between the markers in
the doc. `--trials N` sets `RELIABILITY_TRIALS` for the randomized loops (kills at random points, ...).

    .venv/bin/python bench/reliability.py --trials 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- reliability-table:begin -->", "<!-- reliability-table:end -->"


def run_suite(trials: int, pytest_args: list[str]) -> tuple[int, list[dict]]:
    """Run the suite with the figures going to a temporary file; returns pytest's exit code and the rows."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.jsonl"
        env = {**os.environ, "NEWSDEDUP_RELIABILITY_OUT": str(out), "RELIABILITY_TRIALS": str(trials)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability", *pytest_args]
        code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return code, rows


def table(rows: list[dict]) -> str:
    """One line per fault class, summed over its tests."""
    totals: dict[str, dict] = defaultdict(lambda: {"trials": 0, "lost": 0, "duplicated": 0, "escaped": 0, "notes": []})
    for row in rows:
        total = totals[row["fault_class"]]
        for key in ("trials", "lost", "duplicated", "escaped"):
            total[key] += row[key]
        if row.get("note"):
            total["notes"].append(row["note"])
    lines = ["| fault class | trials | lost | duplicated | escaped exceptions | notes |", "|---|---|---|---|---|---|"]
    for name, t in sorted(totals.items()):
        notes = "; ".join(t["notes"])
        lines.append(f"| {name} | {t['trials']} | {t['lost']} | {t['duplicated']} | {t['escaped']} | {notes} |")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{DOC}: markers {BEGIN} / {END} not found")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="randomized trials per fault class (default 10)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/reliability.md alone")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (e.g. -k kill)")
    args = parser.parse_args()
    code, rows = run_suite(args.trials, args.pytest_args)
    text = table(rows)
    print(text)
    if not args.no_write and rows:
        write_doc(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
