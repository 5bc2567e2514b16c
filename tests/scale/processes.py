"""Test helpers: `scrapy crawl files -a queue=NAME` processes sharing one Redis and one S3 lake, and the lake read back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

from pipeline.lake.read import open_dataset
from pipeline.sources.queue import InputQueue
from tests.crawl import REPO


@dataclass
class Shared:
    """What every process of one test shares: Redis, the lake, the dedup prefix and the input list's name."""

    redis_url: str
    lake: str
    env: dict[str, str]
    queue: str = ""
    dedup_prefix: str = ""

    def __post_init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.queue = self.queue or f"inputs-{tag}"
        self.dedup_prefix = self.dedup_prefix or f"dedup-{tag}"

    def fill(self, entries: list[str]) -> None:
        InputQueue(redis.Redis.from_url(self.redis_url), self.queue).push(entries)

    def start(self, spool: Path, log: Path, **settings) -> subprocess.Popen:
        """One files process (1 extraction worker) in its own session, so its workers can be killed with it."""
        merged = {
            "LAKE_URI": self.lake, "LAKE_SPOOL_DIR": spool, "EXTRACT_WORKERS": 1, "LOG_LEVEL": "INFO",
            "DEDUP_BACKEND": "redis", "REDIS_URL": self.redis_url, "DEDUP_REDIS_PREFIX": self.dedup_prefix,
            "FILES_QUEUE_LEASE_SECONDS": 6, "DEDUP_CLAIM_TTL_SECONDS": 4, **settings,
        }  # fmt: skip
        command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"queue={self.queue}"]
        for name, value in merged.items():
            command += ["-s", f"{name}={value}"]
        with open(log, "w") as out:
            return subprocess.Popen(command, cwd=REPO, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip

    def run(self, tmp: Path, processes: int, **settings) -> list[str]:
        """`processes` processes started together and waited for; their logs (each must exit 0)."""
        started = [self.start(tmp / f"spool-{i}", tmp / f"log-{i}.txt", **settings) for i in range(processes)]
        logs = []
        for i, process in enumerate(started):
            code = process.wait(timeout=400)
            logs.append((tmp / f"log-{i}.txt").read_text())
            assert code == 0, logs[-1][-3000:]
        return logs

    def status(self):
        return InputQueue(redis.Redis.from_url(self.redis_url), self.queue).status()


def popped(log: str) -> int:
    """How many queue entries a process read (its final stats)."""
    found = re.findall(r"'files/queue/popped': (\d+)", log)
    return int(found[-1]) if found else 0


@dataclass
class Lake:
    """A published lake as rows: articles, links and rejects."""

    articles: list[dict]
    links: list[dict]
    rejects: list[dict]

    @classmethod
    def read(cls, uri: str, env: dict[str, str]) -> Lake:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            return cls(*(open_dataset(uri, name).to_table().to_pylist() for name in ("articles", "links", "rejects")))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def url_counts(self) -> Counter[str]:
        """How often each input URL ends as an article or a reject."""
        return Counter(r["url"] for r in self.articles + self.rejects)

    def doc_ids(self) -> Counter[str]:
        return Counter(r["doc_id"] for r in self.articles)

    def documents(self) -> set[tuple[str, str, str]]:
        return {(r["doc_id"], r["url"], r["content_hash"]) for r in self.articles}

    def link_pairs(self) -> set[tuple[frozenset[str], str, str | None, float]]:
        """Each link as its unordered pair, kind, method and similarity (rounded): orientation depends on run order."""
        return {(frozenset((x["doc_id"], x["other_doc_id"])), x["kind"], x["method"], round(x["similarity"], 4))
                for x in self.links}  # fmt: skip

    def clusters(self, column: str) -> set[frozenset[str]]:
        """The partition of the articles by `near_dup_of` (a document and its duplicates) or `story_id`."""
        groups: dict[str, set[str]] = {}
        for r in self.articles:
            groups.setdefault(r[column] or r["doc_id"], set()).add(r["doc_id"])
        return {frozenset(g) for g in groups.values()}


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
