"""Dedup benchmark: speed and index size against plain datasketch, and link quality on labelled pages.

    .venv/bin/python bench/dedup.py                  # everything (about 5 minutes)
    .venv/bin/python bench/dedup.py --part speed     # or memory / run-memory / quality

Reads ../shared/datasets/ (multi-outlet-pages, readability-test-pages) relative to the repository.
"""

from __future__ import annotations

import argparse
import gc
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.dedup import DedupConfig, Deduplicator, compute_signature, make_doc_id, open_index  # noqa: E402
from pipeline.options import configured  # noqa: E402
from pipeline.text.normalize import normalize_for_matching, tokenize  # noqa: E402
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

    config = configured(DedupConfig)
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
    print(f"newsdedup: {ours:8.0f} articles/s  (signature {1e6 * t_sig / (n - half):.0f} us, add {1e6 * t_add / (n - half):.0f} us, "
          f"finish_run (all queries and decisions) {1e3 * t_finish:.0f} ms = {1e6 * t_finish / (n - half):.0f} us/article)")

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
    bench_startup()


_STARTUP = """
import sys, time
t0 = time.perf_counter()
import numpy as np
from pipeline.dedup import DedupConfig, compute_signature
from pipeline.dedup.records import DocFreq
t1 = time.perf_counter()
if sys.argv[1] == "worker":
    compute_signature("Warm-up text for the dedup kernels and tables. " * 20, "en", DedupConfig())
else:
    DocFreq.empty(4, 1024).add_docs([np.arange(5, dtype=np.uint32)])
print(f"{t1 - t0:.2f} {time.perf_counter() - t1:.2f}")
"""


def bench_startup() -> None:
    """What a fresh process pays before its first signature (a worker) or count-min update (the process running
    `finish_run`): numba import and kernel load from the disk cache, code-point tables, stemmer, wordfreq."""
    import subprocess

    run = lambda role: subprocess.run([sys.executable, "-c", _STARTUP, role], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()  # noqa: E731
    worker, main = run("worker"), run("main")
    print(f"fresh process: import {worker[0]} s; first signature {worker[1]} s (worker); first count-min update {main[1]} s (finish_run's process)")


def bench_memory(sizes: tuple[int, ...]) -> None:
    """Index bytes per article with synthetic signatures, and datasketch's in-memory MinHashLSH for scale."""
    import psutil
    from datasketch import LeanMinHash, MinHashLSH

    from pipeline.dedup.segments import Columns

    config = configured(DedupConfig)
    print("\n== memory: lake index (numpy columns + lookup arrays), synthetic signatures ==")
    rng = np.random.default_rng(0)
    for n in sizes:
        gc.collect()
        rss0 = psutil.Process().memory_info().rss
        k = config.story_sketch_size
        u32 = lambda *shape: rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32)  # noqa: E731
        ids = rng.integers(0, 256, size=(n, 10), dtype=np.uint8)
        arrays = {
            "ids": ids, "content": rng.integers(0, 2**63, size=n, dtype=np.uint64), "run": u32(n), "rank": u32(n),
            "nrep": ids, "nrep_run": u32(n), "nrep_rank": u32(n), "srep": ids, "srep_run": u32(n), "srep_rank": u32(n),
            "near": u32(n, config.num_perm).astype(np.uint16), "bands": u32(n, config.near_bands), "story_vals": np.sort(u32(n, k), axis=1).ravel(),
            "story_off": np.arange(0, n * k + 1, k, dtype=np.int64),
        }  # fmt: skip
        cols = Columns(arrays, config)
        t0 = time.perf_counter()
        cols.build_lookup()
        took = time.perf_counter() - t0
        rss = psutil.Process().memory_info().rss - rss0
        print(f"{n:>9,} articles: {cols.nbytes() / n:6.0f} bytes/article in arrays, process RSS +{rss / 2**30:.2f} GiB "
              f"(lookup build {took:.1f} s)")
        del cols, arrays, ids
    n = 20000
    gc.collect()
    import tracemalloc

    tracemalloc.start()
    lsh = MinHashLSH(threshold=config.near_threshold, num_perm=config.num_perm)
    for i in range(n):
        lsh.insert(str(i), LeanMinHash(seed=1, hashvalues=rng.integers(0, 2**32, config.num_perm, dtype=np.uint64).astype(np.uint32), scheme="affine32"))
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"datasketch MinHashLSH (near tier only), {n:,} articles: {size / n:6.0f} bytes/article (tracemalloc)")


class _PeakRSS:
    """This process's RSS, and its peak since the last `step()` (a thread samples every 5 ms)."""

    def __init__(self) -> None:
        import threading

        import psutil

        self.process, self.peak = psutil.Process(), 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def step(self) -> tuple[int, int]:
        now = self.process.memory_info().rss
        peak, self.peak = max(self.peak, now), 0
        return now, peak


