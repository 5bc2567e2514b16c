"""Body and title labels for the multi-outlet pages, which come without hand-made article bodies.

    python bench/label_pages.py propose            # (re)compute proposals; keeps every reviewed label
    python bench/label_pages.py show NAME          # the page's dump lines, body lines marked, for review
    python bench/label_pages.py set NAME --review eye-accepted|eye-corrected|excluded [--add 3-9] [--drop 12]
                                        [--only 3-9,12] [--title "..."] [--note "..."]
    python bench/label_pages.py stats

A body proposal is the HTML-mode extraction of the code the split was made with (trafilatura, recall
mode) mapped onto the page's html-text dump lines (`corpus.body_line_mask`). It is accepted without review
("agreement") only when readability-lxml, an independent extractor, agrees with it (word-4-gram F1 >= 0.9);
every other page is "pending" until read by eye. A title is accepted when the page's og:title and first
<h1> give the same headline, else it is read by eye ("eye"; None where the page shows no headline to judge). Labels are stored as line hashes and titles (`bench/labels/multi-outlet.json`), not page text.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import re
import sys
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import LABELS, MULTI_OUTLET, body_line_mask, dump_lines, read_html, render, require  # noqa: E402

LABEL_FILE = LABELS / "multi-outlet.json"
_URL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)|<meta[^>]+property=["']og:url["'][^>]*"""
                  r"""content=["']([^"']+)|<link[^>]+href=["']([^"']+)["'][^>]*rel=["']canonical""", re.I)
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go"}
_BLOG_HOSTS = ("wordpress.com", "blogspot.com", "hypotheses.org")
_TLDS = r"(?:de|com|org|net|at|ch|cl|fr|it|no|info|eu|pl|tn|news|io|pe|cu|tt|uy|vc|ar|br|pa|uk)"


def site_of(name: str, html: str) -> str:
    """The page's site: the brand label of its canonical host, else of the host its file name starts with."""
    host = None
    for match in _URL.finditer(html[:400000]):
        url = next(u for u in match.groups() if u)
        archived = re.search(r"web\.archive\.org/web/\d+/(?:https?://)?([^/]+)", url)
        host = archived.group(1) if archived else (re.match(r"(?:https?:)?//([^/]+)", url) or [None, None])[1]
        if host:
            break
    if not host:
        stem = re.sub(r"^archive\.org\.", "", name.removesuffix(".html").lower())
        found = re.match(rf"^((?:[\w-]+\.)+?{_TLDS})(?=[.-]|$)", stem)
        host = found.group(1) if found else stem
    host = host.lower().split(":")[0].removeprefix("www.").removeprefix("m.")
    if host.endswith(_BLOG_HOSTS):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def _norm_title(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", html_lib.unescape(text or "")).casefold().split())


def _first(pattern: str, html: str) -> str | None:
    match = re.search(pattern, html, re.I | re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group("text"))).split()) if match else None


def propose_one(path: str) -> dict:
    """The proposal for one page: site, HTML-mode body as line hashes, title, and whether readability agrees."""
    from readability import Document

    from pipeline.errors import Rejected
    from pipeline.extract import extract_html
    from pipeline.extract.evaluate import shingle_f1

    name = Path(path).name
    html = read_html(Path(path))
    dump = render(html)
    try:
        ours = extract_html(html)
        text, title = ours.text, ours.title
    except Rejected:
        text, title = "", None
    try:
        second = render(Document(html).summary())
    except Exception:  # readability-lxml fails on some pages: no second opinion then
        second = ""
    mask = body_line_mask(dump, text)
    body = [hashed for (_, hashed), keep in zip(dump_lines(dump), mask) if keep]
    og = _first(r"""<meta[^>]+property=["']og:title["'][^>]*content=(["'])(?P<text>.*?)\1""", html)
    h1 = _first(r"<h1[^>]*>(?P<text>.*?)</h1>", html)
    agree_body = shingle_f1(text, second) if text else 0.0
    agree_title = bool(og and h1 and _norm_title(og) == _norm_title(h1))
    return {"name": name, "site": site_of(name, html), "body": body, "title": h1 if agree_title else None,
            "agreement": round(agree_body, 3), "title_sources": {"og": og, "h1": h1, "html_mode": title},
            "review": "agreement" if agree_body >= 0.9 and body else "pending",
            "title_review": "agreement" if agree_title else "pending"}


