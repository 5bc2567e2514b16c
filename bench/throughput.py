"""Throughput of `scrapy crawl files` end to end against a plain trafilatura loop, in one run.

    python bench/throughput.py [--files 1000] [--workers N] [--memory-scale K] [--components]
    python bench/throughput.py --processes 1,2 [--files 1000] [--shards 16] [--rounds 3]

Corpus: the readability real-site pages replicated to --files HTML files, and the same pages
rendered to text dumps with html-text. Prints R1 (plain single-process `trafilatura.extract` loop),
P1 and PN (the whole crawl, startup and lake writing included, with 1 and N workers), their ratios,
peak RSS of the crawl's process tree, and the per-stage split from the run's stats. `--processes 1,2`
instead times 1 and 2 `scrapy crawl files -a queue=NAME` processes (1 worker each) sharing one Redis list
and one S3 lake on loopback (`bench/scaleout.py`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import REPO, real_site_pages  # noqa: E402
from pipeline.workers import default_workers  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "throughput"
STAGES = ("read", "extract", "sign", "dedup", "land")


def build_corpus(files: int) -> tuple[Path, Path]:
    """`files` HTML pages and as many text dumps, replicated from the real-site pages (cached)."""
    return replicated(files, "html"), replicated(files, "text")


def replicated(files: int, kind: str) -> Path:
    """`files` copies of the real-site pages as HTML, or as text dumps rendered with html-text (cached)."""
    import html_text

    out = CACHE / f"{kind}-{files}"
    if out.exists() and sum(1 for _ in out.iterdir()) == files:
        return out
    out.mkdir(parents=True, exist_ok=True)
    pages = [(p.name, (p / "source.html").read_bytes()) for p in real_site_pages()]
    if kind == "text":
        pages = [(name, html_text.extract_text(raw.decode("utf-8", "replace")).encode("utf-8")) for name, raw in pages]
    for i in range(files):
        name, data = pages[i % len(pages)]
        (out / f"{i:06d}-{name}.{'txt' if kind == 'text' else 'html'}").write_bytes(data)
    return out


def plain_trafilatura_rate(html_dir: Path) -> float:
    """R1: articles/s of a single-process loop reading each file and calling trafilatura.extract."""
    import trafilatura

    paths = sorted(html_dir.iterdir())
    started = time.perf_counter()
    for path in paths:
        trafilatura.extract(path.read_bytes())
    return len(paths) / (time.perf_counter() - started)


def plain_pipeline_rate(path: Path, kind: str) -> float:
    """R1*: the same loop calling our per-document work (decode, extract with metadata, language, signature)."""
    from pipeline.dedup import DedupConfig
    from pipeline.errors import Rejected
    from pipeline.extract import ExtractConfig
    from pipeline.options import configured
    from pipeline.workers import _init_worker, process_document

    _init_worker(configured(ExtractConfig), configured(DedupConfig), None)
    paths = sorted(path.iterdir())
    started = time.perf_counter()
    for file in paths:
        try:
            process_document(file.read_bytes(), kind, None, "file", None)
        except Rejected:
            pass
    return len(paths) / (time.perf_counter() - started)


def rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def tree_rss(process: psutil.Process) -> int:
    """RSS summed over the crawl process and its descendants (pages shared by forked workers count once each)."""
    return rss(process) + sum(rss(child) for child in process.children(recursive=True))


class TreeWatch:
    """Samples a process tree while it runs: peak RSS, and the CPU seconds of each member by its depth in the tree.

    For `scrapy crawl files` depth 0 is the crawl process, 1 the forkserver, 2 the extraction workers; for
    datatrove's local executor 0 is the launcher, 1 multiprocess's forkserver and helpers, 2 the task processes,
    3 their extraction sandboxes. A member's CPU is its last sample (user + system), so a process that lives
    less than one interval is missed.
    """

    def __init__(self, process: psutil.Process, interval: float = 0.1) -> None:
        self.process = process
        self.interval = interval
        self.peak_rss = self.peak_rss_main = 0
        self.main_rss: list[int] = []  # the root's own RSS, one sample per interval
        self._cpu: dict[int, tuple[int, float]] = {}  # pid -> (depth, CPU seconds so far)

    def sample(self) -> None:
        members, level, depth = [(self.process, 0)], [self.process], 0
        while level:
            depth += 1
            level = [child for member in level for child in _children(member)]
            members += [(child, depth) for child in level]
        total = 0
        for member, depth in members:
            try:
                times, memory = member.cpu_times(), member.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            self._cpu[member.pid] = (depth, times.user + times.system)
            total += memory
            if depth == 0:
                self.main_rss.append(memory)
        self.peak_rss = max(self.peak_rss, total)
        self.peak_rss_main = max(self.peak_rss_main, self.main_rss[-1] if self.main_rss else 0)

    def wait(self) -> float:
        """Sample until the process exits; its wall seconds from the first sample."""
        started = time.perf_counter()
        while self.process.poll() is None:
            self.sample()
            time.sleep(self.interval)
        return time.perf_counter() - started

    def cpu_by_depth(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for depth, seconds in self._cpu.values():
            found[depth] = found.get(depth, 0.0) + seconds
        return found


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.NoSuchProcess:
        return []


CRAWL_ROLES = ("crawl process", "forkserver", "workers")


def cpu_line(cpu: dict[int, float], roles: tuple[str, ...], pages: int, elapsed: float) -> str:
    """CPU seconds by process role, their sum, per page and the cores used (CPU over wall seconds)."""
    total = sum(cpu.values())
    parts = ", ".join(f"{name} {cpu.get(depth, 0.0):.1f}" for depth, name in enumerate(roles))
    return (f"CPU s: {parts} = {total:.1f} ({total / max(pages, 1) * 1e3:.1f} ms a page, "
            f"{total / elapsed:.2f} cores used)")


def worker_share(stats: dict, worker_cpu: float) -> str:
    """The workers' CPU over their busy wall time: below ~0.95 the machine (or the crawl process) took their cores."""
    busy = sum(stats.get(f"time_us/{stage}", 0) for stage in ("read", "extract", "sign")) / 1e6
    return f"workers on a core {worker_cpu / busy:.0%} of their busy time ({worker_cpu:.1f} CPU s in {busy:.1f} s)" if busy else ""


