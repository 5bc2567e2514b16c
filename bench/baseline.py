"""Today's extractor beside the new one, in the same run: the code of `BASELINE_COMMIT` run on the same inputs.

The commit's `pipeline/` and `configs/` are unpacked (git archive) under `bench/.cache/baseline-<sha>/` and
a subprocess with that folder first on `sys.path` extracts every input; outputs are cached per commit and
input, so a rerun costs nothing once the baseline has seen a page.

`cpu` compares the CPU time a worker spends per document (`pipeline.workers.process_document` after
`_init_worker`: decode, extract, language, signature; and `extract_article` alone), this checkout against
the baseline commit, each in its own fresh process, runs alternating so that the load of a shared
machine drifts onto both; it prints every run and the medians, and the RSS of the process once
`_init_worker` has loaded what a worker's warm-up loads (models, tables).

    python bench/baseline.py cpu [--runs 5] [--files 152] [--kind text|html] [--commit SHA]
    python bench/baseline.py serve DIR < inputs.jsonl > outputs.jsonl   (what the extraction subprocess runs)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
# The extractor before issue #16 (the commit this work started from).
BASELINE_COMMIT = "c9c05558d427a3f728f72e7e684f8928585f7e86"


def baseline_tree(commit: str = BASELINE_COMMIT) -> Path:
    """The commit's pipeline/ and configs/ unpacked once under bench/.cache."""
    out = CACHE / f"baseline-{commit[:12]}"
    if not (out / "pipeline" / "__init__.py").exists():
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "pipeline", "configs"], cwd=REPO,
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(out, filter="data")
    return out


def _key(kind: str, content: str) -> str:
    return hashlib.sha1(f"{kind}\n{content}".encode("utf-8", "surrogatepass")).hexdigest()


def baseline_outputs(inputs: list[tuple[str, str]], commit: str = BASELINE_COMMIT) -> list[dict]:
    """{"title", "text"} of the baseline extractor for each (kind, content); text "" when it rejects."""
    cache_file = CACHE / f"baseline-{commit[:12]}-outputs.json"
    cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    missing = {_key(k, c): (k, c) for k, c in inputs if _key(k, c) not in cache}
    if missing:
        tree = baseline_tree(commit)
        payload = "".join(json.dumps({"key": key, "kind": k, "content": c}) + "\n" for key, (k, c) in missing.items())
        run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "serve", str(tree)], input=payload,
                             capture_output=True, text=True, cwd=tree, check=False)
        if run.returncode:
            sys.exit(f"baseline extractor failed:\n{run.stderr[-3000:]}")
        for line in run.stdout.splitlines():
            row = json.loads(line)
            cache[row.pop("key")] = row
        cache_file.write_text(json.dumps(cache), encoding="utf-8")
    return [cache[_key(k, c)] for k, c in inputs]


def _import_from(tree: Path) -> None:
    """Make `pipeline` resolve to `tree`'s copy (this process serves one checkout only)."""
    sys.path.insert(0, str(tree))
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
    import pipeline

    assert Path(pipeline.__file__).is_relative_to(tree), f"{pipeline.__file__} is not under {tree}"


def _serve(tree: str) -> None:
    """Subprocess side: extract each input line with the baseline's code (its folder first on sys.path)."""
    _import_from(Path(tree).resolve())
    from pipeline.errors import Rejected
    from pipeline.extract import extract_html, extract_text

    for line in sys.stdin:
        row = json.loads(line)
        try:
            found = (extract_html if row["kind"] == "html" else extract_text)(row["content"])
            out = {"title": found.title, "text": found.text}
        except Rejected:
            out = {"title": None, "text": ""}
        print(json.dumps({"key": row["key"], **out}), flush=True)


