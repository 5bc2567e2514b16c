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

import re

import numpy as np

from pipeline.text.tokens import Tokens

ANCHOR = np.uint32(1)
_NUMBER = re.compile(r"\d{2,}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_QUOTE = re.compile(r"[\"“”„«»]")
_QUOTE_TOKENS = 60  # a longer "quotation" is a stray quote mark pairing with the next one
CASELESS = frozenset(
    "ar fa ur ps sd ug he yi hi mr ne sa bn as pa gu or ta te kn ml si th lo km my bo dz ka am ti zh ja ko".split()
)


def numbers(normalized: str, tokens: Tokens) -> np.ndarray:
    """Per token: a number of two or more digits standing alone, not a year."""
    starts, ends = tokens.starts, tokens.ends
    marked = np.zeros(len(starts), dtype=bool)
    for match in _NUMBER.finditer(normalized):
        at = int(np.searchsorted(starts, match.start()))
        if at < len(starts) and starts[at] == match.start() and ends[at] == match.end() and not _YEAR.fullmatch(match.group()):
            marked[at] = True
    return marked


def quotations(normalized: str, tokens: Tokens) -> list[tuple[int, int]]:
    """Token ranges [first, last) between a quotation mark and the next one, 3 to _QUOTE_TOKENS tokens long."""
    marks = [m.start() for m in _QUOTE.finditer(normalized)]
    spans = []
    for opening, closing in zip(marks[::2], marks[1::2]):
        first, last = (int(i) for i in np.searchsorted(tokens.starts, [opening, closing]))
        if 3 <= last - first <= _QUOTE_TOKENS:
            spans.append((first, last))
    return spans


def tag(values: np.ndarray, anchored: np.ndarray | None) -> np.ndarray:
    """Story values with the low bit set where `anchored` (None: all), cleared elsewhere."""
    even = values & ~ANCHOR
    return even | ANCHOR if anchored is None else even | anchored.astype(np.uint32)
