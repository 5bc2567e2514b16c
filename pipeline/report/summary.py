"""`newsdedup summary`: a short overview of a lake (or, with `--articles`, one line per article), as text or JSON."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

from pyarrow.lib import ArrowException

from pipeline.lake.manifest import committed_keys, listed_files, read_manifests
from pipeline.lake.store import open_store
from pipeline.report import queries
from pipeline.report.lakeview import LakeQueryError, LakeView

logger = logging.getLogger(__name__)

TOP = 5
ATTEMPTS = 5  # a compaction every few seconds still lets a read through


def display_name(url: str) -> str:
    """The file name of a file:// URL (what the user put in the folder), else the URL itself."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return unquote(parts.path.rsplit("/", 1)[-1]) or url
    return url


def overview_data(lake: LakeView) -> dict:
    """The overview as plain values: what `--format json` prints and the text view lays out."""
    counts = queries.overview(lake)
    runs = queries.runs(lake)
    sources = sorted((p for p in queries.profiles(lake) if p.run_id is None), key=lambda p: (-p.articles, p.source))
    return {
        "lake": lake.uri,
        "articles": counts["articles"],
        "unique_texts": counts["unique_texts"],
        "links": counts["links"],
        "rejects": counts["rejects"],
        "runs": {"count": len(runs), "first": runs[0]["run_id"] if runs else None,
                 "latest": runs[-1] if runs else None},
        "sources": [
            {"source": p.source, "articles": p.articles, "rejects": p.rejects, "median_body": p.median_body,
             "title_fill": p.title_fill, "languages": p.languages}
            for p in sources
        ],
        "top_clusters": [
            {"size": c["size"], "title": c["members"][0]["title"] if c["members"] else None, "sources": c["sources"]}
            for c in queries.largest_clusters(lake, limit=TOP, members=1)
        ],
        "stories": {
            "told_more_than_once": counts["multi_text_stories"],
            "largest": [
                {"texts": s["texts"], "sources": s["sources"],
                 "titles": [m["title"] for m in s["members"]], "urls": [m["url"] for m in s["members"]]}
                for s in queries.story_groups(lake, limit=TOP, members=4)
            ],
        },
    }


def print_overview(data: dict, out: TextIO) -> None:
    links = data["links"]
    link_kinds = ", ".join(f"{k} {n}" for k, n in links.items())
    print(f"lake {data['lake']}", file=out)
    print(f"  articles  {data['articles']:,} ({data['unique_texts']:,} unique texts) "
          f"from {len(data['sources'])} source(s) in {data['runs']['count']} run(s)", file=out)
    print(f"  links     {sum(links.values()):,}{f' ({link_kinds})' if links else ''}", file=out)
    print(f"  rejects   {data['rejects']:,}", file=out)
    latest = data["runs"]["latest"]
    if latest:
        print(f"latest run {latest['run_id']}: {latest['articles']:,} article(s), {latest['links']:,} link(s), "
              f"{latest['rejects']:,} reject(s){'' if latest['published'] else ' (not published yet)'}", file=out)
    if data["sources"]:
        print("sources (most articles first):", file=out)
    for s in data["sources"][:TOP]:
        body = f"median body {s['median_body']:,.0f} chars" if s["median_body"] is not None else "no body"
        title = f", title {s['title_fill']:.0%}" if s["title_fill"] is not None else ""
        print(f"  {s['source']}  {s['articles']:,} article(s), {s['rejects']:,} reject(s), {body}{title}", file=out)
    if len(data["sources"]) > TOP:
        print(f"  ... and {len(data['sources']) - TOP} more", file=out)
    clusters = data["top_clusters"]
    print(f"largest duplicate clusters:{'' if clusters else ' none'}", file=out)
    for c in clusters:
        print(f"  {c['size']} articles  {c['title'] or '(no title)'}  [{', '.join(c['sources'][:3])}]", file=out)
    stories = data["stories"]
    print(f"stories told by more than one text: {stories['told_more_than_once']:,}", file=out)
    for s in stories["largest"]:
        titles = " | ".join(t or "(no title)" for t in s["titles"])
        print(f"  {s['texts']} texts, {s['sources']} source(s): {titles}", file=out)
    print("More: newsdedup summary --articles, newsdedup report --out report.html", file=out)


