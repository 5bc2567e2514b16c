"""WARC ingestion against datatrove on the same shards, and against our own crawl of the same pages as files.

    python bench/warc.py [--pages 1500] [--shards 2] [--workers 2] [--rounds 6]
    python bench/warc.py --memory [--memory-mb 1024]

Corpus: the shared real pages (readability real sites and multi-outlet pages) replicated to --pages
HTML responses, written with warcio (per-record gzip, as CC-NEWS) into --shards WARC files, each page
followed by its request record, with revisits, a metadata record and non-HTML responses (PDF, image)
mixed in; the same pages as an HTML folder. In one run it times (wall clock, start-up included):
D = datatrove's WarcReader -> Trafilatura (time limit 30 s a page, as ours) -> JsonlWriter, one task per
shard on --workers processes;
W = `scrapy crawl files` on the WARC shards; H = `scrapy crawl files` on the HTML folder, each --rounds
times (order D W H H W D ...), and prints mean pages/s, the ratios W/D and W/H (and their spread round by
round), the CPU a page costs to read, and the CPU seconds of each system's processes by role (sampled every
0.1 s): CPU a page does not depend on what else the machine runs, the wall-clock rate does.

--memory builds two WARCs with the same HTML pages and 100 MB / --memory-mb of non-HTML responses
between them, crawls each and prints the peak RSS of the crawl's process tree: reading is streaming
when the two peaks are the same.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import MULTI_OUTLET, REPO, real_site_pages  # noqa: E402
from bench.throughput import CRAWL_ROLES, TreeWatch, cpu_line, stage_split, worker_share  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "warc"


def shared_pages() -> list[tuple[str, bytes]]:
    """(name, HTML bytes) of the shared real pages."""
    pages = [(p.name, (p / "source.html").read_bytes()) for p in real_site_pages()]
    pages += [(p.stem, p.read_bytes()) for p in sorted(MULTI_OUTLET.glob("*.html"))]
    if not pages:
        sys.exit(f"no shared pages found beside the checkout ({MULTI_OUTLET.parent})")
    return pages


def _http(status: str, content_type: str):
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")


def write_shard(path: Path, pages: list[tuple[str, bytes]], rng: random.Random, filler_bytes: int = 0) -> None:
    """One per-record gzip WARC: each page as a response and its request, other record types mixed in."""
    from warcio.warcwriter import WARCWriter

    filler_each = filler_bytes // max(len(pages), 1)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/warc.py"}))
        for url, body in pages:
            headers = _http("200 OK", "text/html; charset=utf-8")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers))
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(f"GET {url} HTTP/1.1\r\n\r\n".encode())))
            roll = rng.random()
            if roll < 0.1:
                record = writer.create_revisit_record(url + "?again", digest="sha1:" + "A" * 32, refers_to_uri=url, refers_to_date="2024-01-01T00:00:00Z")
                writer.write_record(record)
            elif roll < 0.15:
                pdf = io.BytesIO(b"%PDF-1.4\n" + rng.randbytes(20_000))
                writer.write_record(writer.create_warc_record(url + ".pdf", "response", payload=pdf, http_headers=_http("200 OK", "application/pdf")))
            elif roll < 0.17:
                writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 120\r\n"), warc_content_type="application/warc-fields"))
            if filler_each:
                blob = io.BytesIO(rng.randbytes(filler_each))  # incompressible: the file's size is real
                writer.write_record(writer.create_warc_record(url + ".mp4", "response", payload=blob, http_headers=_http("200 OK", "video/mp4")))


def build_corpus(n_pages: int, shards: int) -> tuple[Path, Path]:
    """`shards` WARC files and an HTML folder holding the same `n_pages` pages (cached)."""
    out = CACHE / f"{n_pages}-{shards}"
    warcs, html = out / "warc", out / "html"
    if (out / "done").exists():
        return warcs, html
    pages = shared_pages()
    warcs.mkdir(parents=True, exist_ok=True)
    html.mkdir(parents=True, exist_ok=True)
    listed = []
    for i in range(n_pages):
        name, body = pages[i % len(pages)]
        listed.append((f"https://site{i % 97}.bench.example/{i:06d}/{quote(name.replace(' ', '-'))}.html", body))
        (html / f"{i:06d}.html").write_bytes(body)
    rng = random.Random(14)
    for shard in range(shards):
        write_shard(warcs / f"bench-{shard:05d}.warc.gz", listed[shard::shards], rng)
    (out / "done").touch()
    return warcs, html


DATATROVE_ROLES = ("launcher", "forkserver and helpers", "task processes", "extraction sandboxes")


def run_datatrove(warcs: Path, workers: int, out: Path) -> None:
    """datatrove's WarcReader -> Trafilatura -> JsonlWriter, one task per shard, `workers` at once (in this process)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    shards = len(list(warcs.glob("*.warc.gz")))
    LocalPipelineExecutor(
        # the same time limit per page as our runs (EXTRACT_TIMEOUT): datatrove's default (1 s) drops slow pages
        pipeline=[WarcReader(str(warcs), glob_pattern="*.warc.gz"), Trafilatura(timeout=30), JsonlWriter(f"{out}/out")],
        tasks=shards,
        workers=workers,
        logging_dir=f"{out}/logs",
    ).run()


