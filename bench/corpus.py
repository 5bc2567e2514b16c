"""Benchmark corpora built from the shared development data (`../shared/datasets/`), split by site.

Every page belongs to a *site group*: the site it was saved from, merged with the sites of pages that carry
the same text (a mirror or a syndicated copy of it) so that no text sits on both sides of the split. A
group is a test site when the SHA-1 of `SPLIT_SALT + group` has an odd first byte (half the groups, fixed
forever: new pages never move old ones), a train site otherwise. Tuning and training read train sites only.

Corpora, each page with its text dump (html-text rendering, as the seeds are shaped), reference body,
reference title and how its label was made:
- `readability`: the real-site folders of readability-test-pages, references from `expected.html`
  (hand-made), titles from `expected-metadata.json` with the corrections in `bench/labels/titles.json`;
- `multi-outlet`: multi-outlet-pages, body labels as line hashes in `bench/labels/multi-outlet.json`
  (HTML-mode extraction accepted by agreement or reviewed by eye, see docs/extraction.md);
- `seeds`: the five seed dumps against `tests/resources/seeds_gold.json` (hand-made); they must come out
  exactly right whatever the split says, so they are train pages and never count as a measurement.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"
READABILITY = SHARED / "readability-test-pages"
MULTI_OUTLET = SHARED / "multi-outlet-pages"
LABELS = REPO / "bench" / "labels"
SEEDS_GOLD = REPO / "tests" / "resources" / "seeds_gold.json"
SPLIT_SALT = "newsdedup-extract-split-v1:"

# Folders named after the real site they were saved from; the others are hand-written feature fixtures.
REAL_SITES = (
    "aclu aktualne archive-of-our-own ars-1 bbc-1 blogger breitbart buzzfeed-1 citylab-1 cnet cnn "
    "daringfireball-1 dropbox-blog ebb-org ehow-1 ehow-2 engadget firefox-nightly-blog folha gitlab-blog gmw "
    "google-sre-book-1 guardian-1 heise herald-sun-1 hukumusume iab-1 ietf-1 la-nacion lemonde-1 liberation-1 "
    "lifehacker-post-comment-load lifehacker-working lwn-1 medicalnewstoday medium-1 medium-2 medium-3 mercurial "
    "mozilla-1 mozilla-2 msn nytimes-1 nytimes-2 nytimes-3 nytimes-4 nytimes-5 pixnet qq quanta-1 royal-road "
    "salon-1 seattletimes-1 simplyfound-1 spiceworks telegraph theverge tmz-1 topicseed-1 tumblr v8-blog wapo-1 "
    "wapo-2 webmd-1 webmd-2 wikia wikipedia wikipedia-2 wikipedia-3 wikipedia-4 wordpress yahoo-1 yahoo-2 "
    "yahoo-3 yahoo-4 youth"
).split()
# Readability folders whose name is not "<site>" or "<site>-<n>"; mozilla-1/2 and the nightly blog are one
# organisation's sites and templates.
_READABILITY_SITES = {"lifehacker-post-comment-load": "lifehacker", "lifehacker-working": "lifehacker",
                      "firefox-nightly-blog": "mozilla", "google-sre-book-1": "google"}
# The seeds' sites, from their navigation lines (001 and 003 are pages of one site).
SEED_SITES = {"000_3b93ccf9d086253d.txt": "seed-a", "001_9bd67f855488d76b.txt": "seed-b",
              "002_e29d59dd00f27b6d.txt": "seed-c", "003_47fde8de46d97e9d.txt": "seed-b",
              "004_1619f80fd82b4e79.txt": "seed-d"}


@dataclass(frozen=True)
class Page:
    """One development page with its reference."""

    corpus: str  # readability | multi-outlet | seeds
    name: str
    site: str  # the split group
    html: str | None  # None for the seeds (dumps only)
    dump: str
    reference: str  # the article body
    title: str | None  # the headline, None where the page has none to judge
    label: str  # how the body label was made: hand-made | eye-accepted | eye-corrected | agreement

    @property
    def split(self) -> str:
        # The seeds are a requirement (every one exactly right), not a measurement: always train.
        return "train" if self.corpus == "seeds" else split_of(self.site)


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-"})


def norm_title(text: str | None) -> str:
    """A title for exact comparison: NFKC, invisible format characters (soft hyphens) dropped, case folded,
    typographic quotes and dashes unified, whitespace collapsed."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().translate(_QUOTES).split())


