"""The `newsdedup` command: look into a lake (`summary`) and maintain it (`compact`).

    newsdedup summary --lake ./lake
    newsdedup compact --lake s3://bucket/news --dataset articles --partition ingest_date=2024-05-01
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.config import ConfigError, load_section
from pipeline.lake.compact import compact_partition
from pipeline.lake.config import LakeConfig
from pipeline.lake.read import open_dataset
from pipeline.lake.schema import PARTITION_KEY, SCHEMAS
from pipeline.lake.store import LakeUnavailable, open_store

logger = logging.getLogger(__name__)


def display_name(url: str) -> str:
    """The file name of a file:// URL (what the user put in the folder), else the URL itself."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return unquote(parts.path.rsplit("/", 1)[-1]) or url
    return url


def summary(lake: str, out=None) -> None:
    """One line per article and per link, then how to read the lake with DuckDB and pandas."""
    out = out or sys.stdout
    columns = ["doc_id", "url", "title", "language", "text"]
    articles = open_dataset(lake, "articles").to_table(columns=columns).sort_by("url")
    names: dict[str, str] = {}
    print(f"{articles.num_rows} article(s) in {lake}", file=out)
    for doc_id, url, title, language, text in zip(*(articles[c].to_pylist() for c in columns), strict=True):
        names[doc_id] = display_name(url)
        print(f"  {names[doc_id]}  | {title or '(no title)'} | {language or '?'} | {len(text or '')} chars", file=out)
    links = open_dataset(lake, "links").to_table(columns=["doc_id", "other_doc_id", "kind", "similarity"])
    print(f"{links.num_rows} link(s)", file=out)
    shown = []
    for row in links.to_pylist():
        # A link is symmetric: show the pair in name order, so the output does not depend on arrival order.
        a, b = sorted((names.get(row["doc_id"], row["doc_id"]), names.get(row["other_doc_id"], row["other_doc_id"])))
        shown.append((row["kind"], a, b, row["similarity"]))
    for kind, a, b, similarity in sorted(shown):
        print(f"  {a} <-> {b}  {kind}  similarity={similarity:.3f}", file=out)
    rejects = open_dataset(lake, "rejects").count_rows()
    if rejects:
        print(f"{rejects} reject(s): see {lake.rstrip('/')}/rejects", file=out)
    for line in reading_examples(lake):
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsdedup", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("summary", help="print the lake's articles and links")
    show.add_argument("--lake", required=True, help="lake URI: a folder or s3://bucket/prefix")
    compact = commands.add_parser("compact", help="rewrite one partition's small files into few large ones")
    compact.add_argument("--lake", required=True)
    compact.add_argument("--dataset", required=True, choices=sorted(SCHEMAS))
    compact.add_argument("--partition", required=True, help=f"{PARTITION_KEY}=YYYY-MM-DD")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        if args.command == "summary":
            summary(args.lake)
            return 0
        config = load_section(LakeConfig, "lake.yaml")
        manifest = compact_partition(open_store(args.lake, config), args.dataset, args.partition, config)
    except (LakeUnavailable, ConfigError, ValueError, OSError) as exc:
        print(f"newsdedup {args.command}: {exc}", file=sys.stderr)
        return 1
    if manifest is None:
        print(f"{args.dataset}/{args.partition}: nothing to compact")
    else:
        print(
            f"{args.dataset}/{args.partition}: {len(manifest['replaces'])} file(s) -> {len(manifest['files'])}, "
            f"{manifest['rows'][args.dataset]} rows unchanged (manifest _runs/{manifest['run_id']}.json)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
