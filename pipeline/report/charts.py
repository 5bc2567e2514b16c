"""The report's charts: Vega-Altair specifications rendered to inline SVG by vl-convert.

SVG rather than Vega's JavaScript runtime: the page needs no script at all (nothing to load from a
network, nothing to run), and each chart costs ~10-60 KB instead of ~900 KB of bundled Vega per page.
Figures behind every chart are also in the tables next to it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

TOP_SOURCES = 8  # sources shown by name in a chart; the rest are summed as "other"
MAX_BARS = 60  # more runs than this are drawn per day (UTC): readable bars, and ~4x faster to render at 100 runs
WIDTH = 760


def _render(chart) -> str:
    buffer = io.StringIO()
    chart.save(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML declaration: the SVG sits inside the HTML


def _width(bars: int) -> int:
    """A bar's band stays ~30 px wide for a few runs instead of stretching over the whole chart."""
    return min(WIDTH, max(200, 30 * bars))


def _top(values: dict[str, float], n: int = TOP_SOURCES) -> set[str]:
    return {k for k, _ in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:n]}


def _periods(run_ids: Iterable[str]) -> dict[str, str]:
    """The x-axis label of each run: its start (UTC), or its day when there are too many runs for bars."""
    ids = sorted(set(run_ids))
    if len(ids) > MAX_BARS:
        return {r: f"{r[0:4]}-{r[4:6]}-{r[6:8]}" for r in ids}
    # to the second: two runs started in the same minute are two bars
    return {r: f"{r[0:4]}-{r[4:6]}-{r[6:8]} {r[9:11]}:{r[11:13]}:{r[13:15]}" for r in ids}


def stacked_per_run(rows: list[dict], key: str, value: str, title: str, y_title: str) -> str | None:
    """Bars per run (or day), stacked by `key` (top values by name, the rest as "other")."""
    import altair as alt

    if not rows:
        return None
    totals: dict[str, float] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row[value]
    named = _top(totals)
    periods = _periods(r["run_id"] for r in rows)
    summed: dict[tuple[str, str], float] = {}
    for row in rows:
        group = row[key] if row[key] in named else "other"
        summed[periods[row["run_id"]], group] = summed.get((periods[row["run_id"]], group), 0) + row[value]
    data = [{"run": p, key: g, value: v} for (p, g), v in sorted(summed.items())]
    bars = len(set(periods.values()))
    chart = alt.Chart(alt.Data(values=data), title=title, width=_width(bars), height=220).mark_bar().encode(
        x=alt.X("run:O", title="run start (UTC)" if len(periods) <= MAX_BARS else "day (UTC)",
                axis=alt.Axis(labelAngle=-40, labelOverlap=True)),
        y=alt.Y(f"{value}:Q", title=y_title),
        color=alt.Color(f"{key}:N", title=key, sort=sorted(named) + ["other"]),
    )
    return _render(chart)


def body_length_per_run(profiles: list) -> str | None:
    """Median body length per run for the largest sources: where a redesign shows first."""
    import altair as alt

    per_run = [p for p in profiles if p.run_id is not None and p.median_body is not None]
    if not per_run:
        return None
    totals: dict[str, float] = {}
    for p in per_run:
        totals[p.source] = totals.get(p.source, 0) + p.articles
    named = _top(totals)
    periods = _periods(p.run_id for p in per_run)
    # Runs drawn per day: the day's run medians averaged, weighted by their articles.
    sums: dict[tuple[str, str], list[float]] = {}
    for p in per_run:
        if p.source in named:
            acc = sums.setdefault((periods[p.run_id], p.source), [0.0, 0.0])
            acc[0] += p.median_body * p.articles
            acc[1] += p.articles
    data = [{"run": period, "source": source, "median body (characters)": round(total / n)}
            for (period, source), (total, n) in sorted(sums.items())]
    chart = alt.Chart(alt.Data(values=data), title="Median body length per run",
                      width=_width(len(set(periods.values()))), height=200)
    chart = chart.mark_line(point=True).encode(
        x=alt.X("run:O", title="run start (UTC)" if len(periods) <= MAX_BARS else "day (UTC)",
                axis=alt.Axis(labelAngle=-40, labelOverlap=True)),
        y=alt.Y("median body (characters):Q"),
        color=alt.Color("source:N", sort=sorted(named)),
    )
    return _render(chart)


def horizontal_bars(rows: list[dict], label: str, value: str, title: str) -> str | None:
    import altair as alt

    if not rows:
        return None
    chart = alt.Chart(alt.Data(values=rows[:30]), title=title, width=WIDTH - 200, height=max(40, 22 * min(len(rows), 30)))
    chart = chart.mark_bar().encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None), x=alt.X(f"{value}:Q", title=value)
    )
    return _render(chart)


def cluster_sizes(rows: list[dict]) -> str | None:
    import altair as alt

    if not rows:
        return None
    chart = alt.Chart(alt.Data(values=rows), title="Duplicate clusters by size", width=WIDTH, height=200)
    chart = chart.mark_bar().encode(
        x=alt.X("size:O", title="articles in the cluster (first member and its copies)"),
        y=alt.Y("clusters:Q", scale=alt.Scale(type="symlog"), title="clusters (symlog scale)"),
    )
    return _render(chart)
