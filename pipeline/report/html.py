"""`newsdedup report`: one self-contained static HTML file about a lake (inline SVG charts, inline CSS, no script)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.report import charts, queries
from pipeline.report.drift import DriftConfig, find_drift, run_started
from pipeline.report.lakeview import LakeView

logger = logging.getLogger(__name__)

MAX_SOURCES = 100  # rows of the extraction health table


def collect(lake: LakeView, config: DriftConfig) -> dict:
    """Everything the page shows, as plain values (the template only lays it out)."""
    started = time.perf_counter()
    profiles = queries.profiles(lake)
    per_run = [p for p in profiles if p.run_id is not None]
    runs = queries.runs(lake)
    latest = next((r["run_id"] for r in reversed(runs) if r["published"]), runs[-1]["run_id"] if runs else None)
    health = sorted((p for p in profiles if p.run_id is None), key=lambda p: (-p.articles, p.source))
    runs_per_source: dict[str, int] = {}
    for p in per_run:
        runs_per_source[p.source] = runs_per_source.get(p.source, 0) + 1
    rejects_by_reason = queries.rejects_by_reason(lake)
    cluster_sizes = queries.cluster_sizes(lake)
    data = {
        "lake": lake.uri,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "overview": queries.overview(lake),
        "runs": runs,
        "recent_runs": list(reversed(runs[-30:])),
        "drift": list(reversed(find_drift(per_run, config))),
        "drift_config": config,
        "health": [{"profile": p, "runs": runs_per_source.get(p.source, 0)} for p in health[:MAX_SOURCES]],
        "more_sources": max(0, len(health) - MAX_SOURCES),
        "rejects_by_reason": rejects_by_reason,
        "cluster_sizes": cluster_sizes,
        "largest_clusters": queries.largest_clusters(lake),
        "stories": queries.story_groups(lake),
        "latest_links": queries.run_links(lake, latest) if latest else None,
        "charts": {
            "articles": charts.stacked_per_run(
                [{"run_id": p.run_id, "source": p.source, "articles": p.articles} for p in per_run if p.articles],
                "source", "articles", "Articles per run, by source", "articles"),
            "rejects": charts.stacked_per_run(
                queries.rejects_per_run(lake), "reason", "rejects", "Rejects per run, by stage/reason", "rejects"),
            "rejects_by_source": charts.stacked_per_run(
                [{"run_id": p.run_id, "source": p.source, "rejects": p.rejects} for p in per_run if p.rejects],
                "source", "rejects", "Rejects per run, by source", "rejects"),
            "body": charts.body_length_per_run(per_run),
            "reasons": charts.horizontal_bars(
                [{"stage/reason": f"{r['stage']}/{r['reason']}", "rejects": r["rejects"]} for r in rejects_by_reason],
                "stage/reason", "rejects", "Rejects by stage and reason"),
            "clusters": charts.cluster_sizes(cluster_sizes),
        },
    }
    data["elapsed"] = time.perf_counter() - started
    return data


def render(data: dict) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("pipeline.report", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.0%}"
    env.filters["num"] = lambda v: "" if v is None else f"{v:,.0f}"
    env.filters["when"] = lambda v: "" if v is None else (v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v))
    env.filters["started"] = lambda run_id: (s.strftime("%Y-%m-%d %H:%M") if (s := run_started(run_id)) else "")
    env.filters["languages"] = _languages
    return env.get_template("report.html.j2").render(**data)


def _languages(mix: dict[str, int]) -> str:
    total = sum(mix.values()) or 1
    return ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(mix.items(), key=lambda kv: -kv[1])[:3])


def write_report(lake_uri: str, out: str | Path, config: DriftConfig | None = None) -> dict:
    """Write the report of the lake at `lake_uri` to `out`; returns the collected figures."""
    if config is None:
        from pipeline.options import configured

        config = configured(DriftConfig)
    with LakeView(lake_uri) as lake:
        data = collect(lake.load(), config)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    logger.info("report of %s written to %s (%d bytes, %.1f s)", lake_uri, out, out.stat().st_size, data["elapsed"])
    return data
