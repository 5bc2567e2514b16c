"""The article region of a text dump from the block classifier's probabilities.

An article is one contiguous run of lines: each line scores (p - threshold) * chars ** exponent, the
region is the run with the highest total (Kadane), and inside it the lines with p >= keep are the body.
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

    @classmethod
    def from_info(cls, info: dict) -> RegionRule:
        return cls(**info.get("region", {}))


def best_region(probs: np.ndarray, chars: np.ndarray, rule: RegionRule) -> tuple[int, int] | None:
    """[start, end) of the highest-scoring contiguous run of lines, None when no line scores above 0."""
    scores = (probs - rule.threshold) * np.power(np.maximum(chars, 1.0), rule.exponent)
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
    return [i for i in range(start, end) if probs[i] >= rule.keep]
