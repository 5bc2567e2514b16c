"""`ExtractConfig`: every tunable of both extraction modes, loaded from `configs/extract.yaml`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractConfig:
    """Parameters shared by decoding, the text-dump extractor, the HTML extractor and language id.

    Defaults are the values measured best by `bench/extraction.py` (see docs/extraction.md).
    """

    # decoding: a share of C0 control characters above this means the bytes are not text
    max_control_ratio: float = 0.02

    # an extraction with fewer body words than this is not an article
    min_body_words: int = 15

    # text mode: lines this long (characters) are text-like; a template needs one page more for them
    length_low: int = 50

    # text mode, per-site templates: a line is template when seen in this many dumps of a site
    template_min_pages: int = 2
    template_min_shared: int = 3  # dumps are "one site" when they share this many distinct lines
    template_max_pages: int = 500  # remembered dumps per site cluster (oldest forgotten first)

    # HTML mode: trafilatura options
    favor_precision: bool = False
    favor_recall: bool = True
    include_tables: bool = True
    include_comments: bool = False
    date_extensive_search: bool = False  # htmldate's slow search of the whole page text for a date
    html_text_fallback: bool = True  # run the text-mode extractor on the rendered page when trafilatura finds little
    html_second_opinion_words: int = 40  # "little": fewer body words than this (the longer of the two bodies wins)

    # language identification needs this many letters to say anything
    language_min_chars: int = 20

    def __post_init__(self) -> None:
        if self.length_low <= 0:
            raise ValueError("length_low must be positive")
        if self.template_min_pages < 2:
            raise ValueError("template_min_pages must be at least 2: one page cannot show a template")
