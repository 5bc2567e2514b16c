"""CPU a page, measured page by page in one process: what `bench/warc.py`'s wall-clock ratios are made of.

    python bench/pagecost.py [--pages 1000] [--rounds 2]

On the corpus of `bench/warc.py --pages N --shards 2` (built if missing), for each page in turn and in
alternating order, the CPU time (`time.process_time`) of:
  W  our worker's work on the page as it comes from the WARC shard (`WarcRecordFile`: record read again and
     inflated, then `process_document` with the record's URL, host and HTTP charset);
  H  the same on the page as it comes from the HTML folder (`LocalFile`, `file://` URL, charset sniffed);
  D  datatrove's `Trafilatura` step on the decoded page (its `extract`: favour precision, deduplicate).
Pairing page by page keeps the ratios meaningful on a machine whose speed drifts. Then, for W, the share of
each part of `process_document` (the functions it calls, each timed around its real call).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.warc import build_corpus  # noqa: E402

# (module, function, label): the parts of `process_document` whose CPU is reported, outermost first.
PARTS = (
    ("pipeline.workers", "extract_article", "extract_article (all of extraction)"),
    ("pipeline.extract", "decode_text", "  decode"),
    ("trafilatura.utils", "load_html", "  parse (load_html)"),
    ("pipeline.extract", "trafilatura_body", "  trafilatura body"),
    ("pipeline.extract", "page_metadata", "  metadata (title, author, date, site)"),
    ("pipeline.extract.html", "extract_author", "    byline heuristic"),
    ("htmldate", "find_date", "    htmldate"),
    ("trafilatura.metadata", "examine_meta", "    meta tags"),
    ("trafilatura.metadata", "extract_meta_json", "    JSON-LD"),
    ("pipeline.extract", "choose_title", "  title choice"),
    ("pipeline.extract", "_body_language", "  language"),
    ("pipeline.extract", "extract_dump", "  text-mode second opinion"),
    ("pipeline.workers", "compute_signature", "dedup signature"),
)


@contextmanager
def timed_parts(spent: dict[str, float]):
    """Wrap each function of `PARTS` where its caller looks it up, adding its CPU seconds to `spent`."""
    import importlib

    originals = []
    for module_name, name, label in PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*args, _call=original, _label=label, **kwargs):
            started = time.process_time()
            try:
                return _call(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.process_time() - started

        setattr(module, name, functools.wraps(original)(timed))
        originals.append((module, name, original))
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def paired_items(n_pages: int) -> list[tuple]:
    """(WARC item, HTML-folder item) of each page of the `bench/warc.py` corpus."""
    from pipeline.items import Article
    from pipeline.sources import SourceOptions, items_for, resolve_root

    warcs, html = build_corpus(n_pages, 2)

    def articles(root: Path) -> list[Article]:
        return [i for i in items_for(resolve_root(root), SourceOptions(), lambda key, n=1: None) if isinstance(i, Article)]

    by_name = {Path(item.url).name: item for item in articles(html)}
    # the WARC's target URIs carry the page number the folder's file names have: .../000123/<name>.html
    return [(item, by_name[f"{item.url.split('/')[3]}.html"]) for item in articles(warcs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from datatrove.pipeline.extractors import Trafilatura

    from pipeline.dedup import DedupConfig
    from pipeline.errors import Rejected
    from pipeline.extract import ExtractConfig
    from pipeline.options import configured
    from pipeline.workers import _init_worker, process_document

    _init_worker(configured(ExtractConfig), configured(DedupConfig), None)
    datatrove = Trafilatura(timeout=30)
    pairs = paired_items(args.pages)

    def ours(item) -> None:
        try:
            process_document(item.raw.read(), item.content_kind, item.url, item.source, item.http_encoding)
        except Rejected:
            pass

    def theirs(item) -> None:
        datatrove.extract(item.raw.read().decode("utf-8", "replace"))  # WarcReader hands over decoded text

    systems = {"W": lambda pair: ours(pair[0]), "H": lambda pair: ours(pair[1]), "D": lambda pair: theirs(pair[0])}
    for pair in pairs[:10]:  # models and caches loaded before anything is timed
        for run in systems.values():
            run(pair)
    spent = {name: 0.0 for name in systems}
    for round_ in range(args.rounds):
        for i, pair in enumerate(pairs):
            order = list(systems) if (i + round_) % 2 == 0 else list(reversed(systems))
            for name in order:
                started = time.process_time()
                systems[name](pair)
                spent[name] += time.process_time() - started
    pages = len(pairs) * args.rounds
    ms = {name: seconds / pages * 1e3 for name, seconds in spent.items()}
    print(f"{len(pairs)} pages x {args.rounds} rounds, CPU a page in one process (paired page by page):")
    print(f"  W our worker's work, page from the WARC shard: {ms['W']:6.2f} ms")
    print(f"  H our worker's work, same page as a file:      {ms['H']:6.2f} ms   W/H CPU {ms['W'] / ms['H']:.3f}")
    print(f"  D datatrove's Trafilatura step, same page:     {ms['D']:6.2f} ms   W/D CPU {ms['W'] / ms['D']:.3f}")

    parts: dict[str, float] = {}
    started = time.process_time()
    with timed_parts(parts):
        for pair in pairs:
            ours(pair[0])
    total = time.process_time() - started
    print(f"parts of W ({total / len(pairs) * 1e3:.2f} ms a page, one more pass):")
    for _, _, label in PARTS:
        seconds = parts.get(label, 0.0)
        print(f"  {label:42s} {seconds / len(pairs) * 1e3:6.2f} ms  {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