def print_articles(lake: LakeView, out: TextIO, as_json: bool) -> None:
    """One line per article and per link (JSON: one object per line), then how to read the lake."""
    names: dict[str, str] = {}
    if not as_json:
        print(f"{lake.value('SELECT count(*) FROM articles')} article(s) in {lake.uri}", file=out)
    for row in queries.articles_listing(lake):
        names[row["doc_id"]] = display_name(row["url"])
        if as_json:
            print(json.dumps({"type": "article", **row}, ensure_ascii=False, default=str), file=out)
        else:
            print(f"  {names[row['doc_id']]}  | {row['title'] or '(no title)'} | {row['language'] or '?'} | "
                  f"{row['chars']} chars", file=out)
    links = queries.all_links(lake)
    if not as_json:
        print(f"{len(links)} link(s)", file=out)
    shown = []
    for row in links:
        # A link is symmetric: show the pair in name order, so the output does not depend on arrival order.
        a, b = sorted((names.get(row["doc_id"], row["doc_id"]), names.get(row["other_doc_id"], row["other_doc_id"])))
        shown.append((row["kind"], a, b, row["similarity"]))
    for kind, a, b, similarity in sorted(shown):
        if as_json:
            print(json.dumps({"type": "link", "kind": kind, "a": a, "b": b, "similarity": similarity},
                             ensure_ascii=False), file=out)
        else:
            print(f"  {a} <-> {b}  {kind}  similarity={similarity:.3f}", file=out)
    if not as_json:
        rejects = lake.value("SELECT count(*) FROM rejects")
        if rejects:
            print(f"{rejects} reject(s): see {lake.uri.rstrip('/')}/rejects", file=out)
        for line in reading_examples(lake.uri):
            print(line, file=out)


def _python() -> str:
    """This interpreter, as the user can type it (it has duckdb and pandas when installed with the dev extra)."""
    try:
        return str(Path(sys.executable).relative_to(Path.cwd()))
    except ValueError:
        return sys.executable


def reading_examples(lake: str) -> list[str]:
    """One-line DuckDB and pandas examples for this lake."""
    python = _python()
    if lake.startswith("s3://"):
        path = lake[len("s3://") :].rstrip("/")
        s3 = "fs.S3FileSystem(endpoint_override=os.environ.get('AWS_ENDPOINT_URL'))"
        return [
            "Read it (with the same AWS_* environment as the crawl):",
            f"  DuckDB: {python} -c \"import os, duckdb, pyarrow.dataset as ds, pyarrow.fs as fs; "
            f"a = ds.dataset('{path}/articles', filesystem={s3}, partitioning='hive'); "
            "print(duckdb.sql('SELECT title, language FROM a WHERE near_dup_of IS NULL'))\"",
            f"  pandas: {python} -c \"import os, pandas as pd, pyarrow.fs as fs; "
            f"print(pd.read_parquet('{path}/articles', filesystem={s3})[['title', 'language']])\"",
        ]
    return [
        "Read it:",
        f"  DuckDB: {python} -c \"import duckdb; print(duckdb.sql(\\\"SELECT title, language FROM "
        f"read_parquet('{lake.rstrip('/')}/articles/*/*.parquet', hive_partitioning=true) "
        "WHERE near_dup_of IS NULL\\\"))\"",
        f"  pandas: {python} -c \"import pandas as pd; "
        f"print(pd.read_parquet('{lake.rstrip('/')}/articles')[['title', 'language']])\"",
    ]


def summary(lake_uri: str, *, articles: bool = False, as_json: bool = False, out: TextIO | None = None) -> None:
    """Print the overview (or every article) of the lake as its manifests list it when read.

    Runs keep publishing and compactions keep replacing files while this reads: a file deleted under it
    (replaced by a compaction that published after this read the manifests) makes it read the lake again."""
    out = out or sys.stdout
    store = open_store(lake_uri)
    for attempt in range(1, ATTEMPTS + 1):
        manifests = read_manifests(store)
        # Written out only once whole: a reading started over prints nothing twice.
        with tempfile.SpooledTemporaryFile(max_size=16 << 20, mode="w+", encoding="utf-8") as text:
            try:
                with LakeView(lake_uri, manifests) as lake:
                    if articles:  # one pass over the articles, not the aggregates' table
                        print_articles(lake, text, as_json)
                    elif as_json:
                        print(json.dumps(overview_data(lake.load()), ensure_ascii=False, indent=1, default=str),
                              file=text)
                    else:
                        print_overview(overview_data(lake.load()), text)
            except (LakeQueryError, OSError, ArrowException) as exc:
                if attempt == ATTEMPTS or committed_keys(store) == listed_files(manifests):
                    raise
                logger.info("files of %s were replaced while read (%s): reading it again", lake_uri, exc)
                continue
            text.seek(0)
            shutil.copyfileobj(text, out)
            return
