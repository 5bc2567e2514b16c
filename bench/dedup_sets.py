"""Unseen-style evaluation sets for dedup, built from the shared pages (`../shared/datasets/`), split by site.

- **Syndication set**: every article several times, as text dumps that go through the real text extractor:
  its own page rendered with `html-text` (menus, comments and related lists included); the body re-wrapped
  in another site's header and footer with ~1 % of words changed; the body with one paragraph dropped
  under a new "Exclusive:" title in a third site's wrapper; and one more copy per article from the other
  recipes real syndication shows (truncated with a "read more" line, an agency credit line and dateline, a
  different byline). Wrappers are the real top and bottom of other pages of the same half.
- **Same-story set**: the multi-outlet pages through the HTML extractor, with the hand labels of
  `bench/dedup_story_labels.json` (same story, hard negatives: same company/topic, different event).

Sites are split in two halves by a hash of their name (pages labelled as related stay together): `dev` is
for tuning, `test` is reported. Nothing here looks at the engine under test.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.corpus import MULTI_OUTLET, real_site_pages, require

LABELS = Path(__file__).resolve().parent / "dedup_story_labels.json"
MIN_BODY_WORDS = 150
WRAPPER_LINES = 40  # of a donor page's top and bottom: a site's wrapper, not its whole sitemap
ARTICLE_MARGIN = 8  # lines next to the article that are its own (dek, byline, author box, tags, share row)
WRAPPER_LINE_CHARS = 200  # menus, labels, teasers, legal lines; longer lines are another page's comments or text


@dataclass(frozen=True)
class Page:
    """One real page: its site, title, article paragraphs and the whole page rendered as text."""

    name: str
    site: str
    title: str
    body: list[str]
    dump: str


@dataclass(frozen=True)
class Doc:
    """One input of a set: a text dump (or HTML page) and the article it is a copy of."""

    url: str
    raw: str
    article: str
    recipe: str


def _key(line: str) -> str:
    return " ".join(line.lower().split())[:60]


def _site(name: str) -> str:
    """The site a page was saved from, from its file or folder name (`nytimes-3` -> nytimes,
    `24horas.cl-segundo.html` -> 24horas.cl, `archive.org.he.xinhuanet.com...` -> archive.org)."""
    stem = name.removesuffix(".html")
    if "." not in stem.split("-")[0]:
        return stem.split("-")[0].lower()
    labels = re.split(r"[-_ ]", stem)[0].split(".")
    return ".".join(labels[:2]).lower()


def _component_halves(pages: list[str], groups: list[list[str]]) -> dict[str, str]:
    """'dev' or 'test' per page: pages of one site, or linked by a label, fall in the same half."""
    parent = {p: p for p in pages}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    by_site: dict[str, str] = {}
    for p in pages:
        first = by_site.setdefault(_site(p), p)
        parent[find(p)] = find(first)
    for group in groups:
        present = [p for p in group if p in parent]
        for p in present[1:]:
            parent[find(p)] = find(present[0])
    members: dict[str, list[str]] = {}
    for p in pages:
        members.setdefault(find(p), []).append(p)
    halves = {}
    for group in members.values():
        digest = hashlib.sha1(min(_site(p) for p in group).encode()).digest()
        for p in group:
            halves[p] = "dev" if digest[0] % 2 == 0 else "test"
    return halves


def labels() -> dict:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def _labelled_groups() -> list[list[str]]:
    lab = labels()
    return [*lab["same_story"], *lab["hard_negative"], *lab["unsure"], *lab["near_duplicate"]]


def _html_text(html: str) -> str:
    import html_text

    return html_text.extract_text(html, guess_layout=True)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.splitlines() if p.strip()]


def reference_pages() -> list[Page]:
    """Real pages with an article of at least MIN_BODY_WORDS words, one per distinct article."""
    import trafilatura

    pages = []
    for folder in real_site_pages():
        body = _paragraphs(_html_text((folder / "expected.html").read_text(encoding="utf-8", errors="replace")))
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        source = (folder / "source.html").read_text(encoding="utf-8", errors="replace")
        pages.append(Page(folder.name, _site(folder.name), (meta.get("title") or "").strip(), body, _html_text(source)))
    for path in sorted(require(MULTI_OUTLET).glob("*.html")):
        html = path.read_text(encoding="utf-8", errors="replace")
        body = _paragraphs(trafilatura.extract(html) or "")
        meta = trafilatura.extract_metadata(html)
        title = (meta.title if meta is not None and meta.title else "").strip()
        pages.append(Page(path.name, _site(path.name), title, body, _html_text(html)))
    pages = [p for p in pages if sum(len(x.split()) for x in p.body) >= MIN_BODY_WORDS and p.title]
    return _distinct(pages)


def _distinct(pages: list[Page]) -> list[Page]:
    """Drop pages repeating an earlier one's article (the readability set has one article in several folders;
    the multi-outlet set has labelled mirrors), judged by exact word-trigram overlap, not by the engine."""
    kept, grams = [], []
    for page in pages:
        words = " ".join(page.body).lower().split()
        mine = {tuple(words[i : i + 3]) for i in range(len(words) - 2)}
        if all(len(mine & g) / min(len(mine), len(g)) < 0.2 for g in grams):
            kept.append(page)
            grams.append(mine)
    return kept


@dataclass(frozen=True)
class Wrapper:
    """A site's page around its article: the short lines above its title and below its body (navigation,
    labels, headlines, legal lines; not the donor article's own comments, which no other page carries)."""

    site: str
    header: list[str]
    footer: list[str]