def split_of(site: str) -> str:
    """'test' or 'train' for a site group: a fixed hash, so the split never depends on what is measured."""
    return "test" if hashlib.sha1((SPLIT_SALT + site).encode("utf-8")).digest()[0] % 2 else "train"


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (expected ../shared/datasets beside the checkout)")
    return path


def real_site_pages() -> list[Path]:
    """Folders of real-site pages in the readability set, sorted by name."""
    return [require(READABILITY) / name for name in REAL_SITES if (READABILITY / name / "source.html").exists()]


def render(html: str) -> str:
    """A page as a text dump, the way the bench and training see text mode's input (html-text)."""
    from pipeline.extract.html import html_to_text

    return html_to_text(html)


def read_html(path: Path) -> str:
    """A saved page decoded as the pipeline decodes it (BOM, UTF-8, declared charset, detection)."""
    from pipeline.extract.decode import decode_bytes, sniff_declared

    raw = path.read_bytes()
    return decode_bytes(raw, sniff_declared(raw))


def readability_site(folder: str) -> str:
    return _READABILITY_SITES.get(folder, re.sub(r"-\d+$", "", folder))


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def readability_pages() -> list[Page]:
    """The real-site readability pages with their hand-made references."""
    titles = _load_json(LABELS / "titles.json").get("readability", {})
    pages = []
    for folder in real_site_pages():
        html = read_html(folder / "source.html")
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        reference = render(read_html(folder / "expected.html"))
        title = titles.get(folder.name, {}).get("title", meta.get("title"))
        pages.append(Page("readability", folder.name, readability_site(folder.name), html, render(html),
                          reference, title, "hand-made"))
    return pages


def multi_outlet_pages(with_pending: bool = False) -> list[Page]:
    """The multi-outlet pages whose labels are accepted (see `bench/labels/multi-outlet.json`)."""
    labels = _load_json(LABELS / "multi-outlet.json").get("pages", {})
    pages = []
    for name, label in sorted(labels.items()):
        if label["review"] == "excluded" or (label["review"] == "pending" and not with_pending):
            continue
        html = read_html(require(MULTI_OUTLET) / name)
        dump = render(html)
        title = label["title"] if label["title_review"] != "pending" else None
        pages.append(Page("multi-outlet", name, label["group"], html, dump,
                          reference_from_keys(dump, label["body"], title), title, label["review"]))
    return pages


def seed_pages() -> list[Page]:
    """The five seed dumps with the hand annotation."""
    gold = json.loads(SEEDS_GOLD.read_text(encoding="utf-8"))["documents"]
    return [Page("seeds", name, SEED_SITES[name], None, (REPO / "seeds" / name).read_text(encoding="utf-8"),
                 "\n".join(doc["body"]), doc["title"], "hand-made") for name, doc in sorted(gold.items())]


def line_hash(key: str) -> str:
    """A dump line's label: 12 hex digits of the xxhash64 of its matching key (`blocks.line_key`)."""
    import xxhash

    return xxhash.xxh64_hexdigest(key.encode("utf-8"))[:12]


def dump_lines(dump: str) -> list[tuple[str, str]]:
    """(line as printed, its hash) for every non-blank line of a dump, in order."""
    from pipeline.extract.blocks import line_key

    out = []
    for line in dump.splitlines():
        key = line_key(line)
        if key:
            out.append((line.strip(), line_hash(key)))
    return out


def body_line_mask(dump: str, reference: str) -> list[bool]:
    """Which non-blank dump lines (as `dump_lines` lists them) belong to `reference` (see `body_key_mask`)."""
    from pipeline.extract.blocks import line_key

    return body_key_mask([key for key in map(line_key, dump.splitlines()) if key], reference)


