"""The article region of a text dump from the block classifier's probabilities.

An article is one contiguous run of lines: each line scores (p - threshold) * chars ** exponent, the
region is the run with the highest total (Kadane), and inside it the lines with p >= keep are the body.
Both cut-offs are lowered on pages whose most article-like line is still unsure (a recipe, a short
notice): never above `relative` times the page's highest probability (`keep`: half of that), so a
short article is not lost because nothing on its page looks like long prose.
A caption or an ad label inside an article costs little; a menu, a related-headline list or a comment
thread separates two runs of text, and only the stronger one is the article.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegionRule:
    """The decision on top of the probabilities; tuned on train sites with the model, stored in its file."""

    threshold: float = 0.5
    exponent: float = 0.5
    keep: float = 0.5
    relative: float = 1.0

    @classmethod
    def from_info(cls, info: dict) -> RegionRule:
        return cls(**info.get("region", {}))


def best_region(probs: np.ndarray, chars: np.ndarray, rule: RegionRule) -> tuple[int, int] | None:
    """[start, end) of the highest-scoring contiguous run of lines, None when no line scores above 0."""
    if len(probs) == 0:
        return None
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
    return span


def body_lines(probs: np.ndarray, chars: np.ndarray, rule: RegionRule) -> list[int]:
    """Indexes of the body lines: inside the best region, probability at least `rule.keep`."""
    region = best_region(probs, chars, rule)
    if region is None:
        return []
    start, end = region
    keep = keep_cutoff(probs, rule)
    return [i for i in range(start, end) if probs[i] >= keep]


def keep_cutoff(probs: np.ndarray, rule: RegionRule) -> float:
    """The probability a line of the region needs to be body on this page."""
    return min(rule.keep, rule.relative * float(probs.max()) / 2)
