"""The extraction measure: word-4-gram shingle precision/recall/F1, as public extraction benchmarks use it.

`\\w+` tokens, 4-word shingles counted as multisets; per document TP/FP/FN normalized to sum to 1 (so
long pages do not dominate); TP/FP/FN averaged over documents; P and R from the averages, F1 from both.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of the n-word shingles of `text`."""
    words = _WORD.findall(text or "")
    return Counter(tuple(words[i:i + n]) for i in range(max(0, len(words) - n + 1)))


def shingle_counts(reference: str, predicted: str, n: int = 4) -> tuple[float, float, float]:
    """One document's TP, FP, FN over shingle multisets, normalized to sum to 1."""
    ref, pred = shingles(reference, n), shingles(predicted, n)
    tp = sum((ref & pred).values())
    fp = sum((pred - ref).values())
    fn = sum((ref - pred).values())
    total = tp + fp + fn
    if total == 0:
        return (1.0, 0.0, 0.0)  # both empty: nothing to find and nothing wrong
    return (tp / total, fp / total, fn / total)


def prf(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall and F1 from document-averaged normalized TP/FP/FN."""
    n = len(counts) or 1
    tp, fp, fn = (sum(c[i] for c in counts) / n for i in range(3))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def shingle_f1(reference: str, predicted: str) -> float:
    """F1 of one document."""
    return prf([shingle_counts(reference, predicted)])[2]