def _groups(sites: dict[str, str]) -> dict[str, str]:
    """Page -> split group: its site, merged with the sites of pages labelled as copies of it."""
    pairs = json.loads((MULTI_OUTLET / "labels.json").read_text(encoding="utf-8"))["exact_or_near_duplicate"]
    parent = {site: site for site in sites.values()}

    def root(site: str) -> str:
        while parent[site] != site:
            site = parent[site]
        return site

    for a, b in pairs:
        ra, rb = root(sites[a]), root(sites[b])
        parent[max(ra, rb)] = min(ra, rb)
    return {page: root(site) for page, site in sites.items()}


def load() -> dict:
    return json.loads(LABEL_FILE.read_text(encoding="utf-8")) if LABEL_FILE.exists() else {"pages": {}}


def save(labels: dict) -> None:
    LABEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    LABEL_FILE.write_text(json.dumps(labels, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def propose(jobs: int) -> None:
    labels = load()
    paths = sorted(str(p) for p in require(MULTI_OUTLET).glob("*.html"))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        proposals = list(pool.map(propose_one, paths))
    groups = _groups({p["name"]: p["site"] for p in proposals})
    for proposal in proposals:
        name = proposal.pop("name")
        old = labels["pages"].get(name)
        proposal["group"] = groups[name]
        if old and old.get("title_review") == "eye":  # a title read by eye is never overwritten
            proposal.update(title=old["title"], title_review="eye")
        if old and old["review"] not in ("agreement", "pending"):  # nor a body read by eye
            proposal.update({k: old[k] for k in ("body", "review", "note") if k in old})
        labels["pages"][name] = proposal
    save(labels)
    stats()


def _ranges(spec: str | None) -> set[int]:
    out: set[int] = set()
    for part in (spec or "").split(","):
        if part.strip():
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    return out


def show(name: str) -> None:
    label = load()["pages"][name]
    dump = render(read_html(MULTI_OUTLET / name))
    body = set(label["body"])
    print(f"# {name}  site={label['site']} group={label['group']} review={label['review']} "
          f"agreement={label.get('agreement')}\n# title: {label.get('title')!r}\n# sources: {label.get('title_sources')}")
    for i, (line, hashed) in enumerate(dump_lines(dump)):
        print(f"{i:4d} {'B' if hashed in body else ' '} {line[:220]}")


def set_label(name: str, review: str, add: str | None, drop: str | None, title: str | None, note: str | None,
              only: str | None = None) -> None:
    labels = load()
    label = labels["pages"][name]
    lines = dump_lines(render(read_html(MULTI_OUTLET / name)))
    body = set(label["body"]) if only is None else set()
    body |= {lines[i][1] for i in _ranges(only)}
    body |= {lines[i][1] for i in _ranges(add)}
    body -= {lines[i][1] for i in _ranges(drop)}
    label["body"] = [hashed for _, hashed in lines if hashed in body]
    label["body"] = list(dict.fromkeys(label["body"]))
    label["review"] = review
    if title is not None:
        label.update(title=title or None, title_review="eye")
    if note:
        label["note"] = note
    save(labels)


def stats() -> None:
    pages = load()["pages"]
    counts: dict[str, int] = {}
    for label in pages.values():
        counts[label["review"]] = counts.get(label["review"], 0) + 1
    print(f"{len(pages)} pages: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("propose").add_argument("--jobs", type=int, default=2)
    sub.add_parser("show").add_argument("name")
    setter = sub.add_parser("set")
    setter.add_argument("name")
    setter.add_argument("--review", required=True, choices=["eye-accepted", "eye-corrected", "excluded"])
    for option in ("--add", "--drop", "--title", "--note", "--only"):
        setter.add_argument(option)
    sub.add_parser("stats")
    args = parser.parse_args()
    if args.command == "propose":
        propose(args.jobs)
    elif args.command == "show":
        show(args.name)
    elif args.command == "set":
        set_label(args.name, args.review, args.add, args.drop, args.title, args.note, args.only)
    else:
        stats()


if __name__ == "__main__":
    main()
