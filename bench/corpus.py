"""Benchmark corpora built from the shared development data (`../shared/datasets/`)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"
READABILITY = SHARED / "readability-test-pages"
MULTI_OUTLET = SHARED / "multi-outlet-pages"

# Readability's synthetic unit cases (numeric or descriptive names); every other folder is a real site.
SYNTHETIC_CASES = frozenset(
    """ol js-link-replacement invalid-attributes remove-aria-hidden lazy-image-1 lazy-image-2 lazy-image-3
    normalize-spaces title-en-dash replace-brs remove-extra-brs rtl-1 rtl-2 rtl-3 rtl-4
    comment-inside-script-parsing remove-extra-paragraphs replace-font-tags title-and-h1-discrepancy
    style-tags-removal basic-tags-cleaning visibility-hidden remove-script-tags metadata-content-missing
    parsely-metadata base-url base-url-base-element base-url-base-element-relative embedded-videos
    reordering-paragraphs svg-parsing social-buttons hidden-nodes missing-paragraphs table-style-attributes
    keep-tabular-data data-url-image keep-images links-in-tables article-author-tag schema-org-context-object
    toc-missing clean-links cnet-svg-classes bug-1255978 videos-1 videos-2 dev418 mathjax""".split()
)


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (expected ../shared/datasets beside the checkout)")
    return path


def real_site_pages() -> list[Path]:
    """Folders of real-site pages in the readability set, sorted by name."""
    return sorted(
        p
        for p in require(READABILITY).iterdir()
        if p.is_dir() and not p.name[0].isdigit() and p.name not in SYNTHETIC_CASES
    )