def bench_run_memory(n: int, distinct: int | None) -> None:
    """What one run of `n` articles costs the process that decides it: held while documents are added, and
    peak / retained RSS through `finish_run` and `commit`, for unrelated articles and for copies of 100
    (each in a fresh process, so one's freed memory does not hide the other's)."""
    if distinct is None:
        for texts in (n, 100):
            subprocess.run([sys.executable, __file__, "--part", "run-memory", "--run-docs", str(n), "--run-distinct", str(texts)], check=True)
        return
    config = configured(DedupConfig)
    label = "unrelated articles" if distinct == n else f"copies of {distinct} articles"
    texts: list[str] = []
    while len(texts) < distinct:  # batches: one draw for all would hold n x words indices
        texts += synthetic_articles(min(2000, distinct - len(texts)), seed=len(texts))
    signatures = [compute_signature(text, "en", config) for text in texts]
    del texts
    gc.collect()
    print(f"\n== run memory: {n:,} {label} (~5 KB each), lake backend, one run ==")
    with tempfile.TemporaryDirectory() as tmp:
        dedup = Deduplicator(config, open_index(config, LocalStore(tmp)))
        dedup.warm_up()
        rss = _PeakRSS()
        start, _ = rss.step()
        for i in range(n):
            url = f"https://news.example.org/section/2025/01/{i:07d}/an-article-title-of-usual-length.html"
            sig = signatures[i % distinct]
            dedup.add(make_doc_id(url, sig.content_hash), url, sig)
        added, _ = rss.step()
        print(f"adding:     +{(added - start) / n:5.0f} bytes/article held (RSS {start / 2**20:.0f} -> {added / 2**20:.0f} MiB)")
        for step, call in (("finish_run", dedup.finish_run), ("commit", dedup.commit)):
            started = time.perf_counter()
            call()
            took = time.perf_counter() - started
            now, peak = rss.step()
            print(f"{step + ':':11s} peak RSS {peak / 2**20:5.0f} MiB (+{(peak - added) / n:5.0f} bytes/article over the "
                  f"crawl's level), after {now / 2**20:5.0f} MiB, {took:.1f} s")


def _run(docs: list[tuple[str, str, str | None]]):
    """One run over (url, text, language) in a temporary lake: links and assignments by url."""
    config = configured(DedupConfig)
    with tempfile.TemporaryDirectory() as tmp:
        dedup = Deduplicator(config, open_index(config, LocalStore(tmp)))
        ids, links = {}, []
        for url, text, language in docs:
            sig = compute_signature(text, language, config)
            ids[url] = make_doc_id(url, sig.content_hash)
            dedup.add(ids[url], url, sig)
        outcome = dedup.finish_run()
        links, assignments = outcome.links, outcome.assignments
    urls = {v: k for k, v in ids.items()}
    found = {}
    for link in links:
        pair = frozenset((urls[link.doc_id], urls[link.other_doc_id]))
        found[pair] = (link.kind, link.similarity)
    clusters = {url: assignments[ids[url]].near_dup_of or ids[url] for url in ids}
    return found, clusters


def _need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"dataset not found: {path} (expected next to the repository, in ../shared/datasets/)")
    return path


def bench_multi_outlet() -> None:
    import json

    import trafilatura

    folder = _need(DATASETS / "multi-outlet-pages")
    labels = json.loads((folder / "labels.json").read_text())
    docs = []
    for page in sorted(p for p in folder.iterdir() if p.name != "labels.json"):
        text = trafilatura.extract(page.read_text(encoding="utf-8", errors="replace"))
        if text and text.strip():
            docs.append((page.name, text, None))
    found, _ = _run(docs)
    n = len(docs)
    pairs = lambda key: {frozenset(p) for p in labels[key]}  # noqa: E731
    near_truth, story_truth, unsure = pairs("exact_or_near_duplicate"), pairs("same_story"), pairs("unsure_do_not_score")
    near_found = {p for p, (k, _) in found.items() if k in ("exact", "near_duplicate")}
    story_found = {p for p, (k, _) in found.items() if k == "same_story"}
    false_near = near_found - near_truth - unsure
    false_story = story_found - story_truth - near_truth - unsure
    related = pairs("related_but_different_story")
    print(f"\n== quality: multi-outlet-pages ({n} pages with text, {n * (n - 1) // 2} pairs; trafilatura.extract) ==")
    print(f"exact/near: found {len(near_found & near_truth)}/{len(near_truth)} labelled pairs, {len(false_near)} false")
    print(f"same_story: found {len(story_found & story_truth)}/{len(story_truth)} labelled pairs "
          f"(+{len((story_found | near_found) & story_truth) - len(story_found & story_truth)} as near), "
          f"{len(false_story)} false same_story links ({len(false_story & related)} of them 'related but different')")
    for pair in sorted(false_near | false_story, key=sorted):
        print("   false:", " ~ ".join(sorted(pair)), found[pair])
    for pair in sorted((near_truth | story_truth) - set(found), key=sorted):
        print("   missed:", " ~ ".join(sorted(pair)))


