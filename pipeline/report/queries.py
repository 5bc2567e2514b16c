"""The aggregates behind `newsdedup report` and `newsdedup summary`, as DuckDB queries over a `LakeView`.

Queries run on the view's `docs` table (articles read once, bodies as their lengths). Results are
bounded (top N, per-run or per-source rows), never whole tables.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.report.drift import Profile
from pipeline.report.lakeview import LakeView


def overview(lake: LakeView) -> dict:
    """Counts per dataset, sources, stories, duplicates and the time span of the lake."""
    counts = lake.rows(
        """SELECT count(*) AS articles,
                  count(*) FILTER (WHERE near_dup_of IS NULL) AS unique_texts,
                  count(DISTINCT source) AS sources,
                  count(DISTINCT story_id) AS stories,
                  count(DISTINCT run_id) AS runs_with_articles,
                  min(fetched_at) AS first_fetched, max(fetched_at) AS last_fetched
           FROM docs"""
    )[0]
    counts["links"] = lake.pairs("SELECT kind, count(*) FROM links GROUP BY kind ORDER BY kind")
    counts["rejects"] = lake.value("SELECT count(*) FROM rejects_by_source")
    counts["multi_text_stories"] = lake.value(f"SELECT count(*) FROM ({STORIES})")
    return counts


# Stories told by more than one text, with their counts. Distinct counts per group through DISTINCT
# pairs: count(DISTINCT ...) in a grouped aggregate was ~1.5x slower on 1M articles.
STORIES = """
    WITH members AS (SELECT story_id, coalesce(near_dup_of, doc_id) AS text_id, source, fetched_at FROM docs
                     WHERE story_id IN (SELECT story_id FROM docs WHERE story_id <> doc_id)),
         texts AS (SELECT story_id, count(*) AS texts FROM (SELECT DISTINCT story_id, text_id FROM members) GROUP BY ALL),
         sources AS (SELECT story_id, count(*) AS sources FROM (SELECT DISTINCT story_id, source FROM members) GROUP BY ALL),
         totals AS (SELECT story_id, count(*) AS articles, max(fetched_at) AS last_fetched FROM members GROUP BY ALL)
    SELECT * FROM totals JOIN texts USING (story_id) JOIN sources USING (story_id) WHERE texts > 1"""


def profiles(lake: LakeView) -> list[Profile]:
    """Figures per (run, source), and per source over all runs (`run_id` None), of the view's articles."""
    articles = lake.rows(
        """SELECT run_id, source, count(*) AS articles, median(body_chars) AS median_body,
                  avg((coalesce(title, '') <> '')::INT) AS title_fill, avg(has_author::INT) AS author_fill,
                  avg((published_at IS NOT NULL)::INT) AS date_fill,
                  histogram(coalesce(language, '?')) AS languages
           FROM docs GROUP BY GROUPING SETS ((run_id, source), (source))"""
    )
    rejects = {
        (r["run_id"], r["source"]): r["rejects"]
        for r in lake.rows(
            """SELECT run_id, source, count(*) AS rejects FROM rejects_by_source
               GROUP BY GROUPING SETS ((run_id, source), (source))"""
        )
    }
    found = []
    for row in articles:
        key = (row["run_id"], row["source"])
        found.append(Profile(rejects=rejects.pop(key, 0), **{**row, "languages": dict(row["languages"] or {})}))
    # Runs in which a source had rejects and no article at all: the case drift must not miss.
    for (run_id, source), count in rejects.items():
        found.append(Profile(run_id, source, 0, count, None, None, None, None, {}))
    return found


def runs(lake: LakeView) -> list[dict]:
    """One row per ingest run (manifests, plus run ids seen in the data), with its rows per dataset."""
    counts: dict[str, dict] = {}
    for dataset in ("articles", "links", "rejects"):
        table = {"articles": "docs", "rejects": "rejects_by_source"}.get(dataset, dataset)
        for run_id, n in lake.pairs(f"SELECT run_id, count(*) FROM {table} GROUP BY run_id").items():
            counts.setdefault(run_id, {"articles": 0, "links": 0, "rejects": 0})[dataset] = n
    found = {}
    for manifest in lake.manifests():
        if manifest.get("kind", "ingest") == "ingest":
            found[manifest["run_id"]] = {
                "run_id": manifest["run_id"],
                "written_at": manifest.get("written_at"),
                "recovered_by": manifest.get("recovered_by"),
                "published": True,
            }
    for run_id in counts.keys() - found.keys():  # data whose manifest is not written (yet)
        found[run_id] = {"run_id": run_id, "written_at": None, "recovered_by": None, "published": False}
    empty = {"articles": 0, "links": 0, "rejects": 0}
    return [{**found[run_id], **counts.get(run_id, empty)} for run_id in sorted(found)]


def rejects_by_reason(lake: LakeView) -> list[dict]:
    return lake.rows(
        """SELECT stage, reason, count(*) AS rejects, count(DISTINCT source) AS sources,
                  any_value(detail) AS example
           FROM rejects_by_source GROUP BY stage, reason ORDER BY rejects DESC, stage, reason"""
    )


def rejects_per_run(lake: LakeView) -> list[dict]:
    return lake.rows(
        "SELECT run_id, stage || '/' || reason AS reason, count(*) AS rejects FROM rejects_by_source GROUP BY ALL ORDER BY ALL"
    )


def cluster_sizes(lake: LakeView) -> list[dict]:
    """How many duplicate clusters (exact or near copies of one text) have each size."""
    return lake.rows(
        """SELECT size, count(*) AS clusters FROM (
               SELECT near_dup_of, count(*) + 1 AS size FROM docs WHERE near_dup_of IS NOT NULL GROUP BY near_dup_of)
           GROUP BY size ORDER BY size"""
    )