def wrapper(page: Page) -> Wrapper | None:
    """The page's own header and footer, located by its article's title and first and last paragraphs in the
    dump. What sits next to the article (dek, byline, author box, tags) belongs to that article, not the site:
    the header stops at the title (or a few lines above the body), the footer starts a few lines below it."""
    lines = [line for line in page.dump.splitlines() if line.strip()]
    keys = [_key(line) for line in lines]
    body_keys = {_key(p) for p in page.body if len(p) >= 40}
    at = [i for i, k in enumerate(keys) if k in body_keys]
    if len(at) < 2:
        return None
    title = _key(page.title)[:30]
    top = next((i for i in range(at[0]) if len(keys[i]) >= 15 and (keys[i].startswith(title) or title.startswith(keys[i][:30]))), None)
    top = max(0, at[0] - ARTICLE_MARGIN) if top is None else top
    chrome = lambda part: [line for line in part if len(line) <= WRAPPER_LINE_CHARS]  # noqa: E731
    return Wrapper(page.site, chrome(lines[:top])[:WRAPPER_LINES], chrome(lines[at[-1] + 1 + ARTICLE_MARGIN :])[-WRAPPER_LINES:])


def _change_words(paragraphs: list[str], share: float, donor: list[str], rng: np.random.Generator) -> list[str]:
    out = []
    for p in paragraphs:
        words = p.split(" ")
        out.append(" ".join(str(rng.choice(donor)) if rng.random() < share else w for w in words))
    return out


def _wrap(w: Wrapper, lines: list[str]) -> str:
    return "\n".join([*w.header, *lines, *w.footer]) + "\n"


BYLINES = ("By Maria Keller, Staff Writer", "Von Jonas Berger", "Por Ana Sofía Ruiz", "Par Claire Dubois")
AGENCIES = ("(Reuters) - ", "(AP) — ", "(AFP) - ", "(dpa) - ")


def syndication_docs(pages: list[Page], wrappers: list[Wrapper], rng: np.random.Generator) -> list[Doc]:
    """Copies of every page (see the module docstring), each wrapped by other sites of the same set."""
    donor = " ".join(" ".join(p.body) for p in pages).split()
    docs = []
    for i, page in enumerate(pages):
        others = [w for w in wrappers if w.site != page.site]
        w1, w2, w3 = (others[j] for j in rng.choice(len(others), 3, replace=False))
        body = page.body
        docs.append(Doc(f"https://{page.site}/{i}", page.dump, page.name, "page"))
        docs.append(Doc(f"https://{w1.site}/rewrap/{i}", _wrap(w1, [page.title, *_change_words(body, 0.01, donor, rng)]), page.name, "rewrap"))
        drop = int(rng.integers(1, len(body))) if len(body) > 1 else 0
        lead = " ".join(body[0].split()[:12]).rstrip(".,;:")
        shorter = body[:drop] + body[drop + 1 :] if len(body) > 2 else body
        docs.append(Doc(f"https://{w2.site}/exclusive/{i}", _wrap(w2, [f"Exclusive: {lead}", *shorter]), page.name, "exclusive"))
        extra = i % 3
        if extra == 0:  # the first ~60 % of the paragraphs and a link to the rest
            cut = body[: max(2, int(round(0.6 * len(body))))]
            lines = [page.title, *cut, f"Read the full story at {page.site}"]
            docs.append(Doc(f"https://{w3.site}/truncated/{i}", _wrap(w3, lines), page.name, "truncated"))
        elif extra == 1:  # agency copy: dateline and credit prefixed, a credit line after the body
            lines = [page.title, AGENCIES[i % 4] + body[0], *body[1:], "Reporting by staff correspondents; editing by the desk"]
            docs.append(Doc(f"https://{w3.site}/agency/{i}", _wrap(w3, lines), page.name, "agency"))
        else:  # another byline and date above the same body
            lines = [page.title, BYLINES[i % 4], f"Published {1 + i % 28} May 2022, {8 + i % 12}:{i % 60:02d}", *body]
            docs.append(Doc(f"https://{w3.site}/byline/{i}", _wrap(w3, lines), page.name, "byline"))
    return docs


def syndication_set(half: str, seed: int = 3, pages: list[Page] | None = None) -> list[Doc]:
    """The syndication documents of one half ('dev' or 'test'), in a shuffled order."""
    pages = reference_pages() if pages is None else pages
    halves = _component_halves([p.name for p in pages], _labelled_groups())
    mine = [p for p in pages if halves[p.name] == half]
    wrappers = [w for w in (wrapper(p) for p in mine) if w is not None]
    rng = np.random.default_rng(seed)
    docs = syndication_docs(mine, wrappers, rng)
    return [docs[k] for k in rng.permutation(len(docs))]


def story_set(half: str) -> tuple[list[Doc], dict[str, list[frozenset[str]]]]:
    """The multi-outlet pages of one half as HTML inputs, and the labelled pairs among them."""
    lab = labels()
    names = sorted(p.name for p in require(MULTI_OUTLET).glob("*.html"))
    halves = _component_halves(names, _labelled_groups())
    mine = [n for n in names if halves[n] == half]
    docs = [Doc(f"file:///multi-outlet/{n}", (MULTI_OUTLET / n).read_text(encoding="utf-8", errors="replace"), n, "html") for n in mine]
    kept = set(mine)
    pairs = {kind: [frozenset(p) for p in lab[kind] if set(p) <= kept] for kind in ("same_story", "hard_negative", "unsure", "near_duplicate")}
    return docs, pairs
