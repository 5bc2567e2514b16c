"""Drift: a source's figures in one run compared with its trailing runs, against limits in `configs/drift.yaml`
(merged with the other config layers and `DRIFT_<KEY>` settings by `pipeline.options.configured(DriftConfig)`).

A site redesign rarely fails a crawl: pages still download, but the article body moves into a wrapper
the extractor skips, bylines vanish, or every page becomes a reject. The figures here catch that from
the lake alone: articles, share of pages rejected, median body length, share with title / author /
date, and language mix, each against the median of the source's earlier runs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta



@dataclass(frozen=True)
class DriftConfig:
    """Limits past which a source's run is reported as drifted (ratios are shares of the trailing median)."""

    enabled: bool = True
    trailing_runs: int = 5  # earlier runs of the source the run is compared with (their median)
    min_trailing_runs: int = 3  # a source with fewer earlier runs is not judged yet
    lookback_days: int = 30  # earlier runs older than this are not read
    min_pages: int = 10  # a run with fewer pages (articles + rejects) of a source is neither judged nor a reference
    articles_ratio: float = 0.3  # articles below this share of the trailing median (0 turns it off)
    rejects_rate_rise: float = 0.25  # share of pages rejected rising by more than this (absolute)
    body_length_ratio: float = 0.5  # median body length below this share of the trailing median
    title_fill_drop: float = 0.25  # share of articles with a title falling by more than this (absolute)
    author_fill_drop: float = 0.4
    date_fill_drop: float = 0.4
    language_shift: float = 0.3  # total variation distance between the run's language mix and the trailing one

    def __post_init__(self) -> None:
        if self.trailing_runs < 1 or self.min_trailing_runs < 1 or self.min_trailing_runs > self.trailing_runs:
            raise ValueError("need 1 <= min_trailing_runs <= trailing_runs")
        for name in ("articles_ratio", "body_length_ratio", "rejects_rate_rise", "title_fill_drop",
                     "author_fill_drop", "date_fill_drop", "language_shift"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1 (0 turns the rule off)")
        if self.lookback_days < 1 or self.min_pages < 0:
            raise ValueError("lookback_days must be at least 1 and min_pages at least 0")


@dataclass(frozen=True)
class Profile:
    """One source's figures in one run (`run_id` None: over every run)."""

    run_id: str | None
    source: str
    articles: int
    rejects: int
    median_body: float | None
    title_fill: float | None
    author_fill: float | None
    date_fill: float | None
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return self.articles + self.rejects

    @property
    def rejects_rate(self) -> float:
        return self.rejects / self.pages if self.pages else 0.0


@dataclass(frozen=True)
class DriftAlert:
    run_id: str
    source: str
    figure: str
    value: float
    reference: float
    message: str

    @property
    def stat_key(self) -> str:
        return f"drift/{self.source}/{self.figure}"


def run_started(run_id: str) -> datetime | None:
    """The UTC start of a run, from its id (`YYYYmmddTHHMMSSZ-xxxxxx`)."""
    try:
        return datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def find_drift(profiles: Iterable[Profile], config: DriftConfig, judged: set[str] | None = None) -> list[DriftAlert]:
    """Alerts for every (run, source) in `profiles` (or only runs in `judged`) against that source's earlier runs."""
    by_source: dict[str, list[Profile]] = {}
    for profile in profiles:
        if profile.run_id is not None:
            by_source.setdefault(profile.source, []).append(profile)
    alerts: list[DriftAlert] = []
    for runs in by_source.values():
        runs.sort(key=lambda p: p.run_id)
        for i, current in enumerate(runs):
            if judged is not None and current.run_id not in judged:
                continue
            trailing = _trailing(runs[:i], current.run_id, config)
            if len(trailing) >= config.min_trailing_runs:
                alerts.extend(_compare(current, trailing, config))

    return sorted(alerts, key=lambda a: (a.run_id, a.source, a.figure))


def _trailing(earlier: list[Profile], run_id: str, config: DriftConfig) -> list[Profile]:
    """The source's last `trailing_runs` runs within `lookback_days` before `run_id`."""
    started = run_started(run_id)
    if started is not None:
        oldest = started - timedelta(days=config.lookback_days)
        earlier = [p for p in earlier if (run_started(p.run_id) or oldest) >= oldest]
    return earlier[-config.trailing_runs :]


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _compare(run: Profile, trailing: list[Profile], config: DriftConfig) -> list[DriftAlert]:
    """The count against all trailing runs; shares and medians against those with `min_pages` pages."""
    alerts = []

    def alert(figure: str, value: float, reference: float, message: str) -> None:
        alerts.append(DriftAlert(run.run_id, run.source, figure, value, reference, message))

    articles = _median(p.articles for p in trailing)
    # A source that usually has too few articles to judge is left alone, and a drop must also be past
    # chance (three Poisson standard deviations): counts of small sources swing from run to run.
    if (config.articles_ratio and articles >= max(config.min_pages, 1) and run.articles < config.articles_ratio * articles
            and articles - run.articles > 3 * math.sqrt(articles)):
        alert("articles", run.articles, articles,
              f"{run.articles} article(s), trailing median {articles:g} (limit: {config.articles_ratio:.0%} of it)")
    trailing = [p for p in trailing if p.pages >= max(config.min_pages, 1)]
    if run.pages < max(config.min_pages, 1) or len(trailing) < config.min_trailing_runs:
        return alerts  # too few pages for shares and medians to mean anything; a drop in count still does
    rejects = _median(p.rejects_rate for p in trailing)
    if config.rejects_rate_rise and rejects is not None and run.rejects_rate > rejects + config.rejects_rate_rise:
        alert("rejects_rate", run.rejects_rate, rejects,
              f"{run.rejects_rate:.0%} of pages rejected, trailing median {rejects:.0%} "
              f"(limit: +{config.rejects_rate_rise:.0%})")
    body = _median(p.median_body for p in trailing)
    if config.body_length_ratio and body and run.median_body is not None and run.median_body < config.body_length_ratio * body:
        alert("body_length", run.median_body, body,
              f"median body {run.median_body:,.0f} characters, trailing median {body:,.0f} "
              f"(limit: {config.body_length_ratio:.0%} of it)")
    for name, limit in (("title", config.title_fill_drop), ("author", config.author_fill_drop),
                        ("date", config.date_fill_drop)):
        value, reference = getattr(run, f"{name}_fill"), _median(getattr(p, f"{name}_fill") for p in trailing)
        if limit and value is not None and reference is not None and value < reference - limit:
            alert(f"{name}_fill", value, reference,
                  f"{value:.0%} of articles with a {name}, trailing median {reference:.0%} (limit: -{limit:.0%})")
    shift = language_shift(run.languages, [p.languages for p in trailing])
    if config.language_shift and shift is not None and shift > config.language_shift:
        alert("language_mix", shift, 0.0,
              f"language mix {_mix(run.languages)} against {_mix(_pooled(p.languages for p in trailing))} "
              f"(distance {shift:.2f}, limit {config.language_shift:.2f})")
    return alerts


def _pooled(mixes: Iterable[dict[str, int]]) -> dict[str, int]:
    pooled: dict[str, int] = {}
    for mix in mixes:
        for language, count in mix.items():
            pooled[language] = pooled.get(language, 0) + count
    return pooled


def language_shift(current: dict[str, int], trailing: list[dict[str, int]]) -> float | None:
    """Total variation distance (0: same mix, 1: no language in common) between a run and its trailing runs."""
    reference = _pooled(trailing)
    now_total, ref_total = sum(current.values()), sum(reference.values())
    if not now_total or not ref_total:
        return None
    languages = set(current) | set(reference)
    return sum(abs(current.get(k, 0) / now_total - reference.get(k, 0) / ref_total) for k in languages) / 2


def _mix(languages: dict[str, int]) -> str:
    total = sum(languages.values()) or 1
    top = sorted(languages.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{k} {v / total:.0%}" for k, v in top)


def check_run(lake_uri: str, run_id: str, config: DriftConfig, crawled: Iterable[str] = ()) -> list[DriftAlert]:
    """Drift alerts of one published run: its sources against their runs of the last `lookback_days`.

    `crawled`: sources the run fetched pages from. One of them with no row at all in the run (every
    page taken for a listing, say) is judged as a run of 0 articles, which the rows alone cannot show.
    """
    from pipeline.report.lakeview import LakeView
    from pipeline.report.queries import profiles

    started = run_started(run_id)
    if started is None:
        raise ValueError(f"{run_id!r} is not a run id (YYYYmmddTHHMMSSZ-xxxxxx)")
    since = (started - timedelta(days=config.lookback_days)).date().isoformat()
    with LakeView(lake_uri) as lake:
        with_rows = lake.run_sources(run_id, started.date().isoformat())
        sources = set(with_rows) | set(crawled)
        if not sources:
            return []
        found = profiles(lake.load(sources=sources, since=since))
    silent = [Profile(run_id, s, 0, 0, None, None, None, None) for s in sorted(set(crawled) - set(with_rows))]
    return find_drift(found + silent, config, judged={run_id})
