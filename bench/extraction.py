"""Extraction benchmark on sites split into train and test: body P/R/F1 and title accuracy, both modes.

    .venv/bin/python bench/extraction.py [--split test|train|all] [--jobs N] [-v]

Pages (see bench/corpus.py): readability real-site pages (hand-made bodies), multi-outlet pages (labelled
bodies, see docs/extraction.md) and the five seeds; every figure is given for test sites and train sites
apart, overall and per language group. Text mode reads each page's html-text dump; HTML mode reads the HTML.
Beside ours, in the same run: today's extractor (`bench/baseline.py`: the commit before this work),
trafilatura's default, precision and recall settings, and readability-lxml.

Body measure (`pipeline/extract/evaluate.py`): `\\w+` tokens, word-4-gram shingle multisets, per-document
TP/FP/FN normalized to sum 1, averaged over documents; P and R from the averages, F1 from P and R.
Titles: "exact" = equal after NFKC, case folding and whitespace collapsing (the target); "lenient" = the
measure used before (one containing the other, the headline segment contained, or word Dice >= 0.8).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.baseline import BASELINE_COMMIT, baseline_outputs  # noqa: E402
from bench.corpus import Page, all_pages, norm_title  # noqa: E402
from pipeline.errors import Rejected  # noqa: E402
from pipeline.extract import ExtractConfig, SiteTemplates, extract_html, extract_text  # noqa: E402
from pipeline.extract.evaluate import prf, shingle_counts  # noqa: E402

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
# Output that is a consent, newsletter or sign-up notice instead of an article (checked on its start).
_NOTICE = re.compile(r"cookie|consent|newsletter|privacy overview|datenschutz|einwilligung|abonn|subscribe|"
                     r"sign up|inscr[ií]b|suscr[ií]b|política de privacidad|politique de confidentialité", re.I)
LANGUAGE_GROUPS = {"en": "en", "de": "de", "es": "es/pt", "pt": "es/pt", "fr": "fr/it", "it": "fr/it",
                   "zh": "zh/ja", "ja": "zh/ja", "ar": "ar"}
TEXT_SYSTEMS = ("today text", "text mode", "text mode + templates")
HTML_SYSTEMS = ("today html", "trafilatura default", "trafilatura precision", "trafilatura recall",
                "readability-lxml", "html mode")


def title_exact(expected: str | None, found: str | None) -> bool:
    return bool(expected) and norm_title(expected) == norm_title(found)


def title_lenient(expected: str | None, found: str | None) -> bool:
    """The measure used before this work: containment, headline segment, or word Dice >= 0.8."""
    e, f = norm_title(expected), norm_title(found)
    if not e or not f:
        return False
    headline = max(re.split(r"\s+[|\-·:»]\s+|_|\[", e), key=len).strip()
    if e == f or any(len(a) >= 5 and a in b for a, b in ((f, e), (e, f), (headline, f))):
        return True
    we, wf = set(_WORD.findall(e)), set(_WORD.findall(f))
    return bool(we and wf) and 2 * len(we & wf) / (len(we) + len(wf)) >= 0.8


def language_group(page: Page) -> str:
    from pipeline.text.language import detect_language

    return LANGUAGE_GROUPS.get(detect_language(page.reference or page.dump) or "", "other")


def _attempt(fn, *args, **kwargs) -> tuple[str | None, str]:
    try:
        found = fn(*args, **kwargs)
    except Rejected:
        return None, ""
    return found.title, found.text


def run_page(page: Page, templates: SiteTemplates | None) -> dict:
    """Our systems and the library baselines on one page: (title, text) per system."""
    import trafilatura

    config = ExtractConfig()
    out = {"text mode": _attempt(extract_text, page.dump, config=config)}
    if templates is not None:
        out["text mode + templates"] = _attempt(extract_text, page.dump, source="file", templates=templates,
                                                config=config)
    if page.html is not None:
        out["html mode"] = _attempt(extract_html, page.html, config=config)
        for name, options in (("trafilatura default", {}), ("trafilatura precision", {"favor_precision": True}),
                              ("trafilatura recall", {"favor_recall": True})):
            doc = trafilatura.bare_extraction(page.html, with_metadata=True, deduplicate=False, **options)
            out[name] = (doc.title, doc.text or "") if doc else (None, "")
        out["readability-lxml"] = _readability(page.html)
    return out


def _readability(html: str) -> tuple[str | None, str]:
    from readability import Document

    from bench.corpus import render

    try:
        document = Document(html)
        return document.short_title(), render(document.summary())
    except Exception:  # readability-lxml raises on pages it cannot parse: an empty answer, like a rejection
        return None, ""


def _run(args: tuple[Page, SiteTemplates | None]) -> dict:
    return run_page(*args)


def evaluate(pages: list[Page], jobs: int) -> list[dict]:
    """Every system's output on every page, with today's extractor from the baseline commit."""
    templates: dict[str, SiteTemplates] = defaultdict(SiteTemplates)
    for page in pages:  # each corpus is one folder of files: one source, many sites, as a user would feed it
        templates[page.corpus].observe("file", page.dump)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        outputs = list(pool.map(_run, [(p, templates[p.corpus]) for p in pages], chunksize=4))
    today_text = baseline_outputs([("text", p.dump) for p in pages])
    html_pages = [i for i, p in enumerate(pages) if p.html is not None]
    today_html = dict(zip(html_pages, baseline_outputs([("html", pages[i].html) for i in html_pages])))
    for i, out in enumerate(outputs):
        out["today text"] = (today_text[i]["title"], today_text[i]["text"])
        if i in today_html:
            out["today html"] = (today_html[i]["title"], today_html[i]["text"])
    return outputs


def summarize(rows: list[tuple[Page, dict]], systems: tuple[str, ...]) -> list[str]:
    lines = []
    for system in systems:
        judged = [(page, out[system]) for page, out in rows if system in out]
        if not judged:
            continue
        p, r, f = prf([shingle_counts(page.reference, text) for page, (_, text) in judged])
        titled = [(page, title) for page, (title, _) in judged if page.title]
        exact = sum(title_exact(page.title, t) for page, t in titled)
        lenient = sum(title_lenient(page.title, t) for page, t in titled)
        notices = sum(bool(_NOTICE.search(text[:300])) and prf([shingle_counts(page.reference, text)])[2] < 0.2
                      for page, (_, text) in judged)
        title = f"{exact / len(titled):6.1%} {lenient / len(titled):6.1%}" if titled else f"{'':6s} {'':6s}"
        lines.append(f"    {system:24s} {len(judged):4d} {p:6.3f} {r:6.3f} {f:6.3f}  {title}  {notices:3d}")
    return lines


def report(pages: list[Page], outputs: list[dict], splits: list[str]) -> None:
    groups = [language_group(page) for page in pages]
    header = f"    {'system':24s} {'pages':>4s} {'P':>6s} {'R':>6s} {'F1':>6s}  {'title exact/lenient':>13s}  notices"
    for split in splits:
        chosen = [(p, o, g) for p, o, g in zip(pages, outputs, groups) if p.split == split]
        for label, systems in (("text dumps", TEXT_SYSTEMS), ("HTML", HTML_SYSTEMS)):
            print(f"\n== {split} sites, {label} ==")
            print(header)
            sections = [("all", chosen)]
            sections += [(f"corpus {c}", [x for x in chosen if x[0].corpus == c]) for c in ("readability", "multi-outlet", "seeds")]
            sections += [(f"language {g}", [x for x in chosen if x[2] == g]) for g in sorted(set(groups))]
            for name, subset in sections:
                lines = summarize([(p, o) for p, o, _ in subset], systems)
                if lines:
                    sites = len({p.site for p, _, _ in subset})
                    print(f"  {name} ({len(subset)} pages, {sites} sites)")
                    print("\n".join(lines))


def verbose(pages: list[Page], outputs: list[dict], split: str) -> None:
    """Per-page F1 and titles, worst text-mode pages first (train sites only unless asked)."""
    rows = [(p, o) for p, o in zip(pages, outputs) if p.split == split]
    rows.sort(key=lambda row: prf([shingle_counts(row[0].reference, row[1]["text mode"][1])])[2])
    for page, out in rows:
        f_text = prf([shingle_counts(page.reference, out["text mode"][1])])[2]
        f_today = prf([shingle_counts(page.reference, out["today text"][1])])[2]
        html = f"  html {prf([shingle_counts(page.reference, out['html mode'][1])])[2]:.3f}" if "html mode" in out else ""
        print(f"  {page.corpus[:5]} {page.name[:40]:40s} text {f_text:.3f} (today {f_today:.3f}){html}"
              f"  title {'ok' if title_exact(page.title, out['text mode'][0]) else '--'} {out['text mode'][0]!r:.50}"
              f"  | gold {page.title!r:.50}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["test", "train", "all"], default="all")
    parser.add_argument("--corpus", action="append", choices=["readability", "multi-outlet", "seeds"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-v", "--verbose", action="store_true", help="per-page figures (of train sites)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    pages = all_pages(tuple(args.corpus or ("readability", "multi-outlet", "seeds")))
    outputs = evaluate(pages, args.jobs)
    splits = ["test", "train"] if args.split == "all" else [args.split]
    print(f"{len(pages)} pages ({sum(p.split == 'test' for p in pages)} on test sites); today = commit "
          f"{BASELINE_COMMIT[:10]}; {time.perf_counter() - started:.0f} s")
    report(pages, outputs, splits)
    if args.verbose:
        verbose(pages, outputs, "train" if args.split == "all" else args.split)


if __name__ == "__main__":
    main()
