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

import numpy as np

from pipeline.extract.blocks import split_blocks
from pipeline.extract.config import ExtractConfig
from pipeline.extract.features import block_features
from pipeline.extract.meta import find_author, find_date, pick_title
from pipeline.extract.model import block_model
from pipeline.extract.region import RegionRule, best_region, keep_cutoff
from pipeline.text.language import detect_language, stopwords

logger = logging.getLogger(__name__)


@dataclass
class TextResult:
    """What the text mode found in one dump (the public `Extracted` is built from it)."""

    title: str | None
    paragraphs: list[str]
    author: str | None
    published_at: object | None
    language: str | None


def extract_dump(dump: str, config: ExtractConfig, template_keys: frozenset[str] = frozenset()) -> TextResult:
    """Title, body paragraphs, author, date and language of one page text dump."""
    language = detect_language(dump, config.language_min_chars)
    blocks = split_blocks(dump, stopwords(language))
    model = block_model()
    probs = model.predict(block_features(blocks, template_keys))
    for block, p in zip(blocks, probs.tolist()):
        block.template = block.key in template_keys
        block.klass = "good" if p >= 0.5 and block.chars >= config.length_low else ("short" if p >= 0.2 else "bad")
    chars = np.array([b.chars for b in blocks], dtype=np.float64)
    rule = RegionRule.from_info(model.info)
    region = best_region(probs, chars, rule)
    if region is None:
        return TextResult(None, [], None, None, language)
    start, end = region
    goods = [i for i in range(start, end) if blocks[i].klass == "good"][:2]
    # The title may sit inside the region when a long header line (a ticker) was taken for text.
    title_block = pick_title(blocks, start, goods[-1] if goods else start, end, config)
    if title_block is not None and title_block.index >= start:
        start = title_block.index + 1  # the region swallowed the header (e.g. a headline ticker): cut at the title
    title_key = title_block.key if title_block else None
    keep = keep_cutoff(probs, rule)
    paragraphs = [b.text for b in blocks[start:end] if probs[b.index] >= keep and b.key != title_key]
    author = find_author(blocks, start, end, title_block, language)
    published = find_date(blocks, start, title_block, language)
    return TextResult(title_block.text if title_block else None, paragraphs, author, published, language)