def crawl_rate(path: Path, workers: int, repo: Path = REPO) -> dict:
    """Run the whole crawl on `path` into a fresh lake; articles/s, peak RSS and the run's stats."""
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [
            sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={path}",
            "-s", f"LAKE_URI={tmp}/lake", "-s", f"LAKE_SPOOL_DIR={tmp}/spool", "-s", f"EXTRACT_WORKERS={workers}",
            "-s", f"STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        process = psutil.Popen(command, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        watch = TreeWatch(process)
        elapsed = watch.wait()
        if process.returncode != 0:
            sys.exit(f"crawl failed ({process.returncode}):\n{process.stderr.read().decode()[-3000:]}")
        stats = json.loads(stats_file.read_text())
    files = len(list(path.iterdir()))
    return {"rate": files / elapsed, "elapsed": elapsed, "peak_rss": watch.peak_rss, "peak_rss_main": watch.peak_rss_main,
            "main_rss": watch.main_rss, "stats": stats, "files": files, "cpu": watch.cpu_by_depth()}


def stage_split(stats: dict) -> str:
    times = {stage: stats.get(f"time_us/{stage}", 0) / 1e6 for stage in STAGES}
    total = sum(times.values()) or 1
    split = ", ".join(f"{stage} {seconds:.2f}s ({seconds / total:.0%})" for stage, seconds in times.items())
    # a worker's idle time between one document and the next: the pool starving, not a stage
    return f"{split}; workers idle between documents {stats.get('time_us/worker_wait', 0) / 1e6:.2f}s"


def memory_scale(files: int, scale: int, workers: int) -> None:
    """Peak RSS of the whole crawl at `files` and `scale` x `files` inputs: bounded in-flight items keep it flat."""
    small, large = replicated(files, "text"), replicated(files * scale, "text")
    for path in (small, large):
        run = crawl_rate(path, workers)
        samples = run["main_rss"]
        during = ", ".join(f"{samples[int(len(samples) * f)] / 2**20:.0f}" for f in (0.1, 0.25, 0.5, 0.75, 0.9))
        print(f"P{workers} text, {run['files']:6d} files: peak RSS {run['peak_rss'] / 2**20:6.0f} MiB "
              f"(crawl process {run['peak_rss_main'] / 2**20:.0f} MiB, the rest workers and forkserver), "
              f"{run['rate']:.1f} articles/s, {run['elapsed']:.0f} s")
        links = ", ".join(f"{v} {k.split('/')[1]}" for k, v in sorted(run["stats"].items()) if k.endswith("/linked"))
        print(f"      crawl process RSS at 10/25/50/75/90% of the run's time: {during} MiB "
              f"(the peak is the close: run-level dedup decisions and the final Parquet files); links: {links or 'none'}")


def component_costs() -> None:
    """Our replacements for library hot spots against the library's own calls, on the real-site pages:
    the byline heuristic, language identification and the control-character check (same results, tested)."""
    import py3langid
    from trafilatura.metadata import extract_author as library_author
    from trafilatura.utils import load_html

    from pipeline.extract import decode
    from pipeline.extract.byline import extract_author
    from pipeline.extract.html import html_to_text
    from pipeline.text.langid import identifier

    raws = [(page / "source.html").read_bytes() for page in real_site_pages()]
    trees = [load_html(raw) for raw in raws]
    samples = [html_to_text(raw.decode("utf-8", "replace"))[:3000] for raw in raws]
    identifier().classify("warm-up")  # both load their model before the timing
    py3langid.classify("warm-up")

    def per_page_ms(call, inputs) -> float:
        started = time.perf_counter()
        for _ in range(3):
            for item in inputs:
                call(item)
        return (time.perf_counter() - started) / (3 * len(inputs)) * 1000

    for name, ours, theirs, inputs in (
        ("author heuristic", extract_author, library_author, trees),
        ("language of 3,000 chars", lambda t: identifier().classify(t), py3langid.classify, samples),
        # decoding included in both: the byte scan against the regex over the decoded text it replaced
        ("control-character check", lambda r: decode._check(r.decode("utf-8"), 0.02, utf8=r),
         lambda r: decode._CONTROL.search(r.decode("utf-8")), raws),
    ):
        mine, library = per_page_ms(ours, inputs), per_page_ms(theirs, inputs)
        print(f"{name:25s} ours {mine:6.2f} ms/page, library call {library:6.2f} ms/page ({library / mine:.1f}x)")


def compare_with(tree: Path, files: int, workers: int) -> None:
    """Articles/s of the whole crawl, this checkout and `tree`, runs alternating so load drifts hit both."""
    for label, path in zip(("html", "text"), build_corpus(files)):
        rates: dict[str, list[float]] = {"this": [], "baseline": []}
        for _ in range(3):
            rates["baseline"].append(crawl_rate(path, workers, tree)["rate"])
            rates["this"].append(crawl_rate(path, workers)["rate"])
        this, base = (sorted(rates[k])[1] for k in ("this", "baseline"))  # medians
        print(f"P{workers} {label}: this {this:.1f} articles/s, baseline {base:.1f} (runs {rates}); ratio {this / base:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--memory-scale", type=int, default=0, metavar="K",
                        help="also crawl K times --files text dumps with all workers and compare peak RSS (flat memory)")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="only P<workers> of this checkout against TREE (another commit's checkout), alternating, 3 runs each")
    parser.add_argument("--components", action="store_true",
                        help="only time our replacements of library hot spots against the library calls")
    parser.add_argument("--processes", metavar="N,M", help="only: N then M files processes on one input list and one lake")
    parser.add_argument("--shards", type=int, default=16, help="with --processes: folders the pages are queued as")
    parser.add_argument("--rounds", type=int, default=3, help="with --processes: measurements per process count")
    args = parser.parse_args()
    if args.processes:
        from bench.scaleout import process_scaling

        counts = [int(n) for n in args.processes.split(",")]
        process_scaling(counts, replicated(args.files, "html"), args.shards, args.rounds)
        return
    if args.baseline:
        compare_with(args.baseline, args.files, args.workers)
        return
    if args.components:
        component_costs()
        return
    if args.memory_scale:
        memory_scale(args.files, args.memory_scale, args.workers)
        return

    html_dir, text_dir = build_corpus(args.files)
    ours = {"html": plain_pipeline_rate(html_dir, "html"), "text": plain_pipeline_rate(text_dir, "text")}
    # R1 is measured before the first crawl and after each one; a crawl's ratio uses the R1 runs on either
    # side of it, so a machine whose speed drifts during the benchmark (a shared host) skews it least.
    r1_runs = [plain_trafilatura_rate(html_dir)]
    runs = {}
    for label, path in (("html", html_dir), ("text", text_dir)):
        for workers in (1, args.workers):
            run = runs[label, workers] = crawl_rate(path, workers)
            r1_runs.append(plain_trafilatura_rate(html_dir))
            run["r1"] = (r1_runs[-2] + r1_runs[-1]) / 2
    r1 = sum(r1_runs) / len(r1_runs)
    print(f"R1  plain trafilatura.extract loop, 1 process: {r1:7.1f} articles/s "
          f"(mean of {len(r1_runs)} runs, before the first crawl and after each: {', '.join(f'{r:.1f}' for r in r1_runs)})")
    for label in ("html", "text"):
        print(f"R1* plain loop of our own per-document work ({label}), 1 process: {ours[label]:7.1f} articles/s "
              f"(metadata, language and signatures included; ratio to R1 {ours[label] / r1_runs[0]:.2f})")
    for label in ("html", "text"):
        for workers in (1, args.workers):
            run = runs[label, workers]
            articles = run["stats"].get("lake/articles", 0)
            rejects = sum(v for k, v in run["stats"].items() if k.startswith("rejects/"))
            print(
                f"P{workers} {label}: {run['rate']:7.1f} articles/s  ratio to R1 {run['rate'] / run['r1']:.2f} "
                f"(R1 around it {run['r1']:.1f})  to R1* {run['rate'] / ours[label]:.2f}  "
                f"({run['files']} files in {run['elapsed']:.1f}s: {articles} articles, {rejects} rejects; "
                f"peak RSS {run['peak_rss'] / 2**20:.0f} MiB)"
            )
            print(f"      stage time (summed over processes): {stage_split(run['stats'])}")
            print(f"      {cpu_line(run['cpu'], CRAWL_ROLES, run['files'], run['elapsed'])}; "
                  f"{worker_share(run['stats'], run['cpu'].get(2, 0.0))}")

if __name__ == "__main__":
    main()
