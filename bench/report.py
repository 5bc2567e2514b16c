"""Report benchmark: `newsdedup report` on a synthetic lake of 1M articles (target: under one minute).

    .venv/bin/python bench/report.py                          # 1,000,000 articles in 100 runs, temp folder
    .venv/bin/python bench/report.py --articles 200000 --keep /tmp/lake-200k

The lake has the real schemas (`pipeline/lake/schema.py`), is written by the lake's own Parquet writer
(`pipeline/lake/parquet.py`: zstd, row groups, files per run) and has one manifest per run. Bodies are
drawn from wordfreq's English word frequencies with lognormal lengths (median ~2,600 characters);
8% of articles are copies in duplicate clusters, 6% belong to same-story groups, 4% of pages are
rejected. Printed side by side: the scan floor (DuckDB reading every body's length once, the least any
report with a median body length must do) and the report, in wall time and peak memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.errors import TRANSIENT_REASONS  # noqa: E402
from pipeline.lake.config import LakeConfig  # noqa: E402
from pipeline.lake.manifest import build_manifest, describe_file, write_manifest  # noqa: E402
from pipeline.lake.parquet import write_files  # noqa: E402
from pipeline.lake.schema import SCHEMAS, partition_dir  # noqa: E402
from pipeline.lake.store import LocalStore  # noqa: E402

LANGUAGES = ("en", "ar", "fr", "de", "es")
STAGES_REASONS = (("extract", "no_article"), ("extract", "empty"), ("source", "too_large"), ("extract", "timeout"))
START = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


class Corpus:
    """A long string of English words drawn by frequency; article bodies are slices of it."""

    def __init__(self, rng: np.random.Generator, chars: int = 8_000_000) -> None:
        import wordfreq

        words = wordfreq.top_n_list("en", 20000)
        freqs = np.array([wordfreq.word_frequency(w, "en") for w in words])
        picks = rng.choice(len(words), size=chars // 5, p=freqs / freqs.sum())
        self.text = " ".join(words[i] for i in picks)

    def slice(self, rng: np.random.Generator, lengths: np.ndarray) -> list[str]:
        starts = rng.integers(0, len(self.text) - int(lengths.max()) - 1, size=len(lengths))
        return [self.text[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


def hex_ids(rng: np.random.Generator, n: int, width: int = 20) -> list[str]:
    return [f"{a:016x}{b:016x}"[:width] for a, b in rng.integers(0, 2**63, size=(n, 2)).tolist()]


def one_run(rng: np.random.Generator, corpus: Corpus, run: int, n: int, sources: list[str]) -> tuple[str, datetime, dict]:
    """The rows of one synthetic run: articles, links and rejects as pyarrow tables."""
    started = START + timedelta(hours=8 * run)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{hashlib.sha1(str(run).encode()).hexdigest()[:6]}"
    weights = 1 / np.arange(1, len(sources) + 1)
    source_idx = rng.choice(len(sources), size=n, p=weights / weights.sum())
    source = [sources[i] for i in source_idx.tolist()]
    doc_id = hex_ids(rng, n)
    lengths = np.clip(rng.lognormal(np.log(2600), 0.6, size=n), 200, 40000).astype(int)
    text = corpus.slice(rng, lengths)
    near_dup_of: list[str | None] = [None] * n
    story_id = list(doc_id)
    links: dict[str, list] = {"doc_id": [], "other_doc_id": [], "kind": [], "similarity": [], "method": [], "run_id": []}
    for i in np.flatnonzero(rng.random(n) < 0.08).tolist():  # copies of an earlier article of the run
        if i:
            first = int(rng.integers(0, i)) if rng.random() < 0.5 else max(0, i - 1 - int(rng.integers(0, 5)))
            first_id = near_dup_of[first] or doc_id[first]
            near_dup_of[i], story_id[i], text[i] = first_id, story_id[first], text[first]
            links["doc_id"].append(doc_id[i])
            links["other_doc_id"].append(first_id)
            links["kind"].append("exact" if rng.random() < 0.5 else "near_duplicate")
            links["similarity"].append(1.0 if links["kind"][-1] == "exact" else float(rng.uniform(0.8, 1)))
            links["method"].append("hash" if links["kind"][-1] == "exact" else "jaccard")
            links["run_id"].append(run_id)
    for i in np.flatnonzero(rng.random(n) < 0.06).tolist():  # other outlets' reports of one story
        if i and near_dup_of[i] is None:
            first = int(rng.integers(0, i))
            story_id[i] = story_id[first]
            links["doc_id"].append(doc_id[i])
            links["other_doc_id"].append(doc_id[first])
            links["kind"].append("same_story")
            links["similarity"].append(float(rng.uniform(0.3, 0.6)))
            links["method"].append("jaccard")
            links["run_id"].append(run_id)
    language = [sources_language(s, rng) for s in source]
    published = [started - timedelta(hours=int(h)) if h < 40 else None for h in rng.integers(0, 60, size=n).tolist()]
    articles = {
        "doc_id": doc_id,
        "url": [f"https://{s}/{run}/{d}.html" for s, d in zip(source, doc_id, strict=True)],
        "source": source,
        "title": [None if r < 0.03 else t[:80] for r, t in zip(rng.random(n).tolist(), text, strict=True)],
        "text": text,
        "language": language,
        "author": [None if r < 0.6 else "A. Writer" for r in rng.random(n).tolist()],
        "published_at": published,
        "fetched_at": [started] * n,
        "extraction": ["html"] * n,
        "content_hash": [hashlib.sha1(d.encode()).hexdigest() for d in doc_id],
        "near_dup_of": near_dup_of,
        "story_id": story_id,
        "run_id": [run_id] * n,
    }
    rejected = max(1, n // 25)
    reasons = rng.integers(0, len(STAGES_REASONS), size=rejected).tolist()
    rejects = {
        "url": [f"https://{sources[i % len(sources)]}/{run}/rejected-{i}.html" for i in range(rejected)],
        "stage": [STAGES_REASONS[r][0] for r in reasons],
        "reason": [STAGES_REASONS[r][1] for r in reasons],
        "detail": ["synthetic"] * rejected,
        "run_id": [run_id] * rejected,
        "retryable": [STAGES_REASONS[r][1] in TRANSIENT_REASONS for r in reasons],
    }
    tables = {"articles": articles, "links": links, "rejects": rejects}
    return run_id, started, {name: pa.table(cols, schema=SCHEMAS[name]) for name, cols in tables.items()}


def sources_language(source: str, rng: np.random.Generator) -> str | None:
    """Each site writes mostly in one language; a few pages are undetermined or another language."""
    main = LANGUAGES[sum(map(ord, source)) % len(LANGUAGES)]
    roll = rng.random()
    return None if roll < 0.02 else (LANGUAGES[int(roll * 100) % len(LANGUAGES)] if roll < 0.07 else main)


def build_lake(root: Path, articles: int, runs: int, n_sources: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    corpus = Corpus(rng)
    sources = [f"news{i:02d}.example.com" for i in range(n_sources)]
    store, config = LocalStore(root), LakeConfig()
    for run in range(runs):
        run_id, started, tables = one_run(rng, corpus, run, articles // runs, sources)
        files = []
        for name, table in tables.items():
            key_dir = partition_dir(name, started.date().isoformat())
            for path in write_files([table], SCHEMAS[name], root / key_dir, f"part-{run_id}", config):
                files.append(describe_file(path, f"{key_dir}/{path.name}"))
        write_manifest(store, build_manifest(run_id=run_id, kind="ingest", ingest_date=started.date().isoformat(),
                                             files=files, settings={}, lake_uri=str(root)))


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[:4]} exited with {process.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the lake in this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        if not (root / "_runs").exists():
            started = time.perf_counter()
            build_lake(root, args.articles, args.runs, args.sources)
            print(f"built {args.articles:,} articles in {args.runs} runs in {time.perf_counter() - started:.0f} s")
        size = sum(p.stat().st_size for p in root.rglob("*.parquet")) / 2**20
        print(f"lake: {root} ({size:,.0f} MiB of Parquet)")
        python = sys.executable
        scan = ("import duckdb; con = duckdb.connect(); con.execute('SET enable_progress_bar = false'); "
                f"con.execute(\"SELECT count(*), sum(length(text)) FROM read_parquet('{root}/articles/*/*.parquet')\").fetchall()")
        floor = timed([python, "-c", scan])
        print(f"scan floor (DuckDB, every body's length once): {floor[0]:.1f} s, peak {floor[1]:,.0f} MB")
        out = root.parent / f"{root.name}-report.html"
        report = timed([python, "-m", "pipeline.cli", "report", "--lake", str(root), "--out", str(out)])
        print(f"newsdedup report: {report[0]:.1f} s, peak {report[1]:,.0f} MB "
              f"({report[0] / floor[0]:.1f}x the scan floor), {out.stat().st_size / 1024:,.0f} KiB of HTML")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
