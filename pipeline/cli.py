"""The `newsdedup` command: look into a lake (`summary`, `report`), maintain it (`compact`, `reindex`), feed (`enqueue`).

    newsdedup summary --lake ./lake                      # short overview; --articles, --format json
    newsdedup report --lake s3://bucket/news --out report.html
    newsdedup compact --lake s3://bucket/news --dataset articles --partition ingest_date=2024-05-01
    newsdedup reindex --lake s3://bucket/news            # rebuild the dedup index from the articles
    newsdedup enqueue backfill s3://archive/shards/ /data/dumps/    # inputs for `scrapy crawl files -a queue=backfill`
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from pipeline.config import ConfigError
from pipeline.lake.compact import compact_partition
from pipeline.lake.config import LakeConfig
from pipeline.options import configured, run_options
from pipeline.lake.schema import PARTITION_KEY, SCHEMAS
from pipeline.lake.store import LakeUnavailable, open_store

logger = logging.getLogger(__name__)

# What a process killed by SIGPIPE returns in a shell: `newsdedup summary | head` ends like `yes | head`.
BROKEN_PIPE_EXIT = 128 + 13


def package_version() -> str:
    try:
        return version("newsdedup")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="newsdedup", description=__doc__.splitlines()[0])
    root.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    root.add_argument("-v", "--verbose", action="store_true")
    commands = root.add_subparsers(dest="command", required=True)
    lake_help = "lake URI: a folder or s3://bucket/prefix (S3 credentials and AWS_ENDPOINT_URL from the environment)"
    show = commands.add_parser("summary", help="print a short overview of the lake")
    show.add_argument("--lake", required=True, help=lake_help)
    show.add_argument("--articles", action="store_true", help="one line per article and per link instead")
    show.add_argument("--format", choices=("text", "json"), default="text")
    report = commands.add_parser("report", help="write one self-contained HTML report of the lake")
    report.add_argument("--lake", required=True, help=lake_help)
    report.add_argument("--out", required=True, help="the HTML file to write")
    compact = commands.add_parser("compact", help="rewrite one partition's small files into few large ones")
    compact.add_argument("--lake", required=True, help=lake_help)
    compact.add_argument("--dataset", required=True, choices=sorted(SCHEMAS))
    compact.add_argument("--partition", required=True, help=f"{PARTITION_KEY}=YYYY-MM-DD")
    reindex = commands.add_parser(
        "reindex", help="rebuild the dedup index from the lake's articles (after an upgrade or a lost index)"
    )
    reindex.add_argument("--lake", required=True, help=lake_help)
    reindex.add_argument(
        "--backend", choices=("lake", "redis"), help="the index to rebuild (default: configs/dedup.yaml's backend)"
    )
    enqueue = commands.add_parser("enqueue", help="append inputs to the Redis list `scrapy crawl files -a queue=NAME` reads")
    enqueue.add_argument("queue", help="the list's name (the spider's -a queue=NAME)")
    enqueue.add_argument("inputs", nargs="*", help="files, folders or archive shards: local paths (made absolute), s3:// URIs")
    enqueue.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="Redis URL (default: env REDIS_URL)")
    return root


def run(args: argparse.Namespace) -> int:
    if args.command == "summary":
        from pipeline.report.summary import summary

        summary(args.lake, articles=args.articles, as_json=args.format == "json")
        return 0
    if args.command == "report":
        from pipeline.report.html import write_report

        data = write_report(args.lake, args.out)
        alerts = len(data["drift"])
        print(f"{args.out}: {os.path.getsize(args.out) / 1024:,.0f} KiB, {data['overview']['articles']:,} articles, "
              f"{len(data['runs'])} run(s){f', {alerts} drift alert(s)' if alerts else ''}")
        return 0
    if args.command == "reindex":
        return rebuild_index(args.lake, args.backend)
    if args.command == "enqueue":
        return enqueue(args.redis, args.queue, args.inputs)
    config = configured(LakeConfig)
    manifest = compact_partition(open_store(args.lake, config), args.dataset, args.partition, config)
    if manifest is None:
        print(f"{args.dataset}/{args.partition}: nothing to compact")
    else:
        print(
            f"{args.dataset}/{args.partition}: {len(manifest['replaces'])} file(s) -> {len(manifest['files'])}, "
            f"{manifest['rows'][args.dataset]} rows unchanged (manifest _runs/{manifest['run_id']}.json)"
        )
    return 0


def rebuild_index(lake: str, backend: str | None) -> int:
    from pipeline.reindex import reindex

    # The same options a crawl with only these settings would have (YAML layers, env REDIS_URL).
    options = run_options({"LAKE_URI": lake, "DEDUP_BACKEND": backend, "REDIS_URL": os.environ.get("REDIS_URL")})
    done = reindex(open_store(lake, options.lake), lake, options)
    print(
        f"dedup index ({options.dedup.backend}) rebuilt from {lake}: {done.documents:,} document(s) of {done.runs} run(s) "
        f"in {done.seconds:.1f} s; {done.changed:,} would be clustered differently today (their rows are unchanged)"
        + (f"; {done.unsigned:,} row(s) could not be signed and are not indexed" if done.unsigned else "")
    )
    return 0


def enqueue(url: str | None, name: str, inputs: list[str]) -> int:
    """Append the inputs (checked to exist when local) and print what the list holds."""
    from pipeline.sources import resolve_root
    from pipeline.sources.queue import open_queue

    entries = [str(resolve_root(entry)) for entry in inputs]  # InputNotFound (a ValueError) for a missing path
    queue = open_queue(url, name, lease_seconds=1.0)  # pushes only: never takes a lease
    queue.push(entries)
    status = queue.status()
    print(f"{name}: {len(entries)} input(s) queued; {status.pending} pending, "
          f"{sum(status.held.values())} held by {len(status.held)} process(es)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        code = run(args)
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return code
    except BrokenPipeError:
        # The reader (`head`, `less` quit early) has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again, and end quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT
    except (LakeUnavailable, ConfigError, ValueError, OSError) as exc:
        print(f"newsdedup {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
