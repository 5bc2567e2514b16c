"""Text-dump mode: boilerplate removal on the plain text of a whole page, without its HTML.

Each non-blank line is a block. Blocks are classified jusText-style from length, stopword density and
punctuation (plus glued-ticker, repetition and site-template signals), the article is the contiguous
run of blocks with the highest content score (Kadane over per-block scores), short lines inside it are
kept when they read like text, and the title is the heading-like line just above the body that the
page repeats or whose words the body uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.extract.blocks import Block, split_blocks
from pipeline.extract.config import ExtractConfig
from pipeline.text.language import detect_language, stopwords
from pipeline.extract.meta import find_author, find_date, pick_title

logger = logging.getLogger(__name__)


@dataclass
class TextResult:
    """What the text mode found in one dump (the public `Extracted` is built from it)."""

    title: str | None
    paragraphs: list[str]
    author: str | None
    published_at: object | None
    language: str | None


def _classify(block: Block, config: ExtractConfig) -> str:
    """jusText-style class from the block's own features."""
    if block.template or block.link_cue:
        return "bad"
    if not block.ends_sentence:
        if block.words >= config.ticker_words:
            return "bad"  # real paragraphs end like sentences; a long unpunctuated line is glued link text
        if block.chars < config.length_high:
            return "short"  # heading, label or link: its neighbours decide
    if block.chars < config.length_low:
        return "short"
    if block.repeated and block.stop_density < config.stopwords_high:
        return "bad"  # navigation printed twice (menu and its mobile copy)
    if block.stop_density >= config.stopwords_high and (block.chars >= config.length_high or block.ends_sentence):
        return "good"
    if block.stop_density >= config.stopwords_low:
        return "neargood"
    return "bad"


def _score(block: Block, config: ExtractConfig) -> float:
    """Content evidence of one block for the region search: positive for text, negative for boilerplate."""
    if block.klass == "good":
        return float(block.chars)
    if block.klass == "neargood":
        return 0.5 * block.chars
    if block.klass == "short":
        return -(config.short_cost + config.short_char_cost * block.chars)
    return -max(30.0, config.bad_char_cost * block.chars)


def _best_region(blocks: list[Block], config: ExtractConfig) -> tuple[int, int] | None:
    """Indexes [start, end) of the maximum-score contiguous run of blocks (Kadane), None if all negative.

    Runs of boilerplate cost progressively more (`gap_growth`): a long stretch of menu or sidebar lines
    separates two texts, while a caption or two inside an article does not.
    """
    best, best_span = 0.0, None
    running, start, gap = 0.0, 0, 0
    for i, block in enumerate(blocks):
        if running <= 0:
            running, start = 0.0, i
        score = _score(block, config)
        gap = gap + 1 if score < 0 else 0
        running += score - (config.gap_growth * (gap - 1) if gap > 1 else 0.0)
        if running > best:
            best, best_span = running, (start, i + 1)
    return best_span


def _keep_short(block: Block, config: ExtractConfig) -> bool:
    """Whether a short line inside the article reads like text rather than a label, credit or link."""
    if block.template or block.repeated:
        return False
    if block.ends_sentence and block.stop_density >= config.stopwords_low:
        return True
    return block.words >= 3 and block.stop_density >= config.short_keep_stopwords


def extract_dump(dump: str, config: ExtractConfig, template_keys: frozenset[str] = frozenset()) -> TextResult:
    """Title, body paragraphs, author, date and language of one page text dump."""
    language = detect_language(dump, config.language_min_chars)
    blocks = split_blocks(dump, stopwords(language))
    for block in blocks:
        block.template = block.key in template_keys
        block.klass = _classify(block, config)
    region = _best_region(blocks, config)
    if region is None:
        return TextResult(None, [], None, None, language)
    start, end = region
    goods = [i for i in range(start, end) if blocks[i].klass == "good"][:2]
    # The title may sit inside the region when a long header line (a ticker) was taken for text.
    title_block = pick_title(blocks, start, goods[-1] if goods else start, end, config)
    if title_block is not None and title_block.index >= start:
        start = title_block.index + 1  # the region swallowed the header (e.g. a headline ticker): cut at the title
    title_key = title_block.key if title_block else None
    paragraphs = []
    for block in blocks[start:end]:
        if block.key == title_key:
            continue  # the title repeated inside the article (photo caption, share box)
        if block.klass in ("good", "neargood") or (block.klass == "short" and _keep_short(block, config)):
            paragraphs.append(block.text)
    author = find_author(blocks, start, end, title_block, language)
    published = find_date(blocks, start, title_block, language)
    return TextResult(title_block.text if title_block else None, paragraphs, author, published, language)
