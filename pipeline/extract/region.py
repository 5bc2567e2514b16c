"""The article region of a text dump from the block classifier's probabilities.

An article is one contiguous run of lines: each line scores (p - threshold) * chars ** exponent, the
region is the run with the highest total (Kadane), and inside it the lines with p >= keep are the body.
Both cut-offs are lowered on pages whose most article-like line is still unsure (a recipe, a short
notice): never above `relative` times the page's highest probability (`keep`: half of that), so a
short article is not lost because nothing on its page looks like long prose.
A caption or an ad label inside an article costs little; a menu, a related-headline list or a comment
thread separates two runs of text, and only the stronger one is the article.

Two hand rules sit beside the model, each switched on only when it raises the out-of-fold F1 on train
sites (`bench/train_extractor.py` tunes them with the thresholds): `extend` adds the full sentences that
border the region and pass `keep` (the last paragraph before a comment thread), `cut_at_cue` ends the
region at a "related / read also" line that no sentence follows (the list of headlines after it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.extract.features import FEATURE_NAMES

logger = logging.getLogger(__name__)

_LOG_CHARS, _ENDS_SENTENCE, _LINK_CUE = (FEATURE_NAMES.index(n) for n in ("log_chars", "ends_sentence", "link_cue"))
_SENTENCE_CHARS = 80  # a line ending like a sentence and this long is running text


@dataclass(frozen=True)
class RegionRule:
    """The decision on top of the probabilities; tuned on train sites with the model, stored in its file."""

    threshold: float = 0.5
    exponent: float = 0.5
    keep: float = 0.5
    relative: float = 1.0
    extend: bool = False
    cut_at_cue: bool = False

    @classmethod
    def from_info(cls, info: dict) -> RegionRule:
        return cls(**info.get("region", {}))


def best_region(probs: np.ndarray, features: np.ndarray, rule: RegionRule) -> tuple[int, int] | None:
    """[start, end) of the article's lines, None when no line scores above 0.

    `features` is the block feature matrix the probabilities were computed from (`features.block_features`).
    """
    if len(probs) == 0:
        return None
    chars = np.expm1(features[:, _LOG_CHARS])
    threshold = min(rule.threshold, rule.relative * float(probs.max()))
    scores = (probs - threshold) * np.power(np.maximum(chars, 1.0), rule.exponent)
    best, span = 0.0, None
    running, start = 0.0, 0
    for i, score in enumerate(scores.tolist()):
        if running <= 0.0:
            running, start = 0.0, i
        running += score
        if running > best:
            best, span = running, (start, i + 1)
    if span is None:
        return None
    start, end = span
    sentence = (chars >= _SENTENCE_CHARS) & (features[:, _ENDS_SENTENCE] > 0)
    if rule.extend:
        keep = keep_cutoff(probs, rule)
        while end < len(probs) and sentence[end] and probs[end] >= keep:
            end += 1
        while start > 0 and sentence[start - 1] and probs[start - 1] >= keep:
            start -= 1
    if rule.cut_at_cue:
        for i in range(start + 1, end):
            if features[i, _LINK_CUE] > 0 and not sentence[i + 1:end].any():
                end = i
                break
    return start, end


def keep_cutoff(probs: np.ndarray, rule: RegionRule) -> float:
    """The probability a line of the region needs to be body on this page."""
    return min(rule.keep, rule.relative * float(probs.max()) / 2)


def body_lines(probs: np.ndarray, features: np.ndarray, rule: RegionRule) -> list[int]:
    """Indexes of the body lines: inside the article region, probability at least the keep cut-off."""
    region = best_region(probs, features, rule)
    if region is None:
        return []
    keep = keep_cutoff(probs, rule)
    return [i for i in range(*region) if probs[i] >= keep]