def shown_articles(lake: LakeView, doc_ids: list[str]) -> dict[str, dict]:
    """Title, URL, source and times of the few articles a page shows, by doc_id."""
    rows = lake.rows(
        """SELECT doc_id, any_value(title) AS title, any_value(url) AS url, any_value(source) AS source,
                  any_value(language) AS language, any_value(published_at) AS published_at,
                  any_value(fetched_at) AS fetched_at
           FROM docs WHERE doc_id IN (SELECT unnest(?)) GROUP BY doc_id""",
        [sorted(set(doc_ids))],
    )
    return {r["doc_id"]: r for r in rows}


def largest_clusters(lake: LakeView, limit: int = 10, members: int = 8) -> list[dict]:
    """The largest duplicate clusters: size, sources with their counts, and the first members."""
    top = lake.rows(
        """SELECT near_dup_of AS first_doc, count(*) + 1 AS size FROM docs
           WHERE near_dup_of IS NOT NULL GROUP BY near_dup_of ORDER BY size DESC, first_doc LIMIT ?""",
        [limit],
    )
    ids = [c["first_doc"] for c in top]
    picked = lake.rows(
        """SELECT coalesce(near_dup_of, doc_id) AS cluster, doc_id, near_dup_of IS NULL AS is_first FROM docs
           WHERE doc_id IN (SELECT unnest($1)) OR near_dup_of IN (SELECT unnest($1))
           QUALIFY row_number() OVER (PARTITION BY coalesce(near_dup_of, doc_id)
                                      ORDER BY near_dup_of IS NULL DESC, fetched_at, doc_id) <= $2""",
        [ids, members],
    )
    sources = lake.pairs(
        """SELECT cluster, list(source || ' (' || n || ')' ORDER BY n DESC, source) FROM (
               SELECT coalesce(near_dup_of, doc_id) AS cluster, source, count(*) AS n FROM docs
               WHERE doc_id IN (SELECT unnest($1)) OR near_dup_of IN (SELECT unnest($1)) GROUP BY ALL)
           GROUP BY cluster""",
        [ids],
    )
    details = shown_articles(lake, [r["doc_id"] for r in picked])
    rows = [{**details.get(r["doc_id"], {"doc_id": r["doc_id"]}), **r} for r in picked]
    rows.sort(key=lambda r: (not r["is_first"], r.get("fetched_at") or 0, r.get("url") or ""))
    return [
        {**c, "sources": sources.get(c["first_doc"], []), "members": [r for r in rows if r["cluster"] == c["first_doc"]]}
        for c in top
    ]


def story_groups(lake: LakeView, limit: int = 50, members: int = 10) -> list[dict]:
    """Stories told by more than one text (not copies): the largest, then the latest, with their texts."""
    top = lake.rows(f"SELECT * FROM ({STORIES}) ORDER BY texts DESC, last_fetched DESC, story_id LIMIT ?", [limit])
    picked = lake.rows(
        """SELECT story_id, doc_id, (SELECT count(*) FROM docs c WHERE c.near_dup_of = d.doc_id) AS copies
           FROM docs d WHERE story_id IN (SELECT unnest($1)) AND near_dup_of IS NULL
           QUALIFY row_number() OVER (PARTITION BY story_id ORDER BY published_at NULLS LAST, doc_id) <= $2""",
        [[s["story_id"] for s in top], members],
    )
    details = shown_articles(lake, [r["doc_id"] for r in picked])
    rows = [{**details.get(r["doc_id"], {"doc_id": r["doc_id"]}), **r} for r in picked]
    rows.sort(key=lambda r: (r.get("published_at") is None, r.get("published_at") or 0, r.get("url") or ""))
    return [{**s, "members": [r for r in rows if r["story_id"] == s["story_id"]]} for s in top]


def run_links(lake: LakeView, run_id: str, limit: int = 200) -> dict:
    """The links one run found: counts per kind and the strongest `limit`, with both articles' titles."""
    kinds = lake.pairs("SELECT kind, count(*) FROM links WHERE run_id = ? GROUP BY kind ORDER BY kind", [run_id])
    links = lake.rows(
        "SELECT * FROM links WHERE run_id = ? ORDER BY kind, similarity DESC, doc_id, other_doc_id LIMIT ?",
        [run_id, limit],
    )
    details = shown_articles(lake, [i for link in links for i in (link["doc_id"], link["other_doc_id"])])
    shown = []
    for link in links:
        a, b = details.get(link["doc_id"], {}), details.get(link["other_doc_id"], {})
        shown.append({"kind": link["kind"], "similarity": link["similarity"],
                      "title": a.get("title"), "source": a.get("source"), "url": a.get("url") or link["doc_id"],
                      "other_title": b.get("title"), "other_source": b.get("source"),
                      "other_url": b.get("url") or link["other_doc_id"]})
    return {"run_id": run_id, "kinds": kinds, "links": shown}


def articles_listing(lake: LakeView, batch: int = 10_000) -> Iterator[dict]:
    """Every article (for `summary --articles`), by url: the small columns and the body length, streamed."""
    cursor = lake.execute("SELECT doc_id, url, title, language, length(text) AS chars, run_id FROM articles ORDER BY url, doc_id")
    names = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(zip(names, row, strict=True))


def all_links(lake: LakeView) -> list[dict]:
    return lake.rows("SELECT doc_id, other_doc_id, kind, similarity FROM links")
