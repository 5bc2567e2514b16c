"""Benchmark corpora built from the shared development data (`../shared/datasets/`)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"
READABILITY = SHARED / "readability-test-pages"
MULTI_OUTLET = SHARED / "multi-outlet-pages"

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


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (expected ../shared/datasets beside the checkout)")
    return path


def real_site_pages() -> list[Path]:
    """Folders of real-site pages in the readability set, sorted by name."""
    return [require(READABILITY) / name for name in REAL_SITES if (READABILITY / name / "source.html").exists()]
