"""Articles/s of `scrapy crawl files -a queue=NAME` with 1, 2, ... processes sharing one Redis list and one lake.

Run through `bench/throughput.py --processes 1,2`. Everything on loopback: a redis-server (input list and dedup
index) and moto_server (the S3 lake), both started here and stopped by PID. The corpus is `--files` pages cut
into `--shards` folders; each measurement queues every folder, starts its N processes together (1 extraction
worker each, DEDUP_BACKEND=redis, a fresh lake and index) and times from the first start to the last exit,
start-up and publishing included. Process counts alternate round by round, so load drifts hit all of them.
It also sums the CPU seconds of every process involved (crawl processes, forkservers, workers; sampled every
0.2 s): CPU per article does not depend on what else the machine runs, the wall-clock rate does.
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

import psutil
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
        logs = tmp / f"{tag}-{i}.log"
        with open(logs, "wb") as out:
            process = psutil.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=out)
        running.append((stats, logs, process))
    cpu: dict[int, tuple[int, float]] = {}  # pid -> (depth under its crawl process, CPU seconds)
    while any(process.poll() is None for _, _, process in running):
        for _, _, process in running:
            cpu.update(tree_cpu(process))
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    results = []
    for stats, logs, process in running:
        if process.returncode != 0:
            sys.exit(f"crawl failed ({process.returncode}):\n{logs.read_text()[-3000:]}")
        results.append(json.loads(stats.read_text()))
    articles = sum(r.get("lake/articles", 0) for r in results)
    by_role = [sum(seconds for depth, seconds in cpu.values() if depth == d) for d in range(3)]
    return {"rate": articles / elapsed, "elapsed": elapsed, "articles": articles, "cpu": sum(by_role), "by_role": by_role,
            "popped": [r.get("files/queue/popped", 0) for r in results]}  # fmt: skip


def tree_cpu(process: psutil.Process) -> dict[int, tuple[int, float]]:
    """(depth, user + system CPU seconds so far) of a crawl process (0), its forkserver (1) and workers (2), by pid."""
    found = {}
    try:
        family = [(process, 0), *((child, 1) for child in process.children())]
        family += [(grandchild, 2) for child, _ in family[1:] for grandchild in child.children()]
    except psutil.NoSuchProcess:
        return found
    for member, depth in family:
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        found[member.pid] = (depth, times.user + times.system)
    return found


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
    cpu = {n: sorted(r["cpu"] / r["articles"] for r in runs[n])[len(runs[n]) // 2] * 1000 for n in counts}
    for n in counts:
        # cores used = CPU seconds / wall seconds: what the machine gave the run (others share it)
        detail = "; ".join(f"{r['rate']:.1f}/s ({r['articles']} articles in {r['elapsed']:.1f}s, {r['cpu']:.0f} CPU s = "
                           f"{r['cpu'] / r['elapsed']:.2f} cores used: crawl processes {r['by_role'][0]:.1f}, forkservers "
                           f"{r['by_role'][1]:.1f}, workers {r['by_role'][2]:.1f}; shards per process {r['popped']})"
                           for r in runs[n])  # fmt: skip
        print(f"{n} process(es), 1 extraction worker each: {medians[n]:7.1f} articles/s, {cpu[n]:.0f} CPU ms/article "
              f"(medians of {rounds}: {detail})")
    first = counts[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    for n in counts[1:]:
        print(f"ratio {n} / {first} process(es): {medians[n] / medians[first]:.2f}x articles/s, "
              f"{cpu[n] / cpu[first]:.2f}x CPU per article ({files} pages in {shards} shards; {os.cpu_count()} cores, "
              f"load average {load} at the end)")
