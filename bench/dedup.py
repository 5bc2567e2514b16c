"""Dedup benchmark: speed and index size against plain datasketch, and link quality on labelled pages.

    .venv/bin/python bench/dedup.py                  # everything (about 5 minutes)
    .venv/bin/python bench/dedup.py --part speed     # or memory / quality

Reads ../shared/datasets/ (multi-outlet-pages, readability-test-pages) relative to the repository.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.dedup import Deduplicator, compute_signature, load_config, make_doc_id, open_index  # noqa: E402
from pipeline.extract.normalize import normalize_for_matching, tokenize  # noqa: E402
from pipeline.lake.store import LocalStore  # noqa: E402

logger = logging.getLogger("bench.dedup")
DATASETS = REPO.parent / "shared" / "datasets"


def synthetic_articles(n: int, size: int = 5000, seed: int = 0) -> list[str]:
    """~`size`-character English articles drawn from wordfreq's word frequencies (unrelated to each other)."""
    import wordfreq

    words = wordfreq.top_n_list("en", 30000)
    freqs = np.array([wordfreq.word_frequency(w, "en") for w in words])
    rng = np.random.default_rng(seed)
    avg = sum(len(w) * f for w, f in zip(words, freqs)) / freqs.sum() + 1
    picks = rng.choice(len(words), size=(n, int(size / avg)), p=freqs / freqs.sum())
    out = []
    for row in picks:
        sentence_ends = set(range(15, len(row), 18))
        out.append(" ".join(words[i] + ("." if j in sentence_ends else "") for j, i in enumerate(row)))
    return out


def bench_speed(n: int) -> None:
    from datasketch import MinHash, MinHashLSH

    config = load_config()
    docs = synthetic_articles(n)
    print(f"\n== speed: {n} synthetic ~{np.mean([len(d) for d in docs]) / 1000:.1f} KB English articles, one core ==")
    half = n // 2
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(tmp)
        run1 = Deduplicator(config, open_index(config, store))
        for i, text in enumerate(docs[:half]):
            sig = compute_signature(text, "en", config)
            run1.add(make_doc_id(f"https://a/{i}", sig.content_hash), f"https://a/{i}", sig)
        run1.commit()
        # timed: a second run querying the committed index and its own documents (both tiers, both sources)
        run2 = Deduplicator(config, open_index(config, store))
        t_sig = t_add = 0.0
        for i, text in enumerate(docs[half:], start=half):
            t0 = time.perf_counter()
            sig = compute_signature(text, "en", config)
            t1 = time.perf_counter()
            run2.add(make_doc_id(f"https://a/{i}", sig.content_hash), f"https://a/{i}", sig)
            t_add += time.perf_counter() - t1
            t_sig += t1 - t0
        t0 = time.perf_counter()
        run2.finish_run()
        t_finish = time.perf_counter() - t0
    ours = (n - half) / (t_sig + t_add + t_finish)
    print(f"newsdedup: {ours:8.0f} articles/s  (signature {1e6 * t_sig / (n - half):.0f} us, "
          f"index query+insert {1e6 * t_add / (n - half):.0f} us, finish_run {1e3 * t_finish:.0f} ms)")

    lsh = MinHashLSH(threshold=config.near_threshold, num_perm=config.num_perm)
    t0 = time.perf_counter()
    for i, text in enumerate(docs[half:]):
        tokens = tokenize(normalize_for_matching(text))
        shingles = {" ".join(tokens[j : j + 3]).encode() for j in range(max(1, len(tokens) - 2))}
        m = MinHash(num_perm=config.num_perm)
        m.update_batch(shingles)
        lsh.query(m)
        lsh.insert(str(i), m)
    base = (n - half) / (time.perf_counter() - t0)
    print(f"datasketch baseline (normalize + MinHash.update_batch + MinHashLSH query/insert, near tier only): "
          f"{base:8.0f} articles/s")
    print(f"ratio newsdedup / datasketch: {ours / base:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["speed", "memory", "quality", "all"], default="all")
    parser.add_argument("--speed-docs", type=int, default=6000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.part in ("speed", "all"):
        bench_speed(args.speed_docs)


if __name__ == "__main__":
    main()
