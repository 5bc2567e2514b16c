"""Event anchors: story values that carry facts of an event, marked by the low bit of the value.

Reports of one event share its facts: figures (counts, amounts, scores, ages, days) and the words someone was
quoted saying. Reports on the same company, person or topic but another event share names and vocabulary
instead, which is why names are not anchors here: the hard negatives of the benchmark's labels share them
(docs/dedup.md). Anchors are the story bigrams holding a number of two or more digits that is not a year (a
property of the bigram itself, so a value means the same in every document), and one extra value per three
words inside quotation marks. In scripts without letter case (Arabic, Hebrew, CJK, Thai, Indic scripts, ...)
the story bigrams are all rare-word bigrams already, the nearest thing to a name or a fact there is, and all
count as anchors.
"""

from __future__ import annotations

import numpy as np

from pipeline.text.tokens import Tokens

ANCHOR = np.uint32(1)
_QUOTE_MARKS = '"“”„«»'
_QUOTE_CODEPOINTS = np.array([ord(mark) for mark in _QUOTE_MARKS], dtype=np.uint32)
_QUOTE_TOKENS = 60  # a longer "quotation" is a stray quote mark pairing with the next one
CASELESS = frozenset(
    "ar fa ur ps sd ug he yi hi mr ne sa bn as pa gu or ta te kn ml si th lo km my bo dz ka am ti zh ja ko".split()
)


def quotations(normalized: str, tokens: Tokens) -> list[tuple[int, int]]:
    """Token ranges [first, last) between a quotation mark and the next one, 3 to _QUOTE_TOKENS tokens long."""
    if not any(mark in normalized for mark in _QUOTE_MARKS):
        return []
    marks = np.flatnonzero(np.isin(tokens.codepoints, _QUOTE_CODEPOINTS))
    bounds = np.searchsorted(tokens.starts, marks[: len(marks) // 2 * 2]).reshape(-1, 2)
    size = bounds[:, 1] - bounds[:, 0]
    return [(int(first), int(last)) for first, last in bounds[(size >= 3) & (size <= _QUOTE_TOKENS)]]


def tag(values: np.ndarray, anchored: np.ndarray | None) -> np.ndarray:
    """Story values with the low bit set where `anchored` (None: all), cleared elsewhere."""
    even = values & ~ANCHOR
    return even | ANCHOR if anchored is None else even | anchored.astype(np.uint32)
