"""`newsdedup summary`, `report` and `--version` as a user runs them: the overview, JSON, pipes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import build_lake
from pipeline.cli import main
from tests.report.test_report_browser import STORY

NEWSDEDUP = str(Path(sys.executable).parent / "newsdedup")


def test_overview_of_the_seeds(seeds_lake, capsys):
    assert main(["summary", "--lake", str(seeds_lake)]) == 0
    out = capsys.readouterr().out
    assert "articles  5 (5 unique texts) from 1 source(s) in 1 run(s)" in out
    assert "links     1 (same_story 1)" in out and "rejects   0" in out
    assert "largest duplicate clusters: none" in out
    assert "stories told by more than one text: 1" in out
    story = next(line for line in out.splitlines() if line.startswith("  2 texts"))
    assert all(title in story for title in STORY)
    assert len(out.splitlines()) < 20  # an overview, not a listing


def test_overview_as_json(seeds_lake, capsys):
    assert main(["summary", "--lake", str(seeds_lake), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["articles"] == 5 and data["links"] == {"same_story": 1} and data["rejects"] == 0
    assert data["runs"]["count"] == 1 and data["sources"][0]["source"] == "file"
    assert data["stories"]["told_more_than_once"] == 1
    assert sorted(data["stories"]["largest"][0]["titles"]) == sorted(STORY)


def test_articles_listing_as_json_lines(seeds_lake, capsys):
    assert main(["summary", "--lake", str(seeds_lake), "--articles", "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [x["type"] for x in lines] == ["article"] * 5 + ["link"]
    assert {x["title"] for x in lines[:5]} >= set(STORY)


def test_version():
    done = subprocess.run([NEWSDEDUP, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("newsdedup ") and done.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize("command", [["summary", "--articles"], ["summary", "--articles", "--format", "json"]])
def test_output_cut_short_by_head_is_quiet(tmp_path, command):
    lake = tmp_path / "lake"
    build_lake(lake, articles=4000, runs=2, n_sources=5)  # far more output than a pipe buffer holds
    done = subprocess.run(f"{NEWSDEDUP} {' '.join(command)} --lake {lake} | head -2", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""  # no "[Errno 32] Broken pipe", no traceback


def test_missing_or_broken_lake_is_one_line_error(tmp_path):
    (tmp_path / "lake" / "articles" / "ingest_date=2026-01-01").mkdir(parents=True)
    (tmp_path / "lake" / "articles" / "ingest_date=2026-01-01" / "part-x-0.parquet").write_text("not parquet")
    done = subprocess.run([NEWSDEDUP, "summary", "--lake", str(tmp_path / "lake")], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("newsdedup summary: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_empty_lake_reports_and_summarizes(tmp_path, capsys):
    assert main(["summary", "--lake", str(tmp_path / "nothing")]) == 0
    assert "articles  0 (0 unique texts)" in capsys.readouterr().out
    assert main(["report", "--lake", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No run has been published to this lake." in page and "No story is told by more than one text yet." in page
