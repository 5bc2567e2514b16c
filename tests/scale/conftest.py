"""Fixtures for the scale tests: moto_server (S3 over HTTP) for the session, and a small corpus with overlaps."""

from __future__ import annotations

import itertools
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawl import REPO, SEEDS
from tests.scale.processes import Lake, Shared
from tests.servers import S3Server, start_moto

_buckets = itertools.count()
GOLD = json.loads((REPO / "tests/resources/seeds_gold.json").read_text(encoding="utf-8"))["documents"]


@pytest.fixture(scope="session")
def moto(tmp_path_factory) -> Iterator[S3Server]:
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def lake_bucket(moto) -> str:
    name = f"scale-{next(_buckets)}"
    moto.create_bucket(name)
    return name


def _pages(count: int, words: list[str], rng: random.Random) -> list[str]:
    """Generated Arabic pages: a title line and ~120 words drawn from the seeds' vocabulary."""
    pages = []
    for _ in range(count):
        title = " ".join(rng.choices(words, k=8))
        body = "\n".join(" ".join(rng.choices(words, k=30)) + "." for _ in range(4))
        pages.append(f"{title}\n{body}\n")
    return pages


def build_corpus(root: Path, pages: int = 12) -> list[str]:
    """Inputs with overlaps, as a backfill's list would hold them; returns the queue entries.

    - `dumps/a` (seeds 000, 001 and generated pages) and `dumps/b` (seeds 002, 003, 004, generated pages and a
      `.pdf`, a reject), and `dumps/a`'s first seed queued a second time on its own;
    - two JSONL shards whose middle third is the same records (same URLs, same text), plus an exact copy of a
      seed's body and a near copy of another's under new URLs, and a line without a URL (a reject).
    """
    rng = random.Random(13)
    words = sorted({w for doc in GOLD.values() for line in doc["body"] for w in line.split() if len(w) > 2})
    seeds = sorted(SEEDS.iterdir())
    generated = _pages(2 * pages, words, rng)
    for folder, chosen, texts in (("a", seeds[:2], generated[:pages]), ("b", seeds[2:], generated[pages:])):
        target = root / "dumps" / folder
        target.mkdir(parents=True)
        for seed in chosen:
            shutil.copy(seed, target / seed.name)
        for i, text in enumerate(texts):
            (target / f"page-{folder}{i:02d}.txt").write_text(text, encoding="utf-8")
    (root / "dumps" / "b" / "scan.pdf").write_bytes(b"%PDF-1.4 not an article")
    bodies = {name[:3]: "\n".join(doc["body"]) for name, doc in GOLD.items()}
    near = bodies["004"].replace("في", "فى", 3)
    records = [{"url": f"https://wire{i % 3}.example/story/{i}", "text": text, "language": "ar"}
               for i, text in enumerate(_pages(3 * pages, words, rng))]  # fmt: skip
    records[5]["text"] = bodies["003"]  # an exact copy of a seed's body
    records[-2]["text"] = near
    shards = root / "shards"
    shards.mkdir()
    third = len(records) // 3
    for name, part in (("one", records[: 2 * third]), ("two", records[third:])):
        lines = [json.dumps(r, ensure_ascii=False) for r in part]
        if name == "two":
            lines.append(json.dumps({"text": "a line with no URL"}))
        (shards / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The overlapping shards first: processes starting together take one each and meet the same pages.
    return [str(shards / "one.jsonl"), str(shards / "two.jsonl"), str(root / "dumps" / "a"), str(root / "dumps" / "b"),
            str(root / "dumps" / "a" / seeds[0].name)]  # fmt: skip


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> list[str]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def single(corpus, redis_url, moto, tmp_path_factory) -> Lake:
    """The reference: one process drains the list."""
    moto.create_bucket("scale-single")
    shared = Shared(redis_url, "s3://scale-single/news", moto.env())
    shared.fill(corpus)
    shared.run(tmp_path_factory.mktemp("single"), 1)
    return Lake.read(shared.lake, moto.env())