def _default_configs() -> tuple:
    """The extract and dedup configs a run of the imported checkout uses by default (each checkout has its
    own way to load them: `load_config()` before the run options, `pipeline.options.configured` since)."""
    from pipeline.dedup.config import DedupConfig
    from pipeline.extract.config import ExtractConfig

    try:
        from pipeline.options import configured
    except ImportError:
        from pipeline.dedup import load_config as dedup_config
        from pipeline.extract import load_config as extract_config

        return extract_config(), dedup_config()
    return configured(ExtractConfig), configured(DedupConfig)


def _measure(tree: str, kind: str, folder: str) -> None:
    """Subprocess side: CPU ms per document of `tree`'s worker code on every file of `folder`, as one JSON line."""
    _import_from(Path(tree).resolve())
    from pipeline.errors import Rejected
    from pipeline.extract import extract_article
    from pipeline.workers import _init_worker, _worker_state, process_document

    _init_worker(*_default_configs(), None)  # loads models and tables, as a worker's warm-up does
    import psutil

    warm_rss = psutil.Process().memory_info().rss / 2**20
    raws = [path.read_bytes() for path in sorted(Path(folder).iterdir())]

    def cpu_ms(call) -> float:
        started = time.process_time()
        for raw in raws:
            try:
                call(raw)
            except Rejected:
                pass
        return (time.process_time() - started) / len(raws) * 1000

    document = cpu_ms(lambda raw: process_document(raw, kind, None, "file", None))
    extract = cpu_ms(lambda raw: extract_article(raw, kind, source="file", config=_worker_state["extract_config"]))
    print(json.dumps({"document_ms": document, "extract_ms": extract, "warm_rss_mib": warm_rss}))


def compare_cpu(runs: int, files: int, kinds: list[str], commit: str = BASELINE_COMMIT) -> None:
    """CPU per document, a baseline commit and this checkout in alternating fresh processes; medians."""
    sys.path.insert(0, str(REPO))
    from bench.throughput import replicated

    trees = {"baseline": baseline_tree(commit), "this": REPO}
    for kind in kinds:
        folder = replicated(files, kind)
        found: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(runs):
            for name, tree in trees.items():
                run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "measure", str(tree), kind,
                                      str(folder)], capture_output=True, text=True, cwd=tree, check=False)
                if run.returncode:
                    sys.exit(f"{name} measurement failed:\n{run.stderr[-3000:]}")
                found[name].append(json.loads(run.stdout.splitlines()[-1]))
        for measure in ("document_ms", "extract_ms", "warm_rss_mib"):
            medians = {name: statistics.median(r[measure] for r in found[name]) for name in trees}
            runs_text = "; ".join(f"{name} " + " ".join(f"{r[measure]:.1f}" for r in found[name]) for name in trees)
            print(f"{kind} {measure}: baseline {medians['baseline']:.1f}, this {medians['this']:.1f}, "
                  f"ratio {medians['this'] / medians['baseline']:.3f} ({runs_text})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cpu = commands.add_parser("cpu", help="CPU per document, this checkout against the baseline commit")
    cpu.add_argument("--runs", type=int, default=5)
    cpu.add_argument("--files", type=int, default=152, help="replicated real-site pages (bench/throughput.py)")
    cpu.add_argument("--kind", choices=["text", "html"], action="append", help="text dumps, HTML (default both)")
    cpu.add_argument("--commit", default=BASELINE_COMMIT,
                     help="the baseline to compare with (default: the extractor before issue #16)")
    serve = commands.add_parser("serve")
    serve.add_argument("tree")
    measure = commands.add_parser("measure")
    measure.add_argument("tree")
    measure.add_argument("kind", choices=["text", "html"])
    measure.add_argument("folder")
    args = parser.parse_args()
    if args.command == "cpu":
        commit = subprocess.run(["git", "rev-parse", args.commit], cwd=REPO, check=True, capture_output=True,
                                text=True).stdout.strip()
        compare_cpu(args.runs, args.files, args.kind or ["text", "html"], commit)
    elif args.command == "serve":
        _serve(args.tree)
    else:
        _measure(args.tree, args.kind, args.folder)


if __name__ == "__main__":
    main()
