"""The text mode's title: the headline the body belongs to, chosen by a learned ranker over nearby lines.

Candidates are the lines from `WINDOW` lines above the article region to two lines into it (a region can
swallow its headline), plus the first line (html-text prints the page <title> first). Each is scored by a
second small tree model (`headlines-v<N>.npz`, trained with the block model) from where it sits (lines
to the body, whether the <title> line contains it), what it looks like (length, final full stop, list
marker, capitals, separators, cue vocabularies, the block model's body probability) and how the body
relates to it (share of its content words the body uses, repetitions on the page).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from pipeline.extract.blocks import Block

logger = logging.getLogger(__name__)

WINDOW = 15
HEADLINE_FEATURES = (
    "lines_to_body", "is_first_line", "in_first_line", "starts_first_line", "words", "log_chars", "full_stop",
    "question_or_exclamation", "bullet", "template", "repeated", "contained_elsewhere", "digit_ratio",
    "upper_ratio", "separators", "link_cue", "notice", "body_probability", "body_word_share",
    "long_lines_between", "candidate_rank_by_length",
)


def headline_candidates(blocks: list[Block], start: int, end: int) -> list[int]:
    """Indexes of the lines that may be the headline of the region [start, end): the lines above it, and
    its first two lines unless they are long sentences (a region can swallow its headline)."""
    inside = [i for i in range(start, min(end, start + 2)) if not (blocks[i].full_stop and blocks[i].chars >= 100)]
    candidates = list(range(max(0, start - WINDOW), start)) + inside
    if blocks and 0 not in candidates:
        candidates.insert(0, 0)
    return [i for i in candidates if 1 <= blocks[i].words <= 60 and blocks[i].chars <= 400]


def headline_features(blocks: list[Block], probs: np.ndarray, candidates: list[int], start: int, end: int,
                      stops: frozenset[str]) -> np.ndarray:
    """One row per candidate, columns as `HEADLINE_FEATURES`."""
    body_tokens = {t for b in blocks[start:end] if probs[b.index] >= 0.5 for t in b.tokens}
    first = blocks[0].key if blocks else ""
    lengths = sorted((blocks[i].chars for i in candidates), reverse=True)
    page = "\n".join(b.key for b in blocks)
    rows = []
    for i in candidates:
        block = blocks[i]
        content = [t for t in block.tokens if t not in stops] or block.tokens
        between = sum(1 for b in blocks[i + 1:start] if b.chars >= 40)
        # other lines holding this one (a caption, the <title> line), counted at C speed over the page
        elsewhere = page.count(block.key) - 1 if len(block.key) >= 10 else 0
        rows.append([
            float(start - i), float(i == 0), float(i > 0 and len(block.key) >= 12 and block.key in first),
            float(i > 0 and len(block.key) >= 12 and first.startswith(block.key)), float(block.words),
            math.log1p(block.chars), float(block.full_stop and not block.text.endswith(("?", "؟", "!"))),
            float(block.text.endswith(("?", "؟", "!"))), float(block.bullet), float(block.template),
            float(min(block.repeated, 5)), float(min(elsewhere, 5)), block.digit_ratio, block.upper_ratio,
            float(block.separators), float(block.link_cue), float(block.notice), float(probs[i]),
            sum(t in body_tokens for t in content) / len(content) if content else 0.0, float(min(between, 20)),
            float(lengths.index(block.chars)),
        ])
    return np.array(rows, dtype=np.float64).reshape(len(candidates), len(HEADLINE_FEATURES))


def pick_headline(blocks: list[Block], probs: np.ndarray, start: int, end: int, stops: frozenset[str],
                  model) -> Block | None:
    """The candidate the headline model rates highest, None when there is no candidate."""
    candidates = headline_candidates(blocks, start, end)
    if not candidates:
        return None
    scores = model.predict(headline_features(blocks, probs, candidates, start, end, stops))
    return blocks[candidates[int(np.argmax(scores))]]
