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

    # text mode, block classification (jusText-style, on lines of the dump)
    length_low: int = 50  # characters: shorter lines are "short" and judged by context
    length_high: int = 200  # characters: a line this long with enough stopwords is "good" on its own
    stopwords_low: float = 0.22  # stopword density below this: boilerplate
    stopwords_high: float = 0.30  # stopword density at or above this: article-like
    ticker_words: int = 25  # a line this long with almost no punctuation is a glued headline ticker
    # region search scores: text blocks count their characters, the others cost
    short_cost: float = 10.0  # fixed cost of a short line
    short_char_cost: float = 1.0  # plus this per character of a short line
    bad_char_cost: float = 0.5  # per character of a boilerplate line (at least 30)
    short_keep_stopwords: float = 0.0  # a short unpunctuated line inside the body stays above this density
    gap_growth: float = 0.0  # each further boilerplate line in a row costs this much more
    title_window: int = 12  # lines before the body searched for the title

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
    html_text_fallback: bool = True  # run the text-mode extractor on the rendered page when trafilatura finds nothing

    # language identification needs this many letters to say anything
    language_min_chars: int = 20

    def __post_init__(self) -> None:
        if not 0 <= self.stopwords_low <= self.stopwords_high <= 1:
            raise ValueError("need 0 <= stopwords_low <= stopwords_high <= 1")
        if not 0 < self.length_low <= self.length_high:
            raise ValueError("need 0 < length_low <= length_high")
        if self.template_min_pages < 2:
            raise ValueError("template_min_pages must be at least 2: one page cannot show a template")
