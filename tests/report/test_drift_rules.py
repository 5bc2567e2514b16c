"""Drift rules on figures, the drift config, and no false alert over a stable synthetic lake."""

from __future__ import annotations

import dataclasses

import pytest

from bench.report import build_lake
from pipeline.config import ConfigError
from pipeline.options import configured
from pipeline.report.drift import DriftConfig, Profile, check_run, find_drift
from pipeline.report.lakeview import LakeView
from pipeline.report.queries import profiles, runs

STEADY = dict(articles=50, rejects=2, median_body=2400.0, title_fill=0.98, author_fill=0.7, date_fill=0.9,
              languages={"ar": 48, "en": 2})


def history(latest: dict, runs_before: int = 5) -> list[Profile]:
    """`runs_before` steady runs of one source, then one with the figures in `latest` changed."""
    found = [Profile(f"2026010{i}T060000Z-00000{i}", "news.example", **STEADY) for i in range(1, runs_before + 1)]
    found.append(Profile("20260109T060000Z-000009", "news.example", **{**STEADY, **latest}))
    return found


@pytest.mark.parametrize(
    ("change", "figure"),
    [
        ({"articles": 10}, "articles"),
        ({"articles": 30, "rejects": 30}, "rejects_rate"),
        ({"median_body": 300.0}, "body_length"),
        ({"title_fill": 0.5}, "title_fill"),
        ({"author_fill": 0.1}, "author_fill"),
        ({"date_fill": 0.2}, "date_fill"),
        ({"languages": {"en": 45, "ar": 5}}, "language_mix"),
    ],
)
def test_each_figure_past_its_limit_is_one_alert(change, figure):
    alerts = find_drift(history(change), DriftConfig())
    assert [(a.run_id, a.figure) for a in alerts] == [("20260109T060000Z-000009", figure)]
    assert alerts[0].stat_key == f"drift/news.example/{figure}"


def test_changes_within_the_limits_and_switched_off_rules_are_quiet():
    within = {"articles": 40, "median_body": 2000.0, "title_fill": 0.9, "author_fill": 0.5, "languages": {"ar": 45, "en": 5}}
    assert find_drift(history(within), DriftConfig()) == []
    assert find_drift(history({"median_body": 300.0}), DriftConfig(body_length_ratio=0)) == []


def test_a_source_needs_history_and_enough_pages():
    assert find_drift(history({"median_body": 300.0}, runs_before=2), DriftConfig()) == []  # 3 runs needed
    assert len(find_drift(history({"median_body": 300.0}, runs_before=1), DriftConfig(min_trailing_runs=1))) == 1
    # too few pages for shares to mean anything, but the count itself fell: that alone is reported
    few = find_drift(history({"articles": 3, "rejects": 0, "median_body": 30.0}), DriftConfig())
    assert [a.figure for a in few] == ["articles"]


def test_runs_older_than_the_lookback_are_not_a_reference():
    old = Profile("20250101T060000Z-000001", "news.example", **STEADY)
    now = Profile("20260109T060000Z-000009", "news.example", **{**STEADY, "median_body": 300.0})
    one = DriftConfig(min_trailing_runs=1)
    assert find_drift([old, now], one) == []
    assert [a.figure for a in find_drift([old, now], dataclasses.replace(one, lookback_days=400))] == ["body_length"]


def test_config_file_unknown_keys_and_bad_values_fail(tmp_path, monkeypatch):
    assert configured(DriftConfig) == DriftConfig()  # the shipped file holds the defaults
    assert configured(DriftConfig, {"DRIFT_TRAILING_RUNS": "7"}).trailing_runs == 7  # a setting overrides
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "drift.yaml").write_text("trailing_runs: 3\nbody_ratio: 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key.*body_ratio"):
        configured(DriftConfig)
    (tmp_path / "drift.yaml").write_text("title_fill_drop: 25\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        configured(DriftConfig)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DriftConfig().trailing_runs = 2  # type: ignore[misc]


@pytest.fixture(scope="module")
def steady_lake(tmp_path_factory):
    """12 runs of 40 sources whose figures vary only by chance (the bench's generator, 6,000 articles)."""
    root = tmp_path_factory.mktemp("steady") / "lake"
    build_lake(root, articles=6000, runs=12, n_sources=40, seed=1)
    return root


def test_no_false_alert_over_steady_runs(steady_lake):
    with LakeView(str(steady_lake)) as lake:
        found = profiles(lake.load())
    assert len({p.run_id for p in found if p.run_id}) == 12
    assert find_drift(found, configured(DriftConfig)) == []


def test_check_of_one_run_reads_its_sources_and_judges_a_silent_one(steady_lake):
    with LakeView(str(steady_lake)) as lake:
        latest = runs(lake.load())[-1]["run_id"]
    assert check_run(str(steady_lake), latest, DriftConfig()) == []
    # the run fetched pages from the biggest source and landed none of them
    silent = check_run(str(steady_lake), "20260105T060000Z-ffffff", DriftConfig(), crawled=["news00.example.com"])
    assert [(a.source, a.figure, a.value) for a in silent] == [("news00.example.com", "articles", 0)]