def _variants(text: str, donor: list[str], rng: np.random.Generator) -> list[str]:
    """Republications of one article: other header/footer, a few percent of words changed, a paragraph dropped, new title."""
    paras = [p for p in text.split("\n") if p.strip()]
    header = "Breaking news from our partners | Home | World | Business | Subscribe"
    footer = "Copyright 2024 Syndicated Media Group. All rights reserved. Share this article."
    title = " ".join(rng.choice(donor, 8))
    out = [f"{header}\n{text}\n{footer}", f"{title}\n{text}"]  # each mirror site adds its own boilerplate
    words = text.split(" ")
    changed = [w if rng.random() > 0.03 else str(rng.choice(donor)) for w in words]
    out.append(f"{title}\n" + " ".join(changed))
    if len(paras) >= 6:
        drop = int(rng.integers(len(paras)))
        out.append("\n".join([header, *paras[:drop], *paras[drop + 1 :], footer]))
    return out


def _unrelated(texts: list[str]) -> list[str]:
    """Drop reference texts that repeat another one (the readability set has the same article in several
    test folders), judged by exact word-trigram Jaccard, independent of the engine under test."""
    kept, grams = [], []
    for text in texts:
        words = text.lower().split()
        mine = {tuple(words[i : i + 3]) for i in range(len(words) - 2)}
        if all(len(mine & g) / len(mine | g) < 0.05 for g in grams):
            kept.append(text)
            grams.append(mine)
    return kept


def bench_syndication() -> None:
    import html_text

    folder = _need(DATASETS / "readability-test-pages")
    texts = [html_text.extract_text(p.read_text(encoding="utf-8", errors="replace")) for p in sorted(folder.glob("*/expected.html"))]
    texts = _unrelated([t for t in texts if len(t.split()) >= 150])
    rng = np.random.default_rng(3)
    donor = " ".join(texts).split()
    docs, truth = [], {}
    for i, text in enumerate(texts):
        docs.append((f"https://orig.example/{i}", text, None))
        truth[docs[-1][0]] = i
        if i % 2 == 0:  # half the articles get republished, the other half stay unrelated singletons
            for j, variant in enumerate(_variants(text, donor, rng)):
                variant = variant.replace("our partners", f"partner site {j}").replace("Syndicated Media Group", f"Media Group {j}")
                docs.append((f"https://mirror{j}.example/{i}", variant, None))
                truth[docs[-1][0]] = i
    order = rng.permutation(len(docs))
    found, clusters = _run([docs[k] for k in order])
    urls = sorted(truth)
    tp = fp = fn = story_false = link_tp = link_fp = link_fn = 0
    for a_i, a in enumerate(urls):
        for b in urls[a_i + 1 :]:
            same, pair = truth[a] == truth[b], frozenset((a, b))
            together = clusters[a] == clusters[b]
            tp, fp, fn = tp + (same and together), fp + (together and not same), fn + (same and not together)
            kind = found.get(pair, (None,))[0]
            linked = kind in ("exact", "near_duplicate")
            link_tp, link_fp, link_fn = link_tp + (same and linked), link_fp + (linked and not same), link_fn + (same and not linked)
            story_false += kind == "same_story" and not same
    n_pairs = len(urls) * (len(urls) - 1) // 2
    print(f"\n== quality: syndication set ({len(texts)} reference texts from readability-test-pages, "
          f"{len(docs) - len(texts)} variants, {n_pairs} pairs) ==")
    print(f"near_duplicate clusters (near_dup_of), pairwise: precision {tp / max(1, tp + fp):.4f}  recall {tp / max(1, tp + fn):.4f}")
    print(f"near_duplicate links (no transitivity), pairwise: precision {link_tp / max(1, link_tp + link_fp):.4f}  "
          f"recall {link_tp / max(1, link_tp + link_fn):.4f}")
    print(f"same_story links between unrelated articles: {story_false} ({1e4 * story_false / n_pairs:.2f} per 10,000 pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["speed", "memory", "run-memory", "quality", "all"], default="all")
    parser.add_argument("--speed-docs", type=int, default=6000)
    parser.add_argument("--memory-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--run-docs", type=int, default=100_000, help="articles in the run-memory part's run")
    parser.add_argument("--run-distinct", type=int, help="distinct texts among them (default: both n and 100, one process each)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.part in ("speed", "all"):
        bench_speed(args.speed_docs)
    if args.part in ("memory", "all"):
        bench_memory(tuple(args.memory_sizes))
    if args.part in ("run-memory", "all"):
        bench_run_memory(args.run_docs, args.run_distinct)
    if args.part in ("quality", "all"):
        bench_multi_outlet()
        bench_syndication()


if __name__ == "__main__":
    main()
