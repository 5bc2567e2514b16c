"""Extraction benchmark: word-4-gram shingle P/R/F1 and title/author/date accuracy, both modes, with baselines.

    .venv/bin/python bench/extraction.py [--pages DIR] [--seeds DIR] [--jobs N]

Seeds: `seeds/*.txt` against tests/resources/seeds_gold.json (text mode, with and without site templates).
Development set: the real-site pages of ../shared/datasets/readability-test-pages; the text mode reads
each source.html rendered to text by html-text, the HTML mode reads the HTML; the reference body is
the html-text rendering of expected.html. Baselines measured in the same run: the raw dump, jusText on
the dump, and trafilatura with its default, precision and recall settings.

The measure (as in public article-extraction benchmarks): `\\w+` tokens, 4-word shingles as multisets;
per document TP/FP/FN normalized to sum to 1; TP/FP/FN averaged over documents; P and R from the
averages, F1 from P and R.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import REAL_SITES  # noqa: E402
from pipeline.errors import Rejected  # noqa: E402
from pipeline.extract import ExtractConfig, SiteTemplates, extract_html, extract_text  # noqa: E402
from pipeline.extract.evaluate import prf, shingle_counts  # noqa: E402
from pipeline.extract.html import html_to_text, parse_date, trafilatura_document  # noqa: E402

logger = logging.getLogger(__name__)


_WORD = re.compile(r"\w+")


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return " ".join(text.split())


def title_ok(expected: str | None, found: str | None) -> bool:
    """The same headline: equal after normalization, one containing the other, or word Dice >= 0.8.

    Readability's expected titles sometimes keep the site name ("... | eHow", "... _光明网") and
    sometimes come from <title> where the page's <h1> words it slightly differently.
    """
    e, f = _norm(expected), _norm(found)
    if not e or not f:
        return False
    # the headline part of the expected title: its longest segment between site-name separators
    headline = max(re.split(r"\s+[|\-·:»]\s+|_|\[", e), key=len).strip()
    if e == f or any(len(a) >= 5 and a in b for a, b in ((f, e), (e, f), (headline, f))):
        return True
    we, wf = set(_WORD.findall(e)), set(_WORD.findall(f))
    return bool(we and wf) and 2 * len(we & wf) / (len(we) + len(wf)) >= 0.8


def author_ok(expected: str | None, found: str | None) -> bool:
    e, f = _norm(expected), _norm(found)
    e = re.sub(r"^(by|par|von|por)\s+", "", e)
    return bool(f) and (f in e or e in f)


def date_ok(expected: str | None, found) -> bool:
    return found is not None and bool(expected) and expected[:10] == found.date().isoformat()


def justext_on_dump(dump: str, language: str | None) -> str:
    """jusText baseline on a text dump: every line becomes one <p>."""
    import html

    import justext

    from pipeline.text.language import _JUSTEXT_NAMES

    stoplist = justext.get_stoplist(_JUSTEXT_NAMES.get(language or "en", "English"))
    page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in dump.splitlines() if line.strip()) + "</body></html>"
    return "\n".join(p.text for p in justext.justext(page.encode("utf-8"), stoplist) if not p.is_boilerplate)


def _safe(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Rejected:
        return None


def run_page(folder: str) -> dict:
    """All systems on one development page: shingle counts and metadata checks per system."""
    from pipeline.text.language import detect_language

    path = Path(folder)
    html = (path / "source.html").read_text(encoding="utf-8", errors="replace")
    reference = html_to_text((path / "expected.html").read_text(encoding="utf-8", errors="replace"))
    meta = json.loads((path / "expected-metadata.json").read_text(encoding="utf-8"))
    dump = html_to_text(html)
    config = ExtractConfig()
    out: dict = {"page": path.name, "meta": {k: meta.get(k) for k in ("title", "byline", "publishedTime")}}
    systems: dict[str, tuple] = {}
    systems["raw dump"] = (dump, None, None, None)
    systems["jusText on dump"] = (justext_on_dump(dump, detect_language(dump)), None, None, None)
    text = _safe(extract_text, dump, config=config)
    systems["text mode"] = (text.text, text.title, text.author, text.published_at) if text else ("", None, None, None)
    for name, overrides in (("trafilatura default", {"favor_recall": False, "include_comments": True}),
                            ("trafilatura precision", {"favor_precision": True, "favor_recall": False}),
                            ("trafilatura recall", {"favor_recall": True, "favor_precision": False})):
        doc = trafilatura_document(html, None, config, **overrides)
        systems[name] = (doc.text or "", doc.title, doc.author, parse_date(doc.date)) if doc else ("", None, None, None)
    ours = _safe(extract_html, html, config=config)
    systems["html mode"] = (ours.text, ours.title, ours.author, ours.published_at) if ours else ("", None, None, None)
    for name, (body, title, author, date) in systems.items():
        out[name] = {
            "counts": shingle_counts(reference, body),
            "title": title_ok(meta.get("title"), title) if title is not None or name.endswith("mode") else None,
            "author": author_ok(meta.get("byline"), author),
            "date": date_ok(meta.get("publishedTime"), date),
            "found_title": title,
        }
    return out


def bench_seeds(seeds: Path, gold_path: Path) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))["documents"]
    templates = SiteTemplates()
    dumps = {name: (seeds / name).read_text(encoding="utf-8") for name in sorted(gold)}
    for dump in dumps.values():
        templates.observe("file", dump)
    rows: dict[str, list] = {"raw dump": [], "jusText on dump": [], "text mode": [], "text mode + templates": []}
    titles = {"text mode": 0, "text mode + templates": 0}
    print(f"\n== seeds ({len(dumps)} dumps vs {gold_path.name}) ==")
    for name, dump in dumps.items():
        reference = "\n".join(gold[name]["body"])
        plain = extract_text(dump)
        learned = extract_text(dump, source="file", templates=templates)
        rows["raw dump"].append(shingle_counts(reference, dump))
        rows["jusText on dump"].append(shingle_counts(reference, justext_on_dump(dump, "ar")))
        for label, result in (("text mode", plain), ("text mode + templates", learned)):
            rows[label].append(shingle_counts(reference, result.text))
            titles[label] += result.title == gold[name]["title"]
        f1 = prf([rows["text mode"][-1]])[2]
        print(f"  {name}  F1 {f1:.3f}  title {'ok' if plain.title == gold[name]['title'] else 'WRONG'}"
              f"  author {plain.author!r} (gold {gold[name].get('author')!r})  lang {plain.language}")
    for label, counts in rows.items():
        p, r, f = prf(counts)
        extra = f"  titles {titles[label]}/{len(dumps)}" if label in titles else ""
        print(f"  {label:28s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}{extra}")


def bench_pages(pages: Path, jobs: int, verbose: bool) -> None:
    folders = [str(pages / name) for name in REAL_SITES if (pages / name / "source.html").exists()]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(run_page, folders))
    print(f"\n== development set: {len(results)} real-site pages of {pages} ({time.perf_counter() - started:.0f} s) ==")
    names = [k for k in results[0] if k not in ("page", "meta")]
    print(f"  {'system':28s} {'P':>6s} {'R':>6s} {'F1':>6s}   title   author    date")
    has_author = [r for r in results if r["meta"]["byline"]]
    has_date = [r for r in results if r["meta"]["publishedTime"]]
    for name in names:
        p, r, f = prf([res[name]["counts"] for res in results])
        judged = [res for res in results if res[name]["title"] is not None]
        line = f"  {name:28s} {p:6.3f} {r:6.3f} {f:6.3f}"
        if judged:
            line += f"  {sum(res[name]['title'] for res in judged) / len(judged):6.1%}"
            line += f"  {sum(res[name]['author'] for res in has_author)}/{len(has_author)}"
            line += f"  {sum(res[name]['date'] for res in has_date)}/{len(has_date)}"
        print(line)
    if verbose:
        for res in sorted(results, key=lambda x: prf([x["text mode"]["counts"]])[2]):
            print(f"  {res['page']:30s} text F1 {prf([res['text mode']['counts']])[2]:.3f}"
                  f"  html F1 {prf([res['html mode']['counts']])[2]:.3f}"
                  f"  title(text) {res['text mode']['found_title']!r:.60}  title(html) {res['html mode']['title']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, default=REPO.parent / "shared/datasets/readability-test-pages")
    parser.add_argument("--seeds", type=Path, default=REPO / "seeds")
    parser.add_argument("--gold", type=Path, default=REPO / "tests/resources/seeds_gold.json")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-v", "--verbose", action="store_true", help="per-page F1 and titles")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    bench_seeds(args.seeds, args.gold)
    if not args.pages.is_dir():
        sys.exit(f"development set not found at {args.pages}: pass --pages DIR (readability-test-pages)")
    bench_pages(args.pages, args.jobs, args.verbose)


if __name__ == "__main__":
    main()
