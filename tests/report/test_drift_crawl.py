"""Drift end to end: a site redesign between two `scrapy crawl news` runs is caught and fails the run."""

from __future__ import annotations

import json

from pipeline.report.drift import DriftConfig
from pipeline.report.html import write_report

SOURCE = "127.0.0.1"


def test_first_runs_have_no_drift_and_succeed(drift_lake):
    _, (seeds, plain, _) = drift_lake
    assert seeds.returncode == 0, seeds.output[-3000:]
    assert plain.returncode == 0, plain.output[-3000:]
    assert plain.stats["lake/rows/articles"] == 20
    assert plain.stats["drift/alerts"] == 0  # the check ran: one earlier run of the site is not yet a reference
    assert plain.stats["newsdedup/run_id"] and plain.stats["newsdedup/lake_uri"]


def test_redesign_is_an_alert_in_the_stats_file_and_fails_the_run(drift_lake):
    _, (_, plain, wrapped) = drift_lake
    assert wrapped.returncode == 1, wrapped.output[-3000:]
    assert wrapped.stats["lake/rows/articles"] + wrapped.stats.get("lake/rows/rejects", 0) == 20  # nothing lost
    figures = {key.rsplit("/", 1)[1] for key in wrapped.stats if key.startswith(f"drift/{SOURCE}/")}
    # the body moved into a script's JSON: a standfirst is left; byline and date metadata are gone
    assert {"body_length", "author_fill", "date_fill"} <= figures, figures
    assert wrapped.stats["drift/alerts"] == len(figures)
    assert "median body" in wrapped.stats[f"drift/{SOURCE}/body_length"]
    assert "drift in" in wrapped.stats["newsdedup/failure"] and "DRIFT_FAIL" in wrapped.stats["newsdedup/failure"]
    assert "run failed: drift in" in wrapped.output
    assert "drift: 127.0.0.1 body_length" in wrapped.output  # one warning line per alert


def test_report_shows_the_alerts_of_the_redesigned_run(drift_lake, tmp_path):
    lake, (_, _, wrapped) = drift_lake
    data = write_report(str(lake), tmp_path / "report.html", DriftConfig(min_trailing_runs=1))  # as drift_lake's crawls
    alerts = {(a.run_id, a.source, a.figure) for a in data["drift"]}
    run_id = wrapped.stats["newsdedup/run_id"]
    assert {(run_id, SOURCE, "body_length"), (run_id, SOURCE, "author_fill")} <= alerts
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<td><code>{run_id}</code></td><td>{SOURCE}</td><td>body_length</td>" in page


def test_stats_file_is_valid_json_with_the_alert_messages(drift_lake):
    lake, _ = drift_lake
    last = max(lake.parent.glob("stats-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    stats = json.loads(last.read_text(encoding="utf-8"))
    assert any(key.startswith("drift/127.0.0.1/") for key in stats)