def body_key_mask(keys: list[str], reference: str) -> list[bool]:
    """Which lines, given by their matching keys, belong to `reference`: the line is one of its lines, or
    (4 words and more) at least 60% of the line's word 4-grams occur in it. Short lines need an exact
    match, so a menu word that the article happens to use is never body."""
    from pipeline.extract.blocks import line_key
    from pipeline.extract.evaluate import shingles

    ordered = [line_key(line) for line in reference.splitlines()]
    ref_keys = set(ordered)
    ref_text = "\n".join(ordered)  # in reference order: a set's order changes with each process's hash seed
    ref_shingles = shingles(ref_text)
    mask = []
    for key in keys:
        own = shingles(key)
        if key in ref_keys:
            mask.append(True)
        elif own:
            mask.append(sum(n for s, n in own.items() if s in ref_shingles) >= 0.6 * sum(own.values()))
        else:  # fewer than 4 words: a label, unless it is a long unspaced (CJK) sentence found in the body
            mask.append(len(key) >= 20 and key in ref_text)
    return mask


def training_labels(keys: list[str], reference: str, title: str | None = None) -> list[bool]:
    """Line labels the block classifier learns from: `body_key_mask`, minus what the reference does not hold.

    Under the label convention (see `reference_from_keys`) the dump's first line (the `<title>`) and lines
    equal to the headline are never body, and no text is body more often than the reference prints it: a
    page that prints its article twice (a print version, a teaser or description repeating the lede, an
    ingredient list shown twice) had both copies labelled, teaching the model to keep duplicates. The copies
    kept are those with the most labelled lines around them (the article, not the teaser); the rest lose
    their label. A line's text is available while the reference still holds at least 60% of its word
    4-grams (lines of 4 words and more) or one unused reference line equal to it (shorter lines).
    """
    from pipeline.extract.blocks import line_key
    from pipeline.extract.evaluate import shingles

    title_key = line_key(title) if title else None
    mask = [keep and i > 0 and key != title_key for i, (key, keep) in enumerate(zip(keys, body_key_mask(keys, reference)))]
    ordered = [line_key(line) for line in reference.splitlines()]
    lines_left = Counter(ordered)
    shingles_left = shingles("\n".join(ordered))
    around = [sum(mask[max(0, i - 3):i + 4]) for i in range(len(keys))]
    for i in sorted((i for i, keep in enumerate(mask) if keep), key=lambda i: (-around[i], i)):
        own = shingles(keys[i])
        if own:
            available = sum(min(n, max(shingles_left[s], 0)) for s, n in own.items())
            mask[i] = available >= 0.6 * sum(own.values())
            if mask[i]:
                shingles_left.subtract(own)
        else:
            mask[i] = lines_left[keys[i]] > 0 or len(keys[i]) >= 20  # a long unspaced (CJK) line found in the body
        lines_left[keys[i]] -= mask[i]
    return mask


def reference_from_keys(dump: str, keys: list[str], title: str | None = None) -> str:
    """The labelled body: the dump's lines whose hash is in `keys`, in page order, each once.

    Label convention (as in readability's and the seeds' references): the headline is not body, so the
    dump's first line (html-text prints the <title> there) and lines equal to the title never are.
    """
    wanted, seen, body = set(keys), set(), []
    for i, (line, hashed) in enumerate(dump_lines(dump)):
        if i == 0 or (title and norm_title(line) == norm_title(title)):
            continue
        if hashed in wanted and hashed not in seen:
            seen.add(hashed)
            body.append(line)
    return "\n".join(body)


def all_pages(corpora: tuple[str, ...] = ("readability", "multi-outlet", "seeds")) -> list[Page]:
    loaders = {"readability": readability_pages, "multi-outlet": multi_outlet_pages, "seeds": seed_pages}
    return [page for corpus in corpora for page in loaders[corpus]()]
