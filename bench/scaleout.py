"""Articles/s of `scrapy crawl files -a queue=NAME` with 1, 2, ... processes sharing one Redis list and one lake.

Run through `bench/throughput.py --processes 1,2`. Everything on loopback: a redis-server (input list and dedup
index) and moto_server (the S3 lake), both started here and stopped by PID. The corpus is `--files` pages cut
into `--shards` folders; each measurement queues every folder, starts its N processes together (1 extraction
worker each, DEDUP_BACKEND=redis, a fresh lake and index) and times from the first start to the last exit,
start-up and publishing included. Process counts alternate round by round, so load drifts hit all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

from bench.corpus import REPO
from pipeline.sources.queue import InputQueue
from tests.servers import start_moto, start_redis


def shard(pages: Path, shards: int, out: Path) -> list[str]:
    """`pages`' files spread round-robin over `shards` folders (hard links); the folders' paths."""
    folders = [out / f"shard-{i:03d}" for i in range(shards)]
    for folder in folders:
        folder.mkdir(parents=True)
    for i, page in enumerate(sorted(pages.iterdir())):
        os.link(page, folders[i % shards] / page.name)
    return [str(folder) for folder in folders]


def measure(processes: int, entries: list[str], redis_url: str, moto, tmp: Path) -> dict:
    """One measurement: `processes` files processes drain the list of `entries` into a fresh lake."""
    tag = uuid.uuid4().hex[:8]
    bucket = f"bench-{tag}"
    moto.create_bucket(bucket)
    InputQueue(redis.Redis.from_url(redis_url), tag).push(entries)
    settings = {
        "LAKE_URI": f"s3://{bucket}/news", "EXTRACT_WORKERS": 1, "DEDUP_BACKEND": "redis", "REDIS_URL": redis_url,
        "DEDUP_REDIS_PREFIX": f"bench-{tag}", "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    started = time.perf_counter()
    running = []
    for i in range(processes):
        command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"queue={tag}"]
        stats = tmp / f"{tag}-{i}.json"
        for name, value in {**settings, "LAKE_SPOOL_DIR": tmp / f"spool-{tag}-{i}", "STATS_FILE": stats}.items():
            command += ["-s", f"{name}={value}"]
        env = {**os.environ, **moto.env()}
        running.append((stats, subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
    results = []
    for stats, process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"crawl failed ({process.returncode}):\n{err.decode()[-3000:]}")
        results.append(json.loads(stats.read_text()))
    elapsed = time.perf_counter() - started
    articles = sum(r.get("lake/articles", 0) for r in results)
    return {"rate": articles / elapsed, "elapsed": elapsed, "articles": articles,
            "popped": [r.get("files/queue/popped", 0) for r in results]}  # fmt: skip


def process_scaling(counts: list[int], pages: Path, shards: int, rounds: int) -> None:
    """Print articles/s for each process count (median of `rounds`) and each count's ratio to the first."""
    with tempfile.TemporaryDirectory(prefix="newsdedup-scaleout-") as tmp:
        tmp = Path(tmp)
        entries = shard(pages, shards, tmp / "shards")
        redis_server, moto = start_redis(tmp), start_moto(tmp)
        try:
            runs: dict[int, list[dict]] = {n: [] for n in counts}
            for _ in range(rounds):
                for n in counts:
                    runs[n].append(measure(n, entries, redis_server.url, moto, tmp))
        finally:
            moto.stop()
            redis_server.stop()
            shutil.rmtree(tmp / "shards", ignore_errors=True)
    medians = {n: sorted(r["rate"] for r in runs[n])[len(runs[n]) // 2] for n in counts}
    files = sum(1 for _ in pages.iterdir())
    for n in counts:
        detail = "; ".join(f"{r['rate']:.1f}/s ({r['articles']} articles in {r['elapsed']:.1f}s, shards per process "
                           f"{r['popped']})" for r in runs[n])  # fmt: skip
        print(f"{n} process(es), 1 extraction worker each: {medians[n]:7.1f} articles/s (median of {rounds}: {detail})")
    first = counts[0]
    for n in counts[1:]:
        print(f"ratio {n} / {first} process(es): {medians[n] / medians[first]:.2f}x "
              f"({files} pages in {shards} shards; {os.cpu_count()} cores on this machine)")