def datatrove_rate(warcs: Path, workers: int) -> dict:
    """D in a process of its own (`--datatrove-run`), so its CPU is measured like a crawl's: wall time, CPU by role."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, __file__, "--datatrove-run", str(warcs), tmp, "--workers", str(workers)]
        process = psutil.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        watch = TreeWatch(process)
        elapsed = watch.wait()
        if process.returncode != 0:
            sys.exit(f"datatrove failed ({process.returncode}):\n{process.stderr.read().decode()[-3000:]}")
        written = sum(1 for f in Path(tmp, "out").glob("*.jsonl.gz") for _ in gzip.open(f))
    return {"elapsed": elapsed, "written": written, "cpu": watch.cpu_by_depth()}


def crawl(path: Path, workers: int, settings: dict | None = None) -> dict:
    """`scrapy crawl files` on `path` into a fresh lake: wall time, peak RSS and CPU of its process tree, its stats."""
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={path}",
                   "-s", f"LAKE_URI={tmp}/lake", "-s", f"LAKE_SPOOL_DIR={tmp}/spool", "-s", f"EXTRACT_WORKERS={workers}",
                   "-s", f"STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING"]  # fmt: skip
        for name, value in (settings or {}).items():
            command += ["-s", f"{name}={value}"]
        process = psutil.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        watch = TreeWatch(process)
        elapsed = watch.wait()
        if process.returncode != 0:
            sys.exit(f"crawl failed ({process.returncode}):\n{process.stderr.read().decode()[-3000:]}")
        stats = json.loads(stats_file.read_text())
    return {"elapsed": elapsed, "peak_rss": watch.peak_rss, "peak_rss_main": watch.peak_rss_main, "stats": stats,
            "cpu": watch.cpu_by_depth()}


def read_cost(root: Path) -> tuple[float, float]:
    """CPU ms a page spends being read: in the crawl process (listing, parsing) and in a worker (`LocalFile.read`)."""
    from pipeline.localfiles import LocalFile
    from pipeline.sources import SourceOptions, items_for, resolve_root

    started = time.process_time()
    items = list(items_for(resolve_root(root), SourceOptions(), lambda key, n=1: None))
    crawl_process = time.process_time() - started
    started = time.process_time()
    for item in items:
        if isinstance(item.raw, LocalFile):
            item.raw.read()
    worker = time.process_time() - started
    return crawl_process / len(items) * 1e3, worker / len(items) * 1e3


ROLES = {"D": DATATROVE_ROLES, "W": CRAWL_ROLES, "H": CRAWL_ROLES}


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {ordered[len(ordered) // 2]:.2f}, range {ordered[0]:.2f}-{ordered[-1]:.2f}"


def speed(n_pages: int, shards: int, workers: int, rounds: int) -> None:
    warcs, html = build_corpus(n_pages, shards)
    size = sum(p.stat().st_size for p in warcs.iterdir()) / 2**20
    print(f"corpus: {n_pages} HTML pages in {shards} WARC shards ({size:.0f} MiB, per-record gzip) and as an HTML folder; "
          f"{workers} worker processes each; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    for label, root in (("WARC shards", warcs), ("HTML folder", html)):
        here, there = read_cost(root)
        print(f"reading, {label}: {here:.2f} ms CPU a page in the crawl process, {there:.2f} ms in the worker")
    # Rounds of D W H then H W D: a machine whose speed drifts during the run skews the means least, and each
    # round's ratios compare runs minutes apart.
    runs: dict[str, list[dict]] = {"D": [], "W": [], "H": []}
    for round_ in range(rounds):
        for name in "DWH" if round_ % 2 == 0 else "HWD":
            if name == "D":
                run = datatrove_rate(warcs, workers)
            else:
                run = crawl(warcs if name == "W" else html, workers, {"FILES_PARALLEL_INPUTS": shards})
            runs[name].append(run)
            print(f"  {name}: {n_pages / run['elapsed']:6.1f} pages/s in {run['elapsed']:.1f} s (load {os.getloadavg()[0]:.1f}); "
                  f"{cpu_line(run['cpu'], ROLES[name], n_pages, run['elapsed'])}", flush=True)
    rates = {name: n_pages / (sum(r["elapsed"] for r in done) / len(done)) for name, done in runs.items()}
    cpu = {name: sum(sum(r["cpu"].values()) for r in done) / len(done) / n_pages * 1e3 for name, done in runs.items()}
    d = runs["D"][0]
    print(f"D datatrove WarcReader -> Trafilatura -> JsonlWriter, {shards} tasks: {rates['D']:6.1f} pages/s "
          f"(mean of {rounds}; {d['written']} documents written); CPU {cpu['D']:.1f} ms a page")
    for name, label in (("W", "scrapy crawl files, WARC shards"), ("H", "scrapy crawl files, HTML folder")):
        run = runs[name][0]
        stats = run["stats"]
        rejects = sum(v for k, v in stats.items() if k.startswith("rejects/"))
        print(f"{name} {label}: {rates[name]:6.1f} pages/s (mean of {rounds}; {stats.get('extract/html/ok', 0)} extracted, "
              f"{rejects} rejects; peak RSS {run['peak_rss'] / 2**20:.0f} MiB, crawl process {run['peak_rss_main'] / 2**20:.0f} MiB); "
              f"CPU {cpu[name]:.1f} ms a page")
        print(f"      stage time (summed over processes): {stage_split(stats)}")
        print(f"      {worker_share(stats, run['cpu'].get(2, 0.0))}")
    # Wall-clock ratios round by round; CPU ratios say what the wall ratio becomes when nothing else needs the cores.
    wd = [d_["elapsed"] / w["elapsed"] for d_, w in zip(runs["D"], runs["W"])]
    wh = [h["elapsed"] / w["elapsed"] for h, w in zip(runs["H"], runs["W"])]
    print(f"W/D = {rates['W'] / rates['D']:.2f} (target >= 1.2; by round: {_spread(wd)})   "
          f"W/H = {rates['W'] / rates['H']:.2f} (target >= 0.95; by round: {_spread(wh)})   load at end {os.getloadavg()[0]:.1f}")
    print(f"CPU a page: D {cpu['D']:.1f} ms, W {cpu['W']:.1f} ms, H {cpu['H']:.1f} ms; "
          f"by CPU W/D = {cpu['D'] / cpu['W']:.2f}, W/H = {cpu['H'] / cpu['W']:.2f}")


def memory(n_pages: int, big_mb: int, workers: int) -> None:
    pages = shared_pages()
    rng = random.Random(4)
    listed = [(f"https://site{i % 97}.bench.example/{i:06d}.html", pages[i % len(pages)][1]) for i in range(n_pages)]
    for filler_mb in (100, big_mb):
        folder = CACHE / f"memory-{n_pages}-{filler_mb}"
        path = folder / "big.warc.gz"
        if not (folder / "done").exists():
            folder.mkdir(parents=True, exist_ok=True)
            write_shard(path, listed, rng, filler_bytes=filler_mb * 2**20)
            (folder / "done").touch()
        run = crawl(folder, workers)
        print(f"{path.stat().st_size / 2**20:7.0f} MiB WARC, {n_pages} HTML pages: peak RSS {run['peak_rss'] / 2**20:.0f} MiB "
              f"(crawl process {run['peak_rss_main'] / 2**20:.0f} MiB), {run['elapsed']:.0f} s, "
              f"{run['stats'].get('files/warc/responses/not_html', 0)} non-HTML responses passed over")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", action="store_true", help="peak RSS on a 100 MB and a --memory-mb WARC")
    parser.add_argument("--memory-mb", type=int, default=1024)
    # 2 rounds gave W/H 0.85 and 1.00 in two runs of the same code on the same quiet machine; 6 rounds keep a
    # drifting machine's spread inside the 5% the W/H target leaves (see docs/sources.md).
    parser.add_argument("--rounds", type=int, default=6, help="runs of each system (rounds D W H, H W D, ...)")
    parser.add_argument("--datatrove-run", nargs=2, type=Path, metavar=("WARCS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.datatrove_run:
        warcs, out = args.datatrove_run
        run_datatrove(warcs, args.workers, out)
    elif args.memory:
        memory(300, args.memory_mb, args.workers)
    else:
        speed(args.pages, args.shards, args.workers, args.rounds)


if __name__ == "__main__":
    main()
