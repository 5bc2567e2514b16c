"""Text-dump mode: boilerplate removal on the plain text of a whole page, without its HTML.

Each non-blank line is a block. A learned classifier (`model.py`, features in `features.py`) gives each
block the probability that it belongs to the article; the article is the contiguous run of blocks with
the highest score on top of those probabilities (`region.py`), and the title is the line a second small
model ranks as the headline the body belongs to (`headline.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.extract.blocks import Block, split_blocks
from pipeline.extract.config import ExtractConfig
from pipeline.extract.features import block_features
from pipeline.extract.headline import pick_headline
from pipeline.extract.meta import find_author, find_date
from pipeline.extract.model import TreeModel, shipped_model
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


def _article_region(blocks: list[Block], probs: np.ndarray, features: np.ndarray,
                    rule: RegionRule) -> tuple[int, int] | None:
    """The article's [start, end), template lines taken out of the search (hand rule beside the model).

    A template line is shared with pages telling other stories (templates.py), so it cannot decide where
    this page's article is; once the article is found without them, the template lines leading into it
    or inside it are its own paragraphs that another article of the site also prints, and count again.
    """
    template = [b.index for b in blocks if b.template]
    if not template:
        return best_region(probs, features, rule)
    searched = probs.copy()
    searched[template] = 0.0
    region = best_region(searched, features, rule)
    if region is None:
        return None
    start, end = region
    while start > 0 and blocks[start - 1].template and probs[start - 1] >= rule.threshold:
        start -= 1
    outside = [i for i in template if not start <= i < end]
    probs[outside] = 0.0
    return start, end


_SAMPLE_CHARS = 3000
_SAMPLE_LINE_CHARS = 80


def dump_language(dump: str, config: ExtractConfig) -> str | None:
    """The language of a dump's running text: its long lines (the article, mostly), else its opening.

    py3langid's cost grows with the sample: 3,000 characters of prose say as much as the whole page.
    """
    prose = "\n".join(line for line in dump.splitlines() if len(line) >= _SAMPLE_LINE_CHARS)
    sample = prose if len(prose) >= _SAMPLE_CHARS // 4 else dump
    return detect_language(sample, config.language_min_chars, sample_chars=_SAMPLE_CHARS)


def extract_dump(dump: str, config: ExtractConfig, template_keys: frozenset[str] = frozenset(),
                 blocks_model: TreeModel | None = None) -> TextResult:
    """Title, body paragraphs, author, date and language of one page text dump (with the shipped block
    model unless another is given: the training's out-of-fold evaluation passes its fold's)."""
    language = dump_language(dump, config)
    stops = stopwords(language)
    blocks = split_blocks(dump, stops)
    for block in blocks:
        block.template = block.key in template_keys
    blocks_model = blocks_model or shipped_model("blocks")
    features = block_features(blocks, template_keys)
    probs = blocks_model.predict(features)
    rule = RegionRule.from_info(blocks_model.info)
    region = _article_region(blocks, probs, features, rule)
    if region is None:
        return TextResult(None, [], None, None, language)
    start, end = region
    title_block = pick_headline(blocks, probs, start, end, stops, shipped_model("headlines"))
    if title_block is not None:
        # a headline printed twice (above the lede, then as a caption) counts where it first stands
        title_block = next(b for b in blocks if b.key == title_block.key)
    if title_block is not None and title_block.index >= start:
        start = title_block.index + 1  # the region began with its headline (or a ticker above it): cut there
    title_key = title_block.key if title_block else None
    keep = keep_cutoff(probs, rule)
    # Hand rule beside the model: a line opening with a "read also" cue links to another article.
    paragraphs = [b.text for b in blocks[start:end]
                  if probs[b.index] >= keep and b.key != title_key and not b.link_cue]
    author = find_author(blocks, start, end, title_block, language)
    published = find_date(blocks, start, title_block, language)
    return TextResult(title_block.text if title_block else None, paragraphs, author, published, language)
